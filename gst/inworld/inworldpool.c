/* inworldttssrc: server contexts on shared connections
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

#include "inworldpool.h"
#include "inworlddebug.h"
#include "inworldsession.h"
#include "inworldsoupthread.h"

#define GST_CAT_DEFAULT inworld_pool_debug

/* Connections a context refused with code 8 may move to. */
#define MAX_MOVES 3
/* A released context's slot counts until contextClosed, or this long. */
#define RELEASED_CONTEXT_TTL_MS 10000
/* Ids of closed contexts remembered per connection, so that their late
 * frames are told from frames for contexts never opened. */
#define RETIRED_IDS 64

#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS 5000

/* Everything here lives on the connection thread: the callers (the
 * sessions) are there too, so nothing is locked. */

typedef struct _PoolEntry PoolEntry;
typedef struct _PoolConn PoolConn;

/* One server with one set of credentials and settings. */
struct _PoolEntry
{
  InworldSoupThread *st;
  gchar *key;
  InworldConnectionParams *params;
  const InworldProtocol *proto;
  GList *conns;                 /* PoolConn * */
  guint users;                  /* contexts (lost ones too) and conns */
  guint limit;                  /* contexts per connection */
  guint failures;               /* consecutive connections lost */
};

/* One WebSocket. */
struct _PoolConn
{
  PoolEntry *entry;
  InworldConnection *conn;
  GHashTable *contexts;         /* id -> InworldContext * (a reference) */
  GQueue retired;               /* gchar * ids */
  gboolean dead;                /* disconnected */
  gboolean doomed;              /* the server is about to close it */
  gint64 last_send;
  GSource *keepalive;
  GSource *check;
  guint serial;
};

struct _InworldContext
{
  gint refcount;
  InworldSoupThread *st;
  gchar *id;
  InworldEventFunc func;        /* NULL once freed */
  gpointer user_data;

  PoolEntry *entry;
  PoolConn *pc;                 /* NULL once lost */
  gchar *create_frame;
  GQueue unconfirmed;           /* frames sent before contextCreated */
  gboolean created;
  gboolean server_closed;
  gboolean close_sent;
  gboolean released;
  guint moves;
  GSource *expire;
};

static GHashTable *entries;     /* key -> PoolEntry *, connection thread */
static guint conn_serial;

static void pc_schedule_check (PoolConn * pc);

guint
inworld_pool_backoff_ms (guint failures)
{
  guint ms = BACKOFF_FIRST_MS;

  if (failures == 0)
    return 0;
  for (guint i = 1; i < failures && ms < BACKOFF_MAX_MS; i++)
    ms *= 2;
  return MIN (ms, BACKOFF_MAX_MS);
}

/* ------------------------------------------------------------------------
 * Entries
 * ------------------------------------------------------------------------ */

static PoolEntry *
entry_get (const InworldConnectionParams * params)
{
  gchar *key = inworld_connection_params_key (params);
  PoolEntry *entry;

  if (entries == NULL)
    entries = g_hash_table_new (g_str_hash, g_str_equal);
  entry = g_hash_table_lookup (entries, key);
  if (entry) {
    g_free (key);
  } else {
    entry = g_new0 (PoolEntry, 1);
    entry->st = inworld_soup_thread_acquire ();
    entry->key = key;
    entry->params = inworld_connection_params_copy (params);
    entry->proto = inworld_protocol_get (params->protocol);
    entry->limit = entry->proto->contexts_per_connection;
    g_hash_table_insert (entries, entry->key, entry);
  }
  entry->users++;
  return entry;
}

static void
entry_unuse (PoolEntry * entry)
{
  if (--entry->users > 0)
    return;
  g_hash_table_remove (entries, entry->key);
  if (g_hash_table_size (entries) == 0)
    g_clear_pointer (&entries, g_hash_table_unref);
  inworld_connection_params_free (entry->params);
  g_free (entry->key);
  inworld_soup_thread_release (entry->st);
  g_free (entry);
}

/* ------------------------------------------------------------------------
 * Contexts
 * ------------------------------------------------------------------------ */

static InworldContext *
ctx_ref (InworldContext * ctx)
{
  g_atomic_int_inc (&ctx->refcount);
  return ctx;
}

/* On the connection thread only. */
static void
ctx_unref (InworldContext * ctx)
{
  InworldSoupThread *st;

  if (!g_atomic_int_dec_and_test (&ctx->refcount))
    return;
  if (ctx->expire) {
    g_source_destroy (ctx->expire);
    g_source_unref (ctx->expire);
  }
  if (ctx->entry)
    entry_unuse (ctx->entry);
  g_queue_clear_full (&ctx->unconfirmed, g_free);
  g_free (ctx->create_frame);
  g_free (ctx->id);
  st = ctx->st;
  g_free (ctx);
  inworld_soup_thread_release (st);
}

/* The callback may free the context: it is kept alive meanwhile. */
static void
deliver (InworldContext * ctx, InworldEvent * event)
{
  ctx_ref (ctx);
  if (ctx->func)
    ctx->func (event, ctx->user_data);
  else
    inworld_event_free (event);
  ctx_unref (ctx);
}

static InworldEvent *
event_copy (const InworldEvent * event, const gchar * context_id)
{
  InworldEvent *copy = inworld_event_new (event->type, context_id);

  copy->code = event->code;
  copy->code_name = g_strdup (event->code_name);
  copy->message = g_strdup (event->message);
  copy->fatal = event->fatal;
  copy->duration = event->duration;
  return copy;
}

static void
pc_send (PoolConn * pc, InworldContext * ctx, gchar * frame)
{
  if (!ctx->created)
    g_queue_push_tail (&ctx->unconfirmed, g_strdup (frame));
  pc->last_send = g_get_monotonic_time ();
  inworld_connection_send (pc->conn, frame);
}

static void
retire (PoolConn * pc, const gchar * id)
{
  g_queue_push_tail (&pc->retired, g_strdup (id));
  while (g_queue_get_length (&pc->retired) > RETIRED_IDS)
    g_free (g_queue_pop_head (&pc->retired));
}

static gboolean
is_retired (PoolConn * pc, const gchar * id)
{
  return g_queue_find_custom (&pc->retired, id, (GCompareFunc) g_strcmp0)
      != NULL;
}

/* Takes @ctx off its connection (dropping the connection's reference). */
static void
detach (InworldContext * ctx)
{
  PoolConn *pc = ctx->pc;

  if (pc == NULL)
    return;
  ctx->pc = NULL;
  retire (pc, ctx->id);
  pc_schedule_check (pc);
  g_hash_table_remove (pc->contexts, ctx->id);  /* may free ctx */
}

static gboolean
on_released_expired (gpointer user_data)
{
  InworldContext *ctx = user_data;

  g_clear_pointer (&ctx->expire, g_source_unref);
  detach (ctx);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------ */

/* Contexts that count against the server's limit. */
static guint
pc_count (PoolConn * pc, gboolean created_only)
{
  GHashTableIter iter;
  InworldContext *ctx;
  guint n = 0;

  g_hash_table_iter_init (&iter, pc->contexts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & ctx))
    if (!ctx->server_closed && (ctx->created || !created_only))
      n++;
  return n;
}

static gboolean
pc_has_users (PoolConn * pc)
{
  GHashTableIter iter;
  InworldContext *ctx;

  g_hash_table_iter_init (&iter, pc->contexts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & ctx))
    if (!ctx->released)
      return TRUE;
  return FALSE;
}

/* Hands a copy of a connection-wide @event to every context on it. */
static void
pc_broadcast (PoolConn * pc, const InworldEvent * event)
{
  GHashTableIter iter;
  InworldContext *ctx;
  GPtrArray *targets = g_ptr_array_new_with_free_func ((GDestroyNotify)
      ctx_unref);

  /* delivering may not change the table, but be safe against it */
  g_hash_table_iter_init (&iter, pc->contexts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & ctx))
    if (!ctx->released)
      g_ptr_array_add (targets, ctx_ref (ctx));
  for (guint i = 0; i < targets->len; i++) {
    InworldContext *target = g_ptr_array_index (targets, i);

    /* a disconnection is every context's own: tagged, it cannot be taken
     * for the loss of the context that replaced it; a top-level error
     * stays connection-wide */
    gboolean own = pc->entry->proto->contexts_per_connection < 2
        || event->type == INWORLD_EVENT_DISCONNECTED;

    deliver (target, event_copy (event, event->context_id ?
            event->context_id : (own ? target->id : NULL)));
  }
  g_ptr_array_unref (targets);
}

/* An empty send_text on an open context keeps the connection from being
 * closed as idle; never sent without one (the server refuses it). */
static gboolean
on_keepalive (gpointer user_data)
{
  PoolConn *pc = user_data;
  gint64 idle = g_get_monotonic_time () - pc->last_send;
  GHashTableIter iter;
  InworldContext *ctx;

  if (pc->dead || idle < (gint64) pc->entry->params->keepalive_s *
      G_USEC_PER_SEC - 100 * G_TIME_SPAN_MILLISECOND)
    return G_SOURCE_CONTINUE;
  g_hash_table_iter_init (&iter, pc->contexts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & ctx)) {
    if (ctx->released || !ctx->created || ctx->close_sent
        || ctx->server_closed)
      continue;
    GST_LOG ("keepalive on context %s", ctx->id);
    pc_send (pc, ctx, pc->entry->proto->build_send_text (ctx->id, "",
            FALSE));
    break;
  }
  return G_SOURCE_CONTINUE;
}

static void
pc_free (PoolConn * pc)
{
  PoolEntry *entry = pc->entry;

  if (pc->keepalive) {
    g_source_destroy (pc->keepalive);
    g_source_unref (pc->keepalive);
  }
  if (pc->check) {
    g_source_destroy (pc->check);
    g_source_unref (pc->check);
  }
  entry->conns = g_list_remove (entry->conns, pc);
  g_hash_table_unref (pc->contexts);
  g_queue_clear_full (&pc->retired, g_free);
  inworld_connection_free (pc->conn);
  g_free (pc);
  entry_unuse (entry);
}

/* Closes a connection that is dead or that no context uses any more. */
static gboolean
pc_check (gpointer user_data)
{
  PoolConn *pc = user_data;
  GHashTableIter iter;
  InworldContext *ctx;

  g_clear_pointer (&pc->check, g_source_unref);
  if (!pc->dead && pc_has_users (pc))
    return G_SOURCE_REMOVE;

  GST_DEBUG ("closing connection %u to %s", pc->serial,
      pc->entry->params->uri);
  g_hash_table_iter_init (&iter, pc->contexts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & ctx))
    ctx->pc = NULL;
  g_hash_table_remove_all (pc->contexts);
  pc_free (pc);
  return G_SOURCE_REMOVE;
}

/* From an idle source: the event callback runs with the connection's
 * callback lock held, and inworld_connection_free() takes it. */
static void
pc_schedule_check (PoolConn * pc)
{
  if (pc->check)
    return;
  pc->check = g_idle_source_new ();
  g_source_set_callback (pc->check, pc_check, pc, NULL);
  g_source_attach (pc->check, inworld_soup_thread_get_context
      (pc->entry->st));
}

static void on_pc_event (InworldEvent * event, gpointer user_data);

static PoolConn *
pc_new (PoolEntry * entry)
{
  PoolConn *pc = g_new0 (PoolConn, 1);
  InworldConnectionParams params = *entry->params;
  guint delay = inworld_pool_backoff_ms (entry->failures);

  pc->entry = entry;
  entry->users++;
  pc->serial = ++conn_serial;
  pc->contexts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) ctx_unref);
  g_queue_init (&pc->retired);
  pc->last_send = g_get_monotonic_time ();
  /* a little jitter, so that the contexts of a dropped connection do not
   * all come back in the same millisecond */
  params.connect_delay_ms = delay ? delay + g_random_int_range (0,
      delay / 4 + 1) : 0;
  pc->conn = inworld_connection_new (&params, on_pc_event, pc);
  if (params.keepalive_s > 0
      && entry->proto->contexts_per_connection > 1)
    pc->keepalive = inworld_soup_thread_timeout (entry->st,
        MAX (250, params.keepalive_s * 1000 / 4), on_keepalive, pc);
  entry->conns = g_list_append (entry->conns, pc);
  GST_DEBUG ("connection %u to %s%s", pc->serial, params.uri, delay ?
      " after a back-off" : "");
  return pc;
}

/* A connection other than @refused with room for one more context (a new
 * one if none). */
static PoolConn *
pick (PoolEntry * entry, PoolConn * refused)
{
  if (entry->proto->contexts_per_connection > 1) {
    for (GList * l = entry->conns; l; l = l->next) {
      PoolConn *pc = l->data;

      if (pc != refused && !pc->dead && !pc->doomed
          && pc_count (pc, FALSE) < entry->limit)
        return pc;
    }
  }
  return pc_new (entry);
}

/* Puts @ctx on @pc: its create frame, then @replay (frames sent on a
 * connection that refused it), then whatever it queued meanwhile. */
static void
attach_to (InworldContext * ctx, PoolConn * pc, GQueue * replay)
{
  gchar *frame;

  g_hash_table_insert (pc->contexts, ctx->id, ctx_ref (ctx));
  ctx->pc = pc;
  pc->last_send = g_get_monotonic_time ();
  inworld_connection_send (pc->conn, g_strdup (ctx->create_frame));
  while ((frame = g_queue_pop_head (replay)))
    pc_send (pc, ctx, frame);
}

/* The server refused @ctx (code 8, too many contexts) before creating
 * it: it has fewer slots than we thought. The context and the frames it
 * sent go to another connection. */
static void
move (InworldContext * ctx)
{
  PoolConn *old = ctx->pc;
  PoolEntry *entry = ctx->entry;
  GQueue replay = ctx->unconfirmed;

  entry->limit = MAX (1, pc_count (old, TRUE));
  ctx->moves++;
  g_queue_init (&ctx->unconfirmed);
  GST_INFO ("context %s refused on connection %u (code 8): %u context(s) "
      "per connection, moving", ctx->id, old->serial, entry->limit);
  ctx_ref (ctx);
  detach (ctx);
  attach_to (ctx, pick (entry, old), &replay);
  ctx_unref (ctx);
}

/* Top-level errors after which the server closes the connection, or
 * which ask to come back later (on a new connection). */
static gboolean
dooms_connection (const InworldEvent * event)
{
  switch (event->code) {
    case 4:                    /* DEADLINE_EXCEEDED */
    case 7:                    /* PERMISSION_DENIED */
    case 8:                    /* RESOURCE_EXHAUSTED */
    case 10:                   /* ABORTED: paused for inactivity */
    case 14:                   /* UNAVAILABLE */
    case 16:                   /* UNAUTHENTICATED */
      return TRUE;
    default:
      return event->fatal;
  }
}

/* The single context of a connection of a protocol without contexts. */
static InworldContext *
sole_context (PoolConn * pc)
{
  GHashTableIter iter;
  InworldContext *ctx = NULL;

  g_hash_table_iter_init (&iter, pc->contexts);
  g_hash_table_iter_next (&iter, NULL, (gpointer *) & ctx);
  return ctx;
}

/* The socket is gone: every context on it hears so, and pc_check()
 * takes them off it (sends to a dead connection are dropped meanwhile). */
static void
on_pc_dropped (PoolConn * pc, InworldEvent * event)
{
  pc->dead = TRUE;
  pc->entry->failures++;
  pc_broadcast (pc, event);
  pc_schedule_check (pc);
}

/* Routes one event of @pc's connection (on the connection thread). */
static void
on_pc_event (InworldEvent * event, gpointer user_data)
{
  PoolConn *pc = user_data;
  PoolEntry *entry = pc->entry;
  InworldContext *ctx;

  if (pc->dead) {
    inworld_event_free (event);
    return;
  }
  if (event->type == INWORLD_EVENT_DISCONNECTED) {
    on_pc_dropped (pc, event);
    inworld_event_free (event);
    return;
  }
  if (entry->proto->contexts_per_connection < 2 && event->context_id == NULL
      && event->type != INWORLD_EVENT_INVALID_FRAME
      && (ctx = sole_context (pc)))
    event->context_id = g_strdup (ctx->id);

  if (event->context_id == NULL) {
    if (event->type == INWORLD_EVENT_ERROR && dooms_connection (event)) {
      pc->doomed = TRUE;
      entry->failures++;
    }
    pc_broadcast (pc, event);
    inworld_event_free (event);
    return;
  }

  ctx = g_hash_table_lookup (pc->contexts, event->context_id);
  if (ctx == NULL) {
    if (is_retired (pc, event->context_id)) {
      /* late frames of a context closed, interrupted or moved */
      GST_DEBUG ("%s for closed context %s ignored",
          inworld_event_type_name (event->type), event->context_id);
    } else {
      InworldEvent *invalid = inworld_event_new (INWORLD_EVENT_INVALID_FRAME,
          NULL);

      invalid->message = g_strdup_printf ("a result (%s) for context '%.64s', "
          "which was never opened on this connection",
          inworld_event_type_name (event->type), event->context_id);
      pc_broadcast (pc, invalid);
      inworld_event_free (invalid);
    }
    inworld_event_free (event);
    return;
  }

  switch (event->type) {
    case INWORLD_EVENT_CONTEXT_CREATED:
      ctx->created = TRUE;
      g_queue_clear_full (&ctx->unconfirmed, g_free);
      entry->failures = 0;
      break;
    case INWORLD_EVENT_AUDIO:
      entry->failures = 0;
      break;
    case INWORLD_EVENT_CONTEXT_CLOSED:
      ctx->server_closed = TRUE;
      if (ctx->released) {
        inworld_event_free (event);
        detach (ctx);
        return;
      }
      break;
    case INWORLD_EVENT_ERROR:
      if (event->code == 8 && !ctx->created
          && entry->proto->contexts_per_connection > 1
          && !ctx->released && ctx->moves < MAX_MOVES) {
        inworld_event_free (event);
        move (ctx);
        return;
      }
      break;
    default:
      break;
  }
  deliver (ctx, event);
}

/* ------------------------------------------------------------------------
 * The callers' side
 * ------------------------------------------------------------------------ */

static void
send_close (InworldContext * ctx)
{
  if (ctx->pc && !ctx->pc->dead && !ctx->close_sent && !ctx->server_closed) {
    pc_send (ctx->pc, ctx, ctx->entry->proto->build_close (ctx->id));
    ctx->close_sent = TRUE;
  }
}

InworldContext *
inworld_context_open (const InworldConnectionParams * params,
    const gchar * context_id, gchar * create_frame, InworldEventFunc func,
    gpointer user_data)
{
  InworldContext *ctx = g_new0 (InworldContext, 1);
  GQueue none = G_QUEUE_INIT;

  inworld_debug_init ();
  ctx->refcount = 1;
  ctx->st = inworld_soup_thread_acquire ();
  g_return_val_if_fail (inworld_soup_thread_is_current (ctx->st), NULL);
  ctx->id = g_strdup (context_id);
  ctx->create_frame = create_frame;
  ctx->func = func;
  ctx->user_data = user_data;
  g_queue_init (&ctx->unconfirmed);
  ctx->entry = entry_get (params);
  attach_to (ctx, pick (ctx->entry, NULL), &none);
  return ctx;
}

void
inworld_context_send (InworldContext * ctx, gchar * frame)
{
  g_return_if_fail (ctx != NULL);
  g_return_if_fail (frame != NULL);

  /* dropped once the connection is lost: the caller re-sends */
  if (ctx->pc && !ctx->pc->dead)
    pc_send (ctx->pc, ctx, frame);
  else
    g_free (frame);
}

void
inworld_context_close (InworldContext * ctx)
{
  g_return_if_fail (ctx != NULL);
  send_close (ctx);
}

void
inworld_context_free (InworldContext * ctx)
{
  if (ctx == NULL)
    return;

  ctx->func = NULL;
  ctx->user_data = NULL;
  ctx->released = TRUE;
  send_close (ctx);
  if (ctx->pc) {
    if (ctx->server_closed || ctx->entry->proto->contexts_per_connection < 2) {
      detach (ctx);
    } else {
      /* its slot is the server's until contextClosed */
      ctx->expire = inworld_soup_thread_timeout (ctx->st,
          RELEASED_CONTEXT_TTL_MS, on_released_expired, ctx);
      pc_schedule_check (ctx->pc);
    }
  }
  ctx_unref (ctx);
}

/* ------------------------------------------------------------------------
 * The session's transport
 * ------------------------------------------------------------------------ */

static gpointer
transport_open (gpointer transport_data, const InworldConnectionParams *
    params, const gchar * context_id, gchar * create_frame,
    InworldEventFunc func, gpointer user_data)
{
  return inworld_context_open (params, context_id, create_frame, func,
      user_data);
}

static void
transport_send (gpointer context, gchar * frame)
{
  inworld_context_send (context, frame);
}

static void
transport_close (gpointer context)
{
  inworld_context_close (context);
}

static void
transport_free (gpointer context)
{
  inworld_context_free (context);
}

static guint
transport_connection_id (gpointer context)
{
  InworldContext *ctx = context;

  return ctx->pc ? ctx->pc->serial : 0;
}

const InworldTransport *
inworld_pool_transport (void)
{
  static const InworldTransport transport = {
    transport_open, transport_send, transport_close, transport_free,
    transport_connection_id
  };

  return &transport;
}
