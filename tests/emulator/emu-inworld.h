/* inworld-tts-emulator: the Inworld bidirectional WebSocket route
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Protocol handling for wss://api.inworld.ai/tts/v1/voice:streamBidirectional:
 * auth, frame parsing, contexts, buffering, ordered replies, pacing and the
 * fault switches. Samples come from emu-audio, wire bytes from emu-encode. */

#pragma once

#include <libsoup/soup.h>

#include "emu-options.h"

G_BEGIN_DECLS

#define EMU_INWORLD_PATH "/tts/v1/voice:streamBidirectional"

typedef struct _EmuInworldRoute EmuInworldRoute;

/* Registers the WebSocket handler on @server. @options must outlive the
 * route. */
EmuInworldRoute *emu_inworld_route_new (SoupServer * server,
    const EmuOptions * options);

/* Drops every connection and frees everything the route holds. */
void emu_inworld_route_free (EmuInworldRoute * route);

G_END_DECLS
