/* inworldttssrc: audio framing
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

#include "inworldaudioformat.h"
#include "inworlddebug.h"

#include <gst/base/gstbytereader.h>
#include <string.h>

#define GST_CAT_DEFAULT inworld_audio_debug

typedef struct
{
  GstBuffer *buf;
  guint64 samples;
} ReadyBuffer;

G_DEFINE_QUARK (inworld-audio-error-quark, inworld_audio_error);

static const struct
{
  InworldEncoding encoding;
  const gchar *media_type;
} media_types[] = {
  {INWORLD_ENCODING_PCM, "audio/x-raw"},
  {INWORLD_ENCODING_LINEAR16, "audio/x-raw"},
  {INWORLD_ENCODING_WAV, "audio/x-raw"},
  {INWORLD_ENCODING_MP3, "audio/mpeg"},
  {INWORLD_ENCODING_OGG_OPUS, "audio/x-opus"},
  {INWORLD_ENCODING_FLAC, "audio/x-flac"},
  {INWORLD_ENCODING_ALAW, "audio/x-alaw"},
  {INWORLD_ENCODING_MULAW, "audio/x-mulaw"},
};

const gchar *
inworld_audio_media_type (InworldEncoding encoding)
{
  for (guint i = 0; i < G_N_ELEMENTS (media_types); i++)
    if (media_types[i].encoding == encoding)
      return media_types[i].media_type;
  g_return_val_if_reached (NULL);
}

gboolean
inworld_audio_encoding_for_media_type (const gchar * media_type,
    InworldEncoding * encoding)
{
  /* the first match: audio/x-raw is PCM */
  for (guint i = 0; i < G_N_ELEMENTS (media_types); i++) {
    if (g_strcmp0 (media_types[i].media_type, media_type) == 0) {
      *encoding = media_types[i].encoding;
      return TRUE;
    }
  }
  return FALSE;
}

GstCaps *
inworld_audio_template_caps (InworldEncoding encoding)
{
  GstCaps *all = gst_caps_from_string (INWORLD_AUDIO_CAPS);
  GstCaps *caps = gst_caps_new_empty ();
  const gchar *name = inworld_audio_media_type (encoding);

  for (guint i = 0; i < gst_caps_get_size (all); i++)
    if (gst_structure_has_name (gst_caps_get_structure (all, i), name))
      gst_caps_append_structure (caps,
          gst_structure_copy (gst_caps_get_structure (all, i)));
  gst_caps_unref (all);
  return caps;
}

/* ------------------------------------------------------------------------
 * Raw samples: PCM, LINEAR16, WAV, A-law, mu-law
 * ------------------------------------------------------------------------ */

static guint
raw_sample_size (InworldEncoding encoding)
{
  return encoding == INWORLD_ENCODING_ALAW
      || encoding == INWORLD_ENCODING_MULAW ? 1 : 2;
}

/* Removes a WAV header from the start of @chunk when it has one that
 * matches the negotiated format; *offset is where the samples start.
 * When the header is @optional (PCM), only a complete one of the sample
 * format asked for counts: anything else, "RIFF" included, is audio. A
 * header of the right sample format at another rate or channel count is
 * an error either way. */
static gboolean
strip_wav_header (InworldAudioFramer * framer, GBytes * chunk,
    gboolean optional, gsize * offset, GError ** error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (chunk, &size);
  guint channels = 0, rate = 0, bits = 0, format = 0, want_format = 1;
  guint want_bits = 8 * raw_sample_size (framer->encoding);
  gsize header;

  if (framer->encoding == INWORLD_ENCODING_ALAW)
    want_format = 6;
  else if (framer->encoding == INWORLD_ENCODING_MULAW)
    want_format = 7;

  *offset = 0;
  header = inworld_audio_parse_wav_header (data, size, &channels, &rate,
      &bits, &format);
  if (header == 0)
    return TRUE;
  if (optional && (format != want_format || bits != want_bits)) {
    GST_LOG ("a chunk starting with a %u-bit WAV header of format %u: "
        "taken as audio", bits, format);
    return TRUE;
  }
  if (format != want_format || channels != 1 || bits != want_bits
      || rate != (guint) framer->rate) {
    g_set_error (error, INWORLD_AUDIO_ERROR, INWORLD_AUDIO_ERROR_FORMAT,
        "the server sent %u-bit %u-channel WAV (format %u) at %u Hz where "
        "%u-bit mono %s at %d Hz was asked for", bits, channels, format,
        rate, want_bits, inworld_encoding_to_string (framer->encoding),
        framer->rate);
    return FALSE;
  }
  GST_LOG ("stripped a %" G_GSIZE_FORMAT "-byte WAV header", header);
  *offset = header;
  return TRUE;
}

static gboolean
raw_drain (InworldAudioFramer * framer, gboolean end, GError ** error)
{
  guint sample_size = raw_sample_size (framer->encoding);
  gsize avail = gst_adapter_available (framer->adapter);

  avail -= avail % sample_size;
  if (avail > 0)
    inworld_audio_framer_queue (framer,
        gst_adapter_take_buffer (framer->adapter, avail), avail / sample_size);
  return TRUE;
}

static const InworldAudioFormat inworld_audio_format_raw = {
  .drain = raw_drain,
};

/* ------------------------------------------------------------------------
 * The framer
 * ------------------------------------------------------------------------ */

static GstCaps *
initial_caps (InworldEncoding encoding, gint rate)
{
  GstCaps *caps;

  /* Opus caps need no header (rtpopuspay, webrtcbin, matroskamux and
   * oggmux take them as they are): they gain their streamheader with the
   * first stream's headers. FLAC caps come with the stream headers only:
   * matroskamux refuses them without a streamheader. */
  if (encoding == INWORLD_ENCODING_FLAC)
    return NULL;
  caps = inworld_audio_template_caps (encoding);
  gst_caps_set_simple (caps, "rate", G_TYPE_INT, rate, NULL);
  if (encoding == INWORLD_ENCODING_MP3)
    gst_caps_set_simple (caps, "mpegaudioversion", G_TYPE_INT,
        rate >= 32000 ? 1 : 2, NULL);
  return gst_caps_fixate (caps);
}

InworldAudioFramer *
inworld_audio_framer_new (InworldEncoding encoding, gint rate)
{
  InworldAudioFramer *framer;

  inworld_debug_init ();
  GST_DEBUG ("framing %s at %d Hz", inworld_encoding_to_string (encoding),
      rate);
  framer = g_new0 (InworldAudioFramer, 1);

  framer->encoding = encoding;
  framer->rate = rate;
  framer->clock_rate = rate;
  switch (encoding) {
    case INWORLD_ENCODING_MP3:
      framer->format = &inworld_audio_format_mp3;
      break;
    case INWORLD_ENCODING_OGG_OPUS:
      framer->format = &inworld_audio_format_ogg_opus;
      framer->clock_rate = 48000;
      break;
    case INWORLD_ENCODING_FLAC:
      framer->format = &inworld_audio_format_flac;
      break;
    default:
      framer->format = &inworld_audio_format_raw;
      break;
  }
  framer->adapter = gst_adapter_new ();
  framer->flush_start = TRUE;
  g_queue_init (&framer->ready);
  framer->caps = initial_caps (encoding, rate);
  framer->caps_changed = framer->caps != NULL;
  if (framer->format->state_new)
    framer->state = framer->format->state_new (framer);
  return framer;
}

static void
ready_buffer_free (ReadyBuffer * ready)
{
  gst_buffer_unref (ready->buf);
  g_free (ready);
}

void
inworld_audio_framer_reset (InworldAudioFramer * framer)
{
  gst_adapter_clear (framer->adapter);
  g_queue_clear_full (&framer->ready, (GDestroyNotify) ready_buffer_free);
  framer->flush_start = TRUE;
  framer->dropped = 0;
  if (framer->format->state_reset)
    framer->format->state_reset (framer->state);
}

void
inworld_audio_framer_free (InworldAudioFramer * framer)
{
  if (framer == NULL)
    return;
  inworld_audio_framer_reset (framer);
  if (framer->format->state_free)
    framer->format->state_free (framer->state);
  g_object_unref (framer->adapter);
  gst_clear_caps (&framer->caps);
  g_free (framer);
}

gint
inworld_audio_framer_get_clock_rate (InworldAudioFramer * framer)
{
  return framer->clock_rate;
}

void
inworld_audio_framer_queue (InworldAudioFramer * framer, GstBuffer * buf,
    guint64 samples)
{
  ReadyBuffer *ready = g_new (ReadyBuffer, 1);

  ready->buf = buf;
  ready->samples = samples;
  g_queue_push_tail (&framer->ready, ready);
}

void
inworld_audio_framer_queue_header (InworldAudioFramer * framer,
    GstBuffer * buf)
{
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_HEADER);
  inworld_audio_framer_queue (framer, buf, 0);
}

void
inworld_audio_framer_set_caps (InworldAudioFramer * framer, GstCaps * caps)
{
  GST_DEBUG ("caps %" GST_PTR_FORMAT, caps);
  gst_caps_take (&framer->caps, caps);
  framer->caps_changed = TRUE;
}

void
inworld_audio_framer_skip (InworldAudioFramer * framer, gsize n)
{
  GST_LOG ("skipped %" G_GSIZE_FORMAT " bytes that are not audio", n);
  gst_adapter_flush (framer->adapter, n);
  framer->dropped += n;
}

GstCaps *
inworld_audio_framer_take_caps (InworldAudioFramer * framer)
{
  if (!framer->caps_changed)
    return NULL;
  framer->caps_changed = FALSE;
  return gst_caps_ref (framer->caps);
}

gsize
inworld_audio_parse_wav_header (const guint8 * data, gsize size,
    guint * channels, guint * rate, guint * bits, guint * format)
{
  GstByteReader reader = GST_BYTE_READER_INIT (data, size);
  const guint8 *tag;
  guint32 chunk_size;
  gboolean have_fmt = FALSE;

  if (!gst_byte_reader_get_data (&reader, 4, &tag) || memcmp (tag, "RIFF", 4))
    return 0;
  if (!gst_byte_reader_skip (&reader, 4)
      || !gst_byte_reader_get_data (&reader, 4, &tag) || memcmp (tag, "WAVE", 4))
    return 0;

  /* sub-chunks up to "data"; the data chunk's own size is not trusted
   * (streamed WAV headers carry placeholders) */
  while (gst_byte_reader_get_data (&reader, 4, &tag)
      && gst_byte_reader_get_uint32_le (&reader, &chunk_size)) {
    if (memcmp (tag, "data", 4) == 0)
      return have_fmt ? gst_byte_reader_get_pos (&reader) : 0;
    if (memcmp (tag, "fmt ", 4) == 0) {
      guint16 fmt = 0, ch = 0, bps = 0;
      guint32 sr = 0;
      GstByteReader sub;

      if (chunk_size < 16
          || !gst_byte_reader_get_sub_reader (&reader, &sub, chunk_size))
        return 0;
      gst_byte_reader_get_uint16_le (&sub, &fmt);
      gst_byte_reader_get_uint16_le (&sub, &ch);
      gst_byte_reader_get_uint32_le (&sub, &sr);
      gst_byte_reader_skip (&sub, 6);
      gst_byte_reader_get_uint16_le (&sub, &bps);
      *format = fmt;
      *channels = ch;
      *rate = sr;
      *bits = bps;
      have_fmt = TRUE;
    } else if (!gst_byte_reader_skip (&reader, chunk_size)) {
      return 0;
    }
    /* RIFF chunks are padded to even sizes */
    if (chunk_size & 1)
      gst_byte_reader_skip (&reader, 1);
  }
  return 0;
}

gboolean
inworld_audio_framer_push (InworldAudioFramer * framer, GBytes * chunk,
    GError ** error)
{
  gsize size, offset = 0;
  gboolean has_header, optional = FALSE;
  GError *err = NULL;

  g_bytes_get_data (chunk, &size);

  switch (framer->encoding) {
    case INWORLD_ENCODING_LINEAR16:
      has_header = TRUE;        /* every chunk is a WAV file of its own */
      break;
    case INWORLD_ENCODING_PCM:
      /* Inworld's newest guide has a WAV header start each PCM chunk, its
       * audio-formats page none: either. Only at a chunk's start (the
       * samples before it may have ended mid-sample, which the adapter
       * joins up), and only a valid header, not any bytes "RIFF". */
      has_header = optional = TRUE;
      break;
    case INWORLD_ENCODING_WAV:
    case INWORLD_ENCODING_ALAW:
    case INWORLD_ENCODING_MULAW:
      has_header = framer->flush_start;
      break;
    default:
      has_header = FALSE;
      break;
  }
  if (has_header && !strip_wav_header (framer, chunk, optional, &offset,
          &err))
    goto failed;
  framer->flush_start = FALSE;

  if (offset < size) {
    GBytes *payload = g_bytes_new_from_bytes (chunk, offset, size - offset);
    gst_adapter_push (framer->adapter, gst_buffer_new_wrapped_bytes (payload));
    g_bytes_unref (payload);
  }
  if (!framer->format->drain (framer, FALSE, &err))
    goto failed;
  return TRUE;

failed:
  GST_DEBUG ("flush %u dropped: %s", framer->flush_index,
      err ? err->message : "format error");
  g_propagate_error (error, err);
  inworld_audio_framer_reset (framer);
  return FALSE;
}

gsize
inworld_audio_framer_end_flush (InworldAudioFramer * framer)
{
  gsize dropped;

  /* a format error this late only loses the rest of this flush, which
   * is counted as dropped */
  framer->format->drain (framer, TRUE, NULL);
  dropped = framer->dropped + gst_adapter_available (framer->adapter);
  if (dropped > 0)
    GST_DEBUG ("flush %u: %" G_GSIZE_FORMAT " bytes made no whole sample or "
        "frame", framer->flush_index, dropped);

  gst_adapter_clear (framer->adapter);
  if (framer->format->state_reset)
    framer->format->state_reset (framer->state);
  framer->flush_start = TRUE;
  framer->dropped = 0;
  framer->flush_index++;
  return dropped;
}

GstBuffer *
inworld_audio_framer_pop (InworldAudioFramer * framer, guint64 * samples)
{
  ReadyBuffer *ready = g_queue_pop_head (&framer->ready);
  GstBuffer *buf;

  if (ready == NULL)
    return NULL;
  buf = ready->buf;
  *samples = ready->samples;
  g_free (ready);
  return buf;
}
