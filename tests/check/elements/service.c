/* inworldttssrc: the service as Inworld's guides say it behaves (issue 12)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* One test per situation of issue 12's table, each on both routes of the
 * emulator (Inworld's and SLNG's) where the situation applies. The
 * emulator behaves as Inworld's guides say: a synthesis per flushCompleted,
 * none for text with nothing to speak, buffered text synthesized on its
 * own after maxBufferDelayMs, and so on. Audio is the emulator's test
 * signal (a known sample sequence per synthesis); what leaves the
 * element's src pad and what it posts is recorded in one ordered log
 * (recorder.h) and checked sample for sample. */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator-fixture.h"
#include "tts-harness.h"
#include "../recorder.h"
#include "inworld-test-signal.h"

#define FLUSH_COMPLETED "inworld-flush-completed"
#define WORD_TIMING "inworld-word-timing"
#define RATE 16000
#define RAW_CAPS "audio/x-raw, format=S16LE, layout=interleaved, " \
    "channels=1, rate=16000"
#define WAIT (20 * GST_SECOND)

/* the routes of the loop tests (__i__) */
enum
{
  ROUTE_INWORLD,
  ROUTE_SLNG,
  N_ROUTES
};

static const gchar *const route_names[] = { "inworld", "slng" };

/* ------------------------------------------------------------------------
 * Recording
 * ------------------------------------------------------------------------ */

#define FLUSH_AT(a, i) (&g_array_index ((a), Flush, (i)))

static gboolean
is_event (GstMiniObject * o, GstEventType type)
{
  return GST_IS_EVENT (o) && GST_EVENT_TYPE (o) == type;
}

static gboolean
is_timing (GstMiniObject * o)
{
  return GST_IS_MESSAGE (o) && GST_MESSAGE_TYPE (o) == GST_MESSAGE_ELEMENT
      && gst_message_has_name (GST_MESSAGE (o), WORD_TIMING);
}

/* index of the first event of @type at or after @from, or -1 */
static gint
find_event (Rec * rec, GstEventType type, guint from)
{
  for (guint i = from; i < rec->log->len; i++)
    if (is_event (LOG_AT (rec, i), type))
      return i;
  return -1;
}

static GstClockTime
signal_duration (const gchar * text)
{
  return gst_util_uint64_scale_int (inworld_test_signal_n_samples (text,
          RATE), GST_SECOND, RATE);
}

static guint
n_chars (const gchar * text)
{
  return (guint) g_utf8_strlen (text, -1);
}

/* NULL when @audio is exactly the test signals of the syntheses @texts
 * (NULL-terminated), one after the other; else what is wrong. */
static gchar *
audio_problem (GByteArray * audio, const gchar * const *texts)
{
  const gint16 *s = (const gint16 *) audio->data;
  guint64 at = 0, total = 0;

  for (const gchar * const *t = texts; *t; t++)
    total += inworld_test_signal_n_samples (*t, RATE);
  if (audio->len != total * 2)
    return g_strdup_printf ("\"%s\"...: %u samples, expected %"
        G_GUINT64_FORMAT, texts[0], audio->len / 2, total);
  for (const gchar * const *t = texts; *t; t++) {
    guint64 n = inworld_test_signal_n_samples (*t, RATE);
    guint16 seed = inworld_test_signal_seed (*t);

    for (guint64 i = 0; i < n; i++, at++)
      if (GINT16_FROM_LE (s[at]) != inworld_test_signal_sample (seed, i))
        return g_strdup_printf ("\"%s\" sample %" G_GUINT64_FORMAT ": %d, "
            "expected %d", *t, i, GINT16_FROM_LE (s[at]),
            inworld_test_signal_sample (seed, i));
  }
  return NULL;
}

/* NULL when @f is one utterance: the syntheses @texts, starting at @start
 * (unless NONE), its event at its end and counting @chars; else what is
 * wrong. */
static gchar *
utterance_problem (Flush * f, const gchar * const *texts, guint chars,
    GstClockTime start)
{
  GstClockTime ts = GST_CLOCK_TIME_NONE, duration = 0;
  guint got = 0;
  gchar *problem;

  if (f->done == NULL)
    return g_strdup_printf ("audio of \"%s\" has no flush-completed event "
        "after it", texts[0]);
  if ((problem = audio_problem (f->audio, texts)))
    return problem;
  for (const gchar * const *t = texts; *t; t++)
    duration += signal_duration (*t);
  if (GST_CLOCK_TIME_IS_VALID (start) && f->first_pts != start)
    return g_strdup_printf ("\"%s\" starts at %" GST_TIME_FORMAT ", expected %"
        GST_TIME_FORMAT, texts[0], GST_TIME_ARGS (f->first_pts),
        GST_TIME_ARGS (start));
  if (f->end - f->first_pts != duration)
    return g_strdup_printf ("\"%s\" lasts %" GST_TIME_FORMAT, texts[0],
        GST_TIME_ARGS (f->end - f->first_pts));
  if (!gst_structure_get_clock_time (f->done, "timestamp", &ts)
      || ts != f->end)
    return g_strdup_printf ("\"%s\" ends at %" GST_TIME_FORMAT ", its event "
        "says %" GST_TIME_FORMAT, texts[0], GST_TIME_ARGS (f->end),
        GST_TIME_ARGS (ts));
  if (!gst_structure_get_uint (f->done, "characters", &got) || got != chars)
    return g_strdup_printf ("\"%s\": characters %u, expected %u", texts[0],
        got, chars);
  return NULL;
}

static void
check_utterance (Flush * f, const gchar * const *texts, guint chars,
    GstClockTime start)
{
  gchar *problem = utterance_problem (f, texts, chars, start);

  if (problem)
    fail_with (problem);
}

/* @f is the utterance of the one synthesis @text */
static void
check_flush (Flush * f, const gchar * text, GstClockTime start)
{
  const gchar *texts[] = { text, NULL };

  check_utterance (f, texts, n_chars (text), start);
}

/* @f is an utterance with nothing to speak, completed at @at */
static void
check_silent (Flush * f, GstClockTime at)
{
  GstClockTime ts = GST_CLOCK_TIME_NONE;

  fail_unless (f->done != NULL);
  fail_unless_equals_int (f->audio->len, 0);
  fail_unless (gst_structure_get_clock_time (f->done, "timestamp", &ts));
  fail_unless_equals_uint64 (ts, at);
}

static guint
flush_index (Flush * f)
{
  guint index = 0;

  fail_unless (gst_structure_get_uint (f->done, "flush-index", &index));
  return index;
}

/* ------------------------------------------------------------------------
 * The element in a harness, with an optional text pad feeding its sink
 * ------------------------------------------------------------------------ */

typedef struct
{
  GstElement *el;
  GstBus *bus;
  GstHarness *h;
  GstPad *sink;                 /* the element's request pad */
  GstPad *text;                 /* ours, linked to it */
  Rec rec;
} T;

static gchar *
route_uri (InworldEmulator * emu, gint route)
{
  return route == ROUTE_SLNG ? inworld_emulator_slng_uri (emu) :
      g_strdup (emu->uri);
}

static T *
t_new (InworldEmulator * emu, gint route, gboolean with_sink_pad)
{
  T *t = g_new0 (T, 1);
  gchar *uri = route_uri (emu, route);

  GST_INFO ("route %s", route_names[route]);
  t->el = gst_element_factory_make ("inworldttssrc", NULL);
  fail_unless (t->el != NULL, "inworldttssrc not found");
  g_object_set (t->el, "uri", uri, "api-key", TEST_API_KEY, NULL);
  g_free (uri);
  rec_init (&t->rec);
  t->bus = gst_bus_new ();
  t->h = tts_harness_new (t->el, t->bus);
  /* after the bin took the element (adding it unlinks its pads) */
  if (with_sink_pad) {
    t->sink = gst_element_request_pad_simple (t->el, "sink");
    fail_unless (t->sink != NULL);
    t->text = gst_pad_new ("text", GST_PAD_SRC);
    fail_unless_equals_int (gst_pad_link (t->text, t->sink), GST_PAD_LINK_OK);
  }
  gst_harness_set_sink_caps_str (t->h, RAW_CAPS);
  rec_attach (&t->rec, t->el, t->bus);
  return t;
}

static void
t_play (T * t)
{
  gst_harness_play (t->h);
}

/* stream-start, utf8 caps and a TIME segment from 0 on the text pad */
static void
t_text_start (T * t)
{
  GstSegment seg;
  GstCaps *caps;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_pad_set_active (t->text, TRUE));
  fail_unless (gst_pad_push_event (t->text,
          gst_event_new_stream_start ("service-test")));
  caps = gst_caps_new_simple ("text/x-raw", "format", G_TYPE_STRING, "utf8",
      NULL);
  fail_unless (gst_pad_push_event (t->text, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  fail_unless (gst_pad_push_event (t->text, gst_event_new_segment (&seg)));
}

static void
t_push_line (T * t, const gchar * text, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_memdup (text, strlen (text));

  GST_BUFFER_PTS (buf) = pts;
  fail_unless_equals_int (gst_pad_push (t->text, buf), GST_FLOW_OK);
}

static gboolean
push_text (GstElement * el, const gchar * text, gboolean flush)
{
  gboolean ret = FALSE;

  g_signal_emit_by_name (el, "push-text", text, flush, &ret);
  return ret;
}

static void
t_free (T * t)
{
  gst_element_set_bus (t->el, NULL);
  gst_harness_teardown (t->h);
  if (t->sink) {
    gst_pad_set_active (t->text, FALSE);
    gst_pad_unlink (t->text, t->sink);
    gst_element_release_request_pad (t->el, t->sink);
    gst_object_unref (t->sink);
    gst_object_unref (t->text);
  }
  gst_object_unref (t->el);
  gst_object_unref (t->bus);
  rec_clear (&t->rec);
  g_free (t);
}

/* ------------------------------------------------------------------------
 * The emulator's --verbose log
 * ------------------------------------------------------------------------ */

/* Waits until the emulator has logged @n lines holding @needle (and
 * @needle2 unless NULL); the lines (g_strfreev), or NULL at the deadline. */
static gchar **
wait_log_lines (InworldEmulator * emu, guint n, const gchar * needle,
    const gchar * needle2, GstClockTime timeout)
{
  gint64 deadline = g_get_monotonic_time () + timeout / GST_USECOND;

  for (;;) {
    gchar **lines = inworld_emulator_log_lines (emu, needle, needle2, NULL);

    if (g_strv_length (lines) >= n)
      return lines;
    g_strfreev (lines);
    if (g_get_monotonic_time () > deadline)
      return NULL;
    g_usleep (10 * G_TIME_SPAN_MILLISECOND);
  }
}

/* The milliseconds of g_get_monotonic_time () that start a line of an
 * emulator run with --log-times. */
static gint64
log_line_ms (const gchar * line)
{
  gchar *end = NULL;
  gint64 ms = g_ascii_strtoll (line, &end, 10);

  fail_unless (end != line && *end == ' ', "no time in '%s'", line);
  return ms;
}

/* The count N of an emulator line "synthesis of N characters, voice V"
 * and V in *@voice (g_free) unless NULL. */
static guint
synthesis_chars (const gchar * line, gchar ** voice)
{
  const gchar *p = strstr (line, "synthesis of ");
  const gchar *v;

  fail_unless (p != NULL, "not a synthesis line: %s", line);
  if (voice) {
    v = strstr (p, ", voice ");
    fail_unless (v != NULL, "no voice in '%s'", line);
    *voice = g_strdup (v + strlen (", voice "));
  }
  return (guint) strtoul (p + strlen ("synthesis of "), NULL, 10);
}

/* ------------------------------------------------------------------------
 * 1. Utterances with nothing to speak
 * ------------------------------------------------------------------------ */

static const gchar *spoken1 = "The first line is spoken.";
static const gchar *spoken2 = "And the last line too.";
static const gchar *const blanks[] = { "...", "-", "\xe2\x99\xaa" };

/* push-text: "...", "-" and "♪" between two spoken utterances, each
 * flushed: five flush-completed in order, the silent ones without audio
 * right where they are; with timeout=3, an idle wait longer than the
 * timeout after them brings no error, and the end comes */
GST_START_TEST (test_nothing_to_speak_push)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  T *t = t_new (emu, __i__, FALSE);
  GstClockTime end1 = signal_duration (spoken1);
  GArray *flushes;

  g_object_set (t->el, "timeout", 3, NULL);
  t_play (t);
  fail_unless (push_text (t->el, spoken1, TRUE));
  for (guint i = 0; i < G_N_ELEMENTS (blanks); i++)
    fail_unless (push_text (t->el, blanks[i], TRUE));
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.flushes, 4, WAIT),
      "flush-completed for the utterances with nothing to speak");
  /* longer than the timeout, with nothing owed: the element must not be
   * waiting for a reply the server never sends */
  g_usleep (3500 * G_TIME_SPAN_MILLISECOND);
  rec_fail_if_problem (&t->rec);

  fail_unless (push_text (t->el, spoken2, TRUE));
  g_signal_emit_by_name (t->el, "end-of-stream");
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1, WAIT),
      "EOS");
  rec_fail_if_problem (&t->rec);

  flushes = rec_flushes_range (&t->rec, 0, G_MAXUINT);
  fail_unless_equals_int (flushes->len, 5);
  check_flush (FLUSH_AT (flushes, 0), spoken1, 0);
  for (guint i = 1; i < 4; i++)
    check_silent (FLUSH_AT (flushes, i), end1);
  check_flush (FLUSH_AT (flushes, 4), spoken2, end1);
  for (guint i = 0; i < 5; i++)
    fail_unless_equals_int (flush_index (FLUSH_AT (flushes, i)), i + 1);
  fail_unless (find_event (&t->rec, GST_EVENT_EOS, 0) >
      (gint) FLUSH_AT (flushes, 4)->done_index);

  g_array_unref (flushes);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* subtitle cues on the sink pad, the silent ones between spoken ones:
 * each gets its flush-completed at its own PTS, the last spoken cue
 * starts at its PTS, EOS follows upstream's; timeout=3 */
GST_START_TEST (test_nothing_to_speak_cues)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  T *t = t_new (emu, __i__, TRUE);
  GArray *flushes;

  g_object_set (t->el, "timeout", 3, NULL);
  t_play (t);
  t_text_start (t);
  t_push_line (t, spoken1, 0);
  for (guint i = 0; i < G_N_ELEMENTS (blanks); i++)
    t_push_line (t, blanks[i], (i + 1) * GST_SECOND);
  t_push_line (t, spoken2, 4 * GST_SECOND);
  fail_unless (gst_pad_push_event (t->text, gst_event_new_eos ()));
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1, WAIT),
      "EOS");
  rec_fail_if_problem (&t->rec);

  flushes = rec_flushes_range (&t->rec, 0, G_MAXUINT);
  fail_unless_equals_int (flushes->len, 5);
  check_flush (FLUSH_AT (flushes, 0), spoken1, 0);
  for (guint i = 1; i < 4; i++)
    check_silent (FLUSH_AT (flushes, i), i * GST_SECOND);
  check_flush (FLUSH_AT (flushes, 4), spoken2, 4 * GST_SECOND);
  for (guint i = 0; i < 5; i++)
    fail_unless_equals_int (flush_index (FLUSH_AT (flushes, i)), i + 1);

  g_array_unref (flushes);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * 2. Auto mode (Inworld only: SLNG has no auto mode)
 * ------------------------------------------------------------------------ */

static const gchar *const auto_sentences[] = {
  "Auto mode starts with this sentence. ",
  "The second one comes while the first is spoken. ",
  "A third one joins it in the same batch. ",
  "Then a fourth sentence follows. ",
  "And the fifth one ends the turn. ",
};

G_LOCK_DEFINE_STATIC (eos_ms);
static gint64 eos_ms;           /* monotonic ms of the EOS event */

static GstPadProbeReturn
eos_time_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS) {
    G_LOCK (eos_ms);
    eos_ms = g_get_monotonic_time () / 1000;
    G_UNLOCK (eos_ms);
  }
  return GST_PAD_PROBE_OK;
}

/* sentences pushed one by one without flush in auto mode: one
 * flush-completed per synthesis the server ran (as its --verbose log
 * says), each with that synthesis' characters; the audio of each is its
 * batch's signal; word timings go forward within a synthesis and lie in
 * its audio; EOS only after the server's contextClosed */
GST_START_TEST (test_auto_mode)
{
  InworldEmulator *emu = inworld_emulator_start_logged ("--speed=2",
      "--log-times", NULL);
  T *t = t_new (emu, ROUTE_INWORLD, FALSE);
  GString *all = g_string_new (NULL);
  gchar **syntheses, **closed;
  GArray *flushes;
  GstPad *src;
  guint n, word = 0, n_words = 0, done = 0;
  GstClockTime last_start = 0;
  gchar **words;

  eos_ms = 0;
  src = gst_element_get_static_pad (t->el, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      eos_time_probe, NULL, NULL);
  gst_object_unref (src);
  g_object_set (t->el, "auto-mode", TRUE, "timestamp-type", 1, NULL);
  t_play (t);
  for (guint i = 0; i < G_N_ELEMENTS (auto_sentences); i++) {
    fail_unless (push_text (t->el, auto_sentences[i], FALSE));
    g_string_append (all, auto_sentences[i]);
    g_usleep (60 * G_TIME_SPAN_MILLISECOND);
  }
  g_signal_emit_by_name (t->el, "end-of-stream");
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1, WAIT),
      "EOS");
  rec_fail_if_problem (&t->rec);

  syntheses = inworld_emulator_log_lines (emu, ": synthesis of ", NULL);
  n = g_strv_length (syntheses);
  /* the first sendText starts one at once, later ones are batched */
  fail_unless (n >= 2, "the server ran %u synthesis", n);
  flushes = rec_flushes_range (&t->rec, 0, G_MAXUINT);
  fail_unless_equals_int (flushes->len, n);

  /* each synthesis: the signal of its batch, counted as the server did */
  {
    const gchar *p = all->str;
    GstClockTime at = 0;

    for (guint i = 0; i < n; i++) {
      guint chars = synthesis_chars (syntheses[i], NULL);
      const gchar *next = g_utf8_offset_to_pointer (p, chars);
      gchar *text = g_strndup (p, next - p);
      const gchar *texts[] = { text, NULL };

      check_utterance (FLUSH_AT (flushes, i), texts, chars, at);
      fail_unless_equals_int (flush_index (FLUSH_AT (flushes, i)), i + 1);
      at = FLUSH_AT (flushes, i)->end;
      g_free (text);
      p = next;
    }
    fail_unless_equals_string (p, "");
  }

  /* word timings: every word once, in order, forward within its
   * synthesis and inside its audio */
  /* WORD alignment: runs of non-space, punctuation kept */
  words = g_strsplit_set (all->str, " ", -1);
  for (gchar ** w = words; *w; w++)
    n_words += **w != '\0';
  for (guint i = 0; i < t->rec.log->len; i++) {
    GstMiniObject *o = LOG_AT (&t->rec, i);
    const GstStructure *s;
    GstClockTime start, end;
    guint index;
    Flush *f;

    if (GST_IS_EVENT (o)
        && gst_event_has_name (GST_EVENT (o), FLUSH_COMPLETED))
      done++;
    if (!is_timing (o))
      continue;
    s = gst_message_get_structure (GST_MESSAGE (o));
    fail_unless (gst_structure_get_uint (s, "flush-index", &index));
    fail_unless (gst_structure_get_clock_time (s, "start", &start));
    fail_unless (gst_structure_get_clock_time (s, "end", &end));
    fail_unless (index >= 1 && index <= n);
    f = FLUSH_AT (flushes, index - 1);
    /* posted before its synthesis' flush-completed */
    fail_unless_equals_int (done, index - 1);
    while (words[word] && *words[word] == '\0')
      word++;
    fail_unless (words[word] != NULL);
    fail_unless_equals_string (gst_structure_get_string (s, "word"),
        words[word]);
    word++;
    fail_unless (start >= f->first_pts && end <= f->end,
        "word %s at %" GST_TIME_FORMAT "-%" GST_TIME_FORMAT " outside its "
        "synthesis %u at %" GST_TIME_FORMAT "-%" GST_TIME_FORMAT,
        gst_structure_get_string (s, "word"), GST_TIME_ARGS (start),
        GST_TIME_ARGS (end), index, GST_TIME_ARGS (f->first_pts),
        GST_TIME_ARGS (f->end));
    fail_unless (start >= last_start, "word timings go backwards at %s",
        gst_structure_get_string (s, "word"));
    last_start = start;
  }
  fail_unless_equals_int (t->rec.timings, n_words);

  /* EOS after the server closed the context */
  closed = wait_log_lines (emu, 1, "-> ", "contextClosed", WAIT);
  fail_unless (closed != NULL, "the server never closed the context");
  /* the recorder's probe saw the EOS first: ours runs right after it */
  for (gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;;) {
    gint64 ms;

    G_LOCK (eos_ms);
    ms = eos_ms;
    G_UNLOCK (eos_ms);
    if (ms > 0 || g_get_monotonic_time () > deadline)
      break;
    g_usleep (G_TIME_SPAN_MILLISECOND);
  }
  G_LOCK (eos_ms);
  fail_unless (eos_ms > 0 && log_line_ms (closed[0]) <= eos_ms,
      "EOS at %" G_GINT64_FORMAT " ms, before contextClosed: %s", eos_ms,
      closed[0]);
  G_UNLOCK (eos_ms);

  g_strfreev (closed);
  g_strfreev (words);
  g_strfreev (syntheses);
  g_array_unref (flushes);
  g_string_free (all, TRUE);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static guint
count_words (const gchar * text)
{
  gchar **words = g_strsplit_set (text, " ", -1);
  guint n = 0;

  for (gchar ** w = words; *w; w++)
    n += **w != '\0';
  g_strfreev (words);
  return n;
}

static GstClockTime
timing_start (GstMiniObject * o)
{
  GstClockTime start = GST_CLOCK_TIME_NONE;

  gst_structure_get_clock_time (gst_message_get_structure (GST_MESSAGE (o)),
      "start", &start);
  return start;
}

/* ------------------------------------------------------------------------
 * 3. Text left unflushed: the server speaks it on its own
 * ------------------------------------------------------------------------ */

static const gchar *by_itself = "The server speaks this part by itself, ";
static const gchar *flushed_part = "and this part when it is flushed.";
static const gchar *third = "A third utterance follows them.";

/* text pushed without flush, synthesized by the server on its own
 * (maxBufferDelayMs forced to 300 ms), then more text and a flush: one
 * utterance of two syntheses, one flush-completed counting both; the next
 * utterance accounted as usual; timings (Inworld) inside their own
 * synthesis' audio */
GST_START_TEST (test_server_buffer_delay)
{
  InworldEmulator *emu =
      inworld_emulator_start_logged ("--force-max-buffer-delay=300", NULL);
  T *t = t_new (emu, __i__, FALSE);
  const gchar *first[] = { by_itself, flushed_part, NULL };
  GstClockTime end1;
  GArray *flushes;
  gchar **lines;

  if (__i__ == ROUTE_INWORLD)
    g_object_set (t->el, "timestamp-type", 1, NULL);
  t_play (t);
  fail_unless (push_text (t->el, by_itself, FALSE));
  /* the server's own synthesis: its audio comes with no flush asked */
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.buffers, 1, WAIT),
      "audio of the server's own synthesis");
  lines = wait_log_lines (emu, 1, "maxBufferDelayMs elapsed", NULL, WAIT);
  fail_unless (lines != NULL);
  g_strfreev (lines);
  fail_unless (push_text (t->el, flushed_part, FALSE));
  g_signal_emit_by_name (t->el, "flush");
  fail_unless (push_text (t->el, third, TRUE));
  g_signal_emit_by_name (t->el, "end-of-stream");
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1, WAIT),
      "EOS");
  rec_fail_if_problem (&t->rec);

  /* the server ran three syntheses */
  lines = inworld_emulator_log_lines (emu, "synthesis of ", NULL);
  fail_unless_equals_int (g_strv_length (lines), 3);
  fail_unless_equals_int (synthesis_chars (lines[0], NULL),
      n_chars (by_itself));
  g_strfreev (lines);

  flushes = rec_flushes_range (&t->rec, 0, G_MAXUINT);
  fail_unless_equals_int (flushes->len, 2);
  check_utterance (FLUSH_AT (flushes, 0), first, n_chars (by_itself)
      + n_chars (flushed_part), 0);
  end1 = FLUSH_AT (flushes, 0)->end;
  check_flush (FLUSH_AT (flushes, 1), third, end1);
  fail_unless_equals_int (flush_index (FLUSH_AT (flushes, 0)), 1);
  fail_unless_equals_int (flush_index (FLUSH_AT (flushes, 1)), 2);

  if (__i__ == ROUTE_INWORLD) {
    /* the words of each part within its own part's audio, in order */
    GstClockTime part2 = signal_duration (by_itself), last = 0;
    gchar *all = g_strconcat (by_itself, flushed_part, " ", third, NULL);
    gchar **words = g_strsplit_set (all, " ", -1);
    guint n1 = count_words (by_itself), n2 = count_words (flushed_part);
    guint w = 0, n = 0;

    for (guint i = 0; i < t->rec.log->len; i++) {
      GstMiniObject *o = LOG_AT (&t->rec, i);
      const GstStructure *s;
      const gchar *word;
      GstClockTime start;
      guint index = 0;

      if (!is_timing (o))
        continue;
      s = gst_message_get_structure (GST_MESSAGE (o));
      word = gst_structure_get_string (s, "word");
      start = timing_start (o);
      gst_structure_get_uint (s, "flush-index", &index);
      while (words[w] && *words[w] == '\0')
        w++;
      fail_unless (words[w] != NULL, "more words than spoken");
      fail_unless_equals_string (word, words[w]);
      fail_unless (start >= last, "word timings go backwards at %s", word);
      last = start;
      if (n < n1) {
        fail_unless_equals_int (index, 1);
        fail_unless (start < part2);
      } else if (n < n1 + n2) {
        fail_unless_equals_int (index, 1);
        fail_unless (start >= part2 && start < end1, "%s at %"
            GST_TIME_FORMAT, word, GST_TIME_ARGS (start));
      } else {
        fail_unless_equals_int (index, 2);
        fail_unless (start >= end1);
      }
      w++;
      n++;
    }
    while (words[w] && *words[w] == '\0')
      w++;
    fail_unless (words[w] == NULL, "no timing for '%s'", words[w]);
    fail_unless_equals_int (n, n1 + n2 + count_words (third));
    g_strfreev (words);
    g_free (all);
  }

  g_array_unref (flushes);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * 4. PCM chunks with a WAV header
 * ------------------------------------------------------------------------ */

static const gchar *header_text = "Every chunk of this utterance starts "
    "with a header of forty-four bytes, which is not audio at all.";

/* --pcm-wav-header: the audio is exactly the signal, sample for sample
 * (as many samples as without the option), with no "RIFF" in it */
GST_START_TEST (test_pcm_wav_header)
{
  InworldEmulator *emu = inworld_emulator_start ("--pcm-wav-header",
      "--chunk-seconds=0.1", NULL);
  T *t = t_new (emu, __i__, FALSE);
  GArray *flushes;

  t_play (t);
  fail_unless (push_text (t->el, header_text, TRUE));
  fail_unless (push_text (t->el, spoken1, TRUE));
  g_signal_emit_by_name (t->el, "end-of-stream");
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1, WAIT),
      "EOS");
  rec_fail_if_problem (&t->rec);

  flushes = rec_flushes_range (&t->rec, 0, G_MAXUINT);
  fail_unless_equals_int (flushes->len, 2);
  for (guint i = 0; i < 2; i++) {
    GByteArray *a = FLUSH_AT (flushes, i)->audio;

    for (guint j = 0; j + 4 <= a->len; j++)
      fail_if (memcmp (a->data + j, "RIFF", 4) == 0,
          "a WAV header in the audio of flush %u at byte %u", i + 1, j);
  }
  check_flush (FLUSH_AT (flushes, 0), header_text, 0);
  check_flush (FLUSH_AT (flushes, 1), spoken1, signal_duration (header_text));

  g_array_unref (flushes);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * 5. Token alignment (Inworld only: SLNG returns no timings)
 * ------------------------------------------------------------------------ */

/* --alignment=tokens lists " " and "," as tokens: no timing message for
 * a token without a letter or digit, every word still gets its own, in
 * order and inside the audio */
GST_START_TEST (test_token_alignment)
{
  InworldEmulator *emu = inworld_emulator_start ("--alignment=tokens", NULL);
  T *t = t_new (emu, ROUTE_INWORLD, FALSE);
  const gchar *text = "Hello, big world; one - two, three 42 !";
  const gchar *expected[] = { "Hello", "big", "world", "one", "two",
    "three", "42", NULL
  };
  GstClockTime last = 0;
  guint n = 0;

  g_object_set (t->el, "timestamp-type", 1, NULL);
  t_play (t);
  fail_unless (push_text (t->el, text, TRUE));
  g_signal_emit_by_name (t->el, "end-of-stream");
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1, WAIT),
      "EOS");
  rec_fail_if_problem (&t->rec);

  for (guint i = 0; i < t->rec.log->len; i++) {
    GstMiniObject *o = LOG_AT (&t->rec, i);
    const gchar *word;
    gboolean alnum = FALSE;

    if (!is_timing (o))
      continue;
    word = gst_structure_get_string (gst_message_get_structure (GST_MESSAGE
            (o)), "word");
    for (const gchar * p = word; *p; p = g_utf8_next_char (p))
      alnum |= g_unichar_isalnum (g_utf8_get_char (p));
    fail_unless (alnum, "a timing message for the token '%s'", word);
    fail_unless (expected[n] != NULL, "timing for an extra token '%s'", word);
    fail_unless_equals_string (word, expected[n]);
    fail_unless (timing_start (o) >= last);
    fail_unless (timing_start (o) < signal_duration (text));
    last = timing_start (o);
    n++;
  }
  fail_unless_equals_int (n, g_strv_length ((gchar **) expected));

  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * 6. A voice per utterance
 * ------------------------------------------------------------------------ */

static const gchar *const voices[] = { "Dennis", "Alex", "Olivia" };

static const gchar *const lines_by_voice[] = {
  "Dennis says the first line.",
  "Alex answers with the second.",
  "Olivia has the last word.",
};

/* voice=A, push, voice=B, push, voice=C, push: each utterance spoken with
 * its own voice (the emulator logs the voice of each synthesis), each
 * with its own flush-completed and signal; __i__: route, and with __i__ >= 2
 * the three are queued in PAUSED before PLAYING */
GST_START_TEST (test_voice_per_utterance)
{
  gint route = __i__ % N_ROUTES;
  gboolean paused = __i__ >= N_ROUTES;
  InworldEmulator *emu = inworld_emulator_start_logged (NULL);
  T *t = t_new (emu, route, FALSE);
  GstClockTime at = 0;
  GArray *flushes;
  gchar **lines;

  if (paused)
    fail_if (gst_element_set_state (t->h->element, GST_STATE_PAUSED) ==
        GST_STATE_CHANGE_FAILURE);
  else
    t_play (t);
  for (guint i = 0; i < G_N_ELEMENTS (voices); i++) {
    g_object_set (t->el, "voice", voices[i], NULL);
    fail_unless (push_text (t->el, lines_by_voice[i], TRUE));
  }
  if (paused)
    t_play (t);
  g_signal_emit_by_name (t->el, "end-of-stream");
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1, WAIT),
      "EOS");
  rec_fail_if_problem (&t->rec);

  lines = inworld_emulator_log_lines (emu, "synthesis of ", NULL);
  fail_unless_equals_int (g_strv_length (lines), G_N_ELEMENTS (voices));
  for (guint i = 0; i < G_N_ELEMENTS (voices); i++) {
    gchar *voice = NULL;

    fail_unless_equals_int (synthesis_chars (lines[i], &voice),
        n_chars (lines_by_voice[i]));
    fail_unless_equals_string (voice, voices[i]);
    g_free (voice);
  }
  g_strfreev (lines);

  flushes = rec_flushes_range (&t->rec, 0, G_MAXUINT);
  fail_unless_equals_int (flushes->len, G_N_ELEMENTS (voices));
  for (guint i = 0; i < G_N_ELEMENTS (voices); i++) {
    check_flush (FLUSH_AT (flushes, i), lines_by_voice[i], at);
    at += signal_duration (lines_by_voice[i]);
  }

  g_array_unref (flushes);
  t_free (t);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * 7. EOS sent to the element or to the pipeline
 * ------------------------------------------------------------------------ */

static guint bus_eos;

/* the recorder's bus handler, which also counts EOS messages */
static GstBusSyncReply
eos_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Rec *rec = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    g_mutex_lock (&rec->lock);
    bus_eos++;
    g_cond_broadcast (&rec->cond);
    g_mutex_unlock (&rec->lock);
  }
  return rec_bus (bus, msg, user_data);
}

static guint32
read_le32 (const guint8 * p)
{
  return GST_READ_UINT32_LE (p);
}

/* gst_element_send_event (EOS) to the element (__i__ / N_ROUTES == 0) or to
 * the pipeline (1) returns TRUE; the text pending (one flushed, one not)
 * is spoken, then EOS; the WAV file wavenc writes is finalised: its RIFF
 * and data sizes are those of the file and of the audio */
GST_START_TEST (test_eos_event)
{
  gint route = __i__ % N_ROUTES;
  gboolean to_pipeline = __i__ >= N_ROUTES;
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *uri = route_uri (emu, route);
  gchar *path = NULL, *desc, *contents = NULL;
  gint fd = g_file_open_tmp ("service-XXXXXX.wav", &path, NULL);
  GstElement *pipeline, *tts;
  GstBus *bus;
  gsize len = 0;
  const guint8 *data, *chunk;
  guint64 samples = inworld_test_signal_n_samples (spoken1, RATE)
      + inworld_test_signal_n_samples (spoken2, RATE);
  Rec rec;

  fail_unless (fd >= 0);
  g_close (fd, NULL);
  desc = g_strdup_printf ("inworldttssrc name=tts uri=%s api-key=%s ! "
      RAW_CAPS " ! wavenc ! filesink location=%s", uri, TEST_API_KEY, path);
  pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  tts = gst_bin_get_by_name (GST_BIN (pipeline), "tts");
  bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  rec_init (&rec);
  rec_attach (&rec, tts, bus);
  bus_eos = 0;
  gst_bus_set_sync_handler (bus, eos_bus, &rec, NULL);

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (push_text (tts, spoken1, TRUE));
  fail_unless (push_text (tts, spoken2, FALSE));
  fail_unless (gst_element_send_event (to_pipeline ? pipeline : tts,
          gst_event_new_eos ()), "send_event (%s, eos) returned FALSE",
      to_pipeline ? "pipeline" : "element");
  rec_fail_unless_waited (&rec, rec_wait (&rec, &bus_eos, 1, WAIT),
      "EOS message");
  rec_fail_if_problem (&rec);
  fail_unless_equals_int (rec.eos, 1);
  fail_unless_equals_int (rec.flushes, 2);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  /* RIFF size = file - 8; the data chunk holds exactly the audio */
  fail_unless (g_file_get_contents (path, &contents, &len, NULL));
  data = (const guint8 *) contents;
  fail_unless (len >= 44);
  fail_unless (memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WAVE",
          4) == 0);
  fail_unless_equals_int (read_le32 (data + 4), len - 8);
  chunk = data + 12;
  while (chunk + 8 <= data + len && memcmp (chunk, "data", 4) != 0)
    chunk += 8 + read_le32 (chunk + 4);
  fail_unless (chunk + 8 <= data + len, "no data chunk");
  fail_unless_equals_uint64 (read_le32 (chunk + 4), samples * 2);
  fail_unless_equals_uint64 ((guint64) (data + len - (chunk + 8)), samples * 2);

  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (tts);
  gst_object_unref (pipeline);
  rec_clear (&rec);
  g_unlink (path);
  g_free (path);
  g_free (contents);
  g_free (desc);
  g_free (uri);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * 8. A voice agent pushing while the audio plays
 * ------------------------------------------------------------------------ */

#define N_LATER 3

/* A first sentence long enough to play for a while, @chars characters. */
static gchar *
long_sentence (guint chars)
{
  GString *s = g_string_new ("The agent starts with a long answer");

  while (s->len < chars - 1)
    g_string_append (s, ", and it goes on");
  g_string_append_c (s, '.');
  return g_string_free (s, FALSE);
}

typedef struct
{
  GstElement *pipeline, *tts, *sink;
  GstBus *bus;
  Rec rec;
  gchar *later[N_LATER];
  /* the sink's lateness (running time of arrival minus the buffer's) */
  GMutex lock;
  GstClockTime later_from;      /* buffers from here on are the later
                                 * sentences' */
  GstClockTimeDiff worst;       /* their worst lateness */
  guint later_buffers;
} Agent;

static GstPadProbeReturn
lateness_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Agent *a = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClock *clock = gst_element_get_clock (a->sink);
  GstClockTimeDiff late;

  if (clock == NULL)
    return GST_PAD_PROBE_OK;
  late = GST_CLOCK_DIFF (GST_BUFFER_PTS (buf), gst_clock_get_time (clock)
      - gst_element_get_base_time (a->sink));
  gst_object_unref (clock);
  g_mutex_lock (&a->lock);
  if (GST_BUFFER_PTS (buf) >= a->later_from) {
    a->worst = a->later_buffers ? MAX (a->worst, late) : late;
    a->later_buffers++;
  }
  g_mutex_unlock (&a->lock);
  return GST_PAD_PROBE_OK;
}

static Agent *
agent_new (InworldEmulator * emu, gint route)
{
  Agent *a = g_new0 (Agent, 1);
  gchar *uri = route_uri (emu, route);
  gchar *desc;
  GstPad *pad;

  desc = g_strdup_printf ("inworldttssrc name=tts uri=%s api-key=%s ! "
      RAW_CAPS " ! fakesink name=sink sync=true", uri, TEST_API_KEY);
  a->pipeline = gst_parse_launch (desc, NULL);
  fail_unless (a->pipeline != NULL);
  a->tts = gst_bin_get_by_name (GST_BIN (a->pipeline), "tts");
  a->sink = gst_bin_get_by_name (GST_BIN (a->pipeline), "sink");
  a->bus = gst_pipeline_get_bus (GST_PIPELINE (a->pipeline));
  rec_init (&a->rec);
  rec_attach (&a->rec, a->tts, a->bus);
  g_mutex_init (&a->lock);
  a->later_from = GST_CLOCK_TIME_NONE;
  pad = gst_element_get_static_pad (a->sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, lateness_probe, a, NULL);
  gst_object_unref (pad);
  for (guint i = 0; i < N_LATER; i++)
    a->later[i] = g_strdup_printf ("Then sentence marker%u is said.", i + 2);
  g_free (desc);
  g_free (uri);
  return a;
}

static void
agent_free (Agent * a)
{
  gst_element_set_state (a->pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (a->bus, NULL, NULL, NULL);
  gst_object_unref (a->bus);
  gst_object_unref (a->tts);
  gst_object_unref (a->sink);
  gst_object_unref (a->pipeline);
  rec_clear (&a->rec);
  g_mutex_clear (&a->lock);
  for (guint i = 0; i < N_LATER; i++)
    g_free (a->later[i]);
  g_free (a);
}

/* Speaks @first, and once its audio plays pushes the later sentences,
 * @spacing_ms apart; the monotonic milliseconds of each push in
 * @pushed_ms. Returns when all is spoken. */
static void
agent_run (Agent * a, const gchar * first, guint spacing_ms, gint64 * pushed_ms)
{
  fail_if (gst_element_set_state (a->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless (push_text (a->tts, first, TRUE));
  rec_fail_unless_waited (&a->rec, rec_wait (&a->rec, &a->rec.buffers, 1, WAIT),
      "first audio");
  for (guint i = 0; i < N_LATER; i++) {
    /* pacing: the agent's next sentences come while the first plays */
    g_usleep (spacing_ms * G_TIME_SPAN_MILLISECOND);
    pushed_ms[i] = g_get_monotonic_time () / 1000;
    fail_unless (push_text (a->tts, a->later[i], TRUE));
  }
  g_signal_emit_by_name (a->tts, "end-of-stream");
  rec_fail_unless_waited (&a->rec, rec_wait (&a->rec, &a->rec.eos, 1, WAIT),
      "EOS");
  rec_fail_if_problem (&a->rec);
  fail_unless_equals_int (a->rec.flushes, N_LATER + 1);
}

/* A voice agent: a long first sentence into a synchronised sink, and
 * its next sentences pushed while it plays. The emulator is faster than
 * real time, as the service is (--speed=10: the first sentence is all
 * downstream long before it has played), with a synthesis delay of
 * 400 ms (--first-audio-delay) and short chunks. Each later sentence is
 * on the wire within 100 ms of its push-text (the emulator's --log-times
 * clock is the test's monotonic clock), and is synthesized while the
 * first plays: none of its audio reaches the sink after its time to play
 * (no gap of a fresh synthesis delay before each). */
GST_START_TEST (test_agent_pushes_while_playing)
{
  InworldEmulator *emu = inworld_emulator_start_logged ("--speed=10",
      "--first-audio-delay=400", "--chunk-seconds=0.1", "--log-times", NULL);
  Agent *a = agent_new (emu, __i__);
  gchar *first = long_sentence (250);
  gint64 pushed_ms[N_LATER];
  GstClockTimeDiff worst;
  guint later_buffers;

  a->later_from = signal_duration (first);
  agent_run (a, first, 300, pushed_ms);
  g_mutex_lock (&a->lock);
  later_buffers = a->later_buffers;
  worst = a->worst;
  g_mutex_unlock (&a->lock);
  fail_unless (later_buffers > 0);
  GST_INFO ("worst lateness of the later sentences: %" GST_STIME_FORMAT,
      GST_STIME_ARGS (worst));
  fail_unless (worst <= 50 * GST_MSECOND, "the later sentences reached "
      "the sink up to %" GST_STIME_FORMAT " after their time",
      GST_STIME_ARGS (worst));
  for (guint i = 0; i < N_LATER; i++) {
    gchar *marker = g_strdup_printf ("marker%u", i + 2);
    gchar **lines = wait_log_lines (emu, 1, "<- ", marker, WAIT);
    gint64 ms;

    fail_unless (lines != NULL, "%s never reached the server", marker);
    ms = log_line_ms (lines[0]);
    GST_INFO ("%s reached the server %" G_GINT64_FORMAT " ms after its "
        "push-text", marker, ms - pushed_ms[i]);
    fail_unless (ms - pushed_ms[i] <= 100, "%s reached the server %"
        G_GINT64_FORMAT " ms after its push-text", marker, ms - pushed_ms[i]);
    g_strfreev (lines);
    g_free (marker);
  }

  g_free (first);
  agent_free (a);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static Suite *
service_suite (void)
{
  Suite *s = suite_create ("service");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_nothing_to_speak_push, 0, N_ROUTES);
  tcase_add_loop_test (tc, test_nothing_to_speak_cues, 0, N_ROUTES);
  tcase_add_test (tc, test_auto_mode);
  tcase_add_loop_test (tc, test_server_buffer_delay, 0, N_ROUTES);
  tcase_add_loop_test (tc, test_pcm_wav_header, 0, N_ROUTES);
  tcase_add_test (tc, test_token_alignment);
  tcase_add_loop_test (tc, test_voice_per_utterance, 0, 2 * N_ROUTES);
  tcase_add_loop_test (tc, test_eos_event, 0, 2 * N_ROUTES);
  tcase_add_loop_test (tc, test_agent_pushes_while_playing, 0, N_ROUTES);
  return s;
}

GST_CHECK_MAIN (service);
