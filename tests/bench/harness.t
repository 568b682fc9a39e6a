#!/usr/bin/env bash
# bench/run on a tiny configuration: valid JSON, a Markdown table and PNG/SVG
# plots, with the host recorded. Native side always (sanitizer build of the
# workloads); the container side when the container launcher works here.
. "$(dirname "$0")/../lib.sh"

command -v python3 >/dev/null || skip_all "python3 not installed (apt-get install python3)"
[ -x "$ISOLAB_ASAN_BIN/bench-start" ] || skip_all "workloads not built (make asan)"
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT

# check_outputs NAME SIDE...: the files bench/run writes, parsed back
check_outputs() {
	local name=$1 json=$out_dir/$1.json
	shift
	python3 -m json.tool "$json" >/dev/null 2>&1
	ok $? "$name: the JSON parses"
	check=$(cat <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for k in ("cpu", "kernel", "cgroup", "kvm"):
    assert doc["host"][k], k
for side in sys.argv[2:]:
    got = [r for r in doc["results"] if r["sides"].get(side)]
    assert got, f"no figure for {side}"
    for r in got:
        s = r["sides"][side]
        assert s["min"] <= s["median"] <= s["max"], r
    bad = [e for e in doc["runs"] if e["side"] == side and e["error"]]
    assert not bad, bad
print(len(doc["results"]))
PY
	)
	run python3 -c "$check" "$json" "$@"
	is "$rc" 0 "$name: host recorded, median within min..max, no failed run ($err)"
	like "$(cat "$out_dir/$1.md")" '\| workload \| metric \| unit \| better \| native \|' "$name: Markdown table header"
	like "$(cat "$out_dir/$1.md")" "Host: .*KVM: " "$name: the table names the host and its KVM kind"
	if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
		skip "$name: plots: no matplotlib (apt-get install python3-matplotlib)"
		return
	fi
	local svgs pngs
	svgs=$(ls "$out_dir/$1"-*.svg 2>/dev/null | wc -l)
	pngs=$(ls "$out_dir/$1"-*.png 2>/dev/null | wc -l)
	ok "$([ "$svgs" -ge 2 ] && [ "$pngs" = "$svgs" ]; echo $?)" "$name: PNG and SVG plots written ($pngs, $svgs)"
	run python3 -c 'import sys, xml.etree.ElementTree as E
for f in sys.argv[1:]: E.parse(f)' "$out_dir/$1"-*.svg
	is "$rc" 0 "$name: every SVG is well-formed XML"
	like "$(cat "$out_dir/$1-overview.svg")" "KVM: " "$name: the plot names the KVM kind"
	like "$(cat "$out_dir/$1-overview.svg")" "Mode: native" "$name: the plot names the mode"
}

run --timeout 300 bench/run --mode native --quick --sides native --bin "$ISOLAB_ASAN_BIN" --images "$ISOLAB_IMAGES" \
	--out "$out_dir" --name native
is "$rc" 0 "native quick run exits 0 ($(printf '%s' "$err" | grep -m1 FAILED))"
like "$err" 'bench \[ *[0-9]+s\] cpu-1 on native, run 1/2' "progress lines name workload, side and run"
like "$err" "Mode: native" "progress names the mode"
check_outputs native native
like "$(cat "$out_dir/native.md")" '\| cpu-1 \| cpu 1 thread \| events/s \| higher \| [0-9]' "the table has the CPU figure"

run bench/run --sides native,hypervisor
ok "$([ "$rc" -ne 0 ]; echo $?)" "unknown side: non-zero exit"
like "$err" "unknown side 'hypervisor'" "unknown side: says which"
run bench/run --workloads cpu,gpu
like "$err" "unknown workload 'gpu'" "unknown workload: says which"
run bench/run --mode sideways
like "$err" "invalid choice: 'sideways'" "unknown --mode: says which"
if [ -x tests/nested/run ]; then
	run bench/run --mode nested --out /nonexistent/results
	like "$err" "nested mode writes its results through the shared checkout: --out must be under" \
		"--mode nested with --out outside the checkout: one clear line"
else
	run bench/run --mode nested
	like "$err" "^bench/run: --mode nested needs .*tests/nested/run" "--mode nested without the lab host runner: one clear line"
fi

C=$ISOLAB_BIN/container
if [ "$(id -u)" != 0 ]; then
	skip "container side: needs root"
elif [ ! -x "$C" ] || [ ! -x "$ISOLAB_IMAGES/rootfs/usr/bin/bench-start" ]; then
	skip "container side: $C or the rootfs with the workloads is not built"
elif ! timeout 60 "$C" run --rm --net none "$ISOLAB_IMAGES/rootfs" -- /usr/bin/bench-start >/dev/null 2>&1; then
	skip "container side: '$C run' does not work on this host yet"
else
	run --timeout 600 bench/run --mode native --quick --sides native,container --workloads start,cpu-1,mem,sys,disk,density,image \
		--bin "$ISOLAB_BIN" --images "$ISOLAB_IMAGES" --out "$out_dir" --name container
	is "$rc" 0 "native+container quick run exits 0 ($(printf '%s' "$err" | grep -m1 FAILED))"
	check_outputs container native container
	like "$(cat "$out_dir/container.md")" '\| native \| container \| container/native \|' "the table has container and ratio columns"
fi
done_testing
