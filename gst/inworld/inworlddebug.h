/* inworldttssrc: a debug category per layer
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* GST_DEBUG=inworldsession:6,inworldpool:6 and so on. The element's own
 * category is inworldttssrc. */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (inworld_session_debug);
GST_DEBUG_CATEGORY_EXTERN (inworld_pool_debug);
GST_DEBUG_CATEGORY_EXTERN (inworld_connection_debug);
GST_DEBUG_CATEGORY_EXTERN (inworld_audio_debug);

/* Registers the categories; any thread, any number of times. */
void inworld_debug_init (void);

G_END_DECLS
