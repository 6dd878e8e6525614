/* A recorder of what inworldttssrc pushes and posts, for the tests
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "recorder.h"

#include <gst/check/gstcheck.h>
#include <string.h>

void
rec_init (Rec * rec)
{
  g_mutex_init (&rec->lock);
  g_cond_init (&rec->cond);
  rec->log = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_mini_object_unref);
  rec->buffers = rec->flushes = rec->eos = 0;
  rec->errors = rec->warnings = rec->timings = 0;
}

void
rec_clear (Rec * rec)
{
  g_ptr_array_unref (rec->log);
  g_mutex_clear (&rec->lock);
  g_cond_clear (&rec->cond);
}

GstPadProbeReturn
rec_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Rec *rec = user_data;

  g_mutex_lock (&rec->lock);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    g_ptr_array_add (rec->log,
        gst_buffer_ref (GST_PAD_PROBE_INFO_BUFFER (info)));
    rec->buffers++;
  } else {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    g_ptr_array_add (rec->log, gst_event_ref (event));
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
      rec->eos++;
    else if (gst_event_has_name (event, "inworld-flush-completed"))
      rec->flushes++;
  }
  g_cond_broadcast (&rec->cond);
  g_mutex_unlock (&rec->lock);
  return GST_PAD_PROBE_OK;
}

GstBusSyncReply
rec_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Rec *rec = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_WARNING:
    case GST_MESSAGE_ELEMENT:
      g_mutex_lock (&rec->lock);
      g_ptr_array_add (rec->log, gst_message_ref (msg));
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
        rec->errors++;
      else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
        rec->warnings++;
      else if (gst_message_has_name (msg, "inworld-word-timing"))
        rec->timings++;
      g_cond_broadcast (&rec->cond);
      g_mutex_unlock (&rec->lock);
      break;
    default:
      break;
  }
  /* a sync handler that drops a message owns it */
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

void
rec_attach (Rec * rec, GstElement * el, GstBus * bus)
{
  GstPad *pad = gst_element_get_static_pad (el, "src");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH,
      rec_probe, rec, NULL);
  gst_object_unref (pad);
  gst_bus_set_sync_handler (bus, rec_bus, rec, NULL);
}

gboolean
rec_wait (Rec * rec, guint * counter, guint n, GstClockTime timeout)
{
  gint64 deadline = g_get_monotonic_time () + timeout / GST_USECOND;
  gboolean ok;

  g_mutex_lock (&rec->lock);
  while (*counter < n && rec->errors == 0)
    if (!g_cond_wait_until (&rec->cond, &rec->lock, deadline))
      break;
  ok = *counter >= n;
  g_mutex_unlock (&rec->lock);
  return ok;
}

static void
flush_clear (Flush * f)
{
  g_byte_array_unref (f->audio);
}

GArray *
rec_flushes_range (Rec * rec, guint from, guint to)
{
  GArray *flushes = g_array_new (FALSE, TRUE, sizeof (Flush));
  Flush cur = { 0 };

  g_array_set_clear_func (flushes, (GDestroyNotify) flush_clear);
  cur.audio = g_byte_array_new ();
  for (guint i = from; i < MIN (to, rec->log->len); i++) {
    GstMiniObject *o = g_ptr_array_index (rec->log, i);

    if (GST_IS_BUFFER (o)) {
      GstBuffer *buf = GST_BUFFER (o);
      GstMapInfo map;

      fail_unless (GST_BUFFER_PTS_IS_VALID (buf));
      fail_unless (GST_BUFFER_DURATION_IS_VALID (buf));
      if (cur.audio->len == 0) {
        cur.first_pts = GST_BUFFER_PTS (buf);
        cur.first_buffer = i;
        cur.discont = GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT);
      } else {
        /* contiguous within a flush */
        fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), cur.end);
      }
      cur.end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
      gst_buffer_map (buf, &map, GST_MAP_READ);
      g_byte_array_append (cur.audio, map.data, map.size);
      gst_buffer_unmap (buf, &map);
    } else if (GST_IS_EVENT (o)
        && gst_event_has_name (GST_EVENT (o), "inworld-flush-completed")) {
      cur.done = gst_event_get_structure (GST_EVENT (o));
      cur.done_index = i;
      g_array_append_val (flushes, cur);
      memset (&cur, 0, sizeof (cur));
      cur.audio = g_byte_array_new ();
    }
  }
  if (cur.audio->len > 0)
    g_array_append_val (flushes, cur);
  else
    g_byte_array_unref (cur.audio);
  return flushes;
}

gchar *
rec_problem (Rec * rec)
{
  gchar *text = NULL;

  g_mutex_lock (&rec->lock);
  for (guint i = 0; i < rec->log->len && !text; i++) {
    GstMiniObject *o = LOG_AT (rec, i);
    GError *err = NULL;
    gchar *debug = NULL;

    if (!GST_IS_MESSAGE (o))
      continue;
    if (GST_MESSAGE_TYPE (o) == GST_MESSAGE_ERROR)
      gst_message_parse_error (GST_MESSAGE (o), &err, &debug);
    else if (GST_MESSAGE_TYPE (o) == GST_MESSAGE_WARNING)
      gst_message_parse_warning (GST_MESSAGE (o), &err, &debug);
    else
      continue;
    text = g_strdup_printf ("%s: %s (%s)",
        GST_MESSAGE_TYPE (o) == GST_MESSAGE_ERROR ? "error" : "warning",
        err->message, debug ? debug : "");
    g_error_free (err);
    g_free (debug);
  }
  g_mutex_unlock (&rec->lock);
  return text ? text : g_strdup ("none");
}

void
rec_fail_unless_waited (Rec * rec, gboolean ok, const gchar * what)
{
  if (!ok) {
    gchar *problem = rec_problem (rec);
    gchar *why = g_strdup_printf ("no %s (errors/warnings: %s)", what,
        problem);

    g_free (problem);
    fail_with (why);
  }
}

void
rec_fail_if_problem (Rec * rec)
{
  if (rec->errors || rec->warnings) {
    gchar *problem = rec_problem (rec);
    gchar *why = g_strdup_printf ("%u error(s), %u warning(s): %s",
        rec->errors, rec->warnings, problem);

    g_free (problem);
    fail_with (why);
  }
}
