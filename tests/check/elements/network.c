/* inworldttssrc network tests: TLS verification, a private CA, proxies
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The emulator serves wss:// with certificates made at build time by
 * tests/check/make-test-certs.sh (a private CA, a server certificate it
 * signed for 127.0.0.1, one for another host name, an unrelated CA);
 * tests/check/test-proxy.c is an HTTP proxy that records what it was
 * asked for, so that a test can tell the traffic went through it. */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <string.h>

#include "emulator-fixture.h"
#include "inworld-test-signal.h"
#include "recorder.h"
#include "test-proxy.h"
#include "tts-harness.h"

#define RATE 24000
#define RAW_CAPS "audio/x-raw, format=S16LE, layout=interleaved, " \
    "channels=1, rate=24000"
#define WAIT (30 * GST_SECOND)

static const gchar *text = "Hello over a verified connection.";

/* every proxy variable the environment may hold (libproxy reads both
 * cases); the tests start without them, whatever the caller's shell has */
static const gchar *proxy_env[] = {
  "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy",
  "NO_PROXY", "all_proxy", "ALL_PROXY", "ftp_proxy", "FTP_PROXY", NULL
};

static void
clear_proxy_env (void)
{
  for (const gchar ** v = proxy_env; *v; v++)
    g_unsetenv (*v);
}

/* ------------------------------------------------------------------------
 * The element in a harness
 * ------------------------------------------------------------------------ */

typedef struct
{
  GstElement *el;
  GstBus *bus;
  GstHarness *h;
  Rec rec;
} T;

static GstElement *
make_tts (const gchar * uri)
{
  GstElement *el = gst_element_factory_make ("inworldttssrc", NULL);

  fail_unless (el != NULL, "inworldttssrc not found: check GST_PLUGIN_PATH");
  g_object_set (el, "uri", uri, "api-key", TEST_API_KEY, "text", text, NULL);
  return el;
}

/* @el: from make_tts (), with its network properties set */
static T *
t_new (GstElement * el)
{
  T *t = g_new0 (T, 1);

  t->el = el;
  rec_init (&t->rec);
  t->bus = gst_bus_new ();
  t->h = tts_harness_new (t->el, t->bus);
  gst_harness_set_sink_caps_str (t->h, RAW_CAPS);
  rec_attach (&t->rec, t->el, t->bus);
  gst_harness_play (t->h);
  return t;
}

static void
t_free (T * t)
{
  gst_element_set_bus (t->el, NULL);
  gst_harness_teardown (t->h);
  gst_object_unref (t->el);
  gst_object_unref (t->bus);
  rec_clear (&t->rec);
  g_free (t);
}

/* The text of the first error or warning in the log ("message | debug"),
 * or NULL. */
static gchar *
first_problem (T * t, GstMessageType type, GQuark * domain, gint * code)
{
  gchar *found = NULL;

  g_mutex_lock (&t->rec.lock);
  for (guint i = 0; i < t->rec.log->len && !found; i++) {
    GstMiniObject *o = g_ptr_array_index (t->rec.log, i);
    GError *err = NULL;
    gchar *debug = NULL;

    if (!GST_IS_MESSAGE (o) || GST_MESSAGE_TYPE (GST_MESSAGE (o)) != type)
      continue;
    if (type == GST_MESSAGE_ERROR)
      gst_message_parse_error (GST_MESSAGE (o), &err, &debug);
    else
      gst_message_parse_warning (GST_MESSAGE (o), &err, &debug);
    if (domain)
      *domain = err->domain;
    if (code)
      *code = err->code;
    found = g_strdup_printf ("%s | %s", err->message, debug ? debug : "");
    g_error_free (err);
    g_free (debug);
  }
  g_mutex_unlock (&t->rec.lock);
  return found;
}

/* The whole text was spoken, sample for sample, then EOS, with no error
 * or warning. */
static void
expect_speech (T * t)
{
  GArray *flushes;
  Flush *f;
  guint64 n = inworld_test_signal_n_samples (text, RATE);
  guint16 seed = inworld_test_signal_seed (text);
  const gint16 *samples;
  guint chars = 0;

  if (!rec_wait (&t->rec, &t->rec.eos, 1, WAIT)) {
    gchar *error = first_problem (t, GST_MESSAGE_ERROR, NULL, NULL);

    fail ("no EOS; error: %s", error ? error : "none");
    g_free (error);
  }
  if (t->rec.errors) {
    gchar *error = first_problem (t, GST_MESSAGE_ERROR, NULL, NULL);

    fail ("EOS after an error: %s", error);
    g_free (error);
  }
  if (t->rec.warnings) {
    gchar *warning = first_problem (t, GST_MESSAGE_WARNING, NULL, NULL);

    fail ("unexpected warning: %s", warning);
    g_free (warning);
  }

  g_mutex_lock (&t->rec.lock);
  flushes = rec_flushes_range (&t->rec, 0, t->rec.log->len);
  g_mutex_unlock (&t->rec.lock);
  fail_unless_equals_int (flushes->len, 1);
  f = &g_array_index (flushes, Flush, 0);
  fail_unless (f->done != NULL);
  fail_unless_equals_uint64 (f->first_pts, 0);
  fail_unless_equals_uint64 (f->audio->len, n * 2);
  samples = (const gint16 *) f->audio->data;
  for (guint64 i = 0; i < n; i++)
    if (G_UNLIKELY (GINT16_FROM_LE (samples[i]) !=
            inworld_test_signal_sample (seed, i)))
      fail ("sample %" G_GUINT64_FORMAT ": %d, expected %d", i,
          GINT16_FROM_LE (samples[i]), inworld_test_signal_sample (seed, i));
  fail_unless_equals_uint64 (f->end, gst_util_uint64_scale_int (n,
          GST_SECOND, RATE));
  fail_unless (gst_structure_get_uint (f->done, "characters", &chars));
  fail_unless_equals_int (chars, g_utf8_strlen (text, -1));
  g_array_unref (flushes);
}

/* An error of @domain/@code whose text holds each of @words, and no
 * audio. */
static void
expect_error (T * t, GQuark domain, gint code, const gchar * const *words)
{
  GQuark d = 0;
  gint c = 0;
  gchar *error;

  fail_unless (rec_wait (&t->rec, &t->rec.errors, 1, WAIT),
      "no error within the wait");
  error = first_problem (t, GST_MESSAGE_ERROR, &d, &c);
  fail_unless (error != NULL);
  GST_INFO ("error: %s", error);
  fail_unless (d == domain && c == code, "wrong error %s:%d: %s",
      g_quark_to_string (d), c, error);
  for (; words && *words; words++)
    fail_unless (strstr (error, *words) != NULL, "'%s' not in error '%s'",
        *words, error);
  fail_unless_equals_int (t->rec.buffers, 0);
  g_free (error);
}

/* Going to PAUSED fails at once with an error of @domain/@code holding
 * each of @words. Takes @el. */
static void
expect_state_change_error (GstElement * el, GQuark domain, gint code,
    const gchar * const *words)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  gst_element_set_bus (el, bus);
  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, &debug);
  GST_INFO ("error: %s", err->message);
  fail_unless (err->domain == domain && err->code == code,
      "wrong error %s:%d: %s", g_quark_to_string (err->domain), err->code,
      err->message);
  for (; words && *words; words++)
    fail_unless (strstr (err->message, *words) != NULL,
        "'%s' not in error '%s'", *words, err->message);
  fail_if (strstr (err->message, "hunter2") || (debug
          && strstr (debug, "hunter2")), "a password in '%s'", err->message);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_state (el, GST_STATE_NULL);
  gst_element_set_bus (el, NULL);
  gst_object_unref (bus);
  gst_object_unref (el);
}

/* "CONNECT host:port HTTP/1.1" or "GET ws://host:port/..." among what
 * @proxy was asked */
static gboolean
proxy_was_asked (TestProxy * proxy, const gchar * request)
{
  gchar **requests = test_proxy_requests (proxy);
  gboolean found = FALSE;

  for (gchar ** r = requests; *r && !found; r++)
    found = g_str_has_prefix (*r, request);
  g_strfreev (requests);
  return found;
}

static gchar *
unused_proxy_uri (void)
{
  gchar *ws = inworld_emulator_unused_uri ();
  GUri *uri = g_uri_parse (ws, G_URI_FLAGS_NONE, NULL);
  gchar *proxy = g_strdup_printf ("http://127.0.0.1:%d",
      g_uri_get_port (uri));

  g_uri_unref (uri);
  g_free (ws);
  return proxy;
}

/* ------------------------------------------------------------------------
 * TLS
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_defaults)
{
  GstElement *el = gst_element_factory_make ("inworldttssrc", NULL);
  gboolean strict = FALSE;
  gchar *ca = (gchar *) "x", *proxy = (gchar *) "x";

  g_object_get (el, "ssl-strict", &strict, "ssl-ca-file", &ca, "proxy",
      &proxy, NULL);
  fail_unless (strict);
  fail_unless (ca == NULL);
  fail_unless (proxy == NULL);

  /* "" is unset, as on a gst-launch line */
  g_object_set (el, "ssl-ca-file", "", "proxy", "", NULL);
  g_object_get (el, "ssl-ca-file", &ca, "proxy", &proxy, NULL);
  fail_unless (ca == NULL);
  fail_unless (proxy == NULL);
  gst_object_unref (el);
}

GST_END_TEST;

/* the private CA in ssl-ca-file: the certificate is verified, and the
 * speech comes through whole */
GST_START_TEST (test_ca_file)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  GstElement *el = make_tts (emu->uri);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  T *t;

  fail_unless (g_str_has_prefix (emu->uri, "wss://127.0.0.1:"));
  g_object_set (el, "ssl-ca-file", ca, NULL);
  t = t_new (el);
  expect_speech (t);
  t_free (t);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* a relative ssl-ca-file is taken from the current directory (GIO's file
 * database alone would trust nothing, with only a warning) */
GST_START_TEST (test_ca_file_relative)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  GstElement *el = make_tts (emu->uri);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  gchar *dir = g_path_get_dirname (ca);
  gchar *cwd = g_get_current_dir ();
  T *t;

  fail_unless_equals_int (g_chdir (dir), 0);
  g_object_set (el, "ssl-ca-file", "test-ca.pem", NULL);
  t = t_new (el);
  expect_speech (t);
  t_free (t);
  fail_unless_equals_int (g_chdir (cwd), 0);
  g_free (cwd);
  g_free (dir);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* strict by default: a certificate no system CA signed is refused, and
 * the error says whose, why and what to set */
GST_START_TEST (test_strict_unknown_ca)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  GstElement *el = make_tts (emu->uri);
  gchar *host = g_strdup_printf ("127.0.0.1:%u", emu->port);
  const gchar *words[] = { "Could not reach", "TLS certificate", host,
    "could not be verified", "not signed by a trusted certificate authority",
    "the system's", "Set ssl-ca-file to the CA that signed it",
    "ssl-strict=false", NULL
  };
  T *t = t_new (el);

  expect_error (t, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, words);
  t_free (t);
  g_free (host);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* a CA file that does not hold the signer: the same error, naming it */
GST_START_TEST (test_wrong_ca)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  GstElement *el = make_tts (emu->uri);
  gchar *ca = inworld_test_cert ("test-other-ca.pem");
  gchar *host = g_strdup_printf ("127.0.0.1:%u", emu->port);
  const gchar *words[] = { "TLS certificate", host, "could not be verified",
    "not signed by a trusted certificate authority", ca,
    "Set ssl-ca-file to the CA that signed it", "ssl-strict=false", NULL
  };
  T *t;

  g_object_set (el, "ssl-ca-file", ca, NULL);
  t = t_new (el);
  expect_error (t, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, words);
  t_free (t);
  g_free (host);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* signed by the trusted CA, but for another host */
GST_START_TEST (test_bad_identity)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-wrong-name", NULL);
  GstElement *el = make_tts (emu->uri);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  const gchar *words[] = { "TLS certificate", "could not be verified",
    "not issued for the host name 127.0.0.1", NULL
  };
  T *t;

  g_object_set (el, "ssl-ca-file", ca, NULL);
  t = t_new (el);
  expect_error (t, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, words);
  /* the CA was right: no advice about an unknown CA */
  {
    gchar *error = first_problem (t, GST_MESSAGE_ERROR, NULL, NULL);

    fail_if (strstr (error, "not signed by") != NULL, "%s", error);
    g_free (error);
  }
  t_free (t);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ssl-strict=false accepts the unverified certificate */
GST_START_TEST (test_not_strict)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  GstElement *el = make_tts (emu->uri);
  T *t;

  g_object_set (el, "ssl-strict", FALSE, NULL);
  t = t_new (el);
  expect_speech (t);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* an unusable ssl-ca-file fails the state change at once, naming it */
GST_START_TEST (test_ca_file_missing)
{
  GstElement *el = make_tts ("wss://127.0.0.1:9/x");
  const gchar *words[] = { "ssl-ca-file", "/nonexistent/inworld-ca.pem",
    "does not exist", NULL
  };

  g_object_set (el, "ssl-ca-file", "/nonexistent/inworld-ca.pem", NULL);
  expect_state_change_error (el, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, words);
}

GST_END_TEST;

GST_START_TEST (test_ca_file_not_pem)
{
  GstElement *el = make_tts ("wss://127.0.0.1:9/x");
  gchar *key = inworld_test_cert ("test-server-key.pem");
  const gchar *words[] = { "ssl-ca-file", key, "no PEM certificate", NULL };

  g_object_set (el, "ssl-ca-file", key, NULL);
  expect_state_change_error (el, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, words);
  g_free (key);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Proxies
 * ------------------------------------------------------------------------ */

/* the proxy property: wss:// goes through a CONNECT tunnel */
GST_START_TEST (test_proxy_property)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  TestProxy *proxy = test_proxy_new (TEST_PROXY_TUNNEL);
  GstElement *el = make_tts (emu->uri);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  gchar *proxy_uri = test_proxy_uri (proxy);
  gchar *connect = g_strdup_printf ("CONNECT 127.0.0.1:%u ", emu->port);
  T *t;

  g_object_set (el, "ssl-ca-file", ca, "proxy", proxy_uri, NULL);
  t = t_new (el);
  expect_speech (t);
  fail_unless (proxy_was_asked (proxy, connect), "the proxy saw no %s",
      connect);
  fail_unless (test_proxy_tunnels (proxy) >= 1);
  t_free (t);
  test_proxy_free (proxy);
  g_free (connect);
  g_free (proxy_uri);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* a SOCKS5 proxy: GIO does the handshake */
GST_START_TEST (test_proxy_socks5)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  TestProxy *proxy = test_proxy_new (TEST_PROXY_SOCKS5);
  GstElement *el = make_tts (emu->uri);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  gchar *proxy_uri = test_proxy_uri (proxy);
  gchar *connect = g_strdup_printf ("SOCKS5 CONNECT 127.0.0.1:%u",
      emu->port);
  T *t;

  fail_unless (g_str_has_prefix (proxy_uri, "socks5://"));
  g_object_set (el, "ssl-ca-file", ca, "proxy", proxy_uri, NULL);
  t = t_new (el);
  expect_speech (t);
  fail_unless (proxy_was_asked (proxy, connect), "the proxy saw no %s",
      connect);
  fail_unless_equals_int (test_proxy_tunnels (proxy), 1);
  t_free (t);
  test_proxy_free (proxy);
  g_free (connect);
  g_free (proxy_uri);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* "host:port" without a scheme is an HTTP proxy */
GST_START_TEST (test_proxy_without_scheme)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  TestProxy *proxy = test_proxy_new (TEST_PROXY_TUNNEL);
  GstElement *el = make_tts (emu->uri);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  gchar *proxy_addr = g_strdup_printf ("127.0.0.1:%u",
      test_proxy_port (proxy));
  gchar *connect = g_strdup_printf ("CONNECT 127.0.0.1:%u ", emu->port);
  T *t;

  g_object_set (el, "ssl-ca-file", ca, "proxy", proxy_addr, NULL);
  t = t_new (el);
  expect_speech (t);
  fail_unless (proxy_was_asked (proxy, connect));
  t_free (t);
  test_proxy_free (proxy);
  g_free (connect);
  g_free (proxy_addr);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ws:// through an HTTP proxy: libsoup sends the upgrade to the proxy in
 * absolute form (GET ws://host:port/path), which it forwards */
GST_START_TEST (test_proxy_plain_ws)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  TestProxy *proxy = test_proxy_new (TEST_PROXY_TUNNEL);
  GstElement *el = make_tts (emu->uri);
  gchar *proxy_uri = test_proxy_uri (proxy);
  gchar *get = g_strdup_printf ("GET %s ", emu->uri);
  T *t;

  g_object_set (el, "proxy", proxy_uri, NULL);
  t = t_new (el);
  expect_speech (t);
  fail_unless (proxy_was_asked (proxy, get), "the proxy saw no %s", get);
  t_free (t);
  test_proxy_free (proxy);
  g_free (get);
  g_free (proxy_uri);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* Unset: the environment's proxy. libproxy (the default resolver with
 * glib-networking) reads the variables at each lookup, so setting them
 * here, with no connection open, is enough. */
GST_START_TEST (test_proxy_environment)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  TestProxy *proxy = test_proxy_new (TEST_PROXY_TUNNEL);
  GstElement *el = make_tts (emu->uri);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  gchar *proxy_uri = test_proxy_uri (proxy);
  gchar *dead = unused_proxy_uri ();
  gchar *connect = g_strdup_printf ("CONNECT 127.0.0.1:%u ", emu->port);
  T *t;

  /* wss:// takes https_proxy, not http_proxy */
  g_setenv ("https_proxy", proxy_uri, TRUE);
  g_setenv ("http_proxy", dead, TRUE);
  g_object_set (el, "ssl-ca-file", ca, NULL);
  t = t_new (el);
  expect_speech (t);
  fail_unless (proxy_was_asked (proxy, connect), "the proxy saw no %s",
      connect);
  t_free (t);
  clear_proxy_env ();
  test_proxy_free (proxy);
  g_free (connect);
  g_free (dead);
  g_free (proxy_uri);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* upper-case HTTPS_PROXY, then no_proxy: the same host goes direct */
GST_START_TEST (test_proxy_environment_no_proxy)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  TestProxy *proxy = test_proxy_new (TEST_PROXY_TUNNEL);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  gchar *proxy_uri = test_proxy_uri (proxy);
  GstElement *el;
  T *t;

  g_setenv ("HTTPS_PROXY", proxy_uri, TRUE);
  el = make_tts (emu->uri);
  g_object_set (el, "ssl-ca-file", ca, NULL);
  t = t_new (el);
  expect_speech (t);
  t_free (t);
  fail_unless_equals_int (test_proxy_tunnels (proxy), 1);

  g_setenv ("no_proxy", "localhost,127.0.0.1", TRUE);
  el = make_tts (emu->uri);
  g_object_set (el, "ssl-ca-file", ca, NULL);
  t = t_new (el);
  expect_speech (t);
  t_free (t);
  fail_unless_equals_int (test_proxy_tunnels (proxy), 1);

  clear_proxy_env ();
  test_proxy_free (proxy);
  g_free (proxy_uri);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ws:// takes http_proxy */
GST_START_TEST (test_proxy_environment_plain_ws)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  TestProxy *proxy = test_proxy_new (TEST_PROXY_TUNNEL);
  GstElement *el = make_tts (emu->uri);
  gchar *proxy_uri = test_proxy_uri (proxy);
  gchar *get = g_strdup_printf ("GET %s ", emu->uri);
  T *t;

  g_setenv ("http_proxy", proxy_uri, TRUE);
  t = t_new (el);
  expect_speech (t);
  fail_unless (proxy_was_asked (proxy, get), "the proxy saw no %s", get);
  t_free (t);
  clear_proxy_env ();
  test_proxy_free (proxy);
  g_free (get);
  g_free (proxy_uri);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* proxy=direct:// ignores the environment's (here dead) proxy */
GST_START_TEST (test_proxy_direct)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  GstElement *el = make_tts (emu->uri);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  gchar *dead = unused_proxy_uri ();
  T *t;

  g_setenv ("https_proxy", dead, TRUE);
  g_object_set (el, "ssl-ca-file", ca, "proxy", "direct://", NULL);
  t = t_new (el);
  expect_speech (t);
  t_free (t);
  clear_proxy_env ();
  g_free (dead);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* a proxy that refuses the tunnel: its answer, not the server's */
GST_START_TEST (test_proxy_refuses)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  TestProxy *proxy = test_proxy_new (TEST_PROXY_REFUSE);
  GstElement *el = make_tts (emu->uri);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  gchar *proxy_uri = test_proxy_uri (proxy);
  gchar *target = g_strdup_printf ("127.0.0.1:%u", emu->port);
  const gchar *words[] = { "Could not reach", "the proxy", proxy_uri,
    "refused to open a tunnel", target, "403", NULL
  };
  T *t;

  g_object_set (el, "ssl-ca-file", ca, "proxy", proxy_uri, NULL);
  t = t_new (el);
  expect_error (t, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, words);
  t_free (t);
  test_proxy_free (proxy);
  g_free (target);
  g_free (proxy_uri);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* nothing listens where the proxy should be */
GST_START_TEST (test_proxy_unreachable)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  GstElement *el = make_tts (emu->uri);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  gchar *dead = unused_proxy_uri ();
  const gchar *words[] = { "Could not reach", "through the proxy", dead,
    NULL
  };
  T *t;

  g_object_set (el, "ssl-ca-file", ca, "proxy", dead, NULL);
  t = t_new (el);
  expect_error (t, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, words);
  t_free (t);
  g_free (dead);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* a proxy that wants credentials: they go in the URI, and the password
 * is never shown back */
GST_START_TEST (test_proxy_credentials)
{
  InworldEmulator *emu = inworld_emulator_start_tls ("test-server", NULL);
  TestProxy *proxy = test_proxy_new (TEST_PROXY_AUTH);
  gchar *ca = inworld_test_cert ("test-ca.pem");
  gchar *proxy_uri = test_proxy_uri (proxy);
  gchar *wrong = g_strdup_printf ("http://" TEST_PROXY_USER
      ":wrong-password@127.0.0.1:%u", test_proxy_port (proxy));
  gchar *shown = g_strdup_printf ("http://" TEST_PROXY_USER "@127.0.0.1:%u",
      test_proxy_port (proxy));
  gchar *right = g_strdup_printf ("http://" TEST_PROXY_USER ":"
      TEST_PROXY_PASSWORD "@127.0.0.1:%u", test_proxy_port (proxy));
  const gchar *words[] = { "the proxy", proxy_uri, "407", "credentials",
    "http://user:password@host:port", NULL
  };
  const gchar *wrong_words[] = { "the proxy", shown, "407", NULL };
  GstElement *el;
  T *t;

  el = make_tts (emu->uri);
  g_object_set (el, "ssl-ca-file", ca, "proxy", proxy_uri, NULL);
  t = t_new (el);
  expect_error (t, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, words);
  t_free (t);

  el = make_tts (emu->uri);
  g_object_set (el, "ssl-ca-file", ca, "proxy", wrong, NULL);
  t = t_new (el);
  expect_error (t, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
      wrong_words);
  {
    gchar *error = first_problem (t, GST_MESSAGE_ERROR, NULL, NULL);

    fail_if (strstr (error, "wrong-password") != NULL, "%s", error);
    g_free (error);
  }
  t_free (t);
  fail_unless_equals_int (test_proxy_tunnels (proxy), 0);

  el = make_tts (emu->uri);
  g_object_set (el, "ssl-ca-file", ca, "proxy", right, NULL);
  t = t_new (el);
  expect_speech (t);
  t_free (t);
  fail_unless_equals_int (test_proxy_tunnels (proxy), 1);

  test_proxy_free (proxy);
  g_free (right);
  g_free (shown);
  g_free (wrong);
  g_free (proxy_uri);
  g_free (ca);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* proxies GIO cannot use fail the state change at once */
GST_START_TEST (test_proxy_invalid)
{
  const gchar *ftp_words[] = { "proxy", "ftp://proxy.example:21",
    "unsupported scheme", "http://", "socks5://", NULL
  };
  const gchar *no_host_words[] = { "proxy", "names no host", NULL };
  const gchar *path_words[] = { "proxy", "has a path", NULL };
  const gchar *secret_words[] = { "proxy", "ftp://bob@proxy.example:21",
    "unsupported scheme", NULL
  };
  GstElement *el;

  el = make_tts ("wss://127.0.0.1:9/x");
  g_object_set (el, "proxy", "ftp://proxy.example:21", NULL);
  expect_state_change_error (el, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, ftp_words);

  /* the password is not repeated in the message */
  el = make_tts ("wss://127.0.0.1:9/x");
  g_object_set (el, "proxy", "ftp://bob:hunter2@proxy.example:21", NULL);
  expect_state_change_error (el, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, secret_words);

  el = make_tts ("wss://127.0.0.1:9/x");
  g_object_set (el, "proxy", "http://", NULL);
  expect_state_change_error (el, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, no_host_words);

  el = make_tts ("wss://127.0.0.1:9/x");
  g_object_set (el, "proxy", "http://proxy.example:3128/some/path", NULL);
  expect_state_change_error (el, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, path_words);
}

GST_END_TEST;

static Suite *
network_suite (void)
{
  Suite *s = suite_create ("network");
  TCase *tls = tcase_create ("tls");
  TCase *proxy = tcase_create ("proxy");

  suite_add_tcase (s, tls);
  tcase_add_test (tls, test_defaults);
  tcase_add_test (tls, test_ca_file);
  tcase_add_test (tls, test_ca_file_relative);
  tcase_add_test (tls, test_strict_unknown_ca);
  tcase_add_test (tls, test_wrong_ca);
  tcase_add_test (tls, test_bad_identity);
  tcase_add_test (tls, test_not_strict);
  tcase_add_test (tls, test_ca_file_missing);
  tcase_add_test (tls, test_ca_file_not_pem);

  suite_add_tcase (s, proxy);
  tcase_add_test (proxy, test_proxy_property);
  tcase_add_test (proxy, test_proxy_socks5);
  tcase_add_test (proxy, test_proxy_without_scheme);
  tcase_add_test (proxy, test_proxy_plain_ws);
  tcase_add_test (proxy, test_proxy_environment);
  tcase_add_test (proxy, test_proxy_environment_no_proxy);
  tcase_add_test (proxy, test_proxy_environment_plain_ws);
  tcase_add_test (proxy, test_proxy_direct);
  tcase_add_test (proxy, test_proxy_refuses);
  tcase_add_test (proxy, test_proxy_unreachable);
  tcase_add_test (proxy, test_proxy_credentials);
  tcase_add_test (proxy, test_proxy_invalid);
  return s;
}

int
main (int argc, char **argv)
{
  /* before any thread: the tests set these themselves */
  clear_proxy_env ();
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (network_suite (), "network", __FILE__);
}
