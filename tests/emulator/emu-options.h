/* inworld-tts-emulator: command-line options shared by every route
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <glib.h>

#include "emu-audio.h"

G_BEGIN_DECLS

/* Everything the command line controls. Filled once by main () and only
 * read afterwards. */
typedef struct
{
  EmuAudioSource audio;         /* how samples are produced */
  gchar *api_key;               /* accepted credential; NULL = any non-empty */
  gdouble speed;                /* pacing, times real time; 0 = no pacing */
  guint first_audio_delay_ms;   /* extra delay before each flush's first chunk */
  guint drop_after_chunks;      /* 0 = never drop */
  gboolean early_context_closed;
  gboolean garbage_frames;
  guint max_contexts;
  guint inactivity_timeout_s;   /* 0 = never */
  gboolean verbose;
  /* SLNG route (emu-slng.c) */
  gboolean slng_reorder;        /* swap two audio_chunks once per socket */
  gboolean slng_sequence_per_flush;     /* sequence restarts at 1 per flush */
  gboolean slng_close_after_audio_end;  /* close 1000 after each audio_end */
} EmuOptions;

G_END_DECLS
