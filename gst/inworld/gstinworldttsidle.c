/* inworldttssrc: continuous output (idle=silence)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* With idle=silence, a live element putting out raw audio fills the time
 * between utterances with silence buffers instead of GAP events, so that
 * RTP payloaders, webrtcbin and muxers see one continuous stream.
 *
 * The silence is paced by the pipeline clock: the chunk [p, p + CHUNK)
 * goes out when the running time reaches p + latency - CHUNK, CHUNK ahead
 * of the moment a sink plays it (p plus the pipeline's latency, which
 * includes the element's). So the silence stays about the latency behind
 * the running time: speech that comes within the latency still starts at
 * its requested time, as it does between GAPs, and speech that comes
 * later starts at the next sample after the silence already pushed.
 * After a start or an interruption (a DISCONT pending) the first chunk
 * goes at once, which lets sinks preroll.
 *
 * Every silence buffer starts where the previous buffer ended, to the
 * nanosecond and to the sample (OFFSET, OFFSET_END); a synthesis under
 * way goes on right after silence put in the middle of it (a server that
 * stalls longer than the latency). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstinworldttssrcpriv.h"

/* the duration of a chunk of paced silence */
#define CHUNK_MS 20

/* Bytes per sample and the byte of silence of the raw encodings; FALSE
 * for the encoded ones. G.711 silence is the code of a zero sample:
 * 0xD5 in A-law, 0xFF in mu-law. */
static gboolean
silence_format (InworldEncoding encoding, guint * bps, guint8 * fill)
{
  switch (encoding) {
    case INWORLD_ENCODING_PCM:
    case INWORLD_ENCODING_LINEAR16:
    case INWORLD_ENCODING_WAV:
      *bps = 2;
      *fill = 0;
      return TRUE;
    case INWORLD_ENCODING_ALAW:
      *bps = 1;
      *fill = 0xD5;
      return TRUE;
    case INWORLD_ENCODING_MULAW:
      *bps = 1;
      *fill = 0xFF;
      return TRUE;
    default:
      return FALSE;
  }
}

gboolean
gst_inworld_tts_src_idle_decide (GstInworldTtsSrc * self)
{
  GstInworldTtsIdle idle;
  guint bps;
  guint8 fill;

  GST_OBJECT_LOCK (self);
  idle = self->idle;
  GST_OBJECT_UNLOCK (self);
  self->idle_flow = GST_FLOW_OK;
  self->idle_base = GST_CLOCK_TIME_NONE;
  self->idle_samples = 0;
  if (idle != GST_INWORLD_TTS_IDLE_SILENCE)
    return FALSE;

  if (!self->live) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("idle=silence is ignored: the element is not live (set "
            "is-live=true). The time between utterances stays GAP events."),
        (NULL));
    return FALSE;
  }
  if (!silence_format (self->wire_encoding, &bps, &fill)) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("idle=silence is ignored: the output is %s, and silence is made "
            "for raw audio only (audio/x-raw, audio/x-alaw, audio/x-mulaw). "
            "The time between utterances stays GAP events.",
            inworld_audio_media_type (self->wire_encoding)), (NULL));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "idle=silence: a continuous stream, %d ms chunks",
      CHUNK_MS);
  return TRUE;
}

static GstClockTime
samples_time (GstInworldTtsSrc * self, guint64 samples)
{
  return gst_util_uint64_scale_int (samples, GST_SECOND, self->clock_rate);
}

/* Pushes @n samples of silence at the position. Consecutive silence
 * buffers count from the start of their run, so that their times are
 * exact by sample count whatever the rate. */
static GstFlowReturn
push_silence (GstInworldTtsSrc * self, guint64 n)
{
  GstBuffer *buf;
  GstClockTime pts = self->position, end;
  GstClockTime synth_base = self->synth_base;
  guint64 samples = self->samples, run = self->idle_samples;
  guint bps = 2;
  guint8 fill = 0;
  GstFlowReturn ret;

  silence_format (self->wire_encoding, &bps, &fill);
  if (!GST_CLOCK_TIME_IS_VALID (self->idle_base)
      || self->idle_base + samples_time (self, self->idle_samples) != pts) {
    /* speech (or an interruption) moved the position: a new run */
    self->idle_base = pts;
    self->idle_samples = 0;
  }
  end = self->idle_base + samples_time (self, self->idle_samples + n);

  buf = gst_buffer_new_allocate (NULL, n * bps, NULL);
  gst_buffer_memset (buf, 0, fill, n * bps);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = end - pts;
  GST_BUFFER_OFFSET (buf) = self->samples;
  GST_BUFFER_OFFSET_END (buf) = self->samples + n;
  if (self->discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  self->idle_samples += n;
  self->samples += n;
  self->position = end;
  /* a synthesis under way goes on after the silence */
  if (self->synthesis)
    self->synth_base = end - samples_time (self, self->synth_samples);
  GST_LOG_OBJECT (self, "pushing %" G_GUINT64_FORMAT " samples of silence "
      "at %" GST_TIME_FORMAT, n, GST_TIME_ARGS (pts));
  ret = gst_pad_push (self->srcpad, buf);
  if (ret == GST_FLOW_FLUSHING) {
    /* an interruption dropped it: it never went out, and the stream goes
     * on after the flush where it was before it */
    self->position = pts;
    self->samples = samples;
    self->idle_samples = run;
    self->synth_base = synth_base;
  }
  return ret;
}

static guint64
chunk_samples (GstInworldTtsSrc * self)
{
  return MAX (1, self->clock_rate * CHUNK_MS / 1000);
}

void
gst_inworld_tts_src_idle_fill (GstInworldTtsSrc * self, GstClockTime until)
{
  GstFlowReturn ret = GST_FLOW_OK;

  GST_DEBUG_OBJECT (self, "silence %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT,
      GST_TIME_ARGS (self->position), GST_TIME_ARGS (until));
  while (ret == GST_FLOW_OK && self->position < until) {
    /* to the first sample at or after @until */
    guint64 n = gst_util_uint64_scale_int_ceil (until - self->position,
        self->clock_rate, GST_SECOND);

    ret = push_silence (self, MAX (1, MIN (n, chunk_samples (self))));
  }
  /* the callers (the timeline) go on; the next pop returns the failure */
  if (ret != GST_FLOW_OK && self->idle_flow == GST_FLOW_OK)
    self->idle_flow = ret;
}

void
gst_inworld_tts_src_idle_wake (GstInworldTtsSrc * self)
{
  if (self->idle_clock_id)
    gst_clock_id_unschedule (self->idle_clock_id);
}

/* TRUE when an output is there, the queue flushes or the element left
 * PLAYING: the wait must end (qlock held). */
static gboolean
wait_over (GstInworldTtsSrc * self)
{
  return self->qflushing || !self->playing || self->outputs.length > 0;
}

/* Waits until running time @due; FALSE when cut short (wait_over). */
static gboolean
wait_until (GstInworldTtsSrc * self, GstClockTime due)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockID id;
  GstClockReturn res;

  if (clock == NULL) {
    /* no pipeline clock (an element alone): a chunk's worth of the
     * monotonic clock then */
    gint64 end = g_get_monotonic_time () + CHUNK_MS * G_TIME_SPAN_MILLISECOND;
    gboolean over = FALSE;

    g_mutex_lock (&self->qlock);
    while (!(over = wait_over (self)))
      if (!g_cond_wait_until (&self->qcond, &self->qlock, end))
        break;
    g_mutex_unlock (&self->qlock);
    return !over;
  }

  id = gst_clock_new_single_shot_id (clock,
      gst_element_get_base_time (GST_ELEMENT (self)) + due);
  g_mutex_lock (&self->qlock);
  if (wait_over (self)) {
    g_mutex_unlock (&self->qlock);
    res = GST_CLOCK_UNSCHEDULED;
  } else {
    self->idle_clock_id = id;
    g_mutex_unlock (&self->qlock);
    /* an unschedule between the unlock and here makes it return at once */
    res = gst_clock_id_wait (id, NULL);
    g_mutex_lock (&self->qlock);
    self->idle_clock_id = NULL;
    g_mutex_unlock (&self->qlock);
  }
  gst_clock_id_unref (id);
  gst_object_unref (clock);
  return res == GST_CLOCK_OK || res == GST_CLOCK_EARLY;
}

/* The running time at which the next chunk goes out. */
static GstClockTime
chunk_due (GstInworldTtsSrc * self)
{
  GstClockTime latency, chunk = samples_time (self, chunk_samples (self));

  /* at once after a start or an interruption: sinks preroll on it */
  if (self->discont)
    return 0;
  GST_OBJECT_LOCK (self);
  latency = self->latency;
  GST_OBJECT_UNLOCK (self);
  return self->position + MAX (latency, chunk) - chunk;
}

InworldOutput *
gst_inworld_tts_src_idle_pop (GstInworldTtsSrc * self, gint epoch,
    GstFlowReturn * ret)
{
  InworldOutput *output;
  gboolean playing;

  for (;;) {
    *ret = self->idle_flow;
    self->idle_flow = GST_FLOW_OK;
    if (*ret != GST_FLOW_OK)
      return NULL;

    g_mutex_lock (&self->qlock);
    if (self->qflushing) {
      g_mutex_unlock (&self->qlock);
      *ret = GST_FLOW_FLUSHING;
      return NULL;
    }
    output = g_queue_pop_head (&self->outputs);
    playing = self->playing;
    /* paused: a live source makes nothing until PLAYING again */
    if (output == NULL && !playing)
      g_cond_wait (&self->qcond, &self->qlock);
    g_mutex_unlock (&self->qlock);
    if (output)
      return output;
    if (!playing || !wait_until (self, chunk_due (self)))
      continue;

    *ret = push_silence (self, chunk_samples (self));
    if (*ret == GST_FLOW_OK && g_atomic_int_get (&self->epoch) != epoch)
      *ret = GST_FLOW_FLUSHING;
    if (*ret != GST_FLOW_OK)
      return NULL;
  }
}
