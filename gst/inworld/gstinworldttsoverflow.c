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
 * Both need raw S16 audio: encoded speech is shifted, with a warning. */

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

/* One buffer of the held audio, its first @bytes. */
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
static GstFlowReturn
decide (GstInworldTtsSrc * self)
{
  GstInworldTtsOverflowState *ovf = &self->ovf;
  GstBuffer *first = g_queue_peek_head (&ovf->held);
  GstClockTime pts = GST_BUFFER_PTS (first);
  GByteArray *all = g_byte_array_new ();
  GstFlowReturn ret = GST_FLOW_OK;
  guint64 total, keep = 0;

  for (GList * l = ovf->held.head; l; l = l->next) {
    GstMapInfo map;

    if (gst_buffer_map (l->data, &map, GST_MAP_READ)) {
      g_byte_array_append (all, map.data, map.size);
      gst_buffer_unmap (l->data, &map);
    }
  }
  total = all->len / 2;
  if (ovf->slot_end > pts)
    keep = MIN (total, gst_util_uint64_scale_round (ovf->slot_end - pts,
            self->clock_rate, GST_SECOND));

  if (ovf->policy == GST_INWORLD_TTS_OVERFLOW_CLIP) {
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
  /* live text: the next cue may come while this one is spoken */
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

  end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
  hold_from = ovf->slot_end;
  if (ovf->policy == GST_INWORLD_TTS_OVERFLOW_CLIP)
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

GstFlowReturn
gst_inworld_tts_overflow_end (GstInworldTtsSrc * self,
    InworldOverflowResult * result, GstClockTime * time, GstClockTime * end)
{
  GstInworldTtsOverflowState *ovf = &self->ovf;
  GstClockTime audio_end, slot_end;
  GstFlowReturn ret;

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
                "clip" : "overlap",
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

  held_clear (self);
  g_clear_pointer (&ovf->spill, g_byte_array_unref);
  g_clear_pointer (&ovf->tail, g_byte_array_unref);
  ovf->decided = INWORLD_OVERFLOW_NONE;
  ovf->dropped = 0;
  ovf->slot_end = GST_CLOCK_TIME_NONE;
}
