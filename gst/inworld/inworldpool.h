/* inworldttssrc: server contexts on shared connections
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A context is one element's conversation with the server. Contexts of
 * the same server, protocol, credentials and network settings share
 * WebSockets, up to the server's limit per connection (5 for Inworld; a
 * protocol without contexts, SLNG, has a connection per context):
 *
 *  - a context refused with code 8 (too many contexts) before it was
 *    created moves to another connection, its frames with it;
 *  - idle contexts are kept alive (an empty send_text every keepalive_s
 *    seconds of silence on their connection), never a connection without
 *    an open context;
 *  - a connection that dropped or was refused makes the next one of the
 *    same server wait, with exponential back-off (reset by the server's
 *    first sign of life);
 *  - events of a context reach its callback alone; connection-wide events
 *    (top-level errors, disconnection) reach every context on it.
 *
 * Re-creating a lost context and re-sending its text is the caller's job:
 * only it knows which text was spoken. */

#pragma once

#include "inworldconnection.h"

G_BEGIN_DECLS

typedef struct _InworldContext InworldContext;

/* All four functions are called on the connection thread
 * (inworldsoupthread.h), where the events are delivered too.
 *
 * Opens context @context_id with @create_frame (taken; the protocol's
 * create/init message). Events for it are given to @func, as for
 * inworld_connection_new(); for a protocol without contexts their
 * context_id is set to @context_id. */
InworldContext *inworld_context_open (const InworldConnectionParams * params,
    const gchar * context_id, gchar * create_frame, InworldEventFunc func,
    gpointer user_data);

/* Sends @frame (taken) for the context; frames go out in order. Dropped
 * once the context's connection is lost. */
void inworld_context_send (InworldContext * ctx, gchar * frame);

/* Sends the protocol's close message; events keep coming (the audio of
 * flushed text may follow a contextClosed). */
void inworld_context_close (InworldContext * ctx);

/* Stops event delivery at once and closes the context if it is still
 * open. May be called from its own event callback. */
void inworld_context_free (InworldContext * ctx);

/* The back-off before the next connection after @failures consecutive
 * failed or dropped ones: 0, then 200 ms doubling up to 5 s (without the
 * jitter added on top). */
guint inworld_pool_backoff_ms (guint failures);

G_END_DECLS
