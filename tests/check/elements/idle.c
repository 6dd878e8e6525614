/* inworldttssrc idle=silence: a continuous live stream, against the emulator
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A live element with idle=silence in a pipeline with the system clock:
 *
 *   inworldttssrc is-live=true idle=silence ! CAPS ! fakesink sync=false
 *
 * The sink does not synchronize, so the pacing of the silence is the
 * element's own. What leaves the element's src pad is recorded
 * (recorder.h) and checked:
 *
 *  - one stream from PLAYING on: every buffer starts where the previous one
 *    ended (PTS + duration, OFFSET_END -> OFFSET), to the sample, with no
 *    GAP event and no DISCONT after the first (or after a flush);
 *  - it starts at the running time the element went PLAYING;
 *  - the silence is all zero samples (0xD5 in A-law, 0xFF in mu-law);
 *  - each utterance's speech (the emulator's test signal) starts at a
 *    buffer boundary right after silence, at the running time its text was
 *    pushed (the latency is larger than the emulator's delay), every sample
 *    as expected;
 *  - the pacing: the end of the output stays about the latency behind the
 *    running time (a loose bound, for correctness, not speed);
 *  - idle=gap (the default) keeps GAP events and no silence;
 *  - interrupt in silence and in speech, EOS, PAUSED and back. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "emulator-fixture.h"
#include "inworld-test-signal.h"
#include "recorder.h"

#define RATE 24000
#define SAMPLE (GST_SECOND / RATE)
/* larger than the emulator's delay to first audio, valgrind included
 * (its first audio took 590 ms there) */
#define LATENCY (1500 * GST_MSECOND)
/* the element's chunk of paced silence */
#define CHUNK (20 * GST_MSECOND)
/* scheduling slack of the loose pacing bound */
#define SLACK (250 * GST_MSECOND)
#define WAIT (10 * GST_SECOND)

static const gchar *text1 = "First words after silence.";
static const gchar *text2 = "Then more, later.";

typedef struct
{
  InworldEmulator *emu;
  GstElement *pipeline, *tts;
  GstBus *bus;
  Rec rec;
  GstClockTime first_buffer_at; /* running time the first buffer left */
} Idle;

/* The test's pipeline, freed by the teardown when a check failed midway:
 * without fork (valgrind) a pipeline left PLAYING would keep its task
 * running, and check would wait for it forever. */
static Idle *current;

static GstClockTime
running_time (Idle * t)
{
  return gst_element_get_current_running_time (t->pipeline);
}

static GstPadProbeReturn
first_buffer_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Idle *t = user_data;

  t->first_buffer_at = running_time (t);
  return GST_PAD_PROBE_REMOVE;
}

/* @idle: the property's nick, or NULL to leave the default. */
static Idle *
idle_new (const gchar * idle, gboolean live, const gchar * caps,
    const gchar * emu_arg)
{
  Idle *t = g_new0 (Idle, 1);
  GError *error = NULL;
  gchar *desc;
  GstPad *pad;

  t->emu = inworld_emulator_start (emu_arg, NULL);
  desc = g_strdup_printf ("inworldttssrc name=tts ! %s ! fakesink sync=false",
      caps);
  t->pipeline = gst_parse_launch (desc, &error);
  fail_unless (t->pipeline != NULL, "%s: %s", desc,
      error ? error->message : "?");
  g_free (desc);
  t->tts = gst_bin_get_by_name (GST_BIN (t->pipeline), "tts");
  g_object_set (t->tts, "uri", t->emu->uri, "api-key", TEST_API_KEY,
      "is-live", live, "latency", LATENCY, NULL);
  if (idle)
    gst_util_set_object_arg (G_OBJECT (t->tts), "idle", idle);
  t->bus = gst_element_get_bus (t->pipeline);
  rec_init (&t->rec);
  t->first_buffer_at = GST_CLOCK_TIME_NONE;
  pad = gst_element_get_static_pad (t->tts, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, first_buffer_probe, t,
      NULL);
  gst_object_unref (pad);
  rec_attach (&t->rec, t->tts, t->bus);
  current = t;
  return t;
}

static void
idle_free (Idle * t)
{
  current = NULL;
  gst_element_set_state (t->pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (t->bus, NULL, NULL, NULL);
  gst_object_unref (t->tts);
  gst_object_unref (t->bus);
  gst_object_unref (t->pipeline);
  rec_clear (&t->rec);
  inworld_emulator_stop (t->emu);
  g_free (t);
}

static void
play (Idle * t)
{
  fail_if (gst_element_set_state (t->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (t->pipeline, NULL, NULL,
          WAIT), GST_STATE_CHANGE_SUCCESS);
}

/* Waits on the pipeline clock until running time @rt. */
static void
wait_running_time (Idle * t, GstClockTime rt)
{
  GstClock *clock = gst_element_get_clock (t->pipeline);
  GstClockID id;

  fail_unless (clock != NULL);
  id = gst_clock_new_single_shot_id (clock,
      gst_element_get_base_time (t->pipeline) + rt);
  gst_clock_id_wait (id, NULL);
  gst_clock_id_unref (id);
  gst_object_unref (clock);
}

/* push-text; *@before and *@after: the running time around the call. */
static void
push_text (Idle * t, const gchar * text, GstClockTime * before,
    GstClockTime * after)
{
  gboolean accepted = FALSE;

  *before = running_time (t);
  g_signal_emit_by_name (t->tts, "push-text", text, TRUE, &accepted);
  *after = running_time (t);
  fail_unless (accepted);
}

static void
wait_flushes (Idle * t, guint n)
{
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.flushes, n,
          WAIT), "inworld-flush-completed");
}

static void
wait_buffers (Idle * t, guint more)
{
  guint n;

  g_mutex_lock (&t->rec.lock);
  n = t->rec.buffers;
  g_mutex_unlock (&t->rec.lock);
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.buffers,
          n + more, WAIT), "more buffers");
}

/* The end of the last buffer recorded, and the running time now. */
static void
output_end (Idle * t, GstClockTime * end, GstClockTime * now)
{
  g_mutex_lock (&t->rec.lock);
  *now = running_time (t);
  *end = GST_CLOCK_TIME_NONE;
  for (guint i = t->rec.log->len; i > 0; i--) {
    GstMiniObject *o = LOG_AT (&t->rec, i - 1);

    if (GST_IS_BUFFER (o)) {
      *end = GST_BUFFER_PTS (o) + GST_BUFFER_DURATION (o);
      break;
    }
  }
  g_mutex_unlock (&t->rec.lock);
}

/* Paced by the clock: the output's end is about the latency behind the
 * running time, never ahead of it by more than two chunks (a chunk goes
 * out a chunk before its time), nor far behind. */
static void
check_pacing (Idle * t)
{
  GstClockTime end, now;

  output_end (t, &end, &now);
  GST_INFO ("output ends at %" GST_TIME_FORMAT " at running time %"
      GST_TIME_FORMAT, GST_TIME_ARGS (end), GST_TIME_ARGS (now));
  fail_unless (GST_CLOCK_TIME_IS_VALID (end));
  /* (the first chunk goes at once: checked once the pacing has begun) */
  fail_unless (now > LATENCY + CHUNK);
  fail_unless (end <= now - LATENCY + 2 * CHUNK, "the silence runs ahead: "
      "output ends at %" GST_TIME_FORMAT " at running time %"
      GST_TIME_FORMAT, GST_TIME_ARGS (end), GST_TIME_ARGS (now));
  fail_unless (end + SLACK >= now - LATENCY, "the silence falls behind: "
      "output ends at %" GST_TIME_FORMAT " at running time %"
      GST_TIME_FORMAT, GST_TIME_ARGS (end), GST_TIME_ARGS (now));
}

/* One run of buffers as recorded. */
typedef struct
{
  GArray *pts, *dur, *first;    /* guint64; first: index of the first
                                 * sample of each buffer */
  GByteArray *audio;
  guint flush_at;               /* buffer index after a FLUSH_STOP, or 0 */
  guint gaps;                   /* GAP events */
  guint eos_at;                 /* buffers before the EOS, or G_MAXUINT */
} Out;

static void
out_clear (Out * o)
{
  g_array_unref (o->pts);
  g_array_unref (o->dur);
  g_array_unref (o->first);
  g_byte_array_unref (o->audio);
}

/* Collects the buffers (and counts events) and checks they are one
 * stream: contiguous in time and offsets, each with as many samples as
 * its offsets say, times exact by sample count, DISCONT only first and
 * right after a flush. @bps: bytes per sample. Without @stream (idle=gap)
 * only collects. */
static void
collect (Idle * t, Out * o, guint bps, gboolean stream)
{
  guint64 offset = 0, run_offset = 0;
  GstClockTime next = GST_CLOCK_TIME_NONE, run_start = 0;
  gboolean flushed = FALSE;

  o->pts = g_array_new (FALSE, FALSE, sizeof (guint64));
  o->dur = g_array_new (FALSE, FALSE, sizeof (guint64));
  o->first = g_array_new (FALSE, FALSE, sizeof (guint64));
  o->audio = g_byte_array_new ();
  o->flush_at = 0;
  o->gaps = 0;
  o->eos_at = G_MAXUINT;
  for (guint i = 0; i < t->rec.log->len; i++) {
    GstMiniObject *m = LOG_AT (&t->rec, i);
    GstBuffer *buf;
    GstMapInfo map;
    guint64 v, n;
    guint k = o->pts->len;

    if (GST_IS_EVENT (m)) {
      GstEventType type = GST_EVENT_TYPE (m);

      if (type == GST_EVENT_GAP)
        o->gaps++;
      else if (type == GST_EVENT_FLUSH_STOP) {
        fail_unless_equals_int (o->flush_at, 0);
        o->flush_at = k;
        flushed = TRUE;
      } else if (type == GST_EVENT_EOS)
        o->eos_at = k;
      continue;
    }
    if (!GST_IS_BUFFER (m))
      continue;
    buf = GST_BUFFER (m);
    fail_unless (o->eos_at == G_MAXUINT, "a buffer after EOS");
    fail_unless (GST_BUFFER_PTS_IS_VALID (buf)
        && GST_BUFFER_DURATION_IS_VALID (buf));
    n = GST_BUFFER_OFFSET_END (buf) - GST_BUFFER_OFFSET (buf);
    fail_unless_equals_uint64 (gst_buffer_get_size (buf), n * bps);
    if (!stream) {
      /* GAP events between the utterances */
    } else if (k == 0 || flushed) {
      /* a new stream: the first buffer, or the first after a flush (which
       * starts where the interruption says, see the tests) */
      fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
      run_start = GST_BUFFER_PTS (buf);
      run_offset = GST_BUFFER_OFFSET (buf);
      if (k == 0)
        fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), 0);
      flushed = FALSE;
    } else {
      fail_if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT),
          "DISCONT on buffer %u at %" GST_TIME_FORMAT, k,
          GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
      fail_unless (GST_BUFFER_PTS (buf) == next, "buffer %u at %"
          GST_TIME_FORMAT ", the previous one ended at %" GST_TIME_FORMAT, k,
          GST_TIME_ARGS (GST_BUFFER_PTS (buf)), GST_TIME_ARGS (next));
      fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), offset);
    }
    /* exact by sample count (ns rounding of each run start aside) */
    fail_unless (!stream
        || ABS ((gint64) (GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf)) -
            (gint64) (run_start +
                gst_util_uint64_scale_int (GST_BUFFER_OFFSET_END (buf) -
                    run_offset, GST_SECOND, RATE))) < 100,
        "buffer %u: time and samples differ", k);
    next = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
    offset = GST_BUFFER_OFFSET_END (buf);
    v = GST_BUFFER_PTS (buf);
    g_array_append_val (o->pts, v);
    v = GST_BUFFER_DURATION (buf);
    g_array_append_val (o->dur, v);
    v = o->audio->len / bps;
    g_array_append_val (o->first, v);
    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_byte_array_append (o->audio, map.data, map.size);
    gst_buffer_unmap (buf, &map);
  }
}

static guint64
n_samples (Out * o)
{
  return o->audio->len / 2;
}

static gint16
sample (Out * o, guint64 i)
{
  return GINT16_FROM_LE (((const gint16 *) o->audio->data)[i]);
}

/* The buffer whose first sample is @i; fails if @i starts none. */
static guint
buffer_at_sample (Out * o, guint64 i)
{
  for (guint k = 0; k < o->first->len; k++)
    if (g_array_index (o->first, guint64, k) == i)
      return k;
  fail ("sample %" G_GUINT64_FORMAT " does not start a buffer", i);
  return 0;
}

/* Silence from @from, then @text's speech right after it, starting a
 * buffer; returns the index of the sample after the speech, and its start
 * time in *@start. */
static guint64
check_silence_then_speech (Out * o, guint64 from, const gchar * text,
    GstClockTime * start)
{
  guint64 n = inworld_test_signal_n_samples (text, RATE);
  guint16 seed = inworld_test_signal_seed (text);
  guint64 first = from, total = n_samples (o);
  guint k;

  while (first < total && sample (o, first) == 0)
    first++;
  fail_unless (first < total, "no speech after sample %" G_GUINT64_FORMAT,
      from);
  fail_unless (first > from, "no silence before the speech");
  k = buffer_at_sample (o, first);
  fail_unless (k > 0);
  /* the silence ends where the speech starts */
  fail_unless_equals_uint64 (g_array_index (o->pts, guint64, k - 1)
      + g_array_index (o->dur, guint64, k - 1), g_array_index (o->pts,
          guint64, k));
  *start = g_array_index (o->pts, guint64, k);
  fail_unless (first + n <= total, "the speech is cut");
  for (guint64 i = 0; i < n; i++)
    fail_unless (sample (o, first + i) == inworld_test_signal_sample (seed,
            i), "speech sample %" G_GUINT64_FORMAT ": %d, expected %d", i,
        sample (o, first + i), inworld_test_signal_sample (seed, i));
  return first + n;
}

static void
check_silence_to_end (Out * o, guint64 from)
{
  fail_unless (from < n_samples (o), "no silence after the speech");
  for (guint64 i = from; i < n_samples (o); i++)
    fail_unless (sample (o, i) == 0, "sound at sample %" G_GUINT64_FORMAT, i);
}

/* The speech starts at the running time of its push-text (to a sample). */
static void
check_in_time (GstClockTime start, GstClockTime before, GstClockTime after)
{
  fail_unless (start >= before && start <= after + SAMPLE, "speech at %"
      GST_TIME_FORMAT ", text pushed at %" GST_TIME_FORMAT " - %"
      GST_TIME_FORMAT, GST_TIME_ARGS (start), GST_TIME_ARGS (before),
      GST_TIME_ARGS (after));
}

/* Two utterances with idle time around them: one stream of silence and
 * speech, each speech in time, paced by the clock. */
GST_START_TEST (test_silence_continuous)
{
  Idle *t = idle_new ("silence", TRUE, "audio/x-raw,rate=24000", NULL);
  GstClockTime b1, a1, b2, a2, s1, s2, done;
  guint64 next;
  Out o;

  play (t);
  wait_running_time (t, 500 * GST_MSECOND);
  push_text (t, text1, &b1, &a1);
  wait_flushes (t, 1);
  wait_running_time (t, a1 + 700 * GST_MSECOND);
  push_text (t, text2, &b2, &a2);
  wait_flushes (t, 2);
  /* until the silence is paced again after the speech */
  done = a2 + inworld_test_signal_n_samples (text2, RATE) * SAMPLE
      + LATENCY + 300 * GST_MSECOND;
  wait_running_time (t, MAX (done, 2 * GST_SECOND));
  check_pacing (t);
  gst_element_set_state (t->pipeline, GST_STATE_NULL);
  rec_fail_if_problem (&t->rec);

  collect (t, &o, 2, TRUE);
  fail_unless_equals_int (o.gaps, 0);
  /* from the running time the element went PLAYING */
  fail_unless (GST_CLOCK_TIME_IS_VALID (t->first_buffer_at));
  fail_unless (g_array_index (o.pts, guint64, 0) <= t->first_buffer_at
      && t->first_buffer_at < g_array_index (o.pts, guint64, 0) + SLACK,
      "first buffer at %" GST_TIME_FORMAT ", pushed at running time %"
      GST_TIME_FORMAT, GST_TIME_ARGS (g_array_index (o.pts, guint64, 0)),
      GST_TIME_ARGS (t->first_buffer_at));
  next = check_silence_then_speech (&o, 0, text1, &s1);
  check_in_time (s1, b1, a1);
  next = check_silence_then_speech (&o, next, text2, &s2);
  check_in_time (s2, b2, a2);
  check_silence_to_end (&o, next);
  out_clear (&o);
  idle_free (t);
}

GST_END_TEST;

/* idle=gap, the default: GAP events, no silence samples. */
GST_START_TEST (test_gap_unchanged)
{
  Idle *t = idle_new ("gap", TRUE, "audio/x-raw,rate=24000", NULL);
  GstClockTime b1, a1, b2, a2, s1;
  gint idle = -1;
  guint64 n1 = inworld_test_signal_n_samples (text1, RATE);
  guint64 n2 = inworld_test_signal_n_samples (text2, RATE);
  Out o;

  g_object_get (t->tts, "idle", &idle, NULL);
  fail_unless_equals_int (idle, 0);
  play (t);
  wait_running_time (t, 300 * GST_MSECOND);
  push_text (t, text1, &b1, &a1);
  wait_flushes (t, 1);
  wait_running_time (t, a1 + 700 * GST_MSECOND);
  push_text (t, text2, &b2, &a2);
  wait_flushes (t, 2);
  gst_element_set_state (t->pipeline, GST_STATE_NULL);
  rec_fail_if_problem (&t->rec);

  collect (t, &o, 2, FALSE);
  /* only speech: no silence buffers */
  fail_unless_equals_uint64 (n_samples (&o), n1 + n2);
  s1 = g_array_index (o.pts, guint64, 0);
  check_in_time (s1, b1, a1);
  /* the one at PLAYING, before each utterance */
  fail_unless_equals_int (o.gaps, 3);
  out_clear (&o);
  idle_free (t);
}

GST_END_TEST;

/* The first buffer after the FLUSH_STOP of an interruption. */
static GstClockTime
first_after_flush (Out * o)
{
  fail_unless (o->flush_at > 0 && o->flush_at < o->pts->len);
  return g_array_index (o->pts, guint64, o->flush_at);
}

static GstClockTime
end_before_flush (Out * o)
{
  return g_array_index (o->pts, guint64, o->flush_at - 1)
      + g_array_index (o->dur, guint64, o->flush_at - 1);
}

/* Interrupted in silence: the stream goes on where it was (the silence
 * is behind the running time, so nothing queued is thrown away), and
 * speech after it is in time. */
GST_START_TEST (test_interrupt_in_silence)
{
  Idle *t = idle_new ("silence", TRUE, "audio/x-raw,rate=24000", NULL);
  GstClockTime b1, a1, s1;
  guint64 next;
  Out o;

  play (t);
  /* the paced silence under way */
  wait_running_time (t, LATENCY + 400 * GST_MSECOND);
  check_pacing (t);
  g_signal_emit_by_name (t->tts, "interrupt");
  wait_buffers (t, 10);
  push_text (t, text1, &b1, &a1);
  wait_flushes (t, 1);
  /* until the silence is paced again after the speech */
  wait_running_time (t, a1 + inworld_test_signal_n_samples (text1, RATE)
      * SAMPLE + LATENCY + 300 * GST_MSECOND);
  check_pacing (t);
  gst_element_set_state (t->pipeline, GST_STATE_NULL);
  rec_fail_if_problem (&t->rec);

  collect (t, &o, 2, TRUE);
  fail_unless_equals_int (o.gaps, 0);
  fail_unless_equals_uint64 (first_after_flush (&o), end_before_flush (&o));
  next = check_silence_then_speech (&o, 0, text1, &s1);
  check_in_time (s1, b1, a1);
  check_silence_to_end (&o, next);
  out_clear (&o);
  idle_free (t);
}

GST_END_TEST;

/* Interrupted in speech (streamed at real time): the speech stops, the
 * stream goes on with silence from min(end of what was pushed, running
 * time of the interruption), contiguous, and the next speech is whole. */
GST_START_TEST (test_interrupt_in_speech)
{
  Idle *t = idle_new ("silence", TRUE, "audio/x-raw,rate=24000",
      "--speed=1");
  const gchar *long_text = "This sentence is long enough to be cut off "
      "halfway, as a person barges in on the voice agent.";
  GstClockTime b, a, b1, a1, s1, before, after, resumed;
  guint64 next, n = inworld_test_signal_n_samples (long_text, RATE);
  Out o;

  play (t);
  wait_running_time (t, 300 * GST_MSECOND);
  push_text (t, long_text, &b, &a);
  /* about half of it streamed (a second of a 1 s speech) */
  wait_running_time (t, a + n * SAMPLE / 2);
  before = running_time (t);
  g_signal_emit_by_name (t->tts, "interrupt");
  after = running_time (t);
  wait_buffers (t, 10);
  push_text (t, text1, &b1, &a1);
  wait_flushes (t, 1);
  wait_running_time (t, a1 + inworld_test_signal_n_samples (text1, RATE)
      * SAMPLE + LATENCY + 300 * GST_MSECOND);
  check_pacing (t);
  gst_element_set_state (t->pipeline, GST_STATE_NULL);
  rec_fail_if_problem (&t->rec);

  collect (t, &o, 2, TRUE);
  fail_unless_equals_int (o.gaps, 0);
  /* some of the long speech went out before the flush, not all */
  {
    guint64 cut = g_array_index (o.first, guint64, o.flush_at);
    guint64 first = 0;

    while (first < cut && sample (&o, first) == 0)
      first++;
    fail_unless (first < cut, "no speech before the interruption");
    fail_unless (cut - first < n, "the speech was not cut");
  }
  resumed = first_after_flush (&o);
  if (resumed != end_before_flush (&o))
    fail_unless (resumed < end_before_flush (&o) && resumed >= before
        && resumed <= after, "resumed at %" GST_TIME_FORMAT ", pushed up "
        "to %" GST_TIME_FORMAT ", interrupted at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (resumed), GST_TIME_ARGS (end_before_flush (&o)),
        GST_TIME_ARGS (before));
  /* after the flush: silence, the next speech whole, silence */
  next = check_silence_then_speech (&o, g_array_index (o.first, guint64,
          o.flush_at), text1, &s1);
  fail_unless (s1 >= b1);
  check_silence_to_end (&o, next);
  out_clear (&o);
  idle_free (t);
}

GST_END_TEST;

/* end-of-stream while idle: the EOS comes at once, nothing after it. */
GST_START_TEST (test_eos_ends_silence)
{
  Idle *t = idle_new ("silence", TRUE, "audio/x-raw,rate=24000", NULL);
  gint64 asked;
  Out o;

  play (t);
  wait_running_time (t, 400 * GST_MSECOND);
  asked = g_get_monotonic_time ();
  g_signal_emit_by_name (t->tts, "end-of-stream");
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1,
          WAIT), "EOS");
  GST_INFO ("EOS %" G_GINT64_FORMAT " ms after end-of-stream",
      (g_get_monotonic_time () - asked) / 1000);
  gst_element_set_state (t->pipeline, GST_STATE_NULL);
  rec_fail_if_problem (&t->rec);

  collect (t, &o, 2, TRUE);
  fail_unless (o.eos_at != G_MAXUINT && o.eos_at > 0);
  check_silence_to_end (&o, 0);
  out_clear (&o);
  idle_free (t);
}

GST_END_TEST;

/* PLAYING -> PAUSED -> PLAYING: no hang, nothing made while paused (the
 * pacing holds after it), the stream goes on contiguous; the latency
 * query answers the latency property. */
GST_START_TEST (test_pause_resume)
{
  Idle *t = idle_new ("silence", TRUE, "audio/x-raw,rate=24000", NULL);
  GstQuery *q;
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0, paused_at;
  GstPad *pad;
  Out o;

  play (t);
  wait_running_time (t, LATENCY + 400 * GST_MSECOND);
  fail_unless_equals_int (gst_element_set_state (t->pipeline,
          GST_STATE_PAUSED), GST_STATE_CHANGE_NO_PREROLL);
  paused_at = running_time (t);
  /* a while paused, by the wall clock (the running time stands still) */
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  play (t);
  wait_running_time (t, paused_at + 400 * GST_MSECOND);
  check_pacing (t);

  pad = gst_element_get_static_pad (t->tts, "src");
  q = gst_query_new_latency ();
  fail_unless (gst_pad_query (pad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, LATENCY);
  gst_query_unref (q);
  gst_object_unref (pad);

  gst_element_set_state (t->pipeline, GST_STATE_NULL);
  rec_fail_if_problem (&t->rec);
  collect (t, &o, 2, TRUE);
  fail_unless_equals_int (o.gaps, 0);
  check_silence_to_end (&o, 0);
  out_clear (&o);
  idle_free (t);
}

GST_END_TEST;

/* G.711 silence is the code of a zero sample. */
GST_START_TEST (test_g711_silence)
{
  const struct
  {
    const gchar *caps;
    guint8 fill;
  } cases[] = {
    {"audio/x-alaw,rate=8000", 0xD5},
    {"audio/x-mulaw,rate=8000", 0xFF},
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    Idle *t = idle_new ("silence", TRUE, cases[c].caps, NULL);
    guint64 bytes = 0;

    play (t);
    wait_running_time (t, 300 * GST_MSECOND);
    gst_element_set_state (t->pipeline, GST_STATE_NULL);
    rec_fail_if_problem (&t->rec);
    for (guint i = 0; i < t->rec.log->len; i++) {
      GstMiniObject *m = LOG_AT (&t->rec, i);
      GstMapInfo map;

      fail_if (GST_IS_EVENT (m) && GST_EVENT_TYPE (m) == GST_EVENT_GAP);
      if (!GST_IS_BUFFER (m))
        continue;
      fail_unless_equals_uint64 (GST_BUFFER_OFFSET (m), bytes);
      gst_buffer_map (GST_BUFFER (m), &map, GST_MAP_READ);
      for (gsize k = 0; k < map.size; k++)
        fail_unless_equals_int (map.data[k], cases[c].fill);
      bytes += map.size;
      gst_buffer_unmap (GST_BUFFER (m), &map);
    }
    /* 8000 Hz, one byte per sample: 20 ms chunks */
    fail_unless (bytes >= 160, "%s: no silence", cases[c].caps);
    idle_free (t);
  }
}

GST_END_TEST;

/* The warning's text when idle=silence cannot apply. */
static gboolean
has_ignored_warning (Idle * t)
{
  gboolean found = FALSE;

  g_mutex_lock (&t->rec.lock);
  for (guint i = 0; i < t->rec.log->len; i++) {
    GstMiniObject *m = LOG_AT (&t->rec, i);
    GError *err = NULL;

    if (!GST_IS_MESSAGE (m) || GST_MESSAGE_TYPE (m) != GST_MESSAGE_WARNING)
      continue;
    gst_message_parse_warning (GST_MESSAGE (m), &err, NULL);
    if (g_error_matches (err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS)
        && g_str_has_prefix (err->message, "idle=silence is ignored"))
      found = TRUE;
    g_error_free (err);
  }
  g_mutex_unlock (&t->rec.lock);
  return found;
}

/* Not live, or an encoded format: one warning, and GAP events as
 * before. */
GST_START_TEST (test_silence_ignored)
{
  Idle *t = idle_new ("silence", FALSE, "audio/x-raw,rate=24000", NULL);
  Out o;

  g_object_set (t->tts, "text", text1, NULL);
  play (t);
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1,
          WAIT), "EOS");
  gst_element_set_state (t->pipeline, GST_STATE_NULL);
  fail_unless (has_ignored_warning (t));
  fail_unless_equals_int (t->rec.warnings, 1);
  collect (t, &o, 2, TRUE);
  fail_unless_equals_uint64 (n_samples (&o),
      inworld_test_signal_n_samples (text1, RATE));
  out_clear (&o);
  idle_free (t);

  t = idle_new ("silence", TRUE, "audio/mpeg", NULL);
  play (t);
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.warnings, 1,
          WAIT), "a warning");
  wait_running_time (t, 300 * GST_MSECOND);
  gst_element_set_state (t->pipeline, GST_STATE_NULL);
  fail_unless (has_ignored_warning (t));
  fail_unless_equals_int (t->rec.warnings, 1);
  /* nothing said: no buffer, the GAP at PLAYING */
  fail_unless_equals_int (t->rec.buffers, 0);
  idle_free (t);
}

GST_END_TEST;

static void
teardown (void)
{
  if (current)
    idle_free (current);
}

static Suite *
idle_suite (void)
{
  Suite *s = suite_create ("inworldttssrc-idle");
  TCase *tc = tcase_create ("idle");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, NULL, teardown);
  tcase_add_test (tc, test_silence_continuous);
  tcase_add_test (tc, test_gap_unchanged);
  tcase_add_test (tc, test_interrupt_in_silence);
  tcase_add_test (tc, test_interrupt_in_speech);
  tcase_add_test (tc, test_eos_ends_silence);
  tcase_add_test (tc, test_pause_resume);
  tcase_add_test (tc, test_g711_silence);
  tcase_add_test (tc, test_silence_ignored);
  return s;
}

GST_CHECK_MAIN (idle);
