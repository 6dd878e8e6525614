#!/usr/bin/env bash
# Runs docs/examples/ducking.py against the emulator and checks the music
# it wrote: exit status 0, and the music measured in the WAV ducked exactly
# while the voice spoke (from each speech-started to its flush-completed,
# to a 25 ms analysis window).
#   run-ducking.sh EMULATOR PYTHON EXAMPLE
# (meson test runs it with GST_PLUGIN_PATH_1_0 pointing at the plugin)
set -euo pipefail

emulator=$1 python=$2 example=$3
key=ducking-test-key
source "$(dirname "$0")/example-lib.sh"

# Sine audio: a 440 Hz voice, 60 ms a character.
start_emulator "$emulator" "$key" --audio sine --speed 2

rc=0
INWORLD_API_KEY=$key timeout 30 "$python" "$example" --uri "$uri" \
  --output "$tmp/duck.wav" >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"

[ "$rc" = 0 ] || fail "the example exited with status $rc"
grep -q '^done: end of stream' "$tmp/out" || fail "no EOS"
[ "$(head -c 4 "$tmp/duck.wav")" = RIFF ] || fail "the output is not a WAV file"
"$python" - "$tmp/out" <<'PY' || fail "the music was not ducked under the voice"
import re, sys
text = open(sys.argv[1]).read()
ducks = [float(t) for t in re.findall(r"^duck: .* at ([0-9.]+) s", text, re.M)]
restores = [float(t) for t in
            re.findall(r"^restore: .* at ([0-9.]+) s", text, re.M)]
full = float(re.search(r"^music level: ([0-9.]+) full", text, re.M)[1])
measured = [tuple(map(float, m)) for m in re.findall(
    r"^measured: ducked from ([0-9.]+) s to ([0-9.]+) s, level ([0-9.]+)",
    text, re.M)]
assert len(ducks) == 2 and len(restores) == 2, "two utterances expected"
assert abs(full - 0.3) < 0.01, f"the music's full level is {full}"
assert len(measured) == 2, f"ducked spans measured: {measured}"
# a window is 25 ms and the mixer samples the volume every 10 ms buffer
for (start, end, level), duck, restore in zip(measured, ducks, restores):
    assert abs(start - duck) <= 0.05, f"ducked at {start}, speech at {duck}"
    assert abs(end - restore) <= 0.05, f"back at {end}, speech ended {restore}"
    assert level < 0.3 * 0.25 * 1.3, f"ducked level {level}"
print(f"ok: music ducked {measured} for speech {list(zip(ducks, restores))}")
PY
