/* Protocol tests of inworld-tts-emulator
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Each test starts the real emulator binary ($INWORLD_TTS_EMULATOR) with
 * the options it needs, talks to it with a libsoup WebSocket client and
 * checks the frames against docs/emulator.md and the protocol reference.
 * $EMULATOR_WRAPPER (e.g. "valgrind --leak-check=full --error-exitcode=99")
 * runs the emulator under a wrapper; every test checks the emulator exits
 * cleanly on SIGTERM, so wrapper errors fail the test. */

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "emu-hostile.h"
#include "inworld-test-signal.h"

#define PATH "/tts/v1/voice:streamBidirectional"
#define KEY "test-key-0123456789"
#define MODEL "inworld-tts-1.5-max"
#define QUIET_MS 300            /* "no reply" means nothing within this */
#define REPLY_MS 5000           /* a reply that must come */

/* ------------------------------------------------------------------ */
/* Emulator process                                                   */

typedef struct
{
  GSubprocess *proc;
  guint port;
} Emulator;

/* A failed assertion aborts the test program: take the emulator along. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts the emulator with the extra arguments; with @capture_stderr its
 * stderr is kept for emulator_stop_logged (). */
static Emulator *
emulator_start_valist (gboolean capture_stderr, const gchar * first_arg,
    va_list args)
{
  const gchar *path = g_getenv ("INWORLD_TTS_EMULATOR");
  const gchar *wrapper = g_getenv ("EMULATOR_WRAPPER");
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  GSubprocessLauncher *launcher;
  GDataInputStream *out;
  GError *error = NULL;
  Emulator *emu = g_new0 (Emulator, 1);
  gchar *line;

  g_assert_nonnull (path);
  if (wrapper && *wrapper) {
    gchar **words;

    g_assert_true (g_shell_parse_argv (wrapper, NULL, &words, NULL));
    for (guint i = 0; words[i]; i++)
      g_ptr_array_add (argv, g_strdup (words[i]));
    g_strfreev (words);
  }
  g_ptr_array_add (argv, g_strdup (path));
  for (const gchar * a = first_arg; a; a = va_arg (args, const gchar *))
      g_ptr_array_add (argv, g_strdup (a));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      (capture_stderr ? G_SUBPROCESS_FLAGS_STDERR_PIPE : 0));
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
      NULL);
  g_subprocess_launcher_unsetenv (launcher, "INWORLD_API_KEY");
  emu->proc = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_object_unref (launcher);
  g_ptr_array_unref (argv);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (emu->proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening "));
  emu->port = atoi (line + strlen ("listening "));
  g_assert_cmpuint (emu->port, >, 0);
  g_free (line);
  g_object_unref (out);
  return emu;
}

/* Starts the emulator with the NULL-terminated extra arguments. */
static Emulator *
emulator_start (const gchar * first_arg, ...)
{
  Emulator *emu;
  va_list args;

  va_start (args, first_arg);
  emu = emulator_start_valist (FALSE, first_arg, args);
  va_end (args);
  return emu;
}

/* As emulator_start (), keeping stderr (the log) for
 * emulator_stop_logged (). The log must stay under a pipe's buffer
 * (64 KiB) until then: for short conversations only. */
static Emulator *
emulator_start_logged (const gchar * first_arg, ...)
{
  Emulator *emu;
  va_list args;

  va_start (args, first_arg);
  emu = emulator_start_valist (TRUE, first_arg, args);
  va_end (args);
  return emu;
}

/* Stops it with SIGTERM; it must exit 0 (no crash, no wrapper error). */
static void
emulator_stop (Emulator * emu)
{
  GError *error = NULL;

  g_subprocess_send_signal (emu->proc, SIGTERM);
  g_subprocess_wait (emu->proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (emu->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (emu->proc), ==, 0);
  g_object_unref (emu->proc);
  g_free (emu);
}

/* emulator_stop () of an emulator_start_logged () one: returns its
 * stderr, split into lines (g_strfreev). */
static gchar **
emulator_stop_logged (Emulator * emu)
{
  GError *error = NULL;
  GOutputStream *mem = g_memory_output_stream_new_resizable ();
  gchar *err, **lines;

  g_subprocess_send_signal (emu->proc, SIGTERM);
  /* to the end of stderr, then the exit */
  g_output_stream_splice (mem, g_subprocess_get_stderr_pipe (emu->proc),
      G_OUTPUT_STREAM_SPLICE_NONE, NULL, &error);
  g_assert_no_error (error);
  /* a NUL to end the string */
  g_assert_true (g_output_stream_write_all (mem, "", 1, NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (mem, NULL, NULL));
  err = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (mem));
  g_object_unref (mem);
  g_subprocess_wait (emu->proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (emu->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (emu->proc), ==, 0);
  g_object_unref (emu->proc);
  g_free (emu);
  lines = g_strsplit (err, "\n", -1);
  g_free (err);
  return lines;
}

/* ------------------------------------------------------------------ */
/* WebSocket client                                                   */

typedef struct
{
  gint type;                    /* SoupWebsocketDataType */
  GBytes *data;
  gint64 time;                  /* monotonic µs of arrival */
} Frame;

typedef struct
{
  GMainContext *ctx;
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GError *connect_error;
  gboolean connect_done;
  GQueue frames;
  gboolean closed;
} Client;

static void
frame_free (Frame * f)
{
  g_bytes_unref (f->data);
  g_free (f);
}

static gboolean
wake (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* Iterates the client's context until @cond or @timeout_ms. */
static gboolean
client_iterate (Client * c, gboolean (*cond) (Client *), guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (c)) {
    gint64 now = g_get_monotonic_time ();
    GSource *timer;

    if (now >= deadline)
      return FALSE;
    timer = g_timeout_source_new ((guint) ((deadline - now + 999) / 1000));
    g_source_set_callback (timer, wake, NULL, NULL);
    g_source_attach (timer, c->ctx);
    g_main_context_iteration (c->ctx, TRUE);
    g_source_destroy (timer);
    g_source_unref (timer);
  }
  return TRUE;
}

static void
on_client_message (SoupWebsocketConnection * ws, gint type, GBytes * data,
    gpointer user_data)
{
  Client *c = user_data;
  Frame *f = g_new0 (Frame, 1);

  f->type = type;
  f->data = g_bytes_ref (data);
  f->time = g_get_monotonic_time ();
  g_queue_push_tail (&c->frames, f);
}

static void
on_client_closed (SoupWebsocketConnection * ws, gpointer user_data)
{
  ((Client *) user_data)->closed = TRUE;
}

static void
on_connected (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Client *c = user_data;

  c->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res,
      &c->connect_error);
  c->connect_done = TRUE;
}

static gboolean
is_connect_done (Client * c)
{
  return c->connect_done;
}

/* Connects to @path with "Authorization: @auth" (none when NULL); the
 * handshake must succeed unless @expect_fail. */
static Client *
client_connect_full (Emulator * emu, const gchar * path, const gchar * auth,
    gboolean expect_fail)
{
  Client *c = g_new0 (Client, 1);
  gchar *uri = g_strdup_printf ("ws://127.0.0.1:%u%s", emu->port, path);
  SoupMessage *msg;

  c->ctx = g_main_context_new ();
  g_main_context_push_thread_default (c->ctx);
  c->session = soup_session_new ();
  msg = soup_message_new ("GET", uri);
  g_assert_nonnull (msg);
  if (auth)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", auth);
  soup_session_websocket_connect_async (c->session, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, NULL, on_connected, c);
  g_assert_true (client_iterate (c, is_connect_done, REPLY_MS));
  g_object_unref (msg);
  g_free (uri);

  if (expect_fail) {
    g_assert_null (c->ws);
    g_assert_nonnull (c->connect_error);
    return c;
  }
  g_assert_no_error (c->connect_error);
  soup_websocket_connection_set_max_incoming_payload_size (c->ws, 0);
  g_signal_connect (c->ws, "message", G_CALLBACK (on_client_message), c);
  g_signal_connect (c->ws, "closed", G_CALLBACK (on_client_closed), c);
  return c;
}

static Client *
client_connect (Emulator * emu, const gchar * auth)
{
  return client_connect_full (emu, PATH, auth, FALSE);
}

static void
client_free (Client * c)
{
  if (c->ws) {
    g_signal_handlers_disconnect_by_data (c->ws, c);
    if (soup_websocket_connection_get_state (c->ws) ==
        SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (c->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
          NULL);
    g_object_unref (c->ws);
  }
  g_clear_error (&c->connect_error);
  g_queue_clear_full (&c->frames, (GDestroyNotify) frame_free);
  g_object_unref (c->session);
  /* let soup finish the close handshake and drop its sources */
  while (g_main_context_iteration (c->ctx, FALSE));
  g_main_context_pop_thread_default (c->ctx);
  g_main_context_unref (c->ctx);
  g_free (c);
}

static void
client_send (Client * c, const gchar * format, ...) G_GNUC_PRINTF (2, 3);

static void
client_send (Client * c, const gchar * format, ...)
{
  va_list args;
  gchar *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  soup_websocket_connection_send_text (c->ws, text);
  g_free (text);
}

static gboolean
has_frame (Client * c)
{
  return !g_queue_is_empty (&c->frames);
}

static gboolean
is_closed (Client * c)
{
  return c->closed;
}

/* The next frame, or NULL when none comes within @timeout_ms. */
static Frame *
client_next_frame (Client * c, guint timeout_ms)
{
  if (!client_iterate (c, has_frame, timeout_ms))
    return NULL;
  return g_queue_pop_head (&c->frames);
}

/* The next frame, which must be a JSON text frame. */
static JsonNode *
client_recv (Client * c)
{
  Frame *f = client_next_frame (c, REPLY_MS);
  JsonNode *node;
  GError *error = NULL;
  gsize len;
  const gchar *data;

  g_assert_nonnull (f);
  g_assert_cmpint (f->type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  data = g_bytes_get_data (f->data, &len);
  node = json_from_string (data, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  frame_free (f);
  return node;
}

static void
assert_quiet (Client * c, guint ms)
{
  Frame *f = client_next_frame (c, ms);

  if (f) {
    g_printerr ("unexpected frame: %.*s\n", (gint) g_bytes_get_size (f->data),
        (const gchar *) g_bytes_get_data (f->data, NULL));
    g_assert_null (f);
  }
}

/* ------------------------------------------------------------------ */
/* JSON helpers                                                       */

/* "a.b.c" inside nested objects; NULL when absent. */
static JsonNode *
jpath (JsonNode * root, const gchar * path)
{
  gchar **parts = g_strsplit (path, ".", -1);
  JsonNode *node = root;

  for (guint i = 0; parts[i] && node; i++) {
    if (!JSON_NODE_HOLDS_OBJECT (node))
      node = NULL;
    else
      node = json_object_get_member (json_node_get_object (node), parts[i]);
  }
  g_strfreev (parts);
  return node;
}

static gint64
jint (JsonNode * root, const gchar * path)
{
  JsonNode *node = jpath (root, path);

  g_assert_nonnull (node);
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
  return json_node_get_int (node);
}

static const gchar *
jstr (JsonNode * root, const gchar * path)
{
  JsonNode *node = jpath (root, path);

  g_assert_nonnull (node);
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
  return json_node_get_string (node);
}

static gboolean
jhas (JsonNode * root, const gchar * path)
{
  return jpath (root, path) != NULL;
}

/* Asserts @node is a successful result of @kind for @ctx. */
static void
assert_result (JsonNode * node, const gchar * ctx, const gchar * kind)
{
  gchar *path = g_strconcat ("result.", kind, NULL);

  if (!jhas (node, path)) {
    gchar *text = json_to_string (node, FALSE);

    g_printerr ("expected %s, got %s\n", kind, text);
    g_free (text);
  }
  g_assert_true (jhas (node, path));
  g_assert_cmpstr (jstr (node, "result.contextId"), ==, ctx);
  g_assert_cmpint (jint (node, "result.status.code"), ==, 0);
  g_assert_cmpstr (jstr (node, "result.status.message"), ==, "");
  g_assert_true (JSON_NODE_HOLDS_ARRAY (jpath (node, "result.status.details")));
  g_free (path);
}

/* Receives a result for @ctx, asserting its kind. */
static void
expect_result (Client * c, const gchar * ctx, const gchar * kind)
{
  JsonNode *node = client_recv (c);

  assert_result (node, ctx, kind);
  json_node_unref (node);
}

/* Receives an in-context error with @code (and @message unless NULL). */
static void
expect_context_error (Client * c, const gchar * ctx, gint code,
    const gchar * message)
{
  JsonNode *node = client_recv (c);

  g_assert_true (jhas (node, "result.status"));
  g_assert_cmpstr (jstr (node, "result.contextId"), ==, ctx);
  g_assert_cmpint (jint (node, "result.status.code"), ==, code);
  if (message)
    g_assert_cmpstr (jstr (node, "result.status.message"), ==, message);
  g_assert_false (jhas (node, "result.audioChunk"));
  g_assert_false (jhas (node, "result.flushCompleted"));
  g_assert_false (jhas (node, "result.contextCreated"));
  json_node_unref (node);
}

/* Receives a top-level error with @code. Returns it. */
static JsonNode *
expect_error (Client * c, gint code)
{
  JsonNode *node = client_recv (c);

  g_assert_false (jhas (node, "result"));
  g_assert_cmpint (jint (node, "error.code"), ==, code);
  return node;
}

static void
expect_invalid_frame_error (Client * c)
{
  JsonNode *node = expect_error (c, 3);

  g_assert_cmpstr (jstr (node, "error.message"), ==,
      "invalid WebSocket request for the selected response protocol");
  g_assert_cmpstr (jstr (node, "error.status"), ==, "INVALID_ARGUMENT");
  g_assert_false (jhas (node, "error.details"));
  json_node_unref (node);
}

/* create with PCM at @rate (or the given extra create fields). */
static void
create_context (Client * c, const gchar * ctx, const gchar * encoding,
    gint rate, const gchar * extra)
{
  client_send (c, "{\"contextId\":\"%s\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\",\"audioConfig\":{\"audioEncoding\":\"%s\","
      "\"sampleRateHertz\":%d}%s%s}}", ctx, encoding, rate,
      extra ? "," : "", extra ? extra : "");
  expect_result (c, ctx, "contextCreated");
}

static void
send_text (Client * c, const gchar * ctx, const gchar * text, gboolean flush)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  gchar *frame;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "contextId");
  json_builder_add_string_value (b, ctx);
  json_builder_set_member_name (b, "send_text");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, text);
  if (flush) {
    json_builder_set_member_name (b, "flush_context");
    json_builder_begin_object (b);
    json_builder_end_object (b);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);
  /* each json_builder_get_root() call returns a new copy */
  root = json_builder_get_root (b);
  frame = json_to_string (root, FALSE);
  json_node_unref (root);
  g_object_unref (b);
  client_send (c, "%s", frame);
  g_free (frame);
}

/* ------------------------------------------------------------------ */
/* Audio                                                              */

typedef struct
{
  GPtrArray *audio;             /* GBytes: decoded audioContent per chunk */
  GArray *usage;                /* gint64 processedCharactersCount */
  GPtrArray *ts;                /* JsonNode timestampInfo per audio chunk */
  GPtrArray *ts_only;           /* timestampInfo of audio-less chunks */
  GString *order;               /* 'A' audio, 'T' audio-less, in order */
  gint64 first_chunk_time;
} Flush;

static void
flush_free (Flush * f)
{
  g_ptr_array_unref (f->audio);
  g_array_unref (f->usage);
  g_ptr_array_unref (f->ts);
  g_ptr_array_unref (f->ts_only);
  if (f->order)
    g_string_free (f->order, TRUE);
  g_free (f);
}

/* The modelId every audioChunk must name (SENTENCE_BOUNDARY tests use
 * inworld-tts-2). */
static const gchar *flush_model = MODEL;

/* Receives one flush of @ctx: audio chunks up to flushCompleted. */
static Flush *
recv_flush (Client * c, const gchar * ctx)
{
  Flush *f = g_new0 (Flush, 1);

  f->audio = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->usage = g_array_new (FALSE, FALSE, sizeof (gint64));
  f->ts = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  f->ts_only = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_node_unref);
  f->order = g_string_new (NULL);

  for (;;) {
    JsonNode *node = client_recv (c);
    JsonNode *content;

    if (jhas (node, "result.flushCompleted")) {
      assert_result (node, ctx, "flushCompleted");
      g_assert_cmpuint (json_object_get_size (json_node_get_object (jpath
                  (node, "result.flushCompleted"))), ==, 0);
      json_node_unref (node);
      return f;
    }
    assert_result (node, ctx, "audioChunk");
    g_assert_cmpstr (jstr (node, "result.audioChunk.usage.modelId"), ==,
        flush_model);
    g_assert_true (jhas (node, "result.audioChunk.timestampInfo"));
    content = jpath (node, "result.audioChunk.audioContent");
    if (content) {
      gsize len;
      guchar *bytes = g_base64_decode (json_node_get_string (content), &len);
      gint64 usage = jint (node,
          "result.audioChunk.usage.processedCharactersCount");

      g_assert_cmpuint (len, >, 0);
      if (f->audio->len == 0)
        f->first_chunk_time = g_get_monotonic_time ();
      g_ptr_array_add (f->audio, g_bytes_new_take (bytes, len));
      g_array_append_val (f->usage, usage);
      g_ptr_array_add (f->ts, json_node_copy (jpath (node,
                  "result.audioChunk.timestampInfo")));
      g_string_append_c (f->order, 'A');
    } else {
      /* timings only: no audio, nothing billed */
      g_assert_cmpint (jint (node,
              "result.audioChunk.usage.processedCharactersCount"), ==, 0);
      g_ptr_array_add (f->ts_only, json_node_copy (jpath (node,
                  "result.audioChunk.timestampInfo")));
      g_string_append_c (f->order, 'T');
    }
    json_node_unref (node);
  }
}

/* The test signal of @text as S16LE bytes. */
static GBytes *
expected_signal (const gchar * text, gint rate)
{
  guint64 n = inworld_test_signal_n_samples (text, rate);
  guint16 seed = inworld_test_signal_seed (text);
  guint8 *bytes = g_malloc (n * 2 + 1);

  for (guint64 i = 0; i < n; i++) {
    guint16 s = (guint16) inworld_test_signal_sample (seed, i);

    bytes[2 * i] = s & 0xff;
    bytes[2 * i + 1] = s >> 8;
  }
  return g_bytes_new_take (bytes, n * 2);
}

static guint32
le32 (const guint8 * p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32) p[3] << 24);
}

static guint16
le16 (const guint8 * p)
{
  return p[0] | (p[1] << 8);
}

static void
assert_wav_header (const guint8 * h, gint rate, guint32 data_size)
{
  g_assert_cmpmem (h, 4, "RIFF", 4);
  g_assert_cmpuint (le32 (h + 4), ==, 36 + data_size);
  g_assert_cmpmem (h + 8, 8, "WAVEfmt ", 8);
  g_assert_cmpuint (le32 (h + 16), ==, 16);
  g_assert_cmpuint (le16 (h + 20), ==, 1);
  g_assert_cmpuint (le16 (h + 22), ==, 1);
  g_assert_cmpuint (le32 (h + 24), ==, rate);
  g_assert_cmpuint (le32 (h + 28), ==, rate * 2);
  g_assert_cmpuint (le16 (h + 32), ==, 2);
  g_assert_cmpuint (le16 (h + 34), ==, 16);
  g_assert_cmpmem (h + 36, 4, "data", 4);
  g_assert_cmpuint (le32 (h + 40), ==, data_size);
}

/* Checks the framing of @f for @encoding and that its samples are exactly
 * the test signal of @text; chunk sizes are 0.2 s, then 0.5 s, then the
 * rest. */
static void
check_flush_audio (Flush * f, const gchar * encoding, gint rate,
    const gchar * text)
{
  GBytes *want = expected_signal (text, rate);
  GByteArray *pcm = g_byte_array_new ();
  guint64 total = g_bytes_get_size (want);
  guint64 left = total / 2;

  g_assert_cmpuint (f->audio->len, >, 0);
  for (guint i = 0; i < f->audio->len; i++) {
    gsize len;
    const guint8 *data = g_bytes_get_data (f->audio->pdata[i], &len);
    guint64 want_samples = MIN (left, (guint64) rate / (i == 0 ? 5 : 2));
    gsize header = 0;

    if (g_str_equal (encoding, "LINEAR16")
        || (g_str_equal (encoding, "WAV") && i == 0)) {
      g_assert_cmpuint (len, >=, 44);
      assert_wav_header (data, rate, g_str_equal (encoding, "WAV") ?
          total : len - 44);
      header = 44;
    } else {
      g_assert_false (len >= 4 && memcmp (data, "RIFF", 4) == 0);
    }
    g_assert_cmpuint (want_samples, >, 0);
    g_assert_cmpuint (len - header, ==, want_samples * 2);
    g_byte_array_append (pcm, data + header, len - header);
    left -= want_samples;
  }
  g_assert_cmpuint (left, ==, 0);
  g_assert_cmpmem (pcm->data, pcm->len, g_bytes_get_data (want, NULL),
      g_bytes_get_size (want));
  g_byte_array_unref (pcm);
  g_bytes_unref (want);
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */

static Emulator *
start_default (void)
{
  return emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", NULL);
}

static void
test_auth_missing (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, NULL);
  JsonNode *node;

  /* silence until the client speaks */
  assert_quiet (c, QUIET_MS);
  client_send (c, "{\"contextId\":\"a\",\"create\":{}}");
  node = expect_error (c, 16);
  g_assert_cmpstr (jstr (node, "error.message"), ==,
      "authentication is required");
  g_assert_cmpstr (json_node_get_string (jpath (json_array_get_element
              (json_node_get_array (jpath (node, "error.details")), 0),
              "errorType")), ==, "SESSION_TOKEN_INVALID");
  json_node_unref (node);
  g_assert_true (client_iterate (c, is_closed, REPLY_MS));
  g_assert_cmpuint (soup_websocket_connection_get_close_code (c->ws), ==,
      SOUP_WEBSOCKET_CLOSE_NORMAL);
  g_assert_true (g_queue_is_empty (&c->frames));
  client_free (c);
  emulator_stop (emu);
}

static void
test_auth_wrong (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic wrongkey");
  JsonNode *node;

  assert_quiet (c, QUIET_MS);
  /* even a binary first frame triggers the check */
  soup_websocket_connection_send_binary (c->ws, "x", 1);
  node = expect_error (c, 7);
  g_assert_cmpstr (jstr (node, "error.message"), ==,
      "Invalid credentials provided for API key \"wron***\"");
  /* no status string naming another code */
  g_assert_false (jhas (node, "error.status"));
  json_node_unref (node);
  g_assert_true (client_iterate (c, is_closed, REPLY_MS));
  g_assert_cmpuint (soup_websocket_connection_get_close_code (c->ws), ==,
      SOUP_WEBSOCKET_CLOSE_NORMAL);
  client_free (c);
  emulator_stop (emu);
}

static void
test_auth_right (void)
{
  Emulator *emu = start_default ();
  const gchar *headers[] = { "Basic " KEY, "Bearer " KEY };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++) {
    Client *c = client_connect (emu, headers[i]);

    /* no permessage-deflate, no subprotocol */
    g_assert_null (soup_websocket_connection_get_extensions (c->ws));
    g_assert_null (soup_websocket_connection_get_protocol (c->ws));
    create_context (c, "ctx", "PCM", 16000, NULL);
    client_free (c);
  }
  emulator_stop (emu);

  /* without --api-key (and no INWORLD_API_KEY): any credential */
  emu = emulator_start ("--audio", "test-signal", NULL);
  {
    Client *c = client_connect (emu, "Basic anything");

    create_context (c, "ctx", "PCM", 16000, NULL);
    client_free (c);
    c = client_connect (emu, NULL);
    client_send (c, "{\"contextId\":\"a\",\"create\":{}}");
    json_node_unref (expect_error (c, 16));
    client_free (c);
  }
  emulator_stop (emu);
}

static void
test_unknown_path (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect_full (emu, "/tts/v1/voice", "Basic " KEY, TRUE);

  client_free (c);
  emulator_stop (emu);
}

static void
test_case_styles (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  JsonNode *node;
  Flush *f;

  /* snake_case everywhere */
  client_send (c, "{\"context_id\":\"s\",\"create\":{\"voice_id\":\"Dennis\","
      "\"model_id\":\"" MODEL "\",\"audio_config\":{\"audio_encoding\":"
      "\"PCM\",\"sample_rate_hertz\":16000,\"speaking_rate\":1.2},"
      "\"unknown_field\":1,\"max_buffer_delay_ms\":1500}}");
  node = client_recv (c);
  assert_result (node, "s", "contextCreated");
  g_assert_cmpstr (jstr (node, "result.contextCreated.voiceId"), ==,
      "Dennis");
  g_assert_cmpstr (jstr (node, "result.contextCreated.modelId"), ==, MODEL);
  g_assert_cmpstr (jstr (node,
          "result.contextCreated.audioConfig.audioEncoding"), ==, "PCM");
  g_assert_cmpint (jint (node,
          "result.contextCreated.audioConfig.sampleRateHertz"), ==, 16000);
  g_assert_cmpint (jint (node, "result.contextCreated.maxBufferDelayMs"), ==,
      1500);
  g_assert_true (JSON_NODE_HOLDS_NULL (jpath (node,
              "result.contextCreated.synthesisContext")));
  g_assert_true (JSON_NODE_HOLDS_NULL (jpath (node,
              "result.contextCreated.pronunciationDictionarySettings")));
  g_assert_false (jhas (node, "result.contextCreated.unknown_field"));
  json_node_unref (node);
  client_send (c, "{\"context_id\":\"s\",\"send_text\":{\"text\":\"Hi!\","
      "\"flush_context\":{}}}");
  f = recv_flush (c, "s");
  check_flush_audio (f, "PCM", 16000, "Hi!");
  flush_free (f);
  client_send (c, "{\"context_id\":\"s\",\"close_context\":{}}");
  expect_result (c, "s", "contextClosed");

  /* camelCase everywhere, verbs included */
  client_send (c, "{\"contextId\":\"c\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\",\"audioConfig\":{\"audioEncoding\":\"PCM\","
      "\"sampleRateHertz\":8000,\"bitrate\":64000}}}");
  node = client_recv (c);
  assert_result (node, "c", "contextCreated");
  /* maxBufferDelayMs is echoed with its default */
  g_assert_cmpint (jint (node, "result.contextCreated.maxBufferDelayMs"), ==,
      3000);
  json_node_unref (node);
  client_send (c, "{\"contextId\":\"c\",\"sendText\":{\"text\":\"Hello\"}}");
  client_send (c, "{\"contextId\":\"c\",\"flushContext\":{}}");
  f = recv_flush (c, "c");
  check_flush_audio (f, "PCM", 8000, "Hello");
  flush_free (f);
  client_send (c, "{\"contextId\":\"c\",\"updateConfig\":{\"audioConfig\":"
      "{\"sampleRateHertz\":24000}}}");
  node = client_recv (c);
  assert_result (node, "c", "contextUpdated");
  g_assert_cmpint (jint (node,
          "result.contextUpdated.audioConfig.sampleRateHertz"), ==, 24000);
  json_node_unref (node);
  client_send (c, "{\"contextId\":\"c\",\"closeContext\":{}}");
  expect_result (c, "c", "contextClosed");

  client_free (c);
  emulator_stop (emu);
}

static void
test_bad_frames (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);

  /* JSON without a verb: no reply at all */
  client_send (c, "{\"foo\":\"bar\"}");
  client_send (c, "{\"contextId\":\"x\"}");
  assert_quiet (c, QUIET_MS);

  client_send (c, "this is not JSON");
  expect_invalid_frame_error (c);
  client_send (c, "[1,2]");
  expect_invalid_frame_error (c);
  soup_websocket_connection_send_binary (c->ws, "\x01\x02\x03", 3);
  expect_invalid_frame_error (c);

  /* a wrongly typed field rejects the frame; nothing is created */
  client_send (c, "{\"contextId\":\"t\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\",\"applyTextNormalization\":true,"
      "\"audioConfig\":{\"audioEncoding\":\"PCM\"}}}");
  json_node_unref (expect_error (c, 3));
  send_text (c, "t", "x", TRUE);
  expect_context_error (c, "t", 5, "context t not found (payload=SEND_TEXT)");

  /* still open and working */
  g_assert_cmpint (soup_websocket_connection_get_state (c->ws), ==,
      SOUP_WEBSOCKET_STATE_OPEN);
  create_context (c, "ok", "PCM", 16000, NULL);
  client_free (c);
  emulator_stop (emu);
}

static void
test_context_limit (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  gchar id[8];

  for (guint i = 0; i < 5; i++) {
    g_snprintf (id, sizeof (id), "c%u", i);
    create_context (c, id, "PCM", 16000, NULL);
  }
  client_send (c, "{\"contextId\":\"c5\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\",\"audioConfig\":{\"audioEncoding\":\"PCM\"}}}");
  expect_context_error (c, "c5", 8, "You have reached the limit of 5 TTS "
      "contexts per connection. Please close other contexts on this "
      "connection to continue.");
  /* duplicate id */
  client_send (c, "{\"contextId\":\"c1\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\",\"audioConfig\":{\"audioEncoding\":\"PCM\"}}}");
  expect_context_error (c, "c1", 6, "context c1 already exists");
  /* closing one frees a slot */
  client_send (c, "{\"contextId\":\"c0\",\"close_context\":{}}");
  expect_result (c, "c0", "contextClosed");
  create_context (c, "c5", "PCM", 16000, NULL);
  client_free (c);
  emulator_stop (emu);

  emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--max-contexts", "2", NULL);
  c = client_connect (emu, "Basic " KEY);
  create_context (c, "a", "PCM", 16000, NULL);
  create_context (c, "b", "PCM", 16000, NULL);
  client_send (c, "{\"contextId\":\"c\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\",\"audioConfig\":{\"audioEncoding\":\"PCM\"}}}");
  expect_context_error (c, "c", 8, "You have reached the limit of 2 TTS "
      "contexts per connection. Please close other contexts on this "
      "connection to continue.");
  client_free (c);
  emulator_stop (emu);
}

static void
test_unknown_context (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  JsonNode *node;
  const gchar *generated;
  gchar *id;
  Flush *f;

  /* context-less op with 0 contexts */
  client_send (c, "{\"send_text\":{\"text\":\"\"}}");
  expect_context_error (c, "", 3, "context_id is required when 0 contexts "
      "are open (payload=SEND_TEXT)");

  send_text (c, "nope", "hello", FALSE);
  expect_context_error (c, "nope", 5,
      "context nope not found (payload=SEND_TEXT)");
  client_send (c, "{\"contextId\":\"nope\",\"flush_context\":{}}");
  expect_context_error (c, "nope", 5,
      "context nope not found (payload=FLUSH_CONTEXT)");
  client_send (c, "{\"contextId\":\"nope\",\"update_config\":{}}");
  expect_context_error (c, "nope", 5,
      "context nope not found (payload=UPDATE_CONFIG)");
  client_send (c, "{\"contextId\":\"nope\",\"close_context\":{}}");
  expect_context_error (c, "nope", 5, "context nope not found");

  /* create without an id: one is generated; context-less ops target it */
  client_send (c, "{\"create\":{\"voiceId\":\"Dennis\",\"modelId\":\""
      MODEL "\",\"audioConfig\":{\"audioEncoding\":\"PCM\","
      "\"sampleRateHertz\":8000}}}");
  node = client_recv (c);
  generated = jstr (node, "result.contextId");
  g_assert_cmpuint (strlen (generated), >, 0);
  id = g_strdup (generated);
  assert_result (node, id, "contextCreated");
  json_node_unref (node);
  client_send (c, "{\"send_text\":{\"text\":\"abc\",\"flush_context\":{}}}");
  f = recv_flush (c, id);
  check_flush_audio (f, "PCM", 8000, "abc");
  flush_free (f);
  client_send (c, "{\"close_context\":{}}");
  expect_result (c, id, "contextClosed");

  /* a closed context is unknown */
  send_text (c, id, "again", TRUE);
  node = client_recv (c);
  g_assert_cmpint (jint (node, "result.status.code"), ==, 5);
  g_assert_cmpstr (jstr (node, "result.contextId"), ==, id);
  json_node_unref (node);

  /* no audioConfig: MP3, the API default, is accepted like any other */
  client_send (c, "{\"contextId\":\"m\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\"}}");
  expect_result (c, "m", "contextCreated");
  client_send (c, "{\"contextId\":\"m\",\"close_context\":{}}");
  expect_result (c, "m", "contextClosed");
  /* unknown model */
  client_send (c, "{\"contextId\":\"m\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"no-such-model\",\"audioConfig\":{\"audioEncoding\":"
      "\"PCM\"}}}");
  expect_context_error (c, "m", 3, "model_id: no-such-model is not supported.");

  g_free (id);
  client_free (c);
  emulator_stop (emu);
}

static void
test_text_limits (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  GString *text = g_string_new (NULL);
  gchar *big;
  Flush *f;

  create_context (c, "a", "PCM", 8000, "\"maxBufferDelayMs\":60000");

  /* 2001 characters (multi-byte: counted as characters, not bytes) */
  for (guint i = 0; i < 2001; i++)
    g_string_append (text, i % 2 ? "é" : "a");
  send_text (c, "a", text->str, TRUE);
  expect_context_error (c, "a", 3,
      "text length should not exceed 2000 characters.");
  assert_quiet (c, QUIET_MS);
  /* exactly 2000 is fine; it reaches the threshold (1000 unless set), so
   * it is synthesized by itself, in two parts of 1000 (no space to cut
   * at: cut at the limit), each with its own flushCompleted */
  g_string_truncate (text, 0);
  for (guint i = 0; i < 2000; i++)
    g_string_append (text, i % 2 ? "é" : "a");
  send_text (c, "a", text->str, FALSE);
  for (guint part = 0; part < 2; part++) {
    gchar *want = g_utf8_substring (text->str, part * 1000,
        (part + 1) * 1000);

    f = recv_flush (c, "a");
    g_assert_cmpint (g_array_index (f->usage, gint64, 0), ==, 1000);
    check_flush_audio (f, "PCM", 8000, want);
    flush_free (f);
    g_free (want);
  }
  assert_quiet (c, QUIET_MS);

  /* the next flush works and holds none of the rejected text */
  send_text (c, "a", "ok", TRUE);
  f = recv_flush (c, "a");
  g_assert_cmpint (g_array_index (f->usage, gint64, 0), ==, 2);
  check_flush_audio (f, "PCM", 8000, "ok");
  flush_free (f);

  /* once 1000 characters are buffered, a part of 1000 goes without being
   * asked; the rest waits */
  big = g_strnfill (600, 'x');
  send_text (c, "a", big, FALSE);
  assert_quiet (c, QUIET_MS);
  send_text (c, "a", big, FALSE);
  f = recv_flush (c, "a");
  g_assert_cmpint (g_array_index (f->usage, gint64, 0), ==, 1000);
  for (guint i = 1; i < f->usage->len; i++)
    g_assert_cmpint (g_array_index (f->usage, gint64, i), ==, 0);
  g_free (big);
  big = g_strnfill (1000, 'x');
  check_flush_audio (f, "PCM", 8000, big);
  flush_free (f);
  g_free (big);
  assert_quiet (c, QUIET_MS);
  client_send (c, "{\"contextId\":\"a\",\"flush_context\":{}}");
  f = recv_flush (c, "a");
  big = g_strnfill (200, 'x');
  check_flush_audio (f, "PCM", 8000, big);
  flush_free (f);
  g_free (big);

  /* an empty flush: nothing at all, no flushCompleted */
  client_send (c, "{\"contextId\":\"a\",\"flush_context\":{}}");
  assert_quiet (c, QUIET_MS);
  /* empty send_text (keepalive): nothing */
  send_text (c, "a", "", FALSE);
  assert_quiet (c, QUIET_MS);

  g_string_free (text, TRUE);
  client_free (c);
  emulator_stop (emu);
}

static void
test_buffer_triggers (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  gint64 start;
  Flush *f;

  /* maxBufferDelayMs */
  create_context (c, "d", "PCM", 8000, "\"maxBufferDelayMs\":400");
  start = g_get_monotonic_time ();
  send_text (c, "d", "wait for it", FALSE);
  f = recv_flush (c, "d");
  g_assert_cmpint (f->first_chunk_time - start, >=, 350 * 1000);
  check_flush_audio (f, "PCM", 8000, "wait for it");
  flush_free (f);

  /* the timer is not restarted by more text: it runs from the moment
   * text entered an empty buffer */
  start = g_get_monotonic_time ();
  send_text (c, "d", "one", FALSE);
  g_usleep (200 * 1000);
  send_text (c, "d", " two", FALSE);
  f = recv_flush (c, "d");
  g_assert_cmpint (f->first_chunk_time - start, >=, 350 * 1000);
  g_assert_cmpint (f->first_chunk_time - start, <, 590 * 1000);
  check_flush_audio (f, "PCM", 8000, "one two");
  flush_free (f);

  /* bufferCharThreshold: a whole part of 10 at once, the rest waits */
  create_context (c, "t", "PCM", 8000,
      "\"bufferCharThreshold\":10,\"maxBufferDelayMs\":60000");
  send_text (c, "t", "12345", FALSE);
  assert_quiet (c, QUIET_MS);
  send_text (c, "t", "678901", FALSE);
  f = recv_flush (c, "t");
  g_assert_cmpint (g_array_index (f->usage, gint64, 0), ==, 10);
  check_flush_audio (f, "PCM", 8000, "1234567890");
  flush_free (f);
  assert_quiet (c, QUIET_MS);
  client_send (c, "{\"contextId\":\"t\",\"flush_context\":{}}");
  f = recv_flush (c, "t");
  check_flush_audio (f, "PCM", 8000, "1");
  flush_free (f);

  client_free (c);
  emulator_stop (emu);
}

static void
test_sequencing (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  const gchar *t1 = "First flush, long enough for several chunks of audio "
      "to come back from the emulator.";
  const gchar *t2 = "Second.";
  JsonNode *node;
  Flush *f;

  /* pipelined: nothing waits for contextCreated */
  client_send (c, "{\"contextId\":\"p\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\",\"audioConfig\":{\"audioEncoding\":\"PCM\","
      "\"sampleRateHertz\":16000}}}");
  send_text (c, "p", t1, TRUE);
  send_text (c, "p", t2, FALSE);
  client_send (c, "{\"contextId\":\"p\",\"flush_context\":{}}");
  send_text (c, "p", "Closing words.", FALSE);
  client_send (c, "{\"contextId\":\"p\",\"close_context\":{}}");

  expect_result (c, "p", "contextCreated");
  f = recv_flush (c, "p");
  g_assert_cmpuint (f->audio->len, >, 2);
  /* usage on the first chunk only */
  g_assert_cmpint (g_array_index (f->usage, gint64, 0), ==,
      g_utf8_strlen (t1, -1));
  for (guint i = 1; i < f->usage->len; i++)
    g_assert_cmpint (g_array_index (f->usage, gint64, i), ==, 0);
  /* timestamps off: explicitly null */
  for (guint i = 0; i < f->ts->len; i++)
    g_assert_true (JSON_NODE_HOLDS_NULL ((JsonNode *) f->ts->pdata[i]));
  check_flush_audio (f, "PCM", 16000, t1);
  flush_free (f);
  f = recv_flush (c, "p");
  check_flush_audio (f, "PCM", 16000, t2);
  g_assert_cmpint (g_array_index (f->usage, gint64, 0), ==, 7);
  flush_free (f);
  /* close = flush, then contextClosed */
  f = recv_flush (c, "p");
  check_flush_audio (f, "PCM", 16000, "Closing words.");
  flush_free (f);
  expect_result (c, "p", "contextClosed");

  /* update_config: buffered text first, with the old settings */
  create_context (c, "u", "PCM", 16000, "\"maxBufferDelayMs\":60000");
  send_text (c, "u", "old rate", FALSE);
  client_send (c, "{\"contextId\":\"u\",\"update_config\":{\"audioConfig\":"
      "{\"sampleRateHertz\":8000},\"voiceId\":\"Ashley\"}}");
  f = recv_flush (c, "u");
  check_flush_audio (f, "PCM", 16000, "old rate");
  flush_free (f);
  node = client_recv (c);
  assert_result (node, "u", "contextUpdated");
  g_assert_cmpstr (jstr (node, "result.contextUpdated.voiceId"), ==,
      "Ashley");
  g_assert_cmpstr (jstr (node, "result.contextUpdated.modelId"), ==, MODEL);
  g_assert_cmpint (jint (node,
          "result.contextUpdated.audioConfig.sampleRateHertz"), ==, 8000);
  json_node_unref (node);
  send_text (c, "u", "new rate", TRUE);
  f = recv_flush (c, "u");
  check_flush_audio (f, "PCM", 8000, "new rate");
  flush_free (f);
  /* an invalid update changes nothing */
  client_send (c, "{\"contextId\":\"u\",\"update_config\":{\"audioConfig\":"
      "{\"sampleRateHertz\":96000}}}");
  expect_context_error (c, "u", 3, NULL);
  send_text (c, "u", "same rate", TRUE);
  f = recv_flush (c, "u");
  check_flush_audio (f, "PCM", 8000, "same rate");
  flush_free (f);

  client_free (c);
  emulator_stop (emu);
}

/* Two contexts streaming at once: each gets its own exact audio. */
static void
test_interleaved (void)
{
  /* slow enough that B starts while A still streams, even under valgrind
   * on a loaded machine (at speed 2 it once did not) */
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "1", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  const gchar *ids[2] = { "A", "B" };
  const gchar *texts[2] = {
    "Context A speaks this sentence, which lasts about one second....",
    "Context B says something else at the very same time, interleaved.",
  };
  GByteArray *got[2] = { g_byte_array_new (), g_byte_array_new () };
  gboolean done[2] = { FALSE, FALSE };
  gboolean interleaved = FALSE;
  gint last = -1;

  for (guint i = 0; i < 2; i++)
    create_context (c, ids[i], "PCM", 16000, NULL);
  for (guint i = 0; i < 2; i++)
    send_text (c, ids[i], texts[i], TRUE);
  while (!done[0] || !done[1]) {
    JsonNode *node = client_recv (c);
    gint i = g_str_equal (jstr (node, "result.contextId"), "A") ? 0 : 1;

    g_assert_false (done[i]);
    if (last >= 0 && last != i && !done[last])
      interleaved = TRUE;
    last = i;
    if (jhas (node, "result.flushCompleted")) {
      done[i] = TRUE;
    } else {
      gsize len;
      guchar *bytes;

      assert_result (node, ids[i], "audioChunk");
      bytes = g_base64_decode (jstr (node, "result.audioChunk.audioContent"),
          &len);
      g_byte_array_append (got[i], bytes, len);
      g_free (bytes);
    }
    json_node_unref (node);
  }
  g_assert_true (interleaved);
  for (guint i = 0; i < 2; i++) {
    GBytes *want = expected_signal (texts[i], 16000);

    g_assert_cmpmem (got[i]->data, got[i]->len, g_bytes_get_data (want,
            NULL), g_bytes_get_size (want));
    g_bytes_unref (want);
    g_byte_array_unref (got[i]);
  }
  client_free (c);
  emulator_stop (emu);
}

static void
test_formats (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  const gchar *encodings[] = { "PCM", "LINEAR16", "WAV" };
  const gint rates[] = { 8000, 16000, 24000, 48000 };
  const gchar *texts[] = {
    /* 73 characters: 0.73 s = 0.2 + 0.5 + 0.03 */
    "Seventy-three characters of text, so the last chunk is a short tail: ok.",
    "Ünïcödé → 10 ms per character, not per byte.",
    "x",
  };

  for (guint e = 0; e < G_N_ELEMENTS (encodings); e++) {
    for (guint r = 0; r < G_N_ELEMENTS (rates); r++) {
      gchar *id = g_strdup_printf ("%s-%d", encodings[e], rates[r]);

      create_context (c, id, encodings[e], rates[r], NULL);
      /* several flushes: WAV restarts its header, samples restart */
      for (guint t = 0; t < G_N_ELEMENTS (texts); t++) {
        Flush *f;

        send_text (c, id, texts[t], TRUE);
        f = recv_flush (c, id);
        check_flush_audio (f, encodings[e], rates[r], texts[t]);
        flush_free (f);
      }
      client_send (c, "{\"contextId\":\"%s\",\"close_context\":{}}", id);
      expect_result (c, id, "contextClosed");
      g_free (id);
    }
  }
  client_free (c);
  emulator_stop (emu);
}

/* Character offset of the @n-th whitespace-separated word of @text. */
static glong
word_first_char (const gchar * text, guint n)
{
  glong offset = 0;
  gboolean in_word = FALSE;

  for (const gchar * p = text; *p; p = g_utf8_next_char (p), offset++) {
    gboolean space = g_unichar_isspace (g_utf8_get_char (p));

    if (!space && !in_word && n-- == 0)
      return offset;
    in_word = !space;
  }
  g_assert_not_reached ();
}

/* Checks alignment arrays of @ts (possibly spread over chunks) against
 * @text at 10 ms per character; returns the number of items. */
static guint
check_alignment (GPtrArray * ts, const gchar * text, gboolean words,
    Flush * f, gint rate, gsize header)
{
  const gchar *group = words ? "wordAlignment" : "characterAlignment";
  const gchar *items = words ? "words" : "characters";
  const gchar *starts = words ? "wordStartTimeSeconds" :
      "characterStartTimeSeconds";
  const gchar *ends = words ? "wordEndTimeSeconds" : "characterEndTimeSeconds";
  gchar **want_words = g_regex_split_simple ("\\s+", text, 0, 0);
  guint n = 0;
  gdouble chunk_start = 0;

  for (guint k = 0; k < ts->len; k++) {
    JsonObject *align = json_node_get_object (jpath (ts->pdata[k], group));
    JsonArray *a = json_object_get_array_member (align, items);
    JsonArray *s = json_object_get_array_member (align, starts);
    JsonArray *e = json_object_get_array_member (align, ends);
    gdouble chunk_end = G_MAXDOUBLE;

    if (f && k + 1 < ts->len) {
      chunk_end = chunk_start + (g_bytes_get_size (f->audio->pdata[k])
          - header) / 2.0 / rate;
    }
    g_assert_cmpuint (json_array_get_length (s), ==,
        json_array_get_length (a));
    g_assert_cmpuint (json_array_get_length (e), ==,
        json_array_get_length (a));
    for (guint i = 0; i < json_array_get_length (a); i++, n++) {
      const gchar *item = json_array_get_string_element (a, i);
      gdouble t0 = json_array_get_double_element (s, i);
      gdouble t1 = json_array_get_double_element (e, i);

      if (words) {
        g_assert_cmpstr (item, ==, want_words[n]);
        g_assert_cmpfloat_with_epsilon (t0, word_first_char (text, n) * 0.01,
            1e-6);
        g_assert_cmpfloat_with_epsilon (t1 - t0,
            g_utf8_strlen (item, -1) * 0.01, 1e-6);
      } else {
        gchar *want = g_utf8_substring (text, n, n + 1);

        g_assert_cmpstr (item, ==, want);
        g_free (want);
        g_assert_cmpfloat_with_epsilon (t0, n * 0.01, 1e-6);
        g_assert_cmpfloat_with_epsilon (t1, (n + 1) * 0.01, 1e-6);
      }
      /* SYNC: each item travels with the chunk in which it starts */
      if (f) {
        g_assert_cmpfloat (t0, >=, chunk_start - 1e-6);
        g_assert_cmpfloat (t0, <, chunk_end);
      }
    }
    if (f)
      chunk_start = chunk_end;
  }
  if (words)
    g_assert_cmpuint (n, ==, g_strv_length (want_words));
  else
    g_assert_cmpuint (n, ==, g_utf8_strlen (text, -1));
  g_strfreev (want_words);
  return n;
}

static void
test_timestamps (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  const gchar *texts[] = {
    "The quick brown fox jumps over the lazy dog, then naps in the warm sun.",
    "Again from zero.",
  };
  Flush *f;

  create_context (c, "w", "PCM", 16000, "\"timestampType\":\"WORD\"");
  for (guint t = 0; t < G_N_ELEMENTS (texts); t++) {
    JsonArray *s;

    send_text (c, "w", texts[t], TRUE);
    f = recv_flush (c, "w");
    g_assert_cmpuint (f->ts_only->len, ==, 0);
    check_alignment (f->ts, texts[t], TRUE, f, 16000, 0);
    /* restarts at 0 every flush */
    s = json_object_get_array_member (json_node_get_object (jpath
            (f->ts->pdata[0], "wordAlignment")), "wordStartTimeSeconds");
    g_assert_cmpfloat (json_array_get_double_element (s, 0), ==, 0.0);
    check_flush_audio (f, "PCM", 16000, texts[t]);
    flush_free (f);
  }

  create_context (c, "ch", "LINEAR16", 24000,
      "\"timestampType\":\"CHARACTER\"");
  send_text (c, "ch", texts[0], TRUE);
  f = recv_flush (c, "ch");
  check_alignment (f->ts, texts[0], FALSE, f, 24000, 44);
  flush_free (f);

  /* ASYNC: audio chunks carry null; one audio-less frame per audio
   * chunk carries the items that start in it, right after the next audio
   * chunk (the last one after the last chunk), all before flushCompleted;
   * times restart at every synthesis */
  create_context (c, "as", "PCM", 16000,
      "\"timestampType\":\"WORD\",\"timestampTransportStrategy\":\"ASYNC\"");
  for (guint t = 0; t < G_N_ELEMENTS (texts); t++) {
    GString *want = g_string_new ("A");

    send_text (c, "as", texts[t], TRUE);
    f = recv_flush (c, "as");
    for (guint i = 0; i < f->ts->len; i++)
      g_assert_true (JSON_NODE_HOLDS_NULL ((JsonNode *) f->ts->pdata[i]));
    g_assert_cmpuint (f->ts_only->len, ==, f->audio->len);
    for (guint i = 1; i < f->audio->len; i++)
      g_string_append (want, "AT");
    g_string_append_c (want, 'T');
    g_assert_cmpstr (f->order->str, ==, want->str);
    check_alignment (f->ts_only, texts[t], TRUE, f, 16000, 0);
    check_flush_audio (f, "PCM", 16000, texts[t]);
    flush_free (f);
    g_string_free (want, TRUE);
  }
  g_assert_cmpuint (g_utf8_strlen (texts[0], -1), >, 70);     /* 3+ chunks */

  client_free (c);
  emulator_stop (emu);
}

/* ------------------------------------------------------------------ */
/* Encoded streams (MP3, OGG_OPUS, FLAC, ALAW, MULAW)                 */

#define ENCODED_TEXT_LONG "A longer flush, so that its encoded stream is cut " \
  "into several chunks: one short first chunk, then about half a second " \
  "each, one of them tiny."    /* 142 characters: 1.42 s */
#define ENCODED_TEXT_SHORT "Short one."

/* The ID3v2.4 tag every MP3 flush starts with (docs/emulator.md). */
static const guint8 id3_tag[] = {
  'I', 'D', '3', 4, 0, 0, 0, 0, 0, 35,
  'T', 'S', 'S', 'E', 0, 0, 0, 15, 0, 0,
  3, 'L', 'a', 'v', 'f', '6', '0', '.', '1', '6', '.', '1', '0', '0', 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

#define RAW_CAPS "audio/x-raw,format=S16LE,layout=interleaved,channels=1"

/* Runs "appsrc caps=@in_caps ! @chain ! appsink" on @in (one buffer, then
 * EOS). Returns the output bytes; the output caps go to @out_caps and the
 * size of every output buffer to @sizes (guint64) when not NULL. Fails the
 * test on a pipeline error. */
static GBytes *
run_pipeline (const gchar * in_caps, const gchar * chain, GBytes * in,
    GstCaps ** out_caps, GArray * sizes)
{
  gboolean raw = g_str_has_prefix (in_caps, "audio/x-raw");
  /* raw audio in time, encoded streams in bytes, as demuxers expect */
  gchar *line = g_strdup_printf ("appsrc name=src format=%s caps=\"%s\" ! "
      "%s ! appsink name=sink sync=false", raw ? "time" : "bytes", in_caps,
      chain);
  GstBuffer *buf = gst_buffer_new_wrapped_bytes (in);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (line, &error);
  GstElement *src, *sink;
  GByteArray *out = g_byte_array_new ();
  GstBus *bus;

  g_assert_no_error (error);
  g_free (line);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  bus = gst_element_get_bus (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  if (raw)
    GST_BUFFER_PTS (buf) = 0;
  gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  gst_app_src_end_of_stream (GST_APP_SRC (src));

  for (;;) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        100 * GST_MSECOND);
    GstMessage *msg;

    if (sample) {
      GstBuffer *buf = gst_sample_get_buffer (sample);
      GstMapInfo map;

      if (out_caps && !*out_caps)
        *out_caps = gst_caps_copy (gst_sample_get_caps (sample));
      g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
      g_byte_array_append (out, map.data, map.size);
      if (sizes) {
        guint64 size = map.size;

        g_array_append_val (sizes, size);
      }
      gst_buffer_unmap (buf, &map);
      gst_sample_unref (sample);
      continue;
    }
    if (gst_app_sink_is_eos (GST_APP_SINK (sink)))
      break;
    if ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
      gchar *debug = NULL;

      gst_message_parse_error (msg, &error, &debug);
      g_printerr ("pipeline %s: %s (%s)\n", chain, error->message, debug);
      g_assert_no_error (error);
    }
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return g_byte_array_free_to_bytes (out);
}

/* Decodes @data with @chain to S16 mono; returns the samples' bytes and
 * their rate. */
static GBytes *
decode (const gchar * in_caps, const gchar * chain, GBytes * data,
    gint * rate)
{
  gchar *full = g_strconcat (chain, " ! audioconvert ! " RAW_CAPS, NULL);
  GstCaps *caps = NULL;
  GBytes *pcm = run_pipeline (in_caps, full, data, &caps, NULL);

  g_free (full);
  g_assert_nonnull (caps);
  g_assert_true (gst_structure_get_int (gst_caps_get_structure (caps, 0),
          "rate", rate));
  gst_caps_unref (caps);
  return pcm;
}

/* All chunks of @f, concatenated. */
static GBytes *
flush_concat (Flush * f)
{
  GByteArray *all = g_byte_array_new ();

  for (guint i = 0; i < f->audio->len; i++) {
    gsize len;
    const guint8 *data = g_bytes_get_data (f->audio->pdata[i], &len);

    g_byte_array_append (all, data, len);
  }
  return g_byte_array_free_to_bytes (all);
}

static gboolean
offset_in (GArray * offsets, guint64 offset)
{
  for (guint i = 0; i < offsets->len; i++)
    if (g_array_index (offsets, guint64, i) == offset)
      return TRUE;
  return FALSE;
}

/* The chunking of an encoded stream: irregular sizes, a tiny chunk in a
 * longer flush, and (given the encoder's frame/page start offsets in
 * @frames) at least one chunk boundary inside a frame. */
static void
check_irregular_chunks (Flush * f, GArray * frames)
{
  guint64 offset = 0;
  gboolean same = TRUE, tiny = FALSE, inside = FALSE;
  gsize first = g_bytes_get_size (f->audio->pdata[0]);
  GString *sizes = g_string_new (NULL);

  for (guint i = 0; i < f->audio->len; i++)
    g_string_append_printf (sizes, " %" G_GSIZE_FORMAT,
        g_bytes_get_size (f->audio->pdata[i]));
  g_test_message ("chunk sizes:%s", sizes->str);
  g_string_free (sizes, TRUE);

  for (guint i = 0; i < f->audio->len; i++) {
    gsize len = g_bytes_get_size (f->audio->pdata[i]);

    g_assert_cmpuint (len, >, 0);
    same &= len == first;
    tiny |= len <= 3;
    if (i > 0 && frames && !offset_in (frames, offset))
      inside = TRUE;
    offset += len;
  }
  if (f->audio->len >= 2)
    g_assert_false (same);
  if (f->audio->len >= 4)
    g_assert_true (tiny);
  if (frames && f->audio->len >= 2)
    g_assert_true (inside);
  /* usage on the first chunk only */
  for (guint i = 1; i < f->usage->len; i++)
    g_assert_cmpint (g_array_index (f->usage, gint64, i), ==, 0);
}

/* create with @encoding, @rate and @bit_rate (0: not sent); returns the
 * reply. */
static JsonNode *
create_encoded (Client * c, const gchar * ctx, const gchar * encoding,
    gint rate, gint bit_rate)
{
  GString *audio = g_string_new (NULL);

  g_string_append_printf (audio, "\"audioEncoding\":\"%s\"", encoding);
  if (rate)
    g_string_append_printf (audio, ",\"sampleRateHertz\":%d", rate);
  if (bit_rate)
    g_string_append_printf (audio, ",\"bitRate\":%d", bit_rate);
  client_send (c, "{\"contextId\":\"%s\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\",\"audioConfig\":{%s}}}", ctx, audio->str);
  g_string_free (audio, TRUE);
  return client_recv (c);
}

static void
close_context (Client * c, const gchar * ctx)
{
  client_send (c, "{\"contextId\":\"%s\",\"close_context\":{}}", ctx);
  expect_result (c, ctx, "contextClosed");
}

/* MP3: the Layer III frame at @p (@left bytes available): its length, rate
 * and bitrate; 0 when it is no frame header. */
static gsize
mp3_frame (const guint8 * p, gsize left, gint * rate, gint * kbps)
{
  static const gint kbps1[] = { 0, 32, 40, 48, 56, 64, 80, 96, 112, 128,
    160, 192, 224, 256, 320
  };
  static const gint kbps2[] = { 0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96,
    112, 128, 144, 160
  };
  static const gint rates1[] = { 44100, 48000, 32000 };
  gint version, br, sr;

  if (left < 4 || p[0] != 0xff || (p[1] & 0xe0) != 0xe0)
    return 0;
  version = (p[1] >> 3) & 3;    /* 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5 */
  br = p[2] >> 4;
  sr = (p[2] >> 2) & 3;
  if (version == 1 || ((p[1] >> 1) & 3) != 1 || br == 0 || br == 15
      || sr == 3)
    return 0;
  *rate = rates1[sr] / (version == 3 ? 1 : version == 2 ? 2 : 4);
  *kbps = version == 3 ? kbps1[br] : kbps2[br];
  return (version == 3 ? 144000 : 72000) * *kbps / *rate + ((p[2] >> 1) & 1);
}

/* One MP3 flush: the ID3 tag, then whole frames at @rate and @kbps up to
 * the last byte; decodes to about the test signal's length. */
static void
check_mp3_flush (Flush * f, const gchar * text, gint rate, gint kbps)
{
  GBytes *stream = flush_concat (f), *pcm;
  gsize len, pos = sizeof (id3_tag);
  const guint8 *data = g_bytes_get_data (stream, &len);
  GArray *frames = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint64 n = inworld_test_signal_n_samples (text, rate), decoded;
  gint frame_samples = rate > 24000 ? 1152 : 576, got_rate;

  g_assert_cmpuint (len, >, sizeof (id3_tag));
  g_assert_cmpmem (data, sizeof (id3_tag), id3_tag, sizeof (id3_tag));
  while (pos < len) {
    gint frame_rate = 0, frame_kbps = 0;
    gsize size = mp3_frame (data + pos, len - pos, &frame_rate, &frame_kbps);

    g_assert_cmpuint (size, >, 0);
    g_assert_cmpint (frame_rate, ==, rate);
    g_assert_cmpint (frame_kbps, ==, kbps);
    g_array_append_val (frames, pos);
    pos += size;
  }
  g_assert_cmpuint (pos, ==, len);
  check_irregular_chunks (f, frames);

  pcm = decode ("application/x-id3", "id3demux ! mpegaudioparse ! "
      "mpg123audiodec", stream, &got_rate);
  g_assert_cmpint (got_rate, ==, rate);
  decoded = g_bytes_get_size (pcm) / 2;
  g_test_message ("MP3 %d Hz %d kbit/s: %u chunks, %" G_GSIZE_FORMAT
      " bytes, %" G_GUINT64_FORMAT " samples decoded for %" G_GUINT64_FORMAT,
      rate, kbps, f->audio->len, len, decoded, n);
  /* the encoder's delay and the last frame's padding come on top */
  g_assert_cmpuint (decoded, >=, n);
  g_assert_cmpuint (decoded, <=, n + 3 * frame_samples);
  g_bytes_unref (pcm);
  g_array_unref (frames);
  g_bytes_unref (stream);
}

static void
test_encoding_mp3 (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  /* rate, bitRate sent (0: none), the frames' kbit/s */
  const gint cases[][3] = {
    {48000, 0, 128}, {16000, 32000, 32}, {44100, 320000, 320},
    /* MPEG-2 rates top out at 160 kbit/s */
    {22050, 320000, 160}, {24000, 100000, 96},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *id = g_strdup_printf ("mp3-%u", i);
    JsonNode *node = create_encoded (c, id, "MP3", cases[i][0], cases[i][1]);

    assert_result (node, id, "contextCreated");
    if (cases[i][1])
      g_assert_cmpint (jint (node, "result.contextCreated.audioConfig.bitRate"),
          ==, cases[i][1]);
    json_node_unref (node);
    /* every flush is a stream of its own, tag included */
    for (guint t = 0; t < 2; t++) {
      const gchar *text = t ? ENCODED_TEXT_SHORT : ENCODED_TEXT_LONG;
      Flush *f;

      send_text (c, id, text, TRUE);
      f = recv_flush (c, id);
      g_assert_cmpint (g_array_index (f->usage, gint64, 0), ==,
          g_utf8_strlen (text, -1));
      check_mp3_flush (f, text, cases[i][0], cases[i][2]);
      flush_free (f);
    }
    close_context (c, id);
    g_free (id);
  }
  client_free (c);
  emulator_stop (emu);
}

typedef struct
{
  guint64 offset;
  gsize size;
  guint8 flags;                 /* 2: BOS, 4: EOS */
  gint64 granule;
  guint32 serial;
  guint32 seq;
  gsize body;                   /* offset of the body */
  GArray *packets;              /* gsize lengths of the packets ending here */
} OggPage;

static void
ogg_page_clear (OggPage * page)
{
  g_array_unref (page->packets);
}

/* Splits @data into Ogg pages; every byte must belong to one. */
static GArray *
ogg_pages (const guint8 * data, gsize len)
{
  GArray *pages = g_array_new (FALSE, TRUE, sizeof (OggPage));
  gsize pos = 0;

  g_array_set_clear_func (pages, (GDestroyNotify) ogg_page_clear);
  while (pos < len) {
    OggPage page = { 0 };
    const guint8 *p = data + pos;
    guint nseg;
    gsize body = 0, packet = 0;

    g_assert_cmpuint (len - pos, >=, 27);
    g_assert_cmpmem (p, 4, "OggS", 4);
    g_assert_cmpuint (p[4], ==, 0);
    page.offset = pos;
    page.flags = p[5];
    for (guint b = 0; b < 8; b++)
      page.granule |= (gint64) p[6 + b] << (8 * b);
    page.serial = le32 (p + 14);
    page.seq = le32 (p + 18);
    nseg = p[26];
    g_assert_cmpuint (len - pos, >=, 27 + nseg);
    page.packets = g_array_new (FALSE, FALSE, sizeof (gsize));
    for (guint s = 0; s < nseg; s++) {
      body += p[27 + s];
      packet += p[27 + s];
      if (p[27 + s] < 255) {
        g_array_append_val (page.packets, packet);
        packet = 0;
      }
    }
    page.body = pos + 27 + nseg;
    page.size = 27 + nseg + body;
    g_assert_cmpuint (len - pos, >=, page.size);
    g_array_append_val (pages, page);
    pos += page.size;
  }
  g_assert_cmpuint (pos, ==, len);
  return pages;
}

/* One OGG_OPUS flush: one complete Ogg Opus stream (BOS page with
 * OpusHead, OpusTags, audio pages, EOS page), CBR packets of @bit_rate,
 * decoding to the test signal's duration. Audio pages hold a second, or
 * less when libogg closes them at about 4 KiB. Returns its serial. */
static guint32
check_ogg_opus_flush (Flush * f, const gchar * text, gint rate, gint bit_rate)
{
  GBytes *stream = flush_concat (f), *pcm;
  gsize len;
  const guint8 *data = g_bytes_get_data (stream, &len);
  GArray *pages = ogg_pages (data, len);
  GArray *offsets = g_array_new (FALSE, FALSE, sizeof (guint64));
  OggPage *first = &g_array_index (pages, OggPage, 0);
  OggPage *last = &g_array_index (pages, OggPage, pages->len - 1);
  const guint8 *head = data + first->body;
  gint input_rate = (rate == 8000 || rate == 12000 || rate == 16000
      || rate == 24000 || rate == 48000) ? rate : 48000;
  gdouble seconds = (gdouble) inworld_test_signal_n_samples (text, rate)
      / rate;
  guint32 serial = first->serial;
  gint got_rate;

  g_assert_cmpuint (pages->len, >=, 3);
  /* header pages */
  g_assert_cmpuint (first->flags, ==, 2);
  g_assert_cmpuint (first->packets->len, ==, 1);
  g_assert_cmpmem (head, 8, "OpusHead", 8);
  g_assert_cmpuint (head[8], ==, 1);    /* version */
  g_assert_cmpuint (head[9], ==, 1);    /* mono */
  g_assert_cmpuint (le32 (head + 12), ==, input_rate);
  g_assert_cmpmem (data + g_array_index (pages, OggPage, 1).body, 8,
      "OpusTags", 8);
  g_assert_cmpuint (last->flags & 4, ==, 4);
  for (guint i = 0; i < pages->len; i++) {
    OggPage *page = &g_array_index (pages, OggPage, i);

    g_assert_cmpuint (page->serial, ==, serial);
    g_assert_cmpuint (page->seq, ==, i);
    g_assert_true (i == pages->len - 1 || !(page->flags & 4));
    g_assert_true (i == 0 || !(page->flags & 2));
    g_array_append_val (offsets, page->offset);
    if (i < 2)
      continue;
    /* 20 ms CBR packets: bit_rate * 20 ms / 8 bytes each */
    for (guint k = 0; k < page->packets->len; k++)
      g_assert_cmpuint (g_array_index (page->packets, gsize, k), ==,
          bit_rate / 400);
    g_assert_cmpuint (page->packets->len, <=, 51);
    if (i < pages->len - 1) {
      /* closed after a second of packets or at ~4 KiB */
      gsize body = page->size - (page->body - page->offset);

      g_assert_true (page->packets->len >= 49
          || body + bit_rate / 400 > 4096);
      if (i > 2)                /* 48 kHz granules */
        g_assert_cmpint (page->granule - g_array_index (pages, OggPage,
                i - 1).granule, ==, 960 * page->packets->len);
    }
  }
  check_irregular_chunks (f, offsets);

  pcm = decode ("application/ogg", "oggdemux ! opusdec", stream, &got_rate);
  g_test_message ("OGG_OPUS %d Hz %d bit/s: %u chunks, %u pages, %"
      G_GSIZE_FORMAT " bytes, %.4f s decoded at %d Hz for %.4f s", rate,
      bit_rate, f->audio->len, pages->len, len,
      g_bytes_get_size (pcm) / 2.0 / got_rate, got_rate, seconds);
  /* within a 20 ms frame of the signal's duration */
  g_assert_cmpfloat (fabs (g_bytes_get_size (pcm) / 2.0 / got_rate - seconds),
      <=, 0.021);
  g_bytes_unref (pcm);
  g_array_unref (offsets);
  g_array_unref (pages);
  g_bytes_unref (stream);
  return serial;
}

static void
test_encoding_ogg_opus (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  /* rate, bitRate sent (0: none = 128000) */
  const gint cases[][2] = {
    {24000, 32000}, {48000, 0}, {44100, 64000}, {8000, 192000},
    {22050, 0},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *id = g_strdup_printf ("opus-%u", i);
    JsonNode *node = create_encoded (c, id, "OGG_OPUS", cases[i][0],
        cases[i][1]);
    guint32 serials[2];

    assert_result (node, id, "contextCreated");
    json_node_unref (node);
    for (guint t = 0; t < 2; t++) {
      const gchar *text = t ? ENCODED_TEXT_SHORT : ENCODED_TEXT_LONG;
      Flush *f;

      send_text (c, id, text, TRUE);
      f = recv_flush (c, id);
      serials[t] = check_ogg_opus_flush (f, text, cases[i][0],
          cases[i][1] ? cases[i][1] : 128000);
      flush_free (f);
    }
    /* a new Ogg stream per flush */
    g_assert_cmpuint (serials[0], !=, serials[1]);
    close_context (c, id);
    g_free (id);
  }
  client_free (c);
  emulator_stop (emu);
}

/* One FLAC flush: "fLaC", STREAMINFO announcing @rate and the sample
 * count, nothing after the last frame, lossless. */
static void
check_flac_flush (Flush * f, const gchar * text, gint rate)
{
  GBytes *stream = flush_concat (f), *pcm, *parsed, *want;
  gsize len, pos = 4;
  const guint8 *data = g_bytes_get_data (stream, &len);
  const guint8 *info = data + 8;
  GArray *sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  GArray *offsets = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint64 n = inworld_test_signal_n_samples (text, rate), total = 0;
  gboolean last = FALSE;
  gint got_rate;

  g_assert_cmpuint (len, >, 42);
  g_assert_cmpmem (data, 4, "fLaC", 4);
  g_assert_cmpuint (data[4] & 0x7f, ==, 0);     /* STREAMINFO first */
  /* 20 bits rate, 3 bits channels - 1, 5 bits bits - 1, 36 bits samples */
  g_assert_cmpuint ((info[10] << 12) | (info[11] << 4) | (info[12] >> 4), ==,
      rate);
  g_assert_cmpuint ((info[12] >> 1) & 7, ==, 0);
  g_assert_cmpuint (((info[12] & 1) << 4) | (info[13] >> 4), ==, 15);
  g_assert_cmpuint (((guint64) (info[13] & 0xf) << 32) | ((guint64) info[14]
          << 24) | (info[15] << 16) | (info[16] << 8) | info[17], ==, n);
  /* the metadata blocks, then frames only: no second "fLaC" or
   * STREAMINFO from a rewrite at the end */
  while (!last) {
    g_assert_cmpuint (pos + 4, <=, len);
    last = data[pos] >> 7;
    g_assert_cmpuint (data[pos] & 0x7f, !=, 127);
    pos += 4 + ((data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3]);
  }
  g_assert_cmpuint (data[pos], ==, 0xff);       /* first frame's sync */
  g_assert_cmpuint (data[pos + 1] & 0xfe, ==, 0xf8);

  /* flacparse finds frames covering every byte (headers included) */
  parsed = run_pipeline ("audio/x-flac", "flacparse", stream, NULL, sizes);
  for (guint i = 0; i < sizes->len; i++) {
    guint64 size = g_array_index (sizes, guint64, i);

    g_array_append_val (offsets, total);
    total += size;
  }
  g_assert_cmpuint (total, ==, len);
  g_assert_cmpmem (g_bytes_get_data (parsed, NULL), g_bytes_get_size (parsed),
      data, len);
  check_irregular_chunks (f, offsets);

  /* lossless: exactly the test signal */
  pcm = decode ("audio/x-flac", "flacparse ! flacdec", stream, &got_rate);
  g_assert_cmpint (got_rate, ==, rate);
  want = expected_signal (text, rate);
  g_assert_cmpmem (g_bytes_get_data (pcm, NULL), g_bytes_get_size (pcm),
      g_bytes_get_data (want, NULL), g_bytes_get_size (want));
  g_bytes_unref (want);
  g_bytes_unref (pcm);
  g_bytes_unref (parsed);
  g_array_unref (offsets);
  g_array_unref (sizes);
  g_bytes_unref (stream);
}

static void
test_encoding_flac (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  const gint rates[] = { 8000, 16000, 44100, 48000 };

  for (guint i = 0; i < G_N_ELEMENTS (rates); i++) {
    gchar *id = g_strdup_printf ("flac-%d", rates[i]);
    JsonNode *node = create_encoded (c, id, "FLAC", rates[i], 0);

    assert_result (node, id, "contextCreated");
    json_node_unref (node);
    for (guint t = 0; t < 2; t++) {
      const gchar *text = t ? ENCODED_TEXT_SHORT : ENCODED_TEXT_LONG;
      Flush *f;

      send_text (c, id, text, TRUE);
      f = recv_flush (c, id);
      check_flac_flush (f, text, rates[i]);
      flush_free (f);
    }
    close_context (c, id);
    g_free (id);
  }
  client_free (c);
  emulator_stop (emu);
}

/* ALAW / MULAW: raw G.711 at 8000 Hz, one byte per sample, exactly what
 * alawenc / mulawenc make of the test signal. */
static void
test_encoding_g711 (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  const gchar *names[] = { "ALAW", "MULAW" };
  const gchar *encoders[] = { "alawenc", "mulawenc" };

  for (guint e = 0; e < G_N_ELEMENTS (names); e++) {
    /* ALAW with the rate sent, MULAW without: 8000 either way */
    JsonNode *node = create_encoded (c, names[e], names[e], e ? 0 : 8000, 0);

    assert_result (node, names[e], "contextCreated");
    json_node_unref (node);
    for (guint t = 0; t < 2; t++) {
      const gchar *text = t ? ENCODED_TEXT_SHORT : ENCODED_TEXT_LONG;
      GBytes *signal = expected_signal (text, 8000), *want, *got;
      Flush *f;

      send_text (c, names[e], text, TRUE);
      f = recv_flush (c, names[e]);
      got = flush_concat (f);
      g_assert_cmpuint (g_bytes_get_size (got), ==,
          inworld_test_signal_n_samples (text, 8000));
      g_assert_false (g_bytes_get_size (got) >= 4 && memcmp
          (g_bytes_get_data (got, NULL), "RIFF", 4) == 0);
      want = run_pipeline (RAW_CAPS ",rate=8000", encoders[e], signal, NULL,
          NULL);
      g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got),
          g_bytes_get_data (want, NULL), g_bytes_get_size (want));
      check_irregular_chunks (f, NULL);
      g_bytes_unref (want);
      g_bytes_unref (got);
      g_bytes_unref (signal);
      flush_free (f);
    }
    close_context (c, names[e]);
  }

  /* SYNC timestamps follow the irregular chunks (1 byte per sample: in
   * check_alignment's 2-byte units that is a rate of 4000) */
  {
    JsonNode *node;
    Flush *f;

    client_send (c, "{\"contextId\":\"ts\",\"create\":{\"voiceId\":\"Dennis\","
        "\"modelId\":\"" MODEL "\",\"audioConfig\":{\"audioEncoding\":"
        "\"MULAW\"},\"timestampType\":\"WORD\"}}");
    node = client_recv (c);
    assert_result (node, "ts", "contextCreated");
    json_node_unref (node);
    send_text (c, "ts", ENCODED_TEXT_LONG, TRUE);
    f = recv_flush (c, "ts");
    check_alignment (f->ts, ENCODED_TEXT_LONG, TRUE, f, 4000, 0);
    flush_free (f);
  }
  client_free (c);
  emulator_stop (emu);
}

/* Per-encoding limits of audioConfig, and MP3 as the default. */
static void
test_encoding_checks (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  const struct
  {
    const gchar *encoding;
    gint rate, bit_rate;
    const gchar *message;
  } bad[] = {
    {"MP3", 8000, 0, "sample_rate_hertz must be one of 16000, 22050, 24000, "
          "32000, 44100, 48000 for MP3, got 8000."},
    {"MP3", 12000, 0, NULL},
    {"MP3", 0, 16000, "bit_rate must be between 32000 and 320000 for MP3, "
          "got 16000."},
    {"MP3", 48000, 320001, NULL},
    {"OGG_OPUS", 0, 256000, "bit_rate must be between 32000 and 192000 for "
          "OGG_OPUS, got 256000."},
    {"OGG_OPUS", 16000, 31999, NULL},
    {"OGG_OPUS", 7999, 0, "sample_rate_hertz must be between 8000 and 48000, "
          "got 7999."},
    {"ALAW", 16000, 0, "sample_rate_hertz must be 8000 for ALAW, got 16000."},
    {"MULAW", 48000, 0, "sample_rate_hertz must be 8000 for MULAW, "
          "got 48000."},
  };
  JsonNode *node;
  GBytes *stream;
  Flush *f;
  gint rate = 0, kbps = 0;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    node = create_encoded (c, "bad", bad[i].encoding, bad[i].rate,
        bad[i].bit_rate);
    if (jint (node, "result.status.code") != 3) {
      gchar *text = json_to_string (node, FALSE);

      g_printerr ("case %u: %s\n", i, text);
      g_free (text);
    }
    g_assert_cmpint (jint (node, "result.status.code"), ==, 3);
    g_assert_cmpstr (jstr (node, "result.contextId"), ==, "bad");
    g_assert_false (jhas (node, "result.contextCreated"));
    if (bad[i].message)
      g_assert_cmpstr (jstr (node, "result.status.message"), ==,
          bad[i].message);
    g_assert_null (strstr (jstr (node, "result.status.message"),
            "not supported by the emulator"));
    json_node_unref (node);
  }
  /* nothing was created */
  send_text (c, "bad", "x", TRUE);
  expect_context_error (c, "bad", 5,
      "context bad not found (payload=SEND_TEXT)");

  /* bitRate is for MP3 and Opus only: ignored by the others */
  node = create_encoded (c, "pcm", "PCM", 8000, 1);
  assert_result (node, "pcm", "contextCreated");
  json_node_unref (node);
  /* switching to MP3 keeps 8000 Hz, which MP3 lacks */
  client_send (c, "{\"contextId\":\"pcm\",\"update_config\":{\"audioConfig\":"
      "{\"audioEncoding\":\"MP3\"}}}");
  expect_context_error (c, "pcm", 3, "sample_rate_hertz must be one of "
      "16000, 22050, 24000, 32000, 44100, 48000 for MP3, got 8000.");
  close_context (c, "pcm");

  /* MULAW's 8000 Hz is only its default: after switching to MP3 without a
   * rate, the rate is the general default, 48000 */
  node = create_encoded (c, "mu", "MULAW", 0, 0);
  assert_result (node, "mu", "contextCreated");
  g_assert_false (jhas (node, "result.contextCreated.audioConfig."
          "sampleRateHertz"));
  json_node_unref (node);
  client_send (c, "{\"contextId\":\"mu\",\"update_config\":{\"audioConfig\":"
      "{\"audioEncoding\":\"MP3\"}}}");
  expect_result (c, "mu", "contextUpdated");
  send_text (c, "mu", ENCODED_TEXT_SHORT, TRUE);
  f = recv_flush (c, "mu");
  check_mp3_flush (f, ENCODED_TEXT_SHORT, 48000, 128);
  flush_free (f);
  close_context (c, "mu");

  /* no audioConfig at all: MP3, 48000 Hz, 128 kbit/s */
  client_send (c, "{\"contextId\":\"def\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\"}}");
  node = client_recv (c);
  assert_result (node, "def", "contextCreated");
  g_assert_false (jhas (node, "result.contextCreated.audioConfig."
          "audioEncoding"));
  json_node_unref (node);
  send_text (c, "def", ENCODED_TEXT_LONG, TRUE);
  f = recv_flush (c, "def");
  check_mp3_flush (f, ENCODED_TEXT_LONG, 48000, 128);
  stream = flush_concat (f);
  g_assert_cmpuint (mp3_frame ((const guint8 *) g_bytes_get_data (stream,
              NULL) + sizeof (id3_tag), 4, &rate, &kbps), >, 0);
  g_assert_cmpint (rate, ==, 48000);
  g_assert_cmpint (kbps, ==, 128);
  g_bytes_unref (stream);
  flush_free (f);

  client_free (c);
  emulator_stop (emu);
}

static void
test_pacing (void)
{
  /* 100 characters = 1 s of audio; at speed 4 the last chunk (starting at
   * 0.7 s) is due 175 ms after the flush */
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "4", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  gchar *text = g_strnfill (100, 'p');
  gint64 start;
  Flush *f;

  create_context (c, "s", "PCM", 8000, NULL);
  start = g_get_monotonic_time ();
  send_text (c, "s", text, TRUE);
  f = recv_flush (c, "s");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 170 * 1000);
  check_flush_audio (f, "PCM", 8000, text);
  flush_free (f);
  client_free (c);
  emulator_stop (emu);
  g_free (text);
}

static void
test_fault_first_audio_delay (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--first-audio-delay", "400", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  gint64 start;
  Flush *f;

  create_context (c, "d", "PCM", 16000, NULL);
  for (guint i = 0; i < 2; i++) {
    start = g_get_monotonic_time ();
    send_text (c, "d", "delayed", TRUE);
    f = recv_flush (c, "d");
    g_assert_cmpint (f->first_chunk_time - start, >=, 390 * 1000);
    check_flush_audio (f, "PCM", 16000, "delayed");
    flush_free (f);
  }
  client_free (c);
  emulator_stop (emu);
}

static void
test_fault_drop (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--drop-after-chunks", "3", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  gchar *text = g_strnfill (300, 'd');  /* 3 s: 7 chunks */
  guint chunks = 0;

  create_context (c, "x", "PCM", 16000, NULL);
  send_text (c, "x", text, TRUE);
  g_assert_true (client_iterate (c, is_closed, REPLY_MS));
  while (!g_queue_is_empty (&c->frames)) {
    Frame *f = g_queue_pop_head (&c->frames);
    JsonNode *node = json_from_string (g_bytes_get_data (f->data, NULL),
        NULL);

    assert_result (node, "x", "audioChunk");
    chunks++;
    json_node_unref (node);
    frame_free (f);
  }
  g_assert_cmpuint (chunks, ==, 3);
  /* no close frame came (soup reports code 0: abnormal closure) */
  g_assert_cmpuint (soup_websocket_connection_get_close_code (c->ws), ==, 0);
  client_free (c);

  /* the emulator lives on; a new connection has its own count */
  c = client_connect (emu, "Basic " KEY);
  create_context (c, "y", "PCM", 16000, NULL);
  send_text (c, "y", "short", TRUE);
  {
    Flush *f = recv_flush (c, "y");

    check_flush_audio (f, "PCM", 16000, "short");
    flush_free (f);
  }
  client_free (c);
  emulator_stop (emu);
  g_free (text);
}

static void
test_fault_early_context_closed (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--early-context-closed", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  Flush *f;

  create_context (c, "e", "PCM", 16000, NULL);
  send_text (c, "e", "Audio after the close.", FALSE);
  client_send (c, "{\"contextId\":\"e\",\"close_context\":{}}");
  expect_result (c, "e", "contextClosed");
  f = recv_flush (c, "e");
  check_flush_audio (f, "PCM", 16000, "Audio after the close.");
  flush_free (f);
  assert_quiet (c, QUIET_MS);
  client_free (c);
  emulator_stop (emu);
}

static void
test_fault_garbage (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--garbage-frames", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  Frame *f;
  JsonNode *node;

  for (guint i = 0; i < 2; i++) {
    client_send (c, "{\"contextId\":\"g%u\",\"create\":{\"voiceId\":\"Dennis\","
        "\"modelId\":\"" MODEL "\",\"audioConfig\":{\"audioEncoding\":"
        "\"PCM\"}}}", i);
    f = client_next_frame (c, REPLY_MS);
    g_assert_nonnull (f);
    g_assert_cmpint (f->type, ==, SOUP_WEBSOCKET_DATA_TEXT);
    g_assert_null (json_from_string (g_bytes_get_data (f->data, NULL), NULL));
    frame_free (f);
    f = client_next_frame (c, REPLY_MS);
    g_assert_nonnull (f);
    g_assert_cmpint (f->type, ==, SOUP_WEBSOCKET_DATA_BINARY);
    frame_free (f);
    node = client_recv (c);
    assert_result (node, i ? "g1" : "g0", "contextCreated");
    json_node_unref (node);
  }
  client_free (c);
  emulator_stop (emu);
}

static void
test_fault_inactivity (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--inactivity-timeout", "1", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  JsonNode *node;
  gint64 start;

  create_context (c, "i", "PCM", 16000, NULL);
  start = g_get_monotonic_time ();
  node = client_recv (c);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 900 * 1000);
  g_assert_cmpint (jint (node, "error.code"), ==, 10);
  g_assert_cmpstr (jstr (node, "error.message"), ==,
      "Paused due to inactivity");
  json_node_unref (node);
  g_assert_true (client_iterate (c, is_closed, REPLY_MS));
  /* dropped without a close frame */
  g_assert_cmpuint (soup_websocket_connection_get_close_code (c->ws), ==, 0);
  client_free (c);
  emulator_stop (emu);
}

/* A client vanishing mid-synthesis must not hurt the emulator. */
static void
test_close_mid_synthesis (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "1", NULL);
  gchar *text = g_strnfill (1500, 'm');

  for (guint round = 0; round < 3; round++) {
    Client *c = client_connect (emu, "Basic " KEY);
    JsonNode *node;

    create_context (c, "a", "LINEAR16", 48000, "\"maxBufferDelayMs\":100");
    create_context (c, "b", "PCM", 16000, NULL);
    send_text (c, "a", text, TRUE);
    send_text (c, "b", "buffered, waiting for its delay", FALSE);
    send_text (c, "b", text, TRUE);
    client_send (c, "{\"contextId\":\"a\",\"close_context\":{}}");
    node = client_recv (c);
    g_assert_true (jhas (node, "result.audioChunk"));
    json_node_unref (node);
    if (round == 1) {
      /* drop without a close handshake */
      g_io_stream_close (soup_websocket_connection_get_io_stream (c->ws),
          NULL, NULL);
    }
    client_free (c);
  }
  /* still serving */
  {
    Client *c = client_connect (emu, "Basic " KEY);
    Flush *f;

    create_context (c, "z", "PCM", 8000, NULL);
    send_text (c, "z", "alive", TRUE);
    f = recv_flush (c, "z");
    check_flush_audio (f, "PCM", 8000, "alive");
    flush_free (f);
    client_free (c);
  }
  emulator_stop (emu);
  g_free (text);
}

/* The other audio sources: right length at the right rate. */
static void
test_audio_sources (void)
{
  const gchar *text = "Testing one two three.";
  Emulator *emu;
  Client *c;
  Flush *f;
  gsize total = 0;

  emu = emulator_start ("--api-key", KEY, "--audio", "sine", "--speed", "0",
      NULL);
  c = client_connect (emu, "Basic " KEY);
  create_context (c, "s", "PCM", 16000, NULL);
  send_text (c, "s", text, TRUE);
  f = recv_flush (c, "s");
  for (guint i = 0; i < f->audio->len; i++)
    total += g_bytes_get_size (f->audio->pdata[i]);
  /* 60 ms per character */
  g_assert_cmpuint (total, ==, 2 * 22 * 60 * 16000 / 1000);
  flush_free (f);
  client_free (c);
  emulator_stop (emu);

  /* tools/setup.sh installs espeak-ng: the speech mode is always tested */
  {
    gchar *espeak = g_find_program_in_path ("espeak-ng");
    if (espeak == NULL)
      g_error ("espeak-ng is not installed: run tools/setup.sh");
    g_free (espeak);
  }
  emu = emulator_start ("--api-key", KEY, "--audio", "speech", "--speed",
      "0", NULL);
  c = client_connect (emu, "Basic " KEY);
  create_context (c, "s", "LINEAR16", 24000, NULL);
  send_text (c, "s", text, TRUE);
  f = recv_flush (c, "s");
  total = 0;
  for (guint i = 0; i < f->audio->len; i++) {
    gsize len;
    const guint8 *data = g_bytes_get_data (f->audio->pdata[i], &len);

    assert_wav_header (data, 24000, len - 44);
    total += len - 44;
  }
  /* about a second or two of speech, not silence */
  g_assert_cmpuint (total, >, 2 * 24000 / 2);
  g_assert_cmpuint (total, <, 2 * 24000 * 5);
  flush_free (f);
  client_free (c);
  emulator_stop (emu);
}

/* ------------------------------------------------------------------ */
/* SLNG route (/v1/tts/slng/inworld/max:1.5)                          */

#define SLNG_PATH "/v1/tts/slng/inworld/max:1.5"

/* Connects to @path with "Authorization: @auth" and "X-Region-Override:
 * @region" (each left out when NULL). The HTTP status of the upgrade goes
 * to @status; c->ws is NULL when it was refused. */
static Client *
slng_connect_full (Emulator * emu, const gchar * path, const gchar * auth,
    const gchar * region, guint * status)
{
  Client *c = g_new0 (Client, 1);
  gchar *uri = g_strdup_printf ("ws://127.0.0.1:%u%s", emu->port, path);
  SoupMessage *msg;
  SoupMessageHeaders *headers;

  c->ctx = g_main_context_new ();
  g_main_context_push_thread_default (c->ctx);
  c->session = soup_session_new ();
  msg = soup_message_new ("GET", uri);
  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (auth)
    soup_message_headers_replace (headers, "Authorization", auth);
  if (region)
    soup_message_headers_replace (headers, "X-Region-Override", region);
  soup_session_websocket_connect_async (c->session, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, NULL, on_connected, c);
  g_assert_true (client_iterate (c, is_connect_done, REPLY_MS));
  *status = soup_message_get_status (msg);
  g_object_unref (msg);
  g_free (uri);
  if (c->ws) {
    soup_websocket_connection_set_max_incoming_payload_size (c->ws, 0);
    g_signal_connect (c->ws, "message", G_CALLBACK (on_client_message), c);
    g_signal_connect (c->ws, "closed", G_CALLBACK (on_client_closed), c);
  }
  return c;
}

static Client *
slng_connect (Emulator * emu)
{
  guint status;
  Client *c = slng_connect_full (emu, SLNG_PATH, "Bearer " KEY, NULL,
      &status);

  g_assert_no_error (c->connect_error);
  g_assert_cmpuint (status, ==, SOUP_STATUS_SWITCHING_PROTOCOLS);
  return c;
}

/* The upgrade must fail; returns its HTTP status. */
static guint
slng_refused (Emulator * emu, const gchar * path, const gchar * auth)
{
  guint status;
  Client *c = slng_connect_full (emu, path, auth, NULL, &status);

  g_assert_null (c->ws);
  g_assert_nonnull (c->connect_error);
  client_free (c);
  return status;
}

/* {"type":"init", @fields}; init gets no reply. */
static void
slng_init (Client * c, const gchar * fields)
{
  client_send (c, "{\"type\":\"init\",\"voice\":\"Dennis\",\"modelId\":\""
      MODEL "\"%s%s}", fields ? "," : "", fields ? fields : "");
}

static void
slng_text (Client * c, const gchar * text, gboolean flush)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  gchar *frame;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "text");
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, text);
  if (flush) {
    json_builder_set_member_name (b, "flush");
    json_builder_add_boolean_value (b, TRUE);
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  frame = json_to_string (root, FALSE);
  json_node_unref (root);
  g_object_unref (b);
  client_send (c, "%s", frame);
  g_free (frame);
}

static guint
json_size (JsonNode * node)
{
  return json_object_get_size (json_node_get_object (node));
}

/* Receives one flush: audio_chunk frames up to audio_end. The sequence
 * numbers, in arrival order, go to @seqs (guint64, may be NULL), the
 * audio_end duration to @duration (may be NULL). */
static Flush *
slng_recv_flush (Client * c, GArray * seqs, gdouble * duration)
{
  Flush *f = g_new0 (Flush, 1);

  f->audio = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->usage = g_array_new (FALSE, FALSE, sizeof (gint64));
  f->ts = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  f->ts_only = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_node_unref);

  for (;;) {
    JsonNode *node = client_recv (c);
    const gchar *type = jstr (node, "type");

    if (g_str_equal (type, "audio_end")) {
      JsonNode *d = jpath (node, "duration");

      /* exactly {"type":"audio_end","duration":<float>} */
      g_assert_cmpuint (json_size (node), ==, 2);
      g_assert_nonnull (d);
      g_assert_cmpint (json_node_get_value_type (d), ==, G_TYPE_DOUBLE);
      if (duration)
        *duration = json_node_get_double (d);
      json_node_unref (node);
      return f;
    }
    if (!g_str_equal (type, "audio_chunk")) {
      gchar *text = json_to_string (node, FALSE);

      g_printerr ("expected audio_chunk or audio_end, got %s\n", text);
      g_free (text);
      g_assert_not_reached ();
    }
    {
      /* exactly {"type":"audio_chunk","data":<base64>,"sequence":<int>} */
      gsize len;
      guchar *bytes = g_base64_decode (jstr (node, "data"), &len);
      guint64 seq = jint (node, "sequence");
      gint64 usage = 0;

      g_assert_cmpuint (json_size (node), ==, 3);
      g_assert_cmpuint (len, >, 0);
      if (f->audio->len == 0)
        f->first_chunk_time = g_get_monotonic_time ();
      g_ptr_array_add (f->audio, g_bytes_new_take (bytes, len));
      g_array_append_val (f->usage, usage);
      if (seqs)
        g_array_append_val (seqs, seq);
    }
    json_node_unref (node);
  }
}

/* @seqs must be @first, @first + 1, ... */
static void
assert_sequences (GArray * seqs, guint64 first)
{
  for (guint i = 0; i < seqs->len; i++)
    g_assert_cmpuint (g_array_index (seqs, guint64, i), ==, first + i);
}

static void
expect_slng_error (Client * c, const gchar * code, const gchar * message)
{
  JsonNode *node = client_recv (c);

  if (g_strcmp0 (jstr (node, "type"), "error") != 0) {
    gchar *text = json_to_string (node, FALSE);

    g_printerr ("expected an error, got %s\n", text);
    g_free (text);
  }
  g_assert_cmpstr (jstr (node, "type"), ==, "error");
  g_assert_cmpuint (json_size (node), ==, 3);
  g_assert_cmpstr (jstr (node, "code"), ==, code);
  if (message)
    g_assert_cmpstr (jstr (node, "message"), ==, message);
  else
    g_assert_cmpstr (jstr (node, "message"), !=, "");
  json_node_unref (node);
}

/* The server closes with 1000 and sends nothing else meanwhile. */
static void
expect_slng_close (Client * c)
{
  g_assert_true (client_iterate (c, is_closed, REPLY_MS));
  g_assert_cmpuint (soup_websocket_connection_get_close_code (c->ws), ==,
      SOUP_WEBSOCKET_CLOSE_NORMAL);
}

/* One session: init with @fields, @text flushed, its flush received. */
static Flush *
slng_one_flush (Emulator * emu, const gchar * fields, const gchar * text,
    GArray * seqs, gdouble * duration)
{
  Client *c = slng_connect (emu);
  Flush *f;

  slng_init (c, fields);
  slng_text (c, text, TRUE);
  f = slng_recv_flush (c, seqs, duration);
  client_free (c);
  return f;
}

static void
test_slng_auth (void)
{
  Emulator *emu = start_default ();
  gchar *uri = g_strdup_printf ("http://127.0.0.1:%u" SLNG_PATH, emu->port);
  SoupSession *session = soup_session_new ();
  SoupMessage *msg = soup_message_new ("GET", uri);
  GError *error = NULL;
  GBytes *body;
  JsonNode *node;
  guint status;
  Client *c;

  /* the refusal itself: 401 with a Bearer challenge and an auth_error */
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==,
      SOUP_STATUS_UNAUTHORIZED);
  g_assert_cmpstr (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "WWW-Authenticate"), ==,
      "Bearer");
  g_assert_cmpstr (soup_message_headers_get_content_type
      (soup_message_get_response_headers (msg), NULL), ==,
      "application/json");
  node = json_from_string (g_bytes_get_data (body, NULL), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (jstr (node, "type"), ==, "error");
  g_assert_cmpstr (jstr (node, "code"), ==, "auth_error");
  g_assert_cmpstr (jstr (node, "message"), ==,
      "Missing API key: send \"Authorization: Bearer <API key>\"");
  json_node_unref (node);
  g_bytes_unref (body);
  g_object_unref (msg);
  g_object_unref (session);
  g_free (uri);

  /* the WebSocket upgrade is refused before it happens */
  g_assert_cmpuint (slng_refused (emu, SLNG_PATH, NULL), ==, 401);
  g_assert_cmpuint (slng_refused (emu, SLNG_PATH, "Bearer wrong-key"), ==,
      401);
  g_assert_cmpuint (slng_refused (emu, SLNG_PATH, "Bearer "), ==, 401);
  g_assert_cmpuint (slng_refused (emu, SLNG_PATH, "Basic " KEY), ==, 401);
  g_assert_cmpuint (slng_refused (emu, SLNG_PATH "?token=wrong", NULL), ==,
      401);
  /* the key is not a query parameter when a header is sent */
  g_assert_cmpuint (slng_refused (emu, SLNG_PATH "?token=" KEY,
          "Bearer wrong"), ==, 401);
  /* other paths and dialects */
  g_assert_cmpuint (slng_refused (emu, SLNG_PATH "/ws", "Bearer " KEY), ==,
      404);
  g_assert_cmpuint (slng_refused (emu, "/v1/tts/slng/inworld/max",
          "Bearer " KEY), ==, 404);

  /* accepted: Bearer (any case of the scheme word), region, ?token= */
  c = slng_connect_full (emu, SLNG_PATH, "Bearer " KEY, "us-east-1",
      &status);
  g_assert_no_error (c->connect_error);
  g_assert_cmpuint (status, ==, 101);
  g_assert_null (soup_websocket_connection_get_extensions (c->ws));
  g_assert_null (soup_websocket_connection_get_protocol (c->ws));
  /* no ready message: silent until the client speaks */
  assert_quiet (c, QUIET_MS);
  client_free (c);
  c = slng_connect_full (emu, SLNG_PATH, "bearer " KEY, NULL, &status);
  g_assert_cmpuint (status, ==, 101);
  client_free (c);
  c = slng_connect_full (emu, SLNG_PATH "?token=" KEY, NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 101);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":8000");
  slng_text (c, "ok", TRUE);
  {
    Flush *f = slng_recv_flush (c, NULL, NULL);

    check_flush_audio (f, "PCM", 8000, "ok");
    flush_free (f);
  }
  client_free (c);
  emulator_stop (emu);

  /* without --api-key: any key, but a key */
  emu = emulator_start ("--audio", "test-signal", "--speed", "0", NULL);
  g_assert_cmpuint (slng_refused (emu, SLNG_PATH, NULL), ==, 401);
  c = slng_connect_full (emu, SLNG_PATH, "Bearer anything", NULL, &status);
  g_assert_cmpuint (status, ==, 101);
  client_free (c);
  emulator_stop (emu);
}

static void
test_slng_flush (void)
{
  Emulator *emu = start_default ();
  Client *c = slng_connect (emu);
  GArray *seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  gchar *longer = g_strnfill (130, 'L');        /* 1.3 s: 4 chunks */
  gdouble duration = -1;
  guint64 next;
  Flush *f;

  /* every documented flat field; init gets no reply */
  slng_init (c, "\"language\":\"en-US\",\"encoding\":\"PCM\","
      "\"sample_rate\":16000,\"bit_rate\":64000,\"speaking_rate\":1.2,"
      "\"temperature\":0.8,\"deliveryMode\":\"BALANCED\","
      "\"timestampType\":\"WORD\",\"applyTextNormalization\":\"ON\","
      "\"timestampTransportStrategy\":\"SYNC\",\"autoMode\":false,"
      "\"maxBufferDelayMs\":3000,\"bufferCharThreshold\":500,"
      "\"futureField\":{\"x\":1}");
  assert_quiet (c, QUIET_MS);

  /* text waits for its flush */
  slng_text (c, "Hello from ", FALSE);
  slng_text (c, "SLNG.", FALSE);
  assert_quiet (c, QUIET_MS);
  client_send (c, "{\"type\":\"flush\"}");
  f = slng_recv_flush (c, seqs, &duration);
  check_flush_audio (f, "PCM", 16000, "Hello from SLNG.");
  g_assert_cmpuint (seqs->len, ==, 1);
  assert_sequences (seqs, 1);
  g_assert_cmpfloat (fabs (duration - 0.16), <, 1e-9);
  flush_free (f);

  /* text with flush: true; sequence numbers go on across flushes */
  g_array_set_size (seqs, 0);
  slng_text (c, longer, TRUE);
  f = slng_recv_flush (c, seqs, &duration);
  check_flush_audio (f, "PCM", 16000, longer);
  g_assert_cmpuint (seqs->len, ==, 4);
  assert_sequences (seqs, 2);
  g_assert_cmpfloat (fabs (duration - 1.3), <, 1e-9);
  flush_free (f);
  next = 6;

  /* a flush of nothing, or of nothing to speak: no audio_end at all */
  client_send (c, "{\"type\":\"flush\"}");
  slng_text (c, " ... ♪ ", TRUE);
  assert_quiet (c, QUIET_MS);

  /* pipelined flushes come back in order, one audio_end each */
  slng_text (c, "first", TRUE);
  slng_text (c, "second one", FALSE);
  client_send (c, "{\"type\":\"flush\"}");
  for (guint i = 0; i < 2; i++) {
    const gchar *text = i ? "second one" : "first";

    g_array_set_size (seqs, 0);
    f = slng_recv_flush (c, seqs, &duration);
    check_flush_audio (f, "PCM", 16000, text);
    assert_sequences (seqs, next);
    next += seqs->len;
    g_assert_cmpfloat (fabs (duration - g_utf8_strlen (text, -1) / 100.0),
        <, 1e-9);
    flush_free (f);
  }

  /* empty text is no flush; bufferCharThreshold (500) flushes by itself */
  slng_text (c, "", FALSE);
  assert_quiet (c, QUIET_MS);
  {
    gchar *big = g_strnfill (500, 'b');

    slng_text (c, big, FALSE);
    f = slng_recv_flush (c, seqs, NULL);
    check_flush_audio (f, "PCM", 16000, big);
    flush_free (f);
    g_free (big);
  }
  assert_quiet (c, QUIET_MS);
  client_free (c);

  /* maxBufferDelayMs synthesizes on its own */
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":8000,"
      "\"maxBufferDelayMs\":200");
  slng_text (c, "waiting", FALSE);
  f = slng_recv_flush (c, NULL, NULL);
  check_flush_audio (f, "PCM", 8000, "waiting");
  flush_free (f);
  /* ... but not text with nothing to speak */
  slng_text (c, "?!", FALSE);
  assert_quiet (c, 400);
  client_free (c);

  /* a synthesis over bufferCharThreshold runs in parts, one audio_end
   * each: after a sentence end, else after a space, else at the limit */
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":8000,"
      "\"bufferCharThreshold\":20,\"maxBufferDelayMs\":60000");
  slng_text (c, "First part here. Second part is here. Third.", TRUE);
  {
    const gchar *parts[] = { "First part here. ", "Second part is ",
      "here. Third."
    };

    for (guint i = 0; i < G_N_ELEMENTS (parts); i++) {
      f = slng_recv_flush (c, NULL, &duration);
      check_flush_audio (f, "PCM", 8000, parts[i]);
      g_assert_cmpfloat (fabs (duration - g_utf8_strlen (parts[i], -1) /
              100.0), <, 1e-9);
      flush_free (f);
    }
  }
  assert_quiet (c, QUIET_MS);
  client_free (c);

  /* the default threshold is 1000: a part of 1000 goes at once */
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":8000,"
      "\"maxBufferDelayMs\":60000");
  {
    gchar *big = g_strnfill (1500, 'z');

    slng_text (c, big, FALSE);
    f = slng_recv_flush (c, NULL, NULL);
    big[1000] = '\0';
    check_flush_audio (f, "PCM", 8000, big);
    flush_free (f);
    assert_quiet (c, QUIET_MS);
    client_send (c, "{\"type\":\"flush\"}");
    f = slng_recv_flush (c, NULL, NULL);
    big[500] = '\0';
    check_flush_audio (f, "PCM", 8000, big);
    flush_free (f);
    g_free (big);
  }
  client_free (c);

  /* autoMode (Inworld's CLIENT_SEGMENTED): the first text is synthesized
   * at once, no waiting for a sentence end */
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":8000,"
      "\"autoMode\":true");
  slng_text (c, "Half a", FALSE);
  f = slng_recv_flush (c, NULL, NULL);
  check_flush_audio (f, "PCM", 8000, "Half a");
  flush_free (f);
  client_free (c);

  g_array_unref (seqs);
  g_free (longer);
  emulator_stop (emu);
}

/* Every encoding, through the same encoders and chunking as the Inworld
 * route: raw ones sample-exact, compressed ones checked and decoded. */
static void
test_slng_formats (void)
{
  Emulator *emu = start_default ();
  const gchar *raw[] = { "PCM", "LINEAR16", "WAV" };
  const gint rates[] = { 8000, 16000, 24000, 48000 };
  gchar *text = g_strnfill (150, 'f');  /* 1.5 s: 4 chunks */
  gchar *fields;
  GBytes *signal, *want, *got;
  Flush *f;

  for (guint e = 0; e < G_N_ELEMENTS (raw); e++) {
    for (guint r = 0; r < G_N_ELEMENTS (rates); r++) {
      fields = g_strdup_printf ("\"encoding\":\"%s\",\"sample_rate\":%d",
          raw[e], rates[r]);
      f = slng_one_flush (emu, fields, text, NULL, NULL);
      check_flush_audio (f, raw[e], rates[r], text);
      flush_free (f);
      g_free (fields);
    }
  }

  f = slng_one_flush (emu, "\"encoding\":\"MP3\",\"sample_rate\":24000,"
      "\"bit_rate\":64000", ENCODED_TEXT_LONG, NULL, NULL);
  check_mp3_flush (f, ENCODED_TEXT_LONG, 24000, 64);
  flush_free (f);
  /* no encoding: MP3 (the documented default) at 48000 Hz, 128 kbit/s */
  f = slng_one_flush (emu, NULL, ENCODED_TEXT_SHORT, NULL, NULL);
  check_mp3_flush (f, ENCODED_TEXT_SHORT, 48000, 128);
  flush_free (f);
  f = slng_one_flush (emu, "\"encoding\":\"OGG_OPUS\",\"sample_rate\":48000,"
      "\"bit_rate\":32000", ENCODED_TEXT_LONG, NULL, NULL);
  check_ogg_opus_flush (f, ENCODED_TEXT_LONG, 48000, 32000);
  flush_free (f);
  f = slng_one_flush (emu, "\"encoding\":\"FLAC\",\"sample_rate\":16000",
      ENCODED_TEXT_LONG, NULL, NULL);
  check_flac_flush (f, ENCODED_TEXT_LONG, 16000);
  flush_free (f);

  /* G.711: 8000 Hz without a sample_rate, bytes as alawenc/mulawenc */
  signal = expected_signal (ENCODED_TEXT_LONG, 8000);
  for (guint i = 0; i < 2; i++) {
    f = slng_one_flush (emu, i ? "\"encoding\":\"MULAW\"" :
        "\"encoding\":\"ALAW\",\"sample_rate\":8000", ENCODED_TEXT_LONG,
        NULL, NULL);
    got = flush_concat (f);
    want = run_pipeline (RAW_CAPS ",rate=8000", i ? "mulawenc" : "alawenc",
        signal, NULL, NULL);
    g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got),
        g_bytes_get_data (want, NULL), g_bytes_get_size (want));
    check_irregular_chunks (f, NULL);
    g_bytes_unref (want);
    g_bytes_unref (got);
    flush_free (f);
  }
  g_bytes_unref (signal);
  g_free (text);
  emulator_stop (emu);
}

static void
test_slng_errors (void)
{
  Emulator *emu = start_default ();
  Client *c = slng_connect (emu);
  const struct
  {
    const gchar *fields;
    const gchar *message;
  } bad[] = {
    {"\"encoding\":\"PCM\",\"sample_rate\":12345", "Unsupported sample_rate: "
          "12345 (8000, 16000, 22050, 24000, 32000, 44100, 48000)"},
    {"\"encoding\":\"PCM\",\"sample_rate\":12000", NULL},
    {"\"encoding\":\"PCM\",\"sample_rate\":\"16000\"",
        "sample_rate must be an integer"},
    {"\"encoding\":\"PCM\",\"sample_rate\":16000.5",
        "sample_rate must be an integer"},
    {"\"encoding\":\"MP3\",\"sample_rate\":8000", "Unsupported sample_rate "
          "for MP3: 8000 (16000, 22050, 24000, 32000, 44100, 48000)"},
    {"\"encoding\":\"ALAW\",\"sample_rate\":16000",
        "Unsupported sample_rate for ALAW: 16000 (8000 only)"},
    {"\"encoding\":\"MULAW\",\"sample_rate\":48000", NULL},
    {"\"encoding\":\"pcm\"", "Unsupported encoding: pcm (LINEAR16, MP3, "
          "OGG_OPUS, ALAW, MULAW, FLAC, PCM, WAV)"},
    {"\"encoding\":\"MP3\",\"bit_rate\":16000",
        "Unsupported bit_rate for MP3: 16000 (32000-320000)"},
    {"\"encoding\":\"OGG_OPUS\",\"bit_rate\":256000", NULL},
    {"\"language\":\"xx-XX\"", "Unsupported language: xx-XX"},
    {"\"speaking_rate\":2", "speaking_rate must be between 0.5 and 1.5, "
          "got 2"},
    {"\"temperature\":0", "temperature must be in (0, 2], got 0"},
    {"\"timestampType\":\"SENTENCE\"", "Unsupported timestampType: SENTENCE"},
    {"\"applyTextNormalization\":true",
        "applyTextNormalization must be a string"},
    {"\"bufferCharThreshold\":5000", NULL},
    {"\"autoMode\":\"yes\"", "autoMode must be a boolean"},
  };
  Flush *f;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    slng_init (c, bad[i].fields);
    expect_slng_error (c, "config_error", bad[i].message);
  }
  client_send (c, "{\"type\":\"init\",\"modelId\":\"inworld-tts-1.5-mini\"}");
  expect_slng_error (c, "config_error", "Unsupported modelId: "
      "inworld-tts-1.5-mini (this endpoint serves inworld-tts-1.5-max)");
  client_send (c, "{\"type\":\"init\",\"voice\":5}");
  expect_slng_error (c, "config_error", "voice must be a string");

  /* frames that are no message: an error each, the socket stays */
  client_send (c, "not JSON");
  expect_slng_error (c, "config_error",
      "Invalid message: expected a JSON object");
  client_send (c, "[1,2]");
  expect_slng_error (c, "config_error",
      "Invalid message: expected a JSON object");
  client_send (c, "{\"text\":\"no type\"}");
  expect_slng_error (c, "config_error", NULL);
  soup_websocket_connection_send_binary (c->ws, "\x01\x02", 2);
  expect_slng_error (c, "config_error", NULL);
  client_send (c, "{\"type\":\"clear\"}");
  expect_slng_error (c, "config_error", "Unknown message type: clear");

  /* a failed init leaves the session open for a corrected one */
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":22050");
  assert_quiet (c, QUIET_MS);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":16000");
  expect_slng_error (c, "config_error",
      "Session already initialized: init may be sent only once");

  client_send (c, "{\"type\":\"text\"}");
  expect_slng_error (c, "config_error", "text is required");
  client_send (c, "{\"type\":\"text\",\"text\":\"x\",\"flush\":1}");
  expect_slng_error (c, "config_error", "flush must be a boolean");
  {
    gchar *too_long = g_strnfill (2001, 't');

    /* dropped whole, its flush included: no audio_end */
    slng_text (c, too_long, TRUE);
    expect_slng_error (c, "provider_error",
        "text length should not exceed 2000 characters.");
    assert_quiet (c, QUIET_MS);
    g_free (too_long);
  }
  /* still working, with the first init's settings (22050 Hz) */
  slng_text (c, "still here", TRUE);
  f = slng_recv_flush (c, NULL, NULL);
  check_flush_audio (f, "PCM", 22050, "still here");
  flush_free (f);
  client_free (c);

  /* text before init: an error, then everything but close is ignored */
  c = slng_connect (emu);
  slng_text (c, "too early", TRUE);
  expect_slng_error (c, "config_error",
      "Session not initialized: send init before text");
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":16000");
  slng_text (c, "ignored", TRUE);
  client_send (c, "{\"type\":\"flush\"}");
  client_send (c, "{\"type\":\"bogus\"}");
  assert_quiet (c, QUIET_MS);
  client_send (c, "{\"type\":\"close\"}");
  expect_slng_close (c);
  g_assert_true (g_queue_is_empty (&c->frames));
  client_free (c);

  c = slng_connect (emu);
  client_send (c, "{\"type\":\"flush\"}");
  expect_slng_error (c, "config_error",
      "Session not initialized: send init before flush");
  client_free (c);
  emulator_stop (emu);
}

/* close stops the audio at once and ends the session with 1000. */
static void
test_slng_close (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "1", NULL);
  gchar *text = g_strnfill (300, 'c');  /* 3 s: chunks at 0, 0.2, 0.7 s... */
  guint chunks = 0;
  Client *c;
  JsonNode *node;

  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":16000");
  slng_text (c, text, TRUE);
  slng_text (c, "queued behind it", TRUE);
  node = client_recv (c);
  g_assert_cmpstr (jstr (node, "type"), ==, "audio_chunk");
  json_node_unref (node);
  client_send (c, "{\"type\":\"close\"}");
  expect_slng_close (c);
  /* at most a chunk already on its way; never an audio_end */
  while (!g_queue_is_empty (&c->frames)) {
    Frame *fr = g_queue_pop_head (&c->frames);

    node = json_from_string (g_bytes_get_data (fr->data, NULL), NULL);
    g_assert_cmpstr (jstr (node, "type"), ==, "audio_chunk");
    chunks++;
    json_node_unref (node);
    frame_free (fr);
  }
  g_assert_cmpuint (chunks, <=, 1);
  client_free (c);

  /* buffered text is dropped, not spoken */
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":16000");
  slng_text (c, "never spoken", FALSE);
  client_send (c, "{\"type\":\"close\"}");
  expect_slng_close (c);
  g_assert_true (g_queue_is_empty (&c->frames));
  client_free (c);

  /* close during synthesis of the first flush, and before init */
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"OGG_OPUS\"");
  slng_text (c, text, TRUE);
  client_send (c, "{\"type\":\"close\"}");
  expect_slng_close (c);
  client_free (c);
  c = slng_connect (emu);
  client_send (c, "{\"type\":\"close\"}");
  expect_slng_close (c);
  g_assert_true (g_queue_is_empty (&c->frames));
  client_free (c);

  /* the server is fine */
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":8000");
  slng_text (c, "alive", TRUE);
  {
    Flush *f = slng_recv_flush (c, NULL, NULL);

    check_flush_audio (f, "PCM", 8000, "alive");
    flush_free (f);
  }
  client_free (c);
  g_free (text);
  emulator_stop (emu);
}

/* Audio ordered by its sequence numbers. */
static Flush *
slng_sort_flush (Flush * f, GArray * seqs)
{
  Flush *sorted = g_new0 (Flush, 1);
  guint64 lowest = G_MAXUINT64;

  sorted->audio = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  sorted->usage = g_array_new (FALSE, FALSE, sizeof (gint64));
  sorted->ts = g_ptr_array_new ();
  sorted->ts_only = g_ptr_array_new ();
  for (guint i = 0; i < seqs->len; i++)
    lowest = MIN (lowest, g_array_index (seqs, guint64, i));
  for (guint k = 0; k < seqs->len; k++)
    for (guint i = 0; i < seqs->len; i++)
      if (g_array_index (seqs, guint64, i) == lowest + k)
        g_ptr_array_add (sorted->audio, g_bytes_ref (f->audio->pdata[i]));
  g_assert_cmpuint (sorted->audio->len, ==, f->audio->len);
  return sorted;
}

static void
test_slng_reorder (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--slng-reorder", NULL);
  GArray *seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  gchar *text = g_strnfill (100, 'r');  /* 1 s: 0.2 + 0.5 + 0.3 s */
  Flush *f, *sorted;

  for (guint round = 0; round < 2; round++) {
    Client *c = slng_connect (emu);

    slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":16000");
    /* one chunk only: nothing to swap */
    g_array_set_size (seqs, 0);
    slng_text (c, "short", TRUE);
    f = slng_recv_flush (c, seqs, NULL);
    assert_sequences (seqs, 1);
    check_flush_audio (f, "PCM", 16000, "short");
    flush_free (f);

    /* the first flush of two chunks or more: 3 2 4 */
    g_array_set_size (seqs, 0);
    slng_text (c, text, TRUE);
    f = slng_recv_flush (c, seqs, NULL);
    g_assert_cmpuint (seqs->len, ==, 3);
    g_assert_cmpuint (g_array_index (seqs, guint64, 0), ==, 3);
    g_assert_cmpuint (g_array_index (seqs, guint64, 1), ==, 2);
    g_assert_cmpuint (g_array_index (seqs, guint64, 2), ==, 4);
    /* each chunk kept its own number: sorted, the audio is exact */
    sorted = slng_sort_flush (f, seqs);
    check_flush_audio (sorted, "PCM", 16000, text);
    flush_free (sorted);
    flush_free (f);

    /* once per connection */
    g_array_set_size (seqs, 0);
    slng_text (c, text, TRUE);
    f = slng_recv_flush (c, seqs, NULL);
    assert_sequences (seqs, 5);
    check_flush_audio (f, "PCM", 16000, text);
    flush_free (f);
    client_free (c);
  }
  g_array_unref (seqs);
  g_free (text);
  emulator_stop (emu);
}

static void
test_slng_faults (void)
{
  GArray *seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  gchar *text = g_strnfill (300, 'd');  /* 3 s: 7 chunks */
  Emulator *emu;
  Client *c;
  Flush *f;
  Frame *fr;
  gint64 start;
  guint chunks = 0;

  /* --first-audio-delay, --garbage-frames, --slng-sequence-per-flush */
  emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--first-audio-delay", "400", "--garbage-frames",
      "--slng-sequence-per-flush", NULL);
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":16000");
  fr = client_next_frame (c, REPLY_MS);
  g_assert_nonnull (fr);
  g_assert_cmpint (fr->type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  g_assert_null (json_from_string (g_bytes_get_data (fr->data, NULL), NULL));
  frame_free (fr);
  fr = client_next_frame (c, REPLY_MS);
  g_assert_nonnull (fr);
  g_assert_cmpint (fr->type, ==, SOUP_WEBSOCKET_DATA_BINARY);
  frame_free (fr);
  for (guint i = 0; i < 2; i++) {
    g_array_set_size (seqs, 0);
    start = g_get_monotonic_time ();
    slng_text (c, text, TRUE);
    f = slng_recv_flush (c, seqs, NULL);
    g_assert_cmpint (f->first_chunk_time - start, >=, 390 * 1000);
    check_flush_audio (f, "PCM", 16000, text);
    assert_sequences (seqs, 1);
    flush_free (f);
  }
  client_free (c);
  emulator_stop (emu);

  /* --drop-after-chunks (per connection), --inactivity-timeout */
  emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--drop-after-chunks", "3", "--inactivity-timeout", "1",
      NULL);
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":16000");
  slng_text (c, text, TRUE);
  g_assert_true (client_iterate (c, is_closed, REPLY_MS));
  while (!g_queue_is_empty (&c->frames)) {
    JsonNode *node;

    fr = g_queue_pop_head (&c->frames);
    node = json_from_string (g_bytes_get_data (fr->data, NULL), NULL);
    g_assert_cmpstr (jstr (node, "type"), ==, "audio_chunk");
    chunks++;
    json_node_unref (node);
    frame_free (fr);
  }
  g_assert_cmpuint (chunks, ==, 3);
  /* no close frame */
  g_assert_cmpuint (soup_websocket_connection_get_close_code (c->ws), ==, 0);
  client_free (c);
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":16000");
  start = g_get_monotonic_time ();
  expect_slng_error (c, "provider_error", "Paused due to inactivity");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 800 * 1000);
  g_assert_true (client_iterate (c, is_closed, REPLY_MS));
  g_assert_cmpuint (soup_websocket_connection_get_close_code (c->ws), ==, 0);
  client_free (c);
  emulator_stop (emu);

  /* --speed 4 pacing, --slng-close-after-audio-end */
  emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "4", "--slng-close-after-audio-end", NULL);
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":8000");
  g_free (text);
  text = g_strnfill (100, 'p');  /* the last chunk starts at 0.7 s */
  start = g_get_monotonic_time ();
  slng_text (c, text, TRUE);
  slng_text (c, "never sent", TRUE);
  f = slng_recv_flush (c, NULL, NULL);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 170 * 1000);
  check_flush_audio (f, "PCM", 8000, text);
  flush_free (f);
  expect_slng_close (c);
  g_assert_true (g_queue_is_empty (&c->frames));
  client_free (c);
  emulator_stop (emu);

  g_array_unref (seqs);
  g_free (text);
}

/* ------------------------------------------------------------------ */
/* --hostile, --chunk-seconds                                         */

/* A text frame's content, NUL-terminated. */
static gchar *
frame_text (Frame * f)
{
  gsize len;
  const gchar *data = g_bytes_get_data (f->data, &len);

  g_assert_cmpint (f->type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  return g_strndup (data, len);
}

/* The frame as JSON, or NULL when it is no JSON text frame. */
static JsonNode *
frame_json (Frame * f)
{
  gchar *text;
  JsonNode *node;

  if (f->type != SOUP_WEBSOCKET_DATA_TEXT)
    return NULL;
  text = frame_text (f);
  node = json_from_string (text, NULL);
  g_free (text);
  return node;
}

static gboolean
jis (JsonNode * root, const gchar * path, GType type)
{
  JsonNode *node = jpath (root, path);

  return node && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == type;
}

/* The real end of a flush of @ctx: a well-typed flushCompleted. */
static gboolean
is_inworld_flush_end (Frame * f, const gchar * ctx)
{
  JsonNode *node = frame_json (f);
  gboolean end;

  if (node == NULL)
    return FALSE;
  end = jhas (node, "result.flushCompleted")
      && jis (node, "result.contextId", G_TYPE_STRING)
      && g_str_equal (jstr (node, "result.contextId"), ctx)
      && jis (node, "result.status.code", G_TYPE_INT64);
  json_node_unref (node);
  return end;
}

/* The real end of an SLNG flush: audio_end with a number. */
static gboolean
is_slng_flush_end (Frame * f, const gchar * unused)
{
  JsonNode *node = frame_json (f);
  gboolean end;

  if (node == NULL)
    return FALSE;
  end = jis (node, "type", G_TYPE_STRING)
      && g_str_equal (jstr (node, "type"), "audio_end")
      && jis (node, "duration", G_TYPE_DOUBLE);
  json_node_unref (node);
  return end;
}

/* Every frame up to and including the end of a flush, in order. */
static GPtrArray *
collect_flush (Client * c, gboolean (*is_end) (Frame *, const gchar *),
    const gchar * ctx)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify)
      frame_free);

  for (;;) {
    Frame *f = client_next_frame (c, REPLY_MS);

    g_assert_nonnull (f);
    g_ptr_array_add (frames, f);
    if (is_end (f, ctx))
      return frames;
  }
}

/* Puts frames[@first] and frames[@from..] back in front of the client's
 * queue, for recv_flush () and friends. */
static void
give_back (Client * c, GPtrArray * frames, guint first, guint from)
{
  for (guint i = frames->len; i > from; i--) {
    Frame *f = g_ptr_array_index (frames, i - 1), *copy = g_new0 (Frame, 1);

    *copy = *f;
    copy->data = g_bytes_ref (f->data);
    g_queue_push_head (&c->frames, copy);
  }
  {
    Frame *f = g_ptr_array_index (frames, first), *copy = g_new0 (Frame, 1);

    *copy = *f;
    copy->data = g_bytes_ref (f->data);
    g_queue_push_head (&c->frames, copy);
  }
}

/* frames[@i...] are the garbage frames, in order; returns the index
 * after them. */
static guint
assert_garbage (GPtrArray * frames, guint i)
{
  for (const EmuHostileFrame * g = emu_hostile_garbage_frames (); g->what;
      g++) {
    gchar *text = frame_text (g_ptr_array_index (frames, i++));
    JsonNode *node = json_from_string (text, NULL);

    g_assert_cmpstr (text, ==, g->frame);
    /* none is a JSON object */
    g_assert_true (node == NULL || !JSON_NODE_HOLDS_OBJECT (node));
    if (node)
      json_node_unref (node);
    g_free (text);
  }
  return i;
}

/* A truncated copy of @first, then the binary junk and a binary copy. */
static guint
assert_truncated_binary (GPtrArray * frames, guint i, const gchar * first)
{
  gchar *text = frame_text (g_ptr_array_index (frames, i++));
  Frame *f;

  g_assert_cmpuint (strlen (text), ==, strlen (first) / 2);
  g_assert_true (g_str_has_prefix (first, text));
  g_assert_null (json_from_string (text, NULL));
  g_free (text);

  f = g_ptr_array_index (frames, i++);
  g_assert_cmpint (f->type, ==, SOUP_WEBSOCKET_DATA_BINARY);
  g_assert_cmpuint (g_bytes_get_size (f->data), ==, 4);
  f = g_ptr_array_index (frames, i++);
  g_assert_cmpint (f->type, ==, SOUP_WEBSOCKET_DATA_BINARY);
  g_assert_cmpmem (g_bytes_get_data (f->data, NULL), g_bytes_get_size
      (f->data), first, strlen (first));
  return i;
}

/* TRUE when @b64 is strict base64 (padded, only the standard alphabet). */
static gboolean
is_strict_base64 (const gchar * b64)
{
  gsize len = strlen (b64);

  if (len % 4)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (b64[i]) && b64[i] != '+' && b64[i] != '/'
        && !(b64[i] == '=' && i + 2 >= len))
      return FALSE;
  return TRUE;
}

/* garbage, truncated, binary, wrong-types and unknown-context, after the
 * first chunk of every flush, and the flush itself unharmed */
static void
test_hostile_frames (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--hostile",
      "garbage,truncated,binary,wrong-types,unknown-context", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  gchar *long_text = g_strnfill (100, 'h');     /* 1 s: 3 chunks */
  const gchar *texts[] = { long_text, "one chunk" };

  create_context (c, "h", "PCM", 16000, NULL);
  for (guint t = 0; t < G_N_ELEMENTS (texts); t++) {
    GPtrArray *frames;
    JsonNode *node, *first_node;
    gchar *first;
    guint i = 1;
    Flush *f;

    send_text (c, "h", texts[t], TRUE);
    frames = collect_flush (c, is_inworld_flush_end, "h");
    first = frame_text (g_ptr_array_index (frames, 0));
    first_node = json_from_string (first, NULL);
    assert_result (first_node, "h", "audioChunk");

    i = assert_garbage (frames, i);
    i = assert_truncated_binary (frames, i, first);

    /* wrong-types: ten JSON objects, each with a field of the wrong type */
    node = frame_json (g_ptr_array_index (frames, i));
    g_assert_true (jis (node, "result.contextId", G_TYPE_INT64));
    json_node_unref (node);
    node = frame_json (g_ptr_array_index (frames, i + 1));
    g_assert_true (JSON_NODE_HOLDS_OBJECT (jpath (node,
                "result.audioChunk.audioContent")));
    json_node_unref (node);
    node = frame_json (g_ptr_array_index (frames, i + 2));
    g_assert_true (jis (node, "result.status.code", G_TYPE_STRING));
    g_assert_true (jhas (node, "result.flushCompleted"));
    json_node_unref (node);
    for (guint k = 3; k < 10; k++) {
      node = frame_json (g_ptr_array_index (frames, i + k));
      g_assert_nonnull (node);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      g_assert_false (jhas (node, "result.audioChunk.audioContent"));
      json_node_unref (node);
    }
    node = frame_json (g_ptr_array_index (frames, i + 9));
    g_assert_true (jis (node, "error.code", G_TYPE_STRING));
    json_node_unref (node);
    i += 10;

    /* unknown-context: the first chunk's audio, then a flushCompleted, for
     * a context nobody created */
    node = frame_json (g_ptr_array_index (frames, i++));
    assert_result (node, EMU_HOSTILE_UNKNOWN_ID, "audioChunk");
    g_assert_cmpstr (jstr (node, "result.audioChunk.audioContent"), ==,
        jstr (first_node, "result.audioChunk.audioContent"));
    json_node_unref (node);
    node = frame_json (g_ptr_array_index (frames, i++));
    assert_result (node, EMU_HOSTILE_UNKNOWN_ID, "flushCompleted");
    json_node_unref (node);

    /* and the flush itself is whole */
    give_back (c, frames, 0, i);
    f = recv_flush (c, "h");
    check_flush_audio (f, "PCM", 16000, texts[t]);
    flush_free (f);
    g_assert_true (g_queue_is_empty (&c->frames));

    json_node_unref (first_node);
    g_free (first);
    g_ptr_array_unref (frames);
  }
  assert_quiet (c, QUIET_MS);
  client_free (c);
  emulator_stop (emu);
  g_free (long_text);
}

/* bad-base64: the second chunk (or the only one) is not base64; the
 * others are intact */
static void
test_hostile_bad_base64 (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--hostile", "bad-base64", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  gchar *text = g_strnfill (100, 'b');  /* 1 s: 0.2 + 0.5 + 0.3 s */
  GBytes *want = expected_signal (text, 16000);
  const guint8 *signal = g_bytes_get_data (want, NULL);
  const guint64 bounds[] = { 0, 3200, 11200, 16000 };   /* samples */
  GPtrArray *frames;

  create_context (c, "b", "PCM", 16000, NULL);
  send_text (c, "b", text, TRUE);
  frames = collect_flush (c, is_inworld_flush_end, "b");
  g_assert_cmpuint (frames->len, ==, 4);
  for (guint i = 0; i < 3; i++) {
    JsonNode *node = frame_json (g_ptr_array_index (frames, i));
    const gchar *b64;

    assert_result (node, "b", "audioChunk");
    b64 = jstr (node, "result.audioChunk.audioContent");
    /* same length as the real chunk's base64 */
    g_assert_cmpuint (strlen (b64), ==,
        ((bounds[i + 1] - bounds[i]) * 2 + 2) / 3 * 4);
    if (i == 1) {
      g_assert_false (is_strict_base64 (b64));
    } else {
      gsize len;
      guchar *pcm = g_base64_decode (b64, &len);

      g_assert_true (is_strict_base64 (b64));
      g_assert_cmpmem (pcm, len, signal + bounds[i] * 2,
          (bounds[i + 1] - bounds[i]) * 2);
      g_free (pcm);
    }
    json_node_unref (node);
  }
  g_ptr_array_unref (frames);

  /* a one-chunk flush: that chunk */
  send_text (c, "b", "short", TRUE);
  frames = collect_flush (c, is_inworld_flush_end, "b");
  g_assert_cmpuint (frames->len, ==, 2);
  {
    JsonNode *node = frame_json (g_ptr_array_index (frames, 0));

    assert_result (node, "b", "audioChunk");
    g_assert_false (is_strict_base64 (jstr (node,
                "result.audioChunk.audioContent")));
    json_node_unref (node);
  }
  g_ptr_array_unref (frames);
  g_bytes_unref (want);
  g_free (text);
  client_free (c);
  emulator_stop (emu);
}

/* after-close: an audioChunk and a flushCompleted after contextClosed */
static void
test_hostile_after_close (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--hostile", "after-close", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  JsonNode *node;
  Flush *f;
  gsize len;
  guchar *bytes;

  create_context (c, "z", "PCM", 16000, NULL);
  send_text (c, "z", "Closing soon.", TRUE);
  client_send (c, "{\"contextId\":\"z\",\"close_context\":{}}");
  f = recv_flush (c, "z");
  check_flush_audio (f, "PCM", 16000, "Closing soon.");
  flush_free (f);
  expect_result (c, "z", "contextClosed");
  node = client_recv (c);
  assert_result (node, "z", "audioChunk");
  bytes = g_base64_decode (jstr (node, "result.audioChunk.audioContent"),
      &len);
  g_assert_cmpuint (len, ==, 3200);
  g_free (bytes);
  json_node_unref (node);
  expect_result (c, "z", "flushCompleted");
  assert_quiet (c, QUIET_MS);
  /* the id is closed all the same */
  send_text (c, "z", "more", TRUE);
  expect_context_error (c, "z", 5, "context z not found (payload=SEND_TEXT)");
  client_free (c);
  emulator_stop (emu);
}

/* huge: a text frame over 9 MiB after the first chunk; a client that
 * takes it gets the rest of the flush too */
static void
test_hostile_huge (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--hostile", "huge", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  GPtrArray *frames;
  JsonNode *node;
  Flush *f;

  create_context (c, "u", "PCM", 16000, NULL);
  send_text (c, "u", "A short one.", TRUE);
  frames = collect_flush (c, is_inworld_flush_end, "u");
  g_assert_cmpuint (frames->len, ==, 3);
  g_assert_cmpuint (g_bytes_get_size (((Frame *) g_ptr_array_index (frames,
                  1))->data), >, EMU_HOSTILE_HUGE_SIZE);
  g_assert_cmpuint (g_bytes_get_size (((Frame *) g_ptr_array_index (frames,
                  1))->data), >, 8 * 1024 * 1024);
  node = frame_json (g_ptr_array_index (frames, 1));
  assert_result (node, "u", "audioChunk");
  g_assert_cmpuint (strlen (jstr (node, "result.audioChunk.audioContent")),
      ==, EMU_HOSTILE_HUGE_SIZE);
  json_node_unref (node);
  give_back (c, frames, 0, 2);
  f = recv_flush (c, "u");
  check_flush_audio (f, "PCM", 16000, "A short one.");
  flush_free (f);
  g_ptr_array_unref (frames);
  client_free (c);
  emulator_stop (emu);
}

/* big-chunk: a flush's audio in one frame (10 s of 48 kHz LINEAR16 is
 * over a MiB); --chunk-seconds: chunks of that length */
static void
test_hostile_big_chunk (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--hostile", "big-chunk", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  gchar *text = g_strnfill (1000, 'B');
  GBytes *want = expected_signal (text, 48000);
  GPtrArray *frames;
  gsize len;
  guchar *bytes;
  JsonNode *node;

  create_context (c, "g", "LINEAR16", 48000, NULL);
  send_text (c, "g", text, TRUE);
  frames = collect_flush (c, is_inworld_flush_end, "g");
  g_assert_cmpuint (frames->len, ==, 2);
  g_assert_cmpuint (g_bytes_get_size (((Frame *) g_ptr_array_index (frames,
                  0))->data), >, 1024 * 1024);
  node = frame_json (g_ptr_array_index (frames, 0));
  assert_result (node, "g", "audioChunk");
  bytes = g_base64_decode (jstr (node, "result.audioChunk.audioContent"),
      &len);
  g_assert_cmpuint (len, ==, 44 + 960000);
  assert_wav_header (bytes, 48000, 960000);
  g_assert_cmpmem (bytes + 44, len - 44, g_bytes_get_data (want, NULL),
      g_bytes_get_size (want));
  g_free (bytes);
  json_node_unref (node);
  g_ptr_array_unref (frames);
  g_bytes_unref (want);
  client_free (c);
  emulator_stop (emu);

  emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--chunk-seconds", "0.25", NULL);
  c = client_connect (emu, "Basic " KEY);
  g_free (text);
  text = g_strnfill (110, 'q');         /* 1.1 s: 4 x 0.25 s + 0.1 s */
  want = expected_signal (text, 16000);
  create_context (c, "q", "PCM", 16000, NULL);
  send_text (c, "q", text, TRUE);
  {
    Flush *f = recv_flush (c, "q");
    GByteArray *pcm = g_byte_array_new ();

    g_assert_cmpuint (f->audio->len, ==, 5);
    for (guint i = 0; i < f->audio->len; i++) {
      GBytes *b = g_ptr_array_index (f->audio, i);

      g_assert_cmpuint (g_bytes_get_size (b), ==, i < 4 ? 8000 : 3200);
      g_byte_array_append (pcm, g_bytes_get_data (b, NULL),
          g_bytes_get_size (b));
    }
    g_assert_cmpmem (pcm->data, pcm->len, g_bytes_get_data (want, NULL),
        g_bytes_get_size (want));
    g_byte_array_unref (pcm);
    flush_free (f);
  }
  g_bytes_unref (want);
  g_free (text);
  client_free (c);
  emulator_stop (emu);
}

/* the same kinds on the SLNG route (it has no contexts) */
static void
test_slng_hostile (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--hostile",
      "garbage,truncated,binary,wrong-types,bad-base64", NULL);
  Client *c = slng_connect (emu);
  gchar *text = g_strnfill (100, 's');  /* 1 s: 0.2 + 0.5 + 0.3 s */
  GBytes *want = expected_signal (text, 16000);
  const guint8 *signal = g_bytes_get_data (want, NULL);
  GPtrArray *frames;
  JsonNode *node;
  gchar *first;
  guint i = 1;

  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":16000");
  slng_text (c, text, TRUE);
  frames = collect_flush (c, is_slng_flush_end, NULL);
  first = frame_text (g_ptr_array_index (frames, 0));
  i = assert_garbage (frames, i);
  i = assert_truncated_binary (frames, i, first);
  /* six wrong-types frames: objects, none a well-typed audio_chunk */
  for (guint k = 0; k < 6; k++) {
    node = frame_json (g_ptr_array_index (frames, i++));
    g_assert_nonnull (node);
    g_assert_false (jis (node, "type", G_TYPE_STRING)
        && jis (node, "data", G_TYPE_STRING)
        && jis (node, "sequence", G_TYPE_INT64));
    json_node_unref (node);
  }
  /* then chunks 2 (broken) and 3, and audio_end */
  g_assert_cmpuint (frames->len, ==, i + 3);
  for (guint k = 0; k < 3; k++) {
    const guint64 bounds[] = { 0, 3200, 11200, 16000 };
    guint index = k == 0 ? 0 : i + k - 1;
    const gchar *b64;

    node = frame_json (g_ptr_array_index (frames, index));
    g_assert_cmpstr (jstr (node, "type"), ==, "audio_chunk");
    g_assert_cmpint (jint (node, "sequence"), ==, k + 1);
    b64 = jstr (node, "data");
    if (k == 1) {
      g_assert_false (is_strict_base64 (b64));
    } else {
      gsize len;
      guchar *pcm = g_base64_decode (b64, &len);

      g_assert_cmpmem (pcm, len, signal + bounds[k] * 2,
          (bounds[k + 1] - bounds[k]) * 2);
      g_free (pcm);
    }
    json_node_unref (node);
  }
  g_free (first);
  g_ptr_array_unref (frames);
  g_bytes_unref (want);
  g_free (text);
  client_free (c);
  emulator_stop (emu);
}

/* an unknown kind is refused at start, naming the known ones */
static void
test_hostile_bad_option (void)
{
  const gchar *path = g_getenv ("INWORLD_TTS_EMULATOR");
  GSubprocess *proc;
  GError *error = NULL;
  gchar *err = NULL;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, path, "--hostile",
      "garbage,nonsense", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err,
          &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 2);
  g_assert_nonnull (strstr (err, "nonsense"));
  g_assert_nonnull (strstr (err, "after-close"));
  g_free (err);
  g_object_unref (proc);
}

/* ------------------------------------------------------------------ */
/* Syntheses (Inworld's WebSocket guides)                             */

/* Receives one synthesis of @ctx: its audio is exactly the test signal
 * of @text, its first chunk bills @text's characters, the others 0. */
static void
expect_synthesis (Client * c, const gchar * ctx, gint rate,
    const gchar * text)
{
  Flush *f = recv_flush (c, ctx);

  g_assert_cmpint (g_array_index (f->usage, gint64, 0), ==,
      g_utf8_strlen (text, -1));
  for (guint i = 1; i < f->usage->len; i++)
    g_assert_cmpint (g_array_index (f->usage, gint64, i), ==, 0);
  check_flush_audio (f, "PCM", rate, text);
  flush_free (f);
}

static void
flush_context (Client * c, const gchar * ctx)
{
  client_send (c, "{\"contextId\":\"%s\",\"flushContext\":{}}", ctx);
}

/* Text without a letter or a digit gives no synthesis: no audio, no
 * flushCompleted, whatever asks for it; the text is dropped. */
static void
test_nothing_to_speak (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  JsonNode *node;

  create_context (c, "n", "PCM", 8000, "\"maxBufferDelayMs\":200");
  /* a flush of an empty buffer, of spaces, of punctuation and symbols */
  flush_context (c, "n");
  send_text (c, "n", "   ", TRUE);
  send_text (c, "n", "...!? \u266A \u2014 ;-)", TRUE);
  assert_quiet (c, QUIET_MS);
  /* the dropped text is not spoken with the next synthesis */
  send_text (c, "n", "...", TRUE);
  send_text (c, "n", "Hello", TRUE);
  expect_synthesis (c, "n", 8000, "Hello");
  /* nor by the timer */
  send_text (c, "n", " -- ", FALSE);
  assert_quiet (c, 500);
  /* a digit alone is something to speak */
  send_text (c, "n", "7", TRUE);
  expect_synthesis (c, "n", 8000, "7");

  /* update_config: no forced synthesis, only contextUpdated */
  send_text (c, "n", "!!!", FALSE);
  client_send (c, "{\"contextId\":\"n\",\"updateConfig\":"
      "{\"voiceId\":\"Ashley\"}}");
  node = client_recv (c);
  assert_result (node, "n", "contextUpdated");
  json_node_unref (node);
  /* close_context: only contextClosed */
  send_text (c, "n", "?", FALSE);
  client_send (c, "{\"contextId\":\"n\",\"closeContext\":{}}");
  expect_result (c, "n", "contextClosed");

  /* auto mode: a first sendText with nothing to speak starts nothing */
  create_context (c, "a", "PCM", 8000, "\"autoMode\":true");
  send_text (c, "a", "\u2026 ", FALSE);
  assert_quiet (c, QUIET_MS);
  send_text (c, "a", "Fine.", FALSE);
  expect_synthesis (c, "a", 8000, "Fine.");
  client_send (c, "{\"contextId\":\"a\",\"closeContext\":{}}");
  expect_result (c, "a", "contextClosed");

  client_free (c);
  emulator_stop (emu);
}

/* A synthesis of more than bufferCharThreshold characters runs in parts,
 * each its own synthesis: cut after the last sentence end that fits, else
 * after the last whitespace, else at the limit, never inside a tag. */
static void
test_threshold_parts (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);

  create_context (c, "p", "PCM", 8000,
      "\"bufferCharThreshold\":20,\"maxBufferDelayMs\":60000");
  send_text (c, "p", "First part here. Second part is here. Third.", TRUE);
  expect_synthesis (c, "p", 8000, "First part here. ");
  expect_synthesis (c, "p", 8000, "Second part is ");
  expect_synthesis (c, "p", 8000, "here. Third.");
  assert_quiet (c, QUIET_MS);

  /* no space: at the limit, in characters, not bytes */
  send_text (c, "p", "\u00e9bcdefghijklmnopqrstuvwxyz", TRUE);
  expect_synthesis (c, "p", 8000, "\u00e9bcdefghijklmnopqrst");
  expect_synthesis (c, "p", 8000, "uvwxyz");
  /* the limit falls inside a tag: cut before it */
  send_text (c, "p", "abcdefghijklmno[laugh]xyz", TRUE);
  expect_synthesis (c, "p", 8000, "abcdefghijklmno");
  expect_synthesis (c, "p", 8000, "[laugh]xyz");
  /* a part with nothing to speak is dropped, the others run */
  send_text (c, "p", "Twenty chars here. - - - - - - - - - - End", TRUE);
  expect_synthesis (c, "p", 8000, "Twenty chars here. ");
  expect_synthesis (c, "p", 8000, "End");
  assert_quiet (c, QUIET_MS);

  /* unflushed: once the buffer reaches the threshold the whole parts go
   * at once; the rest waits for a flush (or the timer) */
  send_text (c, "p", "One two three four ", FALSE);
  assert_quiet (c, QUIET_MS);
  send_text (c, "p", "five six seven eight nine ten", FALSE);
  expect_synthesis (c, "p", 8000, "One two three four ");
  expect_synthesis (c, "p", 8000, "five six seven ");
  assert_quiet (c, QUIET_MS);
  flush_context (c, "p");
  expect_synthesis (c, "p", 8000, "eight nine ten");

  /* update_config and close_context synthesize in parts too, before
   * their contextUpdated / contextClosed */
  send_text (c, "p", "Buffered for the update, which comes after it.",
      FALSE);
  expect_synthesis (c, "p", 8000, "Buffered for the ");
  expect_synthesis (c, "p", 8000, "update, which comes ");
  client_send (c, "{\"contextId\":\"p\",\"update_config\":"
      "{\"audioConfig\":{\"sampleRateHertz\":16000}}}");
  expect_synthesis (c, "p", 8000, "after it.");
  expect_result (c, "p", "contextUpdated");
  send_text (c, "p", "Closing words. And a last one.", FALSE);
  expect_synthesis (c, "p", 16000, "Closing words. ");
  client_send (c, "{\"contextId\":\"p\",\"close_context\":{}}");
  expect_synthesis (c, "p", 16000, "And a last one.");
  expect_result (c, "p", "contextClosed");

  client_free (c);
  emulator_stop (emu);
}

/* Every verb and field in camelCase and snake_case; steering markup is
 * text like any other: billed and spoken. */
static void
test_verbs_and_markup (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  const gchar *markup = "[say warmly] Hi <break time=\"500ms\"/> the code "
      "is <verbatim>KX7Q2</verbatim> [laugh]";
  JsonNode *node;

  /* autoModeStrategy and deliveryMode are echoed; unknown names not */
  client_send (c, "{\"contextId\":\"v\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\",\"audioConfig\":{\"audioEncoding\":"
      "\"PCM\",\"sampleRateHertz\":8000},\"deliveryMode\":"
      "\"DELIVERY_MODE_UNSPECIFIED\",\"autoModeStrategy\":\"CLIENT_SEGMENTED\","
      "\"timestampType\":\"NO_SUCH_TYPE\"}}");
  node = client_recv (c);
  assert_result (node, "v", "contextCreated");
  g_assert_cmpstr (jstr (node, "result.contextCreated.deliveryMode"), ==,
      "DELIVERY_MODE_UNSPECIFIED");
  g_assert_cmpstr (jstr (node, "result.contextCreated.autoModeStrategy"), ==,
      "CLIENT_SEGMENTED");
  g_assert_false (jhas (node, "result.contextCreated.timestampType"));
  g_assert_false (jhas (node, "result.contextCreated.bufferCharThreshold"));
  json_node_unref (node);
  client_send (c, "{\"context_id\":\"w\",\"create\":{\"voice_id\":\"Dennis\","
      "\"model_id\":\"" MODEL "\",\"audio_config\":{\"audio_encoding\":"
      "\"PCM\",\"sample_rate_hertz\":8000},\"delivery_mode\":\"CREATIVE\","
      "\"auto_mode_strategy\":\"AUTO_MODE_STRATEGY_UNSPECIFIED\","
      "\"buffer_char_threshold\":300}}");
  node = client_recv (c);
  assert_result (node, "w", "contextCreated");
  g_assert_cmpstr (jstr (node, "result.contextCreated.deliveryMode"), ==,
      "CREATIVE");
  g_assert_cmpstr (jstr (node, "result.contextCreated.autoModeStrategy"), ==,
      "AUTO_MODE_STRATEGY_UNSPECIFIED");
  g_assert_cmpint (jint (node, "result.contextCreated.bufferCharThreshold"),
      ==, 300);
  json_node_unref (node);

  /* sendText with a camelCase flushContext inside, send_text with
   * flush_context, and each verb in both styles */
  client_send (c, "{\"contextId\":\"v\",\"sendText\":{\"text\":\"one\","
      "\"flushContext\":{}}}");
  expect_synthesis (c, "v", 8000, "one");
  client_send (c, "{\"contextId\":\"v\",\"send_text\":{\"text\":\"two\","
      "\"flush_context\":{}}}");
  expect_synthesis (c, "v", 8000, "two");
  client_send (c, "{\"contextId\":\"v\",\"sendText\":{\"text\":\"three\","
      "\"flush_context\":{}}}");
  expect_synthesis (c, "v", 8000, "three");
  client_send (c, "{\"context_id\":\"w\",\"send_text\":{\"text\":\"four\"}}");
  client_send (c, "{\"context_id\":\"w\",\"flush_context\":{}}");
  expect_synthesis (c, "w", 8000, "four");
  client_send (c, "{\"contextId\":\"w\",\"sendText\":{\"text\":\"five\"}}");
  client_send (c, "{\"contextId\":\"w\",\"flushContext\":{}}");
  expect_synthesis (c, "w", 8000, "five");
  client_send (c, "{\"contextId\":\"w\",\"updateConfig\":{\"voiceId\":"
      "\"Ashley\"}}");
  expect_result (c, "w", "contextUpdated");
  client_send (c, "{\"context_id\":\"w\",\"update_config\":{\"voice_id\":"
      "\"Dennis\"}}");
  expect_result (c, "w", "contextUpdated");

  /* markup passes through: counted and spoken as the text it is */
  send_text (c, "w", markup, TRUE);
  expect_synthesis (c, "w", 8000, markup);

  client_send (c, "{\"contextId\":\"v\",\"closeContext\":{}}");
  expect_result (c, "v", "contextClosed");
  client_send (c, "{\"context_id\":\"w\",\"close_context\":{}}");
  expect_result (c, "w", "contextClosed");
  client_free (c);
  emulator_stop (emu);
}

/* Auto mode, CLIENT_SEGMENTED (the default strategy): the first sendText
 * starts a synthesis at once; what arrives while one runs is batched into
 * the next; flushContext synthesizes the batch at once; no timer. Both
 * routes (SLNG's autoMode is passed on to Inworld). */
static void
test_auto_client_segmented (void)
{
  /* real time, so that a synthesis is still running when more text
   * comes */
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "1", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  const gchar *first = "This first sentence takes half a second to say. ";
  const gchar *strategies[] = {
    NULL, "\"AUTO_MODE_STRATEGY_UNSPECIFIED\"", "\"CLIENT_SEGMENTED\"",
  };
  Flush *f;

  for (guint i = 0; i < G_N_ELEMENTS (strategies); i++) {
    gchar *id = g_strdup_printf ("cs%u", i);
    gchar *extra = g_strdup_printf ("\"autoMode\":true,"
        "\"maxBufferDelayMs\":100%s%s", strategies[i] ?
        ",\"autoModeStrategy\":" : "", strategies[i] ? strategies[i] : "");

    create_context (c, id, "PCM", 8000, extra);
    send_text (c, id, first, FALSE);
    send_text (c, id, "Second. ", FALSE);
    send_text (c, id, "Third.", FALSE);
    expect_synthesis (c, id, 8000, first);
    expect_synthesis (c, id, 8000, "Second. Third.");
    /* idle again: no timer, nothing pending */
    assert_quiet (c, QUIET_MS);
    send_text (c, id, "Fourth.", FALSE);
    expect_synthesis (c, id, 8000, "Fourth.");
    client_send (c, "{\"contextId\":\"%s\",\"closeContext\":{}}", id);
    expect_result (c, id, "contextClosed");
    g_free (extra);
    g_free (id);
  }

  /* flushContext while busy: the batch so far becomes a synthesis of its
   * own; later text batches after it */
  create_context (c, "fl", "PCM", 8000, "\"autoMode\":true");
  send_text (c, "fl", first, FALSE);
  send_text (c, "fl", "B. ", FALSE);
  flush_context (c, "fl");
  send_text (c, "fl", "C. ", FALSE);
  send_text (c, "fl", "D.", FALSE);
  expect_synthesis (c, "fl", 8000, first);
  expect_synthesis (c, "fl", 8000, "B. ");
  expect_synthesis (c, "fl", 8000, "C. D.");
  /* closeContext synthesizes what is left, then contextClosed */
  send_text (c, "fl", first, FALSE);
  send_text (c, "fl", "Left over.", FALSE);
  client_send (c, "{\"contextId\":\"fl\",\"closeContext\":{}}");
  expect_synthesis (c, "fl", 8000, first);
  expect_synthesis (c, "fl", 8000, "Left over.");
  expect_result (c, "fl", "contextClosed");
  client_free (c);

  /* SLNG: the same, one audio_end per synthesis */
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":8000,"
      "\"autoMode\":true,\"maxBufferDelayMs\":100");
  slng_text (c, first, FALSE);
  slng_text (c, "Second. ", FALSE);
  slng_text (c, "Third.", FALSE);
  f = slng_recv_flush (c, NULL, NULL);
  check_flush_audio (f, "PCM", 8000, first);
  flush_free (f);
  f = slng_recv_flush (c, NULL, NULL);
  check_flush_audio (f, "PCM", 8000, "Second. Third.");
  flush_free (f);
  assert_quiet (c, QUIET_MS);
  client_free (c);
  emulator_stop (emu);
}

/* SENTENCE_BOUNDARY: the service finds sentence ends in a token stream,
 * each confirmed by the text after it; tags split across messages are
 * held; no timer; closeContext speaks the rest. inworld-tts-2 only. */
static void
test_auto_sentence_boundary (void)
{
  Emulator *emu = start_default ();
  Client *c = client_connect (emu, "Basic " KEY);
  const gchar *sb = "\"autoMode\":true,\"autoModeStrategy\":"
      "\"SENTENCE_BOUNDARY\",\"maxBufferDelayMs\":100";
  gchar *msg;

  /* other models: INVALID_ARGUMENT naming the field, nothing created */
  client_send (c, "{\"contextId\":\"x\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\",\"autoMode\":true,\"autoModeStrategy\":"
      "\"SENTENCE_BOUNDARY\"}}");
  expect_context_error (c, "x", 3, "auto_mode_strategy SENTENCE_BOUNDARY is "
      "only supported by inworld-tts-2 and inworld-tts-2-flash, not "
      MODEL ".");
  send_text (c, "x", "Hello", FALSE);
  expect_context_error (c, "x", 5, NULL);

  flush_model = "inworld-tts-2";
  msg = g_strdup_printf ("{\"contextId\":\"s\",\"create\":{\"voiceId\":"
      "\"Dennis\",\"modelId\":\"inworld-tts-2\",\"audioConfig\":"
      "{\"audioEncoding\":\"PCM\",\"sampleRateHertz\":8000},%s}}", sb);
  client_send (c, "%s", msg);
  g_free (msg);
  expect_result (c, "s", "contextCreated");

  /* a sentence end waits for the text after it (and there is no timer:
   * maxBufferDelayMs is 100) */
  send_text (c, "s", "Hello", FALSE);
  send_text (c, "s", " there.", FALSE);
  assert_quiet (c, QUIET_MS);
  send_text (c, "s", " How", FALSE);
  expect_synthesis (c, "s", 8000, "Hello there. ");
  /* abbreviations, initials, short capitalized words, decimals, commas,
   * colons, semicolons and line breaks end nothing */
  send_text (c, "s", " are you?", FALSE);
  assert_quiet (c, QUIET_MS);
  send_text (c, "s", " Dr. Smith met Tom. in Rome. with U.S.A. friends and "
      "J. R. Tolkien, paid 2.5 dollars; fine: ok", FALSE);
  expect_synthesis (c, "s", 8000, "How are you? ");
  send_text (c, "s", "\nnext", FALSE);
  assert_quiet (c, QUIET_MS);
  send_text (c, "s", "! Then", FALSE);
  expect_synthesis (c, "s", 8000, "Dr. Smith met Tom. in Rome. with U.S.A. "
      "friends and J. R. Tolkien, paid 2.5 dollars; fine: ok\nnext! ");
  /* full-width, Arabic and Devanagari ends need no space, but text after */
  send_text (c, "s", "\u4f60\u597d\u3002", FALSE);
  assert_quiet (c, QUIET_MS);
  send_text (c, "s", "\u4e16", FALSE);
  expect_synthesis (c, "s", 8000, "Then\u4f60\u597d\u3002");
  send_text (c, "s", "\u754c\uff01\u0645\u0631\u062d\u0628\u0627\u061f"
      "\u0928\u092e\u0938\u094d\u0924\u0947\u0964", FALSE);
  /* complete sentences found at once make one synthesis */
  expect_synthesis (c, "s", 8000,
      "\u4e16\u754c\uff01\u0645\u0631\u062d\u0628\u0627\u061f");
  assert_quiet (c, QUIET_MS);
  /* a complete break tag ends one */
  send_text (c, "s", " Wait<break time=\"300ms\"/>", FALSE);
  expect_synthesis (c, "s", 8000,
      "\u0928\u092e\u0938\u094d\u0924\u0947\u0964 ");
  assert_quiet (c, QUIET_MS);
  send_text (c, "s", "then [whis", FALSE);
  expect_synthesis (c, "s", 8000, "Wait<break time=\"300ms\"/>");
  /* an unfinished tag holds back everything after it, even what looks
   * like a sentence end */
  send_text (c, "s", "per. Still in the tag. ", FALSE);
  assert_quiet (c, QUIET_MS);
  send_text (c, "s", "] Soft now. And <bre", FALSE);
  expect_synthesis (c, "s", 8000,
      "then [whisper. Still in the tag. ] Soft now. ");
  send_text (c, "s", "ak time=\"1s\"/> more. So on", FALSE);
  expect_synthesis (c, "s", 8000, "And <break time=\"1s\"/> more. ");
  /* flushContext speaks the unfinished sentence, but not a partial tag */
  send_text (c, "s", " and [lau", FALSE);
  flush_context (c, "s");
  expect_synthesis (c, "s", 8000, "So on and ");
  assert_quiet (c, QUIET_MS);
  /* closeContext: incomplete markup is INVALID_ARGUMENT, then the close */
  client_send (c, "{\"contextId\":\"s\",\"closeContext\":{}}");
  expect_context_error (c, "s", 3,
      "incomplete markup at the end of the text: \"[lau\"");
  expect_result (c, "s", "contextClosed");

  /* the buffering safeguard: long text with no sentence end is cut at a
   * word boundary at the threshold; closeContext speaks the rest */
  client_send (c, "{\"contextId\":\"t\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"inworld-tts-2-flash\",\"audioConfig\":"
      "{\"audioEncoding\":\"PCM\",\"sampleRateHertz\":8000},%s,"
      "\"bufferCharThreshold\":30}}", sb);
  expect_result (c, "t", "contextCreated");
  flush_model = "inworld-tts-2-flash";
  send_text (c, "t", "word word word word word word word word", FALSE);
  expect_synthesis (c, "t", 8000, "word word word word word word ");
  assert_quiet (c, QUIET_MS);
  client_send (c, "{\"contextId\":\"t\",\"closeContext\":{}}");
  expect_synthesis (c, "t", 8000, "word word");
  expect_result (c, "t", "contextClosed");

  flush_model = MODEL;
  client_free (c);
  emulator_stop (emu);
}

/* SYNC timestamps delay the first audio of every synthesis by
 * --alignment-delay, on top of --first-audio-delay; ASYNC and no
 * timestamps are not delayed by it. */
static void
test_timestamps_alignment_delay (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--first-audio-delay", "200", "--alignment-delay",
      "800", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  const gchar *ids[] = { "sync", "async", "none" };
  const gchar *extra[] = {
    "\"timestampType\":\"CHARACTER\"",
    "\"timestampType\":\"WORD\",\"timestampTransportStrategy\":\"ASYNC\"",
    NULL,
  };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
    create_context (c, ids[i], "PCM", 8000, extra[i]);
    for (guint k = 0; k < 2; k++) {
      gint64 start = g_get_monotonic_time ();
      Flush *f;

      send_text (c, ids[i], "Timed text.", TRUE);
      f = recv_flush (c, ids[i]);
      g_assert_cmpint (f->first_chunk_time - start, >=, 200 * 1000);
      if (i == 0)
        g_assert_cmpint (f->first_chunk_time - start, >=, 1000 * 1000);
      else
        g_assert_cmpint (f->first_chunk_time - start, <, 1000 * 1000);
      check_flush_audio (f, "PCM", 8000, "Timed text.");
      flush_free (f);
    }
  }
  client_free (c);
  emulator_stop (emu);
}

/* --alignment tokens: WORD timestamps list every token of the text, as
 * the newest docs say: words, punctuation and whitespace. */
static void
test_timestamps_tokens (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--alignment-delay", "0", "--alignment", "tokens",
      NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  const gchar *text = "Hello, world. Don't  stop-now\u2026ok";
  const gchar *tokens[] = {
    "Hello", ",", " ", "world", ".", " ", "Don't", "  ", "stop-now",
    "\u2026", "ok",
  };
  const gchar *modes[] = { "SYNC", "ASYNC" };

  for (guint m = 0; m < G_N_ELEMENTS (modes); m++) {
    gchar *id = g_strdup_printf ("t%u", m);
    gchar *extra = g_strdup_printf ("\"timestampType\":\"WORD\","
        "\"timestampTransportStrategy\":\"%s\"", modes[m]);
    glong offset = 0;
    guint i = 0;
    Flush *f;
    GPtrArray *ts;

    create_context (c, id, "PCM", 16000, extra);
    send_text (c, id, text, TRUE);
    f = recv_flush (c, id);
    /* 0.32 s of audio: two chunks, the tokens spread over both */
    g_assert_cmpuint (f->audio->len, ==, 2);
    ts = m ? f->ts_only : f->ts;
    g_assert_cmpuint (ts->len, ==, 2);
    for (guint k = 0; k < ts->len; k++) {
      JsonObject *align = json_node_get_object (jpath (ts->pdata[k],
              "wordAlignment"));
      JsonArray *w = json_object_get_array_member (align, "words");
      JsonArray *s = json_object_get_array_member (align,
          "wordStartTimeSeconds");
      JsonArray *e = json_object_get_array_member (align,
          "wordEndTimeSeconds");

      g_assert_cmpuint (json_array_get_length (w), >, 0);
      for (guint j = 0; j < json_array_get_length (w); j++, i++) {
        glong n;

        g_assert_cmpuint (i, <, G_N_ELEMENTS (tokens));
        n = g_utf8_strlen (tokens[i], -1);
        g_assert_cmpstr (json_array_get_string_element (w, j), ==,
            tokens[i]);
        g_assert_cmpfloat_with_epsilon (json_array_get_double_element (s, j),
            offset * 0.01, 1e-6);
        g_assert_cmpfloat_with_epsilon (json_array_get_double_element (e, j),
            (offset + n) * 0.01, 1e-6);
        offset += n;
      }
    }
    g_assert_cmpuint (i, ==, G_N_ELEMENTS (tokens));
    g_assert_cmpint (offset, ==, g_utf8_strlen (text, -1));
    check_flush_audio (f, "PCM", 16000, text);
    flush_free (f);
    g_free (extra);
    g_free (id);
  }
  client_free (c);
  emulator_stop (emu);
}

/* --pcm-wav-header: every PCM chunk is a WAV file of its own, sizes per
 * chunk, as LINEAR16; LINEAR16 and WAV are unchanged. Both routes. */
static void
test_pcm_wav_header (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--pcm-wav-header", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  const gchar *text = "Seventy-three characters of text, so the last chunk "
      "is a short tail: ok.";
  const gchar *encodings[] = { "PCM", "LINEAR16", "WAV" };
  Flush *f;

  for (guint i = 0; i < G_N_ELEMENTS (encodings); i++) {
    create_context (c, encodings[i], encodings[i], 16000, NULL);
    send_text (c, encodings[i], text, TRUE);
    f = recv_flush (c, encodings[i]);
    g_assert_cmpuint (f->audio->len, ==, 3);
    /* check_flush_audio checks LINEAR16's framing: a header per chunk */
    check_flush_audio (f, i == 0 ? "LINEAR16" : encodings[i], 16000, text);
    flush_free (f);
  }
  client_free (c);

  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":16000");
  slng_text (c, text, TRUE);
  f = slng_recv_flush (c, NULL, NULL);
  check_flush_audio (f, "LINEAR16", 16000, text);
  flush_free (f);
  client_free (c);
  emulator_stop (emu);
}

/* --force-buffer-char-threshold and --force-max-buffer-delay: the
 * service's buffering, whatever the client asked for (and echoed as it
 * asked). Both routes. */
static void
test_force_buffering (void)
{
  Emulator *emu = emulator_start ("--api-key", KEY, "--audio", "test-signal",
      "--speed", "0", "--force-buffer-char-threshold", "10",
      "--force-max-buffer-delay", "300", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  gint64 start;
  JsonNode *node;
  Flush *f;

  client_send (c, "{\"contextId\":\"f\",\"create\":{\"voiceId\":\"Dennis\","
      "\"modelId\":\"" MODEL "\",\"audioConfig\":{\"audioEncoding\":\"PCM\","
      "\"sampleRateHertz\":8000},\"bufferCharThreshold\":500,"
      "\"maxBufferDelayMs\":60000}}");
  node = client_recv (c);
  assert_result (node, "f", "contextCreated");
  g_assert_cmpint (jint (node, "result.contextCreated.bufferCharThreshold"),
      ==, 500);
  g_assert_cmpint (jint (node, "result.contextCreated.maxBufferDelayMs"), ==,
      60000);
  json_node_unref (node);

  start = g_get_monotonic_time ();
  send_text (c, "f", "abcdefghijklmno", FALSE);
  expect_synthesis (c, "f", 8000, "abcdefghij");
  f = recv_flush (c, "f");
  g_assert_cmpint (f->first_chunk_time - start, >=, 250 * 1000);
  g_assert_cmpint (f->first_chunk_time - start, <, 5000 * 1000);
  check_flush_audio (f, "PCM", 8000, "klmno");
  flush_free (f);
  /* a flush is cut at the forced threshold too */
  send_text (c, "f", "Short. And more.", TRUE);
  expect_synthesis (c, "f", 8000, "Short. ");
  expect_synthesis (c, "f", 8000, "And more.");
  client_free (c);

  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":8000,"
      "\"bufferCharThreshold\":500,\"maxBufferDelayMs\":60000");
  start = g_get_monotonic_time ();
  slng_text (c, "abcdefghijklmno", FALSE);
  f = slng_recv_flush (c, NULL, NULL);
  check_flush_audio (f, "PCM", 8000, "abcdefghij");
  flush_free (f);
  f = slng_recv_flush (c, NULL, NULL);
  g_assert_cmpint (f->first_chunk_time - start, >=, 250 * 1000);
  check_flush_audio (f, "PCM", 8000, "klmno");
  flush_free (f);
  client_free (c);
  emulator_stop (emu);
}

/* The line of the log that holds every one of the NULL-terminated
 * needles; fails unless there is exactly one. */
static const gchar *
log_line (gchar ** lines, const gchar * first, ...)
{
  const gchar *found = NULL;
  guint n = 0;

  for (gchar ** l = lines; *l; l++) {
    gboolean all = TRUE;
    va_list args;

    va_start (args, first);
    for (const gchar * s = first; s && all; s = va_arg (args, const gchar *))
        all = strstr (*l, s) != NULL;
    va_end (args);
    if (all) {
      found = *l;
      n++;
    }
  }
  if (n != 1)
    g_printerr ("%u log lines hold \"%s\"...\n", n, first);
  g_assert_cmpuint (n, ==, 1);
  return found;
}

/* --verbose: every client frame is logged, a cut one (over 300 bytes)
 * with its contextId and verb; --log-times starts each line with the
 * monotonic clock in ms (the same clock as ours). */
static void
test_log (void)
{
  Emulator *emu = emulator_start_logged ("--api-key", KEY, "--audio",
      "test-signal", "--speed", "0", "--verbose", "--log-times", NULL);
  Client *c = client_connect (emu, "Basic " KEY);
  gchar *text = g_strnfill (400, 'q');
  gint64 before, after, t;
  gchar **lines;
  const gchar *line;
  gchar *end;

  create_context (c, "late-id", "PCM", 8000, NULL);
  before = g_get_monotonic_time () / 1000;
  /* contextId last: it is past the 300 bytes the log shows */
  client_send (c, "{\"sendText\":{\"text\":\"%s\",\"flushContext\":{}},"
      "\"contextId\":\"late-id\"}", text);
  expect_synthesis (c, "late-id", 8000, text);
  after = g_get_monotonic_time () / 1000;
  client_free (c);
  c = slng_connect (emu);
  slng_init (c, "\"encoding\":\"PCM\",\"sample_rate\":8000");
  slng_text (c, text, TRUE);
  flush_free (slng_recv_flush (c, NULL, NULL));
  client_free (c);
  lines = emulator_stop_logged (emu);

  /* every line of ours starts with the time (not valgrind's, when it
   * wraps the emulator) */
  for (gchar ** l = lines; *l; l++) {
    if (!strstr (*l, "inworld-tts-emulator: "))
      continue;
    g_assert_true (g_ascii_isdigit (**l));
    t = g_ascii_strtoll (*l, &end, 10);
    g_assert_true (g_str_has_prefix (end, " inworld-tts-emulator: "));
  }
  line = log_line (lines, "<- ", "\"contextId\":\"late-id\"", "\"sendText\"",
      "\"flushContext\"", "text of 400 characters", NULL);
  t = g_ascii_strtoll (line, NULL, 10);
  g_assert_cmpint (t, >=, before);
  g_assert_cmpint (t, <=, after);
  log_line (lines, "<- {\"contextId\":\"late-id\",\"create\"", NULL);
  log_line (lines, "slng conn 1: <- ", "\"type\":\"text\"", "\"flush\":true",
      "text of 400 characters", NULL);
  log_line (lines, "context late-id: synthesis of 400 characters", NULL);
  g_strfreev (lines);
  g_free (text);

  /* without --log-times the lines are as they always were */
  emu = emulator_start_logged ("--api-key", KEY, "--verbose", NULL);
  c = client_connect (emu, "Basic " KEY);
  client_send (c, "{\"nothing\":1}");
  assert_quiet (c, QUIET_MS);
  client_free (c);
  lines = emulator_stop_logged (emu);
  line = log_line (lines, "<- {\"nothing\":1}", NULL);
  g_assert_true (g_str_has_prefix (line, "inworld-tts-emulator: conn 1: "));
  g_strfreev (lines);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);

  g_test_add_func ("/emulator/auth/missing", test_auth_missing);
  g_test_add_func ("/emulator/auth/wrong", test_auth_wrong);
  g_test_add_func ("/emulator/auth/right", test_auth_right);
  g_test_add_func ("/emulator/unknown-path", test_unknown_path);
  g_test_add_func ("/emulator/case-styles", test_case_styles);
  g_test_add_func ("/emulator/bad-frames", test_bad_frames);
  g_test_add_func ("/emulator/context-limit", test_context_limit);
  g_test_add_func ("/emulator/unknown-context", test_unknown_context);
  g_test_add_func ("/emulator/text-limits", test_text_limits);
  g_test_add_func ("/emulator/buffer-triggers", test_buffer_triggers);
  g_test_add_func ("/emulator/sequencing", test_sequencing);
  g_test_add_func ("/emulator/interleaved", test_interleaved);
  g_test_add_func ("/emulator/formats", test_formats);
  g_test_add_func ("/emulator/timestamps", test_timestamps);
  g_test_add_func ("/emulator/encoding/mp3", test_encoding_mp3);
  g_test_add_func ("/emulator/encoding/ogg-opus", test_encoding_ogg_opus);
  g_test_add_func ("/emulator/encoding/flac", test_encoding_flac);
  g_test_add_func ("/emulator/encoding/alaw-mulaw", test_encoding_g711);
  g_test_add_func ("/emulator/encoding/checks", test_encoding_checks);
  g_test_add_func ("/emulator/pacing", test_pacing);
  g_test_add_func ("/emulator/fault/first-audio-delay",
      test_fault_first_audio_delay);
  g_test_add_func ("/emulator/fault/drop-after-chunks", test_fault_drop);
  g_test_add_func ("/emulator/fault/early-context-closed",
      test_fault_early_context_closed);
  g_test_add_func ("/emulator/fault/garbage-frames", test_fault_garbage);
  g_test_add_func ("/emulator/fault/inactivity-timeout",
      test_fault_inactivity);
  g_test_add_func ("/emulator/close-mid-synthesis", test_close_mid_synthesis);
  g_test_add_func ("/emulator/audio-sources", test_audio_sources);
  g_test_add_func ("/emulator/slng/auth", test_slng_auth);
  g_test_add_func ("/emulator/slng/flush", test_slng_flush);
  g_test_add_func ("/emulator/slng/formats", test_slng_formats);
  g_test_add_func ("/emulator/slng/errors", test_slng_errors);
  g_test_add_func ("/emulator/slng/close", test_slng_close);
  g_test_add_func ("/emulator/slng/reorder", test_slng_reorder);
  g_test_add_func ("/emulator/slng/faults", test_slng_faults);
  g_test_add_func ("/emulator/hostile/frames", test_hostile_frames);
  g_test_add_func ("/emulator/hostile/bad-base64", test_hostile_bad_base64);
  g_test_add_func ("/emulator/hostile/after-close", test_hostile_after_close);
  g_test_add_func ("/emulator/hostile/huge", test_hostile_huge);
  g_test_add_func ("/emulator/hostile/big-chunk", test_hostile_big_chunk);
  g_test_add_func ("/emulator/hostile/bad-option", test_hostile_bad_option);
  g_test_add_func ("/emulator/slng/hostile", test_slng_hostile);
  g_test_add_func ("/emulator/syntheses/nothing-to-speak",
      test_nothing_to_speak);
  g_test_add_func ("/emulator/syntheses/threshold-parts",
      test_threshold_parts);
  g_test_add_func ("/emulator/verbs-and-markup", test_verbs_and_markup);
  g_test_add_func ("/emulator/auto-mode/client-segmented",
      test_auto_client_segmented);
  g_test_add_func ("/emulator/auto-mode/sentence-boundary",
      test_auto_sentence_boundary);
  g_test_add_func ("/emulator/timestamps/alignment-delay",
      test_timestamps_alignment_delay);
  g_test_add_func ("/emulator/timestamps/tokens", test_timestamps_tokens);
  g_test_add_func ("/emulator/pcm-wav-header", test_pcm_wav_header);
  g_test_add_func ("/emulator/force-buffering", test_force_buffering);
  g_test_add_func ("/emulator/log", test_log);

  return g_test_run ();
}
