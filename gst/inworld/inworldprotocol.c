/* inworldttssrc: protocol layer
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Two protocols behind one table:
 *
 * - Inworld's bidirectional WebSocket (protobuf-JSON, camelCase on the way
 *   out, camelCase or snake_case accepted on the way in, contexts
 *   multiplexed on one socket);
 * - SLNG's flat "unified TTS" dialect for Inworld Max 1.5 (one session per
 *   socket, no contexts).
 *
 * Building goes through JsonBuilder/JsonGenerator, parsing through
 * JsonParser. Parsing is written for hostile input: the frame is a
 * (data, length) pair that need not be NUL-terminated, nesting is bounded
 * before json-glib's recursive parser sees it, every member is type-checked
 * and base64 is validated strictly before it is decoded. Error messages
 * never quote more than a few dozen bytes of the frame. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "inworldprotocol.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* Deepest nesting of arrays/objects accepted in a received frame. Real
 * frames are 5 levels deep; json-glib's parser recurses once per level. */
#define MAX_NESTING 64

/* Longest piece of a json-glib parse error message kept in our GError. */
#define MAX_QUOTED 80

G_DEFINE_QUARK (inworld-protocol-error-quark, inworld_protocol_error);

/* ------------------------------------------------------------------------
 * Configuration, encodings, events
 * ------------------------------------------------------------------------ */

void
inworld_synth_config_init (InworldSynthConfig * config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof (*config));
  config->encoding = INWORLD_ENCODING_PCM;
  config->timestamp_type = INWORLD_TIMESTAMP_NONE;
  config->text_normalization = INWORLD_TEXT_NORMALIZATION_AUTO;
  config->buffer_char_threshold = -1;
  config->max_buffer_delay_ms = -1;
}

InworldSynthConfig *
inworld_synth_config_dup (const InworldSynthConfig * config)
{
  InworldSynthConfig *copy;

  g_return_val_if_fail (config != NULL, NULL);

  copy = g_new (InworldSynthConfig, 1);
  *copy = *config;
  copy->voice = g_strdup (config->voice);
  copy->model = g_strdup (config->model);
  copy->language = g_strdup (config->language);
  return copy;
}

void
inworld_synth_config_free (InworldSynthConfig * config)
{
  if (config == NULL)
    return;
  g_free ((gchar *) config->voice);
  g_free ((gchar *) config->model);
  g_free ((gchar *) config->language);
  g_free (config);
}

/* NULL and "" are both unset */
static gboolean
str_equal (const gchar * a, const gchar * b)
{
  return g_strcmp0 (a && *a ? a : NULL, b && *b ? b : NULL) == 0;
}

gboolean
inworld_synth_config_equal (const InworldSynthConfig * a,
    const InworldSynthConfig * b)
{
  return str_equal (a->voice, b->voice) && str_equal (a->model, b->model)
      && str_equal (a->language, b->language)
      && a->temperature == b->temperature
      && a->speaking_rate == b->speaking_rate
      && a->encoding == b->encoding && a->sample_rate == b->sample_rate
      && a->bitrate == b->bitrate && a->timestamp_type == b->timestamp_type
      && a->text_normalization == b->text_normalization
      && a->timestamp_transport == b->timestamp_transport
      && a->delivery_mode == b->delivery_mode
      && a->auto_mode == b->auto_mode
      && a->auto_mode_strategy == b->auto_mode_strategy
      && a->buffer_char_threshold == b->buffer_char_threshold
      && a->max_buffer_delay_ms == b->max_buffer_delay_ms;
}

static const gchar *const encoding_names[] = {
  [INWORLD_ENCODING_PCM] = "PCM",
  [INWORLD_ENCODING_LINEAR16] = "LINEAR16",
  [INWORLD_ENCODING_WAV] = "WAV",
  [INWORLD_ENCODING_MP3] = "MP3",
  [INWORLD_ENCODING_OGG_OPUS] = "OGG_OPUS",
  [INWORLD_ENCODING_FLAC] = "FLAC",
  [INWORLD_ENCODING_ALAW] = "ALAW",
  [INWORLD_ENCODING_MULAW] = "MULAW",
};

/* Returns the API spelling ("PCM", "OGG_OPUS", ...), or NULL for a value
 * outside the enum. */
const gchar *
inworld_encoding_to_string (InworldEncoding encoding)
{
  if ((guint) encoding >= G_N_ELEMENTS (encoding_names))
    return NULL;
  return encoding_names[encoding];
}

/* Parses an API spelling, ignoring ASCII case (other SLNG models spell
 * encodings in lower case). @out may be NULL to only test @str. */
gboolean
inworld_encoding_from_string (const gchar * str, InworldEncoding * out)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (encoding_names); i++) {
    if (g_ascii_strcasecmp (str, encoding_names[i]) == 0) {
      if (out)
        *out = (InworldEncoding) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* A new event with every optional field unset: processed_chars, sequence
 * and duration at -1, code 0, strings and pointers NULL. */
InworldEvent *
inworld_event_new (InworldEventType type, const gchar * context_id)
{
  InworldEvent *event = g_new0 (InworldEvent, 1);

  event->type = type;
  event->context_id = g_strdup (context_id);
  event->processed_chars = -1;
  event->sequence = -1;
  event->duration = -1.0;
  return event;
}

void
inworld_timings_free (InworldTimings * timings)
{
  if (timings == NULL)
    return;
  g_strfreev (timings->tokens);
  g_free (timings->start);
  g_free (timings->end);
  g_free (timings);
}

void
inworld_event_free (InworldEvent * event)
{
  if (event == NULL)
    return;
  g_free (event->context_id);
  if (event->audio)
    g_bytes_unref (event->audio);
  inworld_timings_free (event->timings);
  g_free (event->code_name);
  g_free (event->message);
  g_free (event);
}

const gchar *
inworld_event_type_name (InworldEventType type)
{
  switch (type) {
    case INWORLD_EVENT_CONTEXT_CREATED:
      return "context-created";
    case INWORLD_EVENT_CONTEXT_UPDATED:
      return "context-updated";
    case INWORLD_EVENT_AUDIO:
      return "audio";
    case INWORLD_EVENT_FLUSH_COMPLETED:
      return "flush-completed";
    case INWORLD_EVENT_CONTEXT_CLOSED:
      return "context-closed";
    case INWORLD_EVENT_ERROR:
      return "error";
    case INWORLD_EVENT_DISCONNECTED:
      return "disconnected";
    case INWORLD_EVENT_INVALID_FRAME:
      return "invalid-frame";
  }
  return "unknown";
}

/* ------------------------------------------------------------------------
 * Building
 * ------------------------------------------------------------------------ */

static gchar *
builder_finish (JsonBuilder * builder)
{
  JsonGenerator *generator = json_generator_new ();
  JsonNode *root = json_builder_get_root (builder);
  gchar *data;

  json_generator_set_root (generator, root);
  data = json_generator_to_data (generator, NULL);
  json_node_unref (root);
  g_object_unref (generator);
  g_object_unref (builder);
  return data;
}

/* Strings go out as valid UTF-8 whatever the caller passed, so a frame is
 * always valid JSON; invalid sequences become U+FFFD. */
static void
add_string (JsonBuilder * builder, const gchar * name, const gchar * value)
{
  json_builder_set_member_name (builder, name);
  if (g_utf8_validate (value, -1, NULL)) {
    json_builder_add_string_value (builder, value);
  } else {
    gchar *valid = g_utf8_make_valid (value, -1);

    json_builder_add_string_value (builder, valid);
    g_free (valid);
  }
}

/* NULL and "" are unset */
static void
add_opt_string (JsonBuilder * builder, const gchar * name,
    const gchar * value)
{
  if (value != NULL && *value != '\0')
    add_string (builder, name, value);
}

static void
add_int (JsonBuilder * builder, const gchar * name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_double (JsonBuilder * builder, const gchar * name, gdouble value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

static void
add_bool (JsonBuilder * builder, const gchar * name, gboolean value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

static void
add_empty_object (JsonBuilder * builder, const gchar * name)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_end_object (builder);
}

/* 0, negative, NaN and infinite doubles are unset */
static gboolean
double_is_set (gdouble value)
{
  return isfinite (value) && value > 0.0;
}

static gboolean
encoding_has_bitrate (InworldEncoding encoding)
{
  return encoding == INWORLD_ENCODING_MP3
      || encoding == INWORLD_ENCODING_OGG_OPUS;
}

static const gchar *
timestamp_type_string (InworldTimestampType type)
{
  switch (type) {
    case INWORLD_TIMESTAMP_WORD:
      return "WORD";
    case INWORLD_TIMESTAMP_CHARACTER:
      return "CHARACTER";
    case INWORLD_TIMESTAMP_NONE:
      break;
  }
  return NULL;
}

/* An enum string, never a JSON boolean: a boolean is an invalid enum
 * value and makes the server refuse the whole create. */
static const gchar *
text_normalization_string (InworldTextNormalization normalization)
{
  switch (normalization) {
    case INWORLD_TEXT_NORMALIZATION_ON:
      return "ON";
    case INWORLD_TEXT_NORMALIZATION_OFF:
      return "OFF";
    case INWORLD_TEXT_NORMALIZATION_AUTO:
      break;
  }
  return NULL;
}

static const gchar *
timestamp_transport_string (InworldTimestampTransport transport)
{
  switch (transport) {
    case INWORLD_TIMESTAMP_TRANSPORT_SYNC:
      return "SYNC";
    case INWORLD_TIMESTAMP_TRANSPORT_ASYNC:
      return "ASYNC";
    case INWORLD_TIMESTAMP_TRANSPORT_UNSET:
      break;
  }
  return NULL;
}

static const gchar *
delivery_mode_string (InworldDeliveryMode mode)
{
  switch (mode) {
    case INWORLD_DELIVERY_MODE_STABLE:
      return "STABLE";
    case INWORLD_DELIVERY_MODE_BALANCED:
      return "BALANCED";
    case INWORLD_DELIVERY_MODE_CREATIVE:
      return "CREATIVE";
    case INWORLD_DELIVERY_MODE_UNSET:
      break;
  }
  return NULL;
}

static const gchar *
auto_mode_strategy_string (InworldAutoModeStrategy strategy)
{
  switch (strategy) {
    case INWORLD_AUTO_MODE_STRATEGY_CLIENT_SEGMENTED:
      return "CLIENT_SEGMENTED";
    case INWORLD_AUTO_MODE_STRATEGY_SENTENCE_BOUNDARY:
      return "SENTENCE_BOUNDARY";
    case INWORLD_AUTO_MODE_STRATEGY_UNSET:
      break;
  }
  return NULL;
}

/* Opens the frame object and, when @context_id is set, its contextId. */
static JsonBuilder *
inworld_begin (const gchar * context_id)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  if (context_id != NULL)
    add_string (builder, "contextId", context_id);
  return builder;
}

/* The members of create / update_config. The encoding is always sent:
 * leaving it out would make the server pick MP3. */
static void
inworld_add_config (JsonBuilder * builder, const InworldSynthConfig * config,
    gboolean with_model)
{
  const gchar *encoding = inworld_encoding_to_string (config->encoding);
  const gchar *str;

  add_opt_string (builder, "voiceId", config->voice);
  if (with_model)
    add_opt_string (builder, "modelId", config->model);

  json_builder_set_member_name (builder, "audioConfig");
  json_builder_begin_object (builder);
  if (encoding)
    add_string (builder, "audioEncoding", encoding);
  if (config->sample_rate > 0)
    add_int (builder, "sampleRateHertz", config->sample_rate);
  if (config->bitrate > 0 && encoding_has_bitrate (config->encoding))
    add_int (builder, "bitRate", config->bitrate);
  if (double_is_set (config->speaking_rate))
    add_double (builder, "speakingRate", config->speaking_rate);
  json_builder_end_object (builder);

  if (double_is_set (config->temperature))
    add_double (builder, "temperature", config->temperature);
  add_opt_string (builder, "language", config->language);
  if ((str = text_normalization_string (config->text_normalization)))
    add_string (builder, "applyTextNormalization", str);
  if ((str = timestamp_type_string (config->timestamp_type))) {
    add_string (builder, "timestampType", str);
    /* the strategy means nothing without timings */
    if ((str = timestamp_transport_string (config->timestamp_transport)))
      add_string (builder, "timestampTransportStrategy", str);
  }
  if ((str = delivery_mode_string (config->delivery_mode)))
    add_string (builder, "deliveryMode", str);
  if (config->auto_mode) {
    add_bool (builder, "autoMode", TRUE);
    if ((str = auto_mode_strategy_string (config->auto_mode_strategy)))
      add_string (builder, "autoModeStrategy", str);
  }
  if (config->buffer_char_threshold >= 0)
    add_int (builder, "bufferCharThreshold", config->buffer_char_threshold);
  if (config->max_buffer_delay_ms >= 0)
    add_int (builder, "maxBufferDelayMs", config->max_buffer_delay_ms);
}

static gchar *
inworld_build_config (const gchar * context_id, const gchar * verb,
    const InworldSynthConfig * config, gboolean with_model)
{
  JsonBuilder *builder;

  g_return_val_if_fail (config != NULL, NULL);

  builder = inworld_begin (context_id);
  json_builder_set_member_name (builder, verb);
  json_builder_begin_object (builder);
  inworld_add_config (builder, config, with_model);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return builder_finish (builder);
}

static gchar *
inworld_build_create (const gchar * context_id,
    const InworldSynthConfig * config)
{
  return inworld_build_config (context_id, "create", config, TRUE);
}

static gchar *
inworld_build_update_config (const gchar * context_id,
    const InworldSynthConfig * config)
{
  return inworld_build_config (context_id, "update_config", config, FALSE);
}

static gchar *
inworld_build_send_text (const gchar * context_id, const gchar * text,
    gboolean flush)
{
  JsonBuilder *builder;

  g_return_val_if_fail (text != NULL, NULL);

  builder = inworld_begin (context_id);
  json_builder_set_member_name (builder, "send_text");
  json_builder_begin_object (builder);
  add_string (builder, "text", text);
  if (flush)
    add_empty_object (builder, "flush_context");
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return builder_finish (builder);
}

static gchar *
inworld_build_verb (const gchar * context_id, const gchar * verb)
{
  JsonBuilder *builder = inworld_begin (context_id);

  add_empty_object (builder, verb);
  json_builder_end_object (builder);
  return builder_finish (builder);
}

static gchar *
inworld_build_flush (const gchar * context_id)
{
  return inworld_build_verb (context_id, "flush_context");
}

static gchar *
inworld_build_close (const gchar * context_id)
{
  return inworld_build_verb (context_id, "close_context");
}

static JsonBuilder *
slng_begin (const gchar * type)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "type", type);
  return builder;
}

static gchar *
slng_build_create (const gchar * context_id, const InworldSynthConfig * config)
{
  const gchar *encoding;
  const gchar *str;
  JsonBuilder *builder;

  g_return_val_if_fail (config != NULL, NULL);

  builder = slng_begin ("init");
  add_opt_string (builder, "voice", config->voice);
  add_opt_string (builder, "modelId", config->model);
  add_opt_string (builder, "language", config->language);
  if ((encoding = inworld_encoding_to_string (config->encoding)))
    add_string (builder, "encoding", encoding);
  if (config->sample_rate > 0)
    add_int (builder, "sample_rate", config->sample_rate);
  if (config->bitrate > 0 && encoding_has_bitrate (config->encoding))
    add_int (builder, "bit_rate", config->bitrate);
  if (double_is_set (config->speaking_rate))
    add_double (builder, "speaking_rate", config->speaking_rate);
  if (double_is_set (config->temperature))
    add_double (builder, "temperature", config->temperature);
  /* no timestampType: SLNG has no way to return timings on this route */
  if ((str = delivery_mode_string (config->delivery_mode)))
    add_string (builder, "deliveryMode", str);
  if ((str = text_normalization_string (config->text_normalization)))
    add_string (builder, "applyTextNormalization", str);
  if (config->auto_mode)
    add_bool (builder, "autoMode", TRUE);
  if (config->buffer_char_threshold >= 0)
    add_int (builder, "bufferCharThreshold", config->buffer_char_threshold);
  if (config->max_buffer_delay_ms >= 0)
    add_int (builder, "maxBufferDelayMs", config->max_buffer_delay_ms);
  json_builder_end_object (builder);
  return builder_finish (builder);
}

static gchar *
slng_build_send_text (const gchar * context_id, const gchar * text,
    gboolean flush)
{
  JsonBuilder *builder;

  g_return_val_if_fail (text != NULL, NULL);

  builder = slng_begin ("text");
  add_string (builder, "text", text);
  if (flush)
    add_bool (builder, "flush", TRUE);
  json_builder_end_object (builder);
  return builder_finish (builder);
}

static gchar *
slng_build_type_only (const gchar * type)
{
  JsonBuilder *builder = slng_begin (type);

  json_builder_end_object (builder);
  return builder_finish (builder);
}

static gchar *
slng_build_flush (const gchar * context_id)
{
  return slng_build_type_only ("flush");
}

static gchar *
slng_build_close (const gchar * context_id)
{
  return slng_build_type_only ("close");
}

/* ------------------------------------------------------------------------
 * Parsing helpers
 * ------------------------------------------------------------------------ */

static void
set_bad_frame (GError ** error, const gchar * format, ...) G_GNUC_PRINTF (2, 3);

static void
set_bad_frame (GError ** error, const gchar * format, ...)
{
  va_list args;
  gchar *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, INWORLD_PROTOCOL_ERROR,
      INWORLD_PROTOCOL_ERROR_BAD_FRAME, message);
  g_free (message);
}

/* At most @max bytes of @str, cut on a character boundary, "…" appended
 * when something was cut. @str is valid UTF-8. */
static gchar *
truncate_utf8 (const gchar * str, gsize max)
{
  gsize len = strlen (str);
  const gchar *end;

  if (len <= max)
    return g_strdup (str);
  end = g_utf8_find_prev_char (str, str + max + 1);
  if (end == NULL)
    end = str;
  return g_strdup_printf ("%.*s…", (int) (end - str), str);
}

/* The value of the 4 hex digits at @p (@avail bytes left), or -1. */
static gint
read_hex4 (const gchar * p, gsize avail)
{
  gint value = 0;

  if (avail < 4)
    return -1;
  for (guint i = 0; i < 4; i++) {
    gint digit = g_ascii_xdigit_value (p[i]);

    if (digit < 0)
      return -1;
    value = value * 16 + digit;
  }
  return value;
}

/* Bytes of the escape sequence at @p (its backslash; @avail bytes left),
 * 0 when it is not one of RFC 8259's: json-glib takes some others ("\q",
 * "\u0x12"). A surrogate is only accepted as a high one followed by its
 * low one, so that every string decodes to valid UTF-8. */
static gsize
escape_length (const gchar * p, gsize avail)
{
  gint unit, low;

  if (avail < 2)
    return 0;
  if (p[1] != '\0' && strchr ("\"\\/bfnrt", p[1]) != NULL)
    return 2;
  if (p[1] != 'u' || (unit = read_hex4 (p + 2, avail - 2)) < 0
      || (unit >= 0xdc00 && unit <= 0xdfff))
    return 0;
  if (unit < 0xd800 || unit > 0xdbff)
    return 6;
  if (avail < 12 || p[6] != '\\' || p[7] != 'u'
      || (low = read_hex4 (p + 8, avail - 8)) < 0xdc00 || low > 0xdfff)
    return 0;
  return 12;
}

/* Refuses what json-glib should never see: embedded NULs, invalid UTF-8,
 * and nesting deeper than MAX_NESTING (its parser recurses per level and a
 * few hundred thousand '[' overflow the stack). The depth scan only knows
 * double-quoted strings, so it refuses the json-glib extensions that open
 * other quoting contexts (single-quoted strings, comments) outright: a
 * bracket hidden from this scan but seen by the parser could defeat the
 * limit. Found by fuzzing: json-glib 1.6 accepts several values in a row
 * ("{} {}", '"x" {}') and leaks every one but the last, so a frame holds
 * one value and whitespace around it; and it decodes an escaped lone
 * surrogate ("\ud800") into bytes that are not UTF-8, and leaks on a
 * broken pair, so string escapes are checked (escape_length). */
static gboolean
check_frame (const gchar * data, gsize length, GError ** error)
{
  const gchar *bad;
  gboolean in_string = FALSE;
  gboolean in_scalar = FALSE;   /* in a number or literal at the top */
  gboolean top_done = FALSE;    /* the top-level value has ended */
  guint depth = 0;

  if (memchr (data, '\0', length) != NULL) {
    g_set_error (error, INWORLD_PROTOCOL_ERROR,
        INWORLD_PROTOCOL_ERROR_NOT_JSON,
        "frame holds a NUL byte at offset %" G_GSIZE_FORMAT,
        (gsize) ((const gchar *) memchr (data, '\0', length) - data));
    return FALSE;
  }
  if (!g_utf8_validate_len (data, length, &bad)) {
    g_set_error (error, INWORLD_PROTOCOL_ERROR,
        INWORLD_PROTOCOL_ERROR_NOT_JSON,
        "frame is not valid UTF-8 (bad byte at offset %" G_GSIZE_FORMAT ")",
        (gsize) (bad - data));
    return FALSE;
  }

  for (gsize i = 0; i < length; i++) {
    gchar c = data[i];

    if (in_string) {
      if (c == '\\') {
        gsize n = escape_length (data + i, length - i);

        if (n == 0) {
          g_set_error (error, INWORLD_PROTOCOL_ERROR,
              INWORLD_PROTOCOL_ERROR_NOT_JSON,
              "frame has a bad escape sequence in a string at offset %"
              G_GSIZE_FORMAT, i);
          return FALSE;
        }
        i += n - 1;
      } else if (c == '"') {
        in_string = FALSE;
        top_done = depth == 0;
      }
      continue;
    }
    if (depth == 0) {
      if (g_ascii_isspace (c)) {
        top_done = top_done || in_scalar;
        in_scalar = FALSE;
        continue;
      }
      if (top_done || (in_scalar && (c == '"' || c == '{' || c == '['))) {
        g_set_error (error, INWORLD_PROTOCOL_ERROR,
            INWORLD_PROTOCOL_ERROR_NOT_JSON,
            "frame holds more than one JSON value (the second at offset %"
            G_GSIZE_FORMAT ")", i);
        return FALSE;
      }
      in_scalar = c != '"' && c != '{' && c != '[';
    }
    switch (c) {
      case '"':
        in_string = TRUE;
        break;
      case '[':
      case '{':
        if (++depth > MAX_NESTING) {
          g_set_error (error, INWORLD_PROTOCOL_ERROR,
              INWORLD_PROTOCOL_ERROR_NOT_JSON,
              "frame nests arrays/objects deeper than %d levels",
              MAX_NESTING);
          return FALSE;
        }
        break;
      case ']':
      case '}':
        if (depth > 0 && --depth == 0)
          top_done = TRUE;
        break;
      case '\'':
      case '/':
      case '#':
        g_set_error (error, INWORLD_PROTOCOL_ERROR,
            INWORLD_PROTOCOL_ERROR_NOT_JSON,
            "frame is not strict JSON (unexpected '%c' at offset %"
            G_GSIZE_FORMAT ")", c, i);
        return FALSE;
      default:
        break;
    }
  }
  return TRUE;
}

/* Parses @data into a new parser whose root is an object. */
static JsonParser *
parse_object (const gchar * data, gsize length, JsonObject ** root_object,
    GError ** error)
{
  JsonParser *parser;
  GError *json_error = NULL;
  JsonNode *root;

  if (data == NULL) {
    g_set_error_literal (error, INWORLD_PROTOCOL_ERROR,
        INWORLD_PROTOCOL_ERROR_NOT_JSON, "frame has no data");
    return NULL;
  }
  if (length > G_MAXSSIZE) {
    g_set_error_literal (error, INWORLD_PROTOCOL_ERROR,
        INWORLD_PROTOCOL_ERROR_NOT_JSON, "frame too large");
    return NULL;
  }
  if (!check_frame (data, length, error))
    return NULL;

  /* not json_parser_new_immutable (): sealing hashes every string */
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) length,
          &json_error)) {
    /* found by fuzzing: json-glib quotes a bad string cut at a byte
     * count, maybe inside a character, so its message may not be UTF-8 */
    gchar *valid = g_utf8_make_valid (json_error->message, -1);
    gchar *short_message = truncate_utf8 (valid, MAX_QUOTED);

    g_set_error (error, INWORLD_PROTOCOL_ERROR,
        INWORLD_PROTOCOL_ERROR_NOT_JSON, "frame is not JSON: %s",
        short_message);
    g_free (short_message);
    g_free (valid);
    g_error_free (json_error);
    g_object_unref (parser);
    return NULL;
  }

  root = json_parser_get_root (parser);
  if (root == NULL) {
    g_set_error_literal (error, INWORLD_PROTOCOL_ERROR,
        INWORLD_PROTOCOL_ERROR_NOT_JSON, "frame is empty");
    g_object_unref (parser);
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, INWORLD_PROTOCOL_ERROR,
        INWORLD_PROTOCOL_ERROR_BAD_FRAME,
        "frame is a JSON %s, not an object",
        JSON_NODE_HOLDS_ARRAY (root) ? "array" : "value");
    g_object_unref (parser);
    return NULL;
  }
  *root_object = json_node_get_object (root);
  return parser;
}

static const gchar *
node_kind (JsonNode * node)
{
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "an array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      break;
  }
  switch (json_node_get_value_type (node)) {
    case G_TYPE_STRING:
      return "a string";
    case G_TYPE_BOOLEAN:
      return "a boolean";
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
      return "a number";
    default:
      break;
  }
  return "a value";
}

/* The member spelled @camel or @snake (either may be NULL), camelCase
 * first. NULL when absent or JSON null: protobuf-JSON writes null for
 * unset fields. @used_name tells which spelling was found, for errors. */
static JsonNode *
member (JsonObject * object, const gchar * camel, const gchar * snake,
    const gchar ** used_name)
{
  const gchar *names[2] = { camel, snake };

  for (guint i = 0; i < 2; i++) {
    JsonNode *node;

    if (names[i] == NULL)
      continue;
    node = json_object_get_member (object, names[i]);
    if (node == NULL)
      continue;
    if (used_name)
      *used_name = names[i];
    return JSON_NODE_HOLDS_NULL (node) ? NULL : node;
  }
  return NULL;
}

static gboolean
node_is_type (JsonNode * node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == type;
}

static gboolean
node_is_number (JsonNode * node)
{
  return node_is_type (node, G_TYPE_INT64)
      || node_is_type (node, G_TYPE_DOUBLE);
}

/* A JSON number as a finite double */
static gboolean
node_get_double (JsonNode * node, gdouble * out)
{
  gdouble value;

  if (!node_is_number (node))
    return FALSE;
  if (node_is_type (node, G_TYPE_INT64))
    value = (gdouble) json_node_get_int (node);
  else
    value = json_node_get_double (node);
  if (!isfinite (value))
    return FALSE;
  *out = value;
  return TRUE;
}

/* A JSON number that is a whole number in gint64's range. json-glib casts
 * doubles to integers unchecked, which is undefined for 1e999, so doubles
 * are range-checked here. */
static gboolean
node_get_int64 (JsonNode * node, gint64 * out)
{
  gdouble value;

  if (node_is_type (node, G_TYPE_INT64)) {
    *out = json_node_get_int (node);
    return TRUE;
  }
  if (!node_get_double (node, &value) || value != floor (value)
      || value < -9223372036854775808.0 || value >= 9223372036854775808.0)
    return FALSE;
  *out = (gint64) value;
  return TRUE;
}

static gint
clamp_int (gint64 value)
{
  return (gint) CLAMP (value, G_MININT, G_MAXINT);
}

/* Optional members: TRUE with *out untouched when absent or null; FALSE
 * with @error set when present with the wrong type. @where prefixes the
 * member name in the error ("result.audioChunk"). */

static gboolean
get_object (JsonObject * object, const gchar * where, const gchar * camel,
    const gchar * snake, JsonObject ** out, GError ** error)
{
  const gchar *name = camel;
  JsonNode *node = member (object, camel, snake, &name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    set_bad_frame (error, "%s%s%s is %s, expected an object", where,
        *where ? "." : "", name, node_kind (node));
    return FALSE;
  }
  *out = json_node_get_object (node);
  return TRUE;
}

static gboolean
get_array (JsonObject * object, const gchar * where, const gchar * camel,
    const gchar * snake, JsonArray ** out, GError ** error)
{
  const gchar *name = camel;
  JsonNode *node = member (object, camel, snake, &name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node)) {
    set_bad_frame (error, "%s%s%s is %s, expected an array", where,
        *where ? "." : "", name, node_kind (node));
    return FALSE;
  }
  *out = json_node_get_array (node);
  return TRUE;
}

static gboolean
get_string (JsonObject * object, const gchar * where, const gchar * camel,
    const gchar * snake, const gchar ** out, GError ** error)
{
  const gchar *name = camel;
  JsonNode *node = member (object, camel, snake, &name);

  if (node == NULL)
    return TRUE;
  if (!node_is_type (node, G_TYPE_STRING)) {
    set_bad_frame (error, "%s%s%s is %s, expected a string", where,
        *where ? "." : "", name, node_kind (node));
    return FALSE;
  }
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
get_int64 (JsonObject * object, const gchar * where, const gchar * camel,
    const gchar * snake, gint64 * out, GError ** error)
{
  const gchar *name = camel;
  JsonNode *node = member (object, camel, snake, &name);

  if (node == NULL)
    return TRUE;
  if (!node_get_int64 (node, out)) {
    set_bad_frame (error, "%s%s%s is %s, expected an integer", where,
        *where ? "." : "", name, node_is_number (node) ?
        "a number out of range" : node_kind (node));
    return FALSE;
  }
  return TRUE;
}

static gboolean
get_double (JsonObject * object, const gchar * where, const gchar * camel,
    const gchar * snake, gdouble * out, GError ** error)
{
  const gchar *name = camel;
  JsonNode *node = member (object, camel, snake, &name);

  if (node == NULL)
    return TRUE;
  if (!node_get_double (node, out)) {
    set_bad_frame (error, "%s%s%s is %s, expected a finite number", where,
        *where ? "." : "", name, node_is_number (node) ?
        "an infinite number" : node_kind (node));
    return FALSE;
  }
  return TRUE;
}

/* The value of each base64 character, -1 for any other byte. */
static const gint8 base64_values[256] = {
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
  52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
  -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
  15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
  -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
  41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* Strict RFC 4648 base64 of @length bytes (standard alphabet, padded, no
 * whitespace), checked and decoded in one pass. Sets *out to NULL for an
 * empty string. */
static gboolean
decode_base64_len (const gchar * where, const gchar * text, gsize length,
    GBytes ** out, GError ** error)
{
  const guchar *t = (const guchar *) text;
  gsize padding = 0, size, o = 0;
  guchar *data;

  *out = NULL;
  if (length == 0)
    return TRUE;
  if (length % 4 != 0) {
    g_set_error (error, INWORLD_PROTOCOL_ERROR,
        INWORLD_PROTOCOL_ERROR_BAD_BASE64,
        "%s is not valid base64 (length %" G_GSIZE_FORMAT
        " is not a multiple of 4)", where, length);
    return FALSE;
  }
  if (t[length - 1] == '=') {
    padding++;
    if (t[length - 2] == '=')
      padding++;
  }
  size = length / 4 * 3 - padding;
  data = g_malloc (length / 4 * 3);
  for (gsize i = 0; i < length; i += 4) {
    gboolean last = i + 4 == length;
    gint v[4];

    for (guint k = 0; k < 4; k++) {
      if (last && k >= 4 - padding) {
        v[k] = 0;
        continue;
      }
      v[k] = base64_values[t[i + k]];
      if (v[k] < 0) {
        g_free (data);
        g_set_error (error, INWORLD_PROTOCOL_ERROR,
            INWORLD_PROTOCOL_ERROR_BAD_BASE64,
            "%s is not valid base64 (bad character at offset %"
            G_GSIZE_FORMAT ")", where, i + k);
        return FALSE;
      }
    }
    data[o++] = (guchar) (v[0] << 2 | v[1] >> 4);
    data[o++] = (guchar) ((v[1] & 0xf) << 4 | v[2] >> 2);
    data[o++] = (guchar) ((v[2] & 0x3) << 6 | v[3]);
  }
  *out = g_bytes_new_take (data, size);
  return TRUE;
}

static gboolean
decode_base64 (const gchar * where, const gchar * text, GBytes ** out,
    GError ** error)
{
  return decode_base64_len (where, text, strlen (text), out, error);
}

/* A refused frame that held audio (@chunk has a non-null @field) loses
 * that audio: the error says so, and names the context when there is one,
 * so that a client can tell its user more than "bad frame". */
static void
note_audio_lost (GError ** error, JsonObject * chunk, const gchar * camel,
    const gchar * snake, const gchar * context_id)
{
  gchar *id, *message;

  if (error == NULL || *error == NULL
      || member (chunk, camel, snake, NULL) == NULL)
    return;
  id = context_id ? truncate_utf8 (context_id, MAX_QUOTED) : NULL;
  message = g_strdup_printf ("%s: the audio of this chunk%s%s%s is lost",
      (*error)->message, id ? " of context '" : "", id ? id : "",
      id ? "'" : "");
  g_free ((*error)->message);
  (*error)->message = message;
  g_free (id);
}

/* ------------------------------------------------------------------------
 * Inworld parsing
 * ------------------------------------------------------------------------ */

/* Largest timing accepted, in seconds either way. A generation (at most
 * a few thousand characters) lasts minutes; found by fuzzing: the element
 * turns timings into nanoseconds (GstClockTime), which is undefined for
 * times past 584 years (1e300). */
#define MAX_TIMING_SECONDS 86400.0

static gboolean
node_get_time (JsonNode * node, gdouble * out)
{
  return node_get_double (node, out) && fabs (*out) <= MAX_TIMING_SECONDS;
}

/* One alignment object: three parallel arrays, cut to the shortest. NULL
 * timings (and TRUE) when there is no entry. */
static gboolean
parse_alignment (JsonObject * alignment, const gchar * where,
    gboolean characters, InworldTimings ** out, GError ** error)
{
  static const gchar *const names[2][3][2] = {
    {{"words", "words"},
        {"wordStartTimeSeconds", "word_start_time_seconds"},
        {"wordEndTimeSeconds", "word_end_time_seconds"}},
    {{"characters", "characters"},
        {"characterStartTimeSeconds", "character_start_time_seconds"},
        {"characterEndTimeSeconds", "character_end_time_seconds"}},
  };
  JsonArray *arrays[3] = { NULL, NULL, NULL };
  InworldTimings *timings;
  guint n = G_MAXUINT;

  for (guint a = 0; a < 3; a++) {
    const gchar *const *name = names[characters ? 1 : 0][a];

    if (!get_array (alignment, where, name[0], name[1], &arrays[a], error))
      return FALSE;
    n = MIN (n, arrays[a] ? json_array_get_length (arrays[a]) : 0);
  }
  if (n == 0)
    return TRUE;

  timings = g_new0 (InworldTimings, 1);
  timings->characters = characters;
  timings->n = n;
  timings->tokens = g_new0 (gchar *, n + 1);
  timings->start = g_new0 (gdouble, n);
  timings->end = g_new0 (gdouble, n);

  for (guint i = 0; i < n; i++) {
    JsonNode *token = json_array_get_element (arrays[0], i);
    JsonNode *start = json_array_get_element (arrays[1], i);
    JsonNode *end = json_array_get_element (arrays[2], i);

    if (!node_is_type (token, G_TYPE_STRING)) {
      set_bad_frame (error, "%s.%s[%u] is %s, expected a string", where,
          characters ? "characters" : "words", i, node_kind (token));
      goto fail;
    }
    if (!node_get_time (start, &timings->start[i])
        || !node_get_time (end, &timings->end[i])) {
      set_bad_frame (error, "%s: time %u is not a number of seconds "
          "within a day", where, i);
      goto fail;
    }
    timings->tokens[i] = g_strdup (json_node_get_string (token));
  }
  *out = timings;
  return TRUE;

fail:
  inworld_timings_free (timings);
  return FALSE;
}

static gboolean
parse_timestamp_info (JsonObject * info, InworldTimings ** out,
    GError ** error)
{
  const gchar *where = "audioChunk.timestampInfo";
  JsonObject *words = NULL, *characters = NULL;

  if (!get_object (info, where, "wordAlignment", "word_alignment", &words,
          error)
      || !get_object (info, where, "characterAlignment",
          "character_alignment", &characters, error))
    return FALSE;

  if (words && !parse_alignment (words, "audioChunk.timestampInfo."
          "wordAlignment", FALSE, out, error))
    return FALSE;
  if (*out == NULL && characters && !parse_alignment (characters,
          "audioChunk.timestampInfo.characterAlignment", TRUE, out, error))
    return FALSE;
  return TRUE;
}

/* The base64 audio of an audioChunk is nearly all of its frame; a JSON
 * parser would copy it, scan it and validate it as UTF-8 more than once.
 * So the frame goes to the parser with the string cut out and this mark
 * in its place, and the string is decoded straight from the frame. The
 * cut is exact: the key's quotes cannot occur unescaped inside a string,
 * and a string with escapes is left to the parser. */
#define AUDIO_KEY "\"audioContent\":\""
#define AUDIO_MARK "inworld:lifted-audio"
/* where the key is looked for: the service puts it first */
#define AUDIO_KEY_SEARCH 4096
/* shorter strings are not worth it */
#define AUDIO_LIFT_MIN 256

typedef struct
{
  const gchar *text;            /* base64 in the original frame, or NULL */
  gsize length;
} LiftedAudio;

/* A copy of @frame without its audio string, or NULL (no lifting). */
static gchar *
lift_audio (const gchar * frame, gsize length, LiftedAudio * lifted,
    gsize * new_length)
{
  const gsize key_length = strlen (AUDIO_KEY);
  const gsize mark_length = strlen (AUDIO_MARK);
  const gchar *key, *start, *end;
  gsize head, tail;
  gchar *copy;

  key = g_strstr_len (frame, MIN (length, AUDIO_KEY_SEARCH), AUDIO_KEY);
  if (key == NULL)
    return NULL;
  start = key + key_length;
  end = memchr (start, '"', length - (start - frame));
  if (end == NULL || (gsize) (end - start) < AUDIO_LIFT_MIN
      || memchr (start, '\\', end - start) != NULL)
    return NULL;

  head = start - frame;
  tail = length - (end - frame);
  copy = g_malloc (head + mark_length + tail);
  memcpy (copy, frame, head);
  memcpy (copy + head, AUDIO_MARK, mark_length);
  memcpy (copy + head + mark_length, end, tail);
  lifted->text = start;
  lifted->length = end - start;
  *new_length = head + mark_length + tail;
  return copy;
}

/* The metadata of an audio chunk (usage, timestampInfo): a field of an
 * unexpected type is left out and said in *@ignored, never a reason to
 * lose the chunk's audio. */
static void
parse_chunk_metadata (JsonObject * chunk, gint64 * processed,
    InworldTimings ** timings, gchar ** ignored)
{
  const gchar *where = "audioChunk";
  JsonObject *usage = NULL, *info = NULL;
  GError *error = NULL;

  if (!get_object (chunk, where, "usage", NULL, &usage, &error)
      || (usage && !get_int64 (usage, "audioChunk.usage",
              "processedCharactersCount", "processed_characters_count",
              processed, &error))) {
    *processed = -1;
    *ignored = g_strdup (error->message);
    g_clear_error (&error);
  }
  if (!get_object (chunk, where, "timestampInfo", "timestamp_info", &info,
          &error)
      || (info && !parse_timestamp_info (info, timings, &error))) {
    gchar *both = *ignored ? g_strdup_printf ("%s; %s", *ignored,
        error->message) : g_strdup (error->message);

    g_free (*ignored);
    *ignored = both;
    g_clear_error (&error);
  }
}

static InworldEvent *
parse_audio_chunk (JsonObject * chunk, const gchar * context_id,
    LiftedAudio * lifted, gchar ** ignored, GError ** error)
{
  const gchar *where = "audioChunk";
  const gchar *content = NULL;
  gint64 processed = -1;
  GBytes *audio = NULL;
  InworldTimings *timings = NULL;
  InworldEvent *event;

  if (!get_string (chunk, where, "audioContent", "audio_content", &content,
          error))
    return NULL;
  parse_chunk_metadata (chunk, &processed, &timings, ignored);
  if (content && lifted && lifted->text && strcmp (content, AUDIO_MARK) == 0) {
    if (!decode_base64_len ("audioChunk.audioContent", lifted->text,
            lifted->length, &audio, error)) {
      inworld_timings_free (timings);
      return NULL;
    }
    lifted->text = NULL;        /* one chunk, one audio */
  } else if (content && !decode_base64 ("audioChunk.audioContent", content,
          &audio, error)) {
    inworld_timings_free (timings);
    return NULL;
  }

  event = inworld_event_new (INWORLD_EVENT_AUDIO, context_id);
  event->audio = audio;
  event->timings = timings;
  /* a negative count means nothing; the audio is still good */
  event->processed_chars = processed < 0 ? -1 : clamp_int (processed);
  return event;
}

/* Error fields shared by result.status and the top-level error. */
static gboolean
parse_status (JsonObject * status, const gchar * where, gint64 * code,
    const gchar ** message, const gchar ** status_name, GError ** error)
{
  JsonNode *status_node;

  if (!get_int64 (status, where, "code", NULL, code, error)
      || !get_string (status, where, "message", NULL, message, error))
    return FALSE;

  /* the top-level variant for malformed requests names its code */
  status_node = member (status, "status", NULL, NULL);
  if (status_node && node_is_type (status_node, G_TYPE_STRING))
    *status_name = json_node_get_string (status_node);
  return TRUE;
}

/* Our error code name: the string status when present, else the first
 * details entry's errorType (SESSION_TOKEN_INVALID, SESSION_PAUSED...). */
static gchar *
error_code_name (JsonObject * status, const gchar * status_name)
{
  JsonNode *details;
  JsonArray *array;

  if (status_name != NULL)
    return g_strdup (status_name);

  details = member (status, "details", NULL, NULL);
  if (details == NULL || !JSON_NODE_HOLDS_ARRAY (details))
    return NULL;
  array = json_node_get_array (details);
  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonNode *entry = json_array_get_element (array, i);
    JsonNode *type;

    if (!JSON_NODE_HOLDS_OBJECT (entry))
      continue;
    type = member (json_node_get_object (entry), "errorType", "error_type",
        NULL);
    if (type && node_is_type (type, G_TYPE_STRING))
      return g_strdup (json_node_get_string (type));
  }
  return NULL;
}

static InworldEvent *
new_error_event (const gchar * context_id, gint64 code, const gchar * message,
    gchar * code_name)
{
  InworldEvent *event = inworld_event_new (INWORLD_EVENT_ERROR, context_id);

  event->code = clamp_int (code);
  event->code_name = code_name;
  if (message != NULL && *message != '\0')
    event->message = g_strdup (message);
  else if (code_name != NULL)
    event->message = g_strdup_printf ("error %s (code %d)", code_name,
        event->code);
  else
    event->message = g_strdup_printf ("error code %d", event->code);
  return event;
}

static const struct
{
  const gchar *camel;
  const gchar *snake;
  InworldEventType type;
} result_kinds[] = {
  {"contextCreated", "context_created", INWORLD_EVENT_CONTEXT_CREATED},
  {"contextUpdated", "context_updated", INWORLD_EVENT_CONTEXT_UPDATED},
  {"audioChunk", "audio_chunk", INWORLD_EVENT_AUDIO},
  {"flushCompleted", "flush_completed", INWORLD_EVENT_FLUSH_COMPLETED},
  {"contextClosed", "context_closed", INWORLD_EVENT_CONTEXT_CLOSED},
};

/* {"result": {"contextId", <kind>, "status"}}. A non-zero status is an
 * error whatever else the result holds. Events go to @out first, so that
 * nothing is appended to the caller's array when the frame is refused. */
static gboolean
parse_result (JsonObject * result, LiftedAudio * lifted, GPtrArray * out,
    GError ** error)
{
  const gchar *context_id = NULL, *message = NULL, *status_name = NULL;
  JsonObject *status = NULL;
  gint64 code = 0;

  if (!get_string (result, "result", "contextId", "context_id", &context_id,
          error)
      || !get_object (result, "result", "status", NULL, &status, error))
    return FALSE;
  if (status && !parse_status (status, "result.status", &code, &message,
          &status_name, error))
    return FALSE;

  if (code != 0) {
    g_ptr_array_add (out, new_error_event (context_id, code, message,
            error_code_name (status, status_name)));
    return TRUE;
  }

  for (guint i = 0; i < G_N_ELEMENTS (result_kinds); i++) {
    JsonObject *kind = NULL;
    InworldEvent *event;

    if (!get_object (result, "result", result_kinds[i].camel,
            result_kinds[i].snake, &kind, error))
      return FALSE;
    if (kind == NULL)
      continue;
    if (result_kinds[i].type == INWORLD_EVENT_AUDIO) {
      gchar *ignored = NULL;

      event = parse_audio_chunk (kind, context_id, lifted, &ignored, error);
      if (event == NULL) {
        g_free (ignored);
        note_audio_lost (error, kind, "audioContent", "audio_content",
            context_id);
        return FALSE;
      }
      if (ignored) {
        InworldEvent *warning = inworld_event_new
            (INWORLD_EVENT_INVALID_FRAME, context_id);

        warning->message = g_strdup_printf ("ignored a field of an audio "
            "chunk (its audio is kept): %s", ignored);
        g_free (ignored);
        g_ptr_array_add (out, event);
        event = warning;
      }
    } else {
      event = inworld_event_new (result_kinds[i].type, context_id);
    }
    g_ptr_array_add (out, event);
  }
  return TRUE;
}

/* {"error": {"code", "message", "details" | "status"}}: connection-wide.
 * Codes 16 (UNAUTHENTICATED) and 7 (PERMISSION_DENIED) are followed by a
 * server close. */
static gboolean
parse_top_error (JsonObject * top, GPtrArray * out, GError ** error)
{
  const gchar *message = NULL, *status_name = NULL;
  InworldEvent *event;
  gint64 code = 0;

  if (!parse_status (top, "error", &code, &message, &status_name, error))
    return FALSE;

  event = new_error_event (NULL, code, message,
      error_code_name (top, status_name));
  event->fatal = (code == 16 || code == 7);
  g_ptr_array_add (out, event);
  return TRUE;
}

/* Hands the events of @from over to @to, leaving @from empty */
static void
move_events (GPtrArray * from, GPtrArray * to)
{
  for (guint i = 0; i < from->len; i++)
    g_ptr_array_add (to, g_ptr_array_index (from, i));
  g_ptr_array_set_free_func (from, NULL);
  g_ptr_array_set_size (from, 0);
}

static gboolean
inworld_parse (const gchar * frame, gsize length, GPtrArray * events,
    GError ** error)
{
  JsonObject *root = NULL, *result = NULL, *top_error = NULL;
  LiftedAudio lifted = { NULL, 0 };
  JsonParser *parser;
  GPtrArray *parsed;
  gchar *small = NULL;
  gsize small_length = 0;
  gboolean ok;

  g_return_val_if_fail (events != NULL, FALSE);

  if (frame && length <= G_MAXSSIZE)
    small = lift_audio (frame, length, &lifted, &small_length);
  parser = small ? parse_object (small, small_length, &root, error) :
      parse_object (frame, length, &root, error);
  if (parser == NULL) {
    g_free (small);
    return FALSE;
  }

  parsed = g_ptr_array_new_with_free_func ((GDestroyNotify)
      inworld_event_free);
  /* {"done": true} and objects without a known key yield nothing */
  ok = get_object (root, "", "result", NULL, &result, error)
      && get_object (root, "", "error", NULL, &top_error, error)
      && (result == NULL || parse_result (result, &lifted, parsed, error))
      && (top_error == NULL || parse_top_error (top_error, parsed, error));
  if (ok)
    move_events (parsed, events);
  g_ptr_array_unref (parsed);
  g_object_unref (parser);
  g_free (small);
  return ok;
}

/* ------------------------------------------------------------------------
 * SLNG parsing
 * ------------------------------------------------------------------------ */

static gboolean
slng_parse (const gchar * frame, gsize length, GPtrArray * events,
    GError ** error)
{
  JsonObject *root = NULL;
  JsonParser *parser;
  InworldEvent *event = NULL;
  const gchar *type = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (events != NULL, FALSE);

  parser = parse_object (frame, length, &root, error);
  if (parser == NULL)
    return FALSE;
  if (!get_string (root, "", "type", NULL, &type, error))
    goto done;

  if (g_strcmp0 (type, "audio_chunk") == 0) {
    const gchar *data = NULL;
    gint64 sequence = -1;
    GBytes *audio = NULL;

    if (!get_string (root, "audio_chunk", "data", NULL, &data, error)
        || !get_int64 (root, "audio_chunk", "sequence", NULL, &sequence,
            error)
        || (data && !decode_base64 ("audio_chunk.data", data, &audio,
                error))) {
      note_audio_lost (error, root, "data", NULL, NULL);
      goto done;
    }
    event = inworld_event_new (INWORLD_EVENT_AUDIO, NULL);
    event->audio = audio;
    /* a negative number means nothing (-1, as absent); the largest one
     * is clamped so that a reader can count on from it: the element
     * expects sequence + 1 next */
    event->sequence = sequence < 0 ? -1 : MIN (sequence, G_MAXINT64 - 1);
  } else if (g_strcmp0 (type, "audio_end") == 0) {
    gdouble duration = -1.0;

    if (!get_double (root, "audio_end", "duration", NULL, &duration, error))
      goto done;
    event = inworld_event_new (INWORLD_EVENT_FLUSH_COMPLETED, NULL);
    event->duration = duration;
  } else if (g_strcmp0 (type, "error") == 0) {
    const gchar *code = NULL, *message = NULL;

    if (!get_string (root, "error", "code", NULL, &code, error)
        || !get_string (root, "error", "message", NULL, &message, error))
      goto done;
    event = new_error_event (NULL, 0, message, g_strdup (code));
    event->fatal = (g_strcmp0 (code, "auth_error") == 0);
  }
  /* anything else (no type, ready, unknown types) needs no action */

  if (event)
    g_ptr_array_add (events, event);
  ok = TRUE;

done:
  g_object_unref (parser);
  return ok;
}

/* ------------------------------------------------------------------------
 * The tables
 * ------------------------------------------------------------------------ */

static const gint slng_sample_rates[] = {
  8000, 16000, 22050, 24000, 32000, 44100, 48000, 0
};

static const InworldProtocol inworld_protocol = {
  .kind = INWORLD_PROTOCOL_INWORLD,
  .name = "inworld",
  .contexts_per_connection = 5,
  .auth_scheme = "Basic",
  .api_key_env = "INWORLD_API_KEY",
  .acks_create = TRUE,
  .acks_close = TRUE,
  .timings = TRUE,
  .auto_mode = TRUE,
  .sequenced = FALSE,
  .sample_rates = NULL,
  .build_create = inworld_build_create,
  .build_send_text = inworld_build_send_text,
  .build_flush = inworld_build_flush,
  .build_update_config = inworld_build_update_config,
  .build_close = inworld_build_close,
  .parse = inworld_parse,
};

static const InworldProtocol slng_protocol = {
  .kind = INWORLD_PROTOCOL_SLNG,
  .name = "slng",
  .contexts_per_connection = 1,
  .auth_scheme = "Bearer",
  .api_key_env = "SLNG_API_KEY",
  .acks_create = FALSE,
  .acks_close = FALSE,
  .timings = FALSE,
  .auto_mode = FALSE,
  .sequenced = TRUE,
  .sample_rates = slng_sample_rates,
  .build_create = slng_build_create,
  .build_send_text = slng_build_send_text,
  .build_flush = slng_build_flush,
  .build_update_config = NULL,
  .build_close = slng_build_close,
  .parse = slng_parse,
};

const InworldProtocol *
inworld_protocol_get (InworldProtocolKind kind)
{
  switch (kind) {
    case INWORLD_PROTOCOL_INWORLD:
      return &inworld_protocol;
    case INWORLD_PROTOCOL_SLNG:
      return &slng_protocol;
  }
  g_return_val_if_reached (NULL);
}
