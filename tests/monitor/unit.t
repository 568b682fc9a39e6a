#!/usr/bin/env bash
# The monitor's commands, parser and page walker against a fake machine
# (tests/monitor/unit.c, cmocka; sanitizer build when there is one).
. "$(dirname "$0")/../lib.sh"
bin=$ISOLAB_ASAN_BIN/../tests/monitor/unit
[ -x "$bin" ] || bin=$ISOLAB_BUILD/tests/monitor/unit
[ -x "$bin" ] || bail_out "build the unit tests first (make)"
CMOCKA_MESSAGE_OUTPUT=TAP exec "$bin" 2>/dev/null
