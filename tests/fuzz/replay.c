/* inworldttssrc: replays a fuzz corpus without libFuzzer
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Linked with one fuzz target instead of libFuzzer: runs
 * LLVMFuzzerTestOneInput() once on every file named, or found (not
 * recursively) in every directory named, in name order. Any compiler will
 * do, so the seed corpus runs in the normal test suite, under valgrind
 * too. Exits 0 when every input ran (a failing check aborts), 1 on a
 * usage or I/O error or when no input was found. */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* Appends @path, or the regular files of directory @path, to @files. */
static gboolean
collect (const gchar * path, GPtrArray * files)
{
  GError *error = NULL;
  GDir *dir;
  const gchar *name;
  guint first = files->len;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_ptr_array_add (files, g_strdup (path));
    return TRUE;
  }
  dir = g_dir_open (path, 0, &error);
  if (dir == NULL) {
    g_printerr ("replay: %s\n", error->message);
    g_error_free (error);
    return FALSE;
  }
  while ((name = g_dir_read_name (dir))) {
    gchar *file = g_build_filename (path, name, NULL);

    if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add (files, file);
    else
      g_free (file);
  }
  g_dir_close (dir);
  /* name order, so that runs are reproducible */
  qsort (files->pdata + first, files->len - first, sizeof (gpointer),
      compare_names);
  return TRUE;
}

int
main (int argc, char **argv)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  int status = 0;

  if (argc < 2) {
    g_printerr ("usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
    return 1;
  }
  LLVMFuzzerInitialize (&argc, &argv);

  for (int i = 1; i < argc; i++)
    if (!collect (argv[i], files))
      status = 1;

  for (guint i = 0; i < files->len && status == 0; i++) {
    const gchar *file = g_ptr_array_index (files, i);
    GError *error = NULL;
    gchar *contents;
    gsize length;
    guint8 *data;

    if (!g_file_get_contents (file, &contents, &length, &error)) {
      g_printerr ("replay: %s\n", error->message);
      g_error_free (error);
      status = 1;
      break;
    }
    /* exactly @length bytes, as libFuzzer passes them, so a read past
     * the end is caught by ASan or valgrind */
    data = malloc (length ? length : 1);
    memcpy (data, contents, length);
    g_free (contents);
    g_print ("%s (%" G_GSIZE_FORMAT " bytes)\n", file, length);
    LLVMFuzzerTestOneInput (data, length);
    free (data);
  }

  if (status == 0 && files->len == 0) {
    g_printerr ("replay: no input found\n");
    status = 1;
  }
  if (status == 0)
    g_print ("replay: %u input(s) ran\n", files->len);
  g_ptr_array_unref (files);
  return status;
}
