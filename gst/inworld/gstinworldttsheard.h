/* inworldttssrc: what the listener heard when the speech was interrupted
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A voice agent must know what the user actually heard before barging in,
 * to truncate its conversation history. The element keeps a ledger of the
 * text it handed to the session since the last interruption (under
 * `lock`), and the task records, for each utterance it began, where its
 * text starts in that ledger, where its audio lies on the timeline and its
 * word timings. At an interruption (the task paused) these give the
 * `inworld-interrupted` message (docs/interrupting.md). */

#pragma once

#include "gstinworldttssrc.h"

G_BEGIN_DECLS

typedef struct _HeardState HeardState;

HeardState *gst_inworld_tts_heard_new (void);
void gst_inworld_tts_heard_free (HeardState * heard);

/* Text handed to the session, under `lock`. */
void gst_inworld_tts_heard_add_text (HeardState * heard, const gchar * text);

/* The task: an utterance begins (its first output), audio of it goes out
 * (@text: its text so far, taken; may be NULL), a word is timed, it ends
 * (@text: all its text). */
void gst_inworld_tts_heard_begin (HeardState * heard, guint index);
void gst_inworld_tts_heard_audio (HeardState * heard, gchar * text,
    GstClockTime pts, GstClockTime end);
void gst_inworld_tts_heard_word (HeardState * heard, const gchar * word,
    GstClockTime start, GstClockTime end);
void gst_inworld_tts_heard_end (HeardState * heard, const gchar * text);
/* The text of the utterance going out (as far as known), or NULL. */
gchar *gst_inworld_tts_heard_current_text (HeardState * heard);

/* The horizon of what was heard: the end of the audio pushed (@pushed),
 * or earlier when a sink downstream synchronizes to the clock and the
 * element is PLAYING: the running time now less that sink's latency.
 * *@by_clock says which. Any thread, no lock held but control_lock. */
GstClockTime gst_inworld_tts_heard_horizon (GstInworldTtsSrc * self,
    GstClockTime pushed, gboolean * by_clock);

/* The `inworld-interrupted` structure for a cut at @horizon, then the
 * ledger and records start again empty. @pending: text never handed to
 * the session (kept before the start), or NULL. With the task paused; any
 * lock may be held (its own is a leaf). */
GstStructure *gst_inworld_tts_heard_cut (HeardState * heard,
    GstClockTime horizon, gboolean by_clock, const gchar * pending,
    const gchar * mode);

G_END_DECLS
