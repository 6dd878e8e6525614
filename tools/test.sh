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

meson test -C "$build" --print-errorlogs --num-processes 2 "${wrapper[@]}" "$@"
