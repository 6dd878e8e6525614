#!/bin/sh
# `meson install` puts the plugin where GStreamer looks (README.md,
# "Install"):
#  1. this build, installed with --destdir into a temporary root: the
#     plugin lands in the plugindir this build chose, is the only file
#     installed, and gst-inspect-1.0 loads inworldttssrc from there;
#  2. fresh configurations (meson setup only, nothing is built) choose:
#     GStreamer's pluginsdir under GStreamer's prefix, libdir/gstreamer-1.0
#     under any other prefix, and -Dplugindir when it is given.
#   install.sh MESON SOURCE_DIR BUILD_DIR PLUGINDIR GST_INSPECT GST_PREFIX GST_PLUGINSDIR
set -eu

meson=$1
src=$2
build=$3
plugindir=$4
gst_inspect=$5
gst_prefix=$6
gst_pluginsdir=$7

tmp=$(mktemp -d "${TMPDIR:-/tmp}/inworld-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail () {
  echo "FAIL: $*" >&2
  exit 1
}

# 1. this build
"$meson" install -C "$build" --no-rebuild --quiet --destdir "$tmp/root" \
    >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; fail "meson install"; }
[ -f "$tmp/root$plugindir/libgstinworld.so" ] ||
  fail "no libgstinworld.so in $plugindir; installed: $(cd "$tmp/root" && find . -type f)"
others=$(cd "$tmp/root" && find . -type f ! -path ".$plugindir/libgstinworld.so")
[ -z "$others" ] || fail "installed more than the plugin: $others"
GST_REGISTRY="$tmp/registry.bin" GST_PLUGIN_SYSTEM_PATH_1_0= \
  GST_PLUGIN_PATH_1_0="$tmp/root$plugindir" GST_PLUGIN_PATH= \
  "$gst_inspect" inworldttssrc >"$tmp/inspect.log" 2>&1 ||
  { cat "$tmp/inspect.log" >&2; fail "gst-inspect-1.0 does not find the installed plugin"; }
grep -q "$tmp/root$plugindir/libgstinworld.so" "$tmp/inspect.log" ||
  fail "gst-inspect-1.0 loaded the plugin from elsewhere: $(grep -i filename "$tmp/inspect.log")"
echo "ok: installed to $plugindir, loaded by gst-inspect-1.0"

# 2. the choice of a fresh configuration: the path `meson install` would
# give the plugin
installed_dir () {
  dir=$1
  shift
  "$meson" setup "$tmp/$dir" "$src" -Dtests=disabled "$@" >"$tmp/$dir.log" 2>&1 ||
    { cat "$tmp/$dir.log" >&2; fail "meson setup $*"; }
  "$meson" introspect --installed "$tmp/$dir" | python3 -c '
import json, os, sys
paths = [p for p in json.load(sys.stdin).values()
         if os.path.basename(p) == "libgstinworld.so"]
print(os.path.dirname(paths[0]) if len(paths) == 1 else "none: %r" % paths)'
}
expect () {
  [ "$2" = "$3" ] || fail "$1: the plugin installs to $2, not $3"
  echo "ok: $1: $2"
}

expect "--prefix=$gst_prefix (GStreamer's)" \
  "$(installed_dir gst-prefix --prefix="$gst_prefix")" "$gst_pluginsdir"
expect "--prefix=$tmp/prefix --libdir=lib" \
  "$(installed_dir other-prefix --prefix="$tmp/prefix" --libdir=lib)" \
  "$tmp/prefix/lib/gstreamer-1.0"
expect "-Dplugindir=$tmp/plugins" \
  "$(installed_dir option --prefix="$gst_prefix" -Dplugindir="$tmp/plugins")" \
  "$tmp/plugins"
expect "-Dplugindir=gst-plugins (relative: under the prefix)" \
  "$(installed_dir relative --prefix="$tmp/prefix" -Dplugindir=gst-plugins)" \
  "$tmp/prefix/gst-plugins"
