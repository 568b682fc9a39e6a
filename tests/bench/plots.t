#!/usr/bin/env bash
# bench's plots and tables on canned results (no workload runs, no VM):
# PNG and SVG per group and an overview 1100 px wide, every group says
# whether higher or lower is better, the tmpfs writable layer is labelled on
# the plot, and the emulated-KVM warning appears only when a VM side really
# ran emulated; nested mode is said on the table and the plot.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
[ -x $PY ] || skip_all "no /usr/bin/python3 (apt-get install python3)"
$PY -c 'import matplotlib' 2>/dev/null || skip_all "no matplotlib (apt-get install python3-matplotlib)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# canned KVM SIDES MODE STEM: results as bench/run aggregates them, then its plots and table.
canned_py=$(cat <<'PY'
import random, sys
sys.dont_write_bytecode = True
sys.path.insert(0, "bench")
from harness import mode, peers, plots, report
from harness.workloads import catalogue
kvm, sides, want, stem = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[4]
cat = {w.id: w for w in catalogue(2)}
host = {"cpu": "Test CPU", "cpus": 2, "memory_gib": 4, "kernel": "6.1", "cgroup": "v2", "kvm": kvm}
plan = {"workloads": ["start", "cpu-1", "mem", "disk", "disk-volume", "net"], "sides": sides,
        "reps": 2, "size": "quick", "density": 2, "vm_density": 2, "catalogue": cat}
random.seed(7)
runs = {}
for wid, _, m in report.metric_table(plan):
    for s in sides:
        if s not in (cat[wid].sides if wid in cat else sides):
            continue
        for rep in (1, 2):
            e = runs.setdefault((s, wid, rep), {"side": s, "workload": wid, "rep": rep,
                                                "values": {}, "error": None})
            scale = 900 if (s == "vm" and m.kernel) else 1.05
            e["values"][m.key] = 100 * (scale if s != "native" else 1) * random.uniform(0.9, 1.1)
            if wid == "disk" and s == "container":
                e["note"] = "writable layer: overlayfs, upper layer /u on tmpfs (memory, not a disk)"
doc = {"name": "t", "host": host, "method": ["canned"], "plan": plan}
doc["results"] = report.aggregate(plan, host, list(runs.values()))
samples = {"vmm": {"ready_ms": [2400, 2500], "first_kvm_run_ms": [12, 14]},
           "qemu": {"ready_ms": [3000, 3100]}}
doc["peers"] = [peers.peer_table("boot", peers.BOOT_TITLE, ["vmm", "qemu"], "qemu", "vmm",
                                 peers.BOOT_METRICS, samples, ["canned"])]
doc["mode"] = mode.describe(*mode.choose(want, host), host, outer="Outer CPU, KVM: emulated (PVM)")
with open(stem + ".md", "w") as f:
    f.write(report.markdown(doc))
print("\n".join(plots.draw_all(doc, stem)))
PY
)
canned() { $PY -c "$canned_py" "$@"; }
# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk
png_size() { $PY -c 'import struct, sys
d = open(sys.argv[1], "rb").read(24)
assert d[:8] == b"\x89PNG\r\n\x1a\n"
print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1"; }

run canned "emulated (PVM)" native,container,vm native "$work/pvm"
is "$rc" 0 "PVM host, VM side ran: plots drawn ($err)"
is "$(printf '%s\n' "$out" | grep -c '\.png$')" 8 "a PNG per group (6), the boot peer and the overview"
is "$(printf '%s\n' "$out" | grep -c '\.svg$')" 8 "an SVG per group, the boot peer and the overview"
like "$(png_size "$work/pvm-overview.png")" '^1100x[0-9]+$' "the overview is 1100 px wide"
run $PY -c 'import sys, xml.etree.ElementTree as E
for f in sys.argv[1:]: E.parse(f)' "$work"/pvm-*.svg
is "$rc" 0 "every SVG is well-formed XML ($err)"
svg=$(cat "$work/pvm-overview.svg")
like "$svg" "higher is better" "the plot marks higher-is-better groups"
like "$svg" "lower is better" "the plot marks lower-is-better groups"
like "$(cat "$work/pvm-disk.svg")" "hatched container bars: files on a tmpfs = RAM, not a disk" "the tmpfs writable layer is labelled on the disk plot"
unlike "$(cat "$work/pvm-disk-volume.svg")" "tmpfs" "the volume plot carries no tmpfs label"
like "$svg" "KVM on this host is emulated \(PVM\)" "PVM and a VM side: the plot warns"
like "$(cat "$work/pvm.md")" "KVM on this host is emulated \(PVM\)" "PVM and a VM side: the table warns"
like "$svg" "Mode: native" "the plot names the mode"
like "$(cat "$work/pvm-boot.svg")" "ratio to qemu" "the boot peer plot: ratio to QEMU"
like "$(cat "$work/pvm.md")" "\| exec to 'isolab: userspace ready' \| ms \| lower \| 2,450 \(2,400–2,500\) \| 3,050 \(3,000–3,100\) \| \*\*0\.80x\*\* \|" \
	"the boot peer table: medians and vmm/QEMU ratio"

run canned "emulated (PVM)" native,container native "$work/novm"
is "$rc" 0 "PVM host, no VM side: plots drawn ($err)"
unlike "$(cat "$work/novm-overview.svg")" "emulated \(PVM\):" "no VM side: no emulated-KVM warning on the plot"
unlike "$(cat "$work/novm.md")" "\*\*KVM on this host is emulated" "no VM side: none on the table"

run canned "hardware-assisted" native,container,vm nested "$work/nested"
is "$rc" 0 "nested mode: plots drawn ($err)"
like "$(cat "$work/nested-overview.svg")" "Nested mode: native, container and VM all ran under QEMU TCG" "nested mode: said on the plot"
like "$(cat "$work/nested.md")" "Mode: nested" "nested mode: said on the table"
unlike "$(cat "$work/nested-overview.svg")" "emulated \(PVM\):" "nested mode: no PVM warning"

# --mode auto: native on hardware KVM, nested where it is emulated or missing.
run $PY -c 'import sys
sys.dont_write_bytecode = True
sys.path.insert(0, "bench")
from harness.mode import choose
for kvm in ("hardware-assisted", "emulated (PVM)", "none (no /dev/kvm)"):
    for want in ("auto", "native", "nested"):
        print(kvm.split()[0], want, choose(want, {"kvm": kvm})[0])'
is "$(echo $out)" "hardware-assisted auto native hardware-assisted native native hardware-assisted nested nested emulated auto nested emulated native native emulated nested nested none auto nested none native native none nested nested" "--mode: auto follows the KVM kind, native/nested force ($err)"
done_testing
