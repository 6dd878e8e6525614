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
emu_encoding_is_supported (EmuEncoding encoding)
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

GArray *
emu_chunk_plan (guint64 n_samples, gint rate)
{
  GArray *sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint64 want = MAX ((guint64) rate * EMU_FIRST_CHUNK_MS / 1000, 1);
  guint64 steady = MAX ((guint64) rate * EMU_STEADY_CHUNK_MS / 1000, 1);

  while (n_samples > 0) {
    guint64 size = MIN (want, n_samples);

    g_array_append_val (sizes, size);
    n_samples -= size;
    want = steady;
  }
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

GPtrArray *
emu_encode_flush (EmuEncoding encoding, gint rate, const gint16 * samples,
    guint64 n_samples, GError ** error)
{
  GPtrArray *chunks;
  GArray *plan;
  guint64 pos = 0;

  if (!emu_encoding_is_supported (encoding)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "audio encoding %s is not supported", emu_encoding_to_string
        (encoding));
    return NULL;
  }

  chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) emu_chunk_free);
  plan = emu_chunk_plan (n_samples, rate);
  for (guint i = 0; i < plan->len; i++) {
    guint64 n = g_array_index (plan, guint64, i);
    GByteArray *bytes = g_byte_array_sized_new (EMU_WAV_HEADER_SIZE + n * 2);
    EmuChunk *chunk = g_new0 (EmuChunk, 1);

    /* LINEAR16: every chunk a complete WAV file of its own samples.
     * WAV: one header per flush, announcing the whole flush. */
    if (encoding == EMU_ENCODING_LINEAR16
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
