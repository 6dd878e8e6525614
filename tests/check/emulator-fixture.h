/* Starts the project's emulator (tests/emulator) for a test.
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TEST_API_KEY "dGVzdC1rZXk6dGVzdC1zZWNyZXQ="

typedef struct
{
  GSubprocess *process;
  guint port;
  gchar *uri;                   /* ws://127.0.0.1:<port>/tts/v1/voice:streamBidirectional
                                 * (wss:// from inworld_emulator_start_tls) */
  struct _InworldEmulatorLog *log;      /* inworld_emulator_start_logged () */
} InworldEmulator;

/* Runs $INWORLD_TTS_EMULATOR --port 0 --api-key TEST_API_KEY
 * --audio test-signal --speed 50, then the NULL-terminated extra
 * arguments (later options win), and waits for its "listening" line. */
InworldEmulator *inworld_emulator_start (const gchar * first_arg, ...);
void inworld_emulator_stop (InworldEmulator * emulator);

/* As inworld_emulator_start (), with --verbose: the emulator logs every
 * frame in ("<- ") and out ("-> "), cut at 300 bytes, on stderr, and a
 * thread keeps those lines for inworld_emulator_log_lines (). */
InworldEmulator *inworld_emulator_start_logged (const gchar * first_arg, ...);

/* As inworld_emulator_start (), serving wss:// with the certificate
 * @certificate.pem and its key @certificate-key.pem of inworld_test_cert ()
 * ("test-server": signed by test-ca.pem, for 127.0.0.1 and localhost);
 * emu->uri is wss://127.0.0.1:<port>/tts/v1/voice:streamBidirectional. */
InworldEmulator *inworld_emulator_start_tls (const gchar * certificate,
    const gchar * first_arg, ...);

/* The path of @name in $INWORLD_TEST_CERTS, the certificates made by
 * tests/check/make-test-certs.sh at build time (g_free). */
gchar *inworld_test_cert (const gchar * name);

/* The lines logged so far that contain every one of the NULL-terminated
 * @first_needle, ... (g_strfreev); an empty array when none does. */
gchar **inworld_emulator_log_lines (InworldEmulator * emulator,
    const gchar * first_needle, ...) G_GNUC_NULL_TERMINATED;

/* The emulator's SLNG route (Inworld Max 1.5 hosted by SLNG),
 * ws://127.0.0.1:<port>/v1/tts/slng/inworld/max:1.5, wss:// for a TLS
 * emulator (g_free). */
gchar *inworld_emulator_slng_uri (InworldEmulator * emulator);

/* A ws:// URI on which nothing listens. */
gchar *inworld_emulator_unused_uri (void);

G_END_DECLS
