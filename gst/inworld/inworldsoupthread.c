/* inworldttssrc: the process-wide libsoup thread
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

#include "inworldsoupthread.h"
#include "inworlddebug.h"

#define GST_CAT_DEFAULT inworld_connection_debug

struct _InworldSoupThread
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  guint users;
};

static GMutex soup_thread_lock;
static InworldSoupThread *soup_thread;

static gpointer
soup_thread_func (gpointer data)
{
  InworldSoupThread *st = data;

  g_main_context_push_thread_default (st->context);
  g_main_loop_run (st->loop);
  while (g_main_context_iteration (st->context, FALSE));
  g_main_context_pop_thread_default (st->context);

  g_main_loop_unref (st->loop);
  g_main_context_unref (st->context);
  g_free (st);
  return NULL;
}

InworldSoupThread *
inworld_soup_thread_acquire (void)
{
  InworldSoupThread *st;

  inworld_debug_init ();
  g_mutex_lock (&soup_thread_lock);
  if (soup_thread == NULL) {
    GST_DEBUG ("starting the connection thread");
    st = g_new0 (InworldSoupThread, 1);
    st->context = g_main_context_new ();
    st->loop = g_main_loop_new (st->context, FALSE);
    st->thread = g_thread_new ("inworld-ws", soup_thread_func, st);
    soup_thread = st;
  }
  st = soup_thread;
  st->users++;
  g_mutex_unlock (&soup_thread_lock);
  return st;
}

void
inworld_soup_thread_release (InworldSoupThread * st)
{
  g_mutex_lock (&soup_thread_lock);
  g_assert (st->users > 0);
  if (--st->users == 0) {
    GST_DEBUG ("stopping the connection thread");
    GThread *thread = st->thread;

    if (soup_thread == st)
      soup_thread = NULL;
    /* detach: the thread frees its own state (@st too) once its loop
     * returns, which may be before g_main_loop_quit() has returned here */
    g_main_loop_quit (st->loop);
    g_thread_unref (thread);
  }
  g_mutex_unlock (&soup_thread_lock);
}

GMainContext *
inworld_soup_thread_get_context (InworldSoupThread * st)
{
  return st->context;
}

gboolean
inworld_soup_thread_is_current (InworldSoupThread * st)
{
  return g_main_context_is_owner (st->context);
}

/* The caller holds its own reference on the context for the duration:
 * once @func has run, the thread may end and free the context while
 * g_main_context_invoke_full() is still releasing its source here (a
 * GSource does not keep its context alive). */
void
inworld_soup_thread_invoke (InworldSoupThread * st, GSourceFunc func,
    gpointer data, GDestroyNotify notify)
{
  GMainContext *context = g_main_context_ref (st->context);

  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, func, data, notify);
  g_main_context_unref (context);
}

GSource *
inworld_soup_thread_timeout (InworldSoupThread * st, guint ms,
    GSourceFunc func, gpointer data)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, st->context);
  return source;
}
