#!/usr/bin/env python3
# voice-agent.py — a voice agent's mouth, with barge-in, on inworldttssrc.
#
# Copyright (C) 2026 inworldttssrc developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The agent starts a long answer; the user interrupts it ("barge-in"), so
# the agent stops talking at once and gives a short reply instead:
#
#   1. build  inworldttssrc is-live=true ! audioconvert ! audioresample ! SINK
#   2. once PLAYING, push the first sentence with the push-text signal;
#   3. print the word timings (inworld-word-timing) and the ends of the
#      utterances (inworld-flush-completed) the element posts on the bus;
#   4. after --interrupt-after seconds, emit "interrupt" (the speech stops,
#      what was queued downstream is dropped) and push the reply;
#   5. emit "end-of-stream": the element sends EOS once the reply is spoken;
#   6. exit 0 at EOS, or 1 with the error text on an ERROR message.
#
# Run it with the key in the environment (never on the command line):
#
#   INWORLD_API_KEY=... python3 docs/examples/voice-agent.py
#
# and against the project's emulator, writing a WAV file instead of playing
# (docs/live.md has the details):
#
#   python3 docs/examples/voice-agent.py \
#       --uri ws://127.0.0.1:PORT/tts/v1/voice:streamBidirectional \
#       --sink "wavenc ! filesink location=agent.wav"
#
# Needs PyGObject and GStreamer's introspection data (Debian: python3-gi,
# gir1.2-gstreamer-1.0, gir1.2-gst-plugins-base-1.0) and the plugin on
# GST_PLUGIN_PATH.

import argparse
import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

FIRST = ("Thanks for calling. Let me walk you through every option we have, "
         "starting with the basic plan, then the family plan, and finally "
         "the business plan with all of its extras.")
REPLY = "Sure, I will stop there. What would you like to know?"


def parse_args():
    p = argparse.ArgumentParser(
        description="Speak, get interrupted, reply: barge-in with "
        "inworldttssrc.")
    p.add_argument("--uri", help="WebSocket URI of the service (default: "
                   "Inworld's); e.g. the emulator's "
                   "ws://127.0.0.1:PORT/tts/v1/voice:streamBidirectional")
    p.add_argument("--sink", default="autoaudiosink",
                   help="what the audio goes to, in gst-launch syntax "
                   "(default: autoaudiosink; e.g. \"wavenc ! filesink "
                   "location=out.wav\" or fakesink)")
    p.add_argument("--voice", help="voice name (default: the element's)")
    p.add_argument("--interrupt-after", type=float, default=1.5,
                   metavar="SECONDS",
                   help="barge in this long after the first sentence was "
                   "pushed (default: 1.5)")
    return p.parse_args()


class VoiceAgent:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.exit_code = 0
        self.started = False

        # The whole pipeline in gst-launch syntax. is-live=true: the
        # speech of each utterance is timestamped with the running time at
        # which its text was pushed, so it plays as soon as it arrives
        # (plus the element's latency property, 300 ms by default) and can
        # be mixed with other live audio. timestamp-type=word asks the
        # server for word timings.
        self.pipeline = Gst.parse_launch(
            "inworldttssrc name=tts is-live=true timestamp-type=word "
            "! audioconvert ! audioresample ! " + args.sink)
        self.tts = self.pipeline.get_by_name("tts")
        # The API key comes from INWORLD_API_KEY in the environment: the
        # element reads it itself when its api-key property is not set.
        if args.uri:
            self.tts.set_property("uri", args.uri)
        if args.voice:
            self.tts.set_property("voice", args.voice)

        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    # -- the conversation ----------------------------------------------

    def say(self, text):
        # push-text (text, flush): flush=True synthesizes it right away.
        # It returns False when the text is refused (not UTF-8, or after
        # end-of-stream).
        if not self.tts.emit("push-text", text, True):
            self.fail("push-text refused: " + text)
        else:
            print(f"agent: pushed {text!r}", flush=True)

    def start_talking(self):
        # Called once the element is PLAYING: a live utterance's time is
        # the running time at which it is pushed.
        self.say(FIRST)
        GLib.timeout_add(int(self.args.interrupt_after * 1000), self.barge_in)

    def barge_in(self):
        # The user started talking: stop now. "interrupt" flushes
        # downstream (the audio queued in the sink is dropped too), forgets
        # the text not spoken yet and opens a fresh server context;
        # nothing of the old answer comes out afterwards.
        print("user: barges in -> interrupting the agent", flush=True)
        self.tts.emit("interrupt")
        self.say(REPLY)
        # No more text: the element speaks what is pending, closes the
        # server context and sends EOS, which ends the main loop.
        self.tts.emit("end-of-stream")
        return GLib.SOURCE_REMOVE

    # -- the bus ---------------------------------------------------------

    def on_message(self, bus, msg):
        t = msg.type
        if t == Gst.MessageType.STATE_CHANGED:
            # Wait for the element itself, not the pipeline: a live
            # pipeline completes its change to PLAYING only when the sink
            # gets its first audio, and there is none before some text.
            if msg.src == self.tts and not self.started:
                _, new, _ = msg.parse_state_changed()
                if new == Gst.State.PLAYING:
                    self.started = True
                    self.start_talking()
        elif t == Gst.MessageType.ELEMENT and msg.get_structure():
            self.on_element_message(msg.get_structure())
        elif t == Gst.MessageType.WARNING:
            err, debug = msg.parse_warning()
            print(f"warning: {err.message}", file=sys.stderr, flush=True)
        elif t == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            self.fail(f"{err.message} ({debug})" if debug else err.message)
        elif t == Gst.MessageType.EOS:
            print("done: end of stream", flush=True)
            self.loop.quit()

    def on_element_message(self, s):
        if s.has_name("inworld-word-timing"):
            # one message per word; start and end are in the element's
            # output timeline (running time when live), in nanoseconds
            ok_s, start = s.get_uint64("start")
            ok_e, end = s.get_uint64("end")
            print(f"  word {s.get_string('word')!r} "
                  f"{start / Gst.SECOND:.3f}-{end / Gst.SECOND:.3f} s",
                  flush=True)
        elif s.has_name("inworld-flush-completed"):
            # one message per utterance, when its last audio has been
            # pushed downstream (what is queued there still has to play)
            ok_i, index = s.get_uint("flush-index")
            ok_t, end = s.get_uint64("timestamp")
            ok_c, chars = s.get_uint("characters")
            print(f"flush-completed: utterance {index} of context "
                  f"{s.get_string('context-id')}, {chars} characters, "
                  f"speech ends at {end / Gst.SECOND:.3f} s", flush=True)

    def fail(self, text):
        print(f"error: {text}", file=sys.stderr, flush=True)
        self.exit_code = 1
        self.loop.quit()

    # -- running ---------------------------------------------------------

    def run(self):
        # A live pipeline does not preroll: set_state returns NO_PREROLL
        # and reaches PLAYING at once. A missing key fails here, with the
        # reason as an ERROR message on the bus.
        if self.pipeline.set_state(Gst.State.PLAYING) == \
                Gst.StateChangeReturn.FAILURE:
            self.exit_code = 1
            msg = self.pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
            if msg:
                print(f"error: {msg.parse_error()[0].message}",
                      file=sys.stderr)
            else:
                print("error: could not start the pipeline", file=sys.stderr)
        else:
            self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        return self.exit_code


def main():
    args = parse_args()
    Gst.init(None)
    if not os.environ.get("INWORLD_API_KEY"):
        print("note: INWORLD_API_KEY is not set", file=sys.stderr)
    try:
        agent = VoiceAgent(args)
    except GLib.Error as e:     # a bad --sink description, a missing plugin
        print(f"error: {e.message}", file=sys.stderr)
        return 1
    return agent.run()


if __name__ == "__main__":
    sys.exit(main())
