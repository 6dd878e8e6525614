/* InworldSession tests: the conversation with the server, without one
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The session is driven through a fake InworldTransport that records
 * every frame it is asked to send (parsed with json-glib) and lets the
 * test hand the session the events a server would send, on the session's
 * GMainContext, which the test iterates itself. The outputs are collected
 * in order and compared as a short summary ("audio:1 synth-end:1
 * utt-end:1 end") and field by field. Protocol differences (Inworld's
 * acks and update_config, SLNG's one context per connection) are run
 * from the same tests where they apply: the frames are summarised in
 * words common to both ("open1(A)", "text(Hello.)+flush", "flush",
 * "update(B)", "close1", "free1"). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "inworldsession.h"

#include <glib/gstdio.h>

#define WAIT_US (10 * G_USEC_PER_SEC)

#define INWORLD INWORLD_PROTOCOL_INWORLD
#define SLNG INWORLD_PROTOCOL_SLNG

typedef struct
{
  guint index;                  /* from 1, in the order opened */
  gchar *id;
  InworldEventFunc func;
  gpointer user_data;
  gboolean closed;
  gboolean freed;
} FakeContext;

typedef struct
{
  GMainContext *context;
  InworldSession *session;
  const InworldProtocol *proto;
  GMutex lock;                  /* outputs and the log (the thread test) */
  GPtrArray *contexts;          /* FakeContext *, every one opened */
  GPtrArray *log;               /* gchar *: what the transport was asked */
  GPtrArray *frames;            /* JsonObject *: the frames, create too */
  GPtrArray *outputs;           /* InworldOutput * */
  guint late_outputs;           /* given after inworld_session_free() */
  InworldCache *cache;          /* given to the start, or NULL */
  gchar *cache_dir;
  gint freed;                   /* inworld_session_free() returned */
} Fixture;

static Fixture *f;

/* ------------------------------------------------------------------------
 * The fake transport
 * ------------------------------------------------------------------------ */

static JsonObject *
parse_frame (const gchar * frame)
{
  JsonParser *parser = json_parser_new ();
  GError *error = NULL;
  JsonObject *obj;

  /* g_assert: the transport may run on another thread than the test's */
  g_assert_true (json_parser_load_from_data (parser, frame, -1, &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  obj = json_object_ref (json_node_get_object (json_parser_get_root
          (parser)));
  g_object_unref (parser);
  return obj;
}

static const gchar *
opt_string (JsonObject * obj, const gchar * member)
{
  if (obj == NULL || !json_object_has_member (obj, member))
    return "-";
  return json_object_get_string_member (obj, member);
}

/* The verb of a frame, in words common to both protocols. */
static gchar *
describe_frame (JsonObject * obj, guint index)
{
  if (json_object_has_member (obj, "type")) {
    /* SLNG */
    const gchar *type = json_object_get_string_member (obj, "type");

    if (g_strcmp0 (type, "init") == 0)
      return g_strdup_printf ("open%u(%s)", index, opt_string (obj, "voice"));
    if (g_strcmp0 (type, "text") == 0)
      return g_strdup_printf ("text(%s)%s", opt_string (obj, "text"),
          json_object_has_member (obj, "flush")
          && json_object_get_boolean_member (obj, "flush") ? "+flush" : "");
    return g_strdup (type);
  }

  g_assert_true (json_object_has_member (obj, "contextId"));
  if (json_object_has_member (obj, "create"))
    return g_strdup_printf ("open%u(%s)", index,
        opt_string (json_object_get_object_member (obj, "create"),
            "voiceId"));
  if (json_object_has_member (obj, "send_text")) {
    JsonObject *st = json_object_get_object_member (obj, "send_text");

    return g_strdup_printf ("text(%s)%s", opt_string (st, "text"),
        json_object_has_member (st, "flush_context") ? "+flush" : "");
  }
  if (json_object_has_member (obj, "flush_context"))
    return g_strdup ("flush");
  if (json_object_has_member (obj, "update_config"))
    return g_strdup_printf ("update(%s)",
        opt_string (json_object_get_object_member (obj, "update_config"),
            "voiceId"));
  if (json_object_has_member (obj, "close_context"))
    return g_strdup ("close-frame");
  return g_strdup ("?");
}

static void
log_add (gchar * entry, JsonObject * frame)
{
  g_mutex_lock (&f->lock);
  g_ptr_array_add (f->log, entry);
  if (frame)
    g_ptr_array_add (f->frames, frame);
  g_mutex_unlock (&f->lock);
}

static gpointer
fake_open (gpointer transport_data, const InworldConnectionParams * params,
    const gchar * context_id, gchar * create_frame, InworldEventFunc func,
    gpointer user_data)
{
  FakeContext *c = g_new0 (FakeContext, 1);
  JsonObject *obj = parse_frame (create_frame);

  g_assert_true (transport_data == f);
  g_assert_nonnull (params);
  g_assert_nonnull (context_id);
  c->index = f->contexts->len + 1;
  c->id = g_strdup (context_id);
  c->func = func;
  c->user_data = user_data;
  g_mutex_lock (&f->lock);
  g_ptr_array_add (f->contexts, c);
  g_mutex_unlock (&f->lock);
  /* Inworld's create names the context */
  if (json_object_has_member (obj, "contextId"))
    g_assert_cmpstr (json_object_get_string_member (obj, "contextId"), ==,
        context_id);
  log_add (describe_frame (obj, c->index), obj);
  g_free (create_frame);
  return c;
}

static void
fake_send (gpointer context, gchar * frame)
{
  FakeContext *c = context;
  JsonObject *obj = parse_frame (frame);
  gchar *what = describe_frame (obj, c->index);

  if (json_object_has_member (obj, "contextId"))
    g_assert_cmpstr (json_object_get_string_member (obj, "contextId"), ==,
        c->id);
  if (c->freed || c->closed) {
    gchar *bad = g_strdup_printf ("%s-AFTER-%s%u", what, c->freed ? "FREE" :
        "CLOSE", c->index);

    g_free (what);
    what = bad;
  }
  log_add (what, obj);
  g_free (frame);
}

static void
fake_close (gpointer context)
{
  FakeContext *c = context;

  g_assert_false (c->freed);
  c->closed = TRUE;
  log_add (g_strdup_printf ("close%u", c->index), NULL);
}

static void
fake_free (gpointer context)
{
  FakeContext *c = context;

  g_assert_false (c->freed);
  c->freed = TRUE;
  log_add (g_strdup_printf ("free%u", c->index), NULL);
}

static const InworldTransport fake_transport = {
  fake_open, fake_send, fake_close, fake_free
};

static void
fake_context_free (FakeContext * c)
{
  g_free (c->id);
  g_free (c);
}

/* ------------------------------------------------------------------------
 * The fixture
 * ------------------------------------------------------------------------ */

static void
on_output (InworldOutput * output, gpointer user_data)
{
  g_assert_true (user_data == f);
  g_mutex_lock (&f->lock);
  if (g_atomic_int_get (&f->freed))
    f->late_outputs++;
  g_ptr_array_add (f->outputs, output);
  g_mutex_unlock (&f->lock);
}

static void
setup (void)
{
  f = g_new0 (Fixture, 1);
  f->context = g_main_context_new ();
  g_mutex_init (&f->lock);
  f->contexts = g_ptr_array_new_with_free_func ((GDestroyNotify)
      fake_context_free);
  f->log = g_ptr_array_new_with_free_func (g_free);
  f->frames = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  f->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      inworld_output_free);
}

/* Runs what is ready on the session's context. */
static void
settle (void)
{
  while (g_main_context_iteration (f->context, FALSE));
}

#define WAIT_UNTIL(cond) G_STMT_START {                               \
  gint64 _deadline = g_get_monotonic_time () + WAIT_US;               \
  while (!(cond)) {                                                   \
    fail_unless (g_get_monotonic_time () < _deadline,                 \
        "timed out waiting for: %s", #cond);                          \
    if (!g_main_context_iteration (f->context, FALSE))                \
      g_usleep (1000);                                                \
  }                                                                   \
} G_STMT_END

/* Runs the context for @ms. */
static void
run_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    if (!g_main_context_iteration (f->context, FALSE))
      g_usleep (1000);
}

static void
session_free (void)
{
  if (f->session) {
    inworld_session_free (f->session);
    g_atomic_int_set (&f->freed, TRUE);
    f->session = NULL;
    settle ();
  }
}

static void
teardown (void)
{
  session_free ();
  /* every context the session opened was let go */
  for (guint i = 0; i < f->contexts->len; i++)
    fail_unless (((FakeContext *) g_ptr_array_index (f->contexts,
                i))->freed, "context %u never freed", i + 1);
  g_ptr_array_unref (f->contexts);
  g_ptr_array_unref (f->log);
  g_ptr_array_unref (f->frames);
  g_ptr_array_unref (f->outputs);
  g_mutex_clear (&f->lock);
  if (f->cache) {
    GDir *d = g_dir_open (f->cache_dir, 0, NULL);
    const gchar *name;

    inworld_cache_unref (f->cache);
    while ((name = g_dir_read_name (d))) {
      gchar *path = g_build_filename (f->cache_dir, name, NULL);

      g_unlink (path);
      g_free (path);
    }
    g_dir_close (d);
    g_rmdir (f->cache_dir);
    g_free (f->cache_dir);
  }
  settle ();
  g_main_context_unref (f->context);
  g_free (f);
  f = NULL;
}

static void
session_new (void)
{
  f->session = inworld_session_new (f->context, &fake_transport, f,
      on_output, f);
}

static void
session_start_full (InworldProtocolKind kind,
    const InworldSynthConfig * config, guint timeout_s, guint epoch)
{
  InworldSessionStart start;

  memset (&start, 0, sizeof (start));
  start.connection.uri = "ws://127.0.0.1:9/fake";
  start.connection.api_key = "secret";
  start.connection.protocol = kind;
  start.encoding = INWORLD_ENCODING_LINEAR16;
  start.sample_rate = 16000;
  start.timeout_s = timeout_s;
  start.name = "test";
  start.epoch = epoch;
  start.config = config;
  start.cache = f->cache;
  f->proto = inworld_protocol_get (kind);
  inworld_session_start (f->session, &start);
  settle ();
}

static void
session_start (InworldProtocolKind kind, const InworldSynthConfig * config)
{
  session_start_full (kind, config, 0, 0);
}

static void
config_init (InworldSynthConfig * config, const gchar * voice)
{
  inworld_synth_config_init (config);
  config->voice = voice;
  config->model = "inworld-tts-1";
}

static void
speak (const gchar * text, gboolean flush, const InworldSynthConfig * config)
{
  inworld_session_speak (f->session, text, flush, config,
      INWORLD_SESSION_NO_TIME);
  settle ();
}

/* ------------------------------------------------------------------------
 * What the transport was asked, what came out
 * ------------------------------------------------------------------------ */

static gchar *
log_since (guint from)
{
  GString *s = g_string_new (NULL);

  g_mutex_lock (&f->lock);
  for (guint i = from; i < f->log->len; i++)
    g_string_append_printf (s, "%s%s", s->len ? " " : "",
        (gchar *) g_ptr_array_index (f->log, i));
  g_mutex_unlock (&f->lock);
  return g_string_free (s, FALSE);
}

#define assert_log(from, expected) G_STMT_START {                     \
  gchar *_got = log_since (from);                                     \
  fail_unless_equals_string (_got, expected);                         \
  g_free (_got);                                                      \
} G_STMT_END

static gchar *
outputs_since (guint from)
{
  GString *s = g_string_new (NULL);

  g_mutex_lock (&f->lock);
  for (guint i = from; i < f->outputs->len; i++) {
    InworldOutput *o = g_ptr_array_index (f->outputs, i);
    guint index = o->utterance ? o->utterance->index : 0;

    if (s->len)
      g_string_append_c (s, ' ');
    switch (o->type) {
      case INWORLD_OUTPUT_AUDIO:
        g_string_append_printf (s, "audio:%u", index);
        break;
      case INWORLD_OUTPUT_TIMINGS:
        g_string_append_printf (s, "timings:%u", index);
        break;
      case INWORLD_OUTPUT_SYNTHESIS_END:
        g_string_append_printf (s, "synth-end:%u", index);
        break;
      case INWORLD_OUTPUT_UTTERANCE_END:
        g_string_append_printf (s, "utt-end:%u", index);
        break;
      case INWORLD_OUTPUT_RESTART:
        g_string_append (s, "restart");
        break;
      case INWORLD_OUTPUT_WARNING:
        g_string_append_printf (s, "warning:%s", inworld_problem_kind_name (o->problem->kind));
        break;
      case INWORLD_OUTPUT_ERROR:
        g_string_append_printf (s, "error:%s", inworld_problem_kind_name (o->problem->kind));
        break;
      case INWORLD_OUTPUT_END:
        g_string_append (s, "end");
        break;
    }
  }
  g_mutex_unlock (&f->lock);
  return g_string_free (s, FALSE);
}

#define assert_outputs(from, expected) G_STMT_START {                 \
  gchar *_got = outputs_since (from);                                 \
  fail_unless_equals_string (_got, expected);                         \
  g_free (_got);                                                      \
} G_STMT_END

static InworldOutput *
output (guint i)
{
  fail_unless (i < f->outputs->len, "no output %u (%u)", i,
      f->outputs->len);
  return g_ptr_array_index (f->outputs, i);
}

/* The last output of @type. */
static InworldOutput *
last_output (InworldOutputType type)
{
  for (guint i = f->outputs->len; i > 0; i--)
    if (output (i - 1)->type == type)
      return output (i - 1);
  fail ("no %s output", inworld_output_type_name (type));
  return NULL;
}

static JsonObject *
frame (guint i)
{
  fail_unless (i < f->frames->len, "no frame %u", i);
  return g_ptr_array_index (f->frames, i);
}

/* ------------------------------------------------------------------------
 * The server's side
 * ------------------------------------------------------------------------ */

static FakeContext *
context (guint index)
{
  fail_unless (index >= 1 && index <= f->contexts->len, "no context %u",
      index);
  return g_ptr_array_index (f->contexts, index - 1);
}

static FakeContext *
current (void)
{
  return context (f->contexts->len);
}

/* An event of the current context, as the protocol's parser makes it
 * (SLNG's events carry no context id). */
static InworldEvent *
event_new (InworldEventType type)
{
  return inworld_event_new (type, f->proto->kind == INWORLD ?
      current ()->id : NULL);
}

static void
deliver_to (FakeContext * c, InworldEvent * event)
{
  fail_if (c->freed, "an event for context %u, freed", c->index);
  c->func (event, c->user_data);
  settle ();
}

static void
deliver (InworldEvent * event)
{
  deliver_to (current (), event);
}

static void
server_created (void)
{
  deliver (event_new (INWORLD_EVENT_CONTEXT_CREATED));
}

static InworldEvent *
audio_event_new (gint processed)
{
  static const guint8 samples[320] = { 0, };
  InworldEvent *event = event_new (INWORLD_EVENT_AUDIO);

  event->audio = g_bytes_new_static (samples, sizeof (samples));
  event->processed_chars = processed;
  return event;
}

static void
server_audio (gint processed)
{
  deliver (audio_event_new (processed));
}

static void
server_flush_completed (void)
{
  deliver (event_new (INWORLD_EVENT_FLUSH_COMPLETED));
}

static void
server_closed (void)
{
  deliver (event_new (INWORLD_EVENT_CONTEXT_CLOSED));
}

static void
server_disconnected (gint code)
{
  InworldEvent *event = inworld_event_new (INWORLD_EVENT_DISCONNECTED, NULL);

  event->code = code;
  event->message = g_strdup ("connection lost");
  deliver (event);
}

/* One synthesis: audio, then flushCompleted. */
static void
server_synthesis (gint processed)
{
  server_audio (processed);
  server_flush_completed ();
}

/* ------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_start_and_speak)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;
  InworldOutput *o;
  JsonObject *create;
  guint log0, out0;

  config_init (&a, "A");
  session_new ();

  /* before start() the protocol is not known: the text is kept */
  speak ("Before start.", TRUE, &a);
  assert_log (0, "");
  assert_outputs (0, "");

  session_start (kind, &a);
  /* the context with the text's settings, and its text pipelined: no
   * waiting for contextCreated */
  assert_log (0, "open1(A) text(Before start.)+flush");
  create = frame (0);
  if (kind == INWORLD) {
    JsonObject *c = json_object_get_object_member (create, "create");
    JsonObject *audio = json_object_get_object_member (c, "audioConfig");

    fail_unless_equals_string (opt_string (c, "modelId"), "inworld-tts-1");
    /* the session's format, not the config's PCM */
    fail_unless_equals_string (opt_string (audio, "audioEncoding"),
        "LINEAR16");
    fail_unless_equals_int (json_object_get_int_member (audio,
            "sampleRateHertz"), 16000);
    server_created ();
  } else {
    fail_unless_equals_string (opt_string (create, "encoding"), "LINEAR16");
    fail_unless_equals_int (json_object_get_int_member (create,
            "sample_rate"), 16000);
  }
  /* contextCreated sends nothing more; nothing is out before audio */
  assert_log (2, "");
  assert_outputs (0, "");

  server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1");
  o = output (0);
  fail_unless_equals_int (o->epoch, 0);
  fail_unless_equals_int (o->synthesis, 1);
  fail_unless_equals_string (o->context_id, context (1)->id);
  fail_unless_equals_int (g_bytes_get_size (o->audio), 320);
  o = output (2);
  fail_unless_equals_string (o->utterance->text, "Before start.");
  /* no count from the server: the characters sent */
  fail_unless_equals_int (o->characters, 13);

  /* an utterance in parts, ended by flush() */
  log0 = f->log->len;
  out0 = f->outputs->len;
  speak ("Second", FALSE, &a);
  speak (" part.", FALSE, &a);
  assert_log (log0, "text(Second) text( part.)");
  inworld_session_flush (f->session);
  settle ();
  assert_log (log0, "text(Second) text( part.) flush");
  assert_outputs (out0, "");
  server_synthesis (10);
  assert_outputs (out0, "audio:2 synth-end:2 utt-end:2");
  o = last_output (INWORLD_OUTPUT_UTTERANCE_END);
  fail_unless_equals_string (o->utterance->text, "Second part.");
  /* the server's count when it gave one */
  fail_unless_equals_int (o->characters, 10);
  /* the second synthesis the server ran */
  fail_unless_equals_int (last_output (INWORLD_OUTPUT_SYNTHESIS_END)->
      synthesis, 2);
  fail_unless_equals_int (last_output (INWORLD_OUTPUT_AUDIO)->synthesis, 2);
  /* a flush with nothing open sends nothing */
  log0 = f->log->len;
  inworld_session_flush (f->session);
  settle ();
  assert_log (log0, "");
  assert_outputs (out0 + 3, "");
  fail_unless_equals_int (f->contexts->len, 1);
}

GST_END_TEST;

/* With no text at start(), the context is opened at once (warm), with
 * the start's settings and epoch. */
GST_START_TEST (test_warm_start)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;

  config_init (&a, "A");
  session_new ();
  session_start_full (kind, &a, 0, 7);
  assert_log (0, "open1(A)");
  if (kind == INWORLD)
    server_created ();
  speak ("Hello.", TRUE, &a);
  assert_log (0, "open1(A) text(Hello.)+flush");
  server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1");
  fail_unless_equals_int (output (0)->epoch, 7);
  fail_unless_equals_int (output (2)->epoch, 7);
}

GST_END_TEST;

/* Utterances with nothing to speak are never sent; each still gets its
 * UTTERANCE_END, in order, and never a timeout. */
GST_START_TEST (test_nothing_to_speak)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;
  guint log0;

  config_init (&a, "A");
  session_new ();
  /* a 1 s timeout: waiting for a reply that never comes would fail */
  session_start_full (kind, &a, 1, 0);
  if (kind == INWORLD)
    server_created ();
  log0 = f->log->len;

  /* alone: done at once, without the server */
  speak ("...", TRUE, &a);
  assert_log (log0, "");
  assert_outputs (0, "utt-end:1");
  fail_unless_equals_int (output (0)->characters, 0);
  fail_unless_equals_string (output (0)->utterance->text, "...");

  /* between utterances with speech: in order, after the audio before */
  speak ("Hello.", TRUE, &a);
  speak ("-", TRUE, &a);
  speak ("\xe2\x99\xaa", TRUE, &a);     /* ♪ */
  speak ("Bye.", TRUE, &a);
  assert_log (log0, "text(Hello.)+flush text(Bye.)+flush");
  assert_outputs (1, "");
  server_synthesis (-1);
  assert_outputs (1, "audio:2 synth-end:2 utt-end:2 utt-end:3 utt-end:4");
  server_synthesis (-1);
  assert_outputs (1, "audio:2 synth-end:2 utt-end:2 utt-end:3 utt-end:4 "
      "audio:5 synth-end:5 utt-end:5");

  /* text with nothing to speak goes with the utterance's next text */
  log0 = f->log->len;
  speak ("... ", FALSE, &a);
  assert_log (log0, "");
  speak ("Yes.", TRUE, &a);
  assert_log (log0, "text(... Yes.)+flush");
  server_synthesis (-1);
  fail_unless_equals_string (last_output (INWORLD_OUTPUT_UTTERANCE_END)->
      utterance->text, "... Yes.");

  /* nothing is awaited: no timeout */
  run_for (1500);
  assert_outputs (1, "audio:2 synth-end:2 utt-end:2 utt-end:3 utt-end:4 "
      "audio:5 synth-end:5 utt-end:5 audio:6 synth-end:6 utt-end:6");
}

GST_END_TEST;

/* The server speaks unflushed text on its own (its buffer delay came
 * first): a synthesis of its own, no UTTERANCE_END until the utterance's
 * text is all done. */
GST_START_TEST (test_server_buffer_delay)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;
  InworldOutput *o;
  guint log0;

  config_init (&a, "A");
  /* the session would flush it itself after 300 ms */
  a.max_buffer_delay_ms = 400;
  session_new ();
  session_start (kind, &a);
  if (kind == INWORLD)
    server_created ();
  log0 = f->log->len;
  speak ("Hello there", FALSE, &a);
  assert_log (log0, "text(Hello there)");

  server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1");
  fail_unless_equals_int (output (1)->synthesis, 1);
  /* the buffer is the server's synthesis now: not flushed again */
  run_for (600);
  assert_log (log0, "text(Hello there)");
  assert_outputs (0, "audio:1 synth-end:1");

  speak (" friend.", TRUE, &a);
  /* the buffer was the server's synthesis: no flush of it is sent */
  assert_log (log0, "text(Hello there) text( friend.)+flush");
  server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1 audio:1 synth-end:1 utt-end:1");
  fail_unless_equals_int (output (3)->synthesis, 2);
  o = output (4);
  fail_unless_equals_string (o->utterance->text, "Hello there friend.");
  fail_unless_equals_int (o->characters, 19);
}

GST_END_TEST;

/* The session flushes unflushed text itself a little before the
 * service's buffer delay, so that the synthesis is one it asked for. */
GST_START_TEST (test_buffer_delay_flush)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;
  guint log0;
  gint64 t0;

  config_init (&a, "A");
  a.max_buffer_delay_ms = 400;
  session_new ();
  session_start (kind, &a);
  if (kind == INWORLD)
    server_created ();
  log0 = f->log->len;
  t0 = g_get_monotonic_time ();
  speak ("Hello there", FALSE, &a);
  assert_log (log0, "text(Hello there)");
  WAIT_UNTIL (f->log->len == log0 + 2);
  /* 400 ms less a quarter (100 ms) */
  fail_unless (g_get_monotonic_time () - t0 >= 250 * 1000,
      "flushed after %" G_GINT64_FORMAT " us", g_get_monotonic_time () - t0);
  assert_log (log0, "text(Hello there) flush");
  /* nothing was flushed by the element: no UTTERANCE_END */
  server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1");
  speak (" friend.", TRUE, &a);
  server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1 audio:1 synth-end:1 utt-end:1");
  fail_unless_equals_string (output (4)->utterance->text,
      "Hello there friend.");

  /* text with nothing to speak is no reason to flush */
  log0 = f->log->len;
  speak ("Hm", FALSE, &a);
  speak (", ", FALSE, &a);
  run_for (600);
  assert_log (log0, "text(Hm) text(, ) flush");
}

GST_END_TEST;

static gchar *
long_text (void)
{
  GString *s = g_string_new (NULL);

  /* 300 characters, 240 letters */
  for (guint i = 0; i < 59; i++)
    g_string_append (s, "word ");
  g_string_append (s, "last.");
  return g_string_free (s, FALSE);
}

/* A long flush the server synthesizes in parts: one SYNTHESIS_END per
 * part, one UTTERANCE_END once the server counted all of it. */
GST_START_TEST (test_server_parts)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;
  gchar *text = long_text ();
  gint64 t0;
  guint out0;

  config_init (&a, "A");
  session_new ();
  session_start (kind, &a);
  if (kind == INWORLD)
    server_created ();
  fail_unless_equals_int (g_utf8_strlen (text, -1), 300);

  speak (text, TRUE, &a);
  server_synthesis (120);
  assert_outputs (0, "audio:1 synth-end:1");
  server_synthesis (120);
  assert_outputs (0, "audio:1 synth-end:1 audio:1 synth-end:1 utt-end:1");
  fail_unless_equals_int (output (1)->synthesis, 1);
  fail_unless_equals_int (output (3)->synthesis, 2);
  fail_unless_equals_int (output (4)->characters, 240);

  /* a part, then the next utterance's audio: its count is nearer the
   * next utterance's than the rest of this one */
  out0 = f->outputs->len;
  speak (text, TRUE, &a);
  speak ("Next one.", TRUE, &a);
  server_synthesis (120);
  assert_outputs (out0, "audio:2 synth-end:2");
  server_synthesis (7);
  assert_outputs (out0, "audio:2 synth-end:2 utt-end:2 audio:3 synth-end:3 "
      "utt-end:3");

  /* a part and nothing more: taken as complete after a while */
  out0 = f->outputs->len;
  speak (text, TRUE, &a);
  t0 = g_get_monotonic_time ();
  server_synthesis (100);
  assert_outputs (out0, "audio:4 synth-end:4");
  WAIT_UNTIL (f->outputs->len == out0 + 3);
  fail_unless (g_get_monotonic_time () - t0 >= 1000 * 1000);
  assert_outputs (out0, "audio:4 synth-end:4 utt-end:4");
  g_free (text);
}

GST_END_TEST;

/* A flushed text over the threshold is cut where a sentence or a word
 * ends, each piece an utterance of its own (only the first keeps the
 * start time); unflushed text is flushed before the buffer would reach
 * the threshold, so that the service never cuts a synthesis itself. */
GST_START_TEST (test_threshold)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;
  gchar *text = long_text ();
  guint log0, out0;

  config_init (&a, "A");
  a.buffer_char_threshold = 100;
  session_new ();
  session_start (kind, &a);
  if (kind == INWORLD)
    server_created ();
  log0 = f->log->len;
  inworld_session_speak (f->session, text, TRUE, &a, 5 * GST_SECOND);
  settle ();
  fail_unless_equals_int (f->log->len, log0 + 3);
  for (guint i = 0; i < 3; i++) {
    gchar *entry = g_ptr_array_index (f->log, log0 + i);

    fail_unless (g_str_has_suffix (entry, "+flush"), "%s", entry);
    /* "text(" ... ")+flush" around at most 100 characters */
    fail_unless (g_utf8_strlen (entry, -1) - 12 <= 100, "%s", entry);
  }
  for (guint i = 0; i < 3; i++)
    server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1 audio:2 synth-end:2 "
      "utt-end:2 audio:3 synth-end:3 utt-end:3");
  fail_unless_equals_uint64 (output (2)->utterance->start, 5 * GST_SECOND);
  fail_unless_equals_uint64 (output (5)->utterance->start,
      INWORLD_SESSION_NO_TIME);
  fail_unless_equals_int (output (2)->characters + output (5)->characters
      + output (8)->characters, 300);

  /* unflushed: flushed at the threshold, one utterance in the end */
  log0 = f->log->len;
  out0 = f->outputs->len;
  for (guint i = 0; i < 3; i++)
    speak ("Sixty characters of text go here, and then some more words. ",
        FALSE, &a);
  inworld_session_flush (f->session);
  settle ();
  assert_log (log0, "text(Sixty characters of text go here, and then some "
      "more words. ) flush text(Sixty characters of text go here, and then "
      "some more words. ) flush text(Sixty characters of text go here, and "
      "then some more words. ) flush");
  for (guint i = 0; i < 3; i++)
    server_synthesis (-1);
  assert_outputs (out0, "audio:4 synth-end:4 audio:4 synth-end:4 audio:4 "
      "synth-end:4 utt-end:4");
  g_free (text);
}

GST_END_TEST;

/* Auto mode: every server synthesis is an utterance of its own, ended
 * by its flushCompleted; the end comes with contextClosed. */
GST_START_TEST (test_auto_mode)
{
  InworldSynthConfig a;
  JsonObject *create;
  guint log0;

  config_init (&a, "A");
  a.auto_mode = TRUE;
  session_new ();
  session_start (INWORLD, &a);
  assert_log (0, "open1(A)");
  create = json_object_get_object_member (frame (0), "create");
  fail_unless (json_object_get_boolean_member (create, "autoMode"));
  server_created ();

  speak ("One. ", FALSE, &a);
  speak ("Two. ", FALSE, &a);
  speak ("Three.", FALSE, &a);
  assert_log (1, "text(One. ) text(Two. ) text(Three.)");
  assert_outputs (0, "");

  /* the server's count says what each synthesis covered */
  server_synthesis (5);
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1");
  fail_unless_equals_string (output (2)->utterance->text, "One. ");
  fail_unless_equals_int (output (2)->characters, 5);
  server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1 audio:2 synth-end:2 "
      "utt-end:2");
  fail_unless_equals_string (output (5)->utterance->text, "Two. Three.");
  fail_unless_equals_int (output (4)->synthesis, 2);

  log0 = f->log->len;
  inworld_session_end (f->session);
  settle ();
  assert_log (log0, "flush close1");
  /* not before contextClosed: more syntheses may come */
  assert_outputs (6, "");
  server_closed ();
  assert_outputs (6, "end");
}

GST_END_TEST;

/* SLNG has no auto mode (no end of turn): a warning, and each utterance
 * is flushed as without it. */
GST_START_TEST (test_auto_mode_slng)
{
  InworldSynthConfig a;

  config_init (&a, "A");
  a.auto_mode = TRUE;
  session_new ();
  session_start (SLNG, &a);
  assert_outputs (0, "warning:settings-ignored");
  fail_if (json_object_has_member (frame (0), "autoMode"));
  speak ("One.", TRUE, &a);
  assert_log (1, "text(One.)+flush");
  server_synthesis (-1);
  assert_outputs (1, "audio:1 synth-end:1 utt-end:1");
}

GST_END_TEST;

/* Settings belong to utterances: new settings end the open utterance,
 * flushed with its own; then update_config (Inworld) or, once the old
 * context is done, a new context (SLNG) before the new text. */
GST_START_TEST (test_settings_per_utterance)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a, b;
  JsonObject *update;
  guint log0, out0;

  config_init (&a, "A");
  config_init (&b, "B");
  session_new ();
  session_start (kind, &a);
  if (kind == INWORLD)
    server_created ();

  speak ("Hello A.", FALSE, &a);
  speak ("Hello B.", FALSE, &b);
  inworld_session_flush (f->session);
  settle ();
  if (kind == INWORLD) {
    assert_log (0, "open1(A) text(Hello A.) flush update(B) text(Hello B.) "
        "flush");
    update = json_object_get_object_member (frame (3), "update_config");
    /* a model is a context's for good */
    fail_if (json_object_has_member (update, "modelId"));
    fail_unless_equals_string (opt_string (json_object_get_object_member
            (update, "audioConfig"), "audioEncoding"), "LINEAR16");
  } else {
    /* the context speaks A's text to the end first */
    assert_log (0, "open1(A) text(Hello A.) flush");
  }
  server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1");
  fail_unless_equals_string (output (2)->utterance->text, "Hello A.");
  if (kind == SLNG) {
    assert_log (3, "close1 free1 open2(B) text(Hello B.)+flush");
    fail_unless_equals_int (json_object_get_int_member (frame (3),
            "sample_rate"), 16000);
  }
  server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1 audio:2 synth-end:2 "
      "utt-end:2");
  fail_unless_equals_string (output (5)->utterance->text, "Hello B.");

  /* the same settings: no update, one utterance */
  log0 = f->log->len;
  out0 = f->outputs->len;
  speak ("Again", FALSE, &b);
  speak (" and again.", TRUE, &b);
  assert_log (log0, "text(Again) text( and again.)+flush");
  server_synthesis (-1);
  assert_outputs (out0, "audio:3 synth-end:3 utt-end:3");
  fail_unless_equals_string (output (out0 + 2)->utterance->text,
      "Again and again.");
  /* a setting of the same value in another string is no change */
  {
    InworldSynthConfig b2 = b;
    gchar *voice = g_strdup ("B");

    b2.voice = voice;
    log0 = f->log->len;
    speak ("Same.", TRUE, &b2);
    assert_log (log0, "text(Same.)+flush");
    g_free (voice);
  }
}

GST_END_TEST;

/* Inworld: a new model needs a new context, opened once the old one has
 * spoken its text (update_config cannot change it). */
GST_START_TEST (test_model_switch)
{
  InworldSynthConfig a, m;

  config_init (&a, "A");
  config_init (&m, "A");
  m.model = "inworld-tts-1-max";
  session_new ();
  session_start (INWORLD, &a);
  server_created ();
  speak ("One.", TRUE, &a);
  speak ("Two.", TRUE, &m);
  assert_log (0, "open1(A) text(One.)+flush");
  server_synthesis (-1);
  assert_log (0, "open1(A) text(One.)+flush close1 free1 open2(A) "
      "text(Two.)+flush");
  fail_unless_equals_string (opt_string (json_object_get_object_member
          (frame (2), "create"), "modelId"), "inworld-tts-1-max");
  server_created ();
  server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1 audio:2 synth-end:2 "
      "utt-end:2");
}

GST_END_TEST;

static gint
create_rate (guint i)
{
  JsonObject *create = json_object_get_object_member (frame (i), "create");

  return json_object_get_int_member (json_object_get_object_member (create,
          "audioConfig"), "sampleRateHertz");
}

/* A format set while an utterance is open applies from the next
 * utterance on, on a new context once the old one has given its audio;
 * each audio output says its format. */
GST_START_TEST (test_set_format)
{
  InworldSynthConfig a;

  config_init (&a, "A");
  session_new ();
  session_start (INWORLD, &a);
  server_created ();
  speak ("One", FALSE, &a);
  inworld_session_set_format (f->session, INWORLD_ENCODING_LINEAR16, 24000,
      0);
  settle ();
  speak (" more.", TRUE, &a);
  speak ("Two.", TRUE, &a);
  assert_log (0, "open1(A) text(One) text( more.)+flush");
  fail_unless_equals_int (create_rate (0), 16000);
  server_synthesis (-1);
  assert_log (0, "open1(A) text(One) text( more.)+flush close1 free1 "
      "open2(A) text(Two.)+flush");
  fail_unless_equals_int (create_rate (3), 24000);
  server_created ();
  server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1 audio:2 synth-end:2 "
      "utt-end:2");
  fail_unless_equals_int (output (0)->sample_rate, 16000);
  fail_unless_equals_int (output (3)->sample_rate, 24000);
  fail_unless_equals_int (output (3)->encoding, INWORLD_ENCODING_LINEAR16);

  /* the same format again changes nothing */
  inworld_session_set_format (f->session, INWORLD_ENCODING_LINEAR16, 24000,
      0);
  settle ();
  speak ("Three.", TRUE, &a);
  assert_log (0, "open1(A) text(One) text( more.)+flush close1 free1 "
      "open2(A) text(Two.)+flush text(Three.)+flush");
}

GST_END_TEST;

/* SLNG numbers its audio chunks: a gap is one warning (not one per
 * chunk), the audio still goes out; numbering may restart with each
 * synthesis. Inworld's chunks carry no numbers. */
GST_START_TEST (test_sequence)
{
  static const gint64 sequences[] = { 1, 2, 4, 5, 7 };
  InworldSynthConfig a;
  InworldEvent *event;

  config_init (&a, "A");
  session_new ();
  session_start (SLNG, &a);
  speak ("One.", TRUE, &a);
  for (guint i = 0; i < G_N_ELEMENTS (sequences); i++) {
    event = audio_event_new (-1);
    event->sequence = sequences[i];
    deliver (event);
  }
  server_flush_completed ();
  assert_outputs (0, "audio:1 audio:1 warning:bad-audio audio:1 audio:1 "
      "audio:1 synth-end:1 utt-end:1");
  fail_unless (strstr (output (2)->problem->message, "4") != NULL);

  /* a new synthesis may start again at 1 */
  speak ("Two.", TRUE, &a);
  for (guint i = 1; i <= 2; i++) {
    event = audio_event_new (-1);
    event->sequence = i;
    deliver (event);
  }
  server_flush_completed ();
  assert_outputs (8, "audio:2 audio:2 synth-end:2 utt-end:2");
}

GST_END_TEST;

/* Interrupt: the context is dropped and a fresh one opened; the old
 * context's late events give nothing; pending text is dropped; the
 * outputs after carry the new epoch. */
GST_START_TEST (test_interrupt)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;
  guint log0, out0;

  config_init (&a, "A");
  session_new ();
  session_start (kind, &a);
  if (kind == INWORLD)
    server_created ();
  speak ("First.", TRUE, &a);
  server_audio (-1);
  speak ("Pending", FALSE, &a);
  speak (" Queued.", TRUE, &a);
  assert_outputs (0, "audio:1");
  fail_unless_equals_int (output (0)->epoch, 0);

  log0 = f->log->len;
  out0 = f->outputs->len;
  inworld_session_interrupt (f->session, 5, FALSE);
  settle ();
  assert_log (log0, "close1 free1 open2(A)");
  assert_outputs (out0, "");

  if (kind == INWORLD) {
    /* late frames of the old context, routed to the session */
    InworldEvent *event = inworld_event_new (INWORLD_EVENT_AUDIO,
        context (1)->id);

    event->audio = g_bytes_new_static ("\0\0\0\0", 4);
    deliver_to (context (2), event);
    deliver_to (context (2), inworld_event_new
        (INWORLD_EVENT_FLUSH_COMPLETED, context (1)->id));
    deliver_to (context (2), inworld_event_new
        (INWORLD_EVENT_CONTEXT_CLOSED, context (1)->id));
    assert_outputs (out0, "");
    server_created ();
  }

  speak ("After.", TRUE, &a);
  /* "Pending" and "Queued." are not sent again */
  assert_log (log0, "close1 free1 open2(A) text(After.)+flush");
  server_synthesis (-1);
  /* indices go on: 1 First, 2 Pending Queued., 3 After. */
  assert_outputs (out0, "audio:3 synth-end:3 utt-end:3");
  for (guint i = out0; i < f->outputs->len; i++) {
    fail_unless_equals_int (output (i)->epoch, 5);
    fail_unless_equals_string (output (i)->context_id, context (2)->id);
  }

  /* the end after an interrupt: only what was spoken since counts */
  inworld_session_end (f->session);
  settle ();
  if (kind == INWORLD)
    server_closed ();
  assert_outputs (out0, "audio:3 synth-end:3 utt-end:3 end");
  fail_unless_equals_int (last_output (INWORLD_OUTPUT_END)->epoch, 5);
}

GST_END_TEST;

/* An interrupt keeps an end asked for before (the end comes at once,
 * nothing pending) unless told to forget it. */
GST_START_TEST (test_interrupt_end)
{
  InworldProtocolKind kind = __i__ % 2;
  gboolean cancel_end = __i__ >= 2;
  InworldSynthConfig a;
  guint log0;

  config_init (&a, "A");
  session_new ();
  session_start (kind, &a);
  if (kind == INWORLD)
    server_created ();
  speak ("One.", TRUE, &a);
  inworld_session_end (f->session);
  settle ();
  assert_outputs (0, "");
  log0 = f->log->len;
  inworld_session_interrupt (f->session, 1, cancel_end);
  settle ();

  if (!cancel_end) {
    assert_outputs (0, "end");
    fail_unless_equals_int (output (0)->epoch, 1);
    /* no new context for an ended stream, and no text after the end */
    speak ("Two.", TRUE, &a);
    fail_unless_equals_int (f->contexts->len, 1);
    assert_outputs (0, "end");
    return;
  }

  assert_outputs (0, "");
  fail_unless_equals_int (f->contexts->len, 2);
  if (kind == INWORLD)
    server_created ();
  log0 = f->log->len;
  speak ("Two.", TRUE, &a);
  assert_log (log0, "text(Two.)+flush");
  server_synthesis (-1);
  assert_outputs (0, "audio:2 synth-end:2 utt-end:2");
  fail_unless_equals_int (output (2)->epoch, 1);
}

GST_END_TEST;

/* An interrupt that cancels the end, asked while the session was ending
 * but carried out after the END it gave (a flushing seek upstream just as
 * everything was spoken): that END is of the older epoch, which the
 * element drops, so the session goes on with the text after it. An
 * interrupt of no newer epoch leaves an ended session ended. */
GST_START_TEST (test_interrupt_after_end)
{
  InworldProtocolKind kind = __i__ % 2;
  gboolean newer = __i__ >= 2;
  InworldSynthConfig a;
  guint out0;

  config_init (&a, "A");
  session_new ();
  session_start (kind, &a);
  if (kind == INWORLD)
    server_created ();
  speak ("One.", TRUE, &a);
  inworld_session_end (f->session);
  settle ();
  server_synthesis (-1);
  if (kind == INWORLD)
    server_closed ();
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1 end");
  fail_unless_equals_int (last_output (INWORLD_OUTPUT_END)->epoch, 0);

  out0 = f->outputs->len;
  inworld_session_interrupt (f->session, newer ? 1 : 0, TRUE);
  settle ();
  speak ("Two.", TRUE, &a);
  settle ();
  if (!newer) {
    fail_unless_equals_int (f->contexts->len, 1);
    assert_outputs (out0, "");
    return;
  }
  if (f->contexts->len == 2 && kind == INWORLD)
    server_created ();
  fail_unless_equals_int (f->contexts->len, 2);
  server_synthesis (-1);
  assert_outputs (out0, "audio:2 synth-end:2 utt-end:2");
  for (guint i = out0; i < f->outputs->len; i++)
    fail_unless_equals_int (output (i)->epoch, 1);
  fail_unless_equals_string (output (out0 + 2)->utterance->text, "Two.");
}

GST_END_TEST;

/* The end: what is pending is flushed and spoken, the context closed
 * (Inworld at once, answered after the audio; SLNG, whose close stops
 * the audio, only once it all came), then END. */
GST_START_TEST (test_end)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;
  guint log0;

  config_init (&a, "A");
  session_new ();
  session_start (kind, &a);
  if (kind == INWORLD)
    server_created ();
  log0 = f->log->len;
  speak ("Pending text", FALSE, &a);
  inworld_session_end (f->session);
  settle ();
  assert_log (log0, kind == INWORLD ? "text(Pending text) flush close1" :
      "text(Pending text) flush");
  speak ("Too late.", TRUE, &a);
  assert_log (log0, kind == INWORLD ? "text(Pending text) flush close1" :
      "text(Pending text) flush");
  assert_outputs (0, "");

  server_synthesis (-1);
  if (kind == INWORLD) {
    assert_outputs (0, "audio:1 synth-end:1 utt-end:1");
    server_closed ();
  } else {
    assert_log (log0, "text(Pending text) flush close1");
  }
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1 end");
  fail_unless_equals_string (output (2)->utterance->text, "Pending text");
  /* nothing follows */
  if (!current ()->freed)
    server_synthesis (-1);
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1 end");
}

GST_END_TEST;

/* A connection lost mid-synthesis: a warning, RESTART, the text sent
 * again on a new context, its utterance counted once. */
GST_START_TEST (test_disconnect_resend)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;
  InworldProblem *p;
  guint log0;

  config_init (&a, "A");
  session_new ();
  session_start (kind, &a);
  if (kind == INWORLD)
    server_created ();
  log0 = f->log->len;
  speak ("Hello world.", TRUE, &a);
  server_audio (-1);
  server_disconnected (1006);
  assert_outputs (0, "audio:1 warning:lost restart");
  p = output (1)->problem;
  fail_unless_equals_int (p->close_code, 1006);
  fail_unless_equals_int (p->http_status, 0);
  fail_unless_equals_int (p->chars_unspoken, 12);
  fail_unless_equals_int (p->chars_sent, 12);
  fail_unless_equals_string (p->context_id, context (1)->id);
  fail_unless_equals_int (p->attempts, 1);
  assert_log (log0, "text(Hello world.)+flush free1 open2(A) "
      "text(Hello world.)+flush");

  if (kind == INWORLD)
    server_created ();
  server_synthesis (-1);
  assert_outputs (0, "audio:1 warning:lost restart audio:1 synth-end:1 "
      "utt-end:1");
  /* sent twice, counted once */
  fail_unless_equals_int (output (5)->characters, 12);
  fail_unless_equals_string (output (5)->context_id, context (2)->id);

  /* lost with nothing pending: no warning, a new context for the next */
  log0 = f->log->len;
  server_disconnected (1006);
  assert_outputs (6, "");
  assert_log (log0, "free2");
  speak ("Again.", TRUE, &a);
  assert_log (log0, "free2 open3(A) text(Again.)+flush");
}

GST_END_TEST;

/* Five reconnections in a row without a flush completing, then the
 * error, with the facts of the loss. */
GST_START_TEST (test_retry_budget)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;
  InworldProblem *p;

  config_init (&a, "A");
  session_new ();
  session_start (kind, &a);
  speak ("Hello world.", TRUE, &a);
  for (guint i = 1; i <= 5; i++) {
    if (kind == INWORLD)
      server_created ();
    server_disconnected (1006);
    fail_unless_equals_int (f->contexts->len, i + 1);
    fail_unless_equals_string (g_ptr_array_index (f->log, f->log->len - 1),
        "text(Hello world.)+flush");
  }
  /* one warning; no audio had come, so nothing restarts */
  assert_outputs (0, "warning:lost");
  if (kind == INWORLD)
    server_created ();
  server_disconnected (1006);
  assert_outputs (0, "warning:lost error:lost");
  p = output (1)->problem;
  fail_unless_equals_int (p->close_code, 1006);
  fail_unless_equals_int (p->chars_unspoken, 12);
  fail_unless_equals_int (p->chars_sent, 12);
  fail_unless_equals_string (p->context_id, context (6)->id);
  /* the reconnections tried, as the message says */
  fail_unless_equals_int (p->attempts, 5);
  fail_unless (strstr (p->message, "5 attempts") != NULL, "%s", p->message);
  fail_unless_equals_string (p->uri, "ws://127.0.0.1:9/fake");
  /* nothing follows, no new context */
  fail_unless_equals_int (f->contexts->len, 6);
  if (!current ()->freed)
    server_synthesis (-1);
  assert_outputs (0, "warning:lost error:lost");
}

GST_END_TEST;

/* The count restarts once a flush completes. */
GST_START_TEST (test_retry_budget_resets)
{
  InworldSynthConfig a;

  config_init (&a, "A");
  session_new ();
  session_start (INWORLD, &a);
  for (guint round = 0; round < 2; round++) {
    speak ("Hello world.", TRUE, &a);
    for (guint i = 0; i < 4; i++) {
      server_created ();
      server_disconnected (1006);
    }
    server_created ();
    server_synthesis (-1);
  }
  /* eight losses, never five in a row */
  fail_unless_equals_int (f->contexts->len, 9);
  assert_outputs (0, "warning:lost audio:1 synth-end:1 utt-end:1 "
      "warning:lost audio:2 synth-end:2 utt-end:2");
}

GST_END_TEST;

typedef struct
{
  InworldProtocolKind protocol;
  InworldEventType type;
  gboolean in_context;
  gboolean created;             /* contextCreated came before */
  gint code;
  const gchar *code_name;
  guint times;                  /* delivered this many times */
  InworldProblemKind kind;
  gint grpc_code;
  const gchar *expected_name;
  guint http_status;
} ErrorRow;

static const ErrorRow error_rows[] = {
  {INWORLD, INWORLD_EVENT_ERROR, TRUE, TRUE, 16, NULL, 1,
      INWORLD_PROBLEM_AUTH, 16, "UNAUTHENTICATED", 0},
  {INWORLD, INWORLD_EVENT_ERROR, TRUE, FALSE, 3, "INVALID_ARGUMENT", 1,
      INWORLD_PROBLEM_SETTINGS, 3, "INVALID_ARGUMENT", 0},
  {INWORLD, INWORLD_EVENT_ERROR, TRUE, FALSE, 5, NULL, 1,
      INWORLD_PROBLEM_SETTINGS, 5, "NOT_FOUND", 0},
  {INWORLD, INWORLD_EVENT_ERROR, TRUE, FALSE, 8, NULL, 1,
      INWORLD_PROBLEM_BUSY, 8, "RESOURCE_EXHAUSTED", 0},
  {INWORLD, INWORLD_EVENT_ERROR, TRUE, TRUE, 8, NULL, 6,
      INWORLD_PROBLEM_BUSY, 8, "RESOURCE_EXHAUSTED", 0},
  {INWORLD, INWORLD_EVENT_ERROR, FALSE, TRUE, 13, NULL, 1,
      INWORLD_PROBLEM_SERVER, 13, "INTERNAL", 0},
  {INWORLD, INWORLD_EVENT_DISCONNECTED, FALSE, FALSE, 401, NULL, 1,
      INWORLD_PROBLEM_AUTH, -1, NULL, 401},
  {SLNG, INWORLD_EVENT_ERROR, FALSE, FALSE, 0, "auth_error", 1,
      INWORLD_PROBLEM_AUTH, -1, "auth_error", 0},
  {SLNG, INWORLD_EVENT_ERROR, FALSE, FALSE, 0, "config_error", 1,
      INWORLD_PROBLEM_SETTINGS, -1, "config_error", 0},
  {SLNG, INWORLD_EVENT_ERROR, FALSE, FALSE, 0, "rate_limit", 6,
      INWORLD_PROBLEM_BUSY, -1, "rate_limit", 0},
  {SLNG, INWORLD_EVENT_ERROR, FALSE, FALSE, 0, "internal_error", 1,
      INWORLD_PROBLEM_SERVER, -1, "internal_error", 0},
  {SLNG, INWORLD_EVENT_DISCONNECTED, FALSE, FALSE, 0, NULL, 1,
      INWORLD_PROBLEM_UNREACHABLE, -1, NULL, 0},
};

/* The server's errors map to the problem's kind and details. */
GST_START_TEST (test_server_errors)
{
  const ErrorRow *row = &error_rows[__i__];
  InworldSynthConfig a;
  InworldOutput *o;
  guint errors = 0;

  config_init (&a, "A");
  session_new ();
  session_start (row->protocol, &a);
  speak ("Hello.", TRUE, &a);
  for (guint i = 0; i < row->times; i++) {
    InworldEvent *event;

    if (row->created)
      server_created ();
    event = inworld_event_new (row->type, row->in_context ? current ()->id
        : NULL);
    event->code = row->code;
    event->code_name = g_strdup (row->code_name);
    event->message = g_strdup ("refused");
    deliver (event);
  }
  for (guint i = 0; i < f->outputs->len; i++)
    if (output (i)->type == INWORLD_OUTPUT_ERROR)
      errors++;
  fail_unless_equals_int (errors, 1);
  o = output (f->outputs->len - 1);
  fail_unless_equals_int (o->type, INWORLD_OUTPUT_ERROR);
  fail_unless_equals_string (inworld_problem_kind_name (o->problem->kind),
      inworld_problem_kind_name (row->kind));
  fail_unless_equals_int (o->problem->grpc_code, row->grpc_code);
  fail_unless_equals_string (o->problem->code_name, row->expected_name);
  fail_unless_equals_int (o->problem->http_status, row->http_status);
  fail_unless_equals_int (o->problem->close_code, 0);
  fail_unless_equals_string (o->problem->context_id, current ()->id);
  fail_unless_equals_int (o->problem->chars_unspoken, 6);
  fail_unless (o->problem->message && o->problem->message[0]);
  /* attempts in the details are the ones the message counts */
  if (strstr (o->problem->message, " attempts")) {
    gchar *said = g_strdup_printf (" %u attempts", o->problem->attempts);

    fail_unless (strstr (o->problem->message, said) != NULL,
        "'%s' not in '%s'", said, o->problem->message);
    g_free (said);
  }
  /* nothing follows */
  if (!current ()->freed) {
    server_synthesis (-1);
    fail_unless (output (f->outputs->len - 1) == o);
  }
}

GST_END_TEST;

/* No reply for timeout_s: the error, with what was not spoken. */
GST_START_TEST (test_timeout)
{
  InworldProtocolKind kind = __i__;
  InworldSynthConfig a;
  InworldProblem *p;
  gint64 t0;

  config_init (&a, "A");
  session_new ();
  session_start_full (kind, &a, 1, 0);
  if (kind == INWORLD)
    server_created ();
  t0 = g_get_monotonic_time ();
  speak ("Hello.", TRUE, &a);
  WAIT_UNTIL (f->outputs->len > 0);
  fail_unless (g_get_monotonic_time () - t0 >= 900 * 1000);
  assert_outputs (0, "error:timeout");
  p = output (0)->problem;
  fail_unless_equals_int (p->chars_unspoken, 6);
  fail_unless_equals_int (p->chars_sent, 6);
  fail_unless_equals_string (p->context_id, context (1)->id);
}

GST_END_TEST;

/* Inworld: a context never acknowledged times out too. */
GST_START_TEST (test_timeout_create)
{
  InworldSynthConfig a;

  config_init (&a, "A");
  session_new ();
  session_start_full (INWORLD, &a, 1, 0);
  assert_log (0, "open1(A)");
  WAIT_UNTIL (f->outputs->len > 0);
  assert_outputs (0, "error:timeout");
}

GST_END_TEST;

static InworldTimings *
timings_new (gboolean characters, const gchar * const *tokens)
{
  InworldTimings *t = g_new0 (InworldTimings, 1);

  t->characters = characters;
  t->n = g_strv_length ((gchar **) tokens);
  t->tokens = g_strdupv ((gchar **) tokens);
  t->start = g_new0 (gdouble, t->n);
  t->end = g_new0 (gdouble, t->n);
  for (guint i = 0; i < t->n; i++) {
    t->start[i] = i * 0.5;
    t->end[i] = i * 0.5 + 0.25;
  }
  return t;
}

GST_START_TEST (test_keep_words)
{
  static const gchar *const words[] = { "Hello", " ", ",", "world", "!",
    "42", "\xe2\x99\xaa", NULL
  };
  static const gchar *const punct[] = { " ", ".", "...", NULL };
  static const gchar *const chars[] = { "H", "i", " ", "!", NULL };
  InworldTimings *t;
  InworldSynthConfig a;
  InworldEvent *event;

  t = inworld_timings_keep_words (timings_new (FALSE, words));
  fail_unless (t != NULL);
  fail_unless_equals_int (t->n, 3);
  fail_unless_equals_string (t->tokens[0], "Hello");
  fail_unless_equals_string (t->tokens[1], "world");
  fail_unless_equals_string (t->tokens[2], "42");
  fail_unless (t->tokens[3] == NULL);
  /* each kept token keeps its own times */
  fail_unless_equals_float (t->start[1], 1.5);
  fail_unless_equals_float (t->end[1], 1.75);
  fail_unless_equals_float (t->start[2], 2.5);
  inworld_timings_free (t);

  fail_unless (inworld_timings_keep_words (timings_new (FALSE, punct)) ==
      NULL);
  fail_unless (inworld_timings_keep_words (NULL) == NULL);

  t = inworld_timings_keep_words (timings_new (TRUE, chars));
  fail_unless_equals_int (t->n, 4);
  fail_unless_equals_string (t->tokens[2], " ");
  fail_unless_equals_string (t->tokens[3], "!");
  inworld_timings_free (t);

  /* through the session: a TIMINGS output with the words only */
  config_init (&a, "A");
  a.timestamp_type = INWORLD_TIMESTAMP_WORD;
  session_new ();
  session_start (INWORLD, &a);
  server_created ();
  speak ("Hello, world!", TRUE, &a);
  event = audio_event_new (-1);
  event->timings = timings_new (FALSE, words);
  deliver (event);
  event = event_new (INWORLD_EVENT_AUDIO);
  event->timings = timings_new (FALSE, punct);
  deliver (event);
  server_flush_completed ();
  /* a chunk's timings come before its audio (the element knows the words
   * of the audio it pushes: inworld-interrupted) */
  assert_outputs (0, "timings:1 audio:1 synth-end:1 utt-end:1");
  t = output (0)->timings;
  fail_unless_equals_int (t->n, 3);
  fail_unless_equals_string (t->tokens[1], "world");
}

GST_END_TEST;

/* inworld_session_free() from another thread while outputs flow: none
 * comes once it has returned. */
typedef struct
{
  GMainLoop *loop;
  GThread *thread;
} LoopThread;

static gpointer
run_loop (gpointer data)
{
  LoopThread *lt = data;

  g_main_context_push_thread_default (f->context);
  g_main_loop_run (lt->loop);
  g_main_context_pop_thread_default (f->context);
  return NULL;
}

static gboolean
feed_audio (gpointer data)
{
  static const guint8 samples[64] = { 0, };
  FakeContext *c = data;
  InworldEvent *event;

  /* the transport delivers nothing of a freed context */
  if (c->freed)
    return G_SOURCE_REMOVE;
  event = inworld_event_new (INWORLD_EVENT_AUDIO, c->id);
  event->audio = g_bytes_new_static (samples, sizeof (samples));
  c->func (event, c->user_data);
  return G_SOURCE_CONTINUE;
}

static guint
locked_len (GPtrArray * array)
{
  guint len;

  g_mutex_lock (&f->lock);
  len = array->len;
  g_mutex_unlock (&f->lock);
  return len;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

GST_START_TEST (test_free_from_thread)
{
  LoopThread lt;
  InworldSynthConfig a;

  config_init (&a, "A");
  lt.loop = g_main_loop_new (f->context, FALSE);
  lt.thread = g_thread_new ("session-context", run_loop, &lt);

  for (guint round = 0; round < 20; round++) {
    guint contexts = locked_len (f->contexts);
    guint outputs = locked_len (f->outputs);
    gint64 deadline = g_get_monotonic_time () + WAIT_US;
    FakeContext *c;
    GSource *feeder;
    InworldSessionStart start;

    session_new ();
    memset (&start, 0, sizeof (start));
    start.connection.uri = "ws://127.0.0.1:9/fake";
    start.connection.protocol = INWORLD;
    start.encoding = INWORLD_ENCODING_LINEAR16;
    start.sample_rate = 16000;
    start.config = &a;
    inworld_session_start (f->session, &start);
    inworld_session_speak (f->session, "Hello.", TRUE, &a,
        INWORLD_SESSION_NO_TIME);
    while (locked_len (f->contexts) == contexts) {
      fail_unless (g_get_monotonic_time () < deadline);
      g_usleep (1000);
    }
    g_mutex_lock (&f->lock);
    c = g_ptr_array_index (f->contexts, contexts);
    g_mutex_unlock (&f->lock);
    feeder = g_idle_source_new ();
    g_source_set_callback (feeder, feed_audio, c, NULL);
    g_source_attach (feeder, f->context);
    g_source_unref (feeder);
    while (locked_len (f->outputs) < outputs + 50) {
      fail_unless (g_get_monotonic_time () < deadline);
      g_usleep (100);
    }
    /* operations racing the free are dropped, not run on a freed one */
    inworld_session_speak (f->session, "More.", TRUE, &a,
        INWORLD_SESSION_NO_TIME);
    g_usleep (g_random_int_range (0, 500));
    inworld_session_free (f->session);
    f->session = NULL;
    outputs = locked_len (f->outputs);
    g_usleep (20 * 1000);
    fail_unless_equals_int (locked_len (f->outputs), outputs);
    /* the context is let go, on the session's thread */
    while (!g_atomic_int_get (&c->freed)) {
      fail_unless (g_get_monotonic_time () < deadline);
      g_usleep (1000);
    }
  }

  g_main_context_invoke (f->context, quit_loop, lt.loop);
  g_thread_join (lt.thread);
  g_main_loop_unref (lt.loop);
}

GST_END_TEST;

/* With a cache: a whole utterance that was spoken before gives its
 * stored outputs without a frame sent, after the utterances owed before
 * it; a restarted one is not stored (docs/cache.md). */
GST_START_TEST (test_cache)
{
  InworldSynthConfig a;
  InworldSessionStats stats = { 0 };
  guint log0, out0;

  f->cache_dir = g_dir_make_tmp ("inworld-session-cache-XXXXXX", NULL);
  f->cache = inworld_cache_new (f->cache_dir, 0, NULL);
  config_init (&a, "A");
  session_new ();
  session_start (INWORLD, &a);
  /* no warm start: the first utterances may need no server */
  assert_log (0, "");
  speak ("One.", TRUE, &a);
  speak ("Two.", TRUE, &a);
  server_created ();
  server_synthesis (4);
  server_synthesis (4);
  assert_log (0, "open1(A) text(One.)+flush text(Two.)+flush");
  assert_outputs (0, "audio:1 synth-end:1 utt-end:1 audio:2 synth-end:2 "
      "utt-end:2");
  inworld_session_get_stats (f->session, &stats);
  fail_unless_equals_int (stats.cache_misses, 2);
  fail_unless_equals_int (stats.cache_hits, 0);
  inworld_session_stats_clear (&stats);
  session_free ();
  g_atomic_int_set (&f->freed, FALSE);

  /* a miss, then the two hits: they wait for it */
  session_new ();
  session_start (INWORLD, &a);
  log0 = f->log->len;
  out0 = f->outputs->len;
  speak ("Three.", TRUE, &a);
  speak ("One.", TRUE, &a);
  speak ("Two.", TRUE, &a);
  assert_log (log0, "open2(A) text(Three.)+flush");
  assert_outputs (out0, "");
  server_created ();
  server_synthesis (6);
  assert_outputs (out0, "audio:1 synth-end:1 utt-end:1 audio:2 synth-end:2 "
      "utt-end:2 audio:3 synth-end:3 utt-end:3");
  fail_unless_equals_string (output (out0 + 2)->context_id, context (2)->id);
  fail_unless (output (out0 + 3)->context_id == NULL);
  fail_unless (output (out0 + 5)->context_id == NULL);
  fail_unless_equals_int (output (out0 + 5)->characters, 4);
  fail_unless_equals_int (g_bytes_get_size (output (out0 + 3)->audio), 320);
  fail_unless (output (out0 + 3)->synthesis != output (out0 + 6)->synthesis);
  inworld_session_get_stats (f->session, &stats);
  fail_unless_equals_int (stats.cache_misses, 1);
  fail_unless_equals_int (stats.cache_hits, 2);
  inworld_session_stats_clear (&stats);

  /* lost mid-synthesis and spoken again: not stored */
  log0 = f->log->len;
  speak ("Four.", TRUE, &a);
  server_audio (-1);
  server_disconnected (1006);
  server_created ();
  server_synthesis (5);
  inworld_cache_sync (f->cache);
  out0 = f->outputs->len;
  speak ("Four.", TRUE, &a);
  speak ("One.", TRUE, &a);
  assert_log (log0, "text(Four.)+flush free2 open3(A) text(Four.)+flush "
      "text(Four.)+flush");
  server_synthesis (5);
  assert_outputs (out0, "audio:5 synth-end:5 utt-end:5 audio:6 synth-end:6 "
      "utt-end:6");
}

GST_END_TEST;

static Suite *
session_suite (void)
{
  Suite *s = suite_create ("inworldsession");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_start_and_speak, INWORLD, SLNG + 1);
  tcase_add_loop_test (tc, test_warm_start, INWORLD, SLNG + 1);
  tcase_add_loop_test (tc, test_nothing_to_speak, INWORLD, SLNG + 1);
  tcase_add_loop_test (tc, test_server_buffer_delay, INWORLD, SLNG + 1);
  tcase_add_loop_test (tc, test_buffer_delay_flush, INWORLD, SLNG + 1);
  tcase_add_loop_test (tc, test_server_parts, INWORLD, SLNG + 1);
  tcase_add_loop_test (tc, test_threshold, INWORLD, SLNG + 1);
  tcase_add_test (tc, test_auto_mode);
  tcase_add_test (tc, test_auto_mode_slng);
  tcase_add_loop_test (tc, test_settings_per_utterance, INWORLD, SLNG + 1);
  tcase_add_test (tc, test_model_switch);
  tcase_add_test (tc, test_set_format);
  tcase_add_test (tc, test_sequence);
  tcase_add_loop_test (tc, test_interrupt, INWORLD, SLNG + 1);
  tcase_add_loop_test (tc, test_interrupt_end, 0, 4);
  tcase_add_loop_test (tc, test_interrupt_after_end, 0, 4);
  tcase_add_loop_test (tc, test_end, INWORLD, SLNG + 1);
  tcase_add_loop_test (tc, test_disconnect_resend, INWORLD, SLNG + 1);
  tcase_add_loop_test (tc, test_retry_budget, INWORLD, SLNG + 1);
  tcase_add_test (tc, test_retry_budget_resets);
  tcase_add_loop_test (tc, test_server_errors, 0, G_N_ELEMENTS (error_rows));
  tcase_add_loop_test (tc, test_timeout, INWORLD, SLNG + 1);
  tcase_add_test (tc, test_timeout_create);
  tcase_add_test (tc, test_keep_words);
  tcase_add_test (tc, test_free_from_thread);
  tcase_add_test (tc, test_cache);
  return s;
}

GST_CHECK_MAIN (session);
