#!/usr/bin/env bash
# Builds isolab's one root filesystem and its two packed forms.
#
#   build-rootfs.sh tree DIR INIT MARKER [PROGRAM...]
#       the directory (for the container): busybox-static and its applet
#       links, INIT as /init (and /sbin/init), MARKER as /sbin/isolab-marker,
#       each PROGRAM as /usr/bin/<its basename> (without debug info)
#   build-rootfs.sh ext4 DIR IMAGE    the same tree as an ext4 disk image
#   build-rootfs.sh cpio DIR ARCHIVE  the same tree as an uncompressed newc cpio
#
# Needs no root: without it, every step runs under fakeroot sharing one state
# file (DIR.fakeroot), so the images still hold root-owned files and the
# /dev/console and /dev/null nodes.
#
# Another architecture's rootfs (arm64 from x86): ROOTFS_BUSYBOX names its
# busybox-static and STRIP its strip. That busybox cannot run here, so its
# applet links come from this host's /bin/busybox, which must be the same
# Debian version and hold the same applet table (both are checked).
set -euo pipefail

die() {
	echo "rootfs: error: $*" >&2
	exit 1
}
usage() { die "usage: build-rootfs.sh tree DIR INIT MARKER [PROGRAM...] | ext4 DIR IMAGE | cpio DIR ARCHIVE"; }

[ $# -ge 3 ] || usage
step=$1 dir=${2%/}
state=$dir.fakeroot

# Re-run this step under fakeroot when not root; `tree` starts a new state.
if [ "$(id -u)" != 0 ] && [ -z "${FAKEROOTKEY:-}" ]; then
	command -v fakeroot >/dev/null || die "not root and fakeroot missing; run: sudo apt-get install -y fakeroot"
	if [ "$step" = tree ]; then
		exec fakeroot -s "$state" -- "$0" "$@"
	fi
	[ -f "$state" ] || die "$state missing: build the tree again"
	exec fakeroot -i "$state" -s "$state" -- "$0" "$@"
fi

# Every busybox applet as a link to /bin/busybox, except those the rootfs
# provides itself (/sbin/init is isolab's /init).
install_busybox() {
	local root=$1 busybox=${ROOTFS_BUSYBOX:-/bin/busybox} lister=/bin/busybox applet
	[ -x "$busybox" ] || die "$busybox missing; run: sudo apt-get install -y busybox-static"
	[ -x "$lister" ] || die "$lister missing; run: sudo apt-get install -y busybox-static"
	! LC_ALL=C readelf -lW "$busybox" | grep -q 'program interpreter' ||
		die "$busybox is not static; run: sudo apt-get install -y busybox-static"
	[ "$busybox" = "$lister" ] || same_applets "$lister" "$busybox" ||
		die "$busybox and $lister differ in version or applets: no applet list for $busybox"
	install -m 0755 "$busybox" "$root/bin/busybox"
	for applet in $("$lister" --list-full); do
		case $applet in bin/busybox | sbin/init | linuxrc) continue ;; esac
		mkdir -p "$root/$(dirname "$applet")"
		ln -sfn /bin/busybox "$root/$applet"
	done
}

# same_applets RUNNABLE OTHER: OTHER has RUNNABLE's version banner and its
# applet name table, the NUL-separated names `--list` prints, in that order.
same_applets() {
	python3 - "$1" "$2" <<'PY'
import re, subprocess, sys
runnable, other = sys.argv[1], open(sys.argv[2], "rb").read()
names = subprocess.run([runnable, "--list"], capture_output=True, check=True).stdout.split()
banner = re.search(rb"BusyBox v[^)]*\)", open(runnable, "rb").read())
table = b"\0" + b"\0".join(names) + b"\0"
sys.exit(0 if banner and banner.group(0) in other and table in other else 1)
PY
}

install_etc() {
	local etc=$1/etc
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$etc/passwd"
	printf '%s\n' 'root:x:0:' 'tty:x:5:' 'nogroup:x:65534:' >"$etc/group"
	echo isolab >"$etc/hostname"
	printf '%s\n' '127.0.0.1 localhost' '127.0.1.1 isolab' >"$etc/hosts"
	cat >"$etc/profile" <<'EOF'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PS1='\h:\w\$ '
EOF
	chmod 0644 "$etc"/*
}

make_tree() {
	[ $# -ge 4 ] || usage
	local init=$3 marker=$4 new=$dir.new prog
	shift 4
	[ -f "$init" ] || die "init script $init missing"
	[ -f "$marker" ] || die "marker $marker missing (make \$(FIRMWARE_MARKER) first)"
	rm -rf "$new"
	mkdir -p "$new"
	(cd "$new" && mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev dev/pts run tmp root mnt var/tmp)
	chmod 1777 "$new/tmp" "$new/var/tmp"
	chmod 0700 "$new/root"
	# The kernel opens /dev/console before /init runs, and /init's first
	# redirections need /dev/null before anything is mounted on /dev.
	mknod -m 0600 "$new/dev/console" c 5 1 || die "mknod $new/dev/console failed"
	mknod -m 0666 "$new/dev/null" c 1 3 || die "mknod $new/dev/null failed"
	install_busybox "$new"
	install_etc "$new"
	install -m 0755 "$init" "$new/init"
	ln -sfn /init "$new/sbin/init"
	install -m 0755 "$marker" "$new/sbin/isolab-marker"
	# Without debug info: a static program shrinks to a fraction, and every
	# byte of the initramfs is copied by the guest kernel while it boots.
	for prog in "$@"; do
		[ -f "$prog" ] || die "program $prog missing"
		rm -f "$new/usr/bin/$(basename "$prog")"
		"${STRIP:-strip}" --strip-debug -o "$new/usr/bin/$(basename "$prog")" "$prog" ||
			die "strip $prog failed"
		chmod 0755 "$new/usr/bin/$(basename "$prog")"
	done
	chown -R 0:0 "$new"
	rm -rf "$dir"
	mv "$new" "$dir"
}

# Room for what a lab session writes to the disk: half the tree again plus
# 16 MiB, at least 32 MiB (ext4's own metadata needs a few MiB).
make_ext4() {
	local image=$1 used_kib size_mib
	used_kib=$(du -sk "$dir" | cut -f1)
	size_mib=$(((used_kib * 3 / 2) / 1024 + 16))
	[ "$size_mib" -ge 32 ] || size_mib=32
	rm -f "$image.tmp"
	truncate -s "${size_mib}M" "$image.tmp"
	mkfs.ext4 -q -F -L isolab-root -d "$dir" "$image.tmp" ||
		die "mkfs.ext4 -d $dir failed"
	mv "$image.tmp" "$image"
}

make_cpio() {
	local archive=$1
	(cd "$dir" && find . | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) >"$archive.tmp" ||
		die "cpio of $dir failed"
	mv "$archive.tmp" "$archive"
}

case $step in
tree) make_tree "$@" ;;
ext4) make_ext4 "$3" ;;
cpio) make_cpio "$3" ;;
*) usage ;;
esac
