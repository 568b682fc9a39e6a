#!/usr/bin/env bash
# The one rootfs in its three forms (directory, ext4 image, cpio archive)
# holds the same files: same listing, types, modes, link targets and bytes.
. "$(dirname "$0")/../lib.sh"

dir=$ISOLAB_IMAGES/rootfs
ext4=$ISOLAB_IMAGES/rootfs.ext4
cpio=$ISOLAB_IMAGES/initramfs.cpio
for f in "$dir/init" "$ext4" "$cpio"; do
	[ -e "$f" ] || skip_all "$f missing: run 'make images' first"
done
command -v debugfs >/dev/null || skip_all "debugfs missing (apt-get install e2fsprogs)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Extract both images; rdump skips device nodes and cpio can only create
# them as root, so the nodes in /dev are checked separately below.
debugfs -R "rdump / $tmp" "$ext4" >/dev/null 2>"$tmp/debugfs.err"
ok $? "debugfs extracts the ext4 image"
mv "$tmp/lost+found" "$tmp/ext4-lost+found" 2>/dev/null
mkdir "$tmp/ext4" && (cd "$tmp" && find . -mindepth 1 -maxdepth 1 ! -name ext4 ! -name 'ext4-*' ! -name debugfs.err -exec mv {} ext4/ \;)
mkdir "$tmp/cpio"
(cd "$tmp/cpio" && cpio -i -d -m --quiet --no-absolute-filenames --nonmatching 'dev/console' 'dev/null' <"$cpio")
ok $? "cpio extracts the archive"

# One line per entry: type, mode, path, link target (no times, no sizes of
# directories: those depend on the filesystem).
# debugfs rdump drops the sticky bit, checked on the image itself below.
listing() {
	(cd "$1" && find . ! -path ./dev/console ! -path ./dev/null -printf '%y %m %p %l\n' | sed 's/^d 1777 /d 777 /' | LC_ALL=C sort)
}
listing "$dir" >"$tmp/dir.list"
listing "$tmp/ext4" >"$tmp/ext4.list"
listing "$tmp/cpio" >"$tmp/cpio.list"
entries=$(wc -l <"$tmp/dir.list")
[ "$entries" -gt 250 ]
ok $? "the directory holds busybox and its applets ($entries entries)"
diff -u "$tmp/dir.list" "$tmp/ext4.list" >"$tmp/d1"
ok $? "ext4 image lists the same entries as the directory" || sed 's/^/# /' "$tmp/d1" | head -20
diff -u "$tmp/dir.list" "$tmp/cpio.list" >"$tmp/d2"
ok $? "cpio archive lists the same entries as the directory" || sed 's/^/# /' "$tmp/d2" | head -20

diff -r --no-dereference --exclude=console --exclude=null "$dir" "$tmp/ext4" >"$tmp/d3" 2>&1
ok $? "every file in the ext4 image has the directory's bytes" || head -5 "$tmp/d3" | sed 's/^/# /'
diff -r --no-dereference --exclude=console --exclude=null "$dir" "$tmp/cpio" >"$tmp/d4" 2>&1
ok $? "every file in the cpio archive has the directory's bytes" || head -5 "$tmp/d4" | sed 's/^/# /'

for f in init bin/busybox sbin/isolab-marker; do
	cmp -s "$dir/$f" "$tmp/ext4/$f" && cmp -s "$dir/$f" "$tmp/cpio/$f"
	ok $? "/$f is identical in all three forms"
done
like "$(head -1 "$dir/init")" '^#!/bin/sh' "/init is a shell script"
is "$(readlink "$dir/sbin/init")" /init "/sbin/init points at /init (disk-root boots)"
is "$(readlink "$dir/bin/sh")" /bin/busybox "/bin/sh is busybox"
like "$(LC_ALL=C ldd "$dir/bin/busybox" 2>&1)" 'not a dynamic' "busybox is static"

# The kernel opens /dev/console before /init runs: every form has it.
if [ -c "$dir/dev/console" ]; then
	is "$(stat -c '%t:%T' "$dir/dev/console")" "5:1" "directory has /dev/console (5,1)"
else
	skip "directory built without root: /dev/console only exists in the images"
fi
stat_console=$(debugfs -R "stat /dev/console" "$ext4" 2>/dev/null)
like "$stat_console" 'Type: character special' "ext4 image has /dev/console as a character device"
like "$stat_console" 'major/minor number: 05:01' "ext4 /dev/console is (5,1)"
cpio_console=$(cpio -t -v --quiet <"$cpio" | grep ' dev/console$')
like "$cpio_console" '^crw------- +1 root +root +5, +1 ' "cpio has /dev/console (5,1) owned by root"
# /init redirects to /dev/null before it has mounted anything on /dev.
like "$(debugfs -R "stat /dev/null" "$ext4" 2>/dev/null)" 'major/minor number: 01:03' "ext4 image has /dev/null (1,3)"
like "$(cpio -t -v --quiet <"$cpio" | grep ' dev/null$')" '^crw-rw-rw- +1 root +root +1, +3 ' "cpio has /dev/null (1,3)"

# Everything is owned by root in both images, even when built without root.
owners=$(cpio -t -v --quiet <"$cpio" | awk '{print $3":"$4}' | sort -u)
is "$owners" "root:root" "every cpio entry is owned by root"
like "$(debugfs -R "stat /tmp" "$ext4" 2>/dev/null)" 'Mode: +01777' "ext4 /tmp is sticky and world-writable"
stat_init=$(debugfs -R "stat /init" "$ext4" 2>/dev/null)
like "$stat_init" 'User: +0 +Group: +0' "ext4 /init is owned by root"

# The cpio is uncompressed newc (the kernel then skips the inflate).
is "$(head -c 6 "$cpio")" "070701" "initramfs.cpio is uncompressed newc"

done_testing
