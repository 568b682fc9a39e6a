#!/usr/bin/env bash
# bench's peer comparisons with stand-in programs (no VM boots): the boot
# peer times vmm and QEMU from exec to the guest's "isolab: userspace ready"
# line, gives QEMU the command line vmm's guest printed, reads vmm's --stats
# (one parser for every --stats line), and puts the ratio in the table; the
# runtimes peer reports a runtime that refuses instead of timing it.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
[ -x $PY ] || skip_all "no /usr/bin/python3 (apt-get install python3)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
# A vmm stand-in: the guest's console on stdout, --stats on stderr.
cat >"$work/bin/vmm" <<'SH'
#!/bin/sh
sleep 0.2
echo "[    0.1] random kernel line"
printf 'isolab: userspace ready (vm)\r\n'
echo "console=ttyS0 reboot=k panic=-1 isolab.vm=1 quiet -- /bin/sh -c \"cat /proc/cmdline\""
echo "first_kvm_run_ms: 12" >&2
echo "vcpu0_exits_io: 200" >&2
echo "vcpu0_exits_hlt: 40" >&2
echo "vcpu1_exits_io: 7" >&2
echo "vmm_private_kib: 900" >&2
SH
# A QEMU stand-in: slower, and it records the command line it was given.
cat >"$work/bin/qemu-system-x86_64" <<SH
#!/bin/sh
for a; do last=\$a; done
printf '%s\n' "\$last" >"$work/qemu-append"
sleep 0.5
echo "isolab: userspace ready (vm)"
SH
chmod +x "$work/bin/"*

check=$(cat <<'PY'
import sys, time
sys.dont_write_bytecode = True
sys.path.insert(0, "bench")
from harness import peers, report, sides
bindir = sys.argv[1]
class Ctx:
    bin, kernel, initrd, vm_mem, vm_timeout, vm_addr, host_addr = bindir, "/k", "/i", "64M", 30, "", ""
    def progress(self, msg): print("progress:", msg, file=sys.stderr)
ctx = Ctx()
t = peers.boot(ctx, sides.Vm(ctx), {"kvm": "hardware-assisted"}, 2)
rows = {r["metric"]: r for r in t["rows"]}
assert rows["ready_ms"]["by"]["vmm"]["n"] == 2 and rows["ready_ms"]["by"]["qemu"]["n"] == 2, rows
assert 0 < rows["ready_ms"]["ratio"] < 1, rows["ready_ms"]
assert rows["first_kvm_run_ms"]["by"]["vmm"]["median"] == 12
assert rows["exits_per_boot"]["by"]["vmm"]["median"] == 247, rows["exits_per_boot"]
print("\n".join(report.peer_markdown(t)))
PY
)
PATH=$work/bin:$PATH run $PY -c "$check" "$work/bin"
is "$rc" 0 "boot peer: both VMMs timed to the userspace line, vmm's --stats read ($err)"
like "$out" '\| exec to .isolab: userspace ready. \| ms \| lower \| [0-9.]+ .* \| \*\*0\.[0-9]+x\*\* \|' "the table has the vmm/QEMU ratio"
like "$out" 'exits per boot by reason \(median\): io 207, hlt 40' "exits by reason, summed over vCPUs"
is "$(cat "$work/qemu-append")" 'console=ttyS0 reboot=k panic=-1 isolab.vm=1 quiet -- /bin/sh -c "cat /proc/cmdline"' \
	"QEMU got the command line vmm's guest printed"
like "$err" "progress: boot peer: QEMU microvm -cpu host, run 2/2" "QEMU -cpu host on hardware KVM"

# vmm-io: counters' growth over a phase divided by the device's requests.
check=$(cat <<'PY'
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, "bench")
from harness.records import parse_stats
from harness.vmmio import IoBoot
b = object.__new__(IoBoot)
snap = lambda text: parse_stats(text)
b.snaps = {("disk", "begin"): snap("vcpu0_exits_io: 10\nvcpu0_exits_mmio: 5\nvirtio_blk0_requests: 100\nvirtio_blk0_interrupts: 50\n"),
           ("disk", "end"): snap("vcpu0_exits_io: 30\nvcpu0_exits_mmio: 25\nvcpu1_exits_hlt: 0\nvirtio_blk0_requests: 120\nvirtio_blk0_interrupts: 60\n")}
print(sorted(b.per_request().items()))
PY
)
run $PY -c "$check"
is "$out" "[('disk_exits_per_req', 2.0), ('disk_irqs_per_req', 0.5), ('disk_mmio_exits_per_req', 1.0)]" \
	"vmm-io: exits, interrupts and MMIO exits per virtio request from two monitor snapshots ($err)"

run $PY -c 'import sys
sys.dont_write_bytecode = True
sys.path.insert(0, "bench")
from harness.vmmio import _moved_devices
print(_moved_devices("console=ttyS0 isolab.vm=1 -- sh -c x", "console=ttyS0 isolab.vm=1 -- sh -c x virtio_mmio.device=512@0xfeb00e00:12"))'
is "$out" "console=ttyS0 isolab.vm=1 virtio_mmio.device=512@0xfeb00e00:12 -- sh -c x" \
	"vmm-io: QEMU microvm's device words, appended after ' -- ', move in front of it ($err)"

# The runtimes peer: a runtime that refuses is reported with its reason.
cat >"$work/bin/runc" <<'SH'
#!/bin/sh
[ "$1" = spec ] && { echo '{"process": {"args": ["sh"], "terminal": true}, "root": {"path": "rootfs"}}' >"$3/config.json"; exit 0; }
echo "runc: refusing: test stand-in" >&2
exit 1
SH
chmod +x "$work/bin/runc"
check=$(cat <<'PY'
import json, sys
sys.dont_write_bytecode = True
sys.path.insert(0, "bench")
from harness import peers
class Ctx:
    bin, rootfs = sys.argv[1], "/nonexistent-rootfs"
    def progress(self, msg): pass
t = peers.runtimes(Ctx(), 2)
print(json.dumps(t["notes"]))
print(t["base"], sorted(c for r in t["rows"] for c, v in r["by"].items() if v))
PY
)
PATH=$work/bin:$PATH run $PY -c "$check" "$work/bin"
is "$rc" 0 "runtimes peer runs with a refusing runc ($err)"
like "$out" 'runc: refused here: runc: refusing: test stand-in' "the refusal is reported with its reason"
done_testing
