/* Encoding and decoding with GStreamer's own elements, for the tests
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The tests judge the element's encoded output the way a user's pipeline
 * would: by decoding it with GStreamer's decoders and muxing it with its
 * muxers. These helpers run such small pipelines to the end. */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Mono S16LE samples of a test tone (a sweep, so encoders have work). */
gint16 *codec_tone (gint rate, guint64 n_samples);

/* Runs S16LE mono @samples at @rate through @chain (a gst-launch
 * fragment such as "lamemp3enc") and returns everything it outputs. */
GBytes *codec_encode (const gchar * chain, gint rate, const gint16 * samples,
    guint64 n_samples);

/* Pushes @buffers (GstBuffer *, timestamps and flags kept) with @caps
 * through @chain into an appsink; returns the S16LE mono samples it got
 * (in *n_samples) at the rate the chain's end fixes. NULL on an error,
 * which is printed. */
gint16 *codec_decode (GstCaps * caps, GPtrArray * buffers,
    const gchar * chain, guint64 * n_samples);

/* Runs the gst-launch @description to EOS; FALSE (with the error printed)
 * if it failed. */
gboolean codec_run (const gchar * description);

/* Decoded samples of the file at @path through "filesrc ! @chain"; -1 on
 * an error. */
gint64 codec_file_samples (const gchar * path, const gchar * chain);

/* Duration of the file at @path as GstDiscoverer reports it. */
GstClockTime codec_file_duration (const gchar * path);

G_END_DECLS
