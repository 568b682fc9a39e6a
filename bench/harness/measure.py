"""Runs the plan on each side and turns output into result entries.

An entry is one run of one workload on one side: its figures, whether the
workload verified its own result, and what went wrong if it did not run.
"""

import os
import re
import statistics
import time

from .launch import Launch, LaunchError, pump, run_one
from .workloads import DENSITY, START


def entry(side, workload, rep, values=None, error=None, **extra):
    e = {"side": side, "workload": workload, "rep": rep, "values": values or {}, "error": error}
    e.update(extra)
    return e


def from_record(side, wl, rep, rec):
    v = rec["values"]
    values = {m.key: v.get(m.key) for m in wl.metrics if isinstance(v.get(m.key), float)}
    host_s = rec["host_end"] - rec["host_begin"]
    guest_s = v.get("elapsed_s")
    e = entry(side, wl.id, rep, values, None if v.get("verified") == "yes" else
              "the workload's own check failed", raw=v, host_elapsed_s=round(host_s, 4))
    # The VM's clock is the guest's; the host's timestamps of the same lines check it.
    if isinstance(guest_s, float) and guest_s > 0.2:
        e["clock_ratio"] = round(host_s / guest_s, 3)
    return e


def failure(la, in_time, what):
    if not in_time:
        return f"{what} timed out"
    lines = [ln.strip() for ln in (la.stderr().splitlines() + la.tail) if ln.strip()]
    # Prefer a program's own error line to the --stats lines that follow it.
    errors = [ln for ln in lines if re.match(r"(bench-\w+|container|vmm): ", ln)]
    tail = errors or lines
    return f"{what} exited with status {la.rc}: " + (tail[-1] if tail else "no output")


def run_start(ctx, side, rep, reps):
    """One start of the probe: time to its ready line, memory while it holds."""
    ctx.progress(f"start on {side.name}, run {rep}/{reps}")
    sample = {}
    try:
        la, in_time = run_one(side.argv("bench-start", ["--hold", "0.5"]), ctx.run_timeout,
                              on_ready=lambda la_: sample.setdefault("kib", side.memory_kib(la_)))
    except LaunchError as e:
        return entry(side.name, "start", rep, error=str(e))
    if not in_time or la.rc != 0 or la.ready_at is None:
        return entry(side.name, "start", rep, error=failure(la, in_time, "bench-start"))
    kernel = la.jobs[-1][1]["values"].get("kernel") if la.jobs else None
    stats = la.stats()
    kib = sample.get("kib")
    if kib is None and isinstance(stats.get("peak_memory_bytes"), float):
        kib = stats["peak_memory_bytes"] / 1024  # the container's own peak figure
    return entry(side.name, "start", rep,
                 {"startup_ms": la.since_start_ms(la.ready_at), "memory_kib": kib},
                 stats=stats, kernel=kernel)


def run_job(ctx, side, wl, rep, reps):
    """One run of one workload as its own process (native) or container."""
    ctx.progress(f"{wl.id} on {side.name}, run {rep}/{reps}")
    try:
        la, in_time = run_one(side.argv(wl.program, wl.args[ctx.size], wl.id), ctx.run_timeout,
                              tag=(wl.id, rep))
    except LaunchError as e:
        return entry(side.name, wl.id, rep, error=str(e))
    if la.jobs:
        e = from_record(side.name, wl, rep, la.jobs[-1][1])
        e["error"] = e["error"] or side.check(wl.id, e["raw"])
        if la.rc != 0 and not e["error"]:
            e["error"] = failure(la, in_time, wl.program)
    else:
        e = entry(side.name, wl.id, rep, error=failure(la, in_time, wl.program))
    e["stats"] = la.stats()
    if side.note(wl.id):
        e["note"] = side.note(wl.id)
    return e


def vm_boot(ctx, side, workloads, reps, with_start=False, disk=None, net=False, label="boot"):
    """One VM boot runs every workload `reps` times: boots cost minutes here."""
    body = "; ".join(f"echo bench-job: {wl.id} $i; {side.guest_cmd(wl.program, wl.args[ctx.size], wl.id)}"
                     for wl in workloads)
    parts = ["echo bench-job: start 1; /usr/bin/bench-start --hold 2"] if with_start else []
    if workloads:
        parts.append(f"for i in {' '.join(str(r) for r in range(1, reps + 1))}; do {body}; done")
    cpus = ctx.vm_cpus if any(wl.id.startswith("cpu-") and wl.id != "cpu-1" for wl in workloads) else 1
    argv = side.boot_argv("; ".join(parts), disk=disk, net=net, cpus=cpus)
    ctx.progress(f"vm {label}: booting ({', '.join(['start'] * with_start + [w.id for w in workloads])}"
                 f" x{reps}), at most {ctx.vm_timeout} s")
    sample = {}
    try:
        la = Launch(argv, on_ready=lambda la_: sample.setdefault("kib", side.memory_kib(la_)),
                    tag=("start", 1))
    except LaunchError as e:
        wanted = [("start", 1)] * with_start + [(w.id, r) for w in workloads for r in range(1, reps + 1)]
        return [entry("vm", w, r, error=str(e)) for w, r in wanted]
    last = [0]

    def report_progress():
        if len(la.jobs) != last[0]:
            last[0] = len(la.jobs)
            tag = la.jobs[-1][0]
            ctx.progress(f"vm {label}: {tag[0]} run {tag[1]}/{reps} done "
                         f"({int(time.monotonic() - la.t0)} s since exec)")
        return False

    in_time = pump([la], la.t0 + ctx.vm_timeout, stop=report_progress)
    if not in_time:
        la.kill()
    la.finish()
    out = vm_entries(la, in_time, workloads, reps, with_start, sample.get("kib"))
    if all(e["error"] for e in out):
        ctx.progress(f"vm {label}: nothing came back; last lines: " + " | ".join(la.tail[-5:]))
    return out


def vm_entries(la, in_time, workloads, reps, with_start, memory_kib):
    """One entry per (workload, run) the boot was meant to run, found or not."""
    stats, boot_s = la.stats(), round(time.monotonic() - la.t0, 1)
    out, found = [], set()
    by_id = {wl.id: wl for wl in workloads}
    for (wid, rep), rec in la.jobs:
        if wid == "start" and with_start and la.ready_at:
            out.append(entry("vm", "start", 1, {"startup_ms": la.since_start_ms(la.ready_at),
                                                  "memory_kib": memory_kib},
                             stats=stats, kernel=rec["values"].get("kernel"), boot_s=boot_s))
        elif wid in by_id:
            out.append(from_record("vm", by_id[wid], rep, rec))
        else:
            continue
        found.add((wid, rep))
    wanted = [("start", 1)] * with_start + [(wl.id, r) for wl in workloads for r in range(1, reps + 1)]
    why = (failure(la, in_time, "vmm") if not in_time or la.rc not in (0, None)
           else "no result in the VM's output")
    if not la.jobs:
        # A guest that never got there usually says why last (a panic, an oops).
        tail = [ln.strip() for ln in la.tail if ln.strip()]
        if tail:
            why += "; the console ended with: " + " | ".join(tail[-3:])
    return out + [entry("vm", w, r, error=why, boot_s=boot_s, stats=stats)
                  for w, r in wanted if (w, r) not in found]


def run_density(ctx, side, n):
    ctx.progress(f"density on {side.name}: starting {n} instances at once")
    samples = {}
    is_vm = side.name == "vm"
    hold = "3600" if is_vm else str(max(3, n * 0.5))

    def sample(la):
        samples[la.proc.pid] = side.memory_kib(la)

    if is_vm:
        argv = side.boot_argv(f"/usr/bin/bench-start --hold {hold}")
        timeout = ctx.vm_timeout
    else:
        argv = side.argv("bench-start", ["--hold", hold])
        timeout = ctx.run_timeout + float(hold)
    t0 = time.monotonic()
    launches = []
    try:
        for _ in range(n):
            launches.append(Launch(argv, on_ready=sample))
    except LaunchError as e:
        for la in launches:
            la.kill()
            la.finish()
        return [entry(side.name, "density", 1, error=str(e))]
    pump(launches, t0 + timeout, stop=lambda: all(la.ready_at for la in launches))
    if is_vm:
        for la in launches:
            la.kill()
    else:
        pump(launches, time.monotonic() + timeout)
    for la in launches:
        la.finish()
    ready = [la.ready_at for la in launches if la.ready_at]
    if len(ready) < n:
        return [entry(side.name, "density", 1, error=f"{n - len(ready)} of {n} instances never "
                      f"became ready: " + failure(launches[0], True, side.name))]
    mem = []
    for la in launches:
        kib = samples.get(la.proc.pid)
        peak = la.stats().get("peak_memory_bytes")
        if kib is None and isinstance(peak, float):
            kib = peak / 1024
        if kib is not None:
            mem.append(kib)
    values = {"all_ready_ms": (max(ready) - t0) * 1000}
    if mem:
        values["memory_kib"] = statistics.mean(mem)
    return [entry(side.name, "density", 1, values, instances=n)]


def tree_kib(path):
    seen, total = set(), 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(root, f))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total / 1024


def image_sizes(ctx, sides):
    """What each side needs on disk to run the workloads."""
    kib = lambda p: os.path.getsize(p) / 1024 if os.path.exists(p) else None
    out = []
    progs = [os.path.join(ctx.bin, f) for f in os.listdir(ctx.bin) if f.startswith("bench-")]
    what = {
        "native": (sum(kib(p) for p in progs), "the static workload programs alone"),
        "container": (tree_kib(ctx.rootfs) if os.path.isdir(ctx.rootfs) else None,
                      f"rootfs directory {ctx.rootfs}"),
        "vm": ((kib(ctx.kernel) or 0) + (kib(ctx.initrd) or 0)
               if os.path.exists(ctx.kernel) else None, "kernel + initramfs"),
    }
    for s in sides:
        size, note = what[s]
        if size is None:
            out.append(entry(s, "image", 1, error=f"{note} not found"))
        else:
            out.append(entry(s, "image", 1, {"image_kib": size}, note=note))
    return out


__all__ = ["run_start", "run_job", "vm_boot", "run_density", "image_sizes", "START", "DENSITY"]
