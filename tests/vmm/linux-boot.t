#!/usr/bin/env bash
# The real thing: the guest-images kernel and initramfs boot under vmm to
# the ready line, run a command from the kernel command line, and power off
# with vmm exiting 0. Each boot checks several things at once, because a
# boot takes minutes where KVM emulates guest kernel code (well under a
# second of guest time on hardware KVM): the PVH vmlinux boots on 2 vCPUs
# (MP table, INIT/SIPI), the bzImage on 1 (about a minute each here with
# guest-images' LZ4 kernel).
#
# Where the firmware syscall probe shows that SYSCALL from guest user mode
# does not enter the guest kernel (PVM hosts), no Linux program can run:
# the userspace checks are skipped with that reason and the kernel-side
# checks still run.
. "$(dirname "$0")/../lib.sh"
need_kvm
VMM=$ISOLAB_BIN/vmm # the sanitizer build would only slow the guest down
INITRD=$ISOLAB_IMAGES/initramfs.cpio
for f in "$VMM" "$ISOLAB_BUILD/firmware/syscall.bin" "$ISOLAB_IMAGES/vmlinux" \
	"$ISOLAB_IMAGES/bzImage" "$INITRD"; do
	[ -e "$f" ] || bail_out "$f missing: run make and make images"
done
BOOT_TIMEOUT=${ISOLAB_BOOT_TIMEOUT:-1500}

run --timeout 60 "$VMM" --firmware "$ISOLAB_BUILD/firmware/syscall.bin"
no_syscalls=""
[ "$rc" = 3 ] && no_syscalls="this host's KVM does not enter the guest kernel on SYSCALL from guest user mode (PVM), so no Linux program can run here"
[ -n "$no_syscalls" ] && diag "$no_syscalls"

# The release the kernel reports, from the image itself (e.g. "6.1.192").
release=$(strings "$ISOLAB_IMAGES/vmlinux" | sed -n 's/^Linux version \([^ ]*\) .*/\1/p' | head -1)
[ -n "$release" ] || bail_out "no Linux version string in $ISOLAB_IMAGES/vmlinux"

# userspace_is NAME TEXT REGEX DESC: like, or a skip where userspace cannot run.
userspace_like() {
	if [ -n "$no_syscalls" ]; then skip "$1: $4 ($no_syscalls)"; else like "$2" "$3" "$1: $4"; fi
}

# boot NAME KERNEL CPUS: one bounded boot, then its checks.
boot() {
	local name=$1 kernel=$2 cpus=$3
	diag "booting $name on $cpus vCPU(s), up to ${BOOT_TIMEOUT}s where guest kernel code is emulated"
	run --timeout "$BOOT_TIMEOUT" "$VMM" --kernel "$kernel" --initrd "$INITRD" --mem 128M \
		--cpus "$cpus" --stats \
		--cmdline '-- /bin/sh -c "uname -r; echo isolab-cmd-$((6 * 7)); exit 0"'
	is "$rc" 0 "$name: the guest stops (poweroff, or reboot=k after a panic) and vmm exits 0"
	like "$out" "Linux version $release" "$name: the kernel starts and prints to ttyS0"
	like "$out" "Command line: .*isolab\.vm=1.* -- /bin/sh -c" "$name: vmm's parameters, then --cmdline last"
	like "$out" "found SMP MP-table" "$name: the kernel finds vmm's MP table"
	like "$out" "Run /init as init process" "$name: the kernel hands over to the initramfs's /init"
	unlike "$err" "vmm: vCPU" "$name: KVM never stopped the guest"
	like "$err" "vcpu0_exits_io: [0-9]+" "$name: --stats counts I/O exits"
	if [ "$cpus" -gt 1 ]; then
		like "$out" "smp: Brought up 1 node, $cpus CPUs" "$name: all $cpus vCPUs come up (INIT/SIPI)"
	fi
	userspace_like "$name" "$out" "isolab: userspace ready \(vm\)" "/init prints the ready line"
	userspace_like "$name" "$out" "(^|"$'\n'")$release"$'\r'"?("$'\n'"|$)" "uname -r prints $release"
	userspace_like "$name" "$out" "isolab-cmd-42" "the command from the kernel command line ran"
	userspace_like "$name" "$err" "userspace_marker_ms: [0-9]+" "the boot marker was recorded"
	diag "$name: $(grep -E '^vmm: guest userspace' <<<"$err")"
	[ "$rc" = 0 ] || printf '%s\n' "$out" "$err" | tail -15 | sed 's/^/#   /'
}

boot "PVH vmlinux" "$ISOLAB_IMAGES/vmlinux" 2
boot "bzImage" "$ISOLAB_IMAGES/bzImage" 1
done_testing
