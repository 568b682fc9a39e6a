#!/usr/bin/env bash
# A Linux guest live-migrated mid-workload (vmm/migration/README.md): root
# on virtio-blk (a copy of rootfs.ext4), a writer dirtying tmpfs and the disk
# throughout, `migrate` to a `vmm --incoming` with the same options. After
# the move the guest answers a line typed on the target's console, reads the
# file it wrote before, writes and syncs a new one and powers off; the host
# finds both files in the image. The source exits 0.
#
# A real KVM only (hardware, or the lab host: tests/nested/linux-migrate.t
# runs it there): on a PVM host one boot takes minutes.
. "$(dirname "$0")/../lib.sh"
need_linux_guest

tmp=$(mktemp -d)
pids=()
cleanup() {
	exec 7>&- 8>&- 2>/dev/null
	stop_pid "${pids[@]}"
	rm -rf "$tmp"
}
trap cleanup EXIT
show_tails() {
	for f in "$@"; do
		diag "--- $f" "$(tail -n 12 "$f" 2>/dev/null | tr -d '\r')"
	done
}

cp "$rootfs" "$tmp/root.ext4"
cat >"$tmp/guest.sh" <<'GUEST'
#!/bin/sh
say() { echo "LMG: $*"; }
echo "written-before-$(cut -c1-8 /proc/sys/kernel/random/boot_id)" >/lmg-before.txt
sync
# The workload: tmpfs pages and disk blocks rewritten all along.
(i=0; while :; do
	dd if=/dev/urandom of=/tmp/churn bs=64k count=32 2>/dev/null
	dd if=/dev/urandom of=/lmg-churn bs=64k count=8 conv=fsync 2>/dev/null
	i=$((i + 1)); echo $i >/tmp/rounds
done) &
say ready
read -r line
say typed $line
say before $(cat /lmg-before.txt)
say churn-rounds $(cat /tmp/rounds)
echo "written-after-$line" >/lmg-after.txt
sync
say done
GUEST
chmod +x "$tmp/guest.sh"
image_put "$tmp/root.ext4" "$tmp/guest.sh" /lmg-guest.sh

mkfifo "$tmp/src.in" "$tmp/dst.in"
opts=(--kernel "$kernel" --mem 128M --disk "$tmp/root.ext4" --rng
	--cmdline "root=/dev/vda rw init=/init -- /lmg-guest.sh")
# Each console's input is a FIFO held open: the guest's read waits, it never sees EOF.
timeout -k 5 900 "$vmm" "${opts[@]}" --monitor "unix:$tmp/src.sock" <"$tmp/src.in" \
	>"$tmp/src.out" 2>"$tmp/src.err" &
pids+=($!)
src_pid=$!
exec 7>"$tmp/src.in"
timeout -k 5 900 "$vmm" "${opts[@]}" --incoming "unix:$tmp/in.sock" --stats <"$tmp/dst.in" \
	>"$tmp/dst.out" 2>"$tmp/dst.err" &
pids+=($!)
dst_pid=$!
exec 8>"$tmp/dst.in"

if ! wait_line "$tmp/src.out" "LMG: ready" 600 "$src_pid"; then
	show_tails "$tmp/src.out" "$tmp/src.err" "$tmp/dst.err"
	bail_out "the source guest did not boot to its script"
fi
ok 0 "the guest boots from virtio-blk and starts its workload"
sleep 2 # mid-workload
run --timeout 600 "$vmm" monitor "$tmp/src.sock" migrate "unix:$tmp/in.sock"
is "$rc" 0 "migrate answers without an error" || {
	diag "$out"
	show_tails "$tmp/src.err" "$tmp/dst.err"
	bail_out "the migration failed"
}
like "$out" "migration_downtime_us: [0-9]+" "with the downtime"
diag "$(printf '%s\n' "$out" | grep -E 'total_ms|downtime|rounds|round0_pages|final_pages|bytes_sent' | tr '\n' ' ')"
wait "$src_pid"
is "$?" 0 "the source exits 0"
echo moved >&8
wait_line "$tmp/dst.out" "LMG: done" 600 "$dst_pid"
ok $? "the guest answers on the target and finishes its script" || show_tails "$tmp/dst.out" "$tmp/dst.err"
wait "$dst_pid"
is "$?" 0 "the target's guest powers off cleanly"
lmg=$(cat "$tmp/src.out" "$tmp/dst.out" | grep -a '^LMG:' | tr -d '\r')
like "$lmg" "LMG: typed moved" "the target's console input reaches the guest"
before=$(debugfs -R "cat /lmg-before.txt" "$tmp/root.ext4" 2>/dev/null)
like "$lmg" "LMG: before $before" "the file written before the move reads back after it"
like "$lmg" "LMG: churn-rounds [0-9]+" "the workload ran through the move"
is "$(debugfs -R "cat /lmg-after.txt" "$tmp/root.ext4" 2>/dev/null)" "written-after-moved" \
	"the write after the move lands in the host image"
like "$(cat "$tmp/dst.err")" "migration_incoming_pages: [0-9]+" "the target's --stats counts the pages"
dst_log=$(tr -d '\r' <"$tmp/dst.out")
unlike "$dst_log" "BUG|Oops|WARNING|soft lockup" "the guest kernel complains of nothing after the move" ||
	grep -aE -A3 "BUG|Oops|WARNING|soft lockup" <<<"$dst_log" | head -8 | sed 's/^/#   /'
# The TSC marked unstable: kvm-clock ran 1-6 ms per 0.5 s ahead of it around the
# move in about one run in four in the nested lab host (TCG), with the binaries of
# before this session's changes too; the cause is not found (vmm/x86/clock.c), so
# it is shown, not failed. The guest then runs on kvm-clock.
if grep -aq "Marking clocksource" <<<"$dst_log"; then
	diag "the guest marked its TSC unstable after the move:"
	grep -a -A2 "Marking clocksource" <<<"$dst_log" | head -3 | sed 's/^/  /' | while IFS= read -r l; do diag "$l"; done
fi
done_testing
