/* Connection layer tests: InworldConnection against tiny raw servers
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Each test runs a raw server of its own on loopback, written here byte
 * by byte rather than with libsoup, so that it can do what a real server
 * does on a bad day: answer the upgrade and reset the socket at once,
 * read one frame and reset it, refuse the upgrade. The connection is
 * driven directly (no element, no pool), with gst-check's fatal
 * criticals in force: a libsoup assertion fails the test. */

#include <gst/check/gstcheck.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

#include "inworldconnection.h"
#include "inworldsoupthread.h"

#define ITERATIONS 50
#define WAIT_US (10 * G_USEC_PER_SEC)

typedef enum
{
  SERVER_RESET_AFTER_FRAME,     /* 101, read one frame, reset (RST) */
  SERVER_SHUTDOWN_AFTER_FRAME,  /* 101, read one frame, FIN (no close frame) */
  SERVER_RESET_AFTER_101,       /* 101, reset at once */
  SERVER_CLOSE_AND_HOLD,        /* 101, a close frame, hold the TCP open a
                                 * while after the client's close frame */
  SERVER_REFUSE,                /* an HTTP status other than 101 */
} ServerMode;

typedef struct
{
  GSocketService *service;
  GThread *thread;              /* accepts connections */
  GMainContext *context;
  GMainLoop *loop;
  guint16 port;
  ServerMode mode;
  const gchar *status;          /* SERVER_REFUSE: "503 Service Unavailable" */
  const gchar *extra_headers;   /* SERVER_REFUSE: "Retry-After: 7\r\n" */

  GMutex lock;
  GCond cond;
  guint active;                 /* handlers running */
  guint handled;                /* handlers done */
  gboolean client_closing;      /* SERVER_CLOSE_AND_HOLD: the client's
                                 * close frame was read */
  gboolean release;             /* SERVER_CLOSE_AND_HOLD: close now */
} RawServer;

/* ------------------------------------------------------------------------
 * The raw server (each connection on a thread of its own, blocking I/O)
 * ------------------------------------------------------------------------ */

/* The request up to its blank line, or NULL. */
static gchar *
read_request (GInputStream * in)
{
  GString *req = g_string_new (NULL);

  while (req->len < 16384 && !g_str_has_suffix (req->str, "\r\n\r\n")) {
    gchar c;
    if (g_input_stream_read (in, &c, 1, NULL, NULL) != 1)
      return g_string_free (req, TRUE);
    g_string_append_c (req, c);
  }
  return g_string_free (req, FALSE);
}

/* RFC 6455 4.2.2: base64 (SHA-1 (key + GUID)) of the request's key. */
static gchar *
websocket_accept (const gchar * request)
{
  gchar **lines = g_strsplit (request, "\r\n", -1);
  gchar *accept = NULL;

  for (guint i = 0; lines[i] && !accept; i++) {
    if (g_ascii_strncasecmp (lines[i], "Sec-WebSocket-Key:", 18) == 0) {
      GChecksum *sha1 = g_checksum_new (G_CHECKSUM_SHA1);
      guint8 digest[20];
      gsize len = sizeof (digest);
      gchar *key = g_strstrip (g_strdup (lines[i] + 18));

      g_checksum_update (sha1, (const guchar *) key, -1);
      g_checksum_update (sha1,
          (const guchar *) "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", -1);
      g_checksum_get_digest (sha1, digest, &len);
      accept = g_base64_encode (digest, len);
      g_checksum_free (sha1);
      g_free (key);
    }
  }
  g_strfreev (lines);
  return accept;
}

/* Reads one client frame (masked); its opcode, or -1 at EOF/error. */
static gint
read_frame (GInputStream * in)
{
  guint8 h[2], ext[8], mask[4];
  guint64 len;
  gsize got;

  if (!g_input_stream_read_all (in, h, 2, &got, NULL, NULL) || got != 2)
    return -1;
  len = h[1] & 0x7f;
  if (len == 126) {
    if (!g_input_stream_read_all (in, ext, 2, &got, NULL, NULL) || got != 2)
      return -1;
    len = GST_READ_UINT16_BE (ext);
  } else if (len == 127) {
    if (!g_input_stream_read_all (in, ext, 8, &got, NULL, NULL) || got != 8)
      return -1;
    len = GST_READ_UINT64_BE (ext);
  }
  if ((h[1] & 0x80)
      && (!g_input_stream_read_all (in, mask, 4, &got, NULL, NULL)
          || got != 4))
    return -1;
  while (len > 0) {
    guint8 buf[4096];
    gsize n = MIN (len, sizeof (buf));
    if (!g_input_stream_read_all (in, buf, n, &got, NULL, NULL) || got != n)
      return -1;
    len -= n;
  }
  return h[0] & 0x0f;
}

static void
write_all (GOutputStream * out, const void *data, gsize size)
{
  g_output_stream_write_all (out, data, size, NULL, NULL, NULL);
}

/* Closes with SO_LINGER 0: the peer gets a RST, not a FIN. */
static void
reset_socket (GSocketConnection * connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  struct linger linger = { 1, 0 };

  fail_unless (setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER,
          &linger, sizeof (linger)) == 0);
  g_socket_close (socket, NULL);
}

static void
serve (RawServer * srv, GSocketConnection * connection)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out =
      g_io_stream_get_output_stream (G_IO_STREAM (connection));
  GSocket *socket = g_socket_connection_get_socket (connection);
  gchar *request = read_request (in);
  gchar *accept, *response;

  if (request == NULL)
    return;

  if (srv->mode == SERVER_REFUSE) {
    response = g_strdup_printf ("HTTP/1.1 %s\r\nContent-Length: 0\r\n"
        "Connection: close\r\n%s\r\n", srv->status,
        srv->extra_headers ? srv->extra_headers : "");
    write_all (out, response, strlen (response));
    g_free (response);
    g_free (request);
    g_socket_shutdown (socket, FALSE, TRUE, NULL);
    while (read_frame (in) >= 0);       /* until the client closes */
    return;
  }

  accept = websocket_accept (request);
  fail_unless (accept != NULL, "no Sec-WebSocket-Key in %s", request);
  response = g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
  write_all (out, response, strlen (response));
  g_free (response);
  g_free (accept);
  g_free (request);

  switch (srv->mode) {
    case SERVER_RESET_AFTER_FRAME:
      read_frame (in);
      reset_socket (connection);
      break;
    case SERVER_SHUTDOWN_AFTER_FRAME:
      read_frame (in);
      g_socket_shutdown (socket, FALSE, TRUE, NULL);
      while (read_frame (in) >= 0);     /* until the client closes */
      break;
    case SERVER_RESET_AFTER_101:
      reset_socket (connection);
      break;
    case SERVER_CLOSE_AND_HOLD:{
      /* close frame, code 1001, unmasked (server to client) */
      static const guint8 close_frame[] = { 0x88, 0x02, 0x03, 0xe9 };
      gint opcode;

      write_all (out, close_frame, sizeof (close_frame));
      while ((opcode = read_frame (in)) >= 0 && opcode != 0x8);
      /* the client has sent its close frame: it is CLOSING until this
       * side closes the TCP connection (or libsoup gives up, 5 s) */
      g_mutex_lock (&srv->lock);
      srv->client_closing = TRUE;
      g_cond_broadcast (&srv->cond);
      while (!srv->release)
        g_cond_wait (&srv->cond, &srv->lock);
      srv->release = FALSE;
      g_mutex_unlock (&srv->lock);
      g_socket_shutdown (socket, FALSE, TRUE, NULL);
      while (read_frame (in) >= 0);
      break;
    }
    case SERVER_REFUSE:
      g_assert_not_reached ();
  }
}

static gboolean
on_run (GThreadedSocketService * service, GSocketConnection * connection,
    GObject * source, RawServer * srv)
{
  g_mutex_lock (&srv->lock);
  srv->active++;
  g_mutex_unlock (&srv->lock);

  serve (srv, connection);

  g_mutex_lock (&srv->lock);
  srv->active--;
  srv->handled++;
  g_cond_broadcast (&srv->cond);
  g_mutex_unlock (&srv->lock);
  return TRUE;
}

/* GSocketService accepts on the thread-default context of the thread that
 * starts it; this one is the server's own (the test thread blocks). */
static gpointer
raw_server_thread (gpointer data)
{
  RawServer *srv = data;

  g_main_context_push_thread_default (srv->context);
  g_main_loop_run (srv->loop);
  g_main_context_pop_thread_default (srv->context);
  return NULL;
}

static gboolean
raw_server_start (gpointer data)
{
  RawServer *srv = data;
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *bound = NULL;
  GError *error = NULL;

  srv->service = g_threaded_socket_service_new (4);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (srv->service), addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error))
    g_error ("cannot listen on loopback: %s", error->message);
  g_signal_connect (srv->service, "run", G_CALLBACK (on_run), srv);
  g_socket_service_start (srv->service);

  g_mutex_lock (&srv->lock);
  srv->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_cond_broadcast (&srv->cond);
  g_mutex_unlock (&srv->lock);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (loopback);
  return G_SOURCE_REMOVE;
}

static gboolean
raw_server_stop (gpointer data)
{
  RawServer *srv = data;

  g_socket_service_stop (srv->service);
  g_socket_listener_close (G_SOCKET_LISTENER (srv->service));
  g_main_loop_quit (srv->loop);
  return G_SOURCE_REMOVE;
}

static RawServer *
raw_server_new (ServerMode mode)
{
  RawServer *srv = g_new0 (RawServer, 1);

  g_mutex_init (&srv->lock);
  g_cond_init (&srv->cond);
  srv->mode = mode;
  srv->context = g_main_context_new ();
  srv->loop = g_main_loop_new (srv->context, FALSE);
  srv->thread = g_thread_new ("raw-server", raw_server_thread, srv);
  g_main_context_invoke (srv->context, raw_server_start, srv);
  g_mutex_lock (&srv->lock);
  while (srv->port == 0)
    g_cond_wait (&srv->cond, &srv->lock);
  g_mutex_unlock (&srv->lock);
  return srv;
}

/* Waits until @n connections have been served. */
static void
raw_server_wait_handled (RawServer * srv, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;

  g_mutex_lock (&srv->lock);
  while (srv->handled < n)
    fail_unless (g_cond_wait_until (&srv->cond, &srv->lock, end),
        "the server handled %u connections of %u", srv->handled, n);
  g_mutex_unlock (&srv->lock);
}

static void
raw_server_free (RawServer * srv)
{
  g_main_context_invoke (srv->context, raw_server_stop, srv);
  g_thread_join (srv->thread);
  g_mutex_lock (&srv->lock);
  while (srv->active > 0)
    g_cond_wait (&srv->cond, &srv->lock);
  g_mutex_unlock (&srv->lock);
  g_object_unref (srv->service);
  g_main_loop_unref (srv->loop);
  g_main_context_unref (srv->context);
  g_mutex_clear (&srv->lock);
  g_cond_clear (&srv->cond);
  g_free (srv);
}

/* ------------------------------------------------------------------------
 * The client side
 * ------------------------------------------------------------------------ */

static void
on_event (InworldEvent * event, gpointer user_data)
{
  g_async_queue_push (user_data, event);
}

static InworldConnection *
connect_to (RawServer * srv, GAsyncQueue * events)
{
  gchar *uri = g_strdup_printf ("ws://127.0.0.1:%u/tts/v1/voice", srv->port);
  InworldConnectionParams params = {
    .uri = uri,
    .api_key = "test-key",
    .protocol = INWORLD_PROTOCOL_INWORLD,
    .timeout_s = 10,
    .net = {.proxy = "direct://"},
  };
  InworldConnection *conn = inworld_connection_new (&params, on_event,
      events);

  g_free (uri);
  return conn;
}

static gchar *
frame (guint n)
{
  return g_strdup_printf ("{\"contextId\":\"c%u\",\"send_text\":"
      "{\"text\":\"Hello number %u.\"}}", n, n);
}

/* Runs an empty function on the connection thread and waits for it: every
 * event already due there has then been delivered. */
static gboolean
barrier_func (gpointer data)
{
  g_async_queue_push (data, GINT_TO_POINTER (1));
  return G_SOURCE_REMOVE;
}

static void
connection_thread_barrier (void)
{
  InworldSoupThread *st = inworld_soup_thread_acquire ();
  GAsyncQueue *done = g_async_queue_new ();

  inworld_soup_thread_invoke (st, barrier_func, done, NULL);
  fail_unless (g_async_queue_timeout_pop (done, WAIT_US) != NULL);
  g_async_queue_unref (done);
  inworld_soup_thread_release (st);
}

/* Sends a frame every millisecond (each one a chance to hit the moment
 * libsoup is already closing) until an event arrives; returns it. */
static InworldEvent *
send_until_event (InworldConnection * conn, GAsyncQueue * events, guint * n)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  InworldEvent *event;

  while (!(event = g_async_queue_timeout_pop (events, 1000))) {
    fail_unless (g_get_monotonic_time () < end, "no event in 10 s");
    if (*n < 2000)
      inworld_connection_send (conn, frame ((*n)++));
  }
  return event;
}

/* After the DISCONNECTED event: the socket is gone on both sides and
 * nothing else comes, a second DISCONNECTED least of all. */
static void
check_nothing_more (RawServer * srv, guint handled, GAsyncQueue * events)
{
  InworldEvent *event;

  raw_server_wait_handled (srv, handled);
  connection_thread_barrier ();
  g_usleep (5000);              /* an asynchronous close of the stream */
  connection_thread_barrier ();
  event = g_async_queue_try_pop (events);
  fail_unless (event == NULL, "an event of type %d after DISCONNECTED "
      "(code %d, %s)", event ? (gint) event->type : -1,
      event ? event->code : 0, event ? event->message : "");
}

/* The connection to a server that drops it (in @mode) reports one
 * DISCONNECTED event, whatever frames were queued or sent meanwhile. */
static void
run_drops (ServerMode mode, guint queued_before_connect)
{
  RawServer *srv = raw_server_new (mode);

  for (guint i = 0; i < ITERATIONS; i++) {
    GAsyncQueue *events = g_async_queue_new ();
    InworldConnection *conn = connect_to (srv, events);
    InworldEvent *event;
    guint n = 0;

    /* queued before the upgrade completes: sent back to back from
     * on_connected */
    while (n < queued_before_connect)
      inworld_connection_send (conn, frame (n++));
    event = send_until_event (conn, events, &n);
    fail_unless_equals_int (event->type, INWORLD_EVENT_DISCONNECTED);
    fail_unless (event->message != NULL);
    if (mode == SERVER_RESET_AFTER_101 && event->code == 0) {
      /* the reset reached libsoup before the 101 did: the upgrade failed */
      fail_unless (strstr (event->message, "could not connect") != NULL,
          "%s", event->message);
    } else {
      fail_unless_equals_int (event->code, 1006);
      fail_unless (strstr (event->message, "dropped without a WebSocket "
              "close") != NULL, "%s", event->message);
    }
    inworld_event_free (event);

    check_nothing_more (srv, i + 1, events);
    inworld_connection_free (conn);
    g_async_queue_unref (events);
  }
  raw_server_free (srv);
}

GST_START_TEST (test_reset_after_first_frame)
{
  run_drops (SERVER_RESET_AFTER_FRAME, 1);
  run_drops (SERVER_RESET_AFTER_FRAME, 5);
}

GST_END_TEST;

GST_START_TEST (test_shutdown_after_first_frame)
{
  run_drops (SERVER_SHUTDOWN_AFTER_FRAME, 1);
  run_drops (SERVER_SHUTDOWN_AFTER_FRAME, 5);
}

GST_END_TEST;

GST_START_TEST (test_reset_after_upgrade)
{
  run_drops (SERVER_RESET_AFTER_101, 1);
  run_drops (SERVER_RESET_AFTER_101, 5);
}

GST_END_TEST;

/* The server closes (1001) and holds the socket open: libsoup answers
 * and stays CLOSING until the TCP connection ends. A frame sent then is
 * dropped, not handed to libsoup (which would assert), and the
 * DISCONNECTED event comes once, with the server's code. */
GST_START_TEST (test_send_while_closing)
{
  RawServer *srv = raw_server_new (SERVER_CLOSE_AND_HOLD);

  for (guint i = 0; i < ITERATIONS; i++) {
    GAsyncQueue *events = g_async_queue_new ();
    InworldConnection *conn = connect_to (srv, events);
    InworldEvent *event;
    gint64 end = g_get_monotonic_time () + WAIT_US;

    inworld_connection_send (conn, frame (0));
    g_mutex_lock (&srv->lock);
    while (!srv->client_closing)
      fail_unless (g_cond_wait_until (&srv->cond, &srv->lock, end));
    srv->client_closing = FALSE;
    g_mutex_unlock (&srv->lock);

    for (guint n = 1; n < 4; n++)
      inworld_connection_send (conn, frame (n));
    connection_thread_barrier ();
    fail_unless (g_async_queue_try_pop (events) == NULL);

    g_mutex_lock (&srv->lock);
    srv->release = TRUE;
    g_cond_broadcast (&srv->cond);
    g_mutex_unlock (&srv->lock);

    event = g_async_queue_timeout_pop (events, WAIT_US);
    fail_unless (event != NULL);
    fail_unless_equals_int (event->type, INWORLD_EVENT_DISCONNECTED);
    fail_unless_equals_int (event->code, 1001);
    inworld_event_free (event);

    check_nothing_more (srv, i + 1, events);
    inworld_connection_free (conn);
    g_async_queue_unref (events);
  }
  raw_server_free (srv);
}

GST_END_TEST;

/* A refused first upgrade: the HTTP status is the code, the message names
 * the URI, the status line and the server's Retry-After. */
static InworldEvent *
refused (const gchar * status, const gchar * extra_headers, gchar ** uri)
{
  RawServer *srv = raw_server_new (SERVER_REFUSE);
  GAsyncQueue *events = g_async_queue_new ();
  InworldConnection *conn;
  InworldEvent *event;

  srv->status = status;
  srv->extra_headers = extra_headers;
  conn = connect_to (srv, events);
  *uri = g_strdup_printf ("ws://127.0.0.1:%u/tts/v1/voice", srv->port);
  for (guint n = 0; n < 3; n++)
    inworld_connection_send (conn, frame (n));
  event = g_async_queue_timeout_pop (events, WAIT_US);
  fail_unless (event != NULL);
  fail_unless_equals_int (event->type, INWORLD_EVENT_DISCONNECTED);
  check_nothing_more (srv, 1, events);
  inworld_connection_free (conn);
  g_async_queue_unref (events);
  raw_server_free (srv);
  return event;
}

GST_START_TEST (test_refused_503)
{
  gchar *uri, *expected;
  InworldEvent *event = refused ("503 Service Unavailable", NULL, &uri);

  fail_unless_equals_int (event->code, 503);
  expected = g_strdup_printf ("%s refused the WebSocket upgrade: "
      "HTTP 503 Service Unavailable", uri);
  fail_unless_equals_string (event->message, expected);
  g_free (expected);
  g_free (uri);
  inworld_event_free (event);
}

GST_END_TEST;

/* even a 200 is a refusal of the upgrade */
GST_START_TEST (test_refused_200)
{
  gchar *uri, *expected;
  InworldEvent *event = refused ("200 OK", NULL, &uri);

  fail_unless_equals_int (event->code, 200);
  expected = g_strdup_printf ("%s refused the WebSocket upgrade: HTTP 200 OK",
      uri);
  fail_unless_equals_string (event->message, expected);
  g_free (expected);
  g_free (uri);
  inworld_event_free (event);
}

GST_END_TEST;

GST_START_TEST (test_refused_429_retry_after)
{
  gchar *uri, *expected;
  InworldEvent *event = refused ("429 Too Many Requests",
      "Retry-After: 7\r\n", &uri);

  fail_unless_equals_int (event->code, 429);
  expected = g_strdup_printf ("%s refused the WebSocket upgrade: "
      "HTTP 429 Too Many Requests (Retry-After: 7 s)", uri);
  fail_unless_equals_string (event->message, expected);
  g_free (expected);
  g_free (uri);
  inworld_event_free (event);

  /* a date is turned into seconds from now; one in the past is 0 s */
  event = refused ("429 Too Many Requests",
      "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", &uri);
  fail_unless_equals_int (event->code, 429);
  expected = g_strdup_printf ("%s refused the WebSocket upgrade: "
      "HTTP 429 Too Many Requests (Retry-After: 0 s)", uri);
  fail_unless_equals_string (event->message, expected);
  g_free (expected);
  g_free (uri);
  inworld_event_free (event);

  /* nonsense is left out */
  event = refused ("429 Too Many Requests", "Retry-After: soon\r\n", &uri);
  expected = g_strdup_printf ("%s refused the WebSocket upgrade: "
      "HTTP 429 Too Many Requests", uri);
  fail_unless_equals_string (event->message, expected);
  g_free (expected);
  g_free (uri);
  inworld_event_free (event);
}

GST_END_TEST;

/* The layers' debug categories exist as soon as a connection does, in a
 * program that links the core library alone. */
GST_START_TEST (test_debug_categories)
{
  InworldConnectionParams params = {.uri = "ws://127.0.0.1:9/" };
  InworldConnection *conn = inworld_connection_new (&params, on_event, NULL);
  const gchar *names[] = { "inworldconnection", "inworldaudio",
    "inworldpool", "inworldsession"
  };

  GSList *all = gst_debug_get_all_categories ();

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    gboolean found = FALSE;

    for (GSList * l = all; l && !found; l = l->next)
      found = g_str_equal (gst_debug_category_get_name (l->data), names[i]);
    fail_unless (found, "no debug category %s", names[i]);
  }
  g_slist_free (all);
  inworld_connection_free (conn);
}

GST_END_TEST;

static Suite *
connection_suite (void)
{
  Suite *s = suite_create ("inworldconnection");
  TCase *tc = tcase_create ("drops");
  TCase *refusals = tcase_create ("refusals");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_reset_after_first_frame);
  tcase_add_test (tc, test_shutdown_after_first_frame);
  tcase_add_test (tc, test_reset_after_upgrade);
  tcase_add_test (tc, test_send_while_closing);

  tcase_add_test (refusals, test_debug_categories);
  suite_add_tcase (s, refusals);
  tcase_add_test (refusals, test_refused_503);
  tcase_add_test (refusals, test_refused_200);
  tcase_add_test (refusals, test_refused_429_retry_after);
  return s;
}

/* gst-check makes the criticals of GStreamer's and GLib's own log domains
 * fail the test, not those of libsoup: make every critical fatal, as
 * G_DEBUG=fatal-criticals does. */
int
main (int argc, char **argv)
{
  gst_check_init (&argc, &argv);
  g_log_set_always_fatal (g_log_set_always_fatal (G_LOG_FATAL_MASK)
      | G_LOG_LEVEL_CRITICAL);
  return gst_check_run_suite (connection_suite (), "connection", __FILE__);
}
