/* inworldttssrc: speakers and their voices
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Who speaks a text, and with which voice: WebVTT voice spans
 * (`<v Alice>Hello</v>`, `<v.loud Bob>Hi!</v>`) cut a text into turns of
 * its speakers, and a voice map (`Alice=Ashley,Bob=Dennis`) gives each
 * speaker a voice. Pure text helpers: no I/O, no GStreamer
 * (docs/scripts.md). */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One speaker's part of a text. */
typedef struct
{
  gchar *speaker;               /* NULL: outside any voice span */
  gchar *text;
} InworldTurn;

void inworld_turn_free (InworldTurn * turn);

/* Cuts UTF-8 @text at its WebVTT voice tags into turns (InworldTurn *, in
 * order; g_ptr_array_unref frees them). A voice tag is `<v NAME>` with
 * optional classes (`<v.loud.fast NAME>`), its end `</v>`; a new `<v>`
 * ends the span before it. The name is trimmed and its runs of whitespace
 * become one space, as WebVTT reads the annotation; `<v>` without a name
 * opens a span of no speaker. Tags are removed from the text.
 *
 * @speaker is the speaker in force where @text begins (a span opened by
 * text before it, for a stream cut into pieces), or NULL; the speaker in
 * force at its end goes to *@speaker_after (g_free) when it is not NULL.
 *
 * Without a voice tag, one turn of @speaker with @text as it is. With
 * tags, each turn's text is trimmed and turns with nothing to speak (no
 * letter or digit: the space between two spans) are left out; when no
 * turn has speech, one turn (the first speaker's) keeps the text, so that
 * a cue with nothing to speak is still an utterance. */
GPtrArray *inworld_speakers_split (const gchar * text, const gchar * speaker,
    gchar ** speaker_after);

/* As inworld_text_strip_markup(): the text of Pango markup, tags dropped
 * and entities decoded, but WebVTT voice tags, which are no XML (subparse
 * passes `<v Alice>` on as it is), are kept in the text as `<v NAME>` and
 * `</v>` for inworld_speakers_split(), their names decoded. NULL with
 * @error set when the markup is not well-formed. */
gchar *inworld_speakers_strip_markup (const gchar * markup, gssize len,
    GError ** error);

/* Speaker names to voices, parsed from `NAME=VOICE,NAME=VOICE`: names and
 * voices trimmed, runs of whitespace in a name one space; `\,` `\=` and
 * `\\` put those characters into a name or a voice; empty entries are
 * skipped. A voice has no whitespace. Names are matched exactly (case
 * counts), as they are written in the text. */
typedef struct _InworldVoiceMap InworldVoiceMap;

#define INWORLD_SPEAKERS_ERROR (inworld_speakers_error_quark ())
GQuark inworld_speakers_error_quark (void);

/* The map of @str (NULL or empty: an empty map), or NULL with @error set
 * (INWORLD_SPEAKERS_ERROR, code 0) saying what is wrong and where: an
 * entry without `=`, an empty name or voice, a name given twice, a voice
 * with whitespace, a backslash at the end. */
InworldVoiceMap *inworld_voice_map_parse (const gchar * str, GError ** error);
void inworld_voice_map_free (InworldVoiceMap * map);
/* The voice of @speaker, or NULL when the map has none. */
const gchar *inworld_voice_map_lookup (const InworldVoiceMap * map,
    const gchar * speaker);
guint inworld_voice_map_size (const InworldVoiceMap * map);

G_END_DECLS
