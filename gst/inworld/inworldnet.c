/* inworldttssrc: network settings of the connection layer (TLS, proxy)
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

#include "inworldnet.h"
#include "inworlddebug.h"

#include <string.h>

#define GST_CAT_DEFAULT inworld_connection_debug

#define USER_AGENT "gst-inworld/" VERSION

void
inworld_net_settings_copy (InworldNetSettings * dest,
    const InworldNetSettings * src)
{
  dest->ssl_insecure = src->ssl_insecure;
  dest->ssl_ca_file = g_strdup (src->ssl_ca_file);
  dest->proxy = g_strdup (src->proxy);
}

void
inworld_net_settings_clear (InworldNetSettings * settings)
{
  g_free ((gchar *) settings->ssl_ca_file);
  g_free ((gchar *) settings->proxy);
  settings->ssl_ca_file = NULL;
  settings->proxy = NULL;
  settings->ssl_insecure = FALSE;
}

gchar *
inworld_net_settings_key (const InworldNetSettings * settings)
{
  /* the proxy may hold a password: only its digest */
  gchar *proxy = settings->proxy ?
      g_compute_checksum_for_string (G_CHECKSUM_SHA256, settings->proxy, -1) :
      NULL;
  gchar *key = g_strdup_printf ("%d|%s|%s", settings->ssl_insecure ? 1 : 0,
      settings->ssl_ca_file ? settings->ssl_ca_file : "", proxy ? proxy : "");

  g_free (proxy);
  return key;
}

/* ------------------------------------------------------------------------
 * Trusted CAs
 * ------------------------------------------------------------------------ */

/* GTlsFileDatabase wants an absolute path (a relative one trusts nothing,
 * with only a warning), and says "Error while reading file" for a missing
 * one: read it first for a clear error. */
static GTlsDatabase *
ca_database_new (const gchar * ca_file, GError ** error)
{
  gchar *path = g_canonicalize_filename (ca_file, NULL);
  gchar *contents = NULL;
  GTlsDatabase *db = NULL;
  GError *err = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "the CA file %s "
        "does not exist", ca_file);
  } else if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR, "%s is a "
        "directory, not a CA file", ca_file);
  } else if (!g_file_get_contents (path, &contents, NULL, &err)) {
    /* GLib's message names the file */
    g_propagate_error (error, g_steal_pointer (&err));
  } else if (strstr (contents, "-----BEGIN CERTIFICATE-----") == NULL) {
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC, "the CA file %s "
        "holds no PEM certificate (-----BEGIN CERTIFICATE-----)", ca_file);
  } else if (!(db = g_tls_file_database_new (path, &err))) {
    g_set_error (error, err->domain, err->code, "cannot load the CA file "
        "%s: %s", ca_file, err->message);
  }
  g_clear_error (&err);
  g_free (contents);
  g_free (path);
  return db;
}

/* ------------------------------------------------------------------------
 * Proxy
 * ------------------------------------------------------------------------ */

/* The protocols GIO's GSocketClient knows how to go through (GHttpProxy,
 * GSocks*Proxy); "direct" is no proxy at all. */
static const gchar *const proxy_schemes[] = {
  "http", "socks5", "socks4a", "socks4", "direct", NULL
};

/* @proxy as written, for messages, without its password (g_free) */
static gchar *
hide_password (const gchar * proxy)
{
  GUri *uri = g_uri_parse (proxy, G_URI_FLAGS_HAS_PASSWORD, NULL);
  gchar *shown;

  if (uri) {
    shown = g_uri_to_string_partial (uri, G_URI_HIDE_PASSWORD);
    g_uri_unref (uri);
  } else if (strchr (proxy, '@')) {
    /* unparsable: keep only what follows the credentials */
    shown = g_strconcat ("...@", strrchr (proxy, '@') + 1, NULL);
  } else {
    shown = g_strdup (proxy);
  }
  return shown;
}

gchar *
inworld_net_normalize_proxy (const gchar * proxy, GError ** error)
{
  gchar *full, *shown;
  GUri *uri;
  GError *err = NULL;

  if (proxy == NULL || *proxy == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "the proxy is empty");
    return NULL;
  }
  /* as souphttpsrc does: no scheme means an HTTP proxy */
  full = strstr (proxy, "://") ? g_strdup (proxy) :
      g_strconcat ("http://", proxy, NULL);
  if (g_str_equal (full, "direct://"))
    return full;

  shown = hide_password (proxy);
  uri = g_uri_parse (full, G_URI_FLAGS_NONE, &err);
  if (uri == NULL) {
    /* GLib's reason quotes the URI: not shown, it may hold a password */
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "the proxy '%s' is not a valid URI; expected http://host:port or "
        "socks5://host:port", shown);
    g_clear_error (&err);
    g_free (shown);
    g_free (full);
    return NULL;
  }
  if (!g_strv_contains (proxy_schemes, g_uri_get_scheme (uri))
      || g_str_equal (g_uri_get_scheme (uri), "direct")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "the proxy '%s' has the unsupported scheme %s://; use http://, "
        "socks5://, socks4a:// or socks4://", shown, g_uri_get_scheme (uri));
  } else if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "the proxy '%s' names no host; expected http://host:port", shown);
  } else if ((g_uri_get_path (uri)[0] && !g_str_equal (g_uri_get_path (uri),
              "/")) || g_uri_get_query (uri) || g_uri_get_fragment (uri)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "the proxy '%s' has a path; expected only scheme://host:port", shown);
  } else {
    g_uri_unref (uri);
    g_free (shown);
    return full;
  }
  g_uri_unref (uri);
  g_free (shown);
  g_free (full);
  return NULL;
}

/* The proxy for messages (no password), or NULL when there is none. */
static gchar *
proxy_for_display (const InworldNetSettings * settings)
{
  gchar *full, *shown;
  GUri *uri;

  if (settings->proxy == NULL)
    return NULL;
  full = inworld_net_normalize_proxy (settings->proxy, NULL);
  if (full == NULL || g_str_equal (full, "direct://")) {
    g_free (full);
    return NULL;
  }
  /* HAS_PASSWORD: the password apart from the user, so it can be hidden */
  uri = g_uri_parse (full, G_URI_FLAGS_HAS_PASSWORD, NULL);
  shown = g_uri_to_string_partial (uri, G_URI_HIDE_PASSWORD);
  g_uri_unref (uri);
  g_free (full);
  return shown;
}

/* libsoup 3.2 answers a proxy's 407 to CONNECT by sending the CONNECT
 * again, but for the proxy's own host and port, so that a proxy asking for
 * credentials never opens the tunnel. Sending them with the first CONNECT
 * (Basic, as curl does for credentials in the proxy URI) avoids the 407. */
static void
on_request_queued (SoupSession * session, SoupMessage * msg,
    gpointer user_data)
{
  GUri *target, *proxy;
  gchar *lookup_uri, **proxies;
  const gchar *user, *password;

  if (g_strcmp0 (soup_message_get_method (msg), SOUP_METHOD_CONNECT) != 0)
    return;
  target = soup_message_get_uri (msg);
  lookup_uri = g_strdup_printf ("https://%s:%d/", g_uri_get_host (target),
      g_uri_get_port (target));
  /* the session's resolver: ours, or the environment's (a quick lookup:
   * it only runs for a CONNECT, i.e. when a proxy is in use) */
  proxies = g_proxy_resolver_lookup (soup_session_get_proxy_resolver
      (session), lookup_uri, NULL, NULL);
  g_free (lookup_uri);
  if (proxies == NULL || proxies[0] == NULL) {
    g_strfreev (proxies);
    return;
  }
  proxy = g_uri_parse (proxies[0], G_URI_FLAGS_HAS_PASSWORD
      | G_URI_FLAGS_ENCODED, NULL);
  g_strfreev (proxies);
  if (proxy == NULL)
    return;
  user = g_uri_get_user (proxy);
  password = g_uri_get_password (proxy);
  if (user && *user && g_str_equal (g_uri_get_scheme (proxy), "http")) {
    gchar *u = g_uri_unescape_string (user, NULL);
    gchar *p = password ? g_uri_unescape_string (password, NULL) : NULL;
    gchar *pair = g_strdup_printf ("%s:%s", u ? u : user,
        p ? p : (password ? password : ""));
    gchar *b64 = g_base64_encode ((const guchar *) pair, strlen (pair));
    gchar *value = g_strconcat ("Basic ", b64, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Proxy-Authorization", value);
    memset (pair, 0, strlen (pair));
    memset (value, 0, strlen (value));
    g_free (value);
    g_free (b64);
    g_free (pair);
    g_free (p);
    g_free (u);
  }
  g_uri_unref (proxy);
}

/* ------------------------------------------------------------------------
 * Sessions and messages
 * ------------------------------------------------------------------------ */

gboolean
inworld_net_settings_validate (const InworldNetSettings * settings,
    GError ** error)
{
  if (settings->ssl_ca_file) {
    GTlsDatabase *db = ca_database_new (settings->ssl_ca_file, error);

    if (db == NULL)
      return FALSE;
    g_object_unref (db);
  }
  if (settings->proxy) {
    gchar *proxy = inworld_net_normalize_proxy (settings->proxy, error);

    if (proxy == NULL)
      return FALSE;
    g_free (proxy);
  }
  return TRUE;
}

SoupSession *
inworld_net_session_new (const InworldNetSettings * settings, GError ** error)
{
  SoupSession *session;
  GTlsDatabase *db = NULL;
  gchar *proxy = NULL;

  inworld_debug_init ();
#ifndef GST_DISABLE_GST_DEBUG
  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_DEBUG) {
    /* the proxy's password hidden */
    gchar *shown = proxy_for_display (settings);

    GST_DEBUG ("new session: CAs %s%s, proxy %s",
        settings->ssl_ca_file ? settings->ssl_ca_file : "of the system",
        settings->ssl_insecure ? " (any certificate accepted)" : "",
        shown ? shown : settings->proxy ? "none" : "from the environment");
    g_free (shown);
  }
#endif

  if (settings->ssl_ca_file
      && !(db = ca_database_new (settings->ssl_ca_file, error)))
    return NULL;
  if (settings->proxy
      && !(proxy = inworld_net_normalize_proxy (settings->proxy, error))) {
    g_clear_object (&db);
    return NULL;
  }

  session = soup_session_new_with_options ("user-agent", USER_AGENT, NULL);
  if (db) {
    /* replaces the system's CAs for this session */
    soup_session_set_tls_database (session, db);
    g_object_unref (db);
  }
  if (proxy) {
    /* also used for "direct://": then nothing from the environment */
    GProxyResolver *resolver = g_simple_proxy_resolver_new (proxy, NULL);

    soup_session_set_proxy_resolver (session, resolver);
    g_object_unref (resolver);
    g_free (proxy);
  }
  /* else libsoup's default, g_proxy_resolver_get_default (): the
   * environment's settings (see inworldnet.h) */
  g_signal_connect (session, "request-queued", G_CALLBACK (on_request_queued),
      NULL);
  return session;
}

static gboolean
accept_any_certificate (SoupMessage * msg, GTlsCertificate * certificate,
    GTlsCertificateFlags errors, gpointer user_data)
{
  return TRUE;
}

void
inworld_net_prepare_message (SoupMessage * msg,
    const InworldNetSettings * settings)
{
  /* "accept-certificate" is only emitted for a certificate that failed
   * verification; with no handler the handshake fails */
  if (settings->ssl_insecure)
    g_signal_connect (msg, "accept-certificate",
        G_CALLBACK (accept_any_certificate), NULL);
}

/* ------------------------------------------------------------------------
 * Failures
 * ------------------------------------------------------------------------ */

gchar *
inworld_net_describe_certificate_flags (GTlsCertificateFlags flags,
    const gchar * host)
{
  GString *why = g_string_new (NULL);

#define WHY(flag, text) G_STMT_START { \
    if (flags & (flag)) { \
      g_string_append (why, why->len ? ", " : ""); \
      g_string_append (why, text); \
    } \
  } G_STMT_END
  WHY (G_TLS_CERTIFICATE_UNKNOWN_CA, "it is not signed by a trusted "
      "certificate authority");
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY) {
    g_string_append (why, why->len ? ", " : "");
    g_string_append_printf (why, "it was not issued for the host name %s",
        host);
  }
  WHY (G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet (check the "
      "clock)");
  WHY (G_TLS_CERTIFICATE_EXPIRED, "it has expired");
  WHY (G_TLS_CERTIFICATE_REVOKED, "it has been revoked");
  WHY (G_TLS_CERTIFICATE_INSECURE, "it uses an insecure algorithm");
  if (why->len == 0)
    g_string_append (why, "it is not valid");
#undef WHY
  return g_string_free (why, FALSE);
}

gchar *
inworld_net_describe_failure (SoupMessage * msg,
    const InworldNetSettings * settings, const GError * error)
{
  GUri *uri = soup_message_get_uri (msg);
  const gchar *host = g_uri_get_host (uri);
  gint port = g_uri_get_port (uri);
  gboolean secure = g_str_equal (g_uri_get_scheme (uri), "wss")
      || g_str_equal (g_uri_get_scheme (uri), "https");
  GTlsCertificateFlags flags = soup_message_get_tls_peer_certificate_errors
      (msg);
  guint status = soup_message_get_status (msg);
  gchar *proxy = proxy_for_display (settings);
  const gchar *proxy_name = proxy ? proxy :
      "from the environment (https_proxy, http_proxy)";
  gchar *text = NULL;

  if (error == NULL) {
    /* nothing to describe */
  } else if (error->domain == G_TLS_ERROR
      && (error->code == G_TLS_ERROR_BAD_CERTIFICATE || flags != 0)) {
    gchar *why = inworld_net_describe_certificate_flags (flags ? flags :
        G_TLS_CERTIFICATE_GENERIC_ERROR, host);
    gchar *trusted = NULL;

    if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
      trusted = settings->ssl_ca_file ?
          g_strdup_printf ("; the CAs trusted are those of ssl-ca-file %s",
          settings->ssl_ca_file) :
          g_strdup ("; the CAs trusted are the system's");
    text = g_strdup_printf ("the TLS certificate of %s:%d could not be "
        "verified (%s%s). Set ssl-ca-file to the CA that signed it, or "
        "ssl-strict=false for testing only", host, port, why,
        trusted ? trusted : "");
    g_free (trusted);
    g_free (why);
  } else if (error->domain == G_TLS_ERROR) {
    text = g_strdup_printf ("the TLS handshake with %s:%d failed: %s", host,
        port, error->message);
  } else if (secure && g_error_matches (error, SOUP_SESSION_ERROR,
          SOUP_SESSION_ERROR_TOO_MANY_RESTARTS)
      && soup_message_get_tls_peer_certificate (msg) == NULL) {
    /* libsoup answers a proxy's 407 with the URI's credentials, again and
     * again when they are wrong */
    text = g_strdup_printf ("the proxy %s refused the credentials (HTTP 407 "
        "after each try) for a tunnel to %s:%d; check the user and "
        "password in the proxy URI", proxy_name, host, port);
  } else if (secure && status >= 300
      && soup_message_get_tls_peer_certificate (msg) == NULL) {
    /* an HTTP answer before any TLS: the proxy's, to CONNECT */
    if (status == SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED)
      text = g_strdup_printf ("the proxy %s asks for credentials (HTTP 407) "
          "to open a tunnel to %s:%d; put them in the proxy URI, "
          "http://user:password@host:port", proxy_name, host, port);
    else
      text = g_strdup_printf ("the proxy %s refused to open a tunnel to "
          "%s:%d: HTTP %u %s", proxy_name, host, port, status,
          soup_message_get_reason_phrase (msg) ?
          soup_message_get_reason_phrase (msg) : "");
  } else if (proxy && status == 0 && (error->domain == G_IO_ERROR
          || error->domain == G_RESOLVER_ERROR)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    text = g_strdup_printf ("could not reach %s:%d through the proxy %s: %s",
        host, port, proxy, error->message);
  } else if (error->domain == G_IO_ERROR
      && (error->code == G_IO_ERROR_PROXY_FAILED
          || error->code == G_IO_ERROR_PROXY_AUTH_FAILED
          || error->code == G_IO_ERROR_PROXY_NEED_AUTH
          || error->code == G_IO_ERROR_PROXY_NOT_ALLOWED)) {
    text = g_strdup_printf ("could not reach %s:%d through the proxy %s: %s",
        host, port, proxy_name, error->message);
  }
  g_free (proxy);
  return text;
}
