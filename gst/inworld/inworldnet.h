/* inworldttssrc: network settings of the connection layer (TLS, proxy)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* How a connection reaches its server: which certificates it trusts and
 * which proxy it goes through. Turns those settings into a SoupSession
 * and a SoupMessage, and a failed upgrade into a message a person can act
 * on. Knows nothing of WebSocket frames or GStreamer. */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* All zero (the value callers get from "= { 0 }") is the safe default:
 * the server's certificate is verified against the system's CAs and the
 * proxy comes from the environment. */
typedef struct
{
  gboolean ssl_insecure;        /* accept any server certificate (tests) */
  const gchar *ssl_ca_file;     /* PEM file of the CAs trusted instead of
                                 * the system's; NULL = the system's */
  const gchar *proxy;           /* http://host:port, socks5://host:port...,
                                 * direct:// (none); NULL = the environment */
} InworldNetSettings;

/* Deep copy into @dest (clear it with inworld_net_settings_clear). */
void inworld_net_settings_copy (InworldNetSettings * dest,
    const InworldNetSettings * src);
void inworld_net_settings_clear (InworldNetSettings * settings);
/* Equal for two settings exactly when they give equivalent sessions. */
gchar *inworld_net_settings_key (const InworldNetSettings * settings);

/* Checks that the CA file can be read and holds a certificate, and that
 * the proxy is a URI a session can use; the error names the file or the
 * proxy. */
gboolean inworld_net_settings_validate (const InworldNetSettings * settings,
    GError ** error);

/* A proxy as the user may write it ("proxy:3128" means
 * "http://proxy:3128"), or NULL if it is not a proxy URI this layer
 * supports (@error says why). */
gchar *inworld_net_normalize_proxy (const gchar * proxy, GError ** error);

/* A new session (on the calling thread's thread-default context, as
 * libsoup wants) with the user agent, the trusted CAs and the proxy of
 * @settings; NULL and @error if the CA file or the proxy is unusable.
 * Without a proxy setting the session keeps libsoup's default resolver,
 * g_proxy_resolver_get_default (): with glib-networking that honours
 * https_proxy (wss://), http_proxy (ws://, and wss:// when https_proxy is
 * unset), their upper-case forms and no_proxy. */
SoupSession *inworld_net_session_new (const InworldNetSettings * settings,
    GError ** error);

/* Per-message TLS policy: with ssl_insecure, any certificate is accepted. */
void inworld_net_prepare_message (SoupMessage * msg,
    const InworldNetSettings * settings);

/* When @error (from soup_session_websocket_connect_finish on @msg) comes
 * from the TLS handshake or from the proxy, what went wrong and what to
 * change ("the TLS certificate of host:port could not be verified (...).
 * Set ssl-ca-file ..."); NULL for any other failure. */
gchar *inworld_net_describe_failure (SoupMessage * msg,
    const InworldNetSettings * settings, const GError * error);

/* "it has expired, it is not for host example.com": why a certificate
 * with @flags was rejected (g_free). */
gchar *inworld_net_describe_certificate_flags (GTlsCertificateFlags flags,
    const gchar * host);

G_END_DECLS
