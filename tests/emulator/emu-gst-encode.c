/* inworld-tts-emulator: compressed encodings through GStreamer's encoders
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "emu-gst-encode.h"

#include <string.h>

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define S16_NE "S16LE"
#else
#define S16_NE "S16BE"
#endif

/* CBR bitrates (kbit/s) lamemp3enc takes: MPEG-1 Layer III (32, 44.1,
 * 48 kHz) and MPEG-2/2.5 Layer III (lower rates), without MPEG-2's 144,
 * which lamemp3enc does not list. */
static const gint mpeg1_kbps[] = {
  32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320
};
static const gint mpeg2_kbps[] = {
  8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160
};

/* The MP3 bitrate closest to @bit_rate bit/s at @rate (the lower on a
 * tie): above 24 kHz MP3 is MPEG-1, which goes up to 320 kbit/s; at 24 kHz
 * and below it is MPEG-2, whose maximum is 160 kbit/s. */
static gint
mp3_kbps (gint rate, gint bit_rate)
{
  const gint *table = rate > 24000 ? mpeg1_kbps : mpeg2_kbps;
  guint n = rate > 24000 ? G_N_ELEMENTS (mpeg1_kbps) :
      G_N_ELEMENTS (mpeg2_kbps);
  gint best = table[0];

  for (guint i = 1; i < n; i++)
    if (ABS (table[i] * 1000 - bit_rate) < ABS (best * 1000 - bit_rate))
      best = table[i];
  return best;
}

#define FLAC_BLOCK_SIZE 4608   /* flacenc's default */

static gboolean
opus_takes_rate (gint rate)
{
  return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000
      || rate == 48000;
}

/* flacenc's block size: its default, except that a flush must have at
 * least two frames. flacenc 1.22 announces a padded last frame with an
 * extra segment event, which it sends before its caps (and with a
 * GStreamer warning on stderr) when that frame is also the first. */
static guint
flac_block_size (guint64 n_samples)
{
  if (n_samples > FLAC_BLOCK_SIZE)
    return FLAC_BLOCK_SIZE;
  return (guint) MAX (n_samples / 2, 16);
}

/* The part of the launch line between appsrc and appsink. */
static gchar *
encoder_chain (EmuEncoding encoding, gint rate, gint bit_rate,
    guint64 n_samples)
{
  switch (encoding) {
    case EMU_ENCODING_MP3:
      return g_strdup_printf ("lamemp3enc target=bitrate cbr=true "
          "bitrate=%d", mp3_kbps (rate, bit_rate));
    case EMU_ENCODING_OGG_OPUS:
      return g_strdup_printf ("%sopusenc bitrate=%d bitrate-type=cbr "
          "frame-size=20 ! oggmux max-page-delay=%" G_GUINT64_FORMAT
          " max-delay=%" G_GUINT64_FORMAT, opus_takes_rate (rate) ? "" :
          "audioresample ! audio/x-raw,rate=48000 ! ", bit_rate,
          (guint64) EMU_OGG_PAGE_MS * GST_MSECOND,
          (guint64) EMU_OGG_PAGE_MS * GST_MSECOND);
    case EMU_ENCODING_FLAC:
      /* no SEEKTABLE: its placeholders are only filled in by a rewrite */
      return g_strdup_printf ("flacenc seekpoints=0 blocksize=%u",
          flac_block_size (n_samples));
    case EMU_ENCODING_ALAW:
      return g_strdup ("alawenc");
    case EMU_ENCODING_MULAW:
      return g_strdup ("mulawenc");
    default:
      return NULL;
  }
}

gchar *
emu_gst_encode_missing_elements (void)
{
  static const gchar *const needed[] = {
    "appsrc", "appsink", "audioresample", "lamemp3enc", "opusenc", "oggmux",
    "flacenc", "alawenc", "mulawenc",
  };
  GString *missing = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (needed); i++) {
    GstElementFactory *factory = gst_element_factory_find (needed[i]);

    if (factory)
      gst_object_unref (factory);
    else
      g_string_append_printf (missing, "%s%s", missing->len ? ", " : "",
          needed[i]);
  }
  if (missing->len == 0) {
    g_string_free (missing, TRUE);
    return NULL;
  }
  return g_string_free (missing, FALSE);
}

typedef struct
{
  GByteArray *out;
  gboolean rewriting;           /* the encoder seeked back */
} Collect;

static GstFlowReturn
on_new_sample (GstAppSink * sink, gpointer user_data)
{
  Collect *col = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  GstMapInfo map;

  if (!sample)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  if (buf && gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_byte_array_append (col->out, map.data, map.size);
    gst_buffer_unmap (buf, &map);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* The byte stream goes to a socket, not a file: what an encoder sends
 * after seeking back (flacenc rewriting STREAMINFO at EOS, announced by a
 * byte segment starting before the end of what it wrote) would land at the
 * end of the stream instead of over its start, so it is dropped. flacenc
 * 1.22 sees that appsink cannot seek and does not try; this keeps the
 * stream valid should another version try anyway. */
static GstPadProbeReturn
drop_rewrites (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Collect *col = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    const GstSegment *segment;

    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      gst_event_parse_segment (event, &segment);
      if (segment->format == GST_FORMAT_BYTES
          && segment->start < col->out->len)
        col->rewriting = TRUE;
    }
    return GST_PAD_PROBE_OK;
  }
  return col->rewriting ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

GBytes *
emu_gst_encode (EmuEncoding encoding, gint rate, gint bit_rate,
    const gint16 * samples, guint64 n_samples, GError ** error)
{
  gchar *chain, *line;
  GstElement *pipeline, *src, *sink;
  GstAppSinkCallbacks callbacks = { 0 };
  GstCaps *caps;
  GstBuffer *buf;
  GstSample *sample;
  GstSegment segment;
  GstBus *bus;
  GstMessage *msg;
  GstPad *pad;
  Collect col = { 0 };
  /* rounded up, so that no sample is clipped off as outside it */
  GstClockTime duration = gst_util_uint64_scale_ceil (n_samples, GST_SECOND,
      rate);
  gboolean ok;

  g_return_val_if_fail (n_samples > 0, NULL);
  if (bit_rate <= 0)
    bit_rate = EMU_DEFAULT_BIT_RATE;
  chain = encoder_chain (encoding, rate, bit_rate, n_samples);
  if (!chain) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "no GStreamer encoder for %s", emu_encoding_to_string (encoding));
    return NULL;
  }
  line = g_strdup_printf ("appsrc name=src format=time ! %s ! "
      "appsink name=sink sync=false", chain);
  g_free (chain);
  pipeline = gst_parse_launch_full (line, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
      error);
  g_free (line);
  if (!pipeline)
    return NULL;

  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, S16_NE,
      "layout", G_TYPE_STRING, "interleaved", "channels", G_TYPE_INT, 1,
      "rate", G_TYPE_INT, rate, NULL);
  /* the duration lets flacenc announce the sample count in STREAMINFO;
   * the segment's stop tells the encoders where the audio ends (the last
   * Ogg granule position trims opusenc's padded last frame), so that they
   * need not send a segment update of their own for it */
  g_object_set (src, "caps", caps, "duration", duration,
      "handle-segment-change", TRUE, NULL);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.stop = duration;

  col.out = g_byte_array_new ();
  callbacks.new_sample = on_new_sample;
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, &col, NULL);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, drop_rewrites, &col, NULL);
  gst_object_unref (pad);

  bus = gst_element_get_bus (pipeline);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  } else {
    /* one buffer and EOS; the bus says when all is out (or why not) */
    buf = gst_buffer_new_memdup (samples, n_samples * sizeof (gint16));
    GST_BUFFER_PTS (buf) = 0;
    GST_BUFFER_DURATION (buf) = duration;
    GST_BUFFER_OFFSET (buf) = 0;
    GST_BUFFER_OFFSET_END (buf) = n_samples;
    sample = gst_sample_new (buf, caps, &segment, NULL);
    gst_buffer_unref (buf);
    gst_app_src_push_sample (GST_APP_SRC (src), sample);
    gst_sample_unref (sample);
    gst_app_src_end_of_stream (GST_APP_SRC (src));
    msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  }
  ok = msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (!ok) {
    GError *gerr = NULL;
    gchar *debug = NULL;

    if (msg)
      gst_message_parse_error (msg, &gerr, &debug);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "%s encoding failed: %s (%s)", emu_encoding_to_string (encoding),
        gerr ? gerr->message : "state change failed", debug ? debug : "");
    g_clear_error (&gerr);
    g_free (debug);
  }
  g_clear_pointer (&msg, gst_message_unref);
  gst_caps_unref (caps);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);

  if (!ok) {
    g_byte_array_unref (col.out);
    return NULL;
  }
  return g_byte_array_free_to_bytes (col.out);
}
