#!/usr/bin/env bash
# The cgroup v2 backend on a real cgroup2 mount: this hybrid host's unified hierarchy (no
# controllers there, so no limits; the limits themselves are unit-tested on a fake tree).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
need_root
[ -x "$CTR" ] && [ -x "$PROBE" ] || skip_all "container or probe not built"
v2=
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	[ "$(stat -fc %T "$d" 2>/dev/null)" = cgroup2fs ] && v2=$d && break
done
[ -n "$v2" ] || skip_all "no cgroup2 mount"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; "$CTR" rm -f v2a >/dev/null 2>&1' EXIT
make_rootfs "$TMP/root"
export ISOLAB_CGROUP2_ROOT=$v2
before=$(ls "$v2/isolab" 2>/dev/null | grep -v '^cgroup\.\|\.' )

run --timeout 30 "$CTR" run --rm --net none --stats "$TMP/root" -- sh -c 'cat /proc/self/cgroup; i=0; while [ $i -lt 5000 ]; do i=$((i+1)); done'
is "$rc" 0 "container runs with the v2 backend ($v2)"
like "$err" '^cgroup: v2' "--stats names the v2 backend"
like "$out" '^0::/$' "its cgroup is the root of its cgroup namespace"
usec=$(printf '%s\n' "$err" | sed -n 's/^cpu_usec: //p')
[ "${usec:-0}" -gt 0 ]
ok $? "cpu.stat usage_usec read ($usec)"

"$CTR" run -d --net none --name v2a --stats "$TMP/root" -- sleep 100 >/dev/null 2>&1
dir=$(sed -n 's/^cgroup: //p' /run/isolab/containers/v2a/state)
like "$dir" "^$v2/isolab/v2a$" "one directory under $v2/isolab"
# -d returns once the init runs; its command follows a moment later.
wait_until 5 has_lines "$dir/cgroup.procs" 2
is "$(wc -l <"$dir/cgroup.procs" 2>/dev/null)" 2 "init and the command are in it (born there by clone3)"
run --timeout 30 "$CTR" exec v2a -- true
is "$rc" 0 "exec joins it"
"$CTR" rm -f v2a >/dev/null 2>&1
[ ! -d "$dir" ]
ok $? "removed with the container"

controllers=$(cat "$v2/cgroup.controllers")
if ! printf '%s' "$controllers" | grep -qw memory; then
	run --timeout 30 "$CTR" run --rm --net none --memory 10m "$TMP/root" -- true
	is "$rc/$err" "125/container: cgroup controller unavailable: memory (not in $v2/cgroup.controllers)" "a missing controller is named"
else
	skip "memory is available on $v2"
fi
is "$(ls "$v2/isolab" 2>/dev/null | grep -v '^cgroup\.\|\.')" "$before" "no cgroup left behind"
done_testing
