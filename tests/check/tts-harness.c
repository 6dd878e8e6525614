/* A GstHarness around inworldttssrc, for the tests
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "tts-harness.h"

GstHarness *
tts_harness_new (GstElement * tts, GstBus * bus)
{
  GstElement *bin = gst_bin_new (NULL);
  GstPad *src = gst_element_get_static_pad (tts, "src");
  GstHarness *h;

  gst_bin_add (GST_BIN (bin), gst_object_ref (tts));
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", src));
  gst_object_unref (src);
  /* the element's messages go straight to @bus: a bin that sees an error
   * while gst_harness_play() changes its state fails the state change,
   * and the tests provoke errors on purpose */
  gst_element_set_bus (tts, bus);
  h = gst_harness_new_with_element (bin, NULL, "src");
  gst_object_unref (bin);
  return h;
}
