/* Error and warning messages in tests.
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* "<message> | <debug>" of an error or warning message (g_free); its
 * GError domain and code in *@domain and *@code (either may be NULL). */
gchar *message_text (GstMessage * msg, GQuark * domain, gint * code);

/* Fails the test unless @msg is an error or warning of @domain/@code
 * whose text holds each of the NULL-terminated @words (may be NULL). */
void check_message (GstMessage * msg, GQuark domain, gint code,
    const gchar * const *words);

/* Fails the test unless the details structure of error or warning @msg
 * holds each field of @want (a GstStructure in string form, e.g.
 * "want, inworld-problem=(string)auth, http-status=(uint)401") with the
 * same type and value. */
void check_details (GstMessage * msg, const gchar * want);

G_END_DECLS
