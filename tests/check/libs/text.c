/* inworldttssrc: text helper tests
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
#include <string.h>

#include "inworldtext.h"

/* Checks the split's invariants: lossless, no empty piece, each piece at
 * most @max characters and, when @text is valid UTF-8, valid UTF-8 too.
 * Returns the pieces. */
static gchar **
split_checked (const gchar * text, guint max)
{
  gchar **pieces = inworld_text_split (text, max);
  gboolean valid = g_utf8_validate (text, -1, NULL);
  GString *joined = g_string_new (NULL);

  fail_unless (pieces != NULL);
  for (gchar ** p = pieces; *p; p++) {
    fail_unless (**p != '\0', "empty piece");
    if (valid) {
      fail_unless (g_utf8_validate (*p, -1, NULL), "piece %s not UTF-8", *p);
      fail_unless (g_utf8_strlen (*p, -1) <= (glong) max,
          "piece '%s' longer than %u", *p, max);
    } else {
      fail_unless (strlen (*p) <= (gsize) max * 4);
    }
    g_string_append (joined, *p);
  }
  fail_unless_equals_string (joined->str, text);
  g_string_free (joined, TRUE);
  return pieces;
}

/* The split of @text is exactly the NULL-terminated list that follows */
static void
assert_split (const gchar * text, guint max, ...)
{
  gchar **pieces = split_checked (text, max);
  va_list args;
  const gchar *expected;
  guint i = 0;

  va_start (args, max);
  while ((expected = va_arg (args, const gchar *))) {
    fail_unless (pieces[i] != NULL, "missing piece %u '%s'", i, expected);
    fail_unless_equals_string (pieces[i], expected);
    i++;
  }
  va_end (args);
  fail_unless (pieces[i] == NULL, "extra piece '%s'", pieces[i]);
  g_strfreev (pieces);
}

GST_START_TEST (test_split_trivial)
{
  gchar **pieces = inworld_text_split ("", 10);

  fail_unless (pieces != NULL && pieces[0] == NULL);
  g_strfreev (pieces);

  assert_split ("Hello.", 10, "Hello.", NULL);
  assert_split ("a", 1, "a", NULL);
  /* exactly at the limit, and one over */
  assert_split ("abcde", 5, "abcde", NULL);
  assert_split ("abcdef", 5, "abcde", "f", NULL);
  assert_split ("Hello world", 11, "Hello world", NULL);
}

GST_END_TEST;

GST_START_TEST (test_split_no_whitespace)
{
  assert_split ("abcdefghij", 3, "abc", "def", "ghi", "j", NULL);
  assert_split ("abcdefghij", 1, "a", "b", "c", "d", "e", "f", "g", "h", "i",
      "j", NULL);
  /* a period inside a word is no sentence end */
  assert_split ("3.14159", 4, "3.14", "159", NULL);
}

GST_END_TEST;

GST_START_TEST (test_split_only_whitespace)
{
  assert_split ("          ", 4, "    ", "    ", "  ", NULL);
  assert_split ("\n\n\n", 2, "\n\n", "\n", NULL);
  assert_split (" \t \t ", 5, " \t \t ", NULL);
}

GST_END_TEST;

GST_START_TEST (test_split_words)
{
  /* whitespace goes with the word before it */
  assert_split ("aaaa bbbb cccc", 7, "aaaa ", "bbbb ", "cccc", NULL);
  /* the last space that fits, cut before it when that is later */
  assert_split ("ab cd ef gh", 5, "ab cd", " ef ", "gh", NULL);
  assert_split ("one two three four", 10, "one two ", "three four", NULL);
  /* a word longer than the limit is cut hard */
  assert_split ("hi abcdefghijkl", 5, "hi ", "abcde", "fghij", "kl", NULL);
}

GST_END_TEST;

GST_START_TEST (test_split_sentences)
{
  /* the sentence end wins over a later space */
  assert_split ("One two. Three four five six", 17, "One two. ",
      "Three four five ", "six", NULL);
  /* the last sentence end that fits */
  assert_split ("A b. C d! E f? G h i j k", 15, "A b. C d! E f? ",
      "G h i j k", NULL);
  /* the sentence end right at the limit, its space beyond it */
  assert_split ("Hello world. Next one", 12, "Hello world.", " Next one",
      NULL);
  /* ... and its space inside it */
  assert_split ("Hello world. Next one", 13, "Hello world. ", "Next one",
      NULL);
  /* a period not followed by whitespace is no sentence end */
  assert_split ("Pi is 3.14 or so ok", 12, "Pi is 3.14 ", "or so ok",
      NULL);
  /* closing quotes and brackets stay with the sentence */
  assert_split ("He said \"Stop.\" Then he left town", 20,
      "He said \"Stop.\" ", "Then he left town", NULL);
  assert_split ("(Really?) Yes indeed it is", 14, "(Really?) ",
      "Yes indeed it ", "is", NULL);
  assert_split ("Il dit «Bon.» Puis il part", 16, "Il dit «Bon.» ",
      "Puis il part", NULL);
  /* ellipses */
  assert_split ("Wait... what now", 10, "Wait... ", "what now", NULL);
  assert_split ("Wait… what now then", 10, "Wait… ", "what now ", "then",
      NULL);
  /* a sentence end before a newline */
  assert_split ("Line one.\nLine two is here", 15, "Line one.\n",
      "Line two is ", "here", NULL);
}

GST_END_TEST;

GST_START_TEST (test_split_cjk)
{
  /* 。 ends a sentence without a following space */
  assert_split ("今天天气很好。我们去公园吧。", 8, "今天天气很好。",
      "我们去公园吧。", NULL);
  assert_split ("你好！你好吗？我很好。", 6, "你好！", "你好吗？", "我很好。",
      NULL);
}

GST_END_TEST;

GST_START_TEST (test_split_cjk_more)
{
  /* no punctuation: hard cuts on whole characters (3 bytes each) */
  assert_split ("一二三四五六七八九十", 4, "一二三四", "五六七八", "九十",
      NULL);
  /* a closing bracket after 。 stays with it */
  assert_split ("他说：「好。」然后走了很远", 7, "他说：「好。」",
      "然后走了很远", NULL);
  /* ideographic space is whitespace */
  assert_split ("ａｂｃ　ｄｅｆ", 5, "ａｂｃ　", "ｄｅｆ", NULL);
}

GST_END_TEST;

GST_START_TEST (test_split_emoji)
{
  const gchar *smile = "\xf0\x9f\x98\x80";
  GString *text = g_string_new (NULL);
  gchar **pieces;

  for (guint i = 0; i < 10; i++)
    g_string_append (text, smile);
  pieces = split_checked (text->str, 3);
  fail_unless_equals_int (g_strv_length (pieces), 4);
  fail_unless_equals_int (strlen (pieces[0]), 12);
  fail_unless_equals_int (strlen (pieces[3]), 4);
  g_strfreev (pieces);

  /* 2-byte characters around the limit */
  assert_split ("ééééé", 5, "ééééé", NULL);
  assert_split ("éééééé", 5, "ééééé", "é", NULL);
  assert_split ("héllo wörld", 8, "héllo ", "wörld", NULL);
  /* combining sequences count per code point, and are never cut */
  assert_split ("e\xcc\x81" "e\xcc\x81", 3, "e\xcc\x81", "e\xcc\x81", NULL);
  g_string_free (text, TRUE);
}

GST_END_TEST;

#define ZWJ "\xe2\x80\x8d"
/* 👩‍👩‍👧‍👦: 7 code points, one cluster */
#define FAMILY "\xf0\x9f\x91\xa9" ZWJ "\xf0\x9f\x91\xa9" ZWJ \
    "\xf0\x9f\x91\xa7" ZWJ "\xf0\x9f\x91\xa6"
/* 👍🏽: thumbs up, medium skin tone */
#define THUMBS "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"
/* 🇫🇷 and 🇯🇵: two regional indicators each */
#define FLAG_FR "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7"
#define FLAG_JP "\xf0\x9f\x87\xaf\xf0\x9f\x87\xb5"
/* ❤️: heart and variation selector 16 */
#define HEART "\xe2\x9d\xa4\xef\xb8\x8f"
/* ệ decomposed: e, dot below, circumflex */
#define E_DOTS "e\xcc\xa3\xcc\x82"

/* The hard cut (no space, no sentence end in the window) falls between
 * two grapheme clusters, never inside one, and the limit holds */
GST_START_TEST (test_split_graphemes)
{
  /* the limit falls inside the ZWJ sequence: it goes whole to the next */
  assert_split ("abcde" FAMILY "fg", 8, "abcde", FAMILY "f", "g", NULL);
  assert_split ("ab" FAMILY FAMILY, 7, "ab", FAMILY, FAMILY, NULL);
  /* skin tone modifier */
  assert_split ("abc" THUMBS "d", 4, "abc", THUMBS "d", NULL);
  /* variation selector */
  assert_split ("ab" HEART "c", 3, "ab", HEART "c", NULL);
  /* flags: pairs of regional indicators, whatever the limit */
  assert_split (FLAG_FR FLAG_JP FLAG_FR, 3, FLAG_FR, FLAG_JP, FLAG_FR, NULL);
  assert_split (FLAG_FR FLAG_JP FLAG_FR, 5, FLAG_FR FLAG_JP, FLAG_FR, NULL);
  assert_split ("x" FLAG_FR FLAG_JP, 2, "x", FLAG_FR, FLAG_JP, NULL);
  /* combining marks, several on one letter */
  assert_split ("Vi" E_DOTS "t", 4, "Vi", E_DOTS "t", NULL);
  assert_split ("abc" "a\xcc\x8a", 4, "abc", "a\xcc\x8a", NULL);
  /* CR LF is one cluster: a cut never falls between them */
  assert_split ("abc\r\nd", 4, "abc", "\r\nd", NULL);
  /* a whitespace cut before an emoji sequence is fine */
  assert_split ("hi " FAMILY, 7, "hi ", FAMILY, NULL);
  /* a cluster longer than the limit: the limit wins, losslessly */
  assert_split (FAMILY, 3, "\xf0\x9f\x91\xa9" ZWJ "\xf0\x9f\x91\xa9",
      ZWJ "\xf0\x9f\x91\xa7" ZWJ, "\xf0\x9f\x91\xa6", NULL);
  /* a ZWJ before a letter joins nothing */
  assert_split ("ab" ZWJ "cd", 3, "ab" ZWJ, "cd", NULL);
}

GST_END_TEST;

/* At the 1000-character limit of the service: a text of emoji ZWJ
 * sequences and accents is cut between clusters only */
GST_START_TEST (test_split_graphemes_at_limit)
{
  GString *text = g_string_new (NULL);
  gchar **pieces;

  /* 999 letters, then the family: the limit falls inside it */
  for (guint i = 0; i < 999; i++)
    g_string_append_c (text, 'a');
  g_string_append (text, FAMILY E_DOTS FAMILY);
  pieces = split_checked (text->str, 1000);
  fail_unless_equals_int (g_strv_length (pieces), 2);
  fail_unless_equals_int (g_utf8_strlen (pieces[0], -1), 999);
  fail_unless_equals_string (pieces[1], FAMILY E_DOTS FAMILY);
  g_strfreev (pieces);
  g_string_free (text, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_split_invalid_utf8)
{
  /* bytes that are not UTF-8 are kept, one character each, and a
   * truncated sequence at the end is not read past */
  gchar **pieces = split_checked ("ab\xff\xfe" "cd\xf0\x9f", 3);

  fail_unless_equals_int (g_strv_length (pieces), 3);
  g_strfreev (pieces);
  pieces = split_checked ("\xf0", 1);
  fail_unless_equals_int (g_strv_length (pieces), 1);
  g_strfreev (pieces);
  pieces = split_checked ("x\xe4\xbd", 5);
  fail_unless_equals_int (g_strv_length (pieces), 1);
  g_strfreev (pieces);
}

GST_END_TEST;

/* What the tests take as extending a cluster (the atoms below) */
static gboolean
is_extend_char (gunichar c)
{
  return g_unichar_ismark (c) || c == 0x200D || c == 0xFE0F
      || (c >= 0x1F3FB && c <= 0x1F3FF);
}

/* Characters of the cluster that starts @piece (or, with @last, that
 * ends it), for the atoms of test_split_random: marks, skin tones and
 * ZWJ sequences; two regional indicators at most. */
static glong
cluster_chars (const gchar * piece, gboolean last)
{
  glong n = g_utf8_strlen (piece, -1);
  gunichar *chars = g_utf8_to_ucs4_fast (piece, -1, NULL);
  glong count = 1;

#define RI(c) ((c) >= 0x1F1E6 && (c) <= 0x1F1FF)
  if (last) {
    glong i = n - 1;

    for (; i > 0 && (is_extend_char (chars[i]) || chars[i - 1] == 0x200D); i--)
      count++;
    if (i > 0 && RI (chars[i]) && RI (chars[i - 1]))
      count++;
  } else {
    glong i = 1;

    if (n >= 2 && RI (chars[0]) && RI (chars[1])) {
      i = 2;
      count = 2;
    }
    for (; i < n && (is_extend_char (chars[i]) || chars[i - 1] == 0x200D); i++)
      count++;
  }
#undef RI
  g_free (chars);
  return count;
}

/* Random texts from pieces chosen to hit every branch: the split is
 * lossless, valid and within the limit; when a piece is cut before the
 * end and the window had whitespace, it does not end in the middle of a
 * word. */
GST_START_TEST (test_split_random)
{
  static const gchar *const atoms[] = {
    "a", "bc", "def", " ", "  ", "\n", ". ", "! ", "? ", ".", "…", "。", "！",
    "？", "\"", "”", ")", "」", "é", "今", "😀", "\t", "3.14", "e\xcc\x81",
    "\xe3\x80\x80", FAMILY, THUMBS, FLAG_FR, HEART, E_DOTS, "\xcc\x81",
  };
  GRand *rand = g_rand_new_with_seed (424242);

  for (guint iter = 0; iter < 3000; iter++) {
    GString *text = g_string_new (NULL);
    guint n_atoms = g_rand_int_range (rand, 0, 80);
    guint max = g_rand_int_range (rand, 1, 40);
    gchar **pieces;

    for (guint i = 0; i < n_atoms; i++)
      g_string_append (text, atoms[g_rand_int_range (rand, 0,
                  G_N_ELEMENTS (atoms))]);
    pieces = split_checked (text->str, max);

    /* every piece but the last: full, or ended at a boundary */
    for (guint i = 0; pieces[i] && pieces[i + 1]; i++) {
      glong len = g_utf8_strlen (pieces[i], -1);
      gunichar last = g_utf8_get_char (g_utf8_find_prev_char (pieces[i],
              pieces[i] + strlen (pieces[i])));
      gunichar next = g_utf8_get_char (pieces[i + 1]);

      /* never inside a cluster, unless it is longer than the limit */
      if (is_extend_char (next) || last == 0x200D)
        fail_unless (cluster_chars (pieces[i], TRUE) + cluster_chars
            (pieces[i + 1], FALSE) > max, "cut inside a cluster after '%s' "
            "before '%s'", pieces[i], pieces[i + 1]);
      if (len < (glong) max && len + cluster_chars (pieces[i + 1],
              FALSE) <= max) {
        /* a short piece ended at whitespace or a sentence end, or its
         * next cluster did not fit */
        fail_unless (g_unichar_isspace (last) || g_unichar_isspace (next)
            || strchr (".!?", (gchar) last) || last == 0x2026
            || last == 0x3002 || last == 0xff01 || last == 0xff1f
            || g_unichar_type (last) == G_UNICODE_CLOSE_PUNCTUATION
            || g_unichar_type (last) == G_UNICODE_FINAL_PUNCTUATION
            || last == '"', "bad cut after '%s' before '%s'", pieces[i],
            pieces[i + 1]);
      }
    }
    g_strfreev (pieces);
    g_string_free (text, TRUE);
  }
  g_rand_free (rand);
}

GST_END_TEST;

/* 1 MiB texts of several shapes, split for the 1000-character limit.
 * A quadratic split would take minutes here (hours under valgrind). */
GST_START_TEST (test_split_large)
{
  static const gchar *const units[] = {
    "word ", "x", " ", "A b. ", "今天天气很好。", "😀", "a.b", ". ",
  };
  GTimer *timer = g_timer_new ();

  for (guint u = 0; u < G_N_ELEMENTS (units); u++) {
    GString *text = g_string_new (NULL);
    gchar **pieces;
    guint n;

    while (text->len < (1 << 20))
      g_string_append (text, units[u]);
    g_timer_start (timer);
    pieces = split_checked (text->str, 1000);
    n = g_strv_length (pieces);
    GST_INFO ("unit '%s': %u pieces in %.3f s", units[u], n,
        g_timer_elapsed (timer, NULL));
    /* pieces are nearly full: few of them */
    fail_unless (n <= g_utf8_strlen (text->str, -1) / 990 + 2,
        "unit '%s': %u pieces", units[u], n);
    g_strfreev (pieces);
    g_string_free (text, TRUE);
  }
  g_timer_destroy (timer);
}

GST_END_TEST;

GST_START_TEST (test_has_speech)
{
  fail_if (inworld_text_has_speech (NULL));
  fail_if (inworld_text_has_speech (""));
  fail_if (inworld_text_has_speech (" \t\r\n\f\v"));
  fail_if (inworld_text_has_speech ("\xe3\x80\x80"));   /* ideographic space */
  fail_if (inworld_text_has_speech ("\xc2\xa0 "));      /* no-break space */
  fail_if (inworld_text_has_speech ("\xe2\x80\x8b"));   /* zero width space */
  fail_if (inworld_text_has_speech ("\xef\xbb\xbf "));  /* byte order mark */
  fail_unless (inworld_text_has_speech ("a"));
  fail_unless (inworld_text_has_speech ("   a   "));
  fail_unless (inworld_text_has_speech (" 1 "));
  fail_unless (inworld_text_has_speech ("\xff"));
  fail_unless (inworld_text_has_speech ("日本"));
  fail_unless (inworld_text_has_speech ("é"));
  fail_unless (inworld_text_has_speech ("[laugh]"));
  /* the service speaks letters and digits: nothing else is speech */
  fail_if (inworld_text_has_speech ("\n。"));
  fail_if (inworld_text_has_speech ("..."));
  fail_if (inworld_text_has_speech ("-"));
  fail_if (inworld_text_has_speech ("♪"));
  fail_if (inworld_text_has_speech ("😀"));
  fail_if (inworld_text_has_speech ("¿¡ , ; : ! ?"));
}

GST_END_TEST;

GST_START_TEST (test_validate)
{
  gsize bad = 12345;

  fail_unless (inworld_text_validate ("", -1, &bad));
  fail_unless (inworld_text_validate ("héllo 😀 今", -1, &bad));
  fail_unless (inworld_text_validate ("héllo", 6, NULL));
  fail_unless (inworld_text_validate ("abc\xff", 3, &bad));
  fail_unless (inworld_text_validate ("abc", 0, &bad));

  fail_if (inworld_text_validate ("abc\xff" "def", -1, &bad));
  fail_unless_equals_uint64 (bad, 3);
  bad = 0;
  fail_if (inworld_text_validate ("h\xc3\xa9\xc3", -1, &bad));
  fail_unless_equals_uint64 (bad, 3);
  /* a sequence cut by the length */
  fail_if (inworld_text_validate ("a\xf0\x9f\x98\x80", 3, &bad));
  fail_unless_equals_uint64 (bad, 1);
  /* a NUL inside the length */
  fail_if (inworld_text_validate ("ab\0cd", 5, &bad));
  fail_unless_equals_uint64 (bad, 2);
  /* overlong and surrogate encodings */
  fail_if (inworld_text_validate ("\xc0\xaf", -1, &bad));
  fail_unless_equals_uint64 (bad, 0);
  fail_if (inworld_text_validate ("x\xed\xa0\x80", -1, &bad));
  fail_unless_equals_uint64 (bad, 1);
  fail_if (inworld_text_validate ("\xc0\xaf", -1, NULL));
  fail_if (inworld_text_validate (NULL, -1, &bad));
}

GST_END_TEST;

/* Pango markup: tags go, entities and character references are decoded,
 * the text is kept as it is; markup that is not well-formed is refused. */
GST_START_TEST (test_strip_markup)
{
  static const struct
  {
    const gchar *markup;
    const gchar *text;
  } cases[] = {
    {"plain text", "plain text"},
    {"<b>Hello</b> &amp; welcome", "Hello & welcome"},
    {"<span foreground=\"red\">red</span> <i>and</i> &lt;tags&gt;",
        "red and <tags>"},
    {"caf\xc3\xa9 &#233; &#x263A;", "caf\xc3\xa9 \xc3\xa9 \xe2\x98\xba"},
    {"", ""},
  };
  static const gchar *bad[] = { "<b>unclosed", "a & b", "</i>", "<b></i>" };
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *text = inworld_text_strip_markup (cases[i].markup, -1, &error);

    fail_unless (text != NULL, "%s: %s", cases[i].markup,
        error ? error->message : "");
    fail_unless_equals_string (text, cases[i].text);
    g_free (text);
  }
  /* a length: the rest is not read */
  {
    gchar *text = inworld_text_strip_markup ("<b>ab</b>cd", 9, &error);
    fail_unless_equals_string (text, "ab");
    g_free (text);
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    fail_unless (inworld_text_strip_markup (bad[i], -1, &error) == NULL,
        "%s", bad[i]);
    fail_unless (error != NULL);
    g_clear_error (&error);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Byte streams: the UTF-8 tail, the sentence cutter
 * ------------------------------------------------------------------------ */

GST_START_TEST (test_incomplete_tail)
{
  fail_unless_equals_int (inworld_text_incomplete_tail ("", 0), 0);
  fail_unless_equals_int (inworld_text_incomplete_tail ("abc", 3), 0);
  fail_unless_equals_int (inworld_text_incomplete_tail ("caf\xc3\xa9", 5), 0);
  fail_unless_equals_int (inworld_text_incomplete_tail ("caf\xc3", 4), 1);
  fail_unless_equals_int (inworld_text_incomplete_tail ("a\xe2\x80", 3), 2);
  fail_unless_equals_int (inworld_text_incomplete_tail ("a\xe2", 2), 1);
  fail_unless_equals_int (inworld_text_incomplete_tail ("\xf0\x9f\x98", 3), 3);
  fail_unless_equals_int (inworld_text_incomplete_tail ("\xf0\x9f", 2), 2);
  fail_unless_equals_int (inworld_text_incomplete_tail ("x\xf0", 2), 1);
  fail_unless_equals_int (inworld_text_incomplete_tail ("\xf0\x9f\x98\x80",
          4), 0);
  /* what no continuation makes valid is no tail: it stays invalid */
  fail_unless_equals_int (inworld_text_incomplete_tail ("ab\xff", 3), 0);
  fail_unless_equals_int (inworld_text_incomplete_tail ("ab\x80", 3), 0);
  fail_unless_equals_int (inworld_text_incomplete_tail ("ab\x80\x80\x80\x80",
          6), 0);
  fail_unless_equals_int (inworld_text_incomplete_tail ("a\xc0", 2), 0);
  fail_unless_equals_int (inworld_text_incomplete_tail ("a\xf8", 2), 0);
  /* a complete character before: only the cut one counts */
  fail_unless_equals_int (inworld_text_incomplete_tail ("\xc3\xa9\xc3", 3), 1);
}

GST_END_TEST;

/* Feeds each block, checks the pieces come out no later than the block
 * that completes them; the pieces and what finish() gives are exactly
 * the NULL-terminated list (finish's rest last, "" for none). */
static void
assert_cut (InworldSegmentation how, guint max, const gchar * const *blocks,
    ...)
{
  InworldSentenceCutter *cutter = inworld_sentence_cutter_new (how, max);
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  GString *fed = g_string_new (NULL), *joined = g_string_new (NULL);
  const gchar *expected;
  gchar *rest;
  va_list args;
  guint i = 0;

  for (; *blocks; blocks++) {
    gchar **pieces = inworld_sentence_cutter_feed (cutter, *blocks, -1);

    g_string_append (fed, *blocks);
    for (gchar ** p = pieces; *p; p++)
      g_ptr_array_add (got, g_strdup (*p));
    g_strfreev (pieces);
  }
  rest = inworld_sentence_cutter_finish (cutter);
  g_ptr_array_add (got, rest ? rest : g_strdup (""));
  fail_unless_equals_int (inworld_sentence_cutter_pending (cutter), 0);

  va_start (args, blocks);
  while ((expected = va_arg (args, const gchar *))) {
    fail_unless (i < got->len, "missing piece %u '%s'", i, expected);
    fail_unless_equals_string (g_ptr_array_index (got, i), expected);
    i++;
  }
  va_end (args);
  fail_unless (i == got->len, "extra piece '%s'", (gchar *)
      g_ptr_array_index (got, i));
  for (i = 0; i < got->len; i++)
    g_string_append (joined, g_ptr_array_index (got, i));
  fail_unless_equals_string (joined->str, fed->str);

  g_string_free (fed, TRUE);
  g_string_free (joined, TRUE);
  g_ptr_array_unref (got);
  inworld_sentence_cutter_free (cutter);
}

#define BLOCKS(...) ((const gchar * const[]) { __VA_ARGS__, NULL })
#define SENTENCE INWORLD_SEGMENT_SENTENCE
#define LINE INWORLD_SEGMENT_LINE

GST_START_TEST (test_cutter_sentences)
{
  assert_cut (SENTENCE, 1000,
      BLOCKS ("Hello world. How are you? Fine! Really"),
      "Hello world. ", "How are you? ", "Fine! ", "Really", NULL);
  /* the end of the text: held until finish */
  assert_cut (SENTENCE, 1000, BLOCKS ("One. Two."), "One. ", "Two.", NULL);
  assert_cut (SENTENCE, 1000, BLOCKS ("One. Two. "), "One. ", "Two. ", "",
      NULL);
  /* the whitespace after the first goes with the next */
  assert_cut (SENTENCE, 1000, BLOCKS ("One.\n\n  Two. x"), "One.\n",
      "\n  Two. ", "x", NULL);
  /* a period inside a word or a number */
  assert_cut (SENTENCE, 1000, BLOCKS ("Pi is 3.14 today. See x.org now. "),
      "Pi is 3.14 today. ", "See x.org now. ", "", NULL);
  /* ellipses, ?! */
  assert_cut (SENTENCE, 1000, BLOCKS ("Wait... what?! Ok… fine"),
      "Wait... ", "what?! ", "Ok… ", "fine", NULL);
  /* closing quotes and brackets stay with the sentence */
  assert_cut (SENTENCE, 1000,
      BLOCKS ("He said \"Stop.\" Then (he left.) Il dit «Bon.» Puis"),
      "He said \"Stop.\" ", "Then (he left.) ", "Il dit «Bon.» ", "Puis",
      NULL);
  /* Spanish and French */
  assert_cut (SENTENCE, 1000,
      BLOCKS ("¡Hola! ¿Qué tal? Très bien ! Et toi ?"),
      "¡Hola! ", "¿Qué tal? ", "Très bien ! ", "Et toi ?", NULL);
}

GST_END_TEST;

GST_START_TEST (test_cutter_abbreviations)
{
  assert_cut (SENTENCE, 1000,
      BLOCKS ("Mr. Smith met Dr. Who. Then e.g. this one. J. K. Rowling "
          "wrote. (Mrs. Lee came.) M. Dupont et Mme. Roux. U.S. forces. End"),
      "Mr. Smith met Dr. Who. ", "Then e.g. this one. ",
      "J. K. Rowling wrote. ", "(Mrs. Lee came.) ",
      "M. Dupont et Mme. Roux. ", "U.S. forces. ", "End", NULL);
  /* a lower-case single letter, a word like the abbreviation */
  assert_cut (SENTENCE, 1000, BLOCKS ("Plan a. Mister. Drum. x"),
      "Plan a. ", "Mister. ", "Drum. ", "x", NULL);
}

GST_END_TEST;

GST_START_TEST (test_cutter_cjk)
{
  /* no space needed after 。！？ */
  assert_cut (SENTENCE, 1000, BLOCKS ("今天天气很好。我们去公园吧！你呢？"),
      "今天天气很好。", "我们去公园吧！", "你呢？", NULL);
  assert_cut (SENTENCE, 1000, BLOCKS ("こんにちは。元気ですか？はい"),
      "こんにちは。", "元気ですか？", "はい", NULL);
  /* closing brackets after it stay */
  assert_cut (SENTENCE, 1000, BLOCKS ("他说：「好。」然后走了。"),
      "他说：「好。」", "然后走了。", NULL);
  /* fullwidth and halfwidth forms */
  assert_cut (SENTENCE, 1000, BLOCKS ("ＯＫ．次｡最後"), "ＯＫ．", "次｡",
      "最後", NULL);
  /* the closer in the next block: the cut waits for what follows */
  assert_cut (SENTENCE, 1000, BLOCKS ("他说：「好。", "」然后", "走了。"),
      "他说：「好。」", "然后走了。", NULL);
}

GST_END_TEST;

GST_START_TEST (test_cutter_tags)
{
  /* never inside [ ] or < >, whatever they hold */
  assert_cut (SENTENCE, 1000,
      BLOCKS ("[say softly. slowly] Hi. <break time=\"1. 5s\"/> Go. x"),
      "[say softly. slowly] Hi. ", "<break time=\"1. 5s\"/> Go. ", "x", NULL);
  /* nor between <verbatim> and </verbatim> */
  assert_cut (SENTENCE, 1000,
      BLOCKS ("<verbatim>Dr. No. Yes! </verbatim> Done. Next"),
      "<verbatim>Dr. No. Yes! </verbatim> Done. ", "Next", NULL);
  assert_cut (SENTENCE, 1000,
      BLOCKS ("<verbatim lang=\"en\">A. B. </verbatim> Cc. D"),
      "<verbatim lang=\"en\">A. B. </verbatim> Cc. ", "D", NULL);
  /* what verbatim holds is speech */
  assert_cut (SENTENCE, 1000, BLOCKS ("<verbatim>abc</verbatim>. x"),
      "<verbatim>abc</verbatim>. ", "x", NULL);
  /* a tag cut across blocks */
  assert_cut (SENTENCE, 1000, BLOCKS ("Go. <bre", "ak time=\"1. s\"/> ",
          "Now. x"), "Go. ", "<break time=\"1. s\"/> Now. ", "x", NULL);
  /* a lone < or [ in prose: not a tag, or not beyond its line */
  assert_cut (SENTENCE, 1000, BLOCKS ("If a < b. Then c. x"), "If a < b. ",
      "Then c. ", "x", NULL);
  assert_cut (SENTENCE, 1000, BLOCKS ("See [1 for it. Then\nmore. End"),
      "See [1 for it. Then\nmore. ", "End", NULL);
  /* steering markup alone has nothing to speak: it stays with the text */
  assert_cut (SENTENCE, 1000, BLOCKS ("[laugh] ", "Ha. x"),
      "[laugh] Ha. ", "x", NULL);
}

GST_END_TEST;

/* LLM tokens, one per block: a sentence comes out with the block that
 * shows its end, and not before */
GST_START_TEST (test_cutter_tokens)
{
  static const gchar *const tokens[] = {
    "Hello", " world", ".", " How", " are", " you", "?", " I", "'m", " fine",
    ".", NULL,
  };
  static const guint pieces_after[] = { 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0 };
  InworldSentenceCutter *cutter = inworld_sentence_cutter_new (SENTENCE, 1000);
  gchar *rest;

  for (guint i = 0; tokens[i]; i++) {
    gchar **pieces = inworld_sentence_cutter_feed (cutter, tokens[i], -1);

    fail_unless_equals_int (g_strv_length (pieces), pieces_after[i]);
    if (i == 3)
      fail_unless_equals_string (pieces[0], "Hello world. ");
    if (i == 7)
      fail_unless_equals_string (pieces[0], "How are you? ");
    g_strfreev (pieces);
  }
  rest = inworld_sentence_cutter_finish (cutter);
  fail_unless_equals_string (rest, "I'm fine.");
  g_free (rest);
  fail_unless (inworld_sentence_cutter_finish (cutter) == NULL);
  /* reset drops; the cutter is as new */
  g_strfreev (inworld_sentence_cutter_feed (cutter, "Dropped [tag", -1));
  inworld_sentence_cutter_reset (cutter);
  fail_unless_equals_int (inworld_sentence_cutter_pending (cutter), 0);
  {
    gchar **pieces = inworld_sentence_cutter_feed (cutter, "New. One", -1);

    fail_unless_equals_int (g_strv_length (pieces), 1);
    fail_unless_equals_string (pieces[0], "New. ");
    g_strfreev (pieces);
  }
  inworld_sentence_cutter_free (cutter);
}

GST_END_TEST;

GST_START_TEST (test_cutter_lines)
{
  assert_cut (LINE, 1000, BLOCKS ("one. two\nthree", " four\n\nfive\r\n",
          "six"), "one. two\n", "three four\n", "\nfive\r\n", "six", NULL);
  /* empty lines stay with the next */
  assert_cut (LINE, 1000, BLOCKS ("\n\n\nA\n \n"), "\n\n\nA\n", " \n", NULL);
  /* sentences: an empty line ends one too */
  assert_cut (SENTENCE, 1000, BLOCKS ("Chapter 1\n\nIt was night. The "
          "end\n \nx"), "Chapter 1\n\n", "It was night. ", "The end\n \n",
      "x", NULL);
  /* a single newline does not */
  assert_cut (SENTENCE, 1000, BLOCKS ("a line\nwraps here. x"),
      "a line\nwraps here. ", "x", NULL);
}

GST_END_TEST;

GST_START_TEST (test_cutter_limit)
{
  /* no end within the limit: after the last whitespace */
  assert_cut (SENTENCE, 10, BLOCKS ("aaaa bbbb cccc dddd eeee"),
      "aaaa bbbb ", "cccc dddd ", "eeee", NULL);
  /* no whitespace: between clusters, else at the limit */
  assert_cut (SENTENCE, 5, BLOCKS ("abcdefghijkl"), "abcde", "fghij", "kl",
      NULL);
  assert_cut (SENTENCE, 5, BLOCKS ("abcde\xcc\x81" "f"), "abcd",
      "e\xcc\x81" "f", NULL);
  /* a "tag" as long as the limit was none */
  assert_cut (SENTENCE, 8, BLOCKS ("[abc def ghi. Jk. "), "[abc def",
      " ghi. ", "Jk. ", "", NULL);
  /* text with nothing to speak is cut at the limit too */
  assert_cut (LINE, 4, BLOCKS ("\n\n\n\n\n\n"), "\n\n\n\n", "\n\n", NULL);
}

GST_END_TEST;

/* Random texts: the pieces do not depend on how the text is cut into
 * blocks (whole characters each); lossless; each piece within the limit
 * and, unless cut for the limit, something to speak. */
GST_START_TEST (test_cutter_random)
{
  static const gchar *const atoms[] = {
    "a", "Bc", "def", " ", "  ", "\n", ". ", "! ", "? ", ".", "…", "。", "！",
    "？", "\"", "”", ")", "」", "é", "今", "😀", "\t", "3.14", "e\xcc\x81",
    "Dr", "e.g", "[", "]", "<", ">", "<break time=\"1s\"/>", "<verbatim>",
    "</verbatim>", "[say warmly]", "\r\n", FAMILY,
  };
  GRand *rand = g_rand_new_with_seed (131313);

  for (guint iter = 0; iter < 2000; iter++) {
    GString *text = g_string_new (NULL);
    guint n_atoms = g_rand_int_range (rand, 0, 120);
    /* every other text within the limit */
    guint max = iter % 2 ? 1000 : g_rand_int_range (rand, 8, 60);
    InworldSegmentation how = g_rand_boolean (rand) ? SENTENCE : LINE;
    GPtrArray *runs[2];

    for (guint i = 0; i < n_atoms; i++)
      g_string_append (text, atoms[g_rand_int_range (rand, 0,
                  G_N_ELEMENTS (atoms))]);

    for (guint r = 0; r < 2; r++) {
      InworldSentenceCutter *cutter = inworld_sentence_cutter_new (how, max);
      const gchar *p = text->str, *end = text->str + text->len;
      GString *joined = g_string_new (NULL);
      gchar *rest;

      runs[r] = g_ptr_array_new_with_free_func (g_free);
      while (p < end) {
        /* whole text, or blocks of 1 to 6 characters */
        const gchar *q = p;
        gchar **pieces;

        if (r == 0)
          q = end;
        else
          for (gint k = g_rand_int_range (rand, 1, 7); k > 0 && q < end; k--)
            q = g_utf8_next_char (q);
        pieces = inworld_sentence_cutter_feed (cutter, p, q - p);
        for (gchar ** s = pieces; *s; s++) {
          fail_unless (g_utf8_strlen (*s, -1) <= (glong) max);
          g_ptr_array_add (runs[r], g_strdup (*s));
        }
        g_strfreev (pieces);
        p = q;
      }
      rest = inworld_sentence_cutter_finish (cutter);
      if (rest)
        g_ptr_array_add (runs[r], rest);
      for (guint i = 0; i < runs[r]->len; i++)
        g_string_append (joined, g_ptr_array_index (runs[r], i));
      fail_unless_equals_string (joined->str, text->str);
      g_string_free (joined, TRUE);
      inworld_sentence_cutter_free (cutter);
    }
    fail_unless_equals_int (runs[0]->len, runs[1]->len);
    for (guint i = 0; i < runs[0]->len; i++) {
      const gchar *piece = g_ptr_array_index (runs[0], i);

      fail_unless_equals_string (piece, g_ptr_array_index (runs[1], i));
      /* without cuts for the limit, each piece but the rest was cut at
       * an end with something to speak */
      if (i + 1 < runs[0]->len && g_utf8_strlen (text->str, -1)
          <= (glong) max)
        fail_unless (inworld_text_has_speech (piece), "piece '%s' has "
            "nothing to speak", piece);
    }
    g_ptr_array_unref (runs[0]);
    g_ptr_array_unref (runs[1]);
    g_string_free (text, TRUE);
  }
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
text_suite (void)
{
  Suite *s = suite_create ("text");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_split_trivial);
  tcase_add_test (tc, test_split_no_whitespace);
  tcase_add_test (tc, test_split_only_whitespace);
  tcase_add_test (tc, test_split_words);
  tcase_add_test (tc, test_split_sentences);
  tcase_add_test (tc, test_split_cjk);
  tcase_add_test (tc, test_split_cjk_more);
  tcase_add_test (tc, test_split_emoji);
  tcase_add_test (tc, test_split_graphemes);
  tcase_add_test (tc, test_split_graphemes_at_limit);
  tcase_add_test (tc, test_split_invalid_utf8);
  tcase_add_test (tc, test_split_random);
  tcase_add_test (tc, test_split_large);
  tcase_add_test (tc, test_has_speech);
  tcase_add_test (tc, test_validate);
  tcase_add_test (tc, test_strip_markup);
  tcase_add_test (tc, test_incomplete_tail);
  tcase_add_test (tc, test_cutter_sentences);
  tcase_add_test (tc, test_cutter_abbreviations);
  tcase_add_test (tc, test_cutter_cjk);
  tcase_add_test (tc, test_cutter_tags);
  tcase_add_test (tc, test_cutter_tokens);
  tcase_add_test (tc, test_cutter_lines);
  tcase_add_test (tc, test_cutter_limit);
  tcase_add_test (tc, test_cutter_random);
  return s;
}

GST_CHECK_MAIN (text);
