/* inworldttssrc: the sample arithmetic of the overflow policies
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include <gst/check/gstcheck.h>

#include "inworldoverflow.h"

/* the fade ramps down to exactly 0, sample by sample, by (n - 1 - i) / n */
GST_START_TEST (test_fade_out)
{
  gint16 s[4] = { 1000, 1000, -1000, G_MAXINT16 };
  gint16 one[1] = { 12345 };

  inworld_overflow_fade_out (s, 4);
  fail_unless_equals_int (s[0], 750);
  fail_unless_equals_int (s[1], 500);
  fail_unless_equals_int (s[2], -250);
  fail_unless_equals_int (s[3], 0);
  inworld_overflow_fade_out (one, 1);
  fail_unless_equals_int (one[0], 0);
  inworld_overflow_fade_out (NULL, 0);
  fail_unless_equals_int (inworld_overflow_fade_samples (16000), 240);
  fail_unless_equals_int (inworld_overflow_fade_samples (48000), 720);
  fail_unless_equals_int (inworld_overflow_fade_samples (8000), 120);
}

GST_END_TEST;

/* mixing adds and saturates at both ends */
GST_START_TEST (test_mix)
{
  gint16 dst[4] = { 100, 30000, -30000, -5 };
  const gint16 src[4] = { -50, 10000, -10000, 5 };

  inworld_overflow_mix (dst, src, 4);
  fail_unless_equals_int (dst[0], 50);
  fail_unless_equals_int (dst[1], G_MAXINT16);
  fail_unless_equals_int (dst[2], G_MININT16);
  fail_unless_equals_int (dst[3], 0);
}

GST_END_TEST;

GST_START_TEST (test_names)
{
  fail_unless_equals_string (inworld_overflow_result_name
      (INWORLD_OVERFLOW_NONE), "none");
  fail_unless_equals_string (inworld_overflow_result_name
      (INWORLD_OVERFLOW_SHIFTED), "shifted");
  fail_unless_equals_string (inworld_overflow_result_name
      (INWORLD_OVERFLOW_CLIPPED), "clipped");
  fail_unless_equals_string (inworld_overflow_result_name
      (INWORLD_OVERFLOW_OVERLAPPED), "overlapped");
  fail_unless_equals_string (inworld_overflow_result_name
      (INWORLD_OVERFLOW_FITTED), "fitted");
  fail_unless_equals_string (inworld_overflow_result_name
      (INWORLD_OVERFLOW_FITTED_CLIPPED), "fitted-clipped");
}

GST_END_TEST;

/* rate x speech / slot, 5 % more, a hundredth up, at most 1.5 */
GST_START_TEST (test_fit_rate)
{
  /* 600 ms for 500: 1.2 x 1.05 = 1.26 exactly, not 1.27 */
  fail_unless_equals_float (inworld_overflow_fit_rate (0.0, 600, 500), 1.26);
  fail_unless_equals_float (inworld_overflow_fit_rate (1.0, 600, 500), 1.26);
  /* 1.26 x 1.05 = 1.323: up to 1.33 */
  fail_unless_equals_float (inworld_overflow_fit_rate (1.0, 1260, 1000),
      1.33);
  /* from a slower rate */
  fail_unless_equals_float (inworld_overflow_fit_rate (0.8, 1100, 1000),
      0.93);
  /* capped */
  fail_unless_equals_float (inworld_overflow_fit_rate (1.0, 3600, 400), 1.5);
  fail_unless_equals_float (inworld_overflow_fit_rate (1.0, 600, 0), 1.5);
  /* already at the cap: no faster rate */
  fail_unless (inworld_overflow_fit_rate (1.5, 600, 500) <= 1.5);
}

GST_END_TEST;

static Suite *
overflow_suite (void)
{
  Suite *s = suite_create ("overflow");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_fade_out);
  tcase_add_test (tc, test_mix);
  tcase_add_test (tc, test_names);
  tcase_add_test (tc, test_fit_rate);
  return s;
}

GST_CHECK_MAIN (overflow);
