/* inworldttssrc: the conversation with the server
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* One element's conversation with the server, on the connection thread.
 *
 * The element (its application, sink-pad and property threads) calls the
 * session with typed operations — start, speak, flush, end, interrupt —
 * which are queued and carried out in order on the session's GMainContext
 * (the connection thread's), so text reaches the wire without waiting on
 * anything downstream. The session owns everything the server's side of
 * the conversation needs: the context's lifecycle (one state enum), the
 * ledger of the text sent and of the syntheses the server owes, the
 * accounting of those syntheses as the service really runs them, model
 * and setting switches, re-sending after a lost connection and the error
 * policy with its retry budget. It hands typed outputs (audio, timings,
 * synthesis and utterance ends, warnings, the end, a failure) to a
 * callback, which the element's src task drains; it never touches a
 * GstBuffer and never blocks.
 *
 * It reaches the server through an InworldTransport: the connection pool
 * in the element, a fake in the unit tests (tests/check/libs/session.c).
 *
 * Utterances and syntheses. An utterance is the text between two flushes
 * of the element (a push-text with flush, a sink buffer, the flush
 * signal, the end of the stream); each gets one UTTERANCE_END, in order,
 * after its last audio — also one with nothing to speak, which is never
 * sent. The server runs syntheses, each ended by a flushCompleted; the
 * session keeps every synthesis to at most one utterance's text by
 * flushing where the service would otherwise synthesize on its own
 * (bufferCharThreshold, maxBufferDelayMs, update_config), and accounts
 * any synthesis the service still runs on its own (a part of a long
 * flush, a buffer delay that came first). In auto mode the server decides
 * where syntheses go: each one is an utterance of its own.
 *
 * The audio format comes with start(); set_format() (downstream
 * renegotiated) changes it for the utterances begun afterwards, on a new
 * context.
 *
 * With a cache (docs/cache.md), an utterance handed over whole (its text
 * and its end in one speak()) is looked up before it is sent: a hit gives
 * the stored outputs in its place in the order, without the server; a
 * miss is recorded and stored once its UTTERANCE_END is given, unless an
 * interrupt, a restart, a warning or an error came meanwhile. */

#pragma once

#include "inworldconnection.h"
#include "inworldcache.h"

G_BEGIN_DECLS

typedef struct _InworldSession InworldSession;

/* How the session reaches the server: one context of a protocol at a
 * time, on the session's GMainContext. Events are handed to @func on that
 * context, never from inside send/close/free. */
typedef struct
{
  gpointer (*open) (gpointer transport_data,
      const InworldConnectionParams * params, const gchar * context_id,
      gchar * create_frame, InworldEventFunc func, gpointer user_data);
  void (*send) (gpointer context, gchar * frame);
  void (*close) (gpointer context);
  /* no event of @context is delivered after this */
  void (*free) (gpointer context);
  /* optional: an id of the connection @context is on (the pool's
   * serial, from 1), 0 when it has none */
  guint (*connection_id) (gpointer context);
} InworldTransport;

/* The connection pool (inworldpool.h): the transport of the element. */
const InworldTransport *inworld_pool_transport (void);

#define INWORLD_SESSION_NO_TIME G_MAXUINT64

/* One utterance (immutable once handed out but for its refcount). */
typedef struct
{
  gint refcount;
  guint index;                  /* flush-index, from 1 */
  guint64 start;                /* when its speech may start (the
                                 * element's running time), or
                                 * INWORLD_SESSION_NO_TIME: right after
                                 * the previous one */
  gchar *text;                  /* what was pushed; auto mode: what the
                                 * synthesis covered, as far as known */
  gint64 handed_over;           /* when its first text was handed to
                                 * inworld_session_speak() (monotonic
                                 * time, us), or 0 */
  gchar *speaker;               /* who speaks it (a name of the text,
                                 * inworld_session_speak_as()), or NULL */
  InworldSynthConfig *config;   /* the settings its first text was handed
                                 * over with (voice, rate...), or NULL
                                 * (auto mode) */
} InworldUtterance;

InworldUtterance *inworld_utterance_ref (InworldUtterance * utterance);
void inworld_utterance_unref (InworldUtterance * utterance);

/* What a problem is, for the element's error domain and code. */
typedef enum
{
  INWORLD_PROBLEM_AUTH,         /* bad, missing or refused key */
  INWORLD_PROBLEM_SETTINGS,     /* voice, model, encoding... refused */
  INWORLD_PROBLEM_BUSY,         /* limits of the account or service */
  INWORLD_PROBLEM_UNREACHABLE,  /* never connected, or refused */
  INWORLD_PROBLEM_LOST,         /* the connection was lost */
  INWORLD_PROBLEM_TOO_BIG,      /* a frame over the size limit */
  INWORLD_PROBLEM_TIMEOUT,      /* no reply for `timeout` seconds */
  INWORLD_PROBLEM_SERVER,       /* an error of the server */
  INWORLD_PROBLEM_BAD_FRAME,    /* a frame not valid for the protocol */
  INWORLD_PROBLEM_BAD_AUDIO,    /* audio out of order, or lost */
  INWORLD_PROBLEM_SETTINGS_IGNORED,     /* a setting the protocol lacks */
  INWORLD_PROBLEM_CACHE,        /* a cache entry could not be read */
} InworldProblemKind;

/* A warning or an error, with facts an application can read. */
typedef struct
{
  InworldProblemKind kind;
  gchar *message;               /* a sentence for people: cause and fix */
  gchar *debug;                 /* more detail, or NULL */
  gint grpc_code;               /* the server's status code, -1 if none */
  gchar *code_name;             /* its name (INVALID_ARGUMENT, SLNG's
                                 * config_error...), or NULL */
  guint http_status;            /* of a refused upgrade, or 0 */
  guint close_code;             /* WebSocket close code, or 0 */
  gchar *context_id;            /* or NULL */
  gchar *uri;
  guint64 chars_unspoken;       /* characters sent and not spoken */
  guint64 chars_sent;           /* handed to the connection, queued
                                 * before the upgrade included */
  guint attempts;               /* connections tried and failed in a
                                 * row; after a loss, the reconnections
                                 * (as the message counts them) */
} InworldProblem;

void inworld_problem_free (InworldProblem * problem);
const gchar *inworld_problem_kind_name (InworldProblemKind kind);

typedef enum
{
  INWORLD_OUTPUT_AUDIO,         /* audio bytes of a synthesis */
  INWORLD_OUTPUT_TIMINGS,       /* timings of a synthesis, in seconds
                                 * from its start; only tokens with a
                                 * letter or digit */
  INWORLD_OUTPUT_SYNTHESIS_END, /* a synthesis ended (flushCompleted) */
  INWORLD_OUTPUT_UTTERANCE_END, /* an utterance is spoken */
  INWORLD_OUTPUT_RESTART,       /* the synthesis under way was lost; it
                                 * is spoken again from its start */
  INWORLD_OUTPUT_WARNING,
  INWORLD_OUTPUT_ERROR,         /* the conversation failed: nothing follows */
  INWORLD_OUTPUT_END,           /* all is spoken: nothing follows */
} InworldOutputType;

typedef struct
{
  InworldOutputType type;
  guint epoch;                  /* of the last interrupt before it */
  InworldUtterance *utterance;  /* AUDIO, TIMINGS, SYNTHESIS_END,
                                 * UTTERANCE_END */
  guint synthesis;              /* serial of the synthesis, from 1 */
  GBytes *audio;                /* AUDIO */
  gchar *text;                  /* AUDIO: its utterance's text pushed so
                                 * far (all of it once flushed); NULL in
                                 * auto mode */
  InworldTimings *timings;      /* TIMINGS */
  guint characters;             /* UTTERANCE_END: characters synthesized
                                 * (the server's count when it gave one) */
  const gchar *context_id;      /* the context it came from */
  InworldEncoding encoding;     /* AUDIO: its format (its context's) */
  gint sample_rate;
  InworldProblem *problem;      /* WARNING, ERROR */
  guint64 received;             /* the receiver's: 0 from the session (the
                                 * element notes when it got it) */
} InworldOutput;

const gchar *inworld_output_type_name (InworldOutputType type);
void inworld_output_free (InworldOutput * output);

/* Called on the session's context with no lock of the session's held;
 * takes @output. Never called again once inworld_session_free() has
 * returned. */
typedef void (*InworldOutputFunc) (InworldOutput * output,
    gpointer user_data);

/* What the session needs to start: where to connect and the audio format
 * (the same for every utterance until set_format()). */
typedef struct
{
  InworldConnectionParams connection;
  InworldEncoding encoding;
  gint sample_rate;
  gint bitrate;                 /* 0: the server's default */
  guint timeout_s;              /* no reply for this long fails; 0: never */
  const gchar *name;            /* prefix of the context ids */
  guint epoch;                  /* the epoch of the first outputs */
  const InworldSynthConfig *config;     /* the settings of a context
                                         * opened before any text */
  InworldCache *cache;          /* the synthesis cache (a reference is
                                 * taken), or NULL (docs/cache.md) */
} InworldSessionStart;

/* A session on @context, reaching the server through @transport. */
InworldSession *inworld_session_new (GMainContext * context,
    const InworldTransport * transport, gpointer transport_data,
    InworldOutputFunc func, gpointer user_data);

/* Stops the outputs at once (none is given after this returns), then
 * closes the context and frees the session on its GMainContext. Any
 * thread but the output callback's. */
void inworld_session_free (InworldSession * session);

/* The operations, from any thread, carried out in order. The session
 * keeps text spoken before start() and sends it once started. */
void inworld_session_start (InworldSession * session,
    const InworldSessionStart * start);
/* Text with the settings it is to be spoken with (copied; its audio
 * fields are replaced by the session's format). With @flush, it ends the
 * utterance. @start is when its speech may start, or
 * INWORLD_SESSION_NO_TIME. */
void inworld_session_speak (InworldSession * session, const gchar * text,
    gboolean flush, const InworldSynthConfig * config, guint64 start);
/* As inworld_session_speak(), for text a speaker says: its utterance
 * carries @speaker (NULL: none), and text of another speaker ends the
 * open utterance, as other settings do. */
void inworld_session_speak_as (InworldSession * session, const gchar * text,
    gboolean flush, const InworldSynthConfig * config, guint64 start,
    const gchar * speaker);
/* Ends the utterance under way (nothing when none is). */
void inworld_session_flush (InworldSession * session);
/* Speaks what is pending, closes the context, then END. */
void inworld_session_end (InworldSession * session);
/* Drops the speech: pending text and audio, the context (a fresh one is
 * opened); outputs given afterwards carry @epoch. With @cancel_end, an
 * end asked for before is forgotten (a flushing seek upstream). */
void inworld_session_interrupt (InworldSession * session, guint epoch,
    gboolean cancel_end);
/* A new audio format (downstream renegotiated) for the utterances that
 * begin after this (the open one, if any, keeps its format); auto mode:
 * for the text pushed after this. Text in another format goes to a new
 * context, opened once the old one has given all its audio; each AUDIO
 * output says its format. Ignored before start(). */
void inworld_session_set_format (InworldSession * session,
    InworldEncoding encoding, gint sample_rate, gint bitrate);

/* What the session counted since it was made (the element's `stats`
 * property, docs/inworldttssrc.md). */
typedef struct
{
  guint64 chars_sent;           /* characters of text sent to the server,
                                 * each once: re-sent text is not counted
                                 * again */
  guint reconnections;          /* new contexts after a loss or a retried
                                 * error, to re-send what was not spoken */
  guint64 bytes_received;       /* bytes of the server's frames for this
                                 * session's contexts */
  gchar *uri;                   /* the server, once started, or NULL */
  guint connection_id;          /* the transport's id of the connection
                                 * of the latest context, or 0 */
  guint64 cache_hits;           /* utterances replayed from the cache */
  guint64 cache_misses;         /* utterances looked up and not found */
} InworldSessionStats;

/* A copy of the counters now, from any thread; clear @stats with
 * inworld_session_stats_clear(). */
void inworld_session_get_stats (InworldSession * session,
    InworldSessionStats * stats);
void inworld_session_stats_clear (InworldSessionStats * stats);

/* Word timings without the tokens that hold no letter or digit
 * (whitespace and punctuation, which WORD alignment lists too); NULL when
 * none is left. Character timings are kept whole: they cover every
 * character, spaces too. Takes @timings. */
InworldTimings *inworld_timings_keep_words (InworldTimings * timings);

G_END_DECLS
