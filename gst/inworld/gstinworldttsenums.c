/* inworldttssrc: the enum types of the element's properties
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

#include "gstinworldttsenums.h"

/* registers @values as @name once, in any thread */
static GType
register_enum (gsize * type, const gchar * name, const GEnumValue * values)
{
  if (g_once_init_enter (type)) {
    GType t = g_enum_register_static (name, values);
    g_once_init_leave (type, t);
  }
  return *type;
}

GType
gst_inworld_tts_encoding_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_ENCODING_AUTO, "Chosen from the downstream caps",
        "auto"},
    {GST_INWORLD_TTS_ENCODING_PCM, "Raw 16-bit PCM", "pcm"},
    {GST_INWORLD_TTS_ENCODING_LINEAR16,
        "16-bit PCM with a WAV header on every chunk (stripped)", "linear16"},
    {GST_INWORLD_TTS_ENCODING_WAV,
        "16-bit PCM with a WAV header on each flush (stripped)", "wav"},
    {GST_INWORLD_TTS_ENCODING_MP3, "MP3 (audio/mpeg frames)", "mp3"},
    {GST_INWORLD_TTS_ENCODING_OGG_OPUS,
        "Ogg Opus (audio/x-opus packets)", "ogg-opus"},
    {GST_INWORLD_TTS_ENCODING_FLAC, "FLAC (audio/x-flac frames)", "flac"},
    {GST_INWORLD_TTS_ENCODING_ALAW, "G.711 A-law (8000 Hz)", "alaw"},
    {GST_INWORLD_TTS_ENCODING_MULAW, "G.711 mu-law (8000 Hz)", "mulaw"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsEncoding", values);
}

GType
gst_inworld_tts_timestamp_type_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_TIMESTAMP_NONE, "No timings", "none"},
    {GST_INWORLD_TTS_TIMESTAMP_WORD, "A message per word", "word"},
    {GST_INWORLD_TTS_TIMESTAMP_CHARACTER, "A message per character",
        "character"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsTimestampType", values);
}

GType
gst_inworld_tts_protocol_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_PROTOCOL_AUTO,
        "SLNG when the URI path contains /tts/slng/, else Inworld", "auto"},
    {GST_INWORLD_TTS_PROTOCOL_INWORLD,
        "Inworld's bidirectional streaming API", "inworld"},
    {GST_INWORLD_TTS_PROTOCOL_SLNG,
        "SLNG's unified TTS protocol (Inworld Max 1.5)", "slng"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsProtocol", values);
}

GType
gst_inworld_tts_timestamp_transport_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_TIMESTAMP_TRANSPORT_SYNC,
        "Timings in every audio chunk (delays the first audio)", "sync"},
    {GST_INWORLD_TTS_TIMESTAMP_TRANSPORT_ASYNC,
        "Audio at once, timings in later messages", "async"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsTimestampTransport", values);
}

GType
gst_inworld_tts_text_normalization_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_TEXT_NORMALIZATION_AUTO, "The service decides", "auto"},
    {GST_INWORLD_TTS_TEXT_NORMALIZATION_ON,
        "Expand numbers, dates and abbreviations", "on"},
    {GST_INWORLD_TTS_TEXT_NORMALIZATION_OFF, "Read the text as written",
        "off"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsTextNormalization", values);
}

GType
gst_inworld_tts_delivery_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_DELIVERY_MODE_DEFAULT, "The service's default",
        "default"},
    {GST_INWORLD_TTS_DELIVERY_MODE_STABLE, "Steady delivery", "stable"},
    {GST_INWORLD_TTS_DELIVERY_MODE_BALANCED, "Balanced", "balanced"},
    {GST_INWORLD_TTS_DELIVERY_MODE_CREATIVE, "Most expressive", "creative"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsDeliveryMode", values);
}

GType
gst_inworld_tts_auto_mode_strategy_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_AUTO_MODE_STRATEGY_CLIENT_SEGMENTED,
        "Text comes in whole sentences", "client-segmented"},
    {GST_INWORLD_TTS_AUTO_MODE_STRATEGY_SENTENCE_BOUNDARY,
        "The service cuts a token stream at sentence ends "
          "(inworld-tts-2 models)", "sentence-boundary"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsAutoModeStrategy", values);
}

GType
gst_inworld_tts_text_segmentation_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_TEXT_SEGMENTATION_AUTO,
        "Timed buffers are utterances, untimed text is cut at sentences",
        "auto"},
    {GST_INWORLD_TTS_TEXT_SEGMENTATION_BUFFER, "One buffer, one utterance",
        "buffer"},
    {GST_INWORLD_TTS_TEXT_SEGMENTATION_LINE, "Cut at newlines", "line"},
    {GST_INWORLD_TTS_TEXT_SEGMENTATION_SENTENCE, "Cut at sentence ends",
        "sentence"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsTextSegmentation", values);
}

GType
gst_inworld_tts_overflow_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_OVERFLOW_SHIFT, "The next cue waits for the speech to "
          "end", "shift"},
    {GST_INWORLD_TTS_OVERFLOW_CLIP, "The speech is cut, with a fade-out, at "
          "the next cue's start (raw audio)", "clip"},
    {GST_INWORLD_TTS_OVERFLOW_OVERLAP, "The next cue starts on time, mixed "
          "over the speech (raw audio)", "overlap"},
    {GST_INWORLD_TTS_OVERFLOW_FIT, "The speech is spoken again faster to "
          "fit before the next cue, clipped if it still runs past (raw "
          "audio)", "fit"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsOverflow", values);
}

GType
gst_inworld_tts_caption_unit_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_CAPTION_UNIT_WORD, "One caption per word", "word"},
    {GST_INWORLD_TTS_CAPTION_UNIT_UTTERANCE,
        "One caption per utterance, its whole text", "utterance"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsCaptionUnit", values);
}

GType
gst_inworld_tts_interrupt_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_INTERRUPT_MODE_FLUSH,
        "Flush downstream: the audio queued there is dropped", "flush"},
    {GST_INWORLD_TTS_INTERRUPT_MODE_CUT,
        "No flush: go on after the cut with a discontinuity", "cut"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsInterruptMode", values);
}

GType
gst_inworld_tts_idle_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_INWORLD_TTS_IDLE_GAP, "GAP events between utterances", "gap"},
    {GST_INWORLD_TTS_IDLE_SILENCE,
        "Live raw audio: silence samples between utterances, a continuous "
          "stream", "silence"},
    {0, NULL, NULL},
  };

  return register_enum (&type, "GstInworldTtsIdle", values);
}
