#!/usr/bin/env bash
# Renders speech to a WAV file with inworldttssrc:
#   tools/speak.sh ["text to speak"] [output.wav]
# With INWORLD_API_KEY set it speaks through Inworld's service; without it,
# through the local emulator (espeak-ng voice), so it works offline.
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
text="${1:-Hello from GStreamer. This speech was rendered by inworldttssrc.}"
out="$(realpath -m "${2:-speech.wav}")"

source "$top/tools/setup.sh"

uri_arg=()
emulator_pid=""
cleanup() { [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null || true; }
trap cleanup EXIT

if [ -z "${INWORLD_API_KEY:-}" ]; then
  export INWORLD_API_KEY="local-emulator-key"
  fifo="$(mktemp -u)"
  mkfifo "$fifo"
  "$INWORLD_TTS_EMULATOR" --port 0 --api-key "$INWORLD_API_KEY" >"$fifo" &
  emulator_pid=$!
  read -r word port <"$fifo"
  rm -f "$fifo"
  if [ "$word" != listening ]; then
    echo "speak: the emulator did not start" >&2
    exit 1
  fi
  uri_arg=(uri="ws://127.0.0.1:$port/tts/v1/voice:streamBidirectional")
  echo "speak: INWORLD_API_KEY is not set; using the local emulator on port $port" >&2
fi

# the key travels in the environment: gst-launch logs its command line
gst-launch-1.0 -q inworldttssrc text="$text" "${uri_arg[@]}" \
  ! audio/x-raw,rate=24000 ! wavenc ! filesink location="$out"

# 44-byte WAV header, then 16-bit mono samples at 24 kHz
bytes=$(stat -c %s "$out")
seconds=$(awk -v b="$bytes" 'BEGIN { printf "%.2f", (b - 44) / 48000 }')
echo "Wrote $seconds s of speech to $out"
