/* inworld-tts-emulator: the service's rules about text
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* What the service decides from text alone, with no protocol around it:
 * whether a piece has anything to speak, where a synthesis longer than
 * bufferCharThreshold is cut, where SENTENCE_BOUNDARY auto mode finds the
 * end of a sentence, and which markup ([...], <...>) is unfinished. All
 * offsets are in bytes of valid UTF-8; counts in Unicode characters. Pure
 * functions, thread-safe. See docs/emulator.md. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when @text has a letter or a digit (g_unichar_isalnum): text of
 * only punctuation, symbols and spaces gives no synthesis at all. */
gboolean emu_text_has_speech (const gchar * text);

/* The byte length of the first part when @text is cut into parts of at
 * most @max_chars characters (strlen (@text) when it fits): after the
 * last sentence end that fits, else after the last whitespace, else at
 * the limit; never inside a tag [...] / <...> or a <verbatim> element
 * when another cut exists. Never 0 for non-empty text. */
gsize emu_text_cut (const gchar * text, guint max_chars);

/* SENTENCE_BOUNDARY: the byte length of the complete sentences at the
 * start of @text, 0 when there is none yet. A sentence end counts only
 * once text follows it (docs/emulator.md lists the rules); the
 * whitespace after it belongs to the sentence it ends. Nothing after the
 * start of an unfinished tag is ever part of it. */
gsize emu_text_sentences (const gchar * text);

/* The byte offset at which an unfinished tag ("[whis", "<break")
 * starts, or strlen (@text) when every tag is complete. */
gsize emu_text_complete (const gchar * text);

G_END_DECLS
