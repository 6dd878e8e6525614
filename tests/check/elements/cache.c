/* inworldttssrc: the synthesis cache (cache-dir, cache-size)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The cache against the emulator (docs/cache.md): an utterance rendered
 * once is rendered again, with the emulator stopped, into exactly the same
 * buffers, events and messages, with no connection; other settings miss;
 * what a restart or an interrupt touched is not stored; a damaged entry
 * warns and goes to the server; a hit waits for a miss queued before it;
 * the API key is nowhere in the cache. Each run is summarised as text
 * (buffers with their times, offsets and a digest of their bytes, the
 * flush-completed events and the element messages but for their
 * context-id, warnings and errors) so that runs compare as strings. */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <string.h>

#include "emulator-fixture.h"
#include "tts-harness.h"
#include "../recorder.h"

#define RAW_CAPS "audio/x-raw, format=S16LE, layout=interleaved, " \
    "channels=1, rate=16000"
#define WAIT (30 * GST_SECOND)

static const gchar text1[] = "This is station K-G-S-T, your voice of the "
    "valley.";
static const gchar text2[] = "Please hold: your call matters to us.";

static gchar *dir;

static void
setup (void)
{
  dir = g_dir_make_tmp ("inworld-cache-XXXXXX", NULL);
}

static void
teardown (void)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (dir, name, NULL);

    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
  g_clear_pointer (&dir, g_free);
}

typedef struct
{
  GstElement *el;
  GstBus *bus;
  GstHarness *h;
  Rec rec;
} T;

static T *
t_new (const gchar * uri)
{
  T *t = g_new0 (T, 1);

  t->el = gst_element_factory_make ("inworldttssrc", NULL);
  fail_unless (t->el != NULL, "inworldttssrc not found");
  g_object_set (t->el, "uri", uri, "api-key", TEST_API_KEY, "cache-dir", dir,
      "timeout", 5, NULL);
  gst_util_set_object_arg (G_OBJECT (t->el), "timestamp-type", "word");
  rec_init (&t->rec);
  t->bus = gst_bus_new ();
  t->h = tts_harness_new (t->el, t->bus);
  gst_harness_set_sink_caps_str (t->h, RAW_CAPS);
  rec_attach (&t->rec, t->el, t->bus);
  return t;
}

/* Stops the element: its stores are on the disk once this returns. */
static void
t_free (T * t)
{
  gst_element_set_bus (t->el, NULL);
  gst_harness_teardown (t->h);
  gst_object_unref (t->el);
  gst_object_unref (t->bus);
  rec_clear (&t->rec);
  g_free (t);
}

static void
push_text (T * t, const gchar * text)
{
  gboolean ret = FALSE;

  g_signal_emit_by_name (t->el, "push-text", text, TRUE, &ret);
  fail_unless (ret);
}

/* Speaks the NULL-terminated texts, each an utterance, to EOS. */
static void
speak (T * t, const gchar * first, ...)
{
  va_list args;

  gst_harness_play (t->h);
  va_start (args, first);
  for (const gchar * text = first; text; text = va_arg (args, const gchar *))
      push_text (t, text);
  va_end (args);
  g_signal_emit_by_name (t->el, "end-of-stream");
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1, WAIT),
      "EOS");
}

static GstStructure *
without_context (const GstStructure * s)
{
  GstStructure *copy = gst_structure_copy (s);

  gst_structure_remove_field (copy, "context-id");
  return copy;
}

/* The run as text: one line per buffer, flush-completed event, element
 * message, warning and error. */
static gchar *
summary (Rec * rec)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < rec->log->len; i++) {
    GstMiniObject *o = LOG_AT (rec, i);

    if (GST_IS_BUFFER (o)) {
      GstBuffer *b = GST_BUFFER (o);
      GstMapInfo map;
      gchar *sum;

      gst_buffer_map (b, &map, GST_MAP_READ);
      sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, map.data,
          map.size);
      g_string_append_printf (out, "buffer %" GST_TIME_FORMAT " +%"
          GST_TIME_FORMAT " offsets %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
          " %" G_GSIZE_FORMAT " bytes %s\n",
          GST_TIME_ARGS (GST_BUFFER_PTS (b)),
          GST_TIME_ARGS (GST_BUFFER_DURATION (b)), GST_BUFFER_OFFSET (b),
          GST_BUFFER_OFFSET_END (b), map.size, sum);
      g_free (sum);
      gst_buffer_unmap (b, &map);
    } else if (GST_IS_EVENT (o)) {
      GstEvent *e = GST_EVENT (o);

      if (gst_event_has_name (e, "inworld-flush-completed")) {
        GstStructure *s = without_context (gst_event_get_structure (e));
        gchar *str = gst_structure_to_string (s);

        g_string_append_printf (out, "event %s\n", str);
        g_free (str);
        gst_structure_free (s);
      } else if (GST_EVENT_TYPE (e) == GST_EVENT_EOS) {
        g_string_append (out, "eos\n");
      }
    } else if (GST_IS_MESSAGE (o)) {
      GstMessage *m = GST_MESSAGE (o);

      if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT) {
        GstStructure *s = without_context (gst_message_get_structure (m));
        gchar *str = gst_structure_to_string (s);

        g_string_append_printf (out, "message %s\n", str);
        g_free (str);
        gst_structure_free (s);
      } else {
        GError *error = NULL;

        if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR)
          gst_message_parse_error (m, &error, NULL);
        else
          gst_message_parse_warning (m, &error, NULL);
        g_string_append_printf (out, "%s %s\n",
            GST_MESSAGE_TYPE_NAME (m), error->message);
        g_clear_error (&error);
      }
    }
  }
  return g_string_free (out, FALSE);
}

static guint64
stat_u64 (T * t, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 v = G_MAXUINT64;

  g_object_get (t->el, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s in %"
      GST_PTR_FORMAT, field, s);
  gst_structure_free (s);
  return v;
}

static guint
stat_uint (T * t, const gchar * field)
{
  GstStructure *s = NULL;
  guint v = G_MAXUINT;

  g_object_get (t->el, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint (s, field, &v));
  gst_structure_free (s);
  return v;
}

/* The entries in the cache directory (temporary files would count too). */
static guint
count_files (void)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d && g_dir_read_name (d))
    n++;
  if (d)
    g_dir_close (d);
  return n;
}

/* Fails if @needle is in any file of the cache or in a file name. */
static void
check_not_in_cache (const gchar * needle, gsize len)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL), *data;
    gsize size;

    fail_if (strstr (name, needle) != NULL);
    fail_unless (g_file_get_contents (path, &data, &size, NULL));
    for (gsize i = 0; i + len <= size; i++)
      fail_if (memcmp (data + i, needle, len) == 0, "%.*s found in %s",
          (gint) len, needle, name);
    g_free (data);
    g_free (path);
  }
  g_dir_close (d);
}

/* Renders text1 and text2 into the cache; returns the run's summary. */
static gchar *
render_to_cache (InworldEmulator * emu)
{
  T *t = t_new (emu->uri);
  gchar *first;

  speak (t, text1, text2, NULL);
  rec_fail_if_problem (&t->rec);
  fail_unless_equals_int (t->rec.flushes, 2);
  fail_unless (t->rec.timings > 4);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 2);
  fail_unless_equals_int (stat_u64 (t, "cache-hits"), 0);
  first = summary (&t->rec);
  t_free (t);
  fail_unless_equals_int (count_files (), 2);
  return first;
}

GST_START_TEST (test_replay_without_server)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *uri = g_strdup (emu->uri), *first, *second;
  gchar *decoded;
  gsize decoded_len;
  T *t;

  guint port = emu->port;
  GSocket *listener;
  GSocketAddress *addr;
  GInetAddress *loopback;
  GError *error = NULL;

  first = render_to_cache (emu);
  inworld_emulator_stop (emu);

  /* In the emulator's place, a socket that listens and never accepts: a
   * connection attempt would wait in its backlog. */
  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (loopback, port);
  fail_unless (g_socket_bind (listener, addr, TRUE, NULL));
  fail_unless (g_socket_listen (listener, NULL));
  g_socket_set_blocking (listener, FALSE);

  /* the same utterances come from the cache */
  t = t_new (uri);
  speak (t, text1, text2, NULL);
  rec_fail_if_problem (&t->rec);
  fail_if (g_socket_accept (listener, NULL, &error) != NULL,
      "the element connected");
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
  g_clear_error (&error);
  second = summary (&t->rec);
  fail_unless_equals_string (second, first);
  fail_unless_equals_int (stat_u64 (t, "cache-hits"), 2);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 0);
  /* no connection was even tried */
  fail_unless_equals_int (stat_u64 (t, "bytes-received"), 0);
  fail_unless_equals_int (stat_uint (t, "connection-id"), 0);
  fail_unless_equals_int (stat_u64 (t, "characters-sent"), 0);
  t_free (t);

  /* the API key, as given and decoded, is nowhere in the cache */
  check_not_in_cache (TEST_API_KEY, strlen (TEST_API_KEY));
  decoded = (gchar *) g_base64_decode (TEST_API_KEY, &decoded_len);
  check_not_in_cache (decoded, decoded_len);

  g_free (decoded);
  g_free (first);
  g_free (second);
  g_free (uri);
  g_object_unref (listener);
  g_object_unref (addr);
  g_object_unref (loopback);
}

GST_END_TEST;

/* Another voice, rate or format is another key; the original still hits. */
GST_START_TEST (test_other_settings_miss)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *first = render_to_cache (emu);
  T *t;

  t = t_new (emu->uri);
  g_object_set (t->el, "voice", "Dennis", NULL);
  speak (t, text1, NULL);
  fail_unless_equals_int (stat_u64 (t, "cache-hits"), 0);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 1);
  t_free (t);

  t = t_new (emu->uri);
  g_object_set (t->el, "speaking-rate", 1.25, NULL);
  speak (t, text1, NULL);
  fail_unless_equals_int (stat_u64 (t, "cache-hits"), 0);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 1);
  t_free (t);

  t = t_new (emu->uri);
  gst_harness_set_sink_caps_str (t->h, "audio/x-raw, format=S16LE, "
      "layout=interleaved, channels=1, rate=22050");
  speak (t, text1, NULL);
  fail_unless_equals_int (stat_u64 (t, "cache-hits"), 0);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 1);
  t_free (t);

  /* with the settings of the first run: a hit */
  t = t_new (emu->uri);
  speak (t, text2, NULL);
  rec_fail_if_problem (&t->rec);
  fail_unless_equals_int (stat_u64 (t, "cache-hits"), 1);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 0);
  t_free (t);
  fail_unless_equals_int (count_files (), 5);

  g_free (first);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* A hit queued behind a miss comes out after it, in its place on the
 * timeline: the run is the same as one with both from the server. */
GST_START_TEST (test_hit_after_miss_in_order)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *reference, *mixed;
  T *t;

  /* the reference, without a cache */
  t = t_new (emu->uri);
  g_object_set (t->el, "cache-dir", NULL, NULL);
  speak (t, text1, text2, NULL);
  reference = summary (&t->rec);
  t_free (t);
  fail_unless_equals_int (count_files (), 0);

  /* text2 alone into the cache */
  t = t_new (emu->uri);
  speak (t, text2, NULL);
  t_free (t);

  /* text1 goes to the server, text2 waits for it */
  t = t_new (emu->uri);
  speak (t, text1, text2, NULL);
  rec_fail_if_problem (&t->rec);
  fail_unless_equals_int (stat_u64 (t, "cache-hits"), 1);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 1);
  mixed = summary (&t->rec);
  if (g_strcmp0 (mixed, reference) != 0)
    g_printerr ("REFERENCE:\n%s\nMIXED:\n%s\n", reference, mixed);
  fail_unless_equals_string (mixed, reference);
  t_free (t);

  g_free (reference);
  g_free (mixed);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* Audio of a synthesis that was lost and spoken again is not stored:
 * the next run asks the server. */
GST_START_TEST (test_restarted_not_stored)
{
  InworldEmulator *emu = inworld_emulator_start ("--chunk-seconds=0.25",
      "--drop-after-chunks=2", "--drop-connections=1", NULL);
  T *t;

  t = t_new (emu->uri);
  speak (t, text1, NULL);
  fail_unless_equals_int (t->rec.errors, 0);
  fail_unless_equals_int (stat_uint (t, "reconnections"), 1);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 1);
  t_free (t);
  fail_unless_equals_int (count_files (), 0);

  /* spoken cleanly, it is stored */
  t = t_new (emu->uri);
  speak (t, text1, NULL);
  rec_fail_if_problem (&t->rec);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 1);
  t_free (t);
  fail_unless_equals_int (count_files (), 1);

  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* An interrupted utterance is not stored; the one spoken after it is. */
GST_START_TEST (test_interrupted_not_stored)
{
  InworldEmulator *emu = inworld_emulator_start ("--speed=1",
      "--chunk-seconds=0.1", NULL);
  gchar *long_text = g_strjoin (" ", text1, text1, text1, text1, text1,
      text1, NULL);
  T *t = t_new (emu->uri);

  gst_harness_play (t->h);
  push_text (t, long_text);
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.buffers, 1,
          WAIT), "audio");
  g_signal_emit_by_name (t->el, "interrupt");
  push_text (t, text2);
  g_signal_emit_by_name (t->el, "end-of-stream");
  rec_fail_unless_waited (&t->rec, rec_wait (&t->rec, &t->rec.eos, 1, WAIT),
      "EOS");
  fail_unless_equals_int (t->rec.errors, 0);
  fail_unless_equals_int (t->rec.flushes, 1);
  t_free (t);
  fail_unless_equals_int (count_files (), 1);

  t = t_new (emu->uri);
  g_object_set (t->el, "timeout", 30, NULL);
  speak (t, text2, long_text, NULL);
  fail_unless_equals_int (stat_u64 (t, "cache-hits"), 1);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 1);
  t_free (t);

  g_free (long_text);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* A damaged entry: a warning, the server speaks it (the same audio), and
 * it is stored again. */
GST_START_TEST (test_damaged_entry_goes_to_server)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  GDir *d;
  const gchar *name;
  gchar *first, *again, *path, *data;
  gsize size;
  T *t;

  t = t_new (emu->uri);
  speak (t, text1, NULL);
  first = summary (&t->rec);
  t_free (t);

  d = g_dir_open (dir, 0, NULL);
  name = g_dir_read_name (d);
  fail_unless (name != NULL);
  path = g_build_filename (dir, name, NULL);
  g_dir_close (d);
  fail_unless (g_file_get_contents (path, &data, &size, NULL));
  data[size / 2] ^= 0x01;
  fail_unless (g_file_set_contents (path, data, size, NULL));

  t = t_new (emu->uri);
  speak (t, text1, NULL);
  fail_unless_equals_int (t->rec.errors, 0);
  fail_unless_equals_int (t->rec.warnings, 1);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 1);
  fail_unless (stat_u64 (t, "bytes-received") > 0);
  {
    GstMessage *m = NULL;
    const GstStructure *details = NULL;

    for (guint i = 0; i < t->rec.log->len; i++)
      if (GST_IS_MESSAGE (LOG_AT (&t->rec, i))
          && GST_MESSAGE_TYPE (LOG_AT (&t->rec, i)) == GST_MESSAGE_WARNING)
        m = GST_MESSAGE (LOG_AT (&t->rec, i));
    fail_unless (m != NULL);
    gst_message_parse_warning_details (m, &details);
    fail_unless (details != NULL);
    fail_unless_equals_string (gst_structure_get_string (details,
            "inworld-problem"), "cache");
  }
  /* the same speech, after the warning */
  again = summary (&t->rec);
  fail_unless (g_str_has_prefix (again, "warning "), "%s", again);
  fail_unless_equals_string (strchr (again, '\n') + 1, first);
  t_free (t);

  /* stored again */
  t = t_new (emu->uri);
  speak (t, text1, NULL);
  rec_fail_if_problem (&t->rec);
  fail_unless_equals_int (stat_u64 (t, "cache-hits"), 1);
  t_free (t);

  g_free (data);
  g_free (path);
  g_free (first);
  g_free (again);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* cache-size: the least recently used entry goes. */
GST_START_TEST (test_size_limit)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  GStatBuf st;
  GDir *d;
  const gchar *name;
  gchar *path;
  T *t;

  t = t_new (emu->uri);
  speak (t, text1, NULL);
  t_free (t);
  d = g_dir_open (dir, 0, NULL);
  name = g_dir_read_name (d);
  path = g_build_filename (dir, name, NULL);
  g_dir_close (d);
  fail_unless (g_stat (path, &st) == 0);

  /* room for text1 only: text2 evicts it */
  t = t_new (emu->uri);
  g_object_set (t->el, "cache-size", (guint64) st.st_size + 100, NULL);
  speak (t, text2, NULL);
  t_free (t);
  fail_unless_equals_int (count_files (), 1);
  fail_if (g_file_test (path, G_FILE_TEST_EXISTS));

  g_free (path);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

/* A cache directory that cannot be made: a warning, and speech without a
 * cache. */
GST_START_TEST (test_unusable_dir)
{
  InworldEmulator *emu = inworld_emulator_start (NULL);
  gchar *file = g_build_filename (dir, "a-file", NULL);
  gchar *below = g_build_filename (file, "cache", NULL);
  gchar *summ;
  T *t;

  fail_unless (g_file_set_contents (file, "x", 1, NULL));
  t = t_new (emu->uri);
  g_object_set (t->el, "cache-dir", below, NULL);
  speak (t, text1, NULL);
  fail_unless_equals_int (t->rec.errors, 0);
  fail_unless_equals_int (t->rec.warnings, 1);
  fail_unless_equals_int (t->rec.flushes, 1);
  summ = summary (&t->rec);
  fail_unless (strstr (summ, "The cache directory cannot be used") != NULL,
      "%s", summ);
  fail_unless_equals_int (stat_u64 (t, "cache-misses"), 0);
  t_free (t);

  g_free (summ);
  g_free (below);
  g_free (file);
  inworld_emulator_stop (emu);
}

GST_END_TEST;

static Suite *
cache_suite (void)
{
  Suite *s = suite_create ("inworldttssrc-cache");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_replay_without_server);
  tcase_add_test (tc, test_other_settings_miss);
  tcase_add_test (tc, test_hit_after_miss_in_order);
  tcase_add_test (tc, test_restarted_not_stored);
  tcase_add_test (tc, test_interrupted_not_stored);
  tcase_add_test (tc, test_damaged_entry_goes_to_server);
  tcase_add_test (tc, test_size_limit);
  tcase_add_test (tc, test_unusable_dir);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cache);
