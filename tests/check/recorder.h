/* A recorder of what inworldttssrc pushes and posts, for the tests
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* One ordered log of the buffers and events leaving the element's src pad
 * and of the messages it posts (logged in the posting thread, so the order
 * is the order they happened), with counters tests can wait on. */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  GMutex lock;
  GCond cond;
  GPtrArray *log;               /* GstBuffer, GstEvent, GstMessage refs */
  guint buffers;
  guint flushes;                /* inworld-flush-completed events */
  guint eos;
  guint errors;
  guint warnings;
  guint timings;                /* inworld-word-timing messages */
} Rec;

void rec_init (Rec * rec);
void rec_clear (Rec * rec);

/* Pad probe for the element's src pad (buffers, downstream and flush
 * events); user data: the Rec. */
GstPadProbeReturn rec_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data);

/* Bus sync handler logging errors, warnings and element messages (and
 * dropping every message); user data: the Rec. */
GstBusSyncReply rec_bus (GstBus * bus, GstMessage * msg, gpointer user_data);

/* Records @el's src pad and the messages on @bus. */
void rec_attach (Rec * rec, GstElement * el, GstBus * bus);

/* Waits until *@counter (a field of @rec) reaches @n, an error comes, or
 * @timeout passes; TRUE if it was reached. */
gboolean rec_wait (Rec * rec, guint * counter, guint n, GstClockTime timeout);

/* Entry @i of @rec's log (read with rec->lock held, or once nothing is
 * logged any more). */
#define LOG_AT(rec, i) ((GstMiniObject *) g_ptr_array_index ((rec)->log, (i)))

/* "error: <message> (<debug>)" of the first error or warning logged, or
 * "none" (g_free). */
gchar *rec_problem (Rec * rec);

/* Fails the test unless @ok, saying that @what did not come and what
 * error or warning came instead. */
void rec_fail_unless_waited (Rec * rec, gboolean ok, const gchar * what);

/* Fails the test if an error or a warning was logged, quoting the first. */
void rec_fail_if_problem (Rec * rec);

/* Fails with @why (taken): check leaves the test without returning, so
 * the text is copied to a static buffer and freed first. */
#define fail_with(why) G_STMT_START {                             \
    static gchar text_[2048];                                     \
    gchar *why__ = (why);                                         \
    g_strlcpy (text_, why__, sizeof (text_));                     \
    g_free (why__);                                               \
    fail ("%s", text_);                                           \
  } G_STMT_END

/* One flush as it left the element: its audio (from the buffers between
 * the previous flush-completed event, or @from, and its own) and its
 * flush-completed event. */
typedef struct
{
  GByteArray *audio;
  GstClockTime first_pts, end;
  guint first_buffer;           /* log index */
  gboolean discont;
  const GstStructure *done;     /* NULL: audio with no event after it */
  guint done_index;
} Flush;

/* The flushes in log entries [@from, @to), as an array of Flush (freed
 * with the array); fails the test if buffers of a flush are not
 * contiguous or lack timestamps. */
GArray *rec_flushes_range (Rec * rec, guint from, guint to);

G_END_DECLS
