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

#include "inworldaudio.h"

#include <gst/base/gstadapter.h>
#include <gst/base/gstbytereader.h>
#include <string.h>

#define BYTES_PER_SAMPLE 2      /* S16LE mono */

struct _InworldAudioFramer
{
  InworldEncoding encoding;
  gint rate;
  GstAdapter *adapter;          /* bytes not yet a whole sample */
  GQueue ready;                 /* GstBuffer *, each with its sample count */
  gboolean flush_start;         /* next chunk is the first of a flush */
};

G_DEFINE_QUARK (inworld-audio-error-quark, inworld_audio_error);

InworldAudioFramer *
inworld_audio_framer_new (InworldEncoding encoding, gint rate)
{
  InworldAudioFramer *framer = g_new0 (InworldAudioFramer, 1);

  g_return_val_if_fail (encoding == INWORLD_ENCODING_PCM
      || encoding == INWORLD_ENCODING_LINEAR16
      || encoding == INWORLD_ENCODING_WAV, NULL);

  framer->encoding = encoding;
  framer->rate = rate;
  framer->adapter = gst_adapter_new ();
  framer->flush_start = TRUE;
  g_queue_init (&framer->ready);
  return framer;
}

void
inworld_audio_framer_reset (InworldAudioFramer * framer)
{
  gst_adapter_clear (framer->adapter);
  g_queue_clear_full (&framer->ready, (GDestroyNotify) gst_buffer_unref);
  framer->flush_start = TRUE;
}

void
inworld_audio_framer_free (InworldAudioFramer * framer)
{
  if (framer == NULL)
    return;
  inworld_audio_framer_reset (framer);
  g_object_unref (framer->adapter);
  g_free (framer);
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

static gboolean
strip_header (InworldAudioFramer * framer, GBytes * chunk, gsize * offset,
    GError ** error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (chunk, &size);
  guint channels = 0, rate = 0, bits = 0, format = 0;
  gsize header;

  header = inworld_audio_parse_wav_header (data, size, &channels, &rate,
      &bits, &format);
  if (header == 0) {
    *offset = 0;
    return TRUE;
  }
  if (format != 1 || channels != 1 || bits != 16 || rate != (guint) framer->rate) {
    g_set_error (error, INWORLD_AUDIO_ERROR, INWORLD_AUDIO_ERROR_FORMAT,
        "the server sent %u-bit %u-channel WAV (format %u) at %u Hz where "
        "16-bit mono PCM at %d Hz was asked for", bits, channels, format,
        rate, framer->rate);
    return FALSE;
  }
  *offset = header;
  return TRUE;
}

gboolean
inworld_audio_framer_push (InworldAudioFramer * framer, GBytes * chunk,
    GError ** error)
{
  gsize size, offset = 0, avail;
  gboolean has_header;

  g_bytes_get_data (chunk, &size);

  switch (framer->encoding) {
    case INWORLD_ENCODING_LINEAR16:
      has_header = TRUE;        /* every chunk is a WAV file of its own */
      break;
    case INWORLD_ENCODING_WAV:
      has_header = framer->flush_start;
      break;
    default:
      has_header = FALSE;
      break;
  }
  if (has_header && !strip_header (framer, chunk, &offset, error))
    return FALSE;
  framer->flush_start = FALSE;

  if (offset < size) {
    GBytes *payload = g_bytes_new_from_bytes (chunk, offset, size - offset);
    gst_adapter_push (framer->adapter, gst_buffer_new_wrapped_bytes (payload));
    g_bytes_unref (payload);
  }

  avail = gst_adapter_available (framer->adapter);
  avail -= avail % BYTES_PER_SAMPLE;
  if (avail > 0)
    g_queue_push_tail (&framer->ready,
        gst_adapter_take_buffer (framer->adapter, avail));
  return TRUE;
}

gsize
inworld_audio_framer_end_flush (InworldAudioFramer * framer)
{
  gsize left = gst_adapter_available (framer->adapter);

  gst_adapter_clear (framer->adapter);
  framer->flush_start = TRUE;
  return left;
}

GstBuffer *
inworld_audio_framer_pop (InworldAudioFramer * framer, guint64 * samples)
{
  GstBuffer *buf = g_queue_pop_head (&framer->ready);

  if (buf)
    *samples = gst_buffer_get_size (buf) / BYTES_PER_SAMPLE;
  return buf;
}
