#!/usr/bin/env bash
# --userns: as root (ids 0..65535 map to 100000..), and rootless (an unprivileged user).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
need_root
[ -x "$CTR" ] && [ -x "$PROBE" ] || skip_all "container or probe not built"
[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ] || skip_all "user namespaces disabled"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP" /tmp/isolab-65534' EXIT
chmod 755 "$TMP"
make_rootfs "$TMP/root"
before=$(leftovers)

# Files owned by ids outside the map cannot be copied up (EOVERFLOW): the rootfs is owned by
# the mapped range, as podman's storage does (idmapped lower layers would avoid the copy).
cp -a "$TMP/root" "$TMP/mappedroot"
chown -R 100000:100000 "$TMP/mappedroot"
run --timeout 30 "$CTR" run --rm --net none --userns "$TMP/mappedroot" -- sh -c 'id -u; cat /proc/self/uid_map; probe info; echo ok > /tmp/f && cat /tmp/f'
is "$rc" 0 "root with --userns runs"
like "$out" $'^0\n +0 +100000 +65536\n' "root inside is uid 100000 outside"
user_ns=$(printf '%s\n' "$out" | sed -n 's/^ns_user: //p')
[ -n "$user_ns" ] && [ "$user_ns" != "$(readlink /proc/self/ns/user)" ]
ok $? "own user namespace"
like "$out" '^ok$' "the writable layer works under the id map"

# Rootless: an unprivileged user, on a rootfs it owns (as podman's storage does).
cp -a "$TMP/root" "$TMP/userroot"
chown -R 65534:65534 "$TMP/userroot"
as_nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)
run --timeout 30 "${as_nobody[@]}" "$CTR" run --rm --userns "$TMP/userroot" -- sh -c 'id -u; cat /proc/self/uid_map; echo data > /etc/f; cat /etc/f; hostname; probe try open-exe'
is "$rc" 0 "rootless container runs (net none by default)"
like "$out" $'^0\n +0 +65534 +1\n' "root inside is the calling user outside"
like "$out" '^data$' "rootless writable layer"
like "$out" "open-exe: error Permission denied" "rootless: the runtime binary is out of reach"
[ ! -e "$TMP/userroot/etc/f" ]
ok $? "the rootfs is not written"
run "${as_nobody[@]}" "$CTR" run --rm "$TMP/userroot" -- true
is "$rc/$err" "125/container: needs root (or --userns for a rootless container)" "not root and no --userns"
run "${as_nobody[@]}" "$CTR" run --rm --userns --memory 10m "$TMP/userroot" -- true
like "$rc/$err" "^125/container: limits need root" "rootless limits are refused, clearly"
run "${as_nobody[@]}" "$CTR" run --rm --userns --net bridge "$TMP/userroot" -- true
like "$rc/$err" "^125/container: --net bridge needs root" "rootless bridge is refused, clearly"
is "$(ls /tmp/isolab-65534/containers 2>/dev/null)" "" "rootless state cleaned up"

is "$(leftovers)" "$before" "no cgroup, state, address, veth or mount left behind"
done_testing
