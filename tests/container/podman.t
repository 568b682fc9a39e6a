#!/usr/bin/env bash
# podman (Debian's 4.3) drives build/bin/container as its OCI runtime (--runtime), on an image
# imported from the VM's root filesystem. Root here lacks CAP_SYS_RESOURCE, so podman's
# default rlimits (nofile 1048576) fail with runc too: every run passes lower ones.
. "$(dirname "$0")/../lib.sh"
need_root
command -v podman >/dev/null || skip_all "podman not installed"
CTR=$ISOLAB_BIN/container
[ -x "$CTR" ] || skip_all "container not built"
ROOTFS=$ISOLAB_IMAGES/rootfs
[ -x "$ROOTFS/bin/sh" ] || skip_all "no $ROOTFS (make images)"
IMG=isolab-podman-t$$
NAME=isolab-podman-d$$
TMP=$(mktemp -d)
P=(podman --runtime "$CTR")
U=(--ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
cleanup() {
	"${P[@]}" rm -f "$NAME" >/dev/null 2>&1
	podman rmi -f "$IMG" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
tar -C "$ROOTFS" -c . | podman import - "$IMG" >/dev/null 2>&1 || skip_all "podman import failed"

run --timeout 60 "${P[@]}" run --rm "${U[@]}" "$IMG" sh -c 'echo hello; exit 3'
is "$rc/$out" "3/hello" "run --rm: output and exit status"

run --timeout 60 "${P[@]}" run -d --name "$NAME" "${U[@]}" "$IMG" sh -c 'echo started; exec sleep 100'
is "$rc" 0 "run -d"
id=$out
run --timeout 60 "${P[@]}" exec "$NAME" sh -c 'echo in-exec; cat /proc/1/comm'
is "$rc/$out" $'0/in-exec\nsleep' "exec sees the container's pid 1"
run --timeout 60 "${P[@]}" logs "$NAME"
is "$out" started "logs"
run --timeout 60 "${P[@]}" stop -t 1 "$NAME"
is "$rc" 0 "stop"
run --timeout 60 "${P[@]}" rm "$NAME"
is "$rc" 0 "rm"
[ -n "$id" ] && [ ! -e "/run/isolab/oci/$id" ]
ok $? "the runtime's state is gone"

mkdir "$TMP/vol" && echo vol-data >"$TMP/vol/f"
run --timeout 60 "${P[@]}" run --rm "${U[@]}" -v "$TMP/vol:/data" "$IMG" sh -c 'cat /data/f; echo w >/data/g'
is "$out" vol-data "-v: the volume is readable"
is "$(cat "$TMP/vol/g" 2>/dev/null)" w "-v: and writable"
run --timeout 60 "${P[@]}" run --rm "${U[@]}" --memory 64m "$IMG" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null'
is "$out" 67108864 "--memory 64m is the container's memory limit"
run --timeout 60 "${P[@]}" run --rm "${U[@]}" --pids-limit 20 "$IMG" sh -c 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null'
is "$out" 20 "--pids-limit 20"
run --timeout 60 "${P[@]}" run --rm "${U[@]}" -t "$IMG" sh -c 'tty; test -t 0 && echo stdin-is-a-tty'
like "$out" $'^/dev/pts/0\r?\nstdin-is-a-tty' "-t: a terminal from the container's devpts (console socket)"
done_testing
