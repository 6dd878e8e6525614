/* inworldttssrc: FLAC framing
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Cuts the FLAC stream of each flush into whole frames and joins the
 * flushes into one stream, the way flacparse would present it.
 *
 * FLAC frames carry no length: a frame ends where the next frame header
 * begins (sync code, matching parameters, valid CRC-8, the expected
 * number) and the bytes between check out with the frame's CRC-16; the
 * last frame of a flush ends with the flush. So each frame is pushed once
 * the next one is seen, and the last one at the flush's end.
 *
 * Every flush is a complete FLAC stream on the wire, numbering its frames
 * from 0, and its last frame is short. Played one after the other these
 * would not be one valid stream, so frame headers are rewritten to the
 * variable block size form, numbered by their first sample in the
 * output (CRCs recomputed). The first flush's STREAMINFO becomes the
 * caps' streamheader (and in-band header buffers: "fLaC", STREAMINFO,
 * VORBIS_COMMENT) with what a stream of unknown length must say: block
 * sizes 16 to 65535, frame sizes, total samples and MD5 unknown. Later
 * flushes' metadata is dropped when it matches (rate, channels, bits). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "inworldaudioformat.h"
#include "inworlddebug.h"

#include <string.h>

#define GST_CAT_DEFAULT inworld_audio_debug

#define STREAMINFO_SIZE 34
#define BLOCK_HEADER_SIZE 4
#define MAX_FRAME_HEADER 16
#define MIN_FRAME_SIZE (6 + 2)  /* the smallest header, CRC-16 */

enum
{
  BLOCK_STREAMINFO = 0,
  BLOCK_VORBIS_COMMENT = 4,
};

typedef struct
{
  gboolean variable;            /* numbered by sample, not by frame */
  guint64 number;
  guint block_size;
  guint rate_code, channel_code, size_code;
  gsize header_size;            /* up to and with the CRC-8 */
} FlacFrame;

typedef struct
{
  /* the current flush's stream */
  gboolean in_frames;           /* metadata read, frames follow */
  gboolean have_frame;          /* a frame header is at the adapter start */
  FlacFrame frame;
  gsize scanned;                /* bytes of the frame already CRC'd */
  guint16 crc;                  /* CRC-16 of those */
  /* across flushes */
  gboolean have_streaminfo;
  guint8 streaminfo[STREAMINFO_SIZE];
  guint64 output_samples;       /* first sample of the next frame out */
} FlacState;

static guint8
crc8 (const guint8 * data, gsize size)
{
  guint8 crc = 0;

  for (gsize i = 0; i < size; i++) {
    crc ^= data[i];
    for (gint b = 0; b < 8; b++)
      crc = (crc & 0x80) ? (crc << 1) ^ 0x07 : crc << 1;
  }
  return crc;
}

static guint16 crc16_table[256];

static gpointer
init_crc16_table (gpointer data)
{
  for (guint i = 0; i < 256; i++) {
    guint16 r = i << 8;
    for (gint b = 0; b < 8; b++)
      r = (r & 0x8000) ? (r << 1) ^ 0x8005 : r << 1;
    crc16_table[i] = r;
  }
  return NULL;
}

static guint16
crc16 (guint16 crc, const guint8 * data, gsize size)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, init_crc16_table, NULL);
  for (gsize i = 0; i < size; i++)
    crc = (crc << 8) ^ crc16_table[((crc >> 8) ^ data[i]) & 0xff];
  return crc;
}

/* Reads the UTF-8-like coded number at @data (1 to 7 bytes, the count
 * of leading 1 bits of the first); returns its size, 0 if invalid. */
static guint
read_coded_number (const guint8 * data, gsize size, guint64 * value)
{
  guint len = 0;

  if (size < 1)
    return 0;
  while (len < 8 && (data[0] & (0x80 >> len)))
    len++;
  if (len == 0) {
    *value = data[0];
    return 1;
  }
  if (len == 1 || len == 8 || size < len)
    return 0;
  *value = data[0] & (0x7f >> len);
  for (guint i = 1; i < len; i++) {
    if ((data[i] & 0xc0) != 0x80)
      return 0;
    *value = (*value << 6) | (data[i] & 0x3f);
  }
  return len;
}

static guint
write_coded_number (guint8 * out, guint64 value)
{
  guint len = 1;

  if (value < 0x80) {
    out[0] = value;
    return 1;
  }
  while (len < 7 && value >= (G_GUINT64_CONSTANT (1) << (5 * len + 1)))
    len++;
  for (guint i = len - 1; i > 0; i--) {
    out[i] = 0x80 | (value & 0x3f);
    value >>= 6;
  }
  out[0] = (guint8) (0xff00 >> len) | (guint8) value;
  return len;
}

/* Parses a frame header at @data; FALSE if there is none (yet). */
static gboolean
parse_frame_header (const guint8 * data, gsize size, FlacFrame * frame)
{
  static const guint16 sizes[16] = { 0, 192, 576, 1152, 2304, 4608, 0, 0,
    256, 512, 1024, 2048, 4096, 8192, 16384, 32768
  };
  guint block_code, pos, n;

  if (size < 6 || data[0] != 0xff || (data[1] & 0xfe) != 0xf8)
    return FALSE;
  frame->variable = data[1] & 1;
  block_code = data[2] >> 4;
  frame->rate_code = data[2] & 0xf;
  frame->channel_code = data[3] >> 4;
  frame->size_code = (data[3] >> 1) & 7;
  if (block_code == 0 || frame->rate_code == 15 || frame->channel_code > 10
      || frame->size_code == 3 || (data[3] & 1))
    return FALSE;

  n = read_coded_number (data + 4, size - 4, &frame->number);
  if (n == 0)
    return FALSE;
  pos = 4 + n;
  frame->block_size = sizes[block_code];
  if (block_code == 6 || block_code == 7) {
    guint extra = block_code == 6 ? 1 : 2;
    if (size < pos + extra)
      return FALSE;
    frame->block_size = (extra == 1 ? data[pos] : GST_READ_UINT16_BE (data
            + pos)) + 1;
    pos += extra;
  }
  if (frame->rate_code >= 12 && frame->rate_code <= 14)
    pos += frame->rate_code == 12 ? 1 : 2;
  if (size < pos + 1 || crc8 (data, pos) != data[pos])
    return FALSE;
  frame->header_size = pos + 1;
  return TRUE;
}

/* TRUE when @next can follow @frame in one stream. */
static gboolean
frame_follows (const FlacFrame * frame, const FlacFrame * next)
{
  guint64 expected = frame->variable ? frame->number + frame->block_size
      : frame->number + 1;

  return next->variable == frame->variable && next->number == expected
      && next->rate_code == frame->rate_code
      && next->channel_code == frame->channel_code
      && next->size_code == frame->size_code;
}

static gboolean
format_error (GError ** error, const gchar * what)
{
  g_set_error (error, INWORLD_AUDIO_ERROR, INWORLD_AUDIO_ERROR_FORMAT,
      "the server's FLAC stream is broken: %s", what);
  return FALSE;
}

/* Queues the frame of @size bytes at the adapter start, renumbered. */
static void
queue_frame (InworldAudioFramer * framer, FlacState * state, gsize size)
{
  const FlacFrame *frame = &state->frame;
  gsize body = size - frame->header_size - 2;
  guint8 header[MAX_FRAME_HEADER];
  GstBuffer *buf;
  GstMapInfo map;
  const guint8 *old;
  guint number_size, pos, old_number_size;
  guint64 old_number;
  guint16 crc;

  old = gst_adapter_map (framer->adapter, size);
  header[0] = 0xff;
  header[1] = 0xf9;             /* variable block size */
  header[2] = old[2];
  header[3] = old[3];
  number_size = write_coded_number (header + 4, state->output_samples);
  old_number_size = read_coded_number (old + 4, size - 4, &old_number);
  /* block size and rate fields after the number, CRC-8 excluded */
  pos = 4 + number_size;
  memcpy (header + pos, old + 4 + old_number_size,
      frame->header_size - 1 - 4 - old_number_size);
  pos += frame->header_size - 1 - 4 - old_number_size;
  header[pos] = crc8 (header, pos);
  pos++;

  buf = gst_buffer_new_allocate (NULL, pos + body + 2, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memcpy (map.data, header, pos);
  memcpy (map.data + pos, old + frame->header_size, body);
  crc = crc16 (0, map.data, pos + body);
  GST_WRITE_UINT16_BE (map.data + pos + body, crc);
  gst_buffer_unmap (buf, &map);
  gst_adapter_unmap (framer->adapter);
  gst_adapter_flush (framer->adapter, size);

  inworld_audio_framer_queue (framer, buf, frame->block_size);
  state->output_samples += frame->block_size;
}

/* The first STREAMINFO, as a stream of unknown length must have it. */
static void
set_stream_headers (InworldAudioFramer * framer, FlacState * state,
    const guint8 * comment, gsize comment_size)
{
  guint8 *info = state->streaminfo;
  GstBuffer *marker, *streaminfo, *vorbis, *mapping;
  GstCaps *caps;
  GValue array = G_VALUE_INIT;
  guint8 block[BLOCK_HEADER_SIZE + STREAMINFO_SIZE];
  static const guint8 empty_comment[] = {
    /* vendor string length 0, no comments */
    0, 0, 0, 0, 0, 0, 0, 0
  };
  gint rate = (info[10] << 12) | (info[11] << 4) | (info[12] >> 4);
  gint channels = ((info[12] >> 1) & 7) + 1;

  /* block sizes are the encoder's per flush, and a flush's last frame is
   * short: allow them all */
  GST_WRITE_UINT16_BE (info, 16);
  GST_WRITE_UINT16_BE (info + 2, 65535);
  memset (info + 4, 0, 6);      /* frame sizes unknown */
  info[13] &= 0xf0;             /* total samples unknown */
  memset (info + 14, 0, 4);
  memset (info + 18, 0, 16);    /* no MD5 */

  if (comment == NULL) {
    comment = empty_comment;
    comment_size = sizeof (empty_comment);
  }

  block[0] = BLOCK_STREAMINFO;
  GST_WRITE_UINT24_BE (block + 1, STREAMINFO_SIZE);
  memcpy (block + BLOCK_HEADER_SIZE, info, STREAMINFO_SIZE);

  marker = gst_buffer_new_memdup ("fLaC", 4);
  streaminfo = gst_buffer_new_memdup (block, sizeof (block));
  vorbis = gst_buffer_new_allocate (NULL, BLOCK_HEADER_SIZE + comment_size,
      NULL);
  {
    GstMapInfo map;

    gst_buffer_map (vorbis, &map, GST_MAP_WRITE);
    map.data[0] = 0x80 | BLOCK_VORBIS_COMMENT;  /* the last block */
    GST_WRITE_UINT24_BE (map.data + 1, comment_size);
    memcpy (map.data + BLOCK_HEADER_SIZE, comment, comment_size);
    gst_buffer_unmap (vorbis, &map);
  }

  /* streamheader as flacparse makes it: the Ogg FLAC mapping's first
   * packet (0x7f "FLAC" 1.0, 1 more header, "fLaC", STREAMINFO), then the
   * other metadata blocks */
  {
    guint8 first[9 + 4 + sizeof (block)];

    first[0] = 0x7f;
    memcpy (first + 1, "FLAC", 4);
    first[5] = 1;
    first[6] = 0;
    GST_WRITE_UINT16_BE (first + 7, 1);
    memcpy (first + 9, "fLaC", 4);
    memcpy (first + 13, block, sizeof (block));
    mapping = gst_buffer_new_memdup (first, sizeof (first));
  }

  caps = inworld_audio_template_caps (INWORLD_ENCODING_FLAC);
  gst_caps_set_simple (caps, "rate", G_TYPE_INT, rate, "channels",
      G_TYPE_INT, channels, NULL);
  g_value_init (&array, GST_TYPE_ARRAY);
  GST_BUFFER_FLAG_SET (mapping, GST_BUFFER_FLAG_HEADER);
  GST_BUFFER_FLAG_SET (vorbis, GST_BUFFER_FLAG_HEADER);
  {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_BUFFER);
    gst_value_set_buffer (&v, mapping);
    gst_value_array_append_value (&array, &v);
    g_value_unset (&v);
    g_value_init (&v, GST_TYPE_BUFFER);
    gst_value_set_buffer (&v, vorbis);
    gst_value_array_append_value (&array, &v);
    g_value_unset (&v);
  }
  gst_caps_set_value (caps, "streamheader", &array);
  g_value_unset (&array);
  gst_buffer_unref (mapping);
  inworld_audio_framer_set_caps (framer, gst_caps_fixate (caps));

  inworld_audio_framer_queue_header (framer, marker);
  inworld_audio_framer_queue_header (framer, streaminfo);
  inworld_audio_framer_queue_header (framer, vorbis);
}

/* Reads "fLaC" and the metadata blocks. FALSE on error; *done when the
 * frames begin. */
static gboolean
read_metadata (InworldAudioFramer * framer, FlacState * state,
    gboolean * done, GError ** error)
{
  GstAdapter *adapter = framer->adapter;
  gsize avail = gst_adapter_available (adapter), pos = 4;
  const guint8 *data;
  const guint8 *info = NULL, *comment = NULL;
  gsize comment_size = 0;
  gboolean last = FALSE;

  *done = FALSE;
  if (avail < 4)
    return TRUE;
  data = gst_adapter_map (adapter, avail);
  if (memcmp (data, "fLaC", 4) != 0) {
    gst_adapter_unmap (adapter);
    return format_error (error, "a flush does not begin with \"fLaC\"");
  }
  while (!last) {
    guint type;
    gsize size;

    if (avail < pos + BLOCK_HEADER_SIZE)
      goto wait;
    last = data[pos] & 0x80;
    type = data[pos] & 0x7f;
    size = GST_READ_UINT24_BE (data + pos + 1);
    if (avail < pos + BLOCK_HEADER_SIZE + size)
      goto wait;
    if (type == BLOCK_STREAMINFO && size == STREAMINFO_SIZE)
      info = data + pos + BLOCK_HEADER_SIZE;
    else if (type == BLOCK_VORBIS_COMMENT)
      comment = data + pos + BLOCK_HEADER_SIZE, comment_size = size;
    pos += BLOCK_HEADER_SIZE + size;
  }

  if (info == NULL) {
    gst_adapter_unmap (adapter);
    return format_error (error, "a stream has no STREAMINFO");
  }
  if (!state->have_streaminfo) {
    memcpy (state->streaminfo, info, STREAMINFO_SIZE);
    state->have_streaminfo = TRUE;
    set_stream_headers (framer, state, comment, comment_size);
  } else if (memcmp (state->streaminfo + 10, info + 10, 3) != 0
      || (state->streaminfo[13] & 0xf0) != (info[13] & 0xf0)) {
    /* rate, channels and bits per sample changed */
    gst_adapter_unmap (adapter);
    return format_error (error, "a later flush changed the rate, channels "
        "or sample size");
  }
  gst_adapter_unmap (adapter);
  GST_LOG ("a stream's metadata blocks: %" G_GSIZE_FORMAT " bytes", pos);
  gst_adapter_flush (adapter, pos);
  *done = TRUE;
  return TRUE;

wait:
  gst_adapter_unmap (adapter);
  return TRUE;
}

static gboolean
flac_drain (InworldAudioFramer * framer, gboolean end, GError ** error)
{
  FlacState *state = framer->state;
  GstAdapter *adapter = framer->adapter;

  if (!state->in_frames) {
    if (!read_metadata (framer, state, &state->in_frames, error))
      return FALSE;
    if (!state->in_frames)
      return TRUE;
  }

  for (;;) {
    gsize avail = gst_adapter_available (adapter), pos;
    const guint8 *data;
    gboolean found = FALSE;

    if (avail == 0)
      return TRUE;
    data = gst_adapter_map (adapter, avail);
    if (!state->have_frame) {
      if (!parse_frame_header (data, MIN (avail, MAX_FRAME_HEADER),
              &state->frame)) {
        gst_adapter_unmap (adapter);
        if (avail < MAX_FRAME_HEADER && !end)
          return TRUE;
        return format_error (error, "bytes where a frame should begin");
      }
      state->have_frame = TRUE;
      state->scanned = 0;
      state->crc = 0;
    }

    /* the frame ends before the next header that follows it, where the
     * CRC-16 of the bytes so far (its own included) comes to 0 */
    for (pos = MAX (state->scanned, state->frame.header_size + 2);
        end ? pos <= avail : pos + 1 < avail; pos++) {
      FlacFrame next;

      state->crc = crc16 (state->crc, data + state->scanned,
          pos - state->scanned);
      state->scanned = pos;
      if (state->crc != 0)
        continue;
      if (pos == avail || (data[pos] == 0xff
              && parse_frame_header (data + pos, MIN (avail - pos,
                      MAX_FRAME_HEADER), &next)
              && frame_follows (&state->frame, &next))) {
        found = TRUE;
        break;
      }
      if (data[pos] == 0xff && avail - pos < MAX_FRAME_HEADER && !end)
        break;                  /* maybe a header, not whole yet */
    }
    gst_adapter_unmap (adapter);
    if (!found)
      return !end ? TRUE : format_error (error, "the last frame of a flush "
          "fails its CRC");
    queue_frame (framer, state, pos);
    state->have_frame = FALSE;
  }
}

static void
flac_state_reset (gpointer data)
{
  FlacState *state = data;

  state->in_frames = FALSE;
  state->have_frame = FALSE;
  state->scanned = 0;
  state->crc = 0;
}

static gpointer
flac_state_new (InworldAudioFramer * framer)
{
  return g_new0 (FlacState, 1);
}

const InworldAudioFormat inworld_audio_format_flac = {
  .state_new = flac_state_new,
  .state_free = g_free,
  .state_reset = flac_state_reset,
  .drain = flac_drain,
};
