#!/usr/bin/env bash
# OCI checkpoint and restore through CRIU: a container's counter and its processes'
# PIDs survive checkpoint -> restore, in its cgroup with its limits, its namespaces and
# its volume re-bound; --leave-running leaves it running; a resource CRIU cannot dump
# fails in one line and the container keeps running. Where CRIU does not work on the
# kernel (this PVM host), tests/nested/checkpoint.t runs this in the lab host.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
need_root
[ -x "$CTR" ] && [ -x "$PROBE" ] || skip_all "container or probe not built"
command -v criu >/dev/null || skip_all "criu not installed (apt-get install criu)"
command -v python3 >/dev/null || skip_all "python3 not installed (edits config.json)"
if ! why=$(criu check 2>&1); then
	skip_all "CRIU does not work on this kernel ($(uname -r)): $(grep -m1 Error <<<"$why" | sed 's/^.*): //')"
fi
TMP=$(mktemp -d)
ROOT=$TMP/state
IDS="ckpt-a ckpt-u"
cleanup() {
	local id
	for id in $IDS; do "$CTR" --root "$ROOT" delete -f "$id" >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/b" "$TMP/vol"
"$CTR" spec --bundle "$TMP/b" >/dev/null
# Not make_rootfs: its 400 applet links take over a minute under the lab host's TCG.
mkdir -p "$TMP/b/rootfs/"{bin,usr/bin,proc,sys,dev,tmp,vol}
cp /bin/busybox "$TMP/b/rootfs/bin/"
ln -s busybox "$TMP/b/rootfs/bin/sh" && ln -s busybox "$TMP/b/rootfs/bin/sleep"
cp "$PROBE" "$TMP/b/rootfs/usr/bin/probe"

# edit 'PYTHON STATEMENTS on c': changes the bundle's config.json.
edit() {
	python3 - "$TMP/b/config.json" "$1" "$TMP/vol" <<'PY'
import json, sys
path, code, vol = sys.argv[1], sys.argv[2], sys.argv[3]
c = json.load(open(path))
exec(code)
json.dump(c, open(path, "w"))
PY
}
# A child that sleeps (its PID is checked) and a counter in the shell's memory, written
# to a tmpfs in the container and to the volume.
edit '
c["process"]["args"] = ["/bin/sh", "-c", "sleep 100000 & i=0; while :; do i=$((i+1)); echo $i >/tmp/count; echo $i >/vol/count; sleep 0.1; done"]
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"})
c["mounts"].append({"destination": "/vol", "type": "bind", "source": vol, "options": ["rbind", "rw"]})
c["linux"]["resources"] = {"memory": {"limit": 67108864}, "pids": {"limit": 32}}
'

state_pid() { "$CTR" --root "$ROOT" state "$1" 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'; }
# nspids PID: the pid namespace's view of the init and of its child, "1 2".
nspids() {
	local child
	child=$(cat "/proc/$1/task/$1/children" 2>/dev/null | awk '{print $1}')
	echo "$(awk '/^NSpid/ {print $NF}' "/proc/$1/status") $(awk '/^NSpid/ {print $NF}' "/proc/$child/status" 2>/dev/null)"
}
# count_above FILE N: the counter in FILE is past N.
count_above() { [ "$(cat "$1" 2>/dev/null || echo 0)" -gt "$2" ] 2>/dev/null; }

# The init's stdio is the caller's: a file opened for append (CRIU checks the size of
# other files) that restore's own stdio stands in for, of the same mode.
"$CTR" --root "$ROOT" run -d --bundle "$TMP/b" ckpt-a </dev/null >>"$TMP/a.out" 2>&1
is "$?" 0 "run -d: the counter container runs"
pid=$(state_pid ckpt-a)
wait_until 10 count_above "$TMP/vol/count" 3
ok $? "the counter counts (volume: $(cat "$TMP/vol/count" 2>/dev/null))"
before_ns=$(nspids "$pid")
like "$before_ns" '^1 [0-9]+$' "the init is pid 1 of its namespace, its child $before_ns"

run --timeout 120 "$CTR" --root "$ROOT" checkpoint --image-path "$TMP/img" --leave-running ckpt-a
is "$rc" 0 "checkpoint --leave-running succeeds${err:+: $err}"
like "$("$CTR" --root "$ROOT" state ckpt-a 2>&1)" '"status": *"running"' "--leave-running: still running"
n=$(cat "$TMP/vol/count")
wait_until 10 count_above "$TMP/vol/count" "$n"
ok $? "--leave-running: the original keeps counting"
rm -rf "$TMP/img"

run --timeout 120 "$CTR" --root "$ROOT" checkpoint --image-path "$TMP/img" ckpt-a
is "$rc" 0 "checkpoint succeeds${err:+: $err}"
at_dump=$(cat "$TMP/vol/count")
ok "$([ -d "/proc/$pid" ] && echo 1 || echo 0)" "the checkpointed container's init is gone"
like "$("$CTR" --root "$ROOT" state ckpt-a 2>&1)" "does not exist" "and so is the container (runc's way)"
ok "$([ -s "$TMP/img/pstree.img" ] && [ -s "$TMP/img/isolab-descriptors.json" ] && echo 0 || echo 1)" \
	"the image directory holds CRIU's images and the descriptors"
sleep 0.5
is "$(cat "$TMP/vol/count")" "$at_dump" "nothing counts while checkpointed"

timeout 120 "$CTR" --root "$ROOT" restore -d --bundle "$TMP/b" --image-path "$TMP/img" ckpt-a \
	</dev/null >>"$TMP/r.out" 2>>"$TMP/r.err"
is "$?" 0 "restore -d succeeds $(cat "$TMP/r.err")"
st=$("$CTR" --root "$ROOT" state ckpt-a 2>&1)
like "$st" '"status": *"running"' "state: running"
rpid=$(state_pid ckpt-a)
ok "$([ -n "$rpid" ] && [ -d "/proc/$rpid" ] && echo 0 || echo 1)" "state: the restored init's pid ($rpid, was $pid)"
is "$(nspids "$rpid")" "$before_ns" "the init and its child keep their PIDs in the namespace"
first=$(cat "/proc/$rpid/root/tmp/count")
ok "$([ "$first" -ge "$at_dump" ] && echo 0 || echo 1)" "the tmpfs counter resumes from $at_dump, not 1 ($first)"
wait_until 10 count_above "$TMP/vol/count" "$at_dump"
ok $? "the counter continues on the re-bound volume ($(cat "$TMP/vol/count") > $at_dump)"
cg=$(sed -n 's/^0:://p' "/proc/$rpid/cgroup")
like "$cg" "oci-ckpt-a\$" "the restored init is in the container's cgroup"
is "$(cat "/sys/fs/cgroup$cg/memory.max" 2>/dev/null)" 67108864 "with its memory limit"
is "$(cat "/sys/fs/cgroup$cg/pids.max" 2>/dev/null)" 32 "and its pids limit"
unlike "$(readlink "/proc/$rpid/ns/net")" "$(readlink /proc/self/ns/net)" "its own network namespace"
unlike "$(nsenter -t "$rpid" -n nft list tables 2>&1)" "CRIU" "without CRIU's network lock (its table is the dumped pid's)"
is "$(nsenter -t "$rpid" -u hostname 2>&1)" isolab "its uts namespace (hostname isolab)"
like "$(cat "/proc/$rpid/mountinfo")" ' /vol ' "its volume is mounted"
"$CTR" --root "$ROOT" delete -f ckpt-a
is "$?" 0 "delete -f the restored container"

# A resource CRIU cannot dump (an io_uring: CRIU's own error would be "send_fds failed"):
# the checkpoint fails in one line, the container runs on.
edit 'c["process"]["args"] = ["/usr/bin/probe", "hold-io-uring"]'
"$CTR" --root "$ROOT" run -d --bundle "$TMP/b" ckpt-u </dev/null >"$TMP/u.out" 2>&1
sleep 0.5
run --timeout 120 "$CTR" --root "$ROOT" checkpoint --image-path "$TMP/img-u" ckpt-u
ok "$([ "$rc" != 0 ] && echo 0 || echo 1)" "checkpoint of a container holding an io_uring fails (exit $rc)"
is "$(printf '%s\n' "$err" | wc -l)" 1 "in one line: $err"
like "$err" "^container: checkpoint: process 1 of the container holds an io_uring \(fd [0-9]+\), which CRIU cannot checkpoint" \
	"that names the process and the resource"
like "$("$CTR" --root "$ROOT" state ckpt-u 2>&1)" '"status": *"running"' "the container still runs"
done_testing
