#!/usr/bin/env bash
# --net bridge (veth on isolab0), -p, --net none/host; cleanup even when the runtime is killed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
container_setup
cleanup() {
	"$CTR" rm -f net1 >/dev/null 2>&1
	"$CTR" rm -f net2 >/dev/null 2>&1
	stop_pid "${hostsrv:-}"
	rm -rf "$TMP"
}
trap cleanup EXIT
make_rootfs "$TMP/root"
before=$(leftovers)

run --timeout 30 "$CTR" run --rm "$TMP/root" -- sh -c 'ip -o -4 addr show eth0; ip route'
like "$out" 'eth0 +inet 10\.88\.0\.[0-9]+/24' "bridge mode: eth0 has an address in 10.88.0.0/24"
like "$out" 'default via 10\.88\.0\.1' "default route through the bridge"

run --timeout 30 "$CTR" run -d --name net1 -p 18321:80 "$TMP/root" -- probe serve 80
is "$rc" 0 "server container started"
ip=$(sed -n 's/^ip: //p' /run/isolab/containers/net1/state)
sleep 0.5
run --timeout 10 "$PROBE" fetch "$ip" 80
is "$out" "fetch: hello from net1" "the host reaches the container over the bridge ($ip)"
"$CTR" rm -f net1 >/dev/null 2>&1

run --timeout 30 "$CTR" run -d --name net2 -p 18322:80 "$TMP/root" -- probe serve 80
sleep 0.5
run --timeout 10 "$PROBE" fetch 127.0.0.1 18322
is "$out" "fetch: hello from net2" "-p publishes the container's port on the host"
"$CTR" rm -f net2 >/dev/null 2>&1

"$PROBE" serve 18323 >/dev/null &
hostsrv=$!
sleep 0.3
run --timeout 30 "$CTR" run --rm "$TMP/root" -- probe fetch 10.88.0.1 18323
like "$out" "fetch: hello from $(hostname)" "the container reaches the host over the bridge"

run --timeout 30 "$CTR" run --rm --net none "$TMP/root" -- sh -c 'ip -o link | wc -l; probe fetch 10.88.0.1 1'
like "$out" $'^1\nfetch: error Network is unreachable' "--net none: only lo, no route out"
run --timeout 30 "$CTR" run --rm --net host "$TMP/root" -- sh -c 'readlink /proc/self/ns/net'
is "$out" "$(readlink /proc/self/ns/net)" "--net host shares the host's network namespace"
run "$CTR" run --rm --net none -p 1:2 "$TMP/root" -- true
is "$rc/$err" "125/container: -p needs --net bridge" "-p without a bridge is refused"

# SIGKILL of the runtime: its init dies with it, the next command sweeps the rest.
"$CTR" run --name net3 "$TMP/root" -- sleep 100 >/dev/null 2>&1 &
runtime=$!
wait_until 5 has_line /run/isolab/containers/net3/state '^pid: [1-9]'
disown "$runtime" # no "Killed" notice from bash
kill -9 "$runtime"
while kill -0 "$runtime" 2>/dev/null; do sleep 0.05; done
"$CTR" ps >/dev/null
run "$CTR" rm net3
is "$rc" 0 "a container whose runtime was killed is removed"
is "$(leftovers)" "$before" "no cgroup, state, address, veth or mount left behind"
done_testing
