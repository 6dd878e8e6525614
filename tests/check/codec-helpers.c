/* Encoding and decoding with GStreamer's own elements, for the tests
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "codec-helpers.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/pbutils/pbutils.h>
#include <math.h>
#include <string.h>

gint16 *
codec_tone (gint rate, guint64 n_samples)
{
  gint16 *samples = g_new (gint16, n_samples);
  gdouble phase = 0;

  for (guint64 i = 0; i < n_samples; i++) {
    gdouble freq = 200 + 1800.0 * (i % rate) / rate;

    phase += 2 * G_PI * freq / rate;
    samples[i] = (gint16) (12000 * sin (phase));
  }
  return samples;
}

/* Runs @pipeline, which has an appsrc "src" fed by @feed and an appsink
 * "sink", and gathers the sink's bytes. */
static GBytes *
run_appsink_pipeline (GstElement * pipeline, void (*feed) (GstAppSrc * src,
        gpointer data), gpointer data)
{
  GstElement *src = feed ? gst_bin_get_by_name (GST_BIN (pipeline), "src")
      : NULL;
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GByteArray *out = g_byte_array_new ();
  GstBus *bus = gst_element_get_bus (pipeline);
  GstSample *sample;
  GstMessage *msg;
  gboolean failed = FALSE;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  if (src) {
    feed (GST_APP_SRC (src), data);
    gst_app_src_end_of_stream (GST_APP_SRC (src));
  }
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_byte_array_append (out, map.data, map.size);
    gst_buffer_unmap (buf, &map);
    gst_sample_unref (sample);
  }
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg) {
    GError *error = NULL;
    gchar *debug = NULL;

    gst_message_parse_error (msg, &error, &debug);
    g_printerr ("pipeline error: %s (%s)\n", error->message, debug);
    g_clear_error (&error);
    g_free (debug);
    gst_message_unref (msg);
    failed = TRUE;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_clear_object (&src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  if (failed) {
    g_byte_array_unref (out);
    return NULL;
  }
  return g_byte_array_free_to_bytes (out);
}

typedef struct
{
  const gint16 *samples;
  guint64 n;
  gint rate;
} PcmFeed;

static void
feed_pcm (GstAppSrc * src, gpointer data)
{
  PcmFeed *pcm = data;
  GstBuffer *buf = gst_buffer_new_memdup (pcm->samples, pcm->n * 2);

  /* muxers want timestamps */
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_int (pcm->n, GST_SECOND,
      pcm->rate);
  gst_app_src_push_buffer (src, buf);
}

GBytes *
codec_encode (const gchar * chain, gint rate, const gint16 * samples,
    guint64 n_samples)
{
  gchar *desc = g_strdup_printf ("appsrc name=src format=time "
      "caps=audio/x-raw,format=S16LE,layout=interleaved,channels=1,rate=%d "
      "! %s ! appsink name=sink sync=false", rate, chain);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  PcmFeed pcm = { samples, n_samples, rate };

  g_free (desc);
  g_assert (pipeline != NULL);
  return run_appsink_pipeline (pipeline, feed_pcm, &pcm);
}

static void
feed_buffers (GstAppSrc * src, gpointer data)
{
  GPtrArray *buffers = data;

  for (guint i = 0; i < buffers->len; i++)
    gst_app_src_push_buffer (src,
        gst_buffer_ref (g_ptr_array_index (buffers, i)));
}

gint16 *
codec_decode (GstCaps * caps, GPtrArray * buffers, const gchar * chain,
    guint64 * n_samples)
{
  gchar *desc = g_strdup_printf ("appsrc name=src format=time ! %s ! "
      "audioconvert ! audio/x-raw,format=S16LE,channels=1 ! "
      "appsink name=sink sync=false", chain);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GBytes *bytes;
  gsize size;

  g_free (desc);
  g_object_set (src, "caps", caps, NULL);
  gst_object_unref (src);
  bytes = run_appsink_pipeline (pipeline, feed_buffers, buffers);
  if (bytes == NULL)
    return NULL;
  *n_samples = g_bytes_get_size (bytes) / 2;
  return g_bytes_unref_to_data (bytes, &size);
}

gboolean
codec_run (const gchar * description)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  GstBus *bus;
  GstMessage *msg;
  gboolean ok;

  if (pipeline == NULL) {
    g_printerr ("%s: %s\n", description, error->message);
    g_clear_error (&error);
    return FALSE;
  }
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (msg && !ok) {
    gchar *debug = NULL;

    gst_message_parse_error (msg, &error, &debug);
    g_printerr ("%s: %s (%s)\n", description, error->message, debug);
    g_clear_error (&error);
    g_free (debug);
  }
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return ok;
}

gint64
codec_file_samples (const gchar * path, const gchar * chain)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! %s ! "
      "audioconvert ! audio/x-raw,format=S16LE,channels=1 ! "
      "appsink name=sink sync=false", path, chain);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GBytes *bytes;
  gint64 n;

  g_free (desc);
  g_assert (pipeline != NULL);
  bytes = run_appsink_pipeline (pipeline, NULL, NULL);
  if (bytes == NULL)
    return -1;
  n = g_bytes_get_size (bytes) / 2;
  g_bytes_unref (bytes);
  return n;
}

GstClockTime
codec_file_duration (const gchar * path)
{
  GstDiscoverer *discoverer = gst_discoverer_new (30 * GST_SECOND, NULL);
  gchar *uri = gst_filename_to_uri (path, NULL);
  GstDiscovererInfo *info;
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  GError *error = NULL;

  info = gst_discoverer_discover_uri (discoverer, uri, &error);
  if (info) {
    duration = gst_discoverer_info_get_duration (info);
    g_object_unref (info);
  }
  if (error) {
    g_printerr ("discovering %s: %s\n", path, error->message);
    g_clear_error (&error);
  }
  g_free (uri);
  g_object_unref (discoverer);
  return duration;
}
