#!/usr/bin/env python3
# barge-in.py — cut an agent's conversation history to what the user heard.
#
# Copyright (C) 2026 inworldttssrc developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A voice agent speaks an LLM reply (a list of sentences); the user barges
# in while it plays. The agent must not believe the user heard the whole
# reply: the element's inworld-interrupted message says which part of the
# text was heard (text-heard) and which was not (text-not-heard), and the
# agent cuts the reply in its history there:
#
#   1. build  inworldttssrc timestamp-type=word ! audioconvert !
#             audioresample ! SINK   (a sink that plays in real time)
#   2. push the reply's sentences with push-text, then start;
#   3. --interrupt-after seconds after the pipeline is PLAYING, emit
#      "interrupt";
#   4. at the inworld-interrupted message, drop text-not-heard from the end
#      of the reply in the history, print the history and end the stream;
#   5. exit 0 at EOS, or 1 with the error text on an ERROR message.
#
# Run it with the key in the environment (never on the command line):
#
#   INWORLD_API_KEY=... python3 docs/examples/barge-in.py
#
# and against the project's emulator, with a sink that syncs to the clock
# but plays nothing (docs/interrupting.md has the details):
#
#   python3 docs/examples/barge-in.py \
#       --uri ws://127.0.0.1:PORT/tts/v1/voice:streamBidirectional \
#       --sink "fakesink sync=true"
#
# "Heard" is judged by the clock when the sink syncs (heard-by=clock): a
# sink that does not sync (e.g. "wavenc ! filesink") takes the audio as
# fast as it comes, and all that was pushed counts as heard.
#
# Needs PyGObject and GStreamer's introspection data (Debian: python3-gi,
# gir1.2-gstreamer-1.0) and the plugin on GST_PLUGIN_PATH.

import argparse
import json
import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

# The LLM's reply, sentence by sentence: "".join() is the reply's text.
REPLY = [
    "We have three plans for you.",
    " The basic plan costs ten dollars a month and covers one phone.",
    " The family plan covers up to five phones for thirty dollars.",
    " The business plan adds priority support and a dedicated line.",
]


def parse_args():
    p = argparse.ArgumentParser(
        description="Barge in on a spoken reply and cut the conversation "
        "history to what was heard (inworldttssrc).")
    p.add_argument("--uri", help="WebSocket URI of the service (default: "
                   "Inworld's); e.g. the emulator's "
                   "ws://127.0.0.1:PORT/tts/v1/voice:streamBidirectional")
    p.add_argument("--sink", default="autoaudiosink",
                   help="what the audio goes to, in gst-launch syntax "
                   "(default: autoaudiosink; e.g. \"fakesink sync=true\")")
    p.add_argument("--voice", help="voice name (default: the element's)")
    p.add_argument("--interrupt-after", type=float, default=1.0,
                   metavar="SECONDS",
                   help="barge in this long after playback started "
                   "(default: 1.0)")
    return p.parse_args()


class Agent:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.exit_code = 0
        self.playing = False
        self.history = [
            {"role": "user", "content": "What plans do you have?"},
            {"role": "assistant", "content": "".join(REPLY)},
        ]
        # timestamp-type=word: the server's word timings let the element
        # cut the text to the word (exact=true in the message).
        self.pipeline = Gst.parse_launch(
            "inworldttssrc name=tts timestamp-type=word "
            "! audioconvert ! audioresample ! " + args.sink)
        self.tts = self.pipeline.get_by_name("tts")
        if args.uri:
            self.tts.set_property("uri", args.uri)
        if args.voice:
            self.tts.set_property("voice", args.voice)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    def barge_in(self):
        print("user: barges in -> interrupting the agent", flush=True)
        # The element posts inworld-interrupted once the speech is stopped.
        self.tts.emit("interrupt")
        return GLib.SOURCE_REMOVE

    def on_interrupted(self, s):
        heard = s.get_string("text-heard")
        not_heard = s.get_string("text-not-heard")
        ok, running_time = s.get_uint64("running-time")
        print(f"interrupted at {running_time / Gst.SECOND:.3f} s "
              f"(utterance {s.get_uint('flush-index')[1]}, "
              f"heard-by={s.get_string('heard-by')}, "
              f"exact={s.get_boolean('exact')[1]})", flush=True)
        # text-heard + text-not-heard is the cut utterance and all after
        # it; utterances heard whole are in neither. So the reply as heard
        # is the reply less text-not-heard at its end.
        reply = self.history[-1]["content"]
        if not_heard and reply.endswith(not_heard):
            self.history[-1]["content"] = reply[:len(reply) - len(not_heard)]
            self.history.append({"role": "system", "content":
                                 "The user interrupted the assistant here."})
        print("heard: " + json.dumps(self.history[1]["content"]), flush=True)
        print("not-heard: " + json.dumps(not_heard), flush=True)
        print(f"  (the cut utterance: heard {heard!r})", flush=True)
        print("history: " + json.dumps(self.history), flush=True)
        # nothing more to say: the element sends EOS
        self.tts.emit("end-of-stream")

    def on_message(self, bus, msg):
        t = msg.type
        if t == Gst.MessageType.STATE_CHANGED:
            if msg.src == self.pipeline and not self.playing:
                _, new, _ = msg.parse_state_changed()
                if new == Gst.State.PLAYING:
                    # the sink plays from now on, in real time
                    self.playing = True
                    GLib.timeout_add(int(self.args.interrupt_after * 1000),
                                     self.barge_in)
        elif t == Gst.MessageType.ELEMENT and msg.get_structure():
            s = msg.get_structure()
            if s.has_name("inworld-interrupted"):
                self.on_interrupted(s)
            elif s.has_name("inworld-speech-started"):
                print(f"speech-started: utterance "
                      f"{s.get_uint('flush-index')[1]} "
                      f"{s.get_string('text')!r}", flush=True)
        elif t == Gst.MessageType.WARNING:
            err, debug = msg.parse_warning()
            print(f"warning: {err.message}", file=sys.stderr, flush=True)
        elif t == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            self.fail(f"{err.message} ({debug})" if debug else err.message)
        elif t == Gst.MessageType.EOS:
            print("done: end of stream", flush=True)
            self.loop.quit()

    def fail(self, text):
        print(f"error: {text}", file=sys.stderr, flush=True)
        self.exit_code = 1
        self.loop.quit()

    def run(self):
        # Text pushed before the start is kept and spoken once running;
        # flush=True makes each sentence an utterance of its own.
        for sentence in REPLY:
            if not self.tts.emit("push-text", sentence, True):
                print(f"error: push-text refused: {sentence}",
                      file=sys.stderr)
                return 1
        print("agent: " + json.dumps("".join(REPLY)), flush=True)
        if self.pipeline.set_state(Gst.State.PLAYING) == \
                Gst.StateChangeReturn.FAILURE:
            self.exit_code = 1
            msg = self.pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
            print("error: " + (msg.parse_error()[0].message if msg else
                               "could not start the pipeline"),
                  file=sys.stderr)
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
        agent = Agent(args)
    except GLib.Error as e:     # a bad --sink description, a missing plugin
        print(f"error: {e.message}", file=sys.stderr)
        return 1
    return agent.run()


if __name__ == "__main__":
    sys.exit(main())
