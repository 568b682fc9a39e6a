#!/usr/bin/env bash
# Builds the "lab host": Debian's generic kernel (linux-image-6.1.0-*-amd64,
# taken from the archive with apt-get download and unpacked into the cache,
# never installed) and a small initramfs that boots it, under QEMU TCG, on the
# host's own / shared read-only over virtio-9p. tests/nested/run boots it.
#
#   build.sh [--arch arm64]
#                       build (or find in the cache) and print, one per line:
#                       kernel=ELF bzimage=PATH initrd=PATH release=R version=V
#                       (kernel: the ELF vmlinux QEMU boots by PVH; bzimage:
#                       Debian's own vmlinuz, a stock guest kernel for vmm)
#
# --arch arm64: the arm64 lab host, linux-image-6.1.0-*-arm64 for
# qemu-system-aarch64 -M virt (kernel= is Debian's raw Image, no bzimage=),
# with busybox-static:arm64 (../arm64/busybox.sh) in its initramfs and
# init-arm64 as its first stage: host binaries cannot run there, so its root
# stays the initramfs (tests/nested/run --arch arm64 says what it mounts).
#
# Cache: ${XDG_CACHE_HOME:-~/.cache}/isolab/labhost-VERSION-MODKEY/ (arm64:
# labhost-arm64-VERSION/) holds vmlinuz, config, the modules the lab host
# loads (with their load order) and the initramfs, keyed on the init scripts
# and busybox. The newest package apt knows of is used; without apt (or
# offline) the newest cached one.
# Exit status 77: no Debian kernel can be had (nothing to skip-proof here).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/isolab
SKIP=77

say() { echo "labhost: $*" >&2; }
skip() {
	say "$*"
	exit $SKIP
}
die() {
	say "error: $*"
	exit 1
}

# What the L1 machine needs, by module name; dependencies come from
# modules.dep. virtio/9p/overlay mount the root; kvm* give /dev/kvm; vhost*
# and tun give vmm's guests vsock and TAP; bridge, veth, loop and bfq serve
# the container and its cgroup-v2 io limits; the socket diag modules,
# nf_tables and nf_conntrack_netlink (libcrc32c wants crc32c_generic, which
# nothing modprobes here) are what CRIU needs to dump sockets, lock a netns
# and dump its conntrack.
MODULES="virtio_pci 9pnet_virtio 9p overlay irqbypass ccp kvm kvm_amd vhost vhost_net
	vhost_vsock tun tap bridge veth loop bfq unix_diag inet_diag tcp_diag udp_diag
	netlink_diag af_packet_diag crc32c_generic nf_tables nf_conntrack_netlink"
# Debian's arm64 kernel has KVM built in.
MODULES_ARM64="virtio_pci 9pnet_virtio 9p overlay vhost vhost_net vhost_vsock tun tap bridge
	veth loop bfq"

arch=amd64 stage1=init busybox=/bin/busybox
case ${1:-} in
--arch)
	case ${2:-} in
	amd64 | x86 | x86_64) ;;
	arm64 | aarch64) arch=arm64 stage1=init-arm64 MODULES=$MODULES_ARM64 ;;
	*) die "--arch wants amd64 or arm64, not '${2:-}'" ;;
	esac
	;;
"") ;;
*) die "usage: build.sh [--arch amd64|arm64]" ;;
esac

# newest_package: "NAME VERSION" of the newest linux-image-6.1.0-N-$arch apt offers.
newest_package() {
	command -v apt-cache >/dev/null || return 1
	local name version
	name=$(apt-cache search --names-only "^linux-image-6\\.1\\.0-[0-9]+-$arch\$" 2>/dev/null |
		cut -d' ' -f1 | sort -V | tail -1)
	[ -n "$name" ] || return 1
	version=$(apt-cache show --no-all-versions "$name:$arch" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	[ -n "$version" ] || return 1
	echo "$name $version"
}

# module_order TREE RELEASE: the .ko paths of $MODULES and their dependencies,
# in an order insmod can load them (modules.dep lists a module's
# dependencies so that loading them from last to first works).
module_order() {
	local dep=$1/lib/modules/$2/modules.dep want line path deps d
	declare -A seen=()
	for want in $MODULES; do
		line=$(awk -v w="$want" '{ n = $1; sub(":$", "", n); sub(".*/", "", n); sub("\\.ko$", "", n);
			gsub("-", "_", n); if (n == w) { print; exit } }' "$dep")
		[ -n "$line" ] || die "module $want not in $dep"
		path=${line%%:*}
		read -ra deps <<<"${line#*:}"
		for ((d = ${#deps[@]} - 1; d >= 0; d--)); do
			[ -n "${seen[${deps[d]}]:-}" ] || { seen[${deps[d]}]=1 && echo "${deps[d]}"; }
		done
		[ -n "${seen[$path]:-}" ] || { seen[$path]=1 && echo "$path"; }
	done
}

# extract_vmlinux BZIMAGE ELF: the kernel inside Debian's xz bzImage. QEMU boots
# the ELF through its PVH note, which saves the 3-7 s TCG spends in the
# decompressor (the bzImage stays, for the stock-kernel guest tests).
extract_vmlinux() {
	python3 - "$1" "$2" <<'PY' || die "cannot extract the ELF kernel from $1"
import lzma, sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit("no xz stream in " + sys.argv[1])
elf = lzma.LZMADecompressor().decompress(data[start:])
if elf[:4] != b"\x7fELF":
    sys.exit("the xz stream in %s is not an ELF kernel" % sys.argv[1])
open(sys.argv[2], "wb").write(elf)
PY
}

# unpack NAME VERSION DIR: download the package, keep vmlinuz, config and the modules we load.
unpack() {
	local name=$1 version=$2 dest=$3 tmp release path
	tmp=$(mktemp -d "$cache_root/.labhost-dl.XXXXXX")
	trap 'rm -rf "$tmp"' RETURN
	say "downloading $name $version (apt-get download, about 70 MB)"
	(cd "$tmp" && apt-get download "$name:$arch=$version" >download.log 2>&1) ||
		{
			tail -3 "$tmp/download.log" >&2
			return 1
		}
	say "unpacking with dpkg-deb -x (not installed on this host)"
	mkdir "$tmp/x" "$tmp/out"
	dpkg-deb -x "$tmp"/*.deb "$tmp/x"
	release=$(basename "$(ls -d "$tmp"/x/lib/modules/*)")
	command -v depmod >/dev/null || PATH=$PATH:/usr/sbin:/sbin
	depmod -b "$tmp/x" "$release"
	cp "$tmp/x/boot/vmlinuz-$release" "$tmp/out/vmlinuz"
	cp "$tmp/x/boot/config-$release" "$tmp/out/config"
	mkdir "$tmp/out/modules"
	module_order "$tmp/x" "$release" >"$tmp/out/modules/order.full"
	while read -r path; do
		cp "$tmp/x/lib/modules/$release/$path" "$tmp/out/modules/"
		basename "$path"
	done <"$tmp/out/modules/order.full" >"$tmp/out/modules/order"
	rm "$tmp/out/modules/order.full"
	printf 'package=%s\nversion=%s\nrelease=%s\n' "$name" "$version" "$release" >"$tmp/out/info"
	rm -rf "$dest.new"
	mv "$tmp/out" "$dest.new"
	mv -T "$dest.new" "$dest" 2>/dev/null || rm -rf "$dest.new" # another build won the race
}

# initramfs DIR: busybox, the modules, the two init stages; keyed on their
# contents and this script's.
initramfs() {
	local dir=$1 key root out
	key=$(cat "$0" "$here/$stage1" "$here/stage2" "$busybox" "$dir/modules/order" | sha256sum | cut -c1-12)
	out=$dir/initramfs-$key.cpio
	if [ ! -f "$out" ]; then
		root=$(mktemp -d "$dir/.initramfs.XXXXXX")
		mkdir -p "$root"/{bin,dev,proc,sys,lower,rw,newroot,job,lib/modules,run/labhost,tmp}
		cp "$busybox" "$root/bin/busybox"
		ln -s busybox "$root/bin/sh"
		cp "$dir"/modules/*.ko "$dir/modules/order" "$root/lib/modules/"
		install -m 0755 "$here/$stage1" "$root/init"
		install -m 0755 "$here/stage2" "$root/stage2"
		(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$out.tmp"
		mv "$out.tmp" "$out"
		rm -rf "$root"
		# Older keys' archives (a changed init): not needed once this one exists.
		find "$dir" -maxdepth 1 -name 'initramfs-*.cpio' ! -name "$(basename "$out")" -mmin +60 -delete

	fi
	echo "$out"
}

[ "$arch" != amd64 ] || [ -x /bin/busybox ] || skip "no /bin/busybox (apt-get install busybox-static)"
mkdir -p "$cache_root" 2>/dev/null || skip "cannot create the cache directory $cache_root"
prefix=labhost-
[ "$arch" = amd64 ] || prefix=labhost-$arch-
# The cache keeps only the listed modules: another amd64 list is another directory.
suffix=
[ "$arch" != amd64 ] || suffix=-$(echo $MODULES | sha256sum | cut -c1-8)
if pkg=$(newest_package); then
	read -r name version <<<"$pkg"
	dir=$cache_root/$prefix$version$suffix
	if [ ! -f "$dir/info" ]; then
		unpack "$name" "$version" "$dir" || say "download of $name $version failed"
	fi
fi
if [ -z "${dir:-}" ] || [ ! -f "$dir/info" ]; then
	dir=$(ls -d "$cache_root/$prefix"[0-9]*"$suffix"/info 2>/dev/null | sort -V | tail -1)
	hint=
	[ "$arch" = amd64 ] || hint=" (dpkg --add-architecture $arch && apt-get update)"
	[ -n "$dir" ] || skip "no Debian kernel: apt offers no linux-image-6.1.0-*-$arch$hint and the cache has none"
	dir=$(dirname "$dir")
	say "using the cached $(basename "$dir")"
fi
release=$(sed -n 's/^release=//p' "$dir/info")
version=$(sed -n 's/^version=//p' "$dir/info")
if [ "$arch" = arm64 ]; then
	# Debian's arm64 vmlinuz is the raw Image QEMU boots as it is.
	busybox=$("$here/../arm64/busybox.sh") || skip "no busybox-static:arm64 (see above)"
	initrd=$(initramfs "$dir")
	printf 'kernel=%s\ninitrd=%s\nrelease=%s\nversion=%s\n' "$dir/vmlinuz" "$initrd" "$release" "$version"
	exit 0
fi
if [ ! -f "$dir/vmlinux" ]; then
	extract_vmlinux "$dir/vmlinuz" "$dir/vmlinux.$$"
	mv "$dir/vmlinux.$$" "$dir/vmlinux"
fi
initrd=$(initramfs "$dir")
printf 'kernel=%s\nbzimage=%s\ninitrd=%s\nrelease=%s\nversion=%s\n' \
	"$dir/vmlinux" "$dir/vmlinuz" "$initrd" "$release" "$version"
