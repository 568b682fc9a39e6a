#!/usr/bin/env bash
# tests/nested/run: the lab host (L1, Debian's kernel under QEMU TCG with
# SVM) runs a command and hands back its output and exit status; L1 is a
# real-KVM, pure cgroup-v2 host on this host's / with the checkout shared
# read-write; bad usage, a skip and a timeout have their own exit codes, and
# no QEMU outlives the runner.
. "$(dirname "$0")/../lib.sh"
RUN=tests/nested/run
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export TMPDIR=$TMP # the runner's job directory, so QEMU's command line names it
run "$RUN" --smp x -- true
is "$rc" 125 "bad usage: exit 125"
like "$err" "--smp wants a number" "bad usage: one clear line"
ISOLAB_QEMU=/nonexistent/qemu run "$RUN" -- true
is "$rc/$err" "77/nested: skip: /nonexistent/qemu not found (apt-get install qemu-system-x86)" \
	"no QEMU: the skip exit code 77 and why"

run "$RUN" --arch sparc -- true
is "$rc/$err" "125/nested: --arch wants amd64 or arm64, not 'sparc'" "bad --arch: exit 125 and one line"
ISOLAB_QEMU=/nonexistent/qemu run "$RUN" --arch arm64 -- true
is "$rc/$err" "77/nested: skip: /nonexistent/qemu not found (apt-get install qemu-system-arm)" \
	"--arch arm64 without QEMU: a skip, naming the arm64 package"
# The arm64 lab host's own run (exit status, output, checkout, /dev/kvm) is tests/nested/arm64.t's.

probe=$(mktemp -u "$ISOLAB_ROOT/.nested-probe.XXXXXX")
run --timeout 300 "$RUN" -- sh -c '
	echo to-stdout; echo to-stderr >&2
	echo "cwd $(pwd)"
	echo "env $ISOLAB_LABHOST ${NESTED_T_VAR:-unset}"
	[ -c /dev/kvm ] && [ -d /sys/module/kvm_amd ] && [ ! -d /sys/module/kvm_pvm ] && echo "kvm amd"
	echo "cgroup $(stat -fc %T /sys/fs/cgroup) $(cat /sys/fs/cgroup/cgroup.subtree_control)"
	for d in vhost-vsock vhost-net net/tun; do [ -c /dev/$d ] && echo "dev $d"; done
	echo shared >"$1" && echo "wrote checkout"
	echo overlay >/etc/isolab-nested-probe && echo "wrote root"
	exit 42' sh "$probe"
skip_l1() { [ "$rc" = 77 ] && skip "no lab host here: $err"; }
if ! skip_l1; then
	is "$rc" 42 "the command's exit status comes back"
	is "$(head -1 <<<"$out")" to-stdout "its stdout comes back on stdout"
	like "$err" "^to-stderr" "its stderr comes back on stderr"
	like "$out" "cwd $ISOLAB_ROOT" "it runs in the caller's directory, the checkout at the same path"
	like "$out" "env 1 unset" "ISOLAB_LABHOST=1 is set inside"
	like "$out" "kvm amd" "L1 has /dev/kvm from kvm_amd, not PVM"
	like "$out" "cgroup cgroup2fs .*cpu.*io.*memory.*pids" "L1 is a cgroup-v2 host with the controllers enabled"
	like "$out" "dev vhost-vsock" "L1 has /dev/vhost-vsock"
	like "$out" "dev vhost-net" "L1 has /dev/vhost-net"
	is "$(cat "$probe" 2>/dev/null)" shared "a write to the checkout reaches this host"
	like "$out" "wrote root" "the root is writable inside (tmpfs overlay)"
	ok $([ ! -e /etc/isolab-nested-probe ]; echo $?) "a write elsewhere stays inside L1"
fi
rm -f "$probe"

NESTED_T_VAR=passed run --timeout 300 "$RUN" --smp 2 --mem 1G -- sh -c 'nproc; echo $NESTED_T_VAR'
skip_l1 || is "$(echo $out)" "2 passed" "--smp 2 gives L1 two vCPUs; the environment goes in"

run --timeout 120 "$RUN" --timeout 3 -- sleep 100
skip_l1 || {
	is "$rc" 124 "--timeout: exit 124"
	like "$err" "ran past --timeout 3s" "--timeout: says so"
}
# A lab host whose heartbeat stops (as when the TCG hang loses L1's timer) ends at once.
ISOLAB_LABHOST_HEARTBEAT_S=10 run --timeout 120 "$RUN" --timeout 100 -- \
	sh -c 'kill -STOP "$(cat /run/labhost/heartbeat.pid)"; sleep 100'
skip_l1 || {
	is "$rc" 123 "no heartbeat: exit 123, before --timeout"
	like "$err" "the lab host stopped: no heartbeat for over 10s" "no heartbeat: says so"
}
sleep 1
pgrep -f "$TMP/isolab-nested" >/dev/null
ok $([ $? = 1 ]; echo $?) "no QEMU left behind"
# A runner stopped by a signal takes its QEMU with it.
"$RUN" -- sleep 100 >/dev/null 2>&1 &
runner=$!
wait_until 10 pgrep -f "$TMP/isolab-nested" >/dev/null
kill -TERM "$runner"
wait "$runner"
is "$?" 143 "SIGTERM: the runner exits 143"
pgrep -f "$TMP/isolab-nested" >/dev/null
ok $([ $? = 1 ]; echo $?) "no QEMU left behind after SIGTERM"
done_testing
