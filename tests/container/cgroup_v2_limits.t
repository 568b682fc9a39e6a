#!/usr/bin/env bash
# The container's limits on a pure cgroup-v2 host, for real: memory (an
# allocation past --memory is OOM-killed), pids (a fork bomb stops at
# --pids), cpu (cpu.max set, and the kernel throttles the container to it),
# io (io.weight written). These hosts are cgroup v1 (limits.t); the lab host
# is v2 only, so tests/nested/cgroup-v2.t runs this there.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
need_root
need_cgroup2_host
[ -x "$CTR" ] && [ -x "$PROBE" ] || skip_all "container or probe not built"
TMP=$(mktemp -d)
name=v2lim$$
trap '"$CTR" rm -f "$name" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
make_rootfs "$TMP/root"
before=$(leftovers)
R=(--rm --net none)

run --timeout 120 "$CTR" run "${R[@]}" --memory 32m --stats "$TMP/root" -- probe alloc 256
is "$rc" 137 "memory: allocating 256 MiB under --memory 32m is OOM-killed (137)"
unlike "$out" "done" "memory: the allocation did not complete"
like "$err" '^cgroup: v2' "memory: the v2 backend ran it"
peak=$(sed -n 's/^peak_memory_bytes: //p' <<<"$err")
ok $([ "${peak:-0}" -gt 16000000 ] && [ "${peak:-0}" -le 33554432 ]; echo $?) "memory: peak near the limit, not above it ($peak)"
run --timeout 120 "$CTR" run "${R[@]}" --memory 64m "$TMP/root" -- probe alloc 16
is "$rc/$out" "0/alloc: 16 MiB done" "memory: an allocation within the limit succeeds"

run --timeout 120 "$CTR" run "${R[@]}" --pids 16 "$TMP/root" -- probe forkbomb 200
is "$rc" 0 "pids: the fork bomb's container exits"
like "$out" $'^forked: 1[0-9]\nfork_error: Resource temporarily unavailable' "pids: the fork bomb stops at --pids 16 ($(echo $out))"

# Detached, so its cgroup files can be read while it spins: a busy loop under 0.1 CPU.
run --timeout 120 "$CTR" run -d --net none --name "$name" --memory 48m --cpus 0.1 --pids 33 \
	--io-weight 500 "$TMP/root" -- sh -c 'while :; do :; done'
is "$rc" 0 "a detached container with every limit"
dir=$(sed -n 's/^cgroup: //p' "/run/isolab/containers/$name/state")
like "$dir" "^/sys/fs/cgroup/isolab/$name$" "its cgroup is /sys/fs/cgroup/isolab/$name"
is "$(cat "$dir/memory.max" "$dir/memory.swap.max" 2>&1 | tr '\n' ' ')" "50331648 0 " "memory.max and memory.swap.max are set"
is "$(cat "$dir/pids.max" 2>&1)" 33 "pids.max is set"
is "$(cat "$dir/cpu.max" 2>&1)" "10000 100000" "cpu.max is set (--cpus 0.1)"
is "$(grep '^default' "$dir/io.weight" 2>&1)" "default 4950" "io.weight is written (--io-weight 500 on v2's 1..10000 scale)"
# Throttled periods are the kernel enforcing cpu.max: count them, not time.
throttled_thrice() {
	throttled=$(sed -n 's/^nr_throttled //p' "$dir/cpu.stat" 2>/dev/null)
	[ "${throttled:-0}" -ge 3 ]
}
wait_until 10 throttled_thrice
ok $([ "${throttled:-0}" -ge 3 ]; echo $?) "cpu: the kernel throttles the busy loop to cpu.max (nr_throttled $throttled)"
"$CTR" rm -f "$name" >/dev/null 2>&1
ok $([ ! -d "$dir" ]; echo $?) "its cgroup goes with rm -f"

is "$(leftovers)" "$before" "no cgroup, state, address, veth or mount left behind"
done_testing
