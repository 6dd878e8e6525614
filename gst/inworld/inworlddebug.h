/* inworldttssrc: debug categories of the layers below the element
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* One GStreamer debug category per layer, so that GST_DEBUG can pick one
 * (GST_DEBUG=inworldconnection:7 shows the upgrade's headers, the API key
 * redacted, and every frame). They live in the core library, not in the
 * plugin, so that unit tests linking the library alone get them too: the
 * layers call inworld_debug_init() where they start (creating a
 * connection, a framer...) and it registers them all, once.
 *
 *   inworldconnection  the libsoup thread, WebSockets, TLS and proxies
 *   inworldaudio       audio framing (WAV headers, MP3, Ogg Opus, FLAC)
 *   inworldpool        contexts on shared connections
 *   inworldsession     one element's conversation with the server
 *   inworldcache       the synthesis cache on disk */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (inworld_connection_debug);
GST_DEBUG_CATEGORY_EXTERN (inworld_audio_debug);
GST_DEBUG_CATEGORY_EXTERN (inworld_pool_debug);
GST_DEBUG_CATEGORY_EXTERN (inworld_session_debug);
GST_DEBUG_CATEGORY_EXTERN (inworld_cache_debug);

/* Registers the five categories; any thread, any number of times (only
 * the first call does anything). Call it before logging in any of them. */
void inworld_debug_init (void);

G_END_DECLS
