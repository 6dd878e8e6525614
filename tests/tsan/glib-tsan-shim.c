/* glib-tsan-shim: tells ThreadSanitizer about GLib's and GStreamer's
 * synchronisation, for tools/tsan.sh (see docs/threads.md)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Loaded with LD_PRELOAD in front of a program built with
 * -fsanitize=thread. Debian's GLib is not instrumented and its GMutex and
 * GCond are futex-based, so TSan sees neither them nor the atomics of the
 * reference counts, queues and main-context hand-offs: nearly every report
 * on a GLib program is then false. Each function below is GLib's (or
 * GStreamer's) exported one, found with dlsym (RTLD_NEXT), wrapped with the
 * happens-before edge it implies:
 *
 *   GMutex          the __tsan_mutex_* API (reports name the held mutexes,
 *                   lock-order inversions are found)
 *   GCond           the wait is an unlock + lock of its mutex; signal and
 *                   broadcast release on the GCond, a wait acquires it
 *   GRecMutex,      release before unlock, acquire after lock (they are
 *   GRWLock         also pthread-based in GLib 2.74, which TSan intercepts
 *                   by itself: these edges are a second, harmless, copy)
 *   g_once_*        release before the once-value is published, acquire
 *                   where another thread finds it published
 *   refcounts       g_object_ref/unref, gst_mini_object_ref/unref, GRefCount
 *                   and g_atomic_rc_box: an acquire + release on the object
 *                   before the real call, as GLib's seq_cst atomic does, so
 *                   the thread whose unref finalizes has seen every other
 *                   thread's last use of the object
 *   GAsyncQueue,    release on the queue (pool) before a push, acquire after
 *   GThreadPool     a pop that returned an item (in the worker, before the
 *                   pool's function runs)
 *   GMainContext    g_source_set_callback is replaced by an equivalent
 *                   indirect callback whose get() (called by the dispatching
 *                   thread just before dispatch) acquires on the source;
 *                   g_source_attach and g_source_set_ready_time release on
 *                   it. g_idle_add*, g_timeout_add*, g_main_context_invoke*
 *                   are re-built from those public calls, exactly as GLib
 *                   builds them, so that they go through the wrappers.
 *   GstBus          release on the message when posted, acquire when popped
 *
 * Calls that libglib makes to its own functions do not go through its PLT
 * (see docs/threads.md): the shim sees GLib's API boundaries, not its
 * internals. Without the TSan runtime in the process (the TSan symbols are
 * weak) every wrapper only forwards.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

/* The functions are defined here under GLib's names: drop the header's
 * macro versions of them. */
#undef g_once_init_enter
#undef g_once_init_leave
#undef g_atomic_int_inc
#undef g_atomic_int_dec_and_test
#undef g_atomic_ref_count_inc
#undef g_atomic_ref_count_dec
#undef g_atomic_rc_box_acquire

/* ThreadSanitizer's annotation interface (sanitizer/tsan_interface.h),
 * weak so that the shim loads in processes without the runtime. */
void __tsan_acquire (void *addr) __attribute__ ((weak));
void __tsan_release (void *addr) __attribute__ ((weak));
void __tsan_mutex_destroy (void *addr, unsigned flags) __attribute__ ((weak));
void __tsan_mutex_pre_lock (void *addr, unsigned flags) __attribute__ ((weak));
void __tsan_mutex_post_lock (void *addr, unsigned flags, int recursion)
    __attribute__ ((weak));
int __tsan_mutex_pre_unlock (void *addr, unsigned flags) __attribute__ ((weak));
void __tsan_ignore_thread_begin (void) __attribute__ ((weak));
void __tsan_ignore_thread_end (void) __attribute__ ((weak));
void AnnotateIgnoreSyncBegin (const char *file, int line)
    __attribute__ ((weak));
int __sanitizer_install_malloc_and_free_hooks (void (*malloc_hook) (const
        volatile void *, size_t), void (*free_hook) (const volatile void *))
    __attribute__ ((weak));
void __tsan_mutex_post_unlock (void *addr, unsigned flags)
    __attribute__ ((weak));

#define TSAN_MUTEX_TRY_LOCK (1u << 4)
#define TSAN_MUTEX_TRY_LOCK_FAILED (1u << 5)

static int have_tsan;

static inline void
acquire (const volatile void *addr)
{
  if (have_tsan && addr)
    __tsan_acquire ((void *) addr);
}

static inline void
release (const volatile void *addr)
{
  if (have_tsan && addr)
    __tsan_release ((void *) addr);
}

/* An atomic read-modify-write with GLib's sequentially consistent order
 * both acquires and releases. */
static inline void
acq_rel (const volatile void *addr)
{
  acquire (addr);
  release (addr);
}

static inline void
mutex_pre_lock (void *m, unsigned flags)
{
  if (have_tsan)
    __tsan_mutex_pre_lock (m, flags);
}

static inline void
mutex_post_lock (void *m, unsigned flags)
{
  if (have_tsan)
    __tsan_mutex_post_lock (m, flags, 0);
}

static inline void
mutex_unlock_ann (void *m)
{
  if (have_tsan) {
    __tsan_mutex_pre_unlock (m, 0);
    __tsan_mutex_post_unlock (m, 0);
  }
}

/* Memory accesses (in interceptors: malloc, free, memcpy...) made by this
 * thread inside a GLib call whose own synchronisation TSan cannot see:
 * GAsyncQueue's list node is allocated by the pusher and freed inside the
 * popper's call, before the pop returns and the shim can acquire. */
static inline void
ignore_begin (void)
{
  if (have_tsan)
    __tsan_ignore_thread_begin ();
}

static inline void
ignore_end (void)
{
  if (have_tsan)
    __tsan_ignore_thread_end ();
}

/* ---- the real functions ------------------------------------------------ */

static void *
resolve (const char *name)
{
  void *p = dlsym (RTLD_NEXT, name);

  if (p == NULL) {
    fprintf (stderr, "glib-tsan-shim: %s not found: %s\n", name, dlerror ());
    abort ();
  }
  return p;
}

/* REAL (name) is the next definition of name, looked up on first use */
#define REAL(name) \
  (__extension__ ({ \
    static __typeof__ (&name) real_; \
    __typeof__ (&name) p_ = __atomic_load_n (&real_, __ATOMIC_ACQUIRE); \
    if (p_ == NULL) { \
      p_ = (__typeof__ (&name)) resolve (#name); \
      __atomic_store_n (&real_, p_, __ATOMIC_RELEASE); \
    } \
    p_; \
  }))

/* Whoever frees a block has synchronised with every earlier release on
 * its first byte: the refcount annotations below put them there (GObject,
 * GstMiniObject, GSource...). This covers the last unref made inside a
 * library, where the shim cannot see it (gst_mini_object_unref () called
 * by libgstreamer itself): the free () that ends it is seen. TSan calls
 * the hook in its free () interceptor, before it checks the block. */
static void
malloc_hook (const volatile void *ptr, size_t size)
{
}

static void
free_hook (const volatile void *ptr)
{
  acquire (ptr);
}

__attribute__ ((constructor))
static void
shim_init (void)
{
  const char *pids = getenv ("GLIB_TSAN_SHIM_PIDS");
  const char *ignore = getenv ("GLIB_TSAN_SHIM_IGNORE");
  char exe[4096];
  const char *base;
  ssize_t n;

  have_tsan = __tsan_acquire != NULL && __tsan_release != NULL
      && __tsan_mutex_pre_lock != NULL && __tsan_mutex_post_lock != NULL
      && __tsan_mutex_pre_unlock != NULL && __tsan_mutex_post_unlock != NULL
      && __tsan_mutex_destroy != NULL && __tsan_ignore_thread_begin != NULL
      && __tsan_ignore_thread_end != NULL;

  /* "pid program" per process, so that tools/tsan.sh can tell whose
   * log_path.PID file is whose (the test, the emulator it starts...) */
  n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  base = strrchr (exe, '/');
  base = base ? base + 1 : exe;
  if (pids != NULL && *pids != '\0') {
    char line[4200];
    int fd = open (pids, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

    if (fd >= 0) {
      int len = snprintf (line, sizeof line, "%ld %s %s\n", (long) getpid (),
          have_tsan ? "tsan" : "plain", exe);
      if (write (fd, line, (size_t) len) < 0) {
        /* nothing to do: the map is a convenience */
      }
      close (fd);
    }
  }

  /* Programs named in GLIB_TSAN_SHIM_IGNORE (space-separated) are not
   * checked: their main thread ignores memory accesses and
   * synchronisation, and the shim only forwards (TSan's deadlock detector
   * still sees the pthread mutexes, but no longer GLib's GMutex). For
   * gst-plugin-scanner, a system program that only has the runtime
   * because it loads our instrumented plugin. */
  if (have_tsan && ignore != NULL && AnnotateIgnoreSyncBegin != NULL) {
    size_t len = strlen (base);
    const char *p = ignore;

    while ((p = strstr (p, base)) != NULL) {
      if ((p == ignore || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0')) {
        __tsan_ignore_thread_begin ();
        AnnotateIgnoreSyncBegin (__FILE__, __LINE__);
        have_tsan = 0;
        break;
      }
      p += len;
    }
  }

  if (have_tsan && __sanitizer_install_malloc_and_free_hooks != NULL)
    __sanitizer_install_malloc_and_free_hooks (malloc_hook, free_hook);
}

/* ---- GMutex ------------------------------------------------------------- */

void
g_mutex_lock (GMutex * mutex)
{
  mutex_pre_lock (mutex, 0);
  REAL (g_mutex_lock) (mutex);
  mutex_post_lock (mutex, 0);
}

gboolean
g_mutex_trylock (GMutex * mutex)
{
  gboolean ok;

  mutex_pre_lock (mutex, TSAN_MUTEX_TRY_LOCK);
  ok = REAL (g_mutex_trylock) (mutex);
  mutex_post_lock (mutex, TSAN_MUTEX_TRY_LOCK
      | (ok ? 0 : TSAN_MUTEX_TRY_LOCK_FAILED));
  return ok;
}

void
g_mutex_unlock (GMutex * mutex)
{
  if (have_tsan)
    __tsan_mutex_pre_unlock (mutex, 0);
  REAL (g_mutex_unlock) (mutex);
  if (have_tsan)
    __tsan_mutex_post_unlock (mutex, 0);
}

void
g_mutex_clear (GMutex * mutex)
{
  if (have_tsan)
    __tsan_mutex_destroy (mutex, 0);
  REAL (g_mutex_clear) (mutex);
}

/* ---- GCond: the wait unlocks and locks its mutex inside libglib ---------- */

void
g_cond_wait (GCond * cond, GMutex * mutex)
{
  mutex_unlock_ann (mutex);
  REAL (g_cond_wait) (cond, mutex);
  mutex_pre_lock (mutex, 0);
  mutex_post_lock (mutex, 0);
  acquire (cond);
}

gboolean
g_cond_wait_until (GCond * cond, GMutex * mutex, gint64 end_time)
{
  gboolean signalled;

  mutex_unlock_ann (mutex);
  signalled = REAL (g_cond_wait_until) (cond, mutex, end_time);
  mutex_pre_lock (mutex, 0);
  mutex_post_lock (mutex, 0);
  acquire (cond);
  return signalled;
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
gboolean
g_cond_timed_wait (GCond * cond, GMutex * mutex, GTimeVal * abs_time)
{
  gboolean signalled;

  mutex_unlock_ann (mutex);
  signalled = REAL (g_cond_timed_wait) (cond, mutex, abs_time);
  mutex_pre_lock (mutex, 0);
  mutex_post_lock (mutex, 0);
  acquire (cond);
  return signalled;
}
G_GNUC_END_IGNORE_DEPRECATIONS

void
g_cond_signal (GCond * cond)
{
  release (cond);
  REAL (g_cond_signal) (cond);
}

void
g_cond_broadcast (GCond * cond)
{
  release (cond);
  REAL (g_cond_broadcast) (cond);
}

/* ---- GRecMutex, GRWLock ------------------------------------------------- */

void
g_rec_mutex_lock (GRecMutex * rec_mutex)
{
  REAL (g_rec_mutex_lock) (rec_mutex);
  acquire (rec_mutex);
}

gboolean
g_rec_mutex_trylock (GRecMutex * rec_mutex)
{
  gboolean ok = REAL (g_rec_mutex_trylock) (rec_mutex);

  if (ok)
    acquire (rec_mutex);
  return ok;
}

void
g_rec_mutex_unlock (GRecMutex * rec_mutex)
{
  release (rec_mutex);
  REAL (g_rec_mutex_unlock) (rec_mutex);
}

/* Writers release on the lock, readers on lock + 1: a reader acquires what
 * writers published, a writer what writers and readers did. */
#define READERS(l) ((const char *) (l) + 1)

void
g_rw_lock_writer_lock (GRWLock * rw_lock)
{
  REAL (g_rw_lock_writer_lock) (rw_lock);
  acquire (rw_lock);
  acquire (READERS (rw_lock));
}

gboolean
g_rw_lock_writer_trylock (GRWLock * rw_lock)
{
  gboolean ok = REAL (g_rw_lock_writer_trylock) (rw_lock);

  if (ok) {
    acquire (rw_lock);
    acquire (READERS (rw_lock));
  }
  return ok;
}

void
g_rw_lock_writer_unlock (GRWLock * rw_lock)
{
  release (rw_lock);
  REAL (g_rw_lock_writer_unlock) (rw_lock);
}

void
g_rw_lock_reader_lock (GRWLock * rw_lock)
{
  REAL (g_rw_lock_reader_lock) (rw_lock);
  acquire (rw_lock);
}

gboolean
g_rw_lock_reader_trylock (GRWLock * rw_lock)
{
  gboolean ok = REAL (g_rw_lock_reader_trylock) (rw_lock);

  if (ok)
    acquire (rw_lock);
  return ok;
}

void
g_rw_lock_reader_unlock (GRWLock * rw_lock)
{
  release (READERS (rw_lock));
  REAL (g_rw_lock_reader_unlock) (rw_lock);
}

/* ---- one-time initialisation --------------------------------------------
 * g_once_init_enter () and g_once () are macros whose fast path, an
 * acquire load of the location (status) in the caller, is instrumented
 * code: TSan makes it acquire what was released on that address. The
 * store that publishes the value is in libglib, so the release goes just
 * before it. (GLib 2.74 has no g_once_init_enter_pointer ().) */

gboolean
g_once_init_enter (volatile void *location)
{
  gboolean initialize = REAL (g_once_init_enter) (location);

  /* FALSE: another thread initialized it, maybe while we waited */
  if (!initialize)
    acquire (location);
  return initialize;
}

void
g_once_init_leave (volatile void *location, gsize result)
{
  release (location);
  REAL (g_once_init_leave) (location, result);
}

typedef struct
{
  GThreadFunc func;
  gpointer arg;
  GOnce *once;
} OnceCall;

static gpointer
once_call (gpointer data)
{
  OnceCall *call = data;
  gpointer retval = call->func (call->arg);

  /* g_once_impl () stores status = READY after this returns */
  release (&call->once->status);
  return retval;
}

gpointer
g_once_impl (GOnce * once, GThreadFunc func, gpointer arg)
{
  OnceCall call = { func, arg, once };
  gpointer retval = REAL (g_once_impl) (once, once_call, &call);

  acquire (&once->status);
  return retval;
}

/* ---- reference counts --------------------------------------------------- */

gpointer g_object_ref (gpointer object);
void g_object_unref (gpointer object);
gpointer g_object_ref_sink (gpointer object);

gpointer
g_object_ref (gpointer object)
{
  acq_rel (object);
  return REAL (g_object_ref) (object);
}

gpointer
g_object_ref_sink (gpointer object)
{
  acq_rel (object);
  return REAL (g_object_ref_sink) (object);
}

/* The last unref. Annotating "acquire + release, then the real unref" is
 * not enough: with two references held by two threads, both annotate,
 * then both decrement, and the second to decrement (which finalizes and
 * frees) may have annotated before the first released. So the
 * annotation and a decrement that is not the last are made one step:
 * under a lock of the shim's own (a spinlock per stripe of addresses,
 * recursive, invisible to TSan so that it adds no happens-before of its
 * own), an unref that finds more than one reference releases, acquires and
 * decrements; one that finds the last reference has acquired every
 * earlier release and finalizes outside the lock. */
#define STRIPES 1024

typedef struct
{
  pthread_t owner;
  gint held;                    /* 0: free */
  gint depth;
} Stripe;

static Stripe stripes[STRIPES];

static Stripe *
stripe_lock (const void *object)
{
  Stripe *s = &stripes[((uintptr_t) object >> 4) % STRIPES];
  pthread_t self = pthread_self ();
  gint expected;

  if (__atomic_load_n (&s->held, __ATOMIC_ACQUIRE)
      && pthread_equal (s->owner, self)) {
    s->depth++;
    return s;
  }
  for (;;) {
    expected = 0;
    if (__atomic_compare_exchange_n (&s->held, &expected, 1, FALSE,
            __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      break;
    sched_yield ();
  }
  s->owner = self;
  s->depth = 1;
  return s;
}

static void
stripe_unlock (Stripe * s)
{
  if (--s->depth == 0) {
    memset (&s->owner, 0, sizeof s->owner);
    __atomic_store_n (&s->held, 0, __ATOMIC_RELEASE);
  }
}

/* GObject and GstMiniObject both keep their count in their public
 * structure: GObject's ref_count after the GTypeInstance, GstMiniObject's
 * refcount after its GType. */
typedef struct
{
  gpointer g_class;
  guint ref_count;
} ObjectHead;

typedef struct
{
  gsize type;                   /* GType */
  gint refcount;
} MiniObjectHead;

#define UNREF_ONE_STEP(object, count, real_unref) \
  do { \
    Stripe *s_; \
    if (!have_tsan || (object) == NULL) { \
      real_unref (object); \
      break; \
    } \
    s_ = stripe_lock (object); \
    acq_rel (object); \
    if ((gint) __atomic_load_n (count, __ATOMIC_SEQ_CST) > 1) { \
      real_unref (object); \
      stripe_unlock (s_); \
    } else { \
      stripe_unlock (s_); \
      real_unref (object); \
    } \
  } while (0)

void
g_object_unref (gpointer object)
{
  UNREF_ONE_STEP (object, &((ObjectHead *) object)->ref_count,
      REAL (g_object_unref));
}

void
g_atomic_ref_count_inc (gatomicrefcount * arc)
{
  acq_rel (arc);
  REAL (g_atomic_ref_count_inc) (arc);
}

gboolean
g_atomic_ref_count_dec (gatomicrefcount * arc)
{
  acq_rel (arc);
  return REAL (g_atomic_ref_count_dec) (arc);
}

gpointer
g_atomic_rc_box_acquire (gpointer mem_block)
{
  acq_rel (mem_block);
  return REAL (g_atomic_rc_box_acquire) (mem_block);
}

void
g_atomic_rc_box_release (gpointer mem_block)
{
  acq_rel (mem_block);
  REAL (g_atomic_rc_box_release) (mem_block);
}

void
g_atomic_rc_box_release_full (gpointer mem_block, GDestroyNotify clear_func)
{
  acq_rel (mem_block);
  REAL (g_atomic_rc_box_release_full) (mem_block, clear_func);
}

/* Exported, but <glib/gatomic.h> makes these macros (__atomic builtins) in
 * every caller built with gcc or clang: nothing on Debian calls them.
 * Wrapped for callers built otherwise. */
void
g_atomic_int_inc (volatile gint * atomic)
{
  acq_rel (atomic);
  REAL (g_atomic_int_inc) (atomic);
}

gboolean
g_atomic_int_dec_and_test (volatile gint * atomic)
{
  acq_rel (atomic);
  return REAL (g_atomic_int_dec_and_test) (atomic);
}

/* GstMiniObject (buffers, events, messages, caps...), without including
 * GStreamer's headers: pointers are all the shim needs. */
gpointer gst_mini_object_ref (gpointer mini_object);
void gst_mini_object_unref (gpointer mini_object);

gpointer
gst_mini_object_ref (gpointer mini_object)
{
  acq_rel (mini_object);
  return REAL (gst_mini_object_ref) (mini_object);
}

void
gst_mini_object_unref (gpointer mini_object)
{
  UNREF_ONE_STEP (mini_object, &((MiniObjectHead *) mini_object)->refcount,
      REAL (gst_mini_object_unref));
}

/* ---- GAsyncQueue -------------------------------------------------------- */

#define QUEUE_PUSH(name, args, call) \
  void name args \
  { \
    release (queue); \
    ignore_begin (); \
    REAL (name) call; \
    ignore_end (); \
  }

QUEUE_PUSH (g_async_queue_push, (GAsyncQueue * queue, gpointer data),
    (queue, data))
QUEUE_PUSH (g_async_queue_push_unlocked, (GAsyncQueue * queue, gpointer data),
    (queue, data))
QUEUE_PUSH (g_async_queue_push_front, (GAsyncQueue * queue, gpointer item),
    (queue, item))
QUEUE_PUSH (g_async_queue_push_front_unlocked, (GAsyncQueue * queue,
        gpointer item), (queue, item))
QUEUE_PUSH (g_async_queue_push_sorted, (GAsyncQueue * queue, gpointer data,
        GCompareDataFunc func, gpointer user_data),
    (queue, data, func, user_data))
QUEUE_PUSH (g_async_queue_push_sorted_unlocked, (GAsyncQueue * queue,
        gpointer data, GCompareDataFunc func, gpointer user_data),
    (queue, data, func, user_data))

#define QUEUE_POP(name, args, call) \
  gpointer name args \
  { \
    gpointer item; \
    ignore_begin (); \
    item = REAL (name) call; \
    ignore_end (); \
    if (item != NULL) \
      acquire (queue); \
    return item; \
  }

QUEUE_POP (g_async_queue_pop, (GAsyncQueue * queue), (queue))
QUEUE_POP (g_async_queue_pop_unlocked, (GAsyncQueue * queue), (queue))
QUEUE_POP (g_async_queue_try_pop, (GAsyncQueue * queue), (queue))
QUEUE_POP (g_async_queue_try_pop_unlocked, (GAsyncQueue * queue), (queue))
QUEUE_POP (g_async_queue_timeout_pop, (GAsyncQueue * queue, guint64 timeout),
    (queue, timeout))
QUEUE_POP (g_async_queue_timeout_pop_unlocked, (GAsyncQueue * queue,
        guint64 timeout), (queue, timeout))
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
QUEUE_POP (g_async_queue_timed_pop, (GAsyncQueue * queue, GTimeVal * end_time),
    (queue, end_time))
QUEUE_POP (g_async_queue_timed_pop_unlocked, (GAsyncQueue * queue,
        GTimeVal * end_time), (queue, end_time))
G_GNUC_END_IGNORE_DEPRECATIONS

/* ---- GThreadPool: the worker acquires what the pusher released ---------- */

typedef struct
{
  GFunc func;
  gpointer user_data;
  GThreadPool *volatile pool;
} PoolCall;

static void
pool_call (gpointer data, gpointer user_data)
{
  PoolCall *call = user_data;

  acquire (__atomic_load_n (&call->pool, __ATOMIC_ACQUIRE));
  call->func (data, call->user_data);
}

/* The PoolCall lives as long as the process (one per pool). */
static GThreadPool *
pool_made (GThreadPool * pool, PoolCall * call)
{
  if (pool == NULL)
    free (call);
  else
    __atomic_store_n (&call->pool, pool, __ATOMIC_RELEASE);
  return pool;
}

static PoolCall *
pool_call_new (GFunc func, gpointer user_data)
{
  PoolCall *call = calloc (1, sizeof *call);

  if (call == NULL)
    abort ();
  call->func = func;
  call->user_data = user_data;
  return call;
}

GThreadPool *
g_thread_pool_new (GFunc func, gpointer user_data, gint max_threads,
    gboolean exclusive, GError ** error)
{
  PoolCall *call = pool_call_new (func, user_data);

  return pool_made (REAL (g_thread_pool_new) (pool_call, call, max_threads,
          exclusive, error), call);
}

GThreadPool *
g_thread_pool_new_full (GFunc func, gpointer user_data,
    GDestroyNotify item_free_func, gint max_threads, gboolean exclusive,
    GError ** error)
{
  PoolCall *call = pool_call_new (func, user_data);

  return pool_made (REAL (g_thread_pool_new_full) (pool_call, call,
          item_free_func, max_threads, exclusive, error), call);
}

gboolean
g_thread_pool_push (GThreadPool * pool, gpointer data, GError ** error)
{
  gboolean ok;

  release (pool);
  /* the same GAsyncQueue inside */
  ignore_begin ();
  ok = REAL (g_thread_pool_push) (pool, data, error);
  ignore_end ();
  return ok;
}

/* These push wake-up markers into the pool's (or the unused threads')
 * queue, whose list nodes the workers then free. */
void
g_thread_pool_free (GThreadPool * pool, gboolean immediate, gboolean wait_)
{
  release (pool);
  ignore_begin ();
  REAL (g_thread_pool_free) (pool, immediate, wait_);
  ignore_end ();
}

gboolean
g_thread_pool_set_max_threads (GThreadPool * pool, gint max_threads,
    GError ** error)
{
  gboolean ok;

  release (pool);
  ignore_begin ();
  ok = REAL (g_thread_pool_set_max_threads) (pool, max_threads, error);
  ignore_end ();
  return ok;
}

/* GTask calls it when a task is cancelled: a removal and a push in front */
gboolean
g_thread_pool_move_to_front (GThreadPool * pool, gpointer data)
{
  gboolean ok;

  release (pool);
  ignore_begin ();
  ok = REAL (g_thread_pool_move_to_front) (pool, data);
  ignore_end ();
  return ok;
}

void
g_thread_pool_set_max_unused_threads (gint max_threads)
{
  ignore_begin ();
  REAL (g_thread_pool_set_max_unused_threads) (max_threads);
  ignore_end ();
}

void
g_thread_pool_stop_unused_threads (void)
{
  ignore_begin ();
  REAL (g_thread_pool_stop_unused_threads) ();
  ignore_end ();
}

/* ---- GMainContext ------------------------------------------------------- */

#define REFCOUNTED(type, ref, unref) \
  type * ref (type * object) \
  { \
    acq_rel (object); \
    return REAL (ref) (object); \
  } \
  void unref (type * object) \
  { \
    acq_rel (object); \
    REAL (unref) (object); \
  }

REFCOUNTED (GMainLoop, g_main_loop_ref, g_main_loop_unref)

/* The last unref of an attached source takes it out of its context's
 * table of sources, that of a context frees them all: GLib's memory under
 * GLib's lock (see g_source_attach () below). */
#define REFCOUNTED_IGNORED(type, ref, unref) \
  type * ref (type * object) \
  { \
    acq_rel (object); \
    return REAL (ref) (object); \
  } \
  void unref (type * object) \
  { \
    acq_rel (object); \
    ignore_begin (); \
    REAL (unref) (object); \
    ignore_end (); \
  }

REFCOUNTED_IGNORED (GSource, g_source_ref, g_source_unref)
REFCOUNTED_IGNORED (GMainContext, g_main_context_ref, g_main_context_unref)

typedef struct
{
  gint ref_count;
  GSourceFunc func;
  gpointer data;
  GDestroyNotify notify;
} Callback;

static void
callback_ref (gpointer cb_data)
{
  Callback *cb = cb_data;

  __atomic_add_fetch (&cb->ref_count, 1, __ATOMIC_SEQ_CST);
}

static void
callback_unref (gpointer cb_data)
{
  Callback *cb = cb_data;

  if (__atomic_sub_fetch (&cb->ref_count, 1, __ATOMIC_SEQ_CST) == 0) {
    if (cb->notify != NULL)
      cb->notify (cb->data);
    free (cb);
  }
}

/* Called by the thread that dispatches the source, just before the
 * dispatch (and by g_main_context_find_source_by_user_data ()). */
static void
callback_get (gpointer cb_data, GSource * source, GSourceFunc * func,
    gpointer * data)
{
  Callback *cb = cb_data;

  acquire (source);
  *func = cb->func;
  *data = cb->data;
}

static GSourceCallbackFuncs callback_funcs = {
  callback_ref, callback_unref, callback_get
};

/* What GLib's own g_source_set_callback () does, with the callback
 * functions above instead of its internal ones. */
void
g_source_set_callback (GSource * source, GSourceFunc func, gpointer data,
    GDestroyNotify notify)
{
  Callback *cb;

  if (source == NULL) {
    REAL (g_source_set_callback) (source, func, data, notify);
    return;
  }
  cb = malloc (sizeof *cb);
  if (cb == NULL)
    abort ();
  cb->ref_count = 1;
  cb->func = func;
  cb->data = data;
  cb->notify = notify;
  g_source_set_callback_indirect (source, cb, &callback_funcs);
}

/* The context's tables (a hash table of sources by id, priority lists)
 * grow and shrink under its own lock inside libglib, which TSan cannot
 * see: its allocations here are not recorded (the loop thread's are
 * made inside libglib, where nothing is recorded either). */
guint
g_source_attach (GSource * source, GMainContext * context)
{
  guint id;

  release (source);
  ignore_begin ();
  id = REAL (g_source_attach) (source, context);
  ignore_end ();
  return id;
}

void
g_source_destroy (GSource * source)
{
  ignore_begin ();
  REAL (g_source_destroy) (source);
  ignore_end ();
}

gboolean
g_source_remove (guint tag)
{
  gboolean found;

  ignore_begin ();
  found = REAL (g_source_remove) (tag);
  ignore_end ();
  return found;
}

void
g_source_set_ready_time (GSource * source, gint64 ready_time)
{
  release (source);
  REAL (g_source_set_ready_time) (source, ready_time);
}

static guint
add_source (GSource * source, gint priority, gint default_priority,
    GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  guint id;

  if (priority != default_priority)
    g_source_set_priority (source, priority);
  g_source_set_callback (source, func, data, notify);
  id = g_source_attach (source, NULL);
  g_source_unref (source);
  return id;
}

guint
g_idle_add_full (gint priority, GSourceFunc function, gpointer data,
    GDestroyNotify notify)
{
  g_return_val_if_fail (function != NULL, 0);
  return add_source (g_idle_source_new (), priority, G_PRIORITY_DEFAULT_IDLE,
      function, data, notify);
}

guint
g_idle_add (GSourceFunc function, gpointer data)
{
  return g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, function, data, NULL);
}

guint
g_timeout_add_full (gint priority, guint interval, GSourceFunc function,
    gpointer data, GDestroyNotify notify)
{
  g_return_val_if_fail (function != NULL, 0);
  return add_source (g_timeout_source_new (interval), priority,
      G_PRIORITY_DEFAULT, function, data, notify);
}

guint
g_timeout_add (guint interval, GSourceFunc function, gpointer data)
{
  return g_timeout_add_full (G_PRIORITY_DEFAULT, interval, function, data,
      NULL);
}

guint
g_timeout_add_seconds_full (gint priority, guint interval,
    GSourceFunc function, gpointer data, GDestroyNotify notify)
{
  g_return_val_if_fail (function != NULL, 0);
  return add_source (g_timeout_source_new_seconds (interval), priority,
      G_PRIORITY_DEFAULT, function, data, notify);
}

guint
g_timeout_add_seconds (guint interval, GSourceFunc function, gpointer data)
{
  return g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, interval, function,
      data, NULL);
}

/* g_idle_add_once () and g_timeout_add_once (): GLib runs the function
 * once from an internal one-shot flag; the same through a closure. */
typedef struct
{
  GSourceOnceFunc func;
  gpointer data;
} OnceSource;

static gboolean
once_source_run (gpointer data)
{
  OnceSource *os = data;

  os->func (os->data);
  return G_SOURCE_REMOVE;
}

static OnceSource *
once_source_new (GSourceOnceFunc func, gpointer data)
{
  OnceSource *os = malloc (sizeof *os);

  if (os == NULL)
    abort ();
  os->func = func;
  os->data = data;
  return os;
}

guint
g_idle_add_once (GSourceOnceFunc function, gpointer data)
{
  g_return_val_if_fail (function != NULL, 0);
  return g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, once_source_run,
      once_source_new (function, data), free);
}

guint
g_timeout_add_once (guint interval, GSourceOnceFunc function, gpointer data)
{
  g_return_val_if_fail (function != NULL, 0);
  return g_timeout_add_full (G_PRIORITY_DEFAULT, interval, once_source_run,
      once_source_new (function, data), free);
}

/* GLib 2.74's g_main_context_invoke_full (), through the wrappers */
void
g_main_context_invoke_full (GMainContext * context, gint priority,
    GSourceFunc function, gpointer data, GDestroyNotify notify)
{
  g_return_if_fail (function != NULL);

  if (context == NULL)
    context = g_main_context_default ();

  if (g_main_context_is_owner (context)) {
    while (function (data));
    if (notify != NULL)
      notify (data);
  } else {
    GMainContext *thread_default = g_main_context_get_thread_default ();

    if (thread_default == NULL)
      thread_default = g_main_context_default ();

    if (thread_default == context && g_main_context_acquire (context)) {
      while (function (data));
      g_main_context_release (context);
      if (notify != NULL)
        notify (data);
    } else {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, priority);
      g_source_set_callback (source, function, data, notify);
      g_source_attach (source, context);
      g_source_unref (source);
    }
  }
}

void
g_main_context_invoke (GMainContext * context, GSourceFunc function,
    gpointer data)
{
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, function, data,
      NULL);
}

/* ---- quarks and interned strings ------------------------------------------
 * A new quark's string is copied into a shared block under a lock inside
 * libglib and read without one: release on the string once it is in,
 * acquire on it where a thread gets it. */

static const gchar *
quark_published (GQuark quark)
{
  const gchar *string = quark ? REAL (g_quark_to_string) (quark) : NULL;

  release (string);
  return string;
}

/* The lookups and copies inside happen under GLib's quark lock, which
 * TSan does not see: they are not recorded. */
GQuark
g_quark_from_string (const gchar * string)
{
  GQuark quark;

  ignore_begin ();
  quark = REAL (g_quark_from_string) (string);
  ignore_end ();

  acquire (quark_published (quark));
  return quark;
}

GQuark
g_quark_from_static_string (const gchar * string)
{
  GQuark quark;

  ignore_begin ();
  quark = REAL (g_quark_from_static_string) (string);
  ignore_end ();

  acquire (quark_published (quark));
  return quark;
}

GQuark
g_quark_try_string (const gchar * string)
{
  GQuark quark;

  ignore_begin ();
  quark = REAL (g_quark_try_string) (string);
  ignore_end ();
  return quark;
}

const gchar *
g_quark_to_string (GQuark quark)
{
  const gchar *string = REAL (g_quark_to_string) (quark);

  acquire (string);
  return string;
}

const gchar *
g_intern_string (const gchar * string)
{
  const gchar *interned;

  ignore_begin ();
  interned = REAL (g_intern_string) (string);
  ignore_end ();

  release (interned);
  acquire (interned);
  return interned;
}

const gchar *
g_intern_static_string (const gchar * string)
{
  const gchar *interned;

  ignore_begin ();
  interned = REAL (g_intern_static_string) (string);
  ignore_end ();

  release (interned);
  acquire (interned);
  return interned;
}

/* ---- GstBus: messages cross threads through a lock-free queue ----------- */

gboolean gst_element_post_message (gpointer element, gpointer message);
gboolean gst_bus_post (gpointer bus, gpointer message);
gpointer gst_bus_pop (gpointer bus);
gpointer gst_bus_pop_filtered (gpointer bus, guint types);
gpointer gst_bus_timed_pop (gpointer bus, guint64 timeout);
gpointer gst_bus_timed_pop_filtered (gpointer bus, guint64 timeout,
    guint types);
gpointer gst_bus_poll (gpointer bus, guint events, guint64 timeout);

gboolean
gst_element_post_message (gpointer element, gpointer message)
{
  release (message);
  return REAL (gst_element_post_message) (element, message);
}

gboolean
gst_bus_post (gpointer bus, gpointer message)
{
  release (message);
  return REAL (gst_bus_post) (bus, message);
}

static gpointer
popped (gpointer message)
{
  acquire (message);
  return message;
}

gpointer
gst_bus_pop (gpointer bus)
{
  return popped (REAL (gst_bus_pop) (bus));
}

gpointer
gst_bus_pop_filtered (gpointer bus, guint types)
{
  return popped (REAL (gst_bus_pop_filtered) (bus, types));
}

gpointer
gst_bus_timed_pop (gpointer bus, guint64 timeout)
{
  return popped (REAL (gst_bus_timed_pop) (bus, timeout));
}

gpointer
gst_bus_timed_pop_filtered (gpointer bus, guint64 timeout, guint types)
{
  return popped (REAL (gst_bus_timed_pop_filtered) (bus, timeout, types));
}

gpointer
gst_bus_poll (gpointer bus, guint events, guint64 timeout)
{
  return popped (REAL (gst_bus_poll) (bus, events, timeout));
}
