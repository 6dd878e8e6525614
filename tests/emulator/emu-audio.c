/* inworld-tts-emulator: audio generation (text -> S16 samples)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "emu-audio.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>

#include "inworld-test-signal.h"

/* espeak-ng's default speed in words per minute. */
#define ESPEAK_DEFAULT_WPM 175

gboolean
emu_audio_source_from_string (const gchar * name, EmuAudioSource * out)
{
  if (g_strcmp0 (name, "test-signal") == 0)
    *out = EMU_AUDIO_TEST_SIGNAL;
  else if (g_strcmp0 (name, "speech") == 0)
    *out = EMU_AUDIO_SPEECH;
  else if (g_strcmp0 (name, "sine") == 0)
    *out = EMU_AUDIO_SINE;
  else
    return FALSE;
  return TRUE;
}

const gchar *
emu_audio_source_to_string (EmuAudioSource source)
{
  switch (source) {
    case EMU_AUDIO_TEST_SIGNAL:
      return "test-signal";
    case EMU_AUDIO_SPEECH:
      return "speech";
    case EMU_AUDIO_SINE:
      return "sine";
  }
  return "?";
}

gboolean
emu_audio_speech_available (void)
{
  gchar *path = g_find_program_in_path ("espeak-ng");
  gboolean found = path != NULL;

  g_free (path);
  return found;
}

static gint16 *
generate_test_signal (const gchar * text, gint rate, gsize * n_samples)
{
  guint64 n = inworld_test_signal_n_samples (text, rate);
  guint16 seed = inworld_test_signal_seed (text);
  gint16 *samples;

  *n_samples = n;
  if (n == 0)
    return NULL;
  samples = g_new (gint16, n);
  for (guint64 i = 0; i < n; i++)
    samples[i] = inworld_test_signal_sample (seed, i);
  return samples;
}

static gint16 *
generate_sine (const gchar * text, gint rate, gdouble speaking_rate,
    gsize * n_samples)
{
  guint64 chars = g_utf8_strlen (text, -1);
  guint64 n = (guint64) (chars * EMU_SINE_MS_PER_CHAR * (guint64) rate
      / (1000.0 * speaking_rate));
  gint16 *samples;

  *n_samples = n;
  if (n == 0)
    return NULL;
  samples = g_new (gint16, n);
  for (guint64 i = 0; i < n; i++)
    samples[i] = (gint16) (0.3 * G_MAXINT16
        * sin (2.0 * G_PI * EMU_SINE_FREQUENCY * (gdouble) i / rate));
  return samples;
}

static guint32
read_le32 (const guint8 * p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32) p[3] << 24);
}

static guint16
read_le16 (const guint8 * p)
{
  return p[0] | (p[1] << 8);
}

/* Parses the WAV espeak-ng writes to stdout. Its size fields are bogus
 * (0x7ffff000: it streams), so the data chunk runs to the end of @wav.
 * Returns the sample rate and points @data/@n_samples at mono S16LE. */
static gboolean
parse_espeak_wav (const guint8 * wav, gsize len, gint * rate,
    const guint8 ** data, gsize * n_samples)
{
  gsize pos = 12;
  gboolean have_fmt = FALSE;

  if (len < 12 || memcmp (wav, "RIFF", 4) != 0 || memcmp (wav + 8, "WAVE",
          4) != 0)
    return FALSE;

  while (pos + 8 <= len) {
    const guint8 *chunk = wav + pos;
    guint32 size = read_le32 (chunk + 4);

    if (memcmp (chunk, "fmt ", 4) == 0) {
      if (size < 16 || pos + 8 + 16 > len)
        return FALSE;
      /* PCM, mono, 16 bit is all espeak-ng writes */
      if (read_le16 (chunk + 8) != 1 || read_le16 (chunk + 10) != 1
          || read_le16 (chunk + 22) != 16)
        return FALSE;
      *rate = (gint) read_le32 (chunk + 12);
      have_fmt = *rate > 0;
    } else if (memcmp (chunk, "data", 4) == 0) {
      gsize avail = len - (pos + 8);

      if (!have_fmt)
        return FALSE;
      *data = chunk + 8;
      *n_samples = MIN ((gsize) size, avail) / 2;
      return TRUE;
    }
    if (size > len - pos - 8)
      return FALSE;
    pos += 8 + size + (size & 1);
  }
  return FALSE;
}

/* Runs espeak-ng once; NULL when it failed or produced no audio. */
static GBytes *
run_espeak (const gchar * text, gdouble speaking_rate, const gchar * voice)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  GSubprocess *proc;
  GBytes *in, *out = NULL;
  GError *error = NULL;

  g_ptr_array_add (argv, g_strdup ("espeak-ng"));
  g_ptr_array_add (argv, g_strdup ("--stdout"));
  g_ptr_array_add (argv, g_strdup ("-s"));
  g_ptr_array_add (argv, g_strdup_printf ("%d",
          (gint) (ESPEAK_DEFAULT_WPM * speaking_rate)));
  if (voice) {
    g_ptr_array_add (argv, g_strdup ("-v"));
    g_ptr_array_add (argv, g_strdup (voice));
  }
  g_ptr_array_add (argv, NULL);

  /* text goes through stdin so that no text can look like an option */
  proc = g_subprocess_newv ((const gchar * const *) argv->pdata,
      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_ptr_array_unref (argv);
  if (!proc) {
    g_warning ("cannot run espeak-ng: %s", error->message);
    g_clear_error (&error);
    return NULL;
  }

  in = g_bytes_new (text, strlen (text));
  if (!g_subprocess_communicate (proc, in, NULL, &out, NULL, &error)) {
    g_warning ("espeak-ng failed: %s", error->message);
    g_clear_error (&error);
    g_clear_pointer (&out, g_bytes_unref);
  } else if (!g_subprocess_get_successful (proc)
      || g_bytes_get_size (out) <= 44) {
    g_clear_pointer (&out, g_bytes_unref);
  }
  g_bytes_unref (in);
  g_object_unref (proc);
  return out;
}

/* Linear interpolation from @in_rate to @out_rate. */
static gint16 *
resample_linear (const guint8 * le_samples, gsize n_in, gint in_rate,
    gint out_rate, gsize * n_out)
{
  guint64 n = (guint64) n_in * out_rate / in_rate;
  gint16 *out;

  *n_out = n;
  if (n == 0)
    return NULL;
  out = g_new (gint16, n);
  for (guint64 i = 0; i < n; i++) {
    gdouble pos = (gdouble) i * in_rate / out_rate;
    gsize i0 = (gsize) pos;
    gsize i1 = MIN (i0 + 1, n_in - 1);
    gdouble frac = pos - i0;
    gint16 s0 = (gint16) read_le16 (le_samples + 2 * i0);
    gint16 s1 = (gint16) read_le16 (le_samples + 2 * i1);

    out[i] = (gint16) lround (s0 + (s1 - s0) * frac);
  }
  return out;
}

static gint16 *
generate_speech (const gchar * text, gint rate, gdouble speaking_rate,
    const gchar * language, gsize * n_samples)
{
  GBytes *wav = NULL;
  gint16 *samples = NULL;
  const guint8 *data;
  gsize n_in;
  gint in_rate;

  /* try the full language tag ("pt-br"), its primary subtag ("pt"), then
   * espeak-ng's default voice */
  if (language && *language) {
    gchar *lower = g_ascii_strdown (language, -1);
    gchar *dash = strchr (lower, '-');

    wav = run_espeak (text, speaking_rate, lower);
    if (!wav && dash) {
      *dash = '\0';
      wav = run_espeak (text, speaking_rate, lower);
    }
    g_free (lower);
  }
  if (!wav)
    wav = run_espeak (text, speaking_rate, NULL);

  if (wav && parse_espeak_wav (g_bytes_get_data (wav, NULL),
          g_bytes_get_size (wav), &in_rate, &data, &n_in) && n_in > 0) {
    samples = resample_linear (data, n_in, in_rate, rate, n_samples);
  } else {
    g_warning ("espeak-ng produced no usable audio; using a sine tone");
    samples = generate_sine (text, rate, speaking_rate, n_samples);
  }
  g_clear_pointer (&wav, g_bytes_unref);
  return samples;
}

static gboolean
is_blank (const gchar * text)
{
  for (const gchar * p = text; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

gint16 *
emu_audio_generate (EmuAudioSource source, const gchar * text, gint rate,
    gdouble speaking_rate, const gchar * language, gsize * n_samples)
{
  *n_samples = 0;
  if (speaking_rate <= 0)
    speaking_rate = 1.0;

  switch (source) {
    case EMU_AUDIO_TEST_SIGNAL:
      return generate_test_signal (text, rate, n_samples);
    case EMU_AUDIO_SPEECH:
      /* whitespace-only text is silence for espeak-ng: nothing to say */
      if (is_blank (text))
        return NULL;
      return generate_speech (text, rate, speaking_rate, language, n_samples);
    case EMU_AUDIO_SINE:
      return generate_sine (text, rate, speaking_rate, n_samples);
  }
  g_assert_not_reached ();
}

static void
align_item_clear (gpointer data)
{
  EmuAlignItem *item = data;

  g_free (item->text);
}

/* EMU_ALIGN_TOKENS: the class of a character. A word is a run of
 * letters, digits and marks, with an apostrophe or hyphen inside it
 * ("don't", "text-to-speech"); whitespace runs are one token; any other
 * character is a token of its own. */
typedef enum
{
  TOKEN_WORD,
  TOKEN_SPACE,
  TOKEN_OTHER,
} TokenClass;

static TokenClass
token_class (gunichar c)
{
  if (g_unichar_isalnum (c) || g_unichar_ismark (c))
    return TOKEN_WORD;
  if (g_unichar_isspace (c))
    return TOKEN_SPACE;
  return TOKEN_OTHER;
}

static gboolean
is_joiner (gunichar c)
{
  return c == '\'' || c == 0x2019 || c == '-';
}

static void
append_item (GArray * items, const gchar * start, const gchar * end,
    glong first, glong last, gdouble per_char)
{
  EmuAlignItem item = { g_strndup (start, end - start), first * per_char,
    last * per_char
  };

  g_array_append_val (items, item);
}

/* Every token of @text, times as emu_audio_align () gives them. */
static void
align_tokens (GArray * items, const gchar * text, gdouble per_char)
{
  const gchar *p = text;
  glong i = 0;

  while (*p) {
    const gchar *start = p;
    glong first = i;
    TokenClass cls = token_class (g_utf8_get_char (p));

    p = g_utf8_next_char (p);
    i++;
    if (cls == TOKEN_OTHER) {
      append_item (items, start, p, first, i, per_char);
      continue;
    }
    while (*p) {
      gunichar c = g_utf8_get_char (p);
      const gchar *next = g_utf8_next_char (p);

      if (token_class (c) == cls) {
        p = next;
        i++;
      } else if (cls == TOKEN_WORD && is_joiner (c) && *next
          && token_class (g_utf8_get_char (next)) == TOKEN_WORD) {
        p = next;
        i++;
      } else {
        break;
      }
    }
    append_item (items, start, p, first, i, per_char);
  }
}

GArray *
emu_audio_align (const gchar * text, gdouble duration, EmuAlignMode mode)
{
  GArray *items = g_array_new (FALSE, FALSE, sizeof (EmuAlignItem));
  glong n_chars = g_utf8_strlen (text, -1);
  gdouble per_char = n_chars > 0 ? duration / n_chars : 0;
  const gchar *p = text;
  const gchar *word_start = NULL;
  glong word_first = 0;

  g_array_set_clear_func (items, align_item_clear);
  if (mode == EMU_ALIGN_TOKENS) {
    align_tokens (items, text, per_char);
    return items;
  }

  for (glong i = 0; i <= n_chars; i++) {
    gunichar c = i < n_chars ? g_utf8_get_char (p) : 0;
    const gchar *next = i < n_chars ? g_utf8_next_char (p) : p;

    if (mode == EMU_ALIGN_CHARACTERS) {
      if (i < n_chars)
        append_item (items, p, next, i, i + 1, per_char);
    } else if (i < n_chars && !g_unichar_isspace (c)) {
      if (!word_start) {
        word_start = p;
        word_first = i;
      }
    } else if (word_start) {
      append_item (items, word_start, p, word_first, i, per_char);
      word_start = NULL;
    }
    p = next;
  }
  return items;
}
