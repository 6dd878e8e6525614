/* Audio framing layer tests
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "inworldaudio.h"

/* A canonical 44-byte WAV header followed by @n samples of value base+i. */
static GBytes *
wav_chunk (guint rate, guint channels, guint bits, guint n, gint16 base,
    gboolean header)
{
  GByteArray *a = g_byte_array_new ();

  if (header) {
    guint8 h[44];
    guint32 data = n * 2;
    memcpy (h, "RIFF", 4);
    GST_WRITE_UINT32_LE (h + 4, 36 + data);
    memcpy (h + 8, "WAVEfmt ", 8);
    GST_WRITE_UINT32_LE (h + 16, 16);
    GST_WRITE_UINT16_LE (h + 20, 1);
    GST_WRITE_UINT16_LE (h + 22, channels);
    GST_WRITE_UINT32_LE (h + 24, rate);
    GST_WRITE_UINT32_LE (h + 28, rate * channels * bits / 8);
    GST_WRITE_UINT16_LE (h + 32, channels * bits / 8);
    GST_WRITE_UINT16_LE (h + 34, bits);
    memcpy (h + 36, "data", 4);
    GST_WRITE_UINT32_LE (h + 40, data);
    g_byte_array_append (a, h, sizeof (h));
  }
  for (guint i = 0; i < n; i++) {
    guint8 s[2];
    GST_WRITE_UINT16_LE (s, (guint16) (base + i));
    g_byte_array_append (a, s, 2);
  }
  return g_byte_array_free_to_bytes (a);
}

/* Pops every ready buffer; checks values run on from *next. */
static guint64
drain (InworldAudioFramer * f, gint16 * next)
{
  GstBuffer *buf;
  guint64 n, total = 0;

  while ((buf = inworld_audio_framer_pop (f, &n))) {
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    fail_unless_equals_int (map.size, n * 2);
    for (guint64 i = 0; i < n; i++) {
      fail_unless_equals_int ((gint16) GST_READ_UINT16_LE (map.data + 2 * i),
          *next);
      (*next)++;
    }
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
    total += n;
  }
  return total;
}

GST_START_TEST (test_wav_header_parse)
{
  GBytes *b = wav_chunk (16000, 1, 16, 4, 0, TRUE);
  gsize size;
  const guint8 *d = g_bytes_get_data (b, &size);
  guint ch = 0, rate = 0, bits = 0, fmt = 0;

  fail_unless_equals_int (inworld_audio_parse_wav_header (d, size, &ch, &rate,
          &bits, &fmt), 44);
  fail_unless_equals_int (ch, 1);
  fail_unless_equals_int (rate, 16000);
  fail_unless_equals_int (bits, 16);
  fail_unless_equals_int (fmt, 1);
  /* truncated headers and non-RIFF data are not headers */
  for (gsize cut = 0; cut < 44; cut++)
    fail_unless_equals_int (inworld_audio_parse_wav_header (d, cut, &ch,
            &rate, &bits, &fmt), 0);
  fail_unless_equals_int (inworld_audio_parse_wav_header ((const guint8 *)
          "RIFX....WAVE", 12, &ch, &rate, &bits, &fmt), 0);
  g_bytes_unref (b);
}

GST_END_TEST;

/* LINEAR16: a header on every chunk, header-only chunks give nothing */
GST_START_TEST (test_linear16_every_chunk)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_LINEAR16,
      16000);
  gint16 next = 100;
  guint64 total = 0;
  guint sizes[] = { 10, 0, 333, 1 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    GBytes *c = wav_chunk (16000, 1, 16, sizes[i], 100 + total, TRUE);
    fail_unless (inworld_audio_framer_push (f, c, NULL));
    total += drain (f, &next);
    g_bytes_unref (c);
  }
  fail_unless_equals_uint64 (total, 344);
  fail_unless_equals_int (inworld_audio_framer_end_flush (f), 0);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

/* WAV: a header only at the start of each flush */
GST_START_TEST (test_wav_per_flush)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_WAV,
      24000);
  gint16 next = 0;
  GBytes *c;

  for (guint flush = 0; flush < 3; flush++) {
    c = wav_chunk (24000, 1, 16, 50, next, TRUE);
    fail_unless (inworld_audio_framer_push (f, c, NULL));
    g_bytes_unref (c);
    fail_unless_equals_uint64 (drain (f, &next), 50);
    /* later chunks of the flush are raw, even if they look like RIFF */
    c = wav_chunk (24000, 1, 16, 30, next, FALSE);
    fail_unless (inworld_audio_framer_push (f, c, NULL));
    g_bytes_unref (c);
    fail_unless_equals_uint64 (drain (f, &next), 30);
    inworld_audio_framer_end_flush (f);
  }
  inworld_audio_framer_free (f);
}

GST_END_TEST;

/* PCM cut at odd byte offsets: whole samples only, nothing lost */
GST_START_TEST (test_pcm_odd_cuts)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_PCM,
      8000);
  GBytes *all = wav_chunk (8000, 1, 16, 1000, -500, FALSE);
  gsize size, pos = 0, step = 1;
  const guint8 *d = g_bytes_get_data (all, &size);
  gint16 next = -500;
  guint64 total = 0;

  while (pos < size) {
    gsize len = MIN (step, size - pos);
    GBytes *c = g_bytes_new (d + pos, len);
    fail_unless (inworld_audio_framer_push (f, c, NULL));
    g_bytes_unref (c);
    total += drain (f, &next);
    pos += len;
    step = step * 3 + 1;
    if (step > 301)
      step = 3;
  }
  fail_unless_equals_uint64 (total, 1000);
  fail_unless_equals_int (inworld_audio_framer_end_flush (f), 0);

  /* a lone trailing byte is reported and dropped at the flush end */
  {
    GBytes *c = g_bytes_new ("\x01\x02\x03", 3);
    fail_unless (inworld_audio_framer_push (f, c, NULL));
    g_bytes_unref (c);
    next = 0x0201;
    fail_unless_equals_uint64 (drain (f, &next), 1);
    fail_unless_equals_int (inworld_audio_framer_end_flush (f), 1);
  }
  g_bytes_unref (all);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

/* a header announcing another format is an error, not noise */
GST_START_TEST (test_format_mismatch)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_LINEAR16,
      16000);
  GError *error = NULL;
  GBytes *c = wav_chunk (22050, 1, 16, 10, 0, TRUE);
  guint64 n;

  fail_if (inworld_audio_framer_push (f, c, &error));
  fail_unless (g_error_matches (error, INWORLD_AUDIO_ERROR,
          INWORLD_AUDIO_ERROR_FORMAT));
  fail_unless (strstr (error->message, "22050") != NULL);
  fail_unless (inworld_audio_framer_pop (f, &n) == NULL);
  g_clear_error (&error);
  g_bytes_unref (c);

  c = wav_chunk (16000, 2, 16, 10, 0, TRUE);
  fail_if (inworld_audio_framer_push (f, c, &error));
  g_clear_error (&error);
  g_bytes_unref (c);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

/* Concatenates @a and @b (both taken). */
static GBytes *
join (GBytes * a, GBytes * b)
{
  GByteArray *arr = g_byte_array_new ();
  gsize size;
  const guint8 *d = g_bytes_get_data (a, &size);

  g_byte_array_append (arr, d, size);
  d = g_bytes_get_data (b, &size);
  g_byte_array_append (arr, d, size);
  g_bytes_unref (a);
  g_bytes_unref (b);
  return g_byte_array_free_to_bytes (arr);
}

/* A 44-byte header of @rate, mono, 16-bit PCM, for @n samples. */
static GBytes *
header_only (guint rate, guint n)
{
  GBytes *h = wav_chunk (rate, 1, 16, n, 0, TRUE);
  GBytes *only = g_bytes_new_from_bytes (h, 0, 44);

  g_bytes_unref (h);
  return only;
}

/* PCM: chunks with a WAV header each (Inworld's newest guide) and without
 * (its audio-formats page) give the same samples; a header-only chunk
 * gives none. */
GST_START_TEST (test_pcm_with_and_without_headers)
{
  guint sizes[] = { 100, 0, 1, 37, 480, 0, 3 };
  gint16 next_raw = -1000, next_wav = -1000;
  guint64 raw_total = 0, wav_total = 0;
  InworldAudioFramer *raw = inworld_audio_framer_new (INWORLD_ENCODING_PCM,
      24000);
  InworldAudioFramer *wav = inworld_audio_framer_new (INWORLD_ENCODING_PCM,
      24000);

  for (guint flush = 0; flush < 2; flush++) {
    gint16 base = next_raw;

    for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
      GBytes *c = wav_chunk (24000, 1, 16, sizes[i], base, FALSE);
      GBytes *h = wav_chunk (24000, 1, 16, sizes[i], base, TRUE);
      guint64 before = wav_total;

      fail_unless (inworld_audio_framer_push (raw, c, NULL));
      fail_unless (inworld_audio_framer_push (wav, h, NULL));
      raw_total += drain (raw, &next_raw);
      wav_total += drain (wav, &next_wav);
      fail_unless_equals_uint64 (wav_total - before, sizes[i]);
      fail_unless_equals_uint64 (raw_total, wav_total);
      base += sizes[i];
      g_bytes_unref (c);
      g_bytes_unref (h);
    }
    fail_unless_equals_int (inworld_audio_framer_end_flush (raw), 0);
    fail_unless_equals_int (inworld_audio_framer_end_flush (wav), 0);
  }
  fail_unless_equals_uint64 (raw_total, 2 * 621);
  fail_unless_equals_int (next_raw, next_wav);
  inworld_audio_framer_free (raw);
  inworld_audio_framer_free (wav);
}

GST_END_TEST;

/* PCM: a sample cut across two chunks that each start with a header is
 * joined up again: the header is stripped from the chunk, not from the
 * byte stream. */
GST_START_TEST (test_pcm_headers_mid_sample)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_PCM,
      16000);
  GBytes *all = wav_chunk (16000, 1, 16, 9, 0x1234, FALSE);
  gint16 next = 0x1234;
  guint64 total = 0;
  gsize cuts[] = { 0, 3, 4, 11, 18 };   /* odd, even, odd byte offsets */

  for (guint i = 0; i + 1 < G_N_ELEMENTS (cuts); i++) {
    GBytes *part = g_bytes_new_from_bytes (all, cuts[i], cuts[i + 1] - cuts[i]);
    GBytes *c = join (header_only (16000, 0), part);

    fail_unless (inworld_audio_framer_push (f, c, NULL));
    total += drain (f, &next);
    g_bytes_unref (c);
  }
  fail_unless_equals_uint64 (total, 9);
  fail_unless_equals_int (inworld_audio_framer_end_flush (f), 0);
  g_bytes_unref (all);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

/* Pushes @chunk to a new PCM framer at 24 kHz and checks that every one
 * of its bytes comes out as audio, untouched. */
static void
check_pcm_untouched (GBytes * chunk)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_PCM,
      24000);
  gsize size, got = 0;
  const guint8 *d = g_bytes_get_data (chunk, &size);
  GstBuffer *buf;
  guint64 n;

  fail_unless (inworld_audio_framer_push (f, chunk, NULL));
  while ((buf = inworld_audio_framer_pop (f, &n))) {
    fail_unless_equals_int (gst_buffer_get_size (buf), n * 2);
    fail_unless (gst_buffer_memcmp (buf, 0, d + got, n * 2) == 0);
    got += n * 2;
    gst_buffer_unref (buf);
  }
  fail_unless_equals_uint64 (got, size - size % 2);
  fail_unless_equals_int (inworld_audio_framer_end_flush (f), size % 2);
  inworld_audio_framer_free (f);
}

/* PCM: bytes that merely begin with "RIFF", or a header that is not one
 * of 16-bit PCM, or one anywhere but at a chunk's start, are audio. */
GST_START_TEST (test_pcm_riff_that_is_audio)
{
  GBytes *c, *h;
  guint8 *copy;
  gsize size;

  /* "RIFF" and samples */
  c = join (g_bytes_new_static ("RIFF", 4), wav_chunk (24000, 1, 16, 20, 7,
          FALSE));
  check_pcm_untouched (c);
  g_bytes_unref (c);

  /* RIFF....WAVE and then no fmt/data chunks */
  c = join (g_bytes_new_static ("RIFF\x24\0\0\0WAVEjunk", 16),
      wav_chunk (24000, 1, 16, 20, 7, FALSE));
  check_pcm_untouched (c);
  g_bytes_unref (c);

  /* a header cut short: the chunk is only its first 40 bytes */
  h = header_only (24000, 0);
  c = g_bytes_new_from_bytes (h, 0, 40);
  check_pcm_untouched (c);
  g_bytes_unref (c);
  g_bytes_unref (h);

  /* a complete header of 8-bit or of float samples is not a PCM header */
  c = wav_chunk (24000, 1, 8, 10, 0, TRUE);
  check_pcm_untouched (c);
  g_bytes_unref (c);
  c = wav_chunk (24000, 1, 16, 10, 0, TRUE);
  copy = g_bytes_unref_to_data (c, &size);
  GST_WRITE_UINT16_LE (copy + 20, 3);   /* IEEE float */
  c = g_bytes_new_take (copy, size);
  check_pcm_untouched (c);
  g_bytes_unref (c);

  /* a valid header in the middle of a chunk */
  c = join (wav_chunk (24000, 1, 16, 5, 0, FALSE), wav_chunk (24000, 1, 16,
          5, 0, TRUE));
  check_pcm_untouched (c);
  g_bytes_unref (c);
}

GST_END_TEST;

/* PCM: a header at another rate or channel count is the same error as
 * for LINEAR16, and a header-only chunk at the right format is fine. */
GST_START_TEST (test_pcm_header_mismatch)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_PCM,
      24000);
  GError *error = NULL;
  GBytes *c;
  guint64 n;

  c = wav_chunk (16000, 1, 16, 10, 0, TRUE);
  fail_if (inworld_audio_framer_push (f, c, &error));
  fail_unless (g_error_matches (error, INWORLD_AUDIO_ERROR,
          INWORLD_AUDIO_ERROR_FORMAT));
  fail_unless (strstr (error->message, "16000") != NULL, "%s",
      error->message);
  fail_unless (inworld_audio_framer_pop (f, &n) == NULL);
  g_clear_error (&error);
  g_bytes_unref (c);

  c = wav_chunk (24000, 2, 16, 10, 0, TRUE);
  fail_if (inworld_audio_framer_push (f, c, &error));
  fail_unless (strstr (error->message, "2-channel") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  g_bytes_unref (c);

  c = header_only (24000, 0);
  fail_unless (inworld_audio_framer_push (f, c, NULL));
  fail_unless (inworld_audio_framer_pop (f, &n) == NULL);
  fail_unless_equals_int (inworld_audio_framer_end_flush (f), 0);
  g_bytes_unref (c);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

/* PCM: empty chunks, 1-byte chunks, chunks of odd sizes: every sample
 * once, nothing else. */
GST_START_TEST (test_pcm_tiny_chunks)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_PCM,
      8000);
  GBytes *all = wav_chunk (8000, 1, 16, 50, 300, FALSE);
  gsize size, pos = 0;
  const guint8 *d = g_bytes_get_data (all, &size);
  gint16 next = 300;
  guint64 total = 0;
  gsize steps[] = { 0, 1, 1, 0, 3, 1, 5, 7, 0, 1 };

  for (guint i = 0; pos < size; i = (i + 1) % G_N_ELEMENTS (steps)) {
    gsize len = MIN (steps[i], size - pos);
    GBytes *c = len ? g_bytes_new (d + pos, len) : g_bytes_new (NULL, 0);

    fail_unless (inworld_audio_framer_push (f, c, NULL));
    g_bytes_unref (c);
    total += drain (f, &next);
    pos += len;
  }
  fail_unless_equals_uint64 (total, 50);
  fail_unless_equals_int (inworld_audio_framer_end_flush (f), 0);

  /* a flush of one byte, and one of nothing */
  {
    GBytes *c = g_bytes_new ("\x01", 1);
    guint64 n;

    fail_unless (inworld_audio_framer_push (f, c, NULL));
    fail_unless (inworld_audio_framer_pop (f, &n) == NULL);
    fail_unless_equals_int (inworld_audio_framer_end_flush (f), 1);
    fail_unless_equals_int (inworld_audio_framer_end_flush (f), 0);
    g_bytes_unref (c);
  }
  g_bytes_unref (all);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

/* Every encoding: empty, 1-byte and odd-sized chunks of junk or of
 * "RIFF" never crash; an error resets the framer, which goes on. */
GST_START_TEST (test_tiny_chunks_every_encoding)
{
  static const struct
  {
    InworldEncoding encoding;
    gint rate;
  } cases[] = {
    {INWORLD_ENCODING_PCM, 24000}, {INWORLD_ENCODING_LINEAR16, 24000},
    {INWORLD_ENCODING_WAV, 24000}, {INWORLD_ENCODING_MP3, 24000},
    {INWORLD_ENCODING_OGG_OPUS, 24000}, {INWORLD_ENCODING_FLAC, 24000},
    {INWORLD_ENCODING_ALAW, 8000}, {INWORLD_ENCODING_MULAW, 8000},
  };
  static const gchar *chunks[] = { "", "R", "RI", "RIF", "RIFF", "RIFFx",
    "\xff", "\xff\xfb", "\xff\xfb\x90", "OggS", "fLaC", "ID3", "\0\0\0",
    "RIFF\0\0\0\0WAVEfmt ",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    InworldAudioFramer *f = inworld_audio_framer_new (cases[i].encoding,
        cases[i].rate);

    for (guint flush = 0; flush < 3; flush++) {
      for (guint j = 0; j < G_N_ELEMENTS (chunks); j++) {
        gsize len = j == G_N_ELEMENTS (chunks) - 1 ? 16 : strlen (chunks[j]);
        GBytes *c = g_bytes_new (chunks[j], len);
        GError *error = NULL;
        GstBuffer *buf;
        guint64 n;

        if (!inworld_audio_framer_push (f, c, &error)) {
          fail_unless (error != NULL);
          g_clear_error (&error);
        }
        while ((buf = inworld_audio_framer_pop (f, &n)))
          gst_buffer_unref (buf);
        g_bytes_unref (c);
      }
      inworld_audio_framer_end_flush (f);
    }
    inworld_audio_framer_free (f);
  }
}

GST_END_TEST;

static Suite *
audio_suite (void)
{
  Suite *s = suite_create ("inworldaudio");
  TCase *tc = tcase_create ("framing");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_wav_header_parse);
  tcase_add_test (tc, test_linear16_every_chunk);
  tcase_add_test (tc, test_wav_per_flush);
  tcase_add_test (tc, test_pcm_odd_cuts);
  tcase_add_test (tc, test_format_mismatch);
  tcase_add_test (tc, test_pcm_with_and_without_headers);
  tcase_add_test (tc, test_pcm_headers_mid_sample);
  tcase_add_test (tc, test_pcm_riff_that_is_audio);
  tcase_add_test (tc, test_pcm_header_mismatch);
  tcase_add_test (tc, test_pcm_tiny_chunks);
  tcase_add_test (tc, test_tiny_chunks_every_encoding);
  return s;
}

GST_CHECK_MAIN (audio);
