#!/usr/bin/env bash
# cmocka unit tests of the container runtime (options, cgroup v2 backend on a temp dir),
# from the sanitizer build when there is one.
root=$(cd "$(dirname "$0")/../.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$root/$1" ;; esac; }
asan_bin=$(abs "${ISOLAB_ASAN_BIN:-build-asan/bin}")
unit=$(dirname "$asan_bin")/tests/container/unit
[ -x "$unit" ] || unit=$(abs "${ISOLAB_BUILD:-build}")/tests/container/unit
[ -x "$unit" ] || { echo "1..0 # SKIP $unit not built"; exit 0; }
# The runtime's one-line errors go to stderr; TAP stays on stdout.
CMOCKA_MESSAGE_OUTPUT=TAP exec "$unit" 2>/dev/null
