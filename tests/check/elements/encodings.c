/* inworldttssrc: every encoding, against the emulator's real encoders
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The emulator encodes with GStreamer's encoders and cuts the streams at
 * irregular byte offsets. The element's output is judged as a pipeline
 * would judge it: decoded, muxed into files, and timed. */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <string.h>

#include "emulator-fixture.h"
#include "tts-harness.h"
#include "inworld-test-signal.h"
#include "inworldtext.h"
#include "../codec-helpers.h"

#define FLUSH_COMPLETED "inworld-flush-completed"
#define RUN_TIMEOUT (60 * GST_SECOND)
#define G711_TEXT "Telephone quality speech, eight thousand samples a second."

/* Long enough to be cut into three flushes of at most 1000 characters. */
static gchar *
three_flush_text (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; s->len < 2300; i++)
    g_string_append_printf (s, "Sentence number %u is spoken here. ", i);
  return g_string_free (s, FALSE);
}

/* Samples the emulator's test signal has for @text at @rate, by flush. */
static GArray *
expected_samples (const gchar * text, gint rate)
{
  gchar **pieces = inworld_text_split (text, 1000);
  GArray *counts = g_array_new (FALSE, FALSE, sizeof (guint64));

  for (gchar ** p = pieces; *p; p++) {
    guint64 n = inworld_test_signal_n_samples (*p, rate);
    if (inworld_text_has_speech (*p))
      g_array_append_val (counts, n);
  }
  g_strfreev (pieces);
  return counts;
}

/* What left the src pad, in order. */
typedef struct
{
  GMutex lock;
  GPtrArray *buffers;           /* audio and header buffers */
  GArray *flush_ends;           /* event timestamp of each flush */
  GArray *buffers_before;       /* buffers pushed before each event */
  GstCaps *caps;
  guint caps_events;
  gboolean eos;
} Output;

static GstPadProbeReturn
record (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Output *out = user_data;

  g_mutex_lock (&out->lock);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    g_ptr_array_add (out->buffers,
        gst_buffer_ref (GST_PAD_PROBE_INFO_BUFFER (info)));
  } else {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      gst_caps_replace (&out->caps, caps);
      out->caps_events++;
    } else if (gst_event_has_name (event, FLUSH_COMPLETED)) {
      GstClockTime ts = GST_CLOCK_TIME_NONE;
      guint n = out->buffers->len;

      gst_structure_get_clock_time (gst_event_get_structure (event),
          "timestamp", &ts);
      g_array_append_val (out->flush_ends, ts);
      g_array_append_val (out->buffers_before, n);
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
      out->eos = TRUE;
    }
  }
  g_mutex_unlock (&out->lock);
  return GST_PAD_PROBE_OK;
}

static void
output_clear (Output * out)
{
  g_ptr_array_unref (out->buffers);
  g_array_unref (out->flush_ends);
  g_array_unref (out->buffers_before);
  gst_clear_caps (&out->caps);
  g_mutex_clear (&out->lock);
}

/* Speaks @text into a harness whose sink takes @sink_caps; returns the
 * error message (NULL on EOS). */
static GstMessage *
speak (const gchar * uri, const gchar * text, const gchar * sink_caps,
    Output * out, const gchar * first_property, ...)
{
  GstElement *el = gst_element_factory_make ("inworldttssrc", NULL);
  GstHarness *h;
  GstBus *bus = gst_bus_new ();
  GstPad *pad;
  GstMessage *error = NULL;
  gint64 deadline = g_get_monotonic_time () + RUN_TIMEOUT / GST_USECOND;
  va_list args;

  memset (out, 0, sizeof (*out));
  g_mutex_init (&out->lock);
  out->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  out->flush_ends = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  out->buffers_before = g_array_new (FALSE, FALSE, sizeof (guint));

  fail_unless (el != NULL);
  g_object_set (el, "uri", uri, "api-key", TEST_API_KEY, "text", text, NULL);
  va_start (args, first_property);
  if (first_property)
    g_object_set_valist (G_OBJECT (el), first_property, args);
  va_end (args);

  h = tts_harness_new (el, bus);
  gst_harness_set_sink_caps_str (h, sink_caps);
  pad = gst_element_get_static_pad (el, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, record, out, NULL);
  gst_object_unref (pad);

  gst_harness_play (h);
  for (;;) {
    gboolean eos;

    error = gst_bus_timed_pop_filtered (bus, 20 * GST_MSECOND,
        GST_MESSAGE_ERROR);
    g_mutex_lock (&out->lock);
    eos = out->eos;
    g_mutex_unlock (&out->lock);
    if (error || eos)
      break;
    fail_if (g_get_monotonic_time () > deadline, "no EOS nor error");
  }
  if (error == NULL)
    error = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  gst_element_set_bus (el, NULL);
  gst_harness_teardown (h);
  gst_object_unref (el);
  gst_object_unref (bus);
  return error;
}

static void
fail_on_error (GstMessage * error)
{
  if (error) {
    GError *err = NULL;
    gchar *debug = NULL;

    gst_message_parse_error (error, &err, &debug);
    fail ("error: %s (%s)", err->message, debug);
  }
}

/* Audio buffers (headers left out) run from 0, each PTS the previous one
 * plus its duration; returns the sum of the durations. */
static GstClockTime
check_timeline (Output * out)
{
  GstClockTime next = 0;

  for (guint i = 0; i < out->buffers->len; i++) {
    GstBuffer *buf = g_ptr_array_index (out->buffers, i);

    fail_unless (GST_BUFFER_PTS_IS_VALID (buf));
    fail_unless (GST_BUFFER_DURATION_IS_VALID (buf));
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER)) {
      fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), 0);
      continue;
    }
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), next);
    next += GST_BUFFER_DURATION (buf);
  }
  return next;
}

/* Each flush-completed event comes after that flush's buffers, and its
 * timestamp is where they end. */
static void
check_flush_events (Output * out, guint flushes)
{
  fail_unless_equals_int (out->flush_ends->len, flushes);
  for (guint f = 0; f < flushes; f++) {
    guint before = g_array_index (out->buffers_before, guint, f);
    GstBuffer *last = g_ptr_array_index (out->buffers, before - 1);

    fail_unless_equals_uint64 (g_array_index (out->flush_ends, GstClockTime,
            f), GST_BUFFER_PTS (last) + GST_BUFFER_DURATION (last));
  }
}

typedef struct
{
  const gchar *caps;            /* what the harness sink takes */
  const gchar *media_type;
  gint rate;
  gint clock_rate;              /* of the timestamps */
  const gchar *decoder;
  guint frame;                  /* samples per frame, at clock_rate */
  gboolean exact;               /* sample-exact length (no encoder delay) */
} Case;

static const Case cases[] = {
  {"audio/mpeg, mpegversion=1, layer=3", "audio/mpeg", 24000, 24000,
      "mpg123audiodec", 576, FALSE},
  {"audio/mpeg, rate=44100", "audio/mpeg", 44100, 44100, "mpg123audiodec",
      1152, FALSE},
  {"audio/x-opus", "audio/x-opus", 24000, 48000,
      "opusdec ! audio/x-raw,rate=48000", 960, TRUE},
  {"audio/x-opus, rate=48000", "audio/x-opus", 48000, 48000,
      "opusdec ! audio/x-raw,rate=48000", 960, TRUE},
  {"audio/x-flac, rate=16000", "audio/x-flac", 16000, 16000, "flacdec",
      4608, TRUE},
  {"audio/x-flac", "audio/x-flac", 24000, 24000, "flacdec", 4608, TRUE},
  {"audio/x-alaw", "audio/x-alaw", 8000, 8000, "alawdec", 1, TRUE},
  {"audio/x-mulaw", "audio/x-mulaw", 8000, 8000, "mulawdec", 1, TRUE},
};

/* Per encoding, three flushes: caps, timeline, events, and what a decoder
 * makes of the buffers. */
GST_START_TEST (test_encodings)
{
  const Case *c = &cases[__i__];
  InworldEmulator *emu = inworld_emulator_start ("--speed=0", NULL);
  gchar *text = three_flush_text ();
  GArray *expected = expected_samples (text, c->clock_rate);
  GstStructure *s;
  GstClockTime total;
  guint64 decoded = 0, want = 0, timeline;
  gint16 *pcm;
  gint rate = 0;
  Output out;

  fail_unless_equals_int (expected->len, 3);
  for (guint i = 0; i < expected->len; i++)
    want += g_array_index (expected, guint64, i);

  fail_on_error (speak (emu->uri, text, c->caps, &out, NULL));

  s = gst_caps_get_structure (out.caps, 0);
  fail_unless (gst_structure_has_name (s, c->media_type), "%" GST_PTR_FORMAT,
      out.caps);
  fail_unless (gst_structure_get_int (s, "rate", &rate));
  fail_unless_equals_int (rate, c->rate);
  /* Opus caps come at once, then again with their streamheader; FLAC caps
   * only with it */
  if (gst_structure_has_name (s, "audio/x-opus")) {
    fail_unless_equals_int (out.caps_events, 2);
    fail_unless (gst_structure_has_field (s, "streamheader"));
  } else {
    fail_unless_equals_int (out.caps_events, 1);
  }

  total = check_timeline (&out);
  check_flush_events (&out, 3);
  timeline = gst_util_uint64_scale_round (total, c->clock_rate, GST_SECOND);

  /* the timeline is the speech: exact where the codec keeps the length,
   * and at most the encoder's delay and padding (under 3 frames) more for
   * MP3, in every flush */
  if (c->exact) {
    fail_unless_equals_uint64 (timeline, want);
  } else {
    fail_unless (timeline >= want && timeline < want + 3 * 3 * c->frame,
        "%" G_GUINT64_FORMAT " samples for %" G_GUINT64_FORMAT, timeline,
        want);
  }

  /* and the decoder agrees with the timestamps, within one frame */
  pcm = codec_decode (out.caps, out.buffers, c->decoder, &decoded);
  fail_unless (pcm != NULL);
  g_free (pcm);
  fail_unless (ABS ((gint64) decoded - (gint64) timeline) <= (gint64) c->frame,
      "%s decoded %" G_GUINT64_FORMAT " samples, timestamps say %"
      G_GUINT64_FORMAT, c->decoder, decoded, timeline);

  output_clear (&out);
  g_array_unref (expected);
  g_free (text);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* A-law and mu-law decode bit-exactly to what GStreamer's own encoder
 * and decoder make of the emulator's samples. */
GST_START_TEST (test_g711_bit_exact)
{
  static const gchar *codecs[][3] = {
    {"audio/x-alaw", "alawenc", "alawdec"},
    {"audio/x-mulaw", "mulawenc", "mulawdec"},
  };
  InworldEmulator *emu = inworld_emulator_start ("--speed=0", NULL);

  for (guint c = 0; c < G_N_ELEMENTS (codecs); c++) {
    guint64 n = inworld_test_signal_n_samples (G711_TEXT, 8000);
    guint16 seed = inworld_test_signal_seed (G711_TEXT);
    gint16 *input = g_new (gint16, n);
    GBytes *encoded;
    GPtrArray *reference = g_ptr_array_new_with_free_func ((GDestroyNotify)
        gst_buffer_unref);
    GstCaps *caps;
    gint16 *want, *got;
    guint64 n_want = 0, n_got = 0;
    Output out;

    for (guint64 i = 0; i < n; i++)
      input[i] = inworld_test_signal_sample (seed, i);
    encoded = codec_encode (codecs[c][1], 8000, input, n);
    g_ptr_array_add (reference, gst_buffer_new_wrapped_bytes (encoded));
    caps = gst_caps_new_simple (codecs[c][0], "rate", G_TYPE_INT, 8000,
        "channels", G_TYPE_INT, 1, NULL);
    want = codec_decode (caps, reference, codecs[c][2], &n_want);

    fail_on_error (speak (emu->uri, G711_TEXT, codecs[c][0],
            &out, NULL));
    got = codec_decode (out.caps, out.buffers, codecs[c][2], &n_got);
    fail_unless_equals_uint64 (n_got, n);
    fail_unless_equals_uint64 (n_want, n);
    fail_unless (memcmp (got, want, n * 2) == 0, "%s output differs",
        codecs[c][0]);

    g_free (got);
    g_free (want);
    g_free (input);
    gst_caps_unref (caps);
    g_bytes_unref (encoded);
    g_ptr_array_unref (reference);
    output_clear (&out);
  }
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static gchar *
temp_path (const gchar * suffix)
{
  gchar *name = g_strdup_printf ("inworld-%u-%s", (guint) getpid (), suffix);
  gchar *path = g_build_filename (g_get_tmp_dir (), name, NULL);

  g_free (name);
  return path;
}

/* Encoded output into muxers and files, straight from the element, and
 * the files' lengths as players see them. */
GST_START_TEST (test_mux_to_files)
{
  static const struct
  {
    const gchar *encode;        /* what follows the element */
    const gchar *suffix;
    const gchar *decode;        /* what reads the file back */
    gint rate;                  /* of the decoded samples */
    guint slack;                /* samples the file may add */
  } files[] = {
    {"audio/mpeg, rate=24000 ! filesink", "speech.mp3",
        "mpegaudioparse ! mpg123audiodec", 24000, 3 * 3 * 576},
    /* Ogg Opus can trim only at a stream's start and end, so each
     * later flush's encoder delay and padding (one 20 ms frame) stays */
    {"audio/x-opus, rate=24000 ! oggmux ! filesink", "speech.ogg",
        "oggdemux ! opusdec ! audio/x-raw, rate=48000", 48000, 3 * 960},
    {"audio/x-opus, rate=24000 ! webmmux ! filesink", "speech.webm",
        "matroskademux ! opusdec ! audio/x-raw, rate=48000", 48000, 960},
    {"audio/x-flac, rate=24000 ! filesink", "speech.flac",
        "flacparse ! flacdec", 24000, 0},
  };
  InworldEmulator *emu = inworld_emulator_start ("--speed=0", NULL);
  gchar *text = three_flush_text ();

  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    gchar *path = temp_path (files[i].suffix);
    gchar *launch = g_strdup_printf ("inworldttssrc uri=%s api-key=%s "
        "text=\"%s\" ! %s location=\"%s\"", emu->uri, TEST_API_KEY, text,
        files[i].encode, path);
    GArray *expected = expected_samples (text, files[i].rate);
    guint64 want = 0;
    gint64 decoded;
    GstClockTime duration, decoded_time;

    for (guint f = 0; f < expected->len; f++)
      want += g_array_index (expected, guint64, f);
    fail_unless (codec_run (launch), "%s failed", launch);

    decoded = codec_file_samples (path, files[i].decode);
    fail_unless (decoded >= (gint64) want
        && decoded <= (gint64) (want + files[i].slack),
        "%s: %" G_GINT64_FORMAT " samples decoded for %" G_GUINT64_FORMAT,
        files[i].suffix, decoded, want);

    /* the container's duration: within 2% (MP3 and FLAC streams of
     * unknown length are estimated from their bit rate) */
    duration = codec_file_duration (path);
    decoded_time = gst_util_uint64_scale_int (decoded, GST_SECOND,
        files[i].rate);
    fail_unless (GST_CLOCK_TIME_IS_VALID (duration), "%s", files[i].suffix);
    fail_unless (ABS ((gint64) duration - (gint64) decoded_time) <
        (gint64) decoded_time / 50, "%s lasts %" GST_TIME_FORMAT ", decoded %"
        GST_TIME_FORMAT, files[i].suffix, GST_TIME_ARGS (duration),
        GST_TIME_ARGS (decoded_time));

    g_unlink (path);
    g_free (path);
    g_free (launch);
    g_array_unref (expected);
  }
  g_free (text);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static gchar *
error_text (GstMessage * msg, GQuark domain, gint code)
{
  GError *err = NULL;
  gchar *debug = NULL, *text;

  fail_unless (msg != NULL, "no error");
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (g_error_matches (err, domain, code), "%s", err->message);
  text = g_strdup_printf ("%s | %s", err->message, debug ? debug : "");
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  return text;
}

GST_START_TEST (test_negotiation)
{
  InworldEmulator *emu = inworld_emulator_start ("--speed=0", NULL);
  const gchar *text = "Caps decide.";
  gchar *msg;
  Output out;

  /* a forced encoding downstream cannot take */
  msg = error_text (speak (emu->uri, text, "audio/x-raw", &out, "encoding",
          4 /* mp3 */ , NULL), GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION);
  fail_unless (strstr (msg, "audio/mpeg") && strstr (msg, "encoding=MP3"),
      "%s", msg);
  fail_unless_equals_int (out.buffers->len, 0);
  g_free (msg);
  output_clear (&out);

  /* MP3 below 16 kHz is refused before the server is asked */
  msg = error_text (speak (emu->uri, text, "audio/mpeg, rate=8000", &out,
          NULL), GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION);
  fail_unless (strstr (msg, "none of the formats") != NULL, "%s", msg);
  g_free (msg);
  output_clear (&out);

  /* A-law other than 8 kHz too */
  msg = error_text (speak (emu->uri, text, "audio/x-alaw, rate=16000", &out,
          NULL), GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION);
  g_free (msg);
  output_clear (&out);

  /* a bit rate outside what Opus allows */
  msg = error_text (speak (emu->uri, text, "audio/x-opus", &out, "bitrate",
          256000, NULL), GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
  fail_unless (strstr (msg, "32000 to 192000") != NULL, "%s", msg);
  g_free (msg);
  output_clear (&out);

  /* auto follows downstream's order of preference */
  fail_on_error (speak (emu->uri, text, "audio/x-flac; audio/x-raw", &out,
          NULL));
  fail_unless (gst_structure_has_name (gst_caps_get_structure (out.caps, 0),
          "audio/x-flac"));
  output_clear (&out);
  fail_on_error (speak (emu->uri, text, "audio/x-raw; audio/x-flac", &out,
          NULL));
  fail_unless (gst_structure_has_name (gst_caps_get_structure (out.caps, 0),
          "audio/x-raw"));
  output_clear (&out);

  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* bitrate reaches the server: the MP3 frames say so in their headers. */
GST_START_TEST (test_bitrate)
{
  /* MPEG-2 layer III bit rate index of 64 and 160 kbit/s */
  static const struct
  {
    guint bitrate;
    guint index;
  } rates[] = { {64000, 8}, {160000, 14} };
  InworldEmulator *emu = inworld_emulator_start ("--speed=0", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rates); i++) {
    Output out;
    guint8 header[4];

    fail_on_error (speak (emu->uri, "Bit rate check, one two three.",
            "audio/mpeg, rate=24000", &out, "bitrate", rates[i].bitrate,
            NULL));
    fail_unless (out.buffers->len > 0);
    gst_buffer_extract (g_ptr_array_index (out.buffers, 0), 0, header, 4);
    fail_unless_equals_int (header[2] >> 4, rates[i].index);
    output_clear (&out);
  }
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static Suite *
encodings_suite (void)
{
  Suite *s = suite_create ("inworldttssrc-encodings");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_loop_test (tc, test_encodings, 0, G_N_ELEMENTS (cases));
  tcase_add_test (tc, test_g711_bit_exact);
  tcase_add_test (tc, test_mux_to_files);
  tcase_add_test (tc, test_negotiation);
  tcase_add_test (tc, test_bitrate);
  return s;
}

GST_CHECK_MAIN (encodings);
