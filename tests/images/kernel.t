#!/usr/bin/env bash
# The guest kernel: the .config holds every option of the fragment with the
# value asked for, the config check catches a dropped option, vmlinux has
# the PVH entry note, bzImage is a bootable x86 image with our patch in it,
# and a clean output directory is refilled from the cache.
. "$(dirname "$0")/../lib.sh"

gi=$ISOLAB_ROOT/guest-images
config=$ISOLAB_IMAGES/kernel.config
vmlinux=$ISOLAB_IMAGES/vmlinux
bzimage=$ISOLAB_IMAGES/bzImage
for f in "$config" "$vmlinux" "$bzimage"; do
	[ -e "$f" ] || skip_all "$f missing: run 'make images' first"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run "$gi/check-config.sh" "$gi/kernel.config" "$config"
is "$rc" 0 "every fragment option is in the built .config" || diag "$err"
like "$out" 'all [0-9]+ options' "check-config reports how many it checked"

# Options the project contract names, independent of the fragment's text.
for opt in CONFIG_64BIT=y CONFIG_SMP=y CONFIG_PVH=y CONFIG_KVM_GUEST=y CONFIG_PARAVIRT=y \
	CONFIG_X86_IOPL_IOPERM=y CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y CONFIG_SERIAL_8250_CONSOLE=y \
	CONFIG_VIRTIO_BLK=y CONFIG_VIRTIO_NET=y CONFIG_VIRTIO_CONSOLE=y CONFIG_HW_RANDOM_VIRTIO=y \
	CONFIG_VIRTIO_VSOCKETS=y CONFIG_EXT4_FS=y CONFIG_BLK_DEV_INITRD=y CONFIG_DEVTMPFS_MOUNT=y \
	CONFIG_TMPFS=y CONFIG_UNIX=y CONFIG_INET=y CONFIG_PACKET=y CONFIG_NAMESPACES=y \
	CONFIG_USER_NS=y CONFIG_PID_NS=y CONFIG_NET_NS=y CONFIG_CGROUPS=y CONFIG_MEMCG=y \
	CONFIG_CGROUP_PIDS=y CONFIG_CGROUP_SCHED=y; do
	grep -qx "$opt" "$config"
	ok $? "$opt"
done
for opt in CONFIG_MODULES CONFIG_CMDLINE_BOOL CONFIG_LEGACY_PTY CONFIG_VT CONFIG_INPUT \
	CONFIG_PTP_1588_CLOCK_KVM CONFIG_PCI; do
	! grep -q "^$opt=" "$config"
	ok $? "$opt is off"
done

# A dropped or changed option fails loudly, naming it.
grep -v '^CONFIG_VIRTIO_VSOCKETS=' "$config" | sed 's/^CONFIG_HZ_100=y/# CONFIG_HZ_100 is not set/' >"$tmp/config"
echo 'CONFIG_PCI=y' >>"$tmp/config"
run "$gi/check-config.sh" "$gi/kernel.config" "$tmp/config"
isnt_zero=$([ "$rc" -ne 0 ] && echo yes)
is "$isnt_zero" yes "check-config fails when options are missing"
like "$err" 'CONFIG_VIRTIO_VSOCKETS: fragment wants .y., .config has .nothing.' "it names a dropped option"
like "$err" 'CONFIG_HZ_100: fragment wants .y., .config has .# CONFIG_HZ_100 is not set.' "it names an option left unset"
like "$err" 'CONFIG_PCI: fragment wants it unset' "it names an option that should be off"

# With the source tree it also rejects options Kconfig does not know (a
# misspelt "# CONFIG_X is not set" would otherwise pass silently).
mkdir -p "$tmp/src/drivers"
printf 'config FOO\n\tbool "foo"\nmenuconfig BAR\n\tbool "bar"\n' >"$tmp/src/drivers/Kconfig"
printf 'CONFIG_FOO=y\n# CONFIG_BAR is not set\n# CONFIG_LEGACY_PTY is not set\n' >"$tmp/fragment"
printf 'CONFIG_FOO=y\n' >"$tmp/src/.config"
run "$gi/check-config.sh" "$tmp/fragment" "$tmp/src/.config" "$tmp/src"
is "$rc" 1 "check-config fails on an option Kconfig does not define"
like "$err" 'CONFIG_LEGACY_PTY: no such option' "it names the unknown option"
unlike "$err" 'CONFIG_(FOO|BAR):' "and accepts the ones that exist"

# vmlinux: a 64-bit ELF with the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, 18).
is "$(head -c 4 "$vmlinux" | od -An -c | tr -d ' ')" '177ELF' "vmlinux is ELF"
notes=$(readelf -n "$vmlinux" 2>/dev/null)
like "$notes" 'Xen[[:space:]]+0x[0-9a-f]+[[:space:]]+(Unknown note type: \(0x00000012\)|.*PHYS32)' "vmlinux carries the PVH entry note"
# bzImage: the x86 boot protocol header magic "HdrS" at 0x202.
is "$(dd if="$bzimage" bs=1 skip=514 count=4 2>/dev/null)" HdrS "bzImage has the boot protocol header"
grep -aq noint3selftest "$vmlinux"
ok $? "the kernel knows the noint3selftest parameter (patch applied)"

# The cache refills a clean output directory without compiling.
cache=$("$gi/build-kernel.sh" --cache-dir 2>/dev/null)
if [ -n "$cache" ] && [ -f "$cache/complete" ]; then
	run --timeout 120 "$gi/build-kernel.sh" "$tmp/out"
	is "$rc" 0 "build-kernel.sh into a clean directory succeeds"
	like "$out" 'kernel: cached build' "it reuses the cached build"
	cmp -s "$tmp/out/vmlinux" "$vmlinux" && cmp -s "$tmp/out/bzImage" "$bzimage"
	ok $? "the cached kernel is the one in $ISOLAB_IMAGES"
else
	skip "no kernel cache for this recipe (built without a cache directory)"
fi

done_testing
