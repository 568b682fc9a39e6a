#!/usr/bin/env bash
# vmm on a real arm64 KVM (issue 15): the arm64 lab host (Debian's arm64
# kernel under qemu-system-aarch64 -M virt,virtualization=on, VHE KVM;
# tests/nested/run --arch arm64) boots once and runs every check there
# (tests/nested/arm64-checks.sh): the firmware payloads, a Linux boot from
# the initramfs, a virtio-blk root on 2 vCPUs with durable writes, and
# snapshots (the counter and a Linux shell restored; bad snapshots refused). The
# assertions run here, on what it left in a directory of the checkout and on
# the disk images. The arm64 programs and images come from
# `make ARCH=arm64 all images` (make test runs it): build-arm64/,
# guest-images/out/arm64/.
. "$(dirname "$0")/../lib.sh"
command -v qemu-system-aarch64 >/dev/null ||
	skip_all "no qemu-system-aarch64 (apt-get install qemu-system-arm): no arm64 lab host"
A64_BUILD=$(_abs "${ISOLAB_ARM64_BUILD:-build-arm64}")
A64_IMAGES=$(_abs "${ISOLAB_ARM64_IMAGES:-guest-images/out/arm64}")
for f in "$A64_BUILD/bin/vmm" "$A64_BUILD/firmware/hello.bin" "$A64_BUILD/firmware/smp.bin" \
	"$A64_BUILD/firmware/counter.bin" \
	"$A64_IMAGES/Image" "$A64_IMAGES/initramfs.cpio" "$A64_IMAGES/rootfs.ext4"; do
	[ -e "$f" ] || bail_out "$f missing: run make ARCH=arm64 all images"
done

# An x86 snapshot for the arm64 vmm to refuse, where this host can take one
# (its vmm, the x86 counter and a KVM): $work/x86-snap.
x86_snapshot() {
	local x86=$ISOLAB_BIN/vmm fw=$ISOLAB_BUILD/firmware/counter.bin sock=$work/x86.sock
	[ -x "$x86" ] && [ -f "$fw" ] && [ -c /dev/kvm ] || return 0
	timeout 60 "$x86" --firmware "$fw" --monitor "unix:$sock" --console /dev/null 2>/dev/null &
	local pid=$!
	wait_until 20 test -S "$sock" &&
		timeout 20 "$x86" monitor "$sock" pause >/dev/null &&
		timeout 20 "$x86" monitor "$sock" snapshot "$work/x86-snap" >/dev/null
	timeout 20 "$x86" monitor "$sock" quit >/dev/null 2>&1
	wait "$pid"
}

# In the checkout: L1 sees it at the same path (virtio-9p), nothing else of this host.
work=$(mktemp -d "$ISOLAB_ROOT/.nested-arm64.XXXXXX")
trap 'rm -rf "$work"' EXIT
x86_snapshot
for try in 1 2; do
	cp "$A64_IMAGES/rootfs.ext4" "$work/root.ext4"
	rm -f "$work/data.img" && truncate -s 1M "$work/data.img"
	cp "$A64_IMAGES/rootfs.ext4" "$work/snap-root.ext4"
	run tests/nested/run --arch arm64 --smp 2 --timeout "${ISOLAB_NESTED_TIMEOUT:-600}" -- \
		sh tests/nested/arm64-checks.sh "$work" "$A64_BUILD/bin/vmm" "$A64_BUILD/firmware" \
		"$A64_IMAGES" "$work/root.ext4" "$work/data.img" "$work/snap-root.ext4"
	[ "$rc" = 123 ] && [ "$try" = 1 ] || break
	diag "$err"
	diag "the arm64 lab host stopped beating (see above): one more try"
done
[ "$rc" = 77 ] && skip_all "no arm64 lab host here: $(sed -n 's/^nested: skip: //p' <<<"$err" | tail -1)"
is "$rc" 0 "the arm64 lab host ran every check (tests/nested/run --arch arm64)"
[ "$rc" = 0 ] || diag "$err"

# result NAME: its exit status, stdout and stderr as rc, out, err.
result() {
	rc=$(cat "$work/$1.rc" 2>/dev/null) out=$(cat "$work/$1.out" 2>/dev/null) err=$(cat "$work/$1.err" 2>/dev/null)
}
show_if_failed() { [ "$rc" = "$1" ] || printf '%s\n' "$out" "$err" | tail -15 | sed 's/^/#   /'; }

out=$(cat "$work/l1.out" 2>/dev/null)
like "$out" "^aarch64" "L1 is an arm64 machine"
like "$out" "dev kvm" "L1 has /dev/kvm"
like "$out" "VHE mode initialized successfully" "L1's KVM runs in VHE mode (a real arm64 KVM, nested in TCG)"

result hello
is "$rc" 42 "hello: exit=42 through the isolab exit device is vmm's exit status"
like "$out" "hello from isolab firmware" "hello: prints over the 8250 UART"
like "$out" "cmdline: exit=42 marker" "hello: --cmdline reaches the payload (x2)"
like "$out" "psci 1\.[0-9]+" "hello: KVM answers PSCI_VERSION over HVC"
like "$err" "userspace_marker_ms: [0-9]+" "hello: the marker write is recorded"
show_if_failed 42
result hello-off
is "$rc/$(grep -c 'hello from' <<<"$out")" "0/1" "hello: PSCI SYSTEM_OFF ends the VM with status 0"
result hello-reset
is "$rc/$(grep -c 'hello from' <<<"$out")" "0/1" "hello: PSCI SYSTEM_RESET ends the VM cleanly, once"
result smp
is "$rc" 0 "smp: 4 vCPUs, vmm exits 0 (PSCI SYSTEM_OFF)"
like "$out" "smp: 4 vCPUs checked in" "smp: vCPU 0 starts 3 others with PSCI CPU_ON and all check in"
is "$(tr -cd 'ABCD' <<<"${out%%smp:*}" | fold -w1 | sort | tr -d '\n')" ABCD "smp: each vCPU printed its letter once"
show_if_failed 0

result linux
is "$rc" 7 "linux: the command's exit status 7 becomes vmm's (/init, isolab-marker, exit device)"
like "$out" "Linux version 6\.1\." "linux: the arm64 kernel starts and prints on the UART"
like "$out" "isolab: userspace ready \(vm\)" "linux: /init prints the ready line"
tr -d '\r' <<<"$out" | grep -qx aarch64
ok $? "linux: uname -m prints aarch64"
like "$out" "isolab-cmd-42" "linux: the command from the kernel command line ran"
like "$err" "userspace_marker_ms: [0-9]+" "linux: the boot marker (/dev/mem write to the exit page) is recorded"
unlike "$err" "vmm: vCPU" "linux: KVM never stopped the guest"
show_if_failed 7
diag "linux: $(grep -E '^vmm: guest userspace' <<<"$err")"

result disk
is "$rc" 0 "disk: vmm exits 0 after the guest powers off"
like "$out" "cpus=2" "disk: --cpus 2: both vCPUs online (PSCI CPU_ON from Linux)"
like "$out" "written" "disk: the guest wrote to both disks"
show_if_failed 0
is "$(dd if="$work/data.img" bs=4096 skip=1 count=1 2>/dev/null | tr -d '\0')" isolab-raw-42 \
	"disk: the raw write reached the host's image at 4 KiB"
# The root's journal may still hold the new inode: replay it on the copy, then read the file.
e2fsck -fy "$work/root.ext4" >/dev/null 2>&1
is "$(debugfs -R 'cat /durable' "$work/root.ext4" 2>/dev/null)" isolab-durable-42 \
	"disk: the file written on the virtio-blk root is in the host's ext4 image"
# Snapshots: the counter goes on across snapshot -> restore; bad ones are refused in one line.
result count-before
is "$rc" 0 "snapshot: the counter paused, snapshotted (monitor snapshot DIR) and quit: vmm exits 0"
show_if_failed 0
before=$(grep -c '^count' <<<"$out")
result count-after
is "$rc" 0 "restore: vmm --restore DIR runs the counter on (2 vCPUs, one off) and quits with 0"
like "$err" "restore_mode: lazy" "restore: --stats reports the lazy restore"
diag "restore (counter): $(grep -E '^restore_(us|state_us|memory_us)' <<<"$err" | tr '\n' ' ')"
show_if_failed 0
ok "$([ "$before" -ge 5 ] && [ "$(grep -c '^count' <<<"$out")" -ge 4 ]; echo $?)" \
	"restore: the counter printed before ($before lines) and after the restore"
count_run "$work/count-before.out" "$work/count-after.out"
ok $? "restore: before + after read as one run of counts, none lost or repeated" || {
	diag "before ends: $(tail -c 40 "$work/count-before.out" | od -An -c | tr -s ' \n' ' ')"
	diag "after starts: $(head -c 40 "$work/count-after.out" | od -An -c | tr -s ' \n' ' ')"
	diag "monitor: $(tr '\n' '|' <"$work/snap-monitor.out")"
	diag "stderr: $(tr '\n' '|' <"$work/count-before.err")"
}
refused() {
	result "$1"
	is "$rc" 1 "$1: vmm --restore exits 1"
	like "$err" "^vmm: $2" "$1: says why"
	is "$(printf '%s\n' "$err" | wc -l)" 1 "$1: in one line"
	is "$out" "" "$1: no guest ran (nothing on its console)"
}
refused snap-corrupt "snapshot: corrupted: section .* fails its checksum"
refused snap-truncated "snapshot: .*truncated"
if [ -e "$work/x86-snap/state" ]; then
	refused snap-x86 "snapshot: taken on x86_64, this vmm runs arm64 guests"
else
	skip "no x86 snapshot to refuse (this host lacks its vmm, counter.bin or /dev/kvm)"
fi
result linux-before
like "$out" "snap-ready" "linux snapshot: the guest wrote its file on virtio-blk and reached its shell"
is "$rc" 0 "linux snapshot: vmm exits 0 after pause, snapshot, quit"
show_if_failed 0
result linux-after
is "$rc" 7 "linux restore: the restored shell ran what was typed after, up to 'exit 7'"
like "$out" "isolab-before-42" "linux restore: the file written before the snapshot reads back after"
like "$out" "answer-42" "linux restore: a command typed after the restore answers"
unlike "$err" "vmm: vCPU" "linux restore: KVM never stopped the restored guest"
unlike "$out" "soft lockup|stall|backwards|hung task|watchdog: BUG|Unable to handle" \
	"linux restore: the guest's kernel logs no stall, lockup or clock complaint after it"
diag "restore (linux): $(grep -E '^restore_(us|state_us|memory_us)' <<<"$err" | tr '\n' ' ')"
show_if_failed 7
e2fsck -fy "$work/snap-root.ext4" >/dev/null 2>&1
is "$(debugfs -R 'cat /snapfile2' "$work/snap-root.ext4" 2>/dev/null)" isolab-after-7 \
	"linux restore: a file written after the restore is in the host's ext4 image"

# Live migration: monitor migrate unix:PATH to vmm --incoming unix:PATH.
result mig-source
is "$rc" 0 "migrate: the source exits 0 once the target runs the guest"
like "$(cat "$work/mig-monitor.out" 2>/dev/null)" "migrated to unix:.*; the guest runs there now" \
	"migrate: the monitor says where the guest went"
like "$err" "migration_downtime_us: [0-9]+" "migrate: the source's --stats give the downtime"
show_if_failed 0
diag "migrate: $(grep -E '^migration_(downtime_us|total_ms|round0_pages)' <<<"$err" | tr '\n' ' ')"
result mig-target
is "$rc" 0 "migrate: the target runs the counter on and quits with 0"
like "$err" "migration_incoming_pages: [0-9]+" "migrate: the target's --stats count what came"
show_if_failed 0
count_run "$work/mig-source.out" "$work/mig-target.out"
ok $? "migrate: source then target console read as one run of counts"
done_testing
