/* inworldttssrc: text helpers
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

#include "inworldtext.h"

#include <string.h>

/* One character of @p (before @end): its code point and byte length. An
 * invalid or truncated sequence counts as a one-byte character (code point
 * -1), so a walk over bad input still moves forward and stays in bounds. */
static gunichar
next_char (const gchar * p, const gchar * end, gsize * len)
{
  gunichar c = g_utf8_get_char_validated (p, end - p);

  if (c == (gunichar) - 1 || c == (gunichar) - 2) {
    *len = 1;
    return (gunichar) - 1;
  }
  *len = g_utf8_next_char (p) - p;
  return c;
}

static gboolean
is_space (gunichar c)
{
  return c != (gunichar) - 1 && g_unichar_isspace (c);
}

/* Ends a sentence when followed by whitespace or the end of the text */
static gboolean
is_sentence_end (gunichar c)
{
  return c == '.' || c == '!' || c == '?' || c == 0x2026 /* … */ ;
}

/* CJK full-width terminators: CJK text puts no space after them, so they
 * end a sentence whatever follows. */
static gboolean
is_cjk_sentence_end (gunichar c)
{
  return c == 0x3002 /* 。 */  || c == 0xFF01 /* ！ */
      || c == 0xFF1F /* ？ */  || c == 0xFF61 /* ｡ */ ;
}

/* Closing quotes and brackets that stay with the sentence they end */
static gboolean
is_closer (gunichar c)
{
  GUnicodeType type;

  if (c == '"' || c == '\'')
    return TRUE;
  if (c == (gunichar) - 1)
    return FALSE;
  type = g_unichar_type (c);
  return type == G_UNICODE_CLOSE_PUNCTUATION
      || type == G_UNICODE_FINAL_PUNCTUATION;
}

/* ------------------------------------------------------------------------
 * Grapheme clusters, as far as cutting text goes: a simplified UAX #29
 * ------------------------------------------------------------------------ */

/* Characters that extend the cluster before them: combining marks (Mn,
 * Mc, Me, and anything with a combining class), zero-width joiner and
 * non-joiner, variation selectors (they are Mn), emoji skin-tone
 * modifiers, and the tag characters of flag sequences. */
static gboolean
is_extend (gunichar c)
{
  if (c == (gunichar) - 1)
    return FALSE;
  return g_unichar_ismark (c) || g_unichar_combining_class (c) != 0
      || c == 0x200C || c == 0x200D || (c >= 0xFE00 && c <= 0xFE0F)
      || (c >= 0x1F3FB && c <= 0x1F3FF)
      || (c >= 0xE0020 && c <= 0xE007F)
      || (c >= 0xE0100 && c <= 0xE01EF);
}

static gboolean
is_regional_indicator (gunichar c)
{
  return c >= 0x1F1E6 && c <= 0x1F1FF;
}

/* What the walk needs to know of the characters before the next one */
typedef struct
{
  gunichar prev;                /* 0 at the start */
  guint regional;               /* regional indicators just before */
} Graphemes;

/* Whether a cluster may end before @c, the walk having seen the
 * characters before it; then takes @c in. Rules: never between CR and
 * LF, before an extending character, after a ZWJ before a symbol (emoji
 * ZWJ sequences), or between the two regional indicators of a flag.
 * Bytes that are not UTF-8 are clusters of their own. Hangul jamo
 * sequences and prepended concatenation marks are not handled. */
static gboolean
graphemes_break_before (Graphemes * g, gunichar c)
{
  gunichar prev = g->prev;
  gboolean brk = TRUE;

  if (prev == 0 || prev == (gunichar) - 1 || c == (gunichar) - 1)
    brk = TRUE;
  else if (prev == '\r' && c == '\n')
    brk = FALSE;
  else if (is_extend (c))
    brk = FALSE;
  else if (prev == 0x200D && g_unichar_type (c) == G_UNICODE_OTHER_SYMBOL)
    brk = FALSE;
  else if (is_regional_indicator (c) && g->regional % 2 == 1)
    brk = FALSE;

  g->regional = is_regional_indicator (c) ? g->regional + 1 : 0;
  g->prev = c;
  return brk;
}

/* Length in bytes of the next piece of @p (at most @max_chars characters),
 * @p holding more than @max_chars characters or not. Only the window of
 * @max_chars + 1 characters is looked at. */
static gsize
piece_length (const gchar * p, const gchar * end, guint max_chars)
{
  const gchar *q = p;
  gsize last_sentence = 0, last_word = 0;
  /* after . ! ? … (and closers): needs whitespace or the end to count */
  gboolean after_end = FALSE;
  /* after 。！？ (and closers), or in the whitespace after a sentence end */
  gboolean sentence_cut = FALSE;
  gboolean prev_space = FALSE;
  guint count = 0;
  /* the last place between two clusters */
  gsize last_cluster = 0;
  Graphemes graphemes = { 0, 0 };

  while (q < end && count < max_chars) {
    gsize len;
    gunichar c = next_char (q, end, &len);
    gboolean space = is_space (c);

    /* cutting before @q: what ends there, what @c begins; never inside a
     * cluster */
    if (graphemes_break_before (&graphemes, c) && count > 0) {
      last_cluster = q - p;
      if (sentence_cut || (after_end && space))
        last_sentence = q - p;
      if (prev_space || space)
        last_word = q - p;
    }

    if (space) {
      sentence_cut = sentence_cut || after_end;
      after_end = FALSE;
    } else if (is_sentence_end (c)) {
      after_end = TRUE;
      sentence_cut = FALSE;
    } else if (is_cjk_sentence_end (c)) {
      after_end = FALSE;
      sentence_cut = TRUE;
    } else if (is_closer (c) && (after_end || (sentence_cut && !prev_space))) {
      /* keep the state: the quote or bracket belongs to the sentence */
    } else {
      after_end = FALSE;
      sentence_cut = FALSE;
    }
    prev_space = space;
    q += len;
    count++;
  }

  if (q == end)
    return q - p;               /* the rest fits */

  /* cutting at the window's end, before the next character */
  {
    gsize len;
    gunichar c = next_char (q, end, &len);
    gboolean space = is_space (c);

    if (graphemes_break_before (&graphemes, c)) {
      last_cluster = q - p;
      if (sentence_cut || (after_end && space))
        last_sentence = q - p;
      if (prev_space || space)
        last_word = q - p;
    }
  }

  if (last_sentence > 0)
    return last_sentence;
  if (last_word > 0)
    return last_word;
  if (last_cluster > 0)
    return last_cluster;
  /* one cluster longer than the limit: the limit wins */
  return q - p;
}

/* Splits @text into pieces of at most @max_chars characters. Sentence
 * ends are . ! ? … followed by whitespace or the end of the text, and the
 * CJK 。！？ (also ｡) whatever follows; closing quotes and brackets right
 * after the punctuation stay with the sentence, and so does the whitespace
 * after it when it fits, so that the next piece starts with a word. The
 * same holds for whitespace cuts. Bytes that are not valid UTF-8 count as
 * one character each and are kept as they are. Runs in linear time. */
gchar **
inworld_text_split (const gchar * text, guint max_chars)
{
  GPtrArray *pieces;
  const gchar *p, *end;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (max_chars > 0, NULL);

  pieces = g_ptr_array_new ();
  p = text;
  end = text + strlen (text);
  while (p < end) {
    gsize len = piece_length (p, end, max_chars);

    g_ptr_array_add (pieces, g_strndup (p, len));
    p += len;
  }
  g_ptr_array_add (pieces, NULL);
  return (gchar **) g_ptr_array_free (pieces, FALSE);
}

/* Whitespace, and the invisible control and format characters (zero-width
 * space, byte order mark...), are not speech. NULL has none. */
gboolean
inworld_text_has_speech (const gchar * text)
{
  const gchar *p, *end;

  if (text == NULL)
    return FALSE;

  end = text + strlen (text);
  for (p = text; p < end;) {
    gsize len;
    gunichar c = next_char (p, end, &len);

    /* a byte that is not UTF-8 may be anything: keep it */
    if (c == (gunichar) - 1 || g_unichar_isalnum (c))
      return TRUE;
    p += len;
  }
  return FALSE;
}

gboolean
inworld_text_validate (const gchar * text, gssize len, gsize * bad_offset)
{
  const gchar *bad = NULL;
  gboolean valid;

  if (text == NULL) {
    if (bad_offset)
      *bad_offset = 0;
    return FALSE;
  }

  if (len < 0)
    valid = g_utf8_validate (text, -1, &bad);
  else
    valid = g_utf8_validate_len (text, (gsize) len, &bad);

  if (!valid && bad_offset)
    *bad_offset = bad - text;
  return valid;
}

static void
collect_text (GMarkupParseContext * context, const gchar * text,
    gsize text_len, gpointer user_data, GError ** error)
{
  g_string_append_len (user_data, text, text_len);
}

gchar *
inworld_text_strip_markup (const gchar * markup, gssize len, GError ** error)
{
  static const GMarkupParser parser = { NULL, NULL, collect_text, NULL, NULL };
  GString *out = g_string_new (NULL);
  GMarkupParseContext *context;
  gboolean ok;

  if (len < 0)
    len = strlen (markup);
  /* Pango markup is a fragment: give it the single root XML wants */
  context = g_markup_parse_context_new (&parser, 0, out, NULL);
  ok = g_markup_parse_context_parse (context, "<markup>", -1, error)
      && g_markup_parse_context_parse (context, markup, len, error)
      && g_markup_parse_context_parse (context, "</markup>", -1, error)
      && g_markup_parse_context_end_parse (context, error);
  g_markup_parse_context_free (context);
  if (!ok) {
    g_string_free (out, TRUE);
    return NULL;
  }
  return g_string_free (out, FALSE);
}

gsize
inworld_text_incomplete_tail (const gchar * text, gsize len)
{
  gsize back;

  g_return_val_if_fail (text != NULL || len == 0, 0);

  /* the lead byte of the last character: at most 3 bytes back */
  for (back = 1; back <= 3 && back <= len; back++) {
    guchar b = (guchar) text[len - back];

    if ((b & 0xC0) == 0x80)
      continue;                 /* a continuation byte */
    if (b == 0xC0 || b == 0xC1 || b >= 0xF5)
      return 0;                 /* never a lead byte */
    /* -2: a valid beginning that needs more bytes */
    if (g_utf8_get_char_validated (text + len - back, back) == (gunichar) - 2)
      return back;
    return 0;
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Cutting a stream of text into sentences or lines
 * ------------------------------------------------------------------------ */

typedef enum
{
  TAG_NONE,
  TAG_LT,                       /* after a <: a tag if a letter, / or ! follows */
  TAG_ANGLE,                    /* inside < > */
  TAG_SQUARE,                   /* inside [ ] */
} TagState;

struct _InworldSentenceCutter
{
  InworldSegmentation how;
  guint max_chars;
  GString *text;                /* held; text->str[0] begins the piece */

  /* the piece under way, scanned up to text->len */
  guint chars;
  gboolean speech;              /* a letter or digit outside tags */
  gsize word_cut;               /* after its last whitespace outside tags */
  gsize cluster_cut;            /* its last place between two clusters */
  Graphemes graphemes;

  /* the scan */
  gunichar prev;
  gsize word_start;             /* where the word under way begins */
  gboolean after_end;           /* after . ! ? …: whitespace ends it */
  gboolean after_cjk_end;       /* after 。！？: what is no closer ends it */
  guint newlines;               /* in the whitespace under way */
  TagState tag;
  gsize tag_start;
  gboolean verbatim;
};

static const gchar *const abbreviations[] = {
  "Mr", "Mrs", "Ms", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "vs", "cf",
  "Mme", "Mlle", "Mgr", "Hr", "Nr", "Sra", "Srta", "Dra",
};

/* Whether the period after the word @word (@len bytes) leaves the
 * sentence open: an abbreviation, an initial, a word with periods. */
static gboolean
is_abbreviation (const gchar * word, gsize len)
{
  /* opening quotes and brackets before the word are not part of it */
  while (len > 0 && !g_ascii_isalnum (*word) && ((guchar) * word) < 0x80) {
    word++;
    len--;
  }
  if (len == 0)
    return FALSE;
  if (len == 1 && g_ascii_isupper (word[0]))
    return TRUE;
  if (memchr (word, '.', len))
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (abbreviations); i++)
    if (strlen (abbreviations[i]) == len
        && memcmp (abbreviations[i], word, len) == 0)
      return TRUE;
  return FALSE;
}

/* Ends a sentence whatever follows: CJK and fullwidth terminators */
static gboolean
is_cutter_cjk_end (gunichar c)
{
  return is_cjk_sentence_end (c) || c == 0xFF0E /* ． */ ;
}

static gboolean
range_has_speech (const gchar * p, gsize len)
{
  gchar *s = g_strndup (p, len);
  gboolean speech = inworld_text_has_speech (s);

  g_free (s);
  return speech;
}

static void
cutter_clear_scan (InworldSentenceCutter * c)
{
  c->chars = 0;
  c->speech = FALSE;
  c->word_cut = c->cluster_cut = 0;
  c->graphemes.prev = 0;
  c->graphemes.regional = 0;
  c->prev = 0;
  c->word_start = 0;
  c->after_end = c->after_cjk_end = FALSE;
  c->newlines = 0;
  c->tag = TAG_NONE;
  c->tag_start = 0;
  c->verbatim = FALSE;
}

InworldSentenceCutter *
inworld_sentence_cutter_new (InworldSegmentation how, guint max_chars)
{
  InworldSentenceCutter *c = g_new0 (InworldSentenceCutter, 1);

  g_return_val_if_fail (max_chars > 0, NULL);

  c->how = how;
  c->max_chars = max_chars;
  c->text = g_string_new (NULL);
  cutter_clear_scan (c);
  return c;
}

void
inworld_sentence_cutter_free (InworldSentenceCutter * cutter)
{
  if (cutter == NULL)
    return;
  g_string_free (cutter->text, TRUE);
  g_free (cutter);
}

/* The piece from @start to @at is complete: out it goes, unless it has
 * nothing to speak and the cut is not @forced. Returns whether it was
 * cut. */
static gboolean
cutter_cut (InworldSentenceCutter * c, GPtrArray * pieces, gsize * start,
    gsize at, gboolean forced)
{
  if (at <= *start || (!forced && !c->speech))
    return FALSE;
  g_ptr_array_add (pieces, g_strndup (c->text->str + *start, at - *start));
  *start = at;
  /* a word begins with the piece, whatever came before */
  c->word_start = MAX (c->word_start, at);
  c->chars = 0;
  c->speech = FALSE;
  c->after_end = c->after_cjk_end = FALSE;
  c->newlines = 0;
  return TRUE;
}

/* Sees the tag state through @ch at @pos (its end @end); returns whether
 * @ch is outside < > and [ ] (text, maybe verbatim). */
static gboolean
cutter_track_tags (InworldSentenceCutter * c, gunichar ch, gsize pos, gsize end)
{
  if (c->tag == TAG_LT)
    c->tag = (ch != (gunichar) - 1 && (g_unichar_isalpha (ch) || ch == '/'
            || ch == '!')) ? TAG_ANGLE : TAG_NONE;

  switch (c->tag) {
    case TAG_ANGLE:
      if (ch == '>') {
        const gchar *tag = c->text->str + c->tag_start;
        gsize len = end - c->tag_start;

        c->tag = TAG_NONE;
        if (len >= 10 && g_str_has_prefix (tag, "<verbatim")
            && (tag[9] == '>' || g_ascii_isspace (tag[9]))
            && tag[len - 2] != '/')
          c->verbatim = TRUE;
        else if (len >= 11 && g_str_has_prefix (tag, "</verbatim"))
          c->verbatim = FALSE;
      } else if (ch == '\n') {
        c->tag = TAG_NONE;      /* no tag after all */
        return TRUE;
      }
      return FALSE;
    case TAG_SQUARE:
      if (ch == ']')
        c->tag = TAG_NONE;
      else if (ch == '\n') {
        c->tag = TAG_NONE;
        return TRUE;
      }
      return FALSE;
    default:
      break;
  }
  if (ch == '<') {
    c->tag = TAG_LT;
    c->tag_start = pos;
    return FALSE;
  }
  if (ch == '[' && !c->verbatim) {
    c->tag = TAG_SQUARE;
    return FALSE;
  }
  return TRUE;
}

/* Cuts before @pos for the length limit: after the last whitespace, else
 * between clusters (@pos itself when @cluster_end), else at @pos. */
static void
cutter_cut_at_limit (InworldSentenceCutter * c, GPtrArray * pieces,
    gsize * start, gsize pos, gboolean cluster_end)
{
  gsize at = pos;

  if (c->word_cut > *start)
    at = c->word_cut;
  else if (!cluster_end && c->cluster_cut > *start)
    at = c->cluster_cut;
  cutter_cut (c, pieces, start, at, TRUE);
  /* what is left of the piece, counted again */
  c->chars = g_utf8_strlen (c->text->str + at, pos - at);
  c->speech = range_has_speech (c->text->str + at, pos - at);
  if (c->tag != TAG_NONE || c->verbatim) {
    /* that long, it was no tag */
    c->tag = TAG_NONE;
    c->verbatim = FALSE;
  }
}

gchar **
inworld_sentence_cutter_feed (InworldSentenceCutter * c, const gchar * text,
    gssize len)
{
  GPtrArray *pieces;
  gsize pos, start = 0, end;

  g_return_val_if_fail (c != NULL, NULL);
  g_return_val_if_fail (text != NULL || len == 0, NULL);

  pieces = g_ptr_array_new ();
  if (len < 0)
    len = strlen (text);
  pos = c->text->len;
  g_string_append_len (c->text, text, len);
  end = c->text->len;

  while (pos < end) {
    gsize n;
    gunichar ch = next_char (c->text->str + pos, c->text->str + end, &n);
    gsize after = pos + n;
    gboolean text_char, outside, space = is_space (ch), cluster_end;

    /* after 。: anything but a closing bracket begins the next sentence */
    if (c->after_cjk_end && !is_closer (ch))
      cutter_cut (c, pieces, &start, pos, FALSE);
    c->after_cjk_end = c->after_cjk_end && is_closer (ch);
    cluster_end = graphemes_break_before (&c->graphemes, ch);
    if (c->chars >= c->max_chars)
      cutter_cut_at_limit (c, pieces, &start, pos, cluster_end);
    if (cluster_end && pos > start)
      c->cluster_cut = pos;

    /* outside tags: words; outside verbatim too: cuts */
    text_char = cutter_track_tags (c, ch, pos, after);
    outside = text_char && !c->verbatim;
    c->chars++;
    if (text_char && ch != (gunichar) - 1 && g_unichar_isalnum (ch))
      c->speech = TRUE;

    if (outside) {
      if (ch == '\n' && (c->how == INWORLD_SEGMENT_LINE || ++c->newlines >= 2))
        cutter_cut (c, pieces, &start, after, FALSE);
      else if (!space)
        c->newlines = 0;

      if (c->how == INWORLD_SEGMENT_LINE) {
        /* lines only */
      } else if (is_sentence_end (ch)) {
        if (ch != '.' || (c->prev != '.' && !is_abbreviation (c->text->str
                    + c->word_start, pos - c->word_start)))
          c->after_end = TRUE;
      } else if (is_cutter_cjk_end (ch)) {
        c->after_end = FALSE;
        c->after_cjk_end = TRUE;
      } else if (space) {
        if (c->after_end)
          cutter_cut (c, pieces, &start, after, FALSE);
        c->after_end = FALSE;
      } else if (!is_closer (ch)) {
        c->after_end = FALSE;
      }
    }
    if (space) {
      c->word_start = after;
      if (outside)
        c->word_cut = after;
    }
    c->prev = ch;
    pos = after;
  }

  /* what was cut goes: offsets from the new beginning */
  if (start > 0) {
    g_string_erase (c->text, 0, start);
    c->word_cut = c->word_cut > start ? c->word_cut - start : 0;
    c->cluster_cut = c->cluster_cut > start ? c->cluster_cut - start : 0;
    c->word_start = c->word_start > start ? c->word_start - start : 0;
    c->tag_start = c->tag_start > start ? c->tag_start - start : 0;
  }
  g_ptr_array_add (pieces, NULL);
  return (gchar **) g_ptr_array_free (pieces, FALSE);
}

gchar *
inworld_sentence_cutter_finish (InworldSentenceCutter * cutter)
{
  gchar *rest = NULL;

  g_return_val_if_fail (cutter != NULL, NULL);

  if (cutter->text->len > 0)
    rest = g_strndup (cutter->text->str, cutter->text->len);
  inworld_sentence_cutter_reset (cutter);
  return rest;
}

void
inworld_sentence_cutter_reset (InworldSentenceCutter * cutter)
{
  g_return_if_fail (cutter != NULL);

  g_string_truncate (cutter->text, 0);
  cutter_clear_scan (cutter);
}

gsize
inworld_sentence_cutter_pending (const InworldSentenceCutter * cutter)
{
  g_return_val_if_fail (cutter != NULL, 0);

  return cutter->text->len;
}
