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
 * Long text is cut at sentence (then word) boundaries into pieces the API
 * accepts (1000 characters at most) and every piece is flushed on its own.
 * After the last buffer of each flush the element pushes a serialized
 * custom downstream event and posts an element message, both carrying a
 * #GstStructure named `inworld-flush-completed` with the fields
 * `context-id` (string), `flush-index` (guint, from 1), `timestamp`
 * (#GstClockTime where that flush's audio ends) and `characters` (guint,
 * characters the server synthesized); the message also has `running-time`
 * and `stream-time`. Once the text is spoken the server context is closed
 * and the element sends EOS.
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

#include "gstinworldttssrc.h"
#include "gstinworldelements.h"
#include "inworldaudio.h"
#include "inworldconnection.h"
#include "inworldtext.h"

#include <gst/audio/audio.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_inworld_tts_src_debug);
#define GST_CAT_DEFAULT gst_inworld_tts_src_debug

#define DEFAULT_URI "wss://api.inworld.ai/tts/v1/voice:streamBidirectional"
#define DEFAULT_VOICE "Ashley"
#define DEFAULT_MODEL "inworld-tts-1.5-max"
#define DEFAULT_LANGUAGE NULL
#define DEFAULT_TEMPERATURE 0.0
#define DEFAULT_SPEAKING_RATE 0.0
#define DEFAULT_ENCODING GST_INWORLD_TTS_ENCODING_AUTO
#define DEFAULT_IS_LIVE FALSE
#define DEFAULT_LATENCY (300 * GST_MSECOND)
#define DEFAULT_TIMEOUT 15
#define DEFAULT_BITRATE 0
#define DEFAULT_RATE 24000

#define API_KEY_ENV "INWORLD_API_KEY"

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
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (INWORLD_AUDIO_CAPS));

/* Why the streaming task stopped waiting. */
typedef enum
{
  WAIT_EVENT,
  WAIT_FLUSHING,
  WAIT_TIMEOUT,
} WaitResult;

struct _GstInworldTtsSrc
{
  GstElement parent;

  GstPad *srcpad;

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

  /* shared with the connection thread, under lock */
  GMutex lock;
  GCond cond;
  GQueue events;                /* InworldEvent * */
  gboolean flushing;
  gboolean playing;

  /* streaming thread only (and state changes, with the task stopped) */
  InworldConnection *conn;
  gchar *context_id;
  gchar *uri_in_use;
  gboolean started;
  gboolean got_reply;
  gboolean context_closed;
  InworldAudioFramer *framer;
  InworldEncoding wire_encoding;
  gint rate;                    /* asked of the server */
  gint clock_rate;              /* of sample counts: 48000 for Opus */
  gboolean segment_sent;        /* after the first caps */
  GstClockTime origin;          /* timeline start: 0, or running time if live */
  guint64 samples;              /* samples pushed so far, at clock_rate */
  gboolean discont;
  guint flushes_completed;
  GQueue flush_chars;           /* chars of each flush sent, not yet completed */
  gint flush_processed;         /* server's count for the current flush */
  guint64 chars_sent;
  guint64 chars_spoken;
};

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

static const gchar *
grpc_code_name (gint code)
{
  static const gchar *names[] = { "OK", "CANCELLED", "UNKNOWN",
    "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"
  };

  if (code >= 0 && code < (gint) G_N_ELEMENTS (names))
    return names[code];
  return "UNKNOWN";
}

/* ------------------------------------------------------------------------
 * Events from the connection thread
 * ------------------------------------------------------------------------ */

static void
on_connection_event (InworldEvent * event, gpointer user_data)
{
  GstInworldTtsSrc *self = user_data;

  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->events, event);
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
}

static WaitResult
wait_event (GstInworldTtsSrc * self, guint timeout_s, InworldEvent ** event)
{
  gint64 deadline = timeout_s ?
      g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND : 0;
  WaitResult result;

  g_mutex_lock (&self->lock);
  for (;;) {
    if (self->flushing) {
      result = WAIT_FLUSHING;
      break;
    }
    if ((*event = g_queue_pop_head (&self->events))) {
      result = WAIT_EVENT;
      break;
    }
    if (deadline == 0)
      g_cond_wait (&self->cond, &self->lock);
    else if (!g_cond_wait_until (&self->cond, &self->lock, deadline)
        && g_queue_is_empty (&self->events) && !self->flushing) {
      result = WAIT_TIMEOUT;
      break;
    }
  }
  g_mutex_unlock (&self->lock);
  return result;
}

/* ------------------------------------------------------------------------
 * Streaming
 * ------------------------------------------------------------------------ */

static gchar *
resolve_api_key (GstInworldTtsSrc * self)
{
  gchar *key;

  GST_OBJECT_LOCK (self);
  key = g_strdup (self->api_key);
  GST_OBJECT_UNLOCK (self);
  if (key == NULL || *key == '\0') {
    const gchar *env = g_getenv (API_KEY_ENV);
    g_free (key);
    key = (env && *env) ? g_strdup (env) : NULL;
  }
  return key;
}

/* The wire encoding the encoding property forces; FALSE for auto. */
static gboolean
forced_encoding (GstInworldTtsEncoding encoding, InworldEncoding * wire)
{
  static const InworldEncoding wire_encodings[] = {
    [GST_INWORLD_TTS_ENCODING_PCM] = INWORLD_ENCODING_PCM,
    [GST_INWORLD_TTS_ENCODING_LINEAR16] = INWORLD_ENCODING_LINEAR16,
    [GST_INWORLD_TTS_ENCODING_WAV] = INWORLD_ENCODING_WAV,
    [GST_INWORLD_TTS_ENCODING_MP3] = INWORLD_ENCODING_MP3,
    [GST_INWORLD_TTS_ENCODING_OGG_OPUS] = INWORLD_ENCODING_OGG_OPUS,
    [GST_INWORLD_TTS_ENCODING_FLAC] = INWORLD_ENCODING_FLAC,
    [GST_INWORLD_TTS_ENCODING_ALAW] = INWORLD_ENCODING_ALAW,
    [GST_INWORLD_TTS_ENCODING_MULAW] = INWORLD_ENCODING_MULAW,
  };

  if (encoding == GST_INWORLD_TTS_ENCODING_AUTO
      || encoding >= G_N_ELEMENTS (wire_encodings))
    return FALSE;
  *wire = wire_encodings[encoding];
  return TRUE;
}

/* Bit rates the API allows, for the encodings that take one. */
static gboolean
bitrate_range (InworldEncoding encoding, guint * min, guint * max)
{
  *min = 32000;
  if (encoding == INWORLD_ENCODING_MP3)
    *max = 320000;
  else if (encoding == INWORLD_ENCODING_OGG_OPUS)
    *max = 192000;
  else
    return FALSE;
  return TRUE;
}

/* Picks the encoding (the property's, or downstream's first choice when
 * auto) and the rate (downstream's, nearest DEFAULT_RATE). The caps
 * themselves are set when the framer knows them. */
static GstFlowReturn
negotiate (GstInworldTtsSrc * self, InworldEncoding * wire_encoding,
    gint * bitrate)
{
  GstCaps *offered, *peer, *caps;
  GstStructure *s;
  GstInworldTtsEncoding encoding;
  guint rate_bitrate, min, max;
  gboolean forced;

  GST_OBJECT_LOCK (self);
  encoding = self->encoding;
  rate_bitrate = self->bitrate;
  GST_OBJECT_UNLOCK (self);

  forced = forced_encoding (encoding, wire_encoding);
  offered = forced ? inworld_audio_template_caps (*wire_encoding)
      : gst_pad_get_pad_template_caps (self->srcpad);
  peer = gst_pad_peer_query_caps (self->srcpad, NULL);
  caps = gst_caps_intersect_full (peer, offered, GST_CAPS_INTERSECT_FIRST);

  if (gst_caps_is_empty (caps)) {
    gchar *want = gst_caps_to_string (offered);
    gchar *have = gst_caps_to_string (peer);

    if (forced)
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("Downstream does not accept %s audio (encoding=%s): change the "
              "caps after the element or set encoding=auto.",
              inworld_audio_media_type (*wire_encoding),
              inworld_encoding_to_string (*wire_encoding)),
          ("encoding %s produces %s; downstream accepts %s",
              inworld_encoding_to_string (*wire_encoding), want, have));
    else
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("Downstream accepts none of the formats inworldttssrc produces "
              "(raw 16-bit mono PCM at 8000 to 48000 Hz, MP3 at 16000 Hz "
              "and more, Opus, FLAC, A-law or mu-law at 8000 Hz)."),
          ("offered %s; downstream accepts %s; for raw audio add "
              "audioconvert ! audioresample after the element", want, have));
    g_free (want);
    g_free (have);
    gst_caps_unref (offered);
    gst_caps_unref (peer);
    gst_caps_unref (caps);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  gst_caps_unref (offered);
  gst_caps_unref (peer);

  caps = gst_caps_truncate (caps);
  caps = gst_caps_make_writable (caps);
  s = gst_caps_get_structure (caps, 0);
  gst_structure_fixate_field_nearest_int (s, "rate", DEFAULT_RATE);
  gst_structure_get_int (s, "rate", &self->rate);
  if (!forced)
    inworld_audio_encoding_for_media_type (gst_structure_get_name (s),
        wire_encoding);
  gst_caps_unref (caps);

  *bitrate = 0;
  if (rate_bitrate != 0) {
    if (!bitrate_range (*wire_encoding, &min, &max)) {
      GST_INFO_OBJECT (self, "bitrate not sent: %s has none",
          inworld_encoding_to_string (*wire_encoding));
    } else if (rate_bitrate < min || rate_bitrate > max) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("bitrate=%u is outside what %s allows (%u to %u bit/s).",
              rate_bitrate, inworld_encoding_to_string (*wire_encoding), min,
              max), (NULL));
      return GST_FLOW_NOT_NEGOTIATED;
    } else {
      *bitrate = rate_bitrate;
    }
  }

  GST_INFO_OBJECT (self, "%s at %d Hz on the wire",
      inworld_encoding_to_string (*wire_encoding), self->rate);
  return GST_FLOW_OK;
}

static GstFlowReturn update_caps (GstInworldTtsSrc * self);

/* Waits for PLAYING when live: a live source's speech starts when the
 * text is handed over in PLAYING, and its timeline is running time. */
static gboolean
wait_playing (GstInworldTtsSrc * self)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  while (!self->playing && !self->flushing)
    g_cond_wait (&self->cond, &self->lock);
  ok = !self->flushing;
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
send_text (GstInworldTtsSrc * self, const InworldProtocol * proto,
    const gchar * text)
{
  gchar **pieces = inworld_text_split (text, INWORLD_MAX_TEXT_CHARS);

  for (gchar ** p = pieces; *p; p++) {
    glong chars;

    if (!inworld_text_has_speech (*p))
      continue;
    chars = g_utf8_strlen (*p, -1);
    inworld_connection_send (self->conn,
        proto->build_send_text (self->context_id, *p, TRUE));
    g_queue_push_tail (&self->flush_chars, GUINT_TO_POINTER ((guint) chars));
    self->chars_sent += chars;
  }
  g_strfreev (pieces);
}

static GstFlowReturn
start_stream (GstInworldTtsSrc * self)
{
  static gint context_serial = 0;
  InworldConnectionParams params = { 0 };
  InworldSynthConfig config;
  InworldEncoding wire_encoding;
  const InworldProtocol *proto;
  GstFlowReturn ret;
  gchar *stream_id, *key, *text;
  gint bitrate;
  gboolean live;

  stream_id = gst_pad_create_stream_id (self->srcpad, GST_ELEMENT (self), NULL);
  gst_pad_push_event (self->srcpad, gst_event_new_stream_start (stream_id));
  g_free (stream_id);

  ret = negotiate (self, &wire_encoding, &bitrate);
  if (ret != GST_FLOW_OK)
    return ret;

  GST_OBJECT_LOCK (self);
  live = self->is_live;
  GST_OBJECT_UNLOCK (self);
  if (live && !wait_playing (self))
    return GST_FLOW_FLUSHING;

  self->wire_encoding = wire_encoding;
  self->framer = inworld_audio_framer_new (wire_encoding, self->rate);
  self->clock_rate = inworld_audio_framer_get_clock_rate (self->framer);
  /* raw, G.711 and MP3 caps are known now; Opus and FLAC caps (and the
   * segment after them) come with the stream headers */
  ret = update_caps (self);
  if (ret != GST_FLOW_OK)
    return ret;
  self->context_id = g_strdup_printf ("%s-%d", GST_OBJECT_NAME (self),
      g_atomic_int_add (&context_serial, 1) + 1);

  key = resolve_api_key (self);
  inworld_synth_config_init (&config);
  GST_OBJECT_LOCK (self);
  params.uri = self->uri_in_use = g_strdup (self->uri);
  params.api_key = key;
  params.protocol = INWORLD_PROTOCOL_INWORLD;
  params.timeout_s = self->timeout;
  config.voice = self->voice;
  config.model = self->model;
  config.language = self->language;
  config.temperature = self->temperature;
  config.speaking_rate = self->speaking_rate;
  config.encoding = wire_encoding;
  config.sample_rate = self->rate;
  config.bitrate = bitrate;
  text = g_strdup (self->text);

  self->conn = inworld_connection_new (&params, on_connection_event, self);
  proto = inworld_connection_get_protocol (self->conn);
  /* pipelined: the server handles a connection's frames in order */
  inworld_connection_send (self->conn, proto->build_create (self->context_id,
          &config));
  GST_OBJECT_UNLOCK (self);
  inworld_secret_free (key);

  if (live) {
    GstClockTime now = gst_element_get_current_running_time (GST_ELEMENT
        (self));
    self->origin = GST_CLOCK_TIME_IS_VALID (now) ? now : 0;
  }
  send_text (self, proto, text);
  g_free (text);
  inworld_connection_send (self->conn, proto->build_close (self->context_id));

  GST_INFO_OBJECT (self, "context %s: %u flush(es), %" G_GUINT64_FORMAT
      " characters sent to %s", self->context_id,
      g_queue_get_length (&self->flush_chars),
      self->chars_sent, self->uri_in_use);
  self->started = TRUE;
  return GST_FLOW_OK;
}

static GstClockTime
samples_to_time (GstInworldTtsSrc * self, guint64 samples)
{
  return self->origin + gst_util_uint64_scale_int (samples, GST_SECOND,
      self->clock_rate);
}

/* Sets the framer's caps when they are new; the segment follows the first
 * caps (sticky events go stream-start, caps, segment). */
static GstFlowReturn
update_caps (GstInworldTtsSrc * self)
{
  GstCaps *caps = inworld_audio_framer_take_caps (self->framer);
  gboolean ok;

  if (caps == NULL)
    return GST_FLOW_OK;
  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, caps);
  ok = gst_pad_set_caps (self->srcpad, caps);
  gst_caps_unref (caps);
  if (!ok && GST_PAD_IS_FLUSHING (self->srcpad))
    return GST_FLOW_FLUSHING;   /* shutting down, not refused */
  if (!ok) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Downstream refused the %s caps it had accepted in the caps query.",
            inworld_audio_media_type (self->wire_encoding)), (NULL));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!self->segment_sent) {
    GstSegment segment;

    gst_segment_init (&segment, GST_FORMAT_TIME);
    gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
    self->segment_sent = TRUE;
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
push_audio (GstInworldTtsSrc * self)
{
  GstBuffer *buf;
  guint64 n;
  GstFlowReturn ret = GST_FLOW_OK;

  while (ret == GST_FLOW_OK
      && (buf = inworld_audio_framer_pop (self->framer, &n))) {
    GstClockTime pts = samples_to_time (self, self->samples);

    ret = update_caps (self);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (buf);
      break;
    }
    /* header buffers (n = 0) take no time */
    GST_BUFFER_PTS (buf) = pts;
    GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION (buf) = samples_to_time (self, self->samples + n) - pts;
    GST_BUFFER_OFFSET (buf) = self->samples;
    GST_BUFFER_OFFSET_END (buf) = self->samples + n;
    if (self->discont) {
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
      self->discont = FALSE;
    }
    self->samples += n;
    GST_LOG_OBJECT (self, "pushing %" G_GUINT64_FORMAT " samples at %"
        GST_TIME_FORMAT, n, GST_TIME_ARGS (pts));
    ret = gst_pad_push (self->srcpad, buf);
  }
  return ret;
}

static GstFlowReturn
handle_audio (GstInworldTtsSrc * self, InworldEvent * event)
{
  GError *error = NULL;

  if (event->processed_chars >= 0 && self->flush_processed < 0)
    self->flush_processed = event->processed_chars;
  if (event->audio == NULL)
    return GST_FLOW_OK;

  if (!inworld_audio_framer_push (self->framer, event->audio, &error)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The server sent audio in another format than asked for."),
        ("%s", error->message));
    g_clear_error (&error);
    return GST_FLOW_ERROR;
  }
  return push_audio (self);
}

static GstFlowReturn
flush_completed (GstInworldTtsSrc * self)
{
  GstClockTime end;
  GstStructure *s;
  GstMessage *msg;
  GstFlowReturn ret;
  gsize left;
  guint sent_chars = GPOINTER_TO_UINT (g_queue_pop_head (&self->flush_chars));
  guint chars =
      self->flush_processed >= 0 ? (guint) self->flush_processed : sent_chars;

  /* the last frame of a flush may complete only now (FLAC) */
  left = inworld_audio_framer_end_flush (self->framer);
  if (left)
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("Dropped %" G_GSIZE_FORMAT " byte(s) of flush %u that made no "
            "whole sample or frame.", left, self->flushes_completed + 1),
        ("%s audio of context %s", inworld_audio_media_type
            (self->wire_encoding), self->context_id));
  ret = push_audio (self);
  if (ret != GST_FLOW_OK)
    return ret;
  end = samples_to_time (self, self->samples);

  self->flushes_completed++;
  self->chars_spoken += sent_chars;
  self->flush_processed = -1;

  s = gst_structure_new (GST_INWORLD_FLUSH_COMPLETED,
      "context-id", G_TYPE_STRING, self->context_id,
      "flush-index", G_TYPE_UINT, self->flushes_completed,
      "timestamp", GST_TYPE_CLOCK_TIME, end,
      "characters", G_TYPE_UINT, chars, NULL);
  GST_DEBUG_OBJECT (self, "flush completed: %" GST_PTR_FORMAT, s);

  msg = gst_message_new_element (GST_OBJECT (self), gst_structure_copy (s));
  gst_structure_set (gst_message_writable_structure (msg),
      "running-time", GST_TYPE_CLOCK_TIME, end,
      "stream-time", GST_TYPE_CLOCK_TIME, end, NULL);

  gst_pad_push_event (self->srcpad,
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s));
  gst_element_post_message (GST_ELEMENT (self), msg);
  return GST_FLOW_OK;
}

static void
post_server_error (GstInworldTtsSrc * self, InworldEvent * event)
{
  if (event->code == 7 || event->code == 16) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
        ("The server at %s rejected the API key: %s (code %d %s). Check the "
            "api-key property or the " API_KEY_ENV " environment variable.",
            self->uri_in_use, event->message ? event->message : "",
            event->code, grpc_code_name (event->code)), (NULL));
  } else {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("The text-to-speech server reported an error: %s (code %d %s).",
            event->message ? event->message : "no message", event->code,
            grpc_code_name (event->code)),
        ("context %s, uri %s", event->context_id ? event->context_id :
            "(connection-wide)", self->uri_in_use));
  }
}

static void
post_disconnected (GstInworldTtsSrc * self, InworldEvent * event)
{
  if (!self->got_reply) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not reach the text-to-speech server at %s.",
            self->uri_in_use), ("%s", event->message));
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Lost the connection to %s with %" G_GUINT64_FORMAT " of %"
            G_GUINT64_FORMAT " characters not spoken.", self->uri_in_use,
            self->chars_sent - self->chars_spoken, self->chars_sent),
        ("%s", event->message));
  }
}

/* Returns GST_FLOW_EOS once everything is spoken and the context closed. */
static GstFlowReturn
handle_event (GstInworldTtsSrc * self, InworldEvent * event)
{
  GstFlowReturn ret = GST_FLOW_OK;

  if (event->context_id && g_strcmp0 (event->context_id, self->context_id)) {
    GST_DEBUG_OBJECT (self, "ignoring %s for context %s",
        inworld_event_type_name (event->type), event->context_id);
    return GST_FLOW_OK;
  }

  /* anything the server itself said proves it was reached */
  if (event->type != INWORLD_EVENT_DISCONNECTED
      && event->type != INWORLD_EVENT_INVALID_FRAME)
    self->got_reply = TRUE;

  switch (event->type) {
    case INWORLD_EVENT_CONTEXT_CREATED:
    case INWORLD_EVENT_CONTEXT_UPDATED:
      GST_DEBUG_OBJECT (self, "context %s: %s", self->context_id,
          inworld_event_type_name (event->type));
      break;
    case INWORLD_EVENT_AUDIO:
      ret = handle_audio (self, event);
      break;
    case INWORLD_EVENT_FLUSH_COMPLETED:
      if (!g_queue_is_empty (&self->flush_chars))
        ret = flush_completed (self);
      else
        GST_WARNING_OBJECT (self, "flushCompleted without a flush, ignored");
      break;
    case INWORLD_EVENT_CONTEXT_CLOSED:
      self->context_closed = TRUE;
      if (!g_queue_is_empty (&self->flush_chars))
        GST_INFO_OBJECT (self, "context closed before %u flush(es) "
            "completed; waiting for their audio",
            g_queue_get_length (&self->flush_chars));
      break;
    case INWORLD_EVENT_ERROR:
      post_server_error (self, event);
      return GST_FLOW_ERROR;
    case INWORLD_EVENT_DISCONNECTED:
      post_disconnected (self, event);
      return GST_FLOW_ERROR;
    case INWORLD_EVENT_INVALID_FRAME:
      GST_ELEMENT_WARNING (self, STREAM, DECODE,
          ("Ignored a frame from the server that is not valid for the "
              "protocol."), ("%s", event->message));
      break;
  }

  if (ret == GST_FLOW_OK && self->context_closed
      && g_queue_is_empty (&self->flush_chars))
    ret = GST_FLOW_EOS;
  return ret;
}

static void
gst_inworld_tts_src_loop (GstPad * pad)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (GST_PAD_PARENT (pad));
  InworldEvent *event = NULL;
  GstFlowReturn ret;
  guint timeout;

  if (!self->started) {
    ret = start_stream (self);
    if (ret != GST_FLOW_OK)
      goto pause;
  }

  GST_OBJECT_LOCK (self);
  timeout = self->timeout;
  GST_OBJECT_UNLOCK (self);

  switch (wait_event (self, timeout, &event)) {
    case WAIT_FLUSHING:
      ret = GST_FLOW_FLUSHING;
      goto pause;
    case WAIT_TIMEOUT:
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("No reply from the text-to-speech server at %s for %u s.",
              self->uri_in_use, timeout),
          ("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " characters not "
              "spoken; raise the timeout property if the server is slow",
              self->chars_sent - self->chars_spoken, self->chars_sent));
      ret = GST_FLOW_ERROR;
      goto pause;
    case WAIT_EVENT:
      break;
  }

  ret = handle_event (self, event);
  inworld_event_free (event);
  if (ret != GST_FLOW_OK)
    goto pause;
  return;

pause:
  GST_DEBUG_OBJECT (self, "pausing task: %s", gst_flow_get_name (ret));
  gst_pad_pause_task (pad);
  if (ret == GST_FLOW_EOS) {
    GST_INFO_OBJECT (self, "all %u flush(es) spoken: %" G_GUINT64_FORMAT
        " samples", self->flushes_completed, self->samples);
    gst_pad_push_event (pad, gst_event_new_eos ());
  } else if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
    /* GST_FLOW_ERROR has been posted with its cause already */
    if (ret != GST_FLOW_ERROR && ret != GST_FLOW_NOT_NEGOTIATED)
      GST_ELEMENT_FLOW_ERROR (self, ret);
    gst_pad_push_event (pad, gst_event_new_eos ());
  }
}

/* ------------------------------------------------------------------------
 * Pads and states
 * ------------------------------------------------------------------------ */

static void
reset_stream (GstInworldTtsSrc * self)
{
  InworldEvent *event;

  /* no event is delivered once this returns */
  g_clear_pointer (&self->conn, inworld_connection_free);

  g_mutex_lock (&self->lock);
  while ((event = g_queue_pop_head (&self->events)))
    inworld_event_free (event);
  g_mutex_unlock (&self->lock);

  g_clear_pointer (&self->framer, inworld_audio_framer_free);
  g_clear_pointer (&self->context_id, g_free);
  g_clear_pointer (&self->uri_in_use, g_free);
  g_queue_clear (&self->flush_chars);
  self->started = FALSE;
  self->got_reply = FALSE;
  self->context_closed = FALSE;
  self->origin = 0;
  self->segment_sent = FALSE;
  self->samples = 0;
  self->discont = TRUE;
  self->flushes_completed = 0;
  self->flush_processed = -1;
  self->chars_sent = 0;
  self->chars_spoken = 0;
}

static gboolean
gst_inworld_tts_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (parent);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  if (active) {
    reset_stream (self);
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
  reset_stream (self);
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

static gboolean
check_settings (GstInworldTtsSrc * self)
{
  gchar *key = resolve_api_key (self);
  gboolean has_key = key != NULL;
  gchar *text, *uri;
  gsize bad;
  gboolean ok = TRUE;

  inworld_secret_free (key);

  GST_OBJECT_LOCK (self);
  text = g_strdup (self->text);
  uri = g_strdup (self->uri);
  GST_OBJECT_UNLOCK (self);

  if (!has_key) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
        ("No API key: set the api-key property or the " API_KEY_ENV
            " environment variable."), (NULL));
    ok = FALSE;
  } else if (uri == NULL || !(g_str_has_prefix (uri, "ws://")
          || g_str_has_prefix (uri, "wss://"))) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The uri property must be a ws:// or wss:// URI, not '%s'.",
            uri ? uri : "(null)"), (NULL));
    ok = FALSE;
  } else if (text == NULL || *text == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Nothing to speak: set the text property."), (NULL));
    ok = FALSE;
  } else if (!inworld_text_validate (text, -1, &bad)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The text property is not valid UTF-8 (bad byte at offset %"
            G_GSIZE_FORMAT ").", bad), (NULL));
    ok = FALSE;
  } else if (!inworld_text_has_speech (text)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Nothing to speak: the text property holds only white space."),
        (NULL));
    ok = FALSE;
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
  gboolean live;

  GST_OBJECT_LOCK (self);
  live = self->is_live;
  GST_OBJECT_UNLOCK (self);

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
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

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

  reset_stream (self);
  g_free (self->text);
  inworld_secret_free (self->api_key);
  g_free (self->uri);
  g_free (self->voice);
  g_free (self->model);
  g_free (self->language);
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

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->events);
  g_queue_init (&self->flush_chars);
  self->flushing = TRUE;
  self->discont = TRUE;
  self->flush_processed = -1;

  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_inworld_tts_src_class_init (GstInworldTtsSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw_ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_inworld_tts_src_set_property;
  gobject_class->get_property = gst_inworld_tts_src_get_property;
  gobject_class->finalize = gst_inworld_tts_src_finalize;

  /**
   * GstInworldTtsSrc:text:
   *
   * The text to speak: spoken once, then the element sends EOS.
   */
  g_object_class_install_property (gobject_class, PROP_TEXT,
      g_param_spec_string ("text", "Text",
          "UTF-8 text to speak; spoken once, then EOS", NULL, rw_ready));

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
          "or a workspace voice id", DEFAULT_VOICE, rw_ready));

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Synthesis model id (inworld-tts-1.5-max, inworld-tts-1.5-mini, "
          "inworld-tts-2...)", DEFAULT_MODEL, rw_ready));

  g_object_class_install_property (gobject_class, PROP_LANGUAGE,
      g_param_spec_string ("language", "Language",
          "BCP-47 language of the text (en-US, fr-FR...); NULL lets the "
          "server detect it", DEFAULT_LANGUAGE, rw_ready));

  g_object_class_install_property (gobject_class, PROP_TEMPERATURE,
      g_param_spec_double ("temperature", "Temperature",
          "Sampling temperature, in (0, 2]; 0 leaves the server default "
          "(1.0)", 0.0, 2.0, DEFAULT_TEMPERATURE, rw_ready));

  g_object_class_install_property (gobject_class, PROP_SPEAKING_RATE,
      g_param_spec_double ("speaking-rate", "Speaking rate",
          "Speed of speech, 0.5 to 1.5 (1.0 = normal); 0 leaves the server "
          "default", 0.0, 1.5, DEFAULT_SPEAKING_RATE, rw_ready));

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

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Inworld text-to-speech source", "Source/Audio/Network",
      "Speaks text with Inworld's streaming text-to-speech WebSocket API",
      "inworldttssrc developers <inworldttssrc@users.noreply.github.com>");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_inworld_tts_src_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_INWORLD_TTS_ENCODING, 0);
}
