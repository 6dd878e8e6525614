/* inworld-tts-emulator: the SLNG-hosted Inworld Max 1.5 WebSocket route
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Protocol handling for wss://api.slng.ai/v1/tts/slng/inworld/max:1.5
 * (SLNG's flat "unified TTS" dialect): Bearer auth at the upgrade, the
 * init / text / flush / close messages, audio_chunk / audio_end / error
 * replies, pacing and the fault switches. Samples come from emu-audio,
 * wire bytes from emu-encode, exactly as on the Inworld route. See the SLNG
 * section of docs/emulator.md. */

#pragma once

#include <libsoup/soup.h>

#include "emu-options.h"

G_BEGIN_DECLS

#define EMU_SLNG_PATH "/v1/tts/slng/inworld/max:1.5"

typedef struct _EmuSlngRoute EmuSlngRoute;

/* Registers the upgrade check and the WebSocket handler on @server.
 * @options must outlive the route. */
EmuSlngRoute *emu_slng_route_new (SoupServer * server,
    const EmuOptions * options);

/* Drops every connection and frees everything the route holds. */
void emu_slng_route_free (EmuSlngRoute * route);

G_END_DECLS
