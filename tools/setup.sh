#!/usr/bin/env bash
# Installs what the project needs (Debian 12) and builds it into build/.
# Run as root to install missing packages; otherwise prints the apt line.
# Sourced by speak.sh and test.sh; can be run alone.
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${INWORLD_BUILD_DIR:-$top/build}"

packages=(
  # build
  gcc pkg-config meson ninja-build
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libsoup-3.0-dev libjson-glib-dev
  # run: TLS for wss://, the gst-launch tools and the elements of the demos;
  # plugins-base/-good also hold the encoders the emulator uses for MP3,
  # OGG_OPUS, FLAC, ALAW and MULAW (lamemp3enc, opusenc + oggmux, flacenc,
  # alawenc, mulawenc) and the decoders its tests check them with
  # (glib-networking's GnuTLS verifies wss:// against ca-certificates'
  # store, which nothing else pulls in with --no-install-recommends)
  glib-networking ca-certificates gstreamer1.0-tools gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good
  # the emulator's speech mode (offline demo)
  espeak-ng
  # the TLS tests' certificates, made at build time
  # (tests/check/make-test-certs.sh)
  openssl
  # the Python example docs/examples/voice-agent.py and its test
  # (PyGObject and GStreamer's introspection data)
  python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
)
if [ "${INWORLD_SETUP_VALGRIND:-0}" = 1 ]; then
  packages+=(valgrind)
fi

source "$top/tools/packages.sh"
install_packages setup "${packages[@]}"

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$top" >&2
fi
ninja -C "$build" >&2

export GST_PLUGIN_PATH="$build/gst/inworld${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export INWORLD_TTS_EMULATOR="$build/tests/emulator/inworld-tts-emulator"
