/* InworldCache tests: the synthesis cache's store on disk
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The store alone, in a fresh temporary directory per test: entries read
 * back as written, damaged files are misses (and deleted), temporary
 * files are never entries, eviction goes least recently used first, file
 * names are the key's SHA-256, and writers in several threads (each with
 * a cache object of its own, as processes would have) never let a reader
 * see a partial entry. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>

#include "inworldcache.h"

static gchar *dir;

static void
setup (void)
{
  dir = g_dir_make_tmp ("inworld-cache-XXXXXX", NULL);
  fail_unless (dir != NULL);
}

static void
rm_rf (const gchar * path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (path, name, NULL);

    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (path);
}

static void
teardown (void)
{
  rm_rf (dir);
  g_clear_pointer (&dir, g_free);
}

/* An entry of two syntheses: audio of @size bytes (a pattern from @seed),
 * timings, ends. */
static InworldCacheEntry *
make_entry (guint seed, gsize size)
{
  InworldCacheEntry *e = inworld_cache_entry_new ();
  guint8 *data = g_malloc (size);
  InworldTimings t = { 0 };
  gchar *tokens[] = { (gchar *) "Hello", (gchar *) "world", NULL };
  gdouble start[] = { 0.0, 0.25 }, end[] = { 0.2, 0.5 };
  GBytes *bytes;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + seed);
  bytes = g_bytes_new_take (data, size);
  e->encoding = INWORLD_ENCODING_LINEAR16;
  e->sample_rate = 24000;
  e->characters = 12 + seed;
  t.n = 2;
  t.tokens = tokens;
  t.start = start;
  t.end = end;
  inworld_cache_entry_add_audio (e, bytes);
  inworld_cache_entry_add_timings (e, &t);
  inworld_cache_entry_add_synthesis_end (e);
  inworld_cache_entry_add_audio (e, bytes);
  inworld_cache_entry_add_synthesis_end (e);
  g_bytes_unref (bytes);
  return e;
}

static void
assert_same_entry (const InworldCacheEntry * a, const InworldCacheEntry * b)
{
  fail_unless_equals_int (a->encoding, b->encoding);
  fail_unless_equals_int (a->sample_rate, b->sample_rate);
  fail_unless_equals_int (a->characters, b->characters);
  fail_unless_equals_int (a->items->len, b->items->len);
  for (guint i = 0; i < a->items->len; i++) {
    InworldCacheItem *x = g_ptr_array_index (a->items, i);
    InworldCacheItem *y = g_ptr_array_index (b->items, i);

    fail_unless_equals_int (x->type, y->type);
    fail_unless_equals_int (x->audio != NULL, y->audio != NULL);
    if (x->audio)
      fail_unless (g_bytes_equal (x->audio, y->audio), "audio %u differs", i);
    fail_unless_equals_int (x->timings != NULL, y->timings != NULL);
    if (x->timings) {
      fail_unless_equals_int (x->timings->n, y->timings->n);
      fail_unless_equals_int (x->timings->characters,
          y->timings->characters);
      for (guint t = 0; t < x->timings->n; t++) {
        fail_unless_equals_string (x->timings->tokens[t],
            y->timings->tokens[t]);
        fail_unless (x->timings->start[t] == y->timings->start[t]);
        fail_unless (x->timings->end[t] == y->timings->end[t]);
      }
    }
  }
}

static gchar *
path_of (const gchar * key)
{
  gchar *name = inworld_cache_file_name (key);
  gchar *path = g_build_filename (dir, name, NULL);

  g_free (name);
  return path;
}

static gint
by_name (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar **) a, *(const gchar **) b);
}

/* The names in the directory, sorted, space-separated ("" when none). */
static gchar *
list_dir (void)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  gchar *out;

  while ((name = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (d);
  g_ptr_array_sort (names, by_name);
  g_ptr_array_add (names, NULL);
  out = g_strjoinv (" ", (gchar **) names->pdata);
  g_ptr_array_unref (names);
  return out;
}

static gchar *
names_of (const gchar * first, ...)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  va_list args;
  gchar *out;

  va_start (args, first);
  for (const gchar * k = first; k; k = va_arg (args, const gchar *))
      g_ptr_array_add (names, inworld_cache_file_name (k));
  va_end (args);
  g_ptr_array_sort (names, by_name);
  g_ptr_array_add (names, NULL);
  out = g_strjoinv (" ", (gchar **) names->pdata);
  g_ptr_array_unref (names);
  return out;
}

GST_START_TEST (test_write_and_read_back)
{
  InworldCache *cache = inworld_cache_new (dir, 0, NULL);
  InworldCacheEntry *e = make_entry (1, 5000), *got;
  GError *error = NULL;
  gchar *listing, *expected;

  fail_unless (cache != NULL);
  got = inworld_cache_lookup (cache, "key one", &error);
  fail_unless (got == NULL && error == NULL, "a missing entry is a miss");

  fail_unless (inworld_cache_write (cache, "key one", e, &error));
  got = inworld_cache_lookup (cache, "key one", &error);
  fail_unless (got != NULL, "no hit: %s", error ? error->message : "");
  assert_same_entry (e, got);
  inworld_cache_entry_unref (got);

  /* a key that differs in any way is another entry */
  got = inworld_cache_lookup (cache, "key one ", &error);
  fail_unless (got == NULL && error == NULL);

  /* the entry went in through a rename: no temporary file is left */
  listing = list_dir ();
  expected = names_of ("key one", NULL);
  fail_unless_equals_string (listing, expected);
  g_free (listing);
  g_free (expected);

  /* another cache object (another process) reads it too */
  {
    InworldCache *other = inworld_cache_new (dir, 0, NULL);

    got = inworld_cache_lookup (other, "key one", &error);
    fail_unless (got != NULL);
    assert_same_entry (e, got);
    inworld_cache_entry_unref (got);
    inworld_cache_unref (other);
  }
  inworld_cache_entry_unref (e);
  inworld_cache_unref (cache);
}

GST_END_TEST;

/* What a writer that crashed leaves (a temporary file, whole or not) is
 * never an entry, and eviction deletes it once it is old. */
GST_START_TEST (test_crashed_writer_is_never_read)
{
  InworldCache *cache = inworld_cache_new (dir, 0, NULL);
  InworldCacheEntry *e = make_entry (2, 3000), *got;
  GError *error = NULL;
  gchar *path = path_of ("k"), *tmp, *contents, *listing, *expected;
  gsize size;
  struct timespec old[2] = { {0, UTIME_OMIT}, {1000, 0} };

  fail_unless (inworld_cache_write (cache, "k", e, NULL));
  fail_unless (g_file_get_contents (path, &contents, &size, NULL));
  g_unlink (path);
  /* a temporary file of a writer that stopped half-way */
  tmp = g_build_filename (dir, ".tmp-AbC123", NULL);
  fail_unless (g_file_set_contents (tmp, contents, size / 2, NULL));
  got = inworld_cache_lookup (cache, "k", &error);
  fail_unless (got == NULL && error == NULL);
  /* a recent one may be a writer at work: kept */
  inworld_cache_evict (cache);
  fail_unless (g_file_test (tmp, G_FILE_TEST_EXISTS));
  fail_unless (utimensat (AT_FDCWD, tmp, old, 0) == 0);
  inworld_cache_evict (cache);
  fail_if (g_file_test (tmp, G_FILE_TEST_EXISTS), "a stale temporary file "
      "is deleted");

  /* half an entry under the entry's own name (what a writer that did not
   * rename would leave) is damaged: a miss with an error, deleted */
  fail_unless (g_file_set_contents (path, contents, size / 2, NULL));
  got = inworld_cache_lookup (cache, "k", &error);
  fail_unless (got == NULL);
  fail_unless (g_error_matches (error, INWORLD_CACHE_ERROR,
          INWORLD_CACHE_ERROR_CORRUPT));
  g_clear_error (&error);
  fail_if (g_file_test (path, G_FILE_TEST_EXISTS));
  listing = list_dir ();
  expected = g_strdup ("");
  fail_unless_equals_string (listing, expected);

  g_free (listing);
  g_free (expected);
  g_free (contents);
  g_free (tmp);
  g_free (path);
  inworld_cache_entry_unref (e);
  inworld_cache_unref (cache);
}

GST_END_TEST;

typedef void (*Damage) (gchar * data, gsize * size);

static void
damage_truncate (gchar * data, gsize * size)
{
  *size -= 10;
}

static void
damage_flip (gchar * data, gsize * size)
{
  data[*size - 100] ^= 0x40;
}

static void
damage_magic (gchar * data, gsize * size)
{
  data[0] = 'X';
}

static void
damage_version (gchar * data, gsize * size)
{
  data[8] = 2;
}

static void
damage_empty (gchar * data, gsize * size)
{
  *size = 0;
}

static void
damage_header_only (gchar * data, gsize * size)
{
  *size = 56;
}

static void
damage_longer (gchar * data, gsize * size)
{
  /* room was allocated: see the caller */
  *size += 3;
}

GST_START_TEST (test_corrupt_entry_is_a_miss)
{
  const Damage damages[] = { damage_truncate, damage_flip, damage_magic,
    damage_version, damage_empty, damage_header_only, damage_longer
  };
  InworldCache *cache = inworld_cache_new (dir, 0, NULL);
  InworldCacheEntry *e = make_entry (3, 4000), *got;
  gchar *path = path_of ("key"), *good, *data;
  gsize good_size;

  fail_unless (inworld_cache_write (cache, "key", e, NULL));
  fail_unless (g_file_get_contents (path, &good, &good_size, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (damages); i++) {
    GError *error = NULL;
    gsize size = good_size;

    data = g_malloc0 (good_size + 16);
    memcpy (data, good, good_size);
    damages[i] (data, &size);
    fail_unless (g_file_set_contents (path, data, size, NULL));
    got = inworld_cache_lookup (cache, "key", &error);
    fail_unless (got == NULL, "damage %u read as an entry", i);
    fail_unless (g_error_matches (error, INWORLD_CACHE_ERROR,
            INWORLD_CACHE_ERROR_CORRUPT), "damage %u: no error", i);
    g_clear_error (&error);
    fail_if (g_file_test (path, G_FILE_TEST_EXISTS), "damage %u kept", i);
    /* then a miss, as for any absent entry */
    got = inworld_cache_lookup (cache, "key", &error);
    fail_unless (got == NULL && error == NULL);
    g_free (data);
  }

  /* a sound entry of another key under this key's name */
  {
    gchar *other = path_of ("another key");
    GError *error = NULL;

    fail_unless (inworld_cache_write (cache, "another key", e, NULL));
    fail_unless (g_rename (other, path) == 0);
    got = inworld_cache_lookup (cache, "key", &error);
    fail_unless (got == NULL);
    fail_unless (g_error_matches (error, INWORLD_CACHE_ERROR,
            INWORLD_CACHE_ERROR_CORRUPT));
    g_clear_error (&error);
    g_free (other);
  }
  g_free (good);
  g_free (path);
  inworld_cache_entry_unref (e);
  inworld_cache_unref (cache);
}

GST_END_TEST;

static guint64
file_size (const gchar * key)
{
  gchar *path = path_of (key);
  GStatBuf st;

  fail_unless (g_stat (path, &st) == 0);
  g_free (path);
  return st.st_size;
}

static void
write_evict (InworldCache * cache, const gchar * key, guint seed)
{
  InworldCacheEntry *e = make_entry (seed, 2000);

  fail_unless (inworld_cache_write (cache, key, e, NULL));
  inworld_cache_evict (cache);
  inworld_cache_entry_unref (e);
}

static void
hit (InworldCache * cache, const gchar * key)
{
  InworldCacheEntry *e = inworld_cache_lookup (cache, key, NULL);

  fail_unless (e != NULL, "no entry %s", key);
  inworld_cache_entry_unref (e);
}

GST_START_TEST (test_eviction_least_recently_used_first)
{
  InworldCache *probe = inworld_cache_new (dir, 0, NULL), *cache;
  guint64 size;
  gchar *listing, *expected;

  /* keys of one length: entries of one size */
  write_evict (probe, "key-A", 1);
  size = file_size ("key-A");
  inworld_cache_unref (probe);
  /* three fit, four do not */
  cache = inworld_cache_new (dir, 3 * size + size / 2, NULL);

  write_evict (cache, "key-B", 2);
  write_evict (cache, "key-C", 3);
  hit (cache, "key-A");         /* A is now more recent than B and C */
  write_evict (cache, "key-D", 4);
  listing = list_dir ();
  expected = names_of ("key-A", "key-C", "key-D", NULL);
  fail_unless_equals_string (listing, expected);
  g_free (listing);
  g_free (expected);

  hit (cache, "key-C");
  write_evict (cache, "key-E", 5);
  listing = list_dir ();
  expected = names_of ("key-C", "key-D", "key-E", NULL);
  fail_unless_equals_string (listing, expected);
  g_free (listing);
  g_free (expected);

  /* an entry over the limit on its own does not stay */
  inworld_cache_unref (cache);
  cache = inworld_cache_new (dir, size / 2, NULL);
  fail_unless_equals_int (inworld_cache_evict (cache), 3);
  listing = list_dir ();
  fail_unless_equals_string (listing, "");
  g_free (listing);
  inworld_cache_unref (cache);
}

GST_END_TEST;

/* File names are the key's SHA-256 and nothing else: what the key is made
 * of (here, text that looks like a secret) never shows in a name. */
GST_START_TEST (test_file_names_are_key_hashes)
{
  const gchar *key = "protocol inworld\nvoice Ashley\ntext s3cr3t-looking";
  InworldCache *cache = inworld_cache_new (dir, 0, NULL);
  InworldCacheEntry *e = make_entry (4, 100);
  gchar *name = inworld_cache_file_name (key);
  gchar *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  gchar *expected = g_strconcat (digest, ".entry", NULL);
  gchar *listing;

  fail_unless_equals_string (name, expected);
  fail_unless_equals_int (strlen (name), 64 + 6);
  fail_unless (inworld_cache_write (cache, key, e, NULL));
  listing = list_dir ();
  fail_unless_equals_string (listing, expected);
  fail_if (strstr (listing, "s3cr3t") != NULL);
  /* the same key from another cache object: the same name */
  {
    InworldCache *other = inworld_cache_new (dir, 0, NULL);
    InworldCacheEntry *got = inworld_cache_lookup (other, key, NULL);

    fail_unless (got != NULL);
    inworld_cache_entry_unref (got);
    inworld_cache_unref (other);
  }
  g_free (listing);
  g_free (expected);
  g_free (digest);
  g_free (name);
  inworld_cache_entry_unref (e);
  inworld_cache_unref (cache);
}

GST_END_TEST;

/* inworld_cache_store() writes on a worker thread; the entry is found
 * meanwhile, and on the disk once synced. */
GST_START_TEST (test_store_is_found_before_written)
{
  InworldCache *cache = inworld_cache_new (dir, 0, NULL), *other;
  InworldCacheEntry *e = make_entry (5, 10000), *got;

  inworld_cache_store (cache, "queued", inworld_cache_entry_ref (e));
  got = inworld_cache_lookup (cache, "queued", NULL);
  fail_unless (got != NULL);
  assert_same_entry (e, got);
  inworld_cache_entry_unref (got);
  inworld_cache_sync (cache);
  other = inworld_cache_new (dir, 0, NULL);
  got = inworld_cache_lookup (other, "queued", NULL);
  fail_unless (got != NULL);
  assert_same_entry (e, got);
  inworld_cache_entry_unref (got);
  inworld_cache_unref (other);
  inworld_cache_entry_unref (e);
  inworld_cache_unref (cache);
}

GST_END_TEST;

#define WRITERS 6
#define ROUNDS 15

typedef struct
{
  guint id;
  gint *stop;
  guint corrupt;
  guint hits;
  InworldCacheEntry *shared;
} Worker;

/* A writer with a cache object of its own: the shared key and keys of
 * its own, with a limit that makes it evict what others wrote. */
static gpointer
writer (gpointer data)
{
  Worker *w = data;
  InworldCache *cache = inworld_cache_new (dir, 60000, NULL);

  for (guint r = 0; r < ROUNDS; r++) {
    gchar *key = g_strdup_printf ("writer %u round %u", w->id, r);
    InworldCacheEntry *e = make_entry (w->id + r, 3000 + 10 * r);

    fail_unless (inworld_cache_write (cache, "shared", w->shared, NULL));
    fail_unless (inworld_cache_write (cache, key, e, NULL));
    inworld_cache_evict (cache);
    inworld_cache_entry_unref (e);
    g_free (key);
  }
  inworld_cache_unref (cache);
  return NULL;
}

static gpointer
reader (gpointer data)
{
  Worker *w = data;
  InworldCache *cache = inworld_cache_new (dir, 0, NULL);

  while (!g_atomic_int_get (w->stop)) {
    GError *error = NULL;
    InworldCacheEntry *got = inworld_cache_lookup (cache, "shared", &error);

    if (error) {
      w->corrupt++;
      g_clear_error (&error);
    }
    if (got) {
      w->hits++;
      assert_same_entry (w->shared, got);
      inworld_cache_entry_unref (got);
    }
  }
  inworld_cache_unref (cache);
  return NULL;
}

GST_START_TEST (test_concurrent_writers)
{
  GThread *threads[WRITERS];
  Worker workers[WRITERS], rw = { 0 };
  gint stop = 0;
  GThread *rt;
  GDir *d;
  const gchar *name;

  rw.stop = &stop;
  rw.shared = make_entry (99, 8000);
  rt = g_thread_new ("reader", reader, &rw);
  for (guint i = 0; i < WRITERS; i++) {
    workers[i] = (Worker) {
    i, &stop, 0, 0, rw.shared};
    threads[i] = g_thread_new ("writer", writer, &workers[i]);
  }
  for (guint i = 0; i < WRITERS; i++)
    g_thread_join (threads[i]);
  g_atomic_int_set (&stop, 1);
  g_thread_join (rt);

  fail_unless_equals_int (rw.corrupt, 0);
  GST_INFO ("%u hits of the shared key while it was rewritten", rw.hits);
  /* no temporary file is left behind */
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)))
    fail_unless (g_str_has_suffix (name, ".entry"), "left: %s", name);
  g_dir_close (d);
  inworld_cache_entry_unref (rw.shared);
}

GST_END_TEST;

GST_START_TEST (test_unusable_directory)
{
  gchar *file = g_build_filename (dir, "a-file", NULL);
  gchar *sub = g_build_filename (file, "cache", NULL);
  GError *error = NULL;

  fail_unless (g_file_set_contents (file, "x", 1, NULL));
  fail_unless (inworld_cache_new (sub, 0, &error) == NULL);
  fail_unless (g_error_matches (error, INWORLD_CACHE_ERROR,
          INWORLD_CACHE_ERROR_IO));
  g_clear_error (&error);
  fail_unless (inworld_cache_new ("", 0, &error) == NULL);
  g_clear_error (&error);
  g_free (sub);
  g_free (file);
}

GST_END_TEST;

static Suite *
cache_suite (void)
{
  Suite *s = suite_create ("inworldcache");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_write_and_read_back);
  tcase_add_test (tc, test_crashed_writer_is_never_read);
  tcase_add_test (tc, test_corrupt_entry_is_a_miss);
  tcase_add_test (tc, test_eviction_least_recently_used_first);
  tcase_add_test (tc, test_file_names_are_key_hashes);
  tcase_add_test (tc, test_store_is_found_before_written);
  tcase_add_test (tc, test_concurrent_writers);
  tcase_add_test (tc, test_unusable_directory);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cache);
