#!/usr/bin/env bash
# Runs test suites under ThreadSanitizer, with GLib's synchronisation made
# visible to it by tests/tsan/glib-tsan-shim.c (see docs/threads.md):
#   tools/tsan.sh [meson test arguments]   default: the element and libs suites
#   tools/tsan.sh --self-test              shows what the shim changes
# Builds with gcc's -fsanitize=thread into build-tsan/ (INWORLD_TSAN_BUILD_DIR
# overrides), installing the packages it needs when run as root (otherwise
# it prints the apt line, like tools/setup.sh). Each test runs alone, its
# TSan logs in build-tsan/tsan-logs/<test>/; at the end, for each test, the
# number of distinct reports (by their top stack frames) and where they are.
# Exits 1 when a test failed or TSan reported anything not suppressed
# (tests/tsan/tsan.supp). Not part of CI (.ci/run).
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${INWORLD_TSAN_BUILD_DIR:-$top/build-tsan}"
logs="$build/tsan-logs"

self_test=0
if [ "${1:-}" = "--self-test" ]; then
  self_test=1
  shift
fi
# the suites docs/threads.md reports on
default_tests=(elements/stress elements/inworldttssrc elements/textinput
  elements/connections libs/protocol libs/text libs/policy libs/audio
  libs/codecs)

packages=(
  # ThreadSanitizer: gcc's, its runtime (libtsan.so.2) and link library
  gcc libgcc-12-dev libtsan2
  # build
  pkg-config meson ninja-build
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libsoup-3.0-dev libjson-glib-dev
  # what the tests run: the emulator's encoders and the decoders that
  # check them, TLS, the test certificates (see tools/setup.sh)
  glib-networking ca-certificates gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good openssl
  # reading the logs
  python3
)
source "$top/tools/packages.sh"
install_packages tsan "${packages[@]}"

# -lm: the protocol layer calls floor (); gcc at -O2 expands it inline,
# other compilers and levels call libm, which nothing else would link.
options=(-Db_sanitize=thread -Dtests=enabled -Dc_link_args=-lm)
if [ ! -f "$build/build.ninja" ]; then
  CC=gcc meson setup "$build" "$top" "${options[@]}" >&2
elif ! meson introspect --buildoptions "$build" | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
sys.exit(not (o["b_sanitize"] == "thread" and o["tests"] == "enabled"
              and "-lm" in o["c_link_args"]))'; then
  meson configure "$build" "${options[@]}" >/dev/null
fi
ninja -C "$build" -j2 >&2

shim="$build/tests/tsan/libglib-tsan-shim.so"
# gcc's runtime is a shared library that can be preloaded (clang's is
# linked statically into each program, which the plugin scanner is not)
runtime="$(readlink -f "$(gcc -print-file-name=libtsan.so)")"
supp="$top/tests/tsan/tsan.supp"

# TSan maps its shadow memory at fixed addresses; kernels with more than
# 28 bits of mmap randomisation can put libraries there ("unexpected
# memory mapping"). Running without address randomisation avoids it.
launcher=()
if [ "$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)" -gt 28 ]; then
  launcher=(setarch "$(uname -m)" -R)
fi

# tsan_env LOG_PREFIX PIDS_FILE WITH_SHIM: sets envs, the environment of
# one run
tsan_env () {
  local preload="$runtime"
  [ "$3" = 1 ] && preload="$runtime:$shim"
  # libtsan is preloaded everywhere (not only linked into our programs):
  # gst-plugin-scanner, an uninstrumented system program, loads the
  # instrumented plugin, which cannot bring the runtime in by dlopen ()
  envs=(
    LD_PRELOAD="$preload"
    TSAN_OPTIONS="log_path=$1:suppressions=$supp:history_size=7:second_deadlock_stack=1:halt_on_error=0:exitcode=0:detect_deadlocks=1${INWORLD_TSAN_OPTIONS:+:$INWORLD_TSAN_OPTIONS}"
    GLIB_TSAN_SHIM_PIDS="$2"
    # GStreamer's plugin scanner (a system program) gets the runtime only
    # because it loads our instrumented plugin: the shim turns TSan off in it
    GLIB_TSAN_SHIM_IGNORE=gst-plugin-scanner
    # GSlice would recycle memory behind TSan's back (no free, no malloc)
    G_SLICE=always-malloc
    # check's fork per test is off, as under valgrind; its time limits
    # and meson's stretch for TSan's slowdown
    CK_FORK=no CK_TIMEOUT_MULTIPLIER=5
  )
}

summarize=(python3 "$top/tests/tsan/summarize.py")

if [ "$self_test" = 1 ]; then
  out="$logs/self-test"
  rm -rf "$out"
  mkdir -p "$out"
  rc=0
  printf '%-14s %10s %10s\n' scenario "no shim" "with shim"
  for s in mutex-cond async-queue thread-pool invoke source-attach last-unref \
      once real-race; do
    counts=()
    for with in 0 1; do
      dir="$out/$s-$with"
      mkdir -p "$dir"
      tsan_env "$dir/tsan" "$dir/pids" "$with"
      env "${envs[@]}" "${launcher[@]}" "$build/tests/tsan/tsan-selftest" "$s" >"$dir/output.txt" 2>&1 || {
          echo "tsan: self-test $s failed, see $dir/output.txt" >&2
          rc=1
        }
      counts+=("$("${summarize[@]}" --count "$dir")")
    done
    printf '%-14s %10s %10s\n' "$s" "${counts[0]}" "${counts[1]}"
    # every scenario is reported without the shim; with it, only the
    # real race is
    if [ "${counts[0]}" -eq 0 ]; then
      rc=1
    elif [ "$s" = real-race ]; then
      [ "${counts[1]}" -gt 0 ] || rc=1
    elif [ "${counts[1]}" -ne 0 ]; then
      rc=1
    fi
  done
  if [ "$rc" = 0 ]; then
    echo "tsan: self-test passed: every hand-off is reported without the shim and clean with it; the real race is reported with it"
  else
    echo "tsan: self-test FAILED (expected: reports without the shim; with it, only real-race); logs in $out" >&2
  fi
  exit "$rc"
fi

if [ $# -eq 0 ]; then
  set -- "${default_tests[@]}"
fi
mapfile -t tests < <(meson test -C "$build" --no-rebuild --list "$@" 2>/dev/null \
  | sed -n 's/^gst-inworld:[^ ]* \/ //p')
if [ ${#tests[@]} -eq 0 ]; then
  echo "tsan: no test matches: $*" >&2
  exit 2
fi

# A registry written by a scanner that could not load the plugin keeps it
# out for good: start from fresh ones.
rm -f "$build"/tests/check/*.registry

rm -rf "$logs/tests"
mkdir -p "$logs/tests"
start=$(date +%s)
failed=0
for t in "${tests[@]}"; do
  dir="$logs/tests/${t//\//_}"
  mkdir -p "$dir"
  echo "tsan: $t" >&2
  t0=$(date +%s)
  tsan_env "$dir/tsan" "$dir/pids" 1
  # through meson's --wrapper, so that the test gets the preload and meson
  # (Python) does not
  wrapper="$(printf '%q ' env "${envs[@]}" "${launcher[@]}")"
  meson test -C "$build" --no-rebuild --num-processes 1 \
      --wrapper "$wrapper" --timeout-multiplier 5 --logbase "tsan-${t//\//_}" "$t" \
      >"$dir/meson.txt" 2>&1 || failed=1
  echo "$(( $(date +%s) - t0 ))" >"$dir/seconds"
  cp "$build/meson-logs/tsan-${t//\//_}.txt" "$dir/testlog.txt" 2>/dev/null || true
done
echo "tsan: ran ${#tests[@]} test programs in $(( $(date +%s) - start )) s" >&2

rc=0
"${summarize[@]}" "$logs/tests" || rc=1
[ "$failed" = 0 ] || rc=1
exit "$rc"
