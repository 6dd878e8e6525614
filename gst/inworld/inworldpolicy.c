/* inworldttssrc: what to do about each error of the server
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

#include "inworldpolicy.h"

static InworldPolicy
policy (InworldPolicyAction action, InworldFailure failure)
{
  InworldPolicy p = { action, failure };

  return p;
}

const gchar *
inworld_grpc_code_name (gint code)
{
  static const gchar *names[] = { "OK", "CANCELLED", "UNKNOWN",
    "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"
  };

  if (code >= 0 && code < (gint) G_N_ELEMENTS (names))
    return names[code];
  return "";
}

/* Inworld's gRPC status codes, in a context (@in_context) or top-level. */
static InworldPolicy
decide_inworld_error (gint code, gboolean in_context,
    const InworldPolicyState * state)
{
  switch (code) {
    case 3:                    /* INVALID_ARGUMENT */
      /* top-level: a frame of ours was not understood; in a context: a
       * request (its settings, its text) was refused and would be again */
      return in_context ? policy (INWORLD_POLICY_FAIL,
          INWORLD_FAILURE_SETTINGS) : policy (INWORLD_POLICY_WARN,
          INWORLD_FAILURE_NONE);
    case 5:                    /* NOT_FOUND */
      /* before contextCreated: its voice or model does not exist; after:
       * the server lost the context, which a new one replaces (if text
       * is left to speak) */
      return state->created ? policy (INWORLD_POLICY_RETRY,
          INWORLD_FAILURE_SERVER) : policy (INWORLD_POLICY_FAIL,
          INWORLD_FAILURE_SETTINGS);
    case 7:                    /* PERMISSION_DENIED */
    case 16:                   /* UNAUTHENTICATED */
      return policy (INWORLD_POLICY_FAIL, INWORLD_FAILURE_AUTH);
    case 8:                    /* RESOURCE_EXHAUSTED */
      /* a refused create reaches the element only once other connections
       * refused it too; anything else is a quota that may free up */
      return in_context && !state->created ? policy (INWORLD_POLICY_FAIL,
          INWORLD_FAILURE_BUSY) : policy (INWORLD_POLICY_RETRY,
          INWORLD_FAILURE_BUSY);
    case 4:                    /* DEADLINE_EXCEEDED */
    case 10:                   /* ABORTED: "Paused due to inactivity" */
    case 14:                   /* UNAVAILABLE */
      return policy (INWORLD_POLICY_RETRY, INWORLD_FAILURE_SERVER);
    default:
      return policy (INWORLD_POLICY_FAIL, INWORLD_FAILURE_SERVER);
  }
}

/* SLNG's string codes. */
static InworldPolicy
decide_slng_error (const gchar * name)
{
  if (g_strcmp0 (name, "auth_error") == 0)
    return policy (INWORLD_POLICY_FAIL, INWORLD_FAILURE_AUTH);
  if (g_strcmp0 (name, "config_error") == 0)
    return policy (INWORLD_POLICY_FAIL, INWORLD_FAILURE_SETTINGS);
  if (g_strcmp0 (name, "rate_limit") == 0)
    return policy (INWORLD_POLICY_RETRY, INWORLD_FAILURE_BUSY);
  return policy (INWORLD_POLICY_FAIL, INWORLD_FAILURE_SERVER);
}

/* A refused upgrade (HTTP status) or a closed socket (WebSocket code). */
static InworldPolicy
decide_disconnect (gint code, const InworldPolicyState * state)
{
  if (code == 401 || code == 403)
    return policy (INWORLD_POLICY_FAIL, INWORLD_FAILURE_AUTH);
  if (code == 429)
    return policy (INWORLD_POLICY_RETRY, INWORLD_FAILURE_BUSY);
  if (code == 502 || code == 503 || code == 504)
    return policy (INWORLD_POLICY_RETRY, INWORLD_FAILURE_SERVER);
  if (code > 0 && code < 1000)
    return policy (INWORLD_POLICY_FAIL, INWORLD_FAILURE_UNREACHABLE);
  if (code == 0)
    /* no connection at all: a wrong address, unless it worked before */
    return state->ever_connected ? policy (INWORLD_POLICY_RETRY,
        INWORLD_FAILURE_SERVER) : policy (INWORLD_POLICY_FAIL,
        INWORLD_FAILURE_UNREACHABLE);
  switch (code) {
    case 1009:                 /* a frame over our limit: it would again */
      return policy (INWORLD_POLICY_FAIL, INWORLD_FAILURE_TOO_BIG);
    case 1002:                 /* protocol error */
    case 1003:                 /* unsupported data */
    case 1007:                 /* invalid payload */
    case 1008:                 /* policy violation */
      return policy (INWORLD_POLICY_FAIL, INWORLD_FAILURE_SERVER);
    default:                   /* 1000, 1001, 1006, 1011-1014... */
      return policy (INWORLD_POLICY_RETRY, INWORLD_FAILURE_SERVER);
  }
}

InworldPolicy
inworld_policy_decide (const InworldProtocol * proto,
    const InworldEvent * event, const InworldPolicyState * state)
{
  switch (event->type) {
    case INWORLD_EVENT_DISCONNECTED:
      return decide_disconnect (event->code, state);
    case INWORLD_EVENT_ERROR:
      if (proto->kind == INWORLD_PROTOCOL_SLNG)
        return decide_slng_error (event->code_name);
      return decide_inworld_error (event->code, event->context_id != NULL,
          state);
    default:
      return policy (INWORLD_POLICY_IGNORE, INWORLD_FAILURE_NONE);
  }
}

const gchar *
inworld_policy_action_name (InworldPolicyAction action)
{
  switch (action) {
    case INWORLD_POLICY_IGNORE:
      return "ignore";
    case INWORLD_POLICY_WARN:
      return "warn";
    case INWORLD_POLICY_RETRY:
      return "retry";
    case INWORLD_POLICY_FAIL:
      return "fail";
  }
  return "?";
}
