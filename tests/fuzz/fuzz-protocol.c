/* inworldttssrc: fuzz target for the protocol layer
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* One input is one server frame, as the connection layer hands it over:
 * (data, length), not NUL-terminated. It goes to BOTH protocols' parse()
 * (frames of the one are junk for the other, which is also worth
 * trying). Every event is then read the way the element reads it
 * (gstinworldttsstream.c: handle_event, handle_audio, post_timings,
 * post_server_error), so values that would make the element's own
 * arithmetic undefined show up here, and freed.
 *
 * The same bytes also go through the text helpers (inworldtext.c), which
 * see what the application and upstream elements send.
 *
 * Contract checks abort (libFuzzer reports them as crashes):
 *   - parse() returns FALSE with an error and appends nothing, or TRUE
 *     with no error;
 *   - events are well-formed (ERROR has a message, timings have n > 0
 *     entries of finite times and strings, audio is non-empty);
 *   - frames built around the input (as text, voice, model, numbers of
 *     the config) are valid JSON objects;
 *   - inworld_text_split() is lossless and keeps to its character limit.
 *
 * Built with -fsanitize=fuzzer for libFuzzer, or with replay.c to run a
 * corpus (meson test --suite fuzz). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inworldprotocol.h"
#include "inworldtext.h"

/* GST_SECOND, without linking GStreamer */
#define FUZZ_SECOND G_GUINT64_CONSTANT (1000000000)

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define check(cond) \
  G_STMT_START { \
    if (G_UNLIKELY (!(cond))) { \
      g_printerr ("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort (); \
    } \
  } G_STMT_END

static volatile guint64 sink;

/* What the element computes from a timing entry (post_timings) */
static guint64
element_clock_time (guint64 base, gdouble seconds)
{
  return base + (guint64) (MAX (0.0, seconds) * FUZZ_SECOND + 0.5);
}

/* Reads @event as gstinworldttsstream.c does, checking the contract of
 * inworldprotocol.h on the way. */
static void
read_event (const InworldEvent * event)
{
  const gchar *name = inworld_event_type_name (event->type);
  guint64 acc = 0;

  check (name != NULL && strcmp (name, "unknown") != 0);
  /* parsers never make this one; an invalid frame from a parser is the
   * warning about a field it ignored, and says which */
  check (event->type != INWORLD_EVENT_DISCONNECTED);
  if (event->type == INWORLD_EVENT_INVALID_FRAME) {
    check (event->message != NULL && g_utf8_validate (event->message, -1,
            NULL));
    check (strlen (event->message) < 512);
  }
  if (event->context_id) {
    /* compared with the element's, and put in messages */
    check (g_utf8_validate (event->context_id, -1, NULL));
    acc += strlen (event->context_id);
  }

  switch (event->type) {
    case INWORLD_EVENT_AUDIO:
      check (event->processed_chars >= -1);
      check (event->sequence >= -1);
      /* handle_audio: the next sequence number expected */
      if (event->sequence >= 0) {
        gint64 next = event->sequence + 1;
        acc += (guint64) next;
      }
      if (event->audio) {
        gsize size;
        const guint8 *bytes = g_bytes_get_data (event->audio, &size);

        check (size > 0);
        for (gsize i = 0; i < size; i++)
          acc += bytes[i];
      }
      if (event->timings) {
        const InworldTimings *t = event->timings;

        check (t->n > 0);
        check (t->tokens[t->n] == NULL);
        for (guint i = 0; i < t->n; i++) {
          guint64 start, end;

          check (t->tokens[i] != NULL);
          check (g_utf8_validate (t->tokens[i], -1, NULL));
          check (isfinite (t->start[i]) && isfinite (t->end[i]));
          /* post_timings: a clock time from the flush's base */
          start = element_clock_time (0, t->start[i]);
          end = element_clock_time (0, t->end[i]);
          acc += strlen (t->tokens[i]) + MAX (start, end);
        }
      }
      break;
    case INWORLD_EVENT_FLUSH_COMPLETED:
      check (event->duration < 0 || isfinite (event->duration));
      break;
    case INWORLD_EVENT_ERROR:
      check (event->message != NULL && *event->message != '\0');
      check (g_utf8_validate (event->message, -1, NULL));
      acc += strlen (event->message) + (guint) event->code;
      if (event->code_name) {
        check (g_utf8_validate (event->code_name, -1, NULL));
        acc += strlen (event->code_name);
      }
      break;
    default:
      check (event->audio == NULL && event->timings == NULL);
      break;
  }
  sink += acc;
}

static void
parse_with (InworldProtocolKind kind, const gchar * frame, gsize size)
{
  const InworldProtocol *protocol = inworld_protocol_get (kind);
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      inworld_event_free);
  GError *error = NULL;
  gboolean ok;

  /* something already queued must be left alone on failure */
  g_ptr_array_add (events, inworld_event_new (INWORLD_EVENT_CONTEXT_CLOSED,
          "sentinel"));

  ok = protocol->parse (frame, size, events, &error);
  if (ok) {
    check (error == NULL);
    check (events->len >= 1);
  } else {
    check (error != NULL && error->domain == INWORLD_PROTOCOL_ERROR);
    check (error->message != NULL && g_utf8_validate (error->message, -1,
            NULL));
    /* messages never quote the frame at length */
    check (strlen (error->message) < 512);
    check (events->len == 1);
    g_clear_error (&error);
  }
  for (guint i = 1; i < events->len; i++)
    read_event (g_ptr_array_index (events, i));
  g_ptr_array_unref (events);
}

static void
check_json_object (gchar * frame)
{
  JsonNode *node;

  check (frame != NULL);
  node = json_from_string (frame, NULL);
  check (node != NULL && JSON_NODE_HOLDS_OBJECT (node));
  json_node_unref (node);
  g_free (frame);
}

/* Frames built around hostile text (the application's text, voice,
 * model...) must still be one JSON object each. The numbers of the
 * config come from the input too. */
static void
build_with (InworldProtocolKind kind, const gchar * text, const guint8 * data,
    gsize size)
{
  const InworldProtocol *protocol = inworld_protocol_get (kind);
  InworldSynthConfig config;
  guint32 bits = 0;
  gchar *frame;

  memcpy (&bits, data, MIN (size, sizeof (bits)));
  inworld_synth_config_init (&config);
  config.voice = text;
  config.model = size % 3 ? text : NULL;
  config.language = size % 5 ? text : "";
  config.encoding = (InworldEncoding) (bits % 9);       /* 8: no such one */
  config.sample_rate = (gint) bits;
  config.bitrate = (gint) (bits >> 3);
  config.temperature = (gint) bits / 1000.0;
  config.speaking_rate = (bits & 1) ? NAN : (bits >> 8) / 100.0;
  config.timestamp_type = (InworldTimestampType) ((bits >> 4) % 3);
  config.text_normalization = (InworldTextNormalization) ((bits >> 6) % 3);
  config.auto_mode = (bits >> 9) & 1;
  config.buffer_char_threshold = (gint) (bits >> 10) - 100;
  config.max_buffer_delay_ms = (gint) (bits >> 12) - 100;

  check_json_object (protocol->build_create (text, &config));
  /* SLNG cannot change a running context: no builder for it */
  check ((protocol->build_update_config != NULL) ==
      (kind == INWORLD_PROTOCOL_INWORLD));
  if (protocol->build_update_config) {
    frame = protocol->build_update_config (text, &config);
    check_json_object (frame);
  }
  check_json_object (protocol->build_send_text (text, text, size & 1));
  check_json_object (protocol->build_flush (size & 2 ? text : NULL));
  check_json_object (protocol->build_close (text));
}

/* inworld_text_split() must be lossless and keep to its limit. */
static void
split_checked (const gchar * text, guint max_chars)
{
  gchar **pieces = inworld_text_split (text, max_chars);
  GString *joined = g_string_new (NULL);

  for (guint i = 0; pieces[i]; i++) {
    check (*pieces[i] != '\0');
    /* bytes that are not UTF-8 count one character each, so only valid
     * pieces can be counted with g_utf8_strlen() */
    if (g_utf8_validate (pieces[i], -1, NULL))
      check (g_utf8_strlen (pieces[i], -1) <= (glong) max_chars);
    g_string_append (joined, pieces[i]);
  }
  check (strcmp (joined->str, text) == 0);
  g_string_free (joined, TRUE);
  g_strfreev (pieces);
}

/* What the element does with a text buffer (gstinworldttssrc.c): validate
 * its bytes, strip Pango markup, look for speech, split what is left; and
 * with the text property (NUL-terminated). */
static void
text_helpers (const gchar * frame, gsize size)
{
  gsize bad = G_MAXSIZE;
  gboolean valid = inworld_text_validate (frame, size, &bad);
  guint max_chars = 1 + size % 61;
  gchar *text = g_strndup (frame, size);

  check (valid || bad <= size);
  sink += inworld_text_has_speech (text);
  split_checked (text, max_chars);
  split_checked (text, INWORLD_MAX_TEXT_CHARS);
  g_free (text);

  if (valid) {
    GError *error = NULL;
    gchar *stripped = inworld_text_strip_markup (frame, size, &error);

    check ((stripped != NULL) != (error != NULL));
    if (stripped) {
      check (g_utf8_validate (stripped, -1, NULL));
      sink += inworld_text_has_speech (stripped);
      split_checked (stripped, max_chars);
    }
    g_free (stripped);
    g_clear_error (&error);
  }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* a critical is a bug; so is a warning from these layers */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  /* the parsers get the bytes as they are, in a buffer of exactly
   * @size bytes so that ASan catches a read past the end */
  gchar *frame = malloc (size ? size : 1);
  gchar *text = g_strndup ((const gchar *) data, size);

  check (frame != NULL);
  if (size)
    memcpy (frame, data, size);

  parse_with (INWORLD_PROTOCOL_INWORLD, frame, size);
  parse_with (INWORLD_PROTOCOL_SLNG, frame, size);

  /* building is for the application's strings and costs more than
   * parsing: short inputs are enough for it */
  if (size <= 1024) {
    build_with (INWORLD_PROTOCOL_INWORLD, text, data, size);
    build_with (INWORLD_PROTOCOL_SLNG, text, data, size);
  }
  text_helpers (frame, size);

  g_free (text);
  free (frame);
  return 0;
}
