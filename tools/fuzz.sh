#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (see docs/fuzzing.md):
#   tools/fuzz.sh [seconds] [target]
# seconds: how long each target runs (default 600); target: protocol or
# audio (default: both, side by side). Builds them with clang, ASan and
# UBSan into build-fuzz-clang/ (installing clang and libclang-rt-14-dev
# when run as root, like tools/setup.sh). Each run starts from a scratch
# copy of the seed corpus: the committed corpus never grows by itself.
# Exits non-zero on a crash, leak, timeout or sanitizer report; the input
# that caused it is left in build-fuzz-clang/fuzz-artifacts/.
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${INWORLD_FUZZ_BUILD_DIR:-$top/build-fuzz-clang}"
seconds="${1:-600}"
targets=("${2:-protocol}")
if [ $# -lt 2 ]; then
  targets=(protocol audio)
fi

case "$seconds" in
  '' | *[!0-9]*) echo "fuzz: seconds must be a whole number: $seconds" >&2; exit 2 ;;
esac
for t in "${targets[@]}"; do
  case "$t" in
    protocol | audio) ;;
    *) echo "fuzz: unknown target '$t' (protocol or audio)" >&2; exit 2 ;;
  esac
done

packages=(
  # the fuzzers: clang with libFuzzer and the ASan/UBSan runtimes
  clang libclang-rt-14-dev
  # build
  pkg-config meson ninja-build
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libsoup-3.0-dev libjson-glib-dev
)

source "$top/tools/packages.sh"
install_packages fuzz "${packages[@]}"

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$top" -Dtests=enabled -Dfuzzing=enabled >&2
else
  meson configure "$build" -Dtests=enabled -Dfuzzing=enabled >/dev/null
fi
ninja -C "$build" $(printf 'tests/fuzz/fuzz-%s ' "${targets[@]}") >&2

# GLib's slice allocator would hide overflows and leaks from ASan
export G_SLICE=always-malloc G_DEBUG=gc-friendly
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

artifacts="$build/fuzz-artifacts"
logs="$build/fuzz-logs"
mkdir -p "$artifacts" "$logs"

pids=()
for t in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$t"
  rm -rf "$corpus"
  mkdir -p "$corpus"
  cp "$top/tests/fuzz/corpus/$t/"* "$corpus/"
  case "$t" in
    protocol) max_len=65536 ;;    # one WebSocket frame
    audio) max_len=16384 ;;       # a few chunks of a few flushes
  esac
  echo "fuzz: $t for ${seconds}s, log in $logs/$t.log" >&2
  "$build/tests/fuzz/fuzz-$t" "$corpus" \
    -dict="$top/tests/fuzz/$t.dict" \
    -max_len="$max_len" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2560 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$t-" >"$logs/$t.log" 2>&1 &
  pids+=($!)
done

rc=0
for i in "${!targets[@]}"; do
  t="${targets[$i]}"
  status=0
  wait "${pids[$i]}" || status=$?
  log="$logs/$t.log"
  # the last status line and libFuzzer's final figures
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
  rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")"
  if [ "$status" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$log"; then
    echo "fuzz: $t FAILED (exit $status); see $log and $artifacts/" >&2
    grep -E 'ERROR:|runtime error:|SUMMARY:|check failed|Test unit written' "$log" | head -20 >&2 || true
    rc=1
  else
    echo "fuzz: $t clean: ${execs:-?} executions, ${speed:-?} exec/s, peak RSS ${rss:-?} MB" >&2
  fi
  [ -n "$done_line" ] && echo "fuzz: $t $done_line" >&2
done
exit "$rc"
