/* inworldttssrc: the settings of one utterance (push-utterance)
 * Copyright (C) 2026 inworldttssrc developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The GstStructure of a push-utterance call, read and checked: the
 * settings one utterance carries instead of the element's properties
 * (docs/inworldttssrc.md, "push-utterance"). No element state: the
 * element resolves the speaker and hands the text over. */

#pragma once

#include <gst/gst.h>

#include "inworldprotocol.h"

G_BEGIN_DECLS

typedef struct
{
  gchar *voice;                 /* NULL: not given */
  gchar *model;
  gchar *language;              /* "" given: no language (detected) */
  gchar *speaker;
  gboolean has_speaking_rate;
  gdouble speaking_rate;
  gboolean has_temperature;
  gdouble temperature;
  gboolean flush;               /* TRUE unless given */
  GstClockTime start;           /* a running time, or NONE */
  GPtrArray *unknown;           /* names of fields it does not know */
} GstInworldTtsUtteranceSettings;

/* Reads @s (NULL: no settings) into @out (cleared first; clear it with
 * gst_inworld_tts_utterance_settings_clear() whatever is returned).
 * FALSE, with a sentence in *@problem (g_free), for a value of a wrong
 * type or out of range. Fields it does not know are listed in
 * @out->unknown, not refused. */
gboolean gst_inworld_tts_utterance_settings_read (const GstStructure * s,
    GstInworldTtsUtteranceSettings * out, gchar ** problem);
void gst_inworld_tts_utterance_settings_clear (GstInworldTtsUtteranceSettings
    * settings);
/* The fields known, for messages: "voice, model, ...". */
const gchar *gst_inworld_tts_utterance_settings_known (void);

/* Puts the settings given into @config (a copy owning its strings, from
 * gst_inworld_tts_src_read_config()); the speaker is the element's to
 * resolve. */
void gst_inworld_tts_utterance_settings_apply (const
    GstInworldTtsUtteranceSettings * settings, InworldSynthConfig * config);

G_END_DECLS
