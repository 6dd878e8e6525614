/* inworld-tts-emulator: a hostile server (--hostile=KIND[,KIND...])
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The kinds of bad frames --hostile injects into an otherwise normal
 * conversation, and the frame builders both routes share. Where each kind
 * is injected is up to the route (emu-inworld.c, emu-slng.c); see
 * docs/emulator.md. Knows nothing of sockets. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  EMU_HOSTILE_GARBAGE = 1 << 0,         /* text frames that are not JSON objects */
  EMU_HOSTILE_TRUNCATED = 1 << 1,       /* a copy of a frame cut in half */
  EMU_HOSTILE_HUGE = 1 << 2,            /* a text frame over EMU_HOSTILE_HUGE_SIZE */
  EMU_HOSTILE_BIG_CHUNK = 1 << 3,       /* each flush's audio in one chunk */
  EMU_HOSTILE_BAD_BASE64 = 1 << 4,      /* a real chunk whose base64 is broken */
  EMU_HOSTILE_WRONG_TYPES = 1 << 5,     /* known fields with the wrong JSON type */
  EMU_HOSTILE_UNKNOWN_CONTEXT = 1 << 6, /* results for a context never created */
  EMU_HOSTILE_BINARY = 1 << 7,          /* binary frames */
  EMU_HOSTILE_AFTER_CLOSE = 1 << 8,     /* audio + flushCompleted after contextClosed */
} EmuHostile;

/* Size of the text frame of EMU_HOSTILE_HUGE: over the 8 MiB a client
 * (inworldttssrc) accepts, under the emulator's own 16 MiB. */
#define EMU_HOSTILE_HUGE_SIZE (9 * 1024 * 1024)

/* The context id of EMU_HOSTILE_UNKNOWN_CONTEXT's frames. */
#define EMU_HOSTILE_UNKNOWN_ID "emulator-unknown-context"

/* Parses "garbage,binary,..." into EmuHostile flags; "all" is every kind
 * but huge (which ends the connection). FALSE with @error naming the bad
 * kind. */
gboolean emu_hostile_parse (const gchar * list, guint * kinds,
    GError ** error);

/* "garbage", "truncated", ... for one flag. */
const gchar *emu_hostile_name (EmuHostile kind);

/* One injected frame and what it is, for the --verbose log. */
typedef struct
{
  const gchar *what;
  const gchar *frame;
} EmuHostileFrame;

/* The text frames of EMU_HOSTILE_GARBAGE, ended by { NULL, NULL }: no
 * JSON, an empty frame, JSON that is not an object, broken JSON, control
 * characters (all valid UTF-8: invalid UTF-8 in a text frame is a
 * WebSocket protocol error, not garbage). */
const EmuHostileFrame *emu_hostile_garbage_frames (void);

/* The binary frame of EMU_HOSTILE_BINARY besides a copy of a real frame. */
GBytes *emu_hostile_binary_junk (void);

/* The first half of @frame, cut on a UTF-8 character boundary. */
gchar *emu_hostile_truncate (const gchar * frame);

/* @b64 (standard base64) with characters outside the alphabet put in
 * place, so that a strict decoder refuses it; its length stays the same. */
void emu_hostile_break_base64 (gchar * b64);

/* A string of EMU_HOSTILE_HUGE_SIZE base64 'A's (valid base64 of zero
 * bytes, so that size is the frame's only fault). */
gchar *emu_hostile_huge_base64 (void);

G_END_DECLS
