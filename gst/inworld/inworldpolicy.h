/* inworldttssrc: what to do about each error of the server
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The error policy, one table for both protocols (docs/errors.md): which
 * errors are retried on a fresh context (and connection), which are only
 * a warning, which end the stream. Pure: no I/O, no GStreamer. */

#pragma once

#include "inworldprotocol.h"

G_BEGIN_DECLS

typedef enum
{
  INWORLD_POLICY_IGNORE,        /* expected; logged only */
  INWORLD_POLICY_WARN,          /* a warning, the stream goes on */
  INWORLD_POLICY_RETRY,         /* a new context on a new connection,
                                 * after back-off; unspoken text re-sent */
  INWORLD_POLICY_FAIL,          /* an element error */
} InworldPolicyAction;

/* Why a failure is fatal, for the element's error domain and text. */
typedef enum
{
  INWORLD_FAILURE_NONE,
  INWORLD_FAILURE_AUTH,         /* bad, missing or refused key */
  INWORLD_FAILURE_SETTINGS,     /* voice, model, encoding... refused */
  INWORLD_FAILURE_BUSY,         /* limits of the account or service */
  INWORLD_FAILURE_UNREACHABLE,  /* never connected */
  INWORLD_FAILURE_TOO_BIG,      /* a frame over the size limit */
  INWORLD_FAILURE_SERVER,       /* anything else */
} InworldFailure;

typedef struct
{
  InworldPolicyAction action;
  InworldFailure failure;       /* FAIL, and RETRY once out of retries */
} InworldPolicy;

/* What the state of the context changes. */
typedef struct
{
  gboolean created;             /* its contextCreated came */
  gboolean closing;             /* its close was sent */
  gboolean ever_connected;      /* the server answered this stream before */
} InworldPolicyState;

/* @event is an ERROR or DISCONNECTED event. */
InworldPolicy inworld_policy_decide (const InworldProtocol * proto,
    const InworldEvent * event, const InworldPolicyState * state);

const gchar *inworld_policy_action_name (InworldPolicyAction action);

/* The gRPC name of an Inworld status code ("UNAVAILABLE"), or "". */
const gchar *inworld_grpc_code_name (gint code);

G_END_DECLS
