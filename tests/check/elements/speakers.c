/* inworldttssrc: voices per speaker (voice-map, WebVTT <v> spans,
 * push-utterance)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A multi-speaker script voiced in one pass. The emulator logs, with
 * --verbose, every frame it receives and the voice of each synthesis it
 * runs ("synthesis of N characters, voice V"): the voice that reached the
 * server for each utterance is read there, in order. Audio is the
 * emulator's test signal, whose length per text is known, so the
 * flush-completed timestamps are checked to the sample. */

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>

#include "emulator-fixture.h"
#include "inworld-test-signal.h"

#define RATE 16000
#define WAIT (20 * GST_SECOND)

/* ------------------------------------------------------------------------
 * A pipeline and what its bus said
 * ------------------------------------------------------------------------ */

typedef struct
{
  GstElement *pipeline;
  GstElement *tts;
  GstBus *bus;
  GPtrArray *warnings;          /* GstMessage *, in order */
  GPtrArray *flushes;           /* GstStructure * of inworld-flush-completed */
} P;

/* @text_src: a launch line fragment linked to the element's sink pad, or
 * NULL for none. */
static P *
p_new (InworldEmulator * emu, const gchar * text_src, const gchar * props)
{
  P *p = g_new0 (P, 1);
  GError *error = NULL;
  gchar *line;

  line = g_strdup_printf ("inworldttssrc name=tts uri=%s api-key=%s %s ! "
      "audio/x-raw,rate=%d ! fakesink sync=false %s%s", emu->uri,
      TEST_API_KEY, props ? props : "", RATE, text_src ? text_src : "",
      text_src ? " ! tts.sink" : "");
  p->pipeline = gst_parse_launch (line, &error);
  fail_unless (p->pipeline != NULL, "%s: %s", line,
      error ? error->message : "");
  g_free (line);
  p->tts = gst_bin_get_by_name (GST_BIN (p->pipeline), "tts");
  p->bus = gst_element_get_bus (p->pipeline);
  p->warnings = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  p->flushes = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  return p;
}

static void
p_free (P * p)
{
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  gst_object_unref (p->bus);
  gst_object_unref (p->tts);
  gst_object_unref (p->pipeline);
  g_ptr_array_unref (p->warnings);
  g_ptr_array_unref (p->flushes);
  g_free (p);
}

static void
p_state (P * p, GstState state)
{
  fail_if (gst_element_set_state (p->pipeline, state) ==
      GST_STATE_CHANGE_FAILURE);
}

/* Takes the messages queued so far (@until: or up to one of those types,
 * waiting up to WAIT); fails on an error. Returns the type that ended
 * it, or 0. */
static GstMessageType
p_drain (P * p, GstMessageType until)
{
  GstMessage *msg;

  while ((msg = until ? gst_bus_timed_pop (p->bus, WAIT) :
          gst_bus_pop (p->bus))) {
    GstMessageType type = GST_MESSAGE_TYPE (msg);

    if (type == GST_MESSAGE_ERROR) {
      GError *error = NULL;

      gst_message_parse_error (msg, &error, NULL);
      fail ("error: %s", error->message);
    } else if (type == GST_MESSAGE_WARNING) {
      g_ptr_array_add (p->warnings, gst_message_ref (msg));
    } else if (type == GST_MESSAGE_ELEMENT && gst_message_has_name (msg,
            "inworld-flush-completed")) {
      g_ptr_array_add (p->flushes,
          gst_structure_copy (gst_message_get_structure (msg)));
    }
    gst_message_unref (msg);
    if (type & until)
      return type;
  }
  fail_if (until != 0, "nothing on the bus for %" GST_TIME_FORMAT,
      GST_TIME_ARGS (WAIT));
  return 0;
}

static void
p_wait_eos (P * p)
{
  fail_unless (p_drain (p, GST_MESSAGE_EOS) == GST_MESSAGE_EOS);
}

/* Waits until @n flush-completed have come. */
static void
p_wait_flushes (P * p, guint n)
{
  while (p->flushes->len < n)
    p_drain (p, GST_MESSAGE_ELEMENT);
}

/* The text of the warning @i. */
static gchar *
warning_text (P * p, guint i)
{
  GError *error = NULL;
  gchar *text;

  gst_message_parse_warning (g_ptr_array_index (p->warnings, i), &error, NULL);
  text = g_strdup (error->message);
  g_error_free (error);
  return text;
}

/* The warnings whose text holds @needle. */
static guint
count_warnings (P * p, const gchar * needle)
{
  guint n = 0;

  for (guint i = 0; i < p->warnings->len; i++) {
    gchar *text = warning_text (p, i);

    n += strstr (text, needle) != NULL;
    g_free (text);
  }
  return n;
}

/* ------------------------------------------------------------------------
 * What reached the server
 * ------------------------------------------------------------------------ */

/* The voices of the syntheses, in order (g_strfreev). */
static gchar **
synthesis_voices (InworldEmulator * emu)
{
  gchar **lines = inworld_emulator_log_lines (emu, "synthesis of ", NULL);
  GPtrArray *voices = g_ptr_array_new ();

  for (guint i = 0; lines[i]; i++) {
    const gchar *v = strstr (lines[i], ", voice ");

    fail_unless (v != NULL, "no voice in '%s'", lines[i]);
    g_ptr_array_add (voices, g_strdup (v + strlen (", voice ")));
  }
  g_strfreev (lines);
  g_ptr_array_add (voices, NULL);
  return (gchar **) g_ptr_array_free (voices, FALSE);
}

/* The texts of the send_text frames received, in order (g_strfreev). */
static gchar **
sent_texts (InworldEmulator * emu)
{
  gchar **lines = inworld_emulator_log_lines (emu, "<- ", "send_text", NULL);
  GPtrArray *texts = g_ptr_array_new ();

  for (guint i = 0; lines[i]; i++) {
    const gchar *t = strstr (lines[i], "\"text\":\"");
    const gchar *end;

    if (t == NULL)
      continue;                 /* a keepalive */
    t += strlen ("\"text\":\"");
    end = strchr (t, '"');
    fail_unless (end != NULL, "'%s'", lines[i]);
    g_ptr_array_add (texts, g_strndup (t, end - t));
  }
  g_strfreev (lines);
  g_ptr_array_add (texts, NULL);
  return (gchar **) g_ptr_array_free (texts, FALSE);
}

static void
check_strv (gchar ** got, const gchar * const *expected, const gchar * what)
{
  gchar *g = g_strjoinv ("|", got);
  gchar *e = g_strjoinv ("|", (gchar **) expected);

  fail_unless (g_strcmp0 (g, e) == 0, "%s: got '%s', expected '%s'", what,
      g, e);
  g_free (g);
  g_free (e);
  g_strfreev (got);
}

static guint64
samples (const gchar * text)
{
  return inworld_test_signal_n_samples (text, RATE);
}

/* The flush-completed @i ends @n samples after @at. */
static void
check_flush_end (P * p, guint i, GstClockTime at, guint64 n)
{
  GstStructure *s = g_ptr_array_index (p->flushes, i);
  GstClockTime ts;

  fail_unless (gst_structure_get_clock_time (s, "timestamp", &ts));
  fail_unless (ts >= at, "flush %u at %" GST_TIME_FORMAT, i,
      GST_TIME_ARGS (ts));
  fail_unless_equals_uint64 (gst_util_uint64_scale_round (ts - at, RATE,
          GST_SECOND), n);
}

static const gchar *
flush_speaker (P * p, guint i)
{
  return gst_structure_get_string (g_ptr_array_index (p->flushes, i),
      "speaker");
}

/* A file @name in a new temporary directory holding @contents; the
 * directory in *@dir (g_free, remove both). */
static gchar *
write_file (const gchar * name, const gchar * contents, gchar ** dir)
{
  gchar *path;

  *dir = g_dir_make_tmp ("speakers-XXXXXX", NULL);
  fail_unless (*dir != NULL);
  path = g_build_filename (*dir, name, NULL);
  fail_unless (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

static void
remove_file (gchar * path, gchar * dir)
{
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

/* ------------------------------------------------------------------------
 * WebVTT speakers through subparse
 * ------------------------------------------------------------------------ */

static const gchar *script_vtt =
    "WEBVTT\n\n"
    "00:00:00.000 --> 00:00:02.000\n<v Alice>Hello, Bob.</v>\n\n"
    "00:00:02.000 --> 00:00:04.000\n<v.loud Bob>Hi Alice!</v>\n\n"
    "00:00:04.000 --> 00:00:06.000\n<v Carol>I am Carol.\n\n"
    "00:00:06.000 --> 00:00:08.000\n<v Carol>Still Carol.</v>\n\n"
    "00:00:08.000 --> 00:00:10.000\n<v Alice>Bye.</v>\n";

/* Alice and Bob are mapped, Carol is not: Ashley, Dennis, then the voice
 * property's (Alex) twice, with one warning naming Carol; the texts
 * reach the server without their tags; each flush-completed names its
 * speaker and ends where its cue's speech does */
GST_START_TEST (test_vtt_voices)
{
  InworldEmulator *emu = inworld_emulator_start_logged (NULL);
  static const gchar *const texts[] = { "Hello, Bob.", "Hi Alice!",
    "I am Carol.", "Still Carol.", "Bye.", NULL
  };
  static const gchar *const voices[] = { "Ashley", "Dennis", "Alex", "Alex",
    "Ashley", NULL
  };
  static const gchar *const speakers[] = { "Alice", "Bob", "Carol", "Carol",
    "Alice"
  };
  gchar *dir, *path = write_file ("script.vtt", script_vtt, &dir);
  gchar *src = g_strdup_printf ("filesrc location=\"%s\" ! subparse", path);
  P *p = p_new (emu, src, "voice=Alex voice-map=\"Alice=Ashley,Bob=Dennis\"");
  const GstStructure *details;
  gchar *text;

  p_state (p, GST_STATE_PLAYING);
  p_wait_eos (p);

  check_strv (synthesis_voices (emu), voices, "voices");
  check_strv (sent_texts (emu), texts, "texts");

  fail_unless_equals_int (p->warnings->len, 1);
  text = warning_text (p, 0);
  fail_unless (strstr (text, "'Carol'") && strstr (text, "'Alex'"), "%s",
      text);
  g_free (text);
  gst_message_parse_warning_details (g_ptr_array_index (p->warnings, 0),
      &details);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "speaker"),
      "Carol");

  fail_unless_equals_int (p->flushes->len, G_N_ELEMENTS (speakers));
  for (guint i = 0; i < G_N_ELEMENTS (speakers); i++) {
    fail_unless_equals_string (flush_speaker (p, i), speakers[i]);
    check_flush_end (p, i, 2 * i * GST_SECOND, samples (texts[i]));
  }

  p_free (p);
  g_free (src);
  remove_file (path, dir);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static const gchar *dialogue_vtt =
    "WEBVTT\n\n"
    "00:00:01.000 --> 00:00:03.000\n"
    "<v Alice>One, says Alice.</v> <v Bob>Two, says Bob.</v>\n\n"
    "00:00:09.000 --> 00:00:10.000\n"
    "<v Bob>Three.</v>\n<v Alice>Four, <i>in italics</i>.</v>\n";

/* two speakers in one cue: two utterances with their voices, in order,
 * the first at the cue's time and the second right after it */
GST_START_TEST (test_vtt_two_speakers_in_cue)
{
  InworldEmulator *emu = inworld_emulator_start_logged (NULL);
  static const gchar *const texts[] = { "One, says Alice.",
    "Two, says Bob.", "Three.", "Four, in italics.", NULL
  };
  static const gchar *const voices[] = { "Olivia", "Dennis", "Dennis",
    "Olivia", NULL
  };
  gchar *dir, *path = write_file ("dialogue.vtt", dialogue_vtt, &dir);
  gchar *src = g_strdup_printf ("filesrc location=\"%s\" ! subparse", path);
  P *p = p_new (emu, src, "voice-map=\"Alice=Olivia, Bob=Dennis\"");
  guint64 n0 = samples (texts[0]), n2 = samples (texts[2]);

  p_state (p, GST_STATE_PLAYING);
  p_wait_eos (p);

  check_strv (synthesis_voices (emu), voices, "voices");
  check_strv (sent_texts (emu), texts, "texts");
  fail_unless_equals_int (p->warnings->len, 0);
  fail_unless_equals_int (p->flushes->len, 4);
  check_flush_end (p, 0, GST_SECOND, n0);
  check_flush_end (p, 1, GST_SECOND, n0 + samples (texts[1]));
  check_flush_end (p, 2, 9 * GST_SECOND, n2);
  check_flush_end (p, 3, 9 * GST_SECOND, n2 + samples (texts[3]));
  fail_unless_equals_string (flush_speaker (p, 0), "Alice");
  fail_unless_equals_string (flush_speaker (p, 1), "Bob");

  p_free (p);
  g_free (src);
  remove_file (path, dir);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Speakers in text from the application
 * ------------------------------------------------------------------------ */

static gboolean
push_text (P * p, const gchar * text)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (p->tts, "push-text", text, TRUE, &ok);
  return ok;
}

/* push-text with <v> tags in plain text; a voice-map changed while
 * playing applies from the next utterance; a malformed one is refused
 * with a warning and the one in force is kept */
GST_START_TEST (test_voice_map_changes)
{
  InworldEmulator *emu = inworld_emulator_start_logged (NULL);
  static const gchar *const texts[] = { "Hello.", "Hello again.",
    "Still Olivia.", "Narrator.", NULL
  };
  static const gchar *const voices[] = { "Dennis", "Olivia", "Olivia",
    "Ashley", NULL
  };
  P *p = p_new (emu, NULL, "voice-map=\"Alice=Dennis\"");
  gchar *map = NULL;

  p_state (p, GST_STATE_PLAYING);
  fail_unless (push_text (p, "<v Alice>Hello.</v>"));
  p_wait_flushes (p, 1);

  g_object_set (p->tts, "voice-map", "Alice=Olivia", NULL);
  fail_unless (push_text (p, "<v Alice>Hello again.</v>"));
  p_wait_flushes (p, 2);

  p_drain (p, 0);
  fail_unless_equals_int (p->warnings->len, 0);
  g_object_set (p->tts, "voice-map", "Alice=Dennis,Bob", NULL);
  p_drain (p, 0);
  fail_unless_equals_int (p->warnings->len, 1);
  fail_unless_equals_int (count_warnings (p, "Ignored voice-map "
          "'Alice=Dennis,Bob'"), 1);
  fail_unless_equals_int (count_warnings (p, "('Bob') has no '='"), 1);
  g_object_get (p->tts, "voice-map", &map, NULL);
  fail_unless_equals_string (map, "Alice=Olivia");
  g_free (map);
  fail_unless (push_text (p, "<v Alice>Still Olivia.</v>"));
  fail_unless (push_text (p, "Narrator."));
  g_signal_emit_by_name (p->tts, "end-of-stream");
  p_wait_eos (p);

  check_strv (synthesis_voices (emu), voices, "voices");
  check_strv (sent_texts (emu), texts, "texts");
  fail_unless_equals_int (p->warnings->len, 1);
  fail_unless_equals_string (flush_speaker (p, 2), "Alice");
  fail_unless (flush_speaker (p, 3) == NULL);

  p_free (p);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * push-utterance
 * ------------------------------------------------------------------------ */

static gboolean
push_utterance (P * p, const gchar * text, const gchar * settings)
{
  GstStructure *s = settings ? gst_structure_from_string (settings, NULL) :
      NULL;
  gboolean ok = FALSE;

  fail_unless (settings == NULL || s != NULL, "%s", settings);
  g_signal_emit_by_name (p->tts, "push-utterance", text, s, &ok);
  if (s)
    gst_structure_free (s);
  return ok;
}

/* Whether a frame received between the synthesis before @synthesis
 * (from 0) and that one holds @needle: the settings it was run with. */
static gboolean
frame_before_synthesis (InworldEmulator * emu, guint synthesis,
    const gchar * needle)
{
  gchar **lines = inworld_emulator_log_lines (emu, "conn ", NULL);
  guint seen = 0;
  gboolean found = FALSE;

  for (guint i = 0; lines[i] && seen <= synthesis; i++) {
    if (strstr (lines[i], "synthesis of "))
      seen++;
    else if (seen == synthesis && strstr (lines[i], "<- ")
        && strstr (lines[i], needle))
      found = TRUE;
  }
  g_strfreev (lines);
  return found;
}

/* push-utterance with voice, speaker and speaking-rate, in READY (kept
 * until the element runs) or PLAYING (__i__): each reaches the server
 * with its settings, the properties do not change, and `start` places
 * an utterance on the timeline */
GST_START_TEST (test_push_utterance)
{
  gboolean ready = __i__ == 0;
  InworldEmulator *emu = inworld_emulator_start_logged (NULL);
  static const gchar *const texts[] = { "Dennis speaks fast.",
    "Alice speaks.", "Plain.", "Late line.", NULL
  };
  static const gchar *const voices[] = { "Dennis", "Olivia", "Ashley",
    "Hana", NULL
  };
  P *p = p_new (emu, NULL, "voice-map=\"Alice=Olivia\"");
  gchar *voice = NULL;
  gdouble rate = 0;
  guint64 n01;

  p_state (p, ready ? GST_STATE_READY : GST_STATE_PLAYING);
  fail_unless (push_utterance (p, texts[0],
          "u, voice=Dennis, speaking-rate=1.3"));
  fail_unless (push_utterance (p, texts[1], "u, speaker=Alice"));
  fail_unless (push_utterance (p, texts[2], NULL));
  /* a speaker's voice gives way to the voice given */
  fail_unless (push_utterance (p, texts[3], "u, speaker=Alice, voice=Hana, "
          "start=(guint64)5000000000, temperature=0.5"));
  g_signal_emit_by_name (p->tts, "end-of-stream");
  if (ready)
    p_state (p, GST_STATE_PLAYING);
  p_wait_eos (p);

  check_strv (synthesis_voices (emu), voices, "voices");
  check_strv (sent_texts (emu), texts, "texts");
  fail_unless (frame_before_synthesis (emu, 0, "\"speakingRate\":1.3"));
  /* the next one is at the property's rate again: update_config cannot
   * unset a rate, a new context without one speaks it */
  fail_if (frame_before_synthesis (emu, 1, "\"speakingRate\""));
  fail_unless (frame_before_synthesis (emu, 1, "\"create\""));
  fail_unless (frame_before_synthesis (emu, 3, "\"temperature\":0.5"));
  fail_unless_equals_int (p->warnings->len, 0);

  /* the properties are as they were */
  g_object_get (p->tts, "voice", &voice, "speaking-rate", &rate, NULL);
  fail_unless_equals_string (voice, "Ashley");
  fail_unless_equals_float (rate, 1.0);
  g_free (voice);

  fail_unless_equals_int (p->flushes->len, 4);
  n01 = samples (texts[0]) + samples (texts[1]);
  check_flush_end (p, 1, 0, n01);
  check_flush_end (p, 2, 0, n01 + samples (texts[2]));
  check_flush_end (p, 3, 5 * GST_SECOND, samples (texts[3]));
  fail_unless (flush_speaker (p, 0) == NULL);
  fail_unless_equals_string (flush_speaker (p, 1), "Alice");

  p_free (p);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* bad input is refused with a warning (FALSE, nothing sent); an unknown
 * field is a warning, and the utterance is spoken */
GST_START_TEST (test_push_utterance_bad)
{
  InworldEmulator *emu = inworld_emulator_start_logged (NULL);
  static const struct
  {
    const gchar *settings;
    const gchar *warning;
  } bad[] = {
    {"u, speaking-rate=3.0", "speaking-rate 3 is out of its range"},
    {"u, speaking-rate=fast", "speaking-rate must be a number"},
    {"u, temperature=(double)-1", "temperature -1 is out of its range"},
    {"u, voice=(int)5", "voice must be a string"},
    {"u, voice=(string)\"\"", "voice is empty"},
    {"u, flush=(string)yes", "flush must be a boolean"},
    {"u, start=(int)-1", "start -1 is negative"},
    {"u, start=(string)soon", "start must be a running time"},
  };
  static const gchar *const texts[] = { "Unknown fields.", NULL };
  static const gchar *const voices[] = { "Dennis", NULL };
  P *p = p_new (emu, NULL, NULL);

  p_state (p, GST_STATE_READY);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    fail_if (push_utterance (p, "Refused.", bad[i].settings), "%s",
        bad[i].settings);
    p_drain (p, 0);
    fail_unless_equals_int (p->warnings->len, i + 1);
    fail_unless_equals_int (count_warnings (p, bad[i].warning), 1);
  }
  fail_if (push_utterance (p, "\xff bad UTF-8", NULL));
  p_drain (p, 0);
  fail_unless_equals_int (count_warnings (p, "not UTF-8"), 1);

  fail_unless (push_utterance (p, texts[0], "u, voice=Dennis, colour=red, "
          "mood=calm"));
  p_drain (p, 0);
  fail_unless_equals_int (count_warnings (p, "unknown field(s) colour, "
          "mood ignored"), 1);

  g_signal_emit_by_name (p->tts, "end-of-stream");
  p_state (p, GST_STATE_PLAYING);
  p_wait_eos (p);
  check_strv (synthesis_voices (emu), voices, "voices");
  check_strv (sent_texts (emu), texts, "texts");
  fail_unless_equals_int (p->flushes->len, 1);

  p_free (p);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static Suite *
speakers_suite (void)
{
  Suite *s = suite_create ("speakers");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vtt_voices);
  tcase_add_test (tc, test_vtt_two_speakers_in_cue);
  tcase_add_test (tc, test_voice_map_changes);
  tcase_add_loop_test (tc, test_push_utterance, 0, 2);
  tcase_add_test (tc, test_push_utterance_bad);
  return s;
}

GST_CHECK_MAIN (speakers);
