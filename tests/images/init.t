#!/usr/bin/env bash
# /init as the container runs it: container=isolab, its own mount and PID
# namespaces, the rootfs as /. Checks the ready line, the mounts, that CMD's
# exit status comes back, and that mounts made by a runtime are kept.
. "$(dirname "$0")/../lib.sh"

need_root
rootfs=$ISOLAB_IMAGES/rootfs
[ -x "$rootfs/init" ] || skip_all "$rootfs missing: run 'make images' first"
unshare --mount --uts --pid --fork true 2>/dev/null || skip_all "unshare --mount --pid not permitted here"

# CMD as PID 1 of new mount, UTS and PID namespaces rooted at the rootfs;
# the mounts and the hostname vanish with them: nothing to clean up.
in_rootfs=(env -i container=isolab unshare --mount --uts --pid --fork --root="$rootfs")

run --timeout 20 "${in_rootfs[@]}" /init echo hello from the rootfs
is "$rc" 0 "/init CMD exits 0 when CMD does"
is "$(printf '%s\n' "$out" | head -1)" "isolab: userspace ready (container)" "first line is the container ready line"
like "$out" 'hello from the rootfs' "/init runs the command it is given"
is "$err" "" "nothing on stderr"

run --timeout 20 "${in_rootfs[@]}" /init sh -c 'exit 7'
is "$rc" 7 "/init sh -c 'exit 7' exits 7"

run --timeout 20 "${in_rootfs[@]}" /init false
is "$rc" 1 "/init false exits 1"

# Other runtimes set container=<their name>: still a container.
run --timeout 20 env -i container=podman unshare --mount --uts --pid --fork --root="$rootfs" /init sh -c 'exit 4'
is "$rc" 4 "container=podman: /init passes the status back too"
is "$(printf '%s\n' "$out" | head -1)" "isolab: userspace ready (container)" "and calls it a container"

run --timeout 20 "${in_rootfs[@]}" /init cat /proc/mounts
for m in "proc /proc proc" "sysfs /sys sysfs" "devpts /dev/pts devpts" "tmpfs /run tmpfs" "tmpfs /tmp tmpfs"; do
	like "$out" "^$m " "/init mounted $m"
done

run --timeout 20 "${in_rootfs[@]}" /init sh -c 'echo $PATH'
like "$out" '/usr/bin' "PATH includes /usr/bin"

# A runtime that mounted /proc and /tmp itself: /init keeps them, mounts the
# rest, and does not complain.
run --timeout 20 "${in_rootfs[@]}" /bin/sh -c \
	'mount -t proc proc /proc && mount -t tmpfs -o size=1m runtime-tmp /tmp && exec /init cat /proc/mounts'
is "$rc" 0 "/init copes with mounts a runtime already made"
is "$err" "" "no warning about those mounts"
is "$(printf '%s\n' "$out" | grep -c ' /proc proc ')" 1 "/proc is mounted once"
like "$out" 'runtime-tmp /tmp tmpfs' "the runtime's /tmp is kept"

# No command and stdin not a tty: a plain shell reading stdin.
out=$(echo 'echo from-stdin; exit 5' | env -i container=isolab timeout 20 \
	unshare --mount --uts --pid --fork --root="$rootfs" /init 2>&1)
rc=$?
is "$rc" 5 "with no command, /init runs sh on stdin and returns its status"
like "$out" 'from-stdin' "the shell read its commands from stdin"

# The script is what the images carry.
cmp -s "$ISOLAB_ROOT/guest-images/init" "$rootfs/init"
ok $? "rootfs /init is guest-images/init"

done_testing
