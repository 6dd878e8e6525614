/* inworldttssrc: a synthesis cache on disk
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The store of the synthesis cache (docs/cache.md): one file per
 * utterance in a directory, named by the SHA-256 of the utterance's key
 * (a text that says everything the audio depends on; never the API key),
 * holding what the server sent for it: the audio bytes of each synthesis
 * as they came, the word timings, where each synthesis ended, and the
 * character count.
 *
 * Files are written whole to a temporary file in the same directory,
 * synced, then renamed into place, so a reader (in this process or
 * another) sees a complete entry or none. Each file starts with a magic
 * number, a format version, the payload's length and its SHA-256; an entry
 * that fails any check is reported as corrupt and treated as missing. The
 * key is stored in the entry and compared on a lookup. The directory is
 * kept under a size limit by deleting the least recently used entries
 * (a hit makes an entry recent), tolerating files that another process
 * deletes at the same time.
 *
 * The store knows nothing of GStreamer buffers or of the session: the
 * session decides what is looked up and what is stored. Writes of
 * inworld_cache_store() run on a worker thread, so that the connection
 * thread never waits on the disk; a lookup of an entry still being written
 * finds it all the same. */

#pragma once

#include <glib.h>

#include "inworldprotocol.h"

G_BEGIN_DECLS

typedef struct _InworldCache InworldCache;

typedef enum
{
  INWORLD_CACHE_ITEM_AUDIO,     /* audio bytes as the server sent them */
  INWORLD_CACHE_ITEM_TIMINGS,   /* timings, relative to the synthesis */
  INWORLD_CACHE_ITEM_SYNTHESIS_END,     /* a synthesis ended */
} InworldCacheItemType;

typedef struct
{
  InworldCacheItemType type;
  GBytes *audio;                /* AUDIO */
  InworldTimings *timings;      /* TIMINGS */
} InworldCacheItem;

/* What one utterance gave, in order. Immutable once stored or looked up
 * (it may be shared): build it, then hand it over. */
typedef struct
{
  gint refcount;
  InworldEncoding encoding;
  gint sample_rate;
  guint characters;             /* the utterance's character count */
  GPtrArray *items;             /* InworldCacheItem * */
} InworldCacheEntry;

InworldCacheEntry *inworld_cache_entry_new (void);
InworldCacheEntry *inworld_cache_entry_ref (InworldCacheEntry * entry);
void inworld_cache_entry_unref (InworldCacheEntry * entry);
/* Appends a copy of @audio (a reference) or of @timings. */
void inworld_cache_entry_add_audio (InworldCacheEntry * entry, GBytes * audio);
void inworld_cache_entry_add_timings (InworldCacheEntry * entry,
    const InworldTimings * timings);
void inworld_cache_entry_add_synthesis_end (InworldCacheEntry * entry);
/* The bytes of audio it holds. */
gsize inworld_cache_entry_audio_size (const InworldCacheEntry * entry);

InworldTimings *inworld_timings_copy (const InworldTimings * timings);

#define INWORLD_CACHE_ERROR (inworld_cache_error_quark ())
GQuark inworld_cache_error_quark (void);

typedef enum
{
  INWORLD_CACHE_ERROR_CORRUPT,  /* a file that fails a check */
  INWORLD_CACHE_ERROR_IO,       /* the directory or a file could not be
                                 * read or written */
} InworldCacheError;

/* A cache in @dir (made, mode 0700, when missing), kept under @max_size
 * bytes of entries (0: no limit). NULL with @error set when the directory
 * cannot be made. */
InworldCache *inworld_cache_new (const gchar * dir, guint64 max_size,
    GError ** error);
InworldCache *inworld_cache_ref (InworldCache * cache);
/* The last reference waits for the writes still queued. */
void inworld_cache_unref (InworldCache * cache);

const gchar *inworld_cache_get_dir (InworldCache * cache);

/* The file name of @key's entry (g_free): the SHA-256 of @key in hex,
 * with ".entry". */
gchar *inworld_cache_file_name (const gchar * key);

/* @key's entry, or NULL: with @error unset when there is none, set when a
 * file was there but could not be used (INWORLD_CACHE_ERROR_CORRUPT: it
 * is deleted). A hit makes the entry the most recently used. */
InworldCacheEntry *inworld_cache_lookup (InworldCache * cache,
    const gchar * key, GError ** error);

/* Stores @entry (takes it) as @key's, on the worker thread; then evicts.
 * Failures are logged. */
void inworld_cache_store (InworldCache * cache, const gchar * key,
    InworldCacheEntry * entry);

/* Waits until every store queued so far is written. */
void inworld_cache_sync (InworldCache * cache);

/* The same, at once, on the calling thread (the worker's job; the unit
 * tests). */
gboolean inworld_cache_write (InworldCache * cache, const gchar * key,
    const InworldCacheEntry * entry, GError ** error);

/* Deletes the least recently used entries until the entries take at most
 * the size limit, and temporary files left by a crash (older than an
 * hour). Returns the number of entries deleted. */
guint inworld_cache_evict (InworldCache * cache);

G_END_DECLS
