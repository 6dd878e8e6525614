/* inworld-tts-emulator: compressed encodings through GStreamer's encoders
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Runs one small pipeline per call:
 *     appsrc (S16 mono at rate) ! <encoder chain> ! appsink
 * pushes the samples and EOS and returns every byte the chain produced.
 * No chunking, no protocol: emu-encode.c cuts the result into chunks. */

#pragma once

#include <glib.h>

#include "emu-encode.h"

G_BEGIN_DECLS

/* Default audioConfig.bitRate of the API, for MP3 and OGG_OPUS. */
#define EMU_DEFAULT_BIT_RATE 128000

/* Opus page duration of the Ogg stream (the captured file had ~1 s). */
#define EMU_OGG_PAGE_MS 1000

/* Encodes @n_samples (> 0) mono native-endian S16 samples at @rate Hz into
 * one complete, independent stream:
 *   MP3       lamemp3enc, CBR at @bit_rate (rounded to an MP3 bitrate of
 *             the rate's MPEG version), same sample rate; MP3 frames only
 *             (the ID3 tag is emu-encode.c's business);
 *   OGG_OPUS  opusenc (20 ms frames, CBR @bit_rate) in oggmux, pages of
 *             about EMU_OGG_PAGE_MS; rates opusenc does not take are
 *             resampled to 48000 first;
 *   FLAC      flacenc, one whole FLAC stream ("fLaC", metadata, frames);
 *   ALAW, MULAW  alawenc / mulawenc, one byte per sample.
 * @bit_rate is in bit/s, 0 = EMU_DEFAULT_BIT_RATE (ignored by the lossless
 * and G.711 encodings). Blocking and thread-safe; gst_init () must have
 * been called. Returns the bytes, or NULL with @error set. */
/* The GStreamer elements emu_gst_encode () needs that are not installed,
 * as a comma-separated list (g_free it), or NULL when all are there. */
gchar *emu_gst_encode_missing_elements (void);

GBytes *emu_gst_encode (EmuEncoding encoding, gint rate, gint bit_rate,
    const gint16 * samples, guint64 n_samples, GError ** error);

G_END_DECLS
