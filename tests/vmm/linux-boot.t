#!/usr/bin/env bash
# The real thing: the guest-images kernel and initramfs boot under vmm to
# the ready line, run a command from the kernel command line, and power off
# with vmm exiting 0. Each boot checks several things at once, because a
# boot takes minutes where KVM emulates guest kernel code (well under a
# second of guest time on hardware KVM).
#
# On a real KVM (hardware, or the lab host's nested kvm_amd: tests/nested/
# runs this file there) both kernel forms boot on 1 and on 2 vCPUs (MP table,
# INIT/SIPI). On a PVM host, where each boot takes a minute, only the PVH
# vmlinux on 2 vCPUs boots: PVM is what these hosts have, so it keeps a test.
#
# Where the firmware syscall probe shows that SYSCALL from guest user mode
# does not enter the guest kernel by itself (PVM hosts), the guest-images
# kernel's pvmsyscall fix-up (which vmm enables there) carries every system
# call, so the userspace checks run on every host.
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
[ "$rc" = 3 ] && diag "this host's KVM does not deliver SYSCALL from guest user mode (PVM): the guest kernel's pvmsyscall fix-up carries system calls"

# The release the kernel reports, from the image itself (e.g. "6.1.192"): the
# bzImage header points at its version string (offset at 0x20e, from 0x200).
version_at=$(od -An -tu2 -j $((0x20e)) -N2 "$ISOLAB_IMAGES/bzImage" | tr -d ' ')
release=$(dd if="$ISOLAB_IMAGES/bzImage" bs=1 skip=$((version_at + 0x200)) count=64 2>/dev/null |
	tr '\0' '\n' | head -1 | cut -d' ' -f1)
[[ $release =~ ^[0-9]+\.[0-9]+ ]] || bail_out "no kernel version in $ISOLAB_IMAGES/bzImage's header"

# boot NAME KERNEL CPUS STATUS: one bounded boot whose command exits STATUS, then its checks.
boot() {
	local name="$1, $3 vCPU" kernel=$2 cpus=$3 status=$4
	diag "booting $name, up to ${BOOT_TIMEOUT}s where guest kernel code is emulated"
	run --timeout "$BOOT_TIMEOUT" "$VMM" --kernel "$kernel" --initrd "$INITRD" --mem 128M \
		--cpus "$cpus" --stats \
		--cmdline '-- /bin/sh -c "uname -r; echo isolab-cmd-$((6 * 7)); exit '"$status"'"'
	is "$rc" "$status" "$name: the command's exit status $status becomes vmm's (through /init and port 0xf4)"
	like "$out" "Linux version $release" "$name: the kernel starts and prints to ttyS0"
	like "$out" "Command line: .*isolab\.vm=1.* -- /bin/sh -c" "$name: vmm's parameters, then --cmdline last"
	like "$out" "found SMP MP-table" "$name: the kernel finds vmm's MP table"
	like "$out" "Run /init as init process" "$name: the kernel hands over to the initramfs's /init"
	unlike "$err" "vmm: vCPU" "$name: KVM never stopped the guest"
	like "$err" "vcpu0_exits_io: [0-9]+" "$name: --stats counts I/O exits"
	if [ "$cpus" -gt 1 ]; then
		like "$out" "smp: Brought up 1 node, $cpus CPUs" "$name: all $cpus vCPUs come up (INIT/SIPI)"
	fi
	like "$out" "isolab: userspace ready \(vm\)" "$name: /init prints the ready line"
	tr -d '\r' <<<"$out" | grep -qxF "$release"
	ok $? "$name: uname -r prints $release on a line of its own"
	like "$out" "isolab-cmd-42" "$name: the command from the kernel command line ran"
	like "$err" "userspace_marker_ms: [0-9]+" "$name: the boot marker was recorded"
	unlike "$out" "/init: .*not found" "$name: no vmm parameter leaks into /init's command"
	diag "$name: $(grep -E '^vmm: guest userspace' <<<"$err")"
	[ "$rc" = "$status" ] || printf '%s\n' "$out" "$err" | tail -15 | sed 's/^/#   /'
}

if is_pvm_host; then
	diag "PVM host: one boot here; tests/nested/linux-boot.t boots both forms on 1 and 2 vCPUs on a real KVM"
	boot "PVH vmlinux" "$ISOLAB_IMAGES/vmlinux" 2 7
else
	boot "PVH vmlinux" "$ISOLAB_IMAGES/vmlinux" 1 0
	boot "PVH vmlinux" "$ISOLAB_IMAGES/vmlinux" 2 7
	boot "bzImage" "$ISOLAB_IMAGES/bzImage" 1 3
	boot "bzImage" "$ISOLAB_IMAGES/bzImage" 2 0
fi
done_testing
