/* inworld-tts-emulator: a local stand-in for Inworld's streaming TTS
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Command line, server socket and main loop. The protocols live in
 * emu-inworld.c and emu-slng.c (same server, same port), samples in emu-audio.c, wire encodings in emu-encode.c
 * (compressed ones through GStreamer, emu-gst-encode.c).
 * See docs/emulator.md. */

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <libsoup/soup.h>

#include "emu-encode.h"
#include "emu-gst-encode.h"
#include "emu-hostile.h"
#include "emu-inworld.h"
#include "emu-options.h"
#include "emu-slng.h"

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_inject (const gchar * spec, EmuOptions * opts)
{
  gchar **parts = g_strsplit (spec, ":", -1);
  guint n = g_strv_length (parts);
  gchar *end = NULL;
  gboolean ok = n == 2 || n == 3;

  if (ok && g_str_equal (parts[0], "create"))
    opts->inject_when = EMU_INJECT_CREATE;
  else if (ok && g_str_equal (parts[0], "top"))
    opts->inject_when = EMU_INJECT_TOP;
  else
    ok = FALSE;
  if (ok) {
    opts->inject_code = (gint) g_ascii_strtoll (parts[1], &end, 10);
    ok = end && *end == '\0' && opts->inject_code > 0;
  }
  opts->inject_count = 1;
  if (ok && n == 3) {
    opts->inject_count = (guint) g_ascii_strtoull (parts[2], &end, 10);
    ok = end && *end == '\0' && opts->inject_count > 0;
  }
  g_strfreev (parts);
  return ok;
}

gboolean
emu_options_take_drop (const EmuOptions * opts)
{
  static guint drops;

  if (opts->drop_connections && drops >= opts->drop_connections)
    return FALSE;
  drops++;
  return TRUE;
}

guint
emu_options_take_refusal (const EmuOptions * opts)
{
  static guint refusals;

  if (opts->refuse_status == 0
      || (opts->refuse_count && refusals >= opts->refuse_count))
    return 0;
  refusals++;
  return opts->refuse_status;
}

void
emu_reset_connection (GSocket * socket, GIOStream * io)
{
  struct linger linger = { 1, 0 };

  if (socket)
    setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER, &linger,
        sizeof linger);
  g_io_stream_close (io, NULL, NULL);
}

static gboolean
parse_refusal (const gchar * spec, EmuOptions * opts)
{
  gchar **parts = g_strsplit (spec, ":", -1);
  guint n = g_strv_length (parts);
  guint64 status = 0, count = 0;
  gboolean ok = (n == 1 || n == 2)
      && g_ascii_string_to_unsigned (parts[0], 10, 200, 599, &status, NULL)
      && status != 101;

  if (ok && n == 2)
    ok = g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT, &count,
        NULL);
  opts->refuse_status = ok ? (guint) status : 0;
  opts->refuse_count = ok ? (guint) count : 0;
  g_strfreev (parts);
  return ok;
}

void
emu_options_log (const EmuOptions * opts, const gchar * text)
{
  if (opts->log_times)
    g_printerr ("%" G_GINT64_FORMAT " inworld-tts-emulator: %s\n",
        g_get_monotonic_time () / 1000, text);
  else
    g_printerr ("inworld-tts-emulator: %s\n", text);
}

int
main (int argc, char **argv)
{
  gint port = 0;
  gchar *api_key = NULL, *audio = NULL;
  gdouble speed = 20.0;
  gint first_audio_delay = 0, drop_after_chunks = 0, max_contexts = 5;
  gint drop_connections = 0;
  gchar *inject_error = NULL, *refuse_upgrade = NULL;
  gboolean reset_after_first_frame = FALSE;
  gint inactivity_timeout = 600;
  gboolean early_context_closed = FALSE, garbage_frames = FALSE;
  gboolean verbose = FALSE, log_times = FALSE;
  gint alignment_delay = 100, force_max_buffer_delay = -1;
  gint force_buffer_char_threshold = 0;
  gchar *alignment = NULL;
  gboolean pcm_wav_header = FALSE;
  gboolean slng_reorder = FALSE, slng_sequence_per_flush = FALSE;
  gboolean slng_close_after_audio_end = FALSE;
  gchar *hostile = NULL;
  gdouble chunk_seconds = 0;
  gchar *tls_cert = NULL, *tls_key = NULL;
  GTlsCertificate *certificate = NULL;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "TCP port on 127.0.0.1; 0 picks a free one (default 0)", "PORT"},
    {"api-key", 'k', 0, G_OPTION_ARG_STRING, &api_key,
          "Accepted credential (default: $INWORLD_API_KEY; if neither is set, "
          "any non-empty credential)", "KEY"},
    {"audio", 'a', 0, G_OPTION_ARG_STRING, &audio,
          "Audio source: test-signal, speech (espeak-ng) or sine (default: "
          "speech if espeak-ng is installed, else sine)", "SOURCE"},
    {"speed", 's', 0, G_OPTION_ARG_DOUBLE, &speed,
          "Send audio at X times real time; 0 = as fast as possible "
          "(default 20)", "X"},
    {"first-audio-delay", 0, 0, G_OPTION_ARG_INT, &first_audio_delay,
          "Delay the first audio chunk of every synthesis by MS ms (wall "
          "clock, not scaled by --speed)", "MS"},
    {"drop-after-chunks", 0, 0, G_OPTION_ARG_INT, &drop_after_chunks,
          "Drop the TCP connection (no close frame) after N audio chunks on "
          "it", "N"},
    {"drop-connections", 0, 0, G_OPTION_ARG_INT, &drop_connections,
          "With --drop-after-chunks: drop only the first N connections that "
          "reach it (default 0: all)", "N"},
    {"refuse-upgrade", 0, 0, G_OPTION_ARG_STRING, &refuse_upgrade,
          "Answer the WebSocket upgrade with HTTP STATUS (e.g. 503, 429) "
          "instead of 101, on both routes: the first COUNT upgrades, or "
          "every one without COUNT", "STATUS[:COUNT]"},
    {"reset-after-first-frame", 0, 0, G_OPTION_ARG_NONE,
          &reset_after_first_frame,
          "Reset the TCP connection (RST, no close frame) as soon as the "
          "first frame of each connection was read, on both routes", NULL},
    {"inject-error", 0, 0, G_OPTION_ARG_STRING, &inject_error,
          "Send error CODE COUNT times (default 1): WHEN=create answers a "
          "create with it (in-context, no context made); WHEN=top sends it "
          "top-level after a connection's first audio chunk, then closes "
          "(1000) for 7 and 16, keeps going for 3, drops the connection "
          "for any other code", "WHEN:CODE[:COUNT]"},
    {"early-context-closed", 0, 0, G_OPTION_ARG_NONE, &early_context_closed,
        "Answer close_context with contextClosed before the audio", NULL},
    {"garbage-frames", 0, 0, G_OPTION_ARG_NONE, &garbage_frames,
          "Send a non-JSON text frame and a binary frame before each "
          "contextCreated (SLNG: after each init)", NULL},
    {"hostile", 0, 0, G_OPTION_ARG_STRING, &hostile,
          "Fault: inject bad frames of these kinds into every synthesis: "
          "garbage, truncated, huge, big-chunk, bad-base64, wrong-types, "
          "unknown-context, binary, after-close, or all (all but huge); "
          "comma-separated", "KIND[,KIND...]"},
    {"chunk-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &chunk_seconds,
          "Cut audio into chunks of S seconds (the first one too) instead "
          "of the service's 0.2 s then 0.5 s", "S"},
    {"max-contexts", 0, 0, G_OPTION_ARG_INT, &max_contexts,
        "Open contexts allowed per connection (default 5; 0 refuses every create with code 8)", "N"},
    {"inactivity-timeout", 0, 0, G_OPTION_ARG_INT, &inactivity_timeout,
          "Drop a connection idle for S seconds; 0 = never (default 600)",
        "S"},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
          "Serve wss:// (TLS) with this PEM certificate (chain); needs "
          "--tls-key", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
        "PEM private key of --tls-cert", "FILE"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
        "Log every frame in and out on stderr", NULL},
    {"log-times", 0, 0, G_OPTION_ARG_NONE, &log_times,
          "Start every log line with the monotonic clock in milliseconds",
        NULL},
    {"alignment-delay", 0, 0, G_OPTION_ARG_INT, &alignment_delay,
          "With SYNC timestamps, delay the first audio of every synthesis "
          "by MS ms more (default 100)", "MS"},
    {"alignment", 0, 0, G_OPTION_ARG_STRING, &alignment,
          "WORD timestamps list words (runs of non-space, the default) or "
          "tokens (words, punctuation and whitespace)", "words|tokens"},
    {"pcm-wav-header", 0, 0, G_OPTION_ARG_NONE, &pcm_wav_header,
          "Start every PCM chunk with a 44-byte WAV header, as LINEAR16",
        NULL},
    {"force-max-buffer-delay", 0, 0, G_OPTION_ARG_INT,
          &force_max_buffer_delay,
          "Use this maxBufferDelayMs whatever the client asked for", "MS"},
    {"force-buffer-char-threshold", 0, 0, G_OPTION_ARG_INT,
          &force_buffer_char_threshold,
          "Use this bufferCharThreshold whatever the client asked for",
        "N"},
    {"slng-reorder", 0, 0, G_OPTION_ARG_NONE, &slng_reorder,
          "SLNG: send two audio_chunks of a flush out of sequence order, "
          "once per connection", NULL},
    {"slng-sequence-per-flush", 0, 0, G_OPTION_ARG_NONE,
          &slng_sequence_per_flush,
          "SLNG: restart audio_chunk sequence numbers at 1 every synthesis "
          "(default: one count per connection)", NULL},
    {"slng-close-after-audio-end", 0, 0, G_OPTION_ARG_NONE,
          &slng_close_after_audio_end,
          "SLNG: close the socket (1000) right after each audio_end", NULL},
    {NULL}
  };
  GOptionContext *octx;
  GError *error = NULL;
  EmuOptions opts = { 0 };
  SoupServer *server;
  EmuInworldRoute *route;
  EmuSlngRoute *slng_route;
  GSList *uris;
  GMainLoop *loop;
  guint sigint, sigterm;

  octx = g_option_context_new ("- local emulator of Inworld's streaming TTS "
      "WebSocket API");
  g_option_context_set_description (octx, "Serves ws://127.0.0.1:PORT"
      EMU_INWORLD_PATH " (Inworld) and ws://127.0.0.1:PORT" EMU_SLNG_PATH
      " (SLNG), or wss:// with --tls-cert and --tls-key. The first line "
      "on stdout is \"listening PORT\".\n"
      "See docs/emulator.md.");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error)) {
    g_printerr ("inworld-tts-emulator: %s\n", error->message);
    return 2;
  }
  g_option_context_free (octx);

  /* from here on, log lines go through emu_options_log () */
  opts.log_times = log_times;

  /* GStreamer's encoders make MP3, OGG_OPUS, FLAC, ALAW and MULAW */
  gst_init (NULL, NULL);
  {
    gchar *missing = emu_gst_encode_missing_elements ();

    if (missing) {
      gchar *line = g_strdup_printf ("warning: GStreamer elements missing "
          "(%s): the compressed encodings will fail; install "
          "gstreamer1.0-plugins-base and -good (tools/setup.sh)", missing);

      emu_options_log (&opts, line);
      g_free (line);
    }
    g_free (missing);
  }

  if (port < 0 || port > 65535 || speed < 0 || first_audio_delay < 0
      || drop_after_chunks < 0 || drop_connections < 0 || max_contexts < 0
      || inactivity_timeout < 0 || alignment_delay < 0
      || force_max_buffer_delay < -1 || force_buffer_char_threshold < 0) {
    g_printerr ("inworld-tts-emulator: invalid option value (see --help)\n");
    return 2;
  }

  if (audio) {
    if (!emu_audio_source_from_string (audio, &opts.audio)) {
      g_printerr ("inworld-tts-emulator: unknown --audio %s (test-signal, "
          "speech or sine)\n", audio);
      return 2;
    }
  } else {
    opts.audio = emu_audio_speech_available ()? EMU_AUDIO_SPEECH :
        EMU_AUDIO_SINE;
  }
  if (opts.audio == EMU_AUDIO_SPEECH && !emu_audio_speech_available ()) {
    emu_options_log (&opts, "warning: espeak-ng not found, using --audio "
        "sine");
    opts.audio = EMU_AUDIO_SINE;
  }

  opts.api_key = api_key ? api_key : g_strdup (g_getenv ("INWORLD_API_KEY"));
  if (opts.api_key && *opts.api_key == '\0')
    g_clear_pointer (&opts.api_key, g_free);
  opts.speed = speed;
  opts.first_audio_delay_ms = first_audio_delay;
  opts.drop_after_chunks = drop_after_chunks;
  opts.drop_connections = drop_connections;
  if (inject_error && !parse_inject (inject_error, &opts)) {
    g_printerr ("inworld-tts-emulator: --inject-error=%s: expected "
        "create:CODE[:COUNT] or top:CODE[:COUNT]\n", inject_error);
    return 2;
  }
  if (refuse_upgrade && !parse_refusal (refuse_upgrade, &opts)) {
    g_printerr ("inworld-tts-emulator: --refuse-upgrade=%s: expected "
        "STATUS[:COUNT], STATUS 200-599 but 101, COUNT > 0\n",
        refuse_upgrade);
    return 2;
  }
  opts.reset_after_first_frame = reset_after_first_frame;
  opts.early_context_closed = early_context_closed;
  opts.garbage_frames = garbage_frames;
  opts.max_contexts = max_contexts;
  opts.inactivity_timeout_s = inactivity_timeout;
  opts.verbose = verbose;
  opts.alignment_delay_ms = alignment_delay;
  if (alignment && !g_str_equal (alignment, "words")
      && !g_str_equal (alignment, "tokens")) {
    g_printerr ("inworld-tts-emulator: unknown --alignment %s (words or "
        "tokens)\n", alignment);
    return 2;
  }
  opts.align_tokens = alignment && g_str_equal (alignment, "tokens");
  opts.force_max_buffer_delay_ms = force_max_buffer_delay;
  opts.force_buffer_char_threshold = force_buffer_char_threshold;
  emu_encode_set_pcm_wav_header (pcm_wav_header);
  opts.slng_reorder = slng_reorder;
  opts.slng_sequence_per_flush = slng_sequence_per_flush;
  opts.slng_close_after_audio_end = slng_close_after_audio_end;
  if (hostile && !emu_hostile_parse (hostile, &opts.hostile, &error)) {
    g_printerr ("inworld-tts-emulator: %s\n", error->message);
    return 2;
  }
  if (chunk_seconds < 0 || chunk_seconds > 3600) {
    g_printerr ("inworld-tts-emulator: --chunk-seconds must be between 0 "
        "and 3600\n");
    return 2;
  }
  if (chunk_seconds > 0)
    emu_encode_set_chunk_ms ((guint64) (chunk_seconds * 1000 + 0.5));
  else if (opts.hostile & EMU_HOSTILE_BIG_CHUNK)
    emu_encode_set_chunk_ms (EMU_CHUNK_WHOLE_FLUSH);

  if (!tls_cert != !tls_key) {
    g_printerr ("inworld-tts-emulator: --tls-cert and --tls-key go "
        "together\n");
    return 2;
  }
  if (tls_cert) {
    certificate = g_tls_certificate_new_from_files (tls_cert, tls_key, &error);
    if (certificate == NULL) {
      g_printerr ("inworld-tts-emulator: cannot load the TLS certificate %s "
          "and key %s: %s\n", tls_cert, tls_key, error->message);
      return 2;
    }
  }

  server = soup_server_new ("server-header", "inworld-tts-emulator",
      "tls-certificate", certificate, NULL);
  /* the service offers no permessage-deflate */
  soup_server_remove_websocket_extension (server,
      SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  route = emu_inworld_route_new (server, &opts);
  slng_route = emu_slng_route_new (server, &opts);

  if (!soup_server_listen_local (server, port, SOUP_SERVER_LISTEN_IPV4_ONLY
          | (certificate ? SOUP_SERVER_LISTEN_HTTPS : 0), &error)) {
    g_printerr ("inworld-tts-emulator: cannot listen on port %d: %s\n", port,
        error->message);
    return 1;
  }
  uris = soup_server_get_uris (server);
  port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  printf ("listening %d\n", port);
  fflush (stdout);
  {
    gchar *line = g_strdup_printf ("%s://127.0.0.1:%d%s and %s, audio %s, "
        "speed %g, %s", certificate ? "wss" : "ws", port, EMU_INWORLD_PATH,
        EMU_SLNG_PATH, emu_audio_source_to_string (opts.audio), opts.speed,
        opts.api_key ? "API key required" : "any API key accepted");

    emu_options_log (&opts, line);
    g_free (line);
  }

  loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  emu_inworld_route_free (route);
  emu_slng_route_free (slng_route);
  soup_server_disconnect (server);
  g_object_unref (server);
  g_main_loop_unref (loop);
  g_free (opts.api_key);
  g_free (audio);
  g_free (hostile);
  g_free (alignment);
  g_free (refuse_upgrade);
  g_clear_object (&certificate);
  g_free (tls_cert);
  g_free (tls_key);
  return 0;
}
