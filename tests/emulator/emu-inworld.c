/* inworld-tts-emulator: the Inworld bidirectional WebSocket route
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* How it fits together
 *
 * Everything except audio generation runs on the main thread. Client frames
 * are handled one at a time, in arrival order, as soon as they arrive.
 * Whatever a frame asks for that must come after earlier audio of the same
 * context (a flush's audio + flushCompleted, contextUpdated, contextClosed)
 * is queued as a job on that context; a context runs its jobs strictly in
 * order, so its replies can never be reordered. Replies that depend on no
 * earlier audio (contextCreated, errors) are sent at once. Contexts are
 * independent, so their frames interleave on the socket.
 *
 * A flush job generates and encodes its audio in a worker thread (GTask),
 * then sends chunk k once  first-audio-delay + start(k) / speed  has elapsed
 * since the job started. All frames leave through conn_send (), the single
 * ordered output of a connection.
 *
 * Lifetime: a connection owns its contexts, a context owns its jobs. Timer
 * sources are removed when their owner goes; a worker thread only holds a
 * reference on its job, whose back pointer is cleared when the context
 * goes, so a socket closing mid-synthesis leaves nothing dangling. */

#include "emu-inworld.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "emu-buffer.h"
#include "emu-encode.h"
#include "emu-hostile.h"
#include "emu-text.h"

#define MAX_SEND_TEXT_CHARS 2000        /* longer send_text is rejected */
#define DEFAULT_BUFFER_CHAR_THRESHOLD 1000
#define DEFAULT_MAX_BUFFER_DELAY_MS 3000
#define DEFAULT_SAMPLE_RATE 48000
#define G711_SAMPLE_RATE 8000   /* ALAW and MULAW: the only rate */
#define MAX_INCOMING_PAYLOAD (16 * 1024 * 1024)
#define LOG_FRAME_MAX 300       /* bytes of a frame shown by --verbose */

/* gRPC status codes the service uses */
enum
{
  CODE_OK = 0,
  CODE_INVALID_ARGUMENT = 3,
  CODE_NOT_FOUND = 5,
  CODE_ALREADY_EXISTS = 6,
  CODE_PERMISSION_DENIED = 7,
  CODE_RESOURCE_EXHAUSTED = 8,
  CODE_ABORTED = 10,
  CODE_INTERNAL = 13,
  CODE_UNAUTHENTICATED = 16,
};

#define MSG_INVALID_FRAME \
  "invalid WebSocket request for the selected response protocol"

typedef struct _EmuConn EmuConn;
typedef struct _EmuContext EmuContext;
typedef struct _EmuJob EmuJob;

/* ------------------------------------------------------------------ */
/* Context configuration                                              */

/* A create/update_config payload, or the effective config of a context.
 * Zero / NULL means "not set" (protobuf-JSON: defaults are unset). Enum
 * values point at the static strings of the tables below. */
typedef struct
{
  gchar *voice_id;
  gchar *model_id;
  gchar *language;
  const gchar *audio_encoding;
  gint sample_rate;
  gint bit_rate;
  gdouble speaking_rate;
  gdouble temperature;
  const gchar *apply_text_normalization;
  const gchar *timestamp_type;
  const gchar *timestamp_transport_strategy;
  const gchar *delivery_mode;
  const gchar *auto_mode_strategy;
  gboolean has_auto_mode;
  gboolean auto_mode;
  gint buffer_char_threshold;
  gint max_buffer_delay_ms;
} EmuConfig;

static const gchar *const audio_encodings[] = {
  "LINEAR16", "MP3", "OGG_OPUS", "ALAW", "MULAW", "FLAC", "PCM", "WAV", NULL
};
static const gchar *const text_normalizations[] = { "ON", "OFF", NULL };
static const gchar *const timestamp_types[] = { "WORD", "CHARACTER", NULL };
static const gchar *const transport_strategies[] = { "SYNC", "ASYNC", NULL };
static const gchar *const delivery_modes[] = {
  "DELIVERY_MODE_UNSPECIFIED", "STABLE", "BALANCED", "CREATIVE", NULL
};
static const gchar *const auto_mode_strategies[] = {
  "AUTO_MODE_STRATEGY_UNSPECIFIED", "CLIENT_SEGMENTED", "SENTENCE_BOUNDARY",
  NULL
};

/* SENTENCE_BOUNDARY (Preview) is for these models only */
static const gchar *const sentence_boundary_models[] = {
  "inworld-tts-2", "inworld-tts-2-flash", NULL
};

static const gchar *const known_models[] = {
  "inworld-tts-1", "inworld-tts-1-max", "inworld-tts-1.5-mini",
  "inworld-tts-1.5-max", "inworld-tts-2", "inworld-tts-2-flash", NULL
};

static void
config_clear (EmuConfig * cfg)
{
  g_free (cfg->voice_id);
  g_free (cfg->model_id);
  g_free (cfg->language);
  memset (cfg, 0, sizeof (*cfg));
}

static void
config_copy (EmuConfig * dest, const EmuConfig * src)
{
  *dest = *src;
  dest->voice_id = g_strdup (src->voice_id);
  dest->model_id = g_strdup (src->model_id);
  dest->language = g_strdup (src->language);
}

/* Overlays every field set in @delta onto @cfg. */
static void
config_merge (EmuConfig * cfg, const EmuConfig * delta)
{
#define MERGE_STR(f) \
  if (delta->f) { g_free (cfg->f); cfg->f = g_strdup (delta->f); }
#define MERGE_VAL(f) \
  if (delta->f) cfg->f = delta->f;
  MERGE_STR (voice_id);
  MERGE_STR (model_id);
  MERGE_STR (language);
  MERGE_VAL (audio_encoding);
  MERGE_VAL (sample_rate);
  MERGE_VAL (bit_rate);
  MERGE_VAL (speaking_rate);
  MERGE_VAL (temperature);
  MERGE_VAL (apply_text_normalization);
  MERGE_VAL (timestamp_type);
  MERGE_VAL (timestamp_transport_strategy);
  MERGE_VAL (delivery_mode);
  MERGE_VAL (auto_mode_strategy);
  MERGE_VAL (buffer_char_threshold);
  MERGE_VAL (max_buffer_delay_ms);
#undef MERGE_STR
#undef MERGE_VAL
  if (delta->has_auto_mode) {
    cfg->has_auto_mode = TRUE;
    cfg->auto_mode = delta->auto_mode;
  }
}

static EmuEncoding
config_encoding (const EmuConfig * cfg)
{
  EmuEncoding enc = EMU_ENCODING_DEFAULT;

  if (cfg->audio_encoding)
    emu_encoding_from_string (cfg->audio_encoding, &enc);
  return enc;
}

static gboolean
encoding_is_g711 (EmuEncoding enc)
{
  return enc == EMU_ENCODING_ALAW || enc == EMU_ENCODING_MULAW;
}

/* sampleRateHertz, or its default: 8000 for A-law / µ-law, else 48000. */
static gint
config_rate (const EmuConfig * cfg)
{
  if (cfg->sample_rate)
    return cfg->sample_rate;
  return encoding_is_g711 (config_encoding (cfg)) ? G711_SAMPLE_RATE :
      DEFAULT_SAMPLE_RATE;
}

/* The sample rates MP3 offers (documented: 16-48 kHz). */
static const gint mp3_rates[] = { 16000, 22050, 24000, 32000, 44100, 48000 };

/* The per-encoding limits of audioConfig; NULL when they are met. */
static gchar *
config_check_audio (const EmuConfig * cfg)
{
  EmuEncoding enc = config_encoding (cfg);
  const gchar *name = emu_encoding_to_string (enc);
  gint rate = config_rate (cfg);
  gint min_bit_rate = 0, max_bit_rate = 0;

  if (rate < 8000 || rate > 48000)
    return g_strdup_printf ("sample_rate_hertz must be between 8000 and "
        "48000, got %d.", rate);

  switch (enc) {
    case EMU_ENCODING_MP3:{
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (mp3_rates); i++)
        known |= mp3_rates[i] == rate;
      if (!known)
        return g_strdup_printf ("sample_rate_hertz must be one of 16000, "
            "22050, 24000, 32000, 44100, 48000 for MP3, got %d.", rate);
      min_bit_rate = 32000;
      max_bit_rate = 320000;
      break;
    }
    case EMU_ENCODING_OGG_OPUS:
      min_bit_rate = 32000;
      max_bit_rate = 192000;
      break;
    case EMU_ENCODING_ALAW:
    case EMU_ENCODING_MULAW:
      if (rate != G711_SAMPLE_RATE)
        return g_strdup_printf ("sample_rate_hertz must be %d for %s, "
            "got %d.", G711_SAMPLE_RATE, name, rate);
      break;
    default:
      /* bitRate only applies to MP3 and Opus; ignored elsewhere */
      break;
  }
  if (max_bit_rate && cfg->bit_rate && (cfg->bit_rate < min_bit_rate
          || cfg->bit_rate > max_bit_rate))
    return g_strdup_printf ("bit_rate must be between %d and %d for %s, "
        "got %d.", min_bit_rate, max_bit_rate, name, cfg->bit_rate);
  return NULL;
}

static gint
config_max_buffer_delay (const EmuConfig * cfg)
{
  return cfg->max_buffer_delay_ms ? cfg->max_buffer_delay_ms :
      DEFAULT_MAX_BUFFER_DELAY_MS;
}

/* Semantic checks of an effective config; the message is the in-context
 * error (code 3) the client gets. */
static gchar *
config_check (const EmuConfig * cfg)
{
  gchar *problem;

  if (!cfg->model_id)
    return g_strdup ("model_id is required.");
  if (!g_strv_contains (known_models, cfg->model_id))
    return g_strdup_printf ("model_id: %s is not supported.", cfg->model_id);
  if (!cfg->voice_id)
    return g_strdup ("voice_id is required.");
  if ((problem = config_check_audio (cfg)))
    return problem;
  if (cfg->speaking_rate && (cfg->speaking_rate < 0.5
          || cfg->speaking_rate > 1.5))
    return g_strdup_printf ("speaking_rate must be between 0.5 and 1.5, "
        "got %g.", cfg->speaking_rate);
  if (cfg->temperature && (cfg->temperature < 0 || cfg->temperature > 2))
    return g_strdup_printf ("temperature must be in (0, 2], got %g.",
        cfg->temperature);
  if (cfg->buffer_char_threshold < 0 || cfg->buffer_char_threshold > 1000)
    return g_strdup_printf ("buffer_char_threshold must be between 0 and "
        "1000, got %d.", cfg->buffer_char_threshold);
  if (cfg->max_buffer_delay_ms < 0)
    return g_strdup_printf ("max_buffer_delay_ms must not be negative, "
        "got %d.", cfg->max_buffer_delay_ms);
  if (g_strcmp0 (cfg->auto_mode_strategy, "SENTENCE_BOUNDARY") == 0
      && !g_strv_contains (sentence_boundary_models, cfg->model_id))
    return g_strdup_printf ("auto_mode_strategy SENTENCE_BOUNDARY is only "
        "supported by inworld-tts-2 and inworld-tts-2-flash, not %s.",
        cfg->model_id);
  return NULL;
}

/* The auto mode strategy in effect: SENTENCE_BOUNDARY only when asked
 * for; CLIENT_SEGMENTED also when absent or UNSPECIFIED. */
static gboolean
config_sentence_boundary (const EmuConfig * cfg)
{
  return cfg->auto_mode
      && g_strcmp0 (cfg->auto_mode_strategy, "SENTENCE_BOUNDARY") == 0;
}

/* The echo of contextCreated / contextUpdated: every field that is set,
 * maxBufferDelayMs always (its default when unset), and the two object
 * fields the service always echoes as null. */
static JsonNode *
config_to_json (const EmuConfig * cfg)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *node;

  json_builder_begin_object (b);
  if (cfg->voice_id) {
    json_builder_set_member_name (b, "voiceId");
    json_builder_add_string_value (b, cfg->voice_id);
  }
  json_builder_set_member_name (b, "audioConfig");
  json_builder_begin_object (b);
  if (cfg->audio_encoding) {
    json_builder_set_member_name (b, "audioEncoding");
    json_builder_add_string_value (b, cfg->audio_encoding);
  }
  if (cfg->sample_rate) {
    json_builder_set_member_name (b, "sampleRateHertz");
    json_builder_add_int_value (b, cfg->sample_rate);
  }
  if (cfg->bit_rate) {
    json_builder_set_member_name (b, "bitRate");
    json_builder_add_int_value (b, cfg->bit_rate);
  }
  if (cfg->speaking_rate) {
    json_builder_set_member_name (b, "speakingRate");
    json_builder_add_double_value (b, cfg->speaking_rate);
  }
  json_builder_end_object (b);
  if (cfg->model_id) {
    json_builder_set_member_name (b, "modelId");
    json_builder_add_string_value (b, cfg->model_id);
  }
  if (cfg->temperature) {
    json_builder_set_member_name (b, "temperature");
    json_builder_add_double_value (b, cfg->temperature);
  }
  if (cfg->language) {
    json_builder_set_member_name (b, "language");
    json_builder_add_string_value (b, cfg->language);
  }
  json_builder_set_member_name (b, "maxBufferDelayMs");
  json_builder_add_int_value (b, config_max_buffer_delay (cfg));
  if (cfg->buffer_char_threshold) {
    json_builder_set_member_name (b, "bufferCharThreshold");
    json_builder_add_int_value (b, cfg->buffer_char_threshold);
  }
  if (cfg->apply_text_normalization) {
    json_builder_set_member_name (b, "applyTextNormalization");
    json_builder_add_string_value (b, cfg->apply_text_normalization);
  }
  if (cfg->has_auto_mode) {
    json_builder_set_member_name (b, "autoMode");
    json_builder_add_boolean_value (b, cfg->auto_mode);
  }
  if (cfg->auto_mode_strategy) {
    json_builder_set_member_name (b, "autoModeStrategy");
    json_builder_add_string_value (b, cfg->auto_mode_strategy);
  }
  if (cfg->timestamp_type) {
    json_builder_set_member_name (b, "timestampType");
    json_builder_add_string_value (b, cfg->timestamp_type);
  }
  if (cfg->timestamp_transport_strategy) {
    json_builder_set_member_name (b, "timestampTransportStrategy");
    json_builder_add_string_value (b, cfg->timestamp_transport_strategy);
  }
  if (cfg->delivery_mode) {
    json_builder_set_member_name (b, "deliveryMode");
    json_builder_add_string_value (b, cfg->delivery_mode);
  }
  json_builder_set_member_name (b, "synthesisContext");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "pronunciationDictionarySettings");
  json_builder_add_null_value (b);
  json_builder_end_object (b);

  node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

/* ------------------------------------------------------------------ */
/* Reading client JSON (protobuf-JSON rules)                          */

/* Looks up a field by its camelCase name or its snake_case twin. */
static JsonNode *
member (JsonObject * obj, const gchar * camel)
{
  JsonNode *node;
  GString *snake;

  if (!obj)
    return NULL;
  node = json_object_get_member (obj, camel);
  if (node)
    return node;

  snake = g_string_new (NULL);
  for (const gchar * p = camel; *p; p++) {
    if (g_ascii_isupper (*p)) {
      g_string_append_c (snake, '_');
      g_string_append_c (snake, g_ascii_tolower (*p));
    } else {
      g_string_append_c (snake, *p);
    }
  }
  node = json_object_get_member (obj, snake->str);
  g_string_free (snake, TRUE);
  return node;
}

static gboolean
is_null (JsonNode * node)
{
  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

static gboolean
type_error (GError ** error, const gchar * field, const gchar * expected)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "invalid value for field \"%s\": expected %s", field, expected);
  return FALSE;
}

static gboolean
read_string (JsonObject * obj, const gchar * field, gchar ** out,
    GError ** error)
{
  JsonNode *node = member (obj, field);

  if (is_null (node))
    return TRUE;
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    return type_error (error, field, "a string");
  g_free (*out);
  *out = json_node_dup_string (node);
  if (**out == '\0')
    g_clear_pointer (out, g_free);
  return TRUE;
}

/* Numbers may be JSON numbers or numeric strings, as protobuf-JSON allows. */
static gboolean
read_double (JsonObject * obj, const gchar * field, gdouble * out,
    GError ** error)
{
  JsonNode *node = member (obj, field);
  GType type;

  if (is_null (node))
    return TRUE;
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : 0;
  if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE) {
    *out = json_node_get_double (node);
    return TRUE;
  }
  if (type == G_TYPE_STRING) {
    const gchar *s = json_node_get_string (node);
    gchar *end;

    *out = g_ascii_strtod (s, &end);
    if (*s && *end == '\0')
      return TRUE;
  }
  return type_error (error, field, "a number");
}

static gboolean
read_int (JsonObject * obj, const gchar * field, gint * out, GError ** error)
{
  gdouble v = 0;

  if (!read_double (obj, field, &v, error))
    return FALSE;
  if (v < G_MININT || v > G_MAXINT || v != (gint) v)
    return type_error (error, field, "a 32-bit integer");
  if (v)
    *out = (gint) v;
  return TRUE;
}

static gboolean
read_bool (JsonObject * obj, const gchar * field, gboolean * has,
    gboolean * out, GError ** error)
{
  JsonNode *node = member (obj, field);

  if (is_null (node))
    return TRUE;
  if (json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return type_error (error, field, "a boolean");
  *has = TRUE;
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* Enums: a known name is kept; an unknown name or a number is ignored as
 * protobuf-JSON parsers with ignore-unknown-fields do (the service accepted
 * an unknown audioEncoding silently); any other type is an error (a
 * boolean applyTextNormalization broke context creation for livekit). */
static gboolean
read_enum (JsonObject * obj, const gchar * field, const gchar * const *values,
    const gchar ** out, GError ** error)
{
  JsonNode *node = member (obj, field);
  GType type;

  if (is_null (node))
    return TRUE;
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : 0;
  if (type == G_TYPE_STRING) {
    const gchar *s = json_node_get_string (node);

    for (guint i = 0; values[i]; i++)
      if (strcmp (s, values[i]) == 0)
        *out = values[i];
    return TRUE;
  }
  if (type == G_TYPE_INT64)
    return TRUE;
  return type_error (error, field, "an enum name");
}

static gboolean
read_object (JsonObject * obj, const gchar * field, JsonObject ** out,
    GError ** error)
{
  JsonNode *node = member (obj, field);

  *out = NULL;
  if (is_null (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (error, field, "an object");
  *out = json_node_get_object (node);
  return TRUE;
}

/* Reads a create / update_config payload into @cfg (all unset before).
 * Unknown fields are ignored. */
static gboolean
config_parse (JsonObject * obj, EmuConfig * cfg, GError ** error)
{
  JsonObject *audio = NULL, *ignored;

  return read_string (obj, "voiceId", &cfg->voice_id, error)
      && read_string (obj, "modelId", &cfg->model_id, error)
      && read_string (obj, "language", &cfg->language, error)
      && read_double (obj, "temperature", &cfg->temperature, error)
      && read_enum (obj, "applyTextNormalization", text_normalizations,
      &cfg->apply_text_normalization, error)
      && read_enum (obj, "timestampType", timestamp_types,
      &cfg->timestamp_type, error)
      && read_enum (obj, "timestampTransportStrategy", transport_strategies,
      &cfg->timestamp_transport_strategy, error)
      && read_enum (obj, "deliveryMode", delivery_modes,
      &cfg->delivery_mode, error)
      && read_enum (obj, "autoModeStrategy", auto_mode_strategies,
      &cfg->auto_mode_strategy, error)
      && read_bool (obj, "autoMode", &cfg->has_auto_mode, &cfg->auto_mode,
      error)
      && read_int (obj, "bufferCharThreshold", &cfg->buffer_char_threshold,
      error)
      && read_int (obj, "maxBufferDelayMs", &cfg->max_buffer_delay_ms, error)
      && read_object (obj, "synthesisContext", &ignored, error)
      && read_object (obj, "pronunciationDictionarySettings", &ignored, error)
      && read_object (obj, "audioConfig", &audio, error)
      && read_enum (audio, "audioEncoding", audio_encodings,
      &cfg->audio_encoding, error)
      && read_int (audio, "sampleRateHertz", &cfg->sample_rate, error)
      && read_int (audio, "bitRate", &cfg->bit_rate, error)
      && read_double (audio, "speakingRate", &cfg->speaking_rate, error);
}

/* ------------------------------------------------------------------ */
/* Building server JSON                                               */

static gchar *
node_to_string (JsonNode * root)
{
  JsonGenerator *gen = json_generator_new ();
  gchar *text;

  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  g_object_unref (gen);
  json_node_unref (root);
  return text;
}

static JsonNode *
empty_object (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

/* {"result":{"contextId":..,"<kind>":<body>,"status":{..}}}; @kind NULL
 * for an in-context error. Takes @body. */
static gchar *
build_result (const gchar * context_id, const gchar * kind, JsonNode * body,
    gint code, const gchar * message)
{
  JsonBuilder *b = json_builder_new ();
  gchar *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "result");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "contextId");
  json_builder_add_string_value (b, context_id ? context_id : "");
  if (kind) {
    json_builder_set_member_name (b, kind);
    json_builder_add_value (b, body);
  }
  json_builder_set_member_name (b, "status");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_int_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message ? message : "");
  json_builder_set_member_name (b, "details");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);

  text = node_to_string (json_builder_get_root (b));
  g_object_unref (b);
  return text;
}

/* Top-level {"error":{..}}. With @error_type, details carry it (fatal
 * session errors); otherwise the malformed-frame variant with a string
 * status and no details. */
static gchar *
build_error (gint code, const gchar * message, const gchar * error_type,
    const gchar * reconnect_type)
{
  JsonBuilder *b = json_builder_new ();
  gchar *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_int_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  if (error_type) {
    json_builder_set_member_name (b, "details");
    json_builder_begin_array (b);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "errorType");
    json_builder_add_string_value (b, error_type);
    if (reconnect_type) {
      json_builder_set_member_name (b, "reconnectType");
      json_builder_add_string_value (b, reconnect_type);
    }
    json_builder_end_object (b);
    json_builder_end_array (b);
  } else if (code == CODE_INVALID_ARGUMENT) {
    /* the status string was seen with code 3 only (reference §6); a
     * status that names another code would contradict it */
    json_builder_set_member_name (b, "status");
    json_builder_add_string_value (b, "INVALID_ARGUMENT");
  }
  json_builder_end_object (b);
  json_builder_end_object (b);

  text = node_to_string (json_builder_get_root (b));
  g_object_unref (b);
  return text;
}

/* ------------------------------------------------------------------ */
/* Connection, context and job state                                  */

typedef enum
{
  AUTH_PENDING,
  AUTH_OK,
  AUTH_FAILED,
} AuthState;

struct _EmuInworldRoute
{
  const EmuOptions *opts;
  GList *conns;                 /* EmuConn*, owned */
  guint next_conn_id;
};

struct _EmuConn
{
  EmuInworldRoute *route;
  const EmuOptions *opts;
  guint id;                     /* for logs */
  SoupWebsocketConnection *ws;
  GSocket *socket;              /* for --reset-after-first-frame */
  gulong message_handler;
  gulong closed_handler;
  gchar *credential;            /* from the upgrade; NULL = none sent */
  AuthState auth;
  GHashTable *open;             /* context id -> EmuContext (not owned) */
  GList *contexts;              /* every live EmuContext, owned */
  guint64 audio_chunks_sent;
  gint64 last_activity;         /* monotonic, µs */
  guint inactivity_source;
  guint teardown_source;
  gboolean dead;                /* closed or dropped: send nothing more */
};

struct _EmuContext
{
  EmuConn *conn;
  gchar *id;
  gboolean open;                /* in conn->open; FALSE once closing */
  EmuConfig config;
  EmuBuffer *buffer;            /* text not synthesized yet, and the rules */
  guint delay_source;           /* maxBufferDelayMs timer */
  GQueue jobs;                  /* EmuJob*, head runs first */
};

typedef enum
{
  JOB_FLUSH,                    /* one synthesis: audio chunks, then
                                 * flushCompleted */
  JOB_MESSAGE,                  /* send a prebuilt frame */
  JOB_CLOSE,                    /* send contextClosed, free the context */
  JOB_RETIRE,                   /* free the context silently */
} JobKind;

typedef enum
{
  TIMESTAMPS_NONE,
  TIMESTAMPS_SYNC,              /* each chunk carries its own items */
  TIMESTAMPS_ASYNC,             /* an audio-less frame per chunk, late */
} TimestampMode;

struct _EmuJob
{
  gint ref;                     /* main thread only */
  JobKind kind;
  EmuContext *ctx;              /* NULL once the context is gone */
  gchar *message;               /* JOB_MESSAGE */

  /* JOB_FLUSH: snapshot of what to synthesise, taken at flush time */
  gchar *text;
  guint n_chars;
  gchar *model_id;
  EmuEncoding encoding;
  gint rate;
  gint bit_rate;                /* 0 = the API default */
  TimestampMode ts_mode;
  EmuAlignMode align_mode;
  gdouble speaking_rate;
  gchar *language;

  /* JOB_FLUSH progress */
  gboolean started;
  gboolean generating;
  GCancellable *cancellable;
  gint64 t0;                    /* monotonic µs when synthesis began */
  GPtrArray *chunks;            /* EmuChunk*, once generated */
  GArray *align;                /* EmuAlignItem, when timestamps are on */
  guint next_chunk;
  guint next_align;
  /* ASYNC: the items of the chunk sent last, whose timestamp-only frame
   * goes out after the next chunk */
  gboolean ts_pending;
  guint ts_first;
  guint ts_end;
  guint timer;                  /* pacing timeout */
};

static void conn_send (EmuConn * conn, gchar * frame, gboolean is_audio);
static void context_pump (EmuContext * ctx);
static void hostile_mid_flush (EmuJob * job, const gchar * sent);
static void hostile_after_close (EmuContext * ctx);
static void context_free (EmuContext * ctx);

static void
emu_log (EmuConn * conn, const gchar * format, ...) G_GNUC_PRINTF (2, 3);

static void
emu_log (EmuConn * conn, const gchar * format, ...)
{
  va_list args;
  gchar *text, *line;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  line = g_strdup_printf ("conn %u: %s", conn->id, text);
  emu_options_log (conn->opts, line);
  g_free (line);
  g_free (text);
}

/* --inject-error: TRUE (once per count) when it applies at @when. */
static gboolean
take_injection (EmuConn * conn, EmuInjectWhen when)
{
  static guint injected;

  if (conn->opts->inject_when != when || injected >=
      conn->opts->inject_count || conn->dead)
    return FALSE;
  injected++;
  return TRUE;
}

static void conn_drop (EmuConn * conn, const gchar * why);

/* A top-level error, then what the service does after one: a close
 * (1000) after an authentication error, nothing after a bad frame (3),
 * an abnormal drop otherwise (as after "Paused due to inactivity"). */
static void
inject_top_level (EmuConn * conn)
{
  gint code = conn->opts->inject_code;
  gchar *msg = g_strdup_printf ("error %d injected by --inject-error", code);

  conn_send (conn, build_error (code, msg, NULL, NULL), FALSE);
  g_free (msg);
  if (code == CODE_INVALID_ARGUMENT)
    return;
  if (code == CODE_PERMISSION_DENIED || code == CODE_UNAUTHENTICATED) {
    emu_log (conn, "closing after the injected error");
    conn->dead = TRUE;
    soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
        NULL);
    return;
  }
  conn_drop (conn, "--inject-error");
}

static EmuJob *
job_new (JobKind kind, EmuContext * ctx)
{
  EmuJob *job = g_new0 (EmuJob, 1);

  job->ref = 1;
  job->kind = kind;
  job->ctx = ctx;
  return job;
}

static EmuJob *
job_ref (EmuJob * job)
{
  job->ref++;
  return job;
}

static void
job_unref (EmuJob * job)
{
  if (--job->ref > 0)
    return;
  g_assert (job->timer == 0);
  g_free (job->message);
  g_free (job->text);
  g_free (job->model_id);
  g_free (job->language);
  g_clear_object (&job->cancellable);
  g_clear_pointer (&job->chunks, g_ptr_array_unref);
  g_clear_pointer (&job->align, g_array_unref);
  g_free (job);
}

/* Cuts a job loose from its context: stops its timer and any synthesis. */
static void
job_detach (EmuJob * job)
{
  job->ctx = NULL;
  if (job->timer) {
    g_source_remove (job->timer);
    job->timer = 0;
  }
  if (job->cancellable)
    g_cancellable_cancel (job->cancellable);
}

/* ------------------------------------------------------------------ */
/* Synthesis (worker thread)                                          */

/* Immutable inputs of one synthesis, owned by its GTask. */
typedef struct
{
  EmuAudioSource source;
  gchar *text;
  gint rate;
  gdouble speaking_rate;
  gchar *language;
  EmuEncoding encoding;
  gint bit_rate;
  gboolean align;
  EmuAlignMode align_mode;
} SynthRequest;

typedef struct
{
  GPtrArray *chunks;
  GArray *align;
} SynthResult;

static void
synth_request_free (SynthRequest * req)
{
  g_free (req->text);
  g_free (req->language);
  g_free (req);
}

static void
synth_result_free (SynthResult * res)
{
  g_clear_pointer (&res->chunks, g_ptr_array_unref);
  g_clear_pointer (&res->align, g_array_unref);
  g_free (res);
}

static void
synth_thread (GTask * task, gpointer source, gpointer task_data,
    GCancellable * cancellable)
{
  SynthRequest *req = task_data;
  SynthResult *res;
  GError *error = NULL;
  gint16 *samples;
  gsize n;

  samples = emu_audio_generate (req->source, req->text, req->rate,
      req->speaking_rate, req->language, &n);
  res = g_new0 (SynthResult, 1);
  res->chunks = emu_encode_flush (req->encoding, req->rate, req->bit_rate,
      samples, n, &error);
  g_free (samples);
  if (!res->chunks) {
    synth_result_free (res);
    g_task_return_error (task, error);
    return;
  }
  if (req->align)
    res->align = emu_audio_align (req->text, (gdouble) n / req->rate,
        req->align_mode);
  g_task_return_pointer (task, res, (GDestroyNotify) synth_result_free);
}

static void
synth_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  EmuJob *job = user_data;
  SynthResult *res;
  GError *error = NULL;

  res = g_task_propagate_pointer (G_TASK (result), &error);
  if (!job->ctx) {
    /* the context went while we were synthesising */
    g_clear_error (&error);
    g_clear_pointer (&res, synth_result_free);
    job_unref (job);
    return;
  }

  job->generating = FALSE;
  if (res) {
    job->chunks = g_steal_pointer (&res->chunks);
    job->align = g_steal_pointer (&res->align);
    synth_result_free (res);
  } else {
    /* only an encoder failure (e.g. a GStreamer plugin missing) gets
     * here with a validated config; say so rather than hang */
    conn_send (job->ctx->conn, build_result (job->ctx->id, NULL, NULL,
            CODE_INTERNAL, error->message), FALSE);
    g_clear_error (&error);
    job->chunks = g_ptr_array_new ();
  }
  context_pump (job->ctx);
  job_unref (job);
}

static void
job_start_synthesis (EmuJob * job)
{
  EmuConn *conn = job->ctx->conn;
  SynthRequest *req = g_new0 (SynthRequest, 1);
  GTask *task;

  req->source = conn->opts->audio;
  req->text = g_strdup (job->text);
  req->rate = job->rate;
  req->speaking_rate = job->speaking_rate;
  req->language = g_strdup (job->language);
  req->encoding = job->encoding;
  req->bit_rate = job->bit_rate;
  req->align = job->ts_mode != TIMESTAMPS_NONE;
  req->align_mode = job->align_mode;

  job->generating = TRUE;
  job->cancellable = g_cancellable_new ();
  task = g_task_new (NULL, job->cancellable, synth_done, job_ref (job));
  g_task_set_task_data (task, req, (GDestroyNotify) synth_request_free);
  g_task_run_in_thread (task, synth_thread);
  g_object_unref (task);
}

/* ------------------------------------------------------------------ */
/* Audio chunk frames                                                 */

static void
add_alignment (JsonBuilder * b, EmuJob * job, guint first, guint end)
{
  gboolean words = job->align_mode != EMU_ALIGN_CHARACTERS;
  const gchar *names[3] = {
    words ? "words" : "characters",
    words ? "wordStartTimeSeconds" : "characterStartTimeSeconds",
    words ? "wordEndTimeSeconds" : "characterEndTimeSeconds",
  };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, words ? "wordAlignment" :
      "characterAlignment");
  json_builder_begin_object (b);
  for (guint field = 0; field < 3; field++) {
    json_builder_set_member_name (b, names[field]);
    json_builder_begin_array (b);
    for (guint i = first; i < end; i++) {
      EmuAlignItem *item = &g_array_index (job->align, EmuAlignItem, i);
      gdouble t = field == 1 ? item->start : item->end;

      if (field == 0)
        json_builder_add_string_value (b, item->text);
      else                      /* whole microseconds keep the JSON short */
        json_builder_add_double_value (b, (gint64) (t * 1e6 + 0.5) / 1e6);
    }
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

/* An audioChunk frame for @context_id. @chunk NULL: the audio-less
 * timestamp frame of ASYNC mode. Alignment items [@first, @end) go into
 * timestampInfo. @broken: --hostile=bad-base64, the base64 is spoilt. */
static gchar *
build_audio_chunk_full (const gchar * context_id, EmuJob * job,
    EmuChunk * chunk, guint chars, gboolean with_ts, guint first, guint end,
    gboolean broken)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *body;

  json_builder_begin_object (b);
  if (chunk) {
    gsize size;
    gconstpointer data = g_bytes_get_data (chunk->data, &size);
    gchar *b64 = g_base64_encode (data, size);

    if (broken)
      emu_hostile_break_base64 (b64);
    json_builder_set_member_name (b, "audioContent");
    json_builder_add_string_value (b, b64);
    g_free (b64);
  }
  json_builder_set_member_name (b, "usage");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "processedCharactersCount");
  json_builder_add_int_value (b, chars);
  json_builder_set_member_name (b, "modelId");
  json_builder_add_string_value (b, job->model_id);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "timestampInfo");
  if (with_ts)
    add_alignment (b, job, first, end);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);

  body = json_builder_get_root (b);
  g_object_unref (b);
  return build_result (context_id, "audioChunk", body, CODE_OK, "");
}

static gchar *
build_audio_chunk (EmuJob * job, EmuChunk * chunk, guint chars,
    gboolean with_ts, guint first, guint end)
{
  return build_audio_chunk_full (job->ctx->id, job, chunk, chars, with_ts,
      first, end, FALSE);
}

/* ASYNC: the timestamp-only audioChunk of the chunk sent before, if its
 * frame is still due. */
static void
job_send_async_timestamps (EmuJob * job)
{
  if (!job->ts_pending || job->ctx->conn->dead)
    return;
  job->ts_pending = FALSE;
  conn_send (job->ctx->conn, build_audio_chunk (job, NULL, 0, TRUE,
          job->ts_first, job->ts_end), FALSE);
}

/* Sends chunk job->next_chunk. */
static void
job_send_chunk (EmuJob * job)
{
  guint index = job->next_chunk++;
  EmuChunk *chunk = g_ptr_array_index (job->chunks, index);
  guint first = job->next_align, end = first;
  guint hostile = job->ctx->conn->opts->hostile;
  /* --hostile=bad-base64 spoils the second chunk (the only one of a
   * one-chunk flush) */
  gboolean broken = (hostile & EMU_HOSTILE_BAD_BASE64)
      && index == MIN (1, job->chunks->len - 1);
  gchar *frame, *sent = NULL;

  if (job->ts_mode != TIMESTAMPS_NONE) {
    /* the items that start inside this chunk; the last chunk takes all */
    gboolean last = index + 1 == job->chunks->len;
    gdouble chunk_end = (gdouble) (chunk->first_sample + chunk->n_samples)
        / job->rate;

    while (end < job->align->len && (last
            || g_array_index (job->align, EmuAlignItem, end).start
            < chunk_end - 1e-9))
      end++;
    job->next_align = end;
  }
  frame = build_audio_chunk_full (job->ctx->id, job, chunk,
      index == 0 ? job->n_chars : 0, job->ts_mode == TIMESTAMPS_SYNC,
      first, end, broken);
  if (broken && job->ctx->conn->opts->verbose)
    emu_log (job->ctx->conn, "hostile bad-base64: audioChunk %u of %u of "
        "context %s (samples %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
        ") with its audioContent not base64: its audio is lost", index + 1,
        job->chunks->len, job->ctx->id, chunk->first_sample,
        chunk->first_sample + chunk->n_samples);
  /* the other kinds go in after the first chunk of every synthesis */
  if (index == 0 && hostile)
    sent = g_strdup (frame);
  conn_send (job->ctx->conn, frame, TRUE);
  if (job->ctx->conn->audio_chunks_sent == 1
      && take_injection (job->ctx->conn, EMU_INJECT_TOP)) {
    inject_top_level (job->ctx->conn);
    g_free (sent);
    return;
  }
  if (sent) {
    hostile_mid_flush (job, sent);
    g_free (sent);
  }
  if (job->ts_mode == TIMESTAMPS_ASYNC) {
    /* the previous chunk's timings trail this chunk's audio */
    job_send_async_timestamps (job);
    job->ts_pending = TRUE;
    job->ts_first = first;
    job->ts_end = end;
  }
}

static gboolean
job_timer_cb (gpointer user_data)
{
  EmuJob *job = user_data;

  job->timer = 0;
  context_pump (job->ctx);
  return G_SOURCE_REMOVE;
}

/* Advances a synthesis as far as the clock allows. TRUE when it is
 * done. */
static gboolean
job_run_flush (EmuJob * job)
{
  EmuConn *conn = job->ctx->conn;
  /* wall-clock delays, not scaled by --speed (which paces the audio) */
  guint delay_ms = conn->opts->first_audio_delay_ms;

  /* SYNC timestamps: the service aligns before it sends audio */
  if (job->ts_mode == TIMESTAMPS_SYNC)
    delay_ms += conn->opts->alignment_delay_ms;

  if (!job->started) {
    job->started = TRUE;
    job->t0 = g_get_monotonic_time ();
    job_start_synthesis (job);
    return FALSE;
  }
  if (job->generating || job->timer)
    return FALSE;

  while (job->next_chunk < job->chunks->len) {
    EmuChunk *chunk = g_ptr_array_index (job->chunks, job->next_chunk);
    gint64 due = job->t0 + (gint64) delay_ms * 1000;
    gint64 now = g_get_monotonic_time ();

    if (conn->opts->speed > 0)
      due += (gint64) (chunk->first_sample * 1e6 / job->rate
          / conn->opts->speed);
    if (now < due) {
      job->timer = g_timeout_add ((guint) ((due - now + 999) / 1000),
          job_timer_cb, job);
      return FALSE;
    }
    job_send_chunk (job);
    if (conn->dead)
      return FALSE;
  }

  /* the last chunk's timings, before flushCompleted */
  job_send_async_timestamps (job);
  conn_send (conn, build_result (job->ctx->id, "flushCompleted",
          empty_object (), CODE_OK, ""), FALSE);
  return TRUE;
}

/* Runs the context's jobs in order until one has to wait. May free @ctx:
 * callers must not touch it afterwards. */
static void
context_pump (EmuContext * ctx)
{
  EmuJob *job;

  while ((job = g_queue_peek_head (&ctx->jobs))) {
    if (ctx->conn->dead)
      return;

    switch (job->kind) {
      case JOB_FLUSH:
        if (!job_run_flush (job))
          return;
        break;
      case JOB_MESSAGE:
        conn_send (ctx->conn, g_steal_pointer (&job->message), FALSE);
        break;
      case JOB_CLOSE:
        conn_send (ctx->conn, build_result (ctx->id, "contextClosed",
                empty_object (), CODE_OK, ""), FALSE);
        hostile_after_close (ctx);
        context_free (ctx);
        return;
      case JOB_RETIRE:
        /* --early-context-closed: contextClosed went out before */
        hostile_after_close (ctx);
        context_free (ctx);
        return;
    }
    g_queue_pop_head (&ctx->jobs);
    job_detach (job);
    /* auto mode starts the batch that waited for this synthesis; its
     * jobs join the queue, and this loop runs them */
    if (job->kind == JOB_FLUSH)
      emu_buffer_synthesis_done (ctx->buffer);
    job_unref (job);
  }
}

/* The buffer's synthesis: one job with the settings in effect now, so
 * that update_config's forced synthesis keeps the old ones. */
static void
context_synthesize_cb (const gchar * text, guint n_chars, gboolean speak,
    gpointer user_data)
{
  EmuContext *ctx = user_data;
  const EmuConfig *cfg = &ctx->config;
  EmuJob *job;

  if (!speak) {
    if (ctx->conn->opts->verbose)
      emu_log (ctx->conn, "context %s: nothing to speak in %u characters, "
          "no synthesis", ctx->id, n_chars);
    return;
  }
  if (ctx->conn->opts->verbose)
    emu_log (ctx->conn, "context %s: synthesis of %u characters, voice %s",
        ctx->id, n_chars, cfg->voice_id ? cfg->voice_id : "(none)");

  job = job_new (JOB_FLUSH, ctx);
  job->text = g_strdup (text);
  job->n_chars = n_chars;
  job->model_id = g_strdup (cfg->model_id);
  job->encoding = config_encoding (cfg);
  job->rate = config_rate (cfg);
  job->bit_rate = cfg->bit_rate;
  job->speaking_rate = cfg->speaking_rate ? cfg->speaking_rate : 1.0;
  job->language = g_strdup (cfg->language);
  if (cfg->timestamp_type) {
    if (g_str_equal (cfg->timestamp_type, "CHARACTER"))
      job->align_mode = EMU_ALIGN_CHARACTERS;
    else
      job->align_mode = ctx->conn->opts->align_tokens ? EMU_ALIGN_TOKENS :
          EMU_ALIGN_WORDS;
    job->ts_mode = g_strcmp0 (cfg->timestamp_transport_strategy,
        "ASYNC") == 0 ? TIMESTAMPS_ASYNC : TIMESTAMPS_SYNC;
  }
  g_queue_push_tail (&ctx->jobs, job);
}

/* bufferCharThreshold in effect: --force-buffer-char-threshold, else the
 * client's, else 1000. */
static guint
context_threshold (EmuContext * ctx)
{
  if (ctx->conn->opts->force_buffer_char_threshold)
    return ctx->conn->opts->force_buffer_char_threshold;
  if (ctx->config.buffer_char_threshold > 0)
    return ctx->config.buffer_char_threshold;
  return DEFAULT_BUFFER_CHAR_THRESHOLD;
}

/* maxBufferDelayMs in effect: --force-max-buffer-delay, else the
 * client's, else 3000. */
static guint
context_max_buffer_delay (EmuContext * ctx)
{
  if (ctx->conn->opts->force_max_buffer_delay_ms >= 0)
    return ctx->conn->opts->force_max_buffer_delay_ms;
  return config_max_buffer_delay (&ctx->config);
}

/* Hands the config's buffering (auto mode, threshold) to the buffer. */
static void
context_apply_buffering (EmuContext * ctx)
{
  EmuBufferMode mode = EMU_BUFFER_MANUAL;

  if (config_sentence_boundary (&ctx->config))
    mode = EMU_BUFFER_SENTENCES;
  else if (ctx->config.auto_mode)
    mode = EMU_BUFFER_AUTO;
  emu_buffer_set_mode (ctx->buffer, mode, context_threshold (ctx));
}

static EmuContext *
context_new (EmuConn * conn, const gchar * id, EmuConfig * config)
{
  EmuContext *ctx = g_new0 (EmuContext, 1);

  ctx->conn = conn;
  ctx->id = g_strdup (id);
  ctx->open = TRUE;
  ctx->config = *config;        /* takes the strings */
  memset (config, 0, sizeof (*config));
  ctx->buffer = emu_buffer_new (context_synthesize_cb, ctx);
  context_apply_buffering (ctx);
  g_queue_init (&ctx->jobs);
  conn->contexts = g_list_prepend (conn->contexts, ctx);
  g_hash_table_insert (conn->open, ctx->id, ctx);
  return ctx;
}

/* Leaves the set of open contexts: its id becomes unknown. */
static void
context_unlist (EmuContext * ctx)
{
  if (ctx->open) {
    g_hash_table_remove (ctx->conn->open, ctx->id);
    ctx->open = FALSE;
  }
}

static void
context_free (EmuContext * ctx)
{
  EmuJob *job;

  context_unlist (ctx);
  ctx->conn->contexts = g_list_remove (ctx->conn->contexts, ctx);
  if (ctx->delay_source)
    g_source_remove (ctx->delay_source);
  while ((job = g_queue_pop_head (&ctx->jobs))) {
    job_detach (job);
    job_unref (job);
  }
  emu_buffer_free (ctx->buffer);
  config_clear (&ctx->config);
  g_free (ctx->id);
  g_free (ctx);
}

static gboolean
context_delay_cb (gpointer user_data)
{
  EmuContext *ctx = user_data;

  ctx->delay_source = 0;
  if (ctx->conn->opts->verbose)
    emu_log (ctx->conn, "context %s: maxBufferDelayMs elapsed, "
        "synthesizing what is buffered", ctx->id);
  emu_buffer_flush (ctx->buffer);
  context_pump (ctx);
  return G_SOURCE_REMOVE;
}

/* The maxBufferDelayMs timer runs while text waits in a context that is
 * not in auto mode (auto mode has no timer). It starts when text enters
 * an empty buffer and is not restarted by more text, nor when a
 * threshold synthesis leaves a remainder behind. */
static void
context_sync_timer (EmuContext * ctx)
{
  gboolean wanted = ctx->open && emu_buffer_n_chars (ctx->buffer) > 0
      && emu_buffer_get_mode (ctx->buffer) == EMU_BUFFER_MANUAL;

  if (wanted && !ctx->delay_source)
    ctx->delay_source = g_timeout_add (context_max_buffer_delay (ctx),
        context_delay_cb, ctx);
  else if (!wanted && ctx->delay_source) {
    g_source_remove (ctx->delay_source);
    ctx->delay_source = 0;
  }
}

/* ------------------------------------------------------------------ */
/* Output                                                             */

static gboolean
conn_inactivity_cb (gpointer user_data);

static void
conn_touch (EmuConn * conn)
{
  conn->last_activity = g_get_monotonic_time ();
}

/* Drops the TCP connection without a close frame; soup notices and emits
 * "closed", which tears the connection down. */
static void
conn_drop (EmuConn * conn, const gchar * why)
{
  GIOStream *io = soup_websocket_connection_get_io_stream (conn->ws);

  emu_log (conn, "dropping the TCP connection (%s)", why);
  conn->dead = TRUE;
  g_io_stream_close (io, NULL, NULL);
}

/* The only way out: sends @frame (taken) as one TEXT frame, in call order. */
static void
conn_send (EmuConn * conn, gchar * frame, gboolean is_audio)
{
  if (conn->dead || soup_websocket_connection_get_state (conn->ws) !=
      SOUP_WEBSOCKET_STATE_OPEN) {
    g_free (frame);
    return;
  }
  if (conn->opts->verbose)
    emu_log (conn, "-> %.*s%s", LOG_FRAME_MAX, frame,
        strlen (frame) > LOG_FRAME_MAX ? "..." : "");
  soup_websocket_connection_send_text (conn->ws, frame);
  g_free (frame);
  conn_touch (conn);

  if (is_audio) {
    conn->audio_chunks_sent++;
    if (conn->opts->drop_after_chunks
        && conn->audio_chunks_sent == conn->opts->drop_after_chunks
        && emu_options_take_drop (conn->opts))
      conn_drop (conn, "--drop-after-chunks");
  }
}

static void
send_context_error (EmuConn * conn, const gchar * context_id, gint code,
    const gchar * message)
{
  conn_send (conn, build_result (context_id, NULL, NULL, code, message),
      FALSE);
}

static void
send_invalid_frame (EmuConn * conn, const gchar * message)
{
  conn_send (conn, build_error (CODE_INVALID_ARGUMENT, message, NULL, NULL),
      FALSE);
}

/* ------------------------------------------------------------------ */
/* Verbs                                                              */

typedef enum
{
  VERB_CREATE,
  VERB_SEND_TEXT,
  VERB_FLUSH_CONTEXT,
  VERB_UPDATE_CONFIG,
  VERB_CLOSE_CONTEXT,
} Verb;

static const struct
{
  const gchar *camel;
  const gchar *snake;
  const gchar *payload;         /* the name in error messages */
} verbs[] = {
  [VERB_CREATE] = {"create", "create", "CREATE"},
  [VERB_SEND_TEXT] = {"sendText", "send_text", "SEND_TEXT"},
  [VERB_FLUSH_CONTEXT] = {"flushContext", "flush_context", "FLUSH_CONTEXT"},
  [VERB_UPDATE_CONFIG] = {"updateConfig", "update_config", "UPDATE_CONFIG"},
  [VERB_CLOSE_CONTEXT] = {"closeContext", "close_context", "CLOSE_CONTEXT"},
};

/* Finds the context a verb targets; sends the error and returns NULL when
 * there is none. Without an id, the only open context is meant. */
static EmuContext *
resolve_context (EmuConn * conn, const gchar * id, Verb verb)
{
  guint n_open = g_hash_table_size (conn->open);
  EmuContext *ctx;
  gchar *msg;

  if (!id) {
    if (n_open == 1) {
      GHashTableIter iter;

      g_hash_table_iter_init (&iter, conn->open);
      g_hash_table_iter_next (&iter, NULL, (gpointer *) & ctx);
      return ctx;
    }
    msg = g_strdup_printf ("context_id is required when %u contexts are open "
        "(payload=%s)", n_open, verbs[verb].payload);
    send_context_error (conn, NULL, CODE_INVALID_ARGUMENT, msg);
    g_free (msg);
    return NULL;
  }

  ctx = g_hash_table_lookup (conn->open, id);
  if (ctx)
    return ctx;
  if (verb == VERB_CLOSE_CONTEXT)
    msg = g_strdup_printf ("context %s not found", id);
  else
    msg = g_strdup_printf ("context %s not found (payload=%s)", id,
        verbs[verb].payload);
  send_context_error (conn, id, CODE_NOT_FOUND, msg);
  g_free (msg);
  return NULL;
}

static void
send_garbage (EmuConn * conn)
{
  static const guint8 junk[] = { 0x00, 0xff, 0x7b, 0x22 };

  conn_send (conn, g_strdup ("this is not JSON {"), FALSE);
  if (!conn->dead) {
    if (conn->opts->verbose)
      emu_log (conn, "-> <binary frame, %u bytes>",
          (guint) sizeof (junk));
    soup_websocket_connection_send_binary (conn->ws, junk, sizeof (junk));
  }
}

/* ------------------------------------------------------------------ */
/* --hostile                                                          */

static void
hostile_log (EmuConn * conn, EmuHostile kind, const gchar * format, ...)
    G_GNUC_PRINTF (3, 4);

/* Describes the frame about to be injected in the --verbose log (which
 * then shows the frame itself, as every frame out). */
static void
hostile_log (EmuConn * conn, EmuHostile kind, const gchar * format, ...)
{
  va_list args;
  gchar *text;

  if (!conn->opts->verbose)
    return;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  emu_log (conn, "hostile %s: %s", emu_hostile_name (kind), text);
  g_free (text);
}

static void
conn_send_binary (EmuConn * conn, GBytes * bytes)
{
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  if (conn->dead || soup_websocket_connection_get_state (conn->ws) !=
      SOUP_WEBSOCKET_STATE_OPEN)
    return;
  if (conn->opts->verbose)
    emu_log (conn, "-> <binary frame, %" G_GSIZE_FORMAT " bytes>", size);
  soup_websocket_connection_send_binary (conn->ws, data, size);
  conn_touch (conn);
}

/* @text as a JSON string literal, quotes included. */
static gchar *
json_quote (const gchar * text)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  gchar *quoted;

  json_node_set_string (node, text);
  quoted = json_to_string (node, FALSE);
  json_node_unref (node);
  return quoted;
}

#define STATUS_OK "\"status\":{\"code\":0,\"message\":\"\",\"details\":[]}"

/* --hostile=wrong-types: known fields with the wrong JSON type, none of
 * them carrying audio a client could use; %s is the quoted context id. */
static const EmuHostileFrame wrong_types[] = {
  {"contextId is a number",
      "{\"result\":{\"contextId\":12345,\"flushCompleted\":{}," STATUS_OK "}}"},
  {"audioChunk.audioContent is an object",
      "{\"result\":{\"contextId\":%s,\"audioChunk\":{\"audioContent\":"
        "{\"data\":\"AAAA\"},\"usage\":{\"processedCharactersCount\":0},"
        "\"timestampInfo\":null}," STATUS_OK "}}"},
  {"status.code is a string",
      "{\"result\":{\"contextId\":%s,\"flushCompleted\":{},\"status\":"
        "{\"code\":\"0\",\"message\":\"\",\"details\":[]}}}"},
  {"timestampInfo.wordAlignment.words is a string",
      "{\"result\":{\"contextId\":%s,\"audioChunk\":{\"timestampInfo\":"
        "{\"wordAlignment\":{\"words\":\"Hello\",\"wordStartTimeSeconds\":"
        "[0],\"wordEndTimeSeconds\":[0.1]}}}," STATUS_OK "}}"},
  {"timestampInfo is an array",
      "{\"result\":{\"contextId\":%s,\"audioChunk\":{\"timestampInfo\":"
        "[0.1,0.2]}," STATUS_OK "}}"},
  {"timestampInfo.characterAlignment times are strings",
      "{\"result\":{\"contextId\":%s,\"audioChunk\":{\"timestampInfo\":"
        "{\"characterAlignment\":{\"characters\":[\"a\"],"
        "\"characterStartTimeSeconds\":[\"0\"],\"characterEndTimeSeconds\":"
        "[\"0.1\"]}}}," STATUS_OK "}}"},
  {"usage.processedCharactersCount is a string",
      "{\"result\":{\"contextId\":%s,\"audioChunk\":{\"usage\":"
        "{\"processedCharactersCount\":\"12\"},\"timestampInfo\":null},"
        STATUS_OK "}}"},
  {"audioChunk is a string",
      "{\"result\":{\"contextId\":%s,\"audioChunk\":\"AAAA\"," STATUS_OK "}}"},
  {"result is an array", "{\"result\":[%s]}"},
  {"error.code is a string",
      "{\"error\":{\"code\":\"3\",\"message\":\"a top-level error whose code "
        "is a string\"}}"},
  {NULL, NULL}
};

/* A frame of @size bytes or more: an audioChunk whose audioContent is
 * valid base64 of zeros; its size is its only fault. */
static gchar *
build_huge_frame (const gchar * context_id)
{
  gchar *quoted = json_quote (context_id);
  gchar *b64 = emu_hostile_huge_base64 ();
  gchar *frame = g_strdup_printf ("{\"result\":{\"contextId\":%s,"
      "\"audioChunk\":{\"audioContent\":\"%s\",\"usage\":"
      "{\"processedCharactersCount\":0},\"timestampInfo\":null}," STATUS_OK
      "}}", quoted, b64);

  g_free (b64);
  g_free (quoted);
  return frame;
}

/* Every kind but bad-base64, big-chunk and after-close, right after the
 * first audio chunk of a flush (@sent, its frame). */
static void
hostile_mid_flush (EmuJob * job, const gchar * sent)
{
  EmuContext *ctx = job->ctx;
  EmuConn *conn = ctx->conn;
  guint kinds = conn->opts->hostile;

  if (kinds & EMU_HOSTILE_GARBAGE) {
    for (const EmuHostileFrame * f = emu_hostile_garbage_frames (); f->what;
        f++) {
      hostile_log (conn, EMU_HOSTILE_GARBAGE, "%s", f->what);
      conn_send (conn, g_strdup (f->frame), FALSE);
    }
  }
  if (kinds & EMU_HOSTILE_TRUNCATED) {
    gchar *half = emu_hostile_truncate (sent);

    hostile_log (conn, EMU_HOSTILE_TRUNCATED, "a copy of the audioChunk "
        "just sent for context %s, cut after %" G_GSIZE_FORMAT " of its %"
        G_GSIZE_FORMAT " bytes", ctx->id, strlen (half), strlen (sent));
    conn_send (conn, half, FALSE);
  }
  if (kinds & EMU_HOSTILE_BINARY) {
    GBytes *junk = emu_hostile_binary_junk (), *copy;

    hostile_log (conn, EMU_HOSTILE_BINARY, "a binary frame of %"
        G_GSIZE_FORMAT " bytes of junk", g_bytes_get_size (junk));
    conn_send_binary (conn, junk);
    g_bytes_unref (junk);
    copy = g_bytes_new (sent, strlen (sent));
    hostile_log (conn, EMU_HOSTILE_BINARY, "a copy of the audioChunk just "
        "sent for context %s, as a binary frame", ctx->id);
    conn_send_binary (conn, copy);
    g_bytes_unref (copy);
  }
  if (kinds & EMU_HOSTILE_WRONG_TYPES) {
    gchar *quoted = json_quote (ctx->id);

    for (const EmuHostileFrame * f = wrong_types; f->what; f++) {
      hostile_log (conn, EMU_HOSTILE_WRONG_TYPES, "%s", f->what);
      /* the formats hold at most one %s, for the context id */
      conn_send (conn, g_strdup_printf (f->frame, quoted), FALSE);
    }
    g_free (quoted);
  }
  if (kinds & EMU_HOSTILE_UNKNOWN_CONTEXT) {
    EmuChunk *chunk = g_ptr_array_index (job->chunks, 0);

    hostile_log (conn, EMU_HOSTILE_UNKNOWN_CONTEXT, "an audioChunk (%"
        G_GUINT64_FORMAT " samples) and a flushCompleted for context "
        EMU_HOSTILE_UNKNOWN_ID ", which was never created", chunk->n_samples);
    conn_send (conn, build_audio_chunk_full (EMU_HOSTILE_UNKNOWN_ID, job,
            chunk, job->n_chars, FALSE, 0, 0, FALSE), FALSE);
    conn_send (conn, build_result (EMU_HOSTILE_UNKNOWN_ID, "flushCompleted",
            empty_object (), CODE_OK, ""), FALSE);
  }
  if (kinds & EMU_HOSTILE_HUGE) {
    gchar *frame = build_huge_frame (ctx->id);

    hostile_log (conn, EMU_HOSTILE_HUGE, "an audioChunk frame of %"
        G_GSIZE_FORMAT " bytes for context %s (over a client's 8 MiB)",
        strlen (frame), ctx->id);
    conn_send (conn, frame, FALSE);
  }
}

/* --hostile=after-close: an audioChunk and a flushCompleted for @ctx after
 * its contextClosed (and after all of its real audio). */
static void
hostile_after_close (EmuContext * ctx)
{
  EmuConn *conn = ctx->conn;
  JsonBuilder *b;
  guint8 bytes[3200];
  gchar *b64;

  if (!(conn->opts->hostile & EMU_HOSTILE_AFTER_CLOSE))
    return;
  memset (bytes, 0x11, sizeof (bytes));
  b64 = g_base64_encode (bytes, sizeof (bytes));
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "audioContent");
  json_builder_add_string_value (b, b64);
  json_builder_set_member_name (b, "usage");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "processedCharactersCount");
  json_builder_add_int_value (b, 0);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "timestampInfo");
  json_builder_add_null_value (b);
  json_builder_end_object (b);
  g_free (b64);

  hostile_log (conn, EMU_HOSTILE_AFTER_CLOSE, "an audioChunk of %"
      G_GSIZE_FORMAT " bytes and a flushCompleted for context %s after its "
      "contextClosed", sizeof (bytes), ctx->id);
  conn_send (conn, build_result (ctx->id, "audioChunk",
          json_builder_get_root (b), CODE_OK, ""), FALSE);
  g_object_unref (b);
  conn_send (conn, build_result (ctx->id, "flushCompleted", empty_object (),
          CODE_OK, ""), FALSE);
}

static void
do_create (EmuConn * conn, const gchar * id, JsonObject * payload)
{
  EmuConfig cfg = { 0 };
  GError *error = NULL;
  gchar *generated = NULL, *problem, *msg;
  EmuContext *ctx;

  if (!config_parse (payload, &cfg, &error)) {
    send_invalid_frame (conn, error->message);
    g_error_free (error);
    goto out;
  }

  if (!id) {
    guint n_open = g_hash_table_size (conn->open);

    if (n_open > 0) {
      msg = g_strdup_printf ("context_id is required when %u contexts are "
          "open (payload=CREATE)", n_open);
      send_context_error (conn, NULL, CODE_INVALID_ARGUMENT, msg);
      g_free (msg);
      goto out;
    }
    id = generated = g_uuid_string_random ();
  }
  if (g_hash_table_contains (conn->open, id)) {
    msg = g_strdup_printf ("context %s already exists", id);
    send_context_error (conn, id, CODE_ALREADY_EXISTS, msg);
    g_free (msg);
    goto out;
  }
  if (take_injection (conn, EMU_INJECT_CREATE)) {
    msg = g_strdup_printf ("error %d injected by --inject-error",
        conn->opts->inject_code);
    send_context_error (conn, id, conn->opts->inject_code, msg);
    g_free (msg);
    goto out;
  }
  if (g_hash_table_size (conn->open) >= conn->opts->max_contexts) {
    msg = g_strdup_printf ("You have reached the limit of %u TTS contexts per "
        "connection. Please close other contexts on this connection to "
        "continue.", conn->opts->max_contexts);
    send_context_error (conn, id, CODE_RESOURCE_EXHAUSTED, msg);
    g_free (msg);
    goto out;
  }
  if ((problem = config_check (&cfg))) {
    send_context_error (conn, id, CODE_INVALID_ARGUMENT, problem);
    g_free (problem);
    goto out;
  }

  ctx = context_new (conn, id, &cfg);
  if (conn->opts->garbage_frames)
    send_garbage (conn);
  conn_send (conn, build_result (ctx->id, "contextCreated",
          config_to_json (&ctx->config), CODE_OK, ""), FALSE);

out:
  config_clear (&cfg);
  g_free (generated);
}

static void
do_send_text (EmuConn * conn, const gchar * id, JsonObject * payload)
{
  EmuContext *ctx;
  gchar *text = NULL;
  JsonObject *flush = NULL;
  GError *error = NULL;
  glong n_chars;

  if (!read_string (payload, "text", &text, &error)
      || !read_object (payload, "flushContext", &flush, &error)) {
    send_invalid_frame (conn, error->message);
    g_error_free (error);
    return;
  }
  if (!(ctx = resolve_context (conn, id, VERB_SEND_TEXT)))
    goto out;

  n_chars = text ? g_utf8_strlen (text, -1) : 0;
  if (n_chars > MAX_SEND_TEXT_CHARS) {
    /* rejected whole, flush included: no flushCompleted for it */
    send_context_error (conn, ctx->id, CODE_INVALID_ARGUMENT,
        "text length should not exceed 2000 characters.");
    goto out;
  }

  /* an empty text (pipecat's keepalive) changes nothing */
  emu_buffer_append (ctx->buffer, text, flush != NULL);
  context_sync_timer (ctx);
  context_pump (ctx);

out:
  g_free (text);
}

static void
do_flush_context (EmuConn * conn, const gchar * id)
{
  EmuContext *ctx = resolve_context (conn, id, VERB_FLUSH_CONTEXT);

  if (ctx) {
    emu_buffer_flush (ctx->buffer);
    context_sync_timer (ctx);
    context_pump (ctx);
  }
}

static void
do_update_config (EmuConn * conn, const gchar * id, JsonObject * payload)
{
  EmuConfig delta = { 0 }, merged;
  GError *error = NULL;
  EmuContext *ctx;
  EmuJob *job;
  gchar *problem = NULL;

  if (!config_parse (payload, &delta, &error)) {
    send_invalid_frame (conn, error->message);
    g_error_free (error);
    goto out;
  }
  if (!(ctx = resolve_context (conn, id, VERB_UPDATE_CONFIG)))
    goto out;

  if (delta.model_id && g_strcmp0 (delta.model_id, ctx->config.model_id))
    problem = g_strdup ("model_id cannot be changed by update_config.");
  if (!problem) {
    config_copy (&merged, &ctx->config);
    config_merge (&merged, &delta);
    problem = config_check (&merged);
    config_clear (&merged);
  }
  if (problem) {
    send_context_error (conn, ctx->id, CODE_INVALID_ARGUMENT, problem);
    g_free (problem);
    goto out;
  }

  /* what is buffered is spoken with the old settings (or not at all when
   * it has nothing to speak) */
  emu_buffer_flush (ctx->buffer);
  config_merge (&ctx->config, &delta);
  context_apply_buffering (ctx);
  job = job_new (JOB_MESSAGE, ctx);
  job->message = build_result (ctx->id, "contextUpdated",
      config_to_json (&ctx->config), CODE_OK, "");
  g_queue_push_tail (&ctx->jobs, job);
  context_sync_timer (ctx);
  context_pump (ctx);

out:
  config_clear (&delta);
}

static void
do_close_context (EmuConn * conn, const gchar * id)
{
  EmuContext *ctx = resolve_context (conn, id, VERB_CLOSE_CONTEXT);
  gchar *rest;

  if (!ctx)
    return;

  /* the id is unknown from now on, even while its audio still plays */
  context_unlist (ctx);
  emu_buffer_flush (ctx->buffer);
  context_sync_timer (ctx);
  /* only SENTENCE_BOUNDARY keeps text back from a flush: a tag that was
   * never finished; the guide says closing then is INVALID_ARGUMENT */
  rest = emu_buffer_take (ctx->buffer);
  if (*rest) {
    EmuJob *job = job_new (JOB_MESSAGE, ctx);
    glong n = g_utf8_strlen (rest, -1);
    /* g_utf8_substring () must not be asked past the end */
    gchar *quoted = g_utf8_substring (rest, 0, MIN (n, 40));
    gchar *msg = g_strdup_printf ("incomplete markup at the end of the "
        "text: \"%s%s\"", quoted, n > 40 ? "..." : "");

    job->message = build_result (ctx->id, NULL, NULL, CODE_INVALID_ARGUMENT,
        msg);
    g_queue_push_tail (&ctx->jobs, job);
    g_free (msg);
    g_free (quoted);
  }
  g_free (rest);
  if (conn->opts->early_context_closed) {
    /* the race of pipecat#5110: acknowledge first, audio afterwards */
    conn_send (conn, build_result (ctx->id, "contextClosed",
            empty_object (), CODE_OK, ""), FALSE);
    g_queue_push_tail (&ctx->jobs, job_new (JOB_RETIRE, ctx));
  } else {
    g_queue_push_tail (&ctx->jobs, job_new (JOB_CLOSE, ctx));
  }
  context_pump (ctx);
}

/* ------------------------------------------------------------------ */
/* Input                                                              */

/* TRUE when the credential is acceptable; otherwise sends the fatal error
 * and closes with 1000. */
static gboolean
conn_authenticate (EmuConn * conn)
{
  const gchar *key = conn->opts->api_key;
  gchar *msg, *prefix, *frame;

  if (!conn->credential) {
    conn_send (conn, build_error (CODE_UNAUTHENTICATED,
            "authentication is required", "SESSION_TOKEN_INVALID",
            "NO_RETRY"), FALSE);
  } else if (key && *key && strcmp (conn->credential, key) != 0) {
    prefix = g_utf8_substring (conn->credential, 0,
        MIN (4, g_utf8_strlen (conn->credential, -1)));
    msg = g_strdup_printf ("Invalid credentials provided for API key "
        "\"%s***\"", prefix);
    frame = build_error (CODE_PERMISSION_DENIED, msg, NULL, NULL);
    /* not through conn_send: --verbose must not log any of a credential */
    if (conn->opts->verbose)
      emu_log (conn, "-> error 7 (invalid credentials, not logged)");
    soup_websocket_connection_send_text (conn->ws, frame);
    g_free (frame);
    g_free (msg);
    g_free (prefix);
  } else {
    conn->auth = AUTH_OK;
    return TRUE;
  }

  conn->auth = AUTH_FAILED;
  emu_log (conn, "authentication failed, closing");
  soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
      NULL);
  return FALSE;
}

static void
conn_handle_json (EmuConn * conn, const gchar * data, gsize len)
{
  JsonParser *parser = json_parser_new ();
  JsonObject *root, *payload = NULL;
  GError *error = NULL;
  gchar *id = NULL;
  gint verb = -1;

  if (!g_utf8_validate (data, len, NULL)
      || !json_parser_load_from_data (parser, data, len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    send_invalid_frame (conn, MSG_INVALID_FRAME);
    goto out;
  }
  root = json_node_get_object (json_parser_get_root (parser));

  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++) {
    if (json_object_has_member (root, verbs[i].camel)
        || json_object_has_member (root, verbs[i].snake)) {
      if (verb >= 0) {
        send_invalid_frame (conn, "a request must carry exactly one of "
            "create, send_text, flush_context, update_config, close_context");
        goto out;
      }
      verb = i;
    }
  }
  if (verb < 0)
    goto out;                   /* no verb: the service stays silent */

  if (!read_string (root, "contextId", &id, &error)
      || !read_object (root, verbs[verb].camel, &payload, &error)
      || (!payload && !read_object (root, verbs[verb].snake, &payload,
              &error))) {
    send_invalid_frame (conn, error->message);
    g_error_free (error);
    goto out;
  }

  switch ((Verb) verb) {
    case VERB_CREATE:
      do_create (conn, id, payload);
      break;
    case VERB_SEND_TEXT:
      do_send_text (conn, id, payload);
      break;
    case VERB_FLUSH_CONTEXT:
      do_flush_context (conn, id);
      break;
    case VERB_UPDATE_CONFIG:
      do_update_config (conn, id, payload);
      break;
    case VERB_CLOSE_CONTEXT:
      do_close_context (conn, id);
      break;
  }

out:
  g_free (id);
  g_object_unref (parser);
}

/* --verbose cuts a frame at LOG_FRAME_MAX bytes, which may leave out its
 * contextId or its verb: what a cut line adds so that a reader of the log
 * still knows which context and verb it was, and how much text it had,
 * in the frame's own notation ("contextId":"x", "send_text"). */
static gchar *
frame_summary (const gchar * data, gsize len)
{
  JsonParser *parser = json_parser_new ();
  GString *out = g_string_new (NULL);
  JsonObject *root;
  gchar *id = NULL;

  g_string_append_printf (out, "(%" G_GSIZE_FORMAT " bytes", len);
  if (!g_utf8_validate (data, len, NULL)
      || !json_parser_load_from_data (parser, data, len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    goto out;
  root = json_node_get_object (json_parser_get_root (parser));

  if (read_string (root, "contextId", &id, NULL) && id) {
    gchar *quoted = json_quote (id);

    g_string_append_printf (out, ": \"contextId\":%s", quoted);
    g_free (quoted);
  } else {
    g_string_append (out, ": no contextId");
  }
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++) {
    JsonObject *payload = NULL;
    gchar *text = NULL;
    const gchar *name = json_object_has_member (root, verbs[i].camel) ?
        verbs[i].camel : verbs[i].snake;

    if (!json_object_has_member (root, name))
      continue;
    g_string_append_printf (out, " \"%s\"", name);
    if (i != VERB_SEND_TEXT || !read_object (root, name, &payload, NULL)
        || !payload)
      continue;
    if (member (payload, "flushContext"))
      g_string_append (out, json_object_has_member (payload, "flushContext")
          ? " \"flushContext\"" : " \"flush_context\"");
    if (read_string (payload, "text", &text, NULL))
      g_string_append_printf (out, " text of %ld characters",
          text ? g_utf8_strlen (text, -1) : 0);
    g_free (text);
  }
out:
  g_string_append_c (out, ')');
  g_free (id);
  g_object_unref (parser);
  return g_string_free (out, FALSE);
}

static void
on_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer user_data)
{
  EmuConn *conn = user_data;
  gsize len;
  const gchar *data = g_bytes_get_data (message, &len);

  if (conn->dead || conn->auth == AUTH_FAILED)
    return;
  conn_touch (conn);
  if (conn->opts->verbose) {
    if (type == SOUP_WEBSOCKET_DATA_TEXT && len > LOG_FRAME_MAX) {
      gchar *summary = frame_summary (data, len);

      emu_log (conn, "<- %.*s... %s", LOG_FRAME_MAX, data, summary);
      g_free (summary);
    } else if (type == SOUP_WEBSOCKET_DATA_TEXT)
      emu_log (conn, "<- %.*s", (gint) len, data);
    else
      emu_log (conn, "<- <binary frame, %" G_GSIZE_FORMAT " bytes>", len);
  }

  if (conn->opts->reset_after_first_frame) {
    emu_log (conn, "resetting the TCP connection after its first frame "
        "(--reset-after-first-frame)");
    conn->dead = TRUE;
    emu_reset_connection (conn->socket,
        soup_websocket_connection_get_io_stream (ws));
    return;
  }
  if (conn->auth == AUTH_PENDING && !conn_authenticate (conn))
    return;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    send_invalid_frame (conn, MSG_INVALID_FRAME);
  else
    conn_handle_json (conn, data, len);
}

static gboolean
conn_inactivity_cb (gpointer user_data)
{
  EmuConn *conn = user_data;
  gint64 limit = (gint64) conn->opts->inactivity_timeout_s * G_USEC_PER_SEC;
  gint64 idle = g_get_monotonic_time () - conn->last_activity;

  conn->inactivity_source = 0;
  if (conn->dead)
    return G_SOURCE_REMOVE;
  if (idle < limit) {
    conn->inactivity_source = g_timeout_add ((guint) ((limit - idle + 999)
            / 1000), conn_inactivity_cb, conn);
    return G_SOURCE_REMOVE;
  }
  /* what the service did in pipecat#3269: code 10, then an abnormal drop */
  conn_send (conn, build_error (CODE_ABORTED, "Paused due to inactivity",
          "SESSION_PAUSED", NULL), FALSE);
  conn_drop (conn, "--inactivity-timeout");
  return G_SOURCE_REMOVE;
}

static void
conn_free (EmuConn * conn)
{
  while (conn->contexts)
    context_free (conn->contexts->data);
  g_hash_table_unref (conn->open);
  if (conn->inactivity_source)
    g_source_remove (conn->inactivity_source);
  if (conn->teardown_source)
    g_source_remove (conn->teardown_source);
  g_signal_handler_disconnect (conn->ws, conn->message_handler);
  g_signal_handler_disconnect (conn->ws, conn->closed_handler);
  g_object_unref (conn->ws);
  g_clear_object (&conn->socket);
  g_free (conn->credential);
  g_free (conn);
}

static gboolean
conn_teardown_cb (gpointer user_data)
{
  EmuConn *conn = user_data;

  conn->teardown_source = 0;
  conn->route->conns = g_list_remove (conn->route->conns, conn);
  conn_free (conn);
  return G_SOURCE_REMOVE;
}

static void
on_closed (SoupWebsocketConnection * ws, gpointer user_data)
{
  EmuConn *conn = user_data;

  if (conn->opts->verbose)
    emu_log (conn, "closed (code %u)",
        soup_websocket_connection_get_close_code (ws));
  conn->dead = TRUE;
  /* tear down outside soup's signal emission */
  if (!conn->teardown_source)
    conn->teardown_source = g_idle_add (conn_teardown_cb, conn);
}

/* "Basic <key>" or "Bearer <key>": the service does not check the scheme
 * word, so any "<word> <credential>" is read the same way. */
static gchar *
parse_credential (const gchar * header)
{
  const gchar *space;
  gchar *cred;

  if (!header)
    return NULL;
  space = strchr (header, ' ');
  cred = g_strstrip (g_strdup (space ? space + 1 : header));
  if (*cred == '\0')
    g_clear_pointer (&cred, g_free);
  return cred;
}

static void
on_websocket (SoupServer * server, SoupServerMessage * msg, const char *path,
    SoupWebsocketConnection * ws, gpointer user_data)
{
  EmuInworldRoute *route = user_data;
  EmuConn *conn = g_new0 (EmuConn, 1);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  conn->route = route;
  conn->opts = route->opts;
  conn->id = ++route->next_conn_id;
  conn->ws = g_object_ref (ws);
  conn->socket = g_object_ref (soup_server_message_get_socket (msg));
  conn->credential = parse_credential (soup_message_headers_get_one (headers,
          "Authorization"));
  conn->open = g_hash_table_new (g_str_hash, g_str_equal);
  conn_touch (conn);
  route->conns = g_list_prepend (route->conns, conn);

  /* the service accepts large frames (1 MiB was fine); soup's default
   * would close the socket at 128 KiB */
  soup_websocket_connection_set_max_incoming_payload_size (ws,
      MAX_INCOMING_PAYLOAD);
  conn->message_handler = g_signal_connect (ws, "message",
      G_CALLBACK (on_message), conn);
  conn->closed_handler = g_signal_connect (ws, "closed",
      G_CALLBACK (on_closed), conn);
  if (conn->opts->inactivity_timeout_s)
    conn->inactivity_source = g_timeout_add_seconds
        (conn->opts->inactivity_timeout_s, conn_inactivity_cb, conn);

  if (conn->opts->verbose)
    emu_log (conn, "connected to %s (credential %s)", path,
        conn->credential ? "present" : "absent");
}

/* Runs before the WebSocket handshake: --refuse-upgrade answers here, and
 * a status set here stops the handshake. */
static void
on_request (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  EmuInworldRoute *route = user_data;
  guint status = emu_options_take_refusal (route->opts);
  gchar *line;

  if (status == 0)
    return;                     /* on to the handshake */
  line = g_strdup_printf ("upgrade refused with HTTP %u (--refuse-upgrade)",
      status);
  emu_options_log (route->opts, line);
  g_free (line);
  soup_server_message_set_status (msg, status, NULL);
}

EmuInworldRoute *
emu_inworld_route_new (SoupServer * server, const EmuOptions * options)
{
  EmuInworldRoute *route = g_new0 (EmuInworldRoute, 1);

  route->opts = options;
  if (options->refuse_status)
    soup_server_add_handler (server, EMU_INWORLD_PATH, on_request, route,
        NULL);
  /* no origin check, no subprotocol: the upgrade always succeeds */
  soup_server_add_websocket_handler (server, EMU_INWORLD_PATH, NULL, NULL,
      on_websocket, route, NULL);
  return route;
}

void
emu_inworld_route_free (EmuInworldRoute * route)
{
  while (route->conns) {
    EmuConn *conn = route->conns->data;

    route->conns = g_list_delete_link (route->conns, route->conns);
    conn_free (conn);
  }
  g_free (route);
}
