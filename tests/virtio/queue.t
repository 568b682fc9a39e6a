#!/usr/bin/env bash
# cmocka unit tests: tests/virtio/test_queue.c (sanitizer build when present).
. "$(dirname "$0")/../lib.sh"
prog=$(dirname "$ISOLAB_ASAN_BIN")/tests/virtio/test_queue
[ -x "$prog" ] || prog=$ISOLAB_BUILD/tests/virtio/test_queue
[ -x "$prog" ] || skip_all "test_queue not built (make all)"
CMOCKA_MESSAGE_OUTPUT=TAP exec "$prog"
