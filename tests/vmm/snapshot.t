#!/usr/bin/env bash
# Pause, snapshot and restore (vmm/README.md, "Snapshots") with
# firmware/counter.c, which prints "count N" for N = 0, 1, 2, ...: a paused
# guest prints nothing; a guest restored from a snapshot continues the count
# where the snapshot left it, with no step lost or repeated; bad snapshots
# (truncated, corrupted, another version, other options; a memory file
# corrupted, restored eagerly) are refused with one line and a non-zero exit.
. "$(dirname "$0")/../lib.sh"
need_firmware_vm counter.bin
scratch_dir
sock=$tmp/mon.sock

mon() { run --timeout 60 "$VMM" monitor "$sock" "$@"; }

timeout 300 "$VMM" --firmware "$FW/counter.bin" --cpus 2 --monitor "unix:$sock" --console "$tmp/before" \
	2>"$tmp/stderr" &
vmm_pid=$!
wait_until 60 has_lines "$tmp/before" 3
ok $? "the counter runs"

mon pause
is "$out" "paused" "pause"
size=$(stat -c %s "$tmp/before")
sleep 0.5
is "$(stat -c %s "$tmp/before")" "$size" "a paused guest prints nothing"
mon resume
is "$out" "running" "resume"
wait_until 60 has_lines "$tmp/before" $(($(lines "$tmp/before") + 3))
ok $? "the count goes on after resume"

mon snapshot "$tmp/snap"
like "$out" "snapshot written to $tmp/snap" "snapshot DIR of a running guest"
wait_until 60 has_lines "$tmp/before" $(($(lines "$tmp/before") + 3))
ok $? "the guest runs on after a snapshot taken while it ran"

mon pause
mon snapshot "$tmp/snap"
is "$out" "snapshot written to $tmp/snap" "snapshot DIR of the paused guest"
is "$(stat -c %s "$tmp/snap/memory")" $((128 << 20)) "DIR/memory has the guest's 128 MiB"
ok "$([ "$(du -k "$tmp/snap/memory" | cut -f1)" -lt 8192 ]; echo $?)" \
	"DIR/memory leaves zero pages as holes ($(du -k "$tmp/snap/memory" | cut -f1) KiB on disk)"
mon quit
wait "$vmm_pid"
is "$?" 0 "quit: vmm exits 0"

# restore OUT OPTIONS...: restores $tmp/snap in the background, console to OUT
restore() {
	local out=$1
	shift
	rm -f "$sock"
	timeout 300 "$VMM" --restore "$tmp/snap" --cpus 2 --monitor "unix:$sock" --console "$out" \
		--stats "$@" 2>"$tmp/stderr" &
	vmm_pid=$!
}
stop() {
	mon quit
	wait "$vmm_pid"
}

restore "$tmp/lazy"
wait_until 60 has_lines "$tmp/lazy" 3
ok $? "the restored guest prints"
mon pause
mon snapshot "$tmp/snap" # a second snapshot, from a guest still mapping DIR/memory
stop
count_run "$tmp/before" "$tmp/lazy"
ok $? "before + after the restore: one run of counts, none lost or repeated"
like "$(cat "$tmp/stderr")" "restore_mode: lazy" "--stats: restore_mode lazy"
like "$(cat "$tmp/stderr")" "restore_us: [0-9]+" "--stats: restore_us"

restore "$tmp/again" --restore-eager
wait_until 60 has_lines "$tmp/again" 3
stop
count_run "$tmp/before" "$tmp/lazy" "$tmp/again"
ok $? "a snapshot of the restored guest, restored eagerly, continues the same run"
like "$(cat "$tmp/stderr")" "restore_mode: eager" "--stats: restore_mode eager"

# refused MESSAGE-REGEX DESCRIPTION OPTIONS...: restoring fails with one line and exit 1,
# and no guest ran (nothing on its console)
refused() {
	local want=$1 what=$2
	shift 2
	rm -f "$tmp/none"
	run --timeout 60 "$VMM" --cpus 2 --console "$tmp/none" "$@"
	is "$rc" 1 "$what: exit status 1"
	like "$err" "^vmm: $want" "$what: says so"
	is "$(printf '%s\n' "$err" | wc -l)" 1 "$what: in one line"
	ok "$([ ! -s "$tmp/none" ]; echo $?)" "$what: no guest ran"
}
cp -r "$tmp/snap" "$tmp/bad"
good=$tmp/snap/state bad=$tmp/bad/state
size=$(stat -c %s "$good")
head -c $((size / 2)) "$good" >"$bad"
refused "snapshot: .*truncated" "a truncated state" --restore "$tmp/bad"
cp "$good" "$bad"
printf '\xff' | dd of="$bad" bs=1 seek=$((size / 2)) conv=notrunc status=none
refused "snapshot: corrupted: section .* fails its checksum" "a corrupted state" --restore "$tmp/bad"
cp "$good" "$bad"
printf '\x07' | dd of="$bad" bs=1 seek=8 conv=notrunc status=none
refused "snapshot: format version 7, this vmm reads version 1" "another format version" \
	--restore "$tmp/bad"
head -c 4096 /dev/urandom >"$bad"
refused "snapshot: not a vmm snapshot" "a file that is no snapshot" --restore "$tmp/bad"
cp "$good" "$bad"
truncate -s 64M "$tmp/bad/memory"
refused "snapshot: the memory file has .*truncated" "a truncated memory file" --restore "$tmp/bad"
# flip FILE OFFSET: inverts one byte in place (a hole's byte becomes data)
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((${b:-0} ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# The firmware's code is at 1 MiB: the second chunk of the memory file's checksums.
cp --sparse=always "$tmp/snap/memory" "$tmp/bad/memory"
flip "$tmp/bad/memory" $(((1 << 20) + 16))
refused "snapshot: the memory file is corrupted: its bytes at 1 MiB \(chunk 1\) fail their checksum" \
	"a corrupted memory file, restored eagerly" --restore "$tmp/bad" --restore-eager
cp --sparse=always "$tmp/snap/memory" "$tmp/bad/memory"
flip "$tmp/bad/memory" $((100 << 20))
refused "snapshot: the memory file is corrupted: its bytes at 100 MiB \(chunk 100\)" \
	"a zero page of the memory file that is no longer zero" --restore "$tmp/bad" --restore-eager
refused "snapshot: taken with --mem 128M, this vmm has --mem 256M" "another --mem" \
	--restore "$tmp/snap" --mem 256M
run --timeout 60 "$VMM" --restore "$tmp/snap" --cpus 1 --console "$tmp/none"
like "$err" "^vmm: snapshot: taken with --cpus 2, this vmm has --cpus 1" "another --cpus is refused"
refused "snapshot: taken with .* devices, these options give" "an extra device" \
	--restore "$tmp/snap" --rng
refused "snapshot: cannot open $tmp/nothing/state" "a missing snapshot" --restore "$tmp/nothing"
run "$VMM" --restore "$tmp/snap" --firmware "$FW/counter.bin"
is "$rc" 2 "--restore with --firmware is bad usage"
like "$err" "no --kernel, --initrd or --firmware" "... and says why"

done_testing
