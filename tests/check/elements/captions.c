/* inworldttssrc: captions on the text_src request pad
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The text_src pad against the emulator, in real pipelines (a queue on
 * each branch, as docs/captions.md says): the words and their times
 * against the inworld-word-timing messages and the audio, utterance
 * captions against the audio and the flush-completed events, GAP events
 * covering the text timeline without overlap, interruptions, EOS, the
 * timings asked of the server, and an MKV file with both tracks. */

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsrc.h>
#include <gst/pbutils/pbutils.h>
#include <glib/gstdio.h>
#include <string.h>

#include "emulator-fixture.h"

#define RATE 16000
#define WAIT (30 * GST_SECOND)

/* One thing that left the element, in the order the task made it: on the
 * audio pad ('a'), on text_src ('t'), or a message it posted ('m'). */
typedef struct
{
  gchar where;
  GstMiniObject *obj;
} Entry;

typedef struct
{
  GstElement *pipe, *el;
  GstPad *text;
  GMutex lock;
  GCond cond;
  GArray *log;                  /* Entry */
  guint text_buffers, audio_eos, text_eos, text_flush_stops, flushes;
  guint errors;
  gchar *error;
} C;

static void
c_log (C * c, gchar where, GstMiniObject * obj)
{
  Entry e = { where, gst_mini_object_ref (obj) };

  g_mutex_lock (&c->lock);
  g_array_append_val (c->log, e);
  if (GST_IS_BUFFER (obj) && where == 't')
    c->text_buffers++;
  if (GST_IS_EVENT (obj)) {
    GstEvent *ev = GST_EVENT (obj);

    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      (where == 't') ? c->text_eos++ : c->audio_eos++;
    if (GST_EVENT_TYPE (ev) == GST_EVENT_FLUSH_STOP && where == 't')
      c->text_flush_stops++;
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM
        && gst_event_has_name (ev, "inworld-flush-completed"))
      c->flushes++;
  }
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
}

static GstPadProbeReturn
audio_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  c_log (user_data, 'a', GST_PAD_PROBE_INFO_DATA (info));
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
text_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  c_log (user_data, 't', GST_PAD_PROBE_INFO_DATA (info));
  return GST_PAD_PROBE_OK;
}

static GstBusSyncReply
bus_sync (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  C *c = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    g_mutex_lock (&c->lock);
    c->errors++;
    if (c->error == NULL)
      c->error = g_strdup (err->message);
    g_cond_broadcast (&c->cond);
    g_mutex_unlock (&c->lock);
    g_error_free (err);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
      && GST_MESSAGE_SRC (msg) == GST_OBJECT (c->el)) {
    c_log (c, 'm', GST_MINI_OBJECT (msg));
  }
  return GST_BUS_PASS;
}

#define PROBE_MASK (GST_PAD_PROBE_TYPE_BUFFER | \
    GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH)

/* inworldttssrc ! queue ! raw 16 kHz ! fakesink, text_src ! queue !
 * fakesink; with @appsrc, an appsrc of timed text on its sink pad. */
static C *
c_new (InworldEmulator * emu, gboolean appsrc, const gchar * first_prop, ...)
{
  C *c = g_new0 (C, 1);
  GstBus *bus;
  GstPad *src;
  va_list args;
  gchar *desc;
  GError *err = NULL;

  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  c->log = g_array_new (FALSE, FALSE, sizeof (Entry));
  desc = g_strdup_printf ("%s inworldttssrc name=el ! queue ! "
      "audio/x-raw,format=S16LE,rate=%d,channels=1 ! fakesink sync=false "
      "el.text_src ! queue ! fakesink sync=false", appsrc ?
      "appsrc name=text format=time caps=text/x-raw,format=utf8 ! el.sink" :
      "", RATE);
  c->pipe = gst_parse_launch (desc, &err);
  g_free (desc);
  fail_unless (c->pipe != NULL, "%s", err ? err->message : "?");
  c->el = gst_bin_get_by_name (GST_BIN (c->pipe), "el");
  g_object_set (c->el, "uri", emu->uri, "api-key", TEST_API_KEY, NULL);
  va_start (args, first_prop);
  if (first_prop)
    g_object_set_valist (G_OBJECT (c->el), first_prop, args);
  va_end (args);

  c->text = gst_element_get_static_pad (c->el, "text_src");
  fail_unless (c->text != NULL, "no text_src pad");
  gst_pad_add_probe (c->text, PROBE_MASK, text_probe, c, NULL);
  src = gst_element_get_static_pad (c->el, "src");
  gst_pad_add_probe (src, PROBE_MASK, audio_probe, c, NULL);
  gst_object_unref (src);
  bus = gst_element_get_bus (c->pipe);
  gst_bus_set_sync_handler (bus, bus_sync, c, NULL);
  gst_object_unref (bus);
  return c;
}

static void
c_free (C * c)
{
  GstBus *bus;

  gst_element_set_state (c->pipe, GST_STATE_NULL);
  bus = gst_element_get_bus (c->pipe);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  for (guint i = 0; i < c->log->len; i++)
    gst_mini_object_unref (g_array_index (c->log, Entry, i).obj);
  g_array_free (c->log, TRUE);
  gst_object_unref (c->text);
  gst_object_unref (c->el);
  gst_object_unref (c->pipe);
  g_free (c->error);
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
  g_free (c);
}

/* Waits until *@counter reaches @n (or an error comes). */
static void
c_wait (C * c, guint * counter, guint n, const gchar * what)
{
  gint64 end = g_get_monotonic_time () + WAIT / GST_USECOND;
  gboolean ok = TRUE;

  g_mutex_lock (&c->lock);
  while (*counter < n && c->errors == 0 && ok)
    ok = g_cond_wait_until (&c->cond, &c->lock, end);
  ok = *counter >= n;
  g_mutex_unlock (&c->lock);
  fail_unless (ok, "%s did not come (error: %s)", what,
      c->error ? c->error : "none");
}

/* Both pads got EOS: nothing is logged any more. */
static void
c_wait_eos (C * c)
{
  c_wait (c, &c->text_eos, 1, "EOS on text_src");
  c_wait (c, &c->audio_eos, 1, "EOS on src");
}

static void
c_play (C * c)
{
  fail_if (gst_element_set_state (c->pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
}

static gboolean
push_text (C * c, const gchar * text, gboolean flush)
{
  gboolean ret = FALSE;

  g_signal_emit_by_name (c->el, "push-text", text, flush, &ret);
  return ret;
}

static void
end_of_stream (C * c)
{
  g_signal_emit_by_name (c->el, "end-of-stream");
}

#define ENTRY(c, i) (&g_array_index ((c)->log, Entry, (i)))

static gboolean
is_event (Entry * e, gchar where, GstEventType type)
{
  return e->where == where && GST_IS_EVENT (e->obj)
      && GST_EVENT_TYPE (GST_EVENT (e->obj)) == type;
}

/* the audio pad's inworld-flush-completed (not its speech-started) */
static gboolean
is_done (Entry * e)
{
  return is_event (e, 'a', GST_EVENT_CUSTOM_DOWNSTREAM)
      && gst_event_has_name (GST_EVENT (e->obj), "inworld-flush-completed");
}

static gboolean
is_timing (Entry * e)
{
  return e->where == 'm' && gst_message_has_name (GST_MESSAGE (e->obj),
      "inworld-word-timing");
}

static gchar *
buffer_text (GstBuffer * buf)
{
  GstMapInfo map;
  gchar *text;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  text = g_strndup ((const gchar *) map.data, map.size);
  gst_buffer_unmap (buf, &map);
  return text;
}

/* The text timeline is covered without overlap: from @from to @to
 * (indices of the log), every caption and GAP starts exactly where the
 * one before ended (the first where it is); returns the end. */
static GstClockTime
check_contiguous (C * c, guint from, guint to, GstClockTime start)
{
  GstClockTime cursor = start;

  for (guint i = from; i < to; i++) {
    Entry *e = ENTRY (c, i);
    GstClockTime ts, dur;

    if (e->where != 't')
      continue;
    if (GST_IS_BUFFER (e->obj)) {
      ts = GST_BUFFER_PTS (e->obj);
      dur = GST_BUFFER_DURATION (e->obj);
      fail_unless (GST_CLOCK_TIME_IS_VALID (ts)
          && GST_CLOCK_TIME_IS_VALID (dur));
    } else if (is_event (e, 't', GST_EVENT_GAP)) {
      gst_event_parse_gap (GST_EVENT (e->obj), &ts, &dur);
    } else {
      continue;
    }
    if (!GST_CLOCK_TIME_IS_VALID (cursor))
      cursor = ts;
    fail_unless_equals_uint64 (ts, cursor);
    cursor = ts + dur;
  }
  return cursor;
}

/* Audio end: the timestamp of the last flush-completed event. */
static GstClockTime
last_flush_end (C * c)
{
  GstClockTime end = GST_CLOCK_TIME_NONE;

  for (guint i = 0; i < c->log->len; i++) {
    Entry *e = ENTRY (c, i);

    if (is_done (e))
      gst_structure_get_clock_time (gst_event_get_structure (GST_EVENT
              (e->obj)), "timestamp", &end);
  }
  return end;
}

static const gchar words_text[] =
    "The quick brown fox, 42 times, jumps over the lazy dog.";

/* Word captions: the emulator's words in order, each with the PTS and
 * duration of its inworld-word-timing message, within the audio; the text
 * timeline contiguous from 0 to the audio's end; EOS on both pads. */
GST_START_TEST (test_word_captions)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  C *c = c_new (emu, FALSE, "text", words_text, NULL);
  gchar **words = g_strsplit (words_text, " ", -1);
  guint n_words = g_strv_length (words);
  GPtrArray *captions = g_ptr_array_new ();
  GPtrArray *timings = g_ptr_array_new ();
  guint64 samples = 0;
  GstClockTime end;
  Entry *last = NULL;

  gst_util_set_object_arg (G_OBJECT (c->el), "timestamp-type", "word");
  c_play (c);
  c_wait_eos (c);

  for (guint i = 0; i < c->log->len; i++) {
    Entry *e = ENTRY (c, i);

    if (e->where == 'a' && GST_IS_BUFFER (e->obj))
      samples += gst_buffer_get_size (GST_BUFFER (e->obj)) / 2;
    if (e->where == 't' && GST_IS_BUFFER (e->obj))
      g_ptr_array_add (captions, e->obj);
    if (is_timing (e))
      g_ptr_array_add (timings, e->obj);
    if (e->where == 't')
      last = e;
  }
  fail_unless_equals_int (captions->len, n_words);
  fail_unless_equals_int (timings->len, n_words);
  for (guint i = 0; i < n_words; i++) {
    GstBuffer *buf = g_ptr_array_index (captions, i);
    const GstStructure *s =
        gst_message_get_structure (g_ptr_array_index (timings, i));
    gchar *text = buffer_text (buf);
    GstClockTime start, stop;

    fail_unless_equals_string (text, words[i]);
    fail_unless_equals_string (text, gst_structure_get_string (s, "word"));
    g_free (text);
    fail_unless (gst_structure_get_clock_time (s, "start", &start));
    fail_unless (gst_structure_get_clock_time (s, "end", &stop));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), start);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), stop - start);
  }

  /* the audio's end by its samples, as the flush-completed says */
  end = last_flush_end (c);
  fail_unless_equals_uint64 (end, gst_util_uint64_scale_int (samples,
          GST_SECOND, RATE));
  fail_unless_equals_uint64 (check_contiguous (c, 0, c->log->len, 0), end);
  /* EOS last on text_src */
  fail_unless (last && is_event (last, 't', GST_EVENT_EOS));
  g_ptr_array_free (captions, TRUE);
  g_ptr_array_free (timings, TRUE);
  g_strfreev (words);
  c_free (c);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* Utterance captions: one buffer per utterance with its text, from its
 * first audio to its flush-completed timestamp; none for an utterance
 * with nothing to speak. */
GST_START_TEST (test_utterance_captions)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  C *c = c_new (emu, FALSE, "is-live", FALSE, NULL);
  static const gchar *texts[] = { "First we speak this.", "...",
    "Then this, 7 words in all."
  };
  GstClockTime first_audio = GST_CLOCK_TIME_NONE;
  guint utterance = 0, captions = 0;

  gst_util_set_object_arg (G_OBJECT (c->el), "caption-unit", "utterance");
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    fail_unless (push_text (c, texts[i], TRUE));
  end_of_stream (c);
  c_play (c);
  c_wait_eos (c);

  for (guint i = 0; i < c->log->len; i++) {
    Entry *e = ENTRY (c, i);

    if (e->where == 'a' && GST_IS_BUFFER (e->obj)
        && !GST_CLOCK_TIME_IS_VALID (first_audio))
      first_audio = GST_BUFFER_PTS (e->obj);
    if (is_done (e)) {
      const GstStructure *s = gst_event_get_structure (GST_EVENT (e->obj));
      GstClockTime end;
      Entry *t = NULL;

      fail_unless (gst_structure_get_clock_time (s, "timestamp", &end));
      /* its caption follows its flush-completed */
      for (guint j = i + 1; j < c->log->len && !t; j++) {
        Entry *x = ENTRY (c, j);

        if (x->where == 't' && GST_IS_BUFFER (x->obj))
          t = x;
        if (is_done (x))
          break;
      }
      if (utterance == 1) {
        /* "..." has no audio and no caption */
        fail_if (GST_CLOCK_TIME_IS_VALID (first_audio));
        fail_unless (t == NULL, "a caption for nothing to speak");
      } else {
        gchar *text;

        fail_unless (t != NULL, "no caption for utterance %u", utterance);
        text = buffer_text (GST_BUFFER (t->obj));
        fail_unless_equals_string (text, texts[utterance]);
        g_free (text);
        fail_unless_equals_uint64 (GST_BUFFER_PTS (t->obj), first_audio);
        fail_unless_equals_uint64 (GST_BUFFER_PTS (t->obj) +
            GST_BUFFER_DURATION (t->obj), end);
        captions++;
      }
      first_audio = GST_CLOCK_TIME_NONE;
      utterance++;
    }
  }
  fail_unless_equals_int (utterance, 3);
  fail_unless_equals_int (captions, 2);
  fail_unless_equals_int (c->text_buffers, 2);
  fail_unless_equals_uint64 (check_contiguous (c, 0, c->log->len, 0),
      last_flush_end (c));
  c_free (c);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static void
push_cue (GstElement * appsrc, const gchar * text, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_memdup (text, strlen (text));

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_SECOND;
  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (appsrc),
          buf), GST_FLOW_OK);
}

/* Two cues on the sink pad, at 0 s and 5 s: the text timeline has GAP
 * events from the end of the first utterance's audio to 5 s, no overlap
 * anywhere, and the second utterance's words from 5 s on. */
GST_START_TEST (test_gaps_between_cues)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  C *c = c_new (emu, TRUE, NULL);
  GstElement *appsrc = gst_bin_get_by_name (GST_BIN (c->pipe), "text");
  GstClockTime end1 = GST_CLOCK_TIME_NONE, cursor;
  guint first_flush = 0, gaps = 0, words_after = 0;

  push_cue (appsrc, "One short cue.", 0);
  push_cue (appsrc, "And a later one.", 5 * GST_SECOND);
  gst_app_src_end_of_stream (GST_APP_SRC (appsrc));
  c_play (c);
  c_wait_eos (c);

  for (guint i = 0; i < c->log->len; i++) {
    if (is_done (ENTRY (c, i))) {
      gst_structure_get_clock_time (gst_event_get_structure (GST_EVENT
              (ENTRY (c, i)->obj)), "timestamp", &end1);
      first_flush = i;
      break;
    }
  }
  fail_unless (GST_CLOCK_TIME_IS_VALID (end1));
  fail_unless (end1 < 5 * GST_SECOND);
  /* from the first utterance's end: only GAPs up to 5 s, then words */
  cursor = end1;
  for (guint i = first_flush; i < c->log->len; i++) {
    Entry *e = ENTRY (c, i);

    if (is_event (e, 't', GST_EVENT_GAP)) {
      GstClockTime ts, dur;

      gst_event_parse_gap (GST_EVENT (e->obj), &ts, &dur);
      if (ts < 5 * GST_SECOND) {
        fail_unless_equals_uint64 (ts, cursor);
        fail_unless (ts + dur <= 5 * GST_SECOND);
        cursor = ts + dur;
        gaps++;
      }
    } else if (e->where == 't' && GST_IS_BUFFER (e->obj)) {
      fail_unless (GST_BUFFER_PTS (e->obj) >= 5 * GST_SECOND);
      words_after++;
    }
  }
  fail_unless (gaps > 0);
  fail_unless_equals_uint64 (cursor, 5 * GST_SECOND);
  fail_unless_equals_int (words_after, 4);
  fail_unless_equals_int (c->text_buffers, 3 + 4);
  fail_unless_equals_uint64 (check_contiguous (c, 0, c->log->len, 0),
      last_flush_end (c));
  gst_object_unref (appsrc);
  c_free (c);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* An interruption flushes text_src as it flushes src; the captions of the
 * text pushed after it come, on a timeline contiguous from the new
 * segment, then EOS. */
GST_START_TEST (test_interrupt_flushes_captions)
{
  InworldEmulator *emu = inworld_emulator_start ("--speed", "1", NULL);
  C *c = c_new (emu, FALSE, NULL);
  guint stop_at = 0, after = 0, timings_after = 0;
  static const gchar *after_words[] = { "Now", "something", "else." };

  gst_util_set_object_arg (G_OBJECT (c->el), "timestamp-type", "word");
  fail_unless (push_text (c, "This is a long sentence that goes on and on "
          "for quite a while, so that the interruption comes in its "
          "middle and cuts it short.", TRUE));
  c_play (c);
  c_wait (c, &c->text_buffers, 2, "two captions");
  g_signal_emit_by_name (c->el, "interrupt");
  fail_unless_equals_int (c->text_flush_stops, 1);
  fail_unless (push_text (c, "Now something else.", TRUE));
  end_of_stream (c);
  c_wait_eos (c);

  for (guint i = 0; i < c->log->len; i++) {
    Entry *e = ENTRY (c, i);

    if (is_event (e, 't', GST_EVENT_FLUSH_STOP)) {
      fail_unless (i > 0);
      stop_at = i;
    }
  }
  fail_unless (stop_at > 0);
  /* FLUSH_START came before it on text_src, and a segment after it */
  {
    gboolean start = FALSE, segment = FALSE;

    for (guint i = 0; i < stop_at; i++)
      start |= is_event (ENTRY (c, i), 't', GST_EVENT_FLUSH_START);
    for (guint i = stop_at; i < c->log->len; i++)
      segment |= is_event (ENTRY (c, i), 't', GST_EVENT_SEGMENT);
    fail_unless (start && segment);
  }
  for (guint i = stop_at; i < c->log->len; i++) {
    Entry *e = ENTRY (c, i);

    if (e->where == 't' && GST_IS_BUFFER (e->obj)) {
      gchar *text = buffer_text (GST_BUFFER (e->obj));

      fail_unless (after < G_N_ELEMENTS (after_words));
      fail_unless_equals_string (text, after_words[after]);
      g_free (text);
      after++;
    }
    timings_after += is_timing (e);
  }
  fail_unless_equals_int (after, 3);
  fail_unless_equals_int (timings_after, 3);
  fail_unless_equals_uint64 (check_contiguous (c, stop_at, c->log->len,
          GST_CLOCK_TIME_NONE), last_flush_end (c));
  c_free (c);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* With timestamp-type=none (the default), the text_src pad alone makes the
 * element ask for WORD timings: captions come, no inworld-word-timing
 * message does. */
GST_START_TEST (test_timestamp_none_asks_words)
{
  InworldEmulator *emu = inworld_emulator_start_logged (NULL);
  C *c = c_new (emu, FALSE, "text", "Hello there, world.", NULL);
  gchar **creates;
  guint timings = 0;

  c_play (c);
  c_wait_eos (c);
  creates = inworld_emulator_log_lines (emu, "<- ", "\"create\"", NULL);
  fail_unless (creates[0] != NULL, "no create frame in the log");
  for (guint i = 0; creates[i]; i++)
    fail_unless (strstr (creates[i], "\"timestampType\":\"WORD\"") != NULL,
        "create without WORD timings: %s", creates[i]);
  g_strfreev (creates);
  for (guint i = 0; i < c->log->len; i++)
    timings += is_timing (ENTRY (c, i));
  fail_unless_equals_int (timings, 0);
  fail_unless_equals_int (c->text_buffers, 3);
  c_free (c);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* Live: the captions are in running time, as the audio is: the first word
 * starts with the utterance's first audio. */
GST_START_TEST (test_live_captions)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  C *c = c_new (emu, FALSE, "is-live", TRUE, NULL);
  GstClockTime first_audio = GST_CLOCK_TIME_NONE;
  GstBuffer *first_word = NULL;

  c_play (c);
  fail_unless_equals_int (gst_element_get_state (c->pipe, NULL, NULL,
          WAIT), GST_STATE_CHANGE_SUCCESS);
  g_usleep (G_USEC_PER_SEC / 5);
  fail_unless (push_text (c, "Live words here.", TRUE));
  end_of_stream (c);
  c_wait_eos (c);
  for (guint i = 0; i < c->log->len; i++) {
    Entry *e = ENTRY (c, i);

    if (e->where == 'a' && GST_IS_BUFFER (e->obj)
        && !GST_CLOCK_TIME_IS_VALID (first_audio))
      first_audio = GST_BUFFER_PTS (e->obj);
    if (e->where == 't' && GST_IS_BUFFER (e->obj) && first_word == NULL)
      first_word = GST_BUFFER (e->obj);
  }
  /* running time: the text was pushed 0.2 s after PLAYING at least */
  fail_unless (first_audio >= GST_SECOND / 5);
  fail_unless (first_word != NULL);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (first_word), first_audio);
  fail_unless_equals_int (c->text_buffers, 3);
  fail_unless_equals_uint64 (check_contiguous (c, 0, c->log->len, 0),
      last_flush_end (c));
  c_free (c);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* Speech and its captions into one MKV file through matroskamux: the
 * file has an audio track and a subtitle track. */
GST_START_TEST (test_matroskamux_file)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *dir = g_dir_make_tmp ("captions-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "speech.mkv", NULL);
  gchar *desc = g_strdup_printf ("inworldttssrc name=el text=\"Hello there, "
      "captioned world.\" ! queue ! audio/x-raw,rate=%d ! matroskamux name=m "
      "! filesink location=\"%s\"  el.text_src ! queue ! m.subtitle_0",
      RATE, path);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *el = gst_bin_get_by_name (GST_BIN (pipe), "el");
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg;
  GstDiscoverer *disco;
  GstDiscovererInfo *info;
  GList *audio, *subs;
  gchar *uri;

  g_object_set (el, "uri", emu->uri, "api-key", TEST_API_KEY, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, WAIT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "the muxing pipeline hangs");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);

  disco = gst_discoverer_new (10 * GST_SECOND, NULL);
  uri = gst_filename_to_uri (path, NULL);
  info = gst_discoverer_discover_uri (disco, uri, NULL);
  fail_unless (info != NULL);
  fail_unless_equals_int (gst_discoverer_info_get_result (info),
      GST_DISCOVERER_OK);
  audio = gst_discoverer_info_get_audio_streams (info);
  subs = gst_discoverer_info_get_subtitle_streams (info);
  fail_unless_equals_int (g_list_length (audio), 1);
  fail_unless_equals_int (g_list_length (subs), 1);
  fail_unless (gst_discoverer_info_get_duration (info) > 0);
  gst_discoverer_stream_info_list_free (audio);
  gst_discoverer_stream_info_list_free (subs);
  gst_discoverer_info_unref (info);
  g_object_unref (disco);

  g_unlink (path);
  g_rmdir (dir);
  g_free (uri);
  g_free (path);
  g_free (dir);
  g_free (desc);
  gst_object_unref (bus);
  gst_object_unref (el);
  gst_object_unref (pipe);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* The text_src pad, its caps; released, it can be requested again. */
GST_START_TEST (test_one_text_src)
{
  GstElement *el = gst_element_factory_make ("inworldttssrc", NULL);
  GstPad *pad = gst_element_request_pad_simple (el, "text_src");
  GstCaps *caps;

  fail_unless (pad != NULL);
  fail_unless_equals_string (GST_PAD_NAME (pad), "text_src");
  caps = gst_pad_query_caps (pad, NULL);
  {
    GstCaps *want = gst_caps_from_string ("text/x-raw, format=utf8");

    fail_unless (gst_caps_is_equal (caps, want));
    gst_caps_unref (want);
  }
  gst_caps_unref (caps);
  gst_element_release_request_pad (el, pad);
  gst_object_unref (pad);
  pad = gst_element_request_pad_simple (el, "text_src");
  fail_unless (pad != NULL);
  gst_element_release_request_pad (el, pad);
  gst_object_unref (pad);
  gst_object_unref (el);
}

GST_END_TEST;

static Suite *
captions_suite (void)
{
  Suite *s = suite_create ("captions");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_one_text_src);
  tcase_add_test (tc, test_word_captions);
  tcase_add_test (tc, test_utterance_captions);
  tcase_add_test (tc, test_gaps_between_cues);
  tcase_add_test (tc, test_interrupt_flushes_captions);
  tcase_add_test (tc, test_timestamp_none_asks_words);
  tcase_add_test (tc, test_live_captions);
  tcase_add_test (tc, test_matroskamux_file);
  return s;
}

GST_CHECK_MAIN (captions);
