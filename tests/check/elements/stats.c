/* inworldttssrc: the stats property
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The stats structure (docs/inworldttssrc.md, "Statistics") read after
 * speaking against the emulator: every field against what the test
 * handed over, what left the src pad and what the emulator was told to
 * do (delay the first audio, drop a connection, ...). */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <string.h>

#include "emulator-fixture.h"
#include "tts-harness.h"
#include "../recorder.h"

#define STATS_NAME "application/x-inworld-tts-stats"
#define RAW_CAPS "audio/x-raw, format=S16LE, layout=interleaved, " \
    "channels=1, rate=16000"
#define WAIT (30 * GST_SECOND)

/* accented: characters, not bytes, are counted */
static const gchar text1[] = "Déjà vu: the café opens at nine, and the "
    "first customers are always the same three people.";
static const gchar text2[] = "Ça va? Oui, très bien, merci.";

typedef struct
{
  GstElement *el;
  GstBus *bus;
  GstHarness *h;
  Rec rec;
} T;

static T *
t_new (InworldEmulator * emu)
{
  T *t = g_new0 (T, 1);

  t->el = gst_element_factory_make ("inworldttssrc", NULL);
  fail_unless (t->el != NULL, "inworldttssrc not found");
  g_object_set (t->el, "uri", emu->uri, "api-key", TEST_API_KEY, NULL);
  rec_init (&t->rec);
  t->bus = gst_bus_new ();
  t->h = tts_harness_new (t->el, t->bus);
  gst_harness_set_sink_caps_str (t->h, RAW_CAPS);
  rec_attach (&t->rec, t->el, t->bus);
  return t;
}

static void
t_free (T * t)
{
  gst_element_set_bus (t->el, NULL);
  gst_harness_teardown (t->h);
  gst_object_unref (t->el);
  gst_object_unref (t->bus);
  rec_clear (&t->rec);
  g_free (t);
}

static gboolean
push_text (GstElement * el, const gchar * text, gboolean flush)
{
  gboolean ret = FALSE;

  g_signal_emit_by_name (el, "push-text", text, flush, &ret);
  return ret;
}

/* Pushes @text1 and @text2, each flushed, then ends the stream and
 * waits for EOS; returns the wall time from before the first push-text
 * to the EOS. */
static GstClockTime
speak_two (T * t)
{
  gint64 before = g_get_monotonic_time ();

  gst_harness_play (t->h);
  fail_unless (push_text (t->el, text1, TRUE));
  fail_unless (push_text (t->el, text2, TRUE));
  g_signal_emit_by_name (t->el, "end-of-stream");
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1, WAIT),
      "EOS");
  return (g_get_monotonic_time () - before) * GST_USECOND;
}

static GstStructure *
get_stats (GstElement * el)
{
  GstStructure *s = NULL;

  g_object_get (el, "stats", &s, NULL);
  fail_unless (s != NULL, "no stats");
  fail_unless (gst_structure_has_name (s, STATS_NAME), "stats named %s",
      gst_structure_get_name (s));
  return s;
}

static guint64
get_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, field, &v),
      "no guint64 %s in %" GST_PTR_FORMAT, field, s);
  return v;
}

static guint
get_uint (const GstStructure * s, const gchar * field)
{
  guint v = 0;

  fail_unless (gst_structure_get_uint (s, field, &v),
      "no guint %s in %" GST_PTR_FORMAT, field, s);
  return v;
}

static GstClockTime
get_time (const GstStructure * s, const gchar * field)
{
  GstClockTime v = 0;

  fail_unless (gst_structure_get_clock_time (s, field, &v),
      "no clock time %s in %" GST_PTR_FORMAT, field, s);
  return v;
}

/* The bytes of audio the src pad pushed. */
static guint64
audio_bytes_pushed (Rec * rec)
{
  guint64 total = 0;

  for (guint i = 0; i < rec->log->len; i++)
    if (GST_IS_BUFFER (LOG_AT (rec, i)))
      total += gst_buffer_get_size (GST_BUFFER (LOG_AT (rec, i)));
  return total;
}

static const gchar *const all_fields[] = {
  "characters-sent", "utterances-completed", "time-to-first-audio-last",
  "time-to-first-audio-mean", "reconnections", "late-buffers",
  "bytes-received", "uri", "connection-id", "cache-hits", "cache-misses",
  NULL
};

/* before the element ever ran: every field, all zero, no time yet */
GST_START_TEST (test_stats_before_start)
{
  GstElement *el = gst_element_factory_make ("inworldttssrc", NULL);
  GstStructure *s;

  fail_unless (el != NULL);
  s = get_stats (el);
  for (guint i = 0; all_fields[i]; i++)
    fail_unless (gst_structure_has_field (s, all_fields[i]), "no %s in %"
        GST_PTR_FORMAT, all_fields[i], s);
  fail_unless_equals_int (gst_structure_n_fields (s),
      g_strv_length ((gchar **) all_fields));
  fail_unless_equals_uint64 (get_u64 (s, "characters-sent"), 0);
  fail_unless_equals_uint64 (get_u64 (s, "utterances-completed"), 0);
  fail_unless_equals_uint64 (get_u64 (s, "bytes-received"), 0);
  fail_unless_equals_uint64 (get_u64 (s, "late-buffers"), 0);
  fail_unless_equals_uint64 (get_u64 (s, "cache-hits"), 0);
  fail_unless_equals_uint64 (get_u64 (s, "cache-misses"), 0);
  fail_unless_equals_int (get_uint (s, "reconnections"), 0);
  fail_unless_equals_int (get_uint (s, "connection-id"), 0);
  fail_unless (get_time (s, "time-to-first-audio-last") ==
      GST_CLOCK_TIME_NONE);
  fail_unless (get_time (s, "time-to-first-audio-mean") ==
      GST_CLOCK_TIME_NONE);
  fail_unless (gst_structure_get_string (s, "uri") == NULL);
  gst_structure_free (s);
  gst_object_unref (el);
}

GST_END_TEST;

/* two utterances: the characters of both texts, two utterances, the
 * server's frames (more than the audio they carry, in base64 in JSON),
 * a time to first audio at least the emulator's delay and at most the
 * run's wall time, no reconnection, no late buffer (not live), the
 * emulator's URI and a connection; kept once the element stopped */
GST_START_TEST (test_stats_two_utterances)
{
  InworldEmulator *emu = inworld_emulator_start ("--first-audio-delay=150",
      NULL);
  T *t = t_new (emu);
  GstClockTime wall, last, mean;
  GstStructure *s, *after;
  guint64 audio;

  wall = speak_two (t);
  rec_fail_if_problem (&t->rec);
  audio = audio_bytes_pushed (&t->rec);
  fail_unless (audio > 0);

  s = get_stats (t->el);
  GST_INFO ("stats after %" GST_TIME_FORMAT ": %" GST_PTR_FORMAT,
      GST_TIME_ARGS (wall), s);
  fail_unless_equals_uint64 (get_u64 (s, "characters-sent"),
      g_utf8_strlen (text1, -1) + g_utf8_strlen (text2, -1));
  fail_unless_equals_uint64 (get_u64 (s, "utterances-completed"), 2);
  fail_unless_equals_uint64 (get_u64 (s, "utterances-completed"),
      t->rec.flushes);
  fail_unless (get_u64 (s, "bytes-received") > audio,
      "%" G_GUINT64_FORMAT " bytes received for %" G_GUINT64_FORMAT
      " bytes of audio", get_u64 (s, "bytes-received"), audio);
  last = get_time (s, "time-to-first-audio-last");
  mean = get_time (s, "time-to-first-audio-mean");
  fail_unless (GST_CLOCK_TIME_IS_VALID (last) && GST_CLOCK_TIME_IS_VALID
      (mean));
  /* every synthesis waits 150 ms for its first audio */
  fail_unless (last >= 150 * GST_MSECOND && last <= wall,
      "time to first audio %" GST_TIME_FORMAT " in a run of %"
      GST_TIME_FORMAT, GST_TIME_ARGS (last), GST_TIME_ARGS (wall));
  fail_unless (mean >= 150 * GST_MSECOND && mean <= wall,
      "mean time to first audio %" GST_TIME_FORMAT " in a run of %"
      GST_TIME_FORMAT, GST_TIME_ARGS (mean), GST_TIME_ARGS (wall));
  fail_unless_equals_int (get_uint (s, "reconnections"), 0);
  fail_unless_equals_uint64 (get_u64 (s, "late-buffers"), 0);
  fail_unless_equals_string (gst_structure_get_string (s, "uri"), emu->uri);
  fail_unless (get_uint (s, "connection-id") > 0);

  /* stopped: the same figures */
  fail_unless_equals_int (gst_element_set_state (t->h->element,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  after = get_stats (t->el);
  fail_unless (gst_structure_is_equal (s, after), "stats changed when the "
      "element stopped: %" GST_PTR_FORMAT " then %" GST_PTR_FORMAT, s, after);

  gst_structure_free (after);
  gst_structure_free (s);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* the first connection drops mid-speech: one reconnection, the text
 * re-sent is not counted again, both utterances complete */
GST_START_TEST (test_stats_reconnection)
{
  InworldEmulator *emu = inworld_emulator_start ("--drop-after-chunks=2",
      "--drop-connections=1", NULL);
  T *t = t_new (emu);
  GstStructure *s;

  speak_two (t);
  fail_unless_equals_int (t->rec.errors, 0);
  /* the warning that the context was lost */
  fail_unless (t->rec.warnings >= 1, "no warning for the drop");

  s = get_stats (t->el);
  GST_INFO ("stats: %" GST_PTR_FORMAT, s);
  fail_unless (get_uint (s, "reconnections") >= 1, "no reconnection in %"
      GST_PTR_FORMAT, s);
  fail_unless_equals_uint64 (get_u64 (s, "characters-sent"),
      g_utf8_strlen (text1, -1) + g_utf8_strlen (text2, -1));
  fail_unless_equals_uint64 (get_u64 (s, "utterances-completed"), 2);
  fail_unless (get_u64 (s, "bytes-received") > 0);
  /* the connection made after the drop: the second in the process at
   * least */
  fail_unless (get_uint (s, "connection-id") >= 2, "connection in %"
      GST_PTR_FORMAT, s);

  gst_structure_free (s);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* live, with audio 400 ms after the text and a latency of 50 ms: the
 * first buffer is late (the element shifts the rest of its speech) */
GST_START_TEST (test_stats_late_buffers)
{
  InworldEmulator *emu = inworld_emulator_start ("--first-audio-delay=400",
      NULL);
  T *t = t_new (emu);
  GstStructure *s;

  g_object_set (t->el, "is-live", TRUE, "latency", 50 * GST_MSECOND, NULL);
  gst_harness_use_systemclock (t->h);
  speak_two (t);
  fail_unless_equals_int (t->rec.errors, 0);

  s = get_stats (t->el);
  GST_INFO ("stats: %" GST_PTR_FORMAT, s);
  fail_unless (get_u64 (s, "late-buffers") >= 1, "late buffers in %"
      GST_PTR_FORMAT, s);
  fail_unless (get_time (s, "time-to-first-audio-last") >= 400 * GST_MSECOND);
  fail_unless_equals_uint64 (get_u64 (s, "utterances-completed"), 2);

  gst_structure_free (s);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static Suite *
stats_suite (void)
{
  Suite *s = suite_create ("stats");
  TCase *tc = tcase_create ("stats");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stats_before_start);
  tcase_add_test (tc, test_stats_two_utterances);
  tcase_add_test (tc, test_stats_reconnection);
  tcase_add_test (tc, test_stats_late_buffers);
  return s;
}

GST_CHECK_MAIN (stats);
