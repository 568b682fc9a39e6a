#!/usr/bin/env bash
# cmocka unit tests: tests/virtio/test_devices.c (sanitizer build when present).
. "$(dirname "$0")/../lib.sh"
prog=$(dirname "$ISOLAB_ASAN_BIN")/tests/virtio/test_devices
[ -x "$prog" ] || prog=$ISOLAB_BUILD/tests/virtio/test_devices
[ -x "$prog" ] || skip_all "test_devices not built (make all)"
CMOCKA_MESSAGE_OUTPUT=TAP exec "$prog"
