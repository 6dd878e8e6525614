/* inworldttssrc: what an interruption reports, interrupt-mode=cut and
 * inworld-speech-started
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* docs/interrupting.md against the emulator: the inworld-interrupted
 * message to the word (word timings and the buffers pushed, with a sink
 * that does not sync) and by the clock (a syncing sink); cut mode's
 * continuous stream; the speech-started event before each utterance's
 * first buffer. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "emulator-fixture.h"

#define WAIT (20 * GST_SECOND)

static const gchar text1[] = "One two three four five six seven eight "
    "nine ten eleven twelve thirteen fourteen.";
static const gchar text2[] = " Then a second sentence follows it.";
static const gchar text3[] = "Sure, I stop.";

typedef struct
{
  GMutex lock;
  GstElement *pipe, *tts;
  /* at the sink: buffers and events, in order */
  GPtrArray *items;             /* GstMiniObject * */
  GPtrArray *words;             /* GstStructure * of word timings */
  GstStructure *interrupted;
  guint audio_buffers;          /* seen on the tts src pad */
  guint cut_after;              /* interrupt on this audio buffer, or 0 */
  GstClockTime cut_end;         /* the end of that buffer */
  gboolean done;
  gboolean no_warnings;         /* a WARNING message fails the test */
  guint64 samples;              /* encoded samples seen on the tts src pad */
  GCond cond;
} T;

static GstPadProbeReturn
sink_probe (GstPad * pad, GstPadProbeInfo * info, T * t)
{
  GstMiniObject *o = GST_PAD_PROBE_INFO_DATA (info);

  g_mutex_lock (&t->lock);
  g_ptr_array_add (t->items, gst_mini_object_ref (o));
  g_mutex_unlock (&t->lock);
  return GST_PAD_PROBE_OK;
}

/* Interrupts from the streaming thread on audio buffer cut_after: that
 * buffer still goes on (the probe returns after the interruption), so
 * what was pushed ends with it. */
static GstPadProbeReturn
src_probe (GstPad * pad, GstPadProbeInfo * info, T * t)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (gst_buffer_get_size (buf) == 0)
    return GST_PAD_PROBE_OK;
  t->samples += GST_BUFFER_OFFSET_END (buf) - GST_BUFFER_OFFSET (buf);
  if (++t->audio_buffers == t->cut_after) {
    t->cut_end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
    g_signal_emit_by_name (t->tts, "interrupt");
  }
  return GST_PAD_PROBE_OK;
}

static GstBusSyncReply
on_message (GstBus * bus, GstMessage * msg, T * t)
{
  const GstStructure *s = gst_message_get_structure (msg);

  g_mutex_lock (&t->lock);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT && s) {
    if (gst_structure_has_name (s, "inworld-word-timing"))
      g_ptr_array_add (t->words, gst_structure_copy (s));
    else if (gst_structure_has_name (s, "inworld-interrupted")) {
      fail_unless (t->interrupted == NULL, "two inworld-interrupted");
      t->interrupted = gst_structure_copy (s);
    }
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING && t->no_warnings) {
    GError *err = NULL;

    gst_message_parse_warning (msg, &err, NULL);
    fail ("warning from %s: %s", GST_MESSAGE_SRC_NAME (msg), err->message);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS
      || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "error");
    t->done = TRUE;
  }
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);
  return GST_BUS_PASS;
}

/* inworldttssrc with @props ! @chain ! fakesink */
static T *
t_new_chain (InworldEmulator * emu, const gchar * props, gboolean sync,
    const gchar * chain)
{
  T *t = g_new0 (T, 1);
  gchar *desc = g_strdup_printf ("inworldttssrc name=tts timestamp-type=word "
      "%s ! %s ! fakesink name=sink sync=%s", props, chain,
      sync ? "true" : "false");
  GstElement *sink;
  GstPad *pad;
  GstBus *bus;

  g_mutex_init (&t->lock);
  g_cond_init (&t->cond);
  t->items = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_mini_object_unref);
  t->words = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  t->pipe = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (t->pipe != NULL);
  t->tts = gst_bin_get_by_name (GST_BIN (t->pipe), "tts");
  g_object_set (t->tts, "uri", emu->uri, "api-key", TEST_API_KEY, NULL);
  sink = gst_bin_get_by_name (GST_BIN (t->pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH,
      (GstPadProbeCallback) sink_probe, t, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  pad = gst_element_get_static_pad (t->tts, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) src_probe, t, NULL);
  gst_object_unref (pad);
  bus = gst_element_get_bus (t->pipe);
  gst_bus_set_sync_handler (bus, (GstBusSyncHandler) on_message, t, NULL);
  gst_object_unref (bus);
  return t;
}

static T *
t_new (InworldEmulator * emu, const gchar * props, gboolean sync)
{
  return t_new_chain (emu, props, sync, "audio/x-raw,rate=16000");
}

static void
t_free (T * t)
{
  gst_element_set_state (t->pipe, GST_STATE_NULL);
  gst_object_unref (t->tts);
  gst_object_unref (t->pipe);
  g_ptr_array_unref (t->items);
  g_ptr_array_unref (t->words);
  if (t->interrupted)
    gst_structure_free (t->interrupted);
  g_mutex_clear (&t->lock);
  g_cond_clear (&t->cond);
  g_free (t);
}

static void
push_text (T * t, const gchar * text)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (t->tts, "push-text", text, TRUE, &ok);
  fail_unless (ok);
}

/* Waits for EOS, or for the interruption with @interrupted. */
static void
t_wait (T * t, gboolean interrupted)
{
  gint64 end = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&t->lock);
  while (!(interrupted ? t->interrupted != NULL : t->done))
    fail_unless (g_cond_wait_until (&t->cond, &t->lock, end), "timed out");
  g_mutex_unlock (&t->lock);
}

/* The text of @text up to the end of the last of @words (in order) that
 * starts before @horizon: what the listener heard, to the word. */
static gchar *
expected_heard (T * t, const gchar * text, GstClockTime horizon, guint index)
{
  const gchar *cursor = text, *heard_end = text;

  for (guint i = 0; i < t->words->len; i++) {
    const GstStructure *w = g_ptr_array_index (t->words, i);
    const gchar *word = gst_structure_get_string (w, "word");
    GstClockTime start;
    guint idx;

    gst_structure_get_uint (w, "flush-index", &idx);
    if (idx != index)
      continue;
    gst_structure_get_clock_time (w, "start", &start);
    cursor = strstr (cursor, word);
    fail_unless (cursor != NULL, "word %s not in the text", word);
    cursor += strlen (word);
    if (start < horizon)
      heard_end = cursor;
  }
  return g_strndup (text, heard_end - text);
}

/* Interrupted from the streaming thread on the 3rd audio buffer, with a
 * sink that does not sync: heard is what was pushed, to the word. */
GST_START_TEST (test_heard_pushed)
{
  InworldEmulator *emu = inworld_emulator_start ("--chunk-seconds", "0.25",
      NULL);
  T *t = t_new (emu, "", FALSE);
  const gchar *heard, *not_heard, *by;
  GstClockTime rt;
  gboolean exact;
  guint index;
  gchar *expect, *all;

  t->cut_after = 3;
  push_text (t, text1);
  push_text (t, text2);
  gst_element_set_state (t->pipe, GST_STATE_PLAYING);
  t_wait (t, TRUE);

  g_mutex_lock (&t->lock);
  heard = gst_structure_get_string (t->interrupted, "text-heard");
  not_heard = gst_structure_get_string (t->interrupted, "text-not-heard");
  by = gst_structure_get_string (t->interrupted, "heard-by");
  fail_unless (gst_structure_get_clock_time (t->interrupted, "running-time",
          &rt));
  fail_unless (gst_structure_get_boolean (t->interrupted, "exact", &exact));
  fail_unless (gst_structure_get_uint (t->interrupted, "flush-index", &index));
  GST_INFO ("%" GST_PTR_FORMAT, t->interrupted);
  fail_unless_equals_uint64 (rt, t->cut_end);
  fail_unless_equals_string (by, "pushed");
  fail_unless (exact);
  fail_unless_equals_int (index, 1);
  expect = expected_heard (t, text1, rt, 1);
  fail_unless (strlen (expect) > 0 && strlen (expect) < strlen (text1));
  fail_unless_equals_string (heard, expect);
  all = g_strconcat (text1, text2, NULL);
  fail_unless (g_str_has_suffix (all, not_heard));
  fail_unless_equals_int (strlen (heard) + strlen (not_heard), strlen (all));
  g_free (all);
  g_free (expect);
  g_mutex_unlock (&t->lock);

  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* A syncing sink in PLAYING: heard by the clock, not all that was pushed
 * (the emulator sends faster than real time). */
GST_START_TEST (test_heard_clock)
{
  InworldEmulator *emu = inworld_emulator_start ("--chunk-seconds", "0.1",
      NULL);
  T *t = t_new (emu, "", TRUE);
  GstClockTime rt, before, after;
  const gchar *by, *heard, *not_heard;
  gchar *all;

  push_text (t, text1);
  push_text (t, text2);
  gst_element_set_state (t->pipe, GST_STATE_PLAYING);
  fail_unless (gst_element_get_state (t->pipe, NULL, NULL, WAIT) ==
      GST_STATE_CHANGE_SUCCESS);
  g_usleep (G_USEC_PER_SEC / 2);
  before = gst_element_get_current_running_time (t->tts);
  g_signal_emit_by_name (t->tts, "interrupt");
  after = gst_element_get_current_running_time (t->tts);
  t_wait (t, TRUE);

  g_mutex_lock (&t->lock);
  by = gst_structure_get_string (t->interrupted, "heard-by");
  heard = gst_structure_get_string (t->interrupted, "text-heard");
  not_heard = gst_structure_get_string (t->interrupted, "text-not-heard");
  fail_unless (gst_structure_get_clock_time (t->interrupted, "running-time",
          &rt));
  GST_INFO ("%" GST_PTR_FORMAT, t->interrupted);
  fail_unless_equals_string (by, "clock");
  /* fakesink has no latency: played is the running time of the call */
  fail_unless (rt >= before && rt <= after, "%" GST_TIME_FORMAT " not in %"
      GST_TIME_FORMAT " - %" GST_TIME_FORMAT, GST_TIME_ARGS (rt),
      GST_TIME_ARGS (before), GST_TIME_ARGS (after));
  {
    gchar *expect = expected_heard (t, text1, rt, 1);

    fail_unless_equals_string (heard, expect);
    g_free (expect);
  }
  all = g_strconcat (text1, text2, NULL);
  fail_unless_equals_int (strlen (heard) + strlen (not_heard), strlen (all));
  g_free (all);
  g_mutex_unlock (&t->lock);

  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* The speech-started events at the sink: one right before each
 * utterance's first buffer, its timestamp that buffer's PTS. Returns how
 * many. */
static guint
check_speech_started (T * t, const guint * indices)
{
  guint n = 0;

  for (guint i = 0; i < t->items->len; i++) {
    GstMiniObject *o = g_ptr_array_index (t->items, i);
    const GstStructure *s;
    GstBuffer *next;
    GstClockTime ts;
    guint index;

    if (!GST_IS_EVENT (o) || GST_EVENT_TYPE (o) != GST_EVENT_CUSTOM_DOWNSTREAM)
      continue;
    s = gst_event_get_structure (GST_EVENT (o));
    if (!gst_structure_has_name (s, "inworld-speech-started"))
      continue;
    fail_unless (i + 1 < t->items->len);
    fail_unless (GST_IS_BUFFER (g_ptr_array_index (t->items, i + 1)),
        "speech-started not right before a buffer");
    next = GST_BUFFER (g_ptr_array_index (t->items, i + 1));
    gst_structure_get_clock_time (s, "timestamp", &ts);
    gst_structure_get_uint (s, "flush-index", &index);
    fail_unless_equals_uint64 (ts, GST_BUFFER_PTS (next));
    fail_unless_equals_int (index, indices[n]);
    fail_unless (gst_structure_get_string (s, "text") != NULL);
    fail_unless (gst_structure_get_string (s, "context-id") != NULL);
    n++;
  }
  return n;
}

/* interrupt-mode=cut: no flush downstream, timestamps continuous, DISCONT
 * on the first buffer after the cut, one speech-started per utterance. */
GST_START_TEST (test_cut_mode)
{
  InworldEmulator *emu = inworld_emulator_start ("--chunk-seconds", "0.25",
      NULL);
  T *t = t_new (emu, "interrupt-mode=cut", FALSE);
  GstClockTime end = 0;
  guint buffers = 0, disconts = 0, after_cut = 0;
  gboolean cut_seen = FALSE;
  static const guint indices[] = { 1, 3 };
  const gchar *mode;

  t->cut_after = 3;
  push_text (t, text1);
  push_text (t, text2);
  gst_element_set_state (t->pipe, GST_STATE_PLAYING);
  t_wait (t, TRUE);
  push_text (t, text3);
  g_signal_emit_by_name (t->tts, "end-of-stream");
  t_wait (t, FALSE);

  g_mutex_lock (&t->lock);
  mode = gst_structure_get_string (t->interrupted, "interrupt-mode");
  fail_unless_equals_string (mode, "cut");
  for (guint i = 0; i < t->items->len; i++) {
    GstMiniObject *o = g_ptr_array_index (t->items, i);

    if (GST_IS_EVENT (o)) {
      fail_if (GST_EVENT_TYPE (o) == GST_EVENT_FLUSH_START
          || GST_EVENT_TYPE (o) == GST_EVENT_FLUSH_STOP, "a flush in cut mode");
      continue;
    }
    if (gst_buffer_get_size (GST_BUFFER (o)) == 0)
      continue;
    buffers++;
    /* continuous: each buffer starts where the one before ended */
    fail_unless_equals_uint64 (GST_BUFFER_PTS (o), end);
    end = GST_BUFFER_PTS (o) + GST_BUFFER_DURATION (o);
    if (GST_BUFFER_FLAG_IS_SET (o, GST_BUFFER_FLAG_DISCONT))
      disconts++;
    if (cut_seen) {
      if (after_cut++ == 0)
        fail_unless (GST_BUFFER_FLAG_IS_SET (o, GST_BUFFER_FLAG_DISCONT));
    }
    if (buffers == t->cut_after)
      cut_seen = TRUE;
  }
  fail_unless (after_cut > 0);
  /* the first buffer of the stream, and the first after the cut */
  fail_unless_equals_int (disconts, 2);
  fail_unless_equals_int (check_speech_started (t, indices), 2);
  g_mutex_unlock (&t->lock);

  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* Without an interruption: one speech-started per utterance with audio,
 * none for the one with nothing to speak; on the bus too. */
GST_START_TEST (test_speech_started)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  T *t = t_new (emu, "", FALSE);
  static const guint indices[] = { 1, 3 };

  push_text (t, "Hello there.");
  push_text (t, "...");
  push_text (t, "Goodbye now.");
  g_signal_emit_by_name (t->tts, "end-of-stream");
  gst_element_set_state (t->pipe, GST_STATE_PLAYING);
  t_wait (t, FALSE);
  g_mutex_lock (&t->lock);
  fail_unless_equals_int (check_speech_started (t, indices), 2);
  g_mutex_unlock (&t->lock);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* Text from the sink pad still held by the sentence cutter (no end of
 * sentence yet) goes with the interruption: it is the end of
 * text-not-heard, after what was handed to the server. */
static const gchar held_text[] = " Then a sentence that has no end yet";

GST_START_TEST (test_heard_held)
{
  InworldEmulator *emu = inworld_emulator_start ("--chunk-seconds", "0.25",
      NULL);
  T *t = t_new (emu, "text-segmentation=sentence", FALSE);
  GstElement *src = gst_element_factory_make ("appsrc", NULL);
  GstCaps *caps = gst_caps_from_string ("text/x-raw,format=utf8");
  const gchar *heard, *not_heard;
  GstFlowReturn flow;
  GstBuffer *buf;
  gchar *all;

  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  gst_caps_unref (caps);
  gst_bin_add (GST_BIN (t->pipe), src);
  fail_unless (gst_element_link_pads (src, "src", t->tts, "sink"));
  all = g_strconcat (text1, held_text, NULL);
  /* the action signal does not take the buffer */
  buf = gst_buffer_new_wrapped (g_strdup (all), strlen (all));
  g_signal_emit_by_name (src, "push-buffer", buf, &flow);
  gst_buffer_unref (buf);
  fail_unless_equals_int (flow, GST_FLOW_OK);

  t->cut_after = 3;
  gst_element_set_state (t->pipe, GST_STATE_PLAYING);
  t_wait (t, TRUE);

  g_mutex_lock (&t->lock);
  GST_INFO ("%" GST_PTR_FORMAT, t->interrupted);
  heard = gst_structure_get_string (t->interrupted, "text-heard");
  not_heard = gst_structure_get_string (t->interrupted, "text-not-heard");
  fail_unless (strlen (heard) > 0);
  fail_unless (g_str_has_suffix (not_heard, held_text), "%s", not_heard);
  fail_unless (g_str_has_suffix (all, not_heard));
  fail_unless_equals_int (strlen (heard) + strlen (not_heard), strlen (all));
  g_mutex_unlock (&t->lock);
  g_free (all);

  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* interrupt-mode=cut with an encoded format and its decoder downstream:
 * the stream after the cut (a new stream on the wire, its headers dropped
 * by the framer) goes on decoding, without errors or warnings, and all
 * the samples pushed come out decoded. */
static void
check_cut_decoded (const gchar * chain, gint clock_rate)
{
  InworldEmulator *emu = inworld_emulator_start ("--chunk-seconds", "0.25",
      NULL);
  T *t = t_new_chain (emu, "interrupt-mode=cut", FALSE, chain);
  guint64 decoded = 0, after_cut = 0;
  GstClockTime end = 0;
  gint rate = 0;

  t->no_warnings = TRUE;
  t->cut_after = 5;
  push_text (t, text1);
  push_text (t, text2);
  gst_element_set_state (t->pipe, GST_STATE_PLAYING);
  t_wait (t, TRUE);
  push_text (t, text3);
  g_signal_emit_by_name (t->tts, "end-of-stream");
  t_wait (t, FALSE);

  g_mutex_lock (&t->lock);
  for (guint i = 0; i < t->items->len; i++) {
    GstMiniObject *o = g_ptr_array_index (t->items, i);
    GstBuffer *buf;

    if (GST_IS_EVENT (o)) {
      if (GST_EVENT_TYPE (o) == GST_EVENT_CAPS) {
        GstCaps *caps;

        gst_event_parse_caps (GST_EVENT (o), &caps);
        gst_structure_get_int (gst_caps_get_structure (caps, 0), "rate", &rate);
      }
      continue;
    }
    buf = GST_BUFFER (o);
    fail_unless (rate > 0);
    /* continuous to the sample across the cut */
    fail_unless (GST_BUFFER_PTS (buf) + GST_SECOND / rate >= end
        && GST_BUFFER_PTS (buf) <= end + GST_SECOND / rate,
        "decoded buffer at %" GST_TIME_FORMAT ", the one before ended at %"
        GST_TIME_FORMAT, GST_TIME_ARGS (GST_BUFFER_PTS (buf)),
        GST_TIME_ARGS (end));
    end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
    decoded += gst_buffer_get_size (buf) / 2;
    if (GST_BUFFER_PTS (buf) >= t->cut_end)
      after_cut += gst_buffer_get_size (buf) / 2;
  }
  GST_INFO ("%" G_GUINT64_FORMAT " samples decoded (%" G_GUINT64_FORMAT
      " after the cut), %" G_GUINT64_FORMAT " pushed at %d Hz", decoded,
      after_cut, t->samples, clock_rate);
  fail_unless (after_cut > 0, "nothing decoded after the cut");
  fail_unless_equals_uint64 (decoded * clock_rate / rate, t->samples);
  g_mutex_unlock (&t->lock);

  t_free (t);
  inworld_emulator_stop (emu);
}

GST_START_TEST (test_cut_opus)
{
  check_cut_decoded ("audio/x-opus,rate=48000 ! opusdec ! "
      "audio/x-raw,format=S16LE", 48000);
}

GST_END_TEST;

GST_START_TEST (test_cut_flac)
{
  check_cut_decoded ("audio/x-flac,rate=24000 ! flacdec ! "
      "audio/x-raw,format=S16LE", 24000);
}

GST_END_TEST;

static Suite *
interrupt_suite (void)
{
  Suite *s = suite_create ("interrupt");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_heard_pushed);
  tcase_add_test (tc, test_heard_clock);
  tcase_add_test (tc, test_cut_mode);
  tcase_add_test (tc, test_speech_started);
  tcase_add_test (tc, test_heard_held);
  tcase_add_test (tc, test_cut_opus);
  tcase_add_test (tc, test_cut_flac);
  return s;
}

GST_CHECK_MAIN (interrupt);
