/* inworldttssrc: speakers and voice map tests
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

#include "inworldspeakers.h"

/* The turns of @text as "speaker|text" lines ("-" for no speaker), and
 * the speaker after it in *@after (g_free) unless NULL. */
static gchar *
turns_string (const gchar * text, const gchar * speaker, gchar ** after)
{
  GPtrArray *turns = inworld_speakers_split (text, speaker, after);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < turns->len; i++) {
    InworldTurn *t = g_ptr_array_index (turns, i);

    g_string_append_printf (out, "%s%s|%s", i ? "\n" : "",
        t->speaker ? t->speaker : "-", t->text);
  }
  g_ptr_array_unref (turns);
  return g_string_free (out, FALSE);
}

static void
check_turns (const gchar * text, const gchar * speaker, const gchar * expected,
    const gchar * expected_after)
{
  gchar *after = NULL;
  gchar *got = turns_string (text, speaker, &after);

  fail_unless_equals_string (got, expected);
  fail_unless_equals_string (after, expected_after);
  g_free (got);
  g_free (after);
}

GST_START_TEST (test_split_no_tags)
{
  /* without a tag, the text is left as it is, spaces and all */
  check_turns ("Hello there. ", NULL, "-|Hello there. ", NULL);
  check_turns (" go on", "Alice", "Alice| go on", "Alice");
  check_turns ("", NULL, "-|", NULL);
  /* not voice tags */
  check_turns ("<video> <very> <b>x</b> a < v", NULL,
      "-|<video> <very> <b>x</b> a < v", NULL);
  check_turns ("<v Alice no end", NULL, "-|<v Alice no end", NULL);
  check_turns ("</v no end", NULL, "-|</v no end", NULL);
}

GST_END_TEST;

GST_START_TEST (test_split_spans)
{
  check_turns ("<v Alice>Hello, Bob.</v>", NULL, "Alice|Hello, Bob.", NULL);
  /* classes, and the WebVTT reading of the name */
  check_turns ("<v.loud Bob>Hi!</v>", NULL, "Bob|Hi!", NULL);
  check_turns ("<v.loud.fast   Mary  Ann >Hi!</v >", NULL, "Mary Ann|Hi!",
      NULL);
  check_turns ("<v\tBob\n>Hi!", NULL, "Bob|Hi!", "Bob");
  /* two speakers in a cue, in order; the space between goes */
  check_turns ("<v Alice>One.</v> <v Bob>Two.</v>", NULL,
      "Alice|One.\nBob|Two.", NULL);
  check_turns ("<v Alice>Line one</v>\n<v Bob>Line two</v>", NULL,
      "Alice|Line one\nBob|Line two", NULL);
  /* a new span ends the one before */
  check_turns ("<v Alice>One. <v Bob>Two.", NULL, "Alice|One.\nBob|Two.",
      "Bob");
  /* text outside spans has no speaker */
  check_turns ("Narrator. <v Alice>Hi.</v> Then.", NULL,
      "-|Narrator.\nAlice|Hi.\n-|Then.", NULL);
  /* <v> without a name: no speaker */
  check_turns ("<v>Hi.</v>", "Alice", "-|Hi.", NULL);
  /* other tags stay (the markup is another step) */
  check_turns ("<v Alice><i>Hi</i></v>", NULL, "Alice|<i>Hi</i>", NULL);
  /* UTF-8 names */
  check_turns ("<v Zoë>Ça va ?</v>", NULL, "Zoë|Ça va ?", NULL);
}

GST_END_TEST;

GST_START_TEST (test_split_across_pieces)
{
  /* a stream cut into sentences: the span goes on in the next piece */
  check_turns ("<v Alice>Hello there. ", NULL, "Alice|Hello there.",
      "Alice");
  check_turns ("How are you?</v> ", "Alice", "Alice|How are you?", NULL);
  check_turns ("<v Bob>Fine. ", NULL, "Bob|Fine.", "Bob");
  /* a span closed with nothing else in the piece */
  check_turns ("Fine.</v>", "Bob", "Bob|Fine.", NULL);
}

GST_END_TEST;

GST_START_TEST (test_split_nothing_to_speak)
{
  /* a cue with nothing to speak stays one turn, for its place */
  check_turns ("<v Alice>...</v>", NULL, "Alice|...", NULL);
  check_turns ("<v Alice></v>", NULL, "-|", NULL);
  check_turns ("<v Alice>-</v> <v Bob>♪</v>", NULL, "Alice|- ♪", NULL);
  /* turns with nothing to speak go when another has speech */
  check_turns ("<v Alice>...</v> <v Bob>Yes.</v>", NULL, "Bob|Yes.", NULL);
}

GST_END_TEST;

static void
check_markup (const gchar * markup, const gchar * expected)
{
  GError *error = NULL;
  gchar *text = inworld_speakers_strip_markup (markup, -1, &error);

  fail_unless (text != NULL, "'%s': %s", markup, error ? error->message : "");
  fail_unless_equals_string (text, expected);
  g_free (text);
}

GST_START_TEST (test_strip_markup)
{
  GError *error = NULL;

  /* what subparse gives for a WebVTT file */
  check_markup ("<v Alice>Hello, Bob.</v>", "<v Alice>Hello, Bob.</v>");
  check_markup ("<v.loud Bob>Hi Alice!</v>", "<v Bob>Hi Alice!</v>");
  check_markup ("<v Alice>One.</v> <v Bob>Two <b>and</b> &amp; "
      "three.</v>", "<v Alice>One.</v> <v Bob>Two and & three.</v>");
  /* a span inside other markup, one left open */
  check_markup ("<i><v Alice>Hi</v></i>", "<v Alice>Hi</v>");
  check_markup ("<v   Al &amp; Bo >Hi", "<v Al & Bo>Hi");
  check_markup ("<v A&quot;B>Hi</v>", "<v A\"B>Hi</v>");
  check_markup ("<v A &gt; B>x</v>", "<v A   B>x</v>");
  /* without voice tags, as inworld_text_strip_markup() */
  check_markup ("<b>Bold</b> &lt;v&gt; &#65;", "Bold <v> A");
  check_markup ("", "");

  /* still refused: markup that is not well-formed */
  fail_unless (inworld_speakers_strip_markup ("<b>x", -1, &error) == NULL);
  fail_unless (error != NULL);
  g_clear_error (&error);
  fail_unless (inworld_speakers_strip_markup ("<v Al & Bo>x", -1,
          &error) == NULL);
  g_clear_error (&error);
  /* a length shorter than the string */
  {
    gchar *t = inworld_speakers_strip_markup ("<v A>Hi</v>garbage<", 11,
        NULL);

    fail_unless_equals_string (t, "<v A>Hi</v>");
    g_free (t);
  }
}

GST_END_TEST;

GST_START_TEST (test_voice_map)
{
  GError *error = NULL;
  InworldVoiceMap *map;

  map = inworld_voice_map_parse ("Alice=Ashley,Bob=Dennis", &error);
  fail_unless (map != NULL);
  fail_unless_equals_int (inworld_voice_map_size (map), 2);
  fail_unless_equals_string (inworld_voice_map_lookup (map, "Alice"),
      "Ashley");
  fail_unless_equals_string (inworld_voice_map_lookup (map, "Bob"),
      "Dennis");
  fail_unless (inworld_voice_map_lookup (map, "Carol") == NULL);
  /* names match as written */
  fail_unless (inworld_voice_map_lookup (map, "alice") == NULL);
  fail_unless (inworld_voice_map_lookup (map, NULL) == NULL);
  inworld_voice_map_free (map);

  /* whitespace, escapes, empty entries, workspace voices */
  map = inworld_voice_map_parse (" Mary   Ann = Olivia , Dr\\, Who=ws__doc,"
      "a\\=b=Alex,\\\\x=Hana,,", &error);
  fail_unless (map != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (inworld_voice_map_size (map), 4);
  fail_unless_equals_string (inworld_voice_map_lookup (map, "Mary Ann"),
      "Olivia");
  fail_unless_equals_string (inworld_voice_map_lookup (map, "Dr, Who"),
      "ws__doc");
  fail_unless_equals_string (inworld_voice_map_lookup (map, "a=b"), "Alex");
  fail_unless_equals_string (inworld_voice_map_lookup (map, "\\x"), "Hana");
  inworld_voice_map_free (map);

  /* empty: no speaker has a voice */
  map = inworld_voice_map_parse ("", &error);
  fail_unless (map != NULL);
  fail_unless_equals_int (inworld_voice_map_size (map), 0);
  inworld_voice_map_free (map);
  map = inworld_voice_map_parse (NULL, &error);
  fail_unless (map != NULL);
  inworld_voice_map_free (map);
}

GST_END_TEST;

static void
check_bad_map (const gchar * str, const gchar * message_part)
{
  GError *error = NULL;
  InworldVoiceMap *map = inworld_voice_map_parse (str, &error);

  fail_unless (map == NULL, "'%s' was accepted", str);
  fail_unless (error != NULL);
  fail_unless (g_error_matches (error, INWORLD_SPEAKERS_ERROR, 0));
  fail_unless (strstr (error->message, message_part) != NULL,
      "'%s': '%s' does not say '%s'", str, error->message, message_part);
  g_error_free (error);
}

GST_START_TEST (test_voice_map_bad)
{
  check_bad_map ("Alice", "has no '='");
  check_bad_map ("Alice=Ashley,Bob", "entry 2 ('Bob') has no '='");
  check_bad_map ("=Ashley", "name is empty");
  check_bad_map ("Alice=", "empty voice");
  check_bad_map ("Alice= ,Bob=Dennis", "empty voice");
  check_bad_map ("Alice=Ash ley", "has whitespace");
  check_bad_map ("Alice=Ashley,Alice=Dennis", "given twice");
  check_bad_map ("Alice=Ashley=Dennis", "second '='");
  check_bad_map ("Alice=Ashley\\", "backslash at the end");
  check_bad_map ("Al\\", "backslash at the end");
  check_bad_map ("Alice=\xff", "not UTF-8");
}

GST_END_TEST;

static Suite *
speakers_suite (void)
{
  Suite *s = suite_create ("speakers");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_split_no_tags);
  tcase_add_test (tc, test_split_spans);
  tcase_add_test (tc, test_split_across_pieces);
  tcase_add_test (tc, test_split_nothing_to_speak);
  tcase_add_test (tc, test_strip_markup);
  tcase_add_test (tc, test_voice_map);
  tcase_add_test (tc, test_voice_map_bad);
  return s;
}

GST_CHECK_MAIN (speakers);
