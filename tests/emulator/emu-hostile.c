/* inworld-tts-emulator: a hostile server (--hostile=KIND[,KIND...])
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "emu-hostile.h"

#include <string.h>

#include <gio/gio.h>

static const struct
{
  const gchar *name;
  EmuHostile kind;
} kinds[] = {
  {"garbage", EMU_HOSTILE_GARBAGE},
  {"truncated", EMU_HOSTILE_TRUNCATED},
  {"huge", EMU_HOSTILE_HUGE},
  {"big-chunk", EMU_HOSTILE_BIG_CHUNK},
  {"bad-base64", EMU_HOSTILE_BAD_BASE64},
  {"wrong-types", EMU_HOSTILE_WRONG_TYPES},
  {"unknown-context", EMU_HOSTILE_UNKNOWN_CONTEXT},
  {"binary", EMU_HOSTILE_BINARY},
  {"after-close", EMU_HOSTILE_AFTER_CLOSE},
};

gboolean
emu_hostile_parse (const gchar * list, guint * out, GError ** error)
{
  gchar **names = g_strsplit (list ? list : "", ",", -1);
  guint flags = 0;

  for (guint i = 0; names[i]; i++) {
    const gchar *name = g_strstrip (names[i]);
    gboolean found = FALSE;

    if (*name == '\0')
      continue;
    if (g_str_equal (name, "all")) {
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        if (kinds[k].kind != EMU_HOSTILE_HUGE)
          flags |= kinds[k].kind;
      continue;
    }
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++) {
      if (g_str_equal (name, kinds[k].name)) {
        flags |= kinds[k].kind;
        found = TRUE;
      }
    }
    if (!found) {
      GString *known = g_string_new (NULL);

      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        g_string_append_printf (known, "%s, ", kinds[k].name);
      g_string_append (known, "all");
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "unknown --hostile kind '%s' (%s)", name, known->str);
      g_string_free (known, TRUE);
      g_strfreev (names);
      return FALSE;
    }
  }
  g_strfreev (names);
  *out = flags;
  return TRUE;
}

const gchar *
emu_hostile_name (EmuHostile kind)
{
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    if (kinds[k].kind == kind)
      return kinds[k].name;
  return "?";
}

const EmuHostileFrame *
emu_hostile_garbage_frames (void)
{
  static const EmuHostileFrame frames[] = {
    {"a text frame that is not JSON", "this is not JSON {"},
    {"an empty text frame", ""},
    {"a JSON array, not an object", "[1, 2, 3]"},
    {"a JSON string, not an object", "\"a JSON string\""},
    {"broken JSON", "{\"result\": }"},
    {"control characters", "\x01\x02\x1b[31m\x7f"},
    {NULL, NULL}
  };

  return frames;
}

GBytes *
emu_hostile_binary_junk (void)
{
  static const guint8 junk[] = { 0x00, 0xff, 0x7b, 0x22 };

  return g_bytes_new_static (junk, sizeof (junk));
}

gchar *
emu_hostile_truncate (const gchar * frame)
{
  gsize half = strlen (frame) / 2;
  const gchar *end = frame + half;

  /* back to the start of the character the cut falls in */
  while (end > frame && (*end & 0xc0) == 0x80)
    end--;
  return g_strndup (frame, end - frame);
}

void
emu_hostile_break_base64 (gchar * b64)
{
  gsize len = strlen (b64);

  /* '!' and '*' are in no base64 alphabet; lenient decoders skip them,
   * strict ones refuse the string */
  if (len > 0)
    b64[0] = '!';
  if (len > 2)
    b64[len / 2] = '*';
  if (len > 1)
    b64[len - 1] = '!';
}

gchar *
emu_hostile_huge_base64 (void)
{
  gchar *b64 = g_malloc (EMU_HOSTILE_HUGE_SIZE + 1);

  memset (b64, 'A', EMU_HOSTILE_HUGE_SIZE);
  b64[EMU_HOSTILE_HUGE_SIZE] = '\0';
  return b64;
}
