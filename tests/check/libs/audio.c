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
  return s;
}

GST_CHECK_MAIN (audio);
