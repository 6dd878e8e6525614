/* A small HTTP proxy on loopback, for the tests
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Blocking I/O, one thread per client connection and one more per
 * relayed direction: simple, and enough for a few connections. Stopping
 * shuts every socket down, which wakes every blocked read. */

#include "test-proxy.h"

#include <string.h>

#define MAX_HEAD (16 * 1024)

struct _TestProxy
{
  TestProxyMode mode;
  GSocketListener *listener;
  guint16 port;
  GCancellable *cancellable;
  GThread *accept_thread;

  GMutex lock;
  GPtrArray *threads;           /* GThread *, joined by test_proxy_free */
  GPtrArray *sockets;           /* GSocketConnection *, shut down on free */
  GPtrArray *requests;          /* gchar * */
  guint tunnels;
  gboolean stopping;
};

typedef struct
{
  TestProxy *proxy;
  GSocketConnection *client;
} Client;

typedef struct
{
  GSocketConnection *from, *to;
} Pump;

static void
track_socket (TestProxy * proxy, GSocketConnection * conn)
{
  g_mutex_lock (&proxy->lock);
  g_ptr_array_add (proxy->sockets, g_object_ref (conn));
  if (proxy->stopping)
    g_socket_shutdown (g_socket_connection_get_socket (conn), TRUE, TRUE,
        NULL);
  g_mutex_unlock (&proxy->lock);
}

static void
track_thread (TestProxy * proxy, GThread * thread)
{
  g_mutex_lock (&proxy->lock);
  g_ptr_array_add (proxy->threads, thread);
  g_mutex_unlock (&proxy->lock);
}

static gboolean
write_string (GSocketConnection * conn, const gchar * s)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream
      (G_IO_STREAM (conn)), s, strlen (s), NULL, NULL, NULL);
}

/* The request head, up to and with its blank line, or NULL. */
static gchar *
read_head (GSocketConnection * conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GString *head = g_string_new (NULL);
  gchar c;

  while (head->len < MAX_HEAD) {
    if (g_input_stream_read (in, &c, 1, NULL, NULL) != 1)
      break;
    g_string_append_c (head, c);
    if (g_str_has_suffix (head->str, "\r\n\r\n"))
      return g_string_free (head, FALSE);
  }
  g_string_free (head, TRUE);
  return NULL;
}

static gpointer
pump_func (gpointer data)
{
  Pump *pump = data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (pump->from));
  GOutputStream *out =
      g_io_stream_get_output_stream (G_IO_STREAM (pump->to));
  gchar buf[16384];
  gssize n;

  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL)) > 0)
    if (!g_output_stream_write_all (out, buf, n, NULL, NULL, NULL))
      break;
  /* the other side sees the end; its own pump goes on */
  g_socket_shutdown (g_socket_connection_get_socket (pump->to), FALSE, TRUE,
      NULL);
  return NULL;
}

static gboolean
authorized (const gchar * head)
{
  gchar *credentials = g_base64_encode ((const guchar *) TEST_PROXY_USER ":"
      TEST_PROXY_PASSWORD, strlen (TEST_PROXY_USER ":" TEST_PROXY_PASSWORD));
  gchar *line = g_strdup_printf ("\r\nProxy-Authorization: Basic %s\r\n",
      credentials);
  gchar *lower_head = g_ascii_strdown (head, -1);
  gchar *lower_line = g_ascii_strdown (line, -1);
  /* the value is case-sensitive, the header name is not */
  gboolean ok = strstr (lower_head, lower_line) != NULL
      && strstr (head, credentials) != NULL;

  g_free (lower_line);
  g_free (lower_head);
  g_free (line);
  g_free (credentials);
  return ok;
}

static gboolean
read_exact (GSocketConnection * conn, guint8 * buf, gsize n)
{
  gsize got = 0;

  return g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM
          (conn)), buf, n, &got, NULL, NULL) && got == n;
}

static gboolean
write_bytes (GSocketConnection * conn, const guint8 * buf, gsize n)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream
      (G_IO_STREAM (conn)), buf, n, NULL, NULL, NULL);
}

/* The SOCKS5 greeting and CONNECT request (RFC 1928), without
 * authentication; returns "host:port", or NULL after answering an error. */
static gchar *
socks5_handshake (GSocketConnection * conn)
{
  static const guint8 no_auth[] = { 5, 0 };
  static const guint8 refused[] = { 5, 7, 0, 1, 0, 0, 0, 0, 0, 0 };
  guint8 buf[256];
  gchar *host = NULL, *target;
  guint16 port;

  if (!read_exact (conn, buf, 2) || buf[0] != 5
      || !read_exact (conn, buf + 2, buf[1]) || !write_bytes (conn, no_auth, 2))
    return NULL;
  /* VER CMD RSV ATYP */
  if (!read_exact (conn, buf, 4))
    return NULL;
  if (buf[0] != 5 || buf[1] != 1) {
    write_bytes (conn, refused, sizeof refused);
    return NULL;
  }
  switch (buf[3]) {
    case 1:
      if (!read_exact (conn, buf, 4))
        return NULL;
      host = g_strdup_printf ("%u.%u.%u.%u", buf[0], buf[1], buf[2], buf[3]);
      break;
    case 3:
      if (!read_exact (conn, buf, 1) || !read_exact (conn, buf + 1, buf[0]))
        return NULL;
      host = g_strndup ((const gchar *) buf + 1, buf[0]);
      break;
    default:                   /* IPv6: not on loopback tests */
      write_bytes (conn, refused, sizeof refused);
      return NULL;
  }
  if (!read_exact (conn, buf, 2)) {
    g_free (host);
    return NULL;
  }
  port = (buf[0] << 8) | buf[1];
  target = g_strdup_printf ("%s:%u", host, port);
  g_free (host);
  return target;
}

/* SOCKS5: handshake, then the same relay as a CONNECT tunnel. */
static void
socks5_client (TestProxy * proxy, GSocketConnection * client)
{
  static const guint8 granted[] = { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
  static const guint8 unreachable[] = { 5, 5, 0, 1, 0, 0, 0, 0, 0, 0 };
  gchar *target = socks5_handshake (client);
  GSocketClient *connector;
  GSocketConnection *upstream;
  GThread *back_thread;
  Pump back, ahead;

  if (target == NULL)
    return;
  g_mutex_lock (&proxy->lock);
  g_ptr_array_add (proxy->requests, g_strconcat ("SOCKS5 CONNECT ", target,
          NULL));
  g_mutex_unlock (&proxy->lock);

  connector = g_socket_client_new ();
  g_socket_client_set_enable_proxy (connector, FALSE);
  upstream = g_socket_client_connect_to_host (connector, target, 0, NULL,
      NULL);
  g_object_unref (connector);
  g_free (target);
  if (upstream == NULL) {
    write_bytes (client, unreachable, sizeof unreachable);
    return;
  }
  track_socket (proxy, upstream);
  g_mutex_lock (&proxy->lock);
  proxy->tunnels++;
  g_mutex_unlock (&proxy->lock);

  if (write_bytes (client, granted, sizeof granted)) {
    back.from = upstream;
    back.to = client;
    back_thread = g_thread_new ("test-proxy-back", pump_func, &back);
    ahead.from = client;
    ahead.to = upstream;
    pump_func (&ahead);
    g_thread_join (back_thread);
  }
  g_io_stream_close (G_IO_STREAM (upstream), NULL, NULL);
  g_object_unref (upstream);
}

static gpointer
client_func (gpointer data)
{
  Client *client = data;
  TestProxy *proxy = client->proxy;
  gchar *head = NULL;
  gchar **lines = NULL, **request = NULL;
  gchar *target = NULL, *forward = NULL;
  GSocketConnection *upstream = NULL;
  GSocketClient *connector;
  Pump back;
  GThread *back_thread;
  Pump ahead;

  if (proxy->mode == TEST_PROXY_SOCKS5) {
    socks5_client (proxy, client->client);
    goto done;
  }

again:
  head = read_head (client->client);
  if (head == NULL)
    goto done;
  lines = g_strsplit (head, "\r\n", 2);
  g_mutex_lock (&proxy->lock);
  g_ptr_array_add (proxy->requests, g_strdup (lines[0]));
  g_mutex_unlock (&proxy->lock);
  request = g_strsplit (lines[0], " ", 3);
  if (g_strv_length (request) != 3) {
    write_string (client->client, "HTTP/1.1 400 Bad Request\r\n"
        "Content-Length: 0\r\n\r\n");
    goto done;
  }

  if (proxy->mode == TEST_PROXY_REFUSE) {
    write_string (client->client, "HTTP/1.1 403 Forbidden\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n");
    goto done;
  }
  if (proxy->mode == TEST_PROXY_AUTH && !authorized (head)) {
    /* the connection stays open for the request with credentials, as
     * real proxies keep it */
    if (!write_string (client->client, "HTTP/1.1 407 Proxy Authentication "
            "Required\r\nProxy-Authenticate: Basic realm=\"test-proxy\"\r\n"
            "Content-Length: 0\r\n\r\n"))
      goto done;
    g_clear_pointer (&request, g_strfreev);
    g_clear_pointer (&lines, g_strfreev);
    g_clear_pointer (&head, g_free);
    goto again;
  }

  if (g_str_equal (request[0], "CONNECT")) {
    target = g_strdup (request[1]);
  } else {
    /* absolute form: scheme://host:port/path -> host:port and /path */
    GUri *uri = g_uri_parse (request[1], G_URI_FLAGS_NONE, NULL);

    if (uri == NULL || g_uri_get_port (uri) <= 0) {
      g_clear_pointer (&uri, g_uri_unref);
      write_string (client->client, "HTTP/1.1 400 Bad Request\r\n"
          "Content-Length: 0\r\n\r\n");
      goto done;
    }
    target = g_strdup_printf ("%s:%d", g_uri_get_host (uri),
        g_uri_get_port (uri));
    forward = g_strdup_printf ("%s %s%s%s %s\r\n%s", request[0],
        *g_uri_get_path (uri) ? g_uri_get_path (uri) : "/",
        g_uri_get_query (uri) ? "?" : "",
        g_uri_get_query (uri) ? g_uri_get_query (uri) : "", request[2],
        lines[1] ? lines[1] : "\r\n");
    g_uri_unref (uri);
  }

  connector = g_socket_client_new ();
  g_socket_client_set_enable_proxy (connector, FALSE);
  upstream = g_socket_client_connect_to_host (connector, target, 0, NULL,
      NULL);
  g_object_unref (connector);
  if (upstream == NULL) {
    write_string (client->client, "HTTP/1.1 502 Bad Gateway\r\n"
        "Content-Length: 0\r\n\r\n");
    goto done;
  }
  track_socket (proxy, upstream);
  g_mutex_lock (&proxy->lock);
  proxy->tunnels++;
  g_mutex_unlock (&proxy->lock);

  if (forward ? !write_string (upstream, forward) :
      !write_string (client->client, "HTTP/1.1 200 Connection "
          "established\r\n\r\n"))
    goto done;

  back.from = upstream;
  back.to = client->client;
  back_thread = g_thread_new ("test-proxy-back", pump_func, &back);
  ahead.from = client->client;
  ahead.to = upstream;
  pump_func (&ahead);
  g_thread_join (back_thread);

done:
  if (upstream) {
    g_io_stream_close (G_IO_STREAM (upstream), NULL, NULL);
    g_object_unref (upstream);
  }
  g_io_stream_close (G_IO_STREAM (client->client), NULL, NULL);
  g_object_unref (client->client);
  g_free (target);
  g_free (forward);
  g_strfreev (request);
  g_strfreev (lines);
  g_free (head);
  g_free (client);
  return NULL;
}

static gpointer
accept_func (gpointer data)
{
  TestProxy *proxy = data;
  GSocketConnection *conn;

  while ((conn = g_socket_listener_accept (proxy->listener, NULL,
              proxy->cancellable, NULL))) {
    Client *client = g_new0 (Client, 1);

    client->proxy = proxy;
    client->client = conn;
    track_socket (proxy, conn);
    track_thread (proxy, g_thread_new ("test-proxy-client", client_func,
            client));
  }
  return NULL;
}

TestProxy *
test_proxy_new (TestProxyMode mode)
{
  TestProxy *proxy = g_new0 (TestProxy, 1);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  GSocketAddress *effective = NULL;
  GError *error = NULL;

  proxy->mode = mode;
  g_mutex_init (&proxy->lock);
  proxy->threads = g_ptr_array_new ();
  proxy->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  proxy->requests = g_ptr_array_new_with_free_func (g_free);
  proxy->cancellable = g_cancellable_new ();
  proxy->listener = g_socket_listener_new ();
  if (!g_socket_listener_add_address (proxy->listener, addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
          &error))
    g_error ("test proxy: cannot listen: %s", error->message);
  proxy->port =
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_object_unref (effective);
  g_object_unref (addr);
  g_object_unref (lo);
  proxy->accept_thread = g_thread_new ("test-proxy", accept_func, proxy);
  return proxy;
}

gchar *
test_proxy_uri (TestProxy * proxy)
{
  return g_strdup_printf ("%s://127.0.0.1:%u",
      proxy->mode == TEST_PROXY_SOCKS5 ? "socks5" : "http", proxy->port);
}

guint
test_proxy_port (TestProxy * proxy)
{
  return proxy->port;
}

guint
test_proxy_tunnels (TestProxy * proxy)
{
  guint n;

  g_mutex_lock (&proxy->lock);
  n = proxy->tunnels;
  g_mutex_unlock (&proxy->lock);
  return n;
}

gchar **
test_proxy_requests (TestProxy * proxy)
{
  gchar **lines;

  g_mutex_lock (&proxy->lock);
  lines = g_new0 (gchar *, proxy->requests->len + 1);
  for (guint i = 0; i < proxy->requests->len; i++)
    lines[i] = g_strdup (g_ptr_array_index (proxy->requests, i));
  g_mutex_unlock (&proxy->lock);
  return lines;
}

void
test_proxy_free (TestProxy * proxy)
{
  if (proxy == NULL)
    return;

  g_cancellable_cancel (proxy->cancellable);
  g_thread_join (proxy->accept_thread);
  g_socket_listener_close (proxy->listener);

  /* no new thread starts now; wake those blocked in a read */
  g_mutex_lock (&proxy->lock);
  proxy->stopping = TRUE;
  for (guint i = 0; i < proxy->sockets->len; i++)
    g_socket_shutdown (g_socket_connection_get_socket (g_ptr_array_index
            (proxy->sockets, i)), TRUE, TRUE, NULL);
  g_mutex_unlock (&proxy->lock);

  /* a client thread may still add its upstream socket (shut down at
   * once, as stopping is set) but no thread */
  for (guint i = 0; i < proxy->threads->len; i++)
    g_thread_join (g_ptr_array_index (proxy->threads, i));

  g_ptr_array_unref (proxy->threads);
  g_ptr_array_unref (proxy->sockets);
  g_ptr_array_unref (proxy->requests);
  g_object_unref (proxy->listener);
  g_object_unref (proxy->cancellable);
  g_mutex_clear (&proxy->lock);
  g_free (proxy);
}
