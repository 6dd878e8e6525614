/* inworld-tts-emulator: the SLNG-hosted Inworld Max 1.5 WebSocket route
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* How it fits together
 *
 * SLNG's dialect has one session per socket and no contexts: the client
 * sends init once, then text / flush, and close; the server answers each
 * flush with audio_chunk frames (base64 audio, a sequence number) and one
 * audio_end, and reports problems with {"type":"error",...}.
 *
 * The key is checked before the upgrade (an ordinary handler on the same
 * path runs first and answers 401); only an accepted request becomes a
 * WebSocket. Everything except audio generation runs on the main thread.
 * Frames are handled in arrival order. Text accumulates in the session's
 * buffer, which applies the Inworld service's rules (emu-buffer.c: a
 * synthesis per flush or part of threshold size, none for text with
 * nothing to speak, autoMode as CLIENT_SEGMENTED); each synthesis becomes
 * a job on the session's queue, and the queue runs strictly in order, so
 * audio_end always follows its own synthesis's audio. A job synthesises in a GTask worker (emu-audio + emu-encode, the
 * same audio, encodings and chunking as the Inworld route), then sends
 * chunk k once  first-audio-delay + start(k) / speed  has elapsed since the
 * job reached the head of the queue. All frames leave through conn_send ().
 *
 * Lifetime: a connection owns its jobs; the route owns its connections.
 * A worker holds a reference on its job only; the job's back pointer is
 * cleared (and its cancellable cancelled) when the connection drops it, so
 * a socket closing mid-synthesis leaves nothing dangling. */

#include "emu-slng.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "emu-buffer.h"
#include "emu-encode.h"
#include "emu-hostile.h"

#define SLNG_MODEL "inworld-tts-1.5-max"
#define DEFAULT_VOICE "Ashley"
#define DEFAULT_SAMPLE_RATE 48000
#define G711_SAMPLE_RATE 8000
#define MAX_TEXT_CHARS 2000     /* longer text is rejected (as upstream) */
#define DEFAULT_BUFFER_CHAR_THRESHOLD 1000
#define DEFAULT_MAX_BUFFER_DELAY_MS 3000
#define MAX_INCOMING_PAYLOAD (16 * 1024 * 1024)
#define LOG_FRAME_MAX 300       /* bytes of a frame shown by --verbose */
#define QUOTE_MAX 40            /* characters of client input quoted back */

/* The error codes of the SLNG protocol */
#define CODE_AUTH "auth_error"
#define CODE_CONFIG "config_error"
#define CODE_PROVIDER "provider_error"

static const gint slng_rates[] = {
  8000, 16000, 22050, 24000, 32000, 44100, 48000
};

/* MP3 has no 8 kHz */
static const gint mp3_rates[] = { 16000, 22050, 24000, 32000, 44100, 48000 };

/* The core languages of Inworld TTS 1.5, the init enum */
static const gchar *const languages[] = {
  "ar-SA", "de-DE", "en-US", "es-ES", "fr-FR", "he-IL", "hi-IN", "it-IT",
  "ja-JP", "ko-KR", "nl-NL", "pl-PL", "pt-BR", "ru-RU", "zh-CN", NULL
};

/* The remaining init enums: accepted and validated, no effect on the
 * audio. "UNSPECIFIED" is taken both short (as SLNG lists it) and with
 * Inworld's prefix. */
static const gchar *const delivery_modes[] = {
  "UNSPECIFIED", "DELIVERY_MODE_UNSPECIFIED", "STABLE", "BALANCED",
  "CREATIVE", NULL
};
static const gchar *const timestamp_types[] = {
  "UNSPECIFIED", "TIMESTAMP_TYPE_UNSPECIFIED", "WORD", "CHARACTER", NULL
};
static const gchar *const text_normalizations[] = {
  "UNSPECIFIED", "APPLY_TEXT_NORMALIZATION_UNSPECIFIED", "ON", "OFF", NULL
};
static const gchar *const transport_strategies[] = {
  "UNSPECIFIED", "TIMESTAMP_TRANSPORT_STRATEGY_UNSPECIFIED", "SYNC",
  "ASYNC", NULL
};

typedef struct _SlngConn SlngConn;
typedef struct _SlngJob SlngJob;

/* ------------------------------------------------------------------ */
/* Session configuration (the init message)                           */

/* The effective settings of a session, defaults filled in. */
typedef struct
{
  gchar *voice;
  gchar *language;              /* NULL: auto */
  EmuEncoding encoding;
  gint rate;
  gint bit_rate;                /* 0: the encoder's default */
  gdouble speaking_rate;
  gboolean auto_mode;
  gint buffer_char_threshold;   /* 0: not set */
  gint max_buffer_delay_ms;
} SlngConfig;

static void
config_clear (SlngConfig * cfg)
{
  g_free (cfg->voice);
  g_free (cfg->language);
  memset (cfg, 0, sizeof (*cfg));
}

/* A member, NULL when absent or JSON null. */
static JsonNode *
field (JsonObject * obj, const gchar * name)
{
  JsonNode *node = json_object_get_member (obj, name);

  return node && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

static GType
value_type (JsonNode * node)
{
  return JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : 0;
}

/* The field readers below return FALSE with *@problem set (the message of
 * a config_error) when the field has the wrong JSON type. */

static gboolean
get_string (JsonObject * obj, const gchar * name, const gchar ** out,
    gchar ** problem)
{
  JsonNode *node = field (obj, name);

  *out = NULL;
  if (!node)
    return TRUE;
  if (value_type (node) != G_TYPE_STRING) {
    *problem = g_strdup_printf ("%s must be a string", name);
    return FALSE;
  }
  *out = json_node_get_string (node);
  return TRUE;
}

/* A JSON number (no numeric strings); @integer: a whole 32-bit one. */
static gboolean
get_numeric (JsonObject * obj, const gchar * name, gboolean integer,
    gboolean * has, gdouble * out, gchar ** problem)
{
  JsonNode *node = field (obj, name);
  GType type;
  gdouble v;

  *has = FALSE;
  if (!node)
    return TRUE;
  type = value_type (node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    goto wrong;
  v = json_node_get_double (node);
  if (integer && (v < G_MININT || v > G_MAXINT || v != (gint) v))
    goto wrong;
  *has = TRUE;
  *out = v;
  return TRUE;

wrong:
  *problem = g_strdup_printf ("%s must be %s", name, integer ?
      "an integer" : "a number");
  return FALSE;
}

static gboolean
get_number (JsonObject * obj, const gchar * name, gboolean * has,
    gdouble * out, gchar ** problem)
{
  return get_numeric (obj, name, FALSE, has, out, problem);
}

static gboolean
get_int (JsonObject * obj, const gchar * name, gboolean * has, gint * out,
    gchar ** problem)
{
  gdouble v = 0;

  if (!get_numeric (obj, name, TRUE, has, &v, problem))
    return FALSE;
  if (*has)
    *out = (gint) v;
  return TRUE;
}

static gboolean
get_bool (JsonObject * obj, const gchar * name, gboolean * out,
    gchar ** problem)
{
  JsonNode *node = field (obj, name);

  if (!node)
    return TRUE;
  if (value_type (node) != G_TYPE_BOOLEAN) {
    *problem = g_strdup_printf ("%s must be a boolean", name);
    return FALSE;
  }
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* Client input quoted in a message, cut to QUOTE_MAX characters. */
static gchar *
quote (const gchar * text)
{
  glong n = g_utf8_strlen (text, -1);
  gchar *cut = g_utf8_substring (text, 0, MIN (n, QUOTE_MAX));
  gchar *quoted = g_strdup_printf ("%s%s", cut, n > QUOTE_MAX ? "..." : "");

  g_free (cut);
  return quoted;
}

/* A string enum: absent, or one of @values exactly. */
static gboolean
check_enum (JsonObject * obj, const gchar * name,
    const gchar * const *values, gchar ** problem)
{
  const gchar *s;
  gchar *q;

  if (!get_string (obj, name, &s, problem))
    return FALSE;
  if (!s || g_strv_contains (values, s))
    return TRUE;
  q = quote (s);
  *problem = g_strdup_printf ("Unsupported %s: %s", name, q);
  g_free (q);
  return FALSE;
}

static gboolean
int_in (gint v, const gint * set, guint n)
{
  for (guint i = 0; i < n; i++)
    if (set[i] == v)
      return TRUE;
  return FALSE;
}

/* Reads and validates an init message into @cfg (cleared before). Returns
 * NULL, or the message of the config_error it deserves. Unknown fields are
 * ignored. */
static gchar *
init_parse (JsonObject * obj, SlngConfig * cfg)
{
  const gchar *s, *name;
  gchar *problem = NULL, *q;
  gboolean has;
  gdouble d;
  gint i;

  if (!get_string (obj, "voice", &s, &problem))
    return problem;
  cfg->voice = g_strdup (s && *s ? s : DEFAULT_VOICE);

  if (!get_string (obj, "modelId", &s, &problem))
    return problem;
  if (s && strcmp (s, SLNG_MODEL) != 0) {
    q = quote (s);
    problem = g_strdup_printf ("Unsupported modelId: %s (this endpoint "
        "serves " SLNG_MODEL ")", q);
    g_free (q);
    return problem;
  }

  if (!get_string (obj, "language", &s, &problem))
    return problem;
  if (s && !g_strv_contains (languages, s)) {
    q = quote (s);
    problem = g_strdup_printf ("Unsupported language: %s", q);
    g_free (q);
    return problem;
  }
  cfg->language = g_strdup (s);

  if (!get_string (obj, "encoding", &s, &problem))
    return problem;
  cfg->encoding = EMU_ENCODING_DEFAULT;
  if (s && !emu_encoding_from_string (s, &cfg->encoding)) {
    q = quote (s);
    problem = g_strdup_printf ("Unsupported encoding: %s (LINEAR16, MP3, "
        "OGG_OPUS, ALAW, MULAW, FLAC, PCM, WAV)", q);
    g_free (q);
    return problem;
  }
  name = emu_encoding_to_string (cfg->encoding);

  if (!get_int (obj, "sample_rate", &has, &i, &problem))
    return problem;
  if (has) {
    if (!int_in (i, slng_rates, G_N_ELEMENTS (slng_rates)))
      return g_strdup_printf ("Unsupported sample_rate: %d (8000, 16000, "
          "22050, 24000, 32000, 44100, 48000)", i);
    cfg->rate = i;
  } else {
    /* G.711 has a single rate, so that is its default */
    cfg->rate = cfg->encoding == EMU_ENCODING_ALAW
        || cfg->encoding == EMU_ENCODING_MULAW ? G711_SAMPLE_RATE :
        DEFAULT_SAMPLE_RATE;
  }
  if (cfg->encoding == EMU_ENCODING_MP3
      && !int_in (cfg->rate, mp3_rates, G_N_ELEMENTS (mp3_rates)))
    return g_strdup_printf ("Unsupported sample_rate for MP3: %d (16000, "
        "22050, 24000, 32000, 44100, 48000)", cfg->rate);
  if ((cfg->encoding == EMU_ENCODING_ALAW
          || cfg->encoding == EMU_ENCODING_MULAW)
      && cfg->rate != G711_SAMPLE_RATE)
    return g_strdup_printf ("Unsupported sample_rate for %s: %d (8000 only)",
        name, cfg->rate);

  if (!get_int (obj, "bit_rate", &has, &i, &problem))
    return problem;
  /* compressed formats only; the others ignore it */
  if (has && (cfg->encoding == EMU_ENCODING_MP3
          || cfg->encoding == EMU_ENCODING_OGG_OPUS)) {
    gint max = cfg->encoding == EMU_ENCODING_MP3 ? 320000 : 192000;

    if (i < 32000 || i > max)
      return g_strdup_printf ("Unsupported bit_rate for %s: %d "
          "(32000-%d)", name, i, max);
    cfg->bit_rate = i;
  }

  if (!get_number (obj, "speaking_rate", &has, &d, &problem))
    return problem;
  if (has && (d < 0.5 || d > 1.5))
    return g_strdup_printf ("speaking_rate must be between 0.5 and 1.5, "
        "got %g", d);
  cfg->speaking_rate = has ? d : 1.0;

  if (!get_number (obj, "temperature", &has, &d, &problem))
    return problem;
  if (has && (d <= 0 || d > 2))
    return g_strdup_printf ("temperature must be in (0, 2], got %g", d);

  if (!check_enum (obj, "deliveryMode", delivery_modes, &problem)
      || !check_enum (obj, "timestampType", timestamp_types, &problem)
      || !check_enum (obj, "applyTextNormalization", text_normalizations,
          &problem)
      || !check_enum (obj, "timestampTransportStrategy",
          transport_strategies, &problem)
      || !get_bool (obj, "autoMode", &cfg->auto_mode, &problem))
    return problem;

  if (!get_int (obj, "bufferCharThreshold", &has, &i, &problem))
    return problem;
  if (has && (i < 0 || i > 1000))
    return g_strdup_printf ("bufferCharThreshold must be between 0 and 1000, "
        "got %d", i);
  cfg->buffer_char_threshold = has ? i : 0;

  if (!get_int (obj, "maxBufferDelayMs", &has, &i, &problem))
    return problem;
  if (has && i < 0)
    return g_strdup_printf ("maxBufferDelayMs must not be negative, got %d",
        i);
  /* 0 is "unset" upstream (protobuf), as on the Inworld route */
  cfg->max_buffer_delay_ms = has && i > 0 ? i : DEFAULT_MAX_BUFFER_DELAY_MS;
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Server frames                                                      */

static gchar *
build_error (const gchar * code, const gchar * message)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  gchar *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "error");
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  json_node_unref (root);
  g_object_unref (b);
  return text;
}

/* Written by hand: base64 and integers need no escaping, and json-glib
 * would print a double such as 1.42 as 1.4199999999999999. */
static gchar *
build_audio_chunk_full (EmuChunk * chunk, guint64 sequence, gboolean broken)
{
  gsize size;
  gconstpointer data = g_bytes_get_data (chunk->data, &size);
  gchar *b64 = g_base64_encode (data, size);
  gchar *frame;

  if (broken)                   /* --hostile=bad-base64 */
    emu_hostile_break_base64 (b64);
  frame = g_strdup_printf ("{\"type\":\"audio_chunk\",\"data\":\"%s\","
      "\"sequence\":%" G_GUINT64_FORMAT "}", b64, sequence);

  g_free (b64);
  return frame;
}

static gchar *
build_audio_chunk (EmuChunk * chunk, guint64 sequence)
{
  return build_audio_chunk_full (chunk, sequence, FALSE);
}

/* Seconds, rounded to the microsecond, with at least one decimal so that
 * every JSON parser reads a floating-point number ("1.42", "2.0"). */
static gchar *
build_audio_end (guint64 n_samples, gint rate)
{
  guint64 us = (n_samples * G_USEC_PER_SEC + rate / 2) / rate;
  gchar decimals[8];
  gint len;

  g_snprintf (decimals, sizeof (decimals), "%06u",
      (guint) (us % G_USEC_PER_SEC));
  for (len = 6; len > 1 && decimals[len - 1] == '0'; len--);
  decimals[len] = '\0';
  return g_strdup_printf ("{\"type\":\"audio_end\",\"duration\":%"
      G_GUINT64_FORMAT ".%s}", us / G_USEC_PER_SEC, decimals);
}

/* ------------------------------------------------------------------ */
/* Connection and job state                                           */

typedef enum
{
  SESSION_NEW,                  /* waiting for init */
  SESSION_ACTIVE,               /* init accepted */
  SESSION_REJECTED,             /* text before init: only close counts */
  SESSION_CLOSING,              /* close handled: nothing more is sent */
} SessionState;

struct _EmuSlngRoute
{
  const EmuOptions *opts;
  GList *conns;                 /* SlngConn*, owned */
  guint next_conn_id;
};

struct _SlngConn
{
  EmuSlngRoute *route;
  const EmuOptions *opts;
  guint id;                     /* for logs */
  SoupWebsocketConnection *ws;
  GSocket *socket;              /* for --reset-after-first-frame */
  gulong message_handler;
  gulong closed_handler;
  SessionState state;
  SlngConfig cfg;               /* valid once SESSION_ACTIVE */
  EmuBuffer *buffer;            /* text not synthesized yet, and the rules */
  guint delay_source;           /* maxBufferDelayMs timer */
  GQueue jobs;                  /* SlngJob*, head runs first */
  guint64 next_sequence;        /* of the next audio_chunk */
  gboolean reordered;           /* --slng-reorder done on this socket */
  guint64 audio_chunks_sent;
  gint64 last_activity;         /* monotonic, µs */
  guint inactivity_source;
  guint teardown_source;
  gboolean dead;                /* closed or dropped: send nothing more */
};

/* One synthesis: its audio_chunks, then audio_end. */
struct _SlngJob
{
  gint ref;                     /* main thread only */
  SlngConn *conn;               /* NULL once cut loose */

  /* what to synthesise, taken at flush time */
  gchar *text;
  guint n_chars;
  EmuEncoding encoding;
  gint rate;
  gint bit_rate;
  gdouble speaking_rate;
  gchar *language;

  /* progress */
  gboolean started;
  gboolean generating;
  GCancellable *cancellable;
  gint64 t0;                    /* monotonic µs when the job started */
  GPtrArray *chunks;            /* EmuChunk*, once generated */
  guint64 n_samples;
  guint next_chunk;
  guint timer;                  /* pacing timeout */
};

static void conn_send (SlngConn * conn, gchar * frame, gboolean is_audio);
static void hostile_mid_flush (SlngConn * conn, const gchar * sent);
static void conn_pump (SlngConn * conn);

static void
slng_log (SlngConn * conn, const gchar * format, ...) G_GNUC_PRINTF (2, 3);

static void
slng_log (SlngConn * conn, const gchar * format, ...)
{
  va_list args;
  gchar *text, *line;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  line = g_strdup_printf ("slng conn %u: %s", conn->id, text);
  emu_options_log (conn->opts, line);
  g_free (line);
  g_free (text);
}

static SlngJob *
job_ref (SlngJob * job)
{
  job->ref++;
  return job;
}

static void
job_unref (SlngJob * job)
{
  if (--job->ref > 0)
    return;
  g_assert (job->timer == 0);
  g_free (job->text);
  g_free (job->language);
  g_clear_object (&job->cancellable);
  g_clear_pointer (&job->chunks, g_ptr_array_unref);
  g_free (job);
}

/* Cuts a job loose from its connection: stops its timer and synthesis. */
static void
job_detach (SlngJob * job)
{
  job->conn = NULL;
  if (job->timer) {
    g_source_remove (job->timer);
    job->timer = 0;
  }
  if (job->cancellable)
    g_cancellable_cancel (job->cancellable);
}

/* Drops every queued job and the buffered text: nothing of them will be
 * sent. */
static void
conn_discard_audio (SlngConn * conn)
{
  SlngJob *job;

  while ((job = g_queue_pop_head (&conn->jobs))) {
    job_detach (job);
    job_unref (job);
  }
  if (conn->delay_source) {
    g_source_remove (conn->delay_source);
    conn->delay_source = 0;
  }
  emu_buffer_clear (conn->buffer);
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
} SynthRequest;

typedef struct
{
  GPtrArray *chunks;
  guint64 n_samples;
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
  g_free (res);
}

static void
synth_thread (GTask * task, gpointer source, gpointer task_data,
    GCancellable * cancellable)
{
  SynthRequest *req = task_data;
  SynthResult *res = g_new0 (SynthResult, 1);
  GError *error = NULL;
  gint16 *samples;
  gsize n;

  samples = emu_audio_generate (req->source, req->text, req->rate,
      req->speaking_rate, req->language, &n);
  res->n_samples = n;
  res->chunks = emu_encode_flush (req->encoding, req->rate, req->bit_rate,
      samples, n, &error);
  g_free (samples);
  if (!res->chunks) {
    synth_result_free (res);
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, res, (GDestroyNotify) synth_result_free);
}

static void
synth_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  SlngJob *job = user_data;
  SlngConn *conn = job->conn;
  SynthResult *res;
  GError *error = NULL;

  res = g_task_propagate_pointer (G_TASK (result), &error);
  if (!conn) {
    /* the connection went (or closed the session) meanwhile */
    g_clear_error (&error);
    g_clear_pointer (&res, synth_result_free);
    job_unref (job);
    return;
  }

  job->generating = FALSE;
  if (res) {
    job->chunks = g_steal_pointer (&res->chunks);
    job->n_samples = res->n_samples;
    synth_result_free (res);
  } else {
    /* an encoder failure (a GStreamer plugin missing): say so, then the
     * flush ends with an empty audio_end rather than hanging */
    conn_send (conn, build_error (CODE_PROVIDER, error->message), FALSE);
    g_clear_error (&error);
    job->chunks = g_ptr_array_new ();
    job->n_samples = 0;
  }
  conn_pump (conn);
  job_unref (job);
}

static void
job_start_synthesis (SlngJob * job)
{
  SynthRequest *req = g_new0 (SynthRequest, 1);
  GTask *task;

  req->source = job->conn->opts->audio;
  req->text = g_strdup (job->text);
  req->rate = job->rate;
  req->speaking_rate = job->speaking_rate;
  req->language = g_strdup (job->language);
  req->encoding = job->encoding;
  req->bit_rate = job->bit_rate;

  job->generating = TRUE;
  job->cancellable = g_cancellable_new ();
  task = g_task_new (NULL, job->cancellable, synth_done, job_ref (job));
  g_task_set_task_data (task, req, (GDestroyNotify) synth_request_free);
  g_task_run_in_thread (task, synth_thread);
  g_object_unref (task);
}

/* ------------------------------------------------------------------ */
/* Running the jobs                                                   */

static gboolean
job_timer_cb (gpointer user_data)
{
  SlngJob *job = user_data;

  job->timer = 0;
  conn_pump (job->conn);
  return G_SOURCE_REMOVE;
}

/* When chunk @index is due (monotonic µs). */
static gint64
job_due (SlngJob * job, guint index)
{
  const EmuOptions *opts = job->conn->opts;
  EmuChunk *chunk = g_ptr_array_index (job->chunks, index);
  gint64 due = job->t0 + (gint64) opts->first_audio_delay_ms * 1000;

  if (opts->speed > 0)
    due += (gint64) (chunk->first_sample * 1e6 / job->rate / opts->speed);
  return due;
}

/* Advances a job as far as the clock allows. TRUE when its audio_end has
 * been sent. */
static gboolean
job_run (SlngJob * job)
{
  SlngConn *conn = job->conn;
  const EmuOptions *opts = conn->opts;

  if (!job->started) {
    job->started = TRUE;
    job->t0 = g_get_monotonic_time ();
    if (opts->slng_sequence_per_flush)
      conn->next_sequence = 1;
    job_start_synthesis (job);
    return FALSE;
  }
  if (job->generating || job->timer)
    return FALSE;

  while (job->next_chunk < job->chunks->len) {
    guint index = job->next_chunk;
    /* --slng-reorder: the first two chunks of the first flush that has
     * two, swapped, each with its own sequence number */
    gboolean swap = opts->slng_reorder && !conn->reordered && index == 0
        && job->chunks->len >= 2;
    gint64 due = job_due (job, swap ? 1 : index);
    gint64 now = g_get_monotonic_time ();

    if (now < due) {
      job->timer = g_timeout_add ((guint) ((due - now + 999) / 1000),
          job_timer_cb, job);
      return FALSE;
    }
    if (swap) {
      conn->reordered = TRUE;
      if (opts->verbose)
        slng_log (conn, "--slng-reorder: sequence %" G_GUINT64_FORMAT
            " goes before %" G_GUINT64_FORMAT, conn->next_sequence + 1,
            conn->next_sequence);
      conn_send (conn, build_audio_chunk (g_ptr_array_index (job->chunks,
                  1), conn->next_sequence + 1), TRUE);
      conn_send (conn, build_audio_chunk (g_ptr_array_index (job->chunks,
                  0), conn->next_sequence), TRUE);
      conn->next_sequence += 2;
      job->next_chunk = 2;
    } else {
      EmuChunk *chunk = g_ptr_array_index (job->chunks, index);
      /* --hostile=bad-base64 spoils the second chunk (the only one of a
       * one-chunk flush); the other kinds follow the first chunk */
      gboolean broken = (opts->hostile & EMU_HOSTILE_BAD_BASE64)
          && index == MIN (1, job->chunks->len - 1);
      gchar *frame = build_audio_chunk_full (chunk, conn->next_sequence,
          broken);
      gchar *sent = index == 0 && opts->hostile ? g_strdup (frame) : NULL;

      if (broken && opts->verbose)
        slng_log (conn, "hostile bad-base64: audio_chunk %" G_GUINT64_FORMAT
            " (samples %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT ") with its "
            "data not base64: its audio is lost", conn->next_sequence,
            chunk->first_sample, chunk->first_sample + chunk->n_samples);
      conn->next_sequence++;
      conn_send (conn, frame, TRUE);
      job->next_chunk++;
      if (sent) {
        hostile_mid_flush (conn, sent);
        g_free (sent);
      }
    }
    if (conn->dead)
      return FALSE;
  }

  conn_send (conn, build_audio_end (job->n_samples, job->rate), FALSE);
  return TRUE;
}

/* Ends the session: no more audio, a close frame 1000. */
static void
conn_close_session (SlngConn * conn, const gchar * why)
{
  if (conn->opts->verbose)
    slng_log (conn, "closing the session (%s)", why);
  conn->state = SESSION_CLOSING;
  conn_discard_audio (conn);
  if (!conn->dead && soup_websocket_connection_get_state (conn->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
        NULL);
}

/* Runs the jobs in order until one has to wait. */
static void
conn_pump (SlngConn * conn)
{
  SlngJob *job;

  while ((job = g_queue_peek_head (&conn->jobs))) {
    if (conn->dead || !job_run (job))
      return;
    g_queue_pop_head (&conn->jobs);
    job_detach (job);
    job_unref (job);
    if (conn->opts->slng_close_after_audio_end) {
      conn_close_session (conn, "--slng-close-after-audio-end");
      return;
    }
    /* autoMode starts the batch that waited for this synthesis */
    emu_buffer_synthesis_done (conn->buffer);
  }
}

/* The buffer's synthesis: a job with the session's settings. */
static void
conn_synthesize_cb (const gchar * text, guint n_chars, gboolean speak,
    gpointer user_data)
{
  SlngConn *conn = user_data;
  SlngJob *job;
  const SlngConfig *cfg = &conn->cfg;

  if (!speak) {
    if (conn->opts->verbose)
      slng_log (conn, "nothing to speak in %u characters, no synthesis",
          n_chars);
    return;
  }
  if (conn->opts->verbose)
    slng_log (conn, "synthesis of %u characters, voice %s", n_chars,
        cfg->voice ? cfg->voice : "(none)");
  job = g_new0 (SlngJob, 1);
  job->ref = 1;
  job->conn = conn;
  job->text = g_strdup (text);
  job->n_chars = n_chars;
  job->encoding = cfg->encoding;
  job->rate = cfg->rate;
  job->bit_rate = cfg->bit_rate;
  job->speaking_rate = cfg->speaking_rate;
  job->language = g_strdup (cfg->language);
  g_queue_push_tail (&conn->jobs, job);
}

static gboolean
conn_delay_cb (gpointer user_data)
{
  SlngConn *conn = user_data;

  conn->delay_source = 0;
  if (conn->opts->verbose)
    slng_log (conn, "maxBufferDelayMs elapsed, synthesizing what is "
        "buffered");
  emu_buffer_flush (conn->buffer);
  conn_pump (conn);
  return G_SOURCE_REMOVE;
}

/* The maxBufferDelayMs timer, as on the Inworld route: it runs while text
 * waits outside autoMode, from the moment text entered an empty buffer;
 * --force-max-buffer-delay replaces the session's value. */
static void
conn_sync_timer (SlngConn * conn)
{
  gboolean wanted = conn->state == SESSION_ACTIVE
      && emu_buffer_n_chars (conn->buffer) > 0
      && emu_buffer_get_mode (conn->buffer) == EMU_BUFFER_MANUAL;

  if (wanted && !conn->delay_source) {
    gint delay = conn->opts->force_max_buffer_delay_ms >= 0 ?
        conn->opts->force_max_buffer_delay_ms : conn->cfg.max_buffer_delay_ms;

    conn->delay_source = g_timeout_add (delay, conn_delay_cb, conn);
  } else if (!wanted && conn->delay_source) {
    g_source_remove (conn->delay_source);
    conn->delay_source = 0;
  }
}

/* ------------------------------------------------------------------ */
/* Output                                                             */

static void
conn_touch (SlngConn * conn)
{
  conn->last_activity = g_get_monotonic_time ();
}

/* Drops the TCP connection without a close frame; soup notices and emits
 * "closed", which tears the connection down. */
static void
conn_drop (SlngConn * conn, const gchar * why)
{
  slng_log (conn, "dropping the TCP connection (%s)", why);
  conn->dead = TRUE;
  g_io_stream_close (soup_websocket_connection_get_io_stream (conn->ws),
      NULL, NULL);
}

/* The only way out: sends @frame (taken) as one TEXT frame, in call order. */
static void
conn_send (SlngConn * conn, gchar * frame, gboolean is_audio)
{
  if (conn->dead || conn->state == SESSION_CLOSING
      || soup_websocket_connection_get_state (conn->ws) !=
      SOUP_WEBSOCKET_STATE_OPEN) {
    g_free (frame);
    return;
  }
  if (conn->opts->verbose)
    slng_log (conn, "-> %.*s%s", LOG_FRAME_MAX, frame,
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
send_error (SlngConn * conn, const gchar * code, const gchar * message)
{
  conn_send (conn, build_error (code, message), FALSE);
}

static void
send_garbage (SlngConn * conn)
{
  static const guint8 junk[] = { 0x00, 0xff, 0x7b, 0x22 };

  conn_send (conn, g_strdup ("this is not JSON {"), FALSE);
  if (!conn->dead && soup_websocket_connection_get_state (conn->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN) {
    if (conn->opts->verbose)
      slng_log (conn, "-> <binary frame, %u bytes>", (guint) sizeof (junk));
    soup_websocket_connection_send_binary (conn->ws, junk, sizeof (junk));
  }
}

/* ------------------------------------------------------------------ */
/* --hostile (no contexts here: unknown-context and after-close do not   */
/* apply)                                                               */

static void
conn_send_binary (SlngConn * conn, GBytes * bytes)
{
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  if (conn->dead || conn->state == SESSION_CLOSING
      || soup_websocket_connection_get_state (conn->ws) !=
      SOUP_WEBSOCKET_STATE_OPEN)
    return;
  if (conn->opts->verbose)
    slng_log (conn, "-> <binary frame, %" G_GSIZE_FORMAT " bytes>", size);
  soup_websocket_connection_send_binary (conn->ws, data, size);
  conn_touch (conn);
}

/* Known fields with the wrong JSON type; none carries usable audio. */
static const EmuHostileFrame wrong_types[] = {
  {"type is a number", "{\"type\":42}"},
  {"audio_chunk.data is an object",
      "{\"type\":\"audio_chunk\",\"data\":{\"b64\":\"AAAA\"}}"},
  {"audio_chunk.sequence is a string",
      "{\"type\":\"audio_chunk\",\"data\":\"AAAA\",\"sequence\":\"7\"}"},
  {"audio_end.duration is a string",
      "{\"type\":\"audio_end\",\"duration\":\"0.5\"}"},
  {"error.code is a number",
      "{\"type\":\"error\",\"code\":3,\"message\":\"an error whose code is "
        "a number\"}"},
  {"error.message is an array",
      "{\"type\":\"error\",\"code\":\"provider_error\",\"message\":[\"a\"]}"},
  {NULL, NULL}
};

static void
hostile_log (SlngConn * conn, EmuHostile kind, const gchar * what)
{
  if (conn->opts->verbose)
    slng_log (conn, "hostile %s: %s", emu_hostile_name (kind), what);
}

/* After the first audio_chunk of a flush (@sent, its frame). */
static void
hostile_mid_flush (SlngConn * conn, const gchar * sent)
{
  guint kinds = conn->opts->hostile;

  if (kinds & EMU_HOSTILE_GARBAGE)
    for (const EmuHostileFrame * f = emu_hostile_garbage_frames (); f->what;
        f++) {
      hostile_log (conn, EMU_HOSTILE_GARBAGE, f->what);
      conn_send (conn, g_strdup (f->frame), FALSE);
    }
  if (kinds & EMU_HOSTILE_TRUNCATED) {
    hostile_log (conn, EMU_HOSTILE_TRUNCATED, "a copy of the audio_chunk "
        "just sent, cut in half");
    conn_send (conn, emu_hostile_truncate (sent), FALSE);
  }
  if (kinds & EMU_HOSTILE_BINARY) {
    GBytes *junk = emu_hostile_binary_junk (), *copy;

    hostile_log (conn, EMU_HOSTILE_BINARY, "a binary frame of junk");
    conn_send_binary (conn, junk);
    g_bytes_unref (junk);
    hostile_log (conn, EMU_HOSTILE_BINARY, "a copy of the audio_chunk just "
        "sent, as a binary frame");
    copy = g_bytes_new (sent, strlen (sent));
    conn_send_binary (conn, copy);
    g_bytes_unref (copy);
  }
  if (kinds & EMU_HOSTILE_WRONG_TYPES)
    for (const EmuHostileFrame * f = wrong_types; f->what; f++) {
      hostile_log (conn, EMU_HOSTILE_WRONG_TYPES, f->what);
      conn_send (conn, g_strdup (f->frame), FALSE);
    }
  if (kinds & EMU_HOSTILE_HUGE) {
    gchar *b64 = emu_hostile_huge_base64 ();

    hostile_log (conn, EMU_HOSTILE_HUGE, "an audio_chunk frame over 9 MiB "
        "(over a client's 8 MiB)");
    conn_send (conn, g_strdup_printf ("{\"type\":\"audio_chunk\",\"data\":"
            "\"%s\"}", b64), FALSE);
    g_free (b64);
  }
}

/* ------------------------------------------------------------------ */
/* Client messages                                                    */

static void
do_init (SlngConn * conn, JsonObject * root)
{
  SlngConfig cfg = { 0 };
  gchar *problem;

  if (conn->state == SESSION_ACTIVE) {
    send_error (conn, CODE_CONFIG, "Session already initialized: init may "
        "be sent only once");
    return;
  }
  if ((problem = init_parse (root, &cfg))) {
    /* the session stays uninitialised; a corrected init may follow */
    send_error (conn, CODE_CONFIG, problem);
    g_free (problem);
    config_clear (&cfg);
    return;
  }
  conn->cfg = cfg;              /* takes the strings */
  conn->state = SESSION_ACTIVE;
  /* the gateway passes autoMode on to Inworld, whose default strategy is
   * CLIENT_SEGMENTED; bufferCharThreshold is 1000 unless set */
  emu_buffer_set_mode (conn->buffer, cfg.auto_mode ? EMU_BUFFER_AUTO :
      EMU_BUFFER_MANUAL, conn->opts->force_buffer_char_threshold ?
      conn->opts->force_buffer_char_threshold : cfg.buffer_char_threshold ?
      (guint) cfg.buffer_char_threshold : DEFAULT_BUFFER_CHAR_THRESHOLD);
  if (conn->opts->verbose)
    slng_log (conn, "session: voice %s, %s at %d Hz, language %s",
        cfg.voice, emu_encoding_to_string (cfg.encoding), cfg.rate,
        cfg.language ? cfg.language : "auto");
  if (conn->opts->garbage_frames)
    send_garbage (conn);
}

/* text or flush before a successful init: an error, after which the
 * session ignores everything but close (what SLNG's bridge does). */
static gboolean
require_session (SlngConn * conn, const gchar * type)
{
  gchar *msg;

  if (conn->state == SESSION_ACTIVE)
    return TRUE;
  msg = g_strdup_printf ("Session not initialized: send init before %s",
      type);
  send_error (conn, CODE_CONFIG, msg);
  g_free (msg);
  conn->state = SESSION_REJECTED;
  if (conn->opts->verbose)
    slng_log (conn, "%s before init: ignoring everything but close", type);
  return FALSE;
}

static void
do_text (SlngConn * conn, JsonObject * root)
{
  const gchar *text;
  gboolean flush = FALSE;
  gchar *problem = NULL;
  glong n_chars;

  if (!require_session (conn, "text"))
    return;
  if (!get_string (root, "text", &text, &problem)
      || !get_bool (root, "flush", &flush, &problem)) {
    send_error (conn, CODE_CONFIG, problem);
    g_free (problem);
    return;
  }
  if (!text) {
    send_error (conn, CODE_CONFIG, "text is required");
    return;
  }

  n_chars = g_utf8_strlen (text, -1);
  if (n_chars > MAX_TEXT_CHARS) {
    /* rejected whole, its flush included: no audio_end for it */
    send_error (conn, CODE_PROVIDER,
        "text length should not exceed 2000 characters.");
    return;
  }
  emu_buffer_append (conn->buffer, text, flush);
  conn_sync_timer (conn);
  conn_pump (conn);
}

static void
do_flush (SlngConn * conn)
{
  if (!require_session (conn, "flush"))
    return;
  emu_buffer_flush (conn->buffer);
  conn_sync_timer (conn);
  conn_pump (conn);
}

static void
conn_handle_json (SlngConn * conn, const gchar * data, gsize len)
{
  JsonParser *parser = json_parser_new ();
  JsonObject *root;
  const gchar *type = NULL;
  gchar *problem = NULL, *msg, *q;

  if (!g_utf8_validate (data, len, NULL)
      || !json_parser_load_from_data (parser, data, len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    if (conn->state != SESSION_REJECTED)
      send_error (conn, CODE_CONFIG, "Invalid message: expected a JSON "
          "object");
    goto out;
  }
  root = json_node_get_object (json_parser_get_root (parser));
  if (!get_string (root, "type", &type, &problem) || !type) {
    if (conn->state != SESSION_REJECTED)
      send_error (conn, CODE_CONFIG, "Invalid message: \"type\" must be "
          "one of init, text, flush, close");
    g_free (problem);
    goto out;
  }

  if (g_str_equal (type, "close")) {
    conn_close_session (conn, "close message");
  } else if (conn->state == SESSION_REJECTED) {
    /* ignored */
  } else if (g_str_equal (type, "init")) {
    do_init (conn, root);
  } else if (g_str_equal (type, "text")) {
    do_text (conn, root);
  } else if (g_str_equal (type, "flush")) {
    do_flush (conn);
  } else {
    q = quote (type);
    msg = g_strdup_printf ("Unknown message type: %s", q);
    send_error (conn, CODE_CONFIG, msg);
    g_free (msg);
    g_free (q);
  }

out:
  g_object_unref (parser);
}

/* --verbose cuts a frame at LOG_FRAME_MAX bytes: what a cut line adds so
 * that the log still says which message it was and how much text it
 * had, in the frame's own notation ("type":"text", "flush":true). */
static gchar *
frame_summary (const gchar * data, gsize len)
{
  JsonParser *parser = json_parser_new ();
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "(%" G_GSIZE_FORMAT " bytes", len);
  if (g_utf8_validate (data, len, NULL)
      && json_parser_load_from_data (parser, data, len, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    JsonObject *root = json_node_get_object (json_parser_get_root (parser));
    JsonNode *type = field (root, "type"), *text = field (root, "text");
    JsonNode *flush = field (root, "flush");

    if (type && value_type (type) == G_TYPE_STRING) {
      gchar *quoted = json_to_string (type, FALSE);

      g_string_append_printf (out, ": \"type\":%s", quoted);
      g_free (quoted);
    }
    if (flush && value_type (flush) == G_TYPE_BOOLEAN)
      g_string_append_printf (out, " \"flush\":%s",
          json_node_get_boolean (flush) ? "true" : "false");
    if (text && value_type (text) == G_TYPE_STRING)
      g_string_append_printf (out, " text of %ld characters",
          g_utf8_strlen (json_node_get_string (text), -1));
  }
  g_string_append_c (out, ')');
  g_object_unref (parser);
  return g_string_free (out, FALSE);
}

static void
on_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer user_data)
{
  SlngConn *conn = user_data;
  gsize len;
  const gchar *data = g_bytes_get_data (message, &len);

  if (conn->dead || conn->state == SESSION_CLOSING)
    return;
  conn_touch (conn);
  if (conn->opts->verbose) {
    if (type == SOUP_WEBSOCKET_DATA_TEXT && len > LOG_FRAME_MAX) {
      gchar *summary = frame_summary (data, len);

      slng_log (conn, "<- %.*s... %s", LOG_FRAME_MAX, data, summary);
      g_free (summary);
    } else if (type == SOUP_WEBSOCKET_DATA_TEXT)
      slng_log (conn, "<- %.*s", (gint) len, data);
    else
      slng_log (conn, "<- <binary frame, %" G_GSIZE_FORMAT " bytes>", len);
  }
  if (conn->opts->reset_after_first_frame) {
    slng_log (conn, "resetting the TCP connection after its first frame "
        "(--reset-after-first-frame)");
    conn->dead = TRUE;
    emu_reset_connection (conn->socket,
        soup_websocket_connection_get_io_stream (ws));
    return;
  }

  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    if (conn->state != SESSION_REJECTED)
      send_error (conn, CODE_CONFIG, "Invalid message: binary frames are "
          "not accepted, send JSON text frames");
    return;
  }
  conn_handle_json (conn, data, len);
}

/* ------------------------------------------------------------------ */
/* Connections                                                        */

static gboolean
conn_inactivity_cb (gpointer user_data)
{
  SlngConn *conn = user_data;
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
  /* the upstream's inactivity pause, relayed, then an abnormal drop (what
   * the Inworld route does, in SLNG's error shape) */
  send_error (conn, CODE_PROVIDER, "Paused due to inactivity");
  conn_drop (conn, "--inactivity-timeout");
  return G_SOURCE_REMOVE;
}

static void
conn_free (SlngConn * conn)
{
  conn_discard_audio (conn);
  emu_buffer_free (conn->buffer);
  config_clear (&conn->cfg);
  if (conn->inactivity_source)
    g_source_remove (conn->inactivity_source);
  if (conn->teardown_source)
    g_source_remove (conn->teardown_source);
  g_signal_handler_disconnect (conn->ws, conn->message_handler);
  g_signal_handler_disconnect (conn->ws, conn->closed_handler);
  g_object_unref (conn->ws);
  g_clear_object (&conn->socket);
  g_free (conn);
}

static gboolean
conn_teardown_cb (gpointer user_data)
{
  SlngConn *conn = user_data;

  conn->teardown_source = 0;
  conn->route->conns = g_list_remove (conn->route->conns, conn);
  conn_free (conn);
  return G_SOURCE_REMOVE;
}

static void
on_closed (SoupWebsocketConnection * ws, gpointer user_data)
{
  SlngConn *conn = user_data;

  if (conn->opts->verbose)
    slng_log (conn, "closed (code %u)",
        soup_websocket_connection_get_close_code (ws));
  conn->dead = TRUE;
  /* tear down outside soup's signal emission */
  if (!conn->teardown_source)
    conn->teardown_source = g_idle_add (conn_teardown_cb, conn);
}

/* ------------------------------------------------------------------ */
/* The upgrade                                                        */

/* Why the request's credential is refused; NULL when it is accepted. The
 * key comes from "Authorization: Bearer <key>" or, without that header,
 * from the documented ?token=<key> query parameter. */
static const gchar *
auth_problem (const EmuOptions * opts, SoupServerMessage * msg,
    GHashTable * query)
{
  const gchar *header = soup_message_headers_get_one
      (soup_server_message_get_request_headers (msg), "Authorization");
  const gchar *want = opts->api_key;
  gchar *key = NULL;
  const gchar *problem = NULL;

  if (header) {
    /* the scheme word is case-insensitive (RFC 9110) */
    gsize scheme = strcspn (header, " ");

    if (scheme != strlen ("Bearer")
        || g_ascii_strncasecmp (header, "Bearer", scheme) != 0)
      return "Invalid Authorization header: expected \"Bearer <API key>\"";
    key = g_strstrip (g_strdup (header + scheme));
  } else if (query && g_hash_table_lookup (query, "token")) {
    key = g_strstrip (g_strdup (g_hash_table_lookup (query, "token")));
  }

  if (!key || !*key)
    problem = "Missing API key: send \"Authorization: Bearer <API key>\"";
  else if (want && *want && strcmp (key, want) != 0)
    problem = "Invalid API key";
  g_free (key);
  return problem;
}

/* Runs before the WebSocket handshake: a status set here stops it. */
static void
on_request (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  EmuSlngRoute *route = user_data;
  const gchar *problem;
  gchar *body;

  /* soup routes sub-paths here too (".../max:1.5/ws" is another dialect) */
  if (strcmp (path, EMU_SLNG_PATH) != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  {
    guint status = emu_options_take_refusal (route->opts);

    if (status) {
      gchar *line = g_strdup_printf ("slng: upgrade refused with HTTP %u "
          "(--refuse-upgrade)", status);

      emu_options_log (route->opts, line);
      g_free (line);
      soup_server_message_set_status (msg, status, NULL);
      return;
    }
  }
  problem = auth_problem (route->opts, msg, query);
  if (!problem)
    return;                     /* on to the handshake */

  {
    gchar *line = g_strdup_printf ("slng: upgrade refused with 401 (%s)",
        problem);

    emu_options_log (route->opts, line);
    g_free (line);
  }
  body = build_error (CODE_AUTH, problem);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "WWW-Authenticate", "Bearer");
  soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, body, strlen (body));
}

static void
on_websocket (SoupServer * server, SoupServerMessage * msg, const char *path,
    SoupWebsocketConnection * ws, gpointer user_data)
{
  EmuSlngRoute *route = user_data;
  SlngConn *conn = g_new0 (SlngConn, 1);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  conn->route = route;
  conn->opts = route->opts;
  conn->id = ++route->next_conn_id;
  conn->ws = g_object_ref (ws);
  conn->socket = g_object_ref (soup_server_message_get_socket (msg));
  conn->state = SESSION_NEW;
  conn->buffer = emu_buffer_new (conn_synthesize_cb, conn);
  conn->next_sequence = 1;
  g_queue_init (&conn->jobs);
  conn_touch (conn);
  route->conns = g_list_prepend (route->conns, conn);

  soup_websocket_connection_set_max_incoming_payload_size (ws,
      MAX_INCOMING_PAYLOAD);
  conn->message_handler = g_signal_connect (ws, "message",
      G_CALLBACK (on_message), conn);
  conn->closed_handler = g_signal_connect (ws, "closed",
      G_CALLBACK (on_closed), conn);
  if (conn->opts->inactivity_timeout_s)
    conn->inactivity_source = g_timeout_add_seconds
        (conn->opts->inactivity_timeout_s, conn_inactivity_cb, conn);

  if (conn->opts->verbose) {
    const gchar *region = soup_message_headers_get_one (headers,
        "X-Region-Override");
    const gchar *part = soup_message_headers_get_one (headers,
        "X-World-Part-Override");

    slng_log (conn, "connected to %s (X-Region-Override: %s%s%s%s)", path,
        region ? region : "none, auto-selected us-east-1",
        region && strcmp (region, "us-east-1") != 0 ?
        ", not a region of this model, ignored" : "",
        part ? ", X-World-Part-Override: " : "", part ? part : "");
  }
}

EmuSlngRoute *
emu_slng_route_new (SoupServer * server, const EmuOptions * options)
{
  EmuSlngRoute *route = g_new0 (EmuSlngRoute, 1);

  route->opts = options;
  /* both share one soup handler for the path: the plain callback runs
   * first and can refuse the upgrade */
  soup_server_add_handler (server, EMU_SLNG_PATH, on_request, route, NULL);
  soup_server_add_websocket_handler (server, EMU_SLNG_PATH, NULL, NULL,
      on_websocket, route, NULL);
  return route;
}

void
emu_slng_route_free (EmuSlngRoute * route)
{
  while (route->conns) {
    SlngConn *conn = route->conns->data;

    route->conns = g_list_delete_link (route->conns, route->conns);
    conn_free (conn);
  }
  g_free (route);
}
