/* Starts the project's emulator (tests/emulator) for a test.
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "emulator-fixture.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define ROUTE "/tts/v1/voice:streamBidirectional"
#define SLNG_ROUTE "/v1/tts/slng/inworld/max:1.5"

/* in the child: die with the test, so a crashed test leaves no server */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* The --verbose log of inworld_emulator_start_logged (). */
struct _InworldEmulatorLog
{
  GThread *reader;
  GDataInputStream *err;
  GMutex lock;
  GPtrArray *lines;             /* gchar * */
};

/* on its own thread: stderr must be drained or the emulator blocks */
static gpointer
read_log (gpointer user_data)
{
  struct _InworldEmulatorLog *log = user_data;
  gchar *line;

  while ((line = g_data_input_stream_read_line (log->err, NULL, NULL, NULL))) {
    g_mutex_lock (&log->lock);
    g_ptr_array_add (log->lines, line);
    g_mutex_unlock (&log->lock);
  }
  return NULL;
}

gchar *
inworld_test_cert (const gchar * name)
{
  const gchar *dir = g_getenv ("INWORLD_TEST_CERTS");

  if (dir == NULL)
    g_error ("INWORLD_TEST_CERTS is not set: run the tests with meson test");
  return g_build_filename (dir, name, NULL);
}

/* @tls: the name of a certificate of inworld_test_cert () to serve wss://
 * with (NAME.pem and NAME-key.pem), or NULL for ws:// */
static InworldEmulator *
start_valist (gboolean logged, const gchar * tls, const gchar * first_arg,
    va_list args)
{
  GSubprocessLauncher *launcher;
  const gchar *path = g_getenv ("INWORLD_TTS_EMULATOR");
  GPtrArray *argv = g_ptr_array_new ();
  InworldEmulator *emu;
  GDataInputStream *out;
  GError *error = NULL;
  gchar *line, *tls_cert = NULL, *tls_key = NULL;

  if (path == NULL)
    g_error ("INWORLD_TTS_EMULATOR is not set: run the tests with meson test");

  g_ptr_array_add (argv, (gpointer) path);
  g_ptr_array_add (argv, (gpointer) "--port=0");
  g_ptr_array_add (argv, (gpointer) "--api-key=" TEST_API_KEY);
  g_ptr_array_add (argv, (gpointer) "--audio=test-signal");
  g_ptr_array_add (argv, (gpointer) "--speed=50");
  if (tls) {
    gchar *name = g_strconcat (tls, ".pem", NULL);
    gchar *file = inworld_test_cert (name);

    tls_cert = g_strconcat ("--tls-cert=", file, NULL);
    g_free (file);
    g_free (name);
    name = g_strconcat (tls, "-key.pem", NULL);
    file = inworld_test_cert (name);
    tls_key = g_strconcat ("--tls-key=", file, NULL);
    g_free (file);
    g_free (name);
    g_ptr_array_add (argv, tls_cert);
    g_ptr_array_add (argv, tls_key);
  }
  for (const gchar * a = first_arg; a; a = va_arg (args, const gchar *))
    g_ptr_array_add (argv, (gpointer) a);
  if (logged)
    g_ptr_array_add (argv, (gpointer) "--verbose");
  g_ptr_array_add (argv, NULL);

  emu = g_new0 (InworldEmulator, 1);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      (logged ? G_SUBPROCESS_FLAGS_STDERR_PIPE : 0));
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
      NULL);
  emu->process = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) argv->pdata, &error);
  g_object_unref (launcher);
  g_ptr_array_unref (argv);
  g_free (tls_cert);
  g_free (tls_key);
  if (emu->process == NULL)
    g_error ("could not start the emulator %s: %s", path, error->message);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (emu->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  if (line == NULL || !g_str_has_prefix (line, "listening "))
    g_error ("the emulator did not report its port (got '%s')",
        line ? line : (error ? error->message : "end of output"));
  emu->port = (guint) strtoul (line + strlen ("listening "), NULL, 10);
  g_assert (emu->port > 0 && emu->port < 65536);
  emu->uri = g_strdup_printf ("%s://127.0.0.1:%u" ROUTE, tls ? "wss" : "ws",
      emu->port);
  g_free (line);
  g_object_unref (out);

  if (logged) {
    emu->log = g_new0 (struct _InworldEmulatorLog, 1);
    g_mutex_init (&emu->log->lock);
    emu->log->lines = g_ptr_array_new_with_free_func (g_free);
    emu->log->err =
        g_data_input_stream_new (g_subprocess_get_stderr_pipe (emu->process));
    emu->log->reader = g_thread_new ("emulator-log", read_log, emu->log);
  }
  return emu;
}

InworldEmulator *
inworld_emulator_start (const gchar * first_arg, ...)
{
  InworldEmulator *emu;
  va_list args;

  va_start (args, first_arg);
  emu = start_valist (FALSE, NULL, first_arg, args);
  va_end (args);
  return emu;
}

InworldEmulator *
inworld_emulator_start_logged (const gchar * first_arg, ...)
{
  InworldEmulator *emu;
  va_list args;

  va_start (args, first_arg);
  emu = start_valist (TRUE, NULL, first_arg, args);
  va_end (args);
  return emu;
}

InworldEmulator *
inworld_emulator_start_tls (const gchar * certificate, const gchar * first_arg,
    ...)
{
  InworldEmulator *emu;
  va_list args;

  va_start (args, first_arg);
  emu = start_valist (FALSE, certificate, first_arg, args);
  va_end (args);
  return emu;
}

/* The emulator writes each line (unbuffered) before it acts on it, so
 * what a test has seen the emulator do is in the pipe; wait until the
 * reader has taken in all of it: nothing left to read in the pipe, and no
 * new line for 10 ms (the lines already in the data stream's buffer).
 * Bounded to 2 s: a server that keeps logging does not hold a test. */
static void
catch_up_with_log (InworldEmulator * emu)
{
  GPollableInputStream *pipe =
      G_POLLABLE_INPUT_STREAM (g_subprocess_get_stderr_pipe (emu->process));
  guint before, after = 0;

  for (guint i = 0; i < 200; i++) {
    g_mutex_lock (&emu->log->lock);
    before = emu->log->lines->len;
    g_mutex_unlock (&emu->log->lock);
    g_usleep (10 * G_TIME_SPAN_MILLISECOND);
    g_mutex_lock (&emu->log->lock);
    after = emu->log->lines->len;
    g_mutex_unlock (&emu->log->lock);
    if (after == before && !g_pollable_input_stream_is_readable (pipe))
      break;
  }
}

gchar **
inworld_emulator_log_lines (InworldEmulator * emu, const gchar * first_needle,
    ...)
{
  GPtrArray *found = g_ptr_array_new ();

  g_assert (emu->log != NULL);
  catch_up_with_log (emu);
  g_mutex_lock (&emu->log->lock);
  for (guint i = 0; i < emu->log->lines->len; i++) {
    const gchar *line = g_ptr_array_index (emu->log->lines, i);
    gboolean all = TRUE;
    va_list args;

    va_start (args, first_needle);
    for (const gchar * n = first_needle; n && all;
        n = va_arg (args, const gchar *))
      all = strstr (line, n) != NULL;
    va_end (args);
    if (all)
      g_ptr_array_add (found, g_strdup (line));
  }
  g_mutex_unlock (&emu->log->lock);
  g_ptr_array_add (found, NULL);
  return (gchar **) g_ptr_array_free (found, FALSE);
}

void
inworld_emulator_stop (InworldEmulator * emu)
{
  if (emu == NULL)
    return;
  g_subprocess_force_exit (emu->process);
  g_subprocess_wait (emu->process, NULL, NULL);
  if (emu->log) {
    /* the pipe is at its end once the process is gone */
    g_thread_join (emu->log->reader);
    g_object_unref (emu->log->err);
    g_ptr_array_unref (emu->log->lines);
    g_mutex_clear (&emu->log->lock);
    g_free (emu->log);
  }
  g_object_unref (emu->process);
  g_free (emu->uri);
  g_free (emu);
}

gchar *
inworld_emulator_slng_uri (InworldEmulator * emu)
{
  return g_strdup_printf ("%s://127.0.0.1:%u" SLNG_ROUTE,
      g_str_has_prefix (emu->uri, "wss:") ? "wss" : "ws", emu->port);
}

gchar *
inworld_emulator_unused_uri (void)
{
  GSocketListener *listener = g_socket_listener_new ();
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  GSocketAddress *effective = NULL;
  guint16 port;

  /* bind to port 0 to learn a free port, then release it */
  g_socket_listener_add_address (listener, addr, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL, &effective, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_listener_close (listener);
  g_object_unref (effective);
  g_object_unref (addr);
  g_object_unref (lo);
  g_object_unref (listener);
  return g_strdup_printf ("ws://127.0.0.1:%u" ROUTE, port);
}
