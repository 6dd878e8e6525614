/* inworldttssrc live: speech mixed into a live stream, against the emulator
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The pipeline of a live voice app that mixes speech into another live
 * stream:
 *
 *   audiotestsrc is-live=true wave=silence samplesperbuffer=480
 *     ! audio/x-raw,rate=24000,channels=1,format=S16LE
 *     ! audiomixer name=m start-time-selection=first latency=50ms ! appsink
 *   inworldttssrc is-live=true ! audioconvert ! audioresample
 *     ! audio/x-raw,rate=24000 ! m.
 *
 * The text is pushed once the pipeline is PLAYING (push-text, or a buffer
 * on the request sink pad). The test tone is silence, so every non-zero
 * sample out of the mixer is speech, and with the emulator's test signal
 * each one can be checked.
 *
 * start-time-selection=first: with the default (zero), GStreamer 1.22's
 * aggregator can put out a first buffer on its timeout before any input
 * arrived (a CPU-starved machine), and the first input then moves its
 * output position back to 0, so the next buffer's PTS goes backwards
 * (seen a few times in ~100 runs on a loaded machine; inworldttssrc plays
 * no part in it:
 * its pad gets nothing before the text is pushed). With "first" the mixer
 * waits for its first input before it starts its clock.
 *
 * Each run checks:
 *
 *  - the mixer's output is contiguous: every PTS is the previous PTS plus
 *    its duration, no DISCONT after the first buffer (audiomixer does not
 *    flag its first one either);
 *  - nothing is lost: the output covers the running time up to the moment
 *    the run is stopped, less the pipeline latency;
 *  - the speech: silence before the text was pushed, then every sample of
 *    the flush's test signal in a row, then silence again;
 *  - the pipeline latency (a latency query on the pipeline) includes the
 *    element's latency property;
 *  - lateness: with a latency larger than the server's delay, the speech
 *    starts exactly at the running time its text was pushed and no
 *    warning is posted; with a tiny latency and a slow first chunk, one
 *    CORE/CLOCK warning "Speech arrived ... later than the latency ..."
 *    and the whole speech still comes out, shifted by the delay. */

#include <gst/check/gstcheck.h>
#include <gst/app/app.h>
#include <string.h>

#include "emulator-fixture.h"
#include "inworld-test-signal.h"

#define RATE 24000
#define FLUSH_COMPLETED "inworld-flush-completed"
#define MIXER_LATENCY (50 * GST_MSECOND)
/* silence recorded before the text is pushed */
#define LEAD_IN (400 * GST_MSECOND)
/* how far the output may lag behind the running time less the latency
 * when the run is stopped (one 10 ms output buffer, scheduling) */
#define OUTPUT_SLACK (150 * GST_MSECOND)
#define RUN_TIMEOUT (20 * G_TIME_SPAN_SECOND)

static const gchar *text = "Live speech mixed over a silent tone.";

/* What came out of the mixer. */
typedef struct
{
  GMutex lock;
  GArray *pts, *duration;       /* guint64 */
  GArray *first_sample;         /* guint64: index of each buffer's first */
  guint discont_after_first;
  GByteArray *audio;            /* S16LE mono at RATE, in output order */
} Output;

typedef struct
{
  InworldEmulator *emu;
  GstElement *pipeline, *tts;
  GstBus *bus;
  Output out;
  GPtrArray *warnings;          /* GstMessage, from any element */
  GstClockTime latency;         /* the pipeline's, from a latency query */
  GstClockTime pushed_min, pushed_max;  /* running time around push-text */
  GstClockTime arrived;         /* running time the text reached tts.sink */
  GstClockTime speech_end;      /* flush-completed timestamp */
  GstClockTime stopped_at;      /* running time when the output was read */
  GstClockTime out_start, out_end;      /* output span at that moment */
  guint out_buffers;
  guint64 out_samples;
} Live;

static GstFlowReturn
on_new_sample (GstAppSink * sink, gpointer user_data)
{
  Output *out = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  GstMapInfo map;
  guint64 v;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  g_mutex_lock (&out->lock);
  if (out->pts->len > 0 && GST_BUFFER_FLAG_IS_SET (buf,
          GST_BUFFER_FLAG_DISCONT))
    out->discont_after_first++;
  v = GST_BUFFER_PTS (buf);
  g_array_append_val (out->pts, v);
  v = GST_BUFFER_DURATION (buf);
  g_array_append_val (out->duration, v);
  v = out->audio->len / 2;
  g_array_append_val (out->first_sample, v);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_byte_array_append (out->audio, map.data, map.size);
  gst_buffer_unmap (buf, &map);
  g_mutex_unlock (&out->lock);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* The text buffer reaching the element's sink pad (the appsrc case). */
static GstPadProbeReturn
arrival_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Live *live = user_data;

  live->arrived = gst_element_get_current_running_time (live->pipeline);
  return GST_PAD_PROBE_REMOVE;
}

/* Builds the pipeline; @text_from_pad: an appsrc feeds the sink pad. */
static Live *
live_new (GstClockTime tts_latency, const gchar * first_audio_delay,
    gboolean text_from_pad)
{
  Live *live = g_new0 (Live, 1);
  GstElement *sink;
  GstAppSinkCallbacks callbacks = { NULL, NULL, on_new_sample };
  GError *error = NULL;
  gchar *desc;

  live->emu = inworld_emulator_start (first_audio_delay, NULL);
  desc = g_strdup_printf ("audiotestsrc is-live=true wave=silence "
      "samplesperbuffer=480 ! audio/x-raw,rate=%d,channels=1,format=S16LE "
      "! audiomixer name=m start-time-selection=first latency=%"
      G_GUINT64_FORMAT " "
      "! appsink name=out sync=true "
      "inworldttssrc name=tts is-live=true ! audioconvert ! audioresample "
      "! audio/x-raw,rate=%d ! m. %s", RATE, MIXER_LATENCY, RATE,
      text_from_pad ? "appsrc name=text is-live=true format=time "
      "caps=text/x-raw,format=utf8 ! tts.sink" : "");
  live->pipeline = gst_parse_launch (desc, &error);
  fail_unless (live->pipeline != NULL, "%s: %s", desc,
      error ? error->message : "?");
  g_free (desc);

  live->tts = gst_bin_get_by_name (GST_BIN (live->pipeline), "tts");
  g_object_set (live->tts, "uri", live->emu->uri, "api-key", TEST_API_KEY,
      "latency", tts_latency, NULL);
  sink = gst_bin_get_by_name (GST_BIN (live->pipeline), "out");
  g_mutex_init (&live->out.lock);
  live->out.pts = g_array_new (FALSE, FALSE, sizeof (guint64));
  live->out.duration = g_array_new (FALSE, FALSE, sizeof (guint64));
  live->out.first_sample = g_array_new (FALSE, FALSE, sizeof (guint64));
  live->out.audio = g_byte_array_new ();
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, &live->out,
      NULL);
  gst_object_unref (sink);

  live->bus = gst_element_get_bus (live->pipeline);
  live->warnings =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_message_unref);
  live->speech_end = GST_CLOCK_TIME_NONE;
  live->arrived = GST_CLOCK_TIME_NONE;
  if (text_from_pad) {
    GstPad *pad = gst_element_get_static_pad (live->tts, "sink");

    fail_unless (pad != NULL, "no request pad sink on the element");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, arrival_probe, live,
        NULL);
    gst_object_unref (pad);
  }
  return live;
}

static void
live_free (Live * live)
{
  gst_element_set_state (live->pipeline, GST_STATE_NULL);
  gst_object_unref (live->tts);
  gst_object_unref (live->bus);
  gst_object_unref (live->pipeline);
  g_array_unref (live->out.pts);
  g_array_unref (live->out.duration);
  g_array_unref (live->out.first_sample);
  g_byte_array_unref (live->out.audio);
  g_mutex_clear (&live->out.lock);
  g_ptr_array_unref (live->warnings);
  inworld_emulator_stop (live->emu);
  g_free (live);
}

static GstClockTime
running_time (Live * live)
{
  return gst_element_get_current_running_time (live->pipeline);
}

/* End of the output so far (its running time; the segment is the
 * default one). */
static GstClockTime
output_end (Live * live)
{
  GstClockTime end = GST_CLOCK_TIME_NONE;
  guint n;

  g_mutex_lock (&live->out.lock);
  n = live->out.pts->len;
  if (n > 0)
    end = g_array_index (live->out.pts, guint64, n - 1)
        + g_array_index (live->out.duration, guint64, n - 1);
  g_mutex_unlock (&live->out.lock);
  return end;
}

/* Pops bus messages for up to @ms: errors fail, warnings are kept, the
 * flush-completed message gives the end of the speech. */
static void
pump_bus (Live * live, guint ms)
{
  GstMessage *msg;

  while ((msg = gst_bus_timed_pop_filtered (live->bus, ms * GST_MSECOND,
              GST_MESSAGE_ERROR | GST_MESSAGE_WARNING |
              GST_MESSAGE_ELEMENT))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gchar *debug = NULL;

      gst_message_parse_error (msg, &err, &debug);
      fail ("error from %s: %s (%s)", GST_OBJECT_NAME (msg->src),
          err->message, debug ? debug : "");
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      g_ptr_array_add (live->warnings, msg);
      continue;
    } else if (gst_message_has_name (msg, FLUSH_COMPLETED)) {
      fail_unless (gst_structure_get_clock_time (gst_message_get_structure
              (msg), "timestamp", &live->speech_end));
    }
    gst_message_unref (msg);
    ms = 0;                     /* drain what is there, then return */
  }
}

/* PLAYING, a lead-in of silence, the text, then until the mixer has put
 * out the end of the speech and a little more; then stops the record. */
static void
live_run (Live * live)
{
  gint64 deadline = g_get_monotonic_time () + RUN_TIMEOUT;
  GstStateChangeReturn ret;
  GstQuery *q;
  gboolean is_live = FALSE;
  GstClockTime min = 0, max = 0, end;
  GstElement *appsrc;

  ret = gst_element_set_state (live->pipeline, GST_STATE_PLAYING);
  fail_if (ret == GST_STATE_CHANGE_FAILURE);
  /* the live tone reaches the appsink at once, so PLAYING completes
   * without any speech */
  ret = gst_element_get_state (live->pipeline, NULL, NULL, 5 * GST_SECOND);
  fail_unless_equals_int (ret, GST_STATE_CHANGE_SUCCESS);

  q = gst_query_new_latency ();
  fail_unless (gst_element_query (live->pipeline, q));
  gst_query_parse_latency (q, &is_live, &min, &max);
  gst_query_unref (q);
  fail_unless (is_live);
  live->latency = min;

  while (running_time (live) < LEAD_IN) {
    pump_bus (live, 10);
    fail_if (g_get_monotonic_time () > deadline, "no running time");
  }

  /* live: the speech's time is the running time the text arrived */
  appsrc = gst_bin_get_by_name (GST_BIN (live->pipeline), "text");
  live->pushed_min = running_time (live);
  if (appsrc) {
    GstBuffer *buf = gst_buffer_new_memdup (text, strlen (text));
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (appsrc),
            buf), GST_FLOW_OK);
  } else {
    gboolean accepted = FALSE;

    g_signal_emit_by_name (live->tts, "push-text", text, TRUE, &accepted);
    fail_unless (accepted);
  }
  /* the appsrc hands the buffer over on its own thread: the bound is set
   * once the element has it (its flush-completed comes after) */
  live->pushed_max = appsrc ? GST_CLOCK_TIME_NONE : running_time (live);

  /* wait for the speech to be pushed, then for the mixer to put it out */
  while (!GST_CLOCK_TIME_IS_VALID (live->speech_end)) {
    pump_bus (live, 10);
    fail_if (g_get_monotonic_time () > deadline, "the speech never ended");
  }
  if (appsrc) {
    fail_unless_equals_int (gst_app_src_end_of_stream (GST_APP_SRC (appsrc)),
        GST_FLOW_OK);
    gst_object_unref (appsrc);
  }
  do {
    pump_bus (live, 10);
    end = output_end (live);
    fail_if (g_get_monotonic_time () > deadline, "the mixer stopped at %"
        GST_TIME_FORMAT, GST_TIME_ARGS (end));
  } while (!GST_CLOCK_TIME_IS_VALID (end)
      || end < live->speech_end + 200 * GST_MSECOND);

  /* a snapshot: the running time now and the output so far */
  g_mutex_lock (&live->out.lock);
  live->stopped_at = running_time (live);
  live->out_buffers = live->out.pts->len;
  live->out_samples = live->out.audio->len / 2;
  live->out_start = g_array_index (live->out.pts, guint64, 0);
  live->out_end = g_array_index (live->out.pts, guint64, live->out.pts->len
      - 1) + g_array_index (live->out.duration, guint64,
      live->out.duration->len - 1);
  g_mutex_unlock (&live->out.lock);
  pump_bus (live, 0);
  gst_element_set_state (live->pipeline, GST_STATE_NULL);
  pump_bus (live, 0);

  GST_INFO ("latency %" GST_TIME_FORMAT ", pushed at %" GST_TIME_FORMAT
      ", speech ends at %" GST_TIME_FORMAT ", output %" GST_TIME_FORMAT
      " - %" GST_TIME_FORMAT " at running time %" GST_TIME_FORMAT,
      GST_TIME_ARGS (live->latency), GST_TIME_ARGS (live->pushed_min),
      GST_TIME_ARGS (live->speech_end), GST_TIME_ARGS (live->out_start),
      GST_TIME_ARGS (live->out_end), GST_TIME_ARGS (live->stopped_at));
}

/* Contiguous, nothing lost, and the latency in the pipeline's. */
static void
check_output (Live * live, GstClockTime tts_latency)
{
  Output *out = &live->out;
  guint64 sum = 0;
  guint n = out->pts->len;

  fail_unless (n > 10);
  fail_unless_equals_int (out->discont_after_first, 0);
  for (guint i = 0; i < n; i++) {
    guint64 pts = g_array_index (out->pts, guint64, i);
    guint64 dur = g_array_index (out->duration, guint64, i);

    fail_unless (GST_CLOCK_TIME_IS_VALID (pts)
        && GST_CLOCK_TIME_IS_VALID (dur));
    if (i > 0) {
      guint64 prev = g_array_index (out->pts, guint64, i - 1)
          + g_array_index (out->duration, guint64, i - 1);
      fail_unless (pts == prev, "buffer %u at %" GST_TIME_FORMAT
          ", the previous one ended at %" GST_TIME_FORMAT, i,
          GST_TIME_ARGS (pts), GST_TIME_ARGS (prev));
    }
  }
  /* no buffer lost: the durations add up to the span, and so do the
   * samples (to a sample: the mixer's first buffer starts at the running
   * time of its first input, its later ones on the sample grid) */
  sum = 0;
  for (guint i = 0; i < live->out_buffers; i++)
    sum += g_array_index (out->duration, guint64, i);
  fail_unless_equals_uint64 (sum, live->out_end - live->out_start);
  fail_unless (ABS ((gint64) gst_util_uint64_scale_int (live->out_samples,
              GST_SECOND, RATE) - (gint64) sum) <= GST_SECOND / RATE,
      "%" G_GUINT64_FORMAT
      " samples in %" GST_TIME_FORMAT, live->out_samples, GST_TIME_ARGS (sum));
  /* from the start of the run to the moment it was read, nothing is
   * missing: the output is behind the running time by the latency */
  /* the mixer starts at the running time of its first input (a few ms,
   * more under valgrind): well before the text, so that the silence
   * before the speech is in the output too */
  fail_unless (live->out_start + 100 * GST_MSECOND <= live->pushed_min,
      "output starts at %" GST_TIME_FORMAT ", text pushed at %"
      GST_TIME_FORMAT, GST_TIME_ARGS (live->out_start),
      GST_TIME_ARGS (live->pushed_min));
  fail_unless (live->out_end + live->latency + OUTPUT_SLACK >=
      live->stopped_at, "output ends at %" GST_TIME_FORMAT
      " at running time %" GST_TIME_FORMAT " with a latency of %"
      GST_TIME_FORMAT, GST_TIME_ARGS (live->out_end),
      GST_TIME_ARGS (live->stopped_at), GST_TIME_ARGS (live->latency));

  /* the element's latency is part of the pipeline's (and the mixer's) */
  fail_unless (live->latency >= tts_latency + MIXER_LATENCY,
      "pipeline latency %" GST_TIME_FORMAT " < %" GST_TIME_FORMAT " + %"
      GST_TIME_FORMAT, GST_TIME_ARGS (live->latency),
      GST_TIME_ARGS (tts_latency), GST_TIME_ARGS (MIXER_LATENCY));
}

/* Running time of output sample @i: its buffer's PTS plus its place in
 * the buffer. */
static GstClockTime
sample_time (Live * live, guint64 i)
{
  GArray *first = live->out.first_sample;
  guint lo = 0, hi = live->out_buffers;

  /* the last buffer whose first sample is <= i */
  while (hi - lo > 1) {
    guint mid = (lo + hi) / 2;
    if (g_array_index (first, guint64, mid) <= i)
      lo = mid;
    else
      hi = mid;
  }
  return g_array_index (live->out.pts, guint64, lo)
      + gst_util_uint64_scale_int (i - g_array_index (first, guint64, lo),
      GST_SECOND, RATE);
}

/* The speech: silence, then all of the test signal in a row, then
 * silence. Returns the running time of its first sample. */
static GstClockTime
check_speech (Live * live)
{
  const gint16 *s = (const gint16 *) live->out.audio->data;
  guint64 n = inworld_test_signal_n_samples (text, RATE);
  guint16 seed = inworld_test_signal_seed (text);
  guint64 first = 0, total = live->out_samples;
  GstClockTime start;

  while (first < total && s[first] == 0)
    first++;
  fail_unless (first < total, "no speech in %" G_GUINT64_FORMAT
      " samples", total);
  start = sample_time (live, first);
  /* not before the text was pushed (to a sample: PTS are in ns) */
  fail_unless (start + GST_SECOND / RATE >= live->pushed_min,
      "speech at %" GST_TIME_FORMAT ", text pushed at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (start), GST_TIME_ARGS (live->pushed_min));
  fail_unless (first + n <= total, "the speech is cut: %" G_GUINT64_FORMAT
      " of %" G_GUINT64_FORMAT " samples", total - first, n);
  for (guint64 i = 0; i < n; i++)
    fail_unless (GINT16_FROM_LE (s[first + i]) ==
        inworld_test_signal_sample (seed, i), "speech sample %"
        G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " (at %" GST_TIME_FORMAT
        "): %d, expected %d", i, n, GST_TIME_ARGS (sample_time (live,
                first + i)), GINT16_FROM_LE (s[first + i]),
        inworld_test_signal_sample (seed, i));
  for (guint64 i = first + n; i < total; i++)
    fail_unless (s[i] == 0, "sound after the speech at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (sample_time (live, i)));
  return start;
}

/* The lateness warnings the element posted. */
static guint
count_late_warnings (Live * live, gboolean * other)
{
  guint late = 0;

  *other = FALSE;
  for (guint i = 0; i < live->warnings->len; i++) {
    GstMessage *msg = g_ptr_array_index (live->warnings, i);
    GError *err = NULL;
    gchar *debug = NULL;

    gst_message_parse_warning (msg, &err, &debug);
    if (msg->src == GST_OBJECT (live->tts)
        && g_error_matches (err, GST_CORE_ERROR, GST_CORE_ERROR_CLOCK)
        && g_pattern_match_simple ("Speech arrived * ms later than the "
            "latency of * ms allows*", err->message))
      late++;
    else {
      GST_WARNING ("warning from %s: %s (%s)", GST_OBJECT_NAME (msg->src),
          err->message, debug);
      *other = TRUE;
    }
    g_error_free (err);
    g_free (debug);
  }
  return late;
}

/* Latency larger than the server's delay: the speech starts exactly when
 * its text was pushed, nothing is late. (1.5 s leaves room for the slow
 * round trip under valgrind.) */
GST_START_TEST (test_mix_in_time)
{
  const GstClockTime tts_latency = 1500 * GST_MSECOND;
  Live *live = live_new (tts_latency, "--first-audio-delay=20", FALSE);
  GstClockTime start;
  gboolean other;

  live_run (live);
  check_output (live, tts_latency);
  start = check_speech (live);
  fail_unless (start <= live->pushed_max + GST_SECOND / RATE,
      "speech at %" GST_TIME_FORMAT ", text pushed by %" GST_TIME_FORMAT,
      GST_TIME_ARGS (start), GST_TIME_ARGS (live->pushed_max));
  fail_unless_equals_int (count_late_warnings (live, &other), 0);
  fail_if (other, "unexpected warnings");
  live_free (live);
}

GST_END_TEST;

/* A latency smaller than the server's delay: one warning, and the speech
 * comes out whole, as soon as it arrives. */
GST_START_TEST (test_mix_late)
{
  const GstClockTime tts_latency = 1 * GST_MSECOND;
  Live *live = live_new (tts_latency, "--first-audio-delay=200", FALSE);
  GstClockTime start;
  gboolean other;

  live_run (live);
  check_output (live, tts_latency);
  start = check_speech (live);
  /* shifted by the delay: the audio cannot play before it arrived */
  fail_unless (start >= live->pushed_min + 190 * GST_MSECOND,
      "speech at %" GST_TIME_FORMAT ", text pushed at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (start), GST_TIME_ARGS (live->pushed_min));
  fail_unless (start <= live->pushed_max + 2 * GST_SECOND);
  fail_unless_equals_int (count_late_warnings (live, &other), 1);
  fail_if (other, "unexpected warnings");
  live_free (live);
}

GST_END_TEST;

/* The same from a live appsrc into the request sink pad: the utterance's
 * time is when the buffer reached the element. */
GST_START_TEST (test_mix_from_sink_pad)
{
  const GstClockTime tts_latency = 500 * GST_MSECOND;
  Live *live = live_new (tts_latency, "--first-audio-delay=20", TRUE);
  GstClockTime start;
  gboolean other;

  live_run (live);
  check_output (live, tts_latency);
  start = check_speech (live);
  /* its time is when the buffer reached the element (the appsrc's
   * thread may hand it over late on a loaded machine: 180 ms was seen),
   * taken in the chain function right after the probe */
  fail_unless (GST_CLOCK_TIME_IS_VALID (live->arrived));
  fail_unless (start + GST_SECOND / RATE >= live->arrived,
      "speech at %" GST_TIME_FORMAT ", text arrived at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (start), GST_TIME_ARGS (live->arrived));
  fail_unless (start <= live->arrived + 50 * GST_MSECOND,
      "speech at %" GST_TIME_FORMAT ", text arrived at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (start), GST_TIME_ARGS (live->arrived));
  fail_unless_equals_int (count_late_warnings (live, &other), 0);
  fail_if (other, "unexpected warnings");
  live_free (live);
}

GST_END_TEST;

static Suite *
live_suite (void)
{
  Suite *s = suite_create ("inworldttssrc-live");
  TCase *tc = tcase_create ("mix");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_mix_in_time);
  tcase_add_test (tc, test_mix_late);
  tcase_add_test (tc, test_mix_from_sink_pad);
  return s;
}

GST_CHECK_MAIN (live);
