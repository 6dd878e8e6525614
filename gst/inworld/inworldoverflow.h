/* inworldttssrc: the sample arithmetic of the overflow policies
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* When a cue's speech runs past the next cue's start, the element shifts
 * the next cue, clips the speech there or mixes the two
 * (docs/subtitles.md). This file holds what those policies do to the
 * samples and the names they report, so that unit tests
 * (tests/check/libs/overflow.c) check them alone. Pure: no I/O, no
 * GStreamer. Samples are mono S16 in host order. */

#pragma once

#include <glib.h>

#include "inworldprotocol.h"

G_BEGIN_DECLS

/* What happened to one cue's speech, as the flush-completed message's
 * `overflow` field names it. */
typedef enum
{
  INWORLD_OVERFLOW_NONE,        /* it ended within its slot */
  INWORLD_OVERFLOW_SHIFTED,     /* it ran past: the next cue waited */
  INWORLD_OVERFLOW_CLIPPED,     /* cut at the next cue's start */
  INWORLD_OVERFLOW_OVERLAPPED,  /* the next cue started on time over it */
  INWORLD_OVERFLOW_FITTED,      /* spoken again faster, within its slot */
  INWORLD_OVERFLOW_FITTED_CLIPPED,      /* spoken again faster, still too
                                         * long: cut at the next cue */
} InworldOverflowResult;

const gchar *inworld_overflow_result_name (InworldOverflowResult result);

/* The fade-out of a clip, in milliseconds. */
#define INWORLD_OVERFLOW_FADE_MS 15

/* The number of samples of the fade at @rate. */
guint inworld_overflow_fade_samples (gint rate);

/* Ramps @n samples down to silence: sample i of @n is scaled by
 * (n - 1 - i) / n, so the last one is 0 and the first nearly untouched. */
void inworld_overflow_fade_out (gint16 * samples, gsize n);

/* Adds @src into @dst, @n samples, saturating at the S16 limits. */
void inworld_overflow_mix (gint16 * dst, const gint16 * src, gsize n);

/* The speakingRate that should make @speech (ns, spoken at @rate) last
 * @slot: @rate scaled by speech / slot, 5 % more for margin (a voice's
 * speed is not exactly proportional), rounded up to a hundredth and
 * capped at INWORLD_MAX_SPEAKING_RATE. @rate 0 means the service's 1.0.
 * No faster rate than @rate is possible when the result is not higher. */
gdouble inworld_overflow_fit_rate (gdouble rate, guint64 speech,
    guint64 slot);

G_END_DECLS
