/* inworld-bench: how fast, how light and how far inworldttssrc goes
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A benchmark, not a test: it measures and reports, it asserts nothing.
 *
 * Everything runs against the project's emulator on loopback, started here
 * with --speed 0 (no pacing) and --audio test-signal (the cheapest
 * synthesis), so what is measured is the client. Each element figure sits
 * next to its floor: a minimal libsoup 3 client (one thread, no queues, no
 * GStreamer) doing the same exchange with the same frames on the same
 * emulator, with up to 5 streams per WebSocket as the element's connection
 * pool (--floor-contexts).
 *
 *  latency  first-audio latency of one stream, from the text handed over
 *           (push-text) to the first buffer leaving the src pad; floor: from
 *           send_text to the first audioChunk frame received. Cold: the
 *           text is given as the element starts, so connect + create are on
 *           the critical path (the floor's clock starts before its connect;
 *           the element's also from set_state); before each cold run the
 *           bench waits until the pool has closed every socket. Also: cold
 *           without the proxy lookup (proxy=direct://), a new context on a
 *           socket another stream keeps open, warm (the context exists, the
 *           text goes out on the open socket), and a live element made warm
 *           in PAUSED.
 *  cpu      CPU seconds of this process (getrusage) per second of audio
 *           produced, PCM 24 kHz and MP3, at 1, 10, 100 concurrent streams
 *           (one pipeline each, inworldttssrc ! fakesink sync=false), warm;
 *           also their first-audio latency under that load and their memory.
 *  paced    the same with the emulator at --speed 1 (audio at real time,
 *           as the service sends it): first-audio latency of N streams
 *           started together, and the CPU of a real-time stream.
 *  scale    warm streams ramped (50 ... 3200 by default) until a count
 *           fails: memory and file descriptors per stream idle (context
 *           open) and at peak, and the most streams that all complete.
 *
 * Results: a table on stdout and, with --json, every figure and sample in
 * a JSON file (tools/bench.sh turns it into docs/bench/). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "emulator-fixture.h"
#include "inworldprotocol.h"
#include "inworldtext.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

/* inworldsession.c logs "<element>: context <id> opening -> ready" when
 * the server has answered create */
#define CONTEXT_READY_NEEDLE " opening -> ready"

/* ------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------ */

static gint opt_latency_runs = 30;
static gint opt_cpu_runs = 0;   /* 0: per concurrency, see cpu_runs_for () */
static gchar *opt_concurrency = NULL;
static gchar *opt_scale = NULL;
static gchar *opt_encodings = NULL;
static gchar *opt_only = NULL;
static gchar *opt_paced = NULL;
static gchar *opt_paced_encodings = NULL;
static gdouble opt_paced_seconds = 10.0;
static gdouble opt_pcm_seconds = 20.0;
static gdouble opt_mp3_seconds = 10.0;
static gdouble opt_scale_seconds = 2.0;
static gint opt_timeout = 120;
static gboolean opt_quick = FALSE;
static gboolean opt_smoke = FALSE;
static gboolean opt_no_floor = FALSE;
static gboolean opt_scale_continue = FALSE;
static gchar *opt_json = NULL;
static gint opt_floor_contexts = 5;

/* streams that failed where none should (all but the top of the scale
 * ramp): the exit status says so, for the smoke run */
static guint unexpected_failures;

static GOptionEntry entries[] = {
  {"quick", 'q', 0, G_OPTION_ARG_NONE, &opt_quick,
      "Fewer runs and shorter texts (about 1 minute)", NULL},
  {"smoke", 0, 0, G_OPTION_ARG_NONE, &opt_smoke,
      "A few seconds: checks that every part runs, figures meaningless", NULL},
  {"only", 0, 0, G_OPTION_ARG_STRING, &opt_only,
      "Parts to run, comma separated: latency,cpu,paced,scale (default "
      "all)", "LIST"},
  {"latency-runs", 0, 0, G_OPTION_ARG_INT, &opt_latency_runs,
      "Runs of each latency case (default 30)", "N"},
  {"cpu-runs", 0, 0, G_OPTION_ARG_INT, &opt_cpu_runs,
      "Runs of each CPU case (default 5 at 1 and 10 streams, 3 above)", "N"},
  {"concurrency", 0, 0, G_OPTION_ARG_STRING, &opt_concurrency,
      "Concurrent streams of the CPU part (default 1,10,100)", "LIST"},
  {"encodings", 0, 0, G_OPTION_ARG_STRING, &opt_encodings,
      "Encodings of the CPU part (default pcm,mp3)", "LIST"},
  {"pcm-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_pcm_seconds,
      "Audio per PCM stream in the CPU part (default 20)", "S"},
  {"mp3-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_mp3_seconds,
      "Audio per MP3 stream in the CPU part (default 10)", "S"},
  {"paced", 0, 0, G_OPTION_ARG_STRING, &opt_paced,
      "Stream counts of the paced part (default 1,10,100,200)", "LIST"},
  {"paced-encodings", 0, 0, G_OPTION_ARG_STRING, &opt_paced_encodings,
      "Encodings of the paced part (default pcm)", "LIST"},
  {"paced-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_paced_seconds,
      "Audio per stream in the paced part (default 10)", "S"},
  {"scale", 0, 0, G_OPTION_ARG_STRING, &opt_scale,
      "Stream counts of the scale ramp (default 50,100,200,400,800,1600,"
      "3200)",
      "LIST"},
  {"scale-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_scale_seconds,
      "Audio per stream in the scale ramp (default 2)", "S"},
  {"scale-continue", 0, 0, G_OPTION_ARG_NONE, &opt_scale_continue,
      "Go on ramping after a count fails", NULL},
  {"no-floor", 0, 0, G_OPTION_ARG_NONE, &opt_no_floor,
      "Skip the floor client in the CPU part (for profiling the element)",
      NULL},
  {"floor-contexts", 0, 0, G_OPTION_ARG_INT, &opt_floor_contexts,
      "Streams the floor client puts on one WebSocket (default 5, as the "
      "element's connection pool; 1: a socket per stream)", "N"},
  {"timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout,
      "Seconds allowed for one batch of streams (default 120)", "S"},
  {"json", 'o', 0, G_OPTION_ARG_FILENAME, &opt_json,
      "Write every figure and sample to this JSON file", "FILE"},
  {NULL}
};

static gboolean
part_enabled (const gchar * part)
{
  gchar **parts;
  gboolean on;

  if (opt_only == NULL)
    return TRUE;
  parts = g_strsplit (opt_only, ",", -1);
  on = g_strv_contains ((const gchar * const *) parts, part);
  g_strfreev (parts);
  return on;
}

static GArray *
parse_list (const gchar * list)
{
  GArray *values = g_array_new (FALSE, FALSE, sizeof (guint));
  gchar **parts = g_strsplit (list, ",", -1);

  for (gchar ** p = parts; *p; p++) {
    guint v = (guint) g_ascii_strtoull (g_strstrip (*p), NULL, 10);
    if (v > 0)
      g_array_append_val (values, v);
  }
  g_strfreev (parts);
  return values;
}

/* ------------------------------------------------------------------------
 * Measures of this process
 * ------------------------------------------------------------------------ */

static gint64
now_us (void)
{
  return g_get_monotonic_time ();
}

/* user + system CPU seconds of the whole process (every thread) */
static gdouble
process_cpu (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
      + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* a field of /proc/self/status in KiB (VmRSS, VmHWM), -1 if unknown */
static gint64
status_kib (const gchar * field)
{
  gchar *contents = NULL;
  gint64 value = -1;

  if (g_file_get_contents ("/proc/self/status", &contents, NULL, NULL)) {
    gchar *line = strstr (contents, field);
    if (line)
      value = g_ascii_strtoll (line + strlen (field) + 1, NULL, 10);
  }
  g_free (contents);
  return value;
}

/* resets VmHWM to the current RSS (Linux 4.0+) */
static void
reset_peak_rss (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");

  if (f) {
    fputs ("5", f);
    fclose (f);
  }
}

/* CPU seconds of another process, from /proc/PID/stat (clock ticks) */
static gdouble
pid_cpu (const gchar * pid)
{
  gchar *path = g_strdup_printf ("/proc/%s/stat", pid);
  gchar *contents = NULL;
  gdouble cpu = -1;

  if (g_file_get_contents (path, &contents, NULL, NULL)) {
    /* fields after the command, which is in parentheses */
    gchar *p = strrchr (contents, ')');
    gchar **fields = p ? g_strsplit (p + 2, " ", 0) : NULL;

    /* utime and stime are fields 14 and 15, the 12th and 13th here */
    if (fields && g_strv_length (fields) > 13)
      cpu = (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12],
              NULL)) / sysconf (_SC_CLK_TCK);
    g_strfreev (fields);
  }
  g_free (contents);
  g_free (path);
  return cpu;
}

/* file descriptors open in this process */
static gint
open_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  gint n = 0;

  if (dir == NULL)
    return -1;
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n - 1;                 /* the directory's own */
}

static void
raise_fd_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
      g_printerr ("bench: could not raise RLIMIT_NOFILE: %s\n",
          g_strerror (errno));
  }
}

/* ------------------------------------------------------------------------
 * Statistics
 * ------------------------------------------------------------------------ */

typedef struct
{
  guint n;
  gdouble median, p10, p90, min, max, mean;
} Stats;

static gint
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return x < y ? -1 : x > y;
}

static gdouble
percentile (const gdouble * sorted, guint n, gdouble p)
{
  gdouble pos = p * (n - 1);
  guint i = (guint) pos;

  if (i + 1 >= n)
    return sorted[n - 1];
  return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

static Stats
stats_of (GArray * values)
{
  Stats s = { 0 };
  gdouble *sorted;
  gdouble sum = 0;

  s.n = values->len;
  if (s.n == 0)
    return s;
  sorted = g_memdup2 (values->data, values->len * sizeof (gdouble));
  qsort (sorted, s.n, sizeof (gdouble), compare_double);
  for (guint i = 0; i < s.n; i++)
    sum += sorted[i];
  s.mean = sum / s.n;
  s.min = sorted[0];
  s.max = sorted[s.n - 1];
  s.median = percentile (sorted, s.n, 0.5);
  s.p10 = percentile (sorted, s.n, 0.1);
  s.p90 = percentile (sorted, s.n, 0.9);
  g_free (sorted);
  return s;
}

static void
add_double (GArray * values, gdouble v)
{
  g_array_append_val (values, v);
}

/* ------------------------------------------------------------------------
 * JSON output
 * ------------------------------------------------------------------------ */

static JsonBuilder *out;

static void
json_stats (const gchar * name, GArray * values)
{
  Stats s = stats_of (values);

  json_builder_set_member_name (out, name);
  json_builder_begin_object (out);
  json_builder_set_member_name (out, "n");
  json_builder_add_int_value (out, s.n);
  if (s.n > 0) {
    json_builder_set_member_name (out, "median");
    json_builder_add_double_value (out, s.median);
    json_builder_set_member_name (out, "p10");
    json_builder_add_double_value (out, s.p10);
    json_builder_set_member_name (out, "p90");
    json_builder_add_double_value (out, s.p90);
    json_builder_set_member_name (out, "min");
    json_builder_add_double_value (out, s.min);
    json_builder_set_member_name (out, "max");
    json_builder_add_double_value (out, s.max);
    json_builder_set_member_name (out, "mean");
    json_builder_add_double_value (out, s.mean);
  }
  json_builder_set_member_name (out, "samples");
  json_builder_begin_array (out);
  for (guint i = 0; i < values->len; i++)
    json_builder_add_double_value (out, g_array_index (values, gdouble, i));
  json_builder_end_array (out);
  json_builder_end_object (out);
}

static void
json_member_double (const gchar * name, gdouble v)
{
  json_builder_set_member_name (out, name);
  json_builder_add_double_value (out, v);
}

static void
json_member_int (const gchar * name, gint64 v)
{
  json_builder_set_member_name (out, name);
  json_builder_add_int_value (out, v);
}

static void
json_member_string (const gchar * name, const gchar * v)
{
  json_builder_set_member_name (out, name);
  if (v)
    json_builder_add_string_value (out, v);
  else
    json_builder_add_null_value (out);
}

static void
json_member_bool (const gchar * name, gboolean v)
{
  json_builder_set_member_name (out, name);
  json_builder_add_boolean_value (out, v);
}

/* ------------------------------------------------------------------------
 * The emulator and the texts
 * ------------------------------------------------------------------------ */

static InworldEmulator *emu;   /* --speed 0: no pacing */
static InworldEmulator *emu_paced;      /* --speed 1: real time */
static InworldEmulator *target; /* the one the streams talk to */

static const gchar *
emulator_pid (void)
{
  return g_subprocess_get_identifier (target->process);
}

/* Sentences of plain words, @seconds of test-signal audio (10 ms per
 * character); the element and the floor cut them the same way. */
static gchar *
make_text (gdouble seconds)
{
  static const gchar *sentence =
      "The quick brown fox jumps over the lazy dog near the river bank. ";
  guint chars = MAX (1, (guint) (seconds * 100 + 0.5));
  GString *s = g_string_new (NULL);

  while (s->len < chars)
    g_string_append (s, sentence);
  g_string_truncate (s, chars);
  /* no trailing space: every character is spoken */
  if (s->str[s->len - 1] == ' ')
    s->str[s->len - 1] = '.';
  return g_string_free (s, FALSE);
}

static const gchar *LATENCY_TEXT =
    "Hello from the benchmark, the first audio please.";

/* ------------------------------------------------------------------------
 * Element streams: one pipeline each, inworldttssrc ! fakesink sync=false
 * ------------------------------------------------------------------------ */

typedef struct
{
  GMutex lock;
  GCond cond;
  guint n_ready, n_first, n_done, n_failed;
} Board;

static Board board;
static gboolean ready_hook_on;

typedef struct
{
  GstElement *pipeline;
  GstElement *src;
  gint64 t_start;               /* set_state (PLAYING) called */
  gint64 t_text;
  gint64 t_first;
  guint64 audio_ns;
  gboolean ready;
  gboolean done;
  gboolean failed;
  gchar *error;
} Stream;

static GstPadProbeReturn
on_src_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Stream *s = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (s->t_first == 0) {
    s->t_first = now_us ();
    g_mutex_lock (&board.lock);
    board.n_first++;
    g_cond_broadcast (&board.cond);
    g_mutex_unlock (&board.lock);
  }
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    s->audio_ns += GST_BUFFER_DURATION (buf);
  return GST_PAD_PROBE_OK;
}

static void
stream_finish (Stream * s, gboolean failed, gchar * error)
{
  g_mutex_lock (&board.lock);
  if (!s->done) {
    s->done = TRUE;
    s->failed = failed;
    s->error = error;
    error = NULL;
    board.n_done++;
    if (failed)
      board.n_failed++;
    g_cond_broadcast (&board.cond);
  }
  g_mutex_unlock (&board.lock);
  g_free (error);
}

/* every message is handled here, on the thread that posts it, and
 * dropped: nothing piles up on the buses of hundreds of pipelines. A sync
 * handler that drops a message owns it (gstbus.h): without the unref each
 * message kept its source, and so every pipeline, its bus and the bus's
 * two file descriptors, alive for the rest of the run. */
static GstBusSyncReply
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Stream *s = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      stream_finish (s, FALSE, NULL);
      break;
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      stream_finish (s, TRUE, g_strdup_printf ("%s (%s)", err->message,
              dbg ? dbg : ""));
      g_clear_error (&err);
      g_free (dbg);
      break;
    }
    default:
      break;
  }
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

/* Warm start: the session logs "<element>: context <id> opening -> ready"
 * at DEBUG when the server has answered create (without an object: the
 * session is not a GstObject, so the stream is found by the element's
 * name). The hook is on only while streams start, never while they are
 * timed. */
static GHashTable *streams_by_name;     /* board.lock */

static void
ready_log_hook (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *text, *colon;
  gchar *name;
  Stream *s;

  if (!ready_hook_on || level != GST_LEVEL_DEBUG
      || strcmp (gst_debug_category_get_name (category), "inworldsession"))
    return;
  text = gst_debug_message_get (message);
  if (text == NULL || !g_str_has_suffix (text, CONTEXT_READY_NEEDLE)
      || (colon = strchr (text, ':')) == NULL)
    return;
  name = g_strndup (text, colon - text);
  g_mutex_lock (&board.lock);
  s = streams_by_name ? g_hash_table_lookup (streams_by_name, name) : NULL;
  g_mutex_unlock (&board.lock);
  g_free (name);
  if (s == NULL)
    return;
  g_mutex_lock (&board.lock);
  if (!s->ready) {
    s->ready = TRUE;
    board.n_ready++;
    g_cond_broadcast (&board.cond);
  }
  g_mutex_unlock (&board.lock);
}

/* Debug logging is switched on only while the hook is: with it active,
 * every GST_DEBUG () of the process (GStreamer's own included) becomes a
 * call to gst_debug_log () even where no one listens, which cost 16 % of
 * the instructions of 10 MP3 streams. */
static gboolean user_debug;     /* GST_DEBUG is set: leave logging alone */

static void
ready_hook_enable (gboolean on)
{
  ready_hook_on = on;
  if (on) {
    gst_debug_set_threshold_for_name ("inworldsession", GST_LEVEL_DEBUG);
    gst_debug_set_active (TRUE);
  } else {
    gst_debug_unset_threshold_for_name ("inworldsession");
    if (!user_debug)
      gst_debug_set_active (FALSE);
  }
}

static Stream *
stream_new (const gchar * encoding, gboolean live, const gchar * proxy)
{
  Stream *s = g_new0 (Stream, 1);
  GstElement *sink;
  GstPad *pad;
  GstBus *bus;

  s->pipeline = gst_pipeline_new (NULL);
  s->src = gst_element_factory_make ("inworldttssrc", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  if (s->src == NULL || sink == NULL)
    g_error ("inworldttssrc or fakesink not found: is GST_PLUGIN_PATH set "
        "(tools/bench.sh sets it)?");
  g_object_set (s->src, "uri", target->uri, "api-key", TEST_API_KEY,
      "is-live", live, NULL);
  if (proxy)
    g_object_set (s->src, "proxy", proxy, NULL);
  gst_util_set_object_arg (G_OBJECT (s->src), "encoding", encoding);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (s->pipeline), s->src, sink, NULL);
  if (!gst_element_link (s->src, sink))
    g_error ("could not link inworldttssrc to fakesink");
  g_mutex_lock (&board.lock);
  if (streams_by_name == NULL)
    streams_by_name = g_hash_table_new_full (g_str_hash, g_str_equal,
        g_free, NULL);
  g_hash_table_insert (streams_by_name, gst_element_get_name (s->src), s);
  g_mutex_unlock (&board.lock);

  pad = gst_element_get_static_pad (s->src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_src_buffer, s, NULL);
  gst_object_unref (pad);

  bus = gst_pipeline_get_bus (GST_PIPELINE (s->pipeline));
  gst_bus_set_sync_handler (bus, on_bus_message, s, NULL);
  gst_object_unref (bus);
  return s;
}

static void
stream_free (Stream * s)
{
  gchar *name = gst_element_get_name (s->src);

  gst_element_set_state (s->pipeline, GST_STATE_NULL);
  g_mutex_lock (&board.lock);
  g_hash_table_remove (streams_by_name, name);
  g_mutex_unlock (&board.lock);
  g_free (name);
  gst_object_unref (s->pipeline);
  g_free (s->error);
  g_free (s);
}

static gboolean
push_text (Stream * s, const gchar * text)
{
  gboolean ok = FALSE;

  s->t_text = now_us ();
  g_signal_emit_by_name (s->src, "push-text", text, TRUE, &ok);
  return ok;
}

/* Waits until *counter (+ failures when @with_failed) reaches @target or
 * the deadline passes; TRUE when reached. */
static gboolean
board_wait (guint * counter, guint target, gboolean with_failed,
    gint64 deadline)
{
  gboolean reached;

  g_mutex_lock (&board.lock);
  for (;;) {
    reached = *counter + (with_failed ? board.n_failed : 0) >= target;
    if (reached || !g_cond_wait_until (&board.cond, &board.lock, deadline))
      break;
  }
  reached = *counter + (with_failed ? board.n_failed : 0) >= target;
  g_mutex_unlock (&board.lock);
  return reached;
}

static void
board_reset (void)
{
  g_mutex_lock (&board.lock);
  board.n_ready = board.n_first = board.n_done = board.n_failed = 0;
  g_mutex_unlock (&board.lock);
}

typedef struct
{
  guint n;
  const gchar *encoding;        /* "pcm", "mp3" */
  gboolean warm;
  gboolean live;
  const gchar *text;
  gboolean paused_first;        /* warm: context opened in PAUSED, then
                                 * PLAYING and the text at once */
  gboolean shared;              /* another stream is open: do not wait for
                                 * the connection pool to empty first */
  const gchar *proxy;           /* the element's proxy property */
} BatchParams;

typedef struct
{
  guint n;
  guint completed;              /* streams that reached EOS without error */
  guint failed;
  gchar *first_error;
  gboolean ready_detected;      /* warm: every context-created seen */
  gboolean pool_was_empty;      /* no connection thread left at the start */
  GArray *latency_ms;           /* one per stream that had audio */
  GArray *latency_start_ms;     /* the same from set_state (PLAYING) */
  gdouble setup_wall_s;         /* start to every context ready (warm) */
  gdouble setup_cpu_s;
  gdouble stream_wall_s;        /* first text to the last EOS */
  gdouble stream_cpu_s;
  gdouble audio_s;              /* audio pushed by all streams */
  gdouble emu_cpu_s;
  gint64 rss_before_kib, rss_ready_kib, rss_peak_kib;
  gint fds_before, fds_ready;   /* open file descriptors */
} BatchResult;

static void
batch_result_clear (BatchResult * r)
{
  g_clear_pointer (&r->latency_ms, g_array_unref);
  g_clear_pointer (&r->latency_start_ms, g_array_unref);
  g_clear_pointer (&r->first_error, g_free);
}

/* TRUE while the element's connection thread ("inworld-ws") runs: it
 * starts with the process's first context and ends once the connection
 * pool has closed its last socket. */
static gboolean
connection_thread_running (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;
  gboolean found = FALSE;

  if (dir == NULL)
    return FALSE;
  while (!found && (tid = g_dir_read_name (dir))) {
    gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
    gchar *comm = NULL;

    if (g_file_get_contents (path, &comm, NULL, NULL))
      found = g_str_has_prefix (comm, "inworld-ws");
    g_free (comm);
    g_free (path);
  }
  g_dir_close (dir);
  return found;
}

/* Waits (at most 2 s) until the previous batch's sockets are closed and
 * the connection thread is gone, so that a cold start is cold: since the
 * pool, a new element takes a free slot on any open socket of the same
 * server. TRUE when it is gone. */
static gboolean
wait_pool_empty (void)
{
  gint64 deadline = now_us () + 2 * G_TIME_SPAN_SECOND;

  while (connection_thread_running ()) {
    if (now_us () > deadline)
      return FALSE;
    g_usleep (200);
  }
  return TRUE;
}

/* Runs @p->n streams at once; each speaks @p->text, then ends. */
static void
run_batch (const BatchParams * p, BatchResult * r)
{
  GPtrArray *streams = g_ptr_array_new_with_free_func ((GDestroyNotify)
      stream_free);
  gint64 t0, t_ready, deadline;
  gdouble cpu0, cpu1, cpu2, emu0, emu1;
  gboolean all;

  memset (r, 0, sizeof (*r));
  r->n = p->n;
  r->latency_ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
  r->latency_start_ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
  board_reset ();
  r->pool_was_empty = p->shared ? FALSE : wait_pool_empty ();

  /* what earlier batches freed goes back to the system first, so that
   * the growth measured is this batch's */
  malloc_trim (0);
  r->rss_before_kib = status_kib ("VmRSS:");
  r->fds_before = open_fds ();
  reset_peak_rss ();
  emu0 = pid_cpu (emulator_pid ());
  cpu0 = process_cpu ();
  t0 = now_us ();
  deadline = t0 + opt_timeout * G_TIME_SPAN_SECOND;

  for (guint i = 0; i < p->n; i++)
    g_ptr_array_add (streams, stream_new (p->encoding, p->live, p->proxy));
  if (p->warm && !p->paused_first)
    ready_hook_enable (TRUE);
  for (guint i = 0; i < p->n; i++) {
    Stream *s = g_ptr_array_index (streams, i);

    s->t_start = now_us ();
    if (gst_element_set_state (s->pipeline, p->paused_first ?
            GST_STATE_PAUSED : GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
      stream_finish (s, TRUE, g_strdup ("could not start the pipeline"));
      continue;
    }
    /* cold: the text goes in as the element starts */
    if (!p->warm && !push_text (s, p->text))
      stream_finish (s, TRUE, g_strdup ("push-text refused the text"));
  }

  if (p->warm) {
    if (p->paused_first) {
      /* a live element held in PAUSED opens its context but handles the
       * server's answer (and logs it) only in PLAYING: a settle time, 50
       * times what a create takes on loopback */
      g_usleep (G_TIME_SPAN_MILLISECOND * 100);
      r->ready_detected = TRUE;
    } else {
      /* the create is answered on an open socket; a context that is not
       * reported in time (the log line changed?) gets a settle time */
      gint64 ready_deadline = MIN (deadline, now_us () +
          G_TIME_SPAN_SECOND * 5 + p->n * 20 * G_TIME_SPAN_MILLISECOND);
      r->ready_detected = board_wait (&board.n_ready, p->n, TRUE,
          ready_deadline);
      ready_hook_enable (FALSE);
      /* the smoke run is the bench's own test: a hook that sees nothing
       * fails it at once rather than timing every run with a settle time */
      if (!r->ready_detected && opt_smoke)
        g_error ("no stream's context was seen ready: has the session's "
            "log line \"...%s\" changed?", CONTEXT_READY_NEEDLE);
      if (!r->ready_detected && board.n_ready == 0)
        g_usleep (G_TIME_SPAN_MILLISECOND * 200);
    }
    t_ready = now_us ();
    r->setup_wall_s = (t_ready - t0) / 1e6;
    r->rss_ready_kib = status_kib ("VmRSS:");
    r->fds_ready = open_fds ();
    cpu1 = process_cpu ();
    for (guint i = 0; i < p->n; i++) {
      Stream *s = g_ptr_array_index (streams, i);

      if (s->done)
        continue;
      if (p->paused_first) {
        /* held in PAUSED with its context open; the clock "from
         * set_state" starts at PLAYING */
        s->t_start = now_us ();
        if (gst_element_set_state (s->pipeline, GST_STATE_PLAYING) ==
            GST_STATE_CHANGE_FAILURE) {
          stream_finish (s, TRUE, g_strdup ("could not start the pipeline"));
          continue;
        }
      }
      if (!push_text (s, p->text))
        stream_finish (s, TRUE, g_strdup ("push-text refused the text"));
    }
  } else {
    t_ready = t0;
    cpu1 = cpu0;
  }

  /* the end of the stream only once the first audio is out, so that the
   * close_context frame does not queue before the text on the server */
  board_wait (&board.n_first, p->n, TRUE, deadline);
  for (guint i = 0; i < p->n; i++) {
    Stream *s = g_ptr_array_index (streams, i);
    if (!s->done)
      g_signal_emit_by_name (s->src, "end-of-stream");
  }
  all = board_wait (&board.n_done, p->n, FALSE, deadline);
  cpu2 = process_cpu ();
  r->stream_wall_s = (now_us () - t_ready) / 1e6;
  r->rss_peak_kib = status_kib ("VmHWM:");
  emu1 = pid_cpu (emulator_pid ());
  r->setup_cpu_s = cpu1 - cpu0;
  r->stream_cpu_s = cpu2 - cpu1;
  r->emu_cpu_s = emu1 - emu0;

  g_mutex_lock (&board.lock);
  for (guint i = 0; i < p->n; i++) {
    Stream *s = g_ptr_array_index (streams, i);

    if (s->t_first && s->t_text) {
      add_double (r->latency_ms, (s->t_first - s->t_text) / 1e3);
      add_double (r->latency_start_ms, (s->t_first - s->t_start) / 1e3);
    }
    r->audio_s += s->audio_ns / 1e9;
    if (s->done && !s->failed)
      r->completed++;
    else {
      r->failed++;
      if (r->first_error == NULL)
        r->first_error = g_strdup (s->error ? s->error :
            "did not finish in time (--timeout)");
    }
  }
  g_mutex_unlock (&board.lock);
  if (!all)
    g_printerr ("bench: %u of %u streams did not finish within %d s\n",
        p->n - board.n_done, p->n, opt_timeout);

  g_ptr_array_unref (streams);
}

/* ------------------------------------------------------------------------
 * The floor: a minimal libsoup 3 client, one thread, no queues
 * ------------------------------------------------------------------------ */

/* When the floor's clock starts: before its connect (cold), once its
 * socket is open, right before create (open socket), or once its context
 * exists, right before send_text (warm). */
typedef enum
{
  FLOOR_COLD,
  FLOOR_OPEN_SOCKET,
  FLOOR_WARM,
} FloorStart;

typedef struct _Floor Floor;
typedef struct _FloorConn FloorConn;

typedef struct
{
  Floor *floor;
  FloorConn *conn;
  gchar *context_id;
  gint64 t_text, t_first;
  guint flushes_sent, flushes_done;
  gboolean created, done, failed;
  gchar *error;
} FloorStream;

/* One WebSocket carrying up to --floor-contexts streams, as the element's
 * pool does (5 contexts per connection). */
struct _FloorConn
{
  Floor *floor;
  SoupMessage *msg;
  SoupWebsocketConnection *ws;
  FloorStream **streams;
  guint n_streams, n_open;
  gint64 t_connect;
  gboolean closed;
};

struct _Floor
{
  SoupSession *session;
  GMainLoop *loop;
  const InworldProtocol *proto;
  InworldSynthConfig config;
  gchar **pieces;
  FloorStart start;
  gboolean parse;               /* also parse every frame as the element does */
  gboolean texts_sent;
  guint n, n_created, n_done;
  guint n_conns, conns_live;
  FloorStream *streams;
  FloorConn *conns;
};


static void
floor_send (FloorConn * fc, gchar * frame)
{
  soup_websocket_connection_send_text (fc->ws, frame);
  g_free (frame);
}

static void
floor_send_text (FloorStream * fs)
{
  Floor *f = fs->floor;

  if (f->start == FLOOR_WARM)
    fs->t_text = now_us ();
  for (gchar ** p = f->pieces; *p; p++) {
    floor_send (fs->conn, f->proto->build_send_text (fs->context_id, *p,
            TRUE));
    fs->flushes_sent++;
  }
}

static void
floor_maybe_quit (Floor * f)
{
  if (f->n_done == f->n && f->conns_live == 0)
    g_main_loop_quit (f->loop);
}

static void
floor_conn_close (FloorConn * fc)
{
  if (fc->ws && !fc->closed && soup_websocket_connection_get_state (fc->ws)
      == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (fc->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
        NULL);
}

/* warm: once every context is open (or its stream failed), the texts go
 * out back to back */
static void
floor_maybe_send_all (Floor * f)
{
  if (f->start != FLOOR_WARM || f->texts_sent
      || f->n_created + f->n_done < f->n)
    return;
  f->texts_sent = TRUE;
  for (guint i = 0; i < f->n; i++)
    if (f->streams[i].created && !f->streams[i].done)
      floor_send_text (&f->streams[i]);
}

static void
floor_stream_done (FloorStream * fs, const gchar * error)
{
  Floor *f = fs->floor;

  if (fs->done)
    return;
  fs->done = TRUE;
  if (error) {
    fs->failed = TRUE;
    fs->error = g_strdup (error);
  }
  if (fs->created)
    f->n_created--;
  f->n_done++;
  /* the socket goes once none of its contexts is left */
  if (fs->conn->n_open > 0 && --fs->conn->n_open == 0)
    floor_conn_close (fs->conn);
  floor_maybe_send_all (f);
  floor_maybe_quit (f);
}

/* the kind of a result frame, from its first bytes */
static gboolean
frame_is (const gchar * data, gsize size, const gchar * key)
{
  return g_strstr_len (data, MIN (size, 160), key) != NULL;
}

/* the stream of a frame on a shared socket, from its contextId (the
 * emulator, as the service, writes it first); NULL for a frame of none */
static FloorStream *
floor_route (FloorConn * fc, const gchar * data, gsize size)
{
  static const gchar key[] = "\"contextId\":\"";
  const gchar *id, *end;

  if (fc->n_streams == 1)
    return fc->streams[0];
  id = g_strstr_len (data, MIN (size, 160), key);
  if (id == NULL)
    return NULL;
  id += sizeof (key) - 1;
  end = memchr (id, '"', size - (id - data));
  if (end == NULL)
    return NULL;
  for (guint i = 0; i < fc->n_streams; i++) {
    const gchar *cid = fc->streams[i]->context_id;
    if (strlen (cid) == (gsize) (end - id) && !memcmp (cid, id, end - id))
      return fc->streams[i];
  }
  return NULL;
}

static void
floor_on_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    FloorConn * fc)
{
  Floor *f = fc->floor;
  gsize size;
  const gchar *data = g_bytes_get_data (message, &size);
  FloorStream *fs;

  if (f->parse) {
    GPtrArray *events =
        g_ptr_array_new_with_free_func ((GDestroyNotify) inworld_event_free);
    f->proto->parse (data, size, events, NULL);
    g_ptr_array_unref (events);
  }

  fs = floor_route (fc, data, size);
  if (fs == NULL || fs->done) {
    if (fs == NULL) {
      gchar *head = g_strndup (data, MIN (size, 200));
      g_printerr ("bench: floor: a frame for no stream: %s\n", head);
      g_free (head);
    }
    return;
  }
  if (frame_is (data, size, "\"audioChunk\"")) {
    if (fs->t_first == 0)
      fs->t_first = now_us ();
  } else if (frame_is (data, size, "\"flushCompleted\"")) {
    if (++fs->flushes_done == fs->flushes_sent)
      floor_send (fc, f->proto->build_close (fs->context_id));
  } else if (frame_is (data, size, "\"contextCreated\"")) {
    if (!fs->created) {
      fs->created = TRUE;
      f->n_created++;
      floor_maybe_send_all (f);
    }
  } else if (frame_is (data, size, "\"contextClosed\"")) {
    floor_stream_done (fs, fs->flushes_done == fs->flushes_sent
        && fs->flushes_sent > 0 ? NULL : "context closed early");
  } else {
    gchar *head = g_strndup (data, MIN (size, 200));
    floor_stream_done (fs, head);
    g_free (head);
  }
}

static void
floor_on_closed (SoupWebsocketConnection * ws, FloorConn * fc)
{
  if (fc->closed)
    return;
  fc->closed = TRUE;
  for (guint i = 0; i < fc->n_streams; i++)
    floor_stream_done (fc->streams[i], "closed early");
  fc->floor->conns_live--;
  floor_maybe_quit (fc->floor);
}

static void
floor_on_connected (GObject * source, GAsyncResult * res, gpointer user_data)
{
  FloorConn *fc = user_data;
  Floor *f = fc->floor;
  GError *error = NULL;

  fc->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res,
      &error);
  if (fc->ws == NULL) {
    fc->closed = TRUE;
    for (guint i = 0; i < fc->n_streams; i++)
      floor_stream_done (fc->streams[i], error->message);
    g_clear_error (&error);
    f->conns_live--;
    floor_maybe_quit (f);
    return;
  }
  g_object_set (fc->ws, "max-incoming-payload-size",
      (guint64) (8 * 1024 * 1024), "keepalive-interval", 0, NULL);
  g_signal_connect (fc->ws, "message", G_CALLBACK (floor_on_message), fc);
  g_signal_connect (fc->ws, "closed", G_CALLBACK (floor_on_closed), fc);
  for (guint i = 0; i < fc->n_streams; i++) {
    FloorStream *fs = fc->streams[i];

    if (f->start == FLOOR_COLD)
      fs->t_text = fc->t_connect;
    else if (f->start == FLOOR_OPEN_SOCKET)
      fs->t_text = now_us ();
    floor_send (fc, f->proto->build_create (fs->context_id, &f->config));
    if (f->start != FLOOR_WARM)
      floor_send_text (fs);
  }
}

static gboolean
floor_timeout (gpointer user_data)
{
  Floor *f = user_data;

  g_printerr ("bench: the floor client did not finish within %d s\n",
      opt_timeout);
  g_main_loop_quit (f->loop);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  guint n, failed;
  gchar *first_error;
  GArray *latency_ms;
  gdouble wall_s, cpu_s, audio_s;
} FloorResult;

static void
floor_result_clear (FloorResult * r)
{
  g_clear_pointer (&r->latency_ms, g_array_unref);
  g_clear_pointer (&r->first_error, g_free);
}

/* @n streams at once on ceil (n / --floor-contexts) connections, each
 * stream: create, send_text (flushed, in the element's pieces),
 * close_context once every flush completed; a socket is closed once its
 * last context is. */
static void
run_floor (guint n, const gchar * encoding, FloorStart start, gboolean parse,
    gboolean direct, const gchar * text, FloorResult * r)
{
  Floor f = { 0 };
  gchar *auth = g_strdup_printf ("Basic %s", TEST_API_KEY);
  guint per_conn = MAX (1, opt_floor_contexts);
  gdouble cpu0;
  gint64 t0;
  static guint serial;
  GSource *source;

  memset (r, 0, sizeof (*r));
  r->n = n;
  r->latency_ms = g_array_new (FALSE, FALSE, sizeof (gdouble));

  /* the session, the loop and the frames are ready before the clock */
  f.session = soup_session_new_with_options ("max-conns", 100000,
      "max-conns-per-host", 100000, NULL);
  /* no proxy resolver at all: no lookup (libproxy) per connection */
  if (direct)
    soup_session_set_proxy_resolver (f.session, NULL);
  f.loop = g_main_loop_new (NULL, FALSE);
  f.proto = inworld_protocol_get (INWORLD_PROTOCOL_INWORLD);
  inworld_synth_config_init (&f.config);
  f.config.voice = "Ashley";
  f.config.model = "inworld-tts-1.5-max";
  f.config.sample_rate = 24000;
  {
    gchar *upper = g_ascii_strup (encoding, -1);
    inworld_encoding_from_string (upper, &f.config.encoding);
    g_free (upper);
  }
  f.pieces = inworld_text_split (text, INWORLD_MAX_TEXT_CHARS);
  f.start = start;
  f.parse = parse;
  f.n = n;
  f.streams = g_new0 (FloorStream, n);
  f.n_conns = (n + per_conn - 1) / per_conn;
  f.conns_live = f.n_conns;
  f.conns = g_new0 (FloorConn, f.n_conns);
  for (guint c = 0; c < f.n_conns; c++) {
    FloorConn *fc = &f.conns[c];

    fc->floor = &f;
    fc->streams = g_new0 (FloorStream *, per_conn);
    fc->msg = soup_message_new (SOUP_METHOD_GET, target->uri);
    soup_message_headers_replace (soup_message_get_request_headers (fc->msg),
        "Authorization", auth);
  }
  for (guint i = 0; i < n; i++) {
    FloorStream *fs = &f.streams[i];
    FloorConn *fc = &f.conns[i / per_conn];

    fs->floor = &f;
    fs->conn = fc;
    fs->context_id = g_strdup_printf ("floor-%u", ++serial);
    fc->streams[fc->n_streams++] = fs;
    fc->n_open++;
  }
  source = g_timeout_source_new_seconds (opt_timeout);
  g_source_set_callback (source, floor_timeout, &f, NULL);
  g_source_attach (source, NULL);

  malloc_trim (0);
  cpu0 = process_cpu ();
  t0 = now_us ();
  for (guint c = 0; c < f.n_conns; c++) {
    FloorConn *fc = &f.conns[c];

    fc->t_connect = now_us ();
    soup_session_websocket_connect_async (f.session, fc->msg, NULL, NULL,
        G_PRIORITY_DEFAULT, NULL, floor_on_connected, fc);
  }
  g_main_loop_run (f.loop);
  r->cpu_s = process_cpu () - cpu0;
  r->wall_s = (now_us () - t0) / 1e6;
  g_source_destroy (source);
  g_source_unref (source);

  for (guint i = 0; i < n; i++) {
    FloorStream *fs = &f.streams[i];

    if (fs->t_first && fs->t_text)
      add_double (r->latency_ms, (fs->t_first - fs->t_text) / 1e3);
    if (!fs->done || fs->failed) {
      r->failed++;
      if (r->first_error == NULL)
        r->first_error = g_strdup (fs->error ? fs->error : "did not finish");
    }
    g_free (fs->context_id);
    g_free (fs->error);
  }
  for (guint c = 0; c < f.n_conns; c++) {
    FloorConn *fc = &f.conns[c];

    if (fc->ws) {
      floor_conn_close (fc);
      g_signal_handlers_disconnect_by_data (fc->ws, fc);
      g_object_unref (fc->ws);
    }
    g_object_unref (fc->msg);
    g_free (fc->streams);
  }
  /* the test signal is 10 ms per character */
  for (gchar ** p = f.pieces; *p; p++)
    r->audio_s += n * g_utf8_strlen (*p, -1) / 100.0;

  /* let the close handshakes finish, then drop the session */
  while (g_main_context_iteration (NULL, FALSE));
  soup_session_abort (f.session);
  g_object_unref (f.session);
  g_main_loop_unref (f.loop);
  g_strfreev (f.pieces);
  g_free (f.streams);
  g_free (f.conns);
  g_free (auth);
}

/* ------------------------------------------------------------------------
 * Part 1: first-audio latency
 * ------------------------------------------------------------------------ */

typedef struct
{
  const gchar *name;
  gboolean element;
  gboolean warm;
  gboolean live;
  gboolean parse;               /* floor: + the element's parser */
  gboolean keeper;              /* element: another stream stays open, so
                                 * its context goes on that socket */
  gboolean paused;              /* element, warm: held in PAUSED */
  gboolean direct;              /* no proxy lookup: the element's proxy
                                 * direct://, the floor's session without
                                 * a proxy resolver */
  FloorStart floor_start;       /* floor */
  GArray *ms;
  GArray *ms_start;             /* element: from set_state (PLAYING) */
  guint failed;
  guint not_cold;               /* cold runs that found a socket open */
} LatencyCase;

static void
print_stats_row (const gchar * name, GArray * ms, const gchar * extra)
{
  Stats s = stats_of (ms);

  if (s.n == 0) {
    g_print ("  %-44s  no sample%s%s\n", name, extra ? "  " : "",
        extra ? extra : "");
    return;
  }
  g_print ("  %-44s %8.3f %8.3f %8.3f %8.3f %8.3f %4u%s%s\n", name, s.median,
      s.p10, s.p90, s.min, s.max, s.n, extra ? "  " : "", extra ? extra : "");
}

/* the element's timing from set_state is shown for cold starts and for
 * a live pipeline made warm in PAUSED */
static gboolean
shows_from_set_state (const LatencyCase * lc)
{
  return lc->element && (!lc->warm || lc->paused);
}

static LatencyCase *
find_case (LatencyCase * cases, guint n, const gchar * name)
{
  for (guint c = 0; c < n; c++)
    if (g_str_equal (cases[c].name, name))
      return &cases[c];
  return NULL;
}

/* An idle stream with its context open (the connection thread runs and
 * its socket has 4 free slots). */
static Stream *
keeper_start (void)
{
  Stream *keeper;
  gint64 deadline = now_us () + 5 * G_TIME_SPAN_SECOND;

  board_reset ();
  keeper = stream_new ("pcm", FALSE, NULL);
  ready_hook_enable (TRUE);
  gst_element_set_state (keeper->pipeline, GST_STATE_PLAYING);
  board_wait (&board.n_ready, 1, TRUE, deadline);
  ready_hook_enable (FALSE);
  return keeper;
}

static void
part_latency (void)
{
  LatencyCase cases[] = {
    {"floor, cold (connect+create+text)", .floor_start = FLOOR_COLD},
    {"element, cold", TRUE},
    {"floor, cold, no proxy lookup", .floor_start = FLOOR_COLD,.direct =
          TRUE},
    {"element, cold, proxy=direct://", TRUE,.direct = TRUE},
    {"floor, open socket (create+text)", .floor_start = FLOOR_OPEN_SOCKET},
    {"element, cold, shared socket open", TRUE,.keeper = TRUE},
    {"floor, warm (open context)", FALSE, TRUE,.floor_start = FLOOR_WARM},
    {"element, warm", TRUE, TRUE},
    {"floor+parse, warm", FALSE, TRUE,.parse = TRUE,.floor_start =
          FLOOR_WARM},
    {"element is-live, cold", TRUE, FALSE, TRUE},
    {"element is-live, warm", TRUE, TRUE, TRUE},
    {"element is-live, warm in PAUSED", TRUE, TRUE, TRUE,.paused = TRUE},
  };
  guint runs = opt_latency_runs;
  gboolean ready_detected = TRUE;

  g_print ("\n== first-audio latency, 1 stream, PCM 24 kHz, %u runs "
      "(ms) ==\n", runs);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    cases[c].ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
    cases[c].ms_start = g_array_new (FALSE, FALSE, sizeof (gdouble));
  }
  target = emu;

  /* run 0 warms up (plugin loading, threads) and is not counted; the
   * cases are interleaved so that a drift of the machine hits them all */
  for (guint run = 0; run <= runs; run++) {
    for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
      LatencyCase *lc = &cases[c];

      if (lc->element) {
        BatchParams p = { 1, "pcm", lc->warm, lc->live, LATENCY_TEXT,
          lc->paused, lc->keeper, lc->direct ? "direct://" : NULL
        };
        BatchResult r;
        Stream *keeper = NULL;

        if (lc->keeper) {
          wait_pool_empty ();
          keeper = keeper_start ();
        }
        run_batch (&p, &r);
        g_clear_pointer (&keeper, stream_free);
        if (run > 0) {
          if (r.failed || r.latency_ms->len == 0)
            lc->failed++, unexpected_failures++;
          else {
            add_double (lc->ms, g_array_index (r.latency_ms, gdouble, 0));
            add_double (lc->ms_start, g_array_index (r.latency_start_ms,
                    gdouble, 0));
          }
          if (lc->warm && !r.ready_detected)
            ready_detected = FALSE;
          if (!lc->warm && !lc->keeper && !r.pool_was_empty)
            lc->not_cold++;
        }
        if (r.failed && r.first_error)
          g_printerr ("bench: %s: %s\n", lc->name, r.first_error);
        batch_result_clear (&r);
      } else {
        FloorResult r;

        run_floor (1, "pcm", lc->floor_start, lc->parse, lc->direct,
            LATENCY_TEXT, &r);
        if (run > 0) {
          if (r.failed || r.latency_ms->len == 0)
            lc->failed++, unexpected_failures++;
          else
            add_double (lc->ms, g_array_index (r.latency_ms, gdouble, 0));
        }
        if (r.failed && r.first_error)
          g_printerr ("bench: %s: %s\n", lc->name, r.first_error);
        floor_result_clear (&r);
      }
    }
  }

  g_print ("  %-44s %8s %8s %8s %8s %8s %4s\n", "case", "median", "p10",
      "p90", "min", "max", "n");
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    gchar *extra = cases[c].failed || cases[c].not_cold ?
        g_strdup_printf ("%u failed, %u not cold", cases[c].failed,
        cases[c].not_cold) : NULL;
    print_stats_row (cases[c].name, cases[c].ms, extra);
    if (shows_from_set_state (&cases[c])) {
      gchar *name = g_strdup_printf ("%s, from set_state", cases[c].name);
      print_stats_row (name, cases[c].ms_start, NULL);
      g_free (name);
    }
    g_free (extra);
  }
  {
    const guint n = G_N_ELEMENTS (cases);
    Stats fc = stats_of (find_case (cases, n,
            "floor, cold (connect+create+text)")->ms);
    Stats ec = stats_of (find_case (cases, n, "element, cold")->ms);
    Stats fs = stats_of (find_case (cases, n,
            "floor, open socket (create+text)")->ms);
    Stats es = stats_of (find_case (cases, n,
            "element, cold, shared socket open")->ms);
    Stats fw = stats_of (find_case (cases, n,
            "floor, warm (open context)")->ms);
    Stats ew = stats_of (find_case (cases, n, "element, warm")->ms);

    g_print ("  element - floor (medians): cold %+.3f ms, on an open socket "
        "%+.3f ms, warm %+.3f ms (target: within 1 ms)\n",
        ec.median - fc.median, es.median - fs.median, ew.median - fw.median);
  }
  if (!ready_detected)
    g_print ("  note: the element's context-created log line was not seen; "
        "warm runs used a settle time\n");

  json_builder_set_member_name (out, "latency");
  json_builder_begin_object (out);
  json_member_string ("text", LATENCY_TEXT);
  json_member_int ("runs", runs);
  json_member_bool ("warm_ready_detected", ready_detected);
  json_builder_set_member_name (out, "cases");
  json_builder_begin_array (out);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    json_builder_begin_object (out);
    json_member_string ("name", cases[c].name);
    json_member_string ("client", cases[c].element ? "element" : "floor");
    json_member_string ("start", cases[c].element ? (cases[c].warm ? "warm" :
            "cold") : (cases[c].floor_start == FLOOR_WARM ? "warm" :
            cases[c].floor_start == FLOOR_OPEN_SOCKET ? "open-socket" :
            "cold"));
    json_member_bool ("live", cases[c].live);
    json_member_bool ("parse", cases[c].parse);
    json_member_bool ("another_stream_open", cases[c].keeper);
    json_member_bool ("held_in_paused", cases[c].paused);
    json_member_bool ("no_proxy_lookup", cases[c].direct);
    json_member_int ("failed", cases[c].failed);
    json_member_int ("not_cold", cases[c].not_cold);
    json_stats ("ms", cases[c].ms);
    if (shows_from_set_state (&cases[c]))
      json_stats ("ms_from_set_state", cases[c].ms_start);
    json_builder_end_object (out);
    g_array_unref (cases[c].ms);
    g_array_unref (cases[c].ms_start);
  }
  json_builder_end_array (out);
  json_builder_end_object (out);
}

/* ------------------------------------------------------------------------
 * Part 2: CPU per audio second, latency and memory under concurrency
 * ------------------------------------------------------------------------ */

static guint
cpu_runs_for (guint n)
{
  if (opt_cpu_runs > 0)
    return opt_cpu_runs;
  return n <= 10 ? 5 : 3;
}

/* One series: for each encoding and stream count, warm batches against
 * @e, each next to the floor (and the floor with the element's parser when
 * @floor_parse). */
static void
part_series (const gchar * json_name, const gchar * title,
    InworldEmulator * e, const gchar * encodings_list,
    const gchar * levels_list, gdouble pcm_seconds, gdouble mp3_seconds,
    gboolean floor_parse, guint fixed_runs)
{
  GArray *levels = parse_list (levels_list);
  gchar **encodings = g_strsplit (encodings_list, ",", -1);

  target = e;
  g_print ("\n== %s ==\n", title);
  g_print ("  %-6s %5s %-12s %9s %9s %9s %9s %9s %9s %9s\n", "enc", "N",
      "client", "cpu%med", "cpu%min", "cpu%max", "lat med", "lat p90",
      "KiB/strm", "emu cpu%");

  json_builder_set_member_name (out, json_name);
  json_builder_begin_array (out);
  for (gchar ** e = encodings; *e; e++) {
    const gchar *enc = *e;
    gdouble seconds = g_str_equal (enc, "mp3") ? mp3_seconds : pcm_seconds;
    gchar *text = make_text (seconds);

    for (guint l = 0; l < levels->len; l++) {
      guint n = g_array_index (levels, guint, l);
      guint runs = fixed_runs ? fixed_runs : cpu_runs_for (n);
      GArray *cpu_pct = g_array_new (FALSE, FALSE, sizeof (gdouble));
      GArray *lat = g_array_new (FALSE, FALSE, sizeof (gdouble));
      GArray *peak_kib = g_array_new (FALSE, FALSE, sizeof (gdouble));
      GArray *idle_kib = g_array_new (FALSE, FALSE, sizeof (gdouble));
      GArray *setup_cpu_ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
      GArray *emu_pct = g_array_new (FALSE, FALSE, sizeof (gdouble));
      GArray *wall = g_array_new (FALSE, FALSE, sizeof (gdouble));
      GArray *f_cpu[2], *f_lat[2];
      guint failed = 0, f_failed[2] = { 0, 0 };
      gdouble audio_per_stream = 0;
      gchar *first_error = NULL;
      Stats s;

      for (guint k = 0; k < 2; k++) {
        f_cpu[k] = g_array_new (FALSE, FALSE, sizeof (gdouble));
        f_lat[k] = g_array_new (FALSE, FALSE, sizeof (gdouble));
      }

      if (runs == 1) {
        /* a single run (the paced part) would time the emulator's and
         * this process's first batch of this size, measured at 2 to 4
         * times the next ones for 10 streams: an unmeasured batch of short
         * texts first */
        gchar *short_text = make_text (0.5);
        BatchParams p = { n, enc, TRUE, FALSE, short_text };
        BatchResult r;

        run_batch (&p, &r);
        batch_result_clear (&r);
        g_free (short_text);
      }
      for (guint run = 0; run < runs; run++) {
        BatchParams p = { n, enc, TRUE, FALSE, text };
        BatchResult r;

        run_batch (&p, &r);
        if (r.failed) {
          failed += r.failed;
          unexpected_failures += r.failed;
          if (!first_error)
            first_error = g_strdup (r.first_error);
        }
        if (r.audio_s > 0) {
          add_double (cpu_pct, 100.0 * r.stream_cpu_s / r.audio_s);
          add_double (emu_pct, 100.0 * r.emu_cpu_s / r.audio_s);
          audio_per_stream = r.audio_s / n;
        }
        g_array_append_vals (lat, r.latency_ms->data, r.latency_ms->len);
        add_double (peak_kib, (gdouble) (r.rss_peak_kib - r.rss_before_kib)
            / n);
        add_double (idle_kib, (gdouble) (r.rss_ready_kib - r.rss_before_kib)
            / n);
        add_double (setup_cpu_ms, 1e3 * r.setup_cpu_s / n);
        add_double (wall, r.stream_wall_s);
        batch_result_clear (&r);

        if (!opt_no_floor) {
          for (guint k = 0; k < (floor_parse ? 2u : 1u); k++) {
            FloorResult fr;

            /* k = 0: receive only; k = 1: + the element's own parser */
            run_floor (n, enc, FLOOR_WARM, k == 1, FALSE, text, &fr);
            if (fr.failed)
              f_failed[k] += fr.failed;
            unexpected_failures += fr.failed;
            if (fr.audio_s > 0)
              add_double (f_cpu[k], 100.0 * fr.cpu_s / fr.audio_s);
            g_array_append_vals (f_lat[k], fr.latency_ms->data,
                fr.latency_ms->len);
            if (fr.failed && fr.first_error)
              g_printerr ("bench: floor %s N=%u: %s\n", enc, n,
                  fr.first_error);
            floor_result_clear (&fr);
          }
        }
      }

      {
        Stats c = stats_of (cpu_pct), la = stats_of (lat);
        Stats pk = stats_of (peak_kib), em = stats_of (emu_pct);

        g_print ("  %-6s %5u %-12s %9.4f %9.4f %9.4f %9.3f %9.3f %9.0f "
            "%9.3f%s\n", enc, n, "element", c.median, c.min, c.max,
            la.median, la.p90, pk.median, em.median,
            failed ? "  FAILURES" : "");
        if (!opt_no_floor) {
          for (guint k = 0; k < (floor_parse ? 2u : 1u); k++) {
            Stats fc = stats_of (f_cpu[k]), fl = stats_of (f_lat[k]);
            g_print ("  %-6s %5u %-12s %9.4f %9.4f %9.4f %9.3f %9.3f %9s "
                "%9s%s\n", enc, n, k ? "floor+parse" : "floor", fc.median,
                fc.min, fc.max, fl.median, fl.p90, "", "",
                f_failed[k] ? "  FAILURES" : "");
          }
        }
      }
      if (first_error)
        g_printerr ("bench: %s N=%u: %s\n", enc, n, first_error);

      json_builder_begin_object (out);
      json_member_string ("encoding", enc);
      json_member_int ("streams", n);
      json_member_int ("runs", runs);
      json_member_double ("audio_s_per_stream", audio_per_stream);
      json_member_int ("failed", failed);
      json_member_string ("first_error", first_error);
      json_stats ("cpu_pct_per_stream", cpu_pct);
      json_stats ("latency_ms", lat);
      json_stats ("peak_kib_per_stream", peak_kib);
      json_stats ("ready_kib_per_stream", idle_kib);
      json_stats ("setup_cpu_ms_per_stream", setup_cpu_ms);
      json_stats ("emulator_cpu_pct_per_stream", emu_pct);
      json_stats ("stream_wall_s", wall);
      if (!opt_no_floor) {
        json_builder_set_member_name (out, "floor");
        json_builder_begin_object (out);
        json_member_int ("failed", f_failed[0]);
        json_stats ("cpu_pct_per_stream", f_cpu[0]);
        json_stats ("latency_ms", f_lat[0]);
        json_builder_end_object (out);
        if (floor_parse) {
          json_builder_set_member_name (out, "floor_parse");
          json_builder_begin_object (out);
          json_member_int ("failed", f_failed[1]);
          json_stats ("cpu_pct_per_stream", f_cpu[1]);
          json_stats ("latency_ms", f_lat[1]);
          json_builder_end_object (out);
        }
      }
      json_builder_end_object (out);

      s = stats_of (cpu_pct);
      (void) s;
      g_free (first_error);
      g_array_unref (cpu_pct);
      g_array_unref (lat);
      g_array_unref (peak_kib);
      g_array_unref (idle_kib);
      g_array_unref (setup_cpu_ms);
      g_array_unref (emu_pct);
      g_array_unref (wall);
      for (guint k = 0; k < 2; k++) {
        g_array_unref (f_cpu[k]);
        g_array_unref (f_lat[k]);
      }
    }
    g_free (text);
  }
  json_builder_end_array (out);
  g_strfreev (encodings);
  g_array_unref (levels);
}

/* ------------------------------------------------------------------------
 * Part 3: how many streams one process sustains
 * ------------------------------------------------------------------------ */

static void
part_scale (void)
{
  GArray *levels = parse_list (opt_scale);
  gchar *text = make_text (opt_scale_seconds);
  guint best = 0;

  target = emu;
  g_print ("\n== scale: warm PCM streams of %.1f s each, all at once ==\n",
      opt_scale_seconds);
  g_print ("  %5s %6s %9s %9s %9s %9s %9s %9s %9s %9s\n", "N", "ok",
      "ready s", "KiB/idle", "KiB/peak", "cpu%/strm", "lat med", "lat p90",
      "wall s", "fds/strm");

  json_builder_set_member_name (out, "scale");
  json_builder_begin_object (out);
  json_member_double ("audio_s_per_stream", opt_scale_seconds);
  json_builder_set_member_name (out, "levels");
  json_builder_begin_array (out);
  for (guint l = 0; l < levels->len; l++) {
    guint n = g_array_index (levels, guint, l);
    BatchParams p = { n, "pcm", TRUE, FALSE, text };
    BatchResult r;
    Stats la;
    gdouble idle, peak, cpu;

    run_batch (&p, &r);
    la = stats_of (r.latency_ms);
    idle = (gdouble) (r.rss_ready_kib - r.rss_before_kib) / n;
    peak = (gdouble) (r.rss_peak_kib - r.rss_before_kib) / n;
    cpu = r.audio_s > 0 ? 100.0 * r.stream_cpu_s / r.audio_s : 0;
    g_print ("  %5u %6u %9.2f %9.0f %9.0f %9.4f %9.3f %9.3f %9.2f %9.2f%s\n",
        n, r.completed, r.setup_wall_s, idle, peak, cpu, la.median, la.p90,
        r.stream_wall_s, (gdouble) (r.fds_ready - r.fds_before) / n,
        r.failed ? "  FAILED" : "");
    if (r.failed)
      g_print ("         first failure: %s\n", r.first_error);

    json_builder_begin_object (out);
    json_member_int ("streams", n);
    json_member_int ("completed", r.completed);
    json_member_int ("failed", r.failed);
    json_member_string ("first_error", r.first_error);
    json_member_bool ("ready_detected", r.ready_detected);
    json_member_double ("setup_wall_s", r.setup_wall_s);
    json_member_double ("setup_cpu_ms_per_stream", 1e3 * r.setup_cpu_s / n);
    json_member_double ("ready_kib_per_stream", idle);
    json_member_double ("peak_kib_per_stream", peak);
    json_member_int ("rss_before_kib", r.rss_before_kib);
    json_member_int ("rss_ready_kib", r.rss_ready_kib);
    json_member_int ("rss_peak_kib", r.rss_peak_kib);
    json_member_int ("fds_before", r.fds_before);
    json_member_int ("fds_ready", r.fds_ready);
    json_member_double ("cpu_pct_per_stream", cpu);
    json_member_double ("audio_s", r.audio_s);
    json_member_double ("stream_wall_s", r.stream_wall_s);
    json_stats ("latency_ms", r.latency_ms);
    json_builder_end_object (out);

    if (r.failed == 0)
      best = MAX (best, n);
    batch_result_clear (&r);
    if (r.failed && !opt_scale_continue)
      break;
  }
  json_builder_end_array (out);
  json_member_int ("max_streams_ok", best);
  json_builder_end_object (out);
  g_print ("  most concurrent streams that all completed: %u\n", best);
  g_free (text);
  g_array_unref (levels);
}

/* ------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------ */

static void
json_machine (void)
{
  struct utsname u;
  gchar *cpuinfo = NULL, *model = NULL;

  json_builder_set_member_name (out, "machine");
  json_builder_begin_object (out);
  if (uname (&u) == 0) {
    json_member_string ("kernel", u.release);
    json_member_string ("arch", u.machine);
  }
  json_member_int ("cores", g_get_num_processors ());
  if (g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
    gchar *line = strstr (cpuinfo, "model name");
    if (line && (line = strchr (line, ':'))) {
      gchar *end = strchr (line, '\n');
      model = g_strstrip (g_strndup (line + 1, end ? (gsize) (end - line - 1)
              : strlen (line + 1)));
    }
  }
  json_member_string ("cpu", model);
  {
    guint major, minor, micro, nano;
    gchar *v;

    gst_version (&major, &minor, &micro, &nano);
    v = g_strdup_printf ("%u.%u.%u", major, minor, micro);
    json_member_string ("gstreamer", v);
    g_free (v);
  }
  {
    gchar *soup = g_strdup_printf ("%u.%u.%u", soup_get_major_version (),
        soup_get_minor_version (), soup_get_micro_version ());
    json_member_string ("libsoup", soup);
    g_free (soup);
  }
  json_builder_end_object (out);
  g_free (model);
  g_free (cpuinfo);
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *error = NULL;
  gint64 t_start;

  ctx = g_option_context_new ("- benchmarks of inworldttssrc against the "
      "emulator");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);

  if (opt_smoke) {
    opt_latency_runs = 3;
    opt_cpu_runs = 1;
    opt_pcm_seconds = 1.0;
    opt_mp3_seconds = 1.0;
    opt_scale_seconds = 0.5;
    if (!opt_concurrency)
      opt_concurrency = g_strdup ("1,4");
    if (!opt_scale)
      opt_scale = g_strdup ("10");
    if (!opt_paced)
      opt_paced = g_strdup ("2");
    opt_paced_seconds = 1.0;
    opt_timeout = MIN (opt_timeout, 60);
  } else if (opt_quick) {
    opt_latency_runs = MIN (opt_latency_runs, 10);
    if (opt_cpu_runs == 0)
      opt_cpu_runs = 1;
    opt_pcm_seconds = MIN (opt_pcm_seconds, 10.0);
    opt_mp3_seconds = MIN (opt_mp3_seconds, 5.0);
    if (!opt_scale)
      opt_scale = g_strdup ("50,100,200");
    if (!opt_paced)
      opt_paced = g_strdup ("1,100");
    opt_paced_seconds = MIN (opt_paced_seconds, 3.0);
  }
  if (!opt_concurrency)
    opt_concurrency = g_strdup ("1,10,100");
  if (!opt_scale)
    opt_scale = g_strdup ("50,100,200,400,800,1600,3200");
  if (!opt_paced)
    opt_paced = g_strdup ("1,10,100,200");
  if (!opt_paced_encodings)
    opt_paced_encodings = g_strdup ("pcm");
  if (!opt_encodings)
    opt_encodings = g_strdup ("pcm,mp3");

#ifdef BENCH_EMULATOR
  /* run from the build tree without meson's environment */
  g_setenv ("INWORLD_TTS_EMULATOR", BENCH_EMULATOR, FALSE);
#endif
  /* the emulator inherits the raised limit too */
  raise_fd_limit ();

  /* the hook only sees the element's lines, and only while streams start */
  user_debug = g_getenv ("GST_DEBUG") != NULL;
  if (!user_debug) {
    gst_debug_remove_log_function (gst_debug_log_default);
    gst_debug_set_active (FALSE);
  }
  gst_debug_add_log_function (ready_log_hook, NULL, NULL);

  emu = inworld_emulator_start ("--speed=0", "--first-audio-delay=0",
      "--inactivity-timeout=0", NULL);
  target = emu;
  g_print ("inworld-bench: emulator on port %u (pid %s), --speed 0, "
      "--audio test-signal; %d cores\n", emu->port, emulator_pid (),
      g_get_num_processors ());

  out = json_builder_new ();
  json_builder_begin_object (out);
  json_machine ();
  json_builder_set_member_name (out, "options");
  json_builder_begin_object (out);
  json_member_bool ("quick", opt_quick);
  json_member_bool ("smoke", opt_smoke);
  json_member_string ("concurrency", opt_concurrency);
  json_member_string ("encodings", opt_encodings);
  json_member_double ("pcm_seconds", opt_pcm_seconds);
  json_member_double ("mp3_seconds", opt_mp3_seconds);
  json_member_string ("scale", opt_scale);
  json_member_double ("scale_seconds", opt_scale_seconds);
  json_member_string ("paced", opt_paced);
  json_member_string ("paced_encodings", opt_paced_encodings);
  json_member_double ("paced_seconds", opt_paced_seconds);
  json_builder_end_object (out);

  t_start = now_us ();
  if (part_enabled ("latency"))
    part_latency ();
  if (part_enabled ("cpu"))
    part_series ("cpu", "CPU per audio second (% of one core per real-time "
        "stream), latency (ms) and memory, warm streams, --speed 0", emu,
        opt_encodings, opt_concurrency, opt_pcm_seconds, opt_mp3_seconds,
        TRUE, 0);
  if (part_enabled ("paced")) {
    /* audio at real time, as a live service sends it: the first audio of
     * N streams under load, and the CPU of a real-time stream */
    emu_paced = inworld_emulator_start ("--speed=1", "--first-audio-delay=0",
        "--inactivity-timeout=0", NULL);
    part_series ("paced", "the same with audio paced at real time "
        "(--speed 1)", emu_paced, opt_paced_encodings, opt_paced,
        opt_paced_seconds, opt_paced_seconds, FALSE, 1);
    inworld_emulator_stop (emu_paced);
  }
  if (part_enabled ("scale"))
    part_scale ();
  json_member_double ("total_wall_s", (now_us () - t_start) / 1e6);
  json_builder_end_object (out);
  g_print ("\ninworld-bench: done in %.1f s\n", (now_us () - t_start) / 1e6);

  if (opt_json) {
    JsonGenerator *gen = json_generator_new ();
    JsonNode *root = json_builder_get_root (out);

    json_generator_set_root (gen, root);
    json_generator_set_pretty (gen, TRUE);
    if (!json_generator_to_file (gen, opt_json, &error)) {
      g_printerr ("bench: could not write %s: %s\n", opt_json,
          error->message);
      g_clear_error (&error);
    }
    json_node_unref (root);
    g_object_unref (gen);
  }
  g_object_unref (out);
  inworld_emulator_stop (emu);
  if (unexpected_failures) {
    g_printerr ("inworld-bench: %u stream(s) failed outside the scale ramp\n",
        unexpected_failures);
    return 1;
  }
  return 0;
}
