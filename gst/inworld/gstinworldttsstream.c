/* inworldttssrc: the streaming task
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The src pad's task, a plain pusher: it negotiates, starts the session,
 * then pops the session's outputs in order and turns them into buffers,
 * events and messages, keeping the output timeline:
 *
 *  - each utterance's speech starts at max(its requested start, the end
 *    of what was pushed before); the silence between is a GAP event;
 *    speech running past the next cue's start is shifted, clipped or
 *    mixed by the overflow property (gstinworldttsoverflow.c);
 *  - within a server synthesis, PTS are exact by sample count from its
 *    start; word timings count from there too;
 *  - live, audio later than PTS + latency is shifted to be just in time,
 *    counted, and reported once.
 *
 * It decides nothing about the server: the session has done that. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstinworldttssrcpriv.h"

#include <string.h>

#define DEFAULT_RATE 24000

/* ------------------------------------------------------------------------
 * The output queue
 * ------------------------------------------------------------------------ */

void
gst_inworld_tts_src_queue_output (InworldOutput * output, gpointer user_data)
{
  GstInworldTtsSrc *self = user_data;

  /* live lateness is judged by when the audio came (check_lateness) */
  output->received = gst_element_get_current_running_time (GST_ELEMENT
      (self));
  g_mutex_lock (&self->qlock);
  /* what an interruption dropped may still come for a moment */
  if (self->qflushing || (gint) output->epoch != self->epoch) {
    g_mutex_unlock (&self->qlock);
    GST_LOG_OBJECT (self, "dropping %s of an earlier epoch",
        inworld_output_type_name (output->type));
    inworld_output_free (output);
    return;
  }
  g_queue_push_tail (&self->outputs, output);
  g_cond_signal (&self->qcond);
  gst_inworld_tts_src_idle_wake (self);
  g_mutex_unlock (&self->qlock);
}

gint
gst_inworld_tts_src_flush_outputs (GstInworldTtsSrc * self,
    gboolean flushing, gboolean new_epoch)
{
  gint epoch;

  g_mutex_lock (&self->qlock);
  self->qflushing = flushing;
  if (new_epoch)
    g_atomic_int_inc (&self->epoch);
  epoch = self->epoch;
  g_queue_clear_full (&self->outputs, (GDestroyNotify) inworld_output_free);
  g_cond_broadcast (&self->qcond);
  gst_inworld_tts_src_idle_wake (self);
  g_mutex_unlock (&self->qlock);
  return epoch;
}

/* The next output, or NULL when flushing. */
static InworldOutput *
pop_output (GstInworldTtsSrc * self)
{
  InworldOutput *output = NULL;

  g_mutex_lock (&self->qlock);
  while (!self->qflushing && !(output = g_queue_pop_head (&self->outputs)))
    g_cond_wait (&self->qcond, &self->qlock);
  g_mutex_unlock (&self->qlock);
  return output;
}

/* TRUE when an interruption came since @epoch: what was being pushed is
 * out of date. */
static gboolean
interrupted_since (GstInworldTtsSrc * self, gint epoch)
{
  return g_atomic_int_get (&self->epoch) != epoch;
}

/* ------------------------------------------------------------------------
 * Negotiation
 * ------------------------------------------------------------------------ */

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

/* @caps with their rates cut to those @proto's server takes. */
static GstCaps *
restrict_rates (GstCaps * caps, const InworldProtocol * proto)
{
  GValue list = G_VALUE_INIT;
  GstCaps *result;

  if (proto->sample_rates == NULL)
    return caps;
  g_value_init (&list, GST_TYPE_LIST);
  for (const gint * r = proto->sample_rates; *r; r++) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, G_TYPE_INT);
    g_value_set_int (&v, *r);
    gst_value_list_append_and_take_value (&list, &v);
  }
  result = gst_caps_new_empty ();
  for (guint i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_structure_copy (gst_caps_get_structure (caps, i));
    const GValue *rate = gst_structure_get_value (s, "rate");
    GValue cut = G_VALUE_INIT;

    if (rate && gst_value_intersect (&cut, rate, &list)) {
      gst_structure_take_value (s, "rate", &cut);
      gst_caps_append_structure (result, s);
    } else {
      gst_structure_free (s);
    }
  }
  g_value_unset (&list);
  gst_caps_unref (caps);
  return result;
}

/* Picks the encoding (the property's, or downstream's first choice when
 * auto) and the rate (downstream's, nearest DEFAULT_RATE, among those the
 * protocol allows). The caps themselves are set when the framer knows
 * them. */
static GstFlowReturn
negotiate (GstInworldTtsSrc * self, const InworldProtocol * proto)
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
  offered = restrict_rates (forced ? inworld_audio_template_caps (*wire)
      : gst_pad_get_pad_template_caps (self->srcpad), proto);
  /* what downstream asks from now on is answered here; a RECONFIGURE
   * after it, by renegotiation */
  gst_pad_check_reconfigure (self->srcpad);
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
    else if (proto->sample_rates)
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("Downstream accepts none of the formats the %s protocol gives "
              "(its rates are 8000, 16000, 22050, 24000, 32000, 44100 and "
              "48000 Hz).", proto->name),
          ("offered %s; downstream accepts %s; for raw audio add "
              "audioresample after the element", want, have));
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
    self->error_posted = TRUE;
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
      self->error_posted = TRUE;
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
  GstEvent *event;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.time = self->segment_time;
  event = gst_event_new_segment (&segment);
  gst_inworld_tts_captions_push_event (self, event);
  gst_pad_push_event (self->srcpad, event);
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
    self->error_posted = TRUE;
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!self->segment_sent)
    push_segment (self);
  return GST_FLOW_OK;
}

/* The first rate of @caps, or 0. */
static gint
caps_rate (GstCaps * caps)
{
  gint rate = 0;

  if (!gst_caps_is_empty (caps)) {
    GstStructure *s;

    caps = gst_caps_truncate (gst_caps_copy (caps));
    s = gst_caps_get_structure (caps, 0);
    gst_structure_fixate_field_nearest_int (s, "rate", DEFAULT_RATE);
    gst_structure_get_int (s, "rate", &rate);
    gst_caps_unref (caps);
  }
  return rate;
}

/* The format for the utterances to come when downstream asks for other
 * caps: the encoding stays (a stream does not change its media type
 * midway), the rate follows downstream (kept when it still fits). When
 * downstream takes the encoding at no rate the protocol gives, a warning
 * names the cause and the format stays. */
void
gst_inworld_tts_src_renegotiate (GstInworldTtsSrc * self)
{
  GstCaps *peer, *mine, *usable;
  const gchar *media_type;
  gint rate = 0;

  g_rec_mutex_lock (&self->format_lock);
  /* before the start, the start's negotiation sees the new caps */
  if (!self->negotiated || !gst_pad_check_reconfigure (self->srcpad)) {
    g_rec_mutex_unlock (&self->format_lock);
    return;
  }
  media_type = inworld_audio_media_type (self->format_encoding);
  peer = gst_pad_peer_query_caps (self->srcpad, NULL);
  GST_DEBUG_OBJECT (self, "reconfigure: downstream accepts %" GST_PTR_FORMAT,
      peer);
  mine = inworld_audio_template_caps (self->format_encoding);
  usable = gst_caps_intersect_full (peer, mine, GST_CAPS_INTERSECT_FIRST);
  usable = restrict_rates (usable, self->proto);

  if (!gst_caps_is_empty (usable)) {
    GstStructure *s;

    usable = gst_caps_truncate (usable);
    usable = gst_caps_make_writable (usable);
    s = gst_caps_get_structure (usable, 0);
    gst_structure_fixate_field_nearest_int (s, "rate", self->format_rate);
    gst_structure_get_int (s, "rate", &rate);
  } else {
    GstCaps *any_rate = gst_caps_intersect (peer, mine);
    GstCaps *all = gst_pad_get_pad_template_caps (self->srcpad);
    gint wanted = caps_rate (any_rate);

    gst_caps_unref (usable);
    usable = gst_caps_intersect_full (peer, all, GST_CAPS_INTERSECT_FIRST);
    if (wanted && self->proto->sample_rates)
      /* the encoding at a rate the API has, but not this protocol */
      GST_ELEMENT_WARNING (self, CORE, NEGOTIATION,
          ("Downstream asks for %s at %d Hz, a rate the %s protocol does "
              "not have: the speech stays at %d Hz (add audioresample after "
              "the element).", media_type, wanted, self->proto->name,
              self->format_rate), ("downstream accepts %" GST_PTR_FORMAT,
              peer));
    else if (!gst_caps_is_empty (usable))
      GST_ELEMENT_WARNING (self, CORE, NEGOTIATION,
          ("Downstream asks for %s, but the speech is %s and cannot change "
              "its encoding midway: it stays %s at %d Hz (convert after the "
              "element, or set the caps before it starts).",
              gst_structure_get_name (gst_caps_get_structure (usable, 0)),
              media_type, media_type, self->format_rate),
          ("downstream accepts %" GST_PTR_FORMAT, peer));
    else
      GST_ELEMENT_WARNING (self, CORE, NEGOTIATION,
          ("Downstream accepts no format the element produces: the speech "
              "stays %s at %d Hz.", media_type, self->format_rate),
          ("downstream accepts %" GST_PTR_FORMAT, peer));
    gst_caps_unref (any_rate);
    gst_caps_unref (all);
  }
  gst_caps_unref (usable);
  gst_caps_unref (mine);
  gst_caps_unref (peer);

  if (rate && rate != self->format_rate) {
    GST_INFO_OBJECT (self, "renegotiated: %s at %d Hz from the next "
        "utterance on", inworld_encoding_to_string (self->format_encoding),
        rate);
    self->format_rate = rate;
    g_mutex_lock (&self->lock);
    if (self->session)
      inworld_session_set_format (self->session, self->format_encoding,
          rate, self->format_bitrate);
    g_mutex_unlock (&self->lock);
  }
  g_rec_mutex_unlock (&self->format_lock);
}

/* The task: the audio of @output comes in another format (renegotiated):
 * a new framer, and its caps before that audio. */
static GstFlowReturn
change_format (GstInworldTtsSrc * self, const InworldOutput * output)
{
  GstFlowReturn ret;

  GST_INFO_OBJECT (self, "audio now %s at %d Hz",
      inworld_encoding_to_string (output->encoding), output->sample_rate);
  /* an overlap's tail is in the old format */
  ret = gst_inworld_tts_overflow_drain (self);
  if (ret != GST_FLOW_OK)
    return ret;
  g_clear_pointer (&self->framer, inworld_audio_framer_free);
  self->wire_encoding = output->encoding;
  self->rate = output->sample_rate;
  self->framer = inworld_audio_framer_new (self->wire_encoding, self->rate);
  /* offsets go on in the new rate's samples */
  self->samples = gst_util_uint64_scale_int (self->samples,
      inworld_audio_framer_get_clock_rate (self->framer), self->clock_rate);
  self->clock_rate = inworld_audio_framer_get_clock_rate (self->framer);
  self->discont = TRUE;
  return update_caps (self);
}

/* ------------------------------------------------------------------------
 * The start of the stream
 * ------------------------------------------------------------------------ */

/* The cache of the cache-dir property, or NULL (none, or the directory
 * cannot be made: a warning says so and speech goes on without it). */
static InworldCache *
open_cache (GstInworldTtsSrc * self)
{
  InworldCache *cache;
  GError *error = NULL;
  gchar *dir;
  guint64 size;

  GST_OBJECT_LOCK (self);
  dir = g_strdup (self->cache_dir);
  size = self->cache_size;
  GST_OBJECT_UNLOCK (self);
  if (dir == NULL || *dir == '\0') {
    g_free (dir);
    return NULL;
  }
  cache = inworld_cache_new (dir, size, &error);
  if (cache == NULL) {
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE,
        ("The cache directory cannot be used; speaking without a cache: %s",
            error->message), ("cache-dir %s", dir));
    g_clear_error (&error);
  }
  g_free (dir);
  return cache;
}

/* What a session needs to talk to the server: where, with which key, in
 * which format, with the settings in force now. */
void
gst_inworld_tts_src_session_start_init (GstInworldTtsSrc * self,
    InworldProtocolKind kind, InworldSessionStart * start)
{
  InworldConnectionParams *c = &start->connection;

  memset (start, 0, sizeof (*start));
  GST_OBJECT_LOCK (self);
  c->timeout_s = self->timeout;
  c->keepalive_s = self->keepalive;
  c->net.ssl_insecure = !self->ssl_strict;
  c->region = g_strdup (self->region);
  c->net.ssl_ca_file = g_strdup (self->ssl_ca_file);
  c->net.proxy = g_strdup (self->proxy);
  GST_OBJECT_UNLOCK (self);
  c->uri = self->uri_in_use;
  c->api_key = gst_inworld_tts_src_resolve_api_key (self, kind);
  c->protocol = kind;
  start->timeout_s = c->timeout_s;
  start->encoding = self->wire_encoding;
  start->sample_rate = self->rate;
  start->bitrate = self->bitrate_in_use;
  start->name = GST_OBJECT_NAME (self);
  start->config = gst_inworld_tts_src_read_config (self);
}

void
gst_inworld_tts_src_session_start_clear (InworldSessionStart * start)
{
  InworldConnectionParams *c = &start->connection;

  inworld_secret_free ((gchar *) c->api_key);
  g_free ((gchar *) c->region);
  g_free ((gchar *) c->net.ssl_ca_file);
  g_free ((gchar *) c->net.proxy);
  inworld_synth_config_free ((InworldSynthConfig *) start->config);
  memset (start, 0, sizeof (*start));
}

/* Hands the session what it needs to talk to the server. */
static void
start_session (GstInworldTtsSrc * self, InworldProtocolKind kind)
{
  InworldSessionStart start;

  gst_inworld_tts_src_session_start_init (self, kind, &start);
  start.cache = open_cache (self);
  g_mutex_lock (&self->qlock);
  start.epoch = self->epoch;
  g_mutex_unlock (&self->qlock);

  g_rec_mutex_lock (&self->format_lock);
  self->proto = inworld_protocol_get (kind);
  self->format_encoding = self->wire_encoding;
  self->format_rate = self->rate;
  self->format_bitrate = self->bitrate_in_use;
  /* NULL when the pad is being deactivated: the task is about to stop */
  g_mutex_lock (&self->lock);
  if (self->session)
    inworld_session_start (self->session, &start);
  /* kept to wait for its writes when the element stops */
  if (self->session && start.cache && self->cache == NULL)
    self->cache = inworld_cache_ref (start.cache);
  g_mutex_unlock (&self->lock);
  if (start.cache)
    inworld_cache_unref (start.cache);
  self->negotiated = TRUE;
  g_rec_mutex_unlock (&self->format_lock);
  /* downstream asked for other caps since negotiate() */
  if (gst_pad_needs_reconfigure (self->srcpad))
    gst_inworld_tts_src_renegotiate (self);

  gst_inworld_tts_src_session_start_clear (&start);
}

static GstFlowReturn
start_stream (GstInworldTtsSrc * self)
{
  GstFlowReturn ret;
  gchar *stream_id;
  InworldProtocolKind kind;
  gboolean ok;
  guint src_pads;

  /* with text_src the element has two streams, each needs an id */
  GST_OBJECT_LOCK (self);
  src_pads = GST_ELEMENT (self)->numsrcpads;
  GST_OBJECT_UNLOCK (self);
  stream_id = gst_pad_create_stream_id (self->srcpad, GST_ELEMENT (self),
      src_pads > 1 ? "audio" : NULL);
  gst_pad_push_event (self->srcpad, gst_event_new_stream_start (stream_id));
  g_free (stream_id);

  g_free (self->uri_in_use);
  kind = gst_inworld_tts_src_resolve_target (self, &self->uri_in_use);
  ret = negotiate (self, inworld_protocol_get (kind));
  if (ret != GST_FLOW_OK)
    return ret;

  /* a warm start: the connection and the context are made now, in
   * PAUSED, so that the first text goes over an open socket */
  start_session (self, kind);

  g_clear_pointer (&self->framer, inworld_audio_framer_free);
  self->framer = inworld_audio_framer_new (self->wire_encoding, self->rate);
  self->clock_rate = inworld_audio_framer_get_clock_rate (self->framer);
  /* the caps now, in PAUSED, before any text, so that payloaders,
   * muxers and webrtcbin negotiate at the start; Opus caps gain their
   * streamheader, FLAC caps come, with the first audio */
  ret = update_caps (self);
  if (ret != GST_FLOW_OK)
    return ret;

  GST_OBJECT_LOCK (self);
  self->live = self->is_live;
  GST_OBJECT_UNLOCK (self);
  self->idle_silence = gst_inworld_tts_src_idle_decide (self);
  if (self->live) {
    /* a live source's speech starts when the text is handed over in
     * PLAYING, and its timeline is running time */
    g_mutex_lock (&self->qlock);
    while (!self->playing && !self->qflushing)
      g_cond_wait (&self->qcond, &self->qlock);
    ok = !self->qflushing;
    g_mutex_unlock (&self->qlock);
    if (!ok)
      return GST_FLOW_FLUSHING;
  }

  if (self->live) {
    GstClockTime now = gst_element_get_current_running_time (GST_ELEMENT
        (self));
    self->position = GST_CLOCK_TIME_IS_VALID (now) ? now : 0;
    /* sinks and mixers complete their change to PLAYING on data: with
     * nothing to say yet, a gap lets them (idle=silence: the first
     * silence) */
    if (self->segment_sent) {
      gst_inworld_tts_captions_gap (self, self->position, 0);
      if (!self->idle_silence)
        gst_pad_push_event (self->srcpad, gst_event_new_gap (self->position,
                0));
    }
  }

  self->started = TRUE;
  g_mutex_lock (&self->lock);
  self->running = TRUE;
  g_mutex_unlock (&self->lock);
  return GST_FLOW_OK;
}

/* ------------------------------------------------------------------------
 * The output timeline
 * ------------------------------------------------------------------------ */

/* Places @utterance's speech when its first output comes: at its
 * requested start if that is later than the end of the previous audio (a
 * GAP event between), else right after it. */
static void
begin_utterance (GstInworldTtsSrc * self, InworldUtterance * utterance)
{
  GstClockTime start;

  if (utterance == NULL || utterance == self->utterance)
    return;
  if (self->utterance)
    inworld_utterance_unref (self->utterance);
  self->utterance = inworld_utterance_ref (utterance);
  self->synthesis = 0;
  gst_inworld_tts_overflow_begin (self);
  gst_inworld_tts_heard_begin (self->heard, utterance->index);
  start = utterance->start == INWORLD_SESSION_NO_TIME ? GST_CLOCK_TIME_NONE
      : utterance->start;
  /* an overlap's tail still to mix goes out before the silence */
  if (GST_CLOCK_TIME_IS_VALID (start) && start > self->position)
    gst_inworld_tts_overflow_drain (self);
  if (GST_CLOCK_TIME_IS_VALID (start) && start > self->position) {
    GST_DEBUG_OBJECT (self, "gap %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT,
        GST_TIME_ARGS (self->position), GST_TIME_ARGS (start));
    if (self->segment_sent)
      gst_inworld_tts_captions_gap (self, self->position,
          start - self->position);
    if (self->idle_silence) {
      /* to the sample at or after start: the position moves with it */
      gst_inworld_tts_src_idle_fill (self, start);
      return;
    }
    if (self->segment_sent) {
      gst_pad_push_event (self->srcpad, gst_event_new_gap (self->position,
              start - self->position));
    }
    self->position = start;
  }
}

/* The audio and timings of server synthesis @serial start where the
 * previous one ended. */
static void
begin_synthesis (GstInworldTtsSrc * self, const InworldOutput * output)
{
  begin_utterance (self, output->utterance);
  if (output->synthesis == self->synthesis)
    return;
  self->synthesis = output->synthesis;
  self->synth_base = self->position;
  self->synth_samples = 0;
}

static GstClockTime
synth_time (GstInworldTtsSrc * self, guint64 samples)
{
  return self->synth_base + gst_util_uint64_scale_int (samples, GST_SECOND,
      self->clock_rate);
}

/* Live: audio that reached the element later than its PTS plus the
 * latency is moved to be just in time. When it reached the element
 * (@received, the running time the output was queued), not when the task
 * pushes it: a synchronizing sink holds the task in a GAP until the GAP's
 * time plus the pipeline's latency, so speech that came in time and
 * waited behind the GAP (text pushed as the element starts playing) is
 * not late. */
static void
check_lateness (GstInworldTtsSrc * self, GstClockTime pts,
    GstClockTime received)
{
  GstClockTime now, latency;

  GST_OBJECT_LOCK (self);
  latency = self->latency;
  GST_OBJECT_UNLOCK (self);
  now = GST_CLOCK_TIME_IS_VALID (received) ? received :
      gst_element_get_current_running_time (GST_ELEMENT (self));
  if (!GST_CLOCK_TIME_IS_VALID (now) || now <= pts + latency)
    return;

  self->synth_base += now - latency - pts;
  self->late_total += now - latency - pts;
  self->late_buffers++;
  GST_OBJECT_LOCK (self);
  self->stats.late_buffers++;
  GST_OBJECT_UNLOCK (self);
  if (self->idle_silence)
    /* a continuous stream: silence fills the shift, no discontinuity */
    gst_inworld_tts_src_idle_fill (self, synth_time (self,
            self->synth_samples));
  else
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

/* The stats' time to first audio: from the utterance's text handed over
 * to its first buffer of audio, pushed now. */
static void
count_first_audio (GstInworldTtsSrc * self)
{
  InworldUtterance *utterance = self->utterance;
  GstClockTime elapsed;

  if (utterance == NULL || utterance->handed_over == 0
      || utterance->index <= self->first_audio_index)
    return;
  self->first_audio_index = utterance->index;
  elapsed = (g_get_monotonic_time () - utterance->handed_over) * GST_USECOND;
  GST_DEBUG_OBJECT (self, "first audio of utterance %u after %"
      GST_TIME_FORMAT, utterance->index, GST_TIME_ARGS (elapsed));
  GST_OBJECT_LOCK (self);
  self->stats.first_audio_last = elapsed;
  self->stats.first_audio_total += elapsed;
  self->stats.first_audio_count++;
  GST_OBJECT_UNLOCK (self);
}

/* The first audio of an utterance goes out at @pts: a serialized custom
 * event right before it, and an element message of the same structure,
 * the counterpart of inworld-flush-completed. */
static void
announce_speech (GstInworldTtsSrc * self, GstClockTime pts,
    const gchar * context_id)
{
  GstStructure *s;
  GstMessage *msg;
  gchar *text;

  if (self->utterance == NULL
      || self->utterance->index == self->speech_started)
    return;
  self->speech_started = self->utterance->index;
  text = gst_inworld_tts_heard_current_text (self->heard);
  s = gst_structure_new (GST_INWORLD_SPEECH_STARTED,
      "context-id", G_TYPE_STRING, context_id,
      "flush-index", G_TYPE_UINT, self->utterance->index,
      "timestamp", GST_TYPE_CLOCK_TIME, pts,
      "running-time", GST_TYPE_CLOCK_TIME, pts,
      "text", G_TYPE_STRING, text ? text : "", NULL);
  g_free (text);
  GST_DEBUG_OBJECT (self, "speech started: %" GST_PTR_FORMAT, s);
  msg = gst_message_new_element (GST_OBJECT (self), gst_structure_copy (s));
  gst_pad_push_event (self->srcpad,
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s));
  gst_element_post_message (GST_ELEMENT (self), msg);
}

/* Pushes what the framer has ready. */
static GstFlowReturn
push_audio (GstInworldTtsSrc * self, gint epoch, GstClockTime received,
    const gchar * context_id)
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
    pts = synth_time (self, self->synth_samples);
    if (self->live && n > 0) {
      check_lateness (self, pts, received);
      pts = synth_time (self, self->synth_samples);
    }

    /* header buffers (n = 0) take no time */
    GST_BUFFER_PTS (buf) = pts;
    GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION (buf) = synth_time (self, self->synth_samples + n)
        - pts;
    GST_BUFFER_OFFSET (buf) = self->samples;
    GST_BUFFER_OFFSET_END (buf) = self->samples + n;
    if (self->discont) {
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
      self->discont = FALSE;
    }
    self->samples += n;
    self->synth_samples += n;
    self->position = pts + GST_BUFFER_DURATION (buf);
    GST_LOG_OBJECT (self, "pushing %" G_GUINT64_FORMAT " samples at %"
        GST_TIME_FORMAT, n, GST_TIME_ARGS (pts));
    if (n > 0) {
      count_first_audio (self);
      gst_inworld_tts_captions_audio (self, pts);
      announce_speech (self, pts, context_id);
      gst_inworld_tts_heard_audio (self->heard, NULL, pts, self->position);
    }
    ret = gst_inworld_tts_overflow_push (self, buf);
    if (interrupted_since (self, epoch))
      return GST_FLOW_FLUSHING;
  }
  return ret;
}

/* ------------------------------------------------------------------------
 * The session's outputs
 * ------------------------------------------------------------------------ */

static GstFlowReturn
on_audio (GstInworldTtsSrc * self, InworldOutput * output, gint epoch)
{
  GError *error = NULL;
  GstFlowReturn ret;

  if (output->sample_rate != self->rate
      || output->encoding != self->wire_encoding) {
    ret = change_format (self, output);
    if (ret != GST_FLOW_OK)
      return ret;
  }
  begin_synthesis (self, output);
  /* its text so far, for speech-started and inworld-interrupted */
  gst_inworld_tts_heard_audio (self->heard, g_steal_pointer (&output->text),
      GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
  if (!inworld_audio_framer_push (self->framer, output->audio, &error)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The server sent audio in another format than asked for."),
        ("%s", error->message));
    g_clear_error (&error);
    self->error_posted = TRUE;
    return GST_FLOW_ERROR;
  }
  return push_audio (self, epoch, output->received, output->context_id);
}

/* The timings on the output timeline: inworld-word-timing messages when
 * the timestamp-type property asks for them, captions when there is a
 * text_src pad (which asks for word timings itself). */
static GstFlowReturn
post_timings (GstInworldTtsSrc * self, InworldOutput * output)
{
  const InworldTimings *timings = output->timings;
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean messages;

  GST_OBJECT_LOCK (self);
  messages = self->timestamp_type != GST_INWORLD_TTS_TIMESTAMP_NONE;
  GST_OBJECT_UNLOCK (self);
  begin_synthesis (self, output);
  for (guint i = 0; i < timings->n && ret == GST_FLOW_OK; i++) {
    GstClockTime start = self->synth_base + (GstClockTime) (MAX (0.0,
            timings->start[i]) * GST_SECOND + 0.5);
    GstClockTime end = self->synth_base + (GstClockTime) (MAX (0.0,
            timings->end[i]) * GST_SECOND + 0.5);

    ret = gst_inworld_tts_captions_timing (self, timings->tokens[i],
        timings->characters, start, MAX (start, end));
    gst_inworld_tts_heard_word (self->heard, timings->tokens[i], start,
        MAX (start, end));
    if (!messages)
      continue;
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new (GST_INWORLD_WORD_TIMING,
                "word", G_TYPE_STRING, timings->tokens[i],
                "start", GST_TYPE_CLOCK_TIME, start,
                "end", GST_TYPE_CLOCK_TIME, MAX (start, end),
                "context-id", G_TYPE_STRING, output->context_id,
                "flush-index", G_TYPE_UINT, output->utterance ?
                output->utterance->index : self->flushes_completed + 1,
                NULL)));
  }
  return ret;
}

/* A server synthesis ended: the frames it completes only now (FLAC's
 * last) go out, and the next one starts a stream of its own. */
static GstFlowReturn
on_synthesis_end (GstInworldTtsSrc * self, InworldOutput * output, gint epoch)
{
  gsize left = inworld_audio_framer_end_flush (self->framer);
  GstFlowReturn ret;

  if (left)
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("Dropped %" G_GSIZE_FORMAT " byte(s) of a synthesis that made no "
            "whole sample or frame.", left),
        ("%s audio of context %s", inworld_audio_media_type
            (self->wire_encoding), output->context_id));
  ret = push_audio (self, epoch, output->received, output->context_id);
  self->synthesis = 0;
  return ret;
}

static GstFlowReturn
on_utterance_end (GstInworldTtsSrc * self, InworldOutput * output, gint epoch)
{
  InworldOverflowResult overflow;
  GstClockTime end, overflow_time;
  gdouble fit_rate;
  GstStructure *s;
  GstMessage *msg;
  GstFlowReturn ret;

  /* an utterance without audio still takes its place in the timeline */
  begin_utterance (self, output->utterance);
  /* what the overflow policy held back goes now */
  ret = gst_inworld_tts_overflow_end (self, epoch, &overflow, &overflow_time,
      &end, &fit_rate);
  if (ret != GST_FLOW_OK || interrupted_since (self, epoch))
    return ret != GST_FLOW_OK ? ret : GST_FLOW_FLUSHING;
  gst_inworld_tts_heard_end (self->heard, output->utterance->text);
  self->flushes_completed++;
  GST_OBJECT_LOCK (self);
  self->stats.utterances++;
  GST_OBJECT_UNLOCK (self);
  s = gst_structure_new (GST_INWORLD_FLUSH_COMPLETED,
      "context-id", G_TYPE_STRING, output->context_id,
      "flush-index", G_TYPE_UINT, output->utterance->index,
      "timestamp", GST_TYPE_CLOCK_TIME, end,
      "characters", G_TYPE_UINT, output->characters,
      "overflow", G_TYPE_STRING, inworld_overflow_result_name (overflow),
      "overflow-time", GST_TYPE_CLOCK_TIME, overflow_time, NULL);
  /* who spoke it, when the text said so (docs/scripts.md) */
  if (output->utterance->speaker)
    gst_structure_set (s, "speaker", G_TYPE_STRING,
        output->utterance->speaker, NULL);
  /* overflow=fit spoke it again: at which rate */
  if (fit_rate > 0.0)
    gst_structure_set (s, "speaking-rate", G_TYPE_DOUBLE, fit_rate, NULL);
  GST_DEBUG_OBJECT (self, "flush completed: %" GST_PTR_FORMAT, s);

  msg = gst_message_new_element (GST_OBJECT (self), gst_structure_copy (s));
  gst_structure_set (gst_message_writable_structure (msg),
      "running-time", GST_TYPE_CLOCK_TIME, end,
      "stream-time", GST_TYPE_CLOCK_TIME, end, NULL);

  gst_pad_push_event (self->srcpad,
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s));
  gst_element_post_message (GST_ELEMENT (self), msg);
  ret = gst_inworld_tts_captions_utterance_end (self, output->utterance, end);
  g_clear_pointer (&self->utterance, inworld_utterance_unref);
  self->synthesis = 0;
  return ret;
}

/* A warning or error of the session, with a details structure an
 * application reads without parsing text:
 * `inworld-problem` (string), `uri`, and when known `context-id`,
 * `grpc-code` (int), `code-name`, `http-status` (uint), `close-code`
 * (uint), `characters-not-spoken` and `characters-sent` (guint64),
 * `attempts` (uint). */
static void
post_problem (GstInworldTtsSrc * self, const InworldProblem * p,
    GstMessageType type)
{
  GQuark domain = GST_RESOURCE_ERROR;
  gint code;
  GstStructure *details = gst_structure_new ("details",
      "inworld-problem", G_TYPE_STRING, inworld_problem_kind_name (p->kind),
      "uri", G_TYPE_STRING, p->uri, NULL);

  switch (p->kind) {
    case INWORLD_PROBLEM_AUTH:
      code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      break;
    case INWORLD_PROBLEM_SETTINGS:
    case INWORLD_PROBLEM_SETTINGS_IGNORED:
      code = GST_RESOURCE_ERROR_SETTINGS;
      break;
    case INWORLD_PROBLEM_BUSY:
      code = GST_RESOURCE_ERROR_BUSY;
      break;
    case INWORLD_PROBLEM_UNREACHABLE:
      code = GST_RESOURCE_ERROR_OPEN_READ;
      break;
    case INWORLD_PROBLEM_LOST:
    case INWORLD_PROBLEM_TOO_BIG:
    case INWORLD_PROBLEM_TIMEOUT:
    case INWORLD_PROBLEM_CACHE:
      code = GST_RESOURCE_ERROR_READ;
      break;
    case INWORLD_PROBLEM_BAD_FRAME:
    case INWORLD_PROBLEM_BAD_AUDIO:
      domain = GST_STREAM_ERROR;
      code = GST_STREAM_ERROR_DECODE;
      break;
    case INWORLD_PROBLEM_SERVER:
    default:
      domain = GST_STREAM_ERROR;
      code = GST_STREAM_ERROR_FAILED;
      break;
  }
  if (p->context_id)
    gst_structure_set (details, "context-id", G_TYPE_STRING, p->context_id,
        NULL);
  if (p->grpc_code >= 0)
    gst_structure_set (details, "grpc-code", G_TYPE_INT, p->grpc_code, NULL);
  if (p->code_name)
    gst_structure_set (details, "code-name", G_TYPE_STRING, p->code_name,
        NULL);
  if (p->http_status)
    gst_structure_set (details, "http-status", G_TYPE_UINT, p->http_status,
        NULL);
  if (p->close_code)
    gst_structure_set (details, "close-code", G_TYPE_UINT, p->close_code,
        NULL);
  if (p->kind != INWORLD_PROBLEM_BAD_FRAME
      && p->kind != INWORLD_PROBLEM_SETTINGS_IGNORED)
    gst_structure_set (details,
        "characters-not-spoken", G_TYPE_UINT64, p->chars_unspoken,
        "characters-sent", G_TYPE_UINT64, p->chars_sent, NULL);
  if (p->attempts)
    gst_structure_set (details, "attempts", G_TYPE_UINT, p->attempts, NULL);

  gst_element_message_full_with_details (GST_ELEMENT (self), type, domain,
      code, g_strdup (p->message), g_strdup (p->debug), __FILE__,
      GST_FUNCTION, __LINE__, details);
}

/* Carries out @output (and frees it). */
static GstFlowReturn
handle_output (GstInworldTtsSrc * self, InworldOutput * output, gint epoch)
{
  GstFlowReturn ret = GST_FLOW_OK;

  switch (output->type) {
    case INWORLD_OUTPUT_AUDIO:
      ret = on_audio (self, output, epoch);
      break;
    case INWORLD_OUTPUT_TIMINGS:
      ret = post_timings (self, output);
      break;
    case INWORLD_OUTPUT_SYNTHESIS_END:
      ret = on_synthesis_end (self, output, epoch);
      break;
    case INWORLD_OUTPUT_UTTERANCE_END:
      ret = on_utterance_end (self, output, epoch);
      break;
    case INWORLD_OUTPUT_RESTART:
      /* the synthesis under way is spoken again from its start */
      inworld_audio_framer_reset (self->framer);
      self->synthesis = 0;
      self->discont = TRUE;
      break;
    case INWORLD_OUTPUT_WARNING:
      post_problem (self, output->problem, GST_MESSAGE_WARNING);
      break;
    case INWORLD_OUTPUT_ERROR:
      post_problem (self, output->problem, GST_MESSAGE_ERROR);
      self->error_posted = TRUE;
      ret = GST_FLOW_ERROR;
      break;
    case INWORLD_OUTPUT_END:
      ret = gst_inworld_tts_overflow_drain (self);
      if (ret == GST_FLOW_OK)
        ret = GST_FLOW_EOS;
      break;
  }
  inworld_output_free (output);
  return ret;
}

/* ------------------------------------------------------------------------
 * The task
 * ------------------------------------------------------------------------ */

void
gst_inworld_tts_src_loop (GstPad * pad)
{
  GstInworldTtsSrc *self = GST_INWORLD_TTS_SRC (GST_PAD_PARENT (pad));
  gint epoch = g_atomic_int_get (&self->epoch);
  InworldOutput *output;
  GstFlowReturn ret;

  if (!self->started) {
    ret = start_stream (self);
    if (ret != GST_FLOW_OK)
      goto pause;
  }

  ret = GST_FLOW_FLUSHING;
  output = self->idle_silence ? gst_inworld_tts_src_idle_pop (self, epoch,
      &ret) : pop_output (self);
  if (output == NULL)
    goto pause;
  ret = handle_output (self, output, epoch);
  if (ret != GST_FLOW_OK)
    goto pause;
  return;

pause:
  /* an interruption (from this very thread too, a probe or a bus handler
   * calling it while we pushed) has restarted the task: go on */
  if (ret == GST_FLOW_FLUSHING && interrupted_since (self, epoch)) {
    gboolean active;

    g_mutex_lock (&self->lock);
    active = self->active;
    g_mutex_unlock (&self->lock);
    if (active)
      return;
  }
  GST_DEBUG_OBJECT (self, "pausing task: %s", gst_flow_get_name (ret));
  gst_pad_pause_task (pad);
  if (ret == GST_FLOW_FLUSHING)
    return;                     /* deactivation */

  g_mutex_lock (&self->lock);
  self->finished = TRUE;
  g_mutex_unlock (&self->lock);
  if (ret == GST_FLOW_EOS) {
    GST_INFO_OBJECT (self, "all %u utterance(s) spoken: %" G_GUINT64_FORMAT
        " samples", self->flushes_completed, self->samples);
    if (self->late_buffers)
      GST_INFO_OBJECT (self, "%u late buffer(s), shifted by %" GST_TIME_FORMAT
          " in all", self->late_buffers, GST_TIME_ARGS (self->late_total));
  } else if (!self->error_posted) {
    /* not-linked, not-negotiated or an error downstream: say so, as
     * GstBaseSrc does, rather than end silently */
    GST_ELEMENT_FLOW_ERROR (self, ret);
  }
  {
    GstEvent *eos = gst_event_new_eos ();

    gst_inworld_tts_captions_push_event (self, eos);
    gst_pad_push_event (pad, eos);
  }
}

void
gst_inworld_tts_src_reset_stream (GstInworldTtsSrc * self)
{
  g_clear_pointer (&self->framer, inworld_audio_framer_free);
  g_clear_pointer (&self->uri_in_use, g_free);
  g_clear_pointer (&self->utterance, inworld_utterance_unref);
  gst_inworld_tts_overflow_reset (self);
  self->ovf.warned = FALSE;
  self->started = FALSE;
  self->segment_sent = FALSE;
  self->segment_time = 0;
  self->error_posted = FALSE;
  self->synthesis = 0;
  self->position = 0;
  self->synth_base = 0;
  self->synth_samples = 0;
  self->samples = 0;
  self->discont = TRUE;
  self->late_buffers = 0;
  self->late_total = 0;
  self->flushes_completed = 0;
  gst_inworld_tts_captions_reset (self);
  self->speech_started = 0;
  self->idle_silence = FALSE;
  g_rec_mutex_lock (&self->format_lock);
  self->negotiated = FALSE;
  g_rec_mutex_unlock (&self->format_lock);
}
