/* inworldttssrc: speakers and their voices
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

#include <string.h>

#include "inworldspeakers.h"
#include "inworldtext.h"

G_DEFINE_QUARK (inworld-speakers-error-quark, inworld_speakers_error);

void
inworld_turn_free (InworldTurn * turn)
{
  if (turn == NULL)
    return;
  g_free (turn->speaker);
  g_free (turn->text);
  g_free (turn);
}

static InworldTurn *
turn_new (const gchar * speaker, const gchar * text)
{
  InworldTurn *turn = g_new0 (InworldTurn, 1);

  turn->speaker = g_strdup (speaker);
  turn->text = g_strdup (text);
  return turn;
}

static gboolean
is_ws (gchar c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* @len bytes of @s trimmed, runs of whitespace made one space; NULL when
 * nothing is left. */
static gchar *
normalize_name (const gchar * s, gsize len)
{
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;

  for (gsize i = 0; i < len; i++) {
    if (is_ws (s[i])) {
      space = TRUE;
      continue;
    }
    if (space && out->len > 0)
      g_string_append_c (out, ' ');
    space = FALSE;
    g_string_append_c (out, s[i]);
  }
  if (out->len == 0) {
    g_string_free (out, TRUE);
    return NULL;
  }
  return g_string_free (out, FALSE);
}

/* Whether a WebVTT voice tag begins at @p (before @end): its length in
 * *@len, *@closing for `</v>`, else the raw annotation (the name as
 * written, maybe empty) in *@name and *@name_len. */
static gboolean
voice_tag (const gchar * p, const gchar * end, gsize * len,
    gboolean * closing, const gchar ** name, gsize * name_len)
{
  const gchar *q;

  if (end - p >= 3 && p[0] == '<' && p[1] == '/' && p[2] == 'v') {
    for (q = p + 3; q < end && is_ws (*q); q++);
    if (q < end && *q == '>') {
      *len = q + 1 - p;
      *closing = TRUE;
      return TRUE;
    }
    return FALSE;
  }
  /* `<v` then classes, whitespace or the end of the tag: not `<video>` */
  if (end - p < 3 || p[0] != '<' || p[1] != 'v' || (p[2] != '.'
          && p[2] != '>' && !is_ws (p[2])))
    return FALSE;
  for (q = p + 2; q < end && *q == '.';) {
    /* a class: up to the next dot, whitespace or the end of the tag */
    for (q++; q < end && *q != '.' && *q != '>' && *q != '<' && !is_ws (*q);
        q++);
  }
  if (q < end && is_ws (*q)) {
    *name = q;
    for (; q < end && *q != '>' && *q != '<'; q++);
    *name_len = q - *name;
  } else {
    *name = q;
    *name_len = 0;
  }
  if (q >= end || *q != '>')
    return FALSE;
  *len = q + 1 - p;
  *closing = FALSE;
  return TRUE;
}

typedef struct
{
  gchar *speaker;
  GString *text;
} Segment;

static void
segment_free (Segment * s)
{
  g_free (s->speaker);
  g_string_free (s->text, TRUE);
  g_free (s);
}

static Segment *
segment_new (gchar * speaker)
{
  Segment *s = g_new0 (Segment, 1);

  s->speaker = speaker;
  s->text = g_string_new (NULL);
  return s;
}

GPtrArray *
inworld_speakers_split (const gchar * text, const gchar * speaker,
    gchar ** speaker_after)
{
  GPtrArray *turns = g_ptr_array_new_with_free_func ((GDestroyNotify)
      inworld_turn_free);
  GPtrArray *segments;
  const gchar *p, *end;
  Segment *cur;
  InworldTurn *fallback = NULL;
  gboolean tagged = FALSE;

  g_return_val_if_fail (text != NULL, turns);

  segments = g_ptr_array_new_with_free_func ((GDestroyNotify) segment_free);
  cur = segment_new (g_strdup (speaker));
  g_ptr_array_add (segments, cur);
  end = text + strlen (text);
  for (p = text; p < end;) {
    const gchar *name = NULL;
    gsize len = 0, name_len = 0;
    gboolean closing = FALSE;

    if (*p == '<' && voice_tag (p, end, &len, &closing, &name, &name_len)) {
      tagged = TRUE;
      cur = segment_new (closing ? NULL : normalize_name (name, name_len));
      g_ptr_array_add (segments, cur);
      p += len;
      continue;
    }
    g_string_append_c (cur->text, *p);
    p++;
  }
  if (speaker_after)
    *speaker_after = g_strdup (cur->speaker);

  if (!tagged) {
    g_ptr_array_add (turns, turn_new (speaker, text));
    g_ptr_array_unref (segments);
    return turns;
  }
  for (guint i = 0; i < segments->len; i++) {
    Segment *s = g_ptr_array_index (segments, i);
    gchar *trimmed = g_strstrip (g_strdup (s->text->str));

    if (inworld_text_has_speech (trimmed)) {
      g_ptr_array_add (turns, turn_new (s->speaker, trimmed));
    } else if (*trimmed) {
      /* nothing to speak here: kept in case nothing has speech */
      if (fallback == NULL) {
        fallback = turn_new (s->speaker, trimmed);
      } else {
        gchar *joined = g_strjoin (" ", fallback->text, trimmed, NULL);

        g_free (fallback->text);
        fallback->text = joined;
      }
    }
    g_free (trimmed);
  }
  if (turns->len == 0)
    g_ptr_array_add (turns, fallback ? g_steal_pointer (&fallback) :
        turn_new (NULL, ""));
  inworld_turn_free (fallback);
  g_ptr_array_unref (segments);
  return turns;
}

/* ------------------------------------------------------------------------
 * Pango markup with voice tags
 * ------------------------------------------------------------------------ */

/* The voice tags become empty elements of these names, so that they are
 * well-formed XML wherever they are (inside <i>, unclosed) and the
 * markup parser decodes the name's entities. */
#define VOICE_ELEMENT "inworld-voice"
#define VOICE_END_ELEMENT "inworld-voice-end"

static void
markup_start (GMarkupParseContext * context, const gchar * element,
    const gchar ** names, const gchar ** values, gpointer user_data,
    GError ** error)
{
  GString *out = user_data;

  if (strcmp (element, VOICE_END_ELEMENT) == 0) {
    g_string_append (out, "</v>");
  } else if (strcmp (element, VOICE_ELEMENT) == 0) {
    const gchar *raw = values[0] ? values[0] : "";
    gchar *name = normalize_name (raw, strlen (raw));

    g_string_append (out, "<v");
    if (name) {
      /* < and > would end the tag inworld_speakers_split() reads */
      g_strdelimit (name, "<>", ' ');
      g_string_append_printf (out, " %s", name);
    }
    g_string_append_c (out, '>');
    g_free (name);
  }
}

static void
markup_text (GMarkupParseContext * context, const gchar * text,
    gsize text_len, gpointer user_data, GError ** error)
{
  g_string_append_len (user_data, text, text_len);
}

gchar *
inworld_speakers_strip_markup (const gchar * markup, gssize len,
    GError ** error)
{
  static const GMarkupParser parser = { markup_start, NULL, markup_text,
    NULL, NULL
  };
  GString *xml, *out;
  GMarkupParseContext *context;
  const gchar *p, *end;
  gboolean ok;

  g_return_val_if_fail (markup != NULL || len == 0, NULL);

  if (len < 0)
    len = strlen (markup);
  end = markup + len;
  /* Pango markup is a fragment: give it the single root XML wants */
  xml = g_string_sized_new (len + 32);
  g_string_append (xml, "<markup>");
  for (p = markup; p < end;) {
    const gchar *name = NULL;
    gsize tag_len = 0, name_len = 0;
    gboolean closing = FALSE;

    if (*p == '<' && voice_tag (p, end, &tag_len, &closing, &name,
            &name_len)) {
      if (closing) {
        g_string_append (xml, "<" VOICE_END_ELEMENT "/>");
      } else {
        g_string_append (xml, "<" VOICE_ELEMENT " n=\"");
        for (gsize i = 0; i < name_len; i++) {
          if (name[i] == '"')
            g_string_append (xml, "&quot;");
          else
            g_string_append_c (xml, name[i]);
        }
        g_string_append (xml, "\"/>");
      }
      p += tag_len;
      continue;
    }
    g_string_append_c (xml, *p);
    p++;
  }
  g_string_append (xml, "</markup>");

  out = g_string_new (NULL);
  context = g_markup_parse_context_new (&parser, 0, out, NULL);
  ok = g_markup_parse_context_parse (context, xml->str, xml->len, error)
      && g_markup_parse_context_end_parse (context, error);
  g_markup_parse_context_free (context);
  g_string_free (xml, TRUE);
  if (!ok) {
    g_string_free (out, TRUE);
    return NULL;
  }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------
 * The voice map
 * ------------------------------------------------------------------------ */

struct _InworldVoiceMap
{
  GHashTable *voices;           /* name -> voice */
};

void
inworld_voice_map_free (InworldVoiceMap * map)
{
  if (map == NULL)
    return;
  g_hash_table_unref (map->voices);
  g_free (map);
}

/* One side of an entry, unescaped: up to an unescaped @stop (or ','),
 * from *@p, which is left on the stop character or the end. FALSE on a
 * backslash at the end. */
static gboolean
map_field (const gchar ** p, gchar stop, GString * out)
{
  const gchar *q = *p;

  for (; *q && *q != stop && *q != ','; q++) {
    if (*q == '\\') {
      if (q[1] == '\0')
        return FALSE;
      q++;
    }
    g_string_append_c (out, *q);
  }
  *p = q;
  return TRUE;
}

static gboolean
map_error (GError ** error, guint entry, const gchar * what)
{
  g_set_error (error, INWORLD_SPEAKERS_ERROR, 0, "entry %u: %s", entry, what);
  return FALSE;
}

static gboolean
map_entry (InworldVoiceMap * map, const gchar ** p, guint entry,
    GError ** error)
{
  GString *name_raw = g_string_new (NULL), *voice_raw = g_string_new (NULL);
  gchar *name = NULL, *voice = NULL;
  gboolean ok = FALSE;

  if (!map_field (p, '=', name_raw)) {
    map_error (error, entry, "a backslash at the end escapes nothing");
    goto done;
  }
  name = normalize_name (name_raw->str, name_raw->len);
  if (**p != '=') {
    if (name == NULL) {
      ok = TRUE;                /* an empty entry: `a=b,,c=d` or a trailing
                                 * comma */
      goto done;
    }
    g_set_error (error, INWORLD_SPEAKERS_ERROR, 0, "entry %u ('%s') has no "
        "'=' between the speaker and the voice", entry, name);
    goto done;
  }
  (*p)++;
  if (!map_field (p, '=', voice_raw)) {
    map_error (error, entry, "a backslash at the end escapes nothing");
    goto done;
  }
  if (**p == '=') {
    g_set_error (error, INWORLD_SPEAKERS_ERROR, 0, "entry %u has a second "
        "'=' (write \\= for one in a name or a voice)", entry);
    goto done;
  }
  voice = g_strstrip (g_strdup (voice_raw->str));
  if (name == NULL) {
    map_error (error, entry, "the speaker's name is empty");
  } else if (*voice == '\0') {
    g_set_error (error, INWORLD_SPEAKERS_ERROR, 0, "speaker '%s' has an "
        "empty voice", name);
  } else if (strpbrk (voice, " \t\n\r\f")) {
    g_set_error (error, INWORLD_SPEAKERS_ERROR, 0, "the voice of speaker "
        "'%s', '%s', has whitespace in it", name, voice);
  } else if (g_hash_table_contains (map->voices, name)) {
    g_set_error (error, INWORLD_SPEAKERS_ERROR, 0, "speaker '%s' is given "
        "twice", name);
  } else {
    g_hash_table_insert (map->voices, g_steal_pointer (&name),
        g_steal_pointer (&voice));
    ok = TRUE;
  }

done:
  g_free (name);
  g_free (voice);
  g_string_free (name_raw, TRUE);
  g_string_free (voice_raw, TRUE);
  return ok;
}

InworldVoiceMap *
inworld_voice_map_parse (const gchar * str, GError ** error)
{
  InworldVoiceMap *map = g_new0 (InworldVoiceMap, 1);
  const gchar *p = str ? str : "";
  guint entry = 1;

  map->voices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  if (!g_utf8_validate (p, -1, NULL)) {
    g_set_error_literal (error, INWORLD_SPEAKERS_ERROR, 0, "not UTF-8");
    inworld_voice_map_free (map);
    return NULL;
  }
  while (*p) {
    if (!map_entry (map, &p, entry, error)) {
      inworld_voice_map_free (map);
      return NULL;
    }
    if (*p == ',')
      p++;
    entry++;
  }
  return map;
}

const gchar *
inworld_voice_map_lookup (const InworldVoiceMap * map, const gchar * speaker)
{
  g_return_val_if_fail (map != NULL, NULL);

  return speaker ? g_hash_table_lookup (map->voices, speaker) : NULL;
}

guint
inworld_voice_map_size (const InworldVoiceMap * map)
{
  g_return_val_if_fail (map != NULL, 0);

  return g_hash_table_size (map->voices);
}
