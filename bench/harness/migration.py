"""Live migration of a guest that writes its memory at a set rate.

Each round starts firmware/dirty_rate.c (rate=R MiB/s over 64 MiB of a
128 MiB guest; R = 0 is a guest at rest) under vmm with a monitor, and a
second vmm with the same options and --incoming; once the guest ticks, the
monitor's `migrate` moves it. The figures are vmm's own answer: total time
(the command to the target's answer), downtime (the source's pause to the
target's vCPUs starting, one CLOCK_MONOTONIC), rounds and pages sent. The
payload checks every page it rewrites, so a round whose target finds a stale
page (exit 3) or whose source does not exit 0 is a failure, not a figure.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

from .launch import Launch, LaunchError, pump
from .peers import peer_table

TICK = re.compile(r"^tick\b")
FIGURE = re.compile(r"^(migration_\w+): ([0-9.]+)$", re.M)
TITLE = "Live migration of a 128 MiB guest writing its memory at R MiB/s (firmware/dirty_rate.c)"
METRICS = [
    ("downtime_ms", "downtime: source paused to target running", "ms", "lower"),
    ("total_ms", "total: migrate command to the target's answer", "ms", "lower"),
    ("rounds", "rounds before the pause (round 0: all of RAM)", "rounds", "lower"),
    ("sent_mib", "pages sent, all rounds and the pause", "MiB", "lower"),
    ("final_pages", "pages sent while paused", "pages", "lower"),
    ("throttle_pct", "auto-converge: vCPU time taken away at the end", "%", "lower"),
]


def rates(quick):
    return [0, 64] if quick else [0, 16, 64, 256]


def label(rate):
    return "at rest" if rate == 0 else f"{rate} MiB/s"


def figures(answer):
    f = {k: float(v) for k, v in FIGURE.findall(answer)}
    pages = sum(v for k, v in f.items() if re.match(r"migration_round\d+_pages$", k))
    pages += f.get("migration_final_pages", 0)
    out = {"total_ms": f.get("migration_total_ms"), "rounds": f.get("migration_rounds"),
           "final_pages": f.get("migration_final_pages"), "sent_mib": pages * 4096 / (1 << 20),
           "throttle_pct": f.get("migration_throttle_pct")}
    if "migration_downtime_us" in f:
        out["downtime_ms"] = f["migration_downtime_us"] / 1000
    return out


def one(vmm, fw, work, rate, timeout):
    """One migration at rate: ({metric: value}, None) or (None, why)."""
    src, dst, inc = (os.path.join(work, n) for n in ("src.sock", "dst.sock", "in.sock"))
    guest = [vmm, "--firmware", fw, "--mem", "128M", "--cmdline", f"rate={rate} mib=64", "--stats"]
    source = Launch(guest + ["--monitor", f"unix:{src}"], ready=TICK)
    target = Launch(guest + ["--incoming", f"unix:{inc}", "--monitor", f"unix:{dst}"])
    try:
        pump([source], time.monotonic() + 60, stop=lambda: source.ready_at is not None)
        for _ in range(600):
            if os.path.exists(inc) and os.path.exists(src):
                break
            time.sleep(0.1)
        if source.ready_at is None:
            return None, "the guest never ticked: " + (source.tail or ["no output"])[-1]
        mon = subprocess.Popen([vmm, "monitor", src, "migrate", f"unix:{inc}"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        pump([source, target], time.monotonic() + timeout, stop=lambda: mon.poll() is not None)
        answer = mon.communicate(timeout=timeout)[0]
        if mon.returncode != 0:
            errors = [ln for ln in answer.splitlines() if ln.startswith("error:")]
            return None, "migrate: " + (errors or [answer.strip() or "no answer"])[0]
        if source.finish(60) != 0:
            return None, f"the source exited {source.rc} after the migration"
        pump([target], time.monotonic() + 2)  # the guest runs on: it would find a stale page
        subprocess.run([vmm, "monitor", dst, "quit"], capture_output=True, timeout=60)
        if target.finish(60) != 0:
            return None, f"the target exited {target.rc} (3: a stale page)"
        return figures(answer), None
    finally:
        for la in (source, target):
            la.kill()
            la.finish()


def run(ctx, side, reps, quick=False):
    """The peer table: migration figures per dirty rate."""
    fw = os.path.join(os.path.dirname(ctx.bin), "firmware", "dirty_rate.bin")
    vmm = side.prog("vmm")
    contenders = [label(r) for r in rates(quick)]
    samples, notes = {c: {} for c in contenders}, []
    if not os.path.exists(fw):
        notes.append(f"{fw} not built")
        return peer_table("migration", TITLE, contenders, contenders[0], contenders[-1], METRICS,
                          samples, notes)
    work = tempfile.mkdtemp(prefix="isolab-bench-migration-", dir="/var/tmp")
    try:
        for rep in range(1, reps + 1):
            for rate in rates(quick):
                ctx.progress(f"migration: {label(rate)}, run {rep}/{reps}")
                try:
                    vals, why = one(vmm, fw, work, rate, min(ctx.vm_timeout, 600))
                except (LaunchError, subprocess.TimeoutExpired) as e:
                    vals, why = None, str(e)
                for f in os.listdir(work):
                    os.unlink(os.path.join(work, f))
                if why:
                    notes.append(f"{label(rate)}: {why}")
                    continue
                for k, v in vals.items():
                    if v is not None:
                        samples[label(rate)].setdefault(k, []).append(v)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    notes.append("vmm --firmware dirty_rate.bin --mem 128M --cmdline 'rate=R mib=64' on both "
                 "sides, --incoming unix:PATH on the target; the figures are `migrate`'s answer "
                 "(vmm/migration/README.md). Goal (issue 14): downtime <= 50 ms at rest on "
                 "hardware KVM")
    return peer_table("migration", TITLE, contenders, contenders[0], contenders[-1], METRICS,
                      samples, sorted(set(notes), key=notes.index))
