#!/usr/bin/env bash
# cgroups on the real (v1 here) hierarchy: pids, memory (OOM inside, host fine), cpu, --stats.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
container_setup --rootfs
R=(--rm --net none)

run --timeout 60 "$CTR" run "${R[@]}" --pids 16 "$TMP/root" -- probe forkbomb 200
is "$rc" 0 "fork bomb container exits"
like "$out" $'^forked: 1[0-9]\nfork_error: Resource temporarily unavailable' "fork bomb stops at --pids 16 ($(echo $out))"

host_pid=$$
run --timeout 60 "$CTR" run "${R[@]}" --memory 32m --stats "$TMP/root" -- probe alloc 256
is "$rc" 137 "allocating 256 MiB under --memory 32m is OOM-killed: exit 137"
unlike "$out" "done" "the allocation did not complete"
like "$err" $'peak_memory_bytes: [0-9]+' "--stats prints peak memory"
peak=$(printf '%s\n' "$err" | sed -n 's/^peak_memory_bytes: //p')
[ "${peak:-0}" -gt 16000000 ] && [ "${peak:-0}" -le 33554432 ]
ok $? "peak memory is near the limit and not above it ($peak)"
kill -0 "$host_pid"
ok $? "the host side (this test) is unaffected"
run --timeout 60 "$CTR" run "${R[@]}" --memory 64m "$TMP/root" -- probe alloc 16
is "$rc/$out" "0/alloc: 16 MiB done" "an allocation within the limit succeeds"

run --timeout 60 "$CTR" run "${R[@]}" --stats "$TMP/root" -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'
is "$rc" 0 "--stats run"
for k in startup_ms peak_memory_bytes cpu_usec exit_code; do
	like "$err" "^$k: [0-9.]+$" "--stats prints $k"
done
usec=$(printf '%s\n' "$err" | sed -n 's/^cpu_usec: //p')
[ "${usec:-0}" -gt 0 ]
ok $? "cpu time was accounted ($usec us)"

# --cpus and --pids show up in the container's own cgroup files (read from the host while it runs).
run --timeout 60 "$CTR" run -d --net none --name lim1 --cpus 0.5 --pids 33 "$TMP/root" -- sleep 100
is "$rc" 0 "detached container with --cpus"
dirs=$(sed -n 's/^cgroup: //p' /run/isolab/containers/lim1/state)
quota=$(cat $(printf '%s\n' $dirs | grep /cpu/)/cpu.cfs_quota_us 2>/dev/null)
pids=$(cat $(printf '%s\n' $dirs | grep /pids/)/pids.max 2>/dev/null)
is "$quota/$pids" "50000/33" "cpu.cfs_quota_us and pids.max are set"
"$CTR" rm -f lim1 >/dev/null 2>&1
for d in $dirs; do [ ! -d "$d" ] || echo "left: $d"; done | grep -q . && ok 1 "cgroups removed" || ok 0 "cgroups removed after rm -f"

# blkio weight needs BFQ (blkio.bfq.weight) or CFQ (blkio.weight, gone since Linux 5.0):
# either the container's file holds the weight, or the error names what is missing.
run --timeout 60 "$CTR" run -d --net none --name lim2 --io-weight 500 "$TMP/root" -- sleep 100
if [ "$rc" = 0 ]; then
	blkio=$(sed -n 's|^cgroup: \(.*/blkio/.*\)|\1|p' /run/isolab/containers/lim2/state)
	weight=$(cat "$blkio/blkio.weight" "$blkio/blkio.bfq.weight" 2>/dev/null)
	like "$weight" '^(default )?500$' "--io-weight 500 is the container's blkio weight ($blkio)"
else
	like "$err" "cgroup controller unavailable: blkio weight" "--io-weight names the missing controller"
fi
"$CTR" rm -f lim2 >/dev/null 2>&1
for bad in 9 1001 abc; do
	run "$CTR" run "${R[@]}" --io-weight "$bad" "$TMP/root" -- true
	is "$rc/$err" "125/container: bad --io-weight '$bad' (10..1000)" "--io-weight $bad is refused in one line"
done

is "$(leftovers)" "$before" "no cgroup, state, address, veth or mount left behind"
done_testing
