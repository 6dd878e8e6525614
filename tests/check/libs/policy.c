/* inworldttssrc: the error policy table (docs/errors.md) and the
 * reconnection back-off
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

#include <gst/check/gstcheck.h>

#include "inworldpolicy.h"
#include "inworldpool.h"

#define IGNORE INWORLD_POLICY_IGNORE
#define WARN INWORLD_POLICY_WARN
#define RETRY INWORLD_POLICY_RETRY
#define FAIL INWORLD_POLICY_FAIL

typedef struct
{
  InworldEventType type;
  gboolean in_context;          /* ERROR: with a context id */
  gint code;
  const gchar *code_name;       /* SLNG */
  gboolean created;
  gboolean ever_connected;
  InworldPolicyAction action;
  InworldFailure failure;
} Row;

/* docs/errors.md, row by row */
static const Row inworld_rows[] = {
  /* in a context, before and after contextCreated */
  {INWORLD_EVENT_ERROR, TRUE, 3, NULL, FALSE, TRUE, FAIL,
      INWORLD_FAILURE_SETTINGS},
  {INWORLD_EVENT_ERROR, TRUE, 3, NULL, TRUE, TRUE, FAIL,
      INWORLD_FAILURE_SETTINGS},
  {INWORLD_EVENT_ERROR, TRUE, 5, NULL, FALSE, TRUE, FAIL,
      INWORLD_FAILURE_SETTINGS},
  {INWORLD_EVENT_ERROR, TRUE, 5, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_ERROR, TRUE, 7, NULL, TRUE, TRUE, FAIL,
      INWORLD_FAILURE_AUTH},
  {INWORLD_EVENT_ERROR, TRUE, 8, NULL, FALSE, TRUE, FAIL,
      INWORLD_FAILURE_BUSY},
  {INWORLD_EVENT_ERROR, TRUE, 8, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_BUSY},
  {INWORLD_EVENT_ERROR, TRUE, 10, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_ERROR, TRUE, 14, NULL, FALSE, TRUE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_ERROR, TRUE, 16, NULL, TRUE, TRUE, FAIL,
      INWORLD_FAILURE_AUTH},
  {INWORLD_EVENT_ERROR, TRUE, 13, NULL, TRUE, TRUE, FAIL,
      INWORLD_FAILURE_SERVER},
  /* top-level */
  {INWORLD_EVENT_ERROR, FALSE, 3, NULL, TRUE, TRUE, WARN,
      INWORLD_FAILURE_NONE},
  {INWORLD_EVENT_ERROR, FALSE, 4, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_ERROR, FALSE, 7, NULL, FALSE, TRUE, FAIL,
      INWORLD_FAILURE_AUTH},
  {INWORLD_EVENT_ERROR, FALSE, 8, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_BUSY},
  {INWORLD_EVENT_ERROR, FALSE, 10, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_ERROR, FALSE, 14, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_ERROR, FALSE, 16, NULL, FALSE, TRUE, FAIL,
      INWORLD_FAILURE_AUTH},
  {INWORLD_EVENT_ERROR, FALSE, 2, NULL, TRUE, TRUE, FAIL,
      INWORLD_FAILURE_SERVER},
  /* the socket */
  {INWORLD_EVENT_DISCONNECTED, FALSE, 0, NULL, FALSE, FALSE, FAIL,
      INWORLD_FAILURE_UNREACHABLE},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 0, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 401, NULL, FALSE, FALSE, FAIL,
      INWORLD_FAILURE_AUTH},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 403, NULL, FALSE, TRUE, FAIL,
      INWORLD_FAILURE_AUTH},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 404, NULL, FALSE, FALSE, FAIL,
      INWORLD_FAILURE_UNREACHABLE},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 429, NULL, FALSE, FALSE, RETRY,
      INWORLD_FAILURE_BUSY},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 503, NULL, FALSE, FALSE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 1000, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 1006, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 1011, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 1008, NULL, TRUE, TRUE, FAIL,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 1009, NULL, TRUE, TRUE, FAIL,
      INWORLD_FAILURE_TOO_BIG},
};

static const Row slng_rows[] = {
  {INWORLD_EVENT_ERROR, TRUE, 0, "auth_error", FALSE, TRUE, FAIL,
      INWORLD_FAILURE_AUTH},
  {INWORLD_EVENT_ERROR, TRUE, 0, "config_error", FALSE, TRUE, FAIL,
      INWORLD_FAILURE_SETTINGS},
  {INWORLD_EVENT_ERROR, TRUE, 0, "rate_limit", TRUE, TRUE, RETRY,
      INWORLD_FAILURE_BUSY},
  {INWORLD_EVENT_ERROR, TRUE, 0, "provider_error", TRUE, TRUE, FAIL,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 1000, NULL, TRUE, TRUE, RETRY,
      INWORLD_FAILURE_SERVER},
  {INWORLD_EVENT_DISCONNECTED, FALSE, 401, NULL, FALSE, FALSE, FAIL,
      INWORLD_FAILURE_AUTH},
};

static void
check_rows (InworldProtocolKind kind, const Row * rows, guint n)
{
  const InworldProtocol *proto = inworld_protocol_get (kind);

  for (guint i = 0; i < n; i++) {
    const Row *r = &rows[i];
    InworldEvent *event = inworld_event_new (r->type, r->in_context ?
        "ctx-1" : NULL);
    InworldPolicyState state = { r->created, FALSE, r->ever_connected };
    InworldPolicy p;

    event->code = r->code;
    event->code_name = g_strdup (r->code_name);
    event->message = g_strdup ("a message");
    p = inworld_policy_decide (proto, event, &state);
    fail_unless (p.action == r->action && p.failure == r->failure,
        "%s %s code %d %s (created %d): %s/%d, expected %s/%d", proto->name,
        inworld_event_type_name (r->type), r->code,
        r->code_name ? r->code_name : "", r->created,
        inworld_policy_action_name (p.action), p.failure,
        inworld_policy_action_name (r->action), r->failure);
    /* closing changes none of it: what was flushed must still be spoken */
    state.closing = TRUE;
    p = inworld_policy_decide (proto, event, &state);
    fail_unless (p.action == r->action, "closing changed %s code %d",
        inworld_event_type_name (r->type), r->code);
    inworld_event_free (event);
  }
}

GST_START_TEST (test_inworld_table)
{
  check_rows (INWORLD_PROTOCOL_INWORLD, inworld_rows,
      G_N_ELEMENTS (inworld_rows));
}

GST_END_TEST;

GST_START_TEST (test_slng_table)
{
  check_rows (INWORLD_PROTOCOL_SLNG, slng_rows, G_N_ELEMENTS (slng_rows));
}

GST_END_TEST;

/* events that are not problems are never acted on */
GST_START_TEST (test_other_events_ignored)
{
  const InworldProtocol *proto = inworld_protocol_get (INWORLD_PROTOCOL_INWORLD);
  InworldPolicyState state = { TRUE, FALSE, TRUE };
  InworldEventType types[] = { INWORLD_EVENT_AUDIO,
    INWORLD_EVENT_FLUSH_COMPLETED, INWORLD_EVENT_CONTEXT_CLOSED,
    INWORLD_EVENT_INVALID_FRAME
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++) {
    InworldEvent *event = inworld_event_new (types[i], "ctx-1");

    fail_unless_equals_int (inworld_policy_decide (proto, event,
            &state).action, INWORLD_POLICY_IGNORE);
    inworld_event_free (event);
  }
}

GST_END_TEST;

GST_START_TEST (test_grpc_names)
{
  fail_unless_equals_string (inworld_grpc_code_name (8),
      "RESOURCE_EXHAUSTED");
  fail_unless_equals_string (inworld_grpc_code_name (16), "UNAUTHENTICATED");
  fail_unless_equals_string (inworld_grpc_code_name (-1), "");
  fail_unless_equals_string (inworld_grpc_code_name (99), "");
}

GST_END_TEST;

/* 0, then 200 ms doubling, capped at 5 s: 6.2 s over the element's five
 * attempts */
GST_START_TEST (test_backoff)
{
  const guint expected[] = { 0, 200, 400, 800, 1600, 3200, 5000, 5000 };
  guint total = 0;

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    fail_unless_equals_int (inworld_pool_backoff_ms (i), expected[i]);
  fail_unless_equals_int (inworld_pool_backoff_ms (G_MAXUINT), 5000);
  for (guint i = 1; i <= 5; i++)
    total += inworld_pool_backoff_ms (i);
  fail_unless_equals_int (total, 6200);
}

GST_END_TEST;

static Suite *
policy_suite (void)
{
  Suite *s = suite_create ("inworld-policy");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_inworld_table);
  tcase_add_test (tc, test_slng_table);
  tcase_add_test (tc, test_other_events_ignored);
  tcase_add_test (tc, test_grpc_names);
  tcase_add_test (tc, test_backoff);
  return s;
}

GST_CHECK_MAIN (policy);
