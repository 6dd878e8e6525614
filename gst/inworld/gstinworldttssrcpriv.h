/* inworldttssrc: what the element's two halves share
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* gstinworldttssrc.c is the element's face: properties, signals, pads,
 * states, queries, interruptions. It hands text to the session
 * (inworldsession.h), which talks to the server on the connection
 * thread. gstinworldttsstream.c is the src pad's task, a plain pusher as
 * gst_queue_loop is: it pops the session's outputs from one queue, frames
 * the audio, places it on the timeline and pushes buffers, events and
 * EOS.
 *
 * Locks, always taken in this order:
 *   control_lock  serializes pad activation and interruptions (held while
 *                 the task is paused and restarted)
 *   format_lock   the format asked of the session (renegotiation)
 *   lock          the session pointer and the flags marked below
 *   qlock         the output queue, its epoch, `playing`, the pacing wait
 *                 of idle=silence (unscheduled under it: the clock's
 *                 own locks are leaves)
 * and the object lock for the properties, which may be taken inside
 * control_lock (activation, the running time of an interrupt) but never
 * has another lock taken inside it. sink_lock (the sink pad's text in
 * progress) may be taken inside control_lock (an interruption holds it
 * until the session is told) and has the others but control_lock taken
 * inside it; control_lock is never taken inside it. The task takes none
 * of them while pushing. */

#pragma once

#include "gstinworldttssrc.h"
#include "gstinworldttsenums.h"
#include "gstinworldttsheard.h"
#include "inworldaudio.h"
#include "inworldsession.h"
#include "inworldtext.h"
#include "inworldspeakers.h"
#include "inworldoverflow.h"
#include "inworldsoupthread.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_inworld_tts_src_debug);
#define GST_CAT_DEFAULT gst_inworld_tts_src_debug

#define DEFAULT_URI "wss://api.inworld.ai/tts/v1/voice:streamBidirectional"
#define DEFAULT_SLNG_URI "wss://api.slng.ai/v1/tts/slng/inworld/max:1.5"

/* The element's side of the stats property: what the task pushed. */
typedef struct
{
  guint64 utterances;           /* inworld-flush-completed pushed */
  guint64 late_buffers;         /* live: audio later than PTS + latency */
  GstClockTime first_audio_last;        /* time to first audio, or NONE */
  GstClockTime first_audio_total;
  guint64 first_audio_count;
} GstInworldTtsStats;

/* The task's side of the overflow policies (gstinworldttsoverflow.c):
 * what it holds back of the cue under way until it knows whether the
 * speech ends within its slot. */
typedef struct
{
  GstInworldTtsOverflow policy; /* read when the cue begins */
  GstClockTime max;             /* max-overflow, read then too */
  GstClockTime slot_end;        /* the next cue's start, or NONE */
  GQueue held;                  /* GstBuffer * not pushed yet */
  InworldOverflowResult decided;        /* NONE: not decided yet */
  guint64 dropped;              /* clipped samples */
  GByteArray *spill;            /* overlap: this cue's audio past its slot */
  GByteArray *tail;             /* overlap: the previous cue's spill, mixed
                                 * into the audio from `position` on */
  gboolean warned;              /* encoded audio: said once */
  gboolean fit_hold;            /* fit: the whole cue is held, so that a
                                 * faster retry can replace it */
  gdouble fit_rate;             /* fit: the retry's speakingRate, or 0 */
  InworldSession *retry;        /* fit: the session of the retry under way
                                 * (the task's) */
  GQueue retry_outputs;         /* its InworldOutput *, under qlock */
} GstInworldTtsOverflowState;
/* The captions of the text_src pad (gstinworldttscaptions.c): the src
 * task's state, also touched by an interruption with the task paused. */
typedef struct
{
  GstEvent *segment;            /* the audio pad's last segment, or NULL */
  GstClockTime position;        /* end of what text_src covers */
  guint utterance;              /* the utterance of first_audio */
  GstClockTime first_audio;     /* PTS of its first audio, or NONE */
  GString *word;                /* character timings: the word gathered */
  GstClockTime word_start, word_end;
} GstInworldTtsCaptions;

struct _GstInworldTtsSrc
{
  GstElement parent;

  GstPad *srcpad;
  GstPad *sinkpad;              /* the request pad or NULL; object lock */
  GstPad *textpad;              /* text_src or NULL; object lock */

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
  GstInworldTtsAutoModeStrategy auto_mode_strategy;
  GstInworldTtsTimestampType timestamp_type;
  GstInworldTtsTimestampTransport timestamp_transport;
  GstInworldTtsTextNormalization text_normalization;
  GstInworldTtsDeliveryMode delivery_mode;
  guint buffer_char_threshold;
  guint max_buffer_delay;
  GstInworldTtsProtocol protocol;
  gchar *region;
  gboolean ssl_strict;
  gchar *ssl_ca_file;           /* NULL: the system's CAs */
  gchar *proxy;                 /* NULL: the environment's proxy */
  guint keepalive;
  GstInworldTtsTextSegmentation text_segmentation;
  gchar *voice_map_string;      /* as set, or NULL */
  InworldVoiceMap *voice_map;   /* never NULL */
  GHashTable *unknown_speakers; /* names warned about since the voice-map
                                 * was set */
  gchar *cache_dir;             /* NULL: no cache */
  guint64 cache_size;           /* bytes, 0: no limit */
  GstInworldTtsOverflow overflow;
  GstClockTime max_overflow;
  GstInworldTtsCaptionUnit caption_unit;
  GstInworldTtsInterruptMode interrupt_mode;
  GstInworldTtsIdle idle;

  GMutex control_lock;

  GMutex lock;
  InworldSoupThread *st;
  InworldSession *session;      /* while the src pad is active */
  InworldCache *cache;          /* the session's cache, while it runs */
  gboolean active;
  gboolean running;             /* the task has started the stream */
  gboolean finished;            /* the task stopped for good (EOS, error) */
  gboolean eos_requested;       /* the end was asked: text is refused */
  GQueue pending;               /* InworldPendingText * pushed while not
                                 * running (NULL, READY), spoken at the
                                 * next activation */
  gboolean pending_eos;         /* end-of-stream asked while not running */
  GArray *cue_starts;           /* guint64: the starts of the timed text
                                 * handed to the session and not spoken
                                 * yet, for the overflow policies */

  GMutex qlock;
  GCond qcond;
  GQueue outputs;               /* InworldOutput * */
  gint epoch;                   /* bumped by each interruption; atomic
                                 * reads outside qlock */
  gboolean qflushing;           /* the src pad is being deactivated */
  gboolean playing;

  /* a seek forwarded upstream, under the object lock: the flush it
   * causes restarts the output timeline at 0 */
  gboolean seeking;
  guint32 seek_seqnum;
  GstClockTime seek_time;       /* stream time the seek goes to, or NONE */

  /* the sink pad's streaming thread */
  GstSegment sink_segment;
  gboolean sink_markup;         /* format=pango-markup */
  guint64 sink_buffers;
  /* text from the sink pad not handed over yet, under sink_lock */
  GMutex sink_lock;
  GString *sink_tail;           /* a UTF-8 character cut at a buffer's end */
  InworldSentenceCutter *cutter;        /* NULL until cutting */
  InworldSegmentation cutter_how;
  GstClockTime cutter_pts;      /* the time of what the cutter holds */
  gchar *sink_speaker;          /* the voice span the cut text is in */

  /* the src task only (and activation, with the task stopped) */
  gboolean started;
  InworldAudioFramer *framer;
  InworldEncoding wire_encoding;
  gint rate;                    /* asked of the server */
  gint clock_rate;              /* of sample counts: 48000 for Opus */
  gint bitrate_in_use;
  gchar *uri_in_use;
  gboolean segment_sent;
  GstClockTime segment_time;    /* stream time of the segment's start */
  gboolean live;
  gboolean error_posted;        /* our own error: no flow error on top */
  /* output timeline */
  InworldUtterance *utterance;  /* whose audio goes out */
  guint synthesis;              /* the server synthesis going out, or 0 */
  GstClockTime position;        /* end of what was pushed, gaps included */
  GstClockTime synth_base;      /* where the synthesis' audio starts */
  guint64 synth_samples;        /* its samples so far, at clock_rate */
  guint64 samples;              /* all samples pushed, at clock_rate */
  gboolean discont;
  guint late_buffers;           /* live: audio later than PTS + latency */
  GstClockTime late_total;
  guint flushes_completed;
  GstInworldTtsOverflowState ovf;
  GstInworldTtsCaptions captions;
  guint speech_started;         /* the last utterance announced */
  /* what was heard, for inworld-interrupted (its own leaf lock) */
  HeardState *heard;
  /* idle=silence (gstinworldttsidle.c): the task fills the time between
   * utterances with silence; idle_flow keeps a failed push of silence made
   * inside the timeline code for the next pop; idle_clock_id, under
   * qlock, is the pacing wait that arriving outputs and state changes
   * cut short */
  gboolean idle_silence;
  GstFlowReturn idle_flow;
  GstClockID idle_clock_id;
  GstClockTime idle_base;       /* where the run of silence began */
  guint64 idle_samples;         /* its samples so far */

  /* the stats property, since the element last started: the task counts
   * under the object lock; the counters of the last session under
   * `lock` */
  GstInworldTtsStats stats;
  guint first_audio_index;      /* task: the last utterance measured */
  InworldSessionStats session_stats;
  /* the format asked of the session: set by the task when it starts the
   * session, changed by renegotiation (the RECONFIGURE event's thread);
   * under format_lock (recursive: a warning's bus handler may relink) */
  GRecMutex format_lock;
  gboolean negotiated;          /* the session has a format */
  const InworldProtocol *proto;
  InworldEncoding format_encoding;
  gint format_rate;
  gint format_bitrate;
};

/* The task (gstinworldttsstream.c). */
void gst_inworld_tts_src_loop (GstPad * pad);
/* Downstream asked for other caps (RECONFIGURE): picks the format for
 * the next utterance (a new rate), or posts a warning when it cannot
 * change (another encoding, a rate the protocol lacks). Any thread. */
void gst_inworld_tts_src_renegotiate (GstInworldTtsSrc * self);
/* The task's state back to a new stream's; the task must be stopped. */
void gst_inworld_tts_src_reset_stream (GstInworldTtsSrc * self);
/* The session's output callback: queues @output for the task. */
void gst_inworld_tts_src_queue_output (InworldOutput * output,
    gpointer user_data);
/* Drops the queued outputs; with @flushing the task's waits return until
 * it is cleared. Returns the epoch of what is queued from now on (a new
 * one when @new_epoch). */
gint gst_inworld_tts_src_flush_outputs (GstInworldTtsSrc * self,
    gboolean flushing, gboolean new_epoch);

/* The overflow policies (gstinworldttsoverflow.c), called by the task. */
/* A timed utterance starting at @start was handed to the session; under
 * `lock`. */
void gst_inworld_tts_src_note_cue (GstInworldTtsSrc * self, guint64 start);
/* A new utterance's audio begins; its gap, if any, is pushed next. */
void gst_inworld_tts_overflow_begin (GstInworldTtsSrc * self);
/* Pushes @buf (taken), timed, or holds, cuts or mixes it by the policy. */
GstFlowReturn gst_inworld_tts_overflow_push (GstInworldTtsSrc * self,
    GstBuffer * buf);
/* The utterance ended: what it held goes, `position` is where the next
 * one may start; *@end is where its audio ends, *@result and *@time what
 * the policy did and how far the speech ran past its slot. */
/* Under fit, a cue held whole that ran past its slot is spoken again
 * faster first: that waits for the retry's audio, or returns
 * GST_FLOW_FLUSHING when @epoch is interrupted meanwhile. *@rate is the
 * retry's speakingRate, or 0 when none was made. */
GstFlowReturn gst_inworld_tts_overflow_end (GstInworldTtsSrc * self,
    gint epoch, InworldOverflowResult * result, GstClockTime * time,
    GstClockTime * end, gdouble * rate);
/* The overlap tail still to be mixed goes out on its own (before a gap,
 * at the end of the stream). */
GstFlowReturn gst_inworld_tts_overflow_drain (GstInworldTtsSrc * self);
/* Drops what is held (an interruption, a new stream). */
void gst_inworld_tts_overflow_reset (GstInworldTtsSrc * self);

/* What a session needs to start, with the settings in force now (all
 * copied); clear it with gst_inworld_tts_src_session_start_clear(). */
void gst_inworld_tts_src_session_start_init (GstInworldTtsSrc * self,
    InworldProtocolKind kind, InworldSessionStart * start);
void gst_inworld_tts_src_session_start_clear (InworldSessionStart * start);
/* idle=silence (gstinworldttsidle.c), for the task. */
/* Whether silence fills the idle time of the stream starting now (live,
 * raw audio); warns when the property asks for it in vain. */
gboolean gst_inworld_tts_src_idle_decide (GstInworldTtsSrc * self);
/* The next output; while there is none, pushes silence paced by the
 * clock. NULL with *@ret when flushing, interrupted since @epoch, or a
 * push failed. */
InworldOutput *gst_inworld_tts_src_idle_pop (GstInworldTtsSrc * self,
    gint epoch, GstFlowReturn * ret);
/* Pushes silence from the position to @until (to the sample at or after
 * it), and makes the synthesis under way go on after it. */
void gst_inworld_tts_src_idle_fill (GstInworldTtsSrc * self,
    GstClockTime until);
/* Cuts the pacing wait short (qlock held): an output came, the queue is
 * flushing, or the element left PLAYING. */
void gst_inworld_tts_src_idle_wake (GstInworldTtsSrc * self);

/* The URI and protocol to use, from the uri and protocol properties
 * (under the object lock); *uri is newly allocated. */
InworldProtocolKind gst_inworld_tts_src_resolve_target (GstInworldTtsSrc *
    self, gchar ** uri);
/* The key for @kind: the api-key property, else the protocol's
 * environment variable; NULL if none. */
gchar *gst_inworld_tts_src_resolve_api_key (GstInworldTtsSrc * self,
    InworldProtocolKind kind);
/* The synthesis settings of the properties now (owned strings). */
InworldSynthConfig *gst_inworld_tts_src_read_config (GstInworldTtsSrc *
    self);

/* Captions (gstinworldttscaptions.c): the request pad text_src, fed by
 * the src task through the hooks below. Each hook does nothing when there
 * is no text_src pad. The task pushes both pads, as a demuxer does: each
 * branch needs its own queue when downstream joins them (a muxer,
 * textoverlay). */
GST_DEBUG_CATEGORY_EXTERN (gst_inworld_tts_captions_debug);

void gst_inworld_tts_captions_init (GstInworldTtsSrc * self);
void gst_inworld_tts_captions_finalize (GstInworldTtsSrc * self);
/* The text_src pad (at most one), or NULL. */
GstPad *gst_inworld_tts_captions_request_pad (GstInworldTtsSrc * self,
    GstPadTemplate * templ);
/* TRUE if @pad was text_src (it is released). */
gboolean gst_inworld_tts_captions_release_pad (GstInworldTtsSrc * self,
    GstPad * pad);
/* The stream starts again (the task is stopped). */
void gst_inworld_tts_captions_reset (GstInworldTtsSrc * self);
/* @event (a segment, flush or EOS), about to go out of the src pad, goes
 * out of text_src too (not taken). */
void gst_inworld_tts_captions_push_event (GstInworldTtsSrc * self,
    GstEvent * event);
/* After an interruption (the task paused): the captions go on from the
 * audio's position. */
void gst_inworld_tts_captions_restart (GstInworldTtsSrc * self);
/* The audio pad got a GAP event. */
void gst_inworld_tts_captions_gap (GstInworldTtsSrc * self,
    GstClockTime start, GstClockTime duration);
/* Audio of self->utterance goes out at @pts. */
void gst_inworld_tts_captions_audio (GstInworldTtsSrc * self,
    GstClockTime pts);
/* A word (or character) timing on the audio's timeline. */
GstFlowReturn gst_inworld_tts_captions_timing (GstInworldTtsSrc * self,
    const gchar * token, gboolean character, GstClockTime start,
    GstClockTime end);
/* @utterance is spoken; its audio ends at @end. */
GstFlowReturn gst_inworld_tts_captions_utterance_end (GstInworldTtsSrc *
    self, InworldUtterance * utterance, GstClockTime end);

G_END_DECLS
