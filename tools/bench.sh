#!/usr/bin/env bash
# Builds the project and runs the benchmarks against the emulator
# (docs/performance.md), then writes docs/bench/: results.json (every figure
# and sample), results.txt (the bench's own table), results.md (tables and
# targets) and results.svg (latency, CPU and memory against concurrency).
#
#   tools/bench.sh                  the full run, about 2 to 3 minutes
#   tools/bench.sh --quick          about 1 minute, fewer runs, shorter texts
#   tools/bench.sh --profile        callgrind of the element at 10 streams, PCM and MP3
#   tools/bench.sh [inworld-bench options]   e.g. --only latency --latency-runs 100
#
# INWORLD_BUILD_DIR picks the build directory (default build/), as for
# tools/test.sh; INWORLD_BENCH_OUT the output directory (default docs/bench).
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile=0
if [ "${1:-}" = "--profile" ]; then
  shift
  profile=1
  export INWORLD_SETUP_VALGRIND=1
fi

source "$top/tools/setup.sh"

bench="$build/tests/bench/inworld-bench"
out="${INWORLD_BENCH_OUT:-$top/docs/bench}"
mkdir -p "$out"

if [ "$profile" = 1 ]; then
  # instructions, not seconds: repeatable whatever else the machine does.
  # The emulator is a child process and is not traced.
  for enc in pcm mp3; do
    cg="$build/callgrind.$enc.out"
    valgrind --tool=callgrind --callgrind-out-file="$cg" "$bench" \
      --only cpu --concurrency 10 --encodings "$enc" --cpu-runs 1 \
      --no-floor --timeout 600 "$@" >/dev/null 2>&1
    echo "== $enc, 10 streams: inclusive instructions of the element's process =="
    # each function once (callgrind_annotate lists some under two file names)
    callgrind_annotate --inclusive=yes --auto=no "$cg" 2>/dev/null \
      | grep -E '^ *[0-9,]+ \( *[0-9.]+%\)' \
      | grep -E 'PROGRAM TOTALS|gst/inworld/|json_parser_load|g_utf8_validate|gst_pad_push |gst_adapter|libsoup|g_proxy_resolver|memcpy' \
      | grep -v '^ *[0-9,]+ \( *0\.[0-4][0-9]%\)' | awk '!seen[$1]++ && n++ < 40'
    echo "-- $enc: exclusive (self) instructions, top 8 --"
    callgrind_annotate --auto=no "$cg" 2>/dev/null \
      | grep -E '^ *[0-9,]+ \( *[0-9.]+%\)' | grep -v 'PROGRAM TOTALS' | awk 'NR <= 8'
    echo "   (full profile: callgrind_annotate --inclusive=yes $cg)"
  done
  exit 0
fi

# one registry for the run, so a stale plugin cache cannot be measured
export GST_REGISTRY="$build/bench.registry"
"$bench" --json "$out/results.json" "$@" | tee "$out/results.txt"
python3 "$top/tests/bench/report.py" "$out/results.json" "$out"
