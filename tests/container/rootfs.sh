# Shared by the container tests: a tiny root filesystem (static busybox and the probe) in a
# temp dir, and checks that a test left nothing behind. Source after tests/lib.sh.
CTR=${CTR:-$ISOLAB_ASAN_BIN/container}
[ -x "$CTR" ] || CTR=$ISOLAB_BIN/container
PROBE=$ISOLAB_BUILD/tests/container/probe

# make_rootfs DIR: busybox with its applet links, the probe, and an /init like the images'.
make_rootfs() {
	local dir=$1
	mkdir -p "$dir"/{bin,sbin,usr/bin,etc,proc,sys,dev,tmp,root,mnt}
	cp /bin/busybox "$dir/bin/busybox"
	local a
	for a in $("$dir/bin/busybox" --list); do
		[ -e "$dir/bin/$a" ] || ln -s busybox "$dir/bin/$a"
	done
	cp "$PROBE" "$dir/usr/bin/probe"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
	echo 'root:x:0:' >"$dir/etc/group"
	cat >"$dir/init" <<'INIT'
#!/bin/sh
[ "$container" = isolab ] && echo "isolab: userspace ready (container)"
[ $# -gt 0 ] && exec "$@"
exec /bin/sh
INIT
	chmod 755 "$dir/init"
	chmod 1777 "$dir/tmp"
}

# Host-side traces of containers: cgroup dirs, state entries, addresses, veths, mounts of the
# state dir. Containers of other users of this host (their rootfs is not under $TMP) are left
# out, so a test can compare before and after while others run containers too.
leftovers() {
	local st name ip foreign=""
	for st in /run/isolab/containers/*/state; do
		[ -f "$st" ] || continue
		grep -q "^rootfs: ${TMP:-/nonexistent}/" "$st" && continue
		name=$(basename "$(dirname "$st")")
		ip=$(sed -n 's/^ip: //p' "$st")
		foreign="$foreign $name state:$name"
		[ -n "$ip" ] && foreign="$foreign ipam:$ip veth-isl-${ip##*.}"
	done
	{
		find /sys/fs/cgroup -mindepth 2 -type d -path '*/isolab/*' 2>/dev/null
		ls /run/isolab/containers 2>/dev/null | sed 's|^|state:|'
		ls /run/isolab/ipam 2>/dev/null | sed 's|^|ipam:|'
		ip -o link show 2>/dev/null | grep -o 'veth-isl-[0-9]*'
		grep -F /run/isolab /proc/self/mountinfo
	} | awk -v foreign="$foreign" '
		BEGIN { n = split(foreign, f, " "); for (i = 1; i <= n; i++) skip[f[i]] = 1 }
		{ base = $0; sub(".*/", "", base) }
		!(($0 in skip) || (base in skip)) { print }' | sort
}

# container_setup [--rootfs]: for a test that runs containers (skipped without root, the
# runtime or the probe): $TMP, removed at exit (a test that cleans up more sets its own
# trap after). --rootfs: make_rootfs in $TMP/root, and the host's traces in $before.
container_setup() {
	need_root
	[ -x "$CTR" ] && [ -x "$PROBE" ] || skip_all "container or probe not built"
	TMP=$(mktemp -d)
	trap 'rm -rf "$TMP"' EXIT
	if [ "${1:-}" = --rootfs ]; then
		make_rootfs "$TMP/root"
		before=$(leftovers)
	fi
}

# oci_setup: container_setup for a test of the OCI CLI that edits config.json with python3
# (skipped without): a bundle in $TMP/b (`container spec`'s config.json, make_rootfs's root)
# and a --root $ROOT of its own.
oci_setup() {
	container_setup
	command -v python3 >/dev/null || skip_all "python3 not installed (edits config.json)"
	ROOT=$TMP/state
	mkdir -p "$TMP/b"
	"$CTR" spec --bundle "$TMP/b" >/dev/null 2>&1 || skip_all "no OCI runtime CLI (container spec) in this build"
	make_rootfs "$TMP/b/rootfs"
}
