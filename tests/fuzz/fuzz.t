#!/usr/bin/env bash
# Fuzz smoke: the libFuzzer harness (tests/fuzz/fuzz_virtio.c) runs for a
# bounded time over a scratch corpus and finds no crash, leak or UB.
. "$(dirname "$0")/../lib.sh"
command -v clang >/dev/null || skip_all "clang not installed"
fuzzer=$ISOLAB_BUILD/fuzz/fuzz_virtio
[ -x "$fuzzer" ] || skip_all "fuzz harness not built (make $ISOLAB_BUILD/fuzz/fuzz_virtio)"
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
seconds=${ISOLAB_FUZZ_SECONDS:-20}

run --timeout $((seconds + 60)) "$fuzzer" -max_total_time="$seconds" -max_len=65544 \
	-timeout=10 -close_fd_mask=2 -artifact_prefix="$corpus/" "$corpus" tests/fuzz/seeds
is "$rc" 0 "fuzz_virtio ran ${seconds}s without a finding"
like "$err" "Done [0-9]+ runs" "libFuzzer finished its run"
found=$(find "$corpus" -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' | head -1)
is "$found" "" "no crash, leak or timeout artifact"
[ -n "$found" ] && diag "reproduce: $fuzzer $found"
done_testing
