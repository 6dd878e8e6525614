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
