/* inworldttssrc: Ogg Opus to Opus packets
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Takes the Opus packets out of the Ogg pages of each flush and outputs
 * them as audio/x-opus, timestamped at 48 kHz, the way oggdemux does: the
 * first stream's OpusHead and OpusTags become the caps' streamheader (and
 * are pushed in-band as header buffers). Every later flush is a new Ogg
 * stream with headers of its own; they are dropped when they match (same
 * channels and mapping), and the encoder delay they announce (pre-skip) is
 * trimmed from their first packets with a GstAudioClippingMeta, as is the
 * padding of each stream's last packet (from the final granule position).
 * So decoders, muxers (oggmux, webmmux) and payloaders see one continuous
 * stream whose buffer durations add up to the decoded samples.
 * Pages are checked (capture pattern, version, CRC-32) before use. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "inworldaudioformat.h"
#include "inworlddebug.h"

#include <gst/audio/audio.h>
#include <gst/base/gstbytereader.h>
#include <gst/pbutils/pbutils.h>
#include <string.h>

#define GST_CAT_DEFAULT inworld_audio_debug

#define PAGE_HEADER_SIZE 27
#define FLAG_CONTINUED 0x01
#define FLAG_BOS 0x02

typedef struct
{
  /* the current flush's stream */
  guint32 serial;
  guint packets;                /* packets of the stream so far */
  GByteArray *partial;          /* packet continued on the next page */
  guint64 position;             /* 48 kHz samples of the stream's packets */
  guint64 pre_skip;             /* left to trim from the stream's start */
  /* across flushes */
  GstBuffer *head;              /* the first stream's OpusHead */
  GstBuffer *tags;
  guint8 channels;
  guint8 mapping;
} OpusState;

static guint32 crc_table[256];

static gpointer
init_crc_table (gpointer data)
{
  for (guint32 i = 0; i < 256; i++) {
    guint32 r = i << 24;
    for (gint b = 0; b < 8; b++)
      r = (r & 0x80000000) ? (r << 1) ^ 0x04c11db7 : r << 1;
    crc_table[i] = r;
  }
  return NULL;
}

/* Ogg's CRC-32 (polynomial 0x04c11db7, not reflected, no final xor) of a
 * page whose checksum field reads as zero. */
static guint32
page_crc (const guint8 * page, gsize size)
{
  static GOnce once = G_ONCE_INIT;
  guint32 crc = 0;

  g_once (&once, init_crc_table, NULL);
  for (gsize i = 0; i < size; i++) {
    guint8 byte = (i >= 22 && i < 26) ? 0 : page[i];
    crc = (crc << 8) ^ crc_table[((crc >> 24) ^ byte) & 0xff];
  }
  return crc;
}

/* Samples at 48 kHz in one Opus packet, from its TOC (RFC 6716, 3.1);
 * 0 for a packet too short to tell. */
static guint
packet_samples (const guint8 * data, gsize size)
{
  static const guint16 silk[4] = { 480, 960, 1920, 2880 };
  static const guint16 celt[4] = { 120, 240, 480, 960 };
  guint config, frame, frames;

  if (size < 1)
    return 0;
  config = data[0] >> 3;
  if (config < 12)
    frame = silk[config & 3];
  else if (config < 16)
    frame = (config & 1) ? 960 : 480;
  else
    frame = celt[config & 3];

  switch (data[0] & 3) {
    case 0:
      frames = 1;
      break;
    case 1:
    case 2:
      frames = 2;
      break;
    default:
      if (size < 2)
        return 0;
      frames = data[1] & 0x3f;
      break;
  }
  return frame * frames;
}

static gboolean
format_error (GError ** error, const gchar * what)
{
  g_set_error (error, INWORLD_AUDIO_ERROR, INWORLD_AUDIO_ERROR_FORMAT,
      "the server's Ogg Opus stream is broken: %s", what);
  return FALSE;
}

/* The first stream's headers make the caps; later ones must match. */
static gboolean
stream_header (InworldAudioFramer * framer, OpusState * state,
    GstBuffer * packet, GError ** error)
{
  guint8 channels = 0, mapping = 0;
  guint16 pre_skip = 0;

  if (state->packets == 0) {
    if (!gst_codec_utils_opus_parse_header (packet, NULL, &channels,
            &mapping, NULL, NULL, NULL, &pre_skip, NULL))
      return format_error (error, "its first packet is not an OpusHead");
    if (state->head && (channels != state->channels
            || mapping != state->mapping))
      return format_error (error, "a later stream changed the channel "
          "layout");
    GST_LOG ("OpusHead: %u channel(s), mapping %u, pre-skip %u", channels,
        mapping, pre_skip);
    state->pre_skip = pre_skip;
    if (state->head == NULL) {
      state->head = gst_buffer_ref (packet);
      state->channels = channels;
      state->mapping = mapping;
    }
    return TRUE;
  }

  /* OpusTags */
  if (gst_buffer_get_size (packet) < 8
      || gst_buffer_memcmp (packet, 0, "OpusTags", 8) != 0)
    return format_error (error, "its second packet is not OpusTags");
  if (state->tags == NULL) {
    GstCaps *caps;
    GstBuffer *head = gst_buffer_copy (state->head);
    GstBuffer *tags = gst_buffer_copy (packet);

    state->tags = gst_buffer_ref (packet);
    /* it flags the buffers it puts in the caps, so they must be its own */
    caps = gst_codec_utils_opus_create_caps_from_header (head, tags);
    gst_buffer_unref (head);
    gst_buffer_unref (tags);
    if (caps == NULL)
      return format_error (error, "its OpusHead is not supported");
    /* the OpusHead's input rate is informative; say what was negotiated */
    gst_caps_set_simple (caps, "rate", G_TYPE_INT, framer->rate, NULL);
    inworld_audio_framer_set_caps (framer, caps);
    inworld_audio_framer_queue_header (framer, gst_buffer_copy (state->head));
    inworld_audio_framer_queue_header (framer, gst_buffer_copy (state->tags));
  }
  return TRUE;
}

/* Queues (takes) the audio packets completed on one page, trimming the
 * stream's pre-skip at its start and the padding past @granule at its
 * end. */
static void
queue_packets (InworldAudioFramer * framer, OpusState * state,
    GPtrArray * packets, gint64 granule)
{
  guint64 end_trim = 0, total = state->position;
  guint n_packets = packets->len;
  guint64 *samples = g_newa (guint64, n_packets + 1);

  for (guint i = 0; i < n_packets; i++) {
    GstBuffer *buf = g_ptr_array_index (packets, i);
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    samples[i] = packet_samples (map.data, map.size);
    gst_buffer_unmap (buf, &map);
    total += samples[i];
  }
  /* the granule position counts what is to be played, so the last page
   * of a stream ends before the padding of its last packet */
  if (granule >= 0 && total > (guint64) granule)
    end_trim = total - granule;

  for (guint i = 0; i < n_packets; i++) {
    GstBuffer *buf = g_ptr_array_index (packets, i);
    guint64 n = samples[i], start_clip, end_clip = 0;

    state->position += n;
    start_clip = MIN (state->pre_skip, n);
    state->pre_skip -= start_clip;
    if (i + 1 == n_packets)
      end_clip = MIN (end_trim, n - start_clip);
    if (start_clip || end_clip)
      gst_buffer_add_audio_clipping_meta (buf, GST_FORMAT_DEFAULT,
          start_clip, end_clip);
    inworld_audio_framer_queue (framer, buf, n - start_clip - end_clip);
  }
}

/* Splits one whole page into packets. */
static gboolean
read_page (InworldAudioFramer * framer, OpusState * state,
    const guint8 * page, gsize size, GError ** error)
{
  guint8 flags = page[5], n_segments = page[26];
  gint64 granule = (gint64) GST_READ_UINT64_LE (page + 6);
  guint32 serial = GST_READ_UINT32_LE (page + 14);
  const guint8 *lacing = page + PAGE_HEADER_SIZE;
  const guint8 *body = lacing + n_segments;
  GPtrArray *audio;
  gboolean ok = TRUE;

  if (page_crc (page, size) != GST_READ_UINT32_LE (page + 22))
    return format_error (error, "a page has a bad checksum");
  if (flags & FLAG_BOS) {
    if (state->partial || state->packets)
      return format_error (error, "a new stream began inside a flush");
    state->serial = serial;
  } else if (state->packets == 0 && state->partial == NULL) {
    return format_error (error, "the flush does not begin with a stream");
  } else if (serial != state->serial) {
    return format_error (error, "pages of two streams are mixed in a flush");
  }
  if (!(flags & FLAG_CONTINUED) && state->partial) {
    g_byte_array_unref (state->partial);
    state->partial = NULL;
    framer->dropped++;          /* at least; only a warning's worth */
  }

  audio = g_ptr_array_new ();
  for (guint i = 0; i < n_segments && ok; i++) {
    if (state->partial == NULL)
      state->partial = g_byte_array_new ();
    g_byte_array_append (state->partial, body, lacing[i]);
    body += lacing[i];
    if (lacing[i] < 255) {
      GBytes *bytes = g_byte_array_free_to_bytes (state->partial);
      GstBuffer *packet = gst_buffer_new_wrapped_bytes (bytes);

      g_bytes_unref (bytes);
      state->partial = NULL;
      if (state->packets < 2) {
        ok = stream_header (framer, state, packet, error);
        gst_buffer_unref (packet);
      } else {
        g_ptr_array_add (audio, packet);
      }
      state->packets++;
    }
  }
  if (ok)
    queue_packets (framer, state, audio, granule);
  else
    for (guint i = 0; i < audio->len; i++)
      gst_buffer_unref (g_ptr_array_index (audio, i));
  g_ptr_array_unref (audio);
  return ok;
}

static gboolean
opus_drain (InworldAudioFramer * framer, gboolean end, GError ** error)
{
  OpusState *state = framer->state;
  GstAdapter *adapter = framer->adapter;
  gsize avail;

  while ((avail = gst_adapter_available (adapter)) >= PAGE_HEADER_SIZE) {
    const guint8 *data = gst_adapter_map (adapter, PAGE_HEADER_SIZE);
    gsize size = PAGE_HEADER_SIZE + data[26];
    gboolean ok;

    if (memcmp (data, "OggS", 4) != 0 || data[4] != 0) {
      gst_adapter_unmap (adapter);
      return format_error (error, "bytes where an Ogg page should begin");
    }
    gst_adapter_unmap (adapter);
    if (avail < size)
      return TRUE;
    data = gst_adapter_map (adapter, size);
    for (guint i = 0; i < data[26]; i++)
      size += data[PAGE_HEADER_SIZE + i];
    gst_adapter_unmap (adapter);
    if (avail < size)
      return TRUE;

    data = gst_adapter_map (adapter, size);
    ok = read_page (framer, state, data, size, error);
    gst_adapter_unmap (adapter);
    if (!ok)
      return FALSE;
    gst_adapter_flush (adapter, size);
  }
  return TRUE;
}

static void
opus_state_reset (gpointer data)
{
  OpusState *state = data;

  if (state->partial) {
    g_byte_array_unref (state->partial);
    state->partial = NULL;
  }
  state->packets = 0;
  state->position = 0;
  state->pre_skip = 0;
}

static gpointer
opus_state_new (InworldAudioFramer * framer)
{
  return g_new0 (OpusState, 1);
}

static void
opus_state_free (gpointer data)
{
  OpusState *state = data;

  opus_state_reset (state);
  gst_clear_buffer (&state->head);
  gst_clear_buffer (&state->tags);
  g_free (state);
}

const InworldAudioFormat inworld_audio_format_ogg_opus = {
  .state_new = opus_state_new,
  .state_free = opus_state_free,
  .state_reset = opus_state_reset,
  .drain = opus_drain,
};
