/* The shim's self-test (tools/tsan.sh --self-test, docs/threads.md)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Built with -fsanitize=thread. Each scenario hands plain (non-atomic)
 * data from one thread to another through one GLib mechanism only, and
 * every hand-off is correct: without the shim TSan cannot see the
 * mechanism and reports a race in the scenario's functions; with the shim
 * it must report nothing. The last one, real-race, is a real race next to
 * the same GLib calls (on other objects): it must be reported with the
 * shim too, so that the shim is seen not to hide everything.
 *
 *   selftest [mutex-cond|async-queue|thread-pool|invoke|source-attach|
 *             last-unref|once|real-race]
 *
 * No argument runs them all. The program itself always exits 0 when the
 * hand-offs delivered the right values; the TSan logs tell the rest.
 */

#include <glib.h>
#include <glib-object.h>
#include <string.h>

/* ---- GMutex + GCond ----------------------------------------------------- */

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean ready;               /* under lock */
  gint payload[4];              /* written before ready, outside the lock */
} MutexCondBox;

static gpointer
mutex_cond_producer (gpointer data)
{
  MutexCondBox *box = data;

  g_usleep (10000);             /* let the consumer wait first */
  for (guint i = 0; i < G_N_ELEMENTS (box->payload); i++)
    box->payload[i] = 42 + (gint) i;
  g_mutex_lock (&box->lock);
  box->ready = TRUE;
  g_cond_signal (&box->cond);
  g_mutex_unlock (&box->lock);
  return NULL;
}

static gboolean
scenario_mutex_cond (void)
{
  MutexCondBox box = { 0 };
  GThread *thread;
  gint sum = 0;

  g_mutex_init (&box.lock);
  g_cond_init (&box.cond);
  thread = g_thread_new ("producer", mutex_cond_producer, &box);
  g_mutex_lock (&box.lock);
  while (!box.ready)
    g_cond_wait (&box.cond, &box.lock);
  g_mutex_unlock (&box.lock);
  for (guint i = 0; i < G_N_ELEMENTS (box.payload); i++)
    sum += box.payload[i];
  g_thread_join (thread);
  g_cond_clear (&box.cond);
  g_mutex_clear (&box.lock);
  return sum == 42 * 4 + 6;
}

/* ---- GAsyncQueue --------------------------------------------------------- */

typedef struct
{
  gint serial;
  gchar text[24];
} QueueItem;

static gpointer
async_queue_producer (gpointer data)
{
  GAsyncQueue *queue = data;

  for (gint i = 1; i <= 3; i++) {
    QueueItem *item = g_new (QueueItem, 1);

    item->serial = i;
    g_snprintf (item->text, sizeof item->text, "item %d", i);
    g_async_queue_push (queue, item);
  }
  return NULL;
}

static gboolean
scenario_async_queue (void)
{
  GAsyncQueue *queue = g_async_queue_new ();
  GThread *thread = g_thread_new ("producer", async_queue_producer, queue);
  gboolean ok = TRUE;

  for (gint i = 1; i <= 3; i++) {
    QueueItem *item = g_async_queue_pop (queue);
    gchar expected[24];

    g_snprintf (expected, sizeof expected, "item %d", i);
    ok = ok && item->serial == i && strcmp (item->text, expected) == 0;
    g_free (item);              /* the consumer frees what the producer wrote */
  }
  g_thread_join (thread);
  g_async_queue_unref (queue);
  return ok;
}

/* ---- GThreadPool (what GstTaskPool runs streaming threads on) ---------- */

static gint pool_sum;           /* atomic */

static void
thread_pool_work (gpointer data, gpointer user_data)
{
  QueueItem *item = data;

  g_atomic_int_add (&pool_sum, item->serial);
  g_free (item);                /* the worker frees what the pusher wrote */
}

static gboolean
scenario_thread_pool (void)
{
  GThreadPool *pool = g_thread_pool_new (thread_pool_work, NULL, 1, FALSE,
      NULL);

  for (gint i = 1; i <= 3; i++) {
    QueueItem *item = g_new (QueueItem, 1);

    item->serial = i;
    g_thread_pool_push (pool, item, NULL);
    g_usleep (10000);           /* the worker waits for the next one */
  }
  /* wakes the worker with a marker that it frees */
  g_thread_pool_free (pool, FALSE, TRUE);
  return g_atomic_int_get (&pool_sum) == 6;
}

/* ---- GMainContext: g_main_context_invoke () and g_source_attach () to a
 * thread running a GMainLoop ---------------------------------------------- */

typedef struct
{
  GMainContext *context;
  GMainLoop *loop;
  gint request;                 /* written by the main thread */
  gint answer;                  /* written by the loop thread */
} LoopBox;

static gpointer
loop_thread (gpointer data)
{
  LoopBox *box = data;

  /* The main thread hands over while no thread owns the context yet:
   * GLib then does not wake the context through its eventfd, whose
   * write () and read () TSan would see as a hand-off by themselves. */
  g_usleep (50000);
  g_main_context_push_thread_default (box->context);
  g_main_loop_run (box->loop);
  g_main_context_pop_thread_default (box->context);
  return NULL;
}

static gboolean
loop_callback (gpointer data)
{
  LoopBox *box = data;

  box->answer = box->request * 2;
  g_main_loop_quit (box->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
run_loop_scenario (gboolean use_invoke)
{
  LoopBox box = { 0 };
  GThread *thread;
  gboolean ok;

  box.context = g_main_context_new ();
  box.loop = g_main_loop_new (box.context, FALSE);
  thread = g_thread_new ("loop", loop_thread, &box);
  box.request = 21;
  if (use_invoke) {
    g_main_context_invoke (box.context, loop_callback, &box);
  } else {
    GSource *source = g_idle_source_new ();

    g_source_set_callback (source, loop_callback, &box, NULL);
    g_source_attach (source, box.context);
    g_source_unref (source);
  }
  g_thread_join (thread);       /* joining orders the answer: not the point */
  ok = box.answer == 42;
  g_main_loop_unref (box.loop);
  g_main_context_unref (box.context);
  return ok;
}

static gboolean
scenario_invoke (void)
{
  return run_loop_scenario (TRUE);
}

static gboolean
scenario_source_attach (void)
{
  return run_loop_scenario (FALSE);
}

/* ---- the last g_object_unref () frees, in whichever thread ---------------- */

#define SELFTEST_TYPE_PAYLOAD (selftest_payload_get_type ())
G_DECLARE_FINAL_TYPE (SelftestPayload, selftest_payload, SELFTEST, PAYLOAD,
    GObject);

struct _SelftestPayload
{
  GObject parent;
  gint written_by_main;
  gint written_by_worker;
};

G_DEFINE_TYPE (SelftestPayload, selftest_payload, G_TYPE_OBJECT);

static gint finalized_sum;      /* atomic */

static void
selftest_payload_finalize (GObject * object)
{
  SelftestPayload *self = SELFTEST_PAYLOAD (object);

  g_atomic_int_set (&finalized_sum,
      self->written_by_main + self->written_by_worker);
  G_OBJECT_CLASS (selftest_payload_parent_class)->finalize (object);
}

static void
selftest_payload_class_init (SelftestPayloadClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = selftest_payload_finalize;
}

static void
selftest_payload_init (SelftestPayload * self)
{
}

static gpointer
last_unref_worker (gpointer data)
{
  SelftestPayload *payload = data;

  payload->written_by_worker = 2;
  g_object_unref (payload);
  return NULL;
}

static gboolean
scenario_last_unref (void)
{
  SelftestPayload *payload = g_object_new (SELFTEST_TYPE_PAYLOAD, NULL);
  GThread *thread;

  g_object_ref (payload);       /* one reference for each thread */
  thread = g_thread_new ("worker", last_unref_worker, payload);
  payload->written_by_main = 1;
  g_object_unref (payload);     /* whichever unref is last finalizes */
  g_thread_join (thread);
  return g_atomic_int_get (&finalized_sum) == 3;
}

/* ---- g_once_init_enter () / g_once_init_leave () ----------------------- */

typedef struct
{
  gint table[16];
} OnceTable;

static OnceTable *
once_table (void)
{
  static gsize table;

  if (g_once_init_enter (&table)) {
    OnceTable *t = g_new (OnceTable, 1);

    for (guint i = 0; i < G_N_ELEMENTS (t->table); i++)
      t->table[i] = (gint) i;
    g_once_init_leave (&table, (gsize) t);
  }
  return (OnceTable *) table;
}

static gpointer
once_reader (gpointer data)
{
  gint sum = 0;

  g_usleep (GPOINTER_TO_UINT (data));
  for (guint i = 0; i < 16; i++)
    sum += once_table ()->table[i];
  return GINT_TO_POINTER (sum);
}

static gboolean
scenario_once (void)
{
  GThread *a = g_thread_new ("once-a", once_reader, GUINT_TO_POINTER (0));
  GThread *b = g_thread_new ("once-b", once_reader, GUINT_TO_POINTER (20000));
  gint sa = GPOINTER_TO_INT (g_thread_join (a));
  gint sb = GPOINTER_TO_INT (g_thread_join (b));

  return sa == 120 && sb == 120;
}

/* ---- a real race among GLib calls that synchronise other things --------- */

typedef struct
{
  GMutex lock;                  /* never held around counter */
  GAsyncQueue *queue;
  gint counter;
} RaceBox;

static gpointer
real_race_worker (gpointer data)
{
  RaceBox *box = data;
  GObject *mine = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_ref (mine);
  g_object_unref (mine);
  g_mutex_lock (&box->lock);
  g_mutex_unlock (&box->lock);
  box->counter++;               /* races with the main thread's increment */
  g_object_unref (mine);
  g_async_queue_push (box->queue, GINT_TO_POINTER (1));
  return NULL;
}

static gboolean
scenario_real_race (void)
{
  RaceBox box = { 0 };
  GObject *theirs = g_object_new (G_TYPE_OBJECT, NULL);
  GThread *thread;

  g_mutex_init (&box.lock);
  box.queue = g_async_queue_new ();
  thread = g_thread_new ("racer", real_race_worker, &box);
  g_object_ref (theirs);
  g_object_unref (theirs);
  box.counter++;                /* before the pop: unordered with the worker's */
  g_async_queue_pop (box.queue);
  g_object_unref (theirs);
  g_thread_join (thread);
  g_async_queue_unref (box.queue);
  g_mutex_clear (&box.lock);
  return box.counter == 2;
}

/* ---- main ----------------------------------------------------------------- */

static const struct
{
  const gchar *name;
  gboolean (*run) (void);
} scenarios[] = {
  {"mutex-cond", scenario_mutex_cond},
  {"async-queue", scenario_async_queue},
  {"thread-pool", scenario_thread_pool},
  {"invoke", scenario_invoke},
  {"source-attach", scenario_source_attach},
  {"last-unref", scenario_last_unref},
  {"once", scenario_once},
  {"real-race", scenario_real_race},
};

int
main (int argc, char **argv)
{
  gboolean found = FALSE;
  int rc = 0;

  for (guint i = 0; i < G_N_ELEMENTS (scenarios); i++) {
    if (argc > 1 && strcmp (argv[1], scenarios[i].name) != 0)
      continue;
    found = TRUE;
    if (scenarios[i].run ()) {
      g_print ("selftest: %s: values handed over\n", scenarios[i].name);
    } else {
      g_printerr ("selftest: %s: WRONG VALUES\n", scenarios[i].name);
      rc = 1;
    }
  }
  if (!found) {
    g_printerr ("selftest: no scenario named %s\n", argv[1]);
    return 2;
  }
  return rc;
}
