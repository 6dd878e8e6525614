/* inworldttssrc: many elements at once, and many state changes
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Run under valgrind (tools/test.sh --valgrind) these also prove that
 * nothing leaks; a deadlock shows as the test's timeout. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "emulator-fixture.h"
#include "inworld-test-signal.h"

#define RATE 8000
#define N_ELEMENTS 50
#define N_UTTERANCES 20
#define N_CYCLES 1000
#define FLUSH_COMPLETED "inworld-flush-completed"

typedef struct
{
  GstElement *pipeline;
  GstElement *tts;
  guint64 bytes;                /* streaming thread only until EOS */
  guint flushes;
  gboolean eos;
} Speaker;

static GMutex lock;
static GCond cond;

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Speaker *s = user_data;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    s->bytes += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  } else {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM
        && gst_event_has_name (event, FLUSH_COMPLETED)) {
      s->flushes++;
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
      g_mutex_lock (&lock);
      s->eos = TRUE;
      g_cond_broadcast (&cond);
      g_mutex_unlock (&lock);
    }
  }
  return GST_PAD_PROBE_OK;
}

/* inworldttssrc ! capsfilter ! fakesink, in a pipeline of its own */
static GstElement *
tts_pipeline (const gchar * uri, GstElement ** tts)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *filter = gst_element_factory_make ("capsfilter", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstCaps *caps = gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT,
      RATE, NULL);

  *tts = gst_element_factory_make ("inworldttssrc", NULL);
  fail_unless (*tts != NULL, "inworldttssrc not found");
  g_object_set (*tts, "uri", uri, "api-key", TEST_API_KEY, NULL);
  /* each untimed line pushed upstream is one utterance, counted as such */
  gst_util_set_object_arg (G_OBJECT (*tts), "text-segmentation", "buffer");
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), *tts, filter, sink, NULL);
  fail_unless (gst_element_link_many (*tts, filter, sink, NULL));
  return pipeline;
}

static gchar *
utterance (guint speaker, guint n)
{
  return g_strdup_printf ("Speaker %u, utterance %u.", speaker, n);
}

/* 50 elements in one process, 20 utterances each, all at once: every
 * sample and every flush arrives, no error */
GST_START_TEST (test_fifty_elements)
{
  InworldEmulator *emu = inworld_emulator_start ("--speed=0", NULL);
  Speaker *speakers = g_new0 (Speaker, N_ELEMENTS);

  for (guint i = 0; i < N_ELEMENTS; i++) {
    Speaker *s = &speakers[i];
    GstPad *pad;

    s->pipeline = tts_pipeline (emu->uri, &s->tts);
    pad = gst_element_get_static_pad (s->tts, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, count_probe, s, NULL);
    gst_object_unref (pad);
    fail_if (gst_element_set_state (s->pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
  }
  /* the utterances interleave across the elements */
  for (guint n = 0; n < N_UTTERANCES; n++) {
    for (guint i = 0; i < N_ELEMENTS; i++) {
      gchar *text = utterance (i, n);
      gboolean ok;

      g_signal_emit_by_name (speakers[i].tts, "push-text", text, TRUE, &ok);
      fail_unless (ok);
      g_free (text);
    }
  }
  for (guint i = 0; i < N_ELEMENTS; i++)
    g_signal_emit_by_name (speakers[i].tts, "end-of-stream");

  for (guint i = 0; i < N_ELEMENTS; i++) {
    Speaker *s = &speakers[i];
    GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (s->pipeline));
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 240 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
    guint64 expected = 0;

    fail_unless (msg != NULL, "speaker %u: neither EOS nor an error", i);
    fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
        "speaker %u: %" GST_PTR_FORMAT, i, msg);
    gst_message_unref (msg);
    gst_object_unref (bus);
    for (guint n = 0; n < N_UTTERANCES; n++) {
      gchar *text = utterance (i, n);

      expected += inworld_test_signal_n_samples (text, RATE) * 2;
      g_free (text);
    }
    g_mutex_lock (&lock);
    fail_unless (s->eos);
    g_mutex_unlock (&lock);
    fail_unless_equals_int (s->flushes, N_UTTERANCES);
    fail_unless_equals_uint64 (s->bytes, expected);
  }

  for (guint i = 0; i < N_ELEMENTS; i++) {
    gst_element_set_state (speakers[i].pipeline, GST_STATE_NULL);
    gst_object_unref (speakers[i].pipeline);
  }
  g_free (speakers);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* 1000 state-change cycles of one element, stopped at every stage: before
 * it connects, while it speaks, after EOS, in PAUSED; then it still speaks */
GST_START_TEST (test_thousand_state_cycles)
{
  InworldEmulator *emu = inworld_emulator_start ("--speed=0", NULL);
  GstElement *tts;
  GstElement *pipeline = tts_pipeline (emu->uri, &tts);
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  const gchar *text = "Stop and go.";
  GstMessage *msg;
  guint eos = 0;

  g_object_set (tts, "text", text, NULL);
  for (guint i = 0; i < N_CYCLES; i++) {
    GstState target = i % 5 == 4 ? GST_STATE_PAUSED : GST_STATE_PLAYING;

    fail_if (gst_element_set_state (pipeline, target) ==
        GST_STATE_CHANGE_FAILURE);
    switch (i % 5) {
      case 1:                  /* while it connects or speaks */
        g_usleep (1000);
        break;
      case 2:                  /* to the end */
        msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
            GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
        fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) ==
            GST_MESSAGE_EOS, "cycle %u: %" GST_PTR_FORMAT, i, msg);
        gst_message_unref (msg);
        eos++;
        break;
      case 3:                  /* prerolled */
        gst_element_get_state (pipeline, NULL, NULL, 10 * GST_SECOND);
        break;
      default:
        break;
    }
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    /* no error was posted on the way */
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg == NULL, "cycle %u: %" GST_PTR_FORMAT, i, msg);
    gst_bus_set_flushing (bus, TRUE);
    gst_bus_set_flushing (bus, FALSE);
  }
  fail_unless_equals_int (eos, N_CYCLES / 5);

  gst_object_unref (bus);
  gst_object_unref (pipeline);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * One element, many threads (issue 12, items 9 and 10)
 * ------------------------------------------------------------------------ */

#define DEADLINE (30 * G_USEC_PER_SEC)

/* One utterance as it left the src pad: the first sample of its audio
 * (the test signal's seed, which names the text), its characters, its
 * flush index and its audio bytes. */
typedef struct
{
  guint16 seed;
  guint chars;
  guint index;
  guint64 bytes;
} Said;

/* What left the src pad of one element, from any thread. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GArray *said;                 /* Said */
  guint64 bytes;                /* of the utterance under way */
  guint16 seed;
  gboolean have_seed;
  guint buffers;
  guint eos;
} Tally;

static void
tally_init (Tally * t)
{
  memset (t, 0, sizeof (*t));
  g_mutex_init (&t->lock);
  g_cond_init (&t->cond);
  t->said = g_array_new (FALSE, FALSE, sizeof (Said));
}

static void
tally_clear (Tally * t)
{
  g_array_unref (t->said);
  g_mutex_clear (&t->lock);
  g_cond_clear (&t->cond);
}

static GstPadProbeReturn
tally_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Tally *t = user_data;

  g_mutex_lock (&t->lock);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    guint8 first[2];

    if (!t->have_seed && gst_buffer_extract (buf, 0, first, 2) == 2) {
      t->seed = GST_READ_UINT16_LE (first);
      t->have_seed = TRUE;
    }
    t->bytes += gst_buffer_get_size (buf);
    t->buffers++;
  } else {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    switch (GST_EVENT_TYPE (event)) {
      case GST_EVENT_CUSTOM_DOWNSTREAM:
        if (gst_event_has_name (event, FLUSH_COMPLETED)) {
          const GstStructure *st = gst_event_get_structure (event);
          Said said = { t->seed, 0, 0, t->bytes };

          gst_structure_get_uint (st, "characters", &said.chars);
          gst_structure_get_uint (st, "flush-index", &said.index);
          if (!t->have_seed)
            said.seed = 0;
          g_array_append_val (t->said, said);
          t->bytes = 0;
          t->have_seed = FALSE;
        }
        break;
      case GST_EVENT_FLUSH_STOP:
      case GST_EVENT_STREAM_START:
        /* an interrupted utterance: its audio is gone */
        t->bytes = 0;
        t->have_seed = FALSE;
        break;
      case GST_EVENT_EOS:
        t->eos++;
        break;
      default:
        break;
    }
  }
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);
  return GST_PAD_PROBE_OK;
}

/* Waits until *@counter (a field of @t) reaches @n; FALSE at the
 * deadline. */
static gboolean
tally_wait (Tally * t, guint * counter, guint n)
{
  gint64 end = g_get_monotonic_time () + DEADLINE;
  gboolean ok = TRUE;

  g_mutex_lock (&t->lock);
  while (ok && *counter < n)
    ok = g_cond_wait_until (&t->cond, &t->lock, end) || *counter >= n;
  g_mutex_unlock (&t->lock);
  return ok;
}

static void
tally_attach (Tally * t, GstElement * tts)
{
  GstPad *pad = gst_element_get_static_pad (tts, "src");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH,
      tally_probe, t, NULL);
  gst_object_unref (pad);
}

/* The test signal's seed of @text: the sum of its bytes. */
static guint16
text_seed (const gchar * text)
{
  guint16 seed = 0;

  for (const guchar * p = (const guchar *)text; *p; p++)
    seed += *p;
  return seed;
}

static gpointer
said_key (guint16 seed, guint chars)
{
  return GUINT_TO_POINTER (((guint) seed << 16 | (chars & 0xffff)) + 1);
}

/* Expected utterances: (seed, characters) -> how many. */
static void
expect_text (GHashTable * expected, const gchar * text)
{
  gpointer key = said_key (text_seed (text), g_utf8_strlen (text, -1));

  g_hash_table_insert (expected, key, GUINT_TO_POINTER (GPOINTER_TO_UINT
          (g_hash_table_lookup (expected, key)) + 1));
}

/* The utterances in @said[from..] are exactly @expected, each once, in
 * flush-index order without a gap or a duplicate, each with all of its
 * audio. */
static void
check_said_exactly (GArray * said, guint from, GHashTable * expected,
    guint n_expected)
{
  fail_unless_equals_int (said->len - from, n_expected);
  for (guint i = from; i < said->len; i++) {
    Said *u = &g_array_index (said, Said, i);
    gpointer key = said_key (u->seed, u->chars);
    guint left = GPOINTER_TO_UINT (g_hash_table_lookup (expected, key));

    fail_unless (left > 0, "utterance %u (flush-index %u, %u characters, "
        "seed %u) not expected, or spoken twice", i, u->index, u->chars,
        u->seed);
    g_hash_table_insert (expected, key, GUINT_TO_POINTER (left - 1));
    fail_unless_equals_uint64 (u->bytes, (guint64) u->chars * RATE
        * INWORLD_TEST_SIGNAL_MS_PER_CHAR / 1000 * 2);
    if (i > from)
      fail_unless (u->index > g_array_index (said, Said, i - 1).index,
          "flush-index %u after %u", u->index, g_array_index (said, Said,
              i - 1).index);
  }
}

/* Bus: errors and warnings of @tts (an appsrc's are its own business). */
typedef struct
{
  GstElement *tts;
  gint errors, warnings;
} Problems;

static GstBusSyncReply
problems_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Problems *p = user_data;

  if (GST_MESSAGE_SRC (msg) == GST_OBJECT (p->tts)) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("error: %s (%s)\n", err->message, dbg);
      g_clear_error (&err);
      g_free (dbg);
      g_atomic_int_inc (&p->errors);
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      g_atomic_int_inc (&p->warnings);
    }
  }
  return GST_BUS_PASS;
}

static gboolean
push_text (GstElement * tts, const gchar * text)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (tts, "push-text", text, TRUE, &ok);
  return ok;
}

/* appsrc (text) ! inworldttssrc ! capsfilter ! fakesink */
typedef struct
{
  GstElement *pipeline, *appsrc, *tts;
  GstPad *sinkpad;
  Tally tally;
  Problems problems;
  InworldEmulator *emu;
  volatile gint stop;
  guint round;
} Hammer;

static void
appsrc_push (GstElement * appsrc, const gchar * text)
{
  GstBuffer *buf = gst_buffer_new_memdup (text, strlen (text));
  GstFlowReturn ret;

  g_signal_emit_by_name (appsrc, "push-buffer", buf, &ret);
  gst_buffer_unref (buf);
}

static gboolean
on_seek_data (GstElement * appsrc, guint64 offset, gpointer user_data)
{
  return TRUE;
}

static void
hammer_setup (Hammer * h)
{
  GstCaps *caps;
  GstBus *bus;

  h->emu = inworld_emulator_start ("--speed=0", NULL);
  h->pipeline = tts_pipeline (h->emu->uri, &h->tts);
  h->appsrc = gst_element_factory_make ("appsrc", NULL);
  fail_unless (h->appsrc != NULL);
  caps = gst_caps_from_string ("text/x-raw, format=utf8");
  /* seekable, so that a flushing seek reaches inworldttssrc's sink pad
   * as FLUSH_START and FLUSH_STOP from upstream */
  g_object_set (h->appsrc, "caps", caps, "format", GST_FORMAT_TIME,
      "stream-type", 1, "max-bytes", (guint64) 0, NULL);
  g_signal_connect (h->appsrc, "seek-data", G_CALLBACK (on_seek_data), NULL);
  gst_caps_unref (caps);
  gst_bin_add (GST_BIN (h->pipeline), h->appsrc);
  h->sinkpad = gst_element_request_pad_simple (h->tts, "sink");
  fail_unless (h->sinkpad != NULL);
  {
    GstPad *srcpad = gst_element_get_static_pad (h->appsrc, "src");

    fail_unless_equals_int (gst_pad_link (srcpad, h->sinkpad), GST_PAD_LINK_OK);
    gst_object_unref (srcpad);
  }
  tally_init (&h->tally);
  tally_attach (&h->tally, h->tts);
  h->problems.tts = h->tts;
  bus = gst_pipeline_get_bus (GST_PIPELINE (h->pipeline));
  gst_bus_set_sync_handler (bus, problems_bus, &h->problems, NULL);
  gst_object_unref (bus);
}

static void
hammer_teardown (Hammer * h)
{
  fail_unless_equals_int (gst_element_set_state (h->pipeline,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gst_element_release_request_pad (h->tts, h->sinkpad);
  gst_object_unref (h->sinkpad);
  gst_object_unref (h->pipeline);
  tally_clear (&h->tally);
  inworld_emulator_stop (h->emu);
}

typedef struct
{
  Hammer *h;
  guint id;
  guint n;                      /* texts pushed and accepted */
} Worker;

static gchar *
exact_text (guint thread, guint line)
{
  return g_strdup_printf ("Thread %u says line %u of the exact phase%.*s.",
      thread, line, (gint) (thread + line) % 5, "!!!!!");
}

#define N_PUSHERS 8
#define N_LINES 25
#define N_APPSRC_LINES 20

static gpointer
exact_pusher (gpointer data)
{
  Worker *w = data;

  for (guint i = 0; i < N_LINES; i++) {
    gchar *text = exact_text (w->id, i);

    fail_unless (push_text (w->h->tts, text), "push-text refused");
    w->n++;
    g_free (text);
  }
  return NULL;
}

/* settings change all the time: they never cost or repeat an utterance */
static gpointer
setter (gpointer data)
{
  Worker *w = data;
  const gchar *voices[] = { "Ashley", "Dennis", "Alex", "Olivia" };

  for (guint i = 0; !g_atomic_int_get (&w->h->stop); i++) {
    g_object_set (w->h->tts, "voice", voices[i % 4], "speaking-rate",
        0.5 + (i % 11) / 10.0, NULL);
    if (i % 3 == 0)
      g_object_set (w->h->tts, "temperature", 0.5 + (i % 5) / 10.0, NULL);
    w->n++;
    g_usleep (200);
  }
  return NULL;
}

/* Phase 1: 8 threads push text, settings change all along, an appsrc
 * feeds the sink pad: every utterance is spoken exactly once. */
static void
hammer_exact (Hammer * h)
{
  GHashTable *expected = g_hash_table_new (NULL, NULL);
  Worker pushers[N_PUSHERS], set = { h, 0, 0 };
  GThread *threads[N_PUSHERS], *set_thread;
  guint from, n = 0;

  g_mutex_lock (&h->tally.lock);
  from = h->tally.said->len;
  g_mutex_unlock (&h->tally.lock);
  g_atomic_int_set (&h->stop, 0);
  set_thread = g_thread_new ("setter", setter, &set);
  for (guint i = 0; i < N_PUSHERS; i++) {
    pushers[i] = (Worker) {
    h, i, 0};
    threads[i] = g_thread_new ("pusher", exact_pusher, &pushers[i]);
  }
  for (guint i = 0; i < N_APPSRC_LINES; i++) {
    gchar *text = g_strdup_printf ("Appsrc line %u of round %u.", i,
        h->round);

    appsrc_push (h->appsrc, text);
    expect_text (expected, text);
    n++;
    g_free (text);
  }
  for (guint i = 0; i < N_PUSHERS; i++) {
    g_thread_join (threads[i]);
    for (guint j = 0; j < N_LINES; j++) {
      gchar *text = exact_text (i, j);

      expect_text (expected, text);
      n++;
      g_free (text);
    }
  }
  g_atomic_int_set (&h->stop, 1);
  g_thread_join (set_thread);
  fail_unless (set.n > 0);

  /* the end comes from upstream, after the appsrc's last buffer */
  {
    GstFlowReturn ret;
    guint eos = h->tally.eos;

    g_signal_emit_by_name (h->appsrc, "end-of-stream", &ret);
    fail_unless (tally_wait (&h->tally, &h->tally.eos, eos + 1),
        "round %u: no EOS", h->round);
  }
  fail_unless_equals_int (g_atomic_int_get (&h->problems.errors), 0);
  g_mutex_lock (&h->tally.lock);
  check_said_exactly (h->tally.said, from, expected, n);
  g_mutex_unlock (&h->tally.lock);
  g_hash_table_unref (expected);
}

static gpointer
storm_pusher (gpointer data)
{
  Worker *w = data;

  for (guint i = 0; !g_atomic_int_get (&w->h->stop); i++) {
    gchar *text = g_strdup_printf ("Storm %u, %u.", w->id, i);

    if (push_text (w->h->tts, text))
      w->n++;
    g_free (text);
    if (i % 4 == 0)
      g_usleep (100);
  }
  return NULL;
}

static gpointer
interrupter (gpointer data)
{
  Worker *w = data;

  while (!g_atomic_int_get (&w->h->stop)) {
    g_signal_emit_by_name (w->h->tts, "interrupt");
    w->n++;
    g_usleep (500);
  }
  return NULL;
}

/* upstream: text on the sink pad and flushing seeks of the appsrc */
static gpointer
seeker (gpointer data)
{
  Worker *w = data;

  for (guint i = 0; !g_atomic_int_get (&w->h->stop); i++) {
    gchar *text = g_strdup_printf ("Upstream says %u.", i);

    appsrc_push (w->h->appsrc, text);
    g_free (text);
    if (i % 3 == 0 && gst_element_seek_simple (w->h->appsrc,
            GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0))
      w->n++;
    g_usleep (700);
  }
  return NULL;
}

/* PLAYING -> PAUSED -> PLAYING, and now and then a full restart */
static gpointer
stater (gpointer data)
{
  Worker *w = data;

  for (guint i = 0; !g_atomic_int_get (&w->h->stop); i++) {
    GstState low = i % 4 == 3 ? GST_STATE_NULL : GST_STATE_PAUSED;

    fail_if (gst_element_set_state (w->h->pipeline, low) ==
        GST_STATE_CHANGE_FAILURE);
    g_usleep (1000);
    fail_if (gst_element_set_state (w->h->pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    w->n++;
    g_usleep (3000);
  }
  return NULL;
}

/* The sink pad goes and comes back while upstream pushes into it, the
 * way GStreamer wants a link changed under flowing data: appsrc's pad
 * blocked, appsrc unlinked, the pad released, a new one requested and
 * linked, appsrc's sticky events (stream-start, caps, segment) given to
 * the new pad, then the block lifted. (The item held by the block was
 * checked for sticky events before the block: without the copy, it would
 * reach the new pad first, "data flow before stream-start".) */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean blocked;
  gboolean released;            /* the probe is gone, its callback over */
} PadBlock;

static GstPadProbeReturn
on_blocked (GstPad * srcpad, GstPadProbeInfo * info, gpointer data)
{
  PadBlock *block = data;

  g_mutex_lock (&block->lock);
  block->blocked = TRUE;
  g_cond_signal (&block->cond);
  g_mutex_unlock (&block->lock);
  return GST_PAD_PROBE_OK;      /* stays blocked until removed */
}

static void
on_block_released (gpointer data)
{
  PadBlock *block = data;

  g_mutex_lock (&block->lock);
  block->released = TRUE;
  g_cond_signal (&block->cond);
  g_mutex_unlock (&block->lock);
}

static gboolean
give_sticky_event (GstPad * srcpad, GstEvent ** event, gpointer sinkpad)
{
  gst_pad_send_event (sinkpad, gst_event_ref (*event));
  return TRUE;
}

static gpointer
pad_cycler (gpointer data)
{
  Worker *w = data;
  Hammer *h = w->h;
  GstPad *srcpad = gst_element_get_static_pad (h->appsrc, "src");
  PadBlock block;

  g_mutex_init (&block.lock);
  g_cond_init (&block.cond);
  while (!g_atomic_int_get (&h->stop)) {
    GstPad *old = h->sinkpad;
    gulong id;

    block.blocked = block.released = FALSE;
    id = gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
        on_blocked, &block, on_block_released);
    /* blocked when appsrc next pushes something; it pushes until the
     * storm ends */
    g_mutex_lock (&block.lock);
    while (!block.blocked && !g_atomic_int_get (&h->stop))
      g_cond_wait_until (&block.cond, &block.lock,
          g_get_monotonic_time () + 10 * G_TIME_SPAN_MILLISECOND);
    g_mutex_unlock (&block.lock);

    if (block.blocked) {
      fail_unless (gst_pad_unlink (srcpad, old));
      gst_element_release_request_pad (h->tts, old);
      gst_object_unref (old);
      h->sinkpad = gst_element_request_pad_simple (h->tts, "sink");
      fail_unless (h->sinkpad != NULL);
      fail_unless_equals_int (gst_pad_link (srcpad, h->sinkpad),
          GST_PAD_LINK_OK);
      gst_pad_sticky_events_foreach (srcpad, give_sticky_event, h->sinkpad);
      w->n++;
    }
    gst_pad_remove_probe (srcpad, id);
    /* a callback under way finishes before the probe is released */
    g_mutex_lock (&block.lock);
    while (!block.released)
      g_cond_wait (&block.cond, &block.lock);
    g_mutex_unlock (&block.lock);
    g_usleep (2000);
  }
  gst_object_unref (srcpad);
  g_mutex_clear (&block.lock);
  g_cond_clear (&block.cond);
  return NULL;
}

/* Phase 2: the same with interruptions, flushing seeks upstream, state
 * changes and pad requests at once, for @ms; then a final text is spoken
 * exactly, and EOS. */
static void
hammer_storm (Hammer * h, guint ms)
{
  Worker workers[N_PUSHERS + 5];
  GThread *threads[N_PUSHERS + 5];
  GThreadFunc funcs[] = { interrupter, seeker, stater, setter, pad_cycler };
  const gchar *final = "After the storm, these last words are spoken whole.";
  GHashTable *expected = g_hash_table_new (NULL, NULL);
  guint n = G_N_ELEMENTS (threads), from, eos;

  g_atomic_int_set (&h->stop, 0);
  for (guint i = 0; i < n; i++) {
    workers[i] = (Worker) {
    h, i, 0};
    threads[i] = g_thread_new ("storm", i < N_PUSHERS ? storm_pusher :
        funcs[i - N_PUSHERS], &workers[i]);
  }
  g_usleep (ms * 1000);
  g_atomic_int_set (&h->stop, 1);
  for (guint i = 0; i < n; i++) {
    g_thread_join (threads[i]);
    /* each thread did its job at least once */
    fail_unless (workers[i].n > 0, "storm thread %u did nothing", i);
  }
  fail_unless_equals_int (g_atomic_int_get (&h->problems.errors), 0);

  /* calm again: one more text is spoken whole, then EOS */
  fail_if (gst_element_set_state (h->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  /* (the sink prerolls on the audio to come: a flush lost its preroll) */
  g_signal_emit_by_name (h->tts, "interrupt");
  g_mutex_lock (&h->tally.lock);
  from = h->tally.said->len;
  eos = h->tally.eos;
  g_mutex_unlock (&h->tally.lock);
  fail_unless (push_text (h->tts, final));
  g_signal_emit_by_name (h->tts, "end-of-stream");
  fail_unless (tally_wait (&h->tally, &h->tally.eos, eos + 1),
      "no EOS after the storm");
  expect_text (expected, final);
  g_mutex_lock (&h->tally.lock);
  check_said_exactly (h->tally.said, from, expected, 1);
  g_mutex_unlock (&h->tally.lock);
  fail_unless_equals_int (g_atomic_int_get (&h->problems.errors), 0);
  g_hash_table_unref (expected);
}

/* Item 10: one element hammered from many threads, three rounds: exact
 * without interruptions, and it still speaks after every storm */
GST_START_TEST (test_one_element_many_threads)
{
  for (guint round = 0; round < 3; round++) {
    Hammer h = { 0 };

    h.round = round;
    hammer_setup (&h);
    fail_if (gst_element_set_state (h.pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    hammer_exact (&h);
    /* the appsrc ended its stream: a new one for the storm */
    fail_unless_equals_int (gst_element_set_state (h.pipeline,
            GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    fail_if (gst_element_set_state (h.pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    hammer_storm (&h, 1500);
    hammer_teardown (&h);
  }
}

GST_END_TEST;

/* Item 9: a downstream that returns not-negotiated or error: an ERROR
 * message as GstBaseSrc posts it ("Internal data stream error", the flow
 * named), not a silent EOS */
static GstPadProbeReturn
refuse_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  gst_buffer_unref (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = NULL;
  GST_PAD_PROBE_INFO_FLOW_RETURN (info) = GPOINTER_TO_INT (user_data);
  return GST_PAD_PROBE_HANDLED;
}

static void
check_downstream_flow (GstFlowReturn flow)
{
  InworldEmulator *emu = inworld_emulator_start ("--speed=0", NULL);
  GstElement *tts;
  GstElement *pipeline = tts_pipeline (emu->uri, &tts);
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  GstPad *pad = gst_element_get_static_pad (tts, "src");
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;

  g_object_set (tts, "text", "Downstream takes none of this.", NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, refuse_buffer,
      GINT_TO_POINTER (flow), NULL);
  gst_object_unref (pad);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: neither EOS nor an error",
      gst_flow_get_name (flow));
  fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR,
      "%s downstream ended in a silent EOS", gst_flow_get_name (flow));
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (tts));
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FAILED), "%s", err->message);
  fail_unless (strstr (err->message, "Internal data stream error") != NULL,
      "%s", err->message);
  fail_unless (dbg && strstr (dbg, gst_flow_get_name (flow)) != NULL,
      "%s", dbg);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  inworld_emulator_stop (emu);
}

GST_START_TEST (test_downstream_not_negotiated)
{
  check_downstream_flow (GST_FLOW_NOT_NEGOTIATED);
}

GST_END_TEST;

GST_START_TEST (test_downstream_error)
{
  check_downstream_flow (GST_FLOW_ERROR);
}

GST_END_TEST;

/* Item 9: interrupt () racing a restart. The FLUSH_START that interrupt
 * () pushes downstream is held (in the interrupting thread) until another
 * thread has taken the pipeline to NULL and back to PLAYING, or for 300
 * ms if the element makes that restart wait for the interruption (as it
 * should). Afterwards the element speaks what it is given and ends on
 * end-of-stream. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GstElement *pipeline;
  gboolean armed, restarted;
} Race;

static gpointer
restarter (gpointer data)
{
  Race *r = data;

  fail_if (gst_element_set_state (r->pipeline, GST_STATE_NULL) ==
      GST_STATE_CHANGE_FAILURE);
  fail_if (gst_element_set_state (r->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  g_mutex_lock (&r->lock);
  r->restarted = TRUE;
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
  return NULL;
}

static GstPadProbeReturn
restart_in_flush (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Race *r = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gint64 end = g_get_monotonic_time () + 300 * G_TIME_SPAN_MILLISECOND;
  GThread *thread;

  if (GST_EVENT_TYPE (event) != GST_EVENT_FLUSH_START)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&r->lock);
  if (!r->armed) {
    g_mutex_unlock (&r->lock);
    return GST_PAD_PROBE_OK;
  }
  r->armed = FALSE;
  thread = g_thread_new ("restarter", restarter, r);
  g_thread_unref (thread);
  while (!r->restarted && g_cond_wait_until (&r->cond, &r->lock, end));
  g_mutex_unlock (&r->lock);
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_interrupt_races_restart)
{
  InworldEmulator *emu = inworld_emulator_start ("--speed=0", NULL);
  GstElement *tts;
  GstElement *pipeline = tts_pipeline (emu->uri, &tts);
  Tally t;
  Race r = { 0 };
  GstPad *pad = gst_element_get_static_pad (tts, "src");

  g_mutex_init (&r.lock);
  g_cond_init (&r.cond);
  r.pipeline = pipeline;
  tally_init (&t);
  tally_attach (&t, tts);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_FLUSH, restart_in_flush,
      &r, NULL);
  gst_object_unref (pad);

  for (guint i = 0; i < 20; i++) {
    gchar *first = g_strdup_printf ("Cut short %u.", i);
    GHashTable *expected = g_hash_table_new (NULL, NULL);
    guint buffers, eos, from;

    fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    g_mutex_lock (&t.lock);
    buffers = t.buffers;
    g_mutex_unlock (&t.lock);
    fail_unless (push_text (tts, first));
    /* speaking: the interruption goes through FLUSH_START */
    fail_unless (tally_wait (&t, &t.buffers, buffers + 1), "%u: no audio", i);
    g_mutex_lock (&r.lock);
    r.armed = TRUE;
    r.restarted = FALSE;
    g_mutex_unlock (&r.lock);
    g_signal_emit_by_name (tts, "interrupt");
    g_mutex_lock (&r.lock);
    while (!r.restarted)
      g_cond_wait (&r.cond, &r.lock);
    g_mutex_unlock (&r.lock);

    /* a new stream: text queued now is spoken, then EOS */
    g_mutex_lock (&t.lock);
    eos = t.eos;
    from = t.said->len;
    g_mutex_unlock (&t.lock);
    for (guint j = 0; j < 3; j++) {
      gchar *text = g_strdup_printf ("After restart %u, line %u.", i, j);

      fail_unless (push_text (tts, text), "%u: text refused", i);
      expect_text (expected, text);
      g_free (text);
    }
    g_signal_emit_by_name (tts, "end-of-stream");
    fail_unless (tally_wait (&t, &t.eos, eos + 1), "%u: no EOS after "
        "end-of-stream", i);
    g_mutex_lock (&t.lock);
    check_said_exactly (t.said, from, expected, 3);
    g_mutex_unlock (&t.lock);
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    g_hash_table_unref (expected);
    g_free (first);
  }

  gst_object_unref (pipeline);
  tally_clear (&t);
  g_mutex_clear (&r.lock);
  g_cond_clear (&r.cond);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* Item 9: release_pad while the released pad's chain function runs (a
 * thread pushes on the sink pad, as upstream would, while another
 * releases it and requests a new one): no crash; once release returns,
 * the old pad takes nothing more (FLUSHING); every buffer it took is
 * spoken exactly once. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GstPad *pad;
  gboolean released, done;
  guint accepted;               /* chains that returned OK */
  guint late_ok;                /* OK after release returned */
  guint serial;
  GHashTable *expected;
} Chainer;

static gpointer
chainer (gpointer data)
{
  Chainer *c = data;

  for (;;) {
    gboolean released;
    gchar *text;
    GstFlowReturn ret;

    g_mutex_lock (&c->lock);
    released = c->released;
    text = g_strdup_printf ("Chained text %u%.*s.", c->serial, c->serial % 7,
        "abcdefg");
    c->serial++;
    g_mutex_unlock (&c->lock);
    ret = gst_pad_chain (c->pad, gst_buffer_new_memdup (text, strlen (text)));
    g_mutex_lock (&c->lock);
    if (ret == GST_FLOW_OK) {
      c->accepted++;
      expect_text (c->expected, text);
      if (released)
        c->late_ok++;
    } else {
      fail_unless_equals_int (ret, GST_FLOW_FLUSHING);
    }
    g_cond_broadcast (&c->cond);
    g_mutex_unlock (&c->lock);
    g_free (text);
    if (released)
      break;
  }
  return NULL;
}

GST_START_TEST (test_release_pad_while_chained)
{
  InworldEmulator *emu = inworld_emulator_start ("--speed=0", NULL);
  GstElement *tts;
  GstElement *pipeline = tts_pipeline (emu->uri, &tts);
  Tally t;
  Chainer c = { 0 };
  guint eos;

  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  c.expected = g_hash_table_new (NULL, NULL);
  tally_init (&t);
  tally_attach (&t, tts);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);

  for (guint i = 0; i < 100; i++) {
    GstPad *pad = gst_element_request_pad_simple (tts, "sink");
    GThread *thread;
    guint accepted;
    GstSegment segment;
    GstCaps *caps;

    fail_unless (pad != NULL, "%u: no sink pad", i);
    fail_unless (gst_pad_is_active (pad));
    /* what upstream sends before data */
    gst_segment_init (&segment, GST_FORMAT_TIME);
    fail_unless (gst_pad_send_event (pad,
            gst_event_new_stream_start ("chained")));
    caps = gst_caps_from_string ("text/x-raw, format=utf8");
    fail_unless (gst_pad_send_event (pad, gst_event_new_caps (caps)));
    gst_caps_unref (caps);
    fail_unless (gst_pad_send_event (pad, gst_event_new_segment (&segment)));
    g_mutex_lock (&c.lock);
    c.pad = pad;
    c.released = FALSE;
    accepted = c.accepted;
    g_mutex_unlock (&c.lock);
    thread = g_thread_new ("chainer", chainer, &c);
    /* release while it chains */
    g_mutex_lock (&c.lock);
    while (c.accepted < accepted + 1 + i % 3)
      g_cond_wait (&c.cond, &c.lock);
    g_mutex_unlock (&c.lock);
    gst_element_release_request_pad (tts, pad);
    g_mutex_lock (&c.lock);
    c.released = TRUE;
    g_mutex_unlock (&c.lock);
    g_thread_join (thread);
    fail_unless_equals_int (c.late_ok, 0);
    fail_if (gst_pad_is_active (pad), "%u: released pad still active", i);
    gst_object_unref (pad);
  }

  g_mutex_lock (&t.lock);
  eos = t.eos;
  g_mutex_unlock (&t.lock);
  g_signal_emit_by_name (tts, "end-of-stream");
  fail_unless (tally_wait (&t, &t.eos, eos + 1), "no EOS");
  g_mutex_lock (&t.lock);
  check_said_exactly (t.said, 0, c.expected, c.accepted);
  g_mutex_unlock (&t.lock);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
  tally_clear (&t);
  g_hash_table_unref (c.expected);
  g_mutex_clear (&c.lock);
  g_cond_clear (&c.cond);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static Suite *
stress_suite (void)
{
  Suite *s = suite_create ("inworldttssrc-stress");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_fifty_elements);
  tcase_add_test (tc, test_thousand_state_cycles);
  tcase_add_test (tc, test_one_element_many_threads);
  tcase_add_test (tc, test_downstream_not_negotiated);
  tcase_add_test (tc, test_downstream_error);
  tcase_add_test (tc, test_interrupt_races_restart);
  tcase_add_test (tc, test_release_pad_while_chained);
  return s;
}

GST_CHECK_MAIN (stress);
