#!/usr/bin/env python3
# inworldttssrc: runs one utterance with the API key set through the
# api-key property from a program (not a command line, not the
# environment), and prints every bus message and the pipeline's DOT dump,
# so that tests/check/secrets.sh can look for the key in all of it.
#
# usage: secrets-property.py URI TEXT eos|error
# The key is read from $TEST_SECRET_KEY (never from INWORLD_API_KEY,
# which the caller leaves unset, so the property is the only way in).
# Exit status 0 when the run ended as expected (EOS, or an error).

import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def describe(msg):
    """Everything a message carries, as text."""
    parts = [Gst.MessageType.get_name(msg.type), msg.src.get_name()
             if msg.src else "-"]
    if msg.type == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        parts += [err.message, debug or ""]
    elif msg.type == Gst.MessageType.WARNING:
        err, debug = msg.parse_warning()
        parts += [err.message, debug or ""]
    structure = msg.get_structure()
    if structure is not None:
        parts.append(structure.to_string())
    return " | ".join(parts)


def main():
    uri, text, expect = sys.argv[1], sys.argv[2], sys.argv[3]
    key = os.environ.pop("TEST_SECRET_KEY")
    Gst.init(None)

    pipeline = Gst.parse_launch(
        "inworldttssrc name=tts ! audio/x-raw,rate=16000 ! fakesink")
    tts = pipeline.get_by_name("tts")
    tts.set_property("uri", uri)
    tts.set_property("text", text)
    tts.set_property("api-key", key)
    del key

    # the key is write-only: reading it must not work
    try:
        value = tts.get_property("api-key")
    except TypeError:
        value = None
    if value is not None:
        print("api-key could be read back", flush=True)
        return 1

    pipeline.set_state(Gst.State.PLAYING)
    bus = pipeline.get_bus()
    outcome = None
    while outcome is None:
        msg = bus.timed_pop(30 * Gst.SECOND)
        if msg is None:
            print("no EOS or error within 30 s", flush=True)
            break
        print(describe(msg), flush=True)
        if msg.type == Gst.MessageType.EOS:
            outcome = "eos"
        elif msg.type == Gst.MessageType.ERROR:
            outcome = "error"
    # the graph with every property a dump shows
    print(Gst.debug_bin_to_dot_data(pipeline,
                                    Gst.DebugGraphDetails.ALL), flush=True)
    pipeline.set_state(Gst.State.NULL)
    print("outcome: %s" % outcome, flush=True)
    return 0 if outcome == expect else 1


if __name__ == "__main__":
    sys.exit(main())
