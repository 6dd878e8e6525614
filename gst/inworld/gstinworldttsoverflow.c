/* inworldttssrc: what happens when a cue's speech runs past the next cue
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The overflow policies (docs/subtitles.md), on the src task's side.
 *
 * A cue's slot runs from its start to the start of the next cue: the
 * element notes the start of every timed text it hands to the session
 * (gst_inworld_tts_src_note_cue, under `lock`), and the task looks the
 * next one up when the cue's audio begins, again on each buffer while it
 * is not known yet (live text comes as it is spoken).
 *
 * Under `clip` and `overlap`, the task holds back the audio from just
 * before the slot's end (the fade's length before it for `clip`) until it
 * knows: the speech ending within max-overflow past the slot goes out as
 * it is (the next cue waits, as under `shift`); speech running further is
 * cut at the slot's end with a fade-out (`clip`), or its audio past the
 * slot becomes the tail that is mixed into what comes next (`overlap`).
 * Both need raw S16 audio: encoded speech is shifted, with a warning.
 *
 * Under `fit`, a cue whose slot is known before its first audio is held
 * whole until it ends: speech that ran more than max-overflow past the
 * slot is thrown away and the cue is spoken again, faster, by a session
 * of its own (a second context beside the element's, so the element's
 * session and its state machine know nothing of it). The task waits for
 * that retry: the outputs of the element's session, the later cues,
 * stay in its queue meanwhile, so nothing of them goes out before the
 * fitted cue. The retry's audio takes the place of the first; if it
 * still runs past, it is clipped as under `clip`. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstinworldttssrcpriv.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (overflow_debug);
#undef GST_CAT_DEFAULT
#define GST_CAT_DEFAULT overflow_debug

static void
ensure_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (overflow_debug, "inworldttsoverflow", 0,
        "inworldttssrc overflow policies");
    g_once_init_leave (&once, 1);
  }
}

void
gst_inworld_tts_src_note_cue (GstInworldTtsSrc * self, guint64 start)
{
  if (start == INWORLD_SESSION_NO_TIME)
    return;
  if (self->cue_starts == NULL)
    self->cue_starts = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_array_append_val (self->cue_starts, start);
}

/* The earliest cue start after @start, or NONE; with @prune, the starts
 * up to @start are forgotten (their cues are spoken). */
static GstClockTime
next_cue_start (GstInworldTtsSrc * self, guint64 start, gboolean prune)
{
  GstClockTime next = GST_CLOCK_TIME_NONE;
  GArray *starts;

  g_mutex_lock (&self->lock);
  starts = self->cue_starts;
  for (guint i = 0; starts && i < starts->len;) {
    guint64 t = g_array_index (starts, guint64, i);

    if (t > start && (next == GST_CLOCK_TIME_NONE || t < next))
      next = t;
    if (prune && t <= start)
      g_array_remove_index (starts, i);
    else
      i++;
  }
  g_mutex_unlock (&self->lock);
  return next;
}

/* Clipped, when it comes to that (fit falls back to a clip). */
static gboolean
clips (GstInworldTtsOverflowState * ovf)
{
  return ovf->policy == GST_INWORLD_TTS_OVERFLOW_CLIP
      || ovf->policy == GST_INWORLD_TTS_OVERFLOW_FIT;
}

/* Raw S16LE, whose samples the policies can cut and mix. */
static gboolean
raw_audio (GstInworldTtsSrc * self)
{
  return G_BYTE_ORDER == G_LITTLE_ENDIAN
      && g_str_equal (inworld_audio_media_type (self->wire_encoding),
      "audio/x-raw");
}

static GstClockTime
samples_time (GstInworldTtsSrc * self, guint64 n)
{
  return gst_util_uint64_scale_int (n, GST_SECOND, self->clock_rate);
}

void
gst_inworld_tts_overflow_begin (GstInworldTtsSrc * self)
{
  GstInworldTtsOverflowState *ovf = &self->ovf;
  guint64 start = self->utterance->start;

  ensure_debug ();
  GST_OBJECT_LOCK (self);
  ovf->policy = self->overflow;
  ovf->max = self->max_overflow;
  GST_OBJECT_UNLOCK (self);
  g_warn_if_fail (ovf->held.length == 0);
  ovf->decided = INWORLD_OVERFLOW_NONE;
  ovf->dropped = 0;
  if (ovf->spill)
    g_byte_array_set_size (ovf->spill, 0);
  ovf->slot_end = start == INWORLD_SESSION_NO_TIME ? GST_CLOCK_TIME_NONE
      : next_cue_start (self, start, TRUE);
  /* only a cue known to have a next one before any of it went out */
  ovf->fit_hold = ovf->policy == GST_INWORLD_TTS_OVERFLOW_FIT
      && GST_CLOCK_TIME_IS_VALID (ovf->slot_end);
  ovf->fit_rate = 0.0;
  GST_DEBUG_OBJECT (self, "utterance %u: slot ends at %" GST_TIME_FORMAT,
      self->utterance->index, GST_TIME_ARGS (ovf->slot_end));
}

/* The tail of the previous cue mixed into @buf, as far as it goes. */
static GstBuffer *
mix_tail (GstInworldTtsSrc * self, GstBuffer * buf)
{
  GByteArray *tail = self->ovf.tail;
  GstMapInfo map;
  gsize bytes;

  if (tail == NULL || tail->len == 0 || gst_buffer_get_size (buf) == 0)
    return buf;
  buf = gst_buffer_make_writable (buf);
  if (!gst_buffer_map (buf, &map, GST_MAP_READWRITE))
    return buf;
  bytes = MIN (map.size, tail->len) & ~(gsize) 1;
  inworld_overflow_mix ((gint16 *) map.data, (const gint16 *) tail->data,
      bytes / 2);
  gst_buffer_unmap (buf, &map);
  g_byte_array_remove_range (tail, 0, bytes);
  return buf;
}

/* One buffer of the held audio, its first @bytes of @all, where the
 * first held buffer was. */
static GstBuffer *
held_take (GstInworldTtsSrc * self, GByteArray * all, gsize bytes)
{
  GstBuffer *first = g_queue_peek_head (&self->ovf.held);
  GstBuffer *buf = gst_buffer_new_memdup (all->data, bytes);
  guint64 n = bytes / 2;

  GST_BUFFER_PTS (buf) = GST_BUFFER_PTS (first);
  GST_BUFFER_DURATION (buf) = samples_time (self, n);
  GST_BUFFER_OFFSET (buf) = GST_BUFFER_OFFSET (first);
  GST_BUFFER_OFFSET_END (buf) = GST_BUFFER_OFFSET (first) + n;
  if (GST_BUFFER_FLAG_IS_SET (first, GST_BUFFER_FLAG_DISCONT))
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return buf;
}

static void
held_clear (GstInworldTtsSrc * self)
{
  g_queue_clear_full (&self->ovf.held, (GDestroyNotify) gst_buffer_unref);
}

/* The speech ran more than max-overflow past its slot: the held audio
 * up to the slot's end goes out (faded under clip), the rest is dropped
 * or becomes the spill. */
/* The samples of the held buffers, joined. */
static GByteArray *
held_join (GstInworldTtsSrc * self)
{
  GByteArray *all = g_byte_array_new ();

  for (GList * l = self->ovf.held.head; l; l = l->next) {
    GstMapInfo map;

    if (gst_buffer_map (l->data, &map, GST_MAP_READ)) {
      g_byte_array_append (all, map.data, map.size);
      gst_buffer_unmap (l->data, &map);
    }
  }
  return all;
}

static GstFlowReturn
decide (GstInworldTtsSrc * self)
{
  GstInworldTtsOverflowState *ovf = &self->ovf;
  GstBuffer *first = g_queue_peek_head (&ovf->held);
  GstClockTime pts = GST_BUFFER_PTS (first);
  GByteArray *all = held_join (self);
  GstFlowReturn ret = GST_FLOW_OK;
  guint64 total, keep = 0;

  total = all->len / 2;
  if (ovf->slot_end > pts)
    keep = MIN (total, gst_util_uint64_scale_round (ovf->slot_end - pts,
            self->clock_rate, GST_SECOND));

  if (clips (ovf)) {
    guint fade = MIN (keep, inworld_overflow_fade_samples (self->clock_rate));

    inworld_overflow_fade_out ((gint16 *) all->data + keep - fade, fade);
    ovf->decided = INWORLD_OVERFLOW_CLIPPED;
    ovf->dropped = total - keep;
  } else {
    if (ovf->spill == NULL)
      ovf->spill = g_byte_array_new ();
    g_byte_array_append (ovf->spill, all->data + keep * 2, (total - keep) * 2);
    ovf->decided = INWORLD_OVERFLOW_OVERLAPPED;
  }
  GST_DEBUG_OBJECT (self, "speech past %" GST_TIME_FORMAT " + %"
      GST_TIME_FORMAT ": %s, %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
      " held samples kept", GST_TIME_ARGS (ovf->slot_end),
      GST_TIME_ARGS (ovf->max), inworld_overflow_result_name (ovf->decided),
      keep, total);
  if (keep > 0)
    ret = gst_pad_push (self->srcpad, held_take (self, all, keep * 2));
  held_clear (self);
  g_byte_array_unref (all);
  return ret;
}

/* Pushes what is held, in order. */
static GstFlowReturn
release_held (GstInworldTtsSrc * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *buf;

  while ((buf = g_queue_pop_head (&self->ovf.held))) {
    if (ret == GST_FLOW_OK)
      ret = gst_pad_push (self->srcpad, buf);
    else
      gst_buffer_unref (buf);
  }
  return ret;
}

GstFlowReturn
gst_inworld_tts_overflow_push (GstInworldTtsSrc * self, GstBuffer * buf)
{
  GstInworldTtsOverflowState *ovf = &self->ovf;
  GstClockTime end, hold_from;

  if (!raw_audio (self))
    return gst_pad_push (self->srcpad, buf);
  buf = mix_tail (self, buf);
  if (ovf->policy == GST_INWORLD_TTS_OVERFLOW_SHIFT || self->utterance == NULL
      || self->utterance->start == INWORLD_SESSION_NO_TIME)
    return gst_pad_push (self->srcpad, buf);
  /* live text: the next cue may come while this one is spoken (too late
   * for fit to hold the whole cue: it is clipped instead) */
  if (!GST_CLOCK_TIME_IS_VALID (ovf->slot_end))
    ovf->slot_end = next_cue_start (self, self->utterance->start, FALSE);
  if (!GST_CLOCK_TIME_IS_VALID (ovf->slot_end))
    return gst_pad_push (self->srcpad, buf);

  switch (ovf->decided) {
    case INWORLD_OVERFLOW_CLIPPED:
      ovf->dropped += gst_buffer_get_size (buf) / 2;
      gst_buffer_unref (buf);
      return GST_FLOW_OK;
    case INWORLD_OVERFLOW_OVERLAPPED:{
      GstMapInfo map;

      if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
        g_byte_array_append (ovf->spill, map.data, map.size);
        gst_buffer_unmap (buf, &map);
      }
      gst_buffer_unref (buf);
      return GST_FLOW_OK;
    }
    default:
      break;
  }

  /* fit: all of it, decided when it ends */
  if (ovf->fit_hold) {
    g_queue_push_tail (&ovf->held, buf);
    return GST_FLOW_OK;
  }
  end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
  hold_from = ovf->slot_end;
  if (clips (ovf))
    hold_from -= MIN (hold_from, samples_time (self,
            inworld_overflow_fade_samples (self->clock_rate)));
  if (ovf->held.length == 0 && end <= hold_from)
    return gst_pad_push (self->srcpad, buf);
  g_queue_push_tail (&ovf->held, buf);
  if (end > ovf->slot_end + ovf->max)
    return decide (self);
  return GST_FLOW_OK;
}

GstFlowReturn
gst_inworld_tts_overflow_drain (GstInworldTtsSrc * self)
{
  GByteArray *tail = self->ovf.tail;
  GstBuffer *buf;
  guint64 n;

  if (tail == NULL || tail->len < 2)
    return GST_FLOW_OK;
  n = tail->len / 2;
  buf = gst_buffer_new_memdup (tail->data, n * 2);
  g_byte_array_set_size (tail, 0);
  GST_BUFFER_PTS (buf) = self->position;
  GST_BUFFER_DURATION (buf) = samples_time (self, n);
  GST_BUFFER_OFFSET (buf) = self->samples;
  GST_BUFFER_OFFSET_END (buf) = self->samples + n;
  self->samples += n;
  self->position += GST_BUFFER_DURATION (buf);
  GST_DEBUG_OBJECT (self, "the overlap's last %" G_GUINT64_FORMAT
      " samples on their own", n);
  return gst_inworld_tts_overflow_push (self, buf);
}

/* ------------------------------------------------------------------------
 * fit: the retry
 * ------------------------------------------------------------------------ */

/* The retry session's outputs, on the connection thread: kept for the
 * task, which waits for them in retry_pop(). */
static void
retry_output (InworldOutput * output, gpointer user_data)
{
  GstInworldTtsSrc *self = user_data;

  g_mutex_lock (&self->qlock);
  g_queue_push_tail (&self->ovf.retry_outputs, output);
  g_cond_broadcast (&self->qcond);
  g_mutex_unlock (&self->qlock);
}

/* The retry's next output, or NULL when the element is flushing or
 * @epoch was interrupted (the interruption flushes the queue). */
static InworldOutput *
retry_pop (GstInworldTtsSrc * self, gint epoch)
{
  InworldOutput *output = NULL;

  g_mutex_lock (&self->qlock);
  while (!self->qflushing && self->epoch == epoch
      && !(output = g_queue_pop_head (&self->ovf.retry_outputs)))
    g_cond_wait (&self->qcond, &self->qlock);
  g_mutex_unlock (&self->qlock);
  return output;
}

/* Ends the retry session (no output comes once it is freed) and drops
 * what it left. */
static void
retry_clear (GstInworldTtsSrc * self)
{
  GstInworldTtsOverflowState *ovf = &self->ovf;

  g_clear_pointer (&ovf->retry, inworld_session_free);
  g_mutex_lock (&self->qlock);
  g_queue_clear_full (&ovf->retry_outputs,
      (GDestroyNotify) inworld_output_free);
  g_mutex_unlock (&self->qlock);
}

/* Moves the samples @framer has ready to @audio. */
static void
retry_take (InworldAudioFramer * framer, GByteArray * audio)
{
  GstBuffer *buf;
  guint64 n;

  while ((buf = inworld_audio_framer_pop (framer, &n))) {
    GstMapInfo map;

    if (n > 0 && gst_buffer_map (buf, &map, GST_MAP_READ)) {
      g_byte_array_append (audio, map.data, map.size);
      gst_buffer_unmap (buf, &map);
    }
    gst_buffer_unref (buf);
  }
}

/* Speaks the cue under way again at @rate, on a session of its own; its
 * samples, or NULL when it failed (*@ret OK: a warning says so) or was
 * interrupted (*@ret FLUSHING). */
static GByteArray *
respeak (GstInworldTtsSrc * self, gdouble rate, gint epoch,
    GstFlowReturn * ret)
{
  GstInworldTtsOverflowState *ovf = &self->ovf;
  InworldAudioFramer *framer =
      inworld_audio_framer_new (self->wire_encoding, self->rate);
  GByteArray *audio = g_byte_array_new ();
  InworldSynthConfig *config;
  InworldSessionStart start;
  InworldOutput *output;
  gchar *name = g_strdup_printf ("%s-fit", GST_OBJECT_NAME (self));
  gboolean done = FALSE, failed = FALSE;
  guint synthesis = 0, synth_start = 0;

  gst_inworld_tts_src_session_start_init (self, self->proto->kind, &start);
  start.name = name;
  /* the cue's own settings (its speaker's voice, push-utterance's), not
   * the properties' now */
  if (self->utterance->config) {
    inworld_synth_config_free ((InworldSynthConfig *) start.config);
    start.config = inworld_synth_config_dup (self->utterance->config);
  }
  config = (InworldSynthConfig *) start.config;
  config->speaking_rate = rate;
  retry_clear (self);
  ovf->retry = inworld_session_new (inworld_soup_thread_get_context
      (self->st), inworld_pool_transport (), NULL, retry_output, self);
  inworld_session_start (ovf->retry, &start);
  inworld_session_speak (ovf->retry, self->utterance->text, TRUE, config,
      INWORLD_SESSION_NO_TIME);
  inworld_session_end (ovf->retry);

  *ret = GST_FLOW_OK;
  while (!done) {
    GError *error = NULL;

    output = retry_pop (self, epoch);
    if (output == NULL) {
      *ret = GST_FLOW_FLUSHING;
      break;
    }
    switch (output->type) {
      case INWORLD_OUTPUT_AUDIO:
        if (output->synthesis != synthesis) {
          synthesis = output->synthesis;
          synth_start = audio->len;
        }
        if (!inworld_audio_framer_push (framer, output->audio, &error)) {
          GST_WARNING_OBJECT (self, "retry: %s", error->message);
          g_clear_error (&error);
          failed = done = TRUE;
        }
        retry_take (framer, audio);
        break;
      case INWORLD_OUTPUT_SYNTHESIS_END:
        inworld_audio_framer_end_flush (framer);
        retry_take (framer, audio);
        synthesis = 0;
        break;
      case INWORLD_OUTPUT_RESTART:
        /* the synthesis under way is spoken again from its start */
        inworld_audio_framer_reset (framer);
        g_byte_array_set_size (audio, synth_start);
        synthesis = 0;
        break;
      case INWORLD_OUTPUT_ERROR:
        GST_ELEMENT_WARNING (self, RESOURCE, READ,
            ("overflow=fit could not speak utterance %u again faster: %s "
                "It is clipped instead.", self->utterance->index,
                output->problem->message), ("%s", output->problem->debug ?
                output->problem->debug : ""));
        failed = done = TRUE;
        break;
      case INWORLD_OUTPUT_END:
        done = TRUE;
        break;
      default:
        /* timings and utterance ends of the retry are not used */
        break;
    }
    inworld_output_free (output);
  }
  retry_clear (self);
  inworld_audio_framer_free (framer);
  gst_inworld_tts_src_session_start_clear (&start);
  g_free (name);
  if (*ret != GST_FLOW_OK || failed) {
    g_byte_array_unref (audio);
    return NULL;
  }
  return audio;
}

/* The held cue ran past its slot by more than max-overflow: it is spoken
 * again faster and that audio replaces it (clipped at the slot's end if
 * it still runs past); without a faster rate, or when the retry failed,
 * the first is clipped. */
static GstFlowReturn
fit (GstInworldTtsSrc * self, gint epoch, InworldOverflowResult * result,
    GstClockTime * end)
{
  GstInworldTtsOverflowState *ovf = &self->ovf;
  GstBuffer *first = g_queue_peek_head (&ovf->held);
  GstClockTime pts = GST_BUFFER_PTS (first);
  GstClockTime slot_end = ovf->slot_end;
  guint64 offset = GST_BUFFER_OFFSET (first);
  GByteArray *all = held_join (self);
  GstFlowReturn ret = GST_FLOW_OK;
  GstClockTime slot = slot_end > pts ? slot_end - pts : 0;
  gdouble rate, base;
  guint64 total, keep;

  if (self->utterance->config)   /* 0: the service's default, 1.0 */
    base = self->utterance->config->speaking_rate > 0.0 ?
        self->utterance->config->speaking_rate : 1.0;
  else {
    GST_OBJECT_LOCK (self);
    base = self->speaking_rate;
    GST_OBJECT_UNLOCK (self);
  }
  rate = inworld_overflow_fit_rate (base, samples_time (self, all->len / 2),
      slot);
  *result = INWORLD_OVERFLOW_CLIPPED;
  if (rate > base) {
    GByteArray *again;

    GST_DEBUG_OBJECT (self, "utterance %u: %" GST_TIME_FORMAT " of speech "
        "for a slot of %" GST_TIME_FORMAT ": again at speaking rate %.2f",
        self->utterance->index, GST_TIME_ARGS (samples_time (self,
                all->len / 2)), GST_TIME_ARGS (slot), rate);
    again = respeak (self, rate, epoch, &ret);
    if (ret != GST_FLOW_OK) {
      g_byte_array_unref (all);
      return ret;
    }
    if (again) {
      g_byte_array_unref (all);
      all = again;
      ovf->fit_rate = rate;
      *result = INWORLD_OVERFLOW_FITTED;
    }
  }

  total = all->len / 2;
  keep = total;
  if (pts + samples_time (self, total) > slot_end + ovf->max) {
    guint fade;

    keep = MIN (total, gst_util_uint64_scale_round (slot, self->clock_rate,
            GST_SECOND));
    fade = MIN (keep, inworld_overflow_fade_samples (self->clock_rate));
    inworld_overflow_fade_out ((gint16 *) all->data + keep - fade, fade);
    if (*result == INWORLD_OVERFLOW_FITTED)
      *result = INWORLD_OVERFLOW_FITTED_CLIPPED;
  }
  self->samples = offset + keep;
  self->position = keep < total ? slot_end : pts + samples_time (self, keep);
  *end = self->position;
  GST_DEBUG_OBJECT (self, "utterance %u: %s, %" G_GUINT64_FORMAT " of %"
      G_GUINT64_FORMAT " samples kept", self->utterance->index,
      inworld_overflow_result_name (*result), keep, total);
  if (keep > 0) {
    GstBuffer *buf = held_take (self, all, keep * 2);

    GST_BUFFER_DURATION (buf) = self->position - pts;
    ret = gst_pad_push (self->srcpad, buf);
  }
  g_byte_array_unref (all);
  return ret;
}

GstFlowReturn
gst_inworld_tts_overflow_end (GstInworldTtsSrc * self, gint epoch,
    InworldOverflowResult * result, GstClockTime * time, GstClockTime * end,
    gdouble * rate)
{
  GstInworldTtsOverflowState *ovf = &self->ovf;
  GstClockTime audio_end, slot_end;
  GstFlowReturn ret;

  *rate = 0.0;

  /* the previous cue's tail outlasted this one's speech */
  ret = gst_inworld_tts_overflow_drain (self);
  audio_end = self->position;
  slot_end = ovf->slot_end;
  *result = INWORLD_OVERFLOW_NONE;
  *time = 0;
  *end = audio_end;
  if (!GST_CLOCK_TIME_IS_VALID (slot_end) || audio_end <= slot_end) {
    if (ret == GST_FLOW_OK)
      ret = release_held (self);
    held_clear (self);
    ovf->slot_end = GST_CLOCK_TIME_NONE;
    return ret;
  }
  *time = audio_end - slot_end;
  if (ovf->fit_hold && ovf->held.length > 0 && *time > ovf->max) {
    if (ret == GST_FLOW_OK)
      ret = fit (self, epoch, result, end);
    held_clear (self);
    *rate = ovf->fit_rate;
    ovf->decided = INWORLD_OVERFLOW_NONE;
    ovf->slot_end = GST_CLOCK_TIME_NONE;
    return ret;
  }

  switch (ovf->decided) {
    case INWORLD_OVERFLOW_CLIPPED:
      self->samples -= MIN (self->samples, ovf->dropped);
      self->position = slot_end;
      *end = slot_end;
      break;
    case INWORLD_OVERFLOW_OVERLAPPED:{
      GByteArray *spill = ovf->spill;

      self->samples -= MIN (self->samples, spill->len / 2);
      self->position = slot_end;
      ovf->spill = ovf->tail;
      ovf->tail = spill;
      break;
    }
    default:
      if (ovf->policy != GST_INWORLD_TTS_OVERFLOW_SHIFT && !raw_audio (self)
          && *time > ovf->max && !ovf->warned) {
        ovf->warned = TRUE;
        GST_ELEMENT_WARNING (self, STREAM, FORMAT,
            ("overflow=%s needs raw audio (audio/x-raw): the speech is %s, "
                "so a cue that runs past the next one's start shifts it "
                "instead.", ovf->policy == GST_INWORLD_TTS_OVERFLOW_CLIP ?
                "clip" : ovf->policy == GST_INWORLD_TTS_OVERFLOW_FIT ?
                "fit" : "overlap",
                inworld_audio_media_type (self->wire_encoding)),
            ("utterance %u ran %" GST_TIME_FORMAT " past its slot",
                self->utterance->index, GST_TIME_ARGS (*time)));
      }
      if (ret == GST_FLOW_OK)
        ret = release_held (self);
      held_clear (self);
      break;
  }
  *result = ovf->decided == INWORLD_OVERFLOW_NONE ?
      INWORLD_OVERFLOW_SHIFTED : ovf->decided;
  /* audio pushed after this (a tail drained) is no longer this cue's */
  ovf->decided = INWORLD_OVERFLOW_NONE;
  ovf->slot_end = GST_CLOCK_TIME_NONE;
  GST_DEBUG_OBJECT (self, "utterance %u ran %" GST_TIME_FORMAT " past its "
      "slot: %s", self->utterance->index, GST_TIME_ARGS (*time),
      inworld_overflow_result_name (*result));
  return ret;
}

void
gst_inworld_tts_overflow_reset (GstInworldTtsSrc * self)
{
  GstInworldTtsOverflowState *ovf = &self->ovf;

  /* the task ends a retry itself before it returns */
  g_warn_if_fail (ovf->retry == NULL);
  retry_clear (self);
  held_clear (self);
  ovf->fit_hold = FALSE;
  ovf->fit_rate = 0.0;
  g_clear_pointer (&ovf->spill, g_byte_array_unref);
  g_clear_pointer (&ovf->tail, g_byte_array_unref);
  ovf->decided = INWORLD_OVERFLOW_NONE;
  ovf->dropped = 0;
  ovf->slot_end = GST_CLOCK_TIME_NONE;
}
