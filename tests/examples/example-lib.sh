# Sourced by the run-*.sh example tests: a temporary directory, an
# emulator on a free port, and fail() that shows what the example and the
# emulator printed. After `start_emulator KEY EMULATOR-ARGS...`, $uri is
# the emulator's Inworld route and $tmp/out is where the example's output
# goes.

tmp=$(mktemp -d)
emu_pid=

cleanup() {
  if [ -n "$emu_pid" ]; then
    kill "$emu_pid" 2>/dev/null || true
    wait "$emu_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- example output:" >&2
  cat "$tmp/out" >&2 2>/dev/null || true
  echo "--- emulator log:" >&2
  cat "$tmp/emu.err" >&2 2>/dev/null || true
  exit 1
}

# The emulator's first stdout line is "listening PORT".
start_emulator() {
  local emulator=$1 key=$2 word
  shift 2
  "$emulator" --port 0 --api-key "$key" "$@" \
    >"$tmp/emu.out" 2>"$tmp/emu.err" &
  emu_pid=$!
  port=
  for _ in $(seq 100); do
    if read -r word port <"$tmp/emu.out" 2>/dev/null && [ "$word" = listening ]; then
      break
    fi
    port=
    sleep 0.1
  done
  [ -n "$port" ] || fail "the emulator did not report its port"
  uri="ws://127.0.0.1:$port/tts/v1/voice:streamBidirectional"
}
