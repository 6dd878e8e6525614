#!/usr/bin/env python3
# A script voiced by an application with push-utterance: each line carries
# its own settings, so the element's properties never change in between
# (docs/scripts.md). Run the emulator first (docs/scripts.md says how).
import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst

Gst.init(None)
uri = os.environ.get("INWORLD_URI",
                     "wss://api.inworld.ai/tts/v1/voice:streamBidirectional")
pipeline = Gst.parse_launch(
    "inworldttssrc name=tts voice-map=Alice=Ashley,Bob=Dennis "
    "! audio/x-raw,rate=24000 ! wavenc ! filesink location=script.wav")
tts = pipeline.get_by_name("tts")
tts.set_property("uri", uri)

script = [
    ("Good morning, Bob.", "line, speaker=Alice"),
    ("Morning! Did you see the news?", "line, speaker=Bob, speaking-rate=1.2"),
    ("I did.", "line, voice=Olivia, start=(guint64)5000000000"),
]
pipeline.set_state(Gst.State.READY)     # lines pushed in READY are kept
for text, settings in script:
    ok = tts.emit("push-utterance", text, Gst.Structure.from_string(settings)[0])
    if not ok:
        sys.exit("refused: %s (%s)" % (text, settings))
tts.emit("end-of-stream")
pipeline.set_state(Gst.State.PLAYING)
bus = pipeline.get_bus()
while True:
    msg = bus.timed_pop_filtered(Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS
                                 | Gst.MessageType.ERROR
                                 | Gst.MessageType.WARNING
                                 | Gst.MessageType.ELEMENT)
    s = msg.get_structure()
    if msg.type == Gst.MessageType.ELEMENT and s.has_name("inworld-flush-completed"):
        print("line %u (%s) ends at %.3f s" % (s.get_value("flush-index"),
              s.get_value("speaker") if s.has_field("speaker") else "-",
              s.get_value("timestamp") / Gst.SECOND))
    elif msg.type == Gst.MessageType.WARNING:
        print("warning:", msg.parse_warning()[0].message)
    elif msg.type != Gst.MessageType.ELEMENT:
        if msg.type == Gst.MessageType.ERROR:
            print("error:", msg.parse_error()[0].message)
        break
pipeline.set_state(Gst.State.NULL)
