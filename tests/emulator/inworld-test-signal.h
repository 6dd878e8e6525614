/* The emulator's deterministic test signal (--audio=test-signal).
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Shared by the emulator (which generates it) and the tests (which check
 * every sample the element outputs against it).
 *
 * For one flush of text T (Unicode characters C = g_utf8_strlen (T)) at
 * sample rate R, the emulator produces exactly
 *     n = C * R / 100            (10 ms of audio per character)
 * mono S16LE samples, sample i (0-based, restarting at every flush) being
 *     (gint16) (guint16) (seed (T) + i * 257)
 * where seed (T) is the sum of T's bytes modulo 65536. Different texts give
 * different signals, so a dropped, repeated or reordered chunk or flush
 * shows as a wrong sample. */

#pragma once

#include <glib.h>

#define INWORLD_TEST_SIGNAL_MS_PER_CHAR 10

static inline guint64
inworld_test_signal_n_samples (const gchar * text, gint rate)
{
  return (guint64) g_utf8_strlen (text, -1) * (guint64) rate
      * INWORLD_TEST_SIGNAL_MS_PER_CHAR / 1000;
}

static inline guint16
inworld_test_signal_seed (const gchar * text)
{
  guint32 sum = 0;
  for (const guchar * p = (const guchar *) text; *p; p++)
    sum += *p;
  return (guint16) (sum & 0xffff);
}

static inline gint16
inworld_test_signal_sample (guint16 seed, guint64 i)
{
  return (gint16) (guint16) ((seed + i * 257) & 0xffff);
}
