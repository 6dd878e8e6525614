/* inworldttssrc: what the element's two halves share
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* gstinworldttssrc.c is the element's face: properties, signals, pads,
 * states, queries. gstinworldttsstream.c is its streaming task: it owns
 * the connection, the server context, the framer and the output
 * timeline. They talk through one queue of work items, filled from any
 * thread (the connection's events, text from the sink pad and the action
 * signals) and emptied by the task alone, in order. */

#pragma once

#include "gstinworldttssrc.h"
#include "inworldaudio.h"
#include "inworldpool.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_inworld_tts_src_debug);
#define GST_CAT_DEFAULT gst_inworld_tts_src_debug

#define API_KEY_ENV "INWORLD_API_KEY"
#define SLNG_API_KEY_ENV "SLNG_API_KEY"
#define DEFAULT_URI "wss://api.inworld.ai/tts/v1/voice:streamBidirectional"
#define DEFAULT_SLNG_URI "wss://api.slng.ai/v1/tts/slng/inworld/max:1.5"

typedef enum
{
  ITEM_EVENT,                   /* from the connection */
  ITEM_TEXT,                    /* an utterance */
  ITEM_FLUSH,                   /* flush the text sent without a flush */
  ITEM_EOS,                     /* speak what is pending, close, then EOS */
  ITEM_INTERRUPT,               /* drop the current speech, new context */
  ITEM_CONFIG,                  /* a synthesis property changed */
} ItemType;

typedef struct
{
  ItemType type;
  InworldEvent *event;          /* EVENT */
  gchar *text;                  /* TEXT */
  gboolean flush;               /* TEXT: flush after it */
  GstClockTime start;           /* TEXT: running time its speech may start
                                 * at; NONE: right after the previous one */
} Item;

/* A flush sent to the server whose flushCompleted has not come yet. */
typedef struct
{
  guint chars;
  GstClockTime start;           /* as Item.start */
  GPtrArray *pieces;            /* its send_text texts, to re-send them
                                 * on a new context if this one is lost */
} PendingFlush;

struct _GstInworldTtsSrc
{
  GstElement parent;

  GstPad *srcpad;
  GstPad *sinkpad;              /* the request pad, or NULL */

  /* properties, under the object lock */
  gchar *text;
  gchar *api_key;
  gchar *uri;
  gchar *voice;
  gchar *model;
  gchar *language;
  gdouble temperature;
  gdouble speaking_rate;
  GstInworldTtsEncoding encoding;
  guint bitrate;
  gboolean is_live;
  GstClockTime latency;
  guint timeout;
  gboolean auto_mode;
  GstInworldTtsTimestampType timestamp_type;
  GstInworldTtsProtocol protocol;
  gchar *region;
  gboolean ssl_strict;
  gchar *ssl_ca_file;           /* NULL: the system's CAs */
  gchar *proxy;                 /* NULL: the environment's proxy */
  guint keepalive;

  /* shared with every thread, under lock */
  GMutex lock;
  GCond cond;
  GQueue items;                 /* Item * */
  gboolean flushing;            /* the src pad is being deactivated */
  gboolean playing;
  guint interrupting;           /* FLUSH_STARTs sent, FLUSH_STOPs owed */
  gboolean eos_queued;          /* no more text is accepted */
  gboolean task_done;           /* the task paused for good (EOS, error) */
  gboolean running;             /* the task has connected and started */

  /* the sink pad's streaming thread */
  GstSegment sink_segment;
  gboolean sink_markup;         /* format=pango-markup */
  guint64 sink_buffers;

  /* the streaming task only (and state changes, with the task stopped) */
  InworldContext *ctx;          /* the server context (SLNG: session) */
  const InworldProtocol *proto;
  gboolean close_when_done;     /* SLNG: close once pending flushes end */
  gint64 next_sequence;         /* SLNG: the audio_chunk expected, -1 any */
  guint flush_chunks;           /* audio events of the current flush */
  guint sequence_errors;
  guint invalid_frames;
  gchar *context_id;
  gchar *model_in_use;
  gchar *uri_in_use;
  gboolean started;
  gboolean got_reply;
  gboolean closing;             /* close_context sent */
  gboolean context_closed;
  gboolean model_switch;        /* waiting for pending flushes to switch */
  gboolean context_lost;        /* the server ended an idle context: the
                                 * next text opens a new one */
  gboolean context_created;     /* its contextCreated came */
  gboolean ever_connected;      /* the server has answered this stream */
  guint reconnects;             /* attempts since the last progress */
  gint64 lost_since;            /* monotonic time of the first of them */
  GQueue held;                  /* Item * held until the switch */
  InworldAudioFramer *framer;
  InworldEncoding wire_encoding;
  gint rate;                    /* asked of the server */
  gint clock_rate;              /* of sample counts: 48000 for Opus */
  gint bitrate_in_use;
  gboolean segment_sent;        /* after the first caps */
  gboolean live;
  /* output timeline */
  GstClockTime position;        /* end of what was pushed, gaps included */
  gboolean in_flush;            /* the current flush's audio has begun */
  GstClockTime flush_base;      /* where the current flush's audio starts */
  guint64 flush_samples;        /* its samples so far, at clock_rate */
  guint64 samples;              /* all samples pushed, at clock_rate */
  gboolean discont;
  guint late_buffers;           /* live: audio later than PTS + latency */
  GstClockTime late_total;
  /* text and flushes */
  guint flushes_completed;
  GQueue pending;               /* PendingFlush * */
  guint unflushed_chars;        /* sent without a flush yet */
  GPtrArray *unflushed_pieces;  /* their texts */
  GstClockTime unflushed_start;
  gint flush_processed;         /* the server's count for the current flush */
  guint64 chars_sent;
  guint64 chars_spoken;
};

void gst_inworld_tts_src_enqueue (GstInworldTtsSrc * self, Item * item);
Item *gst_inworld_tts_src_item_new (ItemType type);
void gst_inworld_tts_src_item_free (Item * item);

/* Stops the current speech at once (any thread): downstream is flushed,
 * queued text dropped, and the task opens a fresh server context. */
void gst_inworld_tts_src_interrupt (GstInworldTtsSrc * self);
/* The same for a flushing seek upstream, which also cancels upstream's
 * EOS: the stream goes on with what upstream sends after it. */
void gst_inworld_tts_src_interrupt_upstream (GstInworldTtsSrc * self);

void gst_inworld_tts_src_loop (GstPad * pad);
void gst_inworld_tts_src_reset_stream (GstInworldTtsSrc * self);

/* The URI and protocol to use, from the uri and protocol properties
 * (under the object lock); *uri is newly allocated. */
InworldProtocolKind gst_inworld_tts_src_resolve_target (GstInworldTtsSrc *
    self, gchar ** uri);
/* The key for @kind: the api-key property, else INWORLD_API_KEY or
 * SLNG_API_KEY from the environment; NULL if none. */
gchar *gst_inworld_tts_src_resolve_api_key (GstInworldTtsSrc * self,
    InworldProtocolKind kind);
const gchar *gst_inworld_tts_src_key_env (InworldProtocolKind kind);

G_END_DECLS
