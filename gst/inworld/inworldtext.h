/* inworldttssrc: text helpers
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Pure text helpers: no I/O, no GStreamer. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Splits valid UTF-8 @text into pieces of at most @max_chars characters
 * (Unicode code points), cutting after the last sentence end (. ! ? … and
 * CJK 。！？ followed by space or end) that fits, else after the last
 * whitespace, else at the end of the last grapheme cluster that fits
 * (else, for one cluster longer than @max_chars, at the last character
 * that fits). Never cuts inside a UTF-8 sequence, nor inside a cluster
 * (a letter and its combining marks, an emoji with its ZWJ sequence,
 * variation selector or skin tone, a flag's two regional indicators, CR
 * LF) unless the cluster alone is over the limit. Lossless: the pieces
 * concatenated give @text back byte for byte. Returns a NULL-terminated
 * array (g_strfreev); an empty @text gives an empty array.
 *
 * Details: "followed by space or end" applies to . ! ? …; the CJK
 * terminators (and ｡) end a sentence whatever follows, as CJK text puts no
 * space after them. Closing quotes/brackets right after the punctuation stay
 * with the sentence, and so does the whitespace after a cut point when it
 * fits, so the next piece starts with a word. Bytes that are not valid UTF-8
 * count as one character each and are kept (still lossless). Linear time. */
gchar **inworld_text_split (const gchar * text, guint max_chars);

/* TRUE when @text holds something to speak: a letter or a digit (in any
 * script), as the service judges it — a synthesis of text without one
 * (only punctuation, symbols such as ♪ or emoji, spaces) yields no audio
 * and no flushCompleted. Bytes that are not UTF-8 count as speech; NULL
 * has nothing to speak. */
gboolean inworld_text_has_speech (const gchar * text);

/* Validates @len bytes (-1: NUL-terminated) of UTF-8. On failure returns
 * FALSE and, if @bad_offset is set, the byte offset of the first bad byte. */
gboolean inworld_text_validate (const gchar * text, gssize len,
    gsize * bad_offset);

/* The text of Pango markup (tags dropped, entities and character
 * references decoded), or NULL with @error set when @markup is not
 * well-formed. */
gchar *inworld_text_strip_markup (const gchar * markup, gssize len,
    GError ** error);

G_END_DECLS
