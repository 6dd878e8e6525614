/* A GstHarness around inworldttssrc, for the tests
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/check/gstharness.h>

G_BEGIN_DECLS

/* A harness whose sink pad takes @tts's src pad. GstHarness starts any
 * element that has a sink pad template at once, and inworldttssrc has one
 * (the request pad "sink"); so the element goes inside a bin that shows
 * only a ghost "src" pad, and the harness waits for gst_harness_play()
 * as it does for sources. The element's messages go to @bus. */
GstHarness *tts_harness_new (GstElement * tts, GstBus * bus);

G_END_DECLS
