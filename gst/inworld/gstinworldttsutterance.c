/* inworldttssrc: the settings of one utterance (push-utterance)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstinworldttsutterance.h"

static const gchar *const known_fields[] = {
  "voice", "model", "language", "speaker", "speaking-rate", "temperature",
  "flush", "start", NULL
};

const gchar *
gst_inworld_tts_utterance_settings_known (void)
{
  return "voice, model, language, speaker, speaking-rate, temperature, "
      "flush, start";
}

void
gst_inworld_tts_utterance_settings_clear (GstInworldTtsUtteranceSettings *
    settings)
{
  g_free (settings->voice);
  g_free (settings->model);
  g_free (settings->language);
  g_free (settings->speaker);
  if (settings->unknown)
    g_ptr_array_unref (settings->unknown);
  memset (settings, 0, sizeof (*settings));
  settings->flush = TRUE;
  settings->start = GST_CLOCK_TIME_NONE;
}

/* A string field; @empty_ok: "" is a value. */
static gboolean
read_string (const GValue * v, const gchar * name, gboolean empty_ok,
    gchar ** out, gchar ** problem)
{
  const gchar *s;

  if (!G_VALUE_HOLDS_STRING (v)) {
    *problem = g_strdup_printf ("%s must be a string, not a %s", name,
        G_VALUE_TYPE_NAME (v));
    return FALSE;
  }
  s = g_value_get_string (v);
  if (s == NULL || (!empty_ok && *s == '\0')) {
    *problem = g_strdup_printf ("%s is empty", name);
    return FALSE;
  }
  if (!g_utf8_validate (s, -1, NULL)) {
    *problem = g_strdup_printf ("%s is not UTF-8", name);
    return FALSE;
  }
  g_free (*out);
  *out = g_strdup (s);
  return TRUE;
}

/* A number of any numeric type (a Python float or int, "1" or "1.0" in a
 * serialized structure), within [@min, @max]. */
static gboolean
read_number (const GValue * v, const gchar * name, gdouble min, gdouble max,
    gdouble * out, gchar ** problem)
{
  GValue d = G_VALUE_INIT;
  GType t = G_VALUE_TYPE (v);

  if (t != G_TYPE_DOUBLE && t != G_TYPE_FLOAT && t != G_TYPE_INT
      && t != G_TYPE_UINT && t != G_TYPE_INT64 && t != G_TYPE_UINT64
      && t != G_TYPE_LONG && t != G_TYPE_ULONG) {
    *problem = g_strdup_printf ("%s must be a number, not a %s", name,
        G_VALUE_TYPE_NAME (v));
    return FALSE;
  }
  g_value_init (&d, G_TYPE_DOUBLE);
  g_value_transform (v, &d);
  *out = g_value_get_double (&d);
  if (isnan (*out) || *out < min || *out > max) {
    *problem = g_strdup_printf ("%s %g is out of its range, %g to %g",
        name, *out, min, max);
    return FALSE;
  }
  return TRUE;
}

/* A running time: an unsigned or non-negative integer, in nanoseconds. */
static gboolean
read_time (const GValue * v, GstClockTime * out, gchar ** problem)
{
  GType t = G_VALUE_TYPE (v);
  gint64 n;

  if (t == G_TYPE_UINT64) {
    *out = g_value_get_uint64 (v);
    return TRUE;
  }
  if (t == G_TYPE_UINT) {
    *out = g_value_get_uint (v);
    return TRUE;
  }
  if (t == G_TYPE_INT64 || t == G_TYPE_INT || t == G_TYPE_LONG) {
    n = t == G_TYPE_INT64 ? g_value_get_int64 (v) : t == G_TYPE_INT ?
        g_value_get_int (v) : g_value_get_long (v);
    if (n < 0) {
      *problem = g_strdup_printf ("start %" G_GINT64_FORMAT " is negative: "
          "it is a running time in nanoseconds", n);
      return FALSE;
    }
    *out = (GstClockTime) n;
    return TRUE;
  }
  *problem = g_strdup_printf ("start must be a running time in nanoseconds "
      "(guint64), not a %s", G_VALUE_TYPE_NAME (v));
  return FALSE;
}

typedef struct
{
  GstInworldTtsUtteranceSettings *out;
  gchar **problem;
} ReadData;

static gboolean
read_field (GQuark field, const GValue * v, gpointer user_data)
{
  ReadData *d = user_data;
  GstInworldTtsUtteranceSettings *out = d->out;
  const gchar *name = g_quark_to_string (field);

  if (strcmp (name, "voice") == 0)
    return read_string (v, name, FALSE, &out->voice, d->problem);
  if (strcmp (name, "model") == 0)
    return read_string (v, name, FALSE, &out->model, d->problem);
  if (strcmp (name, "language") == 0)
    return read_string (v, name, TRUE, &out->language, d->problem);
  if (strcmp (name, "speaker") == 0)
    return read_string (v, name, FALSE, &out->speaker, d->problem);
  if (strcmp (name, "speaking-rate") == 0) {
    out->has_speaking_rate = TRUE;
    return read_number (v, name, INWORLD_MIN_SPEAKING_RATE, INWORLD_MAX_SPEAKING_RATE,
        &out->speaking_rate, d->problem);
  }
  if (strcmp (name, "temperature") == 0) {
    out->has_temperature = TRUE;
    return read_number (v, name, 0.0, INWORLD_MAX_TEMPERATURE, &out->temperature,
        d->problem);
  }
  if (strcmp (name, "flush") == 0) {
    if (!G_VALUE_HOLDS_BOOLEAN (v)) {
      *d->problem = g_strdup_printf ("flush must be a boolean, not a %s",
          G_VALUE_TYPE_NAME (v));
      return FALSE;
    }
    out->flush = g_value_get_boolean (v);
    return TRUE;
  }
  if (strcmp (name, "start") == 0)
    return read_time (v, &out->start, d->problem);

  g_assert (!g_strv_contains ((const gchar * const *) known_fields, name));
  if (out->unknown == NULL)
    out->unknown = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (out->unknown, g_strdup (name));
  return TRUE;
}

gboolean
gst_inworld_tts_utterance_settings_read (const GstStructure * s,
    GstInworldTtsUtteranceSettings * out, gchar ** problem)
{
  ReadData d = { out, problem };

  memset (out, 0, sizeof (*out));
  out->flush = TRUE;
  out->start = GST_CLOCK_TIME_NONE;
  *problem = NULL;
  if (s == NULL)
    return TRUE;
  return gst_structure_foreach (s, read_field, &d);
}

void
gst_inworld_tts_utterance_settings_apply (const
    GstInworldTtsUtteranceSettings * settings, InworldSynthConfig * config)
{
  if (settings->voice) {
    g_free ((gchar *) config->voice);
    config->voice = g_strdup (settings->voice);
  }
  if (settings->model) {
    g_free ((gchar *) config->model);
    config->model = g_strdup (settings->model);
  }
  if (settings->language) {
    g_free ((gchar *) config->language);
    config->language = *settings->language ?
        g_strdup (settings->language) : NULL;
  }
  /* 1.0 is the service's default: not sent, as with the property */
  if (settings->has_speaking_rate)
    config->speaking_rate = settings->speaking_rate == 1.0 ? 0.0 :
        settings->speaking_rate;
  if (settings->has_temperature)
    config->temperature = settings->temperature;
}
