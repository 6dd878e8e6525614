/* inworld-tts-emulator: command-line options shared by every route
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gio/gio.h>

#include "emu-audio.h"

G_BEGIN_DECLS

typedef enum
{
  EMU_INJECT_NONE,
  EMU_INJECT_CREATE,            /* answer create with an in-context error */
  EMU_INJECT_TOP,               /* a top-level error after a connection's
                                 * first audio chunk */
} EmuInjectWhen;

/* Everything the command line controls. Filled once by main () and only
 * read afterwards. */
typedef struct
{
  EmuAudioSource audio;         /* how samples are produced */
  gchar *api_key;               /* accepted credential; NULL = any non-empty */
  gdouble speed;                /* pacing, times real time; 0 = no pacing */
  guint first_audio_delay_ms;   /* extra delay before each flush's first chunk */
  guint drop_after_chunks;      /* 0 = never drop */
  guint drop_connections;       /* drops allowed in all; 0 = no limit */
  /* --refuse-upgrade=STATUS[:COUNT] */
  guint refuse_status;          /* 0 = upgrades are accepted */
  guint refuse_count;           /* upgrades refused in all; 0 = every one */
  gboolean reset_after_first_frame;     /* RST once a frame was read */
  /* --inject-error=WHEN:CODE[:COUNT] */
  EmuInjectWhen inject_when;
  gint inject_code;
  guint inject_count;
  gboolean early_context_closed;
  gboolean garbage_frames;
  guint hostile;                /* EmuHostile flags (emu-hostile.h) */
  guint max_contexts;
  guint inactivity_timeout_s;   /* 0 = never */
  gboolean verbose;
  gboolean log_times;           /* --log-times: monotonic ms before lines */
  /* timestamps */
  guint alignment_delay_ms;     /* SYNC timestamps delay first audio */
  gboolean align_tokens;        /* --alignment tokens: WORD lists tokens */
  /* buffering the service imposes, whatever the client asked for */
  gint force_max_buffer_delay_ms;       /* -1 = the client's */
  guint force_buffer_char_threshold;    /* 0 = the client's */
  /* SLNG route (emu-slng.c) */
  gboolean slng_reorder;        /* swap two audio_chunks once per socket */
  gboolean slng_sequence_per_flush;     /* sequence restarts at 1 per flush */
  gboolean slng_close_after_audio_end;  /* close 1000 after each audio_end */
} EmuOptions;

/* TRUE when a connection that reached --drop-after-chunks is to be
 * dropped: the first --drop-connections times (every time when 0). */
gboolean emu_options_take_drop (const EmuOptions * opts);

/* The HTTP status with which to refuse this upgrade (--refuse-upgrade),
 * counted; 0 when it goes ahead. */
guint emu_options_take_refusal (const EmuOptions * opts);

/* Resets the TCP connection of @socket (SO_LINGER 0, then close: an RST,
 * no close frame, no FIN) and closes @io, for --reset-after-first-frame. */
void emu_reset_connection (GSocket * socket, GIOStream * io);

/* Writes one log line "inworld-tts-emulator: @text" on stderr, after
 * g_get_monotonic_time () in milliseconds with --log-times (the same
 * clock as a test's on this machine). */
void emu_options_log (const EmuOptions * opts, const gchar * text);

G_END_DECLS
