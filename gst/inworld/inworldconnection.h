/* inworldttssrc: connection layer
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* One WebSocket to a TTS server. Every socket lives on one process-wide
 * thread with its own GMainContext; callers on any other thread only hand
 * frames over. Frames are parsed with the protocol layer and delivered as
 * InworldEvents. Knows nothing of GstBuffers. */

#pragma once

#include <glib.h>
#include "inworldnet.h"
#include "inworldprotocol.h"

G_BEGIN_DECLS

typedef struct _InworldConnection InworldConnection;

/* Called on the connection thread, once per event, with no lock of the
 * caller's held; the callee takes ownership of @event. Never called again
 * once inworld_connection_free() has returned. */
typedef void (*InworldEventFunc) (InworldEvent * event, gpointer user_data);

typedef struct
{
  const gchar *uri;             /* ws:// or wss:// */
  const gchar *api_key;         /* sent in the Authorization header */
  InworldProtocolKind protocol;
  guint timeout_s;              /* connect / upgrade time limit; 0 = none */
  const gchar *region;          /* SLNG: X-Region-Override, or NULL */
  guint keepalive_s;            /* shared connections: keep idle contexts
                                 * alive every S seconds; 0 = never */
  guint connect_delay_ms;       /* wait this long before connecting
                                 * (reconnection back-off) */
  InworldNetSettings net;       /* TLS and proxy; zero = verify with the
                                 * system's CAs, proxy from the environment */
} InworldConnectionParams;

/* A deep copy of @params (free with inworld_connection_params_free). Every
 * field added to InworldConnectionParams must be copied, freed and keyed
 * in these three functions. */
InworldConnectionParams *inworld_connection_params_copy (const
    InworldConnectionParams * params);
void inworld_connection_params_free (InworldConnectionParams * params);
/* A string that is equal for two params exactly when their connections
 * may be shared (server, protocol, credentials, network settings); the
 * key itself appears only as a digest. */
gchar *inworld_connection_params_key (const InworldConnectionParams *
    params);

/* Largest frame accepted from the server (libsoup's default is 128 KiB;
 * one second of 48 kHz LINEAR16 in base64 is already ~128 KiB). */
#define INWORLD_MAX_INCOMING_FRAME (8 * 1024 * 1024)

/* Creates a connection; nothing goes on the network until the first
 * inworld_connection_send(). */
InworldConnection *inworld_connection_new (const InworldConnectionParams *
    params, InworldEventFunc func, gpointer user_data);

/* Queues @frame (taken) to be sent; thread-safe. Frames go out in order;
 * the first one opens the socket. Frames queued while connecting are sent
 * as soon as the upgrade completes (pipelined, no waiting for replies).
 * Once the first frame is queued, the connection ends with exactly one
 * INWORLD_EVENT_DISCONNECTED (unless inworld_connection_free() comes
 * first), whether the upgrade fails (code: the HTTP status, or 0 when no
 * server answered) or the socket closes later (code: the WebSocket close
 * code, 1006 when there was no close frame, even when libsoup closed it
 * before the upgrade's callback ran). Frames queued after libsoup has
 * started closing are dropped, never handed to it. */
void inworld_connection_send (InworldConnection * conn, gchar * frame);

const InworldProtocol *inworld_connection_get_protocol (InworldConnection *
    conn);

/* Overwrites @secret (an API key, an Authorization value) before freeing
 * it, so that it does not linger in freed memory. NULL is allowed. */
void inworld_secret_free (gchar * secret);

/* Stops event delivery at once, then closes the socket (code 1000) in the
 * background. Thread-safe; must not be called from the event callback. */
void inworld_connection_free (InworldConnection * conn);

G_END_DECLS
