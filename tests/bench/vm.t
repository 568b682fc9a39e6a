#!/usr/bin/env bash
# bench/run's VM side: one boot, bounded in time, runs the probe and two
# workloads from the rootfs and brings their figures back over the serial
# console. Slow on hosts whose KVM emulates guest kernel code.
. "$(dirname "$0")/../lib.sh"

need_kvm
command -v python3 >/dev/null || skip_all "python3 not installed"
for f in "$ISOLAB_BIN/vmm" "$ISOLAB_IMAGES/vmlinux" "$ISOLAB_IMAGES/initramfs.cpio"; do
	[ -e "$f" ] || skip_all "$f is not built"
done
limit=${ISOLAB_BENCH_VM_TIMEOUT:-600}
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT

run --timeout $((limit + 120)) bench/run --mode native --quick --reps 1 --sides native,vm --workloads start,cpu-1,mem \
	--vm-timeout "$limit" --bin "$ISOLAB_BIN" --images "$ISOLAB_IMAGES" --out "$out_dir" --name vm
is "$rc" 0 "native+VM quick run exits 0 ($(printf '%s' "$err" | grep -m1 -E 'FAILED|nothing came back'))"
python3 -m json.tool "$out_dir/vm.json" >/dev/null 2>&1
ok $? "the JSON parses"
check=$(cat <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
byid = {(r["workload"], r["metric"]): r for r in doc["results"]}
assert byid[("cpu-1", "events_per_sec")]["sides"]["vm"]["median"] > 0
assert byid[("mem", "triad_mb_per_s")]["sides"]["vm"]["median"] > 0
assert byid[("start", "startup_ms")]["sides"]["vm"]["median"] > 0
kernels = {e["side"]: e.get("kernel") for e in doc["runs"] if e["workload"] == "start"}
print(kernels)
PY
)
run python3 -c "$check" "$out_dir/vm.json"
is "$rc" 0 "CPU, memory and startup figures came back from the guest ($err)"
like "$out" "'vm': '[^']+'" "the guest reported its kernel release"
like "$(cat "$out_dir/vm.md")" '\| vm \| vm/native \|' "the table has VM and ratio columns"
if grep -q "emulated (PVM)" "$out_dir/vm.json"; then
	like "$(cat "$out_dir/vm.md")" "emulated \(PVM\)" "emulated KVM is said on the table"
	like "$(cat "$out_dir/vm-overview.svg")" "is emulated \(PVM\)" "emulated KVM is said on the plot"
fi
done_testing
