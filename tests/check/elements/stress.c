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

static Suite *
stress_suite (void)
{
  Suite *s = suite_create ("inworldttssrc-stress");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_fifty_elements);
  tcase_add_test (tc, test_thousand_state_cycles);
  return s;
}

GST_CHECK_MAIN (stress);
