/* inworldttssrc: protocol layer
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Pure protocol code: builds the JSON frames a protocol sends and parses
 * the frames that come back into typed events. No I/O, no GStreamer. One
 * implementation per protocol behind the InworldProtocol table, so the
 * connection layer can speak either without knowing which. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Hard limit of the API on one send_text message, in characters. */
#define INWORLD_MAX_TEXT_CHARS 1000

typedef enum
{
  INWORLD_PROTOCOL_INWORLD,
  INWORLD_PROTOCOL_SLNG,
} InworldProtocolKind;

/* Wire encodings, in the API's own spelling (see inworld_encoding_to_string). */
typedef enum
{
  INWORLD_ENCODING_PCM,
  INWORLD_ENCODING_LINEAR16,
  INWORLD_ENCODING_WAV,
  INWORLD_ENCODING_MP3,
  INWORLD_ENCODING_OGG_OPUS,
  INWORLD_ENCODING_FLAC,
  INWORLD_ENCODING_ALAW,
  INWORLD_ENCODING_MULAW,
} InworldEncoding;

typedef enum
{
  INWORLD_TIMESTAMP_NONE,
  INWORLD_TIMESTAMP_WORD,
  INWORLD_TIMESTAMP_CHARACTER,
} InworldTimestampType;

typedef enum
{
  INWORLD_TEXT_NORMALIZATION_AUTO,      /* field not sent */
  INWORLD_TEXT_NORMALIZATION_ON,
  INWORLD_TEXT_NORMALIZATION_OFF,
} InworldTextNormalization;

/* timestampTransportStrategy: with SYNC (the service's default) every
 * audio chunk waits for its timings; with ASYNC audio goes out at once and
 * the timings follow in timestamp-only chunks. */
typedef enum
{
  INWORLD_TIMESTAMP_TRANSPORT_UNSET,    /* field not sent */
  INWORLD_TIMESTAMP_TRANSPORT_SYNC,
  INWORLD_TIMESTAMP_TRANSPORT_ASYNC,
} InworldTimestampTransport;

/* deliveryMode (inworld-tts-2 only). */
typedef enum
{
  INWORLD_DELIVERY_MODE_UNSET,          /* field not sent */
  INWORLD_DELIVERY_MODE_STABLE,
  INWORLD_DELIVERY_MODE_BALANCED,
  INWORLD_DELIVERY_MODE_CREATIVE,
} InworldDeliveryMode;

/* autoModeStrategy: how the service cuts text into syntheses in auto
 * mode. SENTENCE_BOUNDARY is inworld-tts-2's (Preview). */
typedef enum
{
  INWORLD_AUTO_MODE_STRATEGY_UNSET,     /* field not sent: CLIENT_SEGMENTED */
  INWORLD_AUTO_MODE_STRATEGY_CLIENT_SEGMENTED,
  INWORLD_AUTO_MODE_STRATEGY_SENTENCE_BOUNDARY,
} InworldAutoModeStrategy;

/* Synthesis settings of one context. Strings are borrowed by the builders.
 * Numeric fields at 0 (or negative, NaN, infinite) and NULL (or empty)
 * strings are "unset": the field is left out of the frame and the server
 * default applies. The encoding is always sent (the server default, MP3,
 * is never what an unset field should mean); bitrate only for MP3 and
 * OGG_OPUS. */
/* The ranges the service takes (audioConfig.speakingRate, temperature). */
#define INWORLD_MIN_SPEAKING_RATE 0.5
#define INWORLD_MAX_SPEAKING_RATE 1.5
#define INWORLD_MAX_TEMPERATURE 2.0

typedef struct
{
  const gchar *voice;
  const gchar *model;
  const gchar *language;
  gdouble temperature;
  gdouble speaking_rate;
  InworldEncoding encoding;
  gint sample_rate;
  gint bitrate;
  InworldTimestampType timestamp_type;
  InworldTextNormalization text_normalization;
  InworldTimestampTransport timestamp_transport;
  InworldDeliveryMode delivery_mode;
  gboolean auto_mode;
  InworldAutoModeStrategy auto_mode_strategy;
  gint buffer_char_threshold;   /* -1 = unset */
  gint max_buffer_delay_ms;     /* -1 = unset */
} InworldSynthConfig;

void inworld_synth_config_init (InworldSynthConfig * config);

/* A copy of @config that owns its strings (free with
 * inworld_synth_config_free). */
InworldSynthConfig *inworld_synth_config_dup (const InworldSynthConfig *
    config);
void inworld_synth_config_free (InworldSynthConfig * config);

/* TRUE when @a and @b would build the same frames. */
gboolean inworld_synth_config_equal (const InworldSynthConfig * a,
    const InworldSynthConfig * b);

const gchar *inworld_encoding_to_string (InworldEncoding encoding);
gboolean inworld_encoding_from_string (const gchar * str, InworldEncoding * out);

typedef enum
{
  INWORLD_EVENT_CONTEXT_CREATED,
  INWORLD_EVENT_CONTEXT_UPDATED,
  INWORLD_EVENT_AUDIO,          /* audio bytes and/or timings */
  INWORLD_EVENT_FLUSH_COMPLETED,
  INWORLD_EVENT_CONTEXT_CLOSED,
  INWORLD_EVENT_ERROR,          /* server error; context_id NULL when top-level */
  INWORLD_EVENT_DISCONNECTED,   /* set by the connection layer, never by a parser */
  INWORLD_EVENT_INVALID_FRAME,  /* a frame parse() refused (set by the connection
                                 * layer), or a field of a kept frame that parse()
                                 * ignored (message says which) */
} InworldEventType;

/* Word or character timings of one audio chunk, in seconds relative to the
 * start of the current generation (they restart after every flush). */
typedef struct
{
  gboolean characters;          /* TRUE: one entry per character */
  guint n;
  gchar **tokens;               /* n strings, NULL-terminated */
  gdouble *start;               /* n */
  gdouble *end;                 /* n */
} InworldTimings;

typedef struct
{
  InworldEventType type;
  gchar *context_id;            /* NULL: connection-wide */

  /* AUDIO */
  GBytes *audio;                /* decoded audio bytes; NULL when the chunk has none */
  gint processed_chars;         /* usage.processedCharactersCount, -1 if absent */
  gint64 sequence;              /* SLNG sequence number, -1 if absent */
  InworldTimings *timings;      /* NULL when absent or empty */

  /* FLUSH_COMPLETED (SLNG audio_end): duration in seconds, < 0 if unknown */
  gdouble duration;

  /* ERROR, DISCONNECTED and INVALID_FRAME */
  gint code;                    /* ERROR: gRPC-style status code, 0 if none;
                                 * DISCONNECTED: HTTP status of a refused
                                 * upgrade, else the WebSocket close code */
  gchar *code_name;             /* SLNG string code; Inworld: the error's
                                 * string "status" (INVALID_ARGUMENT) or
                                 * first details[].errorType
                                 * (SESSION_TOKEN_INVALID); or NULL */
  gchar *message;               /* ERROR: never NULL (parsers fill in
                                 * a generic text when the server sent none);
                                 * INVALID_FRAME: what was wrong */
  gboolean fatal;               /* the server will close the socket (auth) */

  /* the size of the frame it came in, on the first event parsed from a
   * frame (0 on the others and on events made locally) */
  gsize frame_size;
} InworldEvent;

void inworld_timings_free (InworldTimings * timings);

InworldEvent *inworld_event_new (InworldEventType type, const gchar * context_id);
void inworld_event_free (InworldEvent * event);
const gchar *inworld_event_type_name (InworldEventType type);

/* One protocol. Builders return a newly allocated JSON text frame;
 * build_update_config is NULL when the protocol cannot change a running
 * context. parse() turns one received TEXT frame into zero or more events
 * (appended to @events, which owns them with inworld_event_free); it
 * returns FALSE with @error set when the frame is not valid for the
 * protocol (not JSON, wrong types, bad base64). A valid frame the client
 * need not act on yields no event and TRUE; a valid frame with a bad
 * metadata field (usage, timestampInfo) yields its audio and an
 * INVALID_FRAME event saying what was ignored.
 *
 * Everything else that differs between the protocols is a field here, so
 * that the layers above never test which protocol they speak. */
typedef struct
{
  InworldProtocolKind kind;
  const gchar *name;

  /* contexts one connection carries: 5 for Inworld; 1 for SLNG, whose
   * connection is one session */
  guint contexts_per_connection;
  /* the scheme word of the Authorization header */
  const gchar *auth_scheme;
  /* where the key comes from when the api-key property is unset */
  const gchar *api_key_env;
  /* the server answers create with contextCreated */
  gboolean acks_create;
  /* the server answers close with contextClosed, after the audio of what
   * was sent; FALSE: close ends the session at once and stops its audio,
   * unanswered (SLNG), so it is sent only once all audio has come */
  gboolean acks_close;
  /* word and character timings can be asked for */
  gboolean timings;
  /* auto mode has an end-of-turn marker (contextClosed), so it can be
   * used */
  gboolean auto_mode;
  /* audio chunks carry sequence numbers */
  gboolean sequenced;
  /* the sample rates the server takes, 0-terminated; NULL: any from
   * 8000 to 48000 */
  const gint *sample_rates;

  gchar *(*build_create) (const gchar * context_id,
      const InworldSynthConfig * config);
  gchar *(*build_send_text) (const gchar * context_id, const gchar * text,
      gboolean flush);
  gchar *(*build_flush) (const gchar * context_id);
  gchar *(*build_update_config) (const gchar * context_id,
      const InworldSynthConfig * config);
  gchar *(*build_close) (const gchar * context_id);

  gboolean (*parse) (const gchar * frame, gsize length, GPtrArray * events,
      GError ** error);
} InworldProtocol;

const InworldProtocol *inworld_protocol_get (InworldProtocolKind kind);

#define INWORLD_PROTOCOL_ERROR (inworld_protocol_error_quark ())
GQuark inworld_protocol_error_quark (void);

typedef enum
{
  INWORLD_PROTOCOL_ERROR_NOT_JSON,
  INWORLD_PROTOCOL_ERROR_BAD_FRAME,
  INWORLD_PROTOCOL_ERROR_BAD_BASE64,
} InworldProtocolError;

G_END_DECLS
