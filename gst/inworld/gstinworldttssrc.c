/* inworldttssrc: text to speech with Inworld's streaming WebSocket API
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-inworldttssrc
 * @title: inworldttssrc
 *
 * Speaks text with Inworld's streaming text-to-speech service. The text is
 * sent over a WebSocket (`wss://api.inworld.ai/tts/v1/voice:streamBidirectional`
 * by default) and the audio that comes back is pushed downstream with
 * sample-exact timestamps, starting at 0 and without gaps. Downstream caps
 * choose the encoding: raw PCM, MP3, Opus, FLAC, A-law or mu-law, always
 * in whole frames.
 *
 * Text comes from the #GstInworldTtsSrc:text property, from buffers on the
 * request pad `sink` (`text/x-raw`, utf8 or pango-markup: a timed buffer is
 * one utterance, spoken from its running time on; untimed text is cut at
 * sentence ends, see #GstInworldTtsSrc:text-segmentation), or from the
 * application through the action signals #GstInworldTtsSrc::push-text,
 * #GstInworldTtsSrc::flush, #GstInworldTtsSrc::end-of-stream and
 * #GstInworldTtsSrc::interrupt. Each utterance's speech starts at its time
 * or right after the previous speech, whichever is later; the silence
 * between is a GAP event. Each utterance is spoken with the settings
 * (voice, model, language, rate...) in force when it was pushed: a
 * property set afterwards applies to later text only. Long text is cut at
 * sentence (then word) boundaries into pieces the API accepts (1000
 * characters at most, or #GstInworldTtsSrc:buffer-char-threshold).
 *
 * After the last buffer of each utterance the element pushes a serialized
 * custom downstream event and posts an element message, both carrying a
 * #GstStructure named `inworld-flush-completed` with the fields
 * `context-id` (string), `flush-index` (guint, from 1), `timestamp`
 * (#GstClockTime where that utterance's audio ends) and `characters`
 * (guint, characters the server synthesized); the message also has
 * `running-time` and `stream-time`. An utterance with nothing to speak
 * (no letter or digit: `...`, `♪`) is not sent; it still gets its
 * flush-completed, at its place on the timeline. In auto mode the server
 * decides where its syntheses go, and each synthesis gets a
 * flush-completed of its own. Once the text is spoken (the text property
 * alone, upstream EOS on the sink pad, the
 * #GstInworldTtsSrc::end-of-stream signal, or an EOS event sent to the
 * element or the pipeline, as `gst-launch-1.0 -e` does) the server
 * context is closed and the element sends EOS.
 *
 * The API key is taken from the write-only #GstInworldTtsSrc:api-key
 * property or, when that is unset, from the `INWORLD_API_KEY` environment
 * variable. Prefer the environment: gst-launch-1.0 logs its whole command
 * line at debug level.
 *
 * ## Example launch line
 * |[
 * INWORLD_API_KEY=... gst-launch-1.0 inworldttssrc text="Hello from GStreamer" ! audio/x-raw,rate=24000 ! wavenc ! filesink location=hello.wav
 * ]| Speaks one sentence at 24 kHz into a WAV file.
 * |[
 * INWORLD_API_KEY=... gst-launch-1.0 inworldttssrc text="Good morning" voice=Dennis ! audioconvert ! autoaudiosink
 * ]| Speaks with another voice on the sound card.
 * |[
 * INWORLD_API_KEY=... gst-launch-1.0 inworldttssrc text="Hello" ! audio/x-opus ! webmmux ! filesink location=hello.webm
 * ]| The caps choose the encoding the server sends (here Ogg Opus, output
 * as Opus packets); MP3, FLAC, A-law and mu-law work the same way.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstinworldttssrcpriv.h"
#include "gstinworldelements.h"
#include "inworlddebug.h"
#include "inworldpool.h"
#include "inworldtext.h"
#include "inworldspeakers.h"
#include "gstinworldttsutterance.h"

#include <gst/audio/audio.h>
#include <string.h>

GST_DEBUG_CATEGORY (gst_inworld_tts_src_debug);

#define DEFAULT_VOICE "Ashley"
#define DEFAULT_MODEL "inworld-tts-1.5-max"
#define DEFAULT_LANGUAGE NULL
#define DEFAULT_TEMPERATURE 0.0
#define DEFAULT_SPEAKING_RATE 1.0
#define DEFAULT_ENCODING GST_INWORLD_TTS_ENCODING_AUTO
#define DEFAULT_BITRATE 0
#define DEFAULT_IS_LIVE FALSE
#define DEFAULT_LATENCY (300 * GST_MSECOND)
#define DEFAULT_IDLE GST_INWORLD_TTS_IDLE_GAP
#define DEFAULT_TIMEOUT 15
#define DEFAULT_AUTO_MODE FALSE
#define DEFAULT_TIMESTAMP_TYPE GST_INWORLD_TTS_TIMESTAMP_NONE
#define DEFAULT_TIMESTAMP_TRANSPORT GST_INWORLD_TTS_TIMESTAMP_TRANSPORT_ASYNC
#define DEFAULT_TEXT_NORMALIZATION GST_INWORLD_TTS_TEXT_NORMALIZATION_AUTO
#define DEFAULT_DELIVERY_MODE GST_INWORLD_TTS_DELIVERY_MODE_DEFAULT
#define DEFAULT_AUTO_MODE_STRATEGY \
  GST_INWORLD_TTS_AUTO_MODE_STRATEGY_CLIENT_SEGMENTED
#define DEFAULT_BUFFER_CHAR_THRESHOLD 0
#define DEFAULT_MAX_BUFFER_DELAY 0
#define DEFAULT_PROTOCOL GST_INWORLD_TTS_PROTOCOL_AUTO
#define DEFAULT_REGION NULL
#define DEFAULT_SSL_STRICT TRUE
#define DEFAULT_SSL_CA_FILE NULL
#define DEFAULT_PROXY NULL
#define DEFAULT_KEEPALIVE 60
#define DEFAULT_TEXT_SEGMENTATION GST_INWORLD_TTS_TEXT_SEGMENTATION_AUTO
#define DEFAULT_VOICE_MAP NULL
#define DEFAULT_CACHE_DIR NULL
#define DEFAULT_CACHE_SIZE (G_GUINT64_CONSTANT (100) * 1024 * 1024)
#define DEFAULT_OVERFLOW GST_INWORLD_TTS_OVERFLOW_SHIFT
#define DEFAULT_MAX_OVERFLOW 0
#define DEFAULT_CAPTION_UNIT GST_INWORLD_TTS_CAPTION_UNIT_WORD
#define DEFAULT_INTERRUPT_MODE GST_INWORLD_TTS_INTERRUPT_MODE_FLUSH

enum
{
  PROP_0,
  PROP_TEXT,
  PROP_API_KEY,
  PROP_URI,
  PROP_VOICE,
  PROP_MODEL,
  PROP_LANGUAGE,
  PROP_TEMPERATURE,
  PROP_SPEAKING_RATE,
  PROP_ENCODING,
  PROP_BITRATE,
  PROP_IS_LIVE,
  PROP_LATENCY,
  PROP_TIMEOUT,
  PROP_AUTO_MODE,
  PROP_TIMESTAMP_TYPE,
  PROP_PROTOCOL,
  PROP_REGION,
  PROP_SSL_STRICT,
  PROP_SSL_CA_FILE,
  PROP_PROXY,
  PROP_KEEPALIVE,
  PROP_TIMESTAMP_TRANSPORT,
  PROP_TEXT_NORMALIZATION,
  PROP_DELIVERY_MODE,
  PROP_AUTO_MODE_STRATEGY,
  PROP_BUFFER_CHAR_THRESHOLD,
  PROP_MAX_BUFFER_DELAY,
  PROP_STATS,
  PROP_TEXT_SEGMENTATION,
  PROP_VOICE_MAP,
  PROP_CACHE_DIR,
  PROP_CACHE_SIZE,
  PROP_OVERFLOW,
  PROP_MAX_OVERFLOW,
  PROP_CAPTION_UNIT,
  PROP_INTERRUPT_MODE,
  PROP_IDLE,
};

enum
{
  SIGNAL_PUSH_TEXT,
  SIGNAL_PUSH_UTTERANCE,
  SIGNAL_FLUSH,
  SIGNAL_END_OF_STREAM,
  SIGNAL_INTERRUPT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (INWORLD_AUDIO_CAPS));

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("text/x-raw, format = (string) { utf8, pango-markup }"));

static GstStaticPadTemplate text_src_template =
GST_STATIC_PAD_TEMPLATE ("text_src",
    GST_PAD_SRC,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("text/x-raw, format = (string) utf8"));

#define gst_inworld_tts_src_parent_class parent_class
G_DEFINE_TYPE (GstInworldTtsSrc, gst_inworld_tts_src, GST_TYPE_ELEMENT);

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (inworldttssrc, "inworldttssrc",
    GST_RANK_NONE, GST_TYPE_INWORLD_TTS_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_inworld_tts_src_debug, "inworldttssrc", 0,
        "Inworld text-to-speech source");
    GST_DEBUG_CATEGORY_INIT (gst_inworld_tts_captions_debug,
        "inworldcaptions", 0, "Captions of inworldttssrc (text_src pad)");
    inworld_debug_init ());

/* ------------------------------------------------------------------------
 * Settings
 * ------------------------------------------------------------------------ */

static const gchar *
gst_inworld_tts_src_key_env (InworldProtocolKind kind)
{
  return inworld_protocol_get (kind)->api_key_env;
}

gchar *
gst_inworld_tts_src_resolve_api_key (GstInworldTtsSrc * self,
    InworldProtocolKind kind)
{
  gchar *key;

  GST_OBJECT_LOCK (self);
  key = g_strdup (self->api_key);
  GST_OBJECT_UNLOCK (self);
  if (key == NULL || *key == '\0') {
    const gchar *env = g_getenv (gst_inworld_tts_src_key_env (kind));
    inworld_secret_free (key);
    key = (env && *env) ? g_strdup (env) : NULL;
  }
  return key;
}

InworldProtocolKind
gst_inworld_tts_src_resolve_target (GstInworldTtsSrc * self, gchar ** uri)
{
  InworldProtocolKind kind;
  gboolean default_uri;

  GST_OBJECT_LOCK (self);
  default_uri = g_strcmp0 (self->uri, DEFAULT_URI) == 0;
  switch (self->protocol) {
    case GST_INWORLD_TTS_PROTOCOL_SLNG:
      kind = INWORLD_PROTOCOL_SLNG;
      break;
    case GST_INWORLD_TTS_PROTOCOL_INWORLD:
      kind = INWORLD_PROTOCOL_INWORLD;
      break;
    case GST_INWORLD_TTS_PROTOCOL_AUTO:
    default:
      kind = self->uri && strstr (self->uri, "/tts/slng/") ?
          INWORLD_PROTOCOL_SLNG : INWORLD_PROTOCOL_INWORLD;
      break;
  }
  /* the default URI is Inworld's: SLNG has its own */
  *uri = g_strdup (kind == INWORLD_PROTOCOL_SLNG && default_uri ?
      DEFAULT_SLNG_URI : self->uri);
  GST_OBJECT_UNLOCK (self);
  return kind;
}

InworldSynthConfig *
gst_inworld_tts_src_read_config (GstInworldTtsSrc * self)
{
  static const InworldTimestampType timestamp_types[] = {
    [GST_INWORLD_TTS_TIMESTAMP_NONE] = INWORLD_TIMESTAMP_NONE,
    [GST_INWORLD_TTS_TIMESTAMP_WORD] = INWORLD_TIMESTAMP_WORD,
    [GST_INWORLD_TTS_TIMESTAMP_CHARACTER] = INWORLD_TIMESTAMP_CHARACTER,
  };
  static const InworldTimestampTransport transports[] = {
    [GST_INWORLD_TTS_TIMESTAMP_TRANSPORT_SYNC] =
        INWORLD_TIMESTAMP_TRANSPORT_SYNC,
    [GST_INWORLD_TTS_TIMESTAMP_TRANSPORT_ASYNC] =
        INWORLD_TIMESTAMP_TRANSPORT_ASYNC,
  };
  static const InworldTextNormalization normalizations[] = {
    [GST_INWORLD_TTS_TEXT_NORMALIZATION_AUTO] =
        INWORLD_TEXT_NORMALIZATION_AUTO,
    [GST_INWORLD_TTS_TEXT_NORMALIZATION_ON] = INWORLD_TEXT_NORMALIZATION_ON,
    [GST_INWORLD_TTS_TEXT_NORMALIZATION_OFF] = INWORLD_TEXT_NORMALIZATION_OFF,
  };
  static const InworldDeliveryMode delivery_modes[] = {
    [GST_INWORLD_TTS_DELIVERY_MODE_DEFAULT] = INWORLD_DELIVERY_MODE_UNSET,
    [GST_INWORLD_TTS_DELIVERY_MODE_STABLE] = INWORLD_DELIVERY_MODE_STABLE,
    [GST_INWORLD_TTS_DELIVERY_MODE_BALANCED] = INWORLD_DELIVERY_MODE_BALANCED,
    [GST_INWORLD_TTS_DELIVERY_MODE_CREATIVE] = INWORLD_DELIVERY_MODE_CREATIVE,
  };
  InworldSynthConfig config;
  InworldSynthConfig *copy;

  inworld_synth_config_init (&config);
  GST_OBJECT_LOCK (self);
  config.voice = self->voice;
  config.model = self->model;
  config.language = self->language;
  config.temperature = self->temperature;
  /* 1.0 is the service's default: not sent */
  config.speaking_rate = self->speaking_rate == DEFAULT_SPEAKING_RATE ? 0.0 :
      self->speaking_rate;
  config.auto_mode = self->auto_mode;
  /* CLIENT_SEGMENTED is the service's default: not sent */
  config.auto_mode_strategy = self->auto_mode_strategy ==
      GST_INWORLD_TTS_AUTO_MODE_STRATEGY_SENTENCE_BOUNDARY ?
      INWORLD_AUTO_MODE_STRATEGY_SENTENCE_BOUNDARY :
      INWORLD_AUTO_MODE_STRATEGY_UNSET;
  config.timestamp_type = timestamp_types[self->timestamp_type];
  /* captions need word timings, whether or not messages are wanted */
  if (self->textpad && config.timestamp_type == INWORLD_TIMESTAMP_NONE)
    config.timestamp_type = INWORLD_TIMESTAMP_WORD;
  config.timestamp_transport = transports[self->timestamp_transport];
  config.text_normalization = normalizations[self->text_normalization];
  config.delivery_mode = delivery_modes[self->delivery_mode];
  config.buffer_char_threshold = self->buffer_char_threshold ?
      (gint) self->buffer_char_threshold : -1;
  config.max_buffer_delay_ms = self->max_buffer_delay ?
      (gint) self->max_buffer_delay : -1;
  copy = inworld_synth_config_dup (&config);
  GST_OBJECT_UNLOCK (self);
  return copy;
}

/* ------------------------------------------------------------------------
 * Text from the application and from upstream
 * ------------------------------------------------------------------------ */

static gboolean
is_live (GstInworldTtsSrc * self)
{
  gboolean live;

  GST_OBJECT_LOCK (self);
  live = self->is_live;
  GST_OBJECT_UNLOCK (self);
  return live;
}

/* When speech of text handed over now may start: live, the running time
 * of its arrival (NONE before PLAYING); otherwise @pts, or right after
 * the previous speech. */
static guint64
speech_start (GstInworldTtsSrc * self, GstClockTime pts)
{
  GstClockTime start = is_live (self) ?
      gst_element_get_current_running_time (GST_ELEMENT (self)) : pts;

  return GST_CLOCK_TIME_IS_VALID (start) ? start : INWORLD_SESSION_NO_TIME;
}

/* Text handed over while the element is not running (NULL, READY), with
 * the settings in force then: spoken once it runs. */
typedef struct
{
  gchar *text;
  gboolean flush;
  InworldSynthConfig *config;
  guint64 start;                /* push-utterance's start, or NO_TIME */
  gchar *speaker;
} InworldPendingText;

static void
pending_text_free (InworldPendingText * p)
{
  g_free (p->text);
  inworld_synth_config_free (p->config);
  g_free (p->speaker);
  g_free (p);
}

/* Hands @text to the running session, under `lock`, and notes it where
 * the element keeps track of what it handed over: the cue starts of the
 * overflow policy and the ledger of inworld-interrupted. */
static void
hand_over (GstInworldTtsSrc * self, const gchar * text, gboolean flush,
    const InworldSynthConfig * config, guint64 start, const gchar * speaker)
{
  inworld_session_speak_as (self->session, text, flush, config, start,
      speaker);
  gst_inworld_tts_src_note_cue (self, start);
  gst_inworld_tts_heard_add_text (self->heard, text);
}

/* Hands @text to the session with @config (taken), or keeps it for the
 * next activation when the element is not running; FALSE when the
 * stream has ended. @start: when its speech may start (NO_TIME: right
 * after the previous speech); @speaker: who says it, or NULL. */
static gboolean
speak_full (GstInworldTtsSrc * self, const gchar * text, gboolean flush,
    InworldSynthConfig * config, guint64 start, const gchar * speaker)
{
  gboolean accepted;

  g_mutex_lock (&self->lock);
  if (self->session) {
    accepted = !self->eos_requested && !self->finished;
    if (accepted)
      hand_over (self, text, flush, config, start, speaker);
  } else {
    accepted = !self->pending_eos;
    if (accepted) {
      InworldPendingText *p = g_new0 (InworldPendingText, 1);

      p->text = g_strdup (text);
      p->flush = flush;
      p->config = g_steal_pointer (&config);
      p->start = start;
      p->speaker = g_strdup (speaker);
      g_queue_push_tail (&self->pending, p);
      GST_DEBUG_OBJECT (self, "not running: text kept for when it runs (%u "
          "waiting)", self->pending.length);
    }
  }
  g_mutex_unlock (&self->lock);
  if (config)
    inworld_synth_config_free (config);
  return accepted;
}

/* @config with the voice the voice-map gives @speaker; a speaker the map
 * lacks keeps the voice of @config, with one warning per name until the
 * voice-map changes. Takes the object lock. */
static void
resolve_speaker (GstInworldTtsSrc * self, InworldSynthConfig * config,
    const gchar * speaker)
{
  const gchar *mapped;
  gchar *voice = NULL;
  gboolean warn = FALSE;

  if (speaker == NULL)
    return;
  GST_OBJECT_LOCK (self);
  mapped = inworld_voice_map_lookup (self->voice_map, speaker);
  if (mapped)
    voice = g_strdup (mapped);
  else
    warn = g_hash_table_add (self->unknown_speakers, g_strdup (speaker));
  GST_OBJECT_UNLOCK (self);
  if (voice) {
    g_free ((gchar *) config->voice);
    config->voice = voice;
  } else if (warn) {
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("Speaker '%s' has no voice in voice-map: spoken with voice '%s'.",
            speaker, config->voice), ("add '%s=VOICE' to the voice-map "
            "property", speaker), ("speaker", G_TYPE_STRING, speaker,
            NULL));
  }
}

/* Hands text from a buffer timed @pts, the application or the text
 * property over, with the settings in force now; with WebVTT voice tags
 * in it, each turn is an utterance of its own, in order, with its
 * speaker's voice: the first at @pts, the others right after it, all but
 * the last flushed (the last as @flush says). @speaker: the voice span
 * @text begins in, updated to the one it ends in (the sink pad's cut
 * text), or NULL. FALSE when the stream has ended. */
static gboolean
speak_text (GstInworldTtsSrc * self, const gchar * text, gboolean flush,
    GstClockTime pts, gchar ** speaker)
{
  gchar *after = NULL;
  GPtrArray *turns = inworld_speakers_split (text, speaker ? *speaker : NULL,
      &after);
  gboolean accepted = TRUE, auto_mode;

  GST_OBJECT_LOCK (self);
  auto_mode = self->auto_mode;
  GST_OBJECT_UNLOCK (self);
  for (guint i = 0; i < turns->len; i++) {
    InworldTurn *turn = g_ptr_array_index (turns, i);
    InworldSynthConfig *config = gst_inworld_tts_src_read_config (self);
    guint64 start = speech_start (self, i == 0 ? pts : GST_CLOCK_TIME_NONE);
    gboolean last = i + 1 == turns->len;

    resolve_speaker (self, config, turn->speaker);
    if (turns->len > 1)
      GST_DEBUG_OBJECT (self, "turn %u of %u: %s (voice %s): %s", i + 1,
          turns->len, turn->speaker, config->voice, turn->text);
    /* in auto mode the server decides where syntheses go */
    if (!speak_full (self, turn->text, last || auto_mode ? flush : TRUE,
            config, start, turn->speaker))
      accepted = FALSE;
  }
  g_ptr_array_unref (turns);
  if (speaker) {
    g_free (*speaker);
    *speaker = after;
  } else {
    g_free (after);
  }
  return accepted;
}

static gboolean
gst_inworld_tts_src_push_text (GstInworldTtsSrc * self, const gchar * text,
    gboolean flush)
{
  gsize bad;

  if (text == NULL || !inworld_text_validate (text, -1, &bad)) {
    GST_WARNING_OBJECT (self, "push-text: not UTF-8 text (bad byte at %"
        G_GSIZE_FORMAT "), ignored", text ? bad : 0);
    return FALSE;
  }
  if (!speak_text (self, text, flush, GST_CLOCK_TIME_NONE, NULL)) {
    GST_WARNING_OBJECT (self, "push-text: the stream has ended "
        "(end-of-stream); text refused");
    return FALSE;
  }
  return TRUE;
}

/* A warning about a push-utterance call, on the bus. */
static void
utterance_warning (GstInworldTtsSrc * self, const gchar * message)
{
  GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS, ("%s", message),
      ("push-utterance knows the fields %s",
          gst_inworld_tts_utterance_settings_known ()));
}

static gboolean
gst_inworld_tts_src_push_utterance (GstInworldTtsSrc * self,
    const gchar * text, const GstStructure * settings)
{
  GstInworldTtsUtteranceSettings u;
  InworldSynthConfig *config;
  gchar *problem = NULL, *message;
  guint64 start;
  gsize bad;
  gboolean accepted;

  if (text == NULL || !inworld_text_validate (text, -1, &bad)) {
    message = g_strdup_printf ("push-utterance: the text is not UTF-8 (bad "
        "byte at offset %" G_GSIZE_FORMAT "); the utterance is refused.",
        text ? bad : 0);
    utterance_warning (self, message);
    g_free (message);
    return FALSE;
  }
  if (!gst_inworld_tts_utterance_settings_read (settings, &u, &problem)) {
    message = g_strdup_printf ("push-utterance: %s; the utterance is "
        "refused.", problem);
    utterance_warning (self, message);
    g_free (message);
    g_free (problem);
    gst_inworld_tts_utterance_settings_clear (&u);
    return FALSE;
  }
  if (u.unknown) {
    gchar *names;

    g_ptr_array_add (u.unknown, NULL);
    names = g_strjoinv (", ", (gchar **) u.unknown->pdata);
    g_ptr_array_remove_index (u.unknown, u.unknown->len - 1);
    message = g_strdup_printf ("push-utterance: unknown field(s) %s "
        "ignored.", names);
    utterance_warning (self, message);
    g_free (message);
    g_free (names);
  }

  /* the properties, the speaker's voice, then what the call gives */
  config = gst_inworld_tts_src_read_config (self);
  if (u.voice == NULL)
    resolve_speaker (self, config, u.speaker);
  gst_inworld_tts_utterance_settings_apply (&u, config);
  start = GST_CLOCK_TIME_IS_VALID (u.start) ? u.start :
      speech_start (self, GST_CLOCK_TIME_NONE);
  GST_DEBUG_OBJECT (self, "push-utterance (voice %s, speaker %s, start %"
      GST_TIME_FORMAT "): %s", config->voice, u.speaker,
      GST_TIME_ARGS (u.start), text);
  accepted = speak_full (self, text, u.flush, config, start, u.speaker);
  if (!accepted)
    GST_WARNING_OBJECT (self, "push-utterance: the stream has ended "
        "(end-of-stream); text refused");
  gst_inworld_tts_utterance_settings_clear (&u);
  return accepted;
}

static void sink_text_finish (GstInworldTtsSrc * self, gboolean at_end);
static void sink_text_forget (GstInworldTtsSrc * self);

static void
gst_inworld_tts_src_flush (GstInworldTtsSrc * self)
{
  /* the sink pad's sentence under way ends here */
  sink_text_finish (self, FALSE);
  g_mutex_lock (&self->lock);
  if (self->session && !self->eos_requested) {
    inworld_session_flush (self->session);
  } else if (!self->session && self->pending.tail) {
    /* not running: the text kept last is flushed when spoken */
    ((InworldPendingText *) self->pending.tail->data)->flush = TRUE;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_inworld_tts_src_end_of_stream (GstInworldTtsSrc * self)
{
  /* what the sink pad holds is the end of its text */
  sink_text_finish (self, TRUE);
  g_mutex_lock (&self->lock);
  if (self->session && !self->eos_requested) {
    self->eos_requested = TRUE;
    inworld_session_end (self->session);
  } else if (!self->session) {
    /* not running: the stream ends after the kept text once it runs */
    self->pending_eos = TRUE;
  }
  g_mutex_unlock (&self->lock);
}

/* What the cutter holds and a cut character go; under sink_lock. */
static void
sink_text_reset (GstInworldTtsSrc * self)
{
  g_string_truncate (self->sink_tail, 0);
  if (self->cutter)
    inworld_sentence_cutter_reset (self->cutter);
  self->cutter_pts = GST_CLOCK_TIME_NONE;
  g_clear_pointer (&self->sink_speaker, g_free);
}

/* Speaks what the cutter holds (EOS, the flush signal, a change of
 * segmentation); @at_end, a character cut at the end goes too. Under
 * sink_lock. */
static void
sink_text_drain (GstInworldTtsSrc * self, gboolean flush, gboolean at_end)
{
  gchar *rest = self->cutter ? inworld_sentence_cutter_finish (self->cutter)
      : NULL;

  if (rest && inworld_text_has_speech (rest)) {
    GST_DEBUG_OBJECT (self, "utterance from %" GST_TIME_FORMAT
        " (the end of the text): %s", GST_TIME_ARGS (self->cutter_pts), rest);
    if (!speak_text (self, rest, flush, self->cutter_pts,
            &self->sink_speaker))
      GST_DEBUG_OBJECT (self, "text after the end of the stream, dropped");
  } else if (rest) {
    GST_DEBUG_OBJECT (self, "nothing to speak at the end of the text");
  }
  g_free (rest);
  self->cutter_pts = GST_CLOCK_TIME_NONE;
  if (at_end && self->sink_tail->len > 0) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("The text ends inside a UTF-8 character: its last %" G_GSIZE_FORMAT
            " bytes were dropped.", self->sink_tail->len), (NULL));
    g_string_truncate (self->sink_tail, 0);
  }
}

/* The flush and end-of-stream signals and EOS (@at_end) end the text of
 * the sink pad too: what it holds is spoken. */
static void
sink_text_finish (GstInworldTtsSrc * self, gboolean at_end)
{
  gboolean auto_mode;

  GST_OBJECT_LOCK (self);
  auto_mode = self->auto_mode;
  GST_OBJECT_UNLOCK (self);
  g_mutex_lock (&self->sink_lock);
  sink_text_drain (self, !auto_mode, at_end);
  g_mutex_unlock (&self->sink_lock);
}

/* How the text of a buffer timed @pts becomes utterances: -1 for one
 * utterance, else the cutter's segmentation. */
static gint
sink_segmentation (GstInworldTtsSrc * self, GstClockTime pts)
{
  GstInworldTtsTextSegmentation how;

  GST_OBJECT_LOCK (self);
  how = self->text_segmentation;
  GST_OBJECT_UNLOCK (self);
  switch (how) {
    case GST_INWORLD_TTS_TEXT_SEGMENTATION_BUFFER:
      return -1;
    case GST_INWORLD_TTS_TEXT_SEGMENTATION_LINE:
      return INWORLD_SEGMENT_LINE;
    case GST_INWORLD_TTS_TEXT_SEGMENTATION_SENTENCE:
      return INWORLD_SEGMENT_SENTENCE;
    default:
      /* timed text (subtitles) keeps its cues; a byte stream is cut */
      return GST_CLOCK_TIME_IS_VALID (pts) ? -1 : INWORLD_SEGMENT_SENTENCE;
  }
}

/* Hands @text, from a buffer timed @pts, over: whole, or cut by the
 * cutter, each piece with the time of the buffer it began in; under
 * sink_lock. */
static void
sink_text_speak (GstInworldTtsSrc * self, const gchar * text,
    GstClockTime pts, guint64 index, gboolean flush)
{
  gint how = sink_segmentation (self, pts);
  gchar **pieces;
  gsize held;

  if (self->cutter && (how < 0 || (InworldSegmentation) how !=
          self->cutter_how))
    sink_text_drain (self, flush, FALSE);
  if (how < 0) {
    GST_DEBUG_OBJECT (self, "utterance %" G_GUINT64_FORMAT " from %"
        GST_TIME_FORMAT ": %s", index, GST_TIME_ARGS (pts), text);
    /* a cue with nothing to speak is an utterance too: it takes its place
     * on the timeline and gets its flush-completed */
    if (!speak_text (self, text, flush, pts, NULL))
      GST_DEBUG_OBJECT (self, "text buffer %" G_GUINT64_FORMAT " after the "
          "end of the stream, dropped", index);
    return;
  }

  if (self->cutter == NULL || self->cutter_how != (InworldSegmentation) how) {
    inworld_sentence_cutter_free (self->cutter);
    self->cutter = inworld_sentence_cutter_new (how, INWORLD_MAX_TEXT_CHARS);
    self->cutter_how = how;
  }
  held = inworld_sentence_cutter_pending (self->cutter);
  pieces = inworld_sentence_cutter_feed (self->cutter, text, -1);
  for (guint i = 0; pieces[i]; i++) {
    GstClockTime t = (i == 0 && held > 0) ? self->cutter_pts : pts;

    GST_DEBUG_OBJECT (self, "utterance from %" GST_TIME_FORMAT
        " (buffer %" G_GUINT64_FORMAT "): %s", GST_TIME_ARGS (t), index,
        pieces[i]);
    if (!speak_text (self, pieces[i], flush, t, &self->sink_speaker))
      GST_DEBUG_OBJECT (self, "text after the end of the stream, dropped");
  }
  /* what is held now began in this buffer, unless nothing was cut */
  if (pieces[0] || held == 0)
    self->cutter_pts = pts;
  g_strfreev (pieces);
}

/* "PTS 0:00:01.000000000", or "no PTS" (GST_TIME_ARGS of NONE prints
 * 99:99:99.999999999), for messages; @str holds at least 32 bytes. */
static const gchar *
pts_string (GstClockTime pts, gchar * str, gsize size)
{
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return "no PTS";
  g_snprintf (str, size, "PTS %" GST_TIME_FORMAT, GST_TIME_ARGS (pts));
  return str;
}

static GstFlowReturn
gst_inworld_tts_src_sink_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (parent);
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  GstMapInfo map;
  const gchar *data;
  gsize size, tail, carried, bad = 0;
  gchar *text = NULL;
  guint64 index = ++self->sink_buffers;
  gboolean auto_mode;
  gchar when[32];

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    goto done;
  if (map.size == 0)
    goto unmap;                 /* nothing at all */

  g_mutex_lock (&self->sink_lock);
  /* a character cut at the end of the buffer before begins this one */
  carried = self->sink_tail->len;
  if (carried > 0) {
    g_string_append_len (self->sink_tail, (const gchar *) map.data, map.size);
    data = self->sink_tail->str;
    size = self->sink_tail->len;
  } else {
    data = (const gchar *) map.data;
    size = map.size;
  }
  tail = inworld_text_incomplete_tail (data, size);
  if (!inworld_text_validate (data, size - tail, &bad)) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Dropped text buffer %" G_GUINT64_FORMAT " (%s): it is not valid "
            "UTF-8 (bad byte at offset %" G_GSIZE_FORMAT ").", index,
            pts_string (GST_BUFFER_PTS (buf), when, sizeof (when)),
            bad > carried ? bad - carried : 0), (NULL));
    g_string_truncate (self->sink_tail, 0);
    goto unlock;
  }
  if (self->sink_markup) {
    GError *error = NULL;

    /* WebVTT voice tags (subparse passes them on) are kept for
     * speak_text() */
    text = inworld_speakers_strip_markup (data, size - tail, &error);
    if (text == NULL) {
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
          ("Dropped text buffer %" G_GUINT64_FORMAT " (%s): it is not "
              "valid Pango markup.", index, pts_string (GST_BUFFER_PTS (buf),
                  when, sizeof (when))), ("%s", error->message));
      g_clear_error (&error);
    }
  } else {
    text = g_strndup (data, size - tail);
  }
  /* keeps the cut character for the next buffer */
  {
    gchar cut[4];

    memcpy (cut, data + size - tail, tail);
    g_string_truncate (self->sink_tail, 0);
    g_string_append_len (self->sink_tail, cut, tail);
  }
  if (text == NULL || size == tail)
    goto unlock;                /* nothing but the cut character yet */

  if (GST_BUFFER_PTS_IS_VALID (buf))
    pts = gst_segment_to_running_time (&self->sink_segment,
        GST_FORMAT_TIME, GST_BUFFER_PTS (buf));
  GST_OBJECT_LOCK (self);
  auto_mode = self->auto_mode;
  GST_OBJECT_UNLOCK (self);
  sink_text_speak (self, text, pts, index, !auto_mode);

unlock:
  g_mutex_unlock (&self->sink_lock);
  g_free (text);
unmap:
  gst_buffer_unmap (buf, &map);
done:
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

/* What the cutter holds, taken (it is reset, a cut character dropped):
 * an interruption drops it, so it was not heard; NULL when none. Under
 * sink_lock. */
static gchar *
sink_text_take (GstInworldTtsSrc * self)
{
  gchar *held = self->cutter ? inworld_sentence_cutter_finish (self->cutter)
      : NULL;

  sink_text_reset (self);
  return held;
}

/* The text held goes (an interruption, a flush upstream). */
static void
sink_text_forget (GstInworldTtsSrc * self)
{
  g_mutex_lock (&self->sink_lock);
  sink_text_reset (self);
  g_mutex_unlock (&self->sink_lock);
}

/* Deactivated (a state change down, a release): the text in progress is
 * forgotten. */
static gboolean
gst_inworld_tts_src_sink_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  sink_text_forget (GST_INWORLD_TTS_SRC (parent));
  return TRUE;
}

/* The flush of a seek forwarded upstream. */
typedef struct
{
  guint32 seqnum;
  GstClockTime time;            /* the stream time it goes to, or NONE */
} SeekFlush;

static void interrupt_full (GstInworldTtsSrc * self, gboolean cancel_eos,
    const SeekFlush * seek);
static void interrupt (GstInworldTtsSrc * self, gboolean cancel_eos);

static gboolean
gst_inworld_tts_src_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      const gchar *format;

      gst_event_parse_caps (event, &caps);
      format = gst_structure_get_string (gst_caps_get_structure (caps, 0),
          "format");
      self->sink_markup = g_strcmp0 (format, "pango-markup") == 0;
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->sink_segment);
      break;
    case GST_EVENT_EOS:
      gst_inworld_tts_src_end_of_stream (self);
      break;
    case GST_EVENT_FLUSH_START:{
      SeekFlush seek = { 0 };
      gboolean ours;

      /* a flushing seek upstream: what was being said is out of date, and
       * upstream goes on after it; our own seek's flush also restarts the
       * output timeline, as a flushing seek does */
      sink_text_forget (self);
      GST_OBJECT_LOCK (self);
      ours = self->seeking;
      if (ours) {
        seek.seqnum = self->seek_seqnum;
        seek.time = self->seek_time;
        self->seeking = FALSE;
      }
      GST_OBJECT_UNLOCK (self);
      interrupt_full (self, TRUE, ours ? &seek : NULL);
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init (&self->sink_segment, GST_FORMAT_TIME);
      sink_text_forget (self);
      break;
    default:
      break;
  }
  /* the speech is a stream of its own: nothing goes on downstream */
  gst_event_unref (event);
  return TRUE;
}

static GstPad *
gst_inworld_tts_src_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (element);
  GstPad *pad;

  if (templ->direction == GST_PAD_SRC)
    return gst_inworld_tts_captions_request_pad (self, templ);
  pad = gst_pad_new_from_template (templ, "sink");
  gst_pad_set_chain_function (pad,
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_sink_chain));
  gst_pad_set_event_function (pad,
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_sink_event));
  gst_pad_set_activatemode_function (pad,
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_sink_activate_mode));
  GST_PAD_SET_PROXY_ALLOCATION (pad);

  GST_OBJECT_LOCK (self);
  if (self->sinkpad) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "there is one sink pad at most");
    gst_object_unref (pad);
    return NULL;
  }
  /* no chain function runs yet: the pad is not added, and a pad released
   * before was deactivated first */
  gst_segment_init (&self->sink_segment, GST_FORMAT_TIME);
  self->sink_markup = FALSE;
  self->sink_buffers = 0;
  self->sinkpad = pad;
  GST_OBJECT_UNLOCK (self);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
gst_inworld_tts_src_release_pad (GstElement * element, GstPad * pad)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (element);

  if (gst_inworld_tts_captions_release_pad (self, pad))
    return;
  /* waits for a chain or event function in progress */
  gst_pad_set_active (pad, FALSE);
  GST_OBJECT_LOCK (self);
  if (self->sinkpad == pad)
    self->sinkpad = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_element_remove_pad (element, pad);
}

/* ------------------------------------------------------------------------
 * Interruptions: gstqueue's flush discipline
 * ------------------------------------------------------------------------ */

/* What was heard and what not (gstinworldttsheard.c), the session told
 * to drop the rest: under `lock`, so that text pushed meanwhile is either
 * in the report and dropped, or after both. */
static GstStructure *
interrupt_session (GstInworldTtsSrc * self, gint epoch, gboolean cancel_eos,
    GstClockTime horizon, gboolean by_clock, gboolean cut, const gchar * held)
{
  GstStructure *report;

  g_mutex_lock (&self->lock);
  report = gst_inworld_tts_heard_cut (self->heard, horizon, by_clock, held,
      cut ? "cut" : "flush");
  inworld_session_interrupt (self->session, epoch, cancel_eos);
  g_mutex_unlock (&self->lock);
  return report;
}

/* The message goes once no lock is held: a synchronous bus handler may
 * interrupt again. */
static void
post_interrupted (GstInworldTtsSrc * self, GstStructure * report,
    gboolean post)
{
  if (report == NULL)
    return;
  if (!post) {
    gst_structure_free (report);
    return;
  }
  GST_INFO_OBJECT (self, "interrupted: %" GST_PTR_FORMAT, report);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), report));
}

/* interrupt-mode=cut, the task paused: the speech goes on from where the
 * pushed audio ended, with a discontinuity and no flush, so timestamps
 * never go back. */
static void
cut_stream (GstInworldTtsSrc * self)
{
  GstClockTime captioned = self->captions.position;

  if (self->framer)
    inworld_audio_framer_reset (self->framer);
  g_clear_pointer (&self->utterance, inworld_utterance_unref);
  gst_inworld_tts_overflow_reset (self);
  self->synthesis = 0;
  self->discont = TRUE;
  /* text_src is not flushed either: its timeline never goes back */
  gst_inworld_tts_captions_restart (self);
  if (GST_CLOCK_TIME_IS_VALID (captioned)
      && captioned > self->captions.position)
    self->captions.position = captioned;
  GST_INFO_OBJECT (self, "cut; speech resumes at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (self->position));
}

/* interrupt-mode=flush, the task paused and downstream flushed: a new
 * segment, and the speech goes on from now (or the seek's start). */
static void
flush_stream (GstInworldTtsSrc * self, const SeekFlush * seek)
{
  GstClockTime now = gst_element_get_current_running_time (GST_ELEMENT
      (self));
  GstEvent *event;

  if (seek) {
    /* a new timeline, from running time 0 */
    self->position = 0;
    now = GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (seek->time))
      self->segment_time = seek->time;
  }
  if (self->segment_sent) {
    GstSegment segment;

    gst_segment_init (&segment, GST_FORMAT_TIME);
    segment.time = self->segment_time;
    event = gst_event_new_segment (&segment);
    if (seek)
      gst_event_set_seqnum (event, seek->seqnum);
    gst_inworld_tts_captions_push_event (self, event);
    gst_pad_push_event (self->srcpad, event);
  }
  if (self->framer)
    inworld_audio_framer_reset (self->framer);
  g_clear_pointer (&self->utterance, inworld_utterance_unref);
  gst_inworld_tts_overflow_reset (self);
  self->synthesis = 0;
  self->discont = TRUE;
  /* what was queued downstream is gone: speak again from now on */
  if (GST_CLOCK_TIME_IS_VALID (now) && now < self->position)
    self->position = now;
  gst_inworld_tts_captions_restart (self);
  GST_INFO_OBJECT (self, "interrupted; speech resumes at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (self->position));
}

/* Text kept before the start, all of it, for the report. */
static gchar *
pending_text (GstInworldTtsSrc * self)
{
  GString *all = g_string_new (NULL);

  for (GList * l = self->pending.head; l; l = l->next)
    g_string_append (all, ((InworldPendingText *) l->data)->text);
  return g_string_free (all, FALSE);
}

/* Stops the speech now, with gstqueue's flush discipline: the output
 * queue flushed (a wait of the task returns), the task paused, the
 * session told (it drops the text and the context, and tags what follows
 * with a new epoch), the task restarted. In flush mode FLUSH_START goes
 * downstream first (a push in progress returns) and FLUSH_STOP before the
 * restart; in cut mode nothing is flushed downstream: the pause waits for
 * the push in progress. Serialized with pad activation by control_lock, so
 * a restart never sees half of it. With @seek (always a flush), the flush
 * is that seek's: its seqnum, the running time reset downstream, and the
 * timeline starting again at 0 (at the seek's stream time). The signal's
 * interruptions (not @cancel_eos: not a flush from upstream) post
 * inworld-interrupted. */
static void
interrupt_full (GstInworldTtsSrc * self, gboolean cancel_eos,
    const SeekFlush * seek)
{
  GstStructure *report = NULL;
  GstClockTime horizon;
  gboolean running, by_clock, cut;
  gint epoch;
  GstEvent *event;
  gchar *held;

  GST_OBJECT_LOCK (self);
  /* a flush from upstream (@cancel_eos) is a flush downstream too */
  cut = seek == NULL && !cancel_eos && self->interrupt_mode ==
      GST_INWORLD_TTS_INTERRUPT_MODE_CUT;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->control_lock);
  /* the sink pad's sentence under way goes with the speech, after all
   * the text handed over: not heard. sink_lock is held until the session
   * is told, so that text arriving meanwhile comes after the cut. */
  g_mutex_lock (&self->sink_lock);
  held = sink_text_take (self);
  g_mutex_lock (&self->lock);
  if (!self->active && (self->pending.length || held)) {
    gchar *pending = pending_text (self);
    gchar *all = g_strconcat (pending, held, NULL);

    GST_INFO_OBJECT (self, "interrupted before the start: %u text(s) "
        "dropped", self->pending.length);
    report = gst_inworld_tts_heard_cut (self->heard, GST_CLOCK_TIME_NONE,
        FALSE, all, cut ? "cut" : "flush");
    g_free (all);
    g_free (pending);
    g_queue_clear_full (&self->pending, (GDestroyNotify) pending_text_free);
  }
  if (!self->active || self->finished) {
    g_mutex_unlock (&self->lock);
    g_mutex_unlock (&self->sink_lock);
    g_mutex_unlock (&self->control_lock);
    g_free (held);
    post_interrupted (self, report, !cancel_eos);
    return;
  }
  if (cancel_eos)
    self->eos_requested = FALSE;
  /* the cues dropped no longer end a slot */
  if (self->cue_starts)
    g_array_set_size (self->cue_starts, 0);
  running = self->running;
  g_mutex_unlock (&self->lock);

  if (!running) {
    /* nothing went downstream yet: only the queued text goes */
    epoch = gst_inworld_tts_src_flush_outputs (self, FALSE, TRUE);
    report = interrupt_session (self, epoch, cancel_eos, GST_CLOCK_TIME_NONE,
        FALSE, cut, held);
    g_mutex_unlock (&self->sink_lock);
    g_mutex_unlock (&self->control_lock);
    g_free (held);
    post_interrupted (self, report, !cancel_eos);
    return;
  }

  GST_INFO_OBJECT (self, "interrupting the speech%s", seek ? " (seek)" :
      cut ? " (cut)" : "");
  /* what a syncing sink has played, judged before its queue goes */
  horizon = gst_inworld_tts_heard_horizon (self, GST_CLOCK_TIME_NONE,
      &by_clock);
  if (!cut) {
    event = gst_event_new_flush_start ();
    if (seek)
      gst_event_set_seqnum (event, seek->seqnum);
    gst_inworld_tts_captions_push_event (self, event);
    gst_pad_push_event (self->srcpad, event);
  }
  epoch = gst_inworld_tts_src_flush_outputs (self, TRUE, TRUE);
  gst_pad_pause_task (self->srcpad);

  /* the task is paused: its state is ours for a moment. Everything it
   * pushed plays when nothing is flushed, else what the clock says. */
  if (cut || !by_clock) {
    horizon = self->position;
    by_clock = FALSE;
  } else {
    horizon = MIN (horizon, self->position);
  }
  report = interrupt_session (self, epoch, cancel_eos, horizon, by_clock, cut,
      held);
  g_mutex_unlock (&self->sink_lock);
  g_clear_pointer (&held, g_free);
  if (!cut) {
    event = gst_event_new_flush_stop (seek != NULL);
    if (seek)
      gst_event_set_seqnum (event, seek->seqnum);
    gst_inworld_tts_captions_push_event (self, event);
    gst_pad_push_event (self->srcpad, event);
  }

  g_mutex_lock (&self->lock);
  if (self->finished) {
    /* it ended (EOS, error) just before the pause */
    g_mutex_unlock (&self->lock);
    gst_inworld_tts_src_flush_outputs (self, FALSE, FALSE);
    g_mutex_unlock (&self->control_lock);
    post_interrupted (self, report, !cancel_eos);
    return;
  }
  g_mutex_unlock (&self->lock);
  if (cut)
    cut_stream (self);
  else
    flush_stream (self, seek);
  gst_inworld_tts_src_flush_outputs (self, FALSE, FALSE);
  gst_pad_start_task (self->srcpad, (GstTaskFunction) gst_inworld_tts_src_loop,
      self->srcpad, NULL);
  g_mutex_unlock (&self->control_lock);
  post_interrupted (self, report, !cancel_eos);
}

static void
interrupt (GstInworldTtsSrc * self, gboolean cancel_eos)
{
  interrupt_full (self, cancel_eos, NULL);
}

static void
gst_inworld_tts_src_interrupt (GstInworldTtsSrc * self)
{
  /* the sink pad's sentence under way goes with the speech (taken in
   * interrupt_full, for the report) */
  interrupt (self, FALSE);
}

/* ------------------------------------------------------------------------
 * The src pad and states
 * ------------------------------------------------------------------------ */

/* Keeps the counters of @session, which is going away (under lock). */
static void
keep_session_stats (GstInworldTtsSrc * self, InworldSession * session)
{
  if (session == NULL)
    return;
  inworld_session_stats_clear (&self->session_stats);
  inworld_session_get_stats (session, &self->session_stats);
}

/* The stats property: the session's counters (what it sent and
 * received) and the element's (what the task pushed). */
static GstStructure *
gst_inworld_tts_src_create_stats (GstInworldTtsSrc * self)
{
  InworldSessionStats session_stats = { 0 };
  GstInworldTtsStats stats;
  GstStructure *s;

  g_mutex_lock (&self->lock);
  if (self->session) {
    inworld_session_get_stats (self->session, &session_stats);
  } else {
    session_stats = self->session_stats;
    session_stats.uri = g_strdup (self->session_stats.uri);
  }
  g_mutex_unlock (&self->lock);

  GST_OBJECT_LOCK (self);
  stats = self->stats;
  GST_OBJECT_UNLOCK (self);

  s = gst_structure_new ("application/x-inworld-tts-stats",
      "characters-sent", G_TYPE_UINT64, session_stats.chars_sent,
      "utterances-completed", G_TYPE_UINT64, stats.utterances,
      "time-to-first-audio-last", GST_TYPE_CLOCK_TIME,
      stats.first_audio_last,
      "time-to-first-audio-mean", GST_TYPE_CLOCK_TIME,
      stats.first_audio_count ? stats.first_audio_total /
      stats.first_audio_count : GST_CLOCK_TIME_NONE,
      "reconnections", G_TYPE_UINT, session_stats.reconnections,
      "late-buffers", G_TYPE_UINT64, stats.late_buffers,
      "bytes-received", G_TYPE_UINT64, session_stats.bytes_received,
      "uri", G_TYPE_STRING, session_stats.uri,
      "connection-id", G_TYPE_UINT, session_stats.connection_id,
      "cache-hits", G_TYPE_UINT64, session_stats.cache_hits,
      "cache-misses", G_TYPE_UINT64, session_stats.cache_misses, NULL);
  inworld_session_stats_clear (&session_stats);
  return s;
}

static void
on_activate (GstInworldTtsSrc * self)
{
  InworldSession *session;
  GPtrArray *turns = NULL, *configs = NULL;
  InworldPendingText *p;
  guint64 start = INWORLD_SESSION_NO_TIME;
  gchar *text;
  gboolean has_sinkpad;

  gst_inworld_tts_src_reset_stream (self);
  if (self->st == NULL)
    self->st = inworld_soup_thread_acquire ();
  session = inworld_session_new (inworld_soup_thread_get_context (self->st),
      inworld_pool_transport (), NULL, gst_inworld_tts_src_queue_output,
      self);
  gst_inworld_tts_src_flush_outputs (self, FALSE, FALSE);

  GST_OBJECT_LOCK (self);
  text = g_strdup (self->text);
  has_sinkpad = self->sinkpad != NULL;
  GST_OBJECT_UNLOCK (self);
  if (text && *text) {
    /* its voice tags make it a dialogue: an utterance per turn */
    turns = inworld_speakers_split (text, NULL, NULL);
    configs = g_ptr_array_new_with_free_func ((GDestroyNotify)
        inworld_synth_config_free);
    for (guint i = 0; i < turns->len; i++) {
      InworldTurn *turn = g_ptr_array_index (turns, i);
      InworldSynthConfig *config = gst_inworld_tts_src_read_config (self);

      resolve_speaker (self, config, turn->speaker);
      g_ptr_array_add (configs, config);
    }
    start = speech_start (self, GST_CLOCK_TIME_NONE);
  }

  /* under the lock all along: text pushed meanwhile comes after */
  g_mutex_lock (&self->lock);
  /* a new session: what is heard counts from its text */
  gst_inworld_tts_heard_free (self->heard);
  self->heard = gst_inworld_tts_heard_new ();
  self->session = session;
  if (self->cue_starts)
    g_array_set_size (self->cue_starts, 0);
  self->active = TRUE;
  self->running = FALSE;
  self->finished = FALSE;
  self->eos_requested = FALSE;
  inworld_session_stats_clear (&self->session_stats);
  /* the text property is the first utterance (or its turns); alone, it
   * is all there is */
  for (guint i = 0; turns && i < turns->len; i++) {
    InworldTurn *turn = g_ptr_array_index (turns, i);

    hand_over (self, turn->text, TRUE, g_ptr_array_index (configs, i),
        i == 0 ? start : INWORLD_SESSION_NO_TIME, turn->speaker);
  }
  /* then what was pushed before the element ran, in order */
  while ((p = g_queue_pop_head (&self->pending))) {
    GST_DEBUG_OBJECT (self, "speaking text pushed before the start");
    hand_over (self, p->text, p->flush, p->config, p->start, p->speaker);
    pending_text_free (p);
  }
  if (self->pending_eos || (turns && !has_sinkpad)) {
    self->eos_requested = TRUE;
    inworld_session_end (session);
  }
  self->pending_eos = FALSE;
  g_mutex_unlock (&self->lock);
  GST_OBJECT_LOCK (self);
  memset (&self->stats, 0, sizeof (self->stats));
  self->stats.first_audio_last = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
  self->first_audio_index = 0;

  if (turns)
    g_ptr_array_unref (turns);
  if (configs)
    g_ptr_array_unref (configs);
  g_free (text);
}

static gboolean
gst_inworld_tts_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (parent);
  InworldSession *session;
  gboolean ok = TRUE;

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  g_mutex_lock (&self->control_lock);
  if (active) {
    on_activate (self);
    ok = gst_pad_start_task (pad, (GstTaskFunction) gst_inworld_tts_src_loop,
        pad, NULL);
  } else {
    g_mutex_lock (&self->lock);
    self->active = FALSE;
    session = g_steal_pointer (&self->session);
    keep_session_stats (self, session);
    g_mutex_unlock (&self->lock);
    gst_inworld_tts_src_flush_outputs (self, TRUE, TRUE);
    gst_pad_stop_task (pad);
    /* the stats stay readable once it is gone */
    g_mutex_lock (&self->lock);
    keep_session_stats (self, session);
    g_mutex_unlock (&self->lock);
    /* no output comes once it returns */
    inworld_session_free (session);
    gst_inworld_tts_src_flush_outputs (self, TRUE, FALSE);
    /* what was spoken is on the disk once the element has stopped, for
     * the next run or another process */
    if (self->cache) {
      inworld_cache_sync (self->cache);
      g_clear_pointer (&self->cache, inworld_cache_unref);
    }
    gst_inworld_tts_src_reset_stream (self);
  }
  g_mutex_unlock (&self->control_lock);
  return ok;
}

/* The request pad, with a reference, or NULL. */
static GstPad *
sink_pad (GstInworldTtsSrc * self)
{
  GstPad *pad;

  GST_OBJECT_LOCK (self);
  pad = self->sinkpad ? gst_object_ref (self->sinkpad) : NULL;
  GST_OBJECT_UNLOCK (self);
  return pad;
}

static gboolean
gst_inworld_tts_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      gboolean live;
      GstClockTime latency;

      GST_OBJECT_LOCK (self);
      live = self->is_live;
      latency = self->latency;
      GST_OBJECT_UNLOCK (self);
      gst_query_set_latency (query, live, live ? latency : 0,
          GST_CLOCK_TIME_NONE);
      return TRUE;
    }
    case GST_QUERY_POSITION:
    case GST_QUERY_DURATION:
    case GST_QUERY_SEEKING:{
      GstPad *sinkpad = sink_pad (self);
      gboolean ret = FALSE;

      /* where the text is, how long it lasts and whether it seeks: the
       * text source knows */
      if (sinkpad) {
        ret = gst_pad_peer_query (sinkpad, query);
        gst_object_unref (sinkpad);
      }
      if (!ret && GST_QUERY_TYPE (query) == GST_QUERY_SEEKING) {
        GstFormat format;

        /* no text source (or one that does not say): speech from the
         * text property or push-text cannot seek */
        gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
        gst_query_set_seeking (query, format, FALSE, -1, -1);
        ret = TRUE;
      }
      return ret;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

/* A seek goes to the text source, which knows where its text is in time;
 * the flush it causes comes back on the sink pad as an interruption that
 * restarts the timeline (interrupt_full). Without a sink pad the speech
 * cannot seek. */
static gboolean
forward_seek (GstInworldTtsSrc * self, GstEvent * event)
{
  GstPad *sinkpad = sink_pad (self);
  GstFormat format;
  GstSeekFlags flags;
  GstSeekType start_type, stop_type;
  gint64 start, stop;
  gdouble rate;
  gboolean ret;

  if (sinkpad == NULL) {
    GST_DEBUG_OBJECT (self, "seek refused: no sink pad, the speech of the "
        "text property or push-text cannot seek");
    gst_event_unref (event);
    return FALSE;
  }
  gst_event_parse_seek (event, &rate, &format, &flags, &start_type, &start,
      &stop_type, &stop);
  GST_DEBUG_OBJECT (self, "seek to %" GST_TIME_FORMAT " (%s): forwarded to "
      "the text source", GST_TIME_ARGS (start), gst_format_get_name (format));
  GST_OBJECT_LOCK (self);
  self->seeking = (flags & GST_SEEK_FLAG_FLUSH) != 0;
  self->seek_seqnum = gst_event_get_seqnum (event);
  self->seek_time = format == GST_FORMAT_TIME && rate > 0.0
      && start_type == GST_SEEK_TYPE_SET ? (GstClockTime) start :
      GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);

  ret = gst_pad_push_event (sinkpad, event);

  GST_OBJECT_LOCK (self);
  self->seeking = FALSE;
  GST_OBJECT_UNLOCK (self);
  gst_object_unref (sinkpad);
  if (!ret)
    GST_DEBUG_OBJECT (self, "the text source refused the seek");
  return ret;
}

static gboolean
gst_inworld_tts_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEEK:
      return forward_seek (self, event);
    case GST_EVENT_RECONFIGURE:
      /* at once, in the thread that asked: text pushed after it (a
       * capsfilter changed, then push-text) gets the new format */
      gst_inworld_tts_src_renegotiate (GST_INWORLD_TTS_SRC (parent));
      return gst_pad_event_default (pad, parent, event);
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

/* EOS sent to the element (gst_element_send_event, or to the pipeline,
 * which sends it to its sources: gst-launch-1.0 -e) ends the speech as
 * the end-of-stream signal does: what is pending is spoken, then EOS. */
static gboolean
gst_inworld_tts_src_send_event (GstElement * element, GstEvent * event)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (element);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    gboolean running;

    g_mutex_lock (&self->lock);
    running = self->session != NULL;
    g_mutex_unlock (&self->lock);
    GST_INFO_OBJECT (self, "EOS sent to the element: %s", running ?
        "ending the speech" : "not running, ignored");
    if (running)
      gst_inworld_tts_src_end_of_stream (self);
    gst_event_unref (event);
    return running;
  }
  return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
}

/* ssl-ca-file and proxy, at once rather than at the first connection. */
static gboolean
check_net_settings (GstInworldTtsSrc * self)
{
  InworldNetSettings ca = { 0 }, proxy = { 0 };
  gboolean strict;
  GError *error = NULL;
  gboolean ok = TRUE;

  GST_OBJECT_LOCK (self);
  strict = self->ssl_strict;
  ca.ssl_ca_file = g_strdup (self->ssl_ca_file);
  proxy.proxy = g_strdup (self->proxy);
  GST_OBJECT_UNLOCK (self);

  if (!inworld_net_settings_validate (&ca, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot use ssl-ca-file: %s.", error->message), (NULL));
    ok = FALSE;
  } else if (!inworld_net_settings_validate (&proxy, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot use proxy: %s.", error->message), (NULL));
    ok = FALSE;
  } else if (!strict) {
    GST_WARNING_OBJECT (self, "ssl-strict=false: the server's TLS "
        "certificate is not verified");
  }
  g_clear_error (&error);
  inworld_net_settings_clear (&ca);
  inworld_net_settings_clear (&proxy);
  return ok;
}

/* Settings that only go with some models or protocols. */
static gboolean
check_model_settings (GstInworldTtsSrc * self, InworldProtocolKind kind)
{
  const InworldProtocol *proto = inworld_protocol_get (kind);
  GstInworldTtsAutoModeStrategy strategy;
  gboolean auto_mode, ok = TRUE;
  gchar *model;

  GST_OBJECT_LOCK (self);
  strategy = self->auto_mode_strategy;
  auto_mode = self->auto_mode;
  model = g_strdup (self->model);
  GST_OBJECT_UNLOCK (self);

  if (strategy == GST_INWORLD_TTS_AUTO_MODE_STRATEGY_SENTENCE_BOUNDARY) {
    if (!auto_mode) {
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
          ("auto-mode-strategy=sentence-boundary has no effect without "
              "auto-mode=true."), (NULL));
    } else if (!proto->auto_mode) {
      /* the session says why auto mode is off with this protocol */
    } else if (g_strcmp0 (model, "inworld-tts-2") != 0
        && g_strcmp0 (model, "inworld-tts-2-flash") != 0) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("auto-mode-strategy=sentence-boundary needs model=inworld-tts-2 "
              "or inworld-tts-2-flash, not '%s'.", model ? model : ""),
          ("the service refuses the context otherwise (INVALID_ARGUMENT)"));
      ok = FALSE;
    }
  }
  g_free (model);
  return ok;
}

static gboolean
check_settings (GstInworldTtsSrc * self)
{
  gchar *uri, *key, *text;
  InworldProtocolKind kind = gst_inworld_tts_src_resolve_target (self, &uri);
  gboolean has_key;
  gsize bad;
  gboolean ok = TRUE;

  key = gst_inworld_tts_src_resolve_api_key (self, kind);
  has_key = key != NULL;
  inworld_secret_free (key);

  GST_OBJECT_LOCK (self);
  text = g_strdup (self->text);
  GST_OBJECT_UNLOCK (self);

  if (!has_key) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
        ("No API key: set the api-key property or the %s environment "
            "variable.", gst_inworld_tts_src_key_env (kind)), (NULL));
    ok = FALSE;
  } else if (uri == NULL || !(g_str_has_prefix (uri, "ws://")
          || g_str_has_prefix (uri, "wss://"))) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The uri property must be a ws:// or wss:// URI, not '%s'.",
            uri ? uri : "(null)"), (NULL));
    ok = FALSE;
  } else if (!check_net_settings (self)) {
    ok = FALSE;
  } else if (text && !inworld_text_validate (text, -1, &bad)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The text property is not valid UTF-8 (bad byte at offset %"
            G_GSIZE_FORMAT ").", bad), (NULL));
    ok = FALSE;
  } else if (text && *text && !inworld_text_has_speech (text)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Nothing to speak: the text property holds no letter or digit."),
        (NULL));
    ok = FALSE;
  } else if (!check_model_settings (self, kind)) {
    ok = FALSE;
  } else if (text == NULL || *text == '\0') {
    GST_DEBUG_OBJECT (self, "no text property: waiting for text on the "
        "sink pad or from push-text");
  }
  g_free (text);
  g_free (uri);
  return ok;
}

static GstStateChangeReturn
gst_inworld_tts_src_change_state (GstElement * element,
    GstStateChange transition)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (element);
  GstStateChangeReturn ret;
  gboolean live = is_live (self);
  gboolean no_text = FALSE;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!check_settings (self))
        return GST_STATE_CHANGE_FAILURE;
      GST_OBJECT_LOCK (self);
      no_text = (self->text == NULL || *self->text == '\0')
          && self->sinkpad == NULL;
      GST_OBJECT_UNLOCK (self);
      g_mutex_lock (&self->lock);
      no_text = no_text && self->pending.length == 0;
      g_mutex_unlock (&self->lock);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      g_mutex_lock (&self->qlock);
      self->playing = TRUE;
      g_cond_broadcast (&self->qcond);
      g_mutex_unlock (&self->qlock);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    GST_WARNING_OBJECT (self, "%s failed", gst_state_change_get_name
        (transition));
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (live)
        ret = GST_STATE_CHANGE_NO_PREROLL;
      else if (no_text)
        /* not an error: the application may push text yet */
        GST_WARNING_OBJECT (self, "no text to speak yet (no text property, "
            "no sink pad, nothing pushed) and not live: the pipeline "
            "prerolls only once push-text gives some; set text, link a text "
            "source to the sink pad, or set is-live=true");
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      g_mutex_lock (&self->qlock);
      self->playing = FALSE;
      gst_inworld_tts_src_idle_wake (self);
      g_mutex_unlock (&self->qlock);
      if (live)
        ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    default:
      break;
  }
  return ret;
}

/* ------------------------------------------------------------------------
 * GObject
 * ------------------------------------------------------------------------ */

static void
set_string (GstInworldTtsSrc * self, gchar ** field, const GValue * value)
{
  GST_OBJECT_LOCK (self);
  g_free (*field);
  *field = g_value_dup_string (value);
  GST_OBJECT_UNLOCK (self);
}

/* As set_string, with "" meaning unset (NULL). */
static void
set_path (GstInworldTtsSrc * self, gchar ** field, const GValue * value)
{
  const gchar *s = g_value_get_string (value);

  GST_OBJECT_LOCK (self);
  g_free (*field);
  *field = s && *s ? g_strdup (s) : NULL;
  GST_OBJECT_UNLOCK (self);
}

/* A new voice-map, for the text handed over from now on; a malformed one
 * is refused with a warning and the one in force is kept. */
static void
set_voice_map (GstInworldTtsSrc * self, const gchar * str)
{
  GError *error = NULL;
  InworldVoiceMap *map = inworld_voice_map_parse (str, &error);

  if (map == NULL) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Ignored voice-map '%s': %s. The voice-map in force is kept.", str,
            error->message), ("the syntax is NAME=VOICE,NAME=VOICE; "
            "\\, \\= and \\\\ escape , = and \\"));
    g_error_free (error);
    return;
  }
  GST_OBJECT_LOCK (self);
  inworld_voice_map_free (self->voice_map);
  self->voice_map = map;
  g_free (self->voice_map_string);
  self->voice_map_string = g_strdup (str);
  /* the speakers it still lacks get their warning again */
  g_hash_table_remove_all (self->unknown_speakers);
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "voice-map of %u speakers: %s",
      inworld_voice_map_size (map), str);
}

static void
gst_inworld_tts_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (object);

  switch (prop_id) {
    case PROP_TEXT:
      set_string (self, &self->text, value);
      break;
    case PROP_API_KEY:
      GST_OBJECT_LOCK (self);
      inworld_secret_free (self->api_key);
      self->api_key = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_URI:
      set_string (self, &self->uri, value);
      break;
    case PROP_VOICE:
      set_string (self, &self->voice, value);
      break;
    case PROP_MODEL:
      set_string (self, &self->model, value);
      break;
    case PROP_LANGUAGE:
      set_string (self, &self->language, value);
      break;
    case PROP_TEMPERATURE:
      GST_OBJECT_LOCK (self);
      self->temperature = g_value_get_double (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SPEAKING_RATE:
      GST_OBJECT_LOCK (self);
      self->speaking_rate = g_value_get_double (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ENCODING:
      GST_OBJECT_LOCK (self);
      self->encoding = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_BITRATE:
      GST_OBJECT_LOCK (self);
      self->bitrate = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_IS_LIVE:
      GST_OBJECT_LOCK (self);
      self->is_live = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_LATENCY:
      GST_OBJECT_LOCK (self);
      self->latency = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TIMEOUT:
      GST_OBJECT_LOCK (self);
      self->timeout = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_AUTO_MODE:
      GST_OBJECT_LOCK (self);
      self->auto_mode = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TIMESTAMP_TYPE:
      GST_OBJECT_LOCK (self);
      self->timestamp_type = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PROTOCOL:
      GST_OBJECT_LOCK (self);
      self->protocol = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_KEEPALIVE:
      GST_OBJECT_LOCK (self);
      self->keepalive = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_REGION:
      set_string (self, &self->region, value);
      break;
    case PROP_CACHE_DIR:
      set_string (self, &self->cache_dir, value);
      break;
    case PROP_CACHE_SIZE:
      GST_OBJECT_LOCK (self);
      self->cache_size = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SSL_STRICT:
      GST_OBJECT_LOCK (self);
      self->ssl_strict = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SSL_CA_FILE:
      set_path (self, &self->ssl_ca_file, value);
      break;
    case PROP_PROXY:
      set_path (self, &self->proxy, value);
      break;
    case PROP_TIMESTAMP_TRANSPORT:
      GST_OBJECT_LOCK (self);
      self->timestamp_transport = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TEXT_NORMALIZATION:
      GST_OBJECT_LOCK (self);
      self->text_normalization = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_DELIVERY_MODE:
      GST_OBJECT_LOCK (self);
      self->delivery_mode = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_AUTO_MODE_STRATEGY:
      GST_OBJECT_LOCK (self);
      self->auto_mode_strategy = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_BUFFER_CHAR_THRESHOLD:
      GST_OBJECT_LOCK (self);
      self->buffer_char_threshold = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_BUFFER_DELAY:
      GST_OBJECT_LOCK (self);
      self->max_buffer_delay = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TEXT_SEGMENTATION:
      GST_OBJECT_LOCK (self);
      self->text_segmentation = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_VOICE_MAP:
      set_voice_map (self, g_value_get_string (value));
      break;
    case PROP_OVERFLOW:
      GST_OBJECT_LOCK (self);
      self->overflow = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_OVERFLOW:
      GST_OBJECT_LOCK (self);
      self->max_overflow = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_CAPTION_UNIT:
      GST_OBJECT_LOCK (self);
      self->caption_unit = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_INTERRUPT_MODE:
      GST_OBJECT_LOCK (self);
      self->interrupt_mode = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_IDLE:
      GST_OBJECT_LOCK (self);
      self->idle = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_inworld_tts_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (object);

  if (prop_id == PROP_STATS) {
    /* takes the element's locks itself */
    g_value_take_boxed (value, gst_inworld_tts_src_create_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    case PROP_URI:
      g_value_set_string (value, self->uri);
      break;
    case PROP_VOICE:
      g_value_set_string (value, self->voice);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_LANGUAGE:
      g_value_set_string (value, self->language);
      break;
    case PROP_TEMPERATURE:
      g_value_set_double (value, self->temperature);
      break;
    case PROP_SPEAKING_RATE:
      g_value_set_double (value, self->speaking_rate);
      break;
    case PROP_ENCODING:
      g_value_set_enum (value, self->encoding);
      break;
    case PROP_BITRATE:
      g_value_set_uint (value, self->bitrate);
      break;
    case PROP_IS_LIVE:
      g_value_set_boolean (value, self->is_live);
      break;
    case PROP_LATENCY:
      g_value_set_uint64 (value, self->latency);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_AUTO_MODE:
      g_value_set_boolean (value, self->auto_mode);
      break;
    case PROP_TIMESTAMP_TYPE:
      g_value_set_enum (value, self->timestamp_type);
      break;
    case PROP_PROTOCOL:
      g_value_set_enum (value, self->protocol);
      break;
    case PROP_REGION:
      g_value_set_string (value, self->region);
      break;
    case PROP_CACHE_DIR:
      g_value_set_string (value, self->cache_dir);
      break;
    case PROP_CACHE_SIZE:
      g_value_set_uint64 (value, self->cache_size);
      break;
    case PROP_KEEPALIVE:
      g_value_set_uint (value, self->keepalive);
      break;
    case PROP_SSL_STRICT:
      g_value_set_boolean (value, self->ssl_strict);
      break;
    case PROP_SSL_CA_FILE:
      g_value_set_string (value, self->ssl_ca_file);
      break;
    case PROP_PROXY:
      g_value_set_string (value, self->proxy);
      break;
    case PROP_TIMESTAMP_TRANSPORT:
      g_value_set_enum (value, self->timestamp_transport);
      break;
    case PROP_TEXT_NORMALIZATION:
      g_value_set_enum (value, self->text_normalization);
      break;
    case PROP_DELIVERY_MODE:
      g_value_set_enum (value, self->delivery_mode);
      break;
    case PROP_AUTO_MODE_STRATEGY:
      g_value_set_enum (value, self->auto_mode_strategy);
      break;
    case PROP_BUFFER_CHAR_THRESHOLD:
      g_value_set_uint (value, self->buffer_char_threshold);
      break;
    case PROP_MAX_BUFFER_DELAY:
      g_value_set_uint (value, self->max_buffer_delay);
      break;
    case PROP_TEXT_SEGMENTATION:
      g_value_set_enum (value, self->text_segmentation);
      break;
    case PROP_VOICE_MAP:
      g_value_set_string (value, self->voice_map_string);
      break;
    case PROP_OVERFLOW:
      g_value_set_enum (value, self->overflow);
      break;
    case PROP_MAX_OVERFLOW:
      g_value_set_uint64 (value, self->max_overflow);
      break;
    case PROP_CAPTION_UNIT:
      g_value_set_enum (value, self->caption_unit);
      break;
    case PROP_INTERRUPT_MODE:
      g_value_set_enum (value, self->interrupt_mode);
      break;
    case PROP_IDLE:
      g_value_set_enum (value, self->idle);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_inworld_tts_src_finalize (GObject * object)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (object);

  gst_inworld_tts_src_reset_stream (self);
  gst_inworld_tts_captions_finalize (self);
  g_free (self->text);
  inworld_secret_free (self->api_key);
  g_free (self->uri);
  g_free (self->voice);
  g_free (self->model);
  g_free (self->language);
  g_free (self->region);
  g_free (self->cache_dir);
  g_free (self->ssl_ca_file);
  g_free (self->proxy);
  g_free (self->voice_map_string);
  inworld_voice_map_free (self->voice_map);
  g_hash_table_unref (self->unknown_speakers);
  g_free (self->sink_speaker);
  g_queue_clear_full (&self->pending, (GDestroyNotify) pending_text_free);
  if (self->cue_starts)
    g_array_unref (self->cue_starts);
  gst_inworld_tts_heard_free (self->heard);
  if (self->st)
    inworld_soup_thread_release (self->st);
  inworld_session_stats_clear (&self->session_stats);
  inworld_sentence_cutter_free (self->cutter);
  g_string_free (self->sink_tail, TRUE);
  g_mutex_clear (&self->sink_lock);
  g_mutex_clear (&self->control_lock);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->qlock);
  g_cond_clear (&self->qcond);
  g_rec_mutex_clear (&self->format_lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_inworld_tts_src_init (GstInworldTtsSrc * self)
{
  self->heard = gst_inworld_tts_heard_new ();
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_activatemode_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_activate_mode));
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_query));
  gst_pad_set_event_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_event));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->uri = g_strdup (DEFAULT_URI);
  self->voice = g_strdup (DEFAULT_VOICE);
  self->model = g_strdup (DEFAULT_MODEL);
  self->language = g_strdup (DEFAULT_LANGUAGE);
  self->temperature = DEFAULT_TEMPERATURE;
  self->speaking_rate = DEFAULT_SPEAKING_RATE;
  self->encoding = DEFAULT_ENCODING;
  self->bitrate = DEFAULT_BITRATE;
  self->is_live = DEFAULT_IS_LIVE;
  self->latency = DEFAULT_LATENCY;
  self->idle = DEFAULT_IDLE;
  self->timeout = DEFAULT_TIMEOUT;
  self->auto_mode = DEFAULT_AUTO_MODE;
  self->timestamp_type = DEFAULT_TIMESTAMP_TYPE;
  self->protocol = DEFAULT_PROTOCOL;
  self->region = g_strdup (DEFAULT_REGION);
  self->keepalive = DEFAULT_KEEPALIVE;
  self->cache_dir = g_strdup (DEFAULT_CACHE_DIR);
  self->cache_size = DEFAULT_CACHE_SIZE;
  self->ssl_strict = DEFAULT_SSL_STRICT;
  self->ssl_ca_file = g_strdup (DEFAULT_SSL_CA_FILE);
  self->proxy = g_strdup (DEFAULT_PROXY);
  self->timestamp_transport = DEFAULT_TIMESTAMP_TRANSPORT;
  self->text_normalization = DEFAULT_TEXT_NORMALIZATION;
  self->delivery_mode = DEFAULT_DELIVERY_MODE;
  self->auto_mode_strategy = DEFAULT_AUTO_MODE_STRATEGY;
  self->buffer_char_threshold = DEFAULT_BUFFER_CHAR_THRESHOLD;
  self->max_buffer_delay = DEFAULT_MAX_BUFFER_DELAY;
  self->text_segmentation = DEFAULT_TEXT_SEGMENTATION;
  self->voice_map = inworld_voice_map_parse (DEFAULT_VOICE_MAP, NULL);
  self->unknown_speakers = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  self->overflow = DEFAULT_OVERFLOW;
  self->max_overflow = DEFAULT_MAX_OVERFLOW;
  self->ovf.slot_end = GST_CLOCK_TIME_NONE;
  g_queue_init (&self->ovf.held);
  self->caption_unit = DEFAULT_CAPTION_UNIT;
  gst_inworld_tts_captions_init (self);
  self->interrupt_mode = DEFAULT_INTERRUPT_MODE;

  g_mutex_init (&self->sink_lock);
  self->sink_tail = g_string_new (NULL);
  self->cutter_pts = GST_CLOCK_TIME_NONE;
  g_mutex_init (&self->control_lock);
  g_mutex_init (&self->lock);
  g_mutex_init (&self->qlock);
  g_cond_init (&self->qcond);
  g_rec_mutex_init (&self->format_lock);
  g_queue_init (&self->outputs);
  g_queue_init (&self->pending);
  self->qflushing = TRUE;
  self->discont = TRUE;
  self->stats.first_audio_last = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->sink_segment, GST_FORMAT_TIME);

  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_inworld_tts_src_class_init (GstInworldTtsSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw_ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;
  /* synthesis settings: changed while playing, they apply to the text
   * pushed afterwards */
  const GParamFlags rw_playing = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_inworld_tts_src_set_property;
  gobject_class->get_property = gst_inworld_tts_src_get_property;
  gobject_class->finalize = gst_inworld_tts_src_finalize;

  /**
   * GstInworldTtsSrc:text:
   *
   * UTF-8 text spoken first. Without a sink pad, the element sends EOS
   * once it is spoken; with one, EOS follows upstream's EOS. Optional:
   * text can also come from the sink pad and the push-text signal.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TEXT,
      g_param_spec_string ("text", "Text",
          "UTF-8 text spoken first; without a sink pad, EOS follows it",
          NULL, rw_ready));

  /**
   * GstInworldTtsSrc:api-key:
   *
   * The Inworld API key (the Base64 credential of Inworld's portal), sent
   * as `Authorization: Basic <key>`. Write-only, never logged. When unset,
   * the `INWORLD_API_KEY` environment variable is used.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_API_KEY,
      g_param_spec_string ("api-key", "API key",
          "Inworld API key (write-only; default: the INWORLD_API_KEY "
          "environment variable)", NULL,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  /**
   * GstInworldTtsSrc:uri:
   *
   * The WebSocket URI of the text-to-speech service: `wss://` for the
   * service, `ws://` for local servers such as the project's emulator; any
   * other scheme fails the change from READY to PAUSED. With
   * #GstInworldTtsSrc:protocol `auto`, a path that contains `/tts/slng/`
   * selects the SLNG protocol.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
          "WebSocket URI of the text-to-speech service (ws:// or wss://)",
          DEFAULT_URI, rw_ready));

  /**
   * GstInworldTtsSrc:voice:
   *
   * The voice: a built-in name (Ashley, Dennis, Alex...) or a workspace
   * voice id. Like every synthesis setting, a change applies to the text
   * pushed after it, never to text pushed before: set it between two
   * push-text calls to voice a dialogue. A running context is changed with
   * update_config when the protocol allows, else a new context takes over
   * once the old one has finished.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_VOICE,
      g_param_spec_string ("voice", "Voice",
          "Voice to speak with: a built-in name (Ashley, Dennis, Alex...) "
          "or a workspace voice id; a change applies to the text pushed "
          "afterwards", DEFAULT_VOICE, rw_playing));

  /**
   * GstInworldTtsSrc:model:
   *
   * The synthesis model. A context keeps its model: text pushed after a
   * change goes to a new context once the text before it is spoken.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Synthesis model id (inworld-tts-1.5-max, inworld-tts-1.5-mini, "
          "inworld-tts-2...); a change applies to the text pushed "
          "afterwards, on a new server context", DEFAULT_MODEL, rw_playing));

  /**
   * GstInworldTtsSrc:language:
   *
   * The BCP-47 language of the text (`en-US`, `fr-FR`...); NULL lets the
   * server detect it. A change applies to the text pushed after it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LANGUAGE,
      g_param_spec_string ("language", "Language",
          "BCP-47 language of the text (en-US, fr-FR...); NULL lets the "
          "server detect it; a change applies to the text pushed afterwards",
          DEFAULT_LANGUAGE, rw_playing));

  /**
   * GstInworldTtsSrc:temperature:
   *
   * The sampling temperature, in (0, 2]; 0 is not sent and leaves the
   * server's default (1.0). A change applies to the text pushed after it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TEMPERATURE,
      g_param_spec_double ("temperature", "Temperature",
          "Sampling temperature, in (0, 2]; 0 leaves the server default "
          "(1.0); a change applies to the text pushed afterwards", 0.0,
          INWORLD_MAX_TEMPERATURE, DEFAULT_TEMPERATURE, rw_playing));

  /**
   * GstInworldTtsSrc:speaking-rate:
   *
   * The speed of speech, 0.5 to 1.5 as the service allows (1.0 is normal
   * and is not sent; below 0.8 is discouraged). A change applies to the
   * text pushed after it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SPEAKING_RATE,
      g_param_spec_double ("speaking-rate", "Speaking rate",
          "Speed of speech, 0.5 to 1.5 as the service allows (1.0 = normal; "
          "below 0.8 is discouraged); a change applies to the text pushed "
          "afterwards", INWORLD_MIN_SPEAKING_RATE, INWORLD_MAX_SPEAKING_RATE,
          DEFAULT_SPEAKING_RATE, rw_playing));

  /**
   * GstInworldTtsSrc:encoding:
   *
   * The audio encoding asked of the server. `auto` takes downstream's
   * first choice among the source pad's caps (audio/x-raw gives `pcm`);
   * any other value forces that encoding, and negotiation fails with an
   * error if downstream cannot take it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ENCODING,
      g_param_spec_enum ("encoding", "Encoding",
          "Audio encoding asked of the server; auto picks it from the "
          "downstream caps (raw: pcm, audio/mpeg: mp3, audio/x-opus: "
          "ogg-opus, audio/x-flac: flac, audio/x-alaw, audio/x-mulaw)",
          GST_TYPE_INWORLD_TTS_ENCODING, DEFAULT_ENCODING, rw_ready));

  /**
   * GstInworldTtsSrc:bitrate:
   *
   * Bit rate asked of the server for MP3 (32000 to 320000) and Opus
   * (32000 to 192000); a value outside the encoding's range fails
   * negotiation. Ignored for the other encodings.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_BITRATE,
      g_param_spec_uint ("bitrate", "Bit rate",
          "Bit rate in bit/s for MP3 (32000-320000) and Opus (32000-192000); "
          "0 leaves the server default (128000)", 0, 320000, DEFAULT_BITRATE,
          rw_ready));

  /**
   * GstInworldTtsSrc:is-live:
   *
   * Act as a live source: no preroll, and timestamps in running time from
   * the moment the text is handed over in PLAYING (docs/inworldttssrc.md,
   * "Timestamps").
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean ("is-live", "Is live",
          "Act as a live source: timestamps in running time, starting when "
          "the text is handed over in PLAYING", DEFAULT_IS_LIVE, rw_ready));

  /**
   * GstInworldTtsSrc:latency:
   *
   * The expected delay from text to first audio, in nanoseconds, answered
   * in latency queries when live. Never added to the timestamps: live audio
   * later than its PTS plus this is shifted to play at once, and counted in
   * #GstInworldTtsSrc:stats as a late buffer.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint64 ("latency", "Latency",
          "Expected delay from text to first audio, in nanoseconds, "
          "reported in latency queries when live", 0, G_MAXUINT64,
          DEFAULT_LATENCY, rw_ready));

  /**
   * GstInworldTtsSrc:timeout:
   *
   * Seconds allowed for the connection and for each reply of the server
   * while one is due (contextCreated, the audio of text flushed,
   * contextClosed), and for getting a lost connection back; past it the
   * element fails instead of waiting forever. 0 waits forever. Waiting for
   * text is not bounded.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Seconds to wait for the connection and for each reply of the "
          "server before failing (0 = wait forever)", 0, 3600,
          DEFAULT_TIMEOUT, rw_ready));

  /**
   * GstInworldTtsSrc:auto-mode:
   *
   * Lets the service decide when to synthesize: the first text starts a
   * synthesis at once, text that arrives while one runs is batched into
   * the next. Sink buffers are then sent without a flush. Meant for text
   * in whole sentences (or, with
   * #GstInworldTtsSrc:auto-mode-strategy=sentence-boundary, a token
   * stream). Each server synthesis gets its own `inworld-flush-completed`
   * (with the characters it covered), and the stream ends when the
   * server closes the context. Not available with protocol=slng.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_AUTO_MODE,
      g_param_spec_boolean ("auto-mode", "Auto mode",
          "Let the server decide when to synthesize (each synthesis gets an "
          "inworld-flush-completed) instead of flushing each sink buffer "
          "and push-text on arrival", DEFAULT_AUTO_MODE, rw_ready));

  /**
   * GstInworldTtsSrc:auto-mode-strategy:
   *
   * How the service cuts text into syntheses in auto mode:
   * `client-segmented` (the service's default) expects whole sentences;
   * `sentence-boundary` (Preview, inworld-tts-2 and inworld-tts-2-flash
   * only: other models fail at READY→PAUSED) finds sentence ends in a
   * stream of LLM tokens itself, and keeps an unfinished sentence until
   * more text, a flush or the end of the stream.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_AUTO_MODE_STRATEGY,
      g_param_spec_enum ("auto-mode-strategy", "Auto mode strategy",
          "With auto-mode: client-segmented (text in whole sentences) or "
          "sentence-boundary (the service cuts a token stream at sentence "
          "ends; inworld-tts-2 models only)",
          GST_TYPE_INWORLD_TTS_AUTO_MODE_STRATEGY, DEFAULT_AUTO_MODE_STRATEGY,
          rw_ready));

  /**
   * GstInworldTtsSrc:buffer-char-threshold:
   *
   * The service synthesizes buffered text once it holds this many
   * characters (bufferCharThreshold). The element keeps every synthesis
   * under it: text is cut at sentence, then word boundaries into pieces of
   * at most this many characters, each flushed. 0 leaves the service's
   * default, 1000.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_BUFFER_CHAR_THRESHOLD,
      g_param_spec_uint ("buffer-char-threshold", "Buffer character "
          "threshold", "Characters of buffered text that make the service "
          "synthesize it; longer text is cut into pieces of this size "
          "(0 = the service's default, 1000)", 0, 1000,
          DEFAULT_BUFFER_CHAR_THRESHOLD, rw_ready));

  /**
   * GstInworldTtsSrc:max-buffer-delay:
   *
   * Milliseconds text pushed without a flush waits before the service
   * synthesizes it on its own (maxBufferDelayMs; not used in auto mode).
   * The element flushes such text itself a little before (at most 250
   * ms), so that the synthesis is one it asked for. 0 leaves the
   * service's default, 3000.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MAX_BUFFER_DELAY,
      g_param_spec_uint ("max-buffer-delay", "Maximum buffer delay",
          "Milliseconds unflushed text waits before it is synthesized "
          "(0 = the service's default, 3000)", 0, 600000,
          DEFAULT_MAX_BUFFER_DELAY, rw_ready));

  /**
   * GstInworldTtsSrc:text-normalization:
   *
   * Whether the service expands numbers, dates and abbreviations before
   * speaking (applyTextNormalization). `off` may lower the latency; the
   * text is then read as written.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_TEXT_NORMALIZATION,
      g_param_spec_enum ("text-normalization", "Text normalization",
          "Expand numbers, dates and abbreviations before speaking: auto "
          "(the service decides), on or off; a change applies to the text "
          "pushed afterwards", GST_TYPE_INWORLD_TTS_TEXT_NORMALIZATION,
          DEFAULT_TEXT_NORMALIZATION, rw_playing));

  /**
   * GstInworldTtsSrc:delivery-mode:
   *
   * The delivery of the inworld-tts-2 models (deliveryMode): `stable`,
   * `balanced` or `creative`; `default` sends nothing and leaves the
   * service's (balanced).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_DELIVERY_MODE,
      g_param_spec_enum ("delivery-mode", "Delivery mode",
          "Delivery of the inworld-tts-2 models: default, stable, balanced "
          "or creative; a change applies to the text pushed afterwards",
          GST_TYPE_INWORLD_TTS_DELIVERY_MODE, DEFAULT_DELIVERY_MODE,
          rw_playing));

  /**
   * GstInworldTtsSrc:timestamp-type:
   *
   * Asks the server for word or character timings and posts each as an
   * `inworld-word-timing` element message (`word`, `start`, `end` in the
   * element's output timeline, `context-id`, `flush-index`); in character
   * mode each `word` is one character. Only tokens with a letter or digit
   * are posted: the service also times whitespace and punctuation, whose
   * time falls between the words around them.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TIMESTAMP_TYPE,
      g_param_spec_enum ("timestamp-type", "Timestamp type",
          "Post the server's word or character timings as "
          "inworld-word-timing element messages",
          GST_TYPE_INWORLD_TTS_TIMESTAMP_TYPE, DEFAULT_TIMESTAMP_TYPE,
          rw_ready));

  /**
   * GstInworldTtsSrc:timestamp-transport:
   *
   * How the server sends the timings of #GstInworldTtsSrc:timestamp-type
   * (timestampTransportStrategy): `async` sends audio at once and the
   * timings after it, as every real client does; `sync`, the service's
   * default, holds each audio chunk back until its timings are ready,
   * which delays the first audio.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_TIMESTAMP_TRANSPORT,
      g_param_spec_enum ("timestamp-transport", "Timestamp transport",
          "With timestamp-type: async (audio first, timings after it) or "
          "sync (audio waits for its timings: slower first audio)",
          GST_TYPE_INWORLD_TTS_TIMESTAMP_TRANSPORT,
          DEFAULT_TIMESTAMP_TRANSPORT, rw_ready));

  /**
   * GstInworldTtsSrc:protocol:
   *
   * The protocol spoken to the server. With `slng` and the default URI,
   * the element connects to SLNG's `wss://api.slng.ai/v1/tts/slng/inworld/max:1.5`
   * and authenticates with `Authorization: Bearer <key>`; the key falls
   * back to the `SLNG_API_KEY` environment variable.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PROTOCOL,
      g_param_spec_enum ("protocol", "Protocol",
          "WebSocket protocol: inworld, slng (SLNG-hosted Inworld Max 1.5), "
          "or auto (slng when the URI path contains /tts/slng/)",
          GST_TYPE_INWORLD_TTS_PROTOCOL, DEFAULT_PROTOCOL, rw_ready));

  /**
   * GstInworldTtsSrc:region:
   *
   * SLNG only: the region to run in, sent as X-Region-Override
   * (`us-east-1` for Inworld Max 1.5); NULL lets SLNG choose.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_REGION,
      g_param_spec_string ("region", "Region",
          "SLNG: region to run in, sent as X-Region-Override (us-east-1 for "
          "Inworld Max 1.5); NULL lets SLNG choose", DEFAULT_REGION,
          rw_ready));

  /**
   * GstInworldTtsSrc:ssl-strict:
   *
   * Verify the server's TLS certificate on wss:// (against the system's
   * CAs, or those of #GstInworldTtsSrc:ssl-ca-file). %FALSE accepts any
   * certificate, which lets anyone on the path read the API key and the
   * text: for testing only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SSL_STRICT,
      g_param_spec_boolean ("ssl-strict", "SSL strict",
          "Verify the server's TLS certificate (wss://); false accepts any "
          "certificate, for testing only", DEFAULT_SSL_STRICT, rw_ready));

  /**
   * GstInworldTtsSrc:ssl-ca-file:
   *
   * A PEM file of the certificate authorities trusted for wss://
   * instead of the system's: a private CA, or a test server's
   * self-signed certificate. A relative path is taken from the current
   * directory.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SSL_CA_FILE,
      g_param_spec_string ("ssl-ca-file", "SSL CA file",
          "PEM file of the certificate authorities trusted for wss:// "
          "instead of the system's (e.g. a private CA); NULL = the system's",
          DEFAULT_SSL_CA_FILE, rw_ready));

  /**
   * GstInworldTtsSrc:proxy:
   *
   * The proxy to connect through: `http://host:port` (a tunnel made with
   * CONNECT for wss://), `socks5://host:port`, `socks4a://` or
   * `socks4://`; credentials go in the URI (`http://user:password@host:port`);
   * without a scheme, `http://` is assumed. `direct://` ignores the
   * environment and connects directly. When unset, the environment's
   * settings apply: `https_proxy` for wss:// (`http_proxy` when it is
   * unset), `http_proxy` for ws://, `no_proxy`, and their upper-case forms.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PROXY,
      g_param_spec_string ("proxy", "Proxy",
          "Proxy to connect through: http://host:port or socks5://host:port "
          "(user:password@ allowed), direct:// for none; NULL = the "
          "environment's (https_proxy, http_proxy, no_proxy)", DEFAULT_PROXY,
          rw_ready));

  /**
   * GstInworldTtsSrc:keepalive:
   *
   * The service closes a connection after 10 minutes without traffic.
   * While a context is open but silent, an empty send_text is sent on it
   * every this many seconds (never on a connection without a context).
   * A connection closed anyway is replaced when the next text comes.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_KEEPALIVE,
      g_param_spec_uint ("keepalive", "Keepalive",
          "Seconds of silence on the connection after which an open "
          "context is kept alive with an empty message (the service closes "
          "idle connections after 10 minutes); 0 = never", 0, 3600,
          DEFAULT_KEEPALIVE, rw_ready));

  /**
   * GstInworldTtsSrc:cache-dir:
   *
   * A directory where the audio and word timings of each utterance are
   * kept, so that the same utterance spoken again with the same settings
   * is replayed from the disk, sample for sample, without the server
   * (station idents, prompts, re-rendering). Made when missing; may be
   * shared by elements and processes. NULL: no cache. What the key holds,
   * what is never stored and the file format are in docs/cache.md.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_CACHE_DIR,
      g_param_spec_string ("cache-dir", "Cache directory",
          "Directory of the synthesis cache: utterances spoken before with "
          "the same settings are replayed from it without the server; "
          "NULL = no cache", DEFAULT_CACHE_DIR, rw_ready));

  /**
   * GstInworldTtsSrc:cache-size:
   *
   * The most bytes the entries of #GstInworldTtsSrc:cache-dir may take:
   * after each store, the least recently used entries (a replay makes an
   * entry recent) are deleted until they fit. 0: no limit.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_CACHE_SIZE,
      g_param_spec_uint64 ("cache-size", "Cache size",
          "Bytes the entries in cache-dir may take; the least recently used "
          "go first; 0 = no limit", 0, G_MAXUINT64, DEFAULT_CACHE_SIZE,
          rw_ready));

  /**
   * GstInworldTtsSrc:stats:
   *
   * How the element is doing, counted since it last started (READY to
   * PAUSED) and kept once it stops: an `application/x-inworld-tts-stats`
   * structure with `characters-sent`, `utterances-completed`,
   * `time-to-first-audio-last` and `time-to-first-audio-mean` (from a
   * text handed over to its first audio buffer pushed, in nanoseconds;
   * GST_CLOCK_TIME_NONE until the first), `reconnections`,
   * `late-buffers`, `bytes-received`, the connection it is on, `uri`
   * and `connection-id`, and `cache-hits` and `cache-misses` (since 0.3;
   * docs/cache.md). docs/inworldttssrc.md describes every field.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Characters sent, utterances completed, time to first audio, "
          "reconnections, late buffers, bytes received, the connection "
          "in use and cache hits and misses, since the element last started",
          GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstInworldTtsSrc:text-segmentation:
   *
   * How the buffers of the sink pad become utterances. `buffer`: each
   * buffer is one, at its time (timed text: subtitles). `line`: the text
   * is cut after each newline, across buffers. `sentence`: it is cut where
   * a sentence ends (. ! ? … before whitespace; 。！？ with nothing
   * after), across buffers, never inside a tag (`[say warmly]`,
   * `<break time="1s"/>`, `<verbatim>…</verbatim>`); each utterance takes
   * the time of the buffer it begins in. `auto`: buffers with a PTS are
   * utterances, untimed text (a file, LLM tokens from an appsrc) is cut
   * at sentences. Whatever is held at EOS, `end-of-stream` or `flush` is
   * spoken then. A UTF-8 character cut at the end of a buffer is always
   * completed by the next buffer.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_TEXT_SEGMENTATION,
      g_param_spec_enum ("text-segmentation", "Text segmentation",
          "How sink pad buffers become utterances: buffer (one each), line, "
          "sentence (cut across buffers), or auto (timed buffers one each, "
          "untimed text cut at sentences)",
          GST_TYPE_INWORLD_TTS_TEXT_SEGMENTATION, DEFAULT_TEXT_SEGMENTATION,
          rw_playing));

  /**
   * GstInworldTtsSrc:voice-map:
   *
   * The voice of each speaker named in the text, as
   * `NAME=VOICE,NAME=VOICE` (`Alice=Ashley,Bob=Dennis`). Speakers are
   * named by WebVTT voice spans (`<v Alice>Hello</v>`, `<v.loud Bob>`),
   * as subparse passes them on from a WebVTT file, or in the text of
   * the sink pad, `push-text` and the text property, and by the
   * `speaker` field of #GstInworldTtsSrc::push-utterance; each speaker's
   * text is an utterance of its own, spoken with the voice mapped here.
   * Names and voices are trimmed, a name's runs of whitespace are one
   * space, and names match exactly (case counts); `\,`, `\=` and
   * `\\` put those characters in a name. A speaker without a voice here
   * keeps the #GstInworldTtsSrc:voice property's, with one warning per
   * name. A malformed map is refused with a warning and the map in force
   * is kept. A change applies to the text handed over afterwards, in any
   * state. See docs/scripts.md.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_VOICE_MAP,
      g_param_spec_string ("voice-map", "Voice map",
          "Voices of the speakers named in the text (WebVTT <v Name> "
          "spans, push-utterance's speaker): Name=Voice,Name=Voice",
          DEFAULT_VOICE_MAP, rw_playing));

  /**
   * GstInworldTtsSrc:overflow:
   *
   * What happens when the speech of a timed text (a subtitle cue: its PTS
   * is when its speech starts) runs past the start of the next one.
   * `shift`: the next cue waits for the speech to end. `clip`: the speech
   * is cut where the next cue starts, its last 15 ms faded out, so that
   * every cue keeps its time. `overlap`: the next cue starts on time and
   * the two are mixed (S16 samples added, saturating). `fit`: a cue whose
   * next cue is known is held whole; if it runs past, it is synthesized
   * again with a faster speaking rate (up to 1.5) and that audio replaces
   * it, clipped as under `clip` if it still runs past (one more synthesis,
   * and the held cue is latency: not for live). `clip`, `overlap` and
   * `fit` need raw audio (audio/x-raw); encoded speech is shifted, with a
   * warning. Each `inworld-flush-completed` says what was done in its
   * `overflow` and `overflow-time` fields, and `speaking-rate` after a
   * retry (docs/subtitles.md).
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_OVERFLOW,
      g_param_spec_enum ("overflow", "Overflow",
          "When a cue's speech runs past the next cue's start: shift (the "
          "next cue waits), clip (cut with a fade-out at the next cue's "
          "start), overlap (the next cue starts on time, mixed over it) or "
          "fit (spoken again faster to fit, then clipped); clip, overlap "
          "and fit need raw audio",
          GST_TYPE_INWORLD_TTS_OVERFLOW, DEFAULT_OVERFLOW, rw_playing));

  /**
   * GstInworldTtsSrc:max-overflow:
   *
   * How far, in nanoseconds, a cue's speech may run past the next cue's
   * start before #GstInworldTtsSrc:overflow applies: a shorter overrun
   * goes out whole and the next cue waits for it, as under `shift`.
   * Under `clip` and `overlap` the element holds back up to this much
   * audio past the slot until it knows which.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_MAX_OVERFLOW,
      g_param_spec_uint64 ("max-overflow", "Maximum overflow",
          "How far (ns) a cue's speech may run past the next cue's start "
          "before the overflow policy applies; shorter overruns shift the "
          "next cue", 0, G_MAXUINT64, DEFAULT_MAX_OVERFLOW, rw_playing));

  /**
   * GstInworldTtsSrc:caption-unit:
   *
   * What one buffer of the `text_src` request pad holds: `word`, one
   * buffer per spoken word, its text with PTS and duration from the
   * server's word timings on the audio's timeline (the times of the
   * `inworld-word-timing` messages); `utterance`, one buffer per
   * utterance, its whole text, from its first audio to its end (the
   * `timestamp` of its `inworld-flush-completed`), pushed once the
   * utterance is spoken. Changed while playing, it applies to the next
   * caption.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_CAPTION_UNIT,
      g_param_spec_enum ("caption-unit", "Caption unit",
          "What one buffer of the text_src pad holds: one word, or the "
          "whole text of an utterance",
          GST_TYPE_INWORLD_TTS_CAPTION_UNIT, DEFAULT_CAPTION_UNIT,
          rw_playing));

  /**
   * GstInworldTtsSrc:interrupt-mode:
   *
   * What #GstInworldTtsSrc::interrupt does downstream. `flush` (the
   * default): FLUSH_START and FLUSH_STOP, so the audio queued downstream
   * (in the sink) is dropped too and the speech stops at once. `cut`: no
   * flush: the element drops what it holds, the push in progress ends, and
   * the next speech starts after the cut point with a DISCONT buffer (a GAP
   * event before it when it starts later); timestamps never go back, so a
   * `tee` to a recording or a muxer keeps one valid, continuous file across
   * barge-ins. What is already queued downstream still plays.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_INTERRUPT_MODE,
      g_param_spec_enum ("interrupt-mode", "Interrupt mode",
          "What an interrupt does downstream: flush (drop the audio queued "
          "downstream too) or cut (no flush: go on after the cut with a "
          "discontinuity, for recordings and muxers)",
          GST_TYPE_INWORLD_TTS_INTERRUPT_MODE, DEFAULT_INTERRUPT_MODE,
          rw_playing));

  /**
   * GstInworldTtsSrc:idle:
   *
   * What goes out between utterances. `gap`: GAP events, no samples.
   * `silence`: a live element (#GstInworldTtsSrc:is-live) putting out raw
   * audio (audio/x-raw, A-law, mu-law) sends a continuous stream from
   * PLAYING on, silence buffers paced by the pipeline clock between the
   * utterances, every buffer starting where the previous one ended, for
   * RTP payloaders, webrtcbin and muxers that want continuous input. Not
   * live, or with an encoded format, it is ignored with a warning
   * (docs/live.md, "Continuous output").
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_IDLE,
      g_param_spec_enum ("idle", "Idle output",
          "Between utterances: gap (GAP events) or silence (live raw audio "
          "only: silence buffers paced by the clock, a continuous stream)",
          GST_TYPE_INWORLD_TTS_IDLE, DEFAULT_IDLE, rw_ready));

  /**
   * GstInworldTtsSrc::push-text:
   * @src: the element
   * @text: UTF-8 text
   * @flush: synthesize it now (else it waits for more text, a flush or the
   *   end of the stream)
   *
   * Queues text with the settings in force now (a property set later
   * does not change it). With @flush it ends an utterance. Live, its
   * speech starts at the running time of the call; otherwise right after
   * the previous speech. Text with nothing to speak (no letter or digit)
   * is not sent; with @flush it still gets its flush-completed.
   *
   * Returns: %FALSE when @text is not UTF-8, the stream has ended or the
   * element is not running.
   */
  signals[SIGNAL_PUSH_TEXT] = g_signal_new_class_handler ("push-text",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_inworld_tts_src_push_text), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);

  /**
   * GstInworldTtsSrc::push-utterance:
   * @src: the element
   * @text: UTF-8 text, spoken as it is (voice tags are not read)
   * @settings: (nullable): the utterance's own settings, any structure
   *   name: `voice`, `model`, `language` (strings), `speaking-rate`
   *   (0.5–1.5), `temperature` (0–2), `speaker` (a name of the
   *   #GstInworldTtsSrc:voice-map; `voice` wins over it), `flush`
   *   (boolean, default %TRUE), `start` (guint64: the running time its
   *   speech may start at)
   *
   * Queues one utterance with the settings in force now, changed by
   * @settings for this utterance only: the properties stay as they are,
   * so an application voices a script without racing property changes.
   * Works in every state, as push-text does. A field it does not know is
   * ignored with a warning; a value of a wrong type or out of range
   * refuses the utterance with a warning.
   *
   * Returns: %FALSE when the utterance is refused: @text is not UTF-8, a
   * setting is wrong, or the stream has ended.
   *
   * Since: 0.3
   */
  signals[SIGNAL_PUSH_UTTERANCE] = g_signal_new_class_handler
      ("push-utterance", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_inworld_tts_src_push_utterance), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_STRING, GST_TYPE_STRUCTURE);

  /**
   * GstInworldTtsSrc::flush:
   * @src: the element
   *
   * Synthesizes the text pushed without a flush.
   */
  signals[SIGNAL_FLUSH] = g_signal_new_class_handler ("flush",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_inworld_tts_src_flush), NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  /**
   * GstInworldTtsSrc::end-of-stream:
   * @src: the element
   *
   * Speaks everything pending, closes the server context, then sends EOS.
   * Later text is refused. An EOS event sent to the element (or to the
   * pipeline, as `gst-launch-1.0 -e` does) does the same.
   */
  signals[SIGNAL_END_OF_STREAM] = g_signal_new_class_handler ("end-of-stream",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_inworld_tts_src_end_of_stream), NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  /**
   * GstInworldTtsSrc::interrupt:
   * @src: the element
   *
   * Stops the speech now (barge-in): queued text and audio are dropped,
   * the server context is closed and a fresh one opened. Nothing of the
   * old context reaches downstream afterwards. With
   * #GstInworldTtsSrc:interrupt-mode `flush` (the default) downstream is
   * flushed (the audio queued there is dropped); with `cut` it is not, and
   * the stream goes on after the cut with a DISCONT buffer.
   *
   * Then an element message `inworld-interrupted` is posted: `running-time`
   * (#GstClockTime, the running time of the cut: what played up to it was
   * heard), `flush-index` (guint, the utterance cut, 0 if none),
   * `text-heard` (its text up to the last word whose audio started before
   * the cut), `text-not-heard` (the rest of the text accepted: the cut
   * utterance's remainder and every later utterance, in order, then
   * the sink pad's sentence not cut yet),
   * `exact` (gboolean: TRUE when word timings placed the cut, FALSE for
   * the estimate without them), `heard-by` (`clock` when a sink downstream
   * synchronizes and the element is PLAYING: audio whose running time plus
   * that sink's latency is past was heard; `pushed` otherwise, and in cut
   * mode: all the audio pushed) and `interrupt-mode`. docs/interrupting.md
   * has the rules and an example.
   */
  signals[SIGNAL_INTERRUPT] = g_signal_new_class_handler ("interrupt",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_inworld_tts_src_interrupt), NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &text_src_template);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_release_pad);
  gst_element_class_set_static_metadata (element_class,
      "Inworld text-to-speech source", "Source/Audio/Network",
      "Speaks text with Inworld's streaming text-to-speech WebSocket API",
      "inworldttssrc developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_change_state);
  element_class->send_event =
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_send_event);

  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_ENCODING, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_TIMESTAMP_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_PROTOCOL, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_TIMESTAMP_TRANSPORT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_TEXT_NORMALIZATION, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_DELIVERY_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_AUTO_MODE_STRATEGY, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_TEXT_SEGMENTATION, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_OVERFLOW, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_CAPTION_UNIT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_INTERRUPT_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_IDLE, 0);
}
