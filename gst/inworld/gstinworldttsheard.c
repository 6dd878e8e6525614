/* inworldttssrc: what the listener heard when the speech was interrupted
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstinworldttsheard.h"
#include "gstinworldttssrcpriv.h"

#include <gst/base/gstbasesink.h>
#include <string.h>

/* Utterances remembered after they ended: a sink further behind than this
 * counts the older ones as heard. */
#define MAX_ENDED 32
/* Without word timings and before an utterance's audio is all there, its
 * length is estimated at this many characters a second of speech. */
#define CHARS_PER_SECOND 14

typedef struct
{
  GstClockTime start, end;
  gchar *word;
} HeardWord;

typedef struct
{
  guint index;
  gsize start;                  /* its text in the ledger (absolute) */
  gsize length;                 /* known so far; all once ended */
  gchar *text;                  /* as far as known, or NULL */
  GstClockTime first, last;     /* its audio; NONE before any */
  gboolean ended;
  GArray *words;                /* HeardWord, in order */
} Record;

/* Its own lock, a leaf: the application's threads add text while the
 * task records. */
struct _HeardState
{
  GMutex lock;
  GString *ledger;              /* text from `base` on */
  gsize base;                   /* bytes trimmed off the ledger's head */
  GQueue records;               /* Record *, oldest first */
  gsize next;                   /* where the next utterance's text starts */
  guint last_index;
};

static void
word_clear (HeardWord * w)
{
  g_free (w->word);
}

static void
record_free (Record * r)
{
  g_free (r->text);
  g_array_unref (r->words);
  g_free (r);
}

HeardState *
gst_inworld_tts_heard_new (void)
{
  HeardState *h = g_new0 (HeardState, 1);

  g_mutex_init (&h->lock);
  h->ledger = g_string_new (NULL);
  g_queue_init (&h->records);
  return h;
}

void
gst_inworld_tts_heard_free (HeardState * h)
{
  if (h == NULL)
    return;
  g_queue_clear_full (&h->records, (GDestroyNotify) record_free);
  g_string_free (h->ledger, TRUE);
  g_mutex_clear (&h->lock);
  g_free (h);
}

void
gst_inworld_tts_heard_add_text (HeardState * h, const gchar * text)
{
  g_mutex_lock (&h->lock);
  if (text)
    g_string_append (h->ledger, text);
  g_mutex_unlock (&h->lock);
}

static Record *
current (HeardState * h)
{
  Record *r = g_queue_peek_tail (&h->records);

  return r && !r->ended ? r : NULL;
}

void
gst_inworld_tts_heard_begin (HeardState * h, guint index)
{
  Record *r;

  g_mutex_lock (&h->lock);
  r = current (h);
  if (r && r->index == index) {
    g_mutex_unlock (&h->lock);
    return;
  }
  if (r) {
    /* an utterance that ended without its end (auto mode): its text is
     * what was known of it */
    r->ended = TRUE;
    h->next = r->start + r->length;
  }
  r = g_new0 (Record, 1);
  r->index = index;
  r->start = h->next;
  r->first = r->last = GST_CLOCK_TIME_NONE;
  r->words = g_array_new (FALSE, TRUE, sizeof (HeardWord));
  g_array_set_clear_func (r->words, (GDestroyNotify) word_clear);
  g_queue_push_tail (&h->records, r);
  h->last_index = index;
  g_mutex_unlock (&h->lock);
}

void
gst_inworld_tts_heard_audio (HeardState * h, gchar * text, GstClockTime pts,
    GstClockTime end)
{
  Record *r;

  g_mutex_lock (&h->lock);
  r = current (h);
  if (r == NULL) {
    g_mutex_unlock (&h->lock);
    g_free (text);
    return;
  }
  if (text) {
    g_free (r->text);
    r->text = text;
    r->length = strlen (text);
  }
  if (GST_CLOCK_TIME_IS_VALID (pts)) {
    if (!GST_CLOCK_TIME_IS_VALID (r->first))
      r->first = pts;
    r->last = end;
  }
  g_mutex_unlock (&h->lock);
}

void
gst_inworld_tts_heard_word (HeardState * h, const gchar * word,
    GstClockTime start, GstClockTime end)
{
  Record *r;
  HeardWord w = { start, end, g_strdup (word) };

  g_mutex_lock (&h->lock);
  r = current (h);
  if (r)
    g_array_append_val (r->words, w);
  else
    g_free (w.word);
  g_mutex_unlock (&h->lock);
}

gchar *
gst_inworld_tts_heard_current_text (HeardState * h)
{
  Record *r;
  gchar *text;

  g_mutex_lock (&h->lock);
  r = current (h);
  text = g_strdup (r ? r->text : NULL);
  g_mutex_unlock (&h->lock);
  return text;
}

void
gst_inworld_tts_heard_end (HeardState * h, const gchar * text)
{
  Record *r;
  guint ended = 0;

  g_mutex_lock (&h->lock);
  r = current (h);
  if (r == NULL) {
    g_mutex_unlock (&h->lock);
    return;
  }
  r->ended = TRUE;
  if (text) {
    g_free (r->text);
    r->text = g_strdup (text);
    r->length = strlen (text);
  }
  h->next = r->start + r->length;

  for (GList * l = h->records.head; l; l = l->next)
    ended += ((Record *) l->data)->ended;
  while (ended-- > MAX_ENDED) {
    Record *old = g_queue_pop_head (&h->records);
    Record *next = g_queue_peek_head (&h->records);
    gsize keep = next ? next->start : h->next;

    /* the ledger keeps the text from the oldest utterance remembered */
    if (keep > h->base && keep - h->base <= h->ledger->len) {
      g_string_erase (h->ledger, 0, keep - h->base);
      h->base = keep;
    }
    record_free (old);
  }
  g_mutex_unlock (&h->lock);
}

/* ------------------------------------------------------------------------
 * The horizon
 * ------------------------------------------------------------------------ */

static GstElement *sync_sink_from_src (GstPad * pad, guint depth);

/* The first sink with sync=true at or after @pad (a sink pad), through
 * bins and fan-outs (tee), or NULL. */
static GstElement *
sync_sink_from_sink (GstPad * pad, guint depth)
{
  GstElement *found = NULL, *el;
  GstIterator *it;
  GValue v = G_VALUE_INIT;
  gboolean done = FALSE;

  if (pad == NULL || depth > 32)
    return NULL;
  if (GST_IS_GHOST_PAD (pad)) {
    /* into a bin */
    GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));

    found = sync_sink_from_sink (target, depth + 1);
    if (target)
      gst_object_unref (target);
    return found;
  }
  if (GST_IS_PROXY_PAD (pad)) {
    /* out of a bin: the internal pad of its ghost src pad */
    GstObject *ghost = gst_pad_get_parent (pad);

    if (ghost && GST_IS_PAD (ghost))
      found = sync_sink_from_src (GST_PAD (ghost), depth + 1);
    if (ghost)
      gst_object_unref (ghost);
    return found;
  }
  el = gst_pad_get_parent_element (pad);
  if (el == NULL)
    return NULL;
  if (GST_IS_BASE_SINK (el)) {
    if (gst_base_sink_get_sync (GST_BASE_SINK (el)))
      return el;
    gst_object_unref (el);
    return NULL;
  }
  it = gst_element_iterate_src_pads (el);
  while (!done && !found) {
    switch (gst_iterator_next (it, &v)) {
      case GST_ITERATOR_OK:
        found = sync_sink_from_src (g_value_get_object (&v), depth + 1);
        g_value_reset (&v);
        break;
      case GST_ITERATOR_RESYNC:
        gst_iterator_resync (it);
        break;
      default:
        done = TRUE;
        break;
    }
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  gst_object_unref (el);
  return found;
}

static GstElement *
sync_sink_from_src (GstPad * pad, guint depth)
{
  GstPad *peer = gst_pad_get_peer (pad);
  GstElement *found = sync_sink_from_sink (peer, depth);

  if (peer)
    gst_object_unref (peer);
  return found;
}

GstClockTime
gst_inworld_tts_heard_horizon (GstInworldTtsSrc * self, GstClockTime pushed,
    gboolean * by_clock)
{
  GstElement *sink;
  GstClockTime now, delay;
  GstState state, pending;

  *by_clock = FALSE;
  GST_OBJECT_LOCK (self);
  state = GST_STATE (self);
  pending = GST_STATE_PENDING (self);
  GST_OBJECT_UNLOCK (self);
  /* the clock runs only in PLAYING: before it (or without a clock) a
   * syncing sink has played nothing, but what was pushed is what it will
   * play first, and a sink that does not sync has taken it all */
  if (state != GST_STATE_PLAYING || pending != GST_STATE_VOID_PENDING)
    return pushed;
  now = gst_element_get_current_running_time (GST_ELEMENT (self));
  if (!GST_CLOCK_TIME_IS_VALID (now))
    return pushed;
  sink = sync_sink_from_src (self->srcpad, 0);
  if (sink == NULL)
    return pushed;
  /* a syncing sink plays a buffer at its running time plus the latency
   * (and its render delay and ts-offset) */
  delay = gst_base_sink_get_latency (GST_BASE_SINK (sink))
      + gst_base_sink_get_render_delay (GST_BASE_SINK (sink));
  {
    gint64 offset = gst_base_sink_get_ts_offset (GST_BASE_SINK (sink));

    if (offset > 0)
      delay += offset;
  }
  GST_DEBUG_OBJECT (self, "%s syncs: now %" GST_TIME_FORMAT ", delay %"
      GST_TIME_FORMAT, GST_OBJECT_NAME (sink), GST_TIME_ARGS (now),
      GST_TIME_ARGS (delay));
  gst_object_unref (sink);
  *by_clock = TRUE;
  now = now > delay ? now - delay : 0;
  return GST_CLOCK_TIME_IS_VALID (pushed) ? MIN (now, pushed) : now;
}

/* ------------------------------------------------------------------------
 * The cut
 * ------------------------------------------------------------------------ */

/* The end of the last word of @r heard by @horizon, from its word timings;
 * FALSE when a timed word is not found in the text (normalized). */
static gboolean
cut_at_words (HeardState * h, Record * r, gsize text_end,
    GstClockTime horizon, gsize * heard_end, gboolean * exact)
{
  const gchar *text = h->ledger->str;
  gsize cursor = r->start - h->base;
  HeardWord *last = NULL;

  *heard_end = r->start;
  for (guint i = 0; i < r->words->len; i++) {
    HeardWord *w = &g_array_index (r->words, HeardWord, i);
    const gchar *at = g_strstr_len (text + cursor, text_end - h->base - cursor,
        w->word);

    if (at == NULL)
      return FALSE;
    cursor = (at - text) + strlen (w->word);
    last = w;
    if (w->start < horizon)
      *heard_end = h->base + cursor;
  }
  /* the timings of the words that start in an audio chunk come before its
   * audio (inworldsession.c): all the words that start in the audio
   * pushed are known. Past it (the rest not arrived yet) they may not be. */
  *exact = last != NULL && (r->ended || horizon <= r->last);
  return TRUE;
}

/* Without timings: the proportion of the utterance's audio heard, moved
 * to the nearest word boundary. */
static gsize
cut_by_proportion (HeardState * h, Record * r, gsize text_end,
    GstClockTime horizon)
{
  const gchar *text = h->ledger->str + (r->start - h->base);
  gsize len = text_end - r->start;
  glong chars = g_utf8_strlen (text, len);
  GstClockTime total = r->last - r->first;
  glong target, best = 0, i = 0;
  const gchar *p;

  if (!r->ended)
    total = MAX (total, (GstClockTime) chars * GST_SECOND / CHARS_PER_SECOND);
  if (total == 0)
    return r->start;
  target = gst_util_uint64_scale (MIN (horizon - r->first, total), chars,
      total);
  /* word boundaries: the starts of whitespace and the end */
  for (p = text; p < text + len; p = g_utf8_next_char (p), i++) {
    gboolean space = g_unichar_isspace (g_utf8_get_char (p));
    gboolean prev = p > text && g_unichar_isspace (g_utf8_get_char
        (g_utf8_prev_char (p)));

    if (space && !prev && ABS (i - target) < ABS (best - target))
      best = i;
  }
  if (ABS (chars - target) < ABS (best - target))
    best = chars;
  return r->start + (g_utf8_offset_to_pointer (text, best) - text);
}

GstStructure *
gst_inworld_tts_heard_cut (HeardState * h, GstClockTime horizon,
    gboolean by_clock, const gchar * pending, const gchar * mode)
{
  Record *cut = NULL;
  gsize ledger_end;
  gsize heard_start, heard_end;
  gboolean exact = TRUE;
  guint index = 0;
  GString *not_heard;
  GstStructure *s;

  g_mutex_lock (&h->lock);
  ledger_end = h->base + h->ledger->len;
  for (GList * l = h->records.head; l; l = l->next) {
    Record *r = l->data;

    if (r->ended && (!GST_CLOCK_TIME_IS_VALID (r->last)
            || (GST_CLOCK_TIME_IS_VALID (horizon) && r->last <= horizon)))
      continue;                 /* all heard, or nothing to hear */
    cut = r;
    break;
  }

  if (cut == NULL) {
    /* all that began was heard: the cut is before the next utterance */
    heard_start = heard_end = MAX (h->next, h->base);
    if (heard_end < ledger_end || (pending && *pending))
      index = h->last_index + 1;
  } else {
    gsize text_end = MIN (cut->start + cut->length, ledger_end);

    index = cut->index;
    heard_start = heard_end = cut->start;
    if (!GST_CLOCK_TIME_IS_VALID (cut->first)
        || !GST_CLOCK_TIME_IS_VALID (horizon) || horizon <= cut->first) {
      /* none of its audio was heard */
    } else if (cut->words->len == 0 || !cut_at_words (h, cut, text_end,
            horizon, &heard_end, &exact)) {
      heard_end = cut_by_proportion (h, cut, text_end, horizon);
      exact = FALSE;
    }
  }
  heard_start = MAX (heard_start, h->base);
  heard_end = CLAMP (heard_end, heard_start, ledger_end);
  not_heard = g_string_new_len (h->ledger->str + (heard_end - h->base),
      ledger_end - heard_end);
  if (pending)
    g_string_append (not_heard, pending);

  s = gst_structure_new (GST_INWORLD_INTERRUPTED,
      "running-time", GST_TYPE_CLOCK_TIME, horizon,
      "flush-index", G_TYPE_UINT, index,
      "text-heard", G_TYPE_STRING, NULL, NULL);
  {
    gchar *heard = g_strndup (h->ledger->str + (heard_start - h->base),
        heard_end - heard_start);

    gst_structure_set (s, "text-heard", G_TYPE_STRING, heard,
        "text-not-heard", G_TYPE_STRING, not_heard->str,
        "exact", G_TYPE_BOOLEAN, exact,
        "heard-by", G_TYPE_STRING, by_clock ? "clock" : "pushed",
        "interrupt-mode", G_TYPE_STRING, mode, NULL);
    g_free (heard);
  }
  g_string_free (not_heard, TRUE);

  /* what follows is new text, in a new context */
  g_queue_clear_full (&h->records, (GDestroyNotify) record_free);
  g_string_truncate (h->ledger, 0);
  h->base = h->next = 0;
  g_mutex_unlock (&h->lock);
  return s;
}
