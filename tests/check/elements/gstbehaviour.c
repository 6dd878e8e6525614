/* inworldttssrc: behaving as GStreamer users expect (seek, READY, logs)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Things a GStreamer user leans on without reading the element's docs: a
 * seek on the pipeline reaches the text source, text pushed before the
 * element runs is kept, a live pipeline started as the example does is
 * not reported late, warnings print times a person can read, and a
 * pipeline that cannot preroll says why. Speech is the emulator's test
 * signal (a known sample sequence per text), so the audio names the text
 * it was made of. */

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsrc.h>
#include <glib/gstdio.h>
#include <string.h>

#include "emulator-fixture.h"
#include "../recorder.h"
#include "inworld-test-signal.h"

#define RATE 16000
#define RAW_CAPS "audio/x-raw, format=S16LE, layout=interleaved, " \
    "channels=1, rate=16000"
#define WAIT (30 * GST_SECOND)

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static GstClockTime
speech_duration (const gchar * text)
{
  return gst_util_uint64_scale_int (inworld_test_signal_n_samples (text,
          RATE), GST_SECOND, RATE);
}

/* NULL when @f is the whole test signal of @text, with its
 * flush-completed, starting at @start (unless NONE); else what differs. */
static gchar *
speech_problem (Flush * f, const gchar * text, GstClockTime start)
{
  guint64 n = inworld_test_signal_n_samples (text, RATE);
  guint16 seed = inworld_test_signal_seed (text);
  const gint16 *s = (const gint16 *) f->audio->data;

  if (f->done == NULL)
    return g_strdup_printf ("\"%s\": no flush-completed", text);
  if (f->audio->len != n * 2)
    return g_strdup_printf ("\"%s\": %u samples, expected %" G_GUINT64_FORMAT
        " (speech of another text?)", text, f->audio->len / 2, n);
  for (guint64 i = 0; i < n; i++)
    if (GINT16_FROM_LE (s[i]) != inworld_test_signal_sample (seed, i))
      return g_strdup_printf ("\"%s\": sample %" G_GUINT64_FORMAT " is not "
          "its test signal (speech of another text?)", text, i);
  if (GST_CLOCK_TIME_IS_VALID (start) && f->first_pts != start)
    return g_strdup_printf ("\"%s\" starts at %" GST_TIME_FORMAT
        ", expected %" GST_TIME_FORMAT, text, GST_TIME_ARGS (f->first_pts),
        GST_TIME_ARGS (start));
  return NULL;
}

/* index of the last event of @type in @rec's log, or -1 */
static gint
last_event (Rec * rec, GstEventType type)
{
  for (gint i = (gint) rec->log->len - 1; i >= 0; i--) {
    GstMiniObject *o = LOG_AT (rec, i);

    if (GST_IS_EVENT (o) && GST_EVENT_TYPE (o) == type)
      return i;
  }
  return -1;
}

/* the number of WARNING messages of @domain/@code in @rec's log */
static guint
count_warnings (Rec * rec, GQuark domain, gint code)
{
  guint n = 0;

  g_mutex_lock (&rec->lock);
  for (guint i = 0; i < rec->log->len; i++) {
    GstMiniObject *o = LOG_AT (rec, i);
    GError *err = NULL;

    if (!GST_IS_MESSAGE (o) || GST_MESSAGE_TYPE (o) != GST_MESSAGE_WARNING)
      continue;
    gst_message_parse_warning (GST_MESSAGE (o), &err, NULL);
    n += g_error_matches (err, domain, code);
    g_clear_error (&err);
  }
  g_mutex_unlock (&rec->lock);
  return n;
}

static gboolean
push_text (GstElement * el, const gchar * text, gboolean flush)
{
  gboolean ret = FALSE;

  g_signal_emit_by_name (el, "push-text", text, flush, &ret);
  return ret;
}

/* A pipeline from @desc (whose inworldttssrc is named tts), recorded. */
typedef struct
{
  GstElement *pipeline;
  GstElement *tts;
  GstBus *bus;
  Rec rec;
} P;

static P *
p_new (const gchar * desc)
{
  P *p = g_new0 (P, 1);
  GError *error = NULL;

  p->pipeline = gst_parse_launch (desc, &error);
  fail_unless (p->pipeline != NULL, "%s: %s", desc,
      error ? error->message : "?");
  g_clear_error (&error);
  p->tts = gst_bin_get_by_name (GST_BIN (p->pipeline), "tts");
  fail_unless (p->tts != NULL);
  p->bus = gst_pipeline_get_bus (GST_PIPELINE (p->pipeline));
  rec_init (&p->rec);
  rec_attach (&p->rec, p->tts, p->bus);
  return p;
}

static void
p_free (P * p)
{
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (p->bus, NULL, NULL, NULL);
  gst_object_unref (p->bus);
  gst_object_unref (p->tts);
  gst_object_unref (p->pipeline);
  rec_clear (&p->rec);
  g_free (p);
}

/* ------------------------------------------------------------------------
 * Seek
 * ------------------------------------------------------------------------ */

/* distinct texts (their signals differ), each shorter than the 2 s
 * between cues */
static const gchar *cues[] = {
  "Zero seconds.", "Two seconds.", "Four seconds.", "Six seconds.",
  "Eight seconds."
};

/* Holds buffers going into subparse while a seek is under way: subparse
 * applies a seek to its own segment only once its upstream seek has
 * returned, and a file read again before that is parsed with the old
 * segment (every cue sent again). An application does not see that race
 * (its file is larger than one read), the test would. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean hold;
} Gate;

static GstPadProbeReturn
gate_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Gate *gate = user_data;

  g_mutex_lock (&gate->lock);
  while (gate->hold)
    g_cond_wait (&gate->cond, &gate->lock);
  g_mutex_unlock (&gate->lock);
  return GST_PAD_PROBE_OK;
}

static void
gate_set (Gate * gate, gboolean hold)
{
  g_mutex_lock (&gate->lock);
  gate->hold = hold;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
}

/* filesrc ! subparse ! inworldttssrc.sink, cues at 0, 2, 4, 6 and 8 s:
 * seek_simple (FLUSH, 5 s) on the pipeline goes through the element to
 * subparse and returns TRUE; the speech after it is the cues at 6 and 8 s,
 * at running time 1 s and 3 s (the flush restarts it at 0), in a segment
 * whose stream time starts at 5 s */
GST_START_TEST (test_seek_subtitles)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *srt_path = NULL, *desc, *problem = NULL;
  gint fd = g_file_open_tmp ("gstbehaviour-XXXXXX.srt", &srt_path, NULL);
  GString *srt = g_string_new (NULL);
  GstElement *parse;
  GstPad *parse_sink;
  Gate gate = { 0 };
  GstQuery *q;
  GArray *flushes;
  gboolean seekable = FALSE, seeked, eos;
  gint stop, seg;
  P *p;

  fail_unless (fd >= 0);
  g_close (fd, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cues); i++) {
    fail_unless (speech_duration (cues[i]) < 2 * GST_SECOND);
    g_string_append_printf (srt, "%u\n00:00:%02u,000 --> 00:00:%02u,500\n"
        "%s\n\n", i + 1, 2 * i, 2 * i, cues[i]);
  }
  fail_unless (g_file_set_contents (srt_path, srt->str, -1, NULL));
  desc = g_strdup_printf ("filesrc location=%s ! subparse name=parse ! "
      "tts.sink inworldttssrc name=tts uri=%s api-key=%s ! " RAW_CAPS
      " ! fakesink sync=false", srt_path, emu->uri, TEST_API_KEY);
  p = p_new (desc);
  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  parse = gst_bin_get_by_name (GST_BIN (p->pipeline), "parse");
  parse_sink = gst_element_get_static_pad (parse, "sink");
  gst_pad_add_probe (parse_sink, GST_PAD_PROBE_TYPE_BUFFER, gate_probe,
      &gate, NULL);

  /* prerolled on the first cue's speech */
  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (p->pipeline, NULL, NULL,
          WAIT), GST_STATE_CHANGE_SUCCESS);

  /* the text source says it seeks, through the element */
  q = gst_query_new_seeking (GST_FORMAT_TIME);
  fail_unless (gst_element_query (p->pipeline, q));
  gst_query_parse_seeking (q, NULL, &seekable, NULL, NULL);
  gst_query_unref (q);
  fail_unless (seekable, "the pipeline is not seekable");

  gate_set (&gate, TRUE);
  seeked = gst_element_seek_simple (p->pipeline, GST_FORMAT_TIME,
      GST_SEEK_FLAG_FLUSH, 5 * GST_SECOND);
  gate_set (&gate, FALSE);
  fail_unless (seeked, "the seek was refused");
  fail_unless_equals_int (gst_element_get_state (p->pipeline, NULL, NULL,
          WAIT), GST_STATE_CHANGE_SUCCESS);
  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  eos = rec_wait (&p->rec, &p->rec.eos, 1, WAIT);
  gst_element_set_state (p->pipeline, GST_STATE_NULL);

  g_mutex_lock (&p->rec.lock);
  stop = last_event (&p->rec, GST_EVENT_FLUSH_STOP);
  seg = last_event (&p->rec, GST_EVENT_SEGMENT);
  if (!eos)
    problem = g_strdup ("no EOS after the seek");
  else if (p->rec.errors)
    problem = g_strdup ("an error");
  else if (stop < 0)
    problem = g_strdup ("no FLUSH_STOP downstream after the seek");
  else if (seg < stop)
    problem = g_strdup ("no SEGMENT after the seek's FLUSH_STOP");
  if (problem == NULL) {
    GstEvent *fs = GST_EVENT (LOG_AT (&p->rec, stop));
    const GstSegment *segment;
    gboolean reset = FALSE;

    gst_event_parse_flush_stop (fs, &reset);
    gst_event_parse_segment (GST_EVENT (LOG_AT (&p->rec, seg)), &segment);
    if (!reset)
      problem = g_strdup ("the seek's FLUSH_STOP does not reset the "
          "running time");
    else if (segment->time != 5 * GST_SECOND || segment->start != 0)
      problem = g_strdup_printf ("segment after the seek: start %"
          GST_TIME_FORMAT ", time %" GST_TIME_FORMAT ", expected 0 and 5 s",
          GST_TIME_ARGS (segment->start), GST_TIME_ARGS (segment->time));
  }
  if (problem == NULL) {
    flushes = rec_flushes_range (&p->rec, stop, G_MAXUINT);
    if (flushes->len != 2)
      problem = g_strdup_printf ("%u utterance(s) spoken after the seek, "
          "expected 2 (the cues at 6 and 8 s)", flushes->len);
    else
      problem = speech_problem (&g_array_index (flushes, Flush, 0), cues[3],
          1 * GST_SECOND);
    if (problem == NULL)
      problem = speech_problem (&g_array_index (flushes, Flush, 1), cues[4],
          3 * GST_SECOND);
    g_array_unref (flushes);
  }
  g_mutex_unlock (&p->rec.lock);

  gst_object_unref (parse_sink);
  gst_object_unref (parse);
  p_free (p);
  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.cond);
  g_unlink (srt_path);
  g_free (srt_path);
  g_string_free (srt, TRUE);
  g_free (desc);
  inworld_emulator_stop (emu);
  if (problem)
    fail_with (problem);
}

GST_END_TEST;

/* without a sink pad there is nothing to seek: refused, and the element
 * says it is not seekable */
GST_START_TEST (test_seek_without_sink_pad)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *desc = g_strdup_printf ("inworldttssrc name=tts uri=%s api-key=%s "
      "text=\"Nothing to seek in.\" ! " RAW_CAPS " ! fakesink sync=false",
      emu->uri, TEST_API_KEY);
  P *p = p_new (desc);
  GstPad *src = gst_element_get_static_pad (p->tts, "src");
  GstQuery *q;
  gboolean seekable = TRUE;

  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (p->pipeline, NULL, NULL,
          WAIT), GST_STATE_CHANGE_SUCCESS);
  q = gst_query_new_seeking (GST_FORMAT_TIME);
  fail_unless (gst_pad_query (src, q));
  gst_query_parse_seeking (q, NULL, &seekable, NULL, NULL);
  gst_query_unref (q);
  fail_if (seekable);
  fail_if (gst_element_seek_simple (p->pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, GST_SECOND));

  gst_object_unref (src);
  p_free (p);
  g_free (desc);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * READY
 * ------------------------------------------------------------------------ */

static const gchar *in_null = "Pushed before the element was even ready.";
static const gchar *in_ready = "Pushed in the ready state.";

/* push-text in NULL and in READY returns TRUE; the texts are spoken in
 * order once the element plays, end-of-stream asked in READY ends the
 * stream after them */
GST_START_TEST (test_push_text_in_ready)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *desc = g_strdup_printf ("inworldttssrc name=tts uri=%s api-key=%s "
      "! " RAW_CAPS " ! fakesink sync=false", emu->uri, TEST_API_KEY);
  P *p = p_new (desc);
  gchar *problem;
  GArray *flushes;

  fail_unless (push_text (p->tts, in_null, TRUE), "push-text refused in NULL");
  fail_unless_equals_int (gst_element_set_state (p->pipeline,
          GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  fail_unless (push_text (p->tts, in_ready, TRUE),
      "push-text refused in READY");
  g_signal_emit_by_name (p->tts, "end-of-stream");
  fail_if (push_text (p->tts, "After the end.", TRUE),
      "push-text accepted text after end-of-stream");

  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  rec_fail_unless_waited (&p->rec, rec_wait (&p->rec, &p->rec.eos, 1, WAIT),
      "EOS");
  fail_unless_equals_int (p->rec.errors, 0);
  flushes = rec_flushes_range (&p->rec, 0, G_MAXUINT);
  fail_unless_equals_int (flushes->len, 2);
  problem = speech_problem (&g_array_index (flushes, Flush, 0), in_null, 0);
  if (problem == NULL)
    problem = speech_problem (&g_array_index (flushes, Flush, 1), in_ready,
        speech_duration (in_null));
  g_array_unref (flushes);
  p_free (p);
  g_free (desc);
  inworld_emulator_stop (emu);
  if (problem)
    fail_with (problem);
}

GST_END_TEST;

/* text kept in READY, then the element runs again after a stop: the text
 * property first, then what was pushed */
GST_START_TEST (test_push_text_in_ready_after_property)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *desc = g_strdup_printf ("inworldttssrc name=tts uri=%s api-key=%s "
      "text=\"%s\" ! " RAW_CAPS " ! fakesink sync=false", emu->uri,
      TEST_API_KEY, in_null);
  P *p = p_new (desc);
  gchar *problem;
  GArray *flushes;

  fail_unless_equals_int (gst_element_set_state (p->pipeline,
          GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  fail_unless (push_text (p->tts, in_ready, TRUE));
  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  rec_fail_unless_waited (&p->rec, rec_wait (&p->rec, &p->rec.eos, 1, WAIT),
      "EOS");
  fail_unless_equals_int (p->rec.errors, 0);
  flushes = rec_flushes_range (&p->rec, 0, G_MAXUINT);
  fail_unless_equals_int (flushes->len, 2);
  problem = speech_problem (&g_array_index (flushes, Flush, 0), in_null, 0);
  if (problem == NULL)
    problem = speech_problem (&g_array_index (flushes, Flush, 1), in_ready,
        speech_duration (in_null));
  g_array_unref (flushes);
  p_free (p);
  g_free (desc);
  inworld_emulator_stop (emu);
  if (problem)
    fail_with (problem);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Papercuts
 * ------------------------------------------------------------------------ */

/* docs/examples/voice-agent.py's start: a live element into a
 * synchronizing sink, text pushed the moment the element plays. The
 * speech is on time (the server answers in milliseconds, the latency is
 * 1 s): no "Speech arrived ... later" warning. (The start GAP holds the
 * task in the sink until the GAP's time plus the pipeline's latency, 20 ms
 * more than the element's with the sink's processing deadline; the first
 * speech, placed at the GAP's time, was pushed after that and reported
 * late, when only its arrival from the server counts.) */
GST_START_TEST (test_live_start_not_late)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *desc = g_strdup_printf ("inworldttssrc name=tts uri=%s api-key=%s "
      "is-live=true latency=1000000000 ! " RAW_CAPS " ! fakesink sync=true",
      emu->uri, TEST_API_KEY);
  P *p = p_new (desc);
  GstState state = GST_STATE_VOID_PENDING;

  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  /* the element reaches PLAYING at once; the sink waits for data */
  fail_unless_equals_int (gst_element_get_state (p->tts, &state, NULL,
          WAIT), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);
  fail_unless (push_text (p->tts, "Hello there.", TRUE));
  g_signal_emit_by_name (p->tts, "end-of-stream");
  rec_fail_unless_waited (&p->rec, rec_wait (&p->rec, &p->rec.eos, 1, WAIT),
      "EOS");
  fail_unless_equals_int (p->rec.errors, 0);
  fail_unless_equals_int (count_warnings (&p->rec, GST_CORE_ERROR,
          GST_CORE_ERROR_CLOCK), 0);
  p_free (p);
  g_free (desc);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* a bad text buffer without a PTS: its warning says "no PTS", not
 * 99:99:99.999999999 */
GST_START_TEST (test_warning_without_pts)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *desc = g_strdup_printf ("appsrc name=text format=time "
      "caps=text/x-raw,format=utf8 ! tts.sink inworldttssrc name=tts "
      "uri=%s api-key=%s ! " RAW_CAPS " ! fakesink sync=false", emu->uri,
      TEST_API_KEY);
  P *p = p_new (desc);
  GstElement *text = gst_bin_get_by_name (GST_BIN (p->pipeline), "text");
  GstMessage *msg;
  GError *err = NULL;
  gchar *message = NULL;

  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (text),
          gst_buffer_new_memdup ("bad \xff bytes", 10 + 1)), GST_FLOW_OK);
  rec_fail_unless_waited (&p->rec, rec_wait (&p->rec, &p->rec.warnings, 1,
          WAIT), "the warning");
  g_mutex_lock (&p->rec.lock);
  for (guint i = 0; i < p->rec.log->len && !message; i++) {
    msg = GST_MESSAGE (LOG_AT (&p->rec, i));
    if (GST_IS_MESSAGE (msg) && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      gst_message_parse_warning (msg, &err, NULL);
      message = g_strdup (err->message);
      g_clear_error (&err);
    }
  }
  g_mutex_unlock (&p->rec.lock);
  gst_object_unref (text);
  p_free (p);
  g_free (desc);
  inworld_emulator_stop (emu);

  fail_unless (message != NULL);
  fail_unless (strstr (message, "no PTS") != NULL, "warning: %s", message);
  fail_if (strstr (message, "99:99:99") != NULL, "warning: %s", message);
  g_free (message);
}

GST_END_TEST;

/* The debug log lines of inworldttssrc at WARNING, while lines is set.
 * The log function stays installed: GStreamer leaks its list of log
 * functions when one is removed. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GPtrArray *lines;
} Log;

static Log log_lines;

static void
log_function (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (level != GST_LEVEL_WARNING
      || g_strcmp0 (gst_debug_category_get_name (category),
          "inworldttssrc") != 0)
    return;
  g_mutex_lock (&log_lines.lock);
  if (log_lines.lines) {
    g_ptr_array_add (log_lines.lines,
        g_strdup (gst_debug_message_get (message)));
    g_cond_broadcast (&log_lines.cond);
  }
  g_mutex_unlock (&log_lines.lock);
}

/* not live, no text property, no sink pad, nothing pushed: the pipeline
 * cannot preroll until push-text gives text; the element says so once in
 * its log (no error: the application may push text yet), and prerolls
 * when it does */
GST_START_TEST (test_preroll_hint)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *desc = g_strdup_printf ("inworldttssrc name=tts uri=%s api-key=%s "
      "! " RAW_CAPS " ! fakesink sync=false", emu->uri, TEST_API_KEY);
  P *p = p_new (desc);
  gint64 deadline = g_get_monotonic_time () + WAIT / GST_USECOND;
  gboolean found = FALSE;
  guint hints = 0;
  static gboolean installed = FALSE;

  g_mutex_lock (&log_lines.lock);
  log_lines.lines = g_ptr_array_new_with_free_func (g_free);
  g_mutex_unlock (&log_lines.lock);
  gst_debug_set_threshold_for_name ("inworldttssrc", GST_LEVEL_WARNING);
  if (!installed)
    gst_debug_add_log_function (log_function, NULL, NULL);
  installed = TRUE;

  fail_unless_equals_int (gst_element_set_state (p->pipeline,
          GST_STATE_PAUSED), GST_STATE_CHANGE_ASYNC);
  g_mutex_lock (&log_lines.lock);
  while (!found) {
    for (guint i = 0; i < log_lines.lines->len && !found; i++)
      found = strstr (g_ptr_array_index (log_lines.lines, i),
          "push-text") != NULL;
    if (!found && !g_cond_wait_until (&log_lines.cond, &log_lines.lock,
            deadline))
      break;
  }
  g_mutex_unlock (&log_lines.lock);

  /* push-text: it prerolls */
  if (found) {
    fail_unless (push_text (p->tts, "Now there is text.", TRUE));
    fail_unless_equals_int (gst_element_get_state (p->pipeline, NULL, NULL,
            WAIT), GST_STATE_CHANGE_SUCCESS);
  }
  p_free (p);

  g_mutex_lock (&log_lines.lock);
  for (guint i = 0; i < log_lines.lines->len; i++)
    hints += strstr (g_ptr_array_index (log_lines.lines, i),
        "push-text") != NULL;
  g_clear_pointer (&log_lines.lines, g_ptr_array_unref);
  g_mutex_unlock (&log_lines.lock);
  g_free (desc);
  inworld_emulator_stop (emu);
  fail_unless (found, "no log line says the pipeline waits for push-text");
  fail_unless_equals_int (hints, 1);
}

GST_END_TEST;

static Suite *
gstbehaviour_suite (void)
{
  Suite *s = suite_create ("gstbehaviour");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_seek_subtitles);
  tcase_add_test (tc, test_seek_without_sink_pad);
  tcase_add_test (tc, test_push_text_in_ready);
  tcase_add_test (tc, test_push_text_in_ready_after_property);
  tcase_add_test (tc, test_live_start_not_late);
  tcase_add_test (tc, test_warning_without_pts);
  tcase_add_test (tc, test_preroll_hint);
  return s;
}

GST_CHECK_MAIN (gstbehaviour);
