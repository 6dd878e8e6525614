/* inworldttssrc: text to speech with Inworld's streaming WebSocket API
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/gst.h>

#include "gstinworldttsenums.h"

G_BEGIN_DECLS

#define GST_TYPE_INWORLD_TTS_SRC (gst_inworld_tts_src_get_type ())
G_DECLARE_FINAL_TYPE (GstInworldTtsSrc, gst_inworld_tts_src, GST,
    INWORLD_TTS_SRC, GstElement);

/* Name of the custom downstream event and element message posted after
 * the last buffer of each utterance (each server synthesis in auto
 * mode). */
#define GST_INWORLD_FLUSH_COMPLETED "inworld-flush-completed"

/* Element message of each timed word (or character) of the speech. */
#define GST_INWORLD_WORD_TIMING "inworld-word-timing"

/* Name of the custom downstream event (serialized, right before the
 * buffer) and element message of each utterance's first audio. */
#define GST_INWORLD_SPEECH_STARTED "inworld-speech-started"

/* Element message of an interruption: what was heard and what not. */
#define GST_INWORLD_INTERRUPTED "inworld-interrupted"

G_END_DECLS
