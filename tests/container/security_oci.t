#!/usr/bin/env bash
# Process security from an OCI bundle's config.json, end to end through `container run
# --bundle`: capabilities' five sets, rlimits, oomScoreAdj, noNewPrivileges, personality, a
# seccomp profile with its errnoRet; and bad fields refused before anything starts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
oci_setup
trap '"$CTR" --root "$ROOT" delete -f ocisec-bad >/dev/null 2>&1; rm -rf "$TMP"' EXIT

# edit 'PYTHON STATEMENTS on c': changes the bundle's config.json.
edit() {
	python3 - "$TMP/b/config.json" "$1" <<'PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
c = json.load(open(path))
exec(code)
json.dump(c, open(path, "w"))
PY
}

edit '
caps = ["CAP_CHOWN", "CAP_KILL"]
c["process"]["terminal"] = False
c["process"]["capabilities"] = {k: caps for k in ["bounding", "effective", "inheritable", "permitted", "ambient"]}
c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]
c["process"]["oomScoreAdj"] = 321
c["process"]["noNewPrivileges"] = True
c["process"]["args"] = ["/bin/sh", "-c", "probe info; probe try io_uring_setup; probe try mount; echo nofile $(ulimit -n):$(ulimit -Hn); echo oom $(cat /proc/self/oom_score_adj); echo machine $(uname -m)"]
c.setdefault("linux", {})["personality"] = {"domain": "LINUX32"}
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["io_uring_setup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
    {"names": ["mount", "not_a_syscall"], "action": "SCMP_ACT_ERRNO"}]}
'
run --timeout 30 "$CTR" --root "$ROOT" run --bundle "$TMP/b" ocisec-o1
is "$rc" 0 "run --bundle: the process ran"
like "$out" '^CapEff: 0000000000000021$' "effective: CAP_CHOWN CAP_KILL"
like "$out" '^CapPrm: 0000000000000021$' "permitted: the same"
like "$out" '^CapBnd: 0000000000000021$' "bounding: the same"
like "$out" '^CapAmb: 0000000000000021$' "ambient: the same"
like "$out" '^NoNewPrivs: 1$' "noNewPrivileges"
like "$out" '^Seccomp: 2$' "the profile's filter is on"
like "$out" "io_uring_setup: error Function not implemented" "a rule's errnoRet (ENOSYS)"
like "$out" "mount: error Operation not permitted" "a rule without errnoRet: EPERM"
like "$out" "nofile 123:456" "rlimits: soft and hard"
like "$out" "oom 321" "oomScoreAdj"
like "$out" "machine i686" "personality LINUX32"

# Bad fields: one line naming the field, from create, and no container left.
bad() { # bad DESCRIPTION 'EDIT' EXPECTED-ERROR-REGEX
	cp "$TMP/b/config.json" "$TMP/good.json"
	edit "$2"
	run --timeout 30 "$CTR" --root "$ROOT" create --bundle "$TMP/b" ocisec-bad
	cp "$TMP/good.json" "$TMP/b/config.json"
	ok $((rc == 0)) "$1: create fails"
	like "$err" "$3" "$1: the error names the field"
	is "$(printf '%s\n' "$err" | wc -l)" 1 "$1: one line"
	run "$CTR" --root "$ROOT" state ocisec-bad
	ok $((rc == 0)) "$1: no container left"
}
bad "unknown capability" 'c["process"]["capabilities"]["bounding"] = ["CAP_FLY"]' \
	'process\.capabilities\.bounding\[0\]: unknown capability CAP_FLY'
bad "unknown rlimit" 'c["process"]["rlimits"] = [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]' \
	'process\.rlimits\[0\]\.type: unknown rlimit type RLIMIT_FOO'
bad "seccomp name not a string" 'c["linux"]["seccomp"]["syscalls"][0]["names"] = [7]' \
	'linux\.seccomp\.syscalls\[0\]\.names\[0\] must be a string'
bad "seccomp notify" 'c["linux"]["seccomp"]["defaultAction"] = "SCMP_ACT_NOTIFY"' \
	'defaultAction cannot be SCMP_ACT_NOTIFY'
# What this runtime cannot grant is refused by create, before anything exists (as runc).
if (( (0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24) & 1 )); then
	skip "the runtime holds CAP_SYS_RESOURCE here"
	skip "the runtime holds CAP_SYS_RESOURCE here"
else
	bad "capability the runtime lacks" 'c["process"]["capabilities"] = {k: ["CAP_SYS_RESOURCE"] for k in ["bounding", "effective", "permitted"]}' \
		'cannot grant CAP_SYS_RESOURCE: the runtime does not hold it on this host'
	hard=$(ulimit -Hn)
	bad "hard rlimit above the runtime's" "c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': $((hard + 1)), 'hard': $((hard + 1))}]" \
		"cannot set RLIMIT_NOFILE to $((hard + 1)):$((hard + 1)): the hard limit is $hard and raising it needs CAP_SYS_RESOURCE"
fi
if [ -r /sys/module/apparmor/parameters/enabled ] && grep -q Y /sys/module/apparmor/parameters/enabled; then
	skip "this host has AppArmor"
else
	bad "AppArmor label" 'c["process"]["apparmorProfile"] = "docker-default"' \
		'process\.apparmorProfile: this host has no AppArmor'
fi
done_testing
