#!/usr/bin/env bash
# The real thing: the guest-images kernel and initramfs boot under vmm to
# the ready line, run a command from the kernel command line, and power off
# with vmm exiting with the command's status. One boot per loader (PVH
# vmlinux, bzImage), each checking several things, since a boot takes
# minutes where KVM emulates guest kernel code (well under a second of
# guest time on hardware KVM).
. "$(dirname "$0")/../lib.sh"
need_kvm
VMM=$ISOLAB_BIN/vmm # the sanitizer build would only slow the guest down
INITRD=$ISOLAB_IMAGES/initramfs.cpio
for f in "$VMM" "$ISOLAB_IMAGES/vmlinux" "$ISOLAB_IMAGES/bzImage" "$INITRD"; do
	[ -e "$f" ] || bail_out "$f missing: run make and make images"
done
BOOT_TIMEOUT=${ISOLAB_BOOT_TIMEOUT:-900}

# boot NAME KERNEL: one bounded boot, then its checks.
boot() {
	local name=$1 kernel=$2
	diag "booting $name (up to ${BOOT_TIMEOUT}s on hosts that emulate guest kernel code)"
	run --timeout "$BOOT_TIMEOUT" "$VMM" --kernel "$kernel" --initrd "$INITRD" --mem 128M \
		--stats --cmdline '-- /bin/sh -c "uname -r; echo isolab-cmd-$((6 * 7)); exit 0"'
	is "$rc" 0 "$name: the guest powers off and vmm exits 0"
	like "$out" "isolab: userspace ready \(vm\)" "$name: /init prints the ready line"
	like "$out" "$(printf '(^|\n)%s\r?(\n|$)' "$kernel_release")" "$name: uname -r prints $kernel_release"
	like "$out" "isolab-cmd-42" "$name: the command from the kernel command line ran"
	like "$out" "Command line: .*isolab\.vm=1" "$name: vmm put isolab.vm=1 on the command line"
	like "$err" "userspace_marker_ms: [0-9]+" "$name: the boot marker was recorded"
	like "$err" "vcpu0_exits_io: [0-9]+" "$name: --stats counts I/O exits"
	unlike "$err" "vmm: vCPU" "$name: no vCPU error"
	diag "$name: $(grep -E '^vmm: guest userspace' <<<"$err")"
	[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -15 | sed 's/^/#   /'
}

# The release the kernel reports, from the image itself (e.g. "6.1.192").
kernel_release=$(strings "$ISOLAB_IMAGES/vmlinux" | sed -n 's/^Linux version \([^ ]*\) .*/\1/p' | head -1)
[ -n "$kernel_release" ] || bail_out "no Linux version string in $ISOLAB_IMAGES/vmlinux"

boot "PVH vmlinux" "$ISOLAB_IMAGES/vmlinux"
boot "bzImage" "$ISOLAB_IMAGES/bzImage"
done_testing
