/* inworldttssrc: connection layer
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

#include "inworldconnection.h"
#include "inworlddebug.h"
#include "inworldsoupthread.h"

#include <libsoup/soup.h>
#include <string.h>

#define GST_CAT_DEFAULT inworld_connection_debug

/* Frames are logged (at TRACE) up to this many bytes. */
#define LOGGED_FRAME_BYTES 200

/* ------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------ */

typedef enum
{
  STATE_IDLE,
  STATE_WAITING,                /* the back-off delay before connecting */
  STATE_CONNECTING,
  STATE_OPEN,
  STATE_CLOSING,
  STATE_CLOSED,
} ConnState;

struct _InworldConnection
{
  gint refcount;
  InworldSoupThread *st;
  const InworldProtocol *protocol;
  gchar *uri;
  gchar *api_key;
  gchar *region;                /* X-Region-Override, or NULL */
  InworldNetSettings net;       /* TLS and proxy (owned strings) */
  guint timeout_s;
  guint connect_delay_ms;

  /* event delivery; cleared by inworld_connection_free() */
  GMutex callback_lock;
  InworldEventFunc func;
  gpointer user_data;

  /* outgoing frames, filled from any thread */
  GMutex lock;
  GQueue outgoing;
  gboolean drain_scheduled;

  /* connection thread only */
  ConnState state;
  gboolean freed;
  SoupSession *session;
  SoupMessage *msg;
  GCancellable *cancellable;
  SoupWebsocketConnection *ws;
  GSource *timeout_source;
  gchar *last_error;
  gushort local_close_code;     /* why we closed it ourselves, or 0 */
  gboolean disconnected;        /* DISCONNECTED delivered: never again */
};

static InworldConnection *
conn_ref (InworldConnection * conn)
{
  g_atomic_int_inc (&conn->refcount);
  return conn;
}

#ifndef GST_DISABLE_GST_DEBUG
/* A frame at TRACE, cut at LOGGED_FRAME_BYTES (on a UTF-8 character
 * boundary). Frames carry text and base64 audio, never the API key. */
static void
trace_frame (InworldConnection * conn, const gchar * direction,
    const gchar * data, gsize size)
{
  gsize cut = MIN (size, LOGGED_FRAME_BYTES);

  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) < GST_LEVEL_TRACE)
    return;
  while (cut > 0 && cut < size && (data[cut] & 0xc0) == 0x80)
    cut--;
  GST_TRACE ("%p %s %" G_GSIZE_FORMAT " bytes: %.*s%s", conn, direction, size,
      (gint) cut, data, cut < size ? "..." : "");
}
#else
#define trace_frame(conn, direction, data, size)
#endif

static void
clear_timeout (InworldConnection * conn)
{
  if (conn->timeout_source) {
    g_source_destroy (conn->timeout_source);
    g_clear_pointer (&conn->timeout_source, g_source_unref);
  }
}

/* Only on the connection thread: the last reference frees libsoup objects. */
static void
conn_unref (InworldConnection * conn)
{
  InworldSoupThread *st;

  if (!g_atomic_int_dec_and_test (&conn->refcount))
    return;

  clear_timeout (conn);
  if (conn->ws) {
    g_signal_handlers_disconnect_by_data (conn->ws, conn);
    g_object_unref (conn->ws);
  }
  g_clear_object (&conn->msg);
  g_clear_object (&conn->cancellable);
  if (conn->session) {
    soup_session_abort (conn->session);
    g_object_unref (conn->session);
  }
  g_queue_clear_full (&conn->outgoing, g_free);
  g_mutex_clear (&conn->lock);
  g_mutex_clear (&conn->callback_lock);
  g_free (conn->uri);
  g_free (conn->region);
  inworld_net_settings_clear (&conn->net);
  inworld_secret_free (conn->api_key);
  g_free (conn->last_error);
  st = conn->st;
  g_free (conn);
  inworld_soup_thread_release (st);
}

static void
invoke_on_thread (InworldConnection * conn, GSourceFunc func, gpointer data,
    GDestroyNotify notify)
{
  inworld_soup_thread_invoke (conn->st, func, data, notify);
}

static void
deliver (InworldConnection * conn, InworldEvent * event)
{
  g_mutex_lock (&conn->callback_lock);
  if (conn->func)
    conn->func (event, conn->user_data);
  else
    inworld_event_free (event);
  g_mutex_unlock (&conn->callback_lock);
}

/* Delivers an event of the connection's own (not parsed from a frame);
 * takes @message. */
static void
deliver_local (InworldConnection * conn, InworldEventType type, gint code,
    gchar * message)
{
  InworldEvent *event = inworld_event_new (type, NULL);

  event->code = code;
  event->message = message;
  deliver (conn, event);
}

static void
drop_outgoing (InworldConnection * conn)
{
  g_mutex_lock (&conn->lock);
  g_queue_clear_full (&conn->outgoing, g_free);
  g_mutex_unlock (&conn->lock);
}

/* The only way DISCONNECTED is delivered: exactly once for a connection
 * that was asked to send something, whichever of libsoup's "closed", a
 * failed upgrade or a socket found closed in on_connected() comes first,
 * so the layers above neither wait forever nor see the end twice. Drops
 * what is still queued; takes @message. */
static void
deliver_disconnected (InworldConnection * conn, gint code, gchar * message)
{
  drop_outgoing (conn);
  if (conn->disconnected) {
    g_free (message);
    return;
  }
  conn->disconnected = TRUE;
  GST_INFO ("%p disconnected (code %d): %s", conn, code, message);
  deliver_local (conn, INWORLD_EVENT_DISCONNECTED, code, message);
}

static void
on_ws_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    InworldConnection * conn)
{
  gsize size;
  const gchar *data = g_bytes_get_data (message, &size);
  GPtrArray *events;
  GError *error = NULL;

  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    GST_TRACE ("%p received a binary frame of %" G_GSIZE_FORMAT " bytes",
        conn, size);
    deliver_local (conn, INWORLD_EVENT_INVALID_FRAME, 0,
        g_strdup_printf ("binary frame of %" G_GSIZE_FORMAT " bytes where "
            "the %s protocol sends only JSON text", size,
            conn->protocol->name));
    return;
  }

  trace_frame (conn, "received", data, size);
  events = g_ptr_array_new ();
  if (!conn->protocol->parse (data, size, events, &error)) {
    GST_DEBUG ("%p invalid frame: %s", conn, error->message);
    deliver_local (conn, INWORLD_EVENT_INVALID_FRAME, 0,
        g_strdup (error->message));
    g_clear_error (&error);
  }
  if (events->len > 0)
    ((InworldEvent *) g_ptr_array_index (events, 0))->frame_size = size;
  for (guint i = 0; i < events->len; i++)
    deliver (conn, g_ptr_array_index (events, i));
  g_ptr_array_unref (events);
}

static void
on_ws_error (SoupWebsocketConnection * ws, GError * error,
    InworldConnection * conn)
{
  GST_DEBUG ("%p WebSocket error: %s", conn, error->message);
  g_free (conn->last_error);
  conn->last_error = g_strdup (error->message);
  /* libsoup closes on a frame over max-incoming-payload-size itself */
  if (g_error_matches (error, SOUP_WEBSOCKET_ERROR,
          SOUP_WEBSOCKET_CLOSE_TOO_BIG))
    conn->local_close_code = SOUP_WEBSOCKET_CLOSE_TOO_BIG;
}

/* The close code that ends the connection: ours if we closed it for a
 * reason, else the server's, else 1006 (RFC 6455: no close frame). A
 * close code always says the upgrade was done, unlike the HTTP status of
 * a refused one. */
static gushort
close_code (InworldConnection * conn)
{
  gushort code = soup_websocket_connection_get_close_code (conn->ws);

  if (conn->local_close_code)
    return conn->local_close_code;
  return code ? code : SOUP_WEBSOCKET_CLOSE_ABNORMAL;
}

static gchar *
describe_close (InworldConnection * conn)
{
  gushort code = close_code (conn);
  const gchar *data = soup_websocket_connection_get_close_data (conn->ws);

  switch (code) {
    case SOUP_WEBSOCKET_CLOSE_ABNORMAL:
      return g_strdup_printf ("the connection to %s dropped without a "
          "WebSocket close%s%s", conn->uri, conn->last_error ? ": " : "",
          conn->last_error ? conn->last_error : "");
    case SOUP_WEBSOCKET_CLOSE_TOO_BIG:
      return g_strdup_printf ("%s sent a frame larger than the %u MiB "
          "limit; the connection was closed", conn->uri,
          INWORLD_MAX_INCOMING_FRAME / (1024 * 1024));
    default:
      return g_strdup_printf ("%s closed the connection (WebSocket code %u%s%s)",
          conn->uri, code, data && *data ? ": " : "", data ? data : "");
  }
}

static void
on_ws_closed (SoupWebsocketConnection * ws, InworldConnection * conn)
{
  ConnState old = conn->state;

  GST_DEBUG ("%p closed by libsoup (close code %u)", conn,
      soup_websocket_connection_get_close_code (ws));
  conn->state = STATE_CLOSED;
  drop_outgoing (conn);
  if (old == STATE_OPEN && !conn->freed)
    deliver_disconnected (conn, close_code (conn), describe_close (conn));
  if (old == STATE_CLOSING)
    conn_unref (conn);          /* the teardown's reference */
}

static void
send_queued (InworldConnection * conn)
{
  GQueue frames = G_QUEUE_INIT;
  gchar *frame;
  guint dropped = 0;

  g_mutex_lock (&conn->lock);
  frames = conn->outgoing;
  g_queue_init (&conn->outgoing);
  g_mutex_unlock (&conn->lock);

  while ((frame = g_queue_pop_head (&frames))) {
    /* libsoup may be closing already, with "closed" still to come: a
     * reset seen by the previous write (libsoup then closes at once, on
     * this very call stack) or by a read, the server's close frame
     * answered. The frame is dropped then, as at "closed"; libsoup
     * would only assert that the connection is OPEN. */
    if (conn->state == STATE_OPEN
        && soup_websocket_connection_get_state (conn->ws) ==
        SOUP_WEBSOCKET_STATE_OPEN) {
      trace_frame (conn, "sending", frame, strlen (frame));
      soup_websocket_connection_send_text (conn->ws, frame);
    } else {
      dropped++;
    }
    g_free (frame);
  }
  if (dropped > 0)
    GST_DEBUG ("%p dropped %u frame(s): the connection is closing", conn,
        dropped);
}

static gboolean
on_connect_timeout (gpointer user_data)
{
  InworldConnection *conn = user_data;

  g_free (conn->last_error);
  conn->last_error = g_strdup_printf ("no WebSocket upgrade within %u s",
      conn->timeout_s);
  g_cancellable_cancel (conn->cancellable);
  g_clear_pointer (&conn->timeout_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Seconds the server asks us to wait (Retry-After: a number of seconds
 * or an HTTP date, RFC 9110 10.2.3), or -1 when it asks nothing usable. */
static gint64
retry_after_seconds (SoupMessage * msg)
{
  const gchar *value =
      soup_message_headers_get_one (soup_message_get_response_headers (msg),
      "Retry-After");
  gchar *text;
  guint64 seconds;
  GDateTime *date, *now;
  gint64 result = -1;

  if (value == NULL)
    return -1;
  text = g_strstrip (g_strdup (value));
  if (g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT32, &seconds, NULL)) {
    result = seconds;
  } else if ((date = soup_date_time_new_from_http_string (text))) {
    now = g_date_time_new_now_utc ();
    result = MAX (0, g_date_time_difference (date, now) / G_TIME_SPAN_SECOND);
    g_date_time_unref (now);
    g_date_time_unref (date);
  }
  g_free (text);
  return result;
}

/* "ws://... refused the WebSocket upgrade: HTTP 429 Too Many Requests
 * (Retry-After: 30 s)": the facts of a refused upgrade, for the layers
 * above to word and act on. */
static gchar *
describe_refusal (InworldConnection * conn)
{
  guint status = soup_message_get_status (conn->msg);
  const gchar *reason = soup_message_get_reason_phrase (conn->msg);
  gint64 retry_after = retry_after_seconds (conn->msg);
  GString *text = g_string_new (NULL);

  g_string_printf (text, "%s refused the WebSocket upgrade: HTTP %u",
      conn->uri, status);
  if (reason && *reason)
    g_string_append_printf (text, " %s", reason);
  if (retry_after >= 0)
    g_string_append_printf (text, " (Retry-After: %" G_GINT64_FORMAT " s)",
        retry_after);
  return g_string_free (text, FALSE);
}

static void
on_connected (GObject * source, GAsyncResult * res, gpointer user_data)
{
  InworldConnection *conn = user_data;
  GError *error = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res,
      &error);
  clear_timeout (conn);

  if (conn->freed) {
    GST_DEBUG ("%p upgrade done after the connection was freed", conn);
    g_clear_object (&ws);
    g_clear_error (&error);
    conn->state = STATE_CLOSED;
    conn_unref (conn);
    return;
  }

  if (ws == NULL) {
    guint status = soup_message_get_status (conn->msg);
    /* any final answer but 101 (a 200 as well) refuses the upgrade; a
     * 101 that fails libsoup's checks is not a refusal (code 0) */
    gboolean refused = status >= 200;
    gchar *message = NULL;
    gint code = refused ? (gint) status : 0;

    GST_DEBUG ("%p upgrade failed, HTTP status %u: %s", conn, status,
        error->message);
    /* a certificate refused, a proxy that failed: what to change, with
     * code 0 (not reached; a proxy's HTTP status is not the server's).
     * Not after our own time limit cancelled the upgrade. */
    if (conn->last_error == NULL)
      message = inworld_net_describe_failure (conn->msg, &conn->net, error);
    if (message)
      code = 0;
    else if (refused)
      message = describe_refusal (conn);
    else
      message = g_strdup_printf ("could not connect to %s: %s", conn->uri,
          conn->last_error ? conn->last_error : error->message);
    g_clear_error (&error);
    conn->state = STATE_CLOSED;
    deliver_disconnected (conn, code, message);
    conn_unref (conn);
    return;
  }

  conn->ws = ws;
  g_object_set (ws, "max-incoming-payload-size",
      (guint64) INWORLD_MAX_INCOMING_FRAME, "keepalive-interval", 0, NULL);
  if (soup_websocket_connection_get_state (ws) != SOUP_WEBSOCKET_STATE_OPEN) {
    /* libsoup reads from the socket as soon as it makes the connection,
     * before this callback runs: an EOF or a reset right after the 101
     * has closed it already, its "closed" emitted to nobody (CLOSED) or
     * still to come (CLOSING). Nothing more can come from it; say so
     * now, once, rather than wait for a signal that may never reach us. */
    conn->state = STATE_CLOSED;
    deliver_disconnected (conn, close_code (conn), describe_close (conn));
    conn_unref (conn);
    return;
  }
  GST_INFO ("%p connected to %s", conn, conn->uri);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), conn);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), conn);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), conn);
  conn->state = STATE_OPEN;
  send_queued (conn);
  conn_unref (conn);
}

#ifndef GST_DISABLE_GST_DEBUG
/* TRUE for the header line "Authorization: ..." or "Proxy-Authorization:
 * ...", any case. */
static gboolean
is_credential_line (const gchar * line, gsize name_len)
{
  return (name_len == 13 && g_ascii_strncasecmp (line, "Authorization",
          13) == 0) || (name_len == 19
      && g_ascii_strncasecmp (line, "Proxy-Authorization", 19) == 0);
}

/* SoupLogger's printer: one line of the upgrade's request ('>') or
 * response ('<') at TRACE. The value of a credential header never gets
 * out: libsoup would print a Basic one base64-decoded, which is the API
 * key itself. */
static void
log_http_line (SoupLogger * logger, SoupLoggerLogLevel level,
    char direction, const char *data, gpointer user_data)
{
  const gchar *colon = strchr (data, ':');

  if (colon && is_credential_line (data, colon - data))
    GST_TRACE ("%c %.*s: <redacted>", direction, (gint) (colon - data), data);
  else
    GST_TRACE ("%c %s", direction, data);
}

/* At TRACE, the upgrade's headers (not the frames: libsoup does not log
 * WebSocket frames, trace_frame() does). Decided once per session. */
static void
add_http_logger (SoupSession * session)
{
  SoupLogger *logger;

  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) < GST_LEVEL_TRACE)
    return;
  logger = soup_logger_new (SOUP_LOGGER_LOG_HEADERS);
  soup_logger_set_printer (logger, log_http_line, NULL, NULL);
  soup_session_add_feature (session, SOUP_SESSION_FEATURE (logger));
  g_object_unref (logger);
}
#else
#define add_http_logger(session)
#endif

static void
start_connect (InworldConnection * conn)
{
  const gchar *scheme =
      conn->protocol->auth_scheme;
  gchar *auth;
  GError *error = NULL;

  GST_INFO ("%p connecting to %s", conn, conn->uri);
  conn->state = STATE_CONNECTING;
  conn->msg = soup_message_new (SOUP_METHOD_GET, conn->uri);
  if (conn->msg == NULL) {
    conn->state = STATE_CLOSED;
    deliver_disconnected (conn, 0,
        g_strdup_printf ("'%s' is not a valid WebSocket URI (expected "
            "ws://host/path or wss://host/path)", conn->uri));
    return;
  }

  /* created here, so that it belongs to this thread's context */
  conn->session = inworld_net_session_new (&conn->net, &error);
  if (conn->session == NULL) {
    conn->state = STATE_CLOSED;
    deliver_disconnected (conn, 0, g_strdup (error->message));
    g_clear_error (&error);
    return;
  }
  add_http_logger (conn->session);
  inworld_net_prepare_message (conn->msg, &conn->net);
  conn->cancellable = g_cancellable_new ();

  if (conn->api_key && *conn->api_key) {
    auth = g_strdup_printf ("%s %s", scheme, conn->api_key);
    soup_message_headers_replace (soup_message_get_request_headers
        (conn->msg), "Authorization", auth);
    inworld_secret_free (auth);
  }

  if (conn->region && *conn->region)
    soup_message_headers_replace (soup_message_get_request_headers
        (conn->msg), "X-Region-Override", conn->region);

  if (conn->timeout_s > 0) {
    conn->timeout_source = g_timeout_source_new_seconds (conn->timeout_s);
    g_source_set_callback (conn->timeout_source, on_connect_timeout, conn,
        NULL);
    g_source_attach (conn->timeout_source,
        inworld_soup_thread_get_context (conn->st));
  }

  soup_session_websocket_connect_async (conn->session, conn->msg, NULL, NULL,
      G_PRIORITY_DEFAULT, conn->cancellable, on_connected, conn_ref (conn));
}

/* The back-off delay is over (the source holds no reference: teardown
 * destroys it). */
static gboolean
on_connect_delay (gpointer user_data)
{
  InworldConnection *conn = user_data;

  g_clear_pointer (&conn->timeout_source, g_source_unref);
  start_connect (conn);
  return G_SOURCE_REMOVE;
}

static gboolean
drain_outgoing (gpointer user_data)
{
  InworldConnection *conn = user_data;

  g_mutex_lock (&conn->lock);
  conn->drain_scheduled = FALSE;
  g_mutex_unlock (&conn->lock);

  if (conn->freed)
    return G_SOURCE_REMOVE;

  switch (conn->state) {
    case STATE_IDLE:
      if (conn->connect_delay_ms > 0) {
        GST_DEBUG ("%p waiting %u ms before connecting", conn,
            conn->connect_delay_ms);
        conn->state = STATE_WAITING;
        conn->timeout_source = inworld_soup_thread_timeout (conn->st,
            conn->connect_delay_ms, on_connect_delay, conn);
      } else {
        start_connect (conn);
      }
      break;
    case STATE_OPEN:
      send_queued (conn);
      break;
    case STATE_WAITING:
    case STATE_CONNECTING:
      break;                    /* sent once the upgrade completes */
    case STATE_CLOSING:
    case STATE_CLOSED:
      drop_outgoing (conn);
      break;
  }
  return G_SOURCE_REMOVE;
}

static gboolean
teardown (gpointer user_data)
{
  InworldConnection *conn = user_data;

  GST_DEBUG ("%p freed (state %d)", conn, conn->state);
  conn->freed = TRUE;
  drop_outgoing (conn);
  switch (conn->state) {
    case STATE_WAITING:
      clear_timeout (conn);
      conn->state = STATE_CLOSED;
      break;
    case STATE_CONNECTING:
      g_cancellable_cancel (conn->cancellable);
      break;
    case STATE_OPEN:
      if (soup_websocket_connection_get_state (conn->ws) ==
          SOUP_WEBSOCKET_STATE_OPEN) {
        /* keep the caller's reference until "closed" */
        conn->state = STATE_CLOSING;
        soup_websocket_connection_close (conn->ws,
            SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
        return G_SOURCE_REMOVE;
      }
      break;
    default:
      break;
  }
  conn_unref (conn);            /* the caller's reference */
  return G_SOURCE_REMOVE;
}

void
inworld_secret_free (gchar * secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

InworldConnectionParams *
inworld_connection_params_copy (const InworldConnectionParams * params)
{
  InworldConnectionParams *copy = g_new (InworldConnectionParams, 1);

  *copy = *params;
  copy->uri = g_strdup (params->uri);
  copy->api_key = g_strdup (params->api_key);
  copy->region = g_strdup (params->region);
  inworld_net_settings_copy (&copy->net, &params->net);
  return copy;
}

void
inworld_connection_params_free (InworldConnectionParams * params)
{
  if (params == NULL)
    return;
  g_free ((gchar *) params->uri);
  inworld_secret_free ((gchar *) params->api_key);
  g_free ((gchar *) params->region);
  inworld_net_settings_clear (&params->net);
  g_free (params);
}

gchar *
inworld_connection_params_key (const InworldConnectionParams * params)
{
  gchar *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
      params->api_key ? params->api_key : "", -1);
  gchar *net = inworld_net_settings_key (&params->net);
  gchar *key = g_strdup_printf ("%d|%s|%s|%s|%u|%u|%s", params->protocol,
      params->uri, digest, params->region ? params->region : "",
      params->timeout_s, params->keepalive_s, net);

  g_free (net);
  g_free (digest);
  return key;
}

InworldConnection *
inworld_connection_new (const InworldConnectionParams * params,
    InworldEventFunc func, gpointer user_data)
{
  InworldConnection *conn;

  inworld_debug_init ();
  conn = g_new0 (InworldConnection, 1);
  conn->refcount = 1;
  conn->protocol = inworld_protocol_get (params->protocol);
  conn->uri = g_strdup (params->uri);
  conn->api_key = g_strdup (params->api_key);
  conn->region = g_strdup (params->region);
  inworld_net_settings_copy (&conn->net, &params->net);
  conn->timeout_s = params->timeout_s;
  conn->connect_delay_ms = params->connect_delay_ms;
  conn->func = func;
  conn->user_data = user_data;
  g_mutex_init (&conn->lock);
  g_mutex_init (&conn->callback_lock);
  g_queue_init (&conn->outgoing);
  conn->state = STATE_IDLE;
  conn->st = inworld_soup_thread_acquire ();
  return conn;
}

void
inworld_connection_send (InworldConnection * conn, gchar * frame)
{
  gboolean schedule;

  g_return_if_fail (conn != NULL);
  g_return_if_fail (frame != NULL);

  g_mutex_lock (&conn->lock);
  g_queue_push_tail (&conn->outgoing, frame);
  schedule = !conn->drain_scheduled;
  conn->drain_scheduled = TRUE;
  g_mutex_unlock (&conn->lock);

  if (schedule)
    invoke_on_thread (conn, drain_outgoing, conn_ref (conn),
        (GDestroyNotify) conn_unref);
}

const InworldProtocol *
inworld_connection_get_protocol (InworldConnection * conn)
{
  return conn->protocol;
}

void
inworld_connection_free (InworldConnection * conn)
{
  if (conn == NULL)
    return;

  /* waits for a callback in progress; none runs after this */
  g_mutex_lock (&conn->callback_lock);
  conn->func = NULL;
  conn->user_data = NULL;
  g_mutex_unlock (&conn->callback_lock);

  /* hands the caller's reference to the connection thread */
  invoke_on_thread (conn, teardown, conn, NULL);
}
