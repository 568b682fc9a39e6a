#!/usr/bin/env bash
# The bench workloads compute correct results at tiny sizes, reject bad
# input with one clear line, and the normal build is static (it must run
# unchanged from the rootfs in the container and the VM).
. "$(dirname "$0")/../lib.sh"

B=$ISOLAB_ASAN_BIN
for p in cpu mem sys disk net start; do
	[ -x "$B/bench-$p" ] || skip_all "$B/bench-$p not built (make asan)"
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# value KEY: the value of 'bench: KEY: VALUE' in $out
value() { printf '%s\n' "$out" | sed -n "s/^bench: $1: //p" | tail -1; }

run --timeout 60 "$B/bench-cpu" --cpu-max-prime 100 --events 3 --threads 2
is "$rc" 0 "bench-cpu: exits 0"
is "$(value primes)" 24 "bench-cpu: 24 primes in [3, 100) (sysbench's loop)"
is "$(value events)" 3 "bench-cpu: --events 3 runs exactly 3 events over 2 threads"
run --timeout 60 "$B/bench-cpu" --cpu-max-prime 10000 --events 1
is "$(value primes)" 1228 "bench-cpu: sysbench's default limit finds 1228 primes"
is "$(value verified)" yes "bench-cpu: the event agrees with a sieve"

run --timeout 60 "$B/bench-mem" --size 64K --ntimes 3 --random-size 64K --random-steps 5000
is "$rc" 0 "bench-mem: exits 0"
is "$(value stream_verified)" yes "bench-mem: STREAM arrays hold the values STREAM's check expects"
is "$(value random_verified)" yes "bench-mem: the random chase is one cycle through every slot"
like "$(value triad_mb_per_s)" '^[0-9.e+]+$' "bench-mem: reports triad bandwidth"

run --timeout 60 "$B/bench-sys" --time 0.2 --fault-size 256K
is "$rc" 0 "bench-sys: exits 0"
is "$(value fault_verified)" yes "bench-sys: the kernel counted a fault for every page touched"
like "$(value syscall_ns)" '^[0-9.e+]+$' "bench-sys: reports the syscall cost"

run --timeout 60 "$B/bench-disk" --file "$work/d.dat" --size 2M --time 0.1
is "$rc" 0 "bench-disk: exits 0"
is "$(value verified)" yes "bench-disk: every block read back holds what was written"
is "$(value bad_blocks)" 0 "bench-disk: no bad block"
like "$(value direct)" '^(yes|no)$' "bench-disk: says whether O_DIRECT was used"
ok "$([ ! -e "$work/d.dat" ]; echo $?)" "bench-disk: removes its file"
echo keep >"$work/precious"
run --timeout 60 "$B/bench-disk" --file "$work/precious" --size 1M
ok "$([ "$rc" -ne 0 ]; echo $?)" "bench-disk: refuses an existing file"
like "$err" '^bench-disk: .*exists' "bench-disk: says why in one line"
is "$(cat "$work/precious")" keep "bench-disk: leaves the existing file untouched"

run --timeout 60 "$B/bench-net" --loopback --time 0.2
is "$rc" 0 "bench-net: loopback exits 0"
is "$(value stream_verified)" yes "bench-net: the server received every byte sent"
is "$(value rr_verified)" yes "bench-net: every round trip echoed the right byte"

run --timeout 30 "$B/bench-start"
is "$(value kernel)" "$(uname -r)" "bench-start: reports the kernel it runs on"
is "$(value ready)" yes "bench-start: says it is running"

run "$B/bench-cpu" --threads many
ok "$([ "$rc" -ne 0 ]; echo $?)" "bad --threads: non-zero exit"
is "$err" "bench-cpu: --threads: expected a number, got 'many'" "bad --threads: one clear line"
run "$B/bench-mem" --size 12X
like "$err" "^bench-mem: --size" "bad --size: one clear line"
run "$B/bench-net" --client not-an-ip --time 0.1
like "$err" "^bench-net: 'not-an-ip' is not an IPv4 address" "bad address: one clear line"
run "$B/bench-sys" --bogus
is "$rc" 2 "unknown option: usage and exit 2"

for p in cpu mem sys disk net start; do
	f=$ISOLAB_BIN/bench-$p
	if [ -x "$f" ]; then
		unlike "$(readelf -l "$f" 2>&1)" 'INTERP' "bench-$p (normal build) is static: runs from the rootfs"
	else
		skip "$f not built"
	fi
done
done_testing
