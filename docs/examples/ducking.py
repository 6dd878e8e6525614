#!/usr/bin/env python3
# ducking.py — lower the music while the voice speaks, to the sample.
#
# Copyright (C) 2026 inworldttssrc developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Music (here a 200 Hz sine) and the voice go into an audiomixer; the
# music pad's volume goes down when the voice starts and up again when it
# ends. The element pushes two serialized events that say when, in the
# stream itself: inworld-speech-started right before an utterance's first
# buffer and inworld-flush-completed after its last. A pad probe catches
# them as they leave the element, ahead of the mixer (which waits for its
# latency), and a GstController binding on the music pad's volume gets
# control points at their running times: the mixer applies them when it
# mixes that time, whatever the thread timing.
#
#   inworldttssrc is-live=true ! audioconvert ! audioresample ! CAPS ! mix.
#   audiotestsrc is-live=true wave=sine volume=0.3 ! CAPS ! mix.
#   audiomixer name=mix ! wavenc ! filesink location=OUT
#
# Two sentences are pushed on timers (live: each speaks from the running
# time it is pushed at). At the end the script reads the WAV back and
# measures the music's level (its 200 Hz component, 25 ms windows) to show
# where it was ducked.
#
#   INWORLD_API_KEY=... python3 docs/examples/ducking.py --output duck.wav
#
# and against the project's emulator (docs/interrupting.md):
#
#   python3 docs/examples/ducking.py --output duck.wav \
#       --uri ws://127.0.0.1:PORT/tts/v1/voice:streamBidirectional
#
# Needs PyGObject and GStreamer's introspection data (Debian: python3-gi,
# gir1.2-gstreamer-1.0) and the plugin on GST_PLUGIN_PATH.

import argparse
import math
import os
import sys
import wave

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstController", "1.0")
from gi.repository import GLib, Gst, GstController  # noqa: E402

RATE = 24000
MUSIC_HZ = 200
WINDOW = RATE // 40             # 25 ms: 5 periods of the music
DUCKED = 0.25                   # the music's volume under the voice
RAMP = 20 * Gst.MSECOND         # how long the volume takes to come back
SENTENCES = [(0.5, "Here is the news."), (2.5, "Now the weather.")]
LENGTH = 4.5                    # seconds of music


def parse_args():
    p = argparse.ArgumentParser(
        description="Duck music under inworldttssrc's voice in an "
        "audiomixer, at the speech-started and flush-completed events.")
    p.add_argument("--uri", help="WebSocket URI of the service (default: "
                   "Inworld's); e.g. the emulator's "
                   "ws://127.0.0.1:PORT/tts/v1/voice:streamBidirectional")
    p.add_argument("--voice", help="voice name (default: the element's)")
    p.add_argument("--output", default="ducking.wav",
                   help="the WAV file written (default: ducking.wav)")
    return p.parse_args()


class Ducking:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.exit_code = 0
        self.started = False
        self.first_pts = None   # running time of the WAV's first sample
        self.speech = []        # [start, end] of each utterance, ns
        caps = f"audio/x-raw,format=S16LE,rate={RATE},channels=1"
        self.pipeline = Gst.parse_launch(
            f"audiomixer name=mix ! wavenc ! filesink location="
            f"\"{args.output}\" "
            f"inworldttssrc name=tts is-live=true ! audioconvert ! "
            f"audioresample ! {caps} ! mix. "
            f"audiotestsrc name=music is-live=true wave=sine freq={MUSIC_HZ} "
            f"volume=0.3 samplesperbuffer={RATE // 100} "
            f"num-buffers={int(LENGTH * 100)} ! capsfilter name=music_caps "
            f"caps={caps} ! mix.")
        self.tts = self.pipeline.get_by_name("tts")
        if args.uri:
            self.tts.set_property("uri", args.uri)
        if args.voice:
            self.tts.set_property("voice", args.voice)
        mix = self.pipeline.get_by_name("mix")
        # the mixer's pad the music comes in on
        music = self.pipeline.get_by_name("music_caps")
        self.music_pad = music.get_static_pad("src").get_peer()

        # The volume follows an interpolated curve; the mixer samples it at
        # each music buffer's stream time (running time here: segments
        # from 0), every 10 ms.
        self.curve = GstController.InterpolationControlSource()
        self.curve.set_property("mode",
                                GstController.InterpolationMode.LINEAR)
        self.curve.set(0, 1.0)
        self.music_pad.add_control_binding(
            GstController.DirectControlBinding.new_absolute(
                self.music_pad, "volume", self.curve))

        self.tts.get_static_pad("src").add_probe(
            Gst.PadProbeType.EVENT_DOWNSTREAM, self.on_event)
        mix.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER,
                                            self.on_mixed)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    # -- the events, on the element's streaming thread --------------------

    def on_event(self, pad, info):
        event = info.get_event()
        if event.type != Gst.EventType.CUSTOM_DOWNSTREAM:
            return Gst.PadProbeReturn.OK
        s = event.get_structure()
        if s.has_name("inworld-speech-started"):
            ok, t = s.get_uint64("running-time")
            # down at once: the voice starts exactly there
            self.curve.set(max(t, 1) - 1, 1.0)
            self.curve.set(t, DUCKED)
            self.speech.append([t, None])
            print(f"duck: music volume {DUCKED} at {t / Gst.SECOND:.3f} s "
                  f"(speech-started, utterance {s.get_uint('flush-index')[1]}"
                  f")", flush=True)
        elif s.has_name("inworld-flush-completed"):
            # the event's timestamp is the end of the utterance's audio
            # (running time, as the element is live)
            ok, t = s.get_uint64("timestamp")
            self.curve.set(t, DUCKED)
            self.curve.set(t + RAMP, 1.0)
            if self.speech and self.speech[-1][1] is None:
                self.speech[-1][1] = t
            print(f"restore: music volume 1.0 at {t / Gst.SECOND:.3f} s "
                  f"(flush-completed, utterance "
                  f"{s.get_uint('flush-index')[1]})", flush=True)
        return Gst.PadProbeReturn.OK

    def on_mixed(self, pad, info):
        if self.first_pts is None:
            self.first_pts = info.get_buffer().pts
        return Gst.PadProbeReturn.OK

    # -- the conversation --------------------------------------------------

    def say(self, text):
        if not self.tts.emit("push-text", text, True):
            self.fail("push-text refused: " + text)
        return GLib.SOURCE_REMOVE

    def start_talking(self):
        for at, text in SENTENCES:
            GLib.timeout_add(int(at * 1000), self.say, text)
        # after the last sentence: the element sends EOS once it is spoken
        GLib.timeout_add(int(SENTENCES[-1][0] * 1000) + 100,
                         lambda: self.tts.emit("end-of-stream") and False)

    def on_message(self, bus, msg):
        t = msg.type
        if t == Gst.MessageType.STATE_CHANGED:
            if msg.src == self.tts and not self.started:
                _, new, _ = msg.parse_state_changed()
                if new == Gst.State.PLAYING:
                    self.started = True
                    self.start_talking()
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

    # -- the result ---------------------------------------------------------

    def analyse(self):
        """The music's level in each 25 ms window of the WAV (Goertzel at
        200 Hz; the voice's 440 Hz sine has whole periods in a window and
        does not leak into it), and where it was ducked."""
        with wave.open(self.args.output, "rb") as w:
            data = w.readframes(w.getnframes())
        samples = memoryview(data).cast("h")
        base = self.first_pts or 0
        coeff = 2 * math.cos(2 * math.pi * MUSIC_HZ / RATE)
        levels = []
        for start in range(0, len(samples) - WINDOW + 1, WINDOW):
            s1 = s2 = 0.0
            for x in samples[start:start + WINDOW]:
                s1, s2 = x + coeff * s1 - s2, s1
            power = s1 * s1 + s2 * s2 - coeff * s1 * s2
            levels.append(2 * math.sqrt(max(power, 0)) / WINDOW / 32768)
        full = max(levels)
        # the ducked spans: runs of windows below half the full level
        spans, begin = [], None
        for i, level in enumerate(levels + [full]):
            if level < full / 2 and begin is None:
                begin = i
            elif level >= full / 2 and begin is not None:
                spans.append((begin, i))
                begin = None
        print(f"music level: {full:.3f} full", flush=True)
        for b, e in spans:
            t0 = base + b * WINDOW * Gst.SECOND // RATE
            t1 = base + e * WINDOW * Gst.SECOND // RATE
            inner = levels[b + 1:e - 1] or levels[b:e]
            print(f"measured: ducked from {t0 / Gst.SECOND:.3f} s to "
                  f"{t1 / Gst.SECOND:.3f} s, level {max(inner):.3f}",
                  flush=True)

    def run(self):
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
        if self.exit_code == 0:
            self.analyse()
        return self.exit_code


def main():
    args = parse_args()
    Gst.init(None)
    if not os.environ.get("INWORLD_API_KEY"):
        print("note: INWORLD_API_KEY is not set", file=sys.stderr)
    try:
        ducking = Ducking(args)
    except GLib.Error as e:     # a missing plugin
        print(f"error: {e.message}", file=sys.stderr)
        return 1
    return ducking.run()


if __name__ == "__main__":
    sys.exit(main())
