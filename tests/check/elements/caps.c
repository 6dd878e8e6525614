/* inworldttssrc caps: early caps of a live element, renegotiation
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Against the emulator:
 *
 *  - a live element announces stream-start, caps and segment in PAUSED,
 *    before any text (PCM and Opus); Opus caps gain their streamheader
 *    when the audio comes, and the audio is valid under them;
 *  - inworldttssrc is-live=true ! audio/x-opus ! rtpopuspay: the payloader
 *    has its caps before any text;
 *  - a capsfilter changed between two utterances (RECONFIGURE): the second
 *    is spoken at the new rate, with new caps before its audio; when the
 *    format cannot change (another encoding, a rate SLNG lacks), a
 *    warning says why and the speech keeps its format. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "emulator-fixture.h"
#include "recorder.h"
#include "inworld-test-signal.h"

#define TIMEOUT (30 * GST_SECOND)
/* live: a latency that slow runs (valgrind) do not exceed, so that no
 * lateness warning comes */
#define LIVE "is-live=true latency=10000000000"

static const gchar *first_text = "The first utterance, at the first rate.";
static const gchar *second_text = "And the second one, at the new rate.";

typedef struct
{
  InworldEmulator *emu;
  GstElement *pipeline, *tts, *filter;
  GstBus *bus;
  Rec rec;
} Run;

/* "inworldttssrc name=tts ... ! capsfilter name=f caps=@caps ! @tail" */
static Run *
run_new (const gchar * tts_props, const gchar * caps, const gchar * tail,
    gboolean slng)
{
  Run *run = g_new0 (Run, 1);
  GError *error = NULL;
  gchar *desc, *uri;

  run->emu = inworld_emulator_start (NULL);
  desc = g_strdup_printf ("inworldttssrc name=tts %s ! capsfilter name=f "
      "caps=\"%s\" ! %s", tts_props, caps, tail);
  run->pipeline = gst_parse_launch (desc, &error);
  fail_unless (run->pipeline != NULL, "%s: %s", desc,
      error ? error->message : "?");
  g_free (desc);
  run->tts = gst_bin_get_by_name (GST_BIN (run->pipeline), "tts");
  run->filter = gst_bin_get_by_name (GST_BIN (run->pipeline), "f");
  uri = slng ? inworld_emulator_slng_uri (run->emu) : g_strdup (run->emu->uri);
  g_object_set (run->tts, "uri", uri, "api-key", TEST_API_KEY, NULL);
  g_free (uri);
  run->bus = gst_element_get_bus (run->pipeline);
  rec_init (&run->rec);
  rec_attach (&run->rec, run->tts, run->bus);
  return run;
}

static void
run_free (Run * run)
{
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (run->bus, NULL, NULL, NULL);
  gst_object_unref (run->bus);
  gst_object_unref (run->filter);
  gst_object_unref (run->tts);
  gst_object_unref (run->pipeline);
  rec_clear (&run->rec);
  inworld_emulator_stop (run->emu);
  g_free (run);
}

static void
push_text (Run * run, const gchar * text)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (run->tts, "push-text", text, TRUE, &ok);
  fail_unless (ok, "push-text refused");
}

static guint
count_caps (Run * run)
{
  guint n = 0;

  for (guint i = 0; i < run->rec.log->len; i++) {
    GstMiniObject *o = LOG_AT (&run->rec, i);

    if (GST_IS_EVENT (o) && GST_EVENT_TYPE (o) == GST_EVENT_CAPS)
      n++;
  }
  return n;
}

/* Waits until @n caps events left the element (or an error came). */
static gboolean
wait_caps (Run * run, guint n)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT / GST_USECOND;
  gboolean ok;

  g_mutex_lock (&run->rec.lock);
  while (count_caps (run) < n && run->rec.errors == 0)
    if (!g_cond_wait_until (&run->rec.cond, &run->rec.lock, deadline))
      break;
  ok = count_caps (run) >= n;
  g_mutex_unlock (&run->rec.lock);
  return ok;
}

/* The caps of the @n-th caps event logged (from 0), or NULL. */
static GstCaps *
caps_at (Run * run, guint n)
{
  for (guint i = 0; i < run->rec.log->len; i++) {
    GstMiniObject *o = LOG_AT (&run->rec, i);

    if (GST_IS_EVENT (o) && GST_EVENT_TYPE (o) == GST_EVENT_CAPS && n-- == 0) {
      GstCaps *caps;

      gst_event_parse_caps (GST_EVENT (o), &caps);
      return caps;
    }
  }
  return NULL;
}

static gint
caps_rate (GstCaps * caps)
{
  gint rate = 0;

  fail_unless (gst_structure_get_int (gst_caps_get_structure (caps, 0),
          "rate", &rate));
  return rate;
}

/* Index in the log of the @n-th (from 0) event of @type, or -1. */
static gint
event_index (Run * run, GstEventType type, guint n)
{
  for (guint i = 0; i < run->rec.log->len; i++) {
    GstMiniObject *o = LOG_AT (&run->rec, i);

    if (GST_IS_EVENT (o) && GST_EVENT_TYPE (o) == type && n-- == 0)
      return i;
  }
  return -1;
}

/* Samples of raw S16 audio in log entries [@from, @to). */
static guint64
raw_samples (Run * run, guint from, guint to)
{
  guint64 n = 0;

  for (guint i = from; i < to; i++) {
    GstMiniObject *o = LOG_AT (&run->rec, i);

    if (GST_IS_BUFFER (o))
      n += gst_buffer_get_size (GST_BUFFER (o)) / 2;
  }
  return n;
}

/* Index of the @n-th (from 0) flush-completed event, or -1. */
static gint
flush_index (Run * run, guint n)
{
  for (guint i = 0; i < run->rec.log->len; i++) {
    GstMiniObject *o = LOG_AT (&run->rec, i);

    if (GST_IS_EVENT (o) && gst_event_has_name (GST_EVENT (o),
            "inworld-flush-completed") && n-- == 0)
      return i;
  }
  return -1;
}

static void
set_state (Run * run, GstState state)
{
  GstStateChangeReturn ret = gst_element_set_state (run->pipeline, state);

  fail_if (ret == GST_STATE_CHANGE_FAILURE);
}

/* ------------------------------------------------------------------------
 * Early caps
 * ------------------------------------------------------------------------ */

static const struct
{
  const gchar *caps;
  const gchar *media_type;
  gint rate;
} early_cases[] = {
  {"audio/x-raw,rate=24000", "audio/x-raw", 24000},
  {"audio/x-opus,rate=48000", "audio/x-opus", 48000},
};

/* A live element: stream-start, caps, segment in PAUSED before any text;
 * then the speech under caps that are still (or now more) valid. */
GST_START_TEST (test_live_caps_before_text)
{
  Run *run = run_new (LIVE, early_cases[__i__].caps,
      "fakesink sync=false", FALSE);
  GstCaps *caps;
  GstStructure *s;
  gint start, seg, caps0, last_caps, first_buffer = -1;
  guint n_caps;

  /* PAUSED is where a live source stays until PLAYING: no text yet */
  fail_unless_equals_int (gst_element_set_state (run->pipeline,
          GST_STATE_PAUSED), GST_STATE_CHANGE_NO_PREROLL);
  rec_fail_unless_waited (&run->rec, wait_caps (run, 1), "caps in PAUSED");

  g_mutex_lock (&run->rec.lock);
  fail_unless_equals_int (run->rec.buffers, 0);
  start = event_index (run, GST_EVENT_STREAM_START, 0);
  caps0 = event_index (run, GST_EVENT_CAPS, 0);
  fail_unless (start >= 0 && start < caps0);
  caps = caps_at (run, 0);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_caps_is_fixed (caps), "%" GST_PTR_FORMAT, caps);
  fail_unless (gst_structure_has_name (s, early_cases[__i__].media_type),
      "%" GST_PTR_FORMAT, caps);
  fail_unless_equals_int (caps_rate (caps), early_cases[__i__].rate);
  if (gst_structure_has_name (s, "audio/x-opus")) {
    gint family = -1;

    fail_unless (gst_structure_get_int (s, "channel-mapping-family", &family));
    fail_unless_equals_int (family, 0);
  }
  g_mutex_unlock (&run->rec.lock);

  /* the segment follows the caps (it may be on its way still) */
  set_state (run, GST_STATE_PLAYING);
  push_text (run, first_text);
  rec_fail_unless_waited (&run->rec, rec_wait (&run->rec, &run->rec.flushes,
          1, TIMEOUT), "the flush-completed event");
  rec_fail_if_problem (&run->rec);

  g_mutex_lock (&run->rec.lock);
  seg = event_index (run, GST_EVENT_SEGMENT, 0);
  fail_unless (seg > caps0);
  for (guint i = 0; i < run->rec.log->len && first_buffer < 0; i++)
    if (GST_IS_BUFFER (LOG_AT (&run->rec, i)))
      first_buffer = i;
  fail_unless (first_buffer > seg);
  /* the caps the audio goes out under: Opus' with its streamheader, sent
   * before the header buffers */
  n_caps = count_caps (run);
  last_caps = event_index (run, GST_EVENT_CAPS, n_caps - 1);
  fail_unless (last_caps < first_buffer);
  caps = caps_at (run, n_caps - 1);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_has_name (s, early_cases[__i__].media_type));
  fail_unless_equals_int (caps_rate (caps), early_cases[__i__].rate);
  fail_unless (gst_caps_is_subset (caps, caps_at (run, 0)),
      "%" GST_PTR_FORMAT " is not the first caps with more",
      caps, caps_at (run, 0));
  if (gst_structure_has_name (s, "audio/x-opus")) {
    fail_unless_equals_int (n_caps, 2);
    fail_unless (gst_structure_has_field (s, "streamheader"));
  } else {
    fail_unless_equals_int (n_caps, 1);
    fail_unless_equals_int (raw_samples (run, 0, run->rec.log->len),
        inworld_test_signal_n_samples (first_text, 24000));
  }
  g_mutex_unlock (&run->rec.lock);
  run_free (run);
}

GST_END_TEST;

static GstPadProbeReturn
caps_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Rec *rec = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS) {
    g_mutex_lock (&rec->lock);
    g_ptr_array_add (rec->log, gst_event_ref (GST_PAD_PROBE_INFO_EVENT (info)));
    g_cond_broadcast (&rec->cond);
    g_mutex_unlock (&rec->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* inworldttssrc is-live=true ! audio/x-opus ! rtpopuspay ! fakesink: the
 * payloader has negotiated its RTP caps before any text. */
GST_START_TEST (test_rtpopuspay_before_text)
{
  Run *run = run_new (LIVE, "audio/x-opus",
      "rtpopuspay name=pay ! fakesink sync=false", FALSE);
  GstElement *pay = gst_bin_get_by_name (GST_BIN (run->pipeline), "pay");
  GstPad *paysrc = gst_element_get_static_pad (pay, "src");
  Rec rtp;
  GstCaps *caps;
  GstState state;
  gint64 deadline = g_get_monotonic_time () + TIMEOUT / GST_USECOND;
  gboolean ok;

  rec_init (&rtp);
  gst_pad_add_probe (paysrc, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, caps_probe,
      &rtp, NULL);
  set_state (run, GST_STATE_PLAYING);
  fail_unless_equals_int (gst_element_get_state (run->pipeline, &state, NULL,
          TIMEOUT), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);

  g_mutex_lock (&rtp.lock);
  while (rtp.log->len == 0)
    if (!g_cond_wait_until (&rtp.cond, &rtp.lock, deadline))
      break;
  ok = rtp.log->len > 0;
  g_mutex_unlock (&rtp.lock);
  rec_fail_unless_waited (&run->rec, ok, "rtpopuspay's caps before text");
  g_mutex_lock (&run->rec.lock);
  fail_unless_equals_int (run->rec.buffers, 0);
  g_mutex_unlock (&run->rec.lock);
  caps = gst_pad_get_current_caps (paysrc);
  fail_unless (caps != NULL);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "application/x-rtp"), "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);

  /* then the speech goes through it */
  push_text (run, first_text);
  rec_fail_unless_waited (&run->rec, rec_wait (&run->rec, &run->rec.flushes,
          1, TIMEOUT), "the flush-completed event");
  rec_fail_if_problem (&run->rec);
  fail_unless (run->rec.buffers > 0);

  gst_object_unref (paysrc);
  gst_object_unref (pay);
  run_free (run);
  rec_clear (&rtp);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Renegotiation
 * ------------------------------------------------------------------------ */

static void
set_filter (Run * run, const gchar * caps_string)
{
  GstCaps *caps = gst_caps_from_string (caps_string);

  g_object_set (run->filter, "caps", caps, NULL);
  gst_caps_unref (caps);
}

/* Speaks the first text, changes the capsfilter, speaks the second. */
static void
speak_two (Run * run, const gchar * new_caps)
{
  set_state (run, GST_STATE_PLAYING);
  push_text (run, first_text);
  rec_fail_unless_waited (&run->rec, rec_wait (&run->rec, &run->rec.flushes,
          1, TIMEOUT), "the first flush-completed event");
  set_filter (run, new_caps);
  push_text (run, second_text);
  rec_fail_unless_waited (&run->rec, rec_wait (&run->rec, &run->rec.flushes,
          2, TIMEOUT), "the second flush-completed event");
}

/* PCM at 24000 Hz, then the capsfilter asks for 16000 Hz between two
 * push-texts: the second utterance is at 16000 Hz, its caps before it. */
GST_START_TEST (test_renegotiate_rate)
{
  Run *run = run_new ("", "audio/x-raw,rate=24000", "fakesink sync=false",
      FALSE);
  gint first_end, second_caps;

  speak_two (run, "audio/x-raw,rate=16000");
  rec_fail_if_problem (&run->rec);

  g_mutex_lock (&run->rec.lock);
  fail_unless_equals_int (count_caps (run), 2);
  fail_unless_equals_int (caps_rate (caps_at (run, 0)), 24000);
  fail_unless_equals_int (caps_rate (caps_at (run, 1)), 16000);
  first_end = flush_index (run, 0);
  second_caps = event_index (run, GST_EVENT_CAPS, 1);
  /* the new caps come after the first utterance, before the second */
  fail_unless (second_caps > first_end);
  fail_unless_equals_uint64 (raw_samples (run, 0, first_end),
      inworld_test_signal_n_samples (first_text, 24000));
  fail_unless_equals_uint64 (raw_samples (run, first_end, second_caps), 0);
  fail_unless_equals_uint64 (raw_samples (run, second_caps,
          flush_index (run, 1)), inworld_test_signal_n_samples (second_text,
          16000));
  g_mutex_unlock (&run->rec.lock);
  run_free (run);
}

GST_END_TEST;

/* The first message of a warning logged, or NULL (g_free). */
static gchar *
first_warning (Run * run, GQuark * domain, gint * code)
{
  for (guint i = 0; i < run->rec.log->len; i++) {
    GstMiniObject *o = LOG_AT (&run->rec, i);
    GError *error = NULL;
    gchar *message;

    if (!GST_IS_MESSAGE (o)
        || GST_MESSAGE_TYPE (GST_MESSAGE (o)) != GST_MESSAGE_WARNING)
      continue;
    gst_message_parse_warning (GST_MESSAGE (o), &error, NULL);
    *domain = error->domain;
    *code = error->code;
    message = g_strdup (error->message);
    g_error_free (error);
    return message;
  }
  return NULL;
}

static const struct
{
  const gchar *props;
  const gchar *new_caps;
  gboolean slng;
  const gchar *cause;
} refused_cases[] = {
  /* another encoding midway */
  {"", "audio/x-opus", FALSE, "cannot change its encoding"},
  /* a rate the API has and SLNG does not */
  {"", "audio/x-raw,rate=12000", TRUE,
      "12000 Hz, a rate the slng protocol does not have"},
};

/* The format cannot change: a warning names the cause, the speech keeps
 * its format (no new caps; the second utterance at the old rate). */
GST_START_TEST (test_renegotiate_refused)
{
  Run *run = run_new (refused_cases[__i__].props, "audio/x-raw,rate=24000",
      "fakesink sync=false", refused_cases[__i__].slng);
  GQuark domain = 0;
  gint code = 0, first_end;
  gchar *warning;

  speak_two (run, refused_cases[__i__].new_caps);
  g_mutex_lock (&run->rec.lock);
  fail_unless_equals_int (run->rec.errors, 0);
  fail_unless_equals_int (run->rec.warnings, 1);
  warning = first_warning (run, &domain, &code);
  fail_unless (domain == GST_CORE_ERROR && code ==
      GST_CORE_ERROR_NEGOTIATION, "%s", warning);
  fail_unless (strstr (warning, refused_cases[__i__].cause) != NULL, "%s",
      warning);
  g_free (warning);
  fail_unless_equals_int (count_caps (run), 1);
  first_end = flush_index (run, 0);
  fail_unless_equals_uint64 (raw_samples (run, first_end,
          flush_index (run, 1)), inworld_test_signal_n_samples (second_text,
          24000));
  g_mutex_unlock (&run->rec.lock);
  run_free (run);
}

GST_END_TEST;

static Suite *
caps_suite (void)
{
  Suite *s = suite_create ("inworldttssrc-caps");
  TCase *tc = tcase_create ("caps");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_loop_test (tc, test_live_caps_before_text, 0,
      G_N_ELEMENTS (early_cases));
  tcase_add_test (tc, test_rtpopuspay_before_text);
  tcase_add_test (tc, test_renegotiate_rate);
  tcase_add_loop_test (tc, test_renegotiate_refused, 0,
      G_N_ELEMENTS (refused_cases));
  return s;
}

GST_CHECK_MAIN (caps);
