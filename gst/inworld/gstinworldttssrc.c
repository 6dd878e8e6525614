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
 * request pad `sink` (`text/x-raw`, utf8 or pango-markup: one buffer is one
 * utterance, spoken from its running time on), or from the application
 * through the action signals #GstInworldTtsSrc::push-text,
 * #GstInworldTtsSrc::flush, #GstInworldTtsSrc::end-of-stream and
 * #GstInworldTtsSrc::interrupt. Each utterance's speech starts at its time
 * or right after the previous speech, whichever is later; the silence
 * between is a GAP event. Long text is cut at sentence (then word)
 * boundaries into pieces the API accepts (1000 characters at most) and
 * every piece is flushed on its own.
 * After the last buffer of each flush the element pushes a serialized
 * custom downstream event and posts an element message, both carrying a
 * #GstStructure named `inworld-flush-completed` with the fields
 * `context-id` (string), `flush-index` (guint, from 1), `timestamp`
 * (#GstClockTime where that flush's audio ends) and `characters` (guint,
 * characters the server synthesized); the message also has `running-time`
 * and `stream-time`. Once the text is spoken (the text property alone,
 * upstream EOS on the sink pad, or #GstInworldTtsSrc::end-of-stream) the
 * server context is closed and the element sends EOS.
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
#include "inworldtext.h"

#include <gst/audio/audio.h>
#include <string.h>

GST_DEBUG_CATEGORY (gst_inworld_tts_src_debug);

#define DEFAULT_VOICE "Ashley"
#define DEFAULT_MODEL "inworld-tts-1.5-max"
#define DEFAULT_LANGUAGE NULL
#define DEFAULT_TEMPERATURE 0.0
#define DEFAULT_SPEAKING_RATE 0.0
#define DEFAULT_ENCODING GST_INWORLD_TTS_ENCODING_AUTO
#define DEFAULT_BITRATE 0
#define DEFAULT_IS_LIVE FALSE
#define DEFAULT_LATENCY (300 * GST_MSECOND)
#define DEFAULT_TIMEOUT 15
#define DEFAULT_AUTO_MODE FALSE
#define DEFAULT_TIMESTAMP_TYPE GST_INWORLD_TTS_TIMESTAMP_NONE
#define DEFAULT_PROTOCOL GST_INWORLD_TTS_PROTOCOL_AUTO
#define DEFAULT_REGION NULL
#define DEFAULT_SSL_STRICT TRUE
#define DEFAULT_SSL_CA_FILE NULL
#define DEFAULT_PROXY NULL
#define DEFAULT_KEEPALIVE 60

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
};

enum
{
  SIGNAL_PUSH_TEXT,
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

#define gst_inworld_tts_src_parent_class parent_class
G_DEFINE_TYPE (GstInworldTtsSrc, gst_inworld_tts_src, GST_TYPE_ELEMENT);

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (inworldttssrc, "inworldttssrc",
    GST_RANK_NONE, GST_TYPE_INWORLD_TTS_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_inworld_tts_src_debug, "inworldttssrc", 0,
        "Inworld text-to-speech source"));

GType
gst_inworld_tts_encoding_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_ENCODING_AUTO, "Chosen from the downstream caps",
        "auto"},
    {GST_INWORLD_TTS_ENCODING_PCM, "Raw 16-bit PCM", "pcm"},
    {GST_INWORLD_TTS_ENCODING_LINEAR16,
        "16-bit PCM with a WAV header on every chunk (stripped)", "linear16"},
    {GST_INWORLD_TTS_ENCODING_WAV,
        "16-bit PCM with a WAV header on each flush (stripped)", "wav"},
    {GST_INWORLD_TTS_ENCODING_MP3, "MP3 (audio/mpeg frames)", "mp3"},
    {GST_INWORLD_TTS_ENCODING_OGG_OPUS,
        "Ogg Opus (audio/x-opus packets)", "ogg-opus"},
    {GST_INWORLD_TTS_ENCODING_FLAC, "FLAC (audio/x-flac frames)", "flac"},
    {GST_INWORLD_TTS_ENCODING_ALAW, "G.711 A-law (8000 Hz)", "alaw"},
    {GST_INWORLD_TTS_ENCODING_MULAW, "G.711 mu-law (8000 Hz)", "mulaw"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstInworldTtsEncoding", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_inworld_tts_timestamp_type_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_TIMESTAMP_NONE, "No timings", "none"},
    {GST_INWORLD_TTS_TIMESTAMP_WORD, "A message per word", "word"},
    {GST_INWORLD_TTS_TIMESTAMP_CHARACTER, "A message per character",
        "character"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstInworldTtsTimestampType", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_inworld_tts_protocol_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_PROTOCOL_AUTO,
        "SLNG when the URI path contains /tts/slng/, else Inworld", "auto"},
    {GST_INWORLD_TTS_PROTOCOL_INWORLD,
        "Inworld's bidirectional streaming API", "inworld"},
    {GST_INWORLD_TTS_PROTOCOL_SLNG,
        "SLNG's unified TTS protocol (Inworld Max 1.5)", "slng"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstInworldTtsProtocol", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------------
 * Text from the application and from upstream
 * ------------------------------------------------------------------------ */

/* Running time now, for live utterances; NONE when not playing. */
static GstClockTime
arrival_time (GstInworldTtsSrc * self)
{
  return gst_element_get_current_running_time (GST_ELEMENT (self));
}

static gboolean
is_live (GstInworldTtsSrc * self)
{
  gboolean live;

  GST_OBJECT_LOCK (self);
  live = self->is_live;
  GST_OBJECT_UNLOCK (self);
  return live;
}

/* Queues an utterance unless the stream was ended; takes @text. */
static gboolean
queue_text (GstInworldTtsSrc * self, gchar * text, gboolean flush,
    GstClockTime start)
{
  Item *item = gst_inworld_tts_src_item_new (ITEM_TEXT);
  gboolean accepted;

  item->text = text;
  item->flush = flush;
  item->start = start;
  g_mutex_lock (&self->lock);
  accepted = !self->eos_queued && !self->flushing;
  if (accepted) {
    g_queue_push_tail (&self->items, item);
    g_cond_signal (&self->cond);
  }
  g_mutex_unlock (&self->lock);
  if (!accepted) {
    GST_WARNING_OBJECT (self, "text refused: the stream has ended or the "
        "element is not running");
    gst_inworld_tts_src_item_free (item);
  }
  return accepted;
}

static gboolean
gst_inworld_tts_src_push_text (GstInworldTtsSrc * self, const gchar * text,
    gboolean flush)
{
  gsize bad;

  g_mutex_lock (&self->lock);
  if (self->eos_queued || self->flushing) {
    g_mutex_unlock (&self->lock);
    GST_WARNING_OBJECT (self, "push-text: the stream has ended or the "
        "element is not running; text refused");
    return FALSE;
  }
  g_mutex_unlock (&self->lock);
  if (text == NULL || !inworld_text_validate (text, -1, &bad)) {
    GST_WARNING_OBJECT (self, "push-text: not UTF-8 text (bad byte at %"
        G_GSIZE_FORMAT "), ignored", text ? bad : 0);
    return FALSE;
  }
  if (!inworld_text_has_speech (text) && flush) {
    /* nothing to say, but the flush asked for still applies */
    g_signal_emit (self, signals[SIGNAL_FLUSH], 0);
    return TRUE;
  }
  return queue_text (self, g_strdup (text), flush,
      is_live (self) ? arrival_time (self) : GST_CLOCK_TIME_NONE);
}

static void
queue_simple (GstInworldTtsSrc * self, ItemType type)
{
  g_mutex_lock (&self->lock);
  if (!self->eos_queued && !self->flushing) {
    g_queue_push_tail (&self->items, gst_inworld_tts_src_item_new (type));
    if (type == ITEM_EOS)
      self->eos_queued = TRUE;
    g_cond_signal (&self->cond);
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_inworld_tts_src_flush (GstInworldTtsSrc * self)
{
  queue_simple (self, ITEM_FLUSH);
}

static void
gst_inworld_tts_src_end_of_stream (GstInworldTtsSrc * self)
{
  queue_simple (self, ITEM_EOS);
}

static GstFlowReturn
gst_inworld_tts_src_sink_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (parent);
  GstClockTime start = GST_CLOCK_TIME_NONE;
  GstMapInfo map;
  gchar *text = NULL;
  gsize bad;
  guint64 index = ++self->sink_buffers;
  gboolean auto_mode;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    goto done;
  if (map.size == 0)
    goto unmap;                 /* nothing to say */
  if (!inworld_text_validate ((const gchar *) map.data, map.size, &bad)) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Dropped text buffer %" G_GUINT64_FORMAT " (PTS %" GST_TIME_FORMAT
            "): it is not valid UTF-8 (bad byte at offset %" G_GSIZE_FORMAT
            ").", index, GST_TIME_ARGS (GST_BUFFER_PTS (buf)), bad), (NULL));
    goto unmap;
  }
  if (self->sink_markup) {
    GError *error = NULL;

    text = inworld_text_strip_markup ((const gchar *) map.data, map.size,
        &error);
    if (text == NULL) {
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
          ("Dropped text buffer %" G_GUINT64_FORMAT " (PTS %" GST_TIME_FORMAT
              "): it is not valid Pango markup.", index,
              GST_TIME_ARGS (GST_BUFFER_PTS (buf))), ("%s", error->message));
      g_clear_error (&error);
      goto unmap;
    }
  } else {
    text = g_strndup ((const gchar *) map.data, map.size);
  }
  if (!inworld_text_has_speech (text)) {
    g_clear_pointer (&text, g_free);
    goto unmap;
  }

  if (is_live (self))
    start = arrival_time (self);
  else if (GST_BUFFER_PTS_IS_VALID (buf))
    start = gst_segment_to_running_time (&self->sink_segment,
        GST_FORMAT_TIME, GST_BUFFER_PTS (buf));
  GST_OBJECT_LOCK (self);
  auto_mode = self->auto_mode;
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "utterance %" G_GUINT64_FORMAT " from %"
      GST_TIME_FORMAT ": %s", index, GST_TIME_ARGS (start), text);
  queue_text (self, g_steal_pointer (&text), !auto_mode, start);

unmap:
  gst_buffer_unmap (buf, &map);
done:
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

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
    case GST_EVENT_FLUSH_START:
      /* a flushing seek upstream: what was being said is out of date */
      gst_inworld_tts_src_interrupt_upstream (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init (&self->sink_segment, GST_FORMAT_TIME);
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

  GST_OBJECT_LOCK (self);
  if (self->sinkpad) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "there is one sink pad at most");
    return NULL;
  }
  GST_OBJECT_UNLOCK (self);

  pad = gst_pad_new_from_template (templ, "sink");
  gst_pad_set_chain_function (pad,
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_sink_chain));
  gst_pad_set_event_function (pad,
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_sink_event));
  GST_PAD_SET_PROXY_ALLOCATION (pad);
  gst_segment_init (&self->sink_segment, GST_FORMAT_TIME);
  self->sink_markup = FALSE;
  self->sink_buffers = 0;

  GST_OBJECT_LOCK (self);
  self->sinkpad = pad;
  GST_OBJECT_UNLOCK (self);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
gst_inworld_tts_src_release_pad (GstElement * element, GstPad * pad)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (element);

  GST_OBJECT_LOCK (self);
  if (self->sinkpad == pad)
    self->sinkpad = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_element_remove_pad (element, pad);
}

/* ------------------------------------------------------------------------
 * The src pad and states
 * ------------------------------------------------------------------------ */

static gboolean
gst_inworld_tts_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (parent);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  if (active) {
    gst_inworld_tts_src_reset_stream (self);
    g_mutex_lock (&self->lock);
    self->flushing = FALSE;
    g_mutex_unlock (&self->lock);
    return gst_pad_start_task (pad, (GstTaskFunction) gst_inworld_tts_src_loop,
        pad, NULL);
  }

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  gst_pad_stop_task (pad);
  gst_inworld_tts_src_reset_stream (self);
  return TRUE;
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
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static gboolean
gst_inworld_tts_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEEK:
      GST_DEBUG_OBJECT (parent, "seeking is not supported");
      gst_event_unref (event);
      return FALSE;
    default:
      return gst_pad_event_default (pad, parent, event);
  }
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
        ("Nothing to speak: the text property holds only white space."),
        (NULL));
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

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!check_settings (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      g_mutex_lock (&self->lock);
      self->playing = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
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
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      g_mutex_lock (&self->lock);
      self->playing = FALSE;
      g_mutex_unlock (&self->lock);
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

/* A synthesis setting changed: the running context hears of it. */
static void
config_changed (GstInworldTtsSrc * self)
{
  g_mutex_lock (&self->lock);
  if (!self->flushing) {
    g_queue_push_tail (&self->items, gst_inworld_tts_src_item_new
        (ITEM_CONFIG));
    g_cond_signal (&self->cond);
  }
  g_mutex_unlock (&self->lock);
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
      config_changed (self);
      break;
    case PROP_MODEL:
      set_string (self, &self->model, value);
      config_changed (self);
      break;
    case PROP_LANGUAGE:
      set_string (self, &self->language, value);
      config_changed (self);
      break;
    case PROP_TEMPERATURE:
      GST_OBJECT_LOCK (self);
      self->temperature = g_value_get_double (value);
      GST_OBJECT_UNLOCK (self);
      config_changed (self);
      break;
    case PROP_SPEAKING_RATE:
      GST_OBJECT_LOCK (self);
      self->speaking_rate = g_value_get_double (value);
      GST_OBJECT_UNLOCK (self);
      config_changed (self);
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
  g_free (self->text);
  inworld_secret_free (self->api_key);
  g_free (self->uri);
  g_free (self->voice);
  g_free (self->model);
  g_free (self->language);
  g_free (self->region);
  g_free (self->ssl_ca_file);
  g_free (self->proxy);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_inworld_tts_src_init (GstInworldTtsSrc * self)
{
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
  self->timeout = DEFAULT_TIMEOUT;
  self->auto_mode = DEFAULT_AUTO_MODE;
  self->timestamp_type = DEFAULT_TIMESTAMP_TYPE;
  self->protocol = DEFAULT_PROTOCOL;
  self->region = g_strdup (DEFAULT_REGION);
  self->keepalive = DEFAULT_KEEPALIVE;
  self->ssl_strict = DEFAULT_SSL_STRICT;
  self->ssl_ca_file = g_strdup (DEFAULT_SSL_CA_FILE);
  self->proxy = g_strdup (DEFAULT_PROXY);
  self->next_sequence = -1;

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->items);
  g_queue_init (&self->held);
  g_queue_init (&self->pending);
  self->flushing = TRUE;
  self->discont = TRUE;
  self->flush_processed = -1;
  self->unflushed_start = GST_CLOCK_TIME_NONE;
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
  /* synthesis settings: changed while playing, they reach the server */
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
   */
  g_object_class_install_property (gobject_class, PROP_API_KEY,
      g_param_spec_string ("api-key", "API key",
          "Inworld API key (write-only; default: the INWORLD_API_KEY "
          "environment variable)", NULL,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
          "WebSocket URI of the text-to-speech service (ws:// or wss://)",
          DEFAULT_URI, rw_ready));

  g_object_class_install_property (gobject_class, PROP_VOICE,
      g_param_spec_string ("voice", "Voice",
          "Voice to speak with: a built-in name (Ashley, Dennis, Alex...) "
          "or a workspace voice id; changed while playing, it applies to "
          "the text sent afterwards", DEFAULT_VOICE, rw_playing));

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Synthesis model id (inworld-tts-1.5-max, inworld-tts-1.5-mini, "
          "inworld-tts-2...); changed while playing, later text goes to a "
          "new server context", DEFAULT_MODEL, rw_playing));

  g_object_class_install_property (gobject_class, PROP_LANGUAGE,
      g_param_spec_string ("language", "Language",
          "BCP-47 language of the text (en-US, fr-FR...); NULL lets the "
          "server detect it", DEFAULT_LANGUAGE, rw_playing));

  g_object_class_install_property (gobject_class, PROP_TEMPERATURE,
      g_param_spec_double ("temperature", "Temperature",
          "Sampling temperature, in (0, 2]; 0 leaves the server default "
          "(1.0)", 0.0, 2.0, DEFAULT_TEMPERATURE, rw_playing));

  g_object_class_install_property (gobject_class, PROP_SPEAKING_RATE,
      g_param_spec_double ("speaking-rate", "Speaking rate",
          "Speed of speech, 0.5 to 1.5 (1.0 = normal); 0 leaves the server "
          "default", 0.0, 1.5, DEFAULT_SPEAKING_RATE, rw_playing));

  /**
   * GstInworldTtsSrc:encoding:
   *
   * The audio encoding asked of the server. `auto` takes downstream's
   * first choice among the source pad's caps (audio/x-raw gives `pcm`);
   * any other value forces that encoding, and negotiation fails with an
   * error if downstream cannot take it.
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
   */
  g_object_class_install_property (gobject_class, PROP_BITRATE,
      g_param_spec_uint ("bitrate", "Bit rate",
          "Bit rate in bit/s for MP3 (32000-320000) and Opus (32000-192000); "
          "0 leaves the server default (128000)", 0, 320000, DEFAULT_BITRATE,
          rw_ready));

  g_object_class_install_property (gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean ("is-live", "Is live",
          "Act as a live source: timestamps in running time, starting when "
          "the text is handed over in PLAYING", DEFAULT_IS_LIVE, rw_ready));

  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint64 ("latency", "Latency",
          "Expected delay from text to first audio, in nanoseconds, "
          "reported in latency queries when live", 0, G_MAXUINT64,
          DEFAULT_LATENCY, rw_ready));

  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Seconds to wait for the connection and for each reply of the "
          "server before failing (0 = wait forever)", 0, 3600,
          DEFAULT_TIMEOUT, rw_ready));

  g_object_class_install_property (gobject_class, PROP_AUTO_MODE,
      g_param_spec_boolean ("auto-mode", "Auto mode",
          "Let the server decide when to synthesize buffered text instead of "
          "flushing each sink buffer and push-text on arrival",
          DEFAULT_AUTO_MODE, rw_ready));

  /**
   * GstInworldTtsSrc:timestamp-type:
   *
   * Asks the server for word or character timings and posts each as an
   * `inworld-word-timing` element message (`word`, `start`, `end` in the
   * element's output timeline, `context-id`, `flush-index`); in character
   * mode each `word` is one character.
   */
  g_object_class_install_property (gobject_class, PROP_TIMESTAMP_TYPE,
      g_param_spec_enum ("timestamp-type", "Timestamp type",
          "Post the server's word or character timings as "
          "inworld-word-timing element messages",
          GST_TYPE_INWORLD_TTS_TIMESTAMP_TYPE, DEFAULT_TIMESTAMP_TYPE,
          rw_ready));

  /**
   * GstInworldTtsSrc:protocol:
   *
   * The protocol spoken to the server. With `slng` and the default URI,
   * the element connects to SLNG's `wss://api.slng.ai/v1/tts/slng/inworld/max:1.5`
   * and authenticates with `Authorization: Bearer <key>`; the key falls
   * back to the `SLNG_API_KEY` environment variable.
   */
  g_object_class_install_property (gobject_class, PROP_PROTOCOL,
      g_param_spec_enum ("protocol", "Protocol",
          "WebSocket protocol: inworld, slng (SLNG-hosted Inworld Max 1.5), "
          "or auto (slng when the URI path contains /tts/slng/)",
          GST_TYPE_INWORLD_TTS_PROTOCOL, DEFAULT_PROTOCOL, rw_ready));

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
   */
  g_object_class_install_property (gobject_class, PROP_KEEPALIVE,
      g_param_spec_uint ("keepalive", "Keepalive",
          "Seconds of silence on the connection after which an open "
          "context is kept alive with an empty message (the service closes "
          "idle connections after 10 minutes); 0 = never", 0, 3600,
          DEFAULT_KEEPALIVE, rw_ready));

  /**
   * GstInworldTtsSrc::push-text:
   * @src: the element
   * @text: UTF-8 text
   * @flush: synthesize it now (else it waits for more text, a flush or the
   *   end of the stream)
   *
   * Queues an utterance. Live, its speech starts at the running time of
   * the call; otherwise right after the previous speech.
   *
   * Returns: %FALSE when @text is not UTF-8 or the stream has ended.
   */
  signals[SIGNAL_PUSH_TEXT] = g_signal_new_class_handler ("push-text",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_inworld_tts_src_push_text), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);

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
   * Later text is refused.
   */
  signals[SIGNAL_END_OF_STREAM] = g_signal_new_class_handler ("end-of-stream",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_inworld_tts_src_end_of_stream), NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  /**
   * GstInworldTtsSrc::interrupt:
   * @src: the element
   *
   * Stops the speech now (barge-in): downstream is flushed, queued text and
   * audio are dropped, the server context is closed and a fresh one
   * opened. Nothing of the old context reaches downstream afterwards.
   */
  signals[SIGNAL_INTERRUPT] = g_signal_new_class_handler ("interrupt",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_inworld_tts_src_interrupt), NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_release_pad);
  gst_element_class_set_static_metadata (element_class,
      "Inworld text-to-speech source", "Source/Audio/Network",
      "Speaks text with Inworld's streaming text-to-speech WebSocket API",
      "inworldttssrc developers <inworldttssrc@users.noreply.github.com>");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_ENCODING, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_TIMESTAMP_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_PROTOCOL, 0);
}
