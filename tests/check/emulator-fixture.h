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
  gchar *uri;                   /* ws://127.0.0.1:<port>/tts/v1/voice:streamBidirectional */
} InworldEmulator;

/* Runs $INWORLD_TTS_EMULATOR --port 0 --api-key TEST_API_KEY
 * --audio test-signal --speed 50, then the NULL-terminated extra
 * arguments (later options win), and waits for its "listening" line. */
InworldEmulator *inworld_emulator_start (const gchar * first_arg, ...);
void inworld_emulator_stop (InworldEmulator * emulator);

/* A ws:// URI on which nothing listens. */
gchar *inworld_emulator_unused_uri (void);

G_END_DECLS
