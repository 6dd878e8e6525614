/* inworld-tts-emulator: when buffered text becomes a synthesis
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Inworld's WebSocket guides (inworld-api-examples,
 * tts/python/websocket_guides/) describe syntheses, not flushes: every
 * synthesis ends with its own flushCompleted, one longer than
 * bufferCharThreshold (1000 unless set) runs in parts, text with nothing
 * to speak runs none, and auto mode starts a synthesis at once when idle
 * and batches what arrives while one runs. This file is those rules;
 * docs/emulator.md ("Buffering and syntheses") tells the same story. */

#include "emu-buffer.h"

#include <string.h>

#include "emu-text.h"

struct _EmuBuffer
{
  EmuBufferSynthesize func;
  gpointer user_data;
  EmuBufferMode mode;
  guint threshold;
  GString *text;
  guint n_chars;
  guint running;                /* syntheses handed out, not done yet */
};

EmuBuffer *
emu_buffer_new (EmuBufferSynthesize func, gpointer user_data)
{
  EmuBuffer *buf = g_new0 (EmuBuffer, 1);

  buf->func = func;
  buf->user_data = user_data;
  buf->threshold = 1000;
  buf->text = g_string_new (NULL);
  return buf;
}

void
emu_buffer_free (EmuBuffer * buf)
{
  g_string_free (buf->text, TRUE);
  g_free (buf);
}

void
emu_buffer_set_mode (EmuBuffer * buf, EmuBufferMode mode, guint threshold)
{
  buf->mode = mode;
  buf->threshold = MAX (threshold, 1);
}

guint
emu_buffer_n_chars (EmuBuffer * buf)
{
  return buf->n_chars;
}

EmuBufferMode
emu_buffer_get_mode (EmuBuffer * buf)
{
  return buf->mode;
}

/* Hands out the first @len bytes of the buffer as syntheses of at most
 * threshold characters each, and removes them. */
static void
synthesize (EmuBuffer * buf, gsize len)
{
  gchar *text = g_strndup (buf->text->str, len);
  const gchar *p = text;

  g_string_erase (buf->text, 0, len);
  buf->n_chars = g_utf8_strlen (buf->text->str, -1);

  while (*p) {
    gsize part = emu_text_cut (p, buf->threshold);
    gchar *piece = g_strndup (p, part);
    gboolean speak = emu_text_has_speech (piece);

    if (speak)
      buf->running++;
    buf->func (piece, g_utf8_strlen (piece, -1), speak, buf->user_data);
    g_free (piece);
    p += part;
  }
  g_free (text);
}

/* The bytes a flush may take: everything, but in SENTENCE_BOUNDARY mode
 * not an unfinished tag (it is never synthesized as a partial tag). */
static gsize
flushable (EmuBuffer * buf)
{
  if (buf->mode == EMU_BUFFER_SENTENCES)
    return emu_text_complete (buf->text->str);
  return buf->text->len;
}

/* What is due without a flush. */
static void
run (EmuBuffer * buf)
{
  gsize limit;

  if (buf->running == 0 && buf->text->len > 0) {
    if (buf->mode == EMU_BUFFER_AUTO)
      synthesize (buf, buf->text->len);
    else if (buf->mode == EMU_BUFFER_SENTENCES)
      synthesize (buf, emu_text_sentences (buf->text->str));
  }

  /* the threshold, in every mode (SENTENCE_BOUNDARY's "buffering
   * safeguard" for long text without a sentence end): whole parts go at
   * once, the rest waits; an unfinished tag is never cut */
  for (;;) {
    gsize cut;

    limit = flushable (buf);
    if ((guint) g_utf8_strlen (buf->text->str, limit) < buf->threshold)
      break;
    cut = emu_text_cut (buf->text->str, buf->threshold);
    synthesize (buf, MIN (cut, limit));
  }
}

void
emu_buffer_flush (EmuBuffer * buf)
{
  gsize len = flushable (buf);

  if (len > 0)
    synthesize (buf, len);
}

void
emu_buffer_append (EmuBuffer * buf, const gchar * text, gboolean flush)
{
  if (text && *text) {
    g_string_append (buf->text, text);
    buf->n_chars += g_utf8_strlen (text, -1);
  }
  /* text with its flush is one synthesis (or its parts), not a sentence
   * cut first and the rest after */
  if (flush)
    emu_buffer_flush (buf);
  else if (text && *text)
    run (buf);
}

void
emu_buffer_synthesis_done (EmuBuffer * buf)
{
  g_return_if_fail (buf->running > 0);
  buf->running--;
  if (buf->running == 0 && buf->mode != EMU_BUFFER_MANUAL)
    run (buf);
}

gchar *
emu_buffer_take (EmuBuffer * buf)
{
  gchar *text = g_strdup (buf->text->str);

  g_string_truncate (buf->text, 0);
  buf->n_chars = 0;
  return text;
}

void
emu_buffer_clear (EmuBuffer * buf)
{
  g_string_truncate (buf->text, 0);
  buf->n_chars = 0;
  buf->running = 0;
}
