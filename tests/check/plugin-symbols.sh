#!/bin/sh
# The plugin exports its two entry points and nothing else: no internal
# inworld_* function or variable is visible to the programs that load it.
#   plugin-symbols.sh NM PLUGIN.so
set -eu

nm=$1
plugin=$2

symbols=$("$nm" -D --defined-only "$plugin" | awk 'NF >= 3 { print $3 }' | sort)
expected=$(printf '%s\n' gst_plugin_inworld_get_desc gst_plugin_inworld_register)

if [ "$symbols" != "$expected" ]; then
  echo "FAIL: $plugin exports other symbols than its entry points:" >&2
  printf '%s\n' "$symbols" | grep -vxF "$expected" | head -20 >&2
  echo "($(printf '%s\n' "$symbols" | grep -c '^inworld_') inworld_* symbols)" >&2
  exit 1
fi
echo "ok: $plugin exports only: $(echo $symbols)"
