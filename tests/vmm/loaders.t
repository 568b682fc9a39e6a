#!/usr/bin/env bash
# Runs the cmocka unit tests in tests/vmm/loaders_test.c (sanitizer build when there is one).
. "$(dirname "$0")/../lib.sh"
bin=$ISOLAB_ASAN_BIN/../tests/vmm/loaders_test
[ -x "$bin" ] || bin=$ISOLAB_BUILD/tests/vmm/loaders_test
[ -x "$bin" ] || bail_out "build the unit tests first (make)"
CMOCKA_MESSAGE_OUTPUT=TAP exec "$bin" 2>/dev/null
