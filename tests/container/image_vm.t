#!/usr/bin/env bash
# The VM side of an image: `container image export-disk` of an image built on the project's
# rootfs (imported as the base image `isolab`), booted by vmm as its root disk; the guest
# sees exactly what the container sees (a file a layer added, a file a layer deleted).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
. "$(dirname "$0")/image_lib.sh"
vmm=$ISOLAB_BIN/vmm
kernel=$ISOLAB_IMAGES/vmlinux
[ -x "$vmm" ] && [ -f "$kernel" ] && [ -x "$ISOLAB_IMAGES/rootfs/init" ] || skip_all "vmm or guest images not built (make images)"
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 missing (apt-get install e2fsprogs)"
# Where KVM emulates guest kernel code (PVM) one boot takes minutes: beyond this test's budget.
if [ -d /sys/module/kvm_pvm ] && [ -z "${ISOLAB_SLOW_TESTS:-}" ]; then
	skip_all "this host's KVM is emulated (kvm_pvm): a boot takes minutes (ISOLAB_SLOW_TESTS=1 runs it)"
fi
need_kvm
image_setup

run "$CTR" image import "$ISOLAB_IMAGES/rootfs" isolab
is "$rc" 0 "the project's rootfs imported as the base image isolab"
mkdir -p "$TMP/ctx"
echo "image-token-$$" >"$TMP/ctx/token"
cat >"$TMP/ctx/check.sh" <<'SH'
#!/bin/sh
echo "VMCHECK token $(cat /etc/isolab-token)"
[ -e /etc/hostname ] && echo "VMCHECK hostname present" || echo "VMCHECK hostname gone"
SH
chmod +x "$TMP/ctx/check.sh"
printf 'FROM isolab\nCOPY token /etc/isolab-token\nCOPY check.sh /check.sh\nRUN rm /etc/hostname\n' >"$TMP/ctx/Containerfile"
run --timeout 120 "$CTR" build -t vmtest "$TMP/ctx"
is "$rc" 0 "an image built on it"
run --timeout 30 "$CTR" run --rm --net none vmtest -- /check.sh
ctr_out=$out
like "$ctr_out" "VMCHECK token image-token-$$" "the container sees the added file"
run "$CTR" image export-disk vmtest "$TMP/vm.ext4"
is "$rc" 0 "export-disk"
run --timeout 900 "$vmm" --kernel "$kernel" --mem 128M --disk "$TMP/vm.ext4" \
	--cmdline "root=/dev/vda rw init=/init -- /check.sh"
like "$out" "VMCHECK token image-token-$$" "the VM booted from the image's disk sees the added file"
like "$out" "VMCHECK hostname gone" "and not the file a layer deleted"
is "$(printf '%s\n' "$out" | grep VMCHECK | tr -d '\r')" "$(printf '%s\n' "$ctr_out" | grep VMCHECK)" "the VM and the container see the same files"
done_testing
