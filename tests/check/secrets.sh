#!/bin/bash
# inworldttssrc: the API key never shows. Run by meson (suite 'secrets'):
#
#   secrets.sh EMULATOR GST_LAUNCH GST_INSPECT PYTHON PROPERTY_PY
#
# with the built plugin on GST_PLUGIN_PATH_1_0 (tests/check/meson.build).
# A distinctive key is made up for each run; it must appear in none of:
#   - gst-inspect-1.0 inworldttssrc;
#   - gst-launch-1.0 -v (stdout and stderr) of a whole utterance against
#     the emulator, the key in INWORLD_API_KEY (and SLNG_API_KEY on the SLNG
#     route), with GST_DEBUG=*:9 and G_MESSAGES_DEBUG=all (libsoup logs
#     through GLib; it reads no debug variable of its own for WebSockets);
#   - the bus messages, GStreamer and GLib debug output and the DOT dump of
#     a program that sets the api-key property;
#   - all of the above when the server refuses the key (error messages);
#   - the emulator's own --verbose log.
# The TRACE logger of the upgrade's headers must show the credential
# header by name only ("Authorization: <redacted>").
# "The key" is: the key, every 8 characters of it, its base64, the
# "Basic <key>" / "Bearer <key>" header values and their base64, and its
# SHA-256. Each run must also prove it used the key (the emulator saw a
# credential and sent audio, or refused it), so that nothing passes
# because nothing ran.

set -u

EMULATOR=$1
GST_LAUNCH=$2
GST_INSPECT=$3
PYTHON=${4:-}
PROPERTY_PY=${5:-}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/inworld-secrets.XXXXXX")
EMU_PID=
cleanup () {
  if [ -n "$EMU_PID" ]; then
    kill "$EMU_PID" 2>/dev/null
    wait "$EMU_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

failures=0
fail () {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# A key nobody else would write, of letters and digits like Inworld's
# base64 keys (so that no encoding step changes it). Its random part has no
# hex digit, so that none of its 8-character windows can be a pointer or a
# hash that happens to be in the debug output.
random_letters () {
  LC_ALL=C tr -dc 'g-zG-Z' < /dev/urandom | head -c "$1"
}
KEY="sEcReTkEy$(random_letters 24)Zq9xW"
OTHER_KEY="aNoThErKeY$(random_letters 24)"

NEEDLES="$WORK/needles"
{
  echo "$KEY"
  for ((i = 0; i + 8 <= ${#KEY}; i++)); do echo "${KEY:i:8}"; done
  printf '%s' "$KEY" | base64 -w0; echo
  echo "Basic $KEY"
  echo "Bearer $KEY"
  printf 'Basic %s' "$KEY" | base64 -w0; echo
  printf 'Bearer %s' "$KEY" | base64 -w0; echo
  printf '%s' "$KEY" | sha256sum | cut -d' ' -f1
} > "$NEEDLES"

# check_clean FILE WHAT: no needle in FILE (lines are reported by number
# only, so that this log does not spread the key itself)
check_clean () {
  local hits
  if [ ! -s "$1" ]; then
    fail "$2: no output at all (did it run?)"
    return
  fi
  hits=$(grep -n -F -f "$NEEDLES" -- "$1" | cut -d: -f1 | head -20 | tr '\n' ' ')
  if [ -n "$hits" ]; then
    fail "$2: the API key (or a part, encoding or digest of it) is on line(s) $hits of its output"
  else
    echo "ok: $2 ($(wc -l < "$1") lines, no trace of the key)"
  fi
}

# must_have FILE PATTERN WHAT
must_have () {
  if ! grep -q -E -- "$2" "$1"; then
    fail "$3: expected /$2/ in its output"
  fi
}

# start_emulator ACCEPTED_KEY LOG: the emulator, its key from the
# environment (not its command line)
start_emulator () {
  local i
  rm -f "$WORK/port"
  INWORLD_API_KEY="$1" "$EMULATOR" --port 0 --audio test-signal --speed 0 \
      --verbose > "$WORK/port" 2> "$2" &
  EMU_PID=$!
  for ((i = 0; i < 100; i++)); do
    if grep -q '^listening ' "$WORK/port" 2>/dev/null; then
      PORT=$(sed -n 's/^listening //p' "$WORK/port")
      URI="ws://127.0.0.1:$PORT/tts/v1/voice:streamBidirectional"
      SLNG_URI="ws://127.0.0.1:$PORT/v1/tts/slng/inworld/max:1.5"
      return 0
    fi
    sleep 0.1
  done
  echo "the emulator did not start"
  exit 1
}

stop_emulator () {
  kill "$EMU_PID"
  wait "$EMU_PID"
  EMU_PID=
}

TEXT="Secrets stay secret."
# everything any layer may print
DEBUG_ENV=(GST_DEBUG='*:9' GST_DEBUG_NO_COLOR=1 G_MESSAGES_DEBUG=all
  G_DEBUG= GST_DEBUG_DUMP_DOT_DIR=)

# ------------------------------------------------------------------------
# gst-inspect-1.0
# ------------------------------------------------------------------------

env INWORLD_API_KEY="$KEY" "$GST_INSPECT" inworldttssrc > "$WORK/inspect" 2>&1
must_have "$WORK/inspect" 'api-key' "gst-inspect-1.0 inworldttssrc"
must_have "$WORK/inspect" 'Write only|writable' "gst-inspect-1.0: api-key write-only"
check_clean "$WORK/inspect" "gst-inspect-1.0 inworldttssrc"

# ------------------------------------------------------------------------
# A whole utterance: key accepted
# ------------------------------------------------------------------------

start_emulator "$KEY" "$WORK/emulator-ok.log"

# gst-launch -v, the key from the environment; its parser logs the
# command line at debug level, which is why the key is not on it
env INWORLD_API_KEY="$KEY" "${DEBUG_ENV[@]}" timeout 60 "$GST_LAUNCH" -v \
    inworldttssrc uri="$URI" text="$TEXT" ! audio/x-raw,rate=16000 ! \
    fakesink > "$WORK/launch" 2>&1
status=$?
[ $status -eq 0 ] || fail "gst-launch-1.0 -v run: exit status $status"
must_have "$WORK/launch" 'Got EOS' "gst-launch-1.0 -v run"
must_have "$WORK/launch" 'inworldttssrc' "gst-launch-1.0 -v run (debug output)"
# the TRACE logger of the upgrade ran, and showed the header's name only
must_have "$WORK/launch" '> Authorization: <redacted>' "gst-launch-1.0 -v run (the upgrade's headers at TRACE)"
must_have "$WORK/launch" '< Upgrade: websocket' "gst-launch-1.0 -v run (the upgrade's response at TRACE)"
check_clean "$WORK/launch" "gst-launch-1.0 -v run with GST_DEBUG=*:9, G_MESSAGES_DEBUG=all"

# the SLNG route: the key in SLNG_API_KEY, sent as Bearer
env -u INWORLD_API_KEY SLNG_API_KEY="$KEY" "${DEBUG_ENV[@]}" timeout 60 \
    "$GST_LAUNCH" -v inworldttssrc uri="$SLNG_URI" text="$TEXT" ! \
    audio/x-raw,rate=16000 ! fakesink > "$WORK/launch-slng" 2>&1
status=$?
[ $status -eq 0 ] || fail "gst-launch-1.0 -v SLNG run: exit status $status"
must_have "$WORK/launch-slng" 'Got EOS' "gst-launch-1.0 -v SLNG run"
must_have "$WORK/launch-slng" '> Authorization: <redacted>' "gst-launch-1.0 -v SLNG run (the upgrade's headers at TRACE)"
check_clean "$WORK/launch-slng" "gst-launch-1.0 -v SLNG run with GST_DEBUG=*:9"

# the api-key property, set by a program
if [ -n "$PYTHON" ]; then
  env -u INWORLD_API_KEY -u SLNG_API_KEY TEST_SECRET_KEY="$KEY" \
      "${DEBUG_ENV[@]}" timeout 60 "$PYTHON" "$PROPERTY_PY" "$URI" \
      "$TEXT" eos > "$WORK/property" 2>&1
  status=$?
  [ $status -eq 0 ] || fail "api-key property run: exit status $status (see below)"
  must_have "$WORK/property" '^outcome: eos' "api-key property run"
  must_have "$WORK/property" 'digraph' "api-key property run (DOT dump)"
  check_clean "$WORK/property" "api-key property run: bus messages, DOT dump, GST_DEBUG=*:9"
  [ $status -eq 0 ] || grep -v -F -f "$NEEDLES" "$WORK/property" | grep -E 'error|outcome|read back' | head -20
else
  fail "no Python with PyGObject: the api-key property run was not done"
fi

stop_emulator
# the key was used: the emulator saw it on every connection and spoke
must_have "$WORK/emulator-ok.log" 'credential present' "emulator (key accepted)"
must_have "$WORK/emulator-ok.log" '"audioChunk"' "emulator (key accepted): audio sent"
must_have "$WORK/emulator-ok.log" 'slng conn [0-9]+: -> \{"type":"audio_chunk"' "emulator (SLNG): audio sent"
if grep -q -E 'authentication failed|upgrade refused' "$WORK/emulator-ok.log"; then
  fail "the emulator refused the key in the runs that should have used it"
fi
check_clean "$WORK/emulator-ok.log" "emulator --verbose log"

# ------------------------------------------------------------------------
# The server refuses the key: the errors must not echo it
# ------------------------------------------------------------------------

start_emulator "$OTHER_KEY" "$WORK/emulator-refused.log"

env INWORLD_API_KEY="$KEY" "${DEBUG_ENV[@]}" timeout 60 "$GST_LAUNCH" -v \
    inworldttssrc uri="$URI" text="$TEXT" ! audio/x-raw,rate=16000 ! \
    fakesink > "$WORK/launch-refused" 2>&1
must_have "$WORK/launch-refused" 'ERROR.*API key' "gst-launch-1.0 run with a refused key"
check_clean "$WORK/launch-refused" "gst-launch-1.0 -v run with a refused key, GST_DEBUG=*:9"

env -u INWORLD_API_KEY SLNG_API_KEY="$KEY" "${DEBUG_ENV[@]}" timeout 60 \
    "$GST_LAUNCH" -v inworldttssrc uri="$SLNG_URI" text="$TEXT" ! \
    audio/x-raw,rate=16000 ! fakesink > "$WORK/launch-slng-refused" 2>&1
must_have "$WORK/launch-slng-refused" 'ERROR.*API key' "gst-launch-1.0 SLNG run with a refused key"
check_clean "$WORK/launch-slng-refused" "gst-launch-1.0 -v SLNG run with a refused key"

if [ -n "$PYTHON" ]; then
  env -u INWORLD_API_KEY -u SLNG_API_KEY TEST_SECRET_KEY="$KEY" \
      "${DEBUG_ENV[@]}" timeout 60 "$PYTHON" "$PROPERTY_PY" "$URI" \
      "$TEXT" error > "$WORK/property-refused" 2>&1
  status=$?
  [ $status -eq 0 ] || fail "api-key property run with a refused key: exit status $status"
  must_have "$WORK/property-refused" '^error \| tts \|.*API key' "api-key property run with a refused key (error message)"
  check_clean "$WORK/property-refused" "api-key property run with a refused key: error message, GST_DEBUG=*:9"
fi

stop_emulator
must_have "$WORK/emulator-refused.log" 'authentication failed' "emulator (key refused)"
must_have "$WORK/emulator-refused.log" 'slng: upgrade refused with 401' "emulator (SLNG key refused)"
check_clean "$WORK/emulator-refused.log" "emulator --verbose log (key refused)"

if [ $failures -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
exit 0
