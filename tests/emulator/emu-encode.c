/* inworld-tts-emulator: encoding and chunking (samples -> wire chunks)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "emu-encode.h"

#include <string.h>

#include "emu-gst-encode.h"

#include <gio/gio.h>

static const struct
{
  EmuEncoding encoding;
  const gchar *name;
} encoding_names[] = {
  {EMU_ENCODING_LINEAR16, "LINEAR16"},
  {EMU_ENCODING_MP3, "MP3"},
  {EMU_ENCODING_OGG_OPUS, "OGG_OPUS"},
  {EMU_ENCODING_ALAW, "ALAW"},
  {EMU_ENCODING_MULAW, "MULAW"},
  {EMU_ENCODING_FLAC, "FLAC"},
  {EMU_ENCODING_PCM, "PCM"},
  {EMU_ENCODING_WAV, "WAV"},
};

gboolean
emu_encoding_from_string (const gchar * str, EmuEncoding * out)
{
  for (guint i = 0; i < G_N_ELEMENTS (encoding_names); i++) {
    if (g_strcmp0 (str, encoding_names[i].name) == 0) {
      *out = encoding_names[i].encoding;
      return TRUE;
    }
  }
  return FALSE;
}

const gchar *
emu_encoding_to_string (EmuEncoding encoding)
{
  for (guint i = 0; i < G_N_ELEMENTS (encoding_names); i++)
    if (encoding_names[i].encoding == encoding)
      return encoding_names[i].name;
  return "?";
}

gboolean
emu_encoding_is_raw (EmuEncoding encoding)
{
  return encoding == EMU_ENCODING_PCM || encoding == EMU_ENCODING_LINEAR16
      || encoding == EMU_ENCODING_WAV;
}

void
emu_chunk_free (EmuChunk * chunk)
{
  if (!chunk)
    return;
  g_bytes_unref (chunk->data);
  g_free (chunk);
}

static void
write_le32 (guint8 * p, guint32 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

static void
write_le16 (guint8 * p, guint16 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
}

void
emu_wav_header (guint8 * out, gint rate, guint32 data_size)
{
  memcpy (out, "RIFF", 4);
  write_le32 (out + 4, 36 + data_size);
  memcpy (out + 8, "WAVE", 4);
  memcpy (out + 12, "fmt ", 4);
  write_le32 (out + 16, 16);
  write_le16 (out + 20, 1);     /* PCM */
  write_le16 (out + 22, 1);     /* mono */
  write_le32 (out + 24, rate);
  write_le32 (out + 28, rate * 2);      /* byte rate */
  write_le16 (out + 32, 2);     /* block align */
  write_le16 (out + 34, 16);    /* bits per sample */
  memcpy (out + 36, "data", 4);
  write_le32 (out + 40, data_size);
}

/* ID3v2 sizes are "synchsafe": 7 bits per byte, big-endian. */
static void
write_synchsafe32 (guint8 * p, guint32 v)
{
  p[0] = (v >> 21) & 0x7f;
  p[1] = (v >> 14) & 0x7f;
  p[2] = (v >> 7) & 0x7f;
  p[3] = v & 0x7f;
}

void
emu_id3_tag (guint8 * out)
{
  const gsize text = sizeof (EMU_ID3_ENCODER);  /* with its NUL */
  const gsize frame = 1 + text;                 /* encoding byte + text */
  guint8 *p = out;

  memset (out, 0, EMU_ID3_TAG_SIZE);    /* also the padding */
  memcpy (p, "ID3", 3);
  p[3] = 4;                     /* ID3v2.4.0 */
  p[4] = 0;
  p[5] = 0;                     /* no flags */
  write_synchsafe32 (p + 6, EMU_ID3_TAG_SIZE - 10);
  p += 10;
  memcpy (p, "TSSE", 4);
  write_synchsafe32 (p + 4, frame);
  /* p[8], p[9]: no frame flags */
  p[10] = 3;                    /* UTF-8 */
  memcpy (p + 11, EMU_ID3_ENCODER, text);
}

/* 0: the service's chunk durations; else every chunk's (set once by
 * main (), before any worker thread runs) */
static guint64 chunk_ms_override;

void
emu_encode_set_chunk_ms (guint64 ms)
{
  chunk_ms_override = ms;
}

/* set once by main (), like chunk_ms_override */
static gboolean pcm_wav_header;

void
emu_encode_set_pcm_wav_header (gboolean enable)
{
  pcm_wav_header = enable;
}

/* Samples in @ms milliseconds at @rate (at least 1), saturating. */
static guint64
ms_to_samples (guint64 ms, gint rate)
{
  if (ms >= G_MAXUINT64 / 1000 / MAX (rate, 1))
    return G_MAXUINT64;
  return MAX ((guint64) rate * ms / 1000, 1);
}

GArray *
emu_chunk_plan (guint64 n_samples, gint rate)
{
  GArray *sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint64 want = ms_to_samples (chunk_ms_override ? chunk_ms_override :
      EMU_FIRST_CHUNK_MS, rate);
  guint64 steady = ms_to_samples (chunk_ms_override ? chunk_ms_override :
      EMU_STEADY_CHUNK_MS, rate);

  while (n_samples > 0) {
    guint64 size = MIN (want, n_samples);

    g_array_append_val (sizes, size);
    n_samples -= size;
    want = steady;
  }
  return sizes;
}

/* A uniform pseudo-random factor in [1 - J %, 1 + J %], J the jitter. */
static gdouble
jitter (GRand * rand)
{
  return g_rand_double_range (rand, 1.0 - EMU_CHUNK_JITTER_PERCENT / 100.0,
      1.0 + EMU_CHUNK_JITTER_PERCENT / 100.0);
}

GArray *
emu_byte_chunk_plan (guint64 n_bytes, guint64 n_samples, gint rate)
{
  GArray *sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  /* bytes of one millisecond of this stream, on average */
  gdouble per_ms = n_samples ? (gdouble) n_bytes * rate / n_samples / 1000.0
      : (gdouble) n_bytes;
  GRand *rand = g_rand_new_with_seed ((guint32) (n_bytes * 2654435761u)
      ^ (guint32) n_samples);
  guint64 left = n_bytes;
  gdouble ms = chunk_ms_override ? (gdouble) chunk_ms_override :
      EMU_FIRST_CHUNK_MS;

  while (left > 0) {
    gdouble want = ms * per_ms * jitter (rand) + 0.5;
    guint64 size = want >= (gdouble) left ? left : (guint64) want;

    size = CLAMP (size, 1, left);
    g_array_append_val (sizes, size);
    left -= size;
    ms = chunk_ms_override ? (gdouble) chunk_ms_override :
        EMU_STEADY_CHUNK_MS;
  }

  /* a longer flush gets a 1-3 byte chunk, cut from the start of a chunk
   * after the first that is big enough to keep at least one byte */
  if (sizes->len >= 3) {
    guint64 tiny = g_rand_int_range (rand, 1, 4);
    guint at = g_rand_int_range (rand, 1, sizes->len);

    for (guint tries = 0; tries < sizes->len; tries++) {
      guint i = 1 + (at - 1 + tries) % (sizes->len - 1);
      guint64 *size = &g_array_index (sizes, guint64, i);

      if (*size > tiny) {
        *size -= tiny;
        g_array_insert_val (sizes, i, tiny);
        break;
      }
    }
  }
  g_rand_free (rand);
  return sizes;
}

/* Appends @n samples as S16LE. */
static void
append_s16le (GByteArray * out, const gint16 * samples, guint64 n)
{
  guint old = out->len;

  g_byte_array_set_size (out, old + n * 2);
  for (guint64 i = 0; i < n; i++)
    write_le16 (out->data + old + 2 * i, (guint16) samples[i]);
}

/* The raw encodings: exact sample-based plan. */
static GPtrArray *
encode_raw (EmuEncoding encoding, gint rate, const gint16 * samples,
    guint64 n_samples)
{
  GPtrArray *chunks;
  GArray *plan;
  guint64 pos = 0;

  chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) emu_chunk_free);
  plan = emu_chunk_plan (n_samples, rate);
  for (guint i = 0; i < plan->len; i++) {
    guint64 n = g_array_index (plan, guint64, i);
    GByteArray *bytes = g_byte_array_sized_new (EMU_WAV_HEADER_SIZE + n * 2);
    EmuChunk *chunk = g_new0 (EmuChunk, 1);

    /* LINEAR16 (and PCM with --pcm-wav-header): every chunk a complete
     * WAV file of its own samples. WAV: one header per flush, announcing
     * the whole flush. */
    if (encoding == EMU_ENCODING_LINEAR16
        || (encoding == EMU_ENCODING_PCM && pcm_wav_header)
        || (encoding == EMU_ENCODING_WAV && i == 0)) {
      guint8 header[EMU_WAV_HEADER_SIZE];

      emu_wav_header (header, rate, (guint32) ((encoding == EMU_ENCODING_WAV
                  ? n_samples : n) * 2));
      g_byte_array_append (bytes, header, sizeof (header));
    }
    append_s16le (bytes, samples + pos, n);

    chunk->data = g_byte_array_free_to_bytes (bytes);
    chunk->first_sample = pos;
    chunk->n_samples = n;
    g_ptr_array_add (chunks, chunk);
    pos += n;
  }
  g_array_unref (plan);
  return chunks;
}

/* An encoded stream: cut at irregular byte offsets; each chunk's sample
 * range is proportional to its bytes (it drives pacing and timestamps). */
static GPtrArray *
cut_stream (GBytes * stream, gint rate, guint64 n_samples)
{
  GPtrArray *chunks;
  GArray *plan;
  guint64 n_bytes = g_bytes_get_size (stream);
  guint64 pos = 0, first = 0;

  chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) emu_chunk_free);
  plan = emu_byte_chunk_plan (n_bytes, n_samples, rate);
  for (guint i = 0; i < plan->len; i++) {
    guint64 size = g_array_index (plan, guint64, i);
    guint64 end = n_samples * (pos + size) / n_bytes;
    EmuChunk *chunk = g_new0 (EmuChunk, 1);

    chunk->data = g_bytes_new_from_bytes (stream, pos, size);
    chunk->first_sample = first;
    chunk->n_samples = end - first;
    g_ptr_array_add (chunks, chunk);
    pos += size;
    first = end;
  }
  g_array_unref (plan);
  return chunks;
}

GPtrArray *
emu_encode_flush (EmuEncoding encoding, gint rate, gint bit_rate,
    const gint16 * samples, guint64 n_samples, GError ** error)
{
  GBytes *encoded, *stream;
  GPtrArray *chunks;

  if (emu_encoding_is_raw (encoding))
    return encode_raw (encoding, rate, samples, n_samples);
  if (n_samples == 0)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) emu_chunk_free);

  encoded = emu_gst_encode (encoding, rate, bit_rate, samples, n_samples,
      error);
  if (!encoded)
    return NULL;
  if (encoding == EMU_ENCODING_MP3) {
    /* every synthesis restarts with the tag (UNCERTAIN, docs/emulator.md) */
    gsize size;
    gconstpointer data = g_bytes_get_data (encoded, &size);
    guint8 *bytes = g_malloc (EMU_ID3_TAG_SIZE + size);

    emu_id3_tag (bytes);
    memcpy (bytes + EMU_ID3_TAG_SIZE, data, size);
    stream = g_bytes_new_take (bytes, EMU_ID3_TAG_SIZE + size);
    g_bytes_unref (encoded);
  } else {
    stream = encoded;
  }
  chunks = cut_stream (stream, rate, n_samples);
  g_bytes_unref (stream);
  return chunks;
}
