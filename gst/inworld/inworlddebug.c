/* inworldttssrc: debug categories of the layers below the element
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

#include "inworlddebug.h"

GST_DEBUG_CATEGORY (inworld_connection_debug);
GST_DEBUG_CATEGORY (inworld_audio_debug);
GST_DEBUG_CATEGORY (inworld_pool_debug);
GST_DEBUG_CATEGORY (inworld_session_debug);
GST_DEBUG_CATEGORY (inworld_cache_debug);

void
inworld_debug_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (inworld_connection_debug, "inworldconnection",
        0, "Inworld TTS WebSocket connections");
    GST_DEBUG_CATEGORY_INIT (inworld_audio_debug, "inworldaudio", 0,
        "Inworld TTS audio framing");
    GST_DEBUG_CATEGORY_INIT (inworld_pool_debug, "inworldpool", 0,
        "Inworld TTS contexts on shared connections");
    GST_DEBUG_CATEGORY_INIT (inworld_session_debug, "inworldsession", 0,
        "Inworld TTS sessions (one element's conversation with the server)");
    GST_DEBUG_CATEGORY_INIT (inworld_cache_debug, "inworldcache", 0,
        "Inworld TTS synthesis cache on disk");
    g_once_init_leave (&initialized, 1);
  }
}
