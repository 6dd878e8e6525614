/* inworldttssrc: captions on the text_src request pad
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* What was said and when, as a stream of text buffers on the audio's
 * timeline: one buffer per word (the server's word timings, the times the
 * inworld-word-timing messages give) or one per utterance (its text, from
 * its first audio to its end). The src task calls the hooks declared in
 * gstinworldttssrcpriv.h as it pushes the audio, so the text pad follows
 * the audio pad: the same segment, GAP events where no caption runs (and
 * wherever the audio has a gap), the element's flushes, EOS.
 *
 * The pad changes nothing in the audio: its pushes' results are ignored
 * unless they are errors (an unlinked text_src drops its captions, a
 * flushing one belongs to an interruption the audio sees too). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstinworldttssrcpriv.h"

#include <string.h>

GST_DEBUG_CATEGORY (gst_inworld_tts_captions_debug);
#undef GST_CAT_DEFAULT
#define GST_CAT_DEFAULT gst_inworld_tts_captions_debug

#define CAPTION_CAPS "text/x-raw, format = (string) utf8"

void
gst_inworld_tts_captions_init (GstInworldTtsSrc * self)
{
  GstInworldTtsCaptions *c = &self->captions;

  c->word = g_string_new (NULL);
  c->position = 0;
  c->first_audio = GST_CLOCK_TIME_NONE;
}

void
gst_inworld_tts_captions_finalize (GstInworldTtsSrc * self)
{
  GstInworldTtsCaptions *c = &self->captions;

  gst_inworld_tts_captions_reset (self);
  g_string_free (c->word, TRUE);
}

GstPad *
gst_inworld_tts_captions_request_pad (GstInworldTtsSrc * self,
    GstPadTemplate * templ)
{
  GstPad *pad = gst_pad_new_from_template (templ, "text_src");

  gst_pad_use_fixed_caps (pad);
  GST_OBJECT_LOCK (self);
  if (self->textpad) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "there is one text_src pad at most");
    gst_object_unref (pad);
    return NULL;
  }
  self->textpad = pad;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "captions requested: the server is asked for word "
      "timings from the next context on");
  gst_element_add_pad (GST_ELEMENT (self), pad);
  return pad;
}

gboolean
gst_inworld_tts_captions_release_pad (GstInworldTtsSrc * self, GstPad * pad)
{
  GST_OBJECT_LOCK (self);
  if (self->textpad != pad) {
    GST_OBJECT_UNLOCK (self);
    return FALSE;
  }
  self->textpad = NULL;
  GST_OBJECT_UNLOCK (self);
  /* a push in progress returns FLUSHING; the task holds its own ref */
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (GST_ELEMENT (self), pad);
  return TRUE;
}

void
gst_inworld_tts_captions_reset (GstInworldTtsSrc * self)
{
  GstInworldTtsCaptions *c = &self->captions;

  gst_clear_event (&c->segment);
  c->position = 0;
  c->utterance = 0;
  c->first_audio = GST_CLOCK_TIME_NONE;
  g_string_truncate (c->word, 0);
}

/* The text_src pad, with a ref, or NULL. */
static GstPad *
text_pad (GstInworldTtsSrc * self)
{
  GstPad *pad;

  GST_OBJECT_LOCK (self);
  pad = self->textpad ? gst_object_ref (self->textpad) : NULL;
  GST_OBJECT_UNLOCK (self);
  return pad;
}

/* The sticky events a new text_src needs: its own stream-start, its caps,
 * and the audio's segment (a segment like the audio's when the audio has
 * sent none yet, FLAC's caps waiting for its first frame). */
static gboolean
has_started (GstPad * pad)
{
  GstEvent *event = gst_pad_get_sticky_event (pad, GST_EVENT_STREAM_START, 0);

  if (event == NULL)
    return FALSE;
  gst_event_unref (event);
  return TRUE;
}

/* FALSE when @pad is not active yet (the task starts when the src pad is
 * activated, which may be just before text_src is) or any more. */
static gboolean
ensure_started (GstInworldTtsSrc * self, GstPad * pad)
{
  GstInworldTtsCaptions *c = &self->captions;
  gchar *stream_id;
  GstCaps *caps;

  if (has_started (pad))
    return TRUE;
  if (GST_PAD_IS_FLUSHING (pad))
    return FALSE;
  stream_id = gst_pad_create_stream_id (pad, GST_ELEMENT (self), "text");
  gst_pad_push_event (pad, gst_event_new_stream_start (stream_id));
  g_free (stream_id);
  caps = gst_caps_from_string (CAPTION_CAPS);
  gst_pad_push_event (pad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  if (c->segment == NULL) {
    GstSegment segment;

    gst_segment_init (&segment, GST_FORMAT_TIME);
    segment.time = self->segment_time;
    c->segment = gst_event_new_segment (&segment);
  }
  gst_pad_push_event (pad, gst_event_ref (c->segment));
  GST_DEBUG_OBJECT (pad, "started, captions from %" GST_TIME_FORMAT,
      GST_TIME_ARGS (c->position));
  return has_started (pad);
}

void
gst_inworld_tts_captions_push_event (GstInworldTtsSrc * self, GstEvent * event)
{
  GstInworldTtsCaptions *c = &self->captions;
  GstPad *pad;

  if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
    gst_event_replace (&c->segment, event);
  pad = text_pad (self);
  if (pad == NULL)
    return;
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START
      || GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    /* a pad not started has nothing to flush */
    if (has_started (pad))
      gst_pad_push_event (pad, gst_event_ref (event));
  } else if (!has_started (pad)) {
    /* its segment is the one just stored */
    if (ensure_started (self, pad)
        && GST_EVENT_TYPE (event) != GST_EVENT_SEGMENT)
      gst_pad_push_event (pad, gst_event_ref (event));
  } else {
    gst_pad_push_event (pad, gst_event_ref (event));
  }
  gst_object_unref (pad);
}

void
gst_inworld_tts_captions_restart (GstInworldTtsSrc * self)
{
  GstInworldTtsCaptions *c = &self->captions;

  /* what was being said is gone with its audio */
  g_string_truncate (c->word, 0);
  c->utterance = 0;
  c->first_audio = GST_CLOCK_TIME_NONE;
  c->position = self->position;
  GST_DEBUG_OBJECT (self, "captions go on from %" GST_TIME_FORMAT,
      GST_TIME_ARGS (c->position));
}

/* text_src covers the time up to @end with a GAP event; @zero: a GAP of no
 * duration even when it covers that already (live: lets a sink complete
 * its change to PLAYING, as the audio's does). */
static void
gap_to (GstInworldTtsSrc * self, GstPad * pad, GstClockTime end, gboolean zero)
{
  GstInworldTtsCaptions *c = &self->captions;

  if (!ensure_started (self, pad))
    return;
  if (end > c->position) {
    GST_LOG_OBJECT (pad, "gap %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT,
        GST_TIME_ARGS (c->position), GST_TIME_ARGS (end));
    gst_pad_push_event (pad, gst_event_new_gap (c->position,
            end - c->position));
    c->position = end;
  } else if (zero && end == c->position) {
    gst_pad_push_event (pad, gst_event_new_gap (end, 0));
  }
}

void
gst_inworld_tts_captions_gap (GstInworldTtsSrc * self, GstClockTime start,
    GstClockTime duration)
{
  GstPad *pad = text_pad (self);

  if (pad == NULL)
    return;
  gap_to (self, pad, start + duration, duration == 0);
  gst_object_unref (pad);
}

void
gst_inworld_tts_captions_audio (GstInworldTtsSrc * self, GstClockTime pts)
{
  GstInworldTtsCaptions *c = &self->captions;

  if (self->utterance == NULL || self->utterance->index == c->utterance)
    return;
  c->utterance = self->utterance->index;
  c->first_audio = pts;
}

/* The result of a caption's push as it counts for the task: only errors
 * stop the speech. */
static GstFlowReturn
caption_flow (GstPad * pad, GstFlowReturn ret)
{
  switch (ret) {
    case GST_FLOW_OK:
      return GST_FLOW_OK;
    case GST_FLOW_NOT_LINKED:
    case GST_FLOW_FLUSHING:
    case GST_FLOW_EOS:
      GST_LOG_OBJECT (pad, "caption not taken: %s", gst_flow_get_name (ret));
      return GST_FLOW_OK;
    default:
      GST_WARNING_OBJECT (pad, "caption refused: %s", gst_flow_get_name (ret));
      return ret;
  }
}

/* One caption from @start to @end, after a GAP from the previous one. */
static GstFlowReturn
push_caption (GstInworldTtsSrc * self, GstPad * pad, const gchar * text,
    GstClockTime start, GstClockTime end)
{
  GstInworldTtsCaptions *c = &self->captions;
  gsize len = strlen (text);
  GstBuffer *buf;

  if (!ensure_started (self, pad))
    return GST_FLOW_OK;
  gap_to (self, pad, start, FALSE);
  /* never behind what text_src covered already (timings that overlap) */
  start = MAX (start, c->position);
  end = MAX (start, end);
  buf = gst_buffer_new_memdup (text, len);
  GST_BUFFER_PTS (buf) = start;
  GST_BUFFER_DURATION (buf) = end - start;
  c->position = end;
  GST_DEBUG_OBJECT (pad, "caption \"%s\" %" GST_TIME_FORMAT " - %"
      GST_TIME_FORMAT, text, GST_TIME_ARGS (start), GST_TIME_ARGS (end));
  return caption_flow (pad, gst_pad_push (pad, buf));
}

static GstInworldTtsCaptionUnit
caption_unit (GstInworldTtsSrc * self)
{
  GstInworldTtsCaptionUnit unit;

  GST_OBJECT_LOCK (self);
  unit = self->caption_unit;
  GST_OBJECT_UNLOCK (self);
  return unit;
}

/* Character timings: the word gathered so far goes out (when it holds
 * something spoken, as word timings do). */
static GstFlowReturn
end_word (GstInworldTtsSrc * self, GstPad * pad)
{
  GstInworldTtsCaptions *c = &self->captions;
  GstFlowReturn ret = GST_FLOW_OK;

  if (c->word->len && inworld_text_has_speech (c->word->str))
    ret = push_caption (self, pad, c->word->str, c->word_start, c->word_end);
  g_string_truncate (c->word, 0);
  return ret;
}

GstFlowReturn
gst_inworld_tts_captions_timing (GstInworldTtsSrc * self, const gchar * token,
    gboolean character, GstClockTime start, GstClockTime end)
{
  GstInworldTtsCaptions *c = &self->captions;
  GstPad *pad = text_pad (self);
  GstFlowReturn ret = GST_FLOW_OK;

  if (pad == NULL)
    return GST_FLOW_OK;
  if (caption_unit (self) != GST_INWORLD_TTS_CAPTION_UNIT_WORD) {
    /* utterance captions */
  } else if (!character) {
    ret = push_caption (self, pad, token, start, end);
  } else if (g_unichar_isspace (g_utf8_get_char_validated (token, -1))) {
    /* timestamp-type=character: words are the runs between spaces */
    ret = end_word (self, pad);
  } else {
    if (c->word->len == 0)
      c->word_start = start;
    c->word_end = MAX (c->word_start, end);
    g_string_append (c->word, token);
  }
  gst_object_unref (pad);
  return ret;
}

GstFlowReturn
gst_inworld_tts_captions_utterance_end (GstInworldTtsSrc * self,
    InworldUtterance * utterance, GstClockTime end)
{
  GstInworldTtsCaptions *c = &self->captions;
  GstPad *pad = text_pad (self);
  GstFlowReturn ret = GST_FLOW_OK;

  if (pad == NULL)
    return GST_FLOW_OK;
  ret = end_word (self, pad);
  if (ret == GST_FLOW_OK
      && caption_unit (self) == GST_INWORLD_TTS_CAPTION_UNIT_UTTERANCE
      && c->utterance == utterance->index
      && GST_CLOCK_TIME_IS_VALID (c->first_audio) && utterance->text) {
    gchar *text = g_strstrip (g_strdup (utterance->text));

    /* an utterance with nothing to speak has no audio: no caption */
    if (*text)
      ret = push_caption (self, pad, text, c->first_audio, end);
    g_free (text);
  }
  c->first_audio = GST_CLOCK_TIME_NONE;
  /* the captions cover the time up to the audio's position */
  if (ret == GST_FLOW_OK)
    gap_to (self, pad, end, FALSE);
  gst_object_unref (pad);
  return ret;
}
