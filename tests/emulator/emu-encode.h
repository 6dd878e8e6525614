/* inworld-tts-emulator: encoding and chunking (samples -> wire chunks)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Turns the samples of one flush into the byte chunks the service sends,
 * cut like the service cuts them. Knows nothing about JSON or sockets, so
 * another route (SLNG) can reuse it. The compressed encodings come from
 * GStreamer's encoders (emu-gst-encode.c); this file only frames (WAV
 * headers, ID3 tag) and chunks. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Audio encodings of the API (the enum strings of audioConfig). */
typedef enum
{
  EMU_ENCODING_LINEAR16,
  EMU_ENCODING_MP3,
  EMU_ENCODING_OGG_OPUS,
  EMU_ENCODING_ALAW,
  EMU_ENCODING_MULAW,
  EMU_ENCODING_FLAC,
  EMU_ENCODING_PCM,
  EMU_ENCODING_WAV,
} EmuEncoding;

/* The API's default when audioEncoding is not sent. */
#define EMU_ENCODING_DEFAULT EMU_ENCODING_MP3

/* Chunk durations of the service: a short first chunk, then steady ones. */
#define EMU_FIRST_CHUNK_MS 200
#define EMU_STEADY_CHUNK_MS 500

/* Compressed and G.711 streams are cut at irregular byte offsets: each
 * chunk is the byte equivalent of the service's duration (see above),
 * scaled by a pseudo-random factor within +/- EMU_CHUNK_JITTER_PERCENT. */
#define EMU_CHUNK_JITTER_PERCENT 40

#define EMU_WAV_HEADER_SIZE 44

/* The ID3v2.4 tag that starts every MP3 flush: one TSSE frame (UTF-8,
 * NUL-terminated) holding EMU_ID3_ENCODER, the value the captured service
 * output carried, then 10 bytes of zero padding (our choice; the rest of
 * the captured tag's layout is not in the reference). 45 bytes. */
#define EMU_ID3_ENCODER "Lavf60.16.100"
#define EMU_ID3_TAG_SIZE (10 + 10 + 1 + sizeof (EMU_ID3_ENCODER) + 10)

gboolean emu_encoding_from_string (const gchar * str, EmuEncoding * out);
const gchar *emu_encoding_to_string (EmuEncoding encoding);
/* TRUE for the sample-exact encodings (PCM, LINEAR16, WAV), whose chunks
 * follow emu_chunk_plan (); FALSE for the encoded streams, cut by
 * emu_byte_chunk_plan (). */
gboolean emu_encoding_is_raw (EmuEncoding encoding);

/* One chunk as sent in one audioChunk frame. */
typedef struct
{
  GBytes *data;                 /* encoded bytes */
  guint64 first_sample;         /* position of its audio in the flush */
  guint64 n_samples;            /* duration of its audio */
} EmuChunk;

void emu_chunk_free (EmuChunk * chunk);

/* Writes a canonical 44-byte PCM WAV header (mono, S16LE) announcing
 * @data_size bytes of samples. */
void emu_wav_header (guint8 * out, gint rate, guint32 data_size);

/* Writes the EMU_ID3_TAG_SIZE bytes of the ID3v2.4 tag. */
void emu_id3_tag (guint8 * out);

/* --chunk-seconds and --hostile=big-chunk: every chunk (the first one
 * too) lasts @ms milliseconds instead of the service's durations;
 * EMU_CHUNK_WHOLE_FLUSH puts each flush's audio in one chunk; 0 restores
 * the service's sizes. Process-wide: call it before any flush is encoded. */
#define EMU_CHUNK_WHOLE_FLUSH G_MAXUINT64
void emu_encode_set_chunk_ms (guint64 ms);

/* --pcm-wav-header: every PCM chunk starts with a 44-byte WAV header of
 * its own, as LINEAR16 chunks do (the guide's "each PCM chunk starts with
 * a WAV header"). Process-wide, like emu_encode_set_chunk_ms (). */
void emu_encode_set_pcm_wav_header (gboolean enable);

/* Cuts @n_samples into chunk sizes: EMU_FIRST_CHUNK_MS, then
 * EMU_STEADY_CHUNK_MS, the last one the remainder. Never a zero-sized
 * chunk; no chunk at all for 0 samples. Returns guint64 sizes. */
GArray *emu_chunk_plan (guint64 n_samples, gint rate);

/* Cuts @n_bytes of an encoded stream holding @n_samples samples at @rate
 * into irregular chunk sizes: the bytes of EMU_FIRST_CHUNK_MS, then of
 * EMU_STEADY_CHUNK_MS each, every one scaled by a factor in
 * [1 - EMU_CHUNK_JITTER_PERCENT %, 1 + EMU_CHUNK_JITTER_PERCENT %]; when
 * there are at least three, one chunk after the first is a tiny one of 1 to
 * 3 bytes. Deterministic (seeded from @n_bytes and @n_samples), never a
 * zero-sized chunk, nothing aligned to the encoder's frames on purpose.
 * Returns guint64 sizes. */
GArray *emu_byte_chunk_plan (guint64 n_bytes, guint64 n_samples, gint rate);

/* Encodes one flush of @n_samples mono S16 samples at @rate Hz.
 * @bit_rate (bit/s) is audioConfig.bitRate, 0 = the API default; only MP3
 * and OGG_OPUS use it. Every flush is an independent stream: PCM raw,
 * LINEAR16 a WAV file per chunk, WAV one header per flush, MP3 an ID3 tag
 * and MP3 frames, OGG_OPUS a whole Ogg Opus stream (own serial number),
 * FLAC a whole FLAC stream, ALAW/MULAW raw G.711 bytes. Returns EmuChunk*s
 * (an empty array for no samples), or NULL with @error set when the
 * encoder fails. Thread-safe; gst_init () must have been called. */
GPtrArray *emu_encode_flush (EmuEncoding encoding, gint rate, gint bit_rate,
    const gint16 * samples, guint64 n_samples, GError ** error);

G_END_DECLS
