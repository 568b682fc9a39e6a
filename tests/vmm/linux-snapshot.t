#!/usr/bin/env bash
# A real Linux guest through snapshot and restore (vmm/README.md,
# "Snapshots"): root on virtio-blk (a copy of rootfs.ext4), a small second
# disk it polls, virtio-net on a TAP. The guest writes and syncs a file, says
# it is ready and ticks its uptime; the host pauses it, snapshots it, stops
# vmm, writes "go" into the second disk's image and restores with the same
# options (the disks re-attached by path, a TAP by name). The restored guest
# sees "go", reads its file back, writes and syncs another, talks TCP to the
# host over the re-attached TAP, and powers off; its clock went on from the
# pause (no jump back, no big jump on) with no complaint in its log, and the
# host finds the new file's bytes in the image (debugfs).
#
# A real KVM only (hardware, or the lab host: tests/nested/snapshot.t runs it
# there): a PVM boot takes minutes.
. "$(dirname "$0")/../lib.sh"
need_linux_guest --net

scratch_dir
sock=$tmp/mon.sock
tap=snap$(($$ % 100000))
cleanup() {
	end_scratch
	ip link del "$tap" 2>/dev/null
}
trap cleanup EXIT

cp "$rootfs" "$tmp/root.ext4"
printf 'wait' | dd of="$tmp/trigger.img" bs=4096 conv=sync status=none

cat >"$tmp/guest.sh" <<'GUEST'
#!/bin/sh
say() { echo "SNAP: $*"; }
echo "written-before-$(cut -c1-8 /proc/sys/kernel/random/boot_id)" >/snap-before.txt
sync
say wrote $(cat /snap-before.txt)
say ready
# The host rewrites the second disk between snapshot and restore.
go() { echo 1 >/proc/sys/vm/drop_caches; [ "$(head -c 2 /dev/vdb)" = go ]; }
until go; do
	say tick $(cut -d' ' -f1 /proc/uptime)
	sleep 0.2
done
say restored $(cut -d' ' -f1 /proc/uptime)
say read $(cat /snap-before.txt)
echo "written-after-restore" >/snap-after.txt
sync
say synced
gw=$(ip route | sed -n 's/^default via \([0-9.]*\).*/\1/p')
i=0
while [ $i -lt 30 ]; do
	echo after-restore | timeout 5 nc "$gw" 7201 && say sent && break
	i=$((i + 1))
	sleep 0.5
done
say done
GUEST
chmod +x "$tmp/guest.sh"
image_put "$tmp/root.ext4" "$tmp/guest.sh" /snap-guest.sh

mon() { run --timeout 120 "$vmm" monitor "$sock" "$@"; }
opts=(--mem 128M --disk "$tmp/root.ext4" --disk "$tmp/trigger.img,ro" --net "tap,name=$tap"
	--monitor "unix:$sock" --stats)

timeout -k 5 600 "$vmm" --kernel "$kernel" "${opts[@]}" \
	--cmdline "root=/dev/vda rw init=/init -- /snap-guest.sh" </dev/null >"$tmp/before" 2>"$tmp/before.err" &
vmm_pid=$!
wait_line "$tmp/before" "SNAP: tick" 300 "$vmm_pid"
ok $? "the guest booted from virtio-blk and ticks"
# A short pause first, in one monitor session (a client started per command takes a
# second in the lab host): KVM keeps its own TSC offset for a TSC written back within a
# second (vmm/x86/clock.c), and the guest's watchdog (every 0.5 s, intervals up to 1 s)
# would see the pause as skew between the TSC and kvm-clock.
{ echo pause; sleep 0.2; echo resume; } | timeout 60 "$vmm" monitor "$sock" >/dev/null
sleep 1.5
mon pause
is "$out" paused "pause"
mon snapshot "$tmp/snap"
is "$out" "snapshot written to $tmp/snap" "snapshot"
mon quit
wait "$vmm_pid"
is "$?" 0 "the snapshotted vmm exits 0"
ok "$([ ! -e "/sys/class/net/$tap" ]; echo $?)" "its TAP $tap is gone"
printf 'go' | dd of="$tmp/trigger.img" conv=notrunc status=none

# The host's end of the TCP check, once the TAP exists again.
cat >"$tmp/host.py" <<'HOST'
import re, socket, sys, time
log, out = sys.argv[1], sys.argv[2]
deadline = time.time() + 300
while time.time() < deadline:
    m = re.search(r"TAP \S+, host ([0-9.]+)/24", open(log, errors="replace").read())
    if m:
        break
    time.sleep(0.2)
else:
    sys.exit("no TAP line")
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((m.group(1), 7201))
srv.listen(1)
srv.settimeout(deadline - time.time())
conn, _ = srv.accept()
open(out, "w").write(conn.makefile().readline().strip() + "\n")
conn.close()
HOST
: >"$tmp/after.err"
python3 "$tmp/host.py" "$tmp/after.err" "$tmp/from-guest" &
host_pid=$!
rm -f "$sock"
started=$(date +%s.%N)
timeout -k 5 300 "$vmm" --restore "$tmp/snap" "${opts[@]}" </dev/null >"$tmp/after" 2>"$tmp/after.err" &
vmm_pid=$!
# Host time from the restore's exec to the guest's first line after it.
ran=
wait_line "$tmp/after" '^SNAP: restored' 300 "$vmm_pid" &&
	ran=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
wait "$vmm_pid"
rc=$?
stop_pid --grace 1 "$host_pid"
before=$(grep -a '^SNAP:' "$tmp/before" | tr -d '\r')
after=$(grep -a '^SNAP:' "$tmp/after" | tr -d '\r')
is "$rc" 0 "the restored guest ran to its end and powered off"
like "$(cat "$tmp/after.err")" "restore_mode: lazy" "vmm --stats reports the restore"
like "$after" "SNAP: restored" "the restored guest saw the new bytes of its re-attached disk"
is "$(sed -n 's/^SNAP: read //p' <<<"$after")" "$(sed -n 's/^SNAP: wrote //p' <<<"$before")" \
	"the file written before the snapshot reads back after the restore"
like "$after" "SNAP: synced" "a new file written and synced after the restore"
is "$(debugfs -R "cat /snap-after.txt" "$tmp/root.ext4" 2>/dev/null)" "written-after-restore" \
	"... and its bytes are in the host's image"
last=$(sed -n 's/^SNAP: tick //p' <<<"$before" | tail -1)
first=$(sed -n 's/^SNAP: \(tick\|restored\) //p' <<<"$after" | head -1)
# The guest ran at most $ran s after the restore before it said so (and a tick's time
# before the pause): a clock that went on while vmm was stopped would add the snapshot,
# the stop and the restart.
ok "$(awk -v a="$last" -v b="$first" -v r="${ran:-0}" 'BEGIN { exit !(a != "" && b != "" && b >= a && b - a < r + 1) }'; echo $?)" \
	"the guest's uptime goes on from the pause ($last s before, $first s after, ${ran:-?} s from the restore's exec to that line)"
# The kernel's console after the restore carries only what it logged since. Its
# clocksource watchdog compares the TSC with kvm-clock: a skew between the two set back
# (vmm/x86/clock.c) marks the TSC unstable, and the lines after say by how much.
complaints='[Ll]ong readout|soft lockup|stall|backwards|hung task|watchdog: BUG|Marking clocksource'
unlike "$(grep -av '^SNAP:' "$tmp/after")" "$complaints" \
	"the guest's kernel logs no clock, watchdog or stall complaint after the restore" ||
	grep -avE "^SNAP:" "$tmp/after" | grep -aiE -A4 "$complaints" | head -8 | sed "s/^/#   /"
unlike "$(cat "$tmp/before")" "Marking clocksource" "... nor after the short pause before it" ||
	grep -aE -A3 "Marking clocksource" "$tmp/before" | head -8 | sed 's/^/#   /'
diag "ticks before: $(sed -n 's/^SNAP: tick //p' <<<"$before" | tail -4 | tr '\n' ' ')" \
	"after: $(sed -n 's/^SNAP: \(tick\|restored\) //p' <<<"$after" | head -3 | tr '\n' ' ')" \
	"clocksource: $(grep -ao 'clocksource: Switched to clocksource [a-z-]*' "$tmp/before" | tail -1)"
like "$after" "SNAP: sent" "TCP guest -> host over the re-attached TAP"
is "$(cat "$tmp/from-guest" 2>/dev/null)" "after-restore" "the host got the guest's line"
if ! grep -q '^SNAP: done' "$tmp/after"; then
	diag "console after the restore:"
	tail -n 15 "$tmp/after" | sed 's/^/#   /'
	tail -n 5 "$tmp/after.err" | sed 's/^/#   /'
fi
done_testing
