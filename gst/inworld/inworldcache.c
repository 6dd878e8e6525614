/* inworldttssrc: a synthesis cache on disk
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The file format, version 1 (little-endian):
 *
 *   0   8   magic "IWTTSC\r\n" (the CR LF catches text-mode mangling)
 *   8   4   version, 1
 *   12  4   0 (reserved)
 *   16  8   payload length in bytes
 *   24  32  SHA-256 of the payload
 *   56      payload: a GVariant of type PAYLOAD_TYPE in normal form
 *
 * The payload: (key, encoding, sample rate, characters, items), each
 * item (type, audio bytes, character timings?, [(token, start, end)]).
 * GVariant reads untrusted bytes safely; the checks before it make a
 * damaged file a miss rather than wrong audio. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "inworldcache.h"
#include "inworlddebug.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GST_CAT_DEFAULT inworld_cache_debug

#define MAGIC "IWTTSC\r\n"
#define FORMAT_VERSION 1
#define HEADER_SIZE 56
#define PAYLOAD_TYPE "(siiua(uayba(sdd)))"
#define SUFFIX ".entry"
#define TMP_PREFIX ".tmp-"
/* A temporary file this old is a crashed writer's. */
#define STALE_TMP_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)

struct _InworldCache
{
  gint refcount;
  gchar *dir;
  guint64 max_size;

  GMutex lock;
  GCond cond;
  GHashTable *pending;          /* key -> InworldCacheEntry *, queued */
  guint queued;                 /* stores not written yet */
  GThreadPool *writer;
};

typedef struct
{
  gchar *key;
  InworldCacheEntry *entry;
} Job;

G_DEFINE_QUARK (inworld-cache-error-quark, inworld_cache_error);

/* ------------------------------------------------------------------------
 * Entries
 * ------------------------------------------------------------------------ */

InworldTimings *
inworld_timings_copy (const InworldTimings * timings)
{
  InworldTimings *copy;

  if (timings == NULL)
    return NULL;
  copy = g_new0 (InworldTimings, 1);
  copy->characters = timings->characters;
  copy->n = timings->n;
  copy->tokens = g_new0 (gchar *, timings->n + 1);
  for (guint i = 0; i < timings->n; i++)
    copy->tokens[i] = g_strdup (timings->tokens[i]);
  copy->start = g_memdup2 (timings->start, sizeof (gdouble) * timings->n);
  copy->end = g_memdup2 (timings->end, sizeof (gdouble) * timings->n);
  return copy;
}

static void
item_free (InworldCacheItem * item)
{
  if (item->audio)
    g_bytes_unref (item->audio);
  inworld_timings_free (item->timings);
  g_free (item);
}

InworldCacheEntry *
inworld_cache_entry_new (void)
{
  InworldCacheEntry *entry = g_new0 (InworldCacheEntry, 1);

  entry->refcount = 1;
  entry->items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  return entry;
}

InworldCacheEntry *
inworld_cache_entry_ref (InworldCacheEntry * entry)
{
  g_atomic_int_inc (&entry->refcount);
  return entry;
}

void
inworld_cache_entry_unref (InworldCacheEntry * entry)
{
  if (entry == NULL || !g_atomic_int_dec_and_test (&entry->refcount))
    return;
  g_ptr_array_unref (entry->items);
  g_free (entry);
}

static InworldCacheItem *
add_item (InworldCacheEntry * entry, InworldCacheItemType type)
{
  InworldCacheItem *item = g_new0 (InworldCacheItem, 1);

  item->type = type;
  g_ptr_array_add (entry->items, item);
  return item;
}

void
inworld_cache_entry_add_audio (InworldCacheEntry * entry, GBytes * audio)
{
  add_item (entry, INWORLD_CACHE_ITEM_AUDIO)->audio = g_bytes_ref (audio);
}

void
inworld_cache_entry_add_timings (InworldCacheEntry * entry,
    const InworldTimings * timings)
{
  add_item (entry, INWORLD_CACHE_ITEM_TIMINGS)->timings =
      inworld_timings_copy (timings);
}

void
inworld_cache_entry_add_synthesis_end (InworldCacheEntry * entry)
{
  add_item (entry, INWORLD_CACHE_ITEM_SYNTHESIS_END);
}

gsize
inworld_cache_entry_audio_size (const InworldCacheEntry * entry)
{
  gsize size = 0;

  for (guint i = 0; i < entry->items->len; i++) {
    InworldCacheItem *item = g_ptr_array_index (entry->items, i);

    if (item->audio)
      size += g_bytes_get_size (item->audio);
  }
  return size;
}

static GVariant *
entry_to_variant (const gchar * key, const InworldCacheEntry * entry)
{
  GVariantBuilder items;

  g_variant_builder_init (&items, G_VARIANT_TYPE ("a(uayba(sdd))"));
  for (guint i = 0; i < entry->items->len; i++) {
    InworldCacheItem *item = g_ptr_array_index (entry->items, i);
    GVariantBuilder tokens;
    gsize size = 0;
    gconstpointer data = item->audio ? g_bytes_get_data (item->audio, &size)
        : NULL;

    g_variant_builder_init (&tokens, G_VARIANT_TYPE ("a(sdd)"));
    for (guint t = 0; item->timings && t < item->timings->n; t++)
      g_variant_builder_add (&tokens, "(sdd)", item->timings->tokens[t],
          item->timings->start[t], item->timings->end[t]);
    g_variant_builder_add (&items, "(u@ayb@a(sdd))", (guint32) item->type,
        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, size, 1),
        item->timings ? item->timings->characters : FALSE,
        g_variant_builder_end (&tokens));
  }
  return g_variant_ref_sink (g_variant_new ("(siiu@a(uayba(sdd)))", key,
          (gint32) entry->encoding, (gint32) entry->sample_rate,
          (guint32) entry->characters, g_variant_builder_end (&items)));
}

/* The entry in @payload, or NULL when it is not one for @key. */
static InworldCacheEntry *
entry_from_variant (GVariant * payload, const gchar * key, GError ** error)
{
  InworldCacheEntry *entry;
  const gchar *stored;
  gint32 encoding, rate;
  guint32 characters;
  GVariantIter *iter;
  GVariant *audio, *tokens;
  guint32 type;
  gboolean chars;

  g_variant_get (payload, "(&siiua(uayba(sdd)))", &stored, &encoding, &rate,
      &characters, &iter);
  if (strcmp (stored, key) != 0) {
    g_variant_iter_free (iter);
    g_set_error (error, INWORLD_CACHE_ERROR, INWORLD_CACHE_ERROR_CORRUPT,
        "the entry is of another key");
    return NULL;
  }
  entry = inworld_cache_entry_new ();
  entry->encoding = encoding;
  entry->sample_rate = rate;
  entry->characters = characters;
  while (g_variant_iter_next (iter, "(u@ayb@a(sdd))", &type, &audio, &chars,
          &tokens)) {
    InworldCacheItem *item;

    if (type > INWORLD_CACHE_ITEM_SYNTHESIS_END) {
      g_variant_unref (audio);
      g_variant_unref (tokens);
      g_variant_iter_free (iter);
      inworld_cache_entry_unref (entry);
      g_set_error (error, INWORLD_CACHE_ERROR, INWORLD_CACHE_ERROR_CORRUPT,
          "an item of unknown type %u", type);
      return NULL;
    }
    item = add_item (entry, type);
    if (type == INWORLD_CACHE_ITEM_AUDIO)
      item->audio = g_variant_get_data_as_bytes (audio);
    if (type == INWORLD_CACHE_ITEM_TIMINGS) {
      guint n = g_variant_n_children (tokens);

      item->timings = g_new0 (InworldTimings, 1);
      item->timings->characters = chars;
      item->timings->n = n;
      item->timings->tokens = g_new0 (gchar *, n + 1);
      item->timings->start = g_new0 (gdouble, n);
      item->timings->end = g_new0 (gdouble, n);
      for (guint t = 0; t < n; t++)
        g_variant_get_child (tokens, t, "(sdd)", &item->timings->tokens[t],
            &item->timings->start[t], &item->timings->end[t]);
    }
    g_variant_unref (audio);
    g_variant_unref (tokens);
  }
  g_variant_iter_free (iter);
  return entry;
}

/* ------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------ */

gchar *
inworld_cache_file_name (const gchar * key)
{
  gchar *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  gchar *name = g_strconcat (digest, SUFFIX, NULL);

  g_free (digest);
  return name;
}

static gchar *
entry_path (InworldCache * cache, const gchar * key)
{
  gchar *name = inworld_cache_file_name (key);
  gchar *path = g_build_filename (cache->dir, name, NULL);

  g_free (name);
  return path;
}

static void
sha256 (gconstpointer data, gsize size, guint8 digest[32])
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = 32;

  g_checksum_update (sum, data, size);
  g_checksum_get_digest (sum, digest, &len);
  g_checksum_free (sum);
}

/* Modification times order eviction; they are set to now to the
 * microsecond (the kernel's own clock for file times is coarser). */
static void
times_now (struct timespec times[2])
{
  gint64 now = g_get_real_time ();

  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = now / G_USEC_PER_SEC;
  times[1].tv_nsec = (now % G_USEC_PER_SEC) * 1000;
}

static void
touch_fd (gint fd)
{
  struct timespec times[2];

  times_now (times);
  futimens (fd, times);
}

static void
touch_path (const gchar * path)
{
  struct timespec times[2];

  times_now (times);
  utimensat (AT_FDCWD, path, times, 0);
}

static gboolean
write_all (gint fd, const guint8 * data, gsize size)
{
  while (size > 0) {
    gssize n = write (fd, data, size);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    size -= n;
  }
  return TRUE;
}

gboolean
inworld_cache_write (InworldCache * cache, const gchar * key,
    const InworldCacheEntry * entry, GError ** error)
{
  GVariant *payload = entry_to_variant (key, entry);
  gsize size = g_variant_get_size (payload);
  guint8 header[HEADER_SIZE] = { 0 };
  guint32 version = GUINT32_TO_LE (FORMAT_VERSION);
  guint64 length = GUINT64_TO_LE (size);
  gchar *tmp = g_build_filename (cache->dir, TMP_PREFIX "XXXXXX", NULL);
  gchar *path = entry_path (cache, key);
  gboolean ok = FALSE;
  gint fd;

  memcpy (header, MAGIC, 8);
  memcpy (header + 8, &version, 4);
  memcpy (header + 16, &length, 8);
  sha256 (g_variant_get_data (payload), size, header + 24);

  /* the same directory: rename() is atomic only within a file system */
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    g_set_error (error, INWORLD_CACHE_ERROR, INWORLD_CACHE_ERROR_IO,
        "could not make a file in %s: %s", cache->dir, g_strerror (errno));
    goto out;
  }
  if (!write_all (fd, header, HEADER_SIZE)
      || !write_all (fd, g_variant_get_data (payload), size)
      || fsync (fd) != 0) {
    g_set_error (error, INWORLD_CACHE_ERROR, INWORLD_CACHE_ERROR_IO,
        "could not write %s: %s", tmp, g_strerror (errno));
    close (fd);
    g_unlink (tmp);
    goto out;
  }
  touch_fd (fd);
  close (fd);
  if (g_rename (tmp, path) != 0) {
    g_set_error (error, INWORLD_CACHE_ERROR, INWORLD_CACHE_ERROR_IO,
        "could not rename %s to %s: %s", tmp, path, g_strerror (errno));
    g_unlink (tmp);
    goto out;
  }
  GST_DEBUG ("stored %s (%" G_GSIZE_FORMAT " bytes)", path,
      size + HEADER_SIZE);
  ok = TRUE;
out:
  g_variant_unref (payload);
  g_free (tmp);
  g_free (path);
  return ok;
}

static InworldCacheEntry *
read_entry (InworldCache * cache, const gchar * key, GError ** error)
{
  gchar *path = entry_path (cache, key);
  gchar *data = NULL;
  gsize size = 0;
  guint32 version;
  guint64 length;
  guint8 digest[32];
  GBytes *bytes, *body;
  GVariant *payload;
  InworldCacheEntry *entry = NULL;
  GError *err = NULL;
  const gchar *problem = NULL;

  if (!g_file_get_contents (path, &data, &size, &err)) {
    if (!g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      g_set_error (error, INWORLD_CACHE_ERROR, INWORLD_CACHE_ERROR_IO,
          "%s", err->message);
    g_clear_error (&err);
    g_free (path);
    return NULL;
  }
  bytes = g_bytes_new_take (data, size);
  if (size < HEADER_SIZE || memcmp (data, MAGIC, 8) != 0) {
    problem = "not a cache entry";
    goto bad;
  }
  memcpy (&version, data + 8, 4);
  memcpy (&length, data + 16, 8);
  if (GUINT32_FROM_LE (version) != FORMAT_VERSION) {
    problem = "another version of the format";
    goto bad;
  }
  if (GUINT64_FROM_LE (length) != size - HEADER_SIZE) {
    problem = "truncated or too long";
    goto bad;
  }
  sha256 (data + HEADER_SIZE, size - HEADER_SIZE, digest);
  if (memcmp (digest, data + 24, 32) != 0) {
    problem = "checksum mismatch";
    goto bad;
  }
  body = g_bytes_new_from_bytes (bytes, HEADER_SIZE, size - HEADER_SIZE);
  payload = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE
          (PAYLOAD_TYPE), body, FALSE));
  g_bytes_unref (body);
  if (!g_variant_is_normal_form (payload)) {
    g_variant_unref (payload);
    problem = "not in normal form";
    goto bad;
  }
  entry = entry_from_variant (payload, key, &err);
  g_variant_unref (payload);
  if (entry == NULL) {
    g_set_error (error, INWORLD_CACHE_ERROR, INWORLD_CACHE_ERROR_CORRUPT,
        "cache entry %s: %s", path, err->message);
    g_clear_error (&err);
    goto out;
  }
  touch_path (path);
  goto out;

bad:
  g_set_error (error, INWORLD_CACHE_ERROR, INWORLD_CACHE_ERROR_CORRUPT,
      "cache entry %s is damaged (%s): deleted", path, problem);
  /* another process may have replaced it meanwhile: a lost good entry is
   * written again by the next miss */
  g_unlink (path);
out:
  g_bytes_unref (bytes);
  g_free (path);
  return entry;
}

InworldCacheEntry *
inworld_cache_lookup (InworldCache * cache, const gchar * key,
    GError ** error)
{
  InworldCacheEntry *entry;

  g_mutex_lock (&cache->lock);
  entry = g_hash_table_lookup (cache->pending, key);
  if (entry)
    inworld_cache_entry_ref (entry);
  g_mutex_unlock (&cache->lock);
  if (entry == NULL)
    entry = read_entry (cache, key, error);
  GST_DEBUG ("%s %s", entry ? "hit" : "miss", key);
  return entry;
}

/* ------------------------------------------------------------------------
 * Eviction
 * ------------------------------------------------------------------------ */

typedef struct
{
  gchar *name;
  guint64 size;
  gint64 mtime;                 /* us */
} FileInfo;

static void
file_info_free (FileInfo * info)
{
  g_free (info->name);
  g_free (info);
}

static gint
older_first (gconstpointer a, gconstpointer b)
{
  const FileInfo *x = *(FileInfo **) a, *y = *(FileInfo **) b;

  if (x->mtime != y->mtime)
    return x->mtime < y->mtime ? -1 : 1;
  return strcmp (x->name, y->name);
}

guint
inworld_cache_evict (InworldCache * cache)
{
  GDir *dir = g_dir_open (cache->dir, 0, NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func ((GDestroyNotify)
      file_info_free);
  const gchar *name;
  guint64 total = 0;
  guint deleted = 0;
  gint64 now = g_get_real_time ();

  if (dir == NULL)
    return 0;
  while ((name = g_dir_read_name (dir))) {
    gchar *path = g_build_filename (cache->dir, name, NULL);
    GStatBuf st;
    FileInfo *info;

    /* gone meanwhile: another process evicted it */
    if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode)) {
      g_free (path);
      continue;
    }
    if (g_str_has_prefix (name, TMP_PREFIX)) {
      if (now - (gint64) st.st_mtime * G_USEC_PER_SEC > STALE_TMP_US) {
        GST_INFO ("deleting %s, left by a writer that stopped", path);
        g_unlink (path);
      }
      g_free (path);
      continue;
    }
    g_free (path);
    if (!g_str_has_suffix (name, SUFFIX))
      continue;
    info = g_new0 (FileInfo, 1);
    info->name = g_strdup (name);
    info->size = st.st_size;
    info->mtime = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC
        + st.st_mtim.tv_nsec / 1000;
    total += info->size;
    g_ptr_array_add (files, info);
  }
  g_dir_close (dir);

  if (cache->max_size > 0 && total > cache->max_size) {
    g_ptr_array_sort (files, older_first);
    for (guint i = 0; i < files->len && total > cache->max_size; i++) {
      FileInfo *info = g_ptr_array_index (files, i);
      gchar *path = g_build_filename (cache->dir, info->name, NULL);

      /* ENOENT: another process deleted it first, which is as good */
      if (g_unlink (path) == 0 || errno == ENOENT) {
        GST_DEBUG ("evicted %s (%" G_GUINT64_FORMAT " bytes)", info->name,
            info->size);
        total -= info->size;
        deleted++;
      }
      g_free (path);
    }
  }
  g_ptr_array_unref (files);
  return deleted;
}

/* ------------------------------------------------------------------------
 * The cache
 * ------------------------------------------------------------------------ */

static void
run_job (gpointer data, gpointer user_data)
{
  Job *job = data;
  InworldCache *cache = user_data;
  GError *error = NULL;

  if (!inworld_cache_write (cache, job->key, job->entry, &error)) {
    GST_WARNING ("not cached: %s", error->message);
    g_clear_error (&error);
  }
  inworld_cache_evict (cache);

  g_mutex_lock (&cache->lock);
  if (g_hash_table_lookup (cache->pending, job->key) == job->entry)
    g_hash_table_remove (cache->pending, job->key);
  cache->queued--;
  g_cond_broadcast (&cache->cond);
  g_mutex_unlock (&cache->lock);

  g_free (job->key);
  inworld_cache_entry_unref (job->entry);
  g_free (job);
}

InworldCache *
inworld_cache_new (const gchar * dir, guint64 max_size, GError ** error)
{
  InworldCache *cache;

  inworld_debug_init ();
  if (dir == NULL || *dir == '\0' || g_mkdir_with_parents (dir, 0700) != 0) {
    g_set_error (error, INWORLD_CACHE_ERROR, INWORLD_CACHE_ERROR_IO,
        "could not make the cache directory \"%s\": %s", dir ? dir : "",
        g_strerror (errno));
    return NULL;
  }
  cache = g_new0 (InworldCache, 1);
  cache->refcount = 1;
  cache->dir = g_strdup (dir);
  cache->max_size = max_size;
  g_mutex_init (&cache->lock);
  g_cond_init (&cache->cond);
  cache->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) inworld_cache_entry_unref);
  /* one writer: stores of one cache are written in order */
  cache->writer = g_thread_pool_new (run_job, cache, 1, FALSE, NULL);
  GST_INFO ("cache in %s, at most %" G_GUINT64_FORMAT " bytes", dir,
      max_size);
  return cache;
}

InworldCache *
inworld_cache_ref (InworldCache * cache)
{
  g_atomic_int_inc (&cache->refcount);
  return cache;
}

void
inworld_cache_unref (InworldCache * cache)
{
  if (cache == NULL || !g_atomic_int_dec_and_test (&cache->refcount))
    return;
  /* the queued writes are done first */
  g_thread_pool_free (cache->writer, FALSE, TRUE);
  g_hash_table_unref (cache->pending);
  g_mutex_clear (&cache->lock);
  g_cond_clear (&cache->cond);
  g_free (cache->dir);
  g_free (cache);
}

const gchar *
inworld_cache_get_dir (InworldCache * cache)
{
  return cache->dir;
}

void
inworld_cache_store (InworldCache * cache, const gchar * key,
    InworldCacheEntry * entry)
{
  Job *job = g_new0 (Job, 1);

  job->key = g_strdup (key);
  job->entry = entry;
  g_mutex_lock (&cache->lock);
  g_hash_table_replace (cache->pending, g_strdup (key),
      inworld_cache_entry_ref (entry));
  cache->queued++;
  g_mutex_unlock (&cache->lock);
  g_thread_pool_push (cache->writer, job, NULL);
}

void
inworld_cache_sync (InworldCache * cache)
{
  g_mutex_lock (&cache->lock);
  while (cache->queued > 0)
    g_cond_wait (&cache->cond, &cache->lock);
  g_mutex_unlock (&cache->lock);
}
