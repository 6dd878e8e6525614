#!/usr/bin/env bash
# Builds the project and runs the whole test suite against the emulator:
#   tools/test.sh [--valgrind] [meson test arguments]
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wrapper=()
if [ "${1:-}" = "--valgrind" ]; then
  shift
  export INWORLD_SETUP_VALGRIND=1
  wrapper=(--setup=valgrind)
fi

source "$top/tools/setup.sh"

rc=0
meson test -C "$build" --print-errorlogs --num-processes 2 "${wrapper[@]}" "$@" || rc=$?

# one closing line, counted from meson's own log: test programs that
# passed and failed (each runs many checks)
log="$build/meson-logs/testlog${wrapper:+-valgrind}.json"
if [ -f "$log" ]; then
  python3 - "$log" <<'PY'
import json, sys
results = [json.loads(line)["result"] for line in open(sys.argv[1]) if line.strip()]
passed = sum(r in ("OK", "EXPECTEDFAIL") for r in results)
print(f"{passed} passed, {len(results) - passed} failed")
PY
fi
exit "$rc"
