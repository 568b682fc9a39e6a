#!/usr/bin/env bash
# container checkpoint NAME DIR / restore DIR refuse bad input in one line with a
# non-zero exit and leave the containers as they were: an unknown name, a container
# run without -d, a resource CRIU cannot dump, a DIR that exists; a missing, foreign,
# corrupt, other-version or incomplete checkpoint, a name or an address in use. None of it needs
# CRIU to work (this host's kernel makes it fail: then that failure is checked too).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
need_root
[ -x "$CTR" ] && [ -x "$PROBE" ] || skip_all "container or probe not built"
scratch_dir
NAMES="ckclibad-d ckclibad-fg ckclibad-u ckclibad-new ckclibad-br"
trap 'for n in $NAMES; do "$CTR" rm -f $n >/dev/null 2>&1; done; end_scratch' EXIT
mkdir -p "$tmp/r/"{bin,usr/bin,proc,sys,dev,tmp} "$tmp/empty"
cp /bin/busybox "$tmp/r/bin/" && ln -s busybox "$tmp/r/bin/sh" && ln -s busybox "$tmp/r/bin/sleep"
cp "$PROBE" "$tmp/r/usr/bin/probe"

# bad DESCRIPTION EXPECTED-REGEX ARGS...: fails, one line on stderr matching, no stdout.
bad() {
	local what=$1 want=$2
	shift 2
	run --timeout 60 "$CTR" "$@"
	ok "$([ "$rc" != 0 ] && [ -z "$out" ] && echo 0 || echo 1)" "$what: non-zero exit ($rc)"
	is "$(printf '%s\n' "$err" | wc -l)" 1 "$what: one line"
	like "$err" "$want" "$what: says why"
}
running() { like "$("$CTR" ps)" "$1 +running " "$1 still runs"; }

"$CTR" run -d --name ckclibad-d --net none "$tmp/r" -- sleep 100000 >/dev/null
"$CTR" run --name ckclibad-fg --net none "$tmp/r" -- sleep 100000 >/dev/null 2>&1 &
"$CTR" run -d --privileged --name ckclibad-u --net none "$tmp/r" -- /usr/bin/probe hold-io-uring >/dev/null 2>&1
wait_until 10 has_line /run/isolab/containers/ckclibad-u/log "hold-io-uring: fd"
wait_until 10 has_line /run/isolab/containers/ckclibad-fg/state "pid: [1-9]"

bad "checkpoint without DIR" "usage: container checkpoint" checkpoint
bad "checkpoint of an unknown container" "no such container: ckclibad-nosuch" \
	checkpoint ckclibad-nosuch "$tmp/ck"
bad "checkpoint with an unknown option" "checkpoint: unknown option '--bogus'" \
	checkpoint --bogus ckclibad-d "$tmp/ck"
bad "checkpoint of a container run without -d" "ckclibad-fg has no -d: .*not supported" \
	checkpoint ckclibad-fg "$tmp/ck"
running ckclibad-fg
bad "checkpoint into a directory that exists" "$tmp/empty exists; give a directory that does not" \
	checkpoint ckclibad-d "$tmp/empty"
bad "checkpoint of a container holding an io_uring" \
	"process 2 of the container holds an io_uring \(fd [0-9]+\), which CRIU cannot checkpoint" \
	checkpoint ckclibad-u "$tmp/ck"
running ckclibad-u
ok "$([ ! -e "$tmp/ck" ] && echo 0 || echo 1)" "no checkpoint directory was left"
if ! criu check >/dev/null 2>&1; then
	bad "checkpoint where CRIU fails on the kernel" "^container: checkpoint: CRIU: .*log: /run/isolab/containers/ckclibad-d/checkpoint-work/dump.log" \
		checkpoint ckclibad-d "$tmp/ck"
	running ckclibad-d
	ok "$([ ! -e "$tmp/ck" ] && echo 0 || echo 1)" "and its directory is gone"
fi

bad "restore from a missing directory" "checkpoint directory $tmp/nope: No such file" restore "$tmp/nope"
bad "restore from a file" "$tmp/r/bin/busybox is not a directory" restore "$tmp/r/bin/busybox"
bad "restore from a directory that is no checkpoint" "$tmp/empty is no checkpoint of container checkpoint" \
	restore "$tmp/empty"
# A checkpoint made by hand from a running container's run.json, CRIU's images faked.
fake() {
	mkdir -p "$tmp/$1/criu" && : >"$tmp/$1/criu/inventory.img" && : >"$tmp/$1/upper.tar"
	echo '{"stdio": [null, null, null]}' >"$tmp/$1/criu/isolab-descriptors.json"
	printf '{"format": "isolab-container-checkpoint", "version": %s, "name": "ckclibad-d", "ip": "", "run": %s}' \
		"$2" "$3" >"$tmp/$1/checkpoint.json"
}
fake ck-corrupt 1 '{"rootfs": 5'
bad "restore of a corrupt checkpoint.json" "ck-corrupt is no checkpoint" restore "$tmp/ck-corrupt"
fake ck-v2 2 "$(cat /run/isolab/containers/ckclibad-d/run.json)"
bad "restore of another version's checkpoint" "is a version 2 checkpoint; this container reads version 1" \
	restore "$tmp/ck-v2"
fake ck-badrun 1 '{"rootfs": 5, "argv": ["sleep"]}'
bad "restore of a checkpoint whose options are wrong" "rootfs" restore "$tmp/ck-badrun"
fake ck 1 "$(cat /run/isolab/containers/ckclibad-d/run.json)"
rm "$tmp/ck/criu/inventory.img"
bad "restore of a checkpoint without CRIU's images" "$tmp/ck is incomplete: .*inventory.img" restore "$tmp/ck"
: >"$tmp/ck/criu/inventory.img"
bad "restore under a name in use" "name already in use: ckclibad-d" restore "$tmp/ck"
running ckclibad-d
bad "restore with a bad --name" "bad container name 'a/b'" restore --name a/b "$tmp/ck"
# The address of a container that runs (a copy after --leave-running) is not taken over.
"$CTR" run -d --name ckclibad-br "$tmp/r" -- sleep 100000 >/dev/null
ip=$(sed -n 's/^ip: //p' /run/isolab/containers/ckclibad-br/state)
fake ck-ip 1 "$(cat /run/isolab/containers/ckclibad-br/run.json)"
sed -i "s/\"ip\": \"\"/\"ip\": \"$ip\"/" "$tmp/ck-ip/checkpoint.json"
bad "restore at an address in use" "^container: address $ip is in use by ckclibad-br\$" \
	restore --name ckclibad-new "$tmp/ck-ip"
running ckclibad-br
bad "restore of a checkpoint whose upper layer is no tar" "layer: " restore --name ckclibad-new "$tmp/ck"
rm "$tmp/ck/upper.tar"
bad "restore of a checkpoint without its upper layer" "$tmp/ck is incomplete: .*upper.tar: No such file" \
	restore --name ckclibad-new "$tmp/ck"
unlike "$("$CTR" ps)" "ckclibad-new" "no container was left by the failed restores"
done_testing
