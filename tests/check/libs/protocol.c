/* inworldttssrc: protocol layer tests
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
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "inworldprotocol.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static const InworldProtocol *
inworld (void)
{
  return inworld_protocol_get (INWORLD_PROTOCOL_INWORLD);
}

static const InworldProtocol *
slng (void)
{
  return inworld_protocol_get (INWORLD_PROTOCOL_SLNG);
}

/* Parses a built frame back; the frame must be one JSON object. */
static JsonNode *
load (const gchar * frame)
{
  GError *error = NULL;
  JsonNode *node;

  fail_unless (frame != NULL);
  node = json_from_string (frame, &error);
  fail_unless (node != NULL, "built frame is not JSON: %s: %s", frame,
      error ? error->message : "");
  fail_unless (JSON_NODE_HOLDS_OBJECT (node), "not an object: %s", frame);
  return node;
}

/* The node at a dotted @path ("create.audioConfig.bitRate"), or NULL */
static JsonNode *
at (JsonNode * root, const gchar * path)
{
  gchar **parts = g_strsplit (path, ".", -1);
  JsonNode *node = root;

  for (gchar ** p = parts; *p && node; p++) {
    if (!JSON_NODE_HOLDS_OBJECT (node)) {
      node = NULL;
      break;
    }
    node = json_object_get_member (json_node_get_object (node), *p);
  }
  g_strfreev (parts);
  return node;
}

static void
assert_str (JsonNode * root, const gchar * path, const gchar * expected)
{
  JsonNode *node = at (root, path);

  fail_unless (node != NULL, "%s missing", path);
  fail_unless (JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING,
      "%s is not a string", path);
  fail_unless_equals_string (json_node_get_string (node), expected);
}

static void
assert_int (JsonNode * root, const gchar * path, gint64 expected)
{
  JsonNode *node = at (root, path);

  fail_unless (node != NULL, "%s missing", path);
  fail_unless (JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_INT64,
      "%s is not an integer", path);
  fail_unless_equals_int64 (json_node_get_int (node), expected);
}

static void
assert_double (JsonNode * root, const gchar * path, gdouble expected)
{
  JsonNode *node = at (root, path);

  fail_unless (node != NULL, "%s missing", path);
  fail_unless (JSON_NODE_HOLDS_VALUE (node), "%s is not a value", path);
  fail_unless (json_node_get_double (node) == expected, "%s: %g != %g", path,
      json_node_get_double (node), expected);
}

static void
assert_bool (JsonNode * root, const gchar * path, gboolean expected)
{
  JsonNode *node = at (root, path);

  fail_unless (node != NULL, "%s missing", path);
  fail_unless (JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_BOOLEAN,
      "%s is not a boolean", path);
  fail_unless_equals_int (json_node_get_boolean (node), expected);
}

static void
assert_absent (JsonNode * root, const gchar * path)
{
  fail_unless (at (root, path) == NULL, "%s should be absent", path);
}

/* @path is an object with @n members ("" for the root) */
static void
assert_members (JsonNode * root, const gchar * path, guint n)
{
  JsonNode *node = *path ? at (root, path) : root;

  fail_unless (node != NULL && JSON_NODE_HOLDS_OBJECT (node),
      "%s is not an object", path);
  fail_unless_equals_int (json_object_get_size (json_node_get_object (node)),
      n);
}

static GPtrArray *
new_events (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) inworld_event_free);
}

/* Parses @frame from an exactly-sized heap copy (no NUL after it, so
 * valgrind sees any read past the end). */
static gboolean
parse_len (const InworldProtocol * proto, const gchar * frame, gsize length,
    GPtrArray * events, GError ** error)
{
  gchar *copy = g_memdup2 (frame, length);
  gboolean ret = proto->parse (copy, length, events, error);

  g_free (copy);
  return ret;
}

static GPtrArray *
parse_ok (const InworldProtocol * proto, const gchar * frame)
{
  GPtrArray *events = new_events ();
  GError *error = NULL;

  fail_unless (parse_len (proto, frame, strlen (frame), events, &error),
      "refused %s: %s", frame, error ? error->message : "(no error)");
  fail_unless (error == NULL);
  return events;
}

static InworldEvent *
parse_one (const InworldProtocol * proto, const gchar * frame,
    GPtrArray ** events)
{
  *events = parse_ok (proto, frame);
  fail_unless_equals_int ((*events)->len, 1);
  return g_ptr_array_index (*events, 0);
}

static void
parse_none (const InworldProtocol * proto, const gchar * frame)
{
  GPtrArray *events = parse_ok (proto, frame);

  fail_unless_equals_int (events->len, 0);
  g_ptr_array_unref (events);
}

/* @frame (of @length bytes, -1: strlen) is refused with @code; an event
 * already in the array stays the only one. Returns the error message. */
static gchar *
parse_fails_len (const InworldProtocol * proto, const gchar * frame,
    gssize length, gint code)
{
  GPtrArray *events = new_events ();
  GError *error = NULL;
  gchar *message;

  g_ptr_array_add (events, inworld_event_new (INWORLD_EVENT_AUDIO, "old"));
  if (length < 0)
    length = strlen (frame);
  fail_if (parse_len (proto, frame, length, events, &error),
      "accepted %.200s", frame);
  fail_unless (error != NULL);
  fail_unless (error->domain == INWORLD_PROTOCOL_ERROR);
  fail_unless (error->code == code, "%.100s: code %d (%s), expected %d",
      frame, error->code, error->message, code);
  fail_unless (strlen (error->message) > 0);
  fail_unless (strlen (error->message) < 200, "long message: %s",
      error->message);
  fail_unless_equals_int (events->len, 1);
  message = g_strdup (error->message);
  g_error_free (error);
  g_ptr_array_unref (events);
  return message;
}

static void
parse_fails (const InworldProtocol * proto, const gchar * frame, gint code)
{
  g_free (parse_fails_len (proto, frame, -1, code));
}

static void
assert_message_has (const InworldProtocol * proto, const gchar * frame,
    gint code, const gchar * part)
{
  gchar *message = parse_fails_len (proto, frame, -1, code);

  fail_unless (strstr (message, part) != NULL, "'%s' not in '%s'", part,
      message);
  g_free (message);
}

static void
assert_audio (InworldEvent * event, const gchar * expected, gsize size)
{
  gsize got;
  const guint8 *data;

  fail_unless (event->audio != NULL);
  data = g_bytes_get_data (event->audio, &got);
  fail_unless_equals_uint64 (got, size);
  fail_unless (memcmp (data, expected, size) == 0);
}

static InworldSynthConfig
full_config (void)
{
  InworldSynthConfig config;

  inworld_synth_config_init (&config);
  config.voice = "Dennis";
  config.model = "inworld-tts-1.5-max";
  config.language = "en-US";
  config.temperature = 0.9;
  config.speaking_rate = 1.1;
  config.encoding = INWORLD_ENCODING_MP3;
  config.sample_rate = 24000;
  config.bitrate = 64000;
  config.timestamp_type = INWORLD_TIMESTAMP_WORD;
  config.text_normalization = INWORLD_TEXT_NORMALIZATION_OFF;
  config.auto_mode = TRUE;
  config.auto_mode_strategy = INWORLD_AUTO_MODE_STRATEGY_SENTENCE_BOUNDARY;
  config.timestamp_transport = INWORLD_TIMESTAMP_TRANSPORT_ASYNC;
  config.delivery_mode = INWORLD_DELIVERY_MODE_CREATIVE;
  config.buffer_char_threshold = 0;
  config.max_buffer_delay_ms = 1500;
  return config;
}

#define OK_STATUS "\"status\":{\"code\":0,\"message\":\"\",\"details\":[]}"

/* ------------------------------------------------------------------------
 * Basics
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_tables)
{
  const InworldProtocol *i = inworld (), *s = slng ();

  fail_unless (i != NULL && s != NULL && i != s);
  fail_unless_equals_int (i->kind, INWORLD_PROTOCOL_INWORLD);
  fail_unless_equals_int (s->kind, INWORLD_PROTOCOL_SLNG);
  /* what differs between the protocols is in the tables */
  fail_unless_equals_int (i->contexts_per_connection, 5);
  fail_unless_equals_int (s->contexts_per_connection, 1);
  fail_unless_equals_string (i->auth_scheme, "Basic");
  fail_unless_equals_string (s->auth_scheme, "Bearer");
  fail_unless_equals_string (i->api_key_env, "INWORLD_API_KEY");
  fail_unless_equals_string (s->api_key_env, "SLNG_API_KEY");
  fail_unless (i->acks_create && i->acks_close && i->timings && i->auto_mode);
  fail_if (s->acks_create || s->acks_close || s->timings || s->auto_mode);
  fail_unless (!i->sequenced && s->sequenced);
  fail_unless (i->sample_rates == NULL);
  fail_unless (s->sample_rates != NULL && s->sample_rates[0] == 8000
      && s->sample_rates[6] == 48000 && s->sample_rates[7] == 0);
  fail_unless (i->name && s->name && strcmp (i->name, s->name) != 0);
  fail_unless (i->build_create && i->build_send_text && i->build_flush
      && i->build_update_config && i->build_close && i->parse);
  /* SLNG cannot change a running session */
  fail_unless (s->build_create && s->build_send_text && s->build_flush
      && s->build_update_config == NULL && s->build_close && s->parse);
  fail_unless (inworld_protocol_error_quark () != 0);
  fail_unless (INWORLD_PROTOCOL_ERROR == inworld_protocol_error_quark ());
}

GST_END_TEST;

GST_START_TEST (test_config_init)
{
  InworldSynthConfig config;

  memset (&config, 0x55, sizeof (config));
  inworld_synth_config_init (&config);
  fail_unless (config.voice == NULL && config.model == NULL
      && config.language == NULL);
  fail_unless (config.temperature == 0.0 && config.speaking_rate == 0.0);
  fail_unless_equals_int (config.encoding, INWORLD_ENCODING_PCM);
  fail_unless_equals_int (config.sample_rate, 0);
  fail_unless_equals_int (config.bitrate, 0);
  fail_unless_equals_int (config.timestamp_type, INWORLD_TIMESTAMP_NONE);
  fail_unless_equals_int (config.text_normalization,
      INWORLD_TEXT_NORMALIZATION_AUTO);
  fail_if (config.auto_mode);
  fail_unless_equals_int (config.buffer_char_threshold, -1);
  fail_unless_equals_int (config.max_buffer_delay_ms, -1);
}

GST_END_TEST;

GST_START_TEST (test_encoding_strings)
{
  static const struct
  {
    InworldEncoding encoding;
    const gchar *name;
  } table[] = {
    {INWORLD_ENCODING_PCM, "PCM"},
    {INWORLD_ENCODING_LINEAR16, "LINEAR16"},
    {INWORLD_ENCODING_WAV, "WAV"},
    {INWORLD_ENCODING_MP3, "MP3"},
    {INWORLD_ENCODING_OGG_OPUS, "OGG_OPUS"},
    {INWORLD_ENCODING_FLAC, "FLAC"},
    {INWORLD_ENCODING_ALAW, "ALAW"},
    {INWORLD_ENCODING_MULAW, "MULAW"},
  };
  InworldEncoding out;

  for (guint i = 0; i < G_N_ELEMENTS (table); i++) {
    gchar *lower = g_ascii_strdown (table[i].name, -1);

    fail_unless_equals_string (inworld_encoding_to_string (table[i].encoding),
        table[i].name);
    out = INWORLD_ENCODING_PCM + 100;
    fail_unless (inworld_encoding_from_string (table[i].name, &out));
    fail_unless_equals_int (out, table[i].encoding);
    out = INWORLD_ENCODING_PCM + 100;
    fail_unless (inworld_encoding_from_string (lower, &out));
    fail_unless_equals_int (out, table[i].encoding);
    g_free (lower);
  }
  out = INWORLD_ENCODING_MP3;
  fail_if (inworld_encoding_from_string ("OPUS", &out));
  fail_if (inworld_encoding_from_string ("", &out));
  fail_if (inworld_encoding_from_string (NULL, &out));
  fail_if (inworld_encoding_from_string ("PCM ", &out));
  fail_unless_equals_int (out, INWORLD_ENCODING_MP3);
  fail_unless (inworld_encoding_from_string ("WAV", NULL));
  fail_unless (inworld_encoding_to_string ((InworldEncoding) 99) == NULL);
}

GST_END_TEST;

GST_START_TEST (test_events)
{
  InworldEvent *event;
  const gchar *names[8];

  event = inworld_event_new (INWORLD_EVENT_AUDIO, "ctx");
  fail_unless_equals_int (event->type, INWORLD_EVENT_AUDIO);
  fail_unless_equals_string (event->context_id, "ctx");
  fail_unless (event->audio == NULL && event->timings == NULL);
  fail_unless_equals_int (event->processed_chars, -1);
  fail_unless_equals_int64 (event->sequence, -1);
  fail_unless (event->duration < 0);
  fail_unless_equals_int (event->code, 0);
  fail_unless (event->code_name == NULL && event->message == NULL);
  fail_if (event->fatal);

  /* everything set is freed (valgrind checks) */
  event->audio = g_bytes_new ("abc", 3);
  event->timings = g_new0 (InworldTimings, 1);
  event->timings->n = 1;
  event->timings->tokens = g_strsplit ("word", ",", -1);
  event->timings->start = g_new0 (gdouble, 1);
  event->timings->end = g_new0 (gdouble, 1);
  event->code_name = g_strdup ("x");
  event->message = g_strdup ("y");
  inworld_event_free (event);
  inworld_event_free (NULL);

  event = inworld_event_new (INWORLD_EVENT_ERROR, NULL);
  fail_unless (event->context_id == NULL);
  inworld_event_free (event);

  for (gint t = INWORLD_EVENT_CONTEXT_CREATED; t <= INWORLD_EVENT_INVALID_FRAME;
      t++) {
    names[t] = inworld_event_type_name ((InworldEventType) t);
    fail_unless (names[t] != NULL && strcmp (names[t], "unknown") != 0);
    for (gint u = 0; u < t; u++)
      fail_unless (strcmp (names[t], names[u]) != 0);
  }
  fail_unless_equals_string (inworld_event_type_name (INWORLD_EVENT_AUDIO),
      "audio");
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Inworld builders
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_inworld_create_full)
{
  InworldSynthConfig config = full_config ();
  gchar *frame = inworld ()->build_create ("turn-7", &config);
  JsonNode *root = load (frame);

  assert_members (root, "", 2);
  assert_str (root, "contextId", "turn-7");
  assert_members (root, "create", 13);
  assert_str (root, "create.voiceId", "Dennis");
  assert_str (root, "create.modelId", "inworld-tts-1.5-max");
  assert_members (root, "create.audioConfig", 4);
  assert_str (root, "create.audioConfig.audioEncoding", "MP3");
  assert_int (root, "create.audioConfig.sampleRateHertz", 24000);
  assert_int (root, "create.audioConfig.bitRate", 64000);
  assert_double (root, "create.audioConfig.speakingRate", 1.1);
  assert_double (root, "create.temperature", 0.9);
  assert_str (root, "create.language", "en-US");
  /* an enum string, never a boolean */
  assert_str (root, "create.applyTextNormalization", "OFF");
  assert_str (root, "create.timestampType", "WORD");
  assert_str (root, "create.timestampTransportStrategy", "ASYNC");
  assert_str (root, "create.deliveryMode", "CREATIVE");
  assert_bool (root, "create.autoMode", TRUE);
  assert_str (root, "create.autoModeStrategy", "SENTENCE_BOUNDARY");
  /* 0 is a real threshold, only -1 is unset */
  assert_int (root, "create.bufferCharThreshold", 0);
  assert_int (root, "create.maxBufferDelayMs", 1500);
  assert_absent (root, "create.contextId");
  json_node_unref (root);
  g_free (frame);
}

GST_END_TEST;

GST_START_TEST (test_inworld_create_minimal)
{
  InworldSynthConfig config;
  gchar *frame;
  JsonNode *root;

  inworld_synth_config_init (&config);
  config.voice = "Ashley";
  config.model = "inworld-tts-1.5-max";
  config.bitrate = 128000;      /* PCM has no bit rate */
  config.temperature = NAN;
  config.speaking_rate = -1.0;
  config.language = "";
  frame = inworld ()->build_create ("c", &config);
  root = load (frame);

  assert_members (root, "create", 3);
  assert_str (root, "create.voiceId", "Ashley");
  assert_str (root, "create.modelId", "inworld-tts-1.5-max");
  assert_members (root, "create.audioConfig", 1);
  assert_str (root, "create.audioConfig.audioEncoding", "PCM");
  assert_absent (root, "create.temperature");
  assert_absent (root, "create.language");
  assert_absent (root, "create.applyTextNormalization");
  assert_absent (root, "create.timestampType");
  assert_absent (root, "create.timestampTransportStrategy");
  assert_absent (root, "create.deliveryMode");
  assert_absent (root, "create.autoMode");
  assert_absent (root, "create.autoModeStrategy");
  assert_absent (root, "create.bufferCharThreshold");
  assert_absent (root, "create.maxBufferDelayMs");
  json_node_unref (root);
  g_free (frame);

  /* Opus carries its bit rate; CHARACTER and ON; no context id */
  config.encoding = INWORLD_ENCODING_OGG_OPUS;
  config.timestamp_type = INWORLD_TIMESTAMP_CHARACTER;
  config.text_normalization = INWORLD_TEXT_NORMALIZATION_ON;
  config.temperature = INFINITY;
  frame = inworld ()->build_create (NULL, &config);
  root = load (frame);
  assert_members (root, "", 1);
  assert_absent (root, "contextId");
  assert_str (root, "create.audioConfig.audioEncoding", "OGG_OPUS");
  assert_int (root, "create.audioConfig.bitRate", 128000);
  assert_str (root, "create.timestampType", "CHARACTER");
  assert_str (root, "create.applyTextNormalization", "ON");
  assert_absent (root, "create.temperature");
  json_node_unref (root);
  g_free (frame);
}

GST_END_TEST;

GST_START_TEST (test_inworld_send_text)
{
  const gchar *text = "Quote \" backslash \\ newline\n tab\t ctrl\x01 "
      "é 今天 😀";
  gchar *frame = inworld ()->build_send_text ("turn-7", text, FALSE);
  JsonNode *root = load (frame);

  assert_members (root, "", 2);
  assert_str (root, "contextId", "turn-7");
  assert_members (root, "send_text", 1);
  assert_str (root, "send_text.text", text);
  json_node_unref (root);
  g_free (frame);

  frame = inworld ()->build_send_text ("turn-7", "Good morning.", TRUE);
  root = load (frame);
  assert_members (root, "send_text", 2);
  assert_str (root, "send_text.text", "Good morning.");
  assert_members (root, "send_text.flush_context", 0);
  json_node_unref (root);
  g_free (frame);

  /* empty text (keepalive) without a context */
  frame = inworld ()->build_send_text (NULL, "", FALSE);
  root = load (frame);
  assert_members (root, "", 1);
  assert_str (root, "send_text.text", "");
  json_node_unref (root);
  g_free (frame);

  /* invalid UTF-8 still gives valid JSON */
  frame = inworld ()->build_send_text ("c", "ab\xff\xfe" "cd", FALSE);
  root = load (frame);
  assert_str (root, "send_text.text", "ab\xef\xbf\xbd\xef\xbf\xbd" "cd");
  json_node_unref (root);
  g_free (frame);
}

GST_END_TEST;

GST_START_TEST (test_inworld_flush_close)
{
  gchar *frame = inworld ()->build_flush ("turn-7");
  JsonNode *root = load (frame);

  assert_members (root, "", 2);
  assert_str (root, "contextId", "turn-7");
  assert_members (root, "flush_context", 0);
  json_node_unref (root);
  g_free (frame);

  frame = inworld ()->build_close ("turn-7");
  root = load (frame);
  assert_members (root, "", 2);
  assert_str (root, "contextId", "turn-7");
  assert_members (root, "close_context", 0);
  json_node_unref (root);
  g_free (frame);

  frame = inworld ()->build_close (NULL);
  root = load (frame);
  assert_members (root, "", 1);
  assert_members (root, "close_context", 0);
  json_node_unref (root);
  g_free (frame);

  frame = inworld ()->build_flush (NULL);
  root = load (frame);
  assert_members (root, "", 1);
  assert_members (root, "flush_context", 0);
  json_node_unref (root);
  g_free (frame);
}

GST_END_TEST;

GST_START_TEST (test_inworld_update_config)
{
  InworldSynthConfig config = full_config ();
  gchar *frame = inworld ()->build_update_config ("turn-7", &config);
  JsonNode *root = load (frame);

  assert_members (root, "", 2);
  assert_str (root, "contextId", "turn-7");
  /* create's fields without modelId */
  assert_members (root, "update_config", 12);
  assert_absent (root, "update_config.modelId");
  assert_str (root, "update_config.voiceId", "Dennis");
  assert_double (root, "update_config.audioConfig.speakingRate", 1.1);
  assert_int (root, "update_config.audioConfig.bitRate", 64000);
  assert_str (root, "update_config.audioConfig.audioEncoding", "MP3");
  assert_double (root, "update_config.temperature", 0.9);
  assert_str (root, "update_config.applyTextNormalization", "OFF");
  assert_str (root, "update_config.timestampType", "WORD");
  assert_int (root, "update_config.maxBufferDelayMs", 1500);
  json_node_unref (root);
  g_free (frame);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Inworld parser: results
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_inworld_context_created)
{
  GPtrArray *events;
  InworldEvent *event;

  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"turn-7\","
      "\"contextCreated\":{\"voiceId\":\"Dennis\",\"audioConfig\":"
      "{\"audioEncoding\":\"PCM\",\"sampleRateHertz\":24000},"
      "\"modelId\":\"inworld-tts-1.5-max\",\"maxBufferDelayMs\":1500,"
      "\"bufferCharThreshold\":200,\"applyTextNormalization\":\"OFF\","
      "\"autoMode\":false,\"timestampType\":\"WORD\","
      "\"synthesisContext\":null,\"pronunciationDictionarySettings\":null},"
      OK_STATUS "}}", &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_CONTEXT_CREATED);
  fail_unless_equals_string (event->context_id, "turn-7");
  fail_unless (event->audio == NULL && event->message == NULL);
  g_ptr_array_unref (events);

  event = parse_one (inworld (), "{\"result\":{\"context_id\":\"t\","
      "\"context_created\":{\"voice_id\":\"Dennis\"},"
      "\"status\":{\"code\":0}}}", &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_CONTEXT_CREATED);
  fail_unless_equals_string (event->context_id, "t");
  g_ptr_array_unref (events);
}

GST_END_TEST;

GST_START_TEST (test_inworld_simple_results)
{
  static const struct
  {
    const gchar *frame;
    InworldEventType type;
  } table[] = {
    {"{\"result\":{\"contextId\":\"turn-7\",\"flushCompleted\":{},"
          OK_STATUS "}}", INWORLD_EVENT_FLUSH_COMPLETED},
    {"{\"result\":{\"context_id\":\"turn-7\",\"flush_completed\":{},"
          OK_STATUS "}}", INWORLD_EVENT_FLUSH_COMPLETED},
    {"{\"result\":{\"contextId\":\"turn-7\",\"contextClosed\":{},"
          OK_STATUS "}}", INWORLD_EVENT_CONTEXT_CLOSED},
    {"{\"result\":{\"context_id\":\"turn-7\",\"context_closed\":{},"
          OK_STATUS "}}", INWORLD_EVENT_CONTEXT_CLOSED},
    {"{\"result\":{\"contextId\":\"turn-7\",\"contextUpdated\":"
          "{\"voiceId\":\"Ashley\",\"audioConfig\":{\"audioEncoding\":\"PCM\","
          "\"sampleRateHertz\":24000,\"speakingRate\":0.9},\"modelId\":"
          "\"inworld-tts-1.5-max\",\"temperature\":0.9,\"timestampType\":"
          "\"WORD\",\"maxBufferDelayMs\":1500}," OK_STATUS "}}",
        INWORLD_EVENT_CONTEXT_UPDATED},
    {"{\"result\":{\"context_id\":\"turn-7\",\"context_updated\":"
          "{\"voice_id\":\"Ashley\"}," OK_STATUS "}}",
        INWORLD_EVENT_CONTEXT_UPDATED},
    /* status left out altogether */
    {"{\"result\":{\"contextId\":\"turn-7\",\"flushCompleted\":{}}}",
        INWORLD_EVENT_FLUSH_COMPLETED},
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++) {
    GPtrArray *events;
    InworldEvent *event = parse_one (inworld (), table[i].frame, &events);

    fail_unless_equals_int (event->type, table[i].type);
    fail_unless_equals_string (event->context_id, "turn-7");
    fail_unless (event->audio == NULL && event->timings == NULL);
    fail_unless_equals_int (event->code, 0);
    g_ptr_array_unref (events);
  }
}

GST_END_TEST;

GST_START_TEST (test_inworld_audio_chunk)
{
  GPtrArray *events;
  InworldEvent *event;
  InworldTimings *t;
  static const gchar pcm[] = { 0x10, 0x00, (gchar) 0xf0, (gchar) 0xff, 0x20,
    0x00, (gchar) 0xe0, (gchar) 0xff
  };

  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"turn-7\","
      "\"audioChunk\":{\"audioContent\":\"EADw/yAA4P8=\","
      "\"usage\":{\"processedCharactersCount\":30,"
      "\"modelId\":\"inworld-tts-1.5-max\"},"
      "\"timestampInfo\":{\"wordAlignment\":{"
      "\"words\":[\"Good\",\"morning,\",\"this\",\"is\",\"a\",\"test.\"],"
      "\"wordStartTimeSeconds\":[0.04,0.31,0.86,1.02,1.15,1.22],"
      "\"wordEndTimeSeconds\":[0.29,0.8,1.0,1.13,1.2,1.71]}}},"
      OK_STATUS "}}", &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_AUDIO);
  fail_unless_equals_string (event->context_id, "turn-7");
  assert_audio (event, pcm, sizeof (pcm));
  fail_unless_equals_int (event->processed_chars, 30);
  fail_unless_equals_int64 (event->sequence, -1);
  t = event->timings;
  fail_unless (t != NULL);
  fail_if (t->characters);
  fail_unless_equals_int (t->n, 6);
  fail_unless_equals_string (t->tokens[0], "Good");
  fail_unless_equals_string (t->tokens[5], "test.");
  fail_unless (t->tokens[6] == NULL);
  fail_unless (t->start[0] == 0.04 && t->end[0] == 0.29);
  fail_unless (t->start[5] == 1.22 && t->end[5] == 1.71);
  /* an integer in a double array */
  fail_unless (t->end[2] == 1.0);
  g_ptr_array_unref (events);

  /* snake_case everywhere, no padding needed, later chunk with usage 0 */
  event = parse_one (inworld (), "{\"result\":{\"context_id\":\"turn-7\","
      "\"audio_chunk\":{\"audio_content\":\"QUJD\","
      "\"usage\":{\"processed_characters_count\":0},"
      "\"timestamp_info\":{\"word_alignment\":{"
      "\"words\":[\"a\",\"b\"],\"word_start_time_seconds\":[0,0.5],"
      "\"word_end_time_seconds\":[0.4,0.9]}}}," OK_STATUS "}}", &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_AUDIO);
  fail_unless_equals_string (event->context_id, "turn-7");
  assert_audio (event, "ABC", 3);
  fail_unless_equals_int (event->processed_chars, 0);
  fail_unless (event->timings && event->timings->n == 2);
  fail_unless_equals_string (event->timings->tokens[1], "b");
  fail_unless (event->timings->start[1] == 0.5);
  fail_unless (event->timings->end[1] == 0.9);
  g_ptr_array_unref (events);

  /* one padding character; no usage; timestampInfo null */
  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"audioContent\":\"QUI=\",\"timestampInfo\":null},"
      OK_STATUS "}}", &events);
  assert_audio (event, "AB", 2);
  fail_unless_equals_int (event->processed_chars, -1);
  fail_unless (event->timings == NULL);
  g_ptr_array_unref (events);

  /* empty audio, absent audio: NULL bytes, still an AUDIO event */
  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"audioContent\":\"\"}," OK_STATUS "}}", &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_AUDIO);
  fail_unless (event->audio == NULL);
  g_ptr_array_unref (events);
  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"audioContent\":null}," OK_STATUS "}}", &events);
  fail_unless (event->audio == NULL);
  g_ptr_array_unref (events);
}

GST_END_TEST;

GST_START_TEST (test_inworld_timings)
{
  GPtrArray *events;
  InworldEvent *event;
  InworldTimings *t;

  /* CHARACTER mode, timings only (ASYNC transport) */
  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"timestampInfo\":{\"characterAlignment\":{"
      "\"characters\":[\"H\",\"i\",\"😀\"],"
      "\"characterStartTimeSeconds\":[0.0,0.1,0.2],"
      "\"characterEndTimeSeconds\":[0.1,0.2,0.3]}}}," OK_STATUS "}}",
      &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_AUDIO);
  fail_unless (event->audio == NULL);
  t = event->timings;
  fail_unless (t != NULL && t->characters);
  fail_unless_equals_int (t->n, 3);
  fail_unless_equals_string (t->tokens[2], "😀");
  fail_unless (t->start[1] == 0.1 && t->end[2] == 0.3);
  g_ptr_array_unref (events);

  /* snake_case character alignment; word alignment null */
  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"audioContent\":\"QUJD\",\"timestampInfo\":{"
      "\"wordAlignment\":null,\"character_alignment\":{"
      "\"characters\":[\"x\"],\"character_start_time_seconds\":[1.5],"
      "\"character_end_time_seconds\":[2]}}}," OK_STATUS "}}", &events);
  t = event->timings;
  fail_unless (t != NULL && t->characters && t->n == 1);
  fail_unless (t->start[0] == 1.5 && t->end[0] == 2.0);
  g_ptr_array_unref (events);

  /* empty arrays: no timings */
  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"audioContent\":\"QUJD\",\"timestampInfo\":{"
      "\"wordAlignment\":{\"words\":[],\"wordStartTimeSeconds\":[],"
      "\"wordEndTimeSeconds\":[]}}}," OK_STATUS "}}", &events);
  fail_unless (event->timings == NULL);
  assert_audio (event, "ABC", 3);
  g_ptr_array_unref (events);

  /* an empty object, and an alignment missing one array */
  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"timestampInfo\":{}}," OK_STATUS "}}", &events);
  fail_unless (event->timings == NULL);
  g_ptr_array_unref (events);
  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"timestampInfo\":{\"wordAlignment\":{"
      "\"words\":[\"a\"],\"wordStartTimeSeconds\":[0]}}}," OK_STATUS "}}",
      &events);
  fail_unless (event->timings == NULL);
  g_ptr_array_unref (events);

  /* unequal lengths: cut to the shortest */
  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"timestampInfo\":{\"wordAlignment\":{"
      "\"words\":[\"a\",\"b\",\"c\",\"d\"],"
      "\"wordStartTimeSeconds\":[0,1,2],"
      "\"wordEndTimeSeconds\":[0.5,1.5,2.5,3.5,4.5]}}}," OK_STATUS "}}",
      &events);
  t = event->timings;
  fail_unless (t != NULL);
  fail_unless_equals_int (t->n, 3);
  fail_unless_equals_string (t->tokens[2], "c");
  fail_unless (t->tokens[3] == NULL);
  fail_unless (t->start[2] == 2.0 && t->end[2] == 2.5);
  g_ptr_array_unref (events);

  /* word alignment wins when both are there */
  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"timestampInfo\":{\"wordAlignment\":{"
      "\"words\":[\"w\"],\"wordStartTimeSeconds\":[0],"
      "\"wordEndTimeSeconds\":[1]},\"characterAlignment\":{"
      "\"characters\":[\"w\"],\"characterStartTimeSeconds\":[0],"
      "\"characterEndTimeSeconds\":[1]}}}," OK_STATUS "}}", &events);
  fail_unless (event->timings && !event->timings->characters);
  g_ptr_array_unref (events);
}

GST_END_TEST;

GST_START_TEST (test_inworld_usage)
{
  static const struct
  {
    const gchar *usage;
    gint expected;
  } table[] = {
    {"{\"processedCharactersCount\":30}", 30},
    {"{\"processed_characters_count\":7}", 7},
    {"{\"processedCharactersCount\":0,\"modelId\":\"m\"}", 0},
    {"{\"modelId\":\"m\"}", -1},
    {"{}", -1},
    {"null", -1},
    {"{\"processedCharactersCount\":null}", -1},
    {"{\"processedCharactersCount\":-5}", -1},
    {"{\"processedCharactersCount\":30.0}", 30},
    {"{\"processedCharactersCount\":1e12}", G_MAXINT},
    {"{\"processedCharactersCount\":9007199254740993}", G_MAXINT},
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++) {
    gchar *frame = g_strdup_printf ("{\"result\":{\"contextId\":\"c\","
        "\"audioChunk\":{\"audioContent\":\"QUJD\",\"usage\":%s},"
        OK_STATUS "}}", table[i].usage);
    GPtrArray *events;
    InworldEvent *event = parse_one (inworld (), frame, &events);

    fail_unless_equals_int (event->processed_chars, table[i].expected);
    g_ptr_array_unref (events);
    g_free (frame);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Inworld parser: errors
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_inworld_context_errors)
{
  static const struct
  {
    gint code;
    const gchar *message;
  } table[] = {
    {8, "You have reached the limit of 5 TTS contexts per connection. "
          "Please close other contexts on this connection to continue."},
    {5, "context turn-9 not found (payload=SEND_TEXT)"},
    {3, "text length should not exceed 2000 characters."},
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++) {
    gchar *frame = g_strdup_printf ("{\"result\":{\"contextId\":\"turn-9\","
        "\"status\":{\"code\":%d,\"message\":\"%s\",\"details\":[]}}}",
        table[i].code, table[i].message);
    GPtrArray *events;
    InworldEvent *event = parse_one (inworld (), frame, &events);

    fail_unless_equals_int (event->type, INWORLD_EVENT_ERROR);
    fail_unless_equals_string (event->context_id, "turn-9");
    fail_unless_equals_int (event->code, table[i].code);
    fail_unless_equals_string (event->message, table[i].message);
    fail_if (event->fatal);
    g_ptr_array_unref (events);
    g_free (frame);
  }

  /* snake_case id; an error status wins over a kind; no message */
  {
    GPtrArray *events;
    InworldEvent *event = parse_one (inworld (),
        "{\"result\":{\"context_id\":\"x\",\"flushCompleted\":{},"
        "\"status\":{\"code\":5}}}", &events);

    fail_unless_equals_int (event->type, INWORLD_EVENT_ERROR);
    fail_unless_equals_string (event->context_id, "x");
    fail_unless_equals_int (event->code, 5);
    fail_unless (event->message != NULL && strstr (event->message, "5"));
    g_ptr_array_unref (events);
  }
}

GST_END_TEST;

GST_START_TEST (test_inworld_top_level_errors)
{
  GPtrArray *events;
  InworldEvent *event;

  event = parse_one (inworld (), "{\"error\":{\"code\":16,\"message\":"
      "\"authentication is required\",\"details\":[{\"errorType\":"
      "\"SESSION_TOKEN_INVALID\",\"reconnectType\":\"NO_RETRY\"}]}}",
      &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_ERROR);
  fail_unless (event->context_id == NULL);
  fail_unless_equals_int (event->code, 16);
  fail_unless_equals_string (event->message, "authentication is required");
  fail_unless_equals_string (event->code_name, "SESSION_TOKEN_INVALID");
  fail_unless (event->fatal);
  g_ptr_array_unref (events);

  event = parse_one (inworld (), "{\"error\":{\"code\":7,\"message\":"
      "\"Invalid credentials provided for API key \\\"abcd***\\\"\","
      "\"details\":[]}}", &events);
  fail_unless_equals_int (event->code, 7);
  fail_unless_equals_string (event->message,
      "Invalid credentials provided for API key \"abcd***\"");
  fail_unless (event->code_name == NULL);
  fail_unless (event->fatal);
  g_ptr_array_unref (events);

  event = parse_one (inworld (), "{\"error\":{\"code\":3,\"message\":"
      "\"invalid WebSocket request for the selected response protocol\","
      "\"status\":\"INVALID_ARGUMENT\"}}", &events);
  fail_unless_equals_int (event->code, 3);
  fail_unless_equals_string (event->code_name, "INVALID_ARGUMENT");
  fail_unless_equals_string (event->message,
      "invalid WebSocket request for the selected response protocol");
  fail_if (event->fatal);
  fail_unless (event->context_id == NULL);
  g_ptr_array_unref (events);

  event = parse_one (inworld (), "{\"error\":{\"code\":10,\"message\":"
      "\"Paused due to inactivity\",\"details\":[\"junk\",{\"error_type\":"
      "\"SESSION_PAUSED\"}]}}", &events);
  fail_unless_equals_int (event->code, 10);
  fail_unless_equals_string (event->code_name, "SESSION_PAUSED");
  fail_if (event->fatal);
  g_ptr_array_unref (events);

  /* no message at all still gives one */
  event = parse_one (inworld (), "{\"error\":{\"code\":14}}", &events);
  fail_unless_equals_int (event->code, 14);
  fail_unless (event->message != NULL && *event->message);
  g_ptr_array_unref (events);
}

GST_END_TEST;

GST_START_TEST (test_inworld_nothing_to_do)
{
  parse_none (inworld (), "{\"done\":true}");
  parse_none (inworld (), "{}");
  parse_none (inworld (), "{\"foo\":\"bar\",\"n\":[1,2,{\"x\":null}]}");
  parse_none (inworld (), "{\"result\":null}");
  parse_none (inworld (), "{\"result\":{\"contextId\":\"c\"," OK_STATUS "}}");
  parse_none (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"contextCreated\":null," OK_STATUS "}}");
  parse_none (inworld (), "  \n{\"result\":{}}\n  ");
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Inworld parser: bad input
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_inworld_bad_json)
{
  const gchar *good = "{\"result\":{\"contextId\":\"c\",\"audioChunk\":"
      "{\"audioContent\":\"QUJD\"}," OK_STATUS "}}";
  gchar *message;
  GString *deep;

  parse_fails (inworld (), "hello", INWORLD_PROTOCOL_ERROR_NOT_JSON);
  parse_fails (inworld (), "", INWORLD_PROTOCOL_ERROR_NOT_JSON);
  parse_fails (inworld (), "   \n ", INWORLD_PROTOCOL_ERROR_NOT_JSON);
  parse_fails (inworld (), "{\"a\":NaN}", INWORLD_PROTOCOL_ERROR_NOT_JSON);
  parse_fails (inworld (), "{\"a\":1,}", INWORLD_PROTOCOL_ERROR_NOT_JSON);
  parse_fails (inworld (), "{'result':{}}", INWORLD_PROTOCOL_ERROR_NOT_JSON);
  parse_fails (inworld (), "/* x */{}", INWORLD_PROTOCOL_ERROR_NOT_JSON);
  parse_fails (inworld (), "{\"a\":\"\xff\"}", INWORLD_PROTOCOL_ERROR_NOT_JSON);
  parse_fails (inworld (), "[1,2]", INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (inworld (), "42", INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (inworld (), "\"x\"", INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (inworld (), "null", INWORLD_PROTOCOL_ERROR_BAD_FRAME);

  /* every truncation of a good frame */
  for (gsize len = 0; len < strlen (good); len++)
    g_free (parse_fails_len (inworld (), good, len,
            INWORLD_PROTOCOL_ERROR_NOT_JSON));

  /* a NUL inside the frame, and one right after it */
  message = parse_fails_len (inworld (), "{\"done\":\0true}", 14,
      INWORLD_PROTOCOL_ERROR_NOT_JSON);
  fail_unless (strstr (message, "NUL") != NULL, "%s", message);
  g_free (message);
  g_free (parse_fails_len (inworld (), "{\"done\":true}\0", 14,
          INWORLD_PROTOCOL_ERROR_NOT_JSON));

  /* a frame that is not NUL-terminated is read within its length */
  {
    GPtrArray *events = new_events ();

    fail_unless (parse_len (inworld (), good, strlen (good), events, NULL));
    fail_unless_equals_int (events->len, 1);
    g_ptr_array_unref (events);
  }

  /* deep nesting is refused before json-glib recurses */
  deep = g_string_new ("{\"result\":{\"x\":");
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, ']');
  g_string_append (deep, "}}");
  message = parse_fails_len (inworld (), deep->str, deep->len,
      INWORLD_PROTOCOL_ERROR_NOT_JSON);
  fail_unless (strstr (message, "nest") != NULL, "%s", message);
  g_free (message);
  g_string_free (deep, TRUE);

  /* brackets inside strings do not count */
  deep = g_string_new ("{\"foo\":\"");
  for (guint i = 0; i < 1000; i++)
    g_string_append (deep, "[{\\\"");
  g_string_append (deep, "\"}");
  parse_none (inworld (), deep->str);
  g_string_free (deep, TRUE);

  /* moderate nesting is fine */
  parse_none (inworld (), "{\"a\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}");
}

GST_END_TEST;

GST_START_TEST (test_inworld_bad_types)
{
  static const struct
  {
    const gchar *frame;
    const gchar *names;         /* the error message names this */
  } table[] = {
    {"{\"result\":[]}", "result"},
    {"{\"result\":\"x\"}", "result"},
    {"{\"error\":\"boom\"}", "error"},
    {"{\"result\":{\"contextId\":7,\"flushCompleted\":{}}}", "contextId"},
    {"{\"result\":{\"context_id\":true}}", "context_id"},
    {"{\"result\":{\"contextId\":\"c\",\"status\":3}}", "status"},
    {"{\"result\":{\"contextId\":\"c\",\"status\":{\"code\":\"NOT_FOUND\"}}}",
        "code"},
    {"{\"result\":{\"contextId\":\"c\",\"status\":{\"code\":1.5}}}", "code"},
    {"{\"result\":{\"contextId\":\"c\",\"status\":{\"code\":1e999}}}", "code"},
    {"{\"result\":{\"contextId\":\"c\",\"status\":{\"code\":-1e999}}}", "code"},
    {"{\"result\":{\"contextId\":\"c\",\"status\":{\"code\":5,\"message\":3}}}",
        "message"},
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":[]}}", "audioChunk"},
    {"{\"result\":{\"contextId\":\"c\",\"flushCompleted\":true}}",
        "flushCompleted"},
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":{\"audioContent\":12}}}",
        "audioContent"},
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":{\"audio_content\":[]}}}",
        "audio_content"},
    {"{\"error\":{\"code\":\"16\",\"message\":\"x\"}}", "code"},
    {"{\"error\":{\"code\":16,\"message\":{}}}", "message"},
    /* a good result does not get out when the error beside it is bad */
    {"{\"result\":{\"contextId\":\"c\",\"flushCompleted\":{}},"
          "\"error\":{\"code\":[]}}", "code"},
    /* nor does a created event when the audio beside it is bad */
    {"{\"result\":{\"contextId\":\"c\",\"contextCreated\":{},"
          "\"audioChunk\":{\"audioContent\":false}}}", "audioContent"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++) {
    gchar *message = parse_fails_len (inworld (), table[i].frame, -1,
        INWORLD_PROTOCOL_ERROR_BAD_FRAME);

    fail_unless (strstr (message, table[i].names) != NULL,
        "'%s' not in '%s'", table[i].names, message);
    g_free (message);
  }
}

GST_END_TEST;

/* A metadata field of the wrong type (usage, timestampInfo) costs a
 * warning, never the chunk's audio. */
GST_START_TEST (test_inworld_bad_metadata)
{
  static const struct
  {
    const gchar *frame;
    const gchar *names;         /* the warning names this */
  } table[] = {
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":{\"usage\":5}}}",
        "usage"},
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":{\"usage\":"
          "{\"processedCharactersCount\":\"30\"}}}}",
        "processedCharactersCount"},
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":{\"timestampInfo\":"
          "\"none\"}}}", "timestampInfo"},
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":{\"timestampInfo\":"
          "{\"wordAlignment\":[]}}}}", "wordAlignment"},
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":{\"timestampInfo\":"
          "{\"wordAlignment\":{\"words\":\"a b\",\"wordStartTimeSeconds\":[0],"
          "\"wordEndTimeSeconds\":[1]}}}}}", "words"},
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":{\"timestampInfo\":"
          "{\"wordAlignment\":{\"words\":[1],\"wordStartTimeSeconds\":[0],"
          "\"wordEndTimeSeconds\":[1]}}}}}", "words[0]"},
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":{\"timestampInfo\":"
          "{\"wordAlignment\":{\"words\":[\"a\",\"b\"],"
          "\"wordStartTimeSeconds\":[0,\"1\"],"
          "\"wordEndTimeSeconds\":[1,2]}}}}}", "time 1"},
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":{\"timestampInfo\":"
          "{\"characterAlignment\":{\"characters\":[\"a\"],"
          "\"characterStartTimeSeconds\":[null],"
          "\"characterEndTimeSeconds\":[1]}}}}}", "time 0"},
    {"{\"result\":{\"contextId\":\"c\",\"audioChunk\":{\"timestampInfo\":"
          "{\"characterAlignment\":{\"characters\":[\"a\"],"
          "\"characterStartTimeSeconds\":[0],"
          "\"characterEndTimeSeconds\":[1e999]}}}}}", "time 0"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++) {
    gchar *frame = g_strdup (table[i].frame);
    gchar *with_audio;
    GPtrArray *events;
    InworldEvent *audio, *warning;
    gsize size;

    /* the same frames, with audio beside the bad field */
    frame[strlen (frame) - 3] = '\0';
    with_audio = g_strdup_printf ("%s,\"audioContent\":\"AAEC\"}}}", frame);
    events = parse_ok (inworld (), with_audio);
    fail_unless_equals_int (events->len, 2);
    audio = g_ptr_array_index (events, 0);
    warning = g_ptr_array_index (events, 1);
    fail_unless_equals_int (audio->type, INWORLD_EVENT_AUDIO);
    fail_unless (audio->audio != NULL);
    g_bytes_get_data (audio->audio, &size);
    fail_unless_equals_int (size, 3);
    fail_unless_equals_string (audio->context_id, "c");
    fail_unless_equals_int (warning->type, INWORLD_EVENT_INVALID_FRAME);
    fail_unless_equals_string (warning->context_id, "c");
    fail_unless (strstr (warning->message, table[i].names) != NULL,
        "'%s' not in '%s'", table[i].names, warning->message);
    fail_unless (strstr (warning->message, "audio is kept") != NULL);
    g_ptr_array_unref (events);
    g_free (with_audio);
    g_free (frame);
  }
}

GST_END_TEST;

GST_START_TEST (test_inworld_bad_base64)
{
  static const gchar *const bad[] = {
    "A", "AB", "ABC", "ABCDE", "AB=C", "A===", "====", "=ABC", "AB C",
    "ABC\\n", "AB@D", "QUJD\\nQUJD", "-_AA", "QUJD====", "QU==QUJD", "Q===",
    "\\u00e9AAA",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *frame = g_strdup_printf ("{\"result\":{\"contextId\":\"c\","
        "\"audioChunk\":{\"audioContent\":\"%s\"}," OK_STATUS "}}", bad[i]);
    gchar *message = parse_fails_len (inworld (), frame, -1,
        INWORLD_PROTOCOL_ERROR_BAD_BASE64);

    fail_unless (strstr (message, "base64") != NULL, "%s", message);
    /* the frame is refused whole: say that its audio is gone, and whose */
    fail_unless (strstr (message, "audio of this chunk of context 'c' is "
            "lost") != NULL, "%s", message);
    g_free (message);
    g_free (frame);
  }
}

GST_END_TEST;

GST_START_TEST (test_inworld_huge_frames)
{
  GString *frame = g_string_new ("{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"audioContent\":\"");
  gsize prefix = frame->len;
  GPtrArray *events;
  InworldEvent *event;
  gchar *message;

  /* 1 MiB of audio decodes */
  for (guint i = 0; i < (1 << 20) / 3; i++)
    g_string_append (frame, "QUJD");
  g_string_append (frame, "\"}," OK_STATUS "}}");
  event = parse_one (inworld (), frame->str, &events);
  fail_unless (event->audio != NULL);
  fail_unless_equals_uint64 (g_bytes_get_size (event->audio),
      ((1 << 20) / 3) * 3);
  g_ptr_array_unref (events);

  /* a huge bad payload is not quoted in the error */
  frame->str[prefix + 100000] = '*';
  message = parse_fails_len (inworld (), frame->str, frame->len,
      INWORLD_PROTOCOL_ERROR_BAD_BASE64);
  g_free (message);

  /* nor is a huge bad token */
  g_string_truncate (frame, 0);
  g_string_append (frame, "{\"result\":");
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (frame, 'x');
  g_string_append (frame, "}");
  message = parse_fails_len (inworld (), frame->str, frame->len,
      INWORLD_PROTOCOL_ERROR_NOT_JSON);
  g_free (message);

  /* huge key */
  g_string_truncate (frame, 0);
  g_string_append (frame, "{\"");
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (frame, 'k');
  g_string_append (frame, "\":1}");
  parse_none (inworld (), frame->str);
  g_string_free (frame, TRUE);
}

GST_END_TEST;

/* A chunk frame with @key (audioContent or audio_content) = @content. */
static gchar *
chunk_frame (const gchar * key, const gchar * content)
{
  return g_strdup_printf ("{\"result\":{\"contextId\":\"c\",\"audioChunk\":"
      "{\"%s\":\"%s\",\"usage\":{\"processedCharactersCount\":7}},"
      OK_STATUS "}}", key, content);
}

/* The audio string of a long chunk is decoded straight from the frame
 * (cut out before the JSON parser sees it): the same events and the same
 * errors as the parser's own path (the snake_case key, which is not cut
 * out), byte for byte */
GST_START_TEST (test_inworld_lifted_audio)
{
  GString *b64 = g_string_new (NULL);
  const gchar *tails[] = { "", "QQ==", "QUI=", "Q===", "QU=D", "AB@D", "A" };

  for (guint i = 0; i < 200; i++)
    g_string_append (b64, i % 2 ? "QUJD" : "+/9A");
  for (guint t = 0; t < G_N_ELEMENTS (tails); t++) {
    gchar *content = g_strconcat (b64->str, tails[t], NULL);
    gchar *fast = chunk_frame ("audioContent", content);
    gchar *slow = chunk_frame ("audio_content", content);
    GPtrArray *a = new_events (), *b = new_events ();
    GError *ea = NULL, *eb = NULL;
    gboolean oka = parse_len (inworld (), fast, strlen (fast), a, &ea);
    gboolean okb = parse_len (inworld (), slow, strlen (slow), b, &eb);

    fail_unless_equals_int (oka, okb);
    if (oka) {
      InworldEvent *x = g_ptr_array_index (a, 0), *y = g_ptr_array_index (b,
          0);

      fail_unless_equals_int (a->len, 1);
      fail_unless_equals_int (b->len, 1);
      fail_unless (g_bytes_equal (x->audio, y->audio), "tail %s", tails[t]);
      fail_unless_equals_int (x->processed_chars, 7);
      fail_unless_equals_string (x->context_id, "c");
    } else {
      fail_unless_equals_string (ea->message, eb->message);
      fail_unless_equals_int (ea->code, eb->code);
    }
    g_clear_error (&ea);
    g_clear_error (&eb);
    g_ptr_array_unref (a);
    g_ptr_array_unref (b);
    g_free (fast);
    g_free (slow);
    g_free (content);
  }

  /* escapes in the string: left to the parser, which unescapes them */
  {
    GString *escaped = g_string_new (NULL);
    GString *plain = g_string_new (NULL);
    gchar *fast, *slow;
    GPtrArray *a, *b;
    InworldEvent *x, *y;

    for (guint i = 0; i < 100; i++) {
      g_string_append (escaped, "QU\\/D");
      g_string_append (plain, "QU/D");
    }
    fast = chunk_frame ("audioContent", escaped->str);
    slow = chunk_frame ("audio_content", plain->str);
    x = parse_one (inworld (), fast, &a);
    y = parse_one (inworld (), slow, &b);
    fail_unless (g_bytes_equal (x->audio, y->audio));
    g_ptr_array_unref (a);
    g_ptr_array_unref (b);
    g_free (fast);
    g_free (slow);
    g_string_free (escaped, TRUE);
    g_string_free (plain, TRUE);
  }

  /* the key in another object than audioChunk: that string is not the
   * chunk's audio */
  {
    gchar *frame = g_strdup_printf ("{\"result\":{\"contextId\":\"c\","
        "\"other\":{\"audioContent\":\"%s\"},"
        "\"audioChunk\":{\"audio_content\":\"QUJD\"}," OK_STATUS "}}",
        b64->str);
    GPtrArray *events;
    InworldEvent *event = parse_one (inworld (), frame, &events);

    fail_unless_equals_int (g_bytes_get_size (event->audio), 3);
    g_ptr_array_unref (events);
    g_free (frame);
  }

  /* the mark sent by the server itself is just a bad string */
  {
    gchar *frame = chunk_frame ("audioContent", "inworld:lifted-audio");
    gchar *message = parse_fails_len (inworld (), frame, -1,
        INWORLD_PROTOCOL_ERROR_BAD_BASE64);

    g_free (message);
    g_free (frame);
  }
  g_string_free (b64, TRUE);
}

GST_END_TEST;

/* Random damage to good frames: whatever comes out, no crash, no leak
 * (valgrind), FALSE exactly when an error is set. */
GST_START_TEST (test_inworld_mutations)
{
  static const gchar *const frames[] = {
    "{\"result\":{\"contextId\":\"turn-7\",\"audioChunk\":{\"audioContent\":"
        "\"EADw/yAA4P8=\",\"usage\":{\"processedCharactersCount\":30},"
        "\"timestampInfo\":{\"wordAlignment\":{\"words\":[\"Good\",\"day\"],"
        "\"wordStartTimeSeconds\":[0.04,0.31],\"wordEndTimeSeconds\":"
        "[0.29,0.8]}}}," OK_STATUS "}}",
    "{\"error\":{\"code\":16,\"message\":\"authentication is required\","
        "\"details\":[{\"errorType\":\"SESSION_TOKEN_INVALID\"}]}}",
    "{\"result\":{\"contextId\":\"turn-9\",\"status\":{\"code\":8,"
        "\"message\":\"limit\",\"details\":[]}}}",
  };
  static const gchar junk[] = "{}[]\",:0-.e\\ u1E+=/Aa\xc3\xa9\xff\x00";
  GRand *rand = g_rand_new_with_seed (20260916);

  for (guint iter = 0; iter < 3000; iter++) {
    const gchar *src = frames[iter % G_N_ELEMENTS (frames)];
    gsize len = strlen (src);
    gchar *copy = g_malloc (len + 8);
    guint edits = g_rand_int_range (rand, 1, 4);
    GPtrArray *events = new_events ();
    GError *error = NULL;
    gboolean ok;

    memcpy (copy, src, len);
    for (guint e = 0; e < edits; e++) {
      gsize pos = g_rand_int_range (rand, 0, len);

      switch (g_rand_int_range (rand, 0, 3)) {
        case 0:
          copy[pos] = junk[g_rand_int_range (rand, 0, sizeof (junk) - 1)];
          break;
        case 1:
          len = pos;            /* truncate */
          break;
        default:
          copy[pos] = (gchar) g_rand_int_range (rand, 0, 256);
          break;
      }
      if (len == 0)
        break;
    }
    ok = parse_len (inworld (), copy, len, events, &error);
    fail_unless (ok == (error == NULL));
    if (!ok) {
      fail_unless (error->domain == INWORLD_PROTOCOL_ERROR);
      fail_unless (strlen (error->message) < 200);
      fail_unless_equals_int (events->len, 0);
      g_clear_error (&error);
    }
    for (guint i = 0; i < events->len; i++) {
      InworldEvent *ev = g_ptr_array_index (events, i);

      fail_unless (ev->type <= INWORLD_EVENT_ERROR);
      if (ev->type == INWORLD_EVENT_ERROR)
        fail_unless (ev->message != NULL);
      if (ev->timings)
        fail_unless (g_strv_length (ev->timings->tokens) == ev->timings->n);
    }
    /* and the same bytes as SLNG */
    g_ptr_array_set_size (events, 0);
    ok = parse_len (slng (), copy, len, events, &error);
    fail_unless (ok == (error == NULL));
    g_clear_error (&error);
    g_ptr_array_unref (events);
    g_free (copy);
  }
  g_rand_free (rand);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * SLNG
 * ------------------------------------------------------------------------ */

/* Found by fuzzing: json-glib 1.6 decodes an escaped lone surrogate into
 * bytes that are not UTF-8 (and quotes them in its error messages), leaks
 * on a broken pair, and takes escapes JSON does not have. Escapes are
 * checked before it sees them; every string out is valid UTF-8. */
GST_START_TEST (test_string_escapes)
{
  static const gchar *const bad[] = {
    "\\ud800", "a\\ud800b", "\\udc00", "\\udfff", "\\ud800\\u0041",
    "\\ud83d\\u0x", "\\ud800\\ud800", "\\udc00\\ud800", "\\ud800\\\\",
    "\\q", "\\u0x12", "\\u12", "\\U0041", "\\x41", "\\'",
  };
  GPtrArray *events;
  InworldEvent *event;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *frame = g_strdup_printf ("{\"type\":\"error\",\"code\":\"c\","
        "\"message\":\"%s\"}", bad[i]);

    assert_message_has (slng (), frame, INWORLD_PROTOCOL_ERROR_NOT_JSON,
        "escape");
    g_free (frame);
    frame = g_strdup_printf ("{\"result\":{\"contextId\":\"%s\","
        "\"contextClosed\":{}}}", bad[i]);
    assert_message_has (inworld (), frame, INWORLD_PROTOCOL_ERROR_NOT_JSON,
        "escape");
    g_free (frame);
  }
  /* cut in the middle of an escape */
  g_free (parse_fails_len (slng (), "{\"type\":\"x\\", -1,
          INWORLD_PROTOCOL_ERROR_NOT_JSON));
  g_free (parse_fails_len (slng (), "{\"type\":\"x\\ud83d\\ude0", -1,
          INWORLD_PROTOCOL_ERROR_NOT_JSON));

  /* json-glib quotes a bad string cut at a byte count, inside the euro
   * sign for some n: the message is still UTF-8 */
  for (guint n = 0; n < 40; n++) {
    gchar *pad = g_strnfill (n, 'a');
    gchar *frame = g_strdup_printf ("{\"type\":\"error\",\"message\":"
        "\"%s\xe2\x82\xac\xe2\x82\xac\"\"x\"}", pad);
    gchar *message = parse_fails_len (slng (), frame, -1,
        INWORLD_PROTOCOL_ERROR_NOT_JSON);

    fail_unless (g_utf8_validate (message, -1, NULL), "%s", message);
    g_free (message);
    g_free (frame);
    g_free (pad);
  }

  /* every escape JSON has */
  event = parse_one (slng (), "{\"type\":\"error\",\"code\":\"\\ud83d\\ude00\","
      "\"message\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\\uffff\"}",
      &events);
  fail_unless_equals_string (event->code_name, "\xf0\x9f\x98\x80");
  fail_unless_equals_string (event->message,
      "\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xef\xbf\xbf");
  g_ptr_array_unref (events);

  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\\ud800\\udc00\","
      "\"audioChunk\":{\"timestampInfo\":{\"wordAlignment\":"
      "{\"words\":[\"w\\uDBFF\\uDFFF\"],\"wordStartTimeSeconds\":[0],"
      "\"wordEndTimeSeconds\":[1]}}}," OK_STATUS "}}", &events);
  fail_unless_equals_string (event->context_id, "c\xf0\x90\x80\x80");
  fail_unless_equals_string (event->timings->tokens[0], "w\xf4\x8f\xbf\xbf");
  g_ptr_array_unref (events);
}

GST_END_TEST;

/* Found by fuzzing: the element turns timings into GstClockTime, which is
 * undefined for 1e300 s; times are refused beyond a day either way. */
GST_START_TEST (test_inworld_huge_times)
{
  static const gchar *const bad[] = { "1e300", "-1e300", "86400.5",
    "1.7976931348623157e308", "20000000000"
  };
  GPtrArray *events;
  InworldEvent *event;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *frame = g_strdup_printf ("{\"result\":{\"contextId\":\"c\","
        "\"audioChunk\":{\"timestampInfo\":{\"wordAlignment\":"
        "{\"words\":[\"a\",\"b\"],\"wordStartTimeSeconds\":[0,%s],"
        "\"wordEndTimeSeconds\":[1,2]}}}," OK_STATUS "}}", bad[i]);

    /* the timings go, with a warning */
    GPtrArray *events = parse_ok (inworld (), frame);
    InworldEvent *warning;

    fail_unless_equals_int (events->len, 2);
    fail_unless (((InworldEvent *) g_ptr_array_index (events, 0))->timings
        == NULL);
    warning = g_ptr_array_index (events, 1);
    fail_unless_equals_int (warning->type, INWORLD_EVENT_INVALID_FRAME);
    fail_unless (strstr (warning->message, "time 1") != NULL, "%s",
        warning->message);
    g_ptr_array_unref (events);
    g_free (frame);
  }

  event = parse_one (inworld (), "{\"result\":{\"contextId\":\"c\","
      "\"audioChunk\":{\"timestampInfo\":{\"characterAlignment\":"
      "{\"characters\":[\"a\"],\"characterStartTimeSeconds\":[-0.5],"
      "\"characterEndTimeSeconds\":[86400]}}}," OK_STATUS "}}", &events);
  fail_unless (event->timings != NULL);
  fail_unless (event->timings->start[0] == -0.5);
  fail_unless (event->timings->end[0] == 86400.0);
  g_ptr_array_unref (events);
}

GST_END_TEST;

/* Found by fuzzing: json-glib 1.6 takes several values in a row and leaks
 * all but the last (valgrind sees it here when the check is removed). */
GST_START_TEST (test_several_values)
{
  static const gchar *const frames[] = {
    "{} {}",
    "{\"type\":\"audio_end\"}{\"type\":\"audio_end\"}",
    "\"audio_end\"{\"error\": {\"code\": 14}}",
    "[1] {\"a\":1}",
    "1 2",
    "1\"x\"",
    "null{}",
    "{\"result\":{}} ]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (frames); i++) {
    assert_message_has (inworld (), frames[i],
        INWORLD_PROTOCOL_ERROR_NOT_JSON, "more than one JSON value");
    assert_message_has (slng (), frames[i],
        INWORLD_PROTOCOL_ERROR_NOT_JSON, "more than one JSON value");
  }
  /* whitespace around one value is fine */
  parse_none (inworld (), " \r\n\t{\"done\":true} \n");
  parse_none (slng (), "\n{\"type\":\"ready\"}\n\n");
  parse_fails (slng (), " 42 ", INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (slng (), "\"a b\"\n", INWORLD_PROTOCOL_ERROR_BAD_FRAME);
}

GST_END_TEST;

GST_START_TEST (test_slng_builders)
{
  InworldSynthConfig config = full_config ();
  gchar *frame = slng ()->build_create ("ignored", &config);
  JsonNode *root = load (frame);

  assert_members (root, "", 14);
  assert_str (root, "type", "init");
  /* SLNG returns no timings: timestampType is never sent to it */
  assert_absent (root, "timestampType");
  assert_absent (root, "timestampTransportStrategy");
  assert_str (root, "deliveryMode", "CREATIVE");
  assert_absent (root, "contextId");
  assert_str (root, "voice", "Dennis");
  assert_str (root, "modelId", "inworld-tts-1.5-max");
  assert_str (root, "language", "en-US");
  assert_str (root, "encoding", "MP3");
  assert_int (root, "sample_rate", 24000);
  assert_int (root, "bit_rate", 64000);
  assert_double (root, "speaking_rate", 1.1);
  assert_double (root, "temperature", 0.9);
  assert_str (root, "applyTextNormalization", "OFF");
  assert_bool (root, "autoMode", TRUE);
  assert_int (root, "bufferCharThreshold", 0);
  assert_int (root, "maxBufferDelayMs", 1500);
  json_node_unref (root);
  g_free (frame);

  inworld_synth_config_init (&config);
  config.voice = "Ashley";
  config.sample_rate = 16000;
  config.bitrate = 64000;
  frame = slng ()->build_create (NULL, &config);
  root = load (frame);
  assert_members (root, "", 4);
  assert_str (root, "type", "init");
  assert_str (root, "voice", "Ashley");
  assert_str (root, "encoding", "PCM");
  assert_int (root, "sample_rate", 16000);
  json_node_unref (root);
  g_free (frame);

  frame = slng ()->build_send_text ("ignored", "Your table is ready.", TRUE);
  root = load (frame);
  assert_members (root, "", 3);
  assert_str (root, "type", "text");
  assert_str (root, "text", "Your table is ready.");
  assert_bool (root, "flush", TRUE);
  json_node_unref (root);
  g_free (frame);

  frame = slng ()->build_send_text (NULL, "a \"b\" 😀", FALSE);
  root = load (frame);
  assert_members (root, "", 2);
  assert_str (root, "text", "a \"b\" 😀");
  assert_absent (root, "flush");
  json_node_unref (root);
  g_free (frame);

  frame = slng ()->build_flush ("ignored");
  root = load (frame);
  assert_members (root, "", 1);
  assert_str (root, "type", "flush");
  json_node_unref (root);
  g_free (frame);

  frame = slng ()->build_close (NULL);
  root = load (frame);
  assert_members (root, "", 1);
  assert_str (root, "type", "close");
  json_node_unref (root);
  g_free (frame);

  fail_unless (slng ()->build_update_config == NULL);
}

GST_END_TEST;

GST_START_TEST (test_slng_parse)
{
  GPtrArray *events;
  InworldEvent *event;

  event = parse_one (slng (), "{\"type\":\"audio_chunk\",\"data\":\"QUJD\","
      "\"sequence\":1}", &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_AUDIO);
  fail_unless (event->context_id == NULL);
  assert_audio (event, "ABC", 3);
  fail_unless_equals_int64 (event->sequence, 1);
  fail_unless_equals_int (event->processed_chars, -1);
  fail_unless (event->timings == NULL);
  g_ptr_array_unref (events);

  event = parse_one (slng (), "{\"type\":\"audio_chunk\",\"data\":\"QUI=\"}",
      &events);
  assert_audio (event, "AB", 2);
  fail_unless_equals_int64 (event->sequence, -1);
  g_ptr_array_unref (events);

  event = parse_one (slng (), "{\"type\":\"audio_chunk\",\"data\":\"\","
      "\"sequence\":8589934592}", &events);
  fail_unless (event->audio == NULL);
  fail_unless_equals_int64 (event->sequence, G_GINT64_CONSTANT (8589934592));
  g_ptr_array_unref (events);

  /* found by fuzzing: the element computes sequence + 1, which overflowed
   * for the largest integer; negative numbers mean nothing */
  event = parse_one (slng (), "{\"type\":\"audio_chunk\",\"data\":\"QUJD\","
      "\"sequence\":9223372036854775807}", &events);
  fail_unless_equals_int64 (event->sequence, G_MAXINT64 - 1);
  g_ptr_array_unref (events);
  event = parse_one (slng (), "{\"type\":\"audio_chunk\",\"data\":\"QUJD\","
      "\"sequence\":-9223372036854775808}", &events);
  fail_unless_equals_int64 (event->sequence, -1);
  g_ptr_array_unref (events);
  event = parse_one (slng (), "{\"type\":\"audio_chunk\",\"data\":\"QUJD\","
      "\"sequence\":-5}", &events);
  fail_unless_equals_int64 (event->sequence, -1);
  g_ptr_array_unref (events);

  event = parse_one (slng (), "{\"type\":\"audio_end\",\"duration\":2.35}",
      &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_FLUSH_COMPLETED);
  fail_unless (event->duration == 2.35);
  g_ptr_array_unref (events);

  event = parse_one (slng (), "{\"type\":\"audio_end\",\"duration\":3}",
      &events);
  fail_unless (event->duration == 3.0);
  g_ptr_array_unref (events);

  event = parse_one (slng (), "{\"type\":\"audio_end\"}", &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_FLUSH_COMPLETED);
  fail_unless (event->duration < 0);
  g_ptr_array_unref (events);

  event = parse_one (slng (), "{\"type\":\"error\",\"code\":\"config_error\","
      "\"message\":\"Unsupported sample_rate\"}", &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_ERROR);
  fail_unless (event->context_id == NULL);
  fail_unless_equals_string (event->code_name, "config_error");
  fail_unless_equals_string (event->message, "Unsupported sample_rate");
  fail_unless_equals_int (event->code, 0);
  fail_if (event->fatal);
  g_ptr_array_unref (events);

  event = parse_one (slng (), "{\"type\":\"error\",\"code\":\"auth_error\","
      "\"message\":\"Invalid API key\"}", &events);
  fail_unless_equals_string (event->code_name, "auth_error");
  fail_unless (event->fatal);
  g_ptr_array_unref (events);

  event = parse_one (slng (), "{\"type\":\"error\"}", &events);
  fail_unless_equals_int (event->type, INWORLD_EVENT_ERROR);
  fail_unless (event->message != NULL && *event->message);
  fail_unless (event->code_name == NULL);
  g_ptr_array_unref (events);

  parse_none (slng (), "{\"type\":\"ready\",\"session_id\":\"s\"}");
  parse_none (slng (), "{\"type\":\"flushed\"}");
  parse_none (slng (), "{}");
  parse_none (slng (), "{\"type\":null}");
  /* Inworld frames mean nothing here */
  parse_none (slng (), "{\"result\":{\"contextId\":\"c\","
      "\"flushCompleted\":{}}}");

  parse_fails (slng (), "not json", INWORLD_PROTOCOL_ERROR_NOT_JSON);
  parse_fails (slng (), "[]", INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (slng (), "{\"type\":5}", INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (slng (), "{\"type\":\"audio_chunk\",\"data\":5}",
      INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (slng (), "{\"type\":\"audio_chunk\",\"data\":\"QUJ\"}",
      INWORLD_PROTOCOL_ERROR_BAD_BASE64);
  parse_fails (slng (), "{\"type\":\"audio_chunk\",\"data\":\"QU*D\"}",
      INWORLD_PROTOCOL_ERROR_BAD_BASE64);
  parse_fails (slng (), "{\"type\":\"audio_chunk\",\"data\":\"QUJD\","
      "\"sequence\":\"1\"}", INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (slng (), "{\"type\":\"audio_chunk\",\"data\":\"QUJD\","
      "\"sequence\":1e300}", INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (slng (), "{\"type\":\"audio_end\",\"duration\":\"2\"}",
      INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (slng (), "{\"type\":\"audio_end\",\"duration\":1e999}",
      INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (slng (), "{\"type\":\"error\",\"code\":401}",
      INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  parse_fails (slng (), "{\"type\":\"error\",\"message\":[]}",
      INWORLD_PROTOCOL_ERROR_BAD_FRAME);
  assert_message_has (slng (), "{\"type\":\"audio_chunk\",\"data\":true}",
      INWORLD_PROTOCOL_ERROR_BAD_FRAME, "data");
}

GST_END_TEST;

static Suite *
protocol_suite (void)
{
  Suite *s = suite_create ("protocol");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_tables);
  tcase_add_test (tc, test_config_init);
  tcase_add_test (tc, test_encoding_strings);
  tcase_add_test (tc, test_events);
  tcase_add_test (tc, test_inworld_create_full);
  tcase_add_test (tc, test_inworld_create_minimal);
  tcase_add_test (tc, test_inworld_send_text);
  tcase_add_test (tc, test_inworld_flush_close);
  tcase_add_test (tc, test_inworld_update_config);
  tcase_add_test (tc, test_inworld_context_created);
  tcase_add_test (tc, test_inworld_simple_results);
  tcase_add_test (tc, test_inworld_audio_chunk);
  tcase_add_test (tc, test_inworld_timings);
  tcase_add_test (tc, test_inworld_usage);
  tcase_add_test (tc, test_inworld_context_errors);
  tcase_add_test (tc, test_inworld_top_level_errors);
  tcase_add_test (tc, test_inworld_nothing_to_do);
  tcase_add_test (tc, test_inworld_bad_json);
  tcase_add_test (tc, test_inworld_bad_types);
  tcase_add_test (tc, test_inworld_bad_metadata);
  tcase_add_test (tc, test_inworld_bad_base64);
  tcase_add_test (tc, test_inworld_lifted_audio);
  tcase_add_test (tc, test_inworld_huge_frames);
  tcase_add_test (tc, test_inworld_mutations);
  tcase_add_test (tc, test_string_escapes);
  tcase_add_test (tc, test_inworld_huge_times);
  tcase_add_test (tc, test_several_values);
  tcase_add_test (tc, test_slng_builders);
  tcase_add_test (tc, test_slng_parse);
  return s;
}

GST_CHECK_MAIN (protocol);
