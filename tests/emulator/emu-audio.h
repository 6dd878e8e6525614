/* inworld-tts-emulator: audio generation (text -> S16 samples)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Produces mono native-endian S16 samples for one flush of text, knowing
 * nothing about encodings or protocols. Every function here is thread-safe
 * (emu_audio_generate () runs in worker threads). */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  EMU_AUDIO_TEST_SIGNAL,        /* inworld-test-signal.h, sample exact */
  EMU_AUDIO_SPEECH,             /* espeak-ng, resampled */
  EMU_AUDIO_SINE,               /* 440 Hz, 60 ms per character */
} EmuAudioSource;

#define EMU_SINE_FREQUENCY 440.0
#define EMU_SINE_MS_PER_CHAR 60

gboolean emu_audio_source_from_string (const gchar * name,
    EmuAudioSource * out);
const gchar *emu_audio_source_to_string (EmuAudioSource source);

/* TRUE when espeak-ng is on PATH. */
gboolean emu_audio_speech_available (void);

/* Samples for @text at @rate Hz. @speaking_rate (0.5-1.5, 1 = normal)
 * stretches speech and sine, not the test signal (whose length is fixed by
 * its definition). @language (BCP-47, may be NULL) picks the espeak-ng
 * voice. Never fails: speech falls back to sine with a warning. Returns a
 * g_malloc'ed array of *@n_samples samples (NULL when there are none). */
gint16 *emu_audio_generate (EmuAudioSource source, const gchar * text,
    gint rate, gdouble speaking_rate, const gchar * language,
    gsize * n_samples);

/* One aligned unit (word or character) of a flush's text. */
typedef struct
{
  gchar *text;
  gdouble start;                /* seconds from the start of the flush */
  gdouble end;
} EmuAlignItem;

/* Spread @duration seconds evenly over the Unicode characters of @text
 * (character i spans [i, i+1] * duration / n_chars) and return the
 * characters (EMU_ALIGN_CHARACTERS), the whitespace-separated words
 * (EMU_ALIGN_WORDS) or every token (EMU_ALIGN_TOKENS: words, each
 * punctuation mark or symbol, and each run of whitespace, in order, so
 * that they add up to the text) with their times. For the test signal
 * this is exact. */
typedef enum
{
  EMU_ALIGN_WORDS,
  EMU_ALIGN_CHARACTERS,
  EMU_ALIGN_TOKENS,
} EmuAlignMode;

GArray *emu_audio_align (const gchar * text, gdouble duration,
    EmuAlignMode mode);

G_END_DECLS
