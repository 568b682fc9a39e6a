#!/usr/bin/env bash
# linux.resources.devices enforced: on cgroup v1 by devices.allow/deny, on cgroup v2 by the
# BPF_PROG_TYPE_CGROUP_DEVICE program made from the rules (cgroup_v2_devices.c). The same
# cases run on every backend this host has: v1 (a hybrid host), the v2 of a hybrid host's
# unified mount, or a pure v2 host's (the lab host runs this too, tests/nested/oci-v2.t).
# The device is /dev/kmsg's 1:11, which root may open for writing: a denial is the cgroup's.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
oci_setup

backends=()
grep -q ' - cgroup .*devices' /proc/self/mountinfo && backends+=(v1)
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	[ "$(stat -fc %T "$d" 2>/dev/null)" = cgroup2fs ] && backends+=("v2:$d") && break
done
[ ${#backends[@]} -gt 0 ] || skip_all "no devices cgroup: neither a v1 devices hierarchy nor a cgroup2 mount"

# devices RULES-JSON: runs the probe script with these rules, output in $out.
devices() {
	python3 - "$TMP/b/config.json" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["capabilities"] = {k: ["CAP_MKNOD", "CAP_DAC_OVERRIDE"] for k in ["bounding", "effective", "permitted"]}
c["process"]["args"] = ["/bin/sh", "-c", "mknod /dev/k c 1 11 && echo mknod-ok || echo mknod-denied; "
    "mknod /dev/b b 7 0 2>/dev/null && echo bmknod-ok || echo bmknod-denied; "
    "[ -c /dev/k ] && { echo x 2>/dev/null >/dev/k && echo write-ok || echo write-denied; }; "
    "head -c1 /dev/zero >/dev/null && echo zero-ok"]
c["linux"]["resources"] = {"devices": json.loads(sys.argv[2])}
json.dump(c, open(sys.argv[1], "w"))
PY
	run --timeout 60 "$CTR" --root "$ROOT" run --bundle "$TMP/b" ociv2-dev
	out=$(echo $out)
}

DENY_ALL='{"allow": false, "access": "rwm"}'
MKNOD_C='{"allow": true, "type": "c", "access": "m"}'
KMSG_W='{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}'
for b in "${backends[@]}"; do
	if [ "$b" = v1 ]; then unset ISOLAB_CGROUP2_ROOT; else export ISOLAB_CGROUP2_ROOT=${b#v2:}; fi
	devices "[$DENY_ALL]"
	is "$out" "mknod-denied bmknod-denied zero-ok" "$b: deny all: no mknod, the default devices still open"
	devices "[$DENY_ALL, $MKNOD_C]"
	is "$out" "mknod-ok bmknod-denied write-denied zero-ok" "$b: mknod of char devices allowed, opening 1:11 not"
	devices "[$DENY_ALL, $MKNOD_C, $KMSG_W]"
	is "$out" "mknod-ok bmknod-denied write-ok zero-ok" "$b: c 1:11 w allowed: it opens for writing"
	devices "[$DENY_ALL, $MKNOD_C, ${KMSG_W/\"c\"/\"b\"}]"
	is "$out" "mknod-ok bmknod-denied write-denied zero-ok" "$b: a block rule does not allow the char device"
	devices '[{"allow": true, "access": "rwm"}, {"allow": false, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
	is "$out" "mknod-ok bmknod-ok write-denied zero-ok" "$b: allow all, then deny c 1:11 w: the last rule decides"
	devices '[{"allow": false, "type": "c", "major": 1, "minor": 11, "access": "w"}, {"allow": true, "access": "rwm"}]'
	is "$out" "mknod-ok bmknod-ok write-ok zero-ok" "$b: deny c 1:11, then allow all: allowed"
	devices "[$DENY_ALL, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"access\": \"rwm\"}]"
	is "$out" "mknod-ok bmknod-denied write-ok zero-ok" "$b: a rule for every minor of major 1"
done
run "$CTR" --root "$ROOT" list
unlike "$out" 'ociv2-dev' "nothing left in the state directory"
done_testing
