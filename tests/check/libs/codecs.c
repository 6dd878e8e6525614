/* Framing of the encoded formats: MP3, Ogg Opus, FLAC, G.711
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Streams made by GStreamer's own encoders are cut at irregular byte
 * offsets, as the service cuts them, fed flush by flush to the framer,
 * and what comes out is judged by GStreamer's decoders and parsers. */

#include <gst/check/gstcheck.h>
#include <gst/audio/audio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "inworldaudio.h"
#include "../codec-helpers.h"

/* What a framer gave over a run. */
typedef struct
{
  GPtrArray *buffers;           /* every buffer, headers included */
  GArray *counts;               /* the sample count of each */
  GstCaps *caps;                /* the last caps */
  guint caps_changes;
  guint headers;
  guint64 samples;              /* sum of the counts */
  gsize dropped;
} Output;

static void
output_init (Output * out)
{
  memset (out, 0, sizeof (*out));
  out->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  out->counts = g_array_new (FALSE, FALSE, sizeof (guint64));
}

static void
output_clear (Output * out)
{
  g_ptr_array_unref (out->buffers);
  g_array_unref (out->counts);
  gst_clear_caps (&out->caps);
}

static void
collect (InworldAudioFramer * f, Output * out)
{
  GstCaps *caps;
  GstBuffer *buf;
  guint64 n;

  while ((buf = inworld_audio_framer_pop (f, &n))) {
    if ((caps = inworld_audio_framer_take_caps (f))) {
      gst_caps_take (&out->caps, caps);
      out->caps_changes++;
    }
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER)) {
      fail_unless_equals_int (n, 0);
      out->headers++;
    } else {
      fail_unless (n > 0 || gst_buffer_get_audio_clipping_meta (buf));
    }
    out->samples += n;
    g_ptr_array_add (out->buffers, buf);
    g_array_append_val (out->counts, n);
  }
}

/* Cuts @stream into chunks of irregular sizes (a 1-byte one among them)
 * and feeds them as one flush. */
static void
feed_flush (InworldAudioFramer * f, GBytes * stream, guint seed, Output * out)
{
  static const gsize sizes[] = { 1, 333, 7, 4099, 2, 1500, 17, 8000, 3 };
  gsize size = g_bytes_get_size (stream), pos = 0;
  guint i = seed;
  GError *error = NULL;

  while (pos < size) {
    gsize n = MIN (sizes[i % G_N_ELEMENTS (sizes)], size - pos);
    GBytes *chunk = g_bytes_new_from_bytes (stream, pos, n);

    i++;
    fail_unless (inworld_audio_framer_push (f, chunk, &error),
        "chunk at %" G_GSIZE_FORMAT ": %s", pos, error ? error->message : "");
    g_bytes_unref (chunk);
    collect (f, out);
    pos += n;
  }
  out->dropped += inworld_audio_framer_end_flush (f);
  collect (f, out);
}

static GBytes *
encode_tone (const gchar * chain, gint rate, guint64 n)
{
  gint16 *tone = codec_tone (rate, n);
  GBytes *bytes = codec_encode (chain, rate, tone, n);

  g_free (tone);
  fail_unless (bytes != NULL, "could not encode with %s", chain);
  return bytes;
}

/* An ID3v2.4 tag with one TSSE frame, as the service's MP3 begins. */
static GBytes *
with_id3_tag (GBytes * mp3)
{
  static const guint8 tag[] = {
    'I', 'D', '3', 4, 0, 0, 0, 0, 0, 24,
    'T', 'S', 'S', 'E', 0, 0, 0, 14, 0, 0,
    3, 'L', 'a', 'v', 'f', '6', '0', '.', '1', '6', '.', '1', '0', '0',
  };
  GByteArray *a = g_byte_array_new ();
  gsize size;
  const guint8 *data = g_bytes_get_data (mp3, &size);

  g_byte_array_append (a, tag, sizeof (tag));
  g_byte_array_append (a, data, size);
  g_bytes_unref (mp3);
  return g_byte_array_free_to_bytes (a);
}

static guint64
decode (Output * out, const gchar * chain)
{
  guint64 n = 0;
  gint16 *pcm = codec_decode (out->caps, out->buffers, chain, &n);

  fail_unless (pcm != NULL, "%s could not decode the output", chain);
  g_free (pcm);
  return n;
}

/* Checks that PTS-less buffers would still be whole frames: every audio
 * buffer of an MP3 output starts with a frame sync. */
static void
check_mp3_frames (Output * out)
{
  for (guint i = 0; i < out->buffers->len; i++) {
    GstBuffer *buf = g_ptr_array_index (out->buffers, i);
    guint8 head[2];

    fail_unless_equals_int (gst_buffer_extract (buf, 0, head, 2), 2);
    fail_unless (head[0] == 0xff && (head[1] & 0xe0) == 0xe0,
        "buffer %u is not a whole frame", i);
  }
}

GST_START_TEST (test_mp3_frames)
{
  static const gint rates[] = { 16000, 24000, 44100 };

  for (guint r = 0; r < G_N_ELEMENTS (rates); r++) {
    gint rate = rates[r];
    guint spf = rate >= 32000 ? 1152 : 576;
    InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_MP3,
        rate);
    Output out;

    output_init (&out);
    fail_unless_equals_int (inworld_audio_framer_get_clock_rate (f), rate);
    /* three flushes, three streams, each with its own ID3 tag */
    for (guint flush = 0; flush < 3; flush++) {
      GBytes *mp3 = with_id3_tag (encode_tone ("lamemp3enc", rate,
              rate * (flush + 1) * 37 / 100));
      feed_flush (f, mp3, flush, &out);
      g_bytes_unref (mp3);
    }
    fail_unless_equals_int (out.dropped, 0);
    fail_unless_equals_int (out.headers, 0);
    fail_unless_equals_int (out.caps_changes, 1);
    fail_unless (gst_structure_has_name (gst_caps_get_structure (out.caps, 0),
            "audio/mpeg"));
    check_mp3_frames (&out);
    fail_unless_equals_int (out.samples, out.buffers->len * spf);
    /* a decoder gets exactly the samples the counts promise */
    fail_unless_equals_int (decode (&out, "mpg123audiodec"), out.samples);
    output_clear (&out);
    inworld_audio_framer_free (f);
  }
}

GST_END_TEST;

/* The encoder's Info frame is metadata; junk between frames is skipped,
 * counted, and loses no frame. */
GST_START_TEST (test_mp3_info_frame_and_junk)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_MP3,
      24000);
  GBytes *mp3 = encode_tone ("lamemp3enc", 24000, 24000);
  gsize size, frame_size;
  const guint8 *data = g_bytes_get_data (mp3, &size);
  GByteArray *stream = g_byte_array_new ();
  GBytes *bytes;
  guint8 *info;
  Output reference, out;

  /* the frames as they are */
  output_init (&reference);
  feed_flush (f, mp3, 0, &reference);
  fail_unless (reference.buffers->len > 10);
  frame_size = gst_buffer_get_size (g_ptr_array_index (reference.buffers, 0));

  /* an Info frame first: the first frame's header, "Info" after the
   * MPEG-2 mono side information */
  info = g_malloc0 (frame_size);
  memcpy (info, data, 4);
  memcpy (info + 4 + 9, "Info", 4);
  g_byte_array_append (stream, info, frame_size);
  g_free (info);
  g_byte_array_append (stream, data, 3 * frame_size);
  g_byte_array_append (stream, (const guint8 *) "junk!", 5);
  g_byte_array_append (stream, data + 3 * frame_size, size - 3 * frame_size);
  bytes = g_byte_array_free_to_bytes (stream);

  output_init (&out);
  feed_flush (f, bytes, 3, &out);
  fail_unless_equals_int (out.buffers->len, reference.buffers->len);
  fail_unless_equals_int (out.samples, reference.samples);
  fail_unless_equals_int (out.dropped, 5);
  check_mp3_frames (&out);

  g_bytes_unref (bytes);
  g_bytes_unref (mp3);
  output_clear (&reference);
  output_clear (&out);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

GST_START_TEST (test_mp3_wrong_rate)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_MP3,
      24000);
  GBytes *mp3 = encode_tone ("lamemp3enc", 48000, 4800);
  GError *error = NULL;

  fail_if (inworld_audio_framer_push (f, mp3, &error));
  fail_unless (g_error_matches (error, INWORLD_AUDIO_ERROR,
          INWORLD_AUDIO_ERROR_FORMAT));
  fail_unless (strstr (error->message, "48000") != NULL);
  g_clear_error (&error);
  g_bytes_unref (mp3);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

#define OPUS_CHAIN "opusenc frame-size=20 ! oggmux"

GST_START_TEST (test_opus_packets)
{
  static const guint64 lengths[] = { 12000, 17523, 26400 };
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_OGG_OPUS,
      24000);
  GstStructure *s;
  const GValue *headers;
  guint64 total = 0;
  Output out;

  output_init (&out);
  fail_unless_equals_int (inworld_audio_framer_get_clock_rate (f), 48000);
  for (guint flush = 0; flush < G_N_ELEMENTS (lengths); flush++) {
    GBytes *ogg = encode_tone (OPUS_CHAIN, 24000, lengths[flush]);
    guint64 before = out.samples;

    feed_flush (f, ogg, flush, &out);
    g_bytes_unref (ogg);
    /* pre-skip and end padding trimmed: the counts are the input's */
    fail_unless_equals_int (out.samples - before, lengths[flush] * 2);
    total += lengths[flush] * 2;
  }
  fail_unless_equals_int (out.dropped, 0);
  /* one OpusHead and OpusTags, for the first stream only */
  fail_unless_equals_int (out.headers, 2);
  fail_unless_equals_int (out.caps_changes, 1);
  s = gst_caps_get_structure (out.caps, 0);
  fail_unless (gst_structure_has_name (s, "audio/x-opus"));
  headers = gst_structure_get_value (s, "streamheader");
  fail_unless (headers != NULL);
  fail_unless_equals_int (gst_value_array_get_size (headers), 2);

  /* what opusdec plays is what the counts say */
  fail_unless_equals_int (decode (&out,
          "opusdec ! audio/x-raw,rate=48000"), total);
  output_clear (&out);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

GST_START_TEST (test_opus_bad_page)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_OGG_OPUS,
      24000);
  GBytes *ogg = encode_tone (OPUS_CHAIN, 24000, 24000);
  gsize size;
  guint8 *data = g_bytes_unref_to_data (ogg, &size);
  GBytes *bad;
  GError *error = NULL;

  data[size / 2] ^= 0x55;
  bad = g_bytes_new_take (data, size);
  fail_if (inworld_audio_framer_push (f, bad, &error));
  fail_unless (g_error_matches (error, INWORLD_AUDIO_ERROR,
          INWORLD_AUDIO_ERROR_FORMAT));
  fail_unless (strstr (error->message, "checksum") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  g_bytes_unref (bad);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

/* The number in a FLAC frame header (UTF-8-like coding), read here
 * independently of the framer's own reader. */
static guint64
flac_coded_number (const guint8 * p)
{
  guint extra = 0;
  guint64 v;

  if (p[0] < 0x80)
    return p[0];
  while (p[0] & (0x40 >> extra))
    extra++;
  v = p[0] & (0x3f >> extra);
  for (guint i = 1; i <= extra; i++)
    v = (v << 6) | (p[i] & 0x3f);
  return v;
}

GST_START_TEST (test_flac_frames)
{
  static const guint64 lengths[] = { 16000, 9001, 23456 };
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_FLAC,
      16000);
  gchar *path;
  FILE *file;
  guint64 total = 0;
  GstClockTime duration;
  Output out;
  gint fd;

  output_init (&out);
  for (guint flush = 0; flush < G_N_ELEMENTS (lengths); flush++) {
    GBytes *flac = encode_tone ("flacenc", 16000, lengths[flush]);
    guint64 before = out.samples;

    feed_flush (f, flac, flush, &out);
    g_bytes_unref (flac);
    fail_unless_equals_int (out.samples - before, lengths[flush]);
    total += lengths[flush];
  }
  fail_unless_equals_int (out.dropped, 0);
  /* "fLaC", STREAMINFO, VORBIS_COMMENT, once */
  fail_unless_equals_int (out.headers, 3);
  fail_unless_equals_int (out.caps_changes, 1);
  fail_unless (gst_structure_has_field (gst_caps_get_structure (out.caps, 0),
          "streamheader"));
  fail_unless_equals_int (decode (&out, "flacdec"), total);

  /* written one after the other the buffers are one FLAC file, whose
   * frame numbers flacparse trusts for timestamps and duration */
  fd = g_file_open_tmp ("inworld-XXXXXX.flac", &path, NULL);
  fail_unless (fd >= 0);
  file = fdopen (fd, "wb");
  for (guint i = 0; i < out.buffers->len; i++) {
    GstBuffer *buf = g_ptr_array_index (out.buffers, i);
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    fail_unless_equals_int (fwrite (map.data, 1, map.size, file), map.size);
    gst_buffer_unmap (buf, &map);
  }
  fclose (file);
  fail_unless_equals_int (codec_file_samples (path, "flacparse ! flacdec"),
      total);
  /* every frame is numbered by its first sample in the whole output
   * (variable block size form), so the flushes make one stream */
  {
    guint64 position = 0;

    for (guint i = 0; i < out.buffers->len; i++) {
      GstBuffer *buf = g_ptr_array_index (out.buffers, i);
      guint8 head[12];

      if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER))
        continue;
      gst_buffer_extract (buf, 0, head, sizeof (head));
      fail_unless (head[0] == 0xff && head[1] == 0xf9, "frame %u", i);
      fail_unless_equals_uint64 (flac_coded_number (head + 4), position);
      position += g_array_index (out.counts, guint64, i);
    }
    fail_unless_equals_uint64 (position, total);
  }
  /* a live stream cannot know its total length, so STREAMINFO says
   * "unknown" and players estimate it from the bit rate: within 1% */
  duration = codec_file_duration (path);
  fail_unless (GST_CLOCK_TIME_IS_VALID (duration));
  fail_unless (ABS ((gint64) duration - (gint64) (total * GST_SECOND /
              16000)) < (gint64) (total * GST_SECOND / 16000 / 100),
      "duration %" GST_TIME_FORMAT, GST_TIME_ARGS (duration));
  g_unlink (path);
  g_free (path);

  output_clear (&out);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

GST_START_TEST (test_flac_bad_frame)
{
  InworldAudioFramer *f = inworld_audio_framer_new (INWORLD_ENCODING_FLAC,
      16000);
  GBytes *flac = encode_tone ("flacenc", 16000, 16000);
  gsize size;
  guint8 *data = g_bytes_unref_to_data (flac, &size);
  GBytes *bad;
  Output out;

  /* a flipped byte in the last frame: its CRC-16 fails, the frames before
   * it come out whole and the broken one is dropped and counted */
  data[size - 10] ^= 0x55;
  bad = g_bytes_new_take (data, size);
  output_init (&out);
  feed_flush (f, bad, 0, &out);
  fail_unless (out.dropped > 0);
  fail_unless (out.samples > 0 && out.samples < 16000);
  g_bytes_unref (bad);
  output_clear (&out);
  inworld_audio_framer_free (f);
}

GST_END_TEST;

/* A-law and mu-law: one byte per sample, cut anywhere; a WAV header at
 * the start of a flush is stripped when it announces the same format. */
GST_START_TEST (test_g711)
{
  static const struct
  {
    InworldEncoding encoding;
    const gchar *encoder;
    guint16 wav_format;
  } codecs[] = {
    {INWORLD_ENCODING_ALAW, "alawenc", 6},
    {INWORLD_ENCODING_MULAW, "mulawenc", 7},
  };

  for (guint c = 0; c < G_N_ELEMENTS (codecs); c++) {
    InworldAudioFramer *f = inworld_audio_framer_new (codecs[c].encoding,
        8000);
    GBytes *g711 = encode_tone (codecs[c].encoder, 8000, 8000);
    GByteArray *with_header = g_byte_array_new ();
    GBytes *second;
    guint8 h[44] = { 0 };
    gsize size;
    const guint8 *data = g_bytes_get_data (g711, &size);
    GByteArray *all = g_byte_array_new ();
    Output out;

    fail_unless_equals_int (size, 8000);
    memcpy (h, "RIFF", 4);
    memcpy (h + 8, "WAVEfmt ", 8);
    GST_WRITE_UINT32_LE (h + 16, 16);
    GST_WRITE_UINT16_LE (h + 20, codecs[c].wav_format);
    GST_WRITE_UINT16_LE (h + 22, 1);
    GST_WRITE_UINT32_LE (h + 24, 8000);
    GST_WRITE_UINT32_LE (h + 28, 8000);
    GST_WRITE_UINT16_LE (h + 32, 1);
    GST_WRITE_UINT16_LE (h + 34, 8);
    memcpy (h + 36, "data", 4);
    GST_WRITE_UINT32_LE (h + 40, size);
    g_byte_array_append (with_header, h, sizeof (h));
    g_byte_array_append (with_header, data, size);
    second = g_byte_array_free_to_bytes (with_header);

    output_init (&out);
    feed_flush (f, g711, 0, &out);
    /* the first chunk is the header whole: a header cut in two would be
     * taken for samples, as it would by any client */
    {
      GError *error = NULL;
      GBytes *head = g_bytes_new_from_bytes (second, 0, 4096);
      GBytes *rest = g_bytes_new_from_bytes (second, 4096, size + 44 - 4096);

      fail_unless (inworld_audio_framer_push (f, head, &error));
      fail_unless (inworld_audio_framer_push (f, rest, &error));
      out.dropped += inworld_audio_framer_end_flush (f);
      collect (f, &out);
      g_bytes_unref (head);
      g_bytes_unref (rest);
    }
    fail_unless_equals_int (out.samples, 16000);
    fail_unless_equals_int (out.dropped, 0);
    fail_unless (gst_structure_has_name (gst_caps_get_structure (out.caps, 0),
            inworld_audio_media_type (codecs[c].encoding)));
    for (guint i = 0; i < out.buffers->len; i++) {
      GstBuffer *buf = g_ptr_array_index (out.buffers, i);
      GstMapInfo map;

      gst_buffer_map (buf, &map, GST_MAP_READ);
      g_byte_array_append (all, map.data, map.size);
      gst_buffer_unmap (buf, &map);
    }
    /* both flushes' bytes, unchanged and without the header */
    fail_unless_equals_int (all->len, 2 * size);
    fail_unless (memcmp (all->data, data, size) == 0);
    fail_unless (memcmp (all->data + size, data, size) == 0);

    g_byte_array_unref (all);
    g_bytes_unref (second);
    g_bytes_unref (g711);
    output_clear (&out);
    inworld_audio_framer_free (f);
  }
}

GST_END_TEST;

static gboolean
can_take (GstCaps * caps, const gchar * str)
{
  GstCaps *other = gst_caps_from_string (str);
  gboolean ok = gst_caps_can_intersect (caps, other);

  gst_caps_unref (other);
  return ok;
}

GST_START_TEST (test_media_types)
{
  InworldEncoding encoding;
  GstCaps *caps;

  fail_unless (inworld_audio_encoding_for_media_type ("audio/x-raw",
          &encoding));
  fail_unless_equals_int (encoding, INWORLD_ENCODING_PCM);
  fail_unless (inworld_audio_encoding_for_media_type ("audio/x-opus",
          &encoding));
  fail_unless_equals_int (encoding, INWORLD_ENCODING_OGG_OPUS);
  fail_if (inworld_audio_encoding_for_media_type ("video/x-raw", &encoding));

  /* the rates each encoding allows */
  caps = inworld_audio_template_caps (INWORLD_ENCODING_MP3);
  fail_if (can_take (caps, "audio/mpeg, rate=(int)8000"));
  fail_unless (can_take (caps, "audio/mpeg, rate=(int)16000"));
  gst_caps_unref (caps);
  caps = inworld_audio_template_caps (INWORLD_ENCODING_ALAW);
  fail_if (can_take (caps, "audio/x-alaw, rate=(int)16000"));
  fail_unless (can_take (caps, "audio/x-alaw, rate=(int)8000"));
  gst_caps_unref (caps);
}

GST_END_TEST;

static Suite *
codecs_suite (void)
{
  Suite *s = suite_create ("codecs");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_mp3_frames);
  tcase_add_test (tc, test_mp3_info_frame_and_junk);
  tcase_add_test (tc, test_mp3_wrong_rate);
  tcase_add_test (tc, test_opus_packets);
  tcase_add_test (tc, test_opus_bad_page);
  tcase_add_test (tc, test_flac_frames);
  tcase_add_test (tc, test_flac_bad_frame);
  tcase_add_test (tc, test_g711);
  tcase_add_test (tc, test_media_types);
  return s;
}

GST_CHECK_MAIN (codecs);
