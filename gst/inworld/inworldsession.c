/* inworldttssrc: the conversation with the server
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Threads and locks. Operations come from any thread into `ops` (under
 * op_lock) and are carried out by one idle source on the session's
 * GMainContext; everything else is touched on that context only, where
 * the transport's events arrive too. Outputs leave through the callback
 * under out_lock, which inworld_session_free() takes to stop them; the
 * callback must not call the session. Lock order: op_lock and out_lock
 * are never held together. The counters of inworld_session_get_stats()
 * are written on the session's context and read from any thread under
 * stats_lock, which is taken alone.
 *
 * The ledger (non-auto mode). Text goes out as soon as it is spoken,
 * in pieces of at most the threshold:
 *
 *   work ──pump──▶ buffer ──flush──▶ syntheses ──flushCompleted──▶ done
 *
 * `work` holds what cannot go out yet (no context yet, a model switch
 * waiting for the old context to finish); `buffer` is the text on the
 * server not flushed yet (the open utterance's); `syntheses` are the
 * flushes the server owes, in order, with local entries for utterances
 * with nothing to speak. The session flushes the buffer itself where the
 * service would synthesize on its own (at the threshold, a little before
 * the buffer delay, before update_config), so that every synthesis is
 * one it asked for and ends inside one utterance; a synthesis the server
 * runs anyway (its delay came first, a long flush cut in parts) is
 * accounted from where its audio arrives and from its character count. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "inworldsession.h"
#include "inworlddebug.h"
#include "inworldpolicy.h"
#include "inworldtext.h"

#include <gst/gst.h>
#include <string.h>

#define GST_CAT_DEFAULT inworld_session_debug

/* The service's defaults. */
#define SERVICE_THRESHOLD 1000
#define SERVICE_BUFFER_DELAY_MS 3000
/* The buffer is flushed this much before the service's own delay would
 * synthesize it (at most a quarter of the delay). */
#define BUFFER_DELAY_GUARD_MS 250
/* Attempts at a new context after a loss, before giving up. */
#define MAX_ATTEMPTS 5
/* Warnings posted for invalid frames of the server; later ones are only
 * logged. */
#define MAX_FRAME_WARNINGS 100
/* A synthesis the server may have cut in parts: how long to wait for the
 * next part's audio before taking it as complete. */
#define PART_WAIT_MS 1500

typedef enum
{
  SESSION_WAITING,              /* no format yet: text is kept */
  SESSION_RUNNING,
  SESSION_DONE,                 /* END or ERROR given: nothing follows */
} SessionState;

/* The lifecycle of the server context. */
typedef enum
{
  CONTEXT_NONE,                 /* none: the next text opens one */
  CONTEXT_OPENING,              /* create sent, contextCreated due */
  CONTEXT_READY,
  CONTEXT_CLOSING,              /* close sent, contextClosed due */
  CONTEXT_CLOSED,               /* closed by the server */
} ContextState;

static const gchar *const context_state_names[] = {
  "none", "opening", "ready", "closing", "closed"
};

typedef struct
{
  InworldUtterance pub;
  GString *text;                /* pushed so far */
  guint chars;                  /* characters sent for it */
  gint64 processed;             /* the server's count for it */
  gboolean processed_known;     /* every synthesis of it gave one */
  /* the cache */
  gboolean cache_checked;       /* looked up already */
  gboolean from_cache;          /* replayed: no context spoke it */
  gchar *cache_key;             /* a miss: its key... */
  InworldCacheEntry *record;    /* ...and its outputs so far, or NULL */
} Utterance;

#define UTT(u) ((Utterance *) (u))

typedef enum
{
  WORK_TEXT,                    /* text to send */
  WORK_FLUSH,                   /* flush, the utterance goes on */
  WORK_END,                     /* end of an utterance (a flush) */
} WorkType;

typedef struct
{
  WorkType type;
  Utterance *utterance;         /* NULL in auto mode */
  gchar *text;
  InworldSynthConfig *config;   /* TEXT */
  guint64 start;                /* TEXT, auto mode */
  gboolean resend;              /* TEXT: counted already */
  gint64 handed_over;           /* TEXT: when it was spoken, or 0 */
} Work;

/* A synthesis the session asked for (or the server ran on its own). */
typedef struct
{
  Utterance *utterance;         /* whose text it starts with */
  Utterance *ends;              /* the utterance it ends, or NULL */
  GPtrArray *pieces;            /* the texts sent, to send them again */
  InworldSynthConfig *config;
  guint chars;
  guint speech_chars;           /* letters and digits */
  gboolean local;               /* nothing for the server: done when it
                                 * reaches the head */
  gint64 processed;             /* the server's count so far, -1 */
  gboolean audio;               /* audio of it came */
  gboolean partial;             /* a flushCompleted came before the
                                 * server counted all of it */
  gint64 first_sent;            /* monotonic time its first text went */
  InworldCacheEntry *cached;    /* local: the outputs to give (a hit) */
} Synthesis;

/* Text sent in auto mode, until a synthesis is known to cover it. */
typedef struct
{
  gchar *text;
  guint chars;
  guint64 start;
  gint64 handed_over;
} AutoText;

typedef enum
{
  OP_START,
  OP_SPEAK,
  OP_FLUSH,
  OP_END,
  OP_INTERRUPT,
  OP_SET_FORMAT,
} OpType;

typedef struct
{
  OpType type;
  gchar *text;
  gboolean flush;
  InworldSynthConfig *config;
  guint64 start;
  guint epoch;
  gboolean cancel_end;
  /* START, SET_FORMAT */
  InworldConnectionParams *params;
  InworldEncoding encoding;
  gint sample_rate;
  gint bitrate;
  guint timeout_s;
  gchar *name;
  InworldCache *cache;          /* START */
  gint64 handed_over;           /* SPEAK: when it was called */
  gchar *speaker;               /* SPEAK: who speaks it, or NULL */
} Op;

struct _InworldSession
{
  GMainContext *context;
  const InworldTransport *transport;
  gpointer transport_data;

  GMutex out_lock;
  InworldOutputFunc func;
  gpointer user_data;

  GMutex op_lock;
  GQueue ops;                   /* Op * */
  GSource *op_source;
  gboolean freed;

  /* the session's context only, from here on */
  SessionState state;
  gboolean ended;               /* DONE by END, not by an error */
  guint epoch;
  const InworldProtocol *proto;
  InworldConnectionParams *params;
  InworldEncoding encoding;
  gint sample_rate;
  gint bitrate;
  /* a format set while an utterance was open: the next utterance's */
  gboolean next_format;
  InworldEncoding next_encoding;
  gint next_sample_rate;
  gint next_bitrate;
  guint timeout_s;
  gchar *name;
  InworldSynthConfig *last_config;      /* of the latest text */

  /* the context */
  gpointer ctx;
  gchar *ctx_id;
  ContextState ctx_state;
  InworldSynthConfig *ctx_config;
  gboolean ctx_created;

  /* the ledger */
  GQueue work;                  /* Work * */
  Utterance *open;              /* receiving text */
  InworldSynthConfig *open_config;      /* the settings of its text, as
                                         * the element gave them */
  Synthesis *buffer;            /* sent, not flushed */
  gchar *held;                  /* text with nothing to speak, not sent */
  Utterance *held_for;          /* its utterance (not a reference) */
  GQueue syntheses;             /* Synthesis *, owed, in order */
  guint next_index;
  gboolean ending;
  /* the server synthesis under way: its serial, 0 between syntheses */
  guint serial;
  guint serials;
  /* auto mode */
  gboolean auto_mode;
  GQueue auto_text;             /* AutoText * */
  Synthesis *auto_current;
  gboolean audio_since_text;    /* audio came since the last text */

  /* timers */
  GSource *delay_source;
  GSource *part_source;
  GSource *watchdog;
  gint64 last_activity;

  /* the error policy */
  gboolean ever_connected;
  guint attempts;
  gint64 lost_since;
  guint64 chars_sent;
  guint64 chars_spoken;
  guint invalid_frames;
  gint64 next_sequence;
  guint sequence_errors;
  gboolean chunk_seen;          /* of the server synthesis under way */

  /* the cache, or NULL */
  InworldCache *cache;
  gchar *cache_server;          /* the server part of the keys */
  GList *recording;             /* Utterance * (refs) with a record */

  GMutex stats_lock;
  InworldSessionStats stats;
};

/* context ids, unique in the process */
static gint ctx_serial;

static void pump (InworldSession * session);
static void check_end (InworldSession * session);
static void cache_spoil (InworldSession * session, const gchar * why);
static void watchdog_update (InworldSession * session);
static void on_event (InworldEvent * event, gpointer user_data);

/* ------------------------------------------------------------------------
 * Utterances, problems, outputs
 * ------------------------------------------------------------------------ */

InworldUtterance *
inworld_utterance_ref (InworldUtterance * utterance)
{
  g_atomic_int_inc (&utterance->refcount);
  return utterance;
}

void
inworld_utterance_unref (InworldUtterance * utterance)
{
  Utterance *u = UTT (utterance);

  if (utterance == NULL || !g_atomic_int_dec_and_test (&utterance->refcount))
    return;
  g_free (utterance->text);
  g_free (utterance->speaker);
  inworld_synth_config_free (utterance->config);
  if (u->text)
    g_string_free (u->text, TRUE);
  g_free (u->cache_key);
  inworld_cache_entry_unref (u->record);
  g_free (u);
}

static Utterance *
utterance_new (InworldSession * session, guint64 start)
{
  Utterance *u = g_new0 (Utterance, 1);

  u->pub.refcount = 1;
  u->pub.index = ++session->next_index;
  u->pub.start = start;
  u->text = g_string_new (NULL);
  u->processed_known = TRUE;
  return u;
}

static Utterance *
utt_ref (Utterance * u)
{
  return u ? UTT (inworld_utterance_ref (&u->pub)) : NULL;
}

static void
utt_unref (Utterance * u)
{
  if (u)
    inworld_utterance_unref (&u->pub);
}

/* The counters read by inworld_session_get_stats(). */
static void
count_sent (InworldSession * session, guint chars)
{
  g_mutex_lock (&session->stats_lock);
  session->stats.chars_sent += chars;
  g_mutex_unlock (&session->stats_lock);
}

static void
count_connection (InworldSession * session, gsize frame_size)
{
  guint id = session->ctx && session->transport->connection_id ?
      session->transport->connection_id (session->ctx) : 0;

  g_mutex_lock (&session->stats_lock);
  session->stats.bytes_received += frame_size;
  if (id)
    session->stats.connection_id = id;
  g_mutex_unlock (&session->stats_lock);
}

void
inworld_problem_free (InworldProblem * problem)
{
  if (problem == NULL)
    return;
  g_free (problem->message);
  g_free (problem->debug);
  g_free (problem->code_name);
  g_free (problem->context_id);
  g_free (problem->uri);
  g_free (problem);
}

/* The kind's name, as the element's error details give it
 * ("inworld-problem"). */
const gchar *
inworld_problem_kind_name (InworldProblemKind kind)
{
  static const gchar *const names[] = {
    "auth", "settings", "busy", "unreachable", "lost", "too-big", "timeout",
    "server", "bad-frame", "bad-audio", "settings-ignored", "cache"
  };

  return (guint) kind < G_N_ELEMENTS (names) ? names[kind] : "?";
}

const gchar *
inworld_output_type_name (InworldOutputType type)
{
  static const gchar *const names[] = {
    "audio", "timings", "synthesis-end", "utterance-end", "restart",
    "warning", "error", "end"
  };

  if ((guint) type < G_N_ELEMENTS (names))
    return names[type];
  return "?";
}

void
inworld_output_free (InworldOutput * output)
{
  if (output == NULL)
    return;
  if (output->utterance)
    inworld_utterance_unref (output->utterance);
  if (output->audio)
    g_bytes_unref (output->audio);
  g_free (output->text);
  inworld_timings_free (output->timings);
  g_free ((gchar *) output->context_id);
  inworld_problem_free (output->problem);
  g_free (output);
}

InworldTimings *
inworld_timings_keep_words (InworldTimings * timings)
{
  guint kept = 0;

  if (timings == NULL)
    return NULL;
  /* character timings cover every character, spaces too, as asked */
  if (timings->characters)
    return timings;
  for (guint i = 0; i < timings->n; i++) {
    if (!inworld_text_has_speech (timings->tokens[i])) {
      g_free (timings->tokens[i]);
      continue;
    }
    timings->tokens[kept] = timings->tokens[i];
    timings->start[kept] = timings->start[i];
    timings->end[kept] = timings->end[i];
    kept++;
  }
  timings->tokens[kept] = NULL;
  timings->n = kept;
  if (kept == 0) {
    inworld_timings_free (timings);
    return NULL;
  }
  return timings;
}

static InworldOutput *
output_new (InworldSession * session, InworldOutputType type,
    Utterance * utterance)
{
  InworldOutput *output = g_new0 (InworldOutput, 1);

  output->type = type;
  output->epoch = session->epoch;
  output->utterance = utterance ? inworld_utterance_ref (&utterance->pub)
      : NULL;
  output->synthesis = session->serial;
  output->context_id = g_strdup (session->ctx_id);
  /* the audio is in its context's format */
  output->encoding = session->ctx_config ? session->ctx_config->encoding
      : session->encoding;
  output->sample_rate = session->ctx_config ?
      session->ctx_config->sample_rate : session->sample_rate;
  /* audio carries its utterance's text so far (speech-started) */
  if (type == INWORLD_OUTPUT_AUDIO && utterance && !session->auto_mode)
    output->text = g_strdup (utterance->text->str);
  return output;
}

static void cache_record (InworldSession * session,
    const InworldOutput * output);

static void
emit (InworldSession * session, InworldOutput * output)
{
  cache_record (session, output);
  GST_LOG ("%s: %s of utterance %u, synthesis %u", session->name,
      inworld_output_type_name (output->type), output->utterance ?
      output->utterance->index : 0, output->synthesis);
  g_mutex_lock (&session->out_lock);
  if (session->func)
    session->func (output, session->user_data);
  else
    inworld_output_free (output);
  g_mutex_unlock (&session->out_lock);
}

static InworldProblem *
problem_new (InworldSession * session, InworldProblemKind kind,
    gchar * message)
{
  InworldProblem *problem = g_new0 (InworldProblem, 1);

  problem->kind = kind;
  problem->message = message;
  problem->grpc_code = -1;
  problem->context_id = g_strdup (session->ctx_id);
  problem->uri = g_strdup (session->params ? session->params->uri : NULL);
  problem->chars_sent = session->chars_sent;
  problem->chars_unspoken = session->chars_sent - MIN (session->chars_sent,
      session->chars_spoken);
  problem->attempts = session->attempts;
  return problem;
}

/* Adds what @event says to @problem. */
static void
problem_set_event (InworldProblem * problem, const InworldEvent * event)
{
  if (event->type == INWORLD_EVENT_ERROR) {
    problem->grpc_code = event->code_name && event->code == 0 ? -1 :
        event->code;
    problem->code_name = g_strdup (event->code_name ? event->code_name :
        (event->code ? inworld_grpc_code_name (event->code) : NULL));
    if (event->context_id) {
      g_free (problem->context_id);
      problem->context_id = g_strdup (event->context_id);
    }
  } else if (event->type == INWORLD_EVENT_DISCONNECTED) {
    if (event->code >= 1000)
      problem->close_code = event->code;
    else if (event->code > 0)
      problem->http_status = event->code;
  }
}

static void
emit_problem (InworldSession * session, InworldOutputType type,
    InworldProblem * problem)
{
  InworldOutput *output = output_new (session, type, NULL);

  output->problem = problem;
  if (type == INWORLD_OUTPUT_ERROR)
    GST_WARNING ("%s: failed: %s (%s)", session->name, problem->message,
        problem->debug ? problem->debug : "");
  else
    GST_INFO ("%s: warning: %s", session->name, problem->message);
  /* what the server sends around a problem is not kept for later */
  if (problem->kind != INWORLD_PROBLEM_CACHE)
    cache_spoil (session, problem->message);
  emit (session, output);
}

/* ------------------------------------------------------------------------
 * The ledger's pieces
 * ------------------------------------------------------------------------ */

static Work *
work_new (WorkType type, Utterance * utterance)
{
  Work *work = g_new0 (Work, 1);

  work->type = type;
  work->utterance = utt_ref (utterance);
  work->start = INWORLD_SESSION_NO_TIME;
  return work;
}

static void
work_free (Work * work)
{
  utt_unref (work->utterance);
  g_free (work->text);
  inworld_synth_config_free (work->config);
  g_free (work);
}

static Synthesis *
synthesis_new (Utterance * utterance, const InworldSynthConfig * config)
{
  Synthesis *s = g_new0 (Synthesis, 1);

  s->utterance = utt_ref (utterance);
  s->pieces = g_ptr_array_new_with_free_func (g_free);
  s->config = config ? inworld_synth_config_dup (config) : NULL;
  s->processed = -1;
  return s;
}

/* An entry that ends @ends without the server: nothing was left to say. */
static Synthesis *
synthesis_new_local (Utterance * ends)
{
  Synthesis *s = synthesis_new (ends, NULL);

  s->local = TRUE;
  s->ends = utt_ref (ends);
  return s;
}

static void
synthesis_free (Synthesis * s)
{
  if (s == NULL)
    return;
  utt_unref (s->utterance);
  utt_unref (s->ends);
  inworld_cache_entry_unref (s->cached);
  g_ptr_array_unref (s->pieces);
  inworld_synth_config_free (s->config);
  g_free (s);
}

static void
auto_text_free (AutoText * text)
{
  g_free (text->text);
  g_free (text);
}

static guint
count_speech_chars (const gchar * text)
{
  guint n = 0;

  for (const gchar * p = text; *p; p = g_utf8_next_char (p))
    if (g_unichar_isalnum (g_utf8_get_char (p)))
      n++;
  return n;
}

/* The threshold the session keeps every synthesis under. */
static guint
threshold (const InworldSynthConfig * config)
{
  if (config && config->buffer_char_threshold > 0)
    return MIN ((guint) config->buffer_char_threshold, SERVICE_THRESHOLD);
  return SERVICE_THRESHOLD;
}

static guint
buffer_delay_ms (const InworldSynthConfig * config)
{
  if (config && config->max_buffer_delay_ms > 0)
    return config->max_buffer_delay_ms;
  return SERVICE_BUFFER_DELAY_MS;
}

/* The first synthesis owed by the server (local entries never stay at
 * the head). */
static Synthesis *
head (InworldSession * session)
{
  return g_queue_peek_head (&session->syntheses);
}

/* A synthesis after @s owed by the server, or NULL. */
static Synthesis *
next_owed (InworldSession * session, Synthesis * s)
{
  GList *l = g_queue_find (&session->syntheses, s);

  for (l = l ? l->next : NULL; l; l = l->next)
    if (!((Synthesis *) l->data)->local)
      return l->data;
  return NULL;
}

static gboolean
owes_syntheses (InworldSession * session)
{
  for (GList * l = session->syntheses.head; l; l = l->next)
    if (!((Synthesis *) l->data)->local)
      return TRUE;
  return FALSE;
}

static void
clear_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

static GSource *
add_timeout (InworldSession * session, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, session, NULL);
  g_source_attach (source, session->context);
  return source;
}

/* ------------------------------------------------------------------------
 * The context
 * ------------------------------------------------------------------------ */

/* @config with the session's audio format. */
static InworldSynthConfig *
with_format (InworldSession * session, const InworldSynthConfig * config)
{
  InworldSynthConfig *copy = inworld_synth_config_dup (config);

  copy->encoding = session->encoding;
  copy->sample_rate = session->sample_rate;
  copy->bitrate = session->bitrate;
  if (!session->proto->auto_mode)
    copy->auto_mode = FALSE;
  if (!session->proto->timings)
    copy->timestamp_type = INWORLD_TIMESTAMP_NONE;
  return copy;
}

/* @a and @b ask for the same speech (the audio format, and what the
 * protocol cannot do, left aside) */
static gboolean
same_settings (const InworldSynthConfig * a, const InworldSynthConfig * b)
{
  InworldSynthConfig *c = inworld_synth_config_dup (a);
  gboolean same;

  c->encoding = b->encoding;
  c->sample_rate = b->sample_rate;
  c->bitrate = b->bitrate;
  c->auto_mode = b->auto_mode;
  c->timestamp_type = b->timestamp_type;
  same = inworld_synth_config_equal (c, b);
  inworld_synth_config_free (c);
  return same;
}

/* @a and @b ask for audio in the same format */
static gboolean
same_format (const InworldSynthConfig * a, const InworldSynthConfig * b)
{
  return a->encoding == b->encoding && a->sample_rate == b->sample_rate
      && a->bitrate == b->bitrate;
}

static void
set_context_state (InworldSession * session, ContextState state)
{
  if (session->ctx_state == state)
    return;
  GST_DEBUG ("%s: context %s %s -> %s", session->name,
      session->ctx_id ? session->ctx_id : "-",
      context_state_names[session->ctx_state], context_state_names[state]);
  session->ctx_state = state;
}

/* Lets the context go: its late events are dropped from now on. */
static void
drop_context (InworldSession * session)
{
  if (session->ctx) {
    session->transport->free (session->ctx);
    session->ctx = NULL;
  }
  set_context_state (session, CONTEXT_NONE);
  g_clear_pointer (&session->ctx_config, inworld_synth_config_free);
  session->ctx_created = FALSE;
  session->serial = 0;
  session->chunk_seen = FALSE;
}

static void
send_frame (InworldSession * session, gchar * frame)
{
  GST_LOG ("%s: sending %s", session->name, frame);
  /* a reply is due from now on, not from the last one */
  session->last_activity = g_get_monotonic_time ();
  session->transport->send (session->ctx, frame);
}

static void
close_context (InworldSession * session)
{
  if (session->ctx == NULL || session->ctx_state == CONTEXT_CLOSING
      || session->ctx_state == CONTEXT_CLOSED)
    return;
  session->transport->close (session->ctx);
  if (session->proto->acks_close) {
    set_context_state (session, CONTEXT_CLOSING);
    session->last_activity = g_get_monotonic_time ();
  } else {
    set_context_state (session, CONTEXT_CLOSED);
  }
}

static void
open_context (InworldSession * session, const InworldSynthConfig * config)
{
  gchar *create;

  drop_context (session);
  g_free (session->ctx_id);
  /* unique in the process: a context of an earlier session of the same
   * element may still be closing on the same connection */
  session->ctx_id = g_strdup_printf ("%s-%u", session->name,
      (guint) g_atomic_int_add (&ctx_serial, 1) + 1);
  session->ctx_config = inworld_synth_config_dup (config);
  create = session->proto->build_create (session->ctx_id, config);
  GST_INFO ("%s: opening context %s (voice %s, model %s)", session->name,
      session->ctx_id, config->voice, config->model);
  session->ctx = session->transport->open (session->transport_data,
      session->params, session->ctx_id, create, on_event, session);
  count_connection (session, 0);
  session->next_sequence = 1;   /* SLNG numbers from 1 */
  session->sequence_errors = 0;
  session->last_activity = g_get_monotonic_time ();
  set_context_state (session, session->proto->acks_create ?
      CONTEXT_OPENING : CONTEXT_READY);
  watchdog_update (session);
}

/* ------------------------------------------------------------------------
 * Sending: the buffer and the syntheses owed
 * ------------------------------------------------------------------------ */

static void complete_ready (InworldSession * session);

static void flush_buffer (InworldSession * session, Utterance * ends);

static gboolean
on_buffer_delay (gpointer user_data)
{
  InworldSession *session = user_data;

  g_clear_pointer (&session->delay_source, g_source_unref);
  if (session->buffer && session->ctx) {
    GST_DEBUG ("%s: flushing %u characters left unflushed, before the "
        "service's buffer delay", session->name, session->buffer->chars);
    flush_buffer (session, NULL);
  }
  return G_SOURCE_REMOVE;
}

/* The buffer, flushed (the frame is sent by the caller), is owed; with
 * @ends it ends that utterance. */
static void
buffer_flushed (InworldSession * session, Utterance * ends)
{
  Synthesis *s = session->buffer;

  session->buffer = NULL;
  clear_source (&session->delay_source);
  if (s && s->speech_chars > 0) {
    s->ends = utt_ref (ends);
    g_queue_push_tail (&session->syntheses, s);
  } else {
    /* nothing to speak: the server says nothing for it */
    synthesis_free (s);
    if (ends)
      g_queue_push_tail (&session->syntheses, synthesis_new_local (ends));
  }
  complete_ready (session);
  watchdog_update (session);
}

/* Flushes the buffer; with @ends, that utterance ends with it. */
static void
flush_buffer (InworldSession * session, Utterance * ends)
{
  if (session->buffer)
    send_frame (session, session->proto->build_flush (session->ctx_id));
  buffer_flushed (session, ends);
}

/* Whether @to leaves unset a setting that @from sets: update_config only
 * overlays the fields it sends (a speaking rate, temperature or language
 * left out keeps the old value on the server), so going back to the
 * service's default takes a new context. */
static gboolean
unsets_settings (const InworldSynthConfig * from,
    const InworldSynthConfig * to)
{
  return (from->speaking_rate > 0 && !(to->speaking_rate > 0))
      || (from->temperature > 0 && !(to->temperature > 0))
      || ((from->language && *from->language) && !(to->language
              && *to->language));
}

/* A context that can take text with @config: the current one, updated,
 * or a new one. FALSE while the current one still owes audio with other
 * settings it cannot change. */
static gboolean
ensure_context (InworldSession * session, const InworldSynthConfig * config)
{
  if (session->ctx == NULL || session->ctx_state == CONTEXT_CLOSED) {
    if (owes_syntheses (session))
      return FALSE;             /* a closed context still sending audio */
    open_context (session, config);
    return TRUE;
  }
  if (inworld_synth_config_equal (session->ctx_config, config))
    return TRUE;
  if (session->proto->build_update_config
      && same_format (session->ctx_config, config)
      && g_strcmp0 (session->ctx_config->model, config->model) == 0
      && session->ctx_config->auto_mode == config->auto_mode
      && !unsets_settings (session->ctx_config, config)
      && session->ctx_state != CONTEXT_CLOSING) {
    /* what is buffered keeps the settings it was sent with */
    if (!session->auto_mode)
      flush_buffer (session, NULL);
    GST_INFO ("%s: new settings for context %s (voice %s)", session->name,
        session->ctx_id, config->voice);
    send_frame (session, session->proto->build_update_config
        (session->ctx_id, config));
    inworld_synth_config_free (session->ctx_config);
    session->ctx_config = inworld_synth_config_dup (config);
    return TRUE;
  }
  /* a model and an audio format are a context's for good (and SLNG
   * changes nothing): the old context finishes its audio, then a new one
   * takes over */
  if (!session->auto_mode)
    flush_buffer (session, NULL);
  if (owes_syntheses (session) || session->auto_current) {
    GST_DEBUG ("%s: new model or settings wait for context %s to finish",
        session->name, session->ctx_id);
    return FALSE;
  }
  close_context (session);
  open_context (session, config);
  return TRUE;
}

/* Sends one piece of text; with @flush the buffer is flushed with it
 * (ending @ends). */
static void
send_piece (InworldSession * session, Work * work, const gchar * piece,
    gboolean flush, Utterance * ends)
{
  guint chars = g_utf8_strlen (piece, -1);
  Synthesis *s;

  if (!work->resend) {
    session->chars_sent += chars;
    count_sent (session, chars);
  }
  if (session->buffer == NULL) {
    session->buffer = synthesis_new (work->utterance, work->config);
    session->buffer->first_sent = g_get_monotonic_time ();
  }
  s = session->buffer;
  g_ptr_array_add (s->pieces, g_strdup (piece));
  s->chars += chars;
  s->speech_chars += count_speech_chars (piece);
  if (work->utterance)
    work->utterance->chars += chars;
  send_frame (session, session->proto->build_send_text (session->ctx_id,
          piece, flush));
  if (flush) {
    buffer_flushed (session, ends);
  } else if (session->delay_source == NULL && s->speech_chars > 0) {
    /* the service would speak it on its own after its buffer delay */
    guint delay = buffer_delay_ms (work->config);
    guint guard = MIN (delay / 4, BUFFER_DELAY_GUARD_MS);
    gint64 elapsed = (g_get_monotonic_time () - s->first_sent) / 1000;

    session->delay_source = add_timeout (session,
        MAX (0, (gint64) (delay - guard) - elapsed), on_buffer_delay);
  }
}

/* Auto mode: the server decides where syntheses go. */
static void
send_auto_piece (InworldSession * session, Work * work, const gchar * piece,
    gboolean flush)
{
  AutoText *text = g_new0 (AutoText, 1);

  text->text = g_strdup (piece);
  text->chars = g_utf8_strlen (piece, -1);
  text->start = work->start;
  text->handed_over = work->handed_over;
  if (!work->resend) {
    session->chars_sent += text->chars;
    count_sent (session, text->chars);
  }
  g_queue_push_tail (&session->auto_text, text);
  if (inworld_text_has_speech (piece))
    session->audio_since_text = FALSE;
  send_frame (session, session->proto->build_send_text (session->ctx_id,
          piece, flush));
}

/* @text cut in pieces of at most @limit characters, with no piece that
 * has nothing to speak where a neighbour can take it: such a piece joins
 * the one before it (as Inworld's own clients do), else the one after. */
static GPtrArray *
cut_text (const gchar * text, guint limit)
{
  gchar **split = inworld_text_split (text, limit);
  GPtrArray *pieces = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; split[i]; i++) {
    gchar *piece = split[i];
    gchar *prev = pieces->len ? g_ptr_array_index (pieces, pieces->len - 1)
        : NULL;

    if (prev && (!inworld_text_has_speech (piece)
            || !inworld_text_has_speech (prev))
        && g_utf8_strlen (prev, -1) + g_utf8_strlen (piece, -1) <= limit) {
      pieces->pdata[pieces->len - 1] = g_strconcat (prev, piece, NULL);
      g_free (prev);
      g_free (piece);
    } else {
      g_ptr_array_add (pieces, piece);
    }
  }
  g_free (split);
  return pieces;
}

/* Sends a TEXT work item, cut in pieces of at most the threshold; the
 * buffer is flushed before it would reach the threshold. With a flush
 * right after it (@end: the END item that follows), the last piece
 * carries it. Text with nothing to speak is not sent on its own: it waits
 * for the utterance's next text, or is dropped at its end. */
static void
send_text (InworldSession * session, Work * work, Work * end)
{
  guint limit = session->auto_mode ? SERVICE_THRESHOLD :
      threshold (work->config);
  gchar *text = work->text;
  GPtrArray *pieces;

  if (!session->auto_mode && session->held && session->held_for ==
      work->utterance) {
    text = g_strconcat (session->held, work->text, NULL);
    g_clear_pointer (&session->held, g_free);
  }
  pieces = cut_text (text, limit);

  for (guint i = 0; i < pieces->len; i++) {
    const gchar *piece = g_ptr_array_index (pieces, i);
    guint chars = g_utf8_strlen (piece, -1);
    gboolean last = i + 1 == pieces->len;
    gboolean flush = !last || end != NULL;

    if (session->auto_mode) {
      send_auto_piece (session, work, piece, last && end);
      continue;
    }
    if (session->buffer == NULL && !inworld_text_has_speech (piece)) {
      /* only when it is all there is */
      g_free (session->held);
      session->held = g_strdup (piece);
      session->held_for = work->utterance;
      if (!work->resend) {
        session->chars_sent += chars;
        count_sent (session, chars);
      }
      continue;
    }
    if (session->buffer && session->buffer->chars + chars > limit)
      flush_buffer (session, NULL);
    /* the service synthesizes a buffer that reaches the threshold */
    if ((session->buffer ? session->buffer->chars : 0) + chars >= limit)
      flush = TRUE;
    send_piece (session, work, piece, flush, last && end ?
        end->utterance : NULL);
  }
  if (end && !session->auto_mode && session->held) {
    /* the utterance ends with nothing to speak left */
    g_clear_pointer (&session->held, g_free);
    flush_buffer (session, end->utterance);
  } else if (pieces->len == 0 && end && !session->auto_mode) {
    flush_buffer (session, end->utterance);
  }
  if (text != work->text)
    g_free (text);
  g_ptr_array_unref (pieces);
}

/* ------------------------------------------------------------------------
 * The cache (docs/cache.md)
 * ------------------------------------------------------------------------ */

/* The server part of the keys: the URI's scheme, host, port and path
 * (not its user info or query, which may hold credentials), and the
 * region; NULL when the URI cannot be read (nothing is cached then). */
static gchar *
cache_server (const InworldConnectionParams * params)
{
  GUri *uri = g_uri_parse (params->uri, G_URI_FLAGS_NONE, NULL);
  gchar *server;

  if (uri == NULL)
    return NULL;
  server = g_strdup_printf ("%s://%s:%d%s region=%s", g_uri_get_scheme (uri),
      g_uri_get_host (uri) ? g_uri_get_host (uri) : "", g_uri_get_port (uri),
      g_uri_get_path (uri), params->region ? params->region : "");
  g_uri_unref (uri);
  return server;
}

/* The key of @text spoken with @c: everything the audio, the timings and
 * the character count depend on, one line each. The enums are written as
 * numbers: reordering one means raising the key's version. */
static gchar *
cache_key (InworldSession * session, const InworldSynthConfig * c,
    const gchar * text)
{
  gchar temperature[G_ASCII_DTOSTR_BUF_SIZE];
  gchar rate[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_dtostr (temperature, sizeof (temperature), c->temperature);
  g_ascii_dtostr (rate, sizeof (rate), c->speaking_rate);
  return g_strdup_printf ("inworldttssrc cache key 1\n"
      "protocol %s\nserver %s\nmodel %s\nvoice %s\nlanguage %s\n"
      "temperature %s\nspeaking-rate %s\nencoding %s\nsample-rate %d\n"
      "bitrate %d\ntimestamp-type %d\ntimestamp-transport %d\n"
      "text-normalization %d\ndelivery-mode %d\ntext %s",
      session->proto->name, session->cache_server, c->model ? c->model : "",
      c->voice ? c->voice : "", c->language ? c->language : "", temperature,
      rate, inworld_encoding_to_string (c->encoding), c->sample_rate,
      c->bitrate, c->timestamp_type, c->timestamp_transport,
      c->text_normalization, c->delivery_mode, text);
}

static void
count_cache (InworldSession * session, gboolean hit)
{
  g_mutex_lock (&session->stats_lock);
  if (hit)
    session->stats.cache_hits++;
  else
    session->stats.cache_misses++;
  g_mutex_unlock (&session->stats_lock);
}

/* Nothing recorded so far is stored: an interrupt, a restart, a warning
 * or an error came while it was spoken. */
static void
cache_spoil (InworldSession * session, const gchar * why)
{
  Utterance *u;

  while (session->recording) {
    u = session->recording->data;
    session->recording = g_list_delete_link (session->recording,
        session->recording);
    GST_DEBUG ("%s: utterance %u is not cached: %s", session->name,
        u->pub.index, why);
    g_clear_pointer (&u->record, inworld_cache_entry_unref);
    utt_unref (u);
  }
}

/* Keeps @output in its utterance's record; its end stores the record. */
static void
cache_record (InworldSession * session, const InworldOutput * output)
{
  Utterance *u = output->utterance ? UTT (output->utterance) : NULL;
  InworldCacheEntry *r = u ? u->record : NULL;
  GList *link;

  if (r == NULL)
    return;
  switch (output->type) {
    case INWORLD_OUTPUT_AUDIO:
      /* the key has the format: audio of another one is not this key's */
      if (r->sample_rate != 0 && (r->encoding != output->encoding
              || r->sample_rate != output->sample_rate)) {
        cache_spoil (session, "its audio changed format");
        return;
      }
      r->encoding = output->encoding;
      r->sample_rate = output->sample_rate;
      inworld_cache_entry_add_audio (r, output->audio);
      break;
    case INWORLD_OUTPUT_TIMINGS:
      inworld_cache_entry_add_timings (r, output->timings);
      break;
    case INWORLD_OUTPUT_SYNTHESIS_END:
      inworld_cache_entry_add_synthesis_end (r);
      break;
    case INWORLD_OUTPUT_UTTERANCE_END:
      link = g_list_find (session->recording, u);
      if (link) {
        session->recording = g_list_delete_link (session->recording, link);
        utt_unref (u);
      }
      r = g_steal_pointer (&u->record);
      r->characters = output->characters;
      if (r->sample_rate == 0) {
        GST_DEBUG ("%s: utterance %u gave no audio: not cached",
            session->name, u->pub.index);
        inworld_cache_entry_unref (r);
        break;
      }
      GST_DEBUG ("%s: storing utterance %u (%" G_GSIZE_FORMAT " bytes of "
          "audio)", session->name, u->pub.index,
          inworld_cache_entry_audio_size (r));
      inworld_cache_store (session->cache, u->cache_key, r);
      break;
    default:
      break;
  }
}

/* Gives the outputs of a hit, as the server gave them, each synthesis
 * with a serial of its own. */
static void
cache_replay (InworldSession * session, Synthesis * s)
{
  InworldCacheEntry *e = s->cached;
  Utterance *u = s->ends;
  guint serial = session->serial;

  session->serial = 0;
  for (guint i = 0; i < e->items->len; i++) {
    InworldCacheItem *item = g_ptr_array_index (e->items, i);
    InworldOutput *output;

    if (session->serial == 0)
      session->serial = ++session->serials;
    switch (item->type) {
      case INWORLD_CACHE_ITEM_AUDIO:
        output = output_new (session, INWORLD_OUTPUT_AUDIO, u);
        output->audio = g_bytes_ref (item->audio);
        break;
      case INWORLD_CACHE_ITEM_TIMINGS:
        output = output_new (session, INWORLD_OUTPUT_TIMINGS, u);
        output->timings = inworld_timings_copy (item->timings);
        break;
      case INWORLD_CACHE_ITEM_SYNTHESIS_END:
      default:
        output = output_new (session, INWORLD_OUTPUT_SYNTHESIS_END, u);
        break;
    }
    g_clear_pointer ((gchar **) & output->context_id, g_free);
    output->encoding = e->encoding;
    output->sample_rate = e->sample_rate;
    emit (session, output);
    if (item->type == INWORLD_CACHE_ITEM_SYNTHESIS_END)
      session->serial = 0;
  }
  session->serial = serial;
  u->processed = e->characters;
  u->processed_known = TRUE;
}

/* An utterance at the head of the work that is there whole (its only
 * text, then its end): with a cache, a hit takes it off the work as a
 * local entry that gives the stored outputs when it reaches the head of
 * the syntheses, after those owed before it; a miss is recorded and sent.
 * TRUE when the work was taken. */
static gboolean
cache_lookup (InworldSession * session, Work * work)
{
  Work *end = g_queue_peek_nth (&session->work, 1);
  Utterance *u = work->utterance;
  InworldCacheEntry *entry;
  GError *error = NULL;
  Synthesis *s;
  gchar *key;

  if (session->cache == NULL || session->cache_server == NULL
      || session->auto_mode || u == NULL || u->cache_checked || work->resend
      || end == NULL || end->type != WORK_END || end->utterance != u
      || strcmp (u->text->str, work->text) != 0
      || !inworld_text_has_speech (work->text))
    return FALSE;
  u->cache_checked = TRUE;
  key = cache_key (session, work->config, work->text);
  entry = inworld_cache_lookup (session->cache, key, &error);
  if (error) {
    InworldProblem *p = problem_new (session, INWORLD_PROBLEM_CACHE,
        g_strdup_printf ("A cache entry could not be used; the utterance "
            "goes to the server: %s", error->message));

    g_clear_pointer (&p->context_id, g_free);
    emit_problem (session, INWORLD_OUTPUT_WARNING, p);
    g_clear_error (&error);
  }
  if (entry == NULL) {
    GST_DEBUG ("%s: utterance %u not in the cache", session->name,
        u->pub.index);
    count_cache (session, FALSE);
    u->cache_key = key;
    u->record = inworld_cache_entry_new ();
    session->recording = g_list_append (session->recording, utt_ref (u));
    return FALSE;
  }
  GST_DEBUG ("%s: utterance %u from the cache", session->name, u->pub.index);
  g_free (key);
  count_cache (session, TRUE);
  u->from_cache = TRUE;
  s = synthesis_new_local (u);
  s->cached = entry;
  work_free (g_queue_pop_head (&session->work));
  work_free (g_queue_pop_head (&session->work));
  g_queue_push_tail (&session->syntheses, s);
  complete_ready (session);
  return TRUE;
}

/* Carries out what can be sent now, in order. */
static void
pump (InworldSession * session)
{
  Work *work;

  if (session->state != SESSION_RUNNING)
    return;

  while ((work = g_queue_peek_head (&session->work))) {
    Work *end = NULL;

    if (work->type == WORK_TEXT) {
      if (cache_lookup (session, work))
        continue;
      if (!ensure_context (session, work->config))
        break;
      end = g_queue_peek_nth (&session->work, 1);
      if (end && !(end->type == WORK_END && end->utterance ==
              work->utterance))
        end = NULL;
      g_queue_pop_head (&session->work);
      send_text (session, work, end);
      if (end)
        work_free (g_queue_pop_head (&session->work));
      g_clear_pointer (&session->last_config, inworld_synth_config_free);
      session->last_config = inworld_synth_config_dup (work->config);
      work_free (work);
      continue;
    }

    g_queue_pop_head (&session->work);
    if (work->type == WORK_END)
      g_clear_pointer (&session->held, g_free);
    if (session->auto_mode) {
      /* a flush speaks what the server has; nothing to account */
      if (session->ctx && session->ctx_state != CONTEXT_CLOSED
          && session->ctx_state != CONTEXT_CLOSING)
        send_frame (session, session->proto->build_flush (session->ctx_id));
    } else if (session->buffer) {
      flush_buffer (session, work->type == WORK_END ? work->utterance :
          NULL);
    } else if (work->type == WORK_END && work->utterance) {
      g_queue_push_tail (&session->syntheses,
          synthesis_new_local (work->utterance));
      complete_ready (session);
    }
    work_free (work);
  }
  check_end (session);
}

/* ------------------------------------------------------------------------
 * Syntheses done
 * ------------------------------------------------------------------------ */

static void
end_utterance (InworldSession * session, Utterance * u)
{
  InworldOutput *output;

  g_free (u->pub.text);
  u->pub.text = g_strdup (u->text->str);
  output = output_new (session, INWORLD_OUTPUT_UTTERANCE_END, u);
  if (u->from_cache)
    g_clear_pointer ((gchar **) & output->context_id, g_free);
  output->characters = u->processed_known && u->processed >= 0 ?
      (guint) MIN (u->processed, G_MAXUINT) : u->chars;
  GST_DEBUG ("%s: utterance %u spoken (%u characters)", session->name,
      u->pub.index, output->characters);
  emit (session, output);
}

/* Takes the head synthesis off: it is done. */
static void
finish_head (InworldSession * session)
{
  Synthesis *s = g_queue_pop_head (&session->syntheses);

  clear_source (&session->part_source);
  session->chars_spoken += s->chars;
  if (s->utterance) {
    if (s->processed >= 0)
      s->utterance->processed += s->processed;
    else
      s->utterance->processed_known = FALSE;
  }
  if (s->ends)
    end_utterance (session, s->ends);
  synthesis_free (s);
  complete_ready (session);
}

/* Entries at the head that owe nothing: their utterances are done. */
static void
complete_ready (InworldSession * session)
{
  Synthesis *s;

  while ((s = head (session)) && s->local) {
    g_queue_pop_head (&session->syntheses);
    if (s->cached)
      cache_replay (session, s);
    end_utterance (session, s->ends);
    synthesis_free (s);
  }
}

static gboolean
on_part_wait (gpointer user_data)
{
  InworldSession *session = user_data;
  Synthesis *s = head (session);

  g_clear_pointer (&session->part_source, g_source_unref);
  if (s && s->partial) {
    GST_INFO ("%s: no more parts came: synthesis taken as complete "
        "(server count %" G_GINT64_FORMAT " of %u characters)", session->name,
        s->processed, s->chars);
    finish_head (session);
    pump (session);
    watchdog_update (session);
  }
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------
 * The server's events
 * ------------------------------------------------------------------------ */

/* Audio when nothing is owed: the server synthesized on its own what was
 * buffered (its delay or threshold came first), or something we do not
 * know of; either way it is spoken in the utterance it belongs to. */
static Synthesis *
unasked_synthesis (InworldSession * session)
{
  Synthesis *s = session->buffer;

  if (s) {
    GST_INFO ("%s: the server synthesized %u buffered characters on its "
        "own", session->name, s->chars);
    session->buffer = NULL;
    clear_source (&session->delay_source);
  } else {
    GST_INFO ("%s: audio of a synthesis that was not asked for",
        session->name);
    s = synthesis_new (session->open, NULL);
  }
  g_queue_push_head (&session->syntheses, s);
  return s;
}

/* The first audio of a server synthesis: which synthesis it is. After a
 * partial one (a flushCompleted before all of it was counted), it is
 * either the next part or the next synthesis: the character count says
 * which is nearer. */
static Synthesis *
begin_server_synthesis (InworldSession * session, gint processed)
{
  Synthesis *s = head (session);

  if (s && s->partial) {
    Synthesis *next = next_owed (session, s);
    gint64 rest = (gint64) s->speech_chars - s->processed;
    gboolean more = processed >= 0;

    if (more && next)
      more = ABS (processed - rest) <= ABS (processed - (gint64) next->chars);
    clear_source (&session->part_source);
    if (more) {
      s->partial = FALSE;
    } else {
      finish_head (session);
      s = head (session);
    }
  }
  if (s == NULL)
    s = unasked_synthesis (session);
  if (processed >= 0)
    s->processed = MAX (s->processed, 0) + processed;
  session->serial = ++session->serials;
  return s;
}

static void
check_sequence (InworldSession * session, const InworldEvent * event)
{
  if (!session->proto->sequenced || event->sequence < 0)
    return;
  /* numbering may restart at 1 with each synthesis */
  if (event->sequence != session->next_sequence
      && !(!session->chunk_seen && event->sequence <= 1)) {
    if (session->sequence_errors++ == 0)
      emit_problem (session, INWORLD_OUTPUT_WARNING,
          problem_new (session, INWORLD_PROBLEM_BAD_AUDIO,
              g_strdup_printf ("Audio chunk %" G_GINT64_FORMAT " arrived "
                  "where %" G_GINT64_FORMAT " was expected: the server's "
                  "audio is out of order or has a gap.", event->sequence,
                  session->next_sequence)));
    else
      GST_DEBUG ("%s: sequence error %u", session->name,
          session->sequence_errors);
  }
  session->next_sequence = event->sequence + 1;
}

static void
emit_audio (InworldSession * session, Utterance * utterance,
    InworldEvent * event)
{
  InworldOutput *output;

  /* the timings of the words that start in this chunk first: once its
   * audio is pushed, the element knows which words it holds (what an
   * interruption's listener heard) */
  if (event->timings) {
    InworldTimings *words = inworld_timings_keep_words (g_steal_pointer
        (&event->timings));

    if (words) {
      output = output_new (session, INWORLD_OUTPUT_TIMINGS, utterance);
      output->timings = words;
      emit (session, output);
    }
  }
  if (event->audio) {
    output = output_new (session, INWORLD_OUTPUT_AUDIO, utterance);
    output->audio = g_steal_pointer (&event->audio);
    emit (session, output);
  }
}

/* Auto mode: the text a synthesis of @processed characters covers. */
static void
attribute_auto_text (InworldSession * session, Synthesis * s, gint processed)
{
  AutoText *text;
  guint64 left = processed >= 0 ? (guint64) processed : G_MAXUINT64;

  while (left > 0 && (text = g_queue_pop_head (&session->auto_text))) {
    if (s->utterance->pub.start == INWORLD_SESSION_NO_TIME)
      s->utterance->pub.start = text->start;
    if (s->utterance->pub.handed_over == 0)
      s->utterance->pub.handed_over = text->handed_over;
    g_string_append (s->utterance->text, text->text);
    s->chars += text->chars;
    s->utterance->chars += text->chars;
    if (text->chars > left) {
      /* the rest of it is the next synthesis' */
      const gchar *rest = g_utf8_offset_to_pointer (text->text, left);
      AutoText *tail = g_new0 (AutoText, 1);

      g_string_truncate (s->utterance->text, s->utterance->text->len
          - strlen (rest));
      tail->text = g_strdup (rest);
      tail->chars = text->chars - left;
      tail->start = text->start;
      tail->handed_over = text->handed_over;
      s->chars -= tail->chars;
      s->utterance->chars -= tail->chars;
      g_queue_push_head (&session->auto_text, tail);
      left = 0;
    } else if (left != G_MAXUINT64) {
      left -= text->chars;
    }
    auto_text_free (text);
  }
}

static void
on_auto_audio (InworldSession * session, InworldEvent * event)
{
  Synthesis *s = session->auto_current;

  if (s == NULL) {
    Utterance *u = utterance_new (session, INWORLD_SESSION_NO_TIME);

    s = session->auto_current = synthesis_new (u, NULL);
    s->ends = utt_ref (u);
    utt_unref (u);
    s->processed = event->processed_chars;
    attribute_auto_text (session, s, event->processed_chars);
    session->serial = ++session->serials;
  }
  s->audio = TRUE;
  session->audio_since_text = TRUE;
  emit_audio (session, s->utterance, event);
}

static void
on_audio (InworldSession * session, InworldEvent * event)
{
  Synthesis *s;

  check_sequence (session, event);
  if (session->auto_mode) {
    on_auto_audio (session, event);
  } else {
    if (session->serial == 0)
      s = begin_server_synthesis (session, event->processed_chars);
    else
      s = head (session);
    s->audio = TRUE;
    emit_audio (session, s->utterance, event);
  }
  session->chunk_seen = TRUE;
}

static void
on_flush_completed (InworldSession * session)
{
  Synthesis *s;
  InworldOutput *output;

  session->attempts = 0;        /* progress */
  session->lost_since = 0;
  session->chunk_seen = FALSE;

  if (session->auto_mode) {
    s = session->auto_current;
    session->auto_current = NULL;
    if (s == NULL) {
      GST_DEBUG ("%s: flushCompleted of a synthesis without audio",
          session->name);
      return;
    }
    emit (session, output_new (session, INWORLD_OUTPUT_SYNTHESIS_END,
            s->utterance));
    session->serial = 0;
    session->chars_spoken += s->chars;
    s->utterance->processed = s->processed;
    s->utterance->processed_known = s->processed >= 0;
    end_utterance (session, s->utterance);
    synthesis_free (s);
    return;
  }

  s = head (session);
  if (s == NULL) {
    GST_WARNING ("%s: flushCompleted with no synthesis owed, ignored",
        session->name);
    return;
  }
  if (session->serial == 0) {
    /* a synthesis without audio, or the last part of one */
    GST_DEBUG ("%s: flushCompleted without audio", session->name);
    finish_head (session);
    pump (session);
    return;
  }
  output = output_new (session, INWORLD_OUTPUT_SYNTHESIS_END, s->utterance);
  emit (session, output);
  session->serial = 0;

  if (s->processed >= 0 && s->processed < (gint64) s->speech_chars) {
    /* the server counted less than it was given: a part, more follow */
    GST_DEBUG ("%s: synthesis counted %" G_GINT64_FORMAT " of %u "
        "characters: waiting for its next part", session->name,
        s->processed, s->speech_chars);
    s->partial = TRUE;
    session->part_source = add_timeout (session, PART_WAIT_MS,
        on_part_wait);
    return;
  }
  finish_head (session);
  pump (session);
}

static void
on_context_closed (InworldSession * session)
{
  Synthesis *s = head (session);

  set_context_state (session, CONTEXT_CLOSED);
  if (s && s->partial && next_owed (session, s) == NULL)
    finish_head (session);
  if (owes_syntheses (session))
    GST_INFO ("%s: context %s closed before %u synthesis(es) ended; "
        "waiting for their audio", session->name, session->ctx_id,
        g_queue_get_length (&session->syntheses));
  pump (session);
}

/* ------------------------------------------------------------------------
 * Problems
 * ------------------------------------------------------------------------ */

/* The server's own words for an ERROR or DISCONNECTED event (g_free). */
static gchar *
describe_event (const InworldEvent * event)
{
  const gchar *message = event->message ? event->message : "no message";

  if (event->type == INWORLD_EVENT_DISCONNECTED)
    return g_strdup (message);
  if (event->code)
    return g_strdup_printf ("%s (code %d %s)", message, event->code,
        inworld_grpc_code_name (event->code));
  return g_strdup_printf ("%s (%s)", message, event->code_name ?
      event->code_name : "no code");
}

static void
fail (InworldSession * session, InworldProblem * problem)
{
  if (session->state == SESSION_DONE) {
    inworld_problem_free (problem);
    return;
  }
  session->state = SESSION_DONE;
  clear_source (&session->delay_source);
  clear_source (&session->part_source);
  clear_source (&session->watchdog);
  emit_problem (session, INWORLD_OUTPUT_ERROR, problem);
}

/* The error for a problem the policy says cannot be got round. */
static void
fail_event (InworldSession * session, const InworldEvent * event,
    InworldFailure failure)
{
  gchar *what = describe_event (event);
  const gchar *uri = session->params->uri;
  const gchar *env = session->proto->api_key_env;
  InworldProblem *p = NULL;

  switch (failure) {
    case INWORLD_FAILURE_AUTH:
      if (event->type == INWORLD_EVENT_DISCONNECTED)
        p = problem_new (session, INWORLD_PROBLEM_AUTH,
            g_strdup_printf ("The server at %s refused the API key (HTTP "
                "%d). Check the api-key property or the %s environment "
                "variable.", uri, event->code, env));
      else
        p = problem_new (session, INWORLD_PROBLEM_AUTH,
            g_strdup_printf ("The server at %s rejected the API key: %s. "
                "Check the api-key property or the %s environment "
                "variable.", uri, what, env));
      break;
    case INWORLD_FAILURE_SETTINGS:
      p = problem_new (session, INWORLD_PROBLEM_SETTINGS,
          g_strdup_printf ("The server refused the settings: %s. Check "
              "voice, model, language, the encoding and the rate.", what));
      break;
    case INWORLD_FAILURE_BUSY:
      p = problem_new (session, INWORLD_PROBLEM_BUSY,
          g_strdup_printf ("The server at %s is at a limit: %s. Try again "
              "later or with fewer streams.", uri, what));
      break;
    case INWORLD_FAILURE_UNREACHABLE:
      p = problem_new (session, INWORLD_PROBLEM_UNREACHABLE,
          g_strdup_printf ("Could not reach the text-to-speech server at "
              "%s: %s", uri, what));
      break;
    case INWORLD_FAILURE_TOO_BIG:
      p = problem_new (session, INWORLD_PROBLEM_TOO_BIG, NULL);
      p->message = g_strdup_printf ("%s, with %" G_GUINT64_FORMAT " of %"
          G_GUINT64_FORMAT " characters not spoken.", what,
          p->chars_unspoken, p->chars_sent);
      break;
    case INWORLD_FAILURE_SERVER:
    case INWORLD_FAILURE_NONE:
      if (event->type == INWORLD_EVENT_DISCONNECTED) {
        p = problem_new (session, INWORLD_PROBLEM_LOST, NULL);
        p->message = g_strdup_printf ("Lost the connection to %s with %"
            G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " characters not "
            "spoken.", uri, p->chars_unspoken, p->chars_sent);
      } else {
        p = problem_new (session, INWORLD_PROBLEM_SERVER,
            g_strdup_printf ("The text-to-speech server reported an error: "
                "%s.", what));
      }
      break;
  }
  if (p->debug == NULL)
    p->debug = g_strdup_printf ("%s; context %s, uri %s", what,
        event->context_id ? event->context_id : "(connection-wide)", uri);
  problem_set_event (p, event);
  g_free (what);
  fail (session, p);
}

/* Puts everything owed back in front of the work, to be sent again on a
 * new context, in the same order. */
static void
requeue (InworldSession * session)
{
  GQueue redo = G_QUEUE_INIT;
  Synthesis *s;
  AutoText *text;

  while ((s = g_queue_pop_head (&session->syntheses))) {
    if (!s->local) {
      for (guint i = 0; i < s->pieces->len; i++) {
        Work *w = work_new (WORK_TEXT, s->utterance);

        w->text = g_strdup (g_ptr_array_index (s->pieces, i));
        w->config = inworld_synth_config_dup (s->config);
        w->resend = TRUE;
        g_queue_push_tail (&redo, w);
        if (s->utterance)
          s->utterance->chars -= g_utf8_strlen (w->text, -1);
      }
    }
    g_queue_push_tail (&redo, work_new (s->ends ? WORK_END : WORK_FLUSH,
            s->ends));
    synthesis_free (s);
  }
  if ((s = session->buffer)) {
    session->buffer = NULL;
    for (guint i = 0; i < s->pieces->len; i++) {
      Work *w = work_new (WORK_TEXT, s->utterance);

      w->text = g_strdup (g_ptr_array_index (s->pieces, i));
      w->config = inworld_synth_config_dup (s->config);
      w->resend = TRUE;
      if (s->utterance)
        s->utterance->chars -= g_utf8_strlen (w->text, -1);
      g_queue_push_tail (&redo, w);
    }
    synthesis_free (s);
  }
  g_clear_pointer (&session->auto_current, synthesis_free);
  while ((text = g_queue_pop_head (&session->auto_text))) {
    Work *w = work_new (WORK_TEXT, NULL);

    w->text = g_steal_pointer (&text->text);
    w->start = text->start;
    w->handed_over = text->handed_over;
    w->config = inworld_synth_config_dup (session->last_config ?
        session->last_config : session->ctx_config);
    w->resend = TRUE;
    g_queue_push_tail (&redo, w);
    auto_text_free (text);
  }
  clear_source (&session->delay_source);
  clear_source (&session->part_source);
  while ((s = g_queue_pop_tail (&redo)))
    g_queue_push_head (&session->work, s);
}

static gboolean
nothing_pending (InworldSession * session)
{
  return g_queue_is_empty (&session->syntheses) && session->buffer == NULL
      && session->auto_current == NULL
      && g_queue_is_empty (&session->auto_text);
}

/* The context is lost (or must be left): a new one, with the unspoken
 * text sent again, unless the retries are used up. */
static void
recover (InworldSession * session, const InworldEvent * event,
    InworldFailure failure)
{
  gint64 now = g_get_monotonic_time ();
  gboolean restart = session->serial != 0 || (head (session)
      && head (session)->audio) || (session->auto_current
      && session->auto_current->audio);
  gchar *what;

  if (nothing_pending (session)) {
    GST_INFO ("%s: context %s ended by the server with nothing pending: "
        "%s", session->name, session->ctx_id, event->message);
    drop_context (session);
    pump (session);
    return;
  }

  if (session->attempts == 0)
    session->lost_since = now;
  session->attempts++;
  what = describe_event (event);
  if (session->attempts > MAX_ATTEMPTS || (session->timeout_s > 0
          && now - session->lost_since >
          (gint64) session->timeout_s * G_USEC_PER_SEC)) {
    InworldProblem *p;
    gdouble secs = (now - session->lost_since) / 1e6;

    if (!session->ever_connected) {
      p = problem_new (session, failure == INWORLD_FAILURE_BUSY ?
          INWORLD_PROBLEM_BUSY : INWORLD_PROBLEM_UNREACHABLE, NULL);
      p->message = g_strdup_printf ("Could not connect to the "
          "text-to-speech server at %s: %s; %u attempts in %.1f s failed.",
          session->params->uri, what, session->attempts, secs);
    } else if (failure == INWORLD_FAILURE_BUSY) {
      p = problem_new (session, INWORLD_PROBLEM_BUSY, NULL);
      p->message = g_strdup_printf ("The server at %s stayed at a limit: %"
          G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " characters not "
          "spoken after %u attempts in %.1f s. Try again later or with "
          "fewer streams.", session->params->uri, p->chars_unspoken,
          p->chars_sent, session->attempts - 1, secs);
      p->attempts = session->attempts - 1;      /* as the message counts */
    } else {
      p = problem_new (session, INWORLD_PROBLEM_LOST, NULL);
      p->message = g_strdup_printf ("Lost the connection to %s with %"
          G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " characters not "
          "spoken; %u attempts to reconnect in %.1f s failed.",
          session->params->uri, p->chars_unspoken, p->chars_sent,
          session->attempts - 1, secs);
      p->attempts = session->attempts - 1;      /* the first was the loss */
    }
    p->debug = g_strdup_printf ("last problem: %s", what);
    problem_set_event (p, event);
    g_free (what);
    fail (session, p);
    return;
  }

  if (session->attempts == 1) {
    InworldProblem *p = problem_new (session, INWORLD_PROBLEM_LOST, NULL);

    if (session->ever_connected)
      p->message = g_strdup_printf ("Lost context %s on %s; re-sending %"
          G_GUINT64_FORMAT " character(s) on a new one.", session->ctx_id,
          session->params->uri, p->chars_unspoken);
    else
      p->message = g_strdup_printf ("Could not connect to %s (%s); trying "
          "again.", session->params->uri, what);
    p->debug = g_strdup (what);
    problem_set_event (p, event);
    emit_problem (session, INWORLD_OUTPUT_WARNING, p);
  }
  GST_INFO ("%s: attempt %u: %s", session->name, session->attempts, what);
  g_free (what);
  g_mutex_lock (&session->stats_lock);
  session->stats.reconnections++;
  g_mutex_unlock (&session->stats_lock);

  requeue (session);
  drop_context (session);
  if (restart) {
    cache_spoil (session, "its synthesis was lost and restarted");
    emit (session, output_new (session, INWORLD_OUTPUT_RESTART, NULL));
  }
  pump (session);
}

static void
on_problem (InworldSession * session, InworldEvent * event)
{
  InworldPolicyState state = {
    session->ctx_created, session->ctx_state == CONTEXT_CLOSING,
    session->ever_connected
  };
  InworldPolicy policy = inworld_policy_decide (session->proto, event,
      &state);

  GST_INFO ("%s: %s (code %d): %s -> %s", session->name,
      inworld_event_type_name (event->type), event->code, event->message,
      inworld_policy_action_name (policy.action));
  switch (policy.action) {
    case INWORLD_POLICY_IGNORE:
      break;
    case INWORLD_POLICY_WARN:{
      gchar *what = describe_event (event);
      InworldProblem *p = problem_new (session, INWORLD_PROBLEM_SERVER,
          g_strdup_printf ("The text-to-speech server reported a problem: "
              "%s.", what));

      problem_set_event (p, event);
      emit_problem (session, INWORLD_OUTPUT_WARNING, p);
      g_free (what);
      break;
    }
    case INWORLD_POLICY_RETRY:
      recover (session, event, policy.failure);
      break;
    case INWORLD_POLICY_FAIL:
      fail_event (session, event, policy.failure);
      break;
  }
}

static void
on_invalid_frame (InworldSession * session, const InworldEvent * event)
{
  /* a hostile server must not flood the bus */
  session->invalid_frames++;
  if (session->invalid_frames <= MAX_FRAME_WARNINGS) {
    InworldProblem *p = problem_new (session, INWORLD_PROBLEM_BAD_FRAME,
        g_strdup_printf ("Ignored a frame from the server that is not valid "
            "for the protocol: %s%s", event->message,
            session->invalid_frames == MAX_FRAME_WARNINGS ? " (further "
            "invalid frames are only logged)" : ""));

    p->debug = g_strdup_printf ("uri %s", session->params->uri);
    emit_problem (session, INWORLD_OUTPUT_WARNING, p);
  } else {
    GST_WARNING ("%s: invalid frame %u: %s", session->name,
        session->invalid_frames, event->message);
  }
}

static void
on_event (InworldEvent * event, gpointer user_data)
{
  InworldSession *session = user_data;

  count_connection (session, event->frame_size);
  if (session->state == SESSION_DONE) {
    inworld_event_free (event);
    return;
  }
  if (event->context_id && g_strcmp0 (event->context_id, session->ctx_id)) {
    /* an interrupted or replaced context: nothing of it goes out */
    GST_DEBUG ("%s: ignoring %s for context %s", session->name,
        inworld_event_type_name (event->type), event->context_id);
    inworld_event_free (event);
    return;
  }
  if (event->type != INWORLD_EVENT_DISCONNECTED
      && event->type != INWORLD_EVENT_INVALID_FRAME)
    session->ever_connected = TRUE;
  if (event->type == INWORLD_EVENT_DISCONNECTED && event->code >= 1000)
    session->ever_connected = TRUE;     /* the upgrade was done */
  session->last_activity = g_get_monotonic_time ();

  switch (event->type) {
    case INWORLD_EVENT_CONTEXT_CREATED:
      session->ctx_created = TRUE;
      if (session->ctx_state == CONTEXT_OPENING)
        set_context_state (session, CONTEXT_READY);
      break;
    case INWORLD_EVENT_CONTEXT_UPDATED:
      GST_DEBUG ("%s: context %s updated", session->name, session->ctx_id);
      break;
    case INWORLD_EVENT_AUDIO:
      clear_source (&session->part_source);
      on_audio (session, event);
      break;
    case INWORLD_EVENT_FLUSH_COMPLETED:
      on_flush_completed (session);
      break;
    case INWORLD_EVENT_CONTEXT_CLOSED:
      on_context_closed (session);
      break;
    case INWORLD_EVENT_DISCONNECTED:
    case INWORLD_EVENT_ERROR:
      on_problem (session, event);
      break;
    case INWORLD_EVENT_INVALID_FRAME:
      on_invalid_frame (session, event);
      break;
  }
  inworld_event_free (event);
  check_end (session);
  watchdog_update (session);
}

/* ------------------------------------------------------------------------
 * The end and the watchdog
 * ------------------------------------------------------------------------ */

static void
check_end (InworldSession * session)
{
  if (session->state != SESSION_RUNNING || !session->ending
      || !g_queue_is_empty (&session->work) || session->open)
    return;
  if (session->auto_mode) {
    /* contextClosed ends the turn; audio of a synthesis under way, or of
     * text that got none yet (a close may be answered first), is due */
    close_context (session);
    if (session->ctx_state == CONTEXT_CLOSING || session->auto_current
        || (!session->audio_since_text && session->ctx
            && session->ctx_state != CONTEXT_NONE
            && !g_queue_is_empty (&session->auto_text)))
      return;
  } else {
    if (session->proto->acks_close || !owes_syntheses (session))
      close_context (session);
    if (!g_queue_is_empty (&session->syntheses) || session->buffer
        || session->ctx_state == CONTEXT_CLOSING)
      return;
  }
  GST_INFO ("%s: everything spoken (%" G_GUINT64_FORMAT " characters)",
      session->name, session->chars_spoken);
  session->state = SESSION_DONE;
  session->ended = TRUE;
  clear_source (&session->watchdog);
  clear_source (&session->delay_source);
  clear_source (&session->part_source);
  emit (session, output_new (session, INWORLD_OUTPUT_END, NULL));
}

/* TRUE while a reply of the server is due. */
static gboolean
awaiting_server (InworldSession * session)
{
  if (session->state != SESSION_RUNNING || session->ctx == NULL)
    return FALSE;
  return (session->ctx_state == CONTEXT_OPENING && !session->ctx_created)
      || session->ctx_state == CONTEXT_CLOSING || owes_syntheses (session)
      || session->auto_current != NULL
      || (session->auto_mode && session->ending && !session->audio_since_text
      && !g_queue_is_empty (&session->auto_text));
}

static gboolean
on_watchdog (gpointer user_data)
{
  InworldSession *session = user_data;
  gint64 quiet = g_get_monotonic_time () - session->last_activity;
  InworldProblem *p;

  g_clear_pointer (&session->watchdog, g_source_unref);
  if (!awaiting_server (session))
    return G_SOURCE_REMOVE;
  if (quiet < (gint64) session->timeout_s * G_USEC_PER_SEC) {
    watchdog_update (session);
    return G_SOURCE_REMOVE;
  }
  p = problem_new (session, INWORLD_PROBLEM_TIMEOUT,
      g_strdup_printf ("No reply from the text-to-speech server at %s for "
          "%u s.", session->params->uri, session->timeout_s));
  p->debug = g_strdup_printf ("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
      " characters not spoken; context %s %s; raise the timeout property if "
      "the server is slow", p->chars_unspoken, p->chars_sent,
      session->ctx_id, context_state_names[session->ctx_state]);
  fail (session, p);
  return G_SOURCE_REMOVE;
}

static void
watchdog_update (InworldSession * session)
{
  gint64 due;

  if (session->timeout_s == 0 || !awaiting_server (session)) {
    clear_source (&session->watchdog);
    return;
  }
  if (session->watchdog)
    return;
  due = session->last_activity + (gint64) session->timeout_s * G_USEC_PER_SEC
      - g_get_monotonic_time ();
  session->watchdog = add_timeout (session, MAX (0, due / 1000) + 1,
      on_watchdog);
}

/* ------------------------------------------------------------------------
 * Operations
 * ------------------------------------------------------------------------ */

static void
op_free (Op * op)
{
  g_free (op->text);
  inworld_synth_config_free (op->config);
  inworld_connection_params_free (op->params);
  g_free (op->name);
  g_free (op->speaker);
  if (op->cache)
    inworld_cache_unref (op->cache);
  g_free (op);
}

static void
do_start (InworldSession * session, Op * op)
{
  InworldSynthConfig *warm;

  if (session->state != SESSION_WAITING)
    return;
  session->params = g_steal_pointer (&op->params);
  session->proto = inworld_protocol_get (session->params->protocol);
  g_mutex_lock (&session->stats_lock);
  g_free (session->stats.uri);
  session->stats.uri = g_strdup (session->params->uri);
  g_mutex_unlock (&session->stats_lock);
  session->encoding = op->encoding;
  session->sample_rate = op->sample_rate;
  session->bitrate = op->bitrate;
  session->timeout_s = op->timeout_s;
  if (op->cache) {
    session->cache = g_steal_pointer (&op->cache);
    session->cache_server = cache_server (session->params);
  }
  g_free (session->name);
  session->name = g_steal_pointer (&op->name);
  session->state = SESSION_RUNNING;
  session->epoch = MAX (session->epoch, op->epoch);
  warm = with_format (session, op->config);
  session->auto_mode = warm->auto_mode;
  GST_INFO ("%s: %s protocol at %s, %s at %d Hz", session->name,
      session->proto->name, session->params->uri,
      inworld_encoding_to_string (session->encoding), session->sample_rate);

  if (op->config->auto_mode && !warm->auto_mode)
    emit_problem (session, INWORLD_OUTPUT_WARNING, problem_new (session,
            INWORLD_PROBLEM_SETTINGS_IGNORED, g_strdup_printf ("auto-mode "
                "is not available with the %s protocol (it has no end of "
                "turn to wait for): each utterance is flushed instead.",
                session->proto->name)));
  if (op->config->timestamp_type != INWORLD_TIMESTAMP_NONE
      && warm->timestamp_type == INWORLD_TIMESTAMP_NONE)
    emit_problem (session, INWORLD_OUTPUT_WARNING, problem_new (session,
            INWORLD_PROBLEM_SETTINGS_IGNORED, g_strdup_printf
            ("timestamp-type is ignored: the %s protocol returns no "
                "timings.", session->proto->name)));

  /* text kept before the start gets the format, and utterances if auto
   * mode turned out not to be available */
  for (GList * l = session->work.head; l; l = l->next) {
    Work *w = l->data;

    if (w->config) {
      InworldSynthConfig *c = with_format (session, w->config);

      inworld_synth_config_free (w->config);
      w->config = c;
    }
    if (session->auto_mode || w->utterance)
      continue;
    if (w->type != WORK_TEXT && session->open == NULL)
      continue;                 /* a flush of nothing */
    if (session->open == NULL) {
      session->open = utterance_new (session, w->start);
      session->open->pub.handed_over = w->handed_over;
      session->open->pub.config = inworld_synth_config_dup (w->config);
    }
    w->utterance = utt_ref (session->open);
    if (w->type == WORK_TEXT)
      g_string_append (session->open->text, w->text);
    else {
      g_clear_pointer (&session->open, utt_unref);
      g_clear_pointer (&session->open_config, inworld_synth_config_free);
    }
  }
  /* a warm start: the connection and the context are made now, so that
   * the first text goes over an open socket; not with a cache, where the
   * first utterances may need no server at all (auto mode is never
   * cached) */
  if ((session->cache == NULL || session->auto_mode)
      && (g_queue_is_empty (&session->work)
          || ((Work *) g_queue_peek_head (&session->work))->type !=
          WORK_TEXT))
    open_context (session, warm);
  inworld_synth_config_free (warm);
  pump (session);
}

/* The format set while an utterance was open, now that none is. */
static void
take_next_format (InworldSession * session)
{
  if (!session->next_format || (session->open && !session->auto_mode))
    return;
  session->next_format = FALSE;
  if (session->encoding == session->next_encoding
      && session->sample_rate == session->next_sample_rate
      && session->bitrate == session->next_bitrate)
    return;
  GST_INFO ("%s: %s at %d Hz from utterance %u on", session->name,
      inworld_encoding_to_string (session->next_encoding),
      session->next_sample_rate, session->next_index + 1);
  session->encoding = session->next_encoding;
  session->sample_rate = session->next_sample_rate;
  session->bitrate = session->next_bitrate;
}

static void
do_set_format (InworldSession * session, Op * op)
{
  if (session->state == SESSION_DONE)
    return;
  if (session->state == SESSION_WAITING) {
    /* start() brings the format */
    GST_DEBUG ("%s: format set before the start: ignored", session->name);
    return;
  }
  session->next_format = TRUE;
  session->next_encoding = op->encoding;
  session->next_sample_rate = op->sample_rate;
  session->next_bitrate = op->bitrate;
  take_next_format (session);
}

static void
do_speak (InworldSession * session, Op * op)
{
  Work *work;

  if (session->state == SESSION_DONE)
    return;
  if (session->ending) {
    GST_WARNING ("%s: text after the end of the stream dropped",
        session->name);
    return;
  }
  /* before the start, the protocol (and whether it has auto mode) is
   * not known yet: do_start() puts right what was assumed */
  if (session->state == SESSION_WAITING)
    session->auto_mode = op->config->auto_mode;
  else
    take_next_format (session);

  /* A flushed text longer than a message may hold is cut, and each
   * piece is flushed as its own utterance, with its own flush-completed
   * (docs/inworldttssrc.md, "Text"): only the first keeps @start. */
  if (!session->auto_mode && op->flush && session->open == NULL
      && g_utf8_strlen (op->text, -1) > threshold (op->config)) {
    GPtrArray *pieces = cut_text (op->text, threshold (op->config));

    for (guint i = 0; i + 1 < pieces->len; i++) {
      Utterance *u = utterance_new (session, i == 0 ? op->start :
          INWORLD_SESSION_NO_TIME);

      u->pub.handed_over = op->handed_over;
      u->pub.speaker = g_strdup (op->speaker);
      u->pub.config = inworld_synth_config_dup (op->config);
      work = work_new (WORK_TEXT, u);
      work->text = g_strdup (g_ptr_array_index (pieces, i));
      work->start = u->pub.start;
      work->handed_over = op->handed_over;
      work->config = session->state == SESSION_RUNNING ?
          with_format (session, op->config) :
          inworld_synth_config_dup (op->config);
      g_string_append (u->text, work->text);
      g_queue_push_tail (&session->work, work);
      g_queue_push_tail (&session->work, work_new (WORK_END, u));
      utt_unref (u);
    }
    g_free (op->text);
    op->text = g_strdup (g_ptr_array_index (pieces, pieces->len - 1));
    op->start = INWORLD_SESSION_NO_TIME;
    g_ptr_array_unref (pieces);
  }

  /* settings belong to utterances: text with other settings than the
   * open utterance's ends it (the element flushes it, as documented);
   * so does another speaker's text, whose utterance carries its name */
  if (!session->auto_mode && session->open && session->open_config
      && (!same_settings (session->open_config, op->config)
          || g_strcmp0 (session->open->pub.speaker, op->speaker) != 0)) {
    GST_DEBUG ("%s: new settings end utterance %u", session->name,
        session->open->pub.index);
    g_queue_push_tail (&session->work, work_new (WORK_END, session->open));
    g_clear_pointer (&session->open, utt_unref);
    g_clear_pointer (&session->open_config, inworld_synth_config_free);
    take_next_format (session);
  }
  if (!session->auto_mode && session->open == NULL) {
    session->open = utterance_new (session, op->start);
    session->open->pub.handed_over = op->handed_over;
    session->open->pub.speaker = g_strdup (op->speaker);
    session->open->pub.config = inworld_synth_config_dup (op->config);
    g_clear_pointer (&session->open_config, inworld_synth_config_free);
    session->open_config = inworld_synth_config_dup (op->config);
  }
  work = work_new (WORK_TEXT, session->auto_mode ? NULL : session->open);
  work->text = g_steal_pointer (&op->text);
  work->start = op->start;
  work->handed_over = op->handed_over;
  work->config = session->state == SESSION_RUNNING ? with_format (session,
      op->config) : g_steal_pointer (&op->config);
  if (session->open)
    g_string_append (session->open->text, work->text);
  g_queue_push_tail (&session->work, work);
  if (op->flush) {
    g_queue_push_tail (&session->work, work_new (WORK_END, session->open));
    g_clear_pointer (&session->open, utt_unref);
    g_clear_pointer (&session->open_config, inworld_synth_config_free);
  }
  pump (session);
}

static void
do_flush (InworldSession * session)
{
  if (session->state == SESSION_DONE || session->ending)
    return;
  if (session->open || session->auto_mode) {
    g_queue_push_tail (&session->work, work_new (WORK_END, session->open));
    g_clear_pointer (&session->open, utt_unref);
    g_clear_pointer (&session->open_config, inworld_synth_config_free);
  }
  pump (session);
}

static void
do_end (InworldSession * session)
{
  if (session->state == SESSION_DONE || session->ending)
    return;
  do_flush (session);
  session->ending = TRUE;
  GST_DEBUG ("%s: end of the stream asked", session->name);
  pump (session);
  watchdog_update (session);
}

static void
do_interrupt (InworldSession * session, Op * op)
{
  guint dropped = g_queue_get_length (&session->syntheses)
      + (session->buffer ? 1 : 0);
  /* the end came first, but the interrupt that cancels it was asked
   * before: its END is of an earlier epoch, which the receiver drops */
  gboolean end_dropped = op->cancel_end && session->state == SESSION_DONE
      && session->ended && op->epoch > session->epoch;

  session->epoch = MAX (session->epoch, op->epoch);
  cache_spoil (session, "interrupted");
  g_queue_clear_full (&session->work, (GDestroyNotify) work_free);
  g_queue_clear_full (&session->syntheses, (GDestroyNotify) synthesis_free);
  g_queue_clear_full (&session->auto_text, (GDestroyNotify) auto_text_free);
  g_clear_pointer (&session->buffer, synthesis_free);
  g_clear_pointer (&session->auto_current, synthesis_free);
  g_clear_pointer (&session->open, utt_unref);
  g_clear_pointer (&session->open_config, inworld_synth_config_free);
  g_clear_pointer (&session->held, g_free);
  clear_source (&session->delay_source);
  clear_source (&session->part_source);
  session->chars_sent = session->chars_spoken;
  session->attempts = 0;
  if (op->cancel_end)
    session->ending = FALSE;
  if (end_dropped) {
    GST_INFO ("%s: the end is cancelled by an interrupt asked before it: "
        "going on", session->name);
    session->ended = FALSE;
    session->state = SESSION_RUNNING;
  }
  if (session->state != SESSION_RUNNING)
    return;

  GST_INFO ("%s: interrupted: %u synthesis(es) dropped", session->name,
      dropped);
  take_next_format (session);
  /* its late frames carry the old id and are dropped from now on */
  if (session->ctx) {
    InworldSynthConfig *config = with_format (session, session->ctx_config);

    close_context (session);
    drop_context (session);
    if (!session->ending)
      open_context (session, config);
    inworld_synth_config_free (config);
  }
  check_end (session);
  watchdog_update (session);
}

static gboolean
run_ops (gpointer user_data)
{
  InworldSession *session = user_data;
  GQueue ops;
  Op *op;

  g_mutex_lock (&session->op_lock);
  ops = session->ops;
  g_queue_init (&session->ops);
  g_clear_pointer (&session->op_source, g_source_unref);
  g_mutex_unlock (&session->op_lock);

  while ((op = g_queue_pop_head (&ops))) {
    switch (op->type) {
      case OP_START:
        do_start (session, op);
        break;
      case OP_SPEAK:
        do_speak (session, op);
        break;
      case OP_FLUSH:
        do_flush (session);
        break;
      case OP_END:
        do_end (session);
        break;
      case OP_INTERRUPT:
        do_interrupt (session, op);
        break;
      case OP_SET_FORMAT:
        do_set_format (session, op);
        break;
    }
    op_free (op);
  }
  return G_SOURCE_REMOVE;
}

static void
submit (InworldSession * session, Op * op)
{
  g_mutex_lock (&session->op_lock);
  if (session->freed) {
    g_mutex_unlock (&session->op_lock);
    op_free (op);
    return;
  }
  g_queue_push_tail (&session->ops, op);
  /* one wake-up however many operations are queued */
  if (session->op_source == NULL) {
    session->op_source = g_idle_source_new ();
    g_source_set_priority (session->op_source, G_PRIORITY_DEFAULT);
    g_source_set_callback (session->op_source, run_ops, session, NULL);
    g_source_attach (session->op_source, session->context);
  }
  g_mutex_unlock (&session->op_lock);
}

static Op *
op_new (OpType type)
{
  Op *op = g_new0 (Op, 1);

  op->type = type;
  op->start = INWORLD_SESSION_NO_TIME;
  return op;
}

InworldSession *
inworld_session_new (GMainContext * context,
    const InworldTransport * transport, gpointer transport_data,
    InworldOutputFunc func, gpointer user_data)
{
  InworldSession *session = g_new0 (InworldSession, 1);

  inworld_debug_init ();
  session->context = g_main_context_ref (context);
  session->transport = transport;
  session->transport_data = transport_data;
  session->func = func;
  session->user_data = user_data;
  session->name = g_strdup ("session");
  g_mutex_init (&session->out_lock);
  g_mutex_init (&session->op_lock);
  g_mutex_init (&session->stats_lock);
  g_queue_init (&session->ops);
  g_queue_init (&session->work);
  g_queue_init (&session->syntheses);
  g_queue_init (&session->auto_text);
  return session;
}

void
inworld_session_start (InworldSession * session,
    const InworldSessionStart * start)
{
  Op *op = op_new (OP_START);

  op->params = inworld_connection_params_copy (&start->connection);
  op->encoding = start->encoding;
  op->sample_rate = start->sample_rate;
  op->bitrate = start->bitrate;
  op->timeout_s = start->timeout_s;
  op->name = g_strdup (start->name ? start->name : "session");
  op->epoch = start->epoch;
  op->config = inworld_synth_config_dup (start->config);
  op->cache = start->cache ? inworld_cache_ref (start->cache) : NULL;
  submit (session, op);
}

void
inworld_session_speak (InworldSession * session, const gchar * text,
    gboolean flush, const InworldSynthConfig * config, guint64 start)
{
  inworld_session_speak_as (session, text, flush, config, start, NULL);
}

void
inworld_session_speak_as (InworldSession * session, const gchar * text,
    gboolean flush, const InworldSynthConfig * config, guint64 start,
    const gchar * speaker)
{
  Op *op = op_new (OP_SPEAK);

  op->text = g_strdup (text);
  op->flush = flush;
  op->config = inworld_synth_config_dup (config);
  op->start = start;
  op->handed_over = g_get_monotonic_time ();
  op->speaker = g_strdup (speaker);
  submit (session, op);
}

void
inworld_session_flush (InworldSession * session)
{
  submit (session, op_new (OP_FLUSH));
}

void
inworld_session_end (InworldSession * session)
{
  submit (session, op_new (OP_END));
}

void
inworld_session_interrupt (InworldSession * session, guint epoch,
    gboolean cancel_end)
{
  Op *op = op_new (OP_INTERRUPT);

  op->epoch = epoch;
  op->cancel_end = cancel_end;
  submit (session, op);
}

void
inworld_session_set_format (InworldSession * session, InworldEncoding encoding,
    gint sample_rate, gint bitrate)
{
  Op *op = op_new (OP_SET_FORMAT);

  op->encoding = encoding;
  op->sample_rate = sample_rate;
  op->bitrate = bitrate;
  submit (session, op);
}

static gboolean
destroy (gpointer user_data)
{
  InworldSession *session = user_data;

  g_mutex_lock (&session->op_lock);
  clear_source (&session->op_source);
  g_queue_clear_full (&session->ops, (GDestroyNotify) op_free);
  g_mutex_unlock (&session->op_lock);

  clear_source (&session->delay_source);
  clear_source (&session->part_source);
  clear_source (&session->watchdog);
  if (session->ctx)
    close_context (session);
  drop_context (session);
  g_queue_clear_full (&session->work, (GDestroyNotify) work_free);
  g_queue_clear_full (&session->syntheses, (GDestroyNotify) synthesis_free);
  g_queue_clear_full (&session->auto_text, (GDestroyNotify) auto_text_free);
  synthesis_free (session->buffer);
  synthesis_free (session->auto_current);
  utt_unref (session->open);
  inworld_synth_config_free (session->open_config);
  g_free (session->held);
  cache_spoil (session, "the session is freed");
  if (session->cache)
    inworld_cache_unref (session->cache);
  g_free (session->cache_server);
  inworld_synth_config_free (session->last_config);
  inworld_connection_params_free (session->params);
  g_free (session->ctx_id);
  g_free (session->name);
  g_mutex_clear (&session->out_lock);
  g_mutex_clear (&session->op_lock);
  g_mutex_clear (&session->stats_lock);
  inworld_session_stats_clear (&session->stats);
  g_main_context_unref (session->context);
  g_free (session);
  return G_SOURCE_REMOVE;
}

void
inworld_session_free (InworldSession * session)
{
  GMainContext *context;

  if (session == NULL)
    return;

  /* waits for an output in progress; none is given after this */
  g_mutex_lock (&session->out_lock);
  session->func = NULL;
  session->user_data = NULL;
  g_mutex_unlock (&session->out_lock);

  g_mutex_lock (&session->op_lock);
  session->freed = TRUE;
  g_mutex_unlock (&session->op_lock);

  context = g_main_context_ref (session->context);
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, destroy, session,
      NULL);
  g_main_context_unref (context);
}

void
inworld_session_get_stats (InworldSession * session,
    InworldSessionStats * stats)
{
  g_mutex_lock (&session->stats_lock);
  *stats = session->stats;
  stats->uri = g_strdup (session->stats.uri);
  g_mutex_unlock (&session->stats_lock);
}

void
inworld_session_stats_clear (InworldSessionStats * stats)
{
  g_clear_pointer (&stats->uri, g_free);
  memset (stats, 0, sizeof (*stats));
}
