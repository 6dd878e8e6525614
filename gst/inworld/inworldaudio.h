/* inworldttssrc: audio framing
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Turns the audio chunks of the wire, cut anywhere, into GstBuffers of
 * whole samples (raw, G.711) or whole frames (MP3 frames, Opus packets
 * out of their Ogg pages, FLAC frames) with their sample counts.
 * Strips LINEAR16's per-chunk WAV headers, WAV's per-flush header and
 * the WAV header a PCM chunk may start with (Inworld documents both).
 * Every flush of an encoded format is a stream of its own on the wire;
 * the framer joins them into one continuous stream (see
 * docs/encodings.md). Timestamps are the element's business: it gets
 * sample counts at inworld_audio_framer_get_clock_rate(). */

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

/* Caps of everything the framer can output, one structure per encoding
 * family, in order of preference: raw, MP3, Opus, FLAC, A-law, mu-law.
 * The rates are those the API allows for each encoding. */
#define INWORLD_AUDIO_CAPS \
  "audio/x-raw, format = (string) S16LE, layout = (string) interleaved, " \
  "channels = (int) 1, rate = (int) [ 8000, 48000 ]; " \
  "audio/mpeg, mpegversion = (int) 1, layer = (int) 3, " \
  "parsed = (boolean) true, channels = (int) 1, " \
  "rate = (int) { 16000, 22050, 24000, 32000, 44100, 48000 }; " \
  "audio/x-opus, channel-mapping-family = (int) 0, channels = (int) 1, " \
  "rate = (int) [ 8000, 48000 ]; " \
  "audio/x-flac, framed = (boolean) true, channels = (int) 1, " \
  "rate = (int) [ 8000, 48000 ]; " \
  "audio/x-alaw, channels = (int) 1, rate = (int) 8000; " \
  "audio/x-mulaw, channels = (int) 1, rate = (int) 8000"

/* The media type (caps structure name) @encoding is output as. */
const gchar *inworld_audio_media_type (InworldEncoding encoding);

/* The wire encoding for a caps structure name of INWORLD_AUDIO_CAPS
 * (audio/x-raw gives PCM); FALSE for any other. */
gboolean inworld_audio_encoding_for_media_type (const gchar * media_type,
    InworldEncoding * encoding);

/* Caps for @encoding out of INWORLD_AUDIO_CAPS, not fixed. */
GstCaps *inworld_audio_template_caps (InworldEncoding encoding);

InworldAudioFramer *inworld_audio_framer_new (InworldEncoding encoding,
    gint rate);
void inworld_audio_framer_free (InworldAudioFramer * framer);

/* Units of the sample counts pop() gives: the rate, but 48000 for Opus
 * (Opus counts at 48 kHz whatever the rate). */
gint inworld_audio_framer_get_clock_rate (InworldAudioFramer * framer);

/* Feeds one chunk of the current flush. Returns FALSE with @error when the
 * chunk cannot be the negotiated format (e.g. a WAV header announcing
 * another rate, an Ogg page with a bad checksum); the framer is reset
 * then. Junk between MP3 frames is skipped and counted. */
gboolean inworld_audio_framer_push (InworldAudioFramer * framer,
    GBytes * chunk, GError ** error);

/* Marks the end of a flush: frames complete only now (FLAC's last) are
 * queued and the next chunk starts a new stream. Returns the number of
 * bytes of this flush that made no whole sample or frame (dropped). */
gsize inworld_audio_framer_end_flush (InworldAudioFramer * framer);

/* New output caps when they changed since the last call (transfer full),
 * else NULL. Raw, G.711, MP3 and Opus caps are known at once; Opus caps
 * gain a streamheader with the first flush's headers, FLAC caps (which
 * carry it) come only then. */
GstCaps *inworld_audio_framer_take_caps (InworldAudioFramer * framer);

/* Next buffer ready to push, or NULL; @samples gets its sample count at
 * the clock rate (0 for header buffers, which carry
 * GST_BUFFER_FLAG_HEADER). Opus buffers trimmed at a stream's start or
 * end carry a GstAudioClippingMeta and count only what is left. */
GstBuffer *inworld_audio_framer_pop (InworldAudioFramer * framer,
    guint64 * samples);

/* Drops everything held and starts over at a flush boundary. */
void inworld_audio_framer_reset (InworldAudioFramer * framer);

/* Bytes of a RIFF/WAVE header at the start of @data (0 when there is
 * none), reading the fmt chunk into @channels, @rate, @bits, @format. */
gsize inworld_audio_parse_wav_header (const guint8 * data, gsize size,
    guint * channels, guint * rate, guint * bits, guint * format);

G_END_DECLS
