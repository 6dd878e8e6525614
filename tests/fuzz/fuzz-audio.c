/* inworldttssrc: fuzz target for the audio framers
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The audio of a server frame is hostile too: it goes, base64-decoded,
 * straight into the framer (inworldaudio.c and one file per container).
 *
 * Input layout:
 *   byte 0   encoding (bits 0-2, InworldEncoding) and rate (bits 3-5,
 *            one of rates[]); bit 6: reset the framer now and then
 *   byte 1   largest chunk (bits 0-2, one of max_chunks[]), and the seed
 *            of the cut points (bits 3-7)
 *   rest     the wire audio. "FLSH" ends a flush (end_flush()), as a
 *            flushCompleted does; each flush is cut into chunks at
 *            pseudo-random, data-dependent points and pushed chunk by
 *            chunk, as audioChunks are.
 * After every push and end of flush, caps are taken and every ready buffer
 * popped and read, as the element does (push_audio). A push that fails
 * resets the framer (its contract); feeding goes on.
 *
 * Contract checks abort: raw buffers hold whole samples matching their
 * count, header buffers count no samples, caps are fixed. */

#define _GNU_SOURCE             /* memmem */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/audio/audio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inworldaudio.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define check(cond) \
  G_STMT_START { \
    if (G_UNLIKELY (!(cond))) { \
      g_printerr ("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort (); \
    } \
  } G_STMT_END

#define FLUSH_MARK "FLSH"
#define FLUSH_MARK_SIZE 4

static const gint rates[8] = {
  8000, 16000, 22050, 24000, 32000, 44100, 48000, 12000
};

static const gsize max_chunks[8] = { 1, 3, 17, 100, 417, 1024, 4096, 65536 };

static volatile guint64 sink;

static guint32
next_random (guint32 * state)
{
  /* xorshift32; the state is never 0 */
  guint32 x = *state;

  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

static gboolean
is_raw (InworldEncoding encoding)
{
  switch (encoding) {
    case INWORLD_ENCODING_PCM:
    case INWORLD_ENCODING_LINEAR16:
    case INWORLD_ENCODING_WAV:
    case INWORLD_ENCODING_ALAW:
    case INWORLD_ENCODING_MULAW:
      return TRUE;
    default:
      return FALSE;
  }
}

/* What push_audio does: caps first, then every buffer. */
static void
take_output (InworldAudioFramer * framer, InworldEncoding encoding)
{
  GstCaps *caps = inworld_audio_framer_take_caps (framer);
  GstBuffer *buf;
  guint64 samples;

  if (caps) {
    gchar *str = gst_caps_to_string (caps);

    check (gst_caps_is_fixed (caps));
    sink += strlen (str);
    g_free (str);
    gst_caps_unref (caps);
  }

  while ((buf = inworld_audio_framer_pop (framer, &samples))) {
    GstMapInfo map;
    GstAudioClippingMeta *clip;
    guint64 acc = samples;

    check (gst_buffer_map (buf, &map, GST_MAP_READ));
    for (gsize i = 0; i < map.size; i++)
      acc += map.data[i];
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER)) {
      check (samples == 0);
    } else if (is_raw (encoding)) {
      guint sample_size = encoding == INWORLD_ENCODING_ALAW
          || encoding == INWORLD_ENCODING_MULAW ? 1 : 2;

      check (map.size > 0 && map.size == samples * sample_size);
    } else {
      check (map.size > 0);
    }
    clip = gst_buffer_get_audio_clipping_meta (buf);
    if (clip)
      acc += clip->start + clip->end;
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
    sink += acc;
  }
}

static void
push_chunk (InworldAudioFramer * framer, InworldEncoding encoding,
    const guint8 * data, gsize size)
{
  /* a buffer of exactly @size bytes, as the base64 decoder makes one */
  GBytes *chunk = g_bytes_new (data, size);
  GError *error = NULL;

  if (inworld_audio_framer_push (framer, chunk, &error)) {
    check (error == NULL);
  } else {
    check (error != NULL && error->domain == INWORLD_AUDIO_ERROR);
    check (g_utf8_validate (error->message, -1, NULL));
    g_clear_error (&error);
  }
  g_bytes_unref (chunk);
  take_output (framer, encoding);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* no plugin is needed: skip the registry */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", FALSE);
  gst_init (NULL, NULL);
  /* a critical is a bug (a precondition of GStreamer or GLib broken) */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  InworldEncoding encoding;
  InworldAudioFramer *framer;
  gboolean resets;
  gsize max_chunk, pos;
  guint32 random;
  guint channels, rate, bits, format;

  if (size < 2)
    return 0;

  encoding = (InworldEncoding) (data[0] & 7);
  resets = (data[0] & 0x40) != 0;
  max_chunk = max_chunks[data[1] & 7];
  random = 0x9e3779b9u ^ (data[1] >> 3);
  data += 2;
  size -= 2;

  sink += inworld_audio_parse_wav_header (data, size, &channels, &rate,
      &bits, &format);

  framer = inworld_audio_framer_new (encoding, rates[(data[-2] >> 3) & 7]);
  check (inworld_audio_framer_get_clock_rate (framer) > 0);
  take_output (framer, encoding);

  pos = 0;
  while (pos <= size) {
    /* this flush: up to the next mark, or the end */
    const guint8 *mark = size - pos >= FLUSH_MARK_SIZE ?
        memmem (data + pos, size - pos, FLUSH_MARK, FLUSH_MARK_SIZE) : NULL;
    gsize end = mark ? (gsize) (mark - data) : size;

    while (pos < end) {
      gsize cut = 1 + next_random (&random) % max_chunk;
      gsize n = MIN (end - pos, cut);

      push_chunk (framer, encoding, data + pos, n);
      pos += n;
      if (resets && next_random (&random) % 32 == 0)
        inworld_audio_framer_reset (framer);
    }
    sink += inworld_audio_framer_end_flush (framer);
    take_output (framer, encoding);
    pos = end + FLUSH_MARK_SIZE;
  }

  inworld_audio_framer_free (framer);
  return 0;
}
