#!/bin/sh
# Run by tests/nested/arm64.t inside the arm64 lab host (busybox sh, no
# bash, no TAP helpers): every check of one L1 boot, each leaving NAME.out,
# NAME.err and NAME.rc in OUT for the assertions on the host. Each vmm run is
# bounded, so one that hangs costs its own check and not the others.
#
#   arm64-checks.sh OUT VMM FIRMWARE_DIR IMAGES_DIR ROOT_DISK DATA_DISK
set -u
out=$1 vmm=$2 fw=$3 img=$4 root_disk=$5 data_disk=$6
limit=${ARM64_CHECK_TIMEOUT:-150}

check() {
	name=$1
	shift
	timeout "$limit" "$@" </dev/null >"$out/$name.out" 2>"$out/$name.err"
	echo $? >"$out/$name.rc"
}

# The lab host itself: an arm64 machine with a real (VHE) KVM.
{
	uname -m
	[ -c /dev/kvm ] && echo "dev kvm"
	dmesg | grep -o 'kvm \[1\]: VHE mode initialized successfully'
} >"$out/l1.out" 2>&1

# Firmware payloads (firmware/arm64/): exit device, SYSTEM_OFF, SYSTEM_RESET,
# the marker; CPU_ON for three secondaries.
check hello "$vmm" --firmware "$fw/hello.bin" --cmdline "exit=42 marker" --stats
check hello-off "$vmm" --firmware "$fw/hello.bin"
check hello-reset "$vmm" --firmware "$fw/hello.bin" --cmdline reset
check smp "$vmm" --firmware "$fw/smp.bin" --cpus 4

# Linux from the initramfs: the ready line, the architecture, a command from
# the command line and its exit status back through the exit device.
check linux "$vmm" --kernel "$img/Image" --initrd "$img/initramfs.cpio" --stats \
	--cmdline '-- /bin/sh -c "uname -m; echo isolab-cmd-$((6 * 7)); exit 7"'

# Linux on 2 vCPUs with its root on virtio-blk: a file on the ext4 root and
# raw bytes at 4 KiB into a second disk, both written through to the host.
check disk "$vmm" --kernel "$img/Image" --disk "$root_disk" --disk "$data_disk" --cpus 2 --stats \
	--cmdline 'root=/dev/vda rw -- /bin/sh -c "echo cpus=$(nproc); echo isolab-durable-42 >/durable && printf isolab-raw-42 | dd of=/dev/vdb bs=4096 seek=1 conv=fsync 2>/dev/null && sync && echo written"'
