/* inworldttssrc: shared connections, keepalive, reconnection and the
 * error policy, against the emulator
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <stdio.h>
#include <string.h>

#include "emulator-fixture.h"
#include "messages.h"
#include "inworld-test-signal.h"
#include "inworldprotocol.h"
#include "inworldtext.h"

#define RATE 16000
#define RUN_TIMEOUT (60 * GST_SECOND)
#define FLUSH_COMPLETED "inworld-flush-completed"

/* What left one element's src pad. */
typedef struct
{
  GstElement *tts;
  GMutex lock;
  guint64 bytes;
  GArray *flush_bytes;          /* guint64: audio bytes of each flush */
  guint64 flush_start;
  guint flush_chars;            /* "characters" of all flush events */
  gboolean eos;
} Voice;

/* A pipeline of voices, each inworldttssrc ! capsfilter ! fakesink. */
typedef struct
{
  GstElement *pipeline;
  GstBus *bus;
  GPtrArray *voices;
  GPtrArray *errors, *warnings;
} Chorus;

static GstPadProbeReturn
voice_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Voice *v = user_data;

  g_mutex_lock (&v->lock);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    v->bytes += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  } else {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM
        && gst_event_has_name (event, FLUSH_COMPLETED)) {
      guint64 n = v->bytes - v->flush_start;
      guint chars = 0;

      gst_structure_get_uint (gst_event_get_structure (event), "characters",
          &chars);
      v->flush_chars += chars;
      g_array_append_val (v->flush_bytes, n);
      v->flush_start = v->bytes;
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
      v->eos = TRUE;
    }
  }
  g_mutex_unlock (&v->lock);
  return GST_PAD_PROBE_OK;
}

static Chorus *
chorus_new (void)
{
  Chorus *c = g_new0 (Chorus, 1);

  c->pipeline = gst_pipeline_new (NULL);
  c->bus = gst_pipeline_get_bus (GST_PIPELINE (c->pipeline));
  c->voices = g_ptr_array_new ();
  c->errors = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  c->warnings = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  return c;
}

/* Adds a voice speaking @text (NULL: text comes from push-text). */
static Voice *
chorus_add (Chorus * c, const gchar * uri, const gchar * text)
{
  Voice *v = g_new0 (Voice, 1);
  GstElement *filter = gst_element_factory_make ("capsfilter", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstCaps *caps = gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT,
      RATE, NULL);
  GstPad *pad;

  v->tts = gst_element_factory_make ("inworldttssrc", NULL);
  fail_unless (v->tts != NULL, "inworldttssrc not found");
  g_mutex_init (&v->lock);
  v->flush_bytes = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_object_set (v->tts, "uri", uri, "api-key", TEST_API_KEY, NULL);
  if (text)
    g_object_set (v->tts, "text", text, NULL);
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (c->pipeline), v->tts, filter, sink, NULL);
  fail_unless (gst_element_link_many (v->tts, filter, sink, NULL));
  pad = gst_element_get_static_pad (v->tts, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, voice_probe, v, NULL);
  gst_object_unref (pad);
  g_ptr_array_add (c->voices, v);
  return v;
}

static gboolean
all_ended (Chorus * c)
{
  for (guint i = 0; i < c->voices->len; i++) {
    Voice *v = g_ptr_array_index (c->voices, i);
    gboolean eos;

    g_mutex_lock (&v->lock);
    eos = v->eos;
    g_mutex_unlock (&v->lock);
    if (!eos)
      return FALSE;
  }
  return TRUE;
}

static void
collect (Chorus * c, GstClockTime wait)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (c->bus, wait,
      GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);

  for (; msg; msg = gst_bus_pop_filtered (c->bus, GST_MESSAGE_ERROR |
          GST_MESSAGE_WARNING))
    g_ptr_array_add (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR ?
        c->errors : c->warnings, msg);
}

/* Waits until every voice has ended (TRUE) or an error came (FALSE). */
static gboolean
chorus_wait (Chorus * c)
{
  gint64 deadline = g_get_monotonic_time () + RUN_TIMEOUT / GST_USECOND;

  while (c->errors->len == 0 && !all_ended (c)) {
    collect (c, 20 * GST_MSECOND);
    fail_if (g_get_monotonic_time () > deadline, "neither EOS nor an error "
        "within %" GST_TIME_FORMAT, GST_TIME_ARGS (RUN_TIMEOUT));
  }
  collect (c, 0);
  return c->errors->len == 0;
}

static gboolean
chorus_play (Chorus * c)
{
  fail_if (gst_element_set_state (c->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  return chorus_wait (c);
}

static void
chorus_free (Chorus * c)
{
  gst_element_set_state (c->pipeline, GST_STATE_NULL);
  for (guint i = 0; i < c->voices->len; i++) {
    Voice *v = g_ptr_array_index (c->voices, i);

    g_array_unref (v->flush_bytes);
    g_mutex_clear (&v->lock);
    g_free (v);
  }
  g_ptr_array_unref (c->voices);
  g_ptr_array_unref (c->errors);
  g_ptr_array_unref (c->warnings);
  gst_object_unref (c->bus);
  gst_object_unref (c->pipeline);
  g_free (c);
}

static guint64
expected_bytes (const gchar * text)
{
  return inworld_test_signal_n_samples (text, RATE) * 2;
}

/* The voice spoke @text exactly, in @n_flushes flushes. */
static void
check_spoken (Voice * v, const gchar * text, guint n_flushes)
{
  fail_unless (v->eos);
  fail_unless_equals_uint64 (v->bytes, expected_bytes (text));
  fail_unless_equals_int (v->flush_bytes->len, n_flushes);
  fail_unless_equals_int (v->flush_chars, g_utf8_strlen (text, -1));
}

/* Distinct emulator connections in the log lines that contain @needle. */
static guint
count_connections (InworldEmulator * emu, const gchar * needle)
{
  gchar **lines = inworld_emulator_log_lines (emu, needle, NULL);
  GHashTable *seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint n;

  for (gchar ** l = lines; *l; l++) {
    const gchar *p = strstr (*l, "conn ");
    guint id;

    if (p && sscanf (p, "conn %u:", &id) == 1)
      g_hash_table_add (seen, GUINT_TO_POINTER (id));
  }
  n = g_hash_table_size (seen);
  g_hash_table_unref (seen);
  g_strfreev (lines);
  return n;
}

static guint
count_lines (InworldEmulator * emu, const gchar * needle,
    const gchar * needle2)
{
  gchar **lines = inworld_emulator_log_lines (emu, needle, needle2, NULL);
  guint n = g_strv_length (lines);

  g_strfreev (lines);
  return n;
}

static gchar *
long_text (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < 60; i++)
    g_string_append_printf (s, "Sentence number %u of a long answer that "
        "takes several flushes to speak. ", i);
  return g_string_free (s, FALSE);
}

static guint
n_pieces (const gchar * text)
{
  gchar **pieces = inworld_text_split (text, INWORLD_MAX_TEXT_CHARS);
  guint n = g_strv_length (pieces);

  g_strfreev (pieces);
  return n;
}

/* ------------------------------------------------------------------------
 * Sharing
 * ------------------------------------------------------------------------ */

/* seven elements in one pipeline all speak, on two connections (5 + 2) */
GST_START_TEST (test_seven_elements_share)
{
  InworldEmulator *emu = inworld_emulator_start_logged (NULL);
  Chorus *c = chorus_new ();
  gchar *texts[7];

  for (guint i = 0; i < 7; i++) {
    texts[i] = g_strdup_printf ("Voice number %u says hello to the others.",
        i + 1);
    chorus_add (c, emu->uri, texts[i]);
  }
  fail_unless (chorus_play (c), "an error with seven elements");
  fail_unless_equals_int (c->warnings->len, 0);
  for (guint i = 0; i < 7; i++)
    check_spoken (g_ptr_array_index (c->voices, i), texts[i], 1);
  fail_unless_equals_int (count_lines (emu, "<- ", "\"create\""), 7);
  fail_unless_equals_int (count_connections (emu, "\"create\""), 2);
  fail_unless_equals_int (count_lines (emu, "-> ", "\"code\":8"), 0);

  chorus_free (c);
  for (guint i = 0; i < 7; i++)
    g_free (texts[i]);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* a server with room for two contexts per connection: five elements open
 * their contexts at once and wait for text; the refused ones (code 8)
 * move to other connections, and everyone speaks */
GST_START_TEST (test_code8_opens_another_connection)
{
  InworldEmulator *emu = inworld_emulator_start_logged ("--max-contexts=2",
      NULL);
  Chorus *c = chorus_new ();
  gchar *texts[5];

  for (guint i = 0; i < 5; i++)
    chorus_add (c, emu->uri, NULL);
  fail_if (gst_element_set_state (c->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  /* every context open, and idle */
  for (guint i = 0; i < 50 && count_lines (emu, "-> ", "contextCreated") < 5;
      i++)
    collect (c, 100 * GST_MSECOND);
  for (guint i = 0; i < 5; i++) {
    Voice *v = g_ptr_array_index (c->voices, i);
    gboolean ok;

    texts[i] = g_strdup_printf ("Speaker %u, on whichever connection has "
        "room.", i + 1);
    g_signal_emit_by_name (v->tts, "push-text", texts[i], TRUE, &ok);
    fail_unless (ok);
    g_signal_emit_by_name (v->tts, "end-of-stream");
  }
  fail_unless (chorus_wait (c), "an error with two contexts per connection");
  fail_unless_equals_int (c->warnings->len, 0);
  for (guint i = 0; i < 5; i++)
    check_spoken (g_ptr_array_index (c->voices, i), texts[i], 1);
  fail_unless (count_lines (emu, "-> ", "\"code\":8") >= 1,
      "the server never refused a context");
  fail_unless (count_connections (emu, "contextCreated") >= 3);

  chorus_free (c);
  for (guint i = 0; i < 5; i++)
    g_free (texts[i]);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* a create refused twice with code 8, then accepted elsewhere: the text
 * sent with it is not lost */
GST_START_TEST (test_code8_moves_text)
{
  InworldEmulator *emu =
      inworld_emulator_start_logged ("--inject-error=create:8:2", NULL);
  Chorus *c = chorus_new ();
  const gchar *text = "Refused twice, spoken in the end.";
  Voice *v = chorus_add (c, emu->uri, text);

  fail_unless (chorus_play (c));
  check_spoken (v, text, 1);
  fail_unless_equals_int (count_connections (emu, "\"create\""), 3);
  /* the text went with the context to each connection */
  fail_unless_equals_int (count_lines (emu, "<- ", "Refused twice"), 3);

  chorus_free (c);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Idle connections
 * ------------------------------------------------------------------------ */

/* Speaks @first, waits @idle_s seconds of silence, speaks @second, ends. */
static Chorus *
speak_twice (InworldEmulator * emu, guint keepalive, guint idle_s,
    const gchar * first, const gchar * second, Voice ** voice)
{
  Chorus *c = chorus_new ();
  Voice *v = chorus_add (c, emu->uri, NULL);
  gboolean ok;

  g_object_set (v->tts, "keepalive", keepalive, NULL);
  fail_if (gst_element_set_state (c->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  g_signal_emit_by_name (v->tts, "push-text", first, TRUE, &ok);
  fail_unless (ok);
  for (guint i = 0; i < idle_s * 10; i++)
    collect (c, 100 * GST_MSECOND);
  g_signal_emit_by_name (v->tts, "push-text", second, TRUE, &ok);
  fail_unless (ok);
  g_signal_emit_by_name (v->tts, "end-of-stream");
  *voice = v;
  return c;
}

/* the server drops connections idle for 2 s; a keepalive every second
 * keeps the open context's connection: no pause, one connection, and
 * every keepalive names its context */
GST_START_TEST (test_keepalive)
{
  InworldEmulator *emu =
      inworld_emulator_start_logged ("--inactivity-timeout=2", NULL);
  const gchar *first = "Before a long silence.";
  const gchar *second = "After the silence, on the same connection.";
  Voice *v;
  Chorus *c = speak_twice (emu, 1, 5, first, second, &v);
  gchar *both = g_strconcat (first, second, NULL);
  guint keepalives;

  fail_unless (chorus_wait (c));
  fail_unless_equals_int (c->warnings->len, 0);
  check_spoken (v, both, 2);
  keepalives = count_lines (emu, "<- ", "\"text\":\"\"");
  fail_unless (keepalives >= 2, "%u keepalive(s) in 5 s", keepalives);
  fail_unless_equals_int (count_lines (emu, "\"text\":\"\"", "contextId"),
      keepalives);
  fail_unless_equals_int (count_lines (emu, "Paused due to inactivity",
          NULL), 0);
  fail_unless_equals_int (count_connections (emu, "<- "), 1);

  chorus_free (c);
  g_free (both);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* without keepalive the idle connection is paused (code 10) and dropped;
 * the next text goes to a new connection, with no error or warning */
GST_START_TEST (test_idle_connection_replaced)
{
  InworldEmulator *emu =
      inworld_emulator_start_logged ("--inactivity-timeout=1", NULL);
  const gchar *first = "Before the server gives up on us.";
  const gchar *second = "Spoken on a new connection.";
  Voice *v;
  Chorus *c = speak_twice (emu, 0, 3, first, second, &v);
  gchar *both = g_strconcat (first, second, NULL);

  fail_unless (chorus_wait (c));
  fail_unless_equals_int (c->warnings->len, 0);
  check_spoken (v, both, 2);
  fail_unless_equals_int (count_lines (emu, "Paused due to inactivity",
          NULL), 1);
  fail_unless_equals_int (count_connections (emu, "\"create\""), 2);
  fail_unless_equals_int (count_lines (emu, "<- ", "\"text\":\"\""), 0);

  chorus_free (c);
  g_free (both);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Faults
 * ------------------------------------------------------------------------ */

/* the connection drops mid-speech once: a new one, the unspoken flushes
 * re-sent, everything spoken, one warning */
GST_START_TEST (test_drop_resends)
{
  InworldEmulator *emu =
      inworld_emulator_start_logged ("--drop-after-chunks=3",
      "--drop-connections=1", NULL);
  gchar *text = long_text ();
  guint n = n_pieces (text);
  Chorus *c = chorus_new ();
  Voice *v = chorus_add (c, emu->uri, text);
  const gchar *words[] = { "Lost context", "re-sending", NULL };
  guint64 total = 0;

  fail_unless (n >= 2);
  fail_unless (chorus_play (c), "an error after one drop");
  fail_unless_equals_int (c->warnings->len, 1);
  check_message (g_ptr_array_index (c->warnings, 0), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_READ, words);
  /* every flush completed once, with all of its characters */
  fail_unless_equals_int (v->flush_bytes->len, n);
  fail_unless_equals_int (v->flush_chars, g_utf8_strlen (text, -1));
  /* the flush cut short is spoken again from its start: its audio is the
   * part heard before the drop and then all of it */
  for (guint i = 0; i < n; i++)
    total += g_array_index (v->flush_bytes, guint64, i);
  fail_unless (total > expected_bytes (text));
  fail_unless_equals_int (count_connections (emu, "\"create\""), 2);
  fail_unless_equals_int (count_lines (emu, "<- ", "Sentence number 0 "), 2);

  chorus_free (c);
  g_free (text);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* every connection drops: after the retries, an error that says how much
 * was not spoken */
GST_START_TEST (test_retry_budget)
{
  InworldEmulator *emu =
      inworld_emulator_start_logged ("--drop-after-chunks=1", NULL);
  gchar *text = long_text ();
  Chorus *c = chorus_new ();
  const gchar *words[] = { "Lost the connection", "characters not spoken",
    "attempts to reconnect", NULL
  };

  chorus_add (c, emu->uri, text);
  fail_if (chorus_play (c), "EOS though every connection dropped");
  fail_unless_equals_int (c->errors->len, 1);
  check_message (g_ptr_array_index (c->errors, 0), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_READ, words);
  /* the first connection and five more attempts */
  fail_unless_equals_int (count_connections (emu, "\"create\""), 6);

  chorus_free (c);
  g_free (text);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Network faults (issue 12, item 9)
 * ------------------------------------------------------------------------ */

/* Criticals and warnings of libsoup, which gst-check's handlers do not
 * watch (its domain is not one of theirs): counted, so a test can say
 * that there were none. A g_return_if_fail () in libsoup is a critical. */
static gint soup_complaints;

static void
count_soup_log (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  g_printerr ("%s: %s\n", domain, message);
  g_atomic_int_inc (&soup_complaints);
}

static guint
watch_soup_log (void)
{
  g_atomic_int_set (&soup_complaints, 0);
  return g_log_set_handler ("libsoup", G_LOG_LEVEL_CRITICAL |
      G_LOG_LEVEL_WARNING, count_soup_log, NULL);
}

static void
unwatch_soup_log (guint handler)
{
  g_log_remove_handler ("libsoup", handler);
  fail_unless_equals_int (g_atomic_int_get (&soup_complaints), 0);
}

/* The text of @msg (an error or warning) must not hold @word. */
static void
check_message_lacks (GstMessage * msg, const gchar * word)
{
  gchar *text = message_text (msg, NULL, NULL);

  fail_if (strstr (text, word) != NULL, "'%s' in '%s'", word, text);
  g_free (text);
}

static guint
details_uint (GstMessage * msg, const gchar * field)
{
  const GstStructure *details = NULL;
  guint value = 0;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error_details (msg, &details);
  else
    gst_message_parse_warning_details (msg, &details);
  fail_unless (details != NULL, "%" GST_PTR_FORMAT " has no details", msg);
  fail_unless (gst_structure_get_uint (details, field, &value),
      "no %s in %" GST_PTR_FORMAT, field, details);
  return value;
}

/* every upgrade refused with 503: the error says the connection could
 * not be made (none ever was: no "Lost", no "reconnect") and carries the
 * HTTP status */
GST_START_TEST (test_upgrade_refused_503)
{
  InworldEmulator *emu = inworld_emulator_start ("--refuse-upgrade=503",
      NULL);
  Chorus *c = chorus_new ();
  const gchar *words[] = { "Could not connect", "503", NULL };
  GstMessage *error;

  chorus_add (c, emu->uri, "Never spoken.");
  fail_if (chorus_play (c), "EOS though every upgrade was refused");
  fail_unless_equals_int (c->errors->len, 1);
  error = g_ptr_array_index (c->errors, 0);
  check_message (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
      words);
  check_message_lacks (error, "Lost");
  check_message_lacks (error, "reconnect");
  fail_unless_equals_int (details_uint (error, "http-status"), 503);
  for (guint i = 0; i < c->warnings->len; i++)
    check_message_lacks (g_ptr_array_index (c->warnings, i), "Lost");

  chorus_free (c);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* the first two upgrades refused with 429 (the service is busy): a
 * warning that says the connection could not be made yet, with the HTTP
 * status; then everything is spoken */
GST_START_TEST (test_upgrade_refused_429_then_accepted)
{
  InworldEmulator *emu = inworld_emulator_start ("--refuse-upgrade=429:2",
      NULL);
  const gchar *text = "Spoken on the third try.";
  Chorus *c = chorus_new ();
  Voice *v = chorus_add (c, emu->uri, text);
  GstMessage *warning;

  fail_unless (chorus_play (c), "an error though the third upgrade was "
      "accepted");
  fail_unless_equals_int (c->warnings->len, 1);
  warning = g_ptr_array_index (c->warnings, 0);
  check_message_lacks (warning, "Lost");
  fail_unless (strstr (GST_MESSAGE_SRC_NAME (warning), "inworldttssrc"));
  fail_unless_equals_int (details_uint (warning, "http-status"), 429);
  check_spoken (v, text, 1);

  chorus_free (c);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* a server that upgrades, reads the first frame and resets the socket,
 * every time, under six elements at once (two connections per round,
 * six rounds): no libsoup critical (a send on a socket no longer OPEN),
 * a clear error */
GST_START_TEST (test_reset_after_first_frame)
{
  InworldEmulator *emu =
      inworld_emulator_start_logged ("--reset-after-first-frame", NULL);
  guint handler = watch_soup_log ();
  gchar *text = long_text ();
  Chorus *c = chorus_new ();
  const gchar *words[] = { "characters not spoken", NULL };
  GstMessage *error;
  guint resets;

  for (guint i = 0; i < 6; i++)
    chorus_add (c, emu->uri, text);
  fail_if (chorus_play (c), "EOS though every connection was reset");
  fail_unless (c->errors->len >= 1);
  error = g_ptr_array_index (c->errors, 0);
  check_message (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, words);
  fail_unless_equals_int (details_uint (error, "close-code"), 1006);
  /* the loss and every attempt to reconnect after it was a connection the
   * emulator reset; its log is read on another thread, so wait for it */
  resets = details_uint (error, "attempts") + 1;
  fail_unless (resets >= 2);
  for (guint i = 0; i < 100 &&
      count_lines (emu, "resetting the TCP connection", NULL) < resets; i++)
    g_usleep (50 * G_TIME_SPAN_MILLISECOND);
  fail_unless (count_lines (emu, "resetting the TCP connection", NULL) >=
      resets, "fewer resets in the emulator's log than the error counts");

  chorus_free (c);
  g_free (text);
  unwatch_soup_log (handler);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* many reconnections: a server that drops every connection once it has
 * sent 5 audio chunks, and one element speaking 30 utterances of two or
 * three chunks each (so a drop comes every two utterances or so): no
 * libsoup critical, and every utterance completed exactly once with all
 * of its characters. Each utterance is pushed once the one before has
 * completed, so that every connection makes progress however slow the
 * element is (under valgrind): a server that drops a socket holding text
 * it has not read resets it, and the reset throws away what the element
 * had not read yet, flushCompleted included; with all 30 pushed at once
 * that could happen five times in a row, which is the retry budget. */
GST_START_TEST (test_many_reconnections)
{
  InworldEmulator *emu = inworld_emulator_start_logged ("--speed=0",
      "--chunk-seconds=0.25", "--drop-after-chunks=5", NULL);
  guint handler = watch_soup_log ();
  Chorus *c = chorus_new ();
  Voice *v = chorus_add (c, emu->uri, NULL);
  guint chars = 0, drops;

  fail_if (gst_element_set_state (c->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  for (guint i = 0; i < 30; i++) {
    gchar *text = g_strdup_printf ("Utterance number %u comes back and says "
        "all of this.", i);
    gint64 deadline = g_get_monotonic_time () + RUN_TIMEOUT / GST_USECOND;
    gboolean ok;
    guint done;

    g_signal_emit_by_name (v->tts, "push-text", text, TRUE, &ok);
    fail_unless (ok);
    chars += g_utf8_strlen (text, -1);
    g_free (text);
    do {
      collect (c, 10 * GST_MSECOND);
      fail_unless (c->errors->len == 0, "an error at utterance %u", i);
      fail_if (g_get_monotonic_time () > deadline, "utterance %u not "
          "completed within %" GST_TIME_FORMAT, i, GST_TIME_ARGS (RUN_TIMEOUT));
      g_mutex_lock (&v->lock);
      done = v->flush_bytes->len;
      g_mutex_unlock (&v->lock);
    } while (done < i + 1);
  }
  g_signal_emit_by_name (v->tts, "end-of-stream");
  fail_unless (chorus_wait (c), "an error");
  fail_unless (v->eos);
  fail_unless_equals_int (v->flush_bytes->len, 30);
  fail_unless_equals_int (v->flush_chars, chars);
  drops = count_lines (emu, "dropping the TCP connection", NULL);
  GST_INFO ("%u connections dropped", drops);
  fail_unless (drops >= 8, "only %u drops", drops);

  chorus_free (c);
  unwatch_soup_log (handler);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * The error policy (docs/errors.md), code by code
 * ------------------------------------------------------------------------ */

/* codes after which the element goes on on a new connection: everything
 * is spoken (the flush cut short twice over), one warning */
static void
check_retried (const gchar * inject)
{
  InworldEmulator *emu = inworld_emulator_start_logged (inject, NULL);
  gchar *text = long_text ();
  Chorus *c = chorus_new ();
  Voice *v = chorus_add (c, emu->uri, text);

  fail_unless (chorus_play (c), "%s: an error", inject);
  fail_unless_equals_int (c->warnings->len, 1);
  fail_unless_equals_int (v->flush_bytes->len, n_pieces (text));
  fail_unless_equals_int (v->flush_chars, g_utf8_strlen (text, -1));
  fail_unless (count_connections (emu, "\"create\"") >= 2);

  chorus_free (c);
  g_free (text);
  inworld_emulator_stop (emu);
}

/* codes that end the stream with an error of @code */
static void
check_failed (const gchar * inject, GQuark domain, gint code,
    const gchar * const *words)
{
  InworldEmulator *emu = inworld_emulator_start (inject, NULL);
  Chorus *c = chorus_new ();

  chorus_add (c, emu->uri, "Never spoken.");
  fail_if (chorus_play (c), "%s: EOS", inject);
  fail_unless_equals_int (c->errors->len, 1);
  check_message (g_ptr_array_index (c->errors, 0), domain, code, words);

  chorus_free (c);
  inworld_emulator_stop (emu);
}

/* 14 UNAVAILABLE, top-level: retry */
GST_START_TEST (test_policy_unavailable)
{
  check_retried ("--inject-error=top:14");
}

GST_END_TEST;

/* 10 ABORTED ("Paused due to inactivity") while speaking: retry */
GST_START_TEST (test_policy_aborted)
{
  check_retried ("--inject-error=top:10");
}

GST_END_TEST;

/* 8 RESOURCE_EXHAUSTED top-level (a quota): retry */
GST_START_TEST (test_policy_exhausted_top_level)
{
  check_retried ("--inject-error=top:8");
}

GST_END_TEST;

/* 3 INVALID_ARGUMENT top-level (a frame not understood): a warning, the
 * speech goes on untouched */
GST_START_TEST (test_policy_invalid_top_level)
{
  InworldEmulator *emu = inworld_emulator_start ("--inject-error=top:3",
      NULL);
  const gchar *text = "A warning, and not a sample lost.";
  Chorus *c = chorus_new ();
  Voice *v = chorus_add (c, emu->uri, text);
  const gchar *words[] = { "reported a problem", "code 3 INVALID_ARGUMENT",
    NULL
  };

  fail_unless (chorus_play (c));
  fail_unless_equals_int (c->warnings->len, 1);
  check_message (g_ptr_array_index (c->warnings, 0), GST_STREAM_ERROR,
      GST_STREAM_ERROR_FAILED, words);
  check_spoken (v, text, 1);

  chorus_free (c);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* 3 INVALID_ARGUMENT in a context: the settings are refused */
GST_START_TEST (test_policy_invalid_in_context)
{
  const gchar *words[] = { "refused the settings", "code 3", NULL };

  check_failed ("--inject-error=create:3", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, words);
}

GST_END_TEST;

/* 5 NOT_FOUND before the context exists (an unknown voice or model) */
GST_START_TEST (test_policy_not_found_on_create)
{
  const gchar *words[] = { "refused the settings", "code 5 NOT_FOUND", NULL };

  check_failed ("--inject-error=create:5", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, words);
}

GST_END_TEST;

/* 7 PERMISSION_DENIED and 16 UNAUTHENTICATED: the key */
GST_START_TEST (test_policy_auth)
{
  const gchar *words7[] = { "API key", "code 7", "INWORLD_API_KEY", NULL };
  const gchar *words16[] = { "API key", "code 16", NULL };

  check_failed ("--inject-error=top:7", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, words7);
  check_failed ("--inject-error=top:16", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, words16);
}

GST_END_TEST;

/* 8 on every create, on every connection tried: the service is full */
GST_START_TEST (test_policy_exhausted_everywhere)
{
  const gchar *words[] = { "code 8", "fewer streams", NULL };

  check_failed ("--inject-error=create:8:100", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_BUSY, words);
}

GST_END_TEST;

static Suite *
connections_suite (void)
{
  Suite *s = suite_create ("inworldttssrc-connections");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_seven_elements_share);
  tcase_add_test (tc, test_code8_opens_another_connection);
  tcase_add_test (tc, test_code8_moves_text);
  tcase_add_test (tc, test_keepalive);
  tcase_add_test (tc, test_idle_connection_replaced);
  tcase_add_test (tc, test_drop_resends);
  tcase_add_test (tc, test_retry_budget);
  tcase_add_test (tc, test_upgrade_refused_503);
  tcase_add_test (tc, test_upgrade_refused_429_then_accepted);
  tcase_add_test (tc, test_reset_after_first_frame);
  tcase_add_test (tc, test_many_reconnections);
  tcase_add_test (tc, test_policy_unavailable);
  tcase_add_test (tc, test_policy_aborted);
  tcase_add_test (tc, test_policy_exhausted_top_level);
  tcase_add_test (tc, test_policy_invalid_top_level);
  tcase_add_test (tc, test_policy_invalid_in_context);
  tcase_add_test (tc, test_policy_not_found_on_create);
  tcase_add_test (tc, test_policy_auth);
  tcase_add_test (tc, test_policy_exhausted_everywhere);
  return s;
}

GST_CHECK_MAIN (connections);
