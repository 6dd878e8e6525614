/* inworldttssrc: the streaming task
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The src pad's task: negotiates, connects, keeps one server context,
 * turns the work items (text, flushes, end of stream, interruptions,
 * config changes, the server's events) into frames and buffers, and
 * keeps the output timeline:
 *
 *  - each flush's speech starts at max(its requested start, the end of
 *    what was pushed before); the silence between is a GAP event;
 *  - within a flush, PTS are exact by sample count from that start;
 *  - live, audio later than PTS + latency is shifted to be just in time,
 *    counted, and reported once. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstinworldttssrcpriv.h"
#include "inworldpolicy.h"
#include "inworldtext.h"

#include <string.h>

#define DEFAULT_RATE 24000

/* Why the task stopped waiting. */
typedef enum
{
  WAIT_ITEM,
  WAIT_FLUSHING,
  WAIT_TIMEOUT,
} WaitResult;

/* ------------------------------------------------------------------------
 * Work items
 * ------------------------------------------------------------------------ */

Item *
gst_inworld_tts_src_item_new (ItemType type)
{
  Item *item = g_new0 (Item, 1);

  item->type = type;
  item->start = GST_CLOCK_TIME_NONE;
  return item;
}

void
gst_inworld_tts_src_item_free (Item * item)
{
  if (item->event)
    inworld_event_free (item->event);
  g_free (item->text);
  g_free (item);
}

void
gst_inworld_tts_src_enqueue (GstInworldTtsSrc * self, Item * item)
{
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->items, item);
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* On the connection thread. Events of a context freed are never given;
 * those of the context before the current one (an interrupted one, whose
 * handle is freed right after the new one is opened) are told apart by
 * their id. */
static void
on_context_event (InworldEvent * event, gpointer user_data)
{
  Item *item = gst_inworld_tts_src_item_new (ITEM_EVENT);

  item->event = event;
  gst_inworld_tts_src_enqueue (GST_INWORLD_TTS_SRC (user_data), item);
}

static void
interrupt (GstInworldTtsSrc * self, gboolean cancel_eos)
{
  GQueue kept = G_QUEUE_INIT;
  Item *item;

  g_mutex_lock (&self->lock);
  if (self->flushing || self->task_done) {
    g_mutex_unlock (&self->lock);
    return;
  }
  if (!self->running) {
    /* nothing was said yet: only the queued text goes */
    GQueue kept_early = G_QUEUE_INIT;

    while ((item = g_queue_pop_head (&self->items))) {
      if (item->type == ITEM_TEXT || item->type == ITEM_FLUSH
          || (item->type == ITEM_EOS && cancel_eos))
        gst_inworld_tts_src_item_free (item);
      else
        g_queue_push_tail (&kept_early, item);
    }
    self->items = kept_early;
    if (cancel_eos)
      self->eos_queued = FALSE;
    g_mutex_unlock (&self->lock);
    return;
  }
  self->interrupting++;
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "interrupting the speech");
  /* unblocks a push in progress. It goes before the INTERRUPT item is
   * queued: the task sends the FLUSH_STOP when it handles that item */
  gst_pad_push_event (self->srcpad, gst_event_new_flush_start ());

  /* what was queued belongs to the speech being stopped; the end of the
   * stream, config changes and other interruptions (each owing its
   * FLUSH_STOP) still hold */
  g_mutex_lock (&self->lock);
  while ((item = g_queue_pop_head (&self->items))) {
    if ((item->type == ITEM_EOS && !cancel_eos) || item->type == ITEM_CONFIG
        || item->type == ITEM_INTERRUPT)
      g_queue_push_tail (&kept, item);
    else
      gst_inworld_tts_src_item_free (item);
  }
  self->items = kept;
  item = gst_inworld_tts_src_item_new (ITEM_INTERRUPT);
  item->flush = cancel_eos;
  g_queue_push_head (&self->items, item);
  if (cancel_eos)
    self->eos_queued = FALSE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
gst_inworld_tts_src_interrupt (GstInworldTtsSrc * self)
{
  interrupt (self, FALSE);
}

void
gst_inworld_tts_src_interrupt_upstream (GstInworldTtsSrc * self)
{
  interrupt (self, TRUE);
}

static WaitResult
wait_item (GstInworldTtsSrc * self, guint timeout_s, Item ** item)
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
    if ((*item = g_queue_pop_head (&self->items))) {
      result = WAIT_ITEM;
      break;
    }
    if (deadline == 0)
      g_cond_wait (&self->cond, &self->lock);
    else if (!g_cond_wait_until (&self->cond, &self->lock, deadline)
        && g_queue_is_empty (&self->items) && !self->flushing) {
      result = WAIT_TIMEOUT;
      break;
    }
  }
  g_mutex_unlock (&self->lock);
  return result;
}

/* ------------------------------------------------------------------------
 * Negotiation
 * ------------------------------------------------------------------------ */

const gchar *
gst_inworld_tts_src_key_env (InworldProtocolKind kind)
{
  return kind == INWORLD_PROTOCOL_SLNG ? SLNG_API_KEY_ENV : API_KEY_ENV;
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
negotiate (GstInworldTtsSrc * self)
{
  GstCaps *offered, *peer, *caps;
  GstStructure *s;
  GstInworldTtsEncoding encoding;
  InworldEncoding *wire = &self->wire_encoding;
  guint bitrate, min, max;
  gboolean forced;

  GST_OBJECT_LOCK (self);
  encoding = self->encoding;
  bitrate = self->bitrate;
  GST_OBJECT_UNLOCK (self);

  forced = forced_encoding (encoding, wire);
  offered = forced ? inworld_audio_template_caps (*wire)
      : gst_pad_get_pad_template_caps (self->srcpad);
  peer = gst_pad_peer_query_caps (self->srcpad, NULL);
  GST_DEBUG_OBJECT (self, "downstream accepts %" GST_PTR_FORMAT, peer);
  caps = gst_caps_intersect_full (peer, offered, GST_CAPS_INTERSECT_FIRST);

  if (gst_caps_is_empty (caps)) {
    gchar *want = gst_caps_to_string (offered);
    gchar *have = gst_caps_to_string (peer);

    if (forced)
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("Downstream does not accept %s audio (encoding=%s): change the "
              "caps after the element or set encoding=auto.",
              inworld_audio_media_type (*wire),
              inworld_encoding_to_string (*wire)),
          ("encoding %s produces %s; downstream accepts %s",
              inworld_encoding_to_string (*wire), want, have));
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
    inworld_audio_encoding_for_media_type (gst_structure_get_name (s), wire);
  gst_caps_unref (caps);

  self->bitrate_in_use = 0;
  if (bitrate != 0) {
    if (!bitrate_range (*wire, &min, &max)) {
      GST_INFO_OBJECT (self, "bitrate not sent: %s has none",
          inworld_encoding_to_string (*wire));
    } else if (bitrate < min || bitrate > max) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("bitrate=%u is outside what %s allows (%u to %u bit/s).",
              bitrate, inworld_encoding_to_string (*wire), min, max), (NULL));
      return GST_FLOW_NOT_NEGOTIATED;
    } else {
      self->bitrate_in_use = bitrate;
    }
  }

  GST_INFO_OBJECT (self, "%s at %d Hz on the wire",
      inworld_encoding_to_string (*wire), self->rate);
  return GST_FLOW_OK;
}

static void
push_segment (GstInworldTtsSrc * self)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
  self->segment_sent = TRUE;
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
  if (!self->segment_sent)
    push_segment (self);
  return GST_FLOW_OK;
}

/* ------------------------------------------------------------------------
 * The server context
 * ------------------------------------------------------------------------ */

static void send_flush (GstInworldTtsSrc * self);
static void end_stream (GstInworldTtsSrc * self);

/* Attempts at a new context after a loss, before giving up; each waits
 * the connection layer's back-off (0.2 s doubling, 6 s in all). */
#define MAX_RECONNECTS 5
/* Warnings posted for invalid frames of the server; later ones are only
 * logged. */
#define MAX_FRAME_WARNINGS 100

/* The synthesis settings of the properties; strings borrowed from @self,
 * so the object lock must be held while @config is in use. */
static void
read_config (GstInworldTtsSrc * self, InworldSynthConfig * config)
{
  static const InworldTimestampType timestamp_types[] = {
    [GST_INWORLD_TTS_TIMESTAMP_NONE] = INWORLD_TIMESTAMP_NONE,
    [GST_INWORLD_TTS_TIMESTAMP_WORD] = INWORLD_TIMESTAMP_WORD,
    [GST_INWORLD_TTS_TIMESTAMP_CHARACTER] = INWORLD_TIMESTAMP_CHARACTER,
  };

  inworld_synth_config_init (config);
  config->voice = self->voice;
  config->model = self->model;
  config->language = self->language;
  config->temperature = self->temperature;
  config->speaking_rate = self->speaking_rate;
  config->encoding = self->wire_encoding;
  config->sample_rate = self->rate;
  config->bitrate = self->bitrate_in_use;
  config->auto_mode = self->auto_mode;
  config->timestamp_type = timestamp_types[self->timestamp_type];
}

/* Creates a fresh context with the current settings, on a connection
 * shared with the other elements that talk to the same server with the
 * same key (SLNG: a fresh session on a connection of its own). The
 * previous context is let go (and closed, if it was not). */
static void
open_context (GstInworldTtsSrc * self)
{
  static gint serial = 0;
  InworldConnectionParams params = { 0 };
  InworldSynthConfig config;
  InworldContext *old = self->ctx;
  gchar *key, *region, *create;

  g_free (self->context_id);
  self->context_id = g_strdup_printf ("%s-%d", GST_OBJECT_NAME (self),
      g_atomic_int_add (&serial, 1) + 1);

  key = gst_inworld_tts_src_resolve_api_key (self, self->proto->kind);
  GST_OBJECT_LOCK (self);
  read_config (self, &config);
  create = self->proto->build_create (self->context_id, &config);
  g_free (self->model_in_use);
  self->model_in_use = g_strdup (self->model);
  params.timeout_s = self->timeout;
  params.keepalive_s = self->keepalive;
  region = g_strdup (self->region);
  params.net.ssl_insecure = !self->ssl_strict;
  params.net.ssl_ca_file = g_strdup (self->ssl_ca_file);
  params.net.proxy = g_strdup (self->proxy);
  GST_OBJECT_UNLOCK (self);
  params.uri = self->uri_in_use;
  params.api_key = key;
  params.protocol = self->proto->kind;
  params.region = region;

  /* opened before the old one is let go, so that the connection they
   * share stays open */
  self->ctx = inworld_context_open (&params, self->context_id, create,
      on_context_event, self);
  inworld_secret_free (key);
  g_free (region);
  inworld_net_settings_clear (&params.net);
  inworld_context_free (old);

  self->closing = FALSE;
  self->context_closed = FALSE;
  self->close_when_done = FALSE;
  self->context_created = FALSE;
  self->context_lost = FALSE;
  self->got_reply = FALSE;
  self->next_sequence = 1;      /* SLNG numbers from 1 */
  GST_INFO_OBJECT (self, "context %s on %s", self->context_id,
      self->uri_in_use);
}

static void
close_context (GstInworldTtsSrc * self)
{
  if (self->closing)
    return;
  self->closing = TRUE;
  if (self->context_lost) {
    /* the server has ended it already */
    self->context_closed = TRUE;
    return;
  }
  inworld_context_close (self->ctx);
  /* SLNG acknowledges no close: the session simply ends */
  if (!self->proto->multiplexed)
    self->context_closed = TRUE;
}

/* The end of the stream: what was sent is flushed, then the context is
 * closed. SLNG's close stops the audio, so there it waits for every
 * audio_end first. */
static void
end_stream (GstInworldTtsSrc * self)
{
  send_flush (self);
  if (self->proto->multiplexed || g_queue_is_empty (&self->pending))
    close_context (self);
  else
    self->close_when_done = TRUE;
}

static GstFlowReturn
start_stream (GstInworldTtsSrc * self)
{
  GstFlowReturn ret;
  gchar *stream_id, *text;

  stream_id = gst_pad_create_stream_id (self->srcpad, GST_ELEMENT (self), NULL);
  gst_pad_push_event (self->srcpad, gst_event_new_stream_start (stream_id));
  g_free (stream_id);

  ret = negotiate (self);
  if (ret != GST_FLOW_OK)
    return ret;

  /* a warm start: the connection and the context are made now, in
   * PAUSED, so that the first text goes over an open socket */
  g_free (self->uri_in_use);
  self->proto = inworld_protocol_get (gst_inworld_tts_src_resolve_target
      (self, &self->uri_in_use));
  GST_INFO_OBJECT (self, "%s protocol at %s", self->proto->name,
      self->uri_in_use);
  open_context (self);

  GST_OBJECT_LOCK (self);
  self->live = self->is_live;
  GST_OBJECT_UNLOCK (self);
  if (self->live) {
    gboolean ok;

    /* a live source's speech starts when the text is handed over in
     * PLAYING, and its timeline is running time */
    g_mutex_lock (&self->lock);
    while (!self->playing && !self->flushing)
      g_cond_wait (&self->cond, &self->lock);
    ok = !self->flushing;
    g_mutex_unlock (&self->lock);
    if (!ok)
      return GST_FLOW_FLUSHING;
  }

  g_clear_pointer (&self->framer, inworld_audio_framer_free);
  self->framer = inworld_audio_framer_new (self->wire_encoding, self->rate);
  self->clock_rate = inworld_audio_framer_get_clock_rate (self->framer);
  /* raw, G.711 and MP3 caps are known now; Opus and FLAC caps (and the
   * segment after them) come with the stream headers */
  ret = update_caps (self);
  if (ret != GST_FLOW_OK)
    return ret;

  if (self->live) {
    GstClockTime now = gst_element_get_current_running_time (GST_ELEMENT
        (self));
    self->position = GST_CLOCK_TIME_IS_VALID (now) ? now : 0;
    /* sinks and mixers complete their change to PLAYING on data: with
     * nothing to say yet, a gap lets them */
    if (self->segment_sent)
      gst_pad_push_event (self->srcpad, gst_event_new_gap (self->position,
              0));
  }

  GST_OBJECT_LOCK (self);
  text = g_strdup (self->text);
  GST_OBJECT_UNLOCK (self);
  self->started = TRUE;
  g_mutex_lock (&self->lock);
  self->running = TRUE;
  g_mutex_unlock (&self->lock);

  /* the text property is the first utterance; alone, it is all there is */
  if (text && *text) {
    Item *item = gst_inworld_tts_src_item_new (ITEM_TEXT);

    item->text = text;
    item->flush = TRUE;
    g_mutex_lock (&self->lock);
    g_queue_push_head (&self->items, item);
    if (self->sinkpad == NULL && !self->eos_queued) {
      g_queue_insert_after (&self->items, self->items.head,
          gst_inworld_tts_src_item_new (ITEM_EOS));
      self->eos_queued = TRUE;
    }
    g_mutex_unlock (&self->lock);
  } else {
    g_free (text);
  }
  return GST_FLOW_OK;
}

/* ------------------------------------------------------------------------
 * Text
 * ------------------------------------------------------------------------ */

/* The text sent without a flush becomes a flush the server owes. */
static void
record_flush (GstInworldTtsSrc * self)
{
  PendingFlush *pending;

  if (self->unflushed_chars == 0)
    return;
  pending = g_new (PendingFlush, 1);
  pending->chars = self->unflushed_chars;
  pending->start = self->unflushed_start;
  pending->pieces = self->unflushed_pieces;
  g_queue_push_tail (&self->pending, pending);
  self->unflushed_chars = 0;
  self->unflushed_start = GST_CLOCK_TIME_NONE;
  self->unflushed_pieces = NULL;
}

static void
pending_flush_free (PendingFlush * pending)
{
  g_clear_pointer (&pending->pieces, g_ptr_array_unref);
  g_free (pending);
}

static void
send_flush (GstInworldTtsSrc * self)
{
  if (self->unflushed_chars == 0)
    return;
  inworld_context_send (self->ctx,
      self->proto->build_flush (self->context_id));
  record_flush (self);
}

/* Sends @text in pieces the API takes; every piece but the last is
 * flushed, and the last one too when @flush. */
static void
send_text (GstInworldTtsSrc * self, const gchar * text, gboolean flush,
    GstClockTime start)
{
  gchar **pieces = inworld_text_split (text, INWORLD_MAX_TEXT_CHARS);
  guint n = g_strv_length (pieces);

  for (guint i = 0; i < n; i++) {
    gboolean piece_flush = flush || i + 1 < n;
    glong chars;

    if (!inworld_text_has_speech (pieces[i]))
      continue;
    chars = g_utf8_strlen (pieces[i], -1);
    if (self->unflushed_chars == 0)
      self->unflushed_start = start;
    start = GST_CLOCK_TIME_NONE;        /* the next pieces follow */
    self->unflushed_chars += chars;
    self->chars_sent += chars;
    if (self->unflushed_pieces == NULL)
      self->unflushed_pieces = g_ptr_array_new_with_free_func (g_free);
    g_ptr_array_add (self->unflushed_pieces, g_strdup (pieces[i]));
    inworld_context_send (self->ctx, self->proto->build_send_text
        (self->context_id, pieces[i], piece_flush));
    if (piece_flush)
      record_flush (self);
  }
  g_strfreev (pieces);
}

/* ------------------------------------------------------------------------
 * The output timeline
 * ------------------------------------------------------------------------ */

/* Places the current flush's audio: at its requested start if that is
 * later than the end of the previous audio (a GAP event between), else
 * right after it. */
static void
begin_flush (GstInworldTtsSrc * self)
{
  PendingFlush *pending = g_queue_peek_head (&self->pending);
  GstClockTime start = pending ? pending->start : GST_CLOCK_TIME_NONE;

  if (self->in_flush)
    return;
  if (GST_CLOCK_TIME_IS_VALID (start) && start > self->position) {
    GST_DEBUG_OBJECT (self, "gap %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT,
        GST_TIME_ARGS (self->position), GST_TIME_ARGS (start));
    if (self->segment_sent)
      gst_pad_push_event (self->srcpad, gst_event_new_gap (self->position,
              start - self->position));
    self->position = start;
  }
  self->flush_base = self->position;
  self->flush_samples = 0;
  self->in_flush = TRUE;
}

static GstClockTime
flush_time (GstInworldTtsSrc * self, guint64 samples)
{
  return self->flush_base + gst_util_uint64_scale_int (samples, GST_SECOND,
      self->clock_rate);
}

/* Live: audio that would reach the sink later than its PTS plus the
 * latency is moved to be just in time. */
static void
check_lateness (GstInworldTtsSrc * self, GstClockTime pts)
{
  GstClockTime now, latency;

  GST_OBJECT_LOCK (self);
  latency = self->latency;
  GST_OBJECT_UNLOCK (self);
  now = gst_element_get_current_running_time (GST_ELEMENT (self));
  if (!GST_CLOCK_TIME_IS_VALID (now) || now <= pts + latency)
    return;

  self->flush_base += now - latency - pts;
  self->late_total += now - latency - pts;
  self->late_buffers++;
  self->discont = TRUE;
  if (self->late_buffers == 1)
    GST_ELEMENT_WARNING (self, CORE, CLOCK,
        ("Speech arrived %" G_GUINT64_FORMAT " ms later than the latency of "
            "%" G_GUINT64_FORMAT " ms allows; it is shifted to play at once. "
            "Raise the latency property to keep its timing.",
            (now - latency - pts) / GST_MSECOND, latency / GST_MSECOND),
        ("buffer at %" GST_TIME_FORMAT ", running time %" GST_TIME_FORMAT,
            GST_TIME_ARGS (pts), GST_TIME_ARGS (now)));
  else
    GST_DEBUG_OBJECT (self, "late buffer %u, shifted %" GST_TIME_FORMAT
        " in all", self->late_buffers, GST_TIME_ARGS (self->late_total));
}

static GstFlowReturn
push_audio (GstInworldTtsSrc * self)
{
  GstBuffer *buf;
  guint64 n;
  GstFlowReturn ret = GST_FLOW_OK;

  while (ret == GST_FLOW_OK
      && (buf = inworld_audio_framer_pop (self->framer, &n))) {
    GstClockTime pts;

    ret = update_caps (self);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (buf);
      break;
    }
    begin_flush (self);
    pts = flush_time (self, self->flush_samples);
    if (self->live && n > 0) {
      check_lateness (self, pts);
      pts = flush_time (self, self->flush_samples);
    }

    /* header buffers (n = 0) take no time */
    GST_BUFFER_PTS (buf) = pts;
    GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION (buf) = flush_time (self, self->flush_samples + n)
        - pts;
    GST_BUFFER_OFFSET (buf) = self->samples;
    GST_BUFFER_OFFSET_END (buf) = self->samples + n;
    if (self->discont) {
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
      self->discont = FALSE;
    }
    self->samples += n;
    self->flush_samples += n;
    self->position = pts + GST_BUFFER_DURATION (buf);
    GST_LOG_OBJECT (self, "pushing %" G_GUINT64_FORMAT " samples at %"
        GST_TIME_FORMAT, n, GST_TIME_ARGS (pts));
    ret = gst_pad_push (self->srcpad, buf);
  }
  return ret;
}

/* ------------------------------------------------------------------------
 * The server's events
 * ------------------------------------------------------------------------ */

static void
post_timings (GstInworldTtsSrc * self, const InworldTimings * timings)
{
  begin_flush (self);
  for (guint i = 0; i < timings->n; i++) {
    GstClockTime start = self->flush_base + (GstClockTime) (MAX (0.0,
            timings->start[i]) * GST_SECOND + 0.5);
    GstClockTime end = self->flush_base + (GstClockTime) (MAX (0.0,
            timings->end[i]) * GST_SECOND + 0.5);

    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new (GST_INWORLD_WORD_TIMING,
                "word", G_TYPE_STRING, timings->tokens[i],
                "start", GST_TYPE_CLOCK_TIME, start,
                "end", GST_TYPE_CLOCK_TIME, MAX (start, end),
                "context-id", G_TYPE_STRING, self->context_id,
                "flush-index", G_TYPE_UINT, self->flushes_completed + 1,
                NULL)));
  }
}

static GstFlowReturn
handle_audio (GstInworldTtsSrc * self, InworldEvent * event)
{
  GError *error = NULL;

  if (event->processed_chars >= 0 && self->flush_processed < 0)
    self->flush_processed = event->processed_chars;
  if (event->sequence >= 0) {
    /* numbering may restart at 1 with each flush */
    if (self->next_sequence >= 0 && event->sequence != self->next_sequence
        && !(self->flush_chunks == 0 && event->sequence <= 1)) {
      if (self->sequence_errors++ == 0)
        GST_ELEMENT_WARNING (self, STREAM, DECODE,
            ("Audio chunk %" G_GINT64_FORMAT " arrived where %" G_GINT64_FORMAT
                " was expected: the server's audio is out of order or has a "
                "gap.", event->sequence, self->next_sequence),
            ("session %s", self->context_id));
      else
        GST_DEBUG_OBJECT (self, "sequence error %u: %" G_GINT64_FORMAT
            " for %" G_GINT64_FORMAT, self->sequence_errors, event->sequence,
            self->next_sequence);
    }
    self->next_sequence = event->sequence + 1;
  }
  self->flush_chunks++;
  if (event->audio) {
    GstFlowReturn ret;

    if (!inworld_audio_framer_push (self->framer, event->audio, &error)) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("The server sent audio in another format than asked for."),
          ("%s", error->message));
      g_clear_error (&error);
      return GST_FLOW_ERROR;
    }
    ret = push_audio (self);
    if (ret != GST_FLOW_OK)
      return ret;
  }
  /* after the audio: a late chunk has moved the flush's start (live) */
  if (event->timings)
    post_timings (self, event->timings);
  return GST_FLOW_OK;
}

static GstFlowReturn
flush_completed (GstInworldTtsSrc * self)
{
  PendingFlush *pending;
  GstClockTime end;
  GstStructure *s;
  GstMessage *msg;
  GstFlowReturn ret;
  gsize left;
  guint chars;

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

  /* a flush without audio still takes its place in the timeline */
  begin_flush (self);
  end = self->position;
  pending = g_queue_pop_head (&self->pending);
  chars = self->flush_processed >= 0 ? (guint) self->flush_processed :
      pending->chars;
  self->flushes_completed++;
  self->chars_spoken += pending->chars;
  self->flush_processed = -1;
  self->in_flush = FALSE;
  self->flush_chunks = 0;
  pending_flush_free (pending);
  /* progress: a later loss starts a fresh count of attempts */
  self->reconnects = 0;
  self->lost_since = 0;
  if (self->close_when_done && g_queue_is_empty (&self->pending))
    close_context (self);

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

/* The server's own words for an ERROR or DISCONNECTED event (g_free). */
static gchar *
describe_problem (const InworldEvent * event)
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

/* Posts the error that ends the stream, for a problem the policy says
 * cannot be got round. */
static void
post_failure (GstInworldTtsSrc * self, const InworldEvent * event,
    InworldFailure failure)
{
  gchar *what = describe_problem (event);
  const gchar *env = gst_inworld_tts_src_key_env (self->proto->kind);

  switch (failure) {
    case INWORLD_FAILURE_AUTH:
      if (event->type == INWORLD_EVENT_DISCONNECTED)
        GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
            ("The server at %s refused the API key (HTTP %d). Check the "
                "api-key property or the %s environment variable.",
                self->uri_in_use, event->code, env), ("%s", what));
      else
        GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
            ("The server at %s rejected the API key: %s. Check the api-key "
                "property or the %s environment variable.", self->uri_in_use,
                what, env), (NULL));
      break;
    case INWORLD_FAILURE_SETTINGS:
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("The server refused the settings: %s. Check voice, model, "
              "language, the encoding and the rate.", what),
          ("context %s, uri %s", self->context_id, self->uri_in_use));
      break;
    case INWORLD_FAILURE_BUSY:
      GST_ELEMENT_ERROR (self, RESOURCE, BUSY,
          ("The server at %s is at a limit: %s. Try again later or with "
              "fewer streams.", self->uri_in_use, what),
          ("context %s", self->context_id));
      break;
    case INWORLD_FAILURE_UNREACHABLE:
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not reach the text-to-speech server at %s: %s",
              self->uri_in_use, what), (NULL));
      break;
    case INWORLD_FAILURE_TOO_BIG:
      GST_ELEMENT_ERROR (self, RESOURCE, READ, ("%s, with %" G_GUINT64_FORMAT
              " of %" G_GUINT64_FORMAT " characters not spoken.", what,
              self->chars_sent - self->chars_spoken, self->chars_sent),
          ("context %s", self->context_id));
      break;
    case INWORLD_FAILURE_SERVER:
    case INWORLD_FAILURE_NONE:
      if (event->type == INWORLD_EVENT_DISCONNECTED)
        GST_ELEMENT_ERROR (self, RESOURCE, READ,
            ("Lost the connection to %s with %" G_GUINT64_FORMAT " of %"
                G_GUINT64_FORMAT " characters not spoken.", self->uri_in_use,
                self->chars_sent - self->chars_spoken, self->chars_sent),
            ("%s", what));
      else
        GST_ELEMENT_ERROR (self, STREAM, FAILED,
            ("The text-to-speech server reported an error: %s.", what),
            ("context %s, uri %s", event->context_id ? event->context_id :
                "(connection-wide)", self->uri_in_use));
      break;
  }
  g_free (what);
}

/* Sends the text of every flush not completed, and of the text not yet
 * flushed, again, on a new context: the old one is gone with its audio.
 * A flush whose audio had begun is spoken again from its start. */
static void
resend (GstInworldTtsSrc * self)
{
  gboolean ended = self->closing || self->close_when_done;

  inworld_audio_framer_reset (self->framer);
  if (self->in_flush) {
    self->in_flush = FALSE;
    self->discont = TRUE;
  }
  self->flush_processed = -1;
  self->flush_chunks = 0;
  open_context (self);

  for (GList * l = self->pending.head; l; l = l->next) {
    GPtrArray *pieces = ((PendingFlush *) l->data)->pieces;

    for (guint i = 0; pieces && i < pieces->len; i++)
      inworld_context_send (self->ctx, self->proto->build_send_text
          (self->context_id, g_ptr_array_index (pieces, i),
              i + 1 == pieces->len));
  }
  for (guint i = 0; self->unflushed_pieces && i < self->unflushed_pieces->len;
      i++)
    inworld_context_send (self->ctx, self->proto->build_send_text
        (self->context_id, g_ptr_array_index (self->unflushed_pieces, i),
            FALSE));
  if (ended)
    end_stream (self);
}

/* The context is lost (or must be left): a new one, with the unspoken
 * text re-sent, unless the retries are used up. */
static GstFlowReturn
recover (GstInworldTtsSrc * self, const InworldEvent * event,
    InworldFailure failure)
{
  gint64 now = g_get_monotonic_time ();
  guint64 unspoken = self->chars_sent - self->chars_spoken;
  gchar *what;
  guint timeout;

  if (g_queue_is_empty (&self->pending) && self->unflushed_chars == 0) {
    /* nothing lost: the next text opens a new context */
    if (!self->context_lost)
      GST_INFO_OBJECT (self, "context %s ended by the server with nothing "
          "pending: %s", self->context_id, event->message);
    self->context_lost = TRUE;
    if (self->closing)
      self->context_closed = TRUE;
    return GST_FLOW_OK;
  }

  GST_OBJECT_LOCK (self);
  timeout = self->timeout;
  GST_OBJECT_UNLOCK (self);
  if (self->reconnects == 0)
    self->lost_since = now;
  self->reconnects++;
  what = describe_problem (event);

  if (self->reconnects > MAX_RECONNECTS || (timeout > 0
          && now - self->lost_since > (gint64) timeout * G_USEC_PER_SEC)) {
    if (failure == INWORLD_FAILURE_BUSY)
      GST_ELEMENT_ERROR (self, RESOURCE, BUSY,
          ("The server at %s stayed at a limit: %" G_GUINT64_FORMAT " of %"
              G_GUINT64_FORMAT " characters not spoken after %u attempts in "
              "%.1f s. Try again later or with fewer streams.",
              self->uri_in_use, unspoken, self->chars_sent,
              self->reconnects - 1, (now - self->lost_since) / 1e6),
          ("last problem: %s", what));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("Lost the connection to %s with %" G_GUINT64_FORMAT " of %"
              G_GUINT64_FORMAT " characters not spoken; %u attempts to "
              "reconnect in %.1f s failed.", self->uri_in_use, unspoken,
              self->chars_sent, self->reconnects - 1,
              (now - self->lost_since) / 1e6), ("last problem: %s", what));
    g_free (what);
    return GST_FLOW_ERROR;
  }

  if (self->reconnects == 1)
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("Lost context %s on %s; re-sending %" G_GUINT64_FORMAT
            " character(s) on a new one.", self->context_id,
            self->uri_in_use, unspoken), ("%s", what));
  GST_INFO_OBJECT (self, "attempt %u: %s", self->reconnects, what);
  g_free (what);
  resend (self);
  return GST_FLOW_OK;
}

/* An ERROR or DISCONNECTED event, as the error policy says. */
static GstFlowReturn
handle_problem (GstInworldTtsSrc * self, InworldEvent * event)
{
  InworldPolicyState state = { self->context_created, self->closing,
    self->ever_connected
  };
  InworldPolicy policy = inworld_policy_decide (self->proto, event, &state);
  gchar *what;

  GST_INFO_OBJECT (self, "%s (code %d): %s -> %s",
      inworld_event_type_name (event->type), event->code, event->message,
      inworld_policy_action_name (policy.action));
  switch (policy.action) {
    case INWORLD_POLICY_IGNORE:
      return GST_FLOW_OK;
    case INWORLD_POLICY_WARN:
      what = describe_problem (event);
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("The text-to-speech server reported a problem: %s.", what),
          ("context %s, uri %s", self->context_id, self->uri_in_use));
      g_free (what);
      return GST_FLOW_OK;
    case INWORLD_POLICY_RETRY:
      return recover (self, event, policy.failure);
    case INWORLD_POLICY_FAIL:
      break;
  }
  post_failure (self, event, policy.failure);
  return GST_FLOW_ERROR;
}

static GstFlowReturn
handle_event (GstInworldTtsSrc * self, InworldEvent * event)
{
  GstFlowReturn ret = GST_FLOW_OK;

  if (event->context_id && g_strcmp0 (event->context_id, self->context_id)) {
    /* an interrupted or replaced context: nothing of it goes out */
    GST_DEBUG_OBJECT (self, "ignoring %s for context %s",
        inworld_event_type_name (event->type), event->context_id);
    return GST_FLOW_OK;
  }

  /* anything the server itself said proves it was reached */
  if (event->type != INWORLD_EVENT_DISCONNECTED
      && event->type != INWORLD_EVENT_INVALID_FRAME) {
    self->got_reply = TRUE;
    self->ever_connected = TRUE;
  }

  switch (event->type) {
    case INWORLD_EVENT_CONTEXT_CREATED:
      self->context_created = TRUE;
      /* fall through */
    case INWORLD_EVENT_CONTEXT_UPDATED:
      GST_DEBUG_OBJECT (self, "context %s: %s", self->context_id,
          inworld_event_type_name (event->type));
      break;
    case INWORLD_EVENT_AUDIO:
      ret = handle_audio (self, event);
      break;
    case INWORLD_EVENT_FLUSH_COMPLETED:
      if (!g_queue_is_empty (&self->pending))
        ret = flush_completed (self);
      else
        GST_WARNING_OBJECT (self, "flushCompleted without a flush, ignored");
      break;
    case INWORLD_EVENT_CONTEXT_CLOSED:
      self->context_closed = TRUE;
      if (!g_queue_is_empty (&self->pending))
        GST_INFO_OBJECT (self, "context closed before %u flush(es) "
            "completed; waiting for their audio",
            g_queue_get_length (&self->pending));
      break;
    case INWORLD_EVENT_DISCONNECTED:
      /* a close code says the upgrade was done: the server was reached */
      if (event->code >= 1000)
        self->ever_connected = TRUE;
      /* fall through */
    case INWORLD_EVENT_ERROR:
      ret = handle_problem (self, event);
      break;
    case INWORLD_EVENT_INVALID_FRAME:
      /* a hostile server must not flood the bus */
      self->invalid_frames++;
      if (self->invalid_frames <= MAX_FRAME_WARNINGS)
        GST_ELEMENT_WARNING (self, STREAM, DECODE,
            ("Ignored a frame from the server that is not valid for the "
                "protocol: %s%s", event->message,
                self->invalid_frames == MAX_FRAME_WARNINGS ? " (further "
                "invalid frames are only logged)" : ""),
            ("uri %s", self->uri_in_use));
      else
        GST_WARNING_OBJECT (self, "invalid frame %u: %s",
            self->invalid_frames, event->message);
      break;
  }
  return ret;
}

/* ------------------------------------------------------------------------
 * Items from the element
 * ------------------------------------------------------------------------ */

/* Drops the current speech and starts a fresh context (INTERRUPT). */
static void
do_interrupt (GstInworldTtsSrc * self, gboolean cancel_eos)
{
  guint dropped = g_queue_get_length (&self->pending)
      + (self->unflushed_chars ? 1 : 0);
  /* the end of the stream was asked (and is not cancelled by a seek) */
  gboolean ended = (self->closing || self->close_when_done) && !cancel_eos;
  GstClockTime now;
  Item *item;

  /* text held for a model switch is as old as the speech stopped; the new
   * context has the current settings anyway */
  while ((item = g_queue_pop_head (&self->held))) {
    if (item->type == ITEM_EOS && !cancel_eos)
      ended = TRUE;
    gst_inworld_tts_src_item_free (item);
  }
  self->model_switch = FALSE;

  inworld_audio_framer_reset (self->framer);
  g_queue_clear_full (&self->pending, (GDestroyNotify) pending_flush_free);
  self->chars_sent = self->chars_spoken;
  self->unflushed_chars = 0;
  g_clear_pointer (&self->unflushed_pieces, g_ptr_array_unref);
  self->unflushed_start = GST_CLOCK_TIME_NONE;
  self->flush_processed = -1;
  self->in_flush = FALSE;
  self->discont = TRUE;
  /* its late frames carry the old id and are ignored from now on */
  close_context (self);
  open_context (self);
  if (ended)
    end_stream (self);

  g_mutex_lock (&self->lock);
  self->interrupting--;
  g_mutex_unlock (&self->lock);
  gst_pad_push_event (self->srcpad, gst_event_new_flush_stop (FALSE));
  if (self->segment_sent)
    push_segment (self);

  /* what was queued downstream is gone: speak again from now on */
  now = gst_element_get_current_running_time (GST_ELEMENT (self));
  if (GST_CLOCK_TIME_IS_VALID (now) && now < self->position)
    self->position = now;
  GST_INFO_OBJECT (self, "interrupted: %u flush(es) dropped, context %s "
      "next, speech resumes at %" GST_TIME_FORMAT, dropped, self->context_id,
      GST_TIME_ARGS (self->position));
}

/* Switches to a context with the new model once nothing is pending. */
static void
switch_model (GstInworldTtsSrc * self)
{
  close_context (self);
  open_context (self);
  self->model_switch = FALSE;
}

static void
do_config (GstInworldTtsSrc * self)
{
  InworldSynthConfig config;
  gboolean new_model;

  if (self->closing || self->close_when_done) {
    /* the context is being closed: nothing more is said with it */
    GST_DEBUG_OBJECT (self, "config change after the end of the stream, "
        "ignored");
    return;
  }
  GST_OBJECT_LOCK (self);
  /* SLNG cannot change a running session: every change takes a new one */
  new_model = g_strcmp0 (self->model, self->model_in_use) != 0
      || self->proto->build_update_config == NULL
      || !self->proto->multiplexed;
  if (!new_model) {
    read_config (self, &config);
    inworld_context_send (self->ctx,
        self->proto->build_update_config (self->context_id, &config));
  }
  GST_OBJECT_UNLOCK (self);

  if (!new_model) {
    /* the server flushes the buffered text with the old settings first */
    record_flush (self);
    GST_INFO_OBJECT (self, "update_config sent to context %s",
        self->context_id);
    return;
  }
  /* a model (and any SLNG setting) is a context's for good: what was
   * sent is spoken with the old one, later text goes to a new context */
  send_flush (self);
  if (g_queue_is_empty (&self->pending))
    switch_model (self);
  else
    self->model_switch = TRUE;
}

static GstFlowReturn process_item (GstInworldTtsSrc * self, Item * item);

/* Items held during a model switch, once the switch is done. */
static GstFlowReturn
release_held (GstInworldTtsSrc * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  Item *item;

  if (!self->model_switch || !g_queue_is_empty (&self->pending))
    return GST_FLOW_OK;
  switch_model (self);
  while (ret == GST_FLOW_OK && !self->model_switch
      && (item = g_queue_pop_head (&self->held)))
    ret = process_item (self, item);
  return ret;
}

/* Carries out @item (and frees it). */
static GstFlowReturn
process_item (GstInworldTtsSrc * self, Item * item)
{
  GstFlowReturn ret = GST_FLOW_OK;

  if (self->model_switch && (item->type == ITEM_TEXT
          || item->type == ITEM_FLUSH || item->type == ITEM_EOS)) {
    g_queue_push_tail (&self->held, item);
    return GST_FLOW_OK;
  }

  switch (item->type) {
    case ITEM_EVENT:
      ret = handle_event (self, item->event);
      if (ret == GST_FLOW_OK
          && item->event->type == INWORLD_EVENT_FLUSH_COMPLETED)
        ret = release_held (self);
      break;
    case ITEM_TEXT:
      if (self->closing || self->close_when_done) {
        GST_WARNING_OBJECT (self, "text after the end of the stream "
            "dropped");
        break;
      }
      if (self->context_lost) {
        /* the server ended an idle context: a new one for the new text */
        open_context (self);
      }
      send_text (self, item->text, item->flush, item->start);
      break;
    case ITEM_FLUSH:
      if (!self->closing)
        send_flush (self);
      break;
    case ITEM_EOS:
      end_stream (self);
      break;
    case ITEM_INTERRUPT:
      do_interrupt (self, item->flush);
      break;
    case ITEM_CONFIG:
      do_config (self);
      break;
  }
  gst_inworld_tts_src_item_free (item);

  if (ret == GST_FLOW_OK && self->closing && self->context_closed
      && g_queue_is_empty (&self->pending) && !self->model_switch)
    ret = GST_FLOW_EOS;
  return ret;
}

/* ------------------------------------------------------------------------
 * The task
 * ------------------------------------------------------------------------ */

/* TRUE while an answer of the server is due. */
static gboolean
awaiting_server (GstInworldTtsSrc * self)
{
  /* SLNG acknowledges neither init nor close */
  return (!self->got_reply && self->proto->multiplexed)
      || !g_queue_is_empty (&self->pending)
      || (self->closing && !self->context_closed);
}

void
gst_inworld_tts_src_loop (GstPad * pad)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (GST_PAD_PARENT (pad));
  Item *item = NULL;
  GstFlowReturn ret;
  guint timeout;

  if (!self->started) {
    ret = start_stream (self);
    if (ret != GST_FLOW_OK)
      goto pause;
  }

  GST_OBJECT_LOCK (self);
  timeout = awaiting_server (self) ? self->timeout : 0;
  GST_OBJECT_UNLOCK (self);

  switch (wait_item (self, timeout, &item)) {
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
    case WAIT_ITEM:
      break;
  }

  ret = process_item (self, item);
  if (ret == GST_FLOW_FLUSHING) {
    gboolean interrupting;

    /* downstream flushed by an interruption, not by a state change */
    g_mutex_lock (&self->lock);
    interrupting = self->interrupting > 0 && !self->flushing;
    g_mutex_unlock (&self->lock);
    if (interrupting)
      return;
  }
  if (ret != GST_FLOW_OK)
    goto pause;
  return;

pause:
  if (ret == GST_FLOW_EOS || ret == GST_FLOW_FLUSHING) {
    gboolean interrupting;

    /* an interruption that came as the speech ended still owes its
     * FLUSH_STOP (and may cancel the end, for a seek upstream) */
    g_mutex_lock (&self->lock);
    interrupting = self->interrupting > 0 && !self->flushing;
    if (!interrupting)
      self->task_done = TRUE;
    g_mutex_unlock (&self->lock);
    if (interrupting)
      return;
  } else {
    g_mutex_lock (&self->lock);
    self->task_done = TRUE;
    g_mutex_unlock (&self->lock);
  }
  GST_DEBUG_OBJECT (self, "pausing task: %s", gst_flow_get_name (ret));
  gst_pad_pause_task (pad);
  if (ret == GST_FLOW_EOS) {
    GST_INFO_OBJECT (self, "all %u flush(es) spoken: %" G_GUINT64_FORMAT
        " samples", self->flushes_completed, self->samples);
    if (self->late_buffers)
      GST_INFO_OBJECT (self, "%u late buffer(s), shifted by %" GST_TIME_FORMAT
          " in all", self->late_buffers, GST_TIME_ARGS (self->late_total));
    gst_pad_push_event (pad, gst_event_new_eos ());
  } else if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
    /* GST_FLOW_ERROR has been posted with its cause already */
    if (ret != GST_FLOW_ERROR && ret != GST_FLOW_NOT_NEGOTIATED)
      GST_ELEMENT_FLOW_ERROR (self, ret);
    gst_pad_push_event (pad, gst_event_new_eos ());
  }
}

void
gst_inworld_tts_src_reset_stream (GstInworldTtsSrc * self)
{
  Item *item;

  /* no event is delivered once this returns */
  g_clear_pointer (&self->ctx, inworld_context_free);
  self->proto = NULL;

  g_mutex_lock (&self->lock);
  while ((item = g_queue_pop_head (&self->items)))
    gst_inworld_tts_src_item_free (item);
  self->interrupting = 0;
  self->running = FALSE;
  self->eos_queued = FALSE;
  self->task_done = FALSE;
  g_mutex_unlock (&self->lock);
  while ((item = g_queue_pop_head (&self->held)))
    gst_inworld_tts_src_item_free (item);

  g_clear_pointer (&self->framer, inworld_audio_framer_free);
  g_clear_pointer (&self->context_id, g_free);
  g_clear_pointer (&self->model_in_use, g_free);
  g_clear_pointer (&self->uri_in_use, g_free);
  g_queue_clear_full (&self->pending, (GDestroyNotify) pending_flush_free);
  self->started = FALSE;
  self->got_reply = FALSE;
  self->closing = FALSE;
  self->context_closed = FALSE;
  self->model_switch = FALSE;
  self->close_when_done = FALSE;
  self->context_lost = FALSE;
  self->context_created = FALSE;
  self->ever_connected = FALSE;
  self->reconnects = 0;
  self->lost_since = 0;
  g_clear_pointer (&self->unflushed_pieces, g_ptr_array_unref);
  self->next_sequence = -1;
  self->flush_chunks = 0;
  self->sequence_errors = 0;
  self->invalid_frames = 0;
  self->segment_sent = FALSE;
  self->position = 0;
  self->in_flush = FALSE;
  self->flush_base = 0;
  self->flush_samples = 0;
  self->samples = 0;
  self->discont = TRUE;
  self->late_buffers = 0;
  self->late_total = 0;
  self->flushes_completed = 0;
  self->unflushed_chars = 0;
  self->unflushed_start = GST_CLOCK_TIME_NONE;
  self->flush_processed = -1;
  self->chars_sent = 0;
  self->chars_spoken = 0;
}
