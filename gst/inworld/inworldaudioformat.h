/* inworldttssrc: audio framing, the part shared by the formats
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Private to the framer: inworldaudio.c holds the bytes of the current
 * flush in a GstAdapter and hands them to one InworldAudioFormat, which
 * takes whole frames out and queues them with their sample counts.
 * One file per container: inworldmp3.c, inworldoggopus.c, inworldflac.c;
 * raw PCM and G.711 live in inworldaudio.c itself. */

#pragma once

#include "inworldaudio.h"

#include <gst/base/gstadapter.h>

G_BEGIN_DECLS

typedef struct _InworldAudioFormat InworldAudioFormat;

struct _InworldAudioFramer
{
  const InworldAudioFormat *format;
  InworldEncoding encoding;
  gint rate;                    /* asked of the server */
  gint clock_rate;              /* unit of the sample counts */
  GstAdapter *adapter;          /* bytes of the flush not yet framed */
  GQueue ready;                 /* ReadyBuffer * */
  gboolean flush_start;         /* no byte of the current flush seen yet */
  guint flush_index;            /* flushes ended so far */
  gsize dropped;                /* bytes of this flush that made no frame */
  GstCaps *caps;                /* NULL until known */
  gboolean caps_changed;
  gpointer state;               /* the format's own */
};

struct _InworldAudioFormat
{
  gpointer (*state_new) (InworldAudioFramer * framer);
  void (*state_free) (gpointer state);
  /* Forgets the current flush (the next byte starts a new stream). */
  void (*state_reset) (gpointer state);
  /* Takes every whole frame out of framer->adapter and queues it. At the
   * end of a flush @end is TRUE: what can still be framed is framed, the
   * rest is left in the adapter (counted as dropped by the caller). */
  gboolean (*drain) (InworldAudioFramer * framer, gboolean end,
      GError ** error);
};

extern const InworldAudioFormat inworld_audio_format_mp3;
extern const InworldAudioFormat inworld_audio_format_ogg_opus;
extern const InworldAudioFormat inworld_audio_format_flac;

/* Queues @buf (transfer full) holding @samples samples at the clock rate;
 * header buffers (stream headers repeated in-band) hold none and get
 * GST_BUFFER_FLAG_HEADER. */
void inworld_audio_framer_queue (InworldAudioFramer * framer,
    GstBuffer * buf, guint64 samples);
void inworld_audio_framer_queue_header (InworldAudioFramer * framer,
    GstBuffer * buf);

/* Replaces the output caps (transfer full); the element is told at the
 * next inworld_audio_framer_take_caps(). */
void inworld_audio_framer_set_caps (InworldAudioFramer * framer,
    GstCaps * caps);

/* Skips @n bytes of the adapter that are not audio, counting them. */
void inworld_audio_framer_skip (InworldAudioFramer * framer, gsize n);

G_END_DECLS
