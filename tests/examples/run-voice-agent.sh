#!/usr/bin/env bash
# Runs docs/examples/voice-agent.py against the emulator and checks what a
# user would see: exit status 0, a WAV file with audio, the barge-in and
# the reply's flush-completed in the output.
#   run-voice-agent.sh EMULATOR PYTHON EXAMPLE
# (meson test runs it with GST_PLUGIN_PATH_1_0 pointing at the plugin)
set -euo pipefail

emulator=$1 python=$2 example=$3
key=voice-agent-test-key
source "$(dirname "$0")/example-lib.sh"

# Sine audio (60 ms a character) makes the first sentence ~10 s long, so
# the barge-in after 1.5 s is well inside it; --speed 2 halves the run
# time.
start_emulator "$emulator" "$key" --audio sine --speed 2

wav="$tmp/agent.wav"
rc=0
INWORLD_API_KEY=$key timeout 30 "$python" "$example" --uri "$uri" \
  --interrupt-after 1.5 --sink "wavenc ! filesink location=$wav" \
  >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"

[ "$rc" = 0 ] || fail "the example exited with status $rc"
grep -q '^agent: pushed' "$tmp/out" || fail "no push-text in the output"
grep -q '^  word ' "$tmp/out" || fail "no inworld-word-timing in the output"
grep -q 'interrupting' "$tmp/out" || fail "no interruption in the output"
grep -q '^flush-completed:' "$tmp/out" || fail "no inworld-flush-completed in the output"
# the first sentence was cut short: its flush never completes, only the
# reply's, after the barge-in
first_flush=$(grep -n '^flush-completed:' "$tmp/out" | head -1 | cut -d: -f1)
barge_in=$(grep -n 'interrupting' "$tmp/out" | head -1 | cut -d: -f1)
[ "$first_flush" -gt "$barge_in" ] || fail "a flush completed before the barge-in"
[ "$(grep -c '^flush-completed:' "$tmp/out")" = 1 ] || fail "expected exactly one flush-completed (the reply's)"
grep -q '^done: end of stream' "$tmp/out" || fail "no EOS"

[ -s "$wav" ] || fail "the WAV file is empty"
size=$(stat -c %s "$wav")
[ "$size" -gt 44 ] || fail "the WAV file has no audio ($size bytes)"
[ "$(head -c 4 "$wav")" = RIFF ] || fail "the output is not a WAV file"
echo "ok: exit 0, barge-in, flush-completed, $size bytes of WAV"
