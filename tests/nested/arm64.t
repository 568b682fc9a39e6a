#!/usr/bin/env bash
# vmm on a real arm64 KVM (issue 15): the arm64 lab host (Debian's arm64
# kernel under qemu-system-aarch64 -M virt,virtualization=on, VHE KVM;
# tests/nested/run --arch arm64) boots once and runs every check there
# (tests/nested/arm64-checks.sh): the firmware payloads, a Linux boot from
# the initramfs, a virtio-blk root on 2 vCPUs with durable writes. The
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
	"$A64_IMAGES/Image" "$A64_IMAGES/initramfs.cpio" "$A64_IMAGES/rootfs.ext4"; do
	[ -e "$f" ] || bail_out "$f missing: run make ARCH=arm64 all images"
done

# In the checkout: L1 sees it at the same path (virtio-9p), nothing else of this host.
work=$(mktemp -d "$ISOLAB_ROOT/.nested-arm64.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$A64_IMAGES/rootfs.ext4" "$work/root.ext4"
truncate -s 1M "$work/data.img"
run tests/nested/run --arch arm64 --smp 2 --timeout "${ISOLAB_NESTED_TIMEOUT:-600}" -- \
	sh tests/nested/arm64-checks.sh "$work" "$A64_BUILD/bin/vmm" "$A64_BUILD/firmware" \
	"$A64_IMAGES" "$work/root.ext4" "$work/data.img"
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
done_testing
