/* inworldttssrc element tests, against the emulator on loopback
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <string.h>

#include "emulator-fixture.h"
#include "messages.h"
#include "tts-harness.h"
#include "inworld-test-signal.h"
#include "inworldtext.h"

#define FLUSH_COMPLETED "inworld-flush-completed"
#define RUN_TIMEOUT (30 * GST_SECOND)

static const gint rates[] = { 8000, 16000, 24000, 48000 };
static const gchar *encodings[] = { "pcm", "linear16", "wav" };

/* Everything that left the element's src pad, in order. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GByteArray *audio;            /* all samples */
  GArray *pts, *duration, *offset, *offset_end;
  GPtrArray *flush_events;      /* GstStructure copies */
  GArray *audio_before_flush;   /* bytes of audio pushed before each event */
  gboolean eos;
  gboolean discont_first;
  guint buffers;
} Recording;

typedef struct
{
  GstHarness *h;
  GstElement *element;
  GstBus *bus;
  Recording rec;
  GPtrArray *messages;          /* element messages named FLUSH_COMPLETED */
  GstMessage *error;
  GPtrArray *warnings;
} Run;

static GstPadProbeReturn
record_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Recording *rec = user_data;

  g_mutex_lock (&rec->lock);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstMapInfo map;
    guint64 v;

    if (rec->buffers == 0)
      rec->discont_first = GST_BUFFER_FLAG_IS_SET (buf,
          GST_BUFFER_FLAG_DISCONT);
    rec->buffers++;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_byte_array_append (rec->audio, map.data, map.size);
    gst_buffer_unmap (buf, &map);
    v = GST_BUFFER_PTS (buf);
    g_array_append_val (rec->pts, v);
    v = GST_BUFFER_DURATION (buf);
    g_array_append_val (rec->duration, v);
    v = GST_BUFFER_OFFSET (buf);
    g_array_append_val (rec->offset, v);
    v = GST_BUFFER_OFFSET_END (buf);
    g_array_append_val (rec->offset_end, v);
  } else {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM
        && gst_event_has_name (event, FLUSH_COMPLETED)) {
      guint n = rec->audio->len;
      g_ptr_array_add (rec->flush_events,
          gst_structure_copy (gst_event_get_structure (event)));
      g_array_append_val (rec->audio_before_flush, n);
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
      rec->eos = TRUE;
      g_cond_broadcast (&rec->cond);
    }
  }
  g_mutex_unlock (&rec->lock);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make_tts (const gchar * uri, const gchar * text)
{
  GstElement *el = gst_element_factory_make ("inworldttssrc", NULL);

  fail_unless (el != NULL, "inworldttssrc not found: check GST_PLUGIN_PATH");
  g_object_set (el, "uri", uri, "api-key", TEST_API_KEY, "text", text, NULL);
  return el;
}

static Run *
run_new (GstElement * el, const gchar * sink_caps)
{
  Run *run = g_new0 (Run, 1);
  GstPad *pad;

  g_mutex_init (&run->rec.lock);
  g_cond_init (&run->rec.cond);
  run->rec.audio = g_byte_array_new ();
  run->rec.pts = g_array_new (FALSE, FALSE, sizeof (guint64));
  run->rec.duration = g_array_new (FALSE, FALSE, sizeof (guint64));
  run->rec.offset = g_array_new (FALSE, FALSE, sizeof (guint64));
  run->rec.offset_end = g_array_new (FALSE, FALSE, sizeof (guint64));
  run->rec.flush_events =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  run->rec.audio_before_flush = g_array_new (FALSE, FALSE, sizeof (guint));
  run->messages =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_message_unref);
  run->warnings =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_message_unref);

  run->element = el;
  run->bus = gst_bus_new ();
  run->h = tts_harness_new (el, run->bus);
  if (sink_caps)
    gst_harness_set_sink_caps_str (run->h, sink_caps);

  pad = gst_element_get_static_pad (el, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, record_probe, &run->rec, NULL);
  gst_object_unref (pad);
  return run;
}

/* Plays until EOS or an error; returns TRUE on EOS. */
static gboolean
run_play (Run * run)
{
  gint64 deadline = g_get_monotonic_time () + RUN_TIMEOUT / GST_USECOND;
  gboolean eos = FALSE;

  gst_harness_play (run->h);
  while (!eos && run->error == NULL) {
    GstMessage *msg = gst_bus_timed_pop_filtered (run->bus, 20 * GST_MSECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_WARNING | GST_MESSAGE_ELEMENT);

    if (msg) {
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
        run->error = msg;
      else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
        g_ptr_array_add (run->warnings, msg);
      else if (gst_message_has_name (msg, FLUSH_COMPLETED))
        g_ptr_array_add (run->messages, msg);
      else
        gst_message_unref (msg);
    }
    g_mutex_lock (&run->rec.lock);
    eos = run->rec.eos;
    g_mutex_unlock (&run->rec.lock);
    fail_if (g_get_monotonic_time () > deadline,
        "neither EOS nor an error within %" GST_TIME_FORMAT,
        GST_TIME_ARGS (RUN_TIMEOUT));
  }
  /* messages posted before EOS but not popped yet; an error is posted
   * before the EOS that follows it */
  if (eos) {
    GstMessage *msg;
    while ((msg = gst_bus_pop_filtered (run->bus, GST_MESSAGE_ERROR |
                GST_MESSAGE_ELEMENT | GST_MESSAGE_WARNING))) {
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR && run->error == NULL)
        run->error = msg;
      else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
        g_ptr_array_add (run->warnings, msg);
      else if (gst_message_has_name (msg, FLUSH_COMPLETED))
        g_ptr_array_add (run->messages, msg);
      else
        gst_message_unref (msg);
    }
  }
  return eos && run->error == NULL;
}

static void
run_free (Run * run)
{
  gst_element_set_bus (run->element, NULL);
  gst_harness_teardown (run->h);
  /* the harness took its own reference (transfer none) */
  gst_object_unref (run->element);
  gst_object_unref (run->bus);
  g_byte_array_unref (run->rec.audio);
  g_array_unref (run->rec.pts);
  g_array_unref (run->rec.duration);
  g_array_unref (run->rec.offset);
  g_array_unref (run->rec.offset_end);
  g_ptr_array_unref (run->rec.flush_events);
  g_array_unref (run->rec.audio_before_flush);
  g_ptr_array_unref (run->messages);
  g_ptr_array_unref (run->warnings);
  if (run->error)
    gst_message_unref (run->error);
  g_mutex_clear (&run->rec.lock);
  g_cond_clear (&run->rec.cond);
  g_free (run);
}

static gchar *
raw_caps (gint rate)
{
  return g_strdup_printf ("audio/x-raw, format=S16LE, layout=interleaved, "
      "channels=1, rate=%d", rate);
}

/* Checks that the recording is exactly the test signal of @pieces, one
 * flush each, with contiguous sample-exact timestamps. */
static void
check_signal (Run * run, gchar ** pieces, gint rate)
{
  Recording *rec = &run->rec;
  const gint16 *samples = (const gint16 *) rec->audio->data;
  guint64 pos = 0, total;
  guint flush = 0;

  fail_unless_equals_int (rec->audio->len % 2, 0);
  total = rec->audio->len / 2;

  for (gchar ** p = pieces; *p; p++) {
    guint64 n;
    guint16 seed;
    const GstStructure *s;
    guint index = 0, chars = 0;
    guint64 ts = 0;
    const gchar *ctx;

    if (!inworld_text_has_speech (*p))
      continue;
    n = inworld_test_signal_n_samples (*p, rate);
    seed = inworld_test_signal_seed (*p);
    fail_unless (pos + n <= total, "audio ends after %" G_GUINT64_FORMAT
        " samples, flush %u needs %" G_GUINT64_FORMAT " more", total, flush + 1,
        n);
    for (guint64 i = 0; i < n; i++) {
      gint16 want = inworld_test_signal_sample (seed, i);
      if (G_UNLIKELY (GINT16_FROM_LE (samples[pos + i]) != want)) {
        fail ("flush %u sample %" G_GUINT64_FORMAT ": %d, expected %d",
            flush + 1, i, GINT16_FROM_LE (samples[pos + i]), want);
      }
    }
    pos += n;

    /* the flush-completed event right after this flush's last sample */
    fail_unless (flush < rec->flush_events->len, "no event for flush %u",
        flush + 1);
    fail_unless_equals_int (g_array_index (rec->audio_before_flush, guint,
            flush), pos * 2);
    s = g_ptr_array_index (rec->flush_events, flush);
    fail_unless (gst_structure_get_uint (s, "flush-index", &index));
    fail_unless_equals_int (index, flush + 1);
    fail_unless (gst_structure_get_uint (s, "characters", &chars));
    fail_unless_equals_int (chars, g_utf8_strlen (*p, -1));
    fail_unless (gst_structure_get_clock_time (s, "timestamp", &ts));
    fail_unless_equals_uint64 (ts, gst_util_uint64_scale_int (pos, GST_SECOND,
            rate));
    ctx = gst_structure_get_string (s, "context-id");
    fail_unless (ctx != NULL && *ctx != '\0');

    /* and the same structure on the bus, with running and stream time */
    fail_unless (flush < run->messages->len, "no message for flush %u",
        flush + 1);
    {
      const GstStructure *m =
          gst_message_get_structure (g_ptr_array_index (run->messages, flush));
      guint mindex = 0, mchars = 0;
      guint64 mts = 0, rt = 0;
      fail_unless (gst_structure_get_uint (m, "flush-index", &mindex));
      fail_unless (gst_structure_get_uint (m, "characters", &mchars));
      fail_unless (gst_structure_get_clock_time (m, "timestamp", &mts));
      fail_unless (gst_structure_get_clock_time (m, "running-time", &rt));
      fail_unless_equals_int (mindex, index);
      fail_unless_equals_int (mchars, chars);
      fail_unless_equals_uint64 (mts, ts);
      fail_unless_equals_uint64 (rt, ts);
      fail_unless_equals_string (gst_structure_get_string (m, "context-id"),
          ctx);
    }
    flush++;
  }
  fail_unless_equals_uint64 (pos, total);
  fail_unless_equals_int (rec->flush_events->len, flush);
  fail_unless_equals_int (run->messages->len, flush);

  /* timestamps: from 0, contiguous, exact by sample count */
  fail_unless (rec->buffers > 0);
  fail_unless (rec->discont_first);
  for (guint i = 0; i < rec->pts->len; i++) {
    guint64 pts = g_array_index (rec->pts, guint64, i);
    guint64 dur = g_array_index (rec->duration, guint64, i);
    guint64 off = g_array_index (rec->offset, guint64, i);
    guint64 off_end = g_array_index (rec->offset_end, guint64, i);

    fail_unless_equals_uint64 (pts, gst_util_uint64_scale_int (off,
            GST_SECOND, rate));
    fail_unless_equals_uint64 (pts + dur, gst_util_uint64_scale_int (off_end,
            GST_SECOND, rate));
    fail_unless_equals_uint64 (off, i == 0 ? 0 :
        g_array_index (rec->offset_end, guint64, i - 1));
  }
  fail_unless_equals_uint64 (g_array_index (rec->offset_end, guint64,
          rec->offset_end->len - 1), total);
}

static const gchar *short_text = "Hello from GStreamer, this is a test.";

/* every encoding of raw audio, at every rate, sample for sample */
GST_START_TEST (test_sample_exact)
{
  gint rate = rates[__i__ % G_N_ELEMENTS (rates)];
  const gchar *encoding = encodings[__i__ / G_N_ELEMENTS (rates)];
  InworldEmulator *emu = inworld_emulator_start (NULL);
  GstElement *el = make_tts (emu->uri, short_text);
  gchar *caps = raw_caps (rate);
  gchar *pieces[] = { (gchar *) short_text, NULL };
  Run *run;

  gst_util_set_object_arg (G_OBJECT (el), "encoding", encoding);
  run = run_new (el, caps);
  fail_unless (run_play (run), "error: %s", run->error ?
      GST_MESSAGE_SRC_NAME (run->error) : "");
  check_signal (run, pieces, rate);
  fail_unless_equals_int (run->warnings->len, 0);

  run_free (run);
  g_free (caps);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* with nothing asked downstream the rate is 24000 */
GST_START_TEST (test_default_rate)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  GstElement *el = make_tts (emu->uri, short_text);
  gchar *pieces[] = { (gchar *) short_text, NULL };
  Run *run = run_new (el, NULL);
  GstCaps *caps;
  gint rate = 0;

  fail_unless (run_play (run));
  caps = gst_pad_get_current_caps (run->h->sinkpad);
  fail_unless (caps != NULL);
  fail_unless (gst_structure_get_int (gst_caps_get_structure (caps, 0),
          "rate", &rate));
  fail_unless_equals_int (rate, 24000);
  gst_caps_unref (caps);
  check_signal (run, pieces, 24000);

  run_free (run);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static gchar *
long_text (void)
{
  GString *s = g_string_new (NULL);

  /* sentences of varied length, multi-byte characters, one very long
   * word-only stretch that must be cut at a space */
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (s, "Sentence number %u tells of café crème, "
        "naïve façades and %s. ", i, i % 3 ? "dragons" : "日本語のテキスト");
  for (guint i = 0; i < 260; i++)
    g_string_append (s, "word ");
  g_string_append (s, "The end!");
  return g_string_free (s, FALSE);
}

/* text over the API's 1000-character limit is split and fully spoken */
GST_START_TEST (test_long_text)
{
  InworldEmulator *emu = inworld_emulator_start ("--speed=0", NULL);
  gchar *text = long_text ();
  GstElement *el = make_tts (emu->uri, text);
  gchar **pieces = inworld_text_split (text, 1000);
  gchar *caps = raw_caps (16000);
  Run *run = run_new (el, caps);
  guint n = g_strv_length (pieces);
  guint64 chars = 0;

  fail_unless (g_utf8_strlen (text, -1) > 3000);
  fail_unless (n >= 4, "expected at least 4 pieces, got %u", n);
  for (guint i = 0; i < n; i++) {
    fail_unless (g_utf8_strlen (pieces[i], -1) <= 1000);
    chars += g_utf8_strlen (pieces[i], -1);
  }
  fail_unless_equals_uint64 (chars, g_utf8_strlen (text, -1));

  fail_unless (run_play (run));
  check_signal (run, pieces, 16000);
  fail_unless_equals_int (run->rec.flush_events->len, n);

  run_free (run);
  g_strfreev (pieces);
  g_free (text);
  g_free (caps);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static void
expect_error (Run * run, GQuark domain, gint code, const gchar * const *words)
{
  fail_if (run_play (run), "EOS where an error was expected");
  check_message (run->error, domain, code, words);
}

GST_START_TEST (test_bad_key)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  GstElement *el = make_tts (emu->uri, short_text);
  const gchar *words[] = { "API key", "code 7", "INWORLD_API_KEY", NULL };
  Run *run;

  g_object_set (el, "api-key", "wrong-key-123", NULL);
  run = run_new (el, NULL);
  expect_error (run, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
      words);
  check_details (run->error, "want, inworld-problem=(string)auth, "
      "grpc-code=(int)7, code-name=(string)PERMISSION_DENIED");
  fail_unless_equals_int (run->rec.buffers, 0);
  run_free (run);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* the key from the environment is used when the property is unset */
GST_START_TEST (test_key_from_environment)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  GstElement *el = gst_element_factory_make ("inworldttssrc", NULL);
  gchar *pieces[] = { (gchar *) short_text, NULL };
  Run *run;

  g_object_set (el, "uri", emu->uri, "text", short_text, NULL);
  g_setenv ("INWORLD_API_KEY", TEST_API_KEY, TRUE);
  run = run_new (el, NULL);
  fail_unless (run_play (run));
  check_signal (run, pieces, 24000);
  g_setenv ("INWORLD_API_KEY", "", TRUE);
  run_free (run);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* Going to PAUSED fails at once, with an error of @domain/@code that
 * contains each of @words. */
static void
expect_state_change_error (GstElement * el, GQuark domain, gint code,
    const gchar * const *words)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (el, bus);
  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  check_message (msg, domain, code, words);
  gst_message_unref (msg);
  gst_element_set_state (el, GST_STATE_NULL);
  gst_element_set_bus (el, NULL);
  gst_object_unref (bus);
}

/* no key at all: the state change fails at once and says how to set one */
GST_START_TEST (test_no_key)
{
  GstElement *el = gst_element_factory_make ("inworldttssrc", NULL);
  const gchar *words[] = { "api-key", "INWORLD_API_KEY", NULL };

  g_setenv ("INWORLD_API_KEY", "", TRUE);
  g_object_set (el, "text", short_text, "uri", "ws://127.0.0.1:9/x", NULL);
  expect_state_change_error (el, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, words);
  gst_object_unref (el);
}

GST_END_TEST;

GST_START_TEST (test_unreachable)
{
  gchar *uri = inworld_emulator_unused_uri ();
  GstElement *el = make_tts (uri, short_text);
  const gchar *words[] = { uri, NULL };
  Run *run = run_new (el, NULL);

  expect_error (run, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, words);
  run_free (run);
  g_free (uri);
}

GST_END_TEST;

/* a server that drops the socket mid-speech: an error that says so */
GST_START_TEST (test_dropped_socket)
{
  InworldEmulator *emu = inworld_emulator_start ("--drop-after-chunks=2",
      NULL);
  gchar *text = long_text ();
  GstElement *el = make_tts (emu->uri, text);
  const gchar *words[] = { "Lost the connection", "not spoken", NULL };
  Run *run = run_new (el, NULL);

  expect_error (run, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, words);
  fail_unless (run->rec.buffers > 0, "audio before the drop was not pushed");
  run_free (run);
  g_free (text);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* an in-context server error (here: no context allowed, on any of the
 * connections tried) carries its code */
GST_START_TEST (test_server_error)
{
  InworldEmulator *emu = inworld_emulator_start ("--max-contexts=0", NULL);
  GstElement *el = make_tts (emu->uri, short_text);
  const gchar *words[] = { "code 8", "RESOURCE_EXHAUSTED", "contexts",
    "fewer streams", NULL
  };
  Run *run = run_new (el, NULL);

  expect_error (run, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY, words);
  run_free (run);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* garbage frames from the server: warned about, speech unharmed */
GST_START_TEST (test_garbage_frames)
{
  InworldEmulator *emu = inworld_emulator_start ("--garbage-frames", NULL);
  GstElement *el = make_tts (emu->uri, short_text);
  gchar *pieces[] = { (gchar *) short_text, NULL };
  Run *run = run_new (el, NULL);

  fail_unless (run_play (run));
  check_signal (run, pieces, 24000);
  fail_unless (run->warnings->len >= 1, "garbage frames not reported");
  run_free (run);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* contextClosed before the audio (a known server race) loses nothing */
GST_START_TEST (test_early_context_closed)
{
  InworldEmulator *emu = inworld_emulator_start ("--early-context-closed",
      "--first-audio-delay=100", NULL);
  GstElement *el = make_tts (emu->uri, short_text);
  gchar *pieces[] = { (gchar *) short_text, NULL };
  Run *run = run_new (el, NULL);

  fail_unless (run_play (run));
  check_signal (run, pieces, 24000);
  run_free (run);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

GST_START_TEST (test_invalid_utf8)
{
  GstElement *el = gst_element_factory_make ("inworldttssrc", NULL);
  const gchar *words[] = { "UTF-8", "offset 3", NULL };

  g_object_set (el, "api-key", TEST_API_KEY, "uri", "ws://127.0.0.1:9/x",
      "text", "abc\xff\xfe def", NULL);
  expect_state_change_error (el, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      words);
  gst_object_unref (el);
}

GST_END_TEST;

/* downstream that takes nothing we make: a negotiation error */
GST_START_TEST (test_not_negotiated)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  GstElement *el = make_tts (emu->uri, short_text);
  Run *run = run_new (el, "audio/x-raw, format=F32LE, channels=2");

  expect_error (run, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION, NULL);
  run_free (run);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* the key can be written, never read */
GST_START_TEST (test_api_key_write_only)
{
  GstElement *el = gst_element_factory_make ("inworldttssrc", NULL);
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (el), "api-key");

  fail_unless (pspec != NULL);
  fail_unless (pspec->flags & G_PARAM_WRITABLE);
  fail_if (pspec->flags & G_PARAM_READABLE);
  gst_object_unref (el);
}

GST_END_TEST;

/* live: no preroll, latency answered */
GST_START_TEST (test_live)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  GstElement *el = make_tts (emu->uri, short_text);
  GstQuery *q;
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;
  gchar *pieces[] = { (gchar *) short_text, NULL };
  Run *run;

  g_object_set (el, "is-live", TRUE, "latency", 250 * GST_MSECOND, NULL);
  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PAUSED),
      GST_STATE_CHANGE_NO_PREROLL);
  q = gst_query_new_latency ();
  fail_unless (gst_element_query (el, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 250 * GST_MSECOND);
  gst_query_unref (q);
  gst_element_set_state (el, GST_STATE_NULL);

  run = run_new (el, NULL);
  gst_harness_use_systemclock (run->h);
  fail_unless (run_play (run));
  /* the speech is there, every sample of it */
  {
    const gint16 *s = (const gint16 *) run->rec.audio->data;
    guint64 n = inworld_test_signal_n_samples (short_text, 24000);
    guint16 seed = inworld_test_signal_seed (short_text);
    fail_unless_equals_uint64 (run->rec.audio->len / 2, n);
    for (guint64 i = 0; i < n; i++)
      fail_unless_equals_int (GINT16_FROM_LE (s[i]),
          inworld_test_signal_sample (seed, i));
  }
  (void) pieces;
  run_free (run);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* 100 start/stop cycles, some mid-speech: no crash, hang or leak */
GST_START_TEST (test_state_cycles)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *el = make_tts (emu->uri, short_text);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  fail_unless (sink != NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), el, sink, NULL);
  fail_unless (gst_element_link (el, sink));

  for (guint i = 0; i < 100; i++) {
    fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    if (i % 4 == 1)
      g_usleep (5000);
    else if (i % 4 == 2)
      gst_element_get_state (pipeline, NULL, NULL, 5 * GST_SECOND);
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }

  /* and it still speaks */
  {
    GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
    GstMessage *msg;

    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    msg = gst_bus_timed_pop_filtered (bus, RUN_TIMEOUT,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
    gst_message_unref (msg);
    gst_object_unref (bus);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static Suite *
inworldttssrc_suite (void)
{
  Suite *s = suite_create ("inworldttssrc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_sample_exact, 0,
      G_N_ELEMENTS (rates) * G_N_ELEMENTS (encodings));
  tcase_add_test (tc, test_default_rate);
  tcase_add_test (tc, test_long_text);
  tcase_add_test (tc, test_bad_key);
  tcase_add_test (tc, test_key_from_environment);
  tcase_add_test (tc, test_no_key);
  tcase_add_test (tc, test_unreachable);
  tcase_add_test (tc, test_dropped_socket);
  tcase_add_test (tc, test_server_error);
  tcase_add_test (tc, test_garbage_frames);
  tcase_add_test (tc, test_early_context_closed);
  tcase_add_test (tc, test_invalid_utf8);
  tcase_add_test (tc, test_not_negotiated);
  tcase_add_test (tc, test_api_key_write_only);
  tcase_add_test (tc, test_live);
  tcase_add_test (tc, test_state_cycles);
  return s;
}

GST_CHECK_MAIN (inworldttssrc);
