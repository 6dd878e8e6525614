#!/usr/bin/env bash
# Runs docs/examples/barge-in.py against the emulator and checks what the
# agent printed: exit status 0, a cut to the word by the clock, the heard
# text a non-empty proper prefix of the reply, heard + not heard the reply.
#   run-barge-in.sh EMULATOR PYTHON EXAMPLE
# (meson test runs it with GST_PLUGIN_PATH_1_0 pointing at the plugin)
set -euo pipefail

emulator=$1 python=$2 example=$3
key=barge-in-test-key
source "$(dirname "$0")/example-lib.sh"

# Sine audio (60 ms a character): the first sentence alone lasts 1.7 s, so
# a barge-in after 1 s of playing cuts it.
start_emulator "$emulator" "$key" --audio sine --speed 2

rc=0
INWORLD_API_KEY=$key timeout 30 "$python" "$example" --uri "$uri" \
  --interrupt-after 1 --sink "fakesink sync=true" >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"

[ "$rc" = 0 ] || fail "the example exited with status $rc"
grep -q '^interrupted at .*heard-by=clock, exact=True' "$tmp/out" \
  || fail "no inworld-interrupted by the clock, to the word"
grep -q '^done: end of stream' "$tmp/out" || fail "no EOS"
"$python" - "$tmp/out" <<'PY' || fail "the history is not cut to what was heard"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
def field(name):
    for line in lines:
        if line.startswith(name + ": "):
            return json.loads(line[len(name) + 2:])
    sys.exit(f"no {name!r} line")
reply, heard, not_heard = field("agent"), field("heard"), field("not-heard")
history = field("history")
assert heard, "nothing heard"
assert len(heard) < len(reply) and reply.startswith(heard), \
    f"{heard!r} is not a proper prefix of the reply"
assert heard + not_heard == reply, "heard + not heard is not the reply"
assert history[1] == {"role": "assistant", "content": heard}, history
print(f"ok: heard {len(heard)} of {len(reply)} characters: {heard!r}")
PY
