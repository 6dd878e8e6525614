/* inworldttssrc: the overflow policies of timed text
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Cues too close together on the sink pad, spoken through the emulator's
 * test signal (10 ms per character, a known sample sequence per cue):
 * every sample of the output and every time is checked against what
 * overflow=shift|clip|overlap and max-overflow should make of them, and
 * the overflow fields of each inworld-flush-completed. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "emulator-fixture.h"
#include "tts-harness.h"
#include "../recorder.h"
#include "inworld-test-signal.h"

#define RATE 16000
#define RAW_CAPS "audio/x-raw, format=S16LE, layout=interleaved, " \
    "channels=1, rate=16000"
#define WAIT (30 * GST_SECOND)
#define MS GST_MSECOND
#define FADE 240                /* 15 ms at 16 kHz */

/* 60 characters: 600 ms of speech, past the next cue at 400 ms */
static const gchar *cue_a =
    "The first cue speaks for far longer than its short slot does";
/* 30 characters: 300 ms */
static const gchar *cue_b = "The second one keeps its time.";
/* 10 characters: 100 ms, shorter than the first cue's overrun */
static const gchar *cue_short = "Short cue.";
/* 20 characters: 200 ms, alone in its slot */
static const gchar *cue_c = "And a third, later!!";

/* ------------------------------------------------------------------------
 * The element, its text pad, the record
 * ------------------------------------------------------------------------ */

typedef struct
{
  GstElement *el;
  GstBus *bus;
  GstHarness *h;
  GstPad *sink;
  GstPad *text;
  Rec rec;
} T;

static T *
t_new (InworldEmulator * emu, const gchar * caps)
{
  T *t = g_new0 (T, 1);
  GstSegment seg;
  GstCaps *text_caps;

  t->el = gst_element_factory_make ("inworldttssrc", NULL);
  fail_unless (t->el != NULL, "inworldttssrc not found");
  g_object_set (t->el, "uri", emu->uri, "api-key", TEST_API_KEY, NULL);
  rec_init (&t->rec);
  t->bus = gst_bus_new ();
  t->h = tts_harness_new (t->el, t->bus);
  t->sink = gst_element_request_pad_simple (t->el, "sink");
  fail_unless (t->sink != NULL);
  t->text = gst_pad_new ("text", GST_PAD_SRC);
  fail_unless_equals_int (gst_pad_link (t->text, t->sink), GST_PAD_LINK_OK);
  gst_harness_set_sink_caps_str (t->h, caps ? caps : RAW_CAPS);
  rec_attach (&t->rec, t->el, t->bus);

  gst_harness_play (t->h);
  fail_unless (gst_pad_set_active (t->text, TRUE));
  fail_unless (gst_pad_push_event (t->text,
          gst_event_new_stream_start ("overflow-test")));
  text_caps = gst_caps_from_string ("text/x-raw, format=utf8");
  fail_unless (gst_pad_push_event (t->text, gst_event_new_caps (text_caps)));
  gst_caps_unref (text_caps);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_pad_push_event (t->text, gst_event_new_segment (&seg)));
  return t;
}

/* Pushes the NULL-terminated (text, PTS) pairs, then EOS, and waits for
 * the element's EOS; returns the flushes. */
static GArray *
t_speak (T * t, const gchar * first, ...)
{
  va_list args;

  va_start (args, first);
  for (const gchar * text = first; text; text = va_arg (args, const gchar *))
  {
    GstClockTime pts = va_arg (args, GstClockTime);
    GstBuffer *buf = gst_buffer_new_memdup (text, strlen (text));

    GST_BUFFER_PTS (buf) = pts;
    fail_unless_equals_int (gst_pad_push (t->text, buf), GST_FLOW_OK);
  }
  va_end (args);
  fail_unless (gst_pad_push_event (t->text, gst_event_new_eos ()));
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1, WAIT),
      "EOS");
  fail_unless_equals_int (t->rec.errors, 0);
  return rec_flushes_range (&t->rec, 0, G_MAXUINT);
}

static void
t_free (T * t)
{
  gst_element_set_bus (t->el, NULL);
  gst_harness_teardown (t->h);
  gst_pad_set_active (t->text, FALSE);
  gst_pad_unlink (t->text, t->sink);
  gst_element_release_request_pad (t->el, t->sink);
  gst_object_unref (t->sink);
  gst_object_unref (t->text);
  gst_object_unref (t->el);
  gst_object_unref (t->bus);
  rec_clear (&t->rec);
  g_free (t);
}

/* The emulator waits before each synthesis's first audio, so that every
 * cue has reached the element before the first speech goes out: the slot
 * of a cue is known when its audio is. */
static InworldEmulator *
start_emulator (void)
{
  return inworld_emulator_start ("--first-audio-delay", "100", NULL);
}

#define FLUSH_AT(a, i) (&g_array_index ((a), Flush, (i)))

static guint64
n_samples (const gchar * text)
{
  return inworld_test_signal_n_samples (text, RATE);
}

static GstClockTime
duration (guint64 samples)
{
  return gst_util_uint64_scale_int (samples, GST_SECOND, RATE);
}

/* The test signal of @text, samples [@from, @to). */
static GArray *
signal_of (const gchar * text, guint64 from, guint64 to)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (gint16));
  guint16 seed = inworld_test_signal_seed (text);

  for (guint64 i = from; i < to; i++) {
    gint16 v = inworld_test_signal_sample (seed, i);

    g_array_append_val (a, v);
  }
  return a;
}

/* Fails unless flush @f is @want (host-order samples), starts at
 * @start, and its event says @timestamp, @overflow and @overflow_time. */
static void
check (Flush * f, const gchar * what, GArray * want, GstClockTime start,
    GstClockTime timestamp, const gchar * overflow, GstClockTime overflow_time)
{
  const gint16 *s = (const gint16 *) f->audio->data;
  GstClockTime ts = GST_CLOCK_TIME_NONE, ot = GST_CLOCK_TIME_NONE;

  fail_unless (f->done != NULL, "%s: no flush-completed", what);
  fail_unless_equals_int (f->audio->len / 2, want->len);
  for (guint i = 0; i < want->len; i++)
    if (GINT16_FROM_LE (s[i]) != g_array_index (want, gint16, i))
      fail ("%s: sample %u is %d, expected %d", what, i,
          GINT16_FROM_LE (s[i]), g_array_index (want, gint16, i));
  fail_unless_equals_uint64 (f->first_pts, start);
  fail_unless_equals_uint64 (f->end, start + duration (want->len));
  fail_unless (gst_structure_get_clock_time (f->done, "timestamp", &ts));
  fail_unless_equals_uint64 (ts, timestamp);
  fail_unless_equals_string (gst_structure_get_string (f->done, "overflow"),
      overflow);
  fail_unless (gst_structure_get_clock_time (f->done, "overflow-time", &ot));
  fail_unless_equals_uint64 (ot, overflow_time);
  g_array_unref (want);
}

/* The element's messages carry the same fields as its events. */
static void
check_messages (Rec * rec, const gchar * const *overflows)
{
  guint n = 0;

  for (guint i = 0; i < rec->log->len; i++) {
    GstMiniObject *o = LOG_AT (rec, i);

    if (GST_IS_MESSAGE (o) && gst_message_has_name (GST_MESSAGE (o),
            "inworld-flush-completed")) {
      const GstStructure *s = gst_message_get_structure (GST_MESSAGE (o));

      fail_unless (overflows[n] != NULL, "more flush messages than cues");
      fail_unless_equals_string (gst_structure_get_string (s, "overflow"),
          overflows[n]);
      fail_unless (gst_structure_has_field_typed (s, "overflow-time",
              GST_TYPE_CLOCK_TIME));
      n++;
    }
  }
  fail_unless (overflows[n] == NULL, "fewer flush messages than cues");
}

/* ------------------------------------------------------------------------
 * The policies
 * ------------------------------------------------------------------------ */

/* shift (the default): the second cue starts where the first ends, and
 * the first says it ran 200 ms past */
GST_START_TEST (test_shift)
{
  InworldEmulator *emu = start_emulator ();
  T *t = t_new (emu, NULL);
  guint64 na = n_samples (cue_a), nb = n_samples (cue_b);
  GstClockTime end_a = duration (na);
  const gchar *const overflows[] = { "shifted", "none", "none", NULL };
  GArray *f;

  f = t_speak (t, cue_a, 0 * MS, cue_b, 400 * MS, cue_c, 2000 * MS, NULL);
  fail_unless_equals_int (f->len, 3);
  check (FLUSH_AT (f, 0), "a", signal_of (cue_a, 0, na), 0, end_a,
      "shifted", end_a - 400 * MS);
  check (FLUSH_AT (f, 1), "b", signal_of (cue_b, 0, nb), end_a,
      end_a + duration (nb), "none", 0);
  check (FLUSH_AT (f, 2), "c", signal_of (cue_c, 0, n_samples (cue_c)),
      2000 * MS, 2000 * MS + duration (n_samples (cue_c)), "none", 0);
  check_messages (&t->rec, overflows);
  rec_fail_if_problem (&t->rec);

  g_array_unref (f);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* the first cue's speech cut at 400 ms, its last 15 ms faded to 0;
 * every cue at its PTS */
static GArray *
clipped (const gchar * text, guint64 keep)
{
  GArray *a = signal_of (text, 0, keep);

  for (guint i = 0; i < FADE; i++) {
    gint16 *v = &g_array_index (a, gint16, keep - FADE + i);

    *v = (gint16) ((gint64) * v * (FADE - 1 - i) / FADE);
  }
  return a;
}

GST_START_TEST (test_clip)
{
  InworldEmulator *emu = start_emulator ();
  T *t = t_new (emu, NULL);
  guint64 na = n_samples (cue_a), nb = n_samples (cue_b);
  const gchar *const overflows[] = { "clipped", "none", "none", NULL };
  GArray *f;

  g_object_set (t->el, "overflow", 1 /* clip */ , NULL);
  f = t_speak (t, cue_a, 0 * MS, cue_b, 400 * MS, cue_c, 2000 * MS, NULL);
  fail_unless_equals_int (f->len, 3);
  /* 6400 samples: the first cue ends exactly at the second's start */
  check (FLUSH_AT (f, 0), "a", clipped (cue_a, 400 * RATE / 1000), 0,
      400 * MS, "clipped", duration (na) - 400 * MS);
  check (FLUSH_AT (f, 1), "b", signal_of (cue_b, 0, nb), 400 * MS,
      400 * MS + duration (nb), "none", 0);
  check (FLUSH_AT (f, 2), "c", signal_of (cue_c, 0, n_samples (cue_c)),
      2000 * MS, 2000 * MS + duration (n_samples (cue_c)), "none", 0);
  /* the ramp ends in silence */
  fail_unless_equals_int (((gint16 *) FLUSH_AT (f, 0)->audio->data)[6399], 0);
  check_messages (&t->rec, overflows);
  rec_fail_if_problem (&t->rec);

  g_array_unref (f);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* @a's samples from @from on added into @b's (saturating), as far as
 * they go; the rest of either as it is */
static GArray *
mixed (const gchar * a, guint64 from, const gchar * b)
{
  guint64 na = n_samples (a), nb = n_samples (b);
  GArray *rest = signal_of (a, from, na);
  GArray *out = signal_of (b, 0, nb);

  for (guint i = 0; i < rest->len; i++) {
    gint32 v = g_array_index (rest, gint16, i);

    if (i < out->len) {
      v += g_array_index (out, gint16, i);
      g_array_index (out, gint16, i) = CLAMP (v, G_MININT16, G_MAXINT16);
    } else {
      gint16 s = v;

      g_array_append_val (out, s);
    }
  }
  g_array_unref (rest);
  return out;
}

/* overlap: the second cue starts at 400 ms, the first's last 200 ms
 * mixed into it */
GST_START_TEST (test_overlap)
{
  InworldEmulator *emu = start_emulator ();
  T *t = t_new (emu, NULL);
  guint64 na = n_samples (cue_a), nb = n_samples (cue_b);
  const gchar *const overflows[] = { "overlapped", "none", "none", NULL };
  GArray *f;

  g_object_set (t->el, "overflow", 2 /* overlap */ , NULL);
  f = t_speak (t, cue_a, 0 * MS, cue_b, 400 * MS, cue_c, 2000 * MS, NULL);
  fail_unless_equals_int (f->len, 3);
  /* its event: where its speech really ends, in the next cue */
  check (FLUSH_AT (f, 0), "a", signal_of (cue_a, 0, 6400), 0,
      duration (na), "overlapped", duration (na) - 400 * MS);
  check (FLUSH_AT (f, 1), "b", mixed (cue_a, 6400, cue_b), 400 * MS,
      400 * MS + duration (nb), "none", 0);
  check (FLUSH_AT (f, 2), "c", signal_of (cue_c, 0, n_samples (cue_c)),
      2000 * MS, 2000 * MS + duration (n_samples (cue_c)), "none", 0);
  check_messages (&t->rec, overflows);
  rec_fail_if_problem (&t->rec);

  g_array_unref (f);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* overlap with a next cue shorter than the overrun: what is left of the
 * first cue's speech follows the second's, before the third cue's gap */
GST_START_TEST (test_overlap_outlasts)
{
  InworldEmulator *emu = start_emulator ();
  T *t = t_new (emu, NULL);
  guint64 na = n_samples (cue_a);
  const gchar *const overflows[] = { "overlapped", "none", "none", NULL };
  GArray *f;

  g_object_set (t->el, "overflow", 2 /* overlap */ , NULL);
  f = t_speak (t, cue_a, 0 * MS, cue_short, 400 * MS, cue_c, 2000 * MS, NULL);
  fail_unless_equals_int (f->len, 3);
  check (FLUSH_AT (f, 0), "a", signal_of (cue_a, 0, 6400), 0,
      duration (na), "overlapped", duration (na) - 400 * MS);
  /* 100 ms mixed, then the first cue's last 100 ms alone */
  check (FLUSH_AT (f, 1), "short", mixed (cue_a, 6400, cue_short), 400 * MS,
      duration (na), "none", 0);
  check (FLUSH_AT (f, 2), "c", signal_of (cue_c, 0, n_samples (cue_c)),
      2000 * MS, 2000 * MS + duration (n_samples (cue_c)), "none", 0);
  check_messages (&t->rec, overflows);
  rec_fail_if_problem (&t->rec);

  g_array_unref (f);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* clip with max-overflow=250 ms: the first cue's 200 ms overrun passes
 * (the next cue waits), the third cue's 400 ms is clipped */
GST_START_TEST (test_max_overflow)
{
  InworldEmulator *emu = start_emulator ();
  T *t = t_new (emu, NULL);
  guint64 na = n_samples (cue_a), nb = n_samples (cue_b);
  GstClockTime end_a = duration (na);
  const gchar *const overflows[] = { "shifted", "none", "clipped", "none",
    NULL
  };
  GArray *f;

  g_object_set (t->el, "overflow", 1 /* clip */ ,
      "max-overflow", (guint64) 250 * MS, NULL);
  /* cue_a again at 2 s: 600 ms of speech, the next cue at 2.2 s */
  f = t_speak (t, cue_a, 0 * MS, cue_b, 400 * MS, cue_a, 2000 * MS,
      cue_c, 2200 * MS, NULL);
  fail_unless_equals_int (f->len, 4);
  check (FLUSH_AT (f, 0), "a", signal_of (cue_a, 0, na), 0, end_a,
      "shifted", end_a - 400 * MS);
  check (FLUSH_AT (f, 1), "b", signal_of (cue_b, 0, nb), end_a,
      end_a + duration (nb), "none", 0);
  check (FLUSH_AT (f, 2), "a again", clipped (cue_a, 200 * RATE / 1000),
      2000 * MS, 2200 * MS, "clipped", duration (na) - 200 * MS);
  check (FLUSH_AT (f, 3), "c", signal_of (cue_c, 0, n_samples (cue_c)),
      2200 * MS, 2200 * MS + duration (n_samples (cue_c)), "none", 0);
  check_messages (&t->rec, overflows);
  rec_fail_if_problem (&t->rec);

  g_array_unref (f);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* encoded speech cannot be cut or mixed: clip shifts it, with one
 * warning that says why */
GST_START_TEST (test_clip_encoded)
{
  InworldEmulator *emu = start_emulator ();
  T *t = t_new (emu, "audio/x-alaw, rate=8000, channels=1");
  GstClockTime end_a = 600 * MS;
  GArray *f;
  gchar *problem;

  g_object_set (t->el, "overflow", 1 /* clip */ , NULL);
  f = t_speak (t, cue_a, 0 * MS, cue_b, 400 * MS, cue_c, 2000 * MS, NULL);
  fail_unless_equals_int (f->len, 3);
  fail_unless_equals_uint64 (FLUSH_AT (f, 0)->end, end_a);
  fail_unless_equals_uint64 (FLUSH_AT (f, 1)->first_pts, end_a);
  fail_unless_equals_string (gst_structure_get_string (FLUSH_AT (f, 0)->done,
          "overflow"), "shifted");
  fail_unless_equals_int (t->rec.warnings, 1);
  problem = rec_problem (&t->rec);
  fail_unless (strstr (problem, "overflow=clip needs raw audio") != NULL,
      "%s", problem);
  g_free (problem);

  g_array_unref (f);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * fit: a retry with a faster speakingRate
 * ------------------------------------------------------------------------ */

/* The emulator's sine: 60 ms per character divided by speakingRate, so
 * that a retry's speech is shorter, as the service's is; its own log
 * shows the frames that ask for the rate. */
static InworldEmulator *
start_sine_emulator (const gchar * speed)
{
  return inworld_emulator_start_logged ("--first-audio-delay", "100",
      "--audio", "sine", "--speed", speed, NULL);
}

static guint64
sine_samples (const gchar * text, gdouble rate)
{
  return (guint64) (g_utf8_strlen (text, -1) * 60 * (guint64) RATE
      / (1000.0 * rate));
}

/* The speakingRate values of the create frames the emulator got, in
 * order; 1.0 for a create without one (the service's default). */
static GArray *
created_rates (InworldEmulator * emu)
{
  gchar **lines = inworld_emulator_log_lines (emu, "<- ", "\"create\"",
      NULL);
  GArray *rates = g_array_new (FALSE, FALSE, sizeof (gdouble));

  for (guint i = 0; lines[i]; i++) {
    const gchar *r = strstr (lines[i], "\"speakingRate\":");
    gdouble v = r ? g_ascii_strtod (r + strlen ("\"speakingRate\":"),
        NULL) : 1.0;

    g_array_append_val (rates, v);
  }
  g_strfreev (lines);
  return rates;
}

static gdouble
flush_rate (Flush * f)
{
  gdouble rate = 0.0;

  fail_unless (gst_structure_get_double (f->done, "speaking-rate", &rate),
      "no speaking-rate in %" GST_PTR_FORMAT, f->done);
  return rate;
}

/* 10 characters: 600 ms of sine, its slot 500 ms: spoken again at
 * 1.2 x 1.05 = 1.26, 7619 samples (476 ms) that end before the next cue,
 * which starts at its PTS, as does the third */
GST_START_TEST (test_fit)
{
  InworldEmulator *emu = start_sine_emulator ("0");
  T *t = t_new (emu, NULL);
  const gchar *const overflows[] = { "fitted", "none", "none", NULL };
  guint64 n_fit = sine_samples (cue_short, 1.26);
  GstClockTime ot = GST_CLOCK_TIME_NONE;
  GArray *f, *rates;

  fail_unless_equals_int (n_fit, 7619);
  gst_util_set_object_arg (G_OBJECT (t->el), "overflow", "fit");
  f = t_speak (t, cue_short, 0 * MS, cue_b, 500 * MS, cue_c, 3000 * MS,
      NULL);
  fail_unless_equals_int (f->len, 3);
  /* the retry's create asks for the faster rate; the first had none */
  rates = created_rates (emu);
  fail_unless_equals_int (rates->len, 2);
  fail_unless_equals_float (g_array_index (rates, gdouble, 0), 1.0);
  fail_unless_equals_float (g_array_index (rates, gdouble, 1), 1.26);
  g_array_unref (rates);

  /* the retry's audio, not the first's, ends before the next cue */
  fail_unless_equals_int (FLUSH_AT (f, 0)->audio->len / 2, n_fit);
  fail_unless_equals_uint64 (FLUSH_AT (f, 0)->first_pts, 0);
  fail_unless_equals_uint64 (FLUSH_AT (f, 0)->end, duration (n_fit));
  fail_unless (FLUSH_AT (f, 0)->end <= 500 * MS);
  fail_unless_equals_string (gst_structure_get_string (FLUSH_AT (f,
              0)->done, "overflow"), "fitted");
  fail_unless (gst_structure_get_clock_time (FLUSH_AT (f, 0)->done,
          "overflow-time", &ot));
  fail_unless_equals_uint64 (ot, 100 * MS);
  fail_unless_equals_float (flush_rate (FLUSH_AT (f, 0)), 1.26);
  /* the later cues at their PTS, their audio after the fitted cue's */
  fail_unless_equals_uint64 (FLUSH_AT (f, 1)->first_pts, 500 * MS);
  fail_unless_equals_int (FLUSH_AT (f, 1)->audio->len / 2,
      sine_samples (cue_b, 1.0));
  fail_unless (FLUSH_AT (f, 1)->first_buffer > FLUSH_AT (f, 0)->done_index);
  fail_unless_equals_uint64 (FLUSH_AT (f, 2)->first_pts, 3000 * MS);
  fail_unless (!gst_structure_has_field (FLUSH_AT (f, 1)->done,
          "speaking-rate"));
  check_messages (&t->rec, overflows);
  rec_fail_if_problem (&t->rec);

  g_array_unref (f);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* a cue of a speaker (voice-map) is spoken again with its speaker's
 * voice, not with the voice property's: the retry keeps the cue's own
 * settings */
GST_START_TEST (test_fit_keeps_speaker_voice)
{
  InworldEmulator *emu = start_sine_emulator ("0");
  T *t = t_new (emu, NULL);
  gchar *bob = g_strconcat ("<v Bob>", cue_short, "</v>", NULL);
  gchar **creates;
  GArray *f;
  guint retries = 0;

  g_object_set (t->el, "voice-map", "Bob=Dennis", NULL);
  gst_util_set_object_arg (G_OBJECT (t->el), "overflow", "fit");
  f = t_speak (t, bob, 0 * MS, cue_b, 500 * MS, NULL);
  fail_unless_equals_int (f->len, 2);
  fail_unless_equals_string (gst_structure_get_string (FLUSH_AT (f,
              0)->done, "overflow"), "fitted");
  fail_unless_equals_string (gst_structure_get_string (FLUSH_AT (f,
              0)->done, "speaker"), "Bob");
  creates = inworld_emulator_log_lines (emu, "<- ", "\"create\"",
      "\"speakingRate\":", NULL);
  for (guint i = 0; creates[i]; i++) {
    fail_unless (strstr (creates[i], "\"voiceId\":\"Dennis\"") != NULL,
        "the retry lost the speaker's voice: %s", creates[i]);
    retries++;
  }
  fail_unless_equals_int (retries, 1);
  rec_fail_if_problem (&t->rec);

  g_strfreev (creates);
  g_free (bob);
  g_array_unref (f);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* 60 characters (3.6 s) for a 400 ms slot: even at 1.5 (2.4 s) it runs
 * past, so the retry is clipped at the next cue's start, faded to 0 */
GST_START_TEST (test_fit_clipped)
{
  InworldEmulator *emu = start_sine_emulator ("0");
  T *t = t_new (emu, NULL);
  const gchar *const overflows[] = { "fitted-clipped", "none", NULL };
  GstClockTime ts = GST_CLOCK_TIME_NONE, ot = GST_CLOCK_TIME_NONE;
  GArray *f, *rates;
  const gint16 *s;

  gst_util_set_object_arg (G_OBJECT (t->el), "overflow", "fit");
  f = t_speak (t, cue_a, 0 * MS, cue_b, 400 * MS, NULL);
  fail_unless_equals_int (f->len, 2);
  rates = created_rates (emu);
  fail_unless_equals_int (rates->len, 2);
  fail_unless_equals_float (g_array_index (rates, gdouble, 1), 1.5);
  g_array_unref (rates);

  fail_unless_equals_int (FLUSH_AT (f, 0)->audio->len / 2, 400 * RATE / 1000);
  fail_unless_equals_uint64 (FLUSH_AT (f, 0)->end, 400 * MS);
  s = (const gint16 *) FLUSH_AT (f, 0)->audio->data;
  fail_unless_equals_int (s[400 * RATE / 1000 - 1], 0);
  fail_unless (gst_structure_get_clock_time (FLUSH_AT (f, 0)->done,
          "timestamp", &ts));
  fail_unless_equals_uint64 (ts, 400 * MS);
  fail_unless (gst_structure_get_clock_time (FLUSH_AT (f, 0)->done,
          "overflow-time", &ot));
  fail_unless_equals_uint64 (ot, duration (sine_samples (cue_a, 1.0))
      - 400 * MS);
  fail_unless_equals_float (flush_rate (FLUSH_AT (f, 0)), 1.5);
  fail_unless_equals_uint64 (FLUSH_AT (f, 1)->first_pts, 400 * MS);
  check_messages (&t->rec, overflows);
  rec_fail_if_problem (&t->rec);

  g_array_unref (f);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static void
push_cue (T * t, const gchar * text, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_memdup (text, strlen (text));

  GST_BUFFER_PTS (buf) = pts;
  fail_unless_equals_int (gst_pad_push (t->text, buf), GST_FLOW_OK);
}

/* Waits (10 s at most) until @n lines of the emulator's log hold
 * @needle and @needle2. */
static void
wait_log (InworldEmulator * emu, const gchar * needle, const gchar * needle2,
    guint n)
{
  gint64 until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;) {
    gchar **lines = inworld_emulator_log_lines (emu, needle, needle2, NULL);
    guint len = g_strv_length (lines);

    g_strfreev (lines);
    if (len >= n)
      return;
    fail_unless (g_get_monotonic_time () < until, "no %s %s in the log",
        needle, needle2);
    g_usleep (10 * 1000);
  }
}

/* an interruption while a cue is held (its first synthesis under way),
 * then another while its retry is: nothing of either goes out, no
 * flush-completed for them, and the element speaks on */
GST_START_TEST (test_fit_interrupt)
{
  /* real time: the first synthesis (600 ms) and the retry (476 ms) take
   * that long to come */
  InworldEmulator *emu = start_sine_emulator ("1");
  T *t = t_new (emu, NULL);
  GArray *f;

  gst_util_set_object_arg (G_OBJECT (t->el), "overflow", "fit");
  push_cue (t, cue_short, 0 * MS);
  push_cue (t, cue_b, 500 * MS);
  /* the first audio of the held cue has come: it is held, not pushed */
  wait_log (emu, "-> ", "audioChunk", 1);
  fail_unless_equals_int (t->rec.buffers, 0);
  g_signal_emit_by_name (t->el, "interrupt");

  push_cue (t, cue_short, 3000 * MS);
  push_cue (t, cue_b, 3500 * MS);
  /* the retry is asked for: interrupt it */
  wait_log (emu, "<- ", "\"speakingRate\"", 1);
  g_signal_emit_by_name (t->el, "interrupt");

  push_cue (t, cue_c, 6000 * MS);
  f = t_speak (t, NULL);
  /* only the last cue was spoken */
  fail_unless_equals_int (f->len, 1);
  fail_unless_equals_uint64 (FLUSH_AT (f, 0)->first_pts, 6000 * MS);
  fail_unless_equals_int (FLUSH_AT (f, 0)->audio->len / 2,
      sine_samples (cue_c, 1.0));
  fail_unless_equals_string (gst_structure_get_string (FLUSH_AT (f,
              0)->done, "overflow"), "none");
  rec_fail_if_problem (&t->rec);

  g_array_unref (f);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* encoded speech cannot be replaced in part or cut: fit shifts it, with
 * the same warning as clip */
GST_START_TEST (test_fit_encoded)
{
  InworldEmulator *emu = start_emulator ();
  T *t = t_new (emu, "audio/x-alaw, rate=8000, channels=1");
  GArray *f;
  gchar *problem;

  gst_util_set_object_arg (G_OBJECT (t->el), "overflow", "fit");
  f = t_speak (t, cue_a, 0 * MS, cue_b, 400 * MS, NULL);
  fail_unless_equals_int (f->len, 2);
  fail_unless_equals_uint64 (FLUSH_AT (f, 1)->first_pts, 600 * MS);
  fail_unless_equals_string (gst_structure_get_string (FLUSH_AT (f, 0)->done,
          "overflow"), "shifted");
  fail_unless_equals_int (t->rec.warnings, 1);
  problem = rec_problem (&t->rec);
  fail_unless (strstr (problem, "overflow=fit needs raw audio") != NULL,
      "%s", problem);
  g_free (problem);

  g_array_unref (f);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static Suite *
overflow_suite (void)
{
  Suite *s = suite_create ("overflow");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_shift);
  tcase_add_test (tc, test_clip);
  tcase_add_test (tc, test_overlap);
  tcase_add_test (tc, test_overlap_outlasts);
  tcase_add_test (tc, test_max_overflow);
  tcase_add_test (tc, test_clip_encoded);
  tcase_add_test (tc, test_fit);
  tcase_add_test (tc, test_fit_keeps_speaker_voice);
  tcase_add_test (tc, test_fit_clipped);
  tcase_add_test (tc, test_fit_interrupt);
  tcase_add_test (tc, test_fit_encoded);
  return s;
}

GST_CHECK_MAIN (overflow);
