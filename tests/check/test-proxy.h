/* A small HTTP proxy on loopback, for the tests
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  TEST_PROXY_TUNNEL,            /* CONNECT makes a tunnel; an absolute-form
                                 * request (GET ws://host:port/path) is
                                 * forwarded, then bytes are relayed */
  TEST_PROXY_REFUSE,            /* every request: 403 Forbidden */
  TEST_PROXY_AUTH,              /* as TUNNEL, but only with
                                 * Proxy-Authorization: Basic of
                                 * TEST_PROXY_USER:TEST_PROXY_PASSWORD,
                                 * else 407 */
  TEST_PROXY_SOCKS5,            /* a SOCKS5 proxy (no authentication);
                                 * requests are logged as
                                 * "SOCKS5 CONNECT host:port" */
} TestProxyMode;

#define TEST_PROXY_USER "tester"
#define TEST_PROXY_PASSWORD "s3cret"

typedef struct _TestProxy TestProxy;

/* Listens on 127.0.0.1, on a free port, with threads of its own. */
TestProxy *test_proxy_new (TestProxyMode mode);
/* http://127.0.0.1:PORT, socks5://127.0.0.1:PORT for SOCKS5 (g_free) */
gchar *test_proxy_uri (TestProxy * proxy);
guint test_proxy_port (TestProxy * proxy);
/* Tunnels (or forwarded requests) opened to a target so far. */
guint test_proxy_tunnels (TestProxy * proxy);
/* The request lines received so far ("CONNECT 127.0.0.1:4242 HTTP/1.1",
 * "GET ws://127.0.0.1:4242/path HTTP/1.1", "SOCKS5 CONNECT
 * 127.0.0.1:4242"), g_strfreev. */
gchar **test_proxy_requests (TestProxy * proxy);
/* Stops listening, cuts every connection and joins every thread. */
void test_proxy_free (TestProxy * proxy);

G_END_DECLS
