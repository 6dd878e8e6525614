/* inworldttssrc: MP3 framing
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Cuts the MP3 byte stream of each flush into whole MPEG audio layer III
 * frames. An ID3v2 tag (the service's streams begin with one) and a
 * Xing/Info/VBRI frame (encoder metadata, silent if decoded) at the start
 * of a flush are dropped: every flush is a stream of its own on the wire,
 * and their frames simply follow each other downstream. Bytes that are no
 * frame are skipped up to the next frame header and counted as dropped. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "inworldaudioformat.h"
#include "inworlddebug.h"

#include <gst/base/gstbytereader.h>
#include <string.h>

#define GST_CAT_DEFAULT inworld_audio_debug

#define HEADER_SIZE 4
#define ID3V2_HEADER_SIZE 10

typedef struct
{
  gint version;                 /* 1 = MPEG-1, 2 = MPEG-2, 3 = MPEG-2.5 */
  gint rate;
  gint channels;
  guint frame_size;             /* bytes, header included */
  guint samples;
  guint side_info_size;
  gboolean crc;
} Mp3Frame;

typedef struct
{
  gboolean stream_start;        /* no frame of this flush seen yet */
} Mp3State;

/* Kbit/s by [MPEG-1 or not][bitrate index], layer III. */
static const guint16 bitrates[2][16] = {
  {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0},
  {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
};

static const guint rates[3] = { 44100, 48000, 32000 };

/* Reads a layer III frame header; FALSE when @data is none (free-format
 * frames, which give no size, are not accepted either). */
static gboolean
parse_header (const guint8 * data, Mp3Frame * frame)
{
  guint32 h = GST_READ_UINT32_BE (data);
  guint version_bits = (h >> 19) & 3, layer = (h >> 17) & 3;
  guint bitrate_index = (h >> 12) & 0xf, rate_index = (h >> 10) & 3;
  gboolean padding = (h >> 9) & 1;
  gboolean mono = ((h >> 6) & 3) == 3;
  gboolean mpeg1;

  if ((h & 0xffe00000) != 0xffe00000 || version_bits == 1 || layer != 1
      || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3)
    return FALSE;

  mpeg1 = version_bits == 3;
  frame->version = mpeg1 ? 1 : (version_bits == 2 ? 2 : 3);
  frame->rate = rates[rate_index] >> (frame->version - 1);
  frame->channels = mono ? 1 : 2;
  frame->samples = mpeg1 ? 1152 : 576;
  frame->frame_size = (mpeg1 ? 144000 : 72000)
      * bitrates[mpeg1 ? 0 : 1][bitrate_index] / frame->rate + padding;
  frame->crc = !(h & 0x10000);
  if (mpeg1)
    frame->side_info_size = mono ? 17 : 32;
  else
    frame->side_info_size = mono ? 9 : 17;
  return frame->frame_size > HEADER_SIZE;
}

/* Size of the ID3v2 tag at @data, 0 if there is none. */
static gsize
id3v2_size (const guint8 * data)
{
  guint32 size = 0;

  if (memcmp (data, "ID3", 3) || data[3] == 0xff || data[4] == 0xff)
    return 0;
  for (gint i = 6; i < 10; i++) {
    if (data[i] & 0x80)
      return 0;
    size = (size << 7) | data[i];
  }
  /* a footer repeats the header at the end */
  return ID3V2_HEADER_SIZE + size + ((data[5] & 0x10) ? ID3V2_HEADER_SIZE : 0);
}

/* TRUE for the encoder's metadata frame that heads a VBR/CBR stream. */
static gboolean
is_info_frame (const guint8 * data, const Mp3Frame * frame)
{
  guint xing = HEADER_SIZE + (frame->crc ? 2 : 0) + frame->side_info_size;

  if (xing + 4 <= frame->frame_size && (memcmp (data + xing, "Xing", 4) == 0
          || memcmp (data + xing, "Info", 4) == 0))
    return TRUE;
  return HEADER_SIZE + 32 + 4 <= frame->frame_size
      && memcmp (data + HEADER_SIZE + 32, "VBRI", 4) == 0;
}

static gboolean
mp3_drain (InworldAudioFramer * framer, gboolean end, GError ** error)
{
  Mp3State *state = framer->state;
  GstAdapter *adapter = framer->adapter;
  gsize avail;

  while ((avail = gst_adapter_available (adapter)) >= HEADER_SIZE) {
    const guint8 *data;
    Mp3Frame frame;
    gsize tag;

    if (state->stream_start && avail >= ID3V2_HEADER_SIZE) {
      data = gst_adapter_map (adapter, ID3V2_HEADER_SIZE);
      tag = id3v2_size (data);
      gst_adapter_unmap (adapter);
      if (tag > 0) {
        if (avail < tag)
          return TRUE;          /* wait for the whole tag */
        GST_LOG ("skipped an ID3v2 tag of %" G_GSIZE_FORMAT " bytes", tag);
        gst_adapter_flush (adapter, tag);
        continue;
      }
    } else if (state->stream_start && !end) {
      return TRUE;              /* too short to tell a tag from a frame */
    }

    data = gst_adapter_map (adapter, HEADER_SIZE);
    if (!parse_header (data, &frame)) {
      gssize next;

      gst_adapter_unmap (adapter);
      /* resynchronise on the next sync word */
      next = gst_adapter_masked_scan_uint32 (adapter, 0xffe00000, 0xffe00000,
          1, avail - 1);
      inworld_audio_framer_skip (framer, next < 0 ? avail - 3 : (gsize) next);
      continue;
    }
    gst_adapter_unmap (adapter);

    if (frame.rate != framer->rate || frame.channels != 1) {
      g_set_error (error, INWORLD_AUDIO_ERROR, INWORLD_AUDIO_ERROR_FORMAT,
          "the server sent MP3 at %d Hz with %d channel(s) where mono at "
          "%d Hz was asked for", frame.rate, frame.channels, framer->rate);
      return FALSE;
    }
    if (avail < frame.frame_size)
      return TRUE;              /* wait for the rest of the frame */

    data = gst_adapter_map (adapter, frame.frame_size);
    if (state->stream_start && is_info_frame (data, &frame)) {
      gst_adapter_unmap (adapter);
      GST_LOG ("skipped the encoder's Xing/Info/VBRI frame");
      gst_adapter_flush (adapter, frame.frame_size);
      state->stream_start = FALSE;
      continue;
    }
    gst_adapter_unmap (adapter);
    state->stream_start = FALSE;
    inworld_audio_framer_queue (framer,
        gst_adapter_take_buffer (adapter, frame.frame_size), frame.samples);
  }
  return TRUE;
}

static gpointer
mp3_state_new (InworldAudioFramer * framer)
{
  Mp3State *state = g_new0 (Mp3State, 1);

  state->stream_start = TRUE;
  return state;
}

static void
mp3_state_reset (gpointer state)
{
  ((Mp3State *) state)->stream_start = TRUE;
}

const InworldAudioFormat inworld_audio_format_mp3 = {
  .state_new = mp3_state_new,
  .state_free = g_free,
  .state_reset = mp3_state_reset,
  .drain = mp3_drain,
};
