/* inworldttssrc: audio framing
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Turns the audio chunks of the wire, cut anywhere, into GstBuffers of
 * whole samples (frames for encoded formats) with their sample counts.
 * Strips LINEAR16's per-chunk WAV headers and WAV's per-flush header.
 * Timestamps are the element's business: it gets sample counts. */

#pragma once

#include <gst/gst.h>
#include "inworldprotocol.h"

G_BEGIN_DECLS

typedef struct _InworldAudioFramer InworldAudioFramer;

#define INWORLD_AUDIO_ERROR (inworld_audio_error_quark ())
GQuark inworld_audio_error_quark (void);

typedef enum
{
  INWORLD_AUDIO_ERROR_FORMAT,   /* the audio is not what was asked for */
} InworldAudioError;

InworldAudioFramer *inworld_audio_framer_new (InworldEncoding encoding,
    gint rate);
void inworld_audio_framer_free (InworldAudioFramer * framer);

/* Feeds one chunk of the current flush. Returns FALSE with @error when the
 * chunk cannot be the negotiated format (e.g. a WAV header announcing
 * another rate); nothing of it is output then. */
gboolean inworld_audio_framer_push (InworldAudioFramer * framer,
    GBytes * chunk, GError ** error);

/* Marks the end of a flush: the next chunk starts a new one (and for WAV
 * carries a header). Bytes left over that make no whole sample are
 * dropped and their count returned. */
gsize inworld_audio_framer_end_flush (InworldAudioFramer * framer);

/* Next buffer ready to push, or NULL; @samples gets its sample count. */
GstBuffer *inworld_audio_framer_pop (InworldAudioFramer * framer,
    guint64 * samples);

/* Drops everything held and starts over at a flush boundary. */
void inworld_audio_framer_reset (InworldAudioFramer * framer);

/* Bytes of a RIFF/WAVE header at the start of @data (0 when there is
 * none), reading the fmt chunk into @channels, @rate, @bits, @format. */
gsize inworld_audio_parse_wav_header (const guint8 * data, gsize size,
    guint * channels, guint * rate, guint * bits, guint * format);

G_END_DECLS
