/* inworld-tts-emulator: when buffered text becomes a synthesis
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The text buffer of one Inworld context (or one SLNG session) and the
 * service's rules for turning it into syntheses: flushes, the
 * bufferCharThreshold cut, auto mode (CLIENT_SEGMENTED and
 * SENTENCE_BOUNDARY) and the dropping of text with nothing to speak. It
 * knows nothing about sockets or clocks: the route owns the
 * maxBufferDelayMs timer (it calls emu_buffer_flush () when it fires),
 * runs the syntheses it is handed, in order, and reports each one's end
 * with emu_buffer_synthesis_done (), which auto mode waits for. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  EMU_BUFFER_MANUAL,            /* autoMode off: flushes, threshold, timer */
  EMU_BUFFER_AUTO,              /* CLIENT_SEGMENTED: sendText is a unit */
  EMU_BUFFER_SENTENCES,         /* SENTENCE_BOUNDARY: the service cuts */
} EmuBufferMode;

/* One synthesis of @text (@n_chars characters), in the order they must
 * run. @speak FALSE: the text has nothing to speak and is dropped; no
 * synthesis runs for it (the call is only there for logs). */
typedef void (*EmuBufferSynthesize) (const gchar * text, guint n_chars,
    gboolean speak, gpointer user_data);

typedef struct _EmuBuffer EmuBuffer;

EmuBuffer *emu_buffer_new (EmuBufferSynthesize func, gpointer user_data);
void emu_buffer_free (EmuBuffer * buf);

/* @threshold: the bufferCharThreshold in effect (> 0). */
void emu_buffer_set_mode (EmuBuffer * buf, EmuBufferMode mode,
    guint threshold);

/* sendText: appends @text, then, with @flush, flushes as
 * emu_buffer_flush () does; without, synthesizes what the mode says is
 * due: whole parts of threshold size in every mode; in auto mode, when
 * no synthesis runs, everything (CLIENT_SEGMENTED) or the complete
 * sentences (SENTENCE_BOUNDARY). */
void emu_buffer_append (EmuBuffer * buf, const gchar * text,
    gboolean flush);

/* flushContext, the timer, updateConfig, closeContext: synthesizes
 * everything buffered (in parts of threshold size), but in
 * SENTENCE_BOUNDARY mode not an unfinished tag, which stays buffered. */
void emu_buffer_flush (EmuBuffer * buf);

/* A synthesis handed out (with @speak TRUE) has ended. In auto mode the
 * text batched meanwhile is synthesized once the last one ends. */
void emu_buffer_synthesis_done (EmuBuffer * buf);

/* Empties the buffer and returns what was in it (g_free). */
gchar *emu_buffer_take (EmuBuffer * buf);

/* Forgets the text and the syntheses in progress (SLNG's close). */
void emu_buffer_clear (EmuBuffer * buf);

guint emu_buffer_n_chars (EmuBuffer * buf);
EmuBufferMode emu_buffer_get_mode (EmuBuffer * buf);

G_END_DECLS
