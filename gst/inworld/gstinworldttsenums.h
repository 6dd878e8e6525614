/* inworldttssrc: the enum types of the element's properties
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * GstInworldTtsEncoding:
 * @GST_INWORLD_TTS_ENCODING_AUTO: chosen from the downstream caps
 * @GST_INWORLD_TTS_ENCODING_PCM: raw 16-bit PCM on the wire
 * @GST_INWORLD_TTS_ENCODING_LINEAR16: 16-bit PCM, a WAV header on every chunk
 * @GST_INWORLD_TTS_ENCODING_WAV: 16-bit PCM, a WAV header on each flush
 * @GST_INWORLD_TTS_ENCODING_MP3: MP3, output as audio/mpeg frames
 * @GST_INWORLD_TTS_ENCODING_OGG_OPUS: Ogg Opus, output as audio/x-opus packets
 * @GST_INWORLD_TTS_ENCODING_FLAC: FLAC, output as audio/x-flac frames
 * @GST_INWORLD_TTS_ENCODING_ALAW: G.711 A-law at 8000 Hz
 * @GST_INWORLD_TTS_ENCODING_MULAW: G.711 mu-law at 8000 Hz
 *
 * The audio encoding asked of the server.
 */
typedef enum
{
  GST_INWORLD_TTS_ENCODING_AUTO,
  GST_INWORLD_TTS_ENCODING_PCM,
  GST_INWORLD_TTS_ENCODING_LINEAR16,
  GST_INWORLD_TTS_ENCODING_WAV,
  GST_INWORLD_TTS_ENCODING_MP3,
  GST_INWORLD_TTS_ENCODING_OGG_OPUS,
  GST_INWORLD_TTS_ENCODING_FLAC,
  GST_INWORLD_TTS_ENCODING_ALAW,
  GST_INWORLD_TTS_ENCODING_MULAW,
} GstInworldTtsEncoding;

#define GST_TYPE_INWORLD_TTS_ENCODING (gst_inworld_tts_encoding_get_type ())
GType gst_inworld_tts_encoding_get_type (void);

/**
 * GstInworldTtsTimestampType:
 * @GST_INWORLD_TTS_TIMESTAMP_NONE: no timings
 * @GST_INWORLD_TTS_TIMESTAMP_WORD: one message per word
 * @GST_INWORLD_TTS_TIMESTAMP_CHARACTER: one message per character
 *
 * Which timings the server is asked for.
 */
typedef enum
{
  GST_INWORLD_TTS_TIMESTAMP_NONE,
  GST_INWORLD_TTS_TIMESTAMP_WORD,
  GST_INWORLD_TTS_TIMESTAMP_CHARACTER,
} GstInworldTtsTimestampType;

#define GST_TYPE_INWORLD_TTS_TIMESTAMP_TYPE \
  (gst_inworld_tts_timestamp_type_get_type ())
GType gst_inworld_tts_timestamp_type_get_type (void);

/**
 * GstInworldTtsProtocol:
 * @GST_INWORLD_TTS_PROTOCOL_AUTO: SLNG when the URI path contains
 *   `/tts/slng/`, else Inworld
 * @GST_INWORLD_TTS_PROTOCOL_INWORLD: Inworld's bidirectional streaming API
 * @GST_INWORLD_TTS_PROTOCOL_SLNG: SLNG's unified TTS protocol (Inworld Max 1.5)
 *
 * The WebSocket protocol spoken to the server.
 */
typedef enum
{
  GST_INWORLD_TTS_PROTOCOL_AUTO,
  GST_INWORLD_TTS_PROTOCOL_INWORLD,
  GST_INWORLD_TTS_PROTOCOL_SLNG,
} GstInworldTtsProtocol;

#define GST_TYPE_INWORLD_TTS_PROTOCOL (gst_inworld_tts_protocol_get_type ())
GType gst_inworld_tts_protocol_get_type (void);

/**
 * GstInworldTtsTimestampTransport:
 * @GST_INWORLD_TTS_TIMESTAMP_TRANSPORT_SYNC: every audio chunk waits for
 *   its timings (the service's default; delays the first audio)
 * @GST_INWORLD_TTS_TIMESTAMP_TRANSPORT_ASYNC: audio at once, timings in
 *   later messages
 *
 * How the server delivers timings (timestampTransportStrategy).
 *
 * Since: 0.2
 */
typedef enum
{
  GST_INWORLD_TTS_TIMESTAMP_TRANSPORT_SYNC,
  GST_INWORLD_TTS_TIMESTAMP_TRANSPORT_ASYNC,
} GstInworldTtsTimestampTransport;

#define GST_TYPE_INWORLD_TTS_TIMESTAMP_TRANSPORT \
  (gst_inworld_tts_timestamp_transport_get_type ())
GType gst_inworld_tts_timestamp_transport_get_type (void);

/**
 * GstInworldTtsTextNormalization:
 * @GST_INWORLD_TTS_TEXT_NORMALIZATION_AUTO: the service decides
 * @GST_INWORLD_TTS_TEXT_NORMALIZATION_ON: numbers, dates, abbreviations
 *   are expanded before speaking
 * @GST_INWORLD_TTS_TEXT_NORMALIZATION_OFF: the text is read as written
 *
 * applyTextNormalization.
 *
 * Since: 0.2
 */
typedef enum
{
  GST_INWORLD_TTS_TEXT_NORMALIZATION_AUTO,
  GST_INWORLD_TTS_TEXT_NORMALIZATION_ON,
  GST_INWORLD_TTS_TEXT_NORMALIZATION_OFF,
} GstInworldTtsTextNormalization;

#define GST_TYPE_INWORLD_TTS_TEXT_NORMALIZATION \
  (gst_inworld_tts_text_normalization_get_type ())
GType gst_inworld_tts_text_normalization_get_type (void);

/**
 * GstInworldTtsDeliveryMode:
 * @GST_INWORLD_TTS_DELIVERY_MODE_DEFAULT: the service's default (balanced)
 * @GST_INWORLD_TTS_DELIVERY_MODE_STABLE: steady delivery
 * @GST_INWORLD_TTS_DELIVERY_MODE_BALANCED: balanced
 * @GST_INWORLD_TTS_DELIVERY_MODE_CREATIVE: most expressive
 *
 * deliveryMode, for the inworld-tts-2 models.
 *
 * Since: 0.2
 */
typedef enum
{
  GST_INWORLD_TTS_DELIVERY_MODE_DEFAULT,
  GST_INWORLD_TTS_DELIVERY_MODE_STABLE,
  GST_INWORLD_TTS_DELIVERY_MODE_BALANCED,
  GST_INWORLD_TTS_DELIVERY_MODE_CREATIVE,
} GstInworldTtsDeliveryMode;

#define GST_TYPE_INWORLD_TTS_DELIVERY_MODE \
  (gst_inworld_tts_delivery_mode_get_type ())
GType gst_inworld_tts_delivery_mode_get_type (void);

/**
 * GstInworldTtsAutoModeStrategy:
 * @GST_INWORLD_TTS_AUTO_MODE_STRATEGY_CLIENT_SEGMENTED: the text comes in
 *   whole sentences; the first starts a synthesis at once, later ones are
 *   batched while one runs
 * @GST_INWORLD_TTS_AUTO_MODE_STRATEGY_SENTENCE_BOUNDARY: the service cuts
 *   a stream of tokens at sentence ends (inworld-tts-2 and
 *   inworld-tts-2-flash only; Preview)
 *
 * autoModeStrategy, with #GstInworldTtsSrc:auto-mode.
 *
 * Since: 0.2
 */
typedef enum
{
  GST_INWORLD_TTS_AUTO_MODE_STRATEGY_CLIENT_SEGMENTED,
  GST_INWORLD_TTS_AUTO_MODE_STRATEGY_SENTENCE_BOUNDARY,
} GstInworldTtsAutoModeStrategy;

#define GST_TYPE_INWORLD_TTS_AUTO_MODE_STRATEGY \
  (gst_inworld_tts_auto_mode_strategy_get_type ())
GType gst_inworld_tts_auto_mode_strategy_get_type (void);

/**
 * GstInworldTtsTextSegmentation:
 * @GST_INWORLD_TTS_TEXT_SEGMENTATION_AUTO: buffers with a timestamp are
 *   utterances, untimed ones are cut at sentence ends
 * @GST_INWORLD_TTS_TEXT_SEGMENTATION_BUFFER: each buffer is an utterance
 * @GST_INWORLD_TTS_TEXT_SEGMENTATION_LINE: cut at newlines, across buffers
 * @GST_INWORLD_TTS_TEXT_SEGMENTATION_SENTENCE: cut at sentence ends,
 *   across buffers
 *
 * How the buffers of the sink pad become utterances.
 *
 * Since: 0.2
 */
typedef enum
{
  GST_INWORLD_TTS_TEXT_SEGMENTATION_AUTO,
  GST_INWORLD_TTS_TEXT_SEGMENTATION_BUFFER,
  GST_INWORLD_TTS_TEXT_SEGMENTATION_LINE,
  GST_INWORLD_TTS_TEXT_SEGMENTATION_SENTENCE,
} GstInworldTtsTextSegmentation;

#define GST_TYPE_INWORLD_TTS_TEXT_SEGMENTATION \
  (gst_inworld_tts_text_segmentation_get_type ())
GType gst_inworld_tts_text_segmentation_get_type (void);

/**
 * GstInworldTtsOverflow:
 * @GST_INWORLD_TTS_OVERFLOW_SHIFT: the next cue waits for the speech to end
 * @GST_INWORLD_TTS_OVERFLOW_CLIP: the speech is cut, with a fade-out, where
 *   the next cue starts (raw audio)
 * @GST_INWORLD_TTS_OVERFLOW_OVERLAP: the next cue starts on time and the two
 *   are mixed (raw audio)
 * @GST_INWORLD_TTS_OVERFLOW_FIT: the speech is synthesized again with a
 *   faster speaking rate to fit before the next cue, then clipped if it
 *   still runs past (raw audio)
 *
 * What happens when a cue's speech runs past the next cue's start.
 *
 * Since: 0.3
 */
typedef enum
{
  GST_INWORLD_TTS_OVERFLOW_SHIFT,
  GST_INWORLD_TTS_OVERFLOW_CLIP,
  GST_INWORLD_TTS_OVERFLOW_OVERLAP,
  GST_INWORLD_TTS_OVERFLOW_FIT,
} GstInworldTtsOverflow;

#define GST_TYPE_INWORLD_TTS_OVERFLOW (gst_inworld_tts_overflow_get_type ())
GType gst_inworld_tts_overflow_get_type (void);

/**
 * GstInworldTtsCaptionUnit:
 * @GST_INWORLD_TTS_CAPTION_UNIT_WORD: one caption buffer per spoken word
 * @GST_INWORLD_TTS_CAPTION_UNIT_UTTERANCE: one caption buffer per
 *   utterance, its whole text
 *
 * What one buffer of the `text_src` pad holds.
 *
 * Since: 0.3
 */
typedef enum
{
  GST_INWORLD_TTS_CAPTION_UNIT_WORD,
  GST_INWORLD_TTS_CAPTION_UNIT_UTTERANCE,
} GstInworldTtsCaptionUnit;

#define GST_TYPE_INWORLD_TTS_CAPTION_UNIT \
  (gst_inworld_tts_caption_unit_get_type ())
GType gst_inworld_tts_caption_unit_get_type (void);

/**
 * GstInworldTtsInterruptMode:
 * @GST_INWORLD_TTS_INTERRUPT_MODE_FLUSH: flush downstream: the audio
 *   queued there is dropped too (FLUSH_START/FLUSH_STOP)
 * @GST_INWORLD_TTS_INTERRUPT_MODE_CUT: no flush: the element drops what it
 *   holds and goes on after the cut with a DISCONT buffer, timestamps never
 *   going back, so a recording or a muxer downstream stays valid
 *
 * What #GstInworldTtsSrc::interrupt does downstream.
 *
 * Since: 0.3
 */
typedef enum
{
  GST_INWORLD_TTS_INTERRUPT_MODE_FLUSH,
  GST_INWORLD_TTS_INTERRUPT_MODE_CUT,
} GstInworldTtsInterruptMode;

#define GST_TYPE_INWORLD_TTS_INTERRUPT_MODE \
  (gst_inworld_tts_interrupt_mode_get_type ())
GType gst_inworld_tts_interrupt_mode_get_type (void);

/**
 * GstInworldTtsIdle:
 * @GST_INWORLD_TTS_IDLE_GAP: GAP events between utterances (no samples)
 * @GST_INWORLD_TTS_IDLE_SILENCE: live raw audio: a continuous stream,
 *   silence samples between utterances, paced by the pipeline clock
 *
 * What the element outputs while it has nothing to say.
 *
 * Since: 0.3
 */
typedef enum
{
  GST_INWORLD_TTS_IDLE_GAP,
  GST_INWORLD_TTS_IDLE_SILENCE,
} GstInworldTtsIdle;

#define GST_TYPE_INWORLD_TTS_IDLE (gst_inworld_tts_idle_get_type ())
GType gst_inworld_tts_idle_get_type (void);

G_END_DECLS
