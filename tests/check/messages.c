/* Error and warning messages in tests.
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "messages.h"

#include <gst/check/gstcheck.h>
#include <string.h>

gchar *
message_text (GstMessage * msg, GQuark * domain, gint * code)
{
  GError *err = NULL;
  gchar *debug = NULL, *text;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, &debug);
  else
    gst_message_parse_warning (msg, &err, &debug);
  if (domain)
    *domain = err->domain;
  if (code)
    *code = err->code;
  text = g_strdup_printf ("%s | %s", err->message, debug ? debug : "");
  g_error_free (err);
  g_free (debug);
  return text;
}

void
check_message (GstMessage * msg, GQuark domain, gint code,
    const gchar * const *words)
{
  GQuark d;
  gint c;
  gchar *text;

  fail_unless (msg != NULL, "no message");
  text = message_text (msg, &d, &c);
  GST_INFO ("%s: %s", GST_MESSAGE_TYPE_NAME (msg), text);
  fail_unless (d == domain && c == code, "wrong %s %s:%d: %s",
      GST_MESSAGE_TYPE_NAME (msg), g_quark_to_string (d), c, text);
  for (; words && *words; words++)
    fail_unless (strstr (text, *words) != NULL, "'%s' not in '%s'", *words,
        text);
  g_free (text);
}

static gboolean
field_matches (GQuark field, const GValue * value, gpointer user_data)
{
  const GstStructure *details = user_data;
  const GValue *have = gst_structure_id_get_value (details, field);
  gchar *want_s, *have_s;

  fail_unless (have != NULL, "no field %s in the details %" GST_PTR_FORMAT,
      g_quark_to_string (field), details);
  want_s = gst_value_serialize (value);
  have_s = gst_value_serialize (have);
  fail_unless (G_VALUE_TYPE (have) == G_VALUE_TYPE (value)
      && gst_value_compare (have, value) == GST_VALUE_EQUAL,
      "details field %s: %s (%s), expected %s (%s)",
      g_quark_to_string (field), have_s, G_VALUE_TYPE_NAME (have), want_s,
      G_VALUE_TYPE_NAME (value));
  g_free (want_s);
  g_free (have_s);
  return TRUE;
}

void
check_details (GstMessage * msg, const gchar * want)
{
  const GstStructure *details = NULL;
  GstStructure *w = gst_structure_from_string (want, NULL);

  fail_unless (w != NULL, "bad structure in the test: %s", want);
  fail_unless (msg != NULL, "no message");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error_details (msg, &details);
  else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
    gst_message_parse_warning_details (msg, &details);
  fail_unless (details != NULL, "%s without details",
      GST_MESSAGE_TYPE_NAME (msg));
  GST_INFO ("details: %" GST_PTR_FORMAT, details);
  gst_structure_foreach (w, field_matches, (gpointer) details);
  gst_structure_free (w);
}
