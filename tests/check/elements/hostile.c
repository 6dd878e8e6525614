/* inworldttssrc against a hostile server (the emulator's --hostile)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Each kind of bad frame the emulator can inject (docs/emulator.md,
 * --hostile) must give a warning that names the problem, or an error with
 * a clear text; never a crash, a hang or a leak; and every sample of valid
 * audio must still come out, exactly.
 *
 *   kind              element                        audio
 *   garbage           warning per frame              all of it
 *   truncated         warning                        all of it
 *   binary            warning per frame              all (the copy not played)
 *   wrong-types       warning per frame              all (none acted on)
 *   unknown-context   warning naming the context     all (none of its audio)
 *   after-close       nothing (a context it closed)  all, nothing more
 *   bad-base64        warning: audio was lost        all but the spoilt chunk
 *   huge (> 8 MiB)    error: frame too large, limit  what came before it
 *   big-chunk         nothing: 1.3 to 7.3 MiB frames all of it
 *
 * The tests in the "pending" case assert behaviour that needs a fix in
 * gstinworldttsstream.c (see each test's "needs:" comment); run only the
 * others with CK_RUN_CASE=hostile. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "emu-audio.h"
#include "emu-hostile.h"
#include "emulator-fixture.h"
#include "inworld-test-signal.h"
#include "inworldtext.h"
#include "recorder.h"
#include "tts-harness.h"

/* generous: valgrind decodes megabytes of base64 slowly */
#define WAIT (120 * GST_SECOND)
#define RATE 24000
#define FLUSH_COMPLETED "inworld-flush-completed"

/* ------------------------------------------------------------------------
 * Running the element
 * ------------------------------------------------------------------------ */

typedef struct
{
  GstElement *el;
  GstBus *bus;
  GstHarness *h;
  Rec rec;
} T;

/* The runs not freed yet. A failed assertion leaves its test at once; the
 * checked teardown then frees what it left, so that its streaming task
 * does not keep gst_deinit() (gstcheck's atexit) waiting forever when the
 * tests run without fork (CK_FORK=no, the valgrind setup). */
static GPtrArray *live_runs;
static InworldEmulator *live_emu;

static InworldEmulator *
tracked (InworldEmulator * emu)
{
  fail_unless (live_emu == NULL);
  live_emu = emu;
  return emu;
}

static void
emu_stop (InworldEmulator * emu)
{
  if (emu == live_emu)
    live_emu = NULL;
  inworld_emulator_stop (emu);
}

/* An element speaking to @uri at @rate; @text (NULL: none, for push-text)
 * and @encoding (NULL: from the caps) as given. */
static T *
t_new (const gchar * uri, const gchar * text, gint rate,
    const gchar * encoding)
{
  T *t = g_new0 (T, 1);
  gchar *caps;

  t->el = gst_element_factory_make ("inworldttssrc", NULL);
  fail_unless (t->el != NULL, "inworldttssrc not found: check "
      "GST_PLUGIN_PATH");
  g_object_set (t->el, "uri", uri, "api-key", TEST_API_KEY, NULL);
  if (text)
    g_object_set (t->el, "text", text, NULL);
  if (encoding)
    gst_util_set_object_arg (G_OBJECT (t->el), "encoding", encoding);
  rec_init (&t->rec);
  t->bus = gst_bus_new ();
  t->h = tts_harness_new (t->el, t->bus);
  caps = g_strdup_printf ("audio/x-raw, format=S16LE, layout=interleaved, "
      "channels=1, rate=%d", rate);
  gst_harness_set_sink_caps_str (t->h, caps);
  g_free (caps);
  rec_attach (&t->rec, t->el, t->bus);
  if (live_runs == NULL)
    live_runs = g_ptr_array_new ();
  g_ptr_array_add (live_runs, t);
  return t;
}

static void
t_free (T * t)
{
  g_ptr_array_remove (live_runs, t);
  gst_element_set_bus (t->el, NULL);
  gst_harness_teardown (t->h);
  gst_object_unref (t->el);
  gst_object_unref (t->bus);
  rec_clear (&t->rec);
  g_free (t);
}

/* Waits for EOS or an error; a hang fails the test. TRUE on EOS without
 * any error. */
static gboolean
t_wait_end (T * t)
{
  gboolean ended;

  rec_wait (&t->rec, &t->rec.eos, 1, WAIT);
  g_mutex_lock (&t->rec.lock);
  ended = t->rec.eos > 0 || t->rec.errors > 0;
  g_mutex_unlock (&t->rec.lock);
  fail_unless (ended, "neither EOS nor an error within %" GST_TIME_FORMAT
      ": the element hangs", GST_TIME_ARGS (WAIT));
  return t->rec.errors == 0 && t->rec.eos > 0;
}

static gboolean
t_run (T * t)
{
  gst_harness_play (t->h);
  return t_wait_end (t);
}

#define T_LOG_AT(t, i) LOG_AT (&(t)->rec, (i))

/* "message | debug" of each message of @type, in order (g_strfreev). */
static gchar **
t_texts (T * t, GstMessageType type, gboolean with_debug)
{
  GPtrArray *texts = g_ptr_array_new ();

  for (guint i = 0; i < t->rec.log->len; i++) {
    GstMiniObject *o = T_LOG_AT (t, i);
    GError *err = NULL;
    gchar *debug = NULL;

    if (!GST_IS_MESSAGE (o) || GST_MESSAGE_TYPE (GST_MESSAGE (o)) != type)
      continue;
    if (type == GST_MESSAGE_WARNING)
      gst_message_parse_warning (GST_MESSAGE (o), &err, &debug);
    else
      gst_message_parse_error (GST_MESSAGE (o), &err, &debug);
    g_ptr_array_add (texts, with_debug ? g_strdup_printf ("%s | %s",
            err->message, debug ? debug : "") : g_strdup (err->message));
    g_error_free (err);
    g_free (debug);
  }
  g_ptr_array_add (texts, NULL);
  return (gchar **) g_ptr_array_free (texts, FALSE);
}

/* How many of @texts contain @needle. */
static guint
count_with (gchar ** texts, const gchar * needle)
{
  guint n = 0;

  for (guint i = 0; texts[i]; i++)
    if (strstr (texts[i], needle))
      n++;
  return n;
}

static void
dump (gchar ** texts, const gchar * what)
{
  for (guint i = 0; texts[i]; i++)
    GST_INFO ("%s %u: %s", what, i, texts[i]);
}

/* At least @n warnings (message and debug) contain @needle. */
static void
assert_warned (T * t, const gchar * needle, guint n)
{
  gchar **texts = t_texts (t, GST_MESSAGE_WARNING, TRUE);
  guint found = count_with (texts, needle);

  dump (texts, "warning");
  fail_unless (found >= n, "%u warning(s) about '%s', expected %u; "
      "warnings: %u, the first: %s", found, needle, n, g_strv_length (texts),
      texts[0] ? texts[0] : "(none)");
  g_strfreev (texts);
}

static guint
n_warnings (T * t)
{
  gchar **texts = t_texts (t, GST_MESSAGE_WARNING, TRUE);
  guint n = g_strv_length (texts);

  dump (texts, "warning");
  g_strfreev (texts);
  return n;
}

/* Every sample pushed, in order. */
static GByteArray *
t_audio (T * t)
{
  GByteArray *audio = g_byte_array_new ();

  for (guint i = 0; i < t->rec.log->len; i++) {
    GstMiniObject *o = T_LOG_AT (t, i);
    GstMapInfo map;

    if (!GST_IS_BUFFER (o))
      continue;
    gst_buffer_map (GST_BUFFER (o), &map, GST_MAP_READ);
    g_byte_array_append (audio, map.data, map.size);
    gst_buffer_unmap (GST_BUFFER (o), &map);
  }
  return audio;
}

/* The test signal of @text's pieces (as the element sends them), one
 * flush each, as S16LE; samples [@hole_start, @hole_end) of flush
 * @hole_flush left out (no hole: @hole_flush < 0). */
static GByteArray *
expected_signal (const gchar * text, gint rate, gint hole_flush,
    guint64 hole_start, guint64 hole_end)
{
  gchar **pieces = inworld_text_split (text, 1000);
  GByteArray *want = g_byte_array_new ();
  gint flush = 0;

  for (gchar ** p = pieces; *p; p++) {
    guint64 n = inworld_test_signal_n_samples (*p, rate);
    guint16 seed = inworld_test_signal_seed (*p);

    if (!inworld_text_has_speech (*p))
      continue;
    for (guint64 i = 0; i < n; i++) {
      guint16 s = (guint16) inworld_test_signal_sample (seed, i);
      guint8 le[2] = { s & 0xff, s >> 8 };

      if (flush == hole_flush && i >= hole_start && i < hole_end)
        continue;
      g_byte_array_append (want, le, 2);
    }
    flush++;
  }
  g_strfreev (pieces);
  return want;
}

/* The output is exactly @want: same length, then every sample. */
static void
assert_audio (T * t, GByteArray * want)
{
  GByteArray *got = t_audio (t);

  fail_unless_equals_uint64 (got->len / 2, want->len / 2);
  for (guint i = 0; i < want->len; i += 2)
    if (G_UNLIKELY (got->data[i] != want->data[i]
            || got->data[i + 1] != want->data[i + 1]))
      fail ("sample %u: %d, expected %d", i / 2,
          (gint16) (got->data[i] | (got->data[i + 1] << 8)),
          (gint16) (want->data[i] | (want->data[i + 1] << 8)));
  g_byte_array_unref (got);
}

/* The recording is the test signal of @text, sample for sample, one
 * flush-completed event per piece, timestamps contiguous from 0. */
static void
assert_signal (T * t, const gchar * text, gint rate)
{
  GByteArray *want = expected_signal (text, rate, -1, 0, 0);
  gchar **pieces = inworld_text_split (text, 1000);
  GArray *flushes = rec_flushes_range (&t->rec, 0, t->rec.log->len);
  GstClockTime end = 0;

  assert_audio (t, want);
  fail_unless_equals_int (flushes->len, g_strv_length (pieces));
  fail_unless_equals_int (t->rec.flushes, g_strv_length (pieces));
  for (guint i = 0; i < flushes->len; i++) {
    Flush *f = &g_array_index (flushes, Flush, i);
    guint chars = 0;

    fail_unless (f->done != NULL, "flush %u has no flush-completed", i + 1);
    fail_unless (gst_structure_get_uint (f->done, "characters", &chars));
    fail_unless_equals_int (chars, g_utf8_strlen (pieces[i], -1));
    fail_unless_equals_uint64 (f->first_pts, end);
    end = f->end;
  }
  fail_unless_equals_uint64 (end, gst_util_uint64_scale_int (want->len / 2,
          GST_SECOND, rate));
  g_array_unref (flushes);
  g_strfreev (pieces);
  g_byte_array_unref (want);
}

/* The emulator's --verbose log has a line with @a and @b (may be NULL);
 * waits a little: the fixture reads that log on a thread of its own, which
 * may lag behind what the element already received. */
static gboolean
log_has (InworldEmulator * emu, const gchar * a, const gchar * b)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;) {
    gchar **lines = inworld_emulator_log_lines (emu, a, b, NULL);
    gboolean found = lines[0] != NULL;

    g_strfreev (lines);
    if (found || g_get_monotonic_time () > deadline)
      return found;
    g_usleep (10 * 1000);
  }
}

/* The emulator did inject @kind (its --verbose log says so). */
static void
assert_injected (InworldEmulator * emu, const gchar * kind)
{
  gchar *needle = g_strdup_printf ("hostile %s:", kind);

  fail_unless (log_has (emu, needle, NULL), "the emulator never injected "
      "%s", kind);
  g_free (needle);
}

/* Exactly @chars characters of text with speech in it. */
static gchar *
make_text (guint chars)
{
  static const gchar words[] = "Hostile servers send strange frames, "
      "and the element keeps speaking. ";
  GString *s = g_string_new (NULL);

  while (s->len < chars)
    g_string_append_c (s, words[s->len % (sizeof (words) - 1)]);
  /* no trailing space: every character counts either way, but a clean
   * end reads better in the logs */
  s->str[chars - 1] = '.';
  return g_string_free (s, FALSE);
}

/* 100 characters: 1 s of test signal, three chunks (0.2, 0.5, 0.3 s) */
#define TEXT_CHARS 100

/* One run of the text property against --hostile=@kinds: EOS, no error,
 * the whole signal. Returns the run for more checks. */
static T *
run_skippable (InworldEmulator * emu, const gchar * text)
{
  T *t = t_new (emu->uri, text, RATE, NULL);

  fail_unless (t_run (t), "the run ended with an error, not EOS");
  fail_unless_equals_int (t->rec.errors, 0);
  assert_signal (t, text, RATE);
  return t;
}

/* ------------------------------------------------------------------------
 * Frames that can be skipped: a warning each, all of the audio
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_garbage)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=garbage", NULL));
  gchar *text = make_text (TEXT_CHARS);
  T *t = run_skippable (emu, text);

  assert_injected (emu, "garbage");
  /* six garbage frames, each named (the parser's wording may change):
   * an empty one, five that are no JSON object */
  fail_unless (n_warnings (t) >= 6);
  assert_warned (t, "not valid for the protocol", 6);
  assert_warned (t, "JSON", 5);
  assert_warned (t, "empty", 1);
  assert_warned (t, "not an object", 2);
  t_free (t);
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

GST_START_TEST (test_truncated)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=truncated", NULL));
  gchar *text = make_text (TEXT_CHARS);
  T *t = run_skippable (emu, text);

  assert_injected (emu, "truncated");
  assert_warned (t, "JSON", 1);
  t_free (t);
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

/* a binary copy of a real audio chunk is not played */
GST_START_TEST (test_binary)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=binary", NULL));
  gchar *text = make_text (TEXT_CHARS);
  T *t = run_skippable (emu, text);

  assert_injected (emu, "binary");
  assert_warned (t, "binary", 2);
  t_free (t);
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

/* known fields of the wrong type: none of those frames is acted on (a
 * flushCompleted whose status.code is a string completes nothing, an
 * error whose code is a string is no error), each one is named */
GST_START_TEST (test_wrong_types)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=wrong-types", NULL));
  gchar *text = make_text (TEXT_CHARS);
  T *t = run_skippable (emu, text);
  /* each of the ten frames is refused naming its field */
  const struct
  {
    const gchar *field;
    guint n;
  } named[] = {
    {"contextId", 1}, {"audioContent", 1}, {"status.code", 1},
    {"wordAlignment", 1}, {"characterAlignment", 1},
    {"timestampInfo", 3}, {"processedCharactersCount", 1},
    {"audioChunk", 5}, {"error.code", 1},
  };

  assert_injected (emu, "wrong-types");
  fail_unless (n_warnings (t) >= 10);
  for (guint i = 0; i < G_N_ELEMENTS (named); i++)
    assert_warned (t, named[i].field, named[i].n);
  t_free (t);
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

/* a context the element closed itself: its late frames (here: audio and a
 * flushCompleted after its contextClosed) are dropped quietly */
GST_START_TEST (test_after_close)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=after-close", NULL));
  gchar *text = make_text (TEXT_CHARS);
  T *t = run_skippable (emu, text);

  /* the run ended at contextClosed; the late frames came after */
  t_free (t);
  assert_injected (emu, "after-close");
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

static gboolean
push_text (GstElement * el, const gchar * text, gboolean flush)
{
  gboolean ret = FALSE;

  g_signal_emit_by_name (el, "push-text", text, flush, &ret);
  return ret;
}

/* An interruption closes the first context while the element goes on
 * with a second one: the first one's frames after its contextClosed reach
 * the element while it speaks, and must not be played or counted. */
GST_START_TEST (test_after_close_interrupted)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=after-close", NULL));
  gchar *first = make_text (TEXT_CHARS);
  const gchar *second = "The second context speaks after the first closed.";
  T *t = t_new (emu->uri, NULL, RATE, NULL);
  GByteArray *want = expected_signal (first, RATE, -1, 0, 0);
  GByteArray *want2 = expected_signal (second, RATE, -1, 0, 0);
  const gchar *ctx1, *ctx2;
  GArray *flushes;

  gst_harness_play (t->h);
  fail_unless (push_text (t->el, first, TRUE));
  fail_unless (rec_wait (&t->rec, &t->rec.flushes, 1, WAIT),
      "the first flush did not complete");
  g_signal_emit_by_name (t->el, "interrupt");
  fail_unless (push_text (t->el, second, TRUE));
  g_signal_emit_by_name (t->el, "end-of-stream");
  fail_unless (t_wait_end (t), "the run ended with an error");

  g_byte_array_append (want, want2->data, want2->len);
  assert_audio (t, want);
  flushes = rec_flushes_range (&t->rec, 0, t->rec.log->len);
  fail_unless_equals_int (flushes->len, 2);
  fail_unless_equals_int (t->rec.flushes, 2);
  ctx1 = gst_structure_get_string (g_array_index (flushes, Flush, 0).done,
      "context-id");
  ctx2 = gst_structure_get_string (g_array_index (flushes, Flush, 1).done,
      "context-id");
  fail_unless (ctx1 && ctx2 && g_strcmp0 (ctx1, ctx2) != 0);
  /* the first context's late frames did go out before the end */
  fail_unless (log_has (emu, "hostile after-close:", ctx1),
      "no after-close frames for %s", ctx1);
  /* a context it closed itself: no warning */
  fail_unless_equals_int (n_warnings (t), 0);

  g_array_unref (flushes);
  g_byte_array_unref (want);
  g_byte_array_unref (want2);
  t_free (t);
  g_free (first);
  emu_stop (emu);
}

GST_END_TEST;

/* frames for a context nobody created: not played, not counted */
GST_START_TEST (test_unknown_context_audio)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=unknown-context",
          NULL));
  gchar *text = make_text (TEXT_CHARS);
  T *t = run_skippable (emu, text);

  assert_injected (emu, "unknown-context");
  t_free (t);
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

/* ... and warned about, naming the context (the connection pool does it:
 * ids closed on the connection stay at debug level, test_after_close_*) */
GST_START_TEST (test_unknown_context_warns)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=unknown-context",
          NULL));
  gchar *text = make_text (TEXT_CHARS);
  T *t = run_skippable (emu, text);

  assert_warned (t, EMU_HOSTILE_UNKNOWN_ID, 1);
  t_free (t);
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

/* every skippable kind at once, over several flushes */
GST_START_TEST (test_all_skippable)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=garbage,"
          "truncated,binary,wrong-types,unknown-context,after-close", NULL));
  gchar *text = make_text (2500);       /* three pieces, three flushes */
  T *t = run_skippable (emu, text);

  fail_unless (n_warnings (t) >= 3 * (6 + 1 + 2 + 10));
  t_free (t);
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Lost audio: not silent
 * ------------------------------------------------------------------------ */

/* The second chunk (0.2 s - 0.7 s) of the one flush is not base64: that
 * chunk's audio is gone, the rest comes out exactly, and a warning says
 * audio was lost. */
static T *
run_bad_base64 (InworldEmulator * emu, const gchar * text)
{
  T *t = t_new (emu->uri, text, RATE, NULL);
  GByteArray *want = expected_signal (text, RATE, 0, RATE / 5,
      RATE / 5 + RATE / 2);

  fail_unless (t_run (t), "the run ended with an error, not EOS");
  assert_audio (t, want);
  fail_unless_equals_int (t->rec.flushes, 1);
  g_byte_array_unref (want);
  return t;
}

GST_START_TEST (test_bad_base64)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=bad-base64", NULL));
  gchar *text = make_text (TEXT_CHARS);
  T *t = run_bad_base64 (emu, text);

  assert_injected (emu, "bad-base64");
  assert_warned (t, "base64", 1);
  /* the protocol layer says so; see test_bad_base64_message for where */
  assert_warned (t, "lost", 1);
  t_free (t);
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Too big: an error, not a hang
 * ------------------------------------------------------------------------ */

/* a frame over 8 MiB ends the stream with an error; a second element on
 * the same (still hostile) server gets the same: nothing is wedged */
GST_START_TEST (test_huge_frame_fails)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=huge", NULL));
  gchar *text = make_text (TEXT_CHARS);

  for (guint round = 0; round < 2; round++) {
    T *t = t_new (emu->uri, text, RATE, NULL);
    gchar **errors;

    fail_if (t_run (t), "a frame over 8 MiB was taken");
    errors = t_texts (t, GST_MESSAGE_ERROR, TRUE);
    dump (errors, "error");
    fail_unless (errors[0] != NULL);
    g_strfreev (errors);
    /* the audio before the huge frame went out; nothing after it */
    fail_unless (t->rec.buffers > 0);
    fail_unless_equals_int (t->rec.flushes, 0);
    t_free (t);
  }
  assert_injected (emu, "huge");
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

/* ... with a text that says why: libsoup closes such a connection with
 * 1009 but reports the peer's close code (0, the server never answered),
 * so the connection layer must keep its own code to say "too large" and
 * not retry */
GST_START_TEST (test_huge_frame_message)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start ("--hostile=huge", NULL));
  gchar *text = make_text (TEXT_CHARS);
  T *t = t_new (emu->uri, text, RATE, NULL);
  gchar **errors, **messages;

  fail_if (t_run (t));
  errors = t_texts (t, GST_MESSAGE_ERROR, TRUE);
  messages = t_texts (t, GST_MESSAGE_ERROR, FALSE);
  dump (errors, "error");
  fail_unless (errors[0] != NULL);
  fail_unless (strstr (messages[0], "8 MiB") != NULL, "the error does not "
      "name the 8 MiB limit: %s", errors[0]);
  fail_unless (strstr (messages[0], "larger") != NULL
      || strstr (messages[0], "too large") != NULL
      || strstr (messages[0], "too big") != NULL, "the error does not say "
      "the frame was too large: %s", errors[0]);
  /* the same frame would come again: no reconnection */
  fail_unless (strstr (messages[0], "reconnect") == NULL, "reconnected "
      "after a frame that would come again: %s", errors[0]);
  g_strfreev (errors);
  g_strfreev (messages);
  t_free (t);
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Big frames are normal
 * ------------------------------------------------------------------------ */

/* 10 s of 48 kHz LINEAR16 in one chunk: ~1.3 MiB of base64 in one frame,
 * ten times libsoup's default limit */
GST_START_TEST (test_big_chunk_10s)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=big-chunk", NULL));
  gchar *text = make_text (1000);
  T *t = t_new (emu->uri, text, 48000, "linear16");

  fail_unless (t_run (t));
  assert_signal (t, text, 48000);
  fail_unless_equals_int (n_warnings (t), 0);
  t_free (t);
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

/* 42 s and 60 s of the emulator's 48 kHz sine in one chunk: frames of
 * ~5.1 MiB and ~7.3 MiB, just under the 8 MiB limit */
GST_START_TEST (test_big_chunk_mib)
{
  const guint chars[] = { 700, 1000 };
  InworldEmulator *emu =
      tracked (inworld_emulator_start ("--hostile=big-chunk", "--audio=sine",
          NULL));
  gchar *text = make_text (chars[__i__]);
  T *t = t_new (emu->uri, text, 48000, "pcm");
  gsize n = 0;
  gint16 *sine = emu_audio_generate (EMU_AUDIO_SINE, text, 48000, 1.0, NULL,
      &n);
  GByteArray *want = g_byte_array_sized_new (n * 2);
  guint64 frame_size = (n * 2 + 2) / 3 * 4;

  fail_unless (frame_size > (__i__ ? 7 : 5) * 1024 * 1024);
  fail_unless (frame_size < 8 * 1024 * 1024 - 4096);
  for (gsize i = 0; i < n; i++) {
    guint8 le[2] = { (guint16) sine[i] & 0xff, (guint16) sine[i] >> 8 };

    g_byte_array_append (want, le, 2);
  }
  fail_unless (t_run (t), "a frame of %" G_GUINT64_FORMAT " bytes was "
      "refused", frame_size);
  assert_audio (t, want);
  fail_unless_equals_int (t->rec.flushes, 1);
  fail_unless_equals_int (n_warnings (t), 0);

  g_byte_array_unref (want);
  g_free (sine);
  t_free (t);
  g_free (text);
  emu_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * SLNG: the same kinds where they apply (no contexts there)
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_slng_skippable)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=garbage,"
          "truncated,binary,wrong-types", NULL));
  gchar *uri = inworld_emulator_slng_uri (emu);
  gchar *text = make_text (TEXT_CHARS);
  T *t = t_new (uri, text, RATE, NULL);

  fail_unless (t_run (t));
  assert_signal (t, text, RATE);
  fail_unless (n_warnings (t) >= 6 + 1 + 2 + 6);
  assert_warned (t, "binary", 2);
  assert_warned (t, "JSON", 1);
  assert_warned (t, "duration", 1);
  assert_warned (t, "sequence", 1);
  t_free (t);
  g_free (text);
  g_free (uri);
  emu_stop (emu);
}

GST_END_TEST;

/* SLNG numbers its chunks: the lost one shows as a gap as well */
GST_START_TEST (test_slng_bad_base64)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=bad-base64", NULL));
  gchar *uri = inworld_emulator_slng_uri (emu);
  gchar *text = make_text (TEXT_CHARS);
  T *t = t_new (uri, text, RATE, NULL);

  {
    GByteArray *want = expected_signal (text, RATE, 0, RATE / 5,
        RATE / 5 + RATE / 2);

    fail_unless (t_run (t));
    assert_audio (t, want);
    g_byte_array_unref (want);
  }
  assert_warned (t, "base64", 1);
  assert_warned (t, "lost", 1);
  assert_warned (t, "gap", 1);
  t_free (t);
  g_free (text);
  g_free (uri);
  emu_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Pending: these need fixes outside the files these tests may change
 * ------------------------------------------------------------------------ */

/* needs: gstinworldttsstream.c handle_event(), INWORLD_EVENT_INVALID_FRAME:
 * the warning's text (not only its debug string) must carry the parser's
 * message (event->message, at most a few dozen bytes of the frame), which
 * for a refused audio chunk says "the audio of this chunk of context '…'
 * is lost"; e.g. "Ignored a frame from the server that is not valid for
 * the protocol: %s". */
GST_START_TEST (test_bad_base64_message)
{
  InworldEmulator *emu =
      tracked (inworld_emulator_start_logged ("--hostile=bad-base64", NULL));
  gchar *text = make_text (TEXT_CHARS);
  T *t = run_bad_base64 (emu, text);
  gchar **messages = t_texts (t, GST_MESSAGE_WARNING, FALSE);
  guint found = count_with (messages, "lost");

  /* expected to fail until the fix: clean up first */
  dump (messages, "warning text");
  g_strfreev (messages);
  t_free (t);
  g_free (text);
  emu_stop (emu);
  fail_unless (found >= 1, "no warning text says audio was lost (only its "
      "debug string does)");
}

GST_END_TEST;

static void
teardown (void)
{
  while (live_runs && live_runs->len > 0)
    t_free (g_ptr_array_index (live_runs, live_runs->len - 1));
  g_clear_pointer (&live_runs, g_ptr_array_unref);
  if (live_emu)
    emu_stop (live_emu);
}

static Suite *
hostile_suite (void)
{
  Suite *s = suite_create ("hostile");
  TCase *tc = tcase_create ("hostile");
  TCase *pending = tcase_create ("pending");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, NULL, teardown);
  tcase_add_test (tc, test_garbage);
  tcase_add_test (tc, test_truncated);
  tcase_add_test (tc, test_binary);
  tcase_add_test (tc, test_wrong_types);
  tcase_add_test (tc, test_after_close);
  tcase_add_test (tc, test_after_close_interrupted);
  tcase_add_test (tc, test_unknown_context_audio);
  tcase_add_test (tc, test_unknown_context_warns);
  tcase_add_test (tc, test_all_skippable);
  tcase_add_test (tc, test_bad_base64);
  tcase_add_test (tc, test_huge_frame_fails);
  tcase_add_test (tc, test_huge_frame_message);
  tcase_add_test (tc, test_big_chunk_10s);
  tcase_add_loop_test (tc, test_big_chunk_mib, 0, 2);
  tcase_add_test (tc, test_slng_skippable);
  tcase_add_test (tc, test_slng_bad_base64);

  suite_add_tcase (s, pending);
  tcase_add_checked_fixture (pending, NULL, teardown);
  tcase_add_test (pending, test_bad_base64_message);
  return s;
}

GST_CHECK_MAIN (hostile);
