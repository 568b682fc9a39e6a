#!/usr/bin/env bash
# The VM's own root filesystem (guest-images/out/rootfs) as a container: same /init, same shell.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
need_root
[ -x "$CTR" ] || skip_all "container not built"
ROOTFS=$ISOLAB_IMAGES/rootfs
[ -x "$ROOTFS/init" ] || skip_all "no $ROOTFS/init (make images)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
before=$(leftovers)

out=$(printf 'hostname\necho shell-ok\nexit 7\n' | timeout 60 "$CTR" run --rm --net none -i --hostname vm-twin "$ROOTFS" 2>&1)
rc=$?
like "$out" "isolab: userspace ready \(container\)" "the rootfs's /init announces the container"
like "$out" $'vm-twin\nshell-ok' "its default shell reads commands from stdin (-i)"
is "$rc" 7 "the shell's exit status is the container's"
unlike "$out" "cannot mount" "/init finds everything it needs mounted"

run --timeout 60 "$CTR" run --rm --net none "$ROOTFS" -- /init sh -c 'ps; uname -r'
like "$out" $'PID +USER +COMMAND\n +1 +root +container-init' "ps: the container's init is pid 1"
like "$out" "$(uname -r)" "uname -r: the host's kernel (the point of the comparison)"
is "$(leftovers)" "$before" "no cgroup, state, address, veth or mount left behind"
done_testing
