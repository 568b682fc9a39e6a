"""VM cold boot against VM restore from a snapshot, in the same run.

Each round boots the guest-images kernel and initramfs with a guest that
prints "tick" lines, times exec to its "isolab: userspace ready" line,
pauses it, snapshots it (monitor `snapshot DIR`) and stops it; then restores
that snapshot lazily (DIR/memory mapped MAP_PRIVATE) and eagerly
(--restore-eager), each timed from exec to the restored guest's first
"tick" line, with vmm's own figures from --stats (exec to first KVM_RUN,
the restore itself, the page faults it took). Then the counter payload
(firmware/counter.c, touch=M) measures the guest's first touch of its
memory after each kind of restore: the cycles of its first sweep after the
restore against those of a sweep before the snapshot.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

from .launch import Launch, LaunchError, pump
from .peers import USERSPACE, peer_table

TICK = re.compile(r"^tick\b")
SWEEP = re.compile(r"count (\d+) cycles (\d+)")
GUEST = "while :; do echo tick; sleep 0.05; done"
TITLE = "VM cold boot against VM restore from a snapshot (lazy: memory mapped; eager: read first)"
CONTENDERS = ["restore-lazy", "restore-eager", "cold-boot"]
METRICS = [
    ("ready_ms", "exec to the guest running in userspace (cold: its ready line; restore: its "
                 "first tick)", "ms", "lower"),
    ("first_kvm_run_ms", "exec to first KVM_RUN (vmm --stats)", "ms", "lower"),
    ("restore_ms", "vmm's restore: snapshot read, checked, loaded (restore_us)", "ms", "lower"),
    ("restore_memory_ms", "of which guest memory mapped or read (restore_memory_us)", "ms", "lower"),
    ("snapshot_ms", "monitor `snapshot DIR` of the paused guest", "ms", "lower"),
    ("state_kib", "DIR/state", "KiB", "lower"),
    ("memory_disk_kib", "DIR/memory on disk (zero pages are holes)", "KiB", "lower"),
    ("first_sweep_ratio", "counter payload: first sweep of its memory after the restore / a "
                          "sweep before (first-touch cost)", "x", "lower"),
]


def monitor(vmm, sock, *cmd, timeout=120):
    t = time.monotonic()
    r = subprocess.run([vmm, "monitor", sock, *cmd], capture_output=True, text=True, timeout=timeout)
    return r.returncode == 0, (time.monotonic() - t) * 1000, (r.stdout + r.stderr).strip()


def _wait(la, pattern, timeout):
    """Pumps until a line matches pattern; the ms from exec, or None."""
    seen = []

    def on_line(_, line):
        if not seen and pattern.search(line):
            seen.append(time.monotonic())
    la.on_line = on_line
    pump([la], time.monotonic() + timeout, stop=lambda: bool(seen))
    return la.since_start_ms(seen[0]) if seen else None


def _stop(vmm, la, sock):
    """Quits through the monitor, so vmm prints its --stats; returns them."""
    monitor(vmm, sock, "quit")
    pump([la], time.monotonic() + 60)
    la.finish()
    return la.stats()


def _num(stats, key, scale=1.0):
    v = stats.get(key)
    return v * scale if isinstance(v, float) else None


class Round:
    """One cold boot, its snapshot, and a lazy and an eager restore of it."""

    def __init__(self, ctx, side, work, timeout):
        self.vmm = side.prog("vmm")
        self.ctx, self.work, self.timeout = ctx, work, timeout
        self.values, self.notes = {}, []
        self.snap = os.path.join(work, "snap")

    def add(self, who, key, value):
        if value is not None:
            self.values.setdefault(who, {})[key] = value

    def cold(self, side):
        sock = os.path.join(self.work, "cold.sock")
        la = Launch(side.boot_argv(GUEST) + ["--monitor", f"unix:{sock}"])
        ready = _wait(la, USERSPACE, self.timeout)
        if ready is None or _wait(la, TICK, 60) is None:
            la.kill()
            la.finish()
            self.notes.append("cold boot: no ready and tick line: " + (la.tail or ["no output"])[-1])
            return False
        self.add("cold-boot", "ready_ms", ready)
        ok, _, out = monitor(self.vmm, sock, "pause")
        ok2, ms, out2 = monitor(self.vmm, sock, "snapshot", self.snap) if ok else (False, 0, out)
        st = _stop(self.vmm, la, sock)
        self.add("cold-boot", "first_kvm_run_ms", _num(st, "first_kvm_run_ms"))
        if not ok2:
            self.notes.append(f"snapshot failed: {out2}")
            return False
        self.add("restore-lazy", "snapshot_ms", ms)
        self.add("restore-lazy", "state_kib", os.path.getsize(os.path.join(self.snap, "state")) / 1024)
        blocks = os.stat(os.path.join(self.snap, "memory")).st_blocks
        self.add("restore-lazy", "memory_disk_kib", blocks * 512 / 1024)
        return True

    def restore(self, who, eager):
        sock = os.path.join(self.work, f"{who}.sock")
        argv = [self.vmm, "--restore", self.snap, "--mem", self.ctx.vm_mem, "--cpus", "1",
                "--stats", "--monitor", f"unix:{sock}"] + (["--restore-eager"] if eager else [])
        la = Launch(argv)
        ready = _wait(la, TICK, 60)
        st = _stop(self.vmm, la, sock)
        if ready is None:
            self.notes.append(f"{who}: no tick after the restore: " +
                              ((la.stderr().strip().splitlines() or la.tail or ["no output"])[-1]))
            return
        self.add(who, "ready_ms", ready)
        self.add(who, "first_kvm_run_ms", _num(st, "first_kvm_run_ms"))
        self.add(who, "restore_ms", _num(st, "restore_us", 1e-3))
        self.add(who, "restore_memory_ms", _num(st, "restore_memory_us", 1e-3))


def first_touch(ctx, side, work, mib):
    """The counter payload sweeping mib MiB, snapshotted, then restored lazily and eagerly:
    {who: first sweep after the restore / the last sweep before}, and notes."""
    fw = os.path.join(os.path.dirname(ctx.bin), "firmware", "counter.bin")
    vmm, snap = side.prog("vmm"), os.path.join(work, "fw-snap")
    sock = os.path.join(work, "fw.sock")
    if not os.path.exists(fw):
        return {}, [f"first touch: {fw} not built"]
    sweeps = []

    def launch(argv):
        on_line = lambda _, line: [sweeps.append(int(m.group(2))) for m in [SWEEP.search(line)] if m]
        return Launch([vmm] + argv + ["--mem", "128M", "--monitor", f"unix:{sock}"], on_line=on_line)
    la = launch(["--firmware", fw, "--cmdline", f"touch={mib}"])
    pump([la], time.monotonic() + 60, stop=lambda: len(sweeps) >= 4)
    monitor(vmm, sock, "pause")
    ok, _, out = monitor(vmm, sock, "snapshot", snap)
    _stop(vmm, la, sock)
    if not ok or len(sweeps) < 4:
        return {}, [f"first touch: the counter payload did not sweep or snapshot: {out}"]
    before, ratios, notes = sweeps[-1], {}, []
    for who, extra in (("restore-lazy", []), ("restore-eager", ["--restore-eager"])):
        sweeps.clear()
        la = launch(["--restore", snap] + extra)
        pump([la], time.monotonic() + 60, stop=lambda: len(sweeps) >= 1)
        _stop(vmm, la, sock)
        if sweeps:
            ratios[who] = sweeps[0] / before
        else:
            notes.append(f"first touch: {who}: no sweep after the restore")
    shutil.rmtree(snap, ignore_errors=True)
    return ratios, notes


def run(ctx, side, reps):
    """The peer table: restore (lazy, eager) against the cold boot of the same guest."""
    samples, notes = {c: {} for c in CONTENDERS}, []
    timeout = min(ctx.vm_timeout, 600)
    work = tempfile.mkdtemp(prefix="isolab-bench-restore-", dir="/var/tmp")
    try:
        for rep in range(1, reps + 1):
            ctx.progress(f"restore: cold boot, snapshot, lazy and eager restore, run {rep}/{reps}")
            rnd = Round(ctx, side, work, timeout)
            try:
                if rnd.cold(side):
                    rnd.restore("restore-lazy", False)
                    rnd.restore("restore-eager", True)
            except LaunchError as e:
                notes.append(str(e))
                break
            shutil.rmtree(rnd.snap, ignore_errors=True)
            notes += rnd.notes
            for who, vals in rnd.values.items():
                for k, v in vals.items():
                    samples[who].setdefault(k, []).append(v)
            ratios, why = first_touch(ctx, side, work, 96)
            notes += why
            for who, ratio in ratios.items():
                samples[who].setdefault("first_sweep_ratio", []).append(ratio)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    notes.append(f"guest: vmm --kernel vmlinux --initrd initramfs.cpio --mem {ctx.vm_mem}, "
                 f"/bin/sh -c '{GUEST}'; restore with the same --mem and --cpus")
    notes.append("first touch: firmware/counter.c --mem 128M --cmdline touch=96 writes one byte "
                 "per 4 KiB page of 96 MiB each step; the ratio is its first step after the "
                 "restore against its last before the snapshot, in TSC cycles")
    return peer_table("restore", TITLE, CONTENDERS, "cold-boot", "restore-lazy", METRICS,
                      samples, sorted(set(notes), key=notes.index))
