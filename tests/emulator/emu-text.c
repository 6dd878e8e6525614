/* inworld-tts-emulator: the service's rules about text
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The rules follow Inworld's WebSocket guides (inworld-api-examples,
 * tts/python/websocket_guides/: language_switching/README.md for what has
 * nothing to speak and the cut at bufferCharThreshold,
 * sentence_boundary/README.md for sentence ends and markup). Where they
 * stop, the choices are ours and docs/emulator.md lists them. */

#include "emu-text.h"

#include <string.h>

/* A tag, or a <verbatim>...</verbatim> element, as byte offsets; end is
 * G_MAXSIZE while it is unfinished. */
typedef struct
{
  gsize start;
  gsize end;
  gboolean is_break;            /* a complete <break .../> */
} Span;

#define UNFINISHED G_MAXSIZE

/* The tag name after '<' (and an optional '/') at @p, lower-cased. */
static gchar *
tag_name (const gchar * p, const gchar * end, gboolean * closing)
{
  const gchar *q;

  p++;
  while (p < end && g_ascii_isspace (*p))
    p++;
  *closing = p < end && *p == '/';
  if (*closing)
    p++;
  for (q = p; q < end && (g_ascii_isalnum (*q) || *q == '-' || *q == '_');
      q++);
  return g_ascii_strdown (p, q - p);
}

/* Case-insensitive search of @needle in [@p, @end). */
static const gchar *
find_ci (const gchar * p, const gchar * end, const gchar * needle)
{
  gsize n = strlen (needle);

  for (; p + n <= end; p++)
    if (g_ascii_strncasecmp (p, needle, n) == 0)
      return p;
  return NULL;
}

/* Every tag and <verbatim> element of @text, in order. The last one may
 * be unfinished; nothing is looked at after it (everything there is part
 * of it). A '<' that never closes, as in "3 < 5", is an unfinished tag:
 * the guides say it holds back everything after it. */
static GArray *
find_spans (const gchar * text, gsize len)
{
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (Span));
  const gchar *end = text + len;
  const gchar *p = text;

  /* '[', ']', '<', '>' are ASCII: never part of a multi-byte sequence */
  while (p < end) {
    Span span = { p - text, UNFINISHED, FALSE };
    const gchar *close;

    if (*p != '[' && *p != '<') {
      p++;
      continue;
    }
    close = memchr (p + 1, *p == '[' ? ']' : '>', end - p - 1);
    if (close && *p == '<') {
      gboolean closing;
      gchar *name = tag_name (p, close, &closing);

      if (!closing && close[-1] != '/' && g_str_equal (name, "verbatim")) {
        /* the element as a whole: what it spells is not cut either */
        const gchar *etag = find_ci (close + 1, end, "</verbatim");

        close = etag ? memchr (etag, '>', end - etag) : NULL;
      }
      span.is_break = g_str_equal (name, "break");
      g_free (name);
    }
    if (!close) {
      g_array_append_val (spans, span);
      break;
    }
    span.end = close + 1 - text;
    g_array_append_val (spans, span);
    p = close + 1;
  }
  return spans;
}

/* The span that starts at @offset, or NULL. */
static const Span *
span_at (GArray * spans, gsize offset)
{
  for (guint i = 0; i < spans->len; i++) {
    const Span *s = &g_array_index (spans, Span, i);

    if (s->start == offset)
      return s;
  }
  return NULL;
}

/* The span strictly around a cut at @offset, or NULL. */
static const Span *
span_around (GArray * spans, gsize offset)
{
  for (guint i = 0; i < spans->len; i++) {
    const Span *s = &g_array_index (spans, Span, i);

    if (s->start < offset && offset < s->end)
      return s;
  }
  return NULL;
}

static gboolean
is_terminal (gunichar c)
{
  return c == '.' || c == '!' || c == '?' || c == 0x2026;      /* … */
}

/* Full-width 。！？, Arabic ؟, Devanagari । ॥: they end a sentence with no
 * space after them. */
static gboolean
is_terminal_nospace (gunichar c)
{
  return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0x061F
      || c == 0x0964 || c == 0x0965;
}

/* Closing quotes and brackets that stay with the sentence they end. */
static gboolean
is_closer (gunichar c)
{
  return c == '"' || c == '\'' || c == ')' || c == 0x201D || c == 0x2019
      || c == 0x00BB || c == 0x300D || c == 0x300F;
}

static const gchar *
skip_closers (const gchar * p, const gchar * end)
{
  while (p < end && is_closer (g_utf8_get_char (p)))
    p = g_utf8_next_char (p);
  return p;
}

static const gchar *
skip_space (const gchar * p, const gchar * end)
{
  while (p < end && g_unichar_isspace (g_utf8_get_char (p)))
    p = g_utf8_next_char (p);
  return p;
}

/* A lone '.' at @dot that does not end a sentence: after an initial (one
 * capital letter: "J. R.", the "A." of "U.S.A.") or after a short
 * capitalized word of at most four letters ("Dr.", "Mrs.", "Tom.",
 * "Rome.": the sentence runs on, as the guide says). Lower-case
 * abbreviations ("a.m.", "etc.") do end one, as the guide warns. */
static gboolean
is_abbreviation (const gchar * text, const gchar * dot)
{
  const gchar *p = dot;
  guint n = 0;
  gunichar first = 0;

  while (p > text) {
    const gchar *prev = g_utf8_prev_char (p);
    gunichar c = g_utf8_get_char (prev);

    if (!g_unichar_isalpha (c))
      break;
    first = c;
    n++;
    p = prev;
  }
  return n > 0 && n <= 4 && g_unichar_isupper (first);
}

/* If a sentence ends with the character at @p (outside any tag), the
 * offset just after it and the whitespace that follows it; 0 otherwise.
 * Plain terminals need whitespace after them. */
static gsize
sentence_end_at (const gchar * text, const gchar * p, const gchar * end)
{
  gunichar c = g_utf8_get_char (p);
  const gchar *q = g_utf8_next_char (p);

  if (is_terminal_nospace (c)) {
    while (q < end && (is_terminal_nospace (g_utf8_get_char (q))
            || is_terminal (g_utf8_get_char (q))))
      q = g_utf8_next_char (q);
    return skip_space (skip_closers (q, end), end) - text;
  }
  if (!is_terminal (c))
    return 0;
  while (q < end && is_terminal (g_utf8_get_char (q)))
    q = g_utf8_next_char (q);
  /* "2.5", "example.com": a lone period needs a space to end anything */
  if (c == '.' && q == g_utf8_next_char (p) && is_abbreviation (text, p))
    return 0;
  q = skip_closers (q, end);
  if (q >= end || !g_unichar_isspace (g_utf8_get_char (q)))
    return 0;
  return skip_space (q, end) - text;
}

/* Calls @func for every sentence end of @text up to @limit (an end
 * offset as sentence_end_at () gives it), in order, outside tags; stops
 * at an unfinished tag. */
typedef gboolean (*EndFunc) (gsize end_offset, gpointer data);

static void
for_each_end (const gchar * text, gsize len, GArray * spans, EndFunc func,
    gpointer data)
{
  const gchar *end = text + len;
  const gchar *p = text;

  while (p < end) {
    const Span *span = span_at (spans, p - text);
    gsize e = 0;

    if (span) {
      if (span->end == UNFINISHED)
        return;
      p = text + span->end;
      /* a complete <break/> ends a sentence */
      if (span->is_break)
        e = skip_space (p, end) - text;
    } else {
      e = sentence_end_at (text, p, end);
      p = g_utf8_next_char (p);
    }
    if (e && !func (e, data))
      return;
  }
}

gboolean
emu_text_has_speech (const gchar * text)
{
  for (const gchar * p = text; *p; p = g_utf8_next_char (p))
    if (g_unichar_isalnum (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

gsize
emu_text_complete (const gchar * text)
{
  gsize len = strlen (text);
  GArray *spans = find_spans (text, len);
  gsize complete = len;

  if (spans->len > 0) {
    Span *last = &g_array_index (spans, Span, spans->len - 1);

    if (last->end == UNFINISHED)
      complete = last->start;
  }
  g_array_unref (spans);
  return complete;
}

typedef struct
{
  gsize len;
  gsize last;
} SentencesData;

static gboolean
sentences_cb (gsize end_offset, gpointer data)
{
  SentencesData *d = data;

  /* confirmed only by text after it */
  if (end_offset < d->len)
    d->last = end_offset;
  return TRUE;
}

gsize
emu_text_sentences (const gchar * text)
{
  gsize len = strlen (text);
  GArray *spans = find_spans (text, len);
  SentencesData d = { len, 0 };

  for_each_end (text, len, spans, sentences_cb, &d);
  g_array_unref (spans);
  return d.last;
}

typedef struct
{
  gsize limit;
  gsize best;
} CutData;

static gboolean
cut_cb (gsize end_offset, gpointer data)
{
  CutData *d = data;

  if (end_offset > d->limit)
    return FALSE;
  d->best = end_offset;
  return TRUE;
}

gsize
emu_text_cut (const gchar * text, guint max_chars)
{
  gsize len = strlen (text);
  GArray *spans;
  CutData d = { 0, 0 };
  gsize space = 0;
  const Span *around;
  const gchar *p, *end;

  if ((gsize) g_utf8_strlen (text, len) <= max_chars)
    return len;
  max_chars = MAX (max_chars, 1);
  d.limit = g_utf8_offset_to_pointer (text, max_chars) - text;
  spans = find_spans (text, len);

  /* after the last sentence end that fits */
  for_each_end (text, len, spans, cut_cb, &d);

  /* else after the last whitespace outside tags */
  end = text + d.limit;
  for (p = text; !d.best && p < end;) {
    const Span *span = span_at (spans, p - text);
    const gchar *next;

    if (span) {
      if (span->end == UNFINISHED || span->end > d.limit)
        break;
      p = text + span->end;
      continue;
    }
    next = g_utf8_next_char (p);
    if (next <= end && g_unichar_isspace (g_utf8_get_char (p)))
      space = next - text;
    p = next;
  }
  if (!d.best)
    d.best = space;

  /* else at the limit, or before the tag the limit falls in */
  if (!d.best) {
    around = span_around (spans, d.limit);
    d.best = around && around->start > 0 ? around->start : d.limit;
  }
  g_array_unref (spans);
  return d.best;
}
