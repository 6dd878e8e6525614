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

/* The number of bytes (0 to 3) at the end of the @len bytes of @text that
 * begin a UTF-8 character without finishing it: what a byte stream cut
 * inside a character leaves at the end of a block, to be put before the
 * next one. 0 when @text ends with a whole character, or with bytes that
 * no continuation can make valid. */
gsize inworld_text_incomplete_tail (const gchar * text, gsize len);

typedef enum
{
  INWORLD_SEGMENT_LINE,
  INWORLD_SEGMENT_SENTENCE,
} InworldSegmentation;

/* Cuts a stream of text, fed in blocks of any size, into utterances:
 * at each newline (INWORLD_SEGMENT_LINE), or where a sentence ends
 * (INWORLD_SEGMENT_SENTENCE). Lossless: the pieces, then what finish()
 * returns, concatenated, give the text fed byte for byte.
 *
 * Sentence ends: . ! ? … followed by whitespace, the whitespace character
 * that shows it going with the sentence; closing quotes and brackets
 * right after the punctuation stay with it ("Stop." he said: the cut is
 * after the quote and its space). A period after a common abbreviation
 * (Mr Mrs Ms Dr Prof Sr Jr St Mt vs cf Mme Mlle Mgr Hr Nr Sra Srta Dra),
 * after a single capital letter (an initial: J. K. Rowling), after a word
 * holding a period already (e.g. i.e. U.S.), or that is a second or third
 * one of an ellipsis (... ends once) is no sentence end. The CJK 。！？
 * and the fullwidth ｡．！？ end a sentence whatever follows (no space
 * needed), with the closing brackets after them (」』）). An empty line
 * (two newlines with only whitespace between) ends a sentence too, so
 * that headings and list items without punctuation are not glued to what
 * follows. LINE cuts after each \n.
 *
 * Never inside a tag: not between < (before a letter, / or !) and >, nor
 * between [ and ] (the steering markup [say warmly]), nor between
 * <verbatim> and </verbatim>; a newline ends an unclosed < or [ (a lone
 * bracket in prose does not hold the cuts back beyond its line).
 *
 * A piece with nothing to speak (no letter or digit outside tags) is not
 * cut off: it stays with the text that follows. A piece reaching
 * @max_chars characters without an end is cut anyway, after its last
 * whitespace outside tags, else between two grapheme clusters, so that
 * the text held never grows beyond that. */
typedef struct _InworldSentenceCutter InworldSentenceCutter;

InworldSentenceCutter *inworld_sentence_cutter_new (InworldSegmentation how,
    guint max_chars);
void inworld_sentence_cutter_free (InworldSentenceCutter * cutter);
/* Feeds @len bytes (-1: NUL-terminated) of UTF-8 text; returns the pieces
 * now complete, in order (NULL-terminated, possibly empty; g_strfreev).
 * Linear in the text fed. */
gchar **inworld_sentence_cutter_feed (InworldSentenceCutter * cutter,
    const gchar * text, gssize len);
/* What is held (at EOS, at a flush), or NULL when nothing is; the cutter
 * is empty afterwards, as new. */
gchar *inworld_sentence_cutter_finish (InworldSentenceCutter * cutter);
/* Drops what is held. */
void inworld_sentence_cutter_reset (InworldSentenceCutter * cutter);
/* Bytes held. */
gsize inworld_sentence_cutter_pending (const InworldSentenceCutter * cutter);

G_END_DECLS
