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

#include <glib-unix.h>
#include <gst/gst.h>
#include <libsoup/soup.h>

#include "emu-gst-encode.h"
#include "emu-inworld.h"
#include "emu-options.h"
#include "emu-slng.h"

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gint port = 0;
  gchar *api_key = NULL, *audio = NULL;
  gdouble speed = 20.0;
  gint first_audio_delay = 0, drop_after_chunks = 0, max_contexts = 5;
  gint inactivity_timeout = 600;
  gboolean early_context_closed = FALSE, garbage_frames = FALSE;
  gboolean verbose = FALSE;
  gboolean slng_reorder = FALSE, slng_sequence_per_flush = FALSE;
  gboolean slng_close_after_audio_end = FALSE;
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
        "Delay the first audio chunk of every flush by MS ms", "MS"},
    {"drop-after-chunks", 0, 0, G_OPTION_ARG_INT, &drop_after_chunks,
          "Drop the TCP connection (no close frame) after N audio chunks on "
          "it", "N"},
    {"early-context-closed", 0, 0, G_OPTION_ARG_NONE, &early_context_closed,
        "Answer close_context with contextClosed before the audio", NULL},
    {"garbage-frames", 0, 0, G_OPTION_ARG_NONE, &garbage_frames,
          "Send a non-JSON text frame and a binary frame before each "
          "contextCreated (SLNG: after each init)", NULL},
    {"max-contexts", 0, 0, G_OPTION_ARG_INT, &max_contexts,
        "Open contexts allowed per connection (default 5; 0 refuses every create with code 8)", "N"},
    {"inactivity-timeout", 0, 0, G_OPTION_ARG_INT, &inactivity_timeout,
          "Drop a connection idle for S seconds; 0 = never (default 600)",
        "S"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
        "Log every frame in and out on stderr", NULL},
    {"slng-reorder", 0, 0, G_OPTION_ARG_NONE, &slng_reorder,
          "SLNG: send two audio_chunks of a flush out of sequence order, "
          "once per connection", NULL},
    {"slng-sequence-per-flush", 0, 0, G_OPTION_ARG_NONE,
          &slng_sequence_per_flush,
          "SLNG: restart audio_chunk sequence numbers at 1 every flush "
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
      " (SLNG). The first line on stdout is \"listening PORT\".\n"
      "See docs/emulator.md.");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error)) {
    g_printerr ("inworld-tts-emulator: %s\n", error->message);
    return 2;
  }
  g_option_context_free (octx);

  /* GStreamer's encoders make MP3, OGG_OPUS, FLAC, ALAW and MULAW */
  gst_init (NULL, NULL);
  {
    gchar *missing = emu_gst_encode_missing_elements ();

    if (missing)
      g_printerr ("inworld-tts-emulator: warning: GStreamer elements "
          "missing (%s): the compressed encodings will fail; install "
          "gstreamer1.0-plugins-base and -good (tools/setup.sh)\n", missing);
    g_free (missing);
  }

  if (port < 0 || port > 65535 || speed < 0 || first_audio_delay < 0
      || drop_after_chunks < 0 || max_contexts < 0 || inactivity_timeout < 0) {
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
    g_printerr ("inworld-tts-emulator: warning: espeak-ng not found, using "
        "--audio sine\n");
    opts.audio = EMU_AUDIO_SINE;
  }

  opts.api_key = api_key ? api_key : g_strdup (g_getenv ("INWORLD_API_KEY"));
  if (opts.api_key && *opts.api_key == '\0')
    g_clear_pointer (&opts.api_key, g_free);
  opts.speed = speed;
  opts.first_audio_delay_ms = first_audio_delay;
  opts.drop_after_chunks = drop_after_chunks;
  opts.early_context_closed = early_context_closed;
  opts.garbage_frames = garbage_frames;
  opts.max_contexts = max_contexts;
  opts.inactivity_timeout_s = inactivity_timeout;
  opts.verbose = verbose;
  opts.slng_reorder = slng_reorder;
  opts.slng_sequence_per_flush = slng_sequence_per_flush;
  opts.slng_close_after_audio_end = slng_close_after_audio_end;

  server = soup_server_new ("server-header", "inworld-tts-emulator", NULL);
  /* the service offers no permessage-deflate */
  soup_server_remove_websocket_extension (server,
      SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  route = emu_inworld_route_new (server, &opts);
  slng_route = emu_slng_route_new (server, &opts);

  if (!soup_server_listen_local (server, port, SOUP_SERVER_LISTEN_IPV4_ONLY,
          &error)) {
    g_printerr ("inworld-tts-emulator: cannot listen on port %d: %s\n", port,
        error->message);
    return 1;
  }
  uris = soup_server_get_uris (server);
  port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  printf ("listening %d\n", port);
  fflush (stdout);
  g_printerr ("inworld-tts-emulator: ws://127.0.0.1:%d%s and %s, audio %s, "
      "speed %g, %s\n", port, EMU_INWORLD_PATH, EMU_SLNG_PATH,
      emu_audio_source_to_string (opts.audio),
      opts.speed, opts.api_key ? "API key required" : "any API key accepted");

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
  return 0;
}
