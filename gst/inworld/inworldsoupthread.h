/* inworldttssrc: the process-wide libsoup thread
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Every socket of the process lives on one thread with its own
 * GMainContext. The first user starts it; it ends when the last user has
 * released it. libsoup objects are bound to the thread-default context in
 * force when they are created, so they are all created on this thread. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _InworldSoupThread InworldSoupThread;

/* Starts the thread if needed and takes a use of it. */
InworldSoupThread *inworld_soup_thread_acquire (void);

/* Gives a use back; the last one stops the thread, which frees itself
 * once its loop has returned. Any thread. */
void inworld_soup_thread_release (InworldSoupThread * st);

GMainContext *inworld_soup_thread_get_context (InworldSoupThread * st);

/* TRUE when called on the thread itself. */
gboolean inworld_soup_thread_is_current (InworldSoupThread * st);

/* Runs @func on the thread (at once if called on it). */
void inworld_soup_thread_invoke (InworldSoupThread * st, GSourceFunc func,
    gpointer data, GDestroyNotify notify);

/* Calls @func on the thread after @ms milliseconds; returns the source
 * (g_source_destroy + g_source_unref it to cancel). */
GSource *inworld_soup_thread_timeout (InworldSoupThread * st, guint ms,
    GSourceFunc func, gpointer data);

G_END_DECLS
