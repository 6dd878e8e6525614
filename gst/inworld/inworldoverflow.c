/* inworldttssrc: the sample arithmetic of the overflow policies
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "inworldoverflow.h"

#include <math.h>

const gchar *
inworld_overflow_result_name (InworldOverflowResult result)
{
  switch (result) {
    case INWORLD_OVERFLOW_NONE:
      return "none";
    case INWORLD_OVERFLOW_SHIFTED:
      return "shifted";
    case INWORLD_OVERFLOW_CLIPPED:
      return "clipped";
    case INWORLD_OVERFLOW_OVERLAPPED:
      return "overlapped";
    case INWORLD_OVERFLOW_FITTED:
      return "fitted";
    case INWORLD_OVERFLOW_FITTED_CLIPPED:
      return "fitted-clipped";
  }
  g_return_val_if_reached ("none");
}

guint
inworld_overflow_fade_samples (gint rate)
{
  return (guint) ((gint64) MAX (rate, 0) * INWORLD_OVERFLOW_FADE_MS / 1000);
}

void
inworld_overflow_fade_out (gint16 * samples, gsize n)
{
  /* integer arithmetic: the same result on every machine, which the
   * tests check to the sample */
  for (gsize i = 0; i < n; i++)
    samples[i] = (gint16) ((gint64) samples[i] * (gint64) (n - 1 - i)
        / (gint64) n);
}

void
inworld_overflow_mix (gint16 * dst, const gint16 * src, gsize n)
{
  for (gsize i = 0; i < n; i++)
    dst[i] = (gint16) CLAMP ((gint32) dst[i] + (gint32) src[i], G_MININT16,
        G_MAXINT16);
}

gdouble
inworld_overflow_fit_rate (gdouble rate, guint64 speech, guint64 slot)
{
  gdouble want;

  if (rate <= 0.0)
    rate = 1.0;
  if (slot == 0)
    return INWORLD_MAX_SPEAKING_RATE;
  want = rate * ((gdouble) speech / (gdouble) slot) * 1.05;
  /* a hundredth up, but not for the rounding error of an exact one */
  want = ceil (want * 100.0 - 1e-6) / 100.0;
  return MIN (want, INWORLD_MAX_SPEAKING_RATE);
}
