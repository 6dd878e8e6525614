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

static const gchar *
kind_name (InworldProblemKind kind)
{
  static const gchar *const names[] = {
    "auth", "settings", "busy", "unreachable", "lost", "too-big", "timeout",
    "server", "bad-frame", "bad-audio", "settings-ignored"
  };

  return (guint) kind < G_N_ELEMENTS (names) ? names[kind] : "?";
}

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
        g_string_append_printf (s, "warning:%s", kind_name (o->problem->kind));
        break;
      case INWORLD_OUTPUT_ERROR:
        g_string_append_printf (s, "error:%s", kind_name (o->problem->kind));
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

static JsonObject *
last_frame (void)
{
  return frame (f->frames->len - 1);
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
  return s;
}

GST_CHECK_MAIN (session);
