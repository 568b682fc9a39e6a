#!/usr/bin/env bash
# Debian's stock kernel (the lab host's own linux-image-6.1.0-*-amd64
# vmlinuz, a bzImage) as vmm's guest with guest-images' initramfs: the
# kernel most users will try. It reaches /init, runs a command from the
# kernel command line, vmm exits 0, and its log has no WARNING: or BUG:.
# A real KVM only: a stock kernel lacks pvmsyscall and stops at its first
# program on PVM hosts (tests/nested/stock-kernel.t runs this in the lab host).
. "$(dirname "$0")/../lib.sh"
need_real_kvm
VMM=$ISOLAB_BIN/vmm
INITRD=$ISOLAB_IMAGES/initramfs.cpio
[ -x "$VMM" ] && [ -f "$INITRD" ] || skip_all "vmm or guest images not built (make, make images)"
# In the lab host the runner names the image it booted; elsewhere build (or find) it.
kernel=${ISOLAB_LABHOST_BZIMAGE:-}
if [ -z "$kernel" ]; then
	image=$(guest-images/labhost/build.sh 2>/dev/null)
	[ $? = 77 ] && skip_all "no Debian kernel package here (guest-images/labhost/build.sh)"
	kernel=$(sed -n 's/^bzimage=//p' <<<"$image")
fi
[ -f "$kernel" ] || bail_out "Debian kernel $kernel missing"

run --timeout 300 "$VMM" --kernel "$kernel" --initrd "$INITRD" --mem 256M --stats \
	--cmdline '-- /bin/sh -c "echo stock-cmd-$((6 * 7)); uname -r"'
log=$(tr -d '\r' <<<"$out")
is "$rc" 0 "vmm exits 0 after the command (through /init and port 0xf4)"
like "$log" "Linux version [^ ]+-amd64 \(debian-kernel@lists\.debian\.org\)" "Debian's kernel starts and prints to ttyS0"
like "$log" "Run /init as init process" "it hands over to the initramfs's /init"
like "$log" "isolab: userspace ready \(vm\)" "/init prints the ready line"
like "$log" "stock-cmd-42" "the command from the kernel command line ran"
like "$log" '^[0-9.]+-[0-9]+-amd64$' "uname -r prints Debian's release"
warnings=$(grep -E 'WARNING:|BUG:' <<<"$log")
is "$warnings" "" "no WARNING: or BUG: in the kernel log"
unlike "$err" "vmm: vCPU" "KVM never stopped the guest"
diag "$(grep -E '^vmm: guest userspace' <<<"$err")"
[ "$rc" = 0 ] || printf '%s\n' "$out" "$err" | tail -15 | sed 's/^/#   /'
done_testing
