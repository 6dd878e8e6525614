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
 * another route (SLNG) can reuse it; more encodings plug in here. */

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

#define EMU_WAV_HEADER_SIZE 44

gboolean emu_encoding_from_string (const gchar * str, EmuEncoding * out);
const gchar *emu_encoding_to_string (EmuEncoding encoding);
/* TRUE when emu_encode_flush () can produce @encoding. */
gboolean emu_encoding_is_supported (EmuEncoding encoding);

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

/* Cuts @n_samples into chunk sizes: EMU_FIRST_CHUNK_MS, then
 * EMU_STEADY_CHUNK_MS, the last one the remainder. Never a zero-sized
 * chunk; no chunk at all for 0 samples. Returns guint64 sizes. */
GArray *emu_chunk_plan (guint64 n_samples, gint rate);

/* Encodes one flush. Returns EmuChunk*s (empty array for no samples), or
 * NULL with @error set when @encoding is not supported. */
GPtrArray *emu_encode_flush (EmuEncoding encoding, gint rate,
    const gint16 * samples, guint64 n_samples, GError ** error);

G_END_DECLS
