#!/usr/bin/env bash
# -d, --name, ps, exec, stop, kill, rm, name in use, -t.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
container_setup
cleanup() {
	for n in lc1 lc2 lc3 lc4; do "$CTR" rm -f $n >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap cleanup EXIT
make_rootfs "$TMP/root"
before=$(leftovers)

run --timeout 30 "$CTR" run -d --net none --name lc1 --memory 64m "$TMP/root" -- sh -c 'echo started; exec sleep 100'
is "$rc/$out" "0/lc1" "-d prints the name and returns"
run "$CTR" ps
like "$out" '^lc1 +running +[0-9]+ +- +- +sh -c' "ps lists it as running"
run --timeout 30 "$CTR" run -d --net none --name lc1 "$TMP/root" -- true
is "$rc/$err" "125/container: name already in use: lc1 (see container ps, container rm)" "name in use"

# The init answers READY or ERROR before -d reports: a failed setup is the caller's error.
mkdir -p "$TMP/voldir"
run --timeout 30 "$CTR" run -d --net none --name lc4 -v "$TMP/voldir:/etc/passwd" "$TMP/root" -- sleep 100
is "$rc/$err" "125/container: volume $TMP/voldir:/etc/passwd: Not a directory (a directory cannot go on a file)" \
	"-d: a failed setup is reported by the caller, naming the volume target"
run "$CTR" ps
unlike "$out" '^lc4 ' "the failed container is not listed"

run --timeout 30 "$CTR" exec lc1 -- sh -c 'hostname; cat /proc/1/comm; ps -o comm | grep -cx sleep'
is "$out" $'lc1\ncontainer-init\n1' "exec enters the container (uts, pid, mount)"
host_cg=$(sed -n 's/^cgroup: //p' /run/isolab/containers/lc1/state | grep /memory/)
"$CTR" exec lc1 -- sleep 3 &
wait_until 5 has_lines "$host_cg/cgroup.procs" 3
is "$(wc -l <"$host_cg/cgroup.procs")" 3 "exec joins the container's cgroup (init, sleep 100, sleep 3)"
wait
run --timeout 30 "$CTR" exec -e A=b -w /tmp -u 7 lc1 -- sh -c 'echo $A; pwd; id -u'
is "$out" $'b\n/tmp\n7' "exec -e -w -u"
run --timeout 30 "$CTR" exec lc1 -- sh -c 'exit 9'
is "$rc" 9 "exec propagates the exit status"
run "$CTR" exec nosuch -- true
is "$rc/$err" "125/container: no such container: nosuch" "exec: unknown name"

run --timeout 30 "$CTR" stop -t 5 lc1
is "$rc" 0 "stop"
run "$CTR" ps
like "$out" '^lc1 +exited +0 +143 ' "stopped by SIGTERM: exit 143"
is "$(cat "$TMP/root/../lc1.log" 2>/dev/null; cat /run/isolab/containers/lc1/log)" "started" "detached output went to the log"
run "$CTR" rm lc1
is "$rc" 0 "rm"
[ ! -e /run/isolab/containers/lc1 ]
ok $? "rm removes the state and the writable layer"

"$CTR" run -d --net none --name lc2 "$TMP/root" -- sleep 100 >/dev/null
run "$CTR" rm lc2
is "$rc/$err" "1/container: container is running: lc2 (stop it, or rm -f)" "rm refuses a running container"
run --timeout 30 "$CTR" kill lc2
is "$rc" 0 "kill"
run "$CTR" ps
like "$out" '^lc2 +exited +0 +137 ' "killed: exit 137"
"$CTR" rm lc2 >/dev/null

# Signals to the runtime reach the command through init: SIGTERM ends sleep with 143.
"$CTR" run --rm --net none --name lc4 "$TMP/root" -- sleep 100 >/dev/null 2>&1 &
runtime=$!
wait_until 5 has_line /run/isolab/containers/lc4/state '^pid: [1-9]'
sleep 0.3
kill -TERM "$runtime"
wait "$runtime"
is "$?" 143 "SIGTERM to the runtime is forwarded: exit 143"

# Without --rm the writable layer outlives the container, until rm.
run --timeout 30 "$CTR" run --net none --name lc3 "$TMP/root" -- sh -c 'echo data > /keep'
is "$(cat /run/isolab/containers/lc3/upper/keep 2>/dev/null)" "data" "without --rm the writable layer stays"
"$CTR" rm lc3 >/dev/null

# -t: the command gets a terminal (script(1) gives us one to relay to).
if command -v script >/dev/null; then
	out=$(timeout 30 script -qec "$CTR run --rm --net none -t $TMP/root -- sh -c 'tty; test -t 0 && echo isatty'" /dev/null 2>&1 | tr -d '\r')
	like "$out" $'/dev/pts/0\nisatty' "-t: stdin is a terminal (/dev/pts/0, the container's devpts)"
else
	skip "script(1) not installed"
fi

is "$(leftovers)" "$before" "no cgroup, state, address, veth or mount left behind"
done_testing
