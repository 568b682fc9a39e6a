"""isolab's programs against their peers on the same host, as ratios.

boot: vmm and QEMU microvm boot the same kernel, initramfs and command line
(vmm's own, read back from the guest's /proc/cmdline) on the same KVM; each
is timed from exec to the guest's "isolab: userspace ready" line on its
serial console and to its exit. vmm's --stats add its own figures.

runtimes: /bin/true in a container, from exec to exit, against runc, crun
(one OCI bundle over the same rootfs) and unshare (the namespace floor).

Each yields a peer table: rows of metrics, columns of contenders, and the
ratio of isolab's contender to the reference one.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time

from .launch import Launch, LaunchError, pump
from .report import contender_table

USERSPACE = re.compile(r"isolab: userspace ready")
# The guest's /proc/cmdline, printed whole on one line (quiet: no kernel messages in between).
CMDLINE = re.compile(r"^\s*(\S.*\bisolab\.vm=1\b.*?)\s*$")
QEMU = "qemu-system-x86_64"


SHORT = {"boot": "Boot: vmm vs QEMU microvm (ratio to {base})",
         "runtimes": "Container start vs runc, crun, unshare (ratio to {base})",
         "vmm-io": "Virtio I/O: vmm vs QEMU microvm (ratio to {base})",
         "migration": "Live migration by dirty rate (ratio to {base})",
         "restore": "VM restore from a snapshot vs cold boot (ratio to {base})"}


def peer_table(pid, title, contenders, base, subject, metrics, samples, notes):
    """samples: {contender: {metric key: [values]}}; metrics: (key, label, unit, better)."""
    rows = [(key, label, unit, better, {c: samples.get(c, {}).get(key, []) for c in contenders})
            for key, label, unit, better in metrics]
    return contender_table(pid, title, SHORT[pid].format(base=base), contenders, base, subject, rows,
                        notes)


class BootRun:
    """One boot under one VMM: times of the ready line and of the exit."""

    def __init__(self, argv, timeout):
        self.la = Launch(argv, ready=USERSPACE)
        stopped = lambda: "KVM internal error" in self.la.stderr()  # QEMU pauses, never exits
        self.in_time = pump([self.la], self.la.t0 + timeout, stop=stopped)
        self.exit_ms = self.la.since_start_ms(time.monotonic())
        self.la.kill()
        self.la.finish()
        self.cmdline = next((m.group(1) for ln in self.la.tail for m in [CMDLINE.search(ln)]
                             if m and "userspace ready" not in ln), None)

    def ready_ms(self):
        return self.la.since_start_ms(self.la.ready_at) if self.la.ready_at else None

    def why_not(self, name):
        lines = [ln.strip() for ln in self.la.stderr().splitlines() + self.la.tail if ln.strip()]
        said = [ln for ln in lines if "error" in ln.lower() or ln.startswith(("vmm:", "qemu"))]
        how = "timed out" if not self.in_time else f"exited {self.la.rc}"
        return f"{name} {how} before the userspace line: " + ((said or lines or ["no output"])[-1])


def qemu_cpu(host):
    # -cpu host is the like-for-like choice; PVM refuses it (MSR 0x10a), its EPYC model works.
    return "host" if host["kvm"] == "hardware-assisted" else "EPYC"


def qemu_argv(ctx, host, cmdline):
    return [QEMU, "-enable-kvm", "-M", "microvm,acpi=off,rtc=off", "-cpu", qemu_cpu(host),
            "-m", ctx.vm_mem, "-nodefaults", "-no-user-config", "-display", "none",
            "-monitor", "none", "-serial", "stdio", "-no-reboot",
            # The guest's `isolab-marker exit STATUS` (port 0xf4) ends QEMU as it ends vmm.
            "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
            "-kernel", ctx.kernel, "-initrd", ctx.initrd, "-append", cmdline]


BOOT_METRICS = [
    ("ready_ms", "exec to 'isolab: userspace ready'", "ms", "lower"),
    ("exit_ms", "exec to exit (guest ran `cat /proc/cmdline`)", "ms", "lower"),
    ("first_kvm_run_ms", "exec to first KVM_RUN (vmm --stats)", "ms", "lower"),
    ("vmm_private_kib", "VMM private memory, guest RAM excluded", "KiB", "lower"),
    ("guest_ram_touched_kib", "guest RAM touched", "KiB", "lower"),
    ("exits_per_boot", "VM exits per boot, all reasons (vmm --stats)", "exits", "lower"),
]


def vmm_exits(stats):
    """{reason: count} summed over vCPUs, from vmm --stats' vcpuK_exits_REASON lines."""
    out = {}
    for k, v in stats.items():
        m = re.match(r"vcpu\d+_exits_(\w+)$", k)
        if m and isinstance(v, float):
            out[m.group(1)] = out.get(m.group(1), 0) + v
    return out


def boot(ctx, side, host, reps):
    """vmm against QEMU microvm, boot by boot in turn (load hits both alike)."""
    samples = {"vmm": {}, "qemu": {}}
    notes, exits, cmdline = [], [], None
    timeout = min(ctx.vm_timeout, 600)
    have_qemu = shutil.which(QEMU)
    if not have_qemu:
        notes.append(f"QEMU: {QEMU} not installed (apt-get install qemu-system-x86)")
    add = lambda who, k, v: samples[who].setdefault(k, []).append(v) if v is not None else None
    for rep in range(1, reps + 1):
        ctx.progress(f"boot peer: vmm, run {rep}/{reps}")
        try:
            vr = BootRun(side.boot_argv("cat /proc/cmdline"), timeout)
        except LaunchError as e:
            return peer_table("boot", BOOT_TITLE, ["vmm", "qemu"], "qemu", "vmm", BOOT_METRICS,
                              samples, notes + [str(e)])
        if vr.ready_ms() is None:
            notes.append(vr.why_not("vmm"))
            continue
        st = vr.la.stats()
        add("vmm", "ready_ms", vr.ready_ms())
        add("vmm", "exit_ms", vr.exit_ms)
        for k in ("first_kvm_run_ms", "vmm_private_kib", "guest_ram_touched_kib"):
            add("vmm", k, st.get(k) if isinstance(st.get(k), float) else None)
        by_reason = vmm_exits(st)
        exits.append(by_reason)
        add("vmm", "exits_per_boot", sum(by_reason.values()) if by_reason else None)
        cmdline = vr.cmdline or cmdline
        if not have_qemu or not vr.cmdline:
            if have_qemu:
                notes.append("QEMU not run: the vmm guest did not print its /proc/cmdline")
            continue
        ctx.progress(f"boot peer: QEMU microvm -cpu {qemu_cpu(host)}, run {rep}/{reps}")
        qr = BootRun(qemu_argv(ctx, host, vr.cmdline), timeout)
        if qr.ready_ms() is None:
            notes.append(qr.why_not("QEMU"))
            continue
        add("qemu", "ready_ms", qr.ready_ms())
        add("qemu", "exit_ms", qr.exit_ms)
    if exits:
        reasons = sorted({r for e in exits for r in e})
        per = {r: sorted(e.get(r, 0) for e in exits)[len(exits) // 2] for r in reasons}
        notes.append("vmm exits per boot by reason (median): " +
                     ", ".join(f"{r} {int(n)}" for r, n in sorted(per.items(), key=lambda x: -x[1])))
    if cmdline:
        notes.append(f"command line of both: {cmdline}")
    notes.append(f"QEMU: {QEMU} -enable-kvm -M microvm,acpi=off,rtc=off -cpu {qemu_cpu(host)} "
                 "-serial stdio, isa-debug-exit on 0xf4; same kernel, initramfs, RAM and command line")
    return peer_table("boot", BOOT_TITLE, ["vmm", "qemu"], "qemu", "vmm", BOOT_METRICS,
                      samples, sorted(set(notes), key=notes.index))


BOOT_TITLE = "Boot: vmm against QEMU microvm, same kernel, initramfs and command line"
RUNTIMES_TITLE = "Container start: /bin/true, exec to exit, against runc, crun and unshare"


def _bundle(root, rootfs):
    """An OCI bundle over the same tree: read-only root, /bin/true, no terminal."""
    os.makedirs(root)
    subprocess.run(["runc", "spec", "--bundle", root], check=True, capture_output=True)
    path = os.path.join(root, "config.json")
    with open(path) as f:
        spec = json.load(f)
    spec["process"].update(terminal=False, args=["/bin/true"])
    spec["root"] = {"path": rootfs, "readonly": True}
    with open(path, "w") as f:
        json.dump(spec, f)
    return root


def runtimes(ctx, reps):
    """container against runc, crun and the namespace floor; interleaved rounds."""
    cmds = {
        "container": [os.path.join(ctx.bin, "container"), "run", "--rm", "--net", "none",
                      ctx.rootfs, "--", "/bin/true"],
        "unshare": ["unshare", "--pid", "--mount", "--uts", "--ipc", "--net", "--fork", "true"],
    }
    notes, work = [], tempfile.mkdtemp(prefix="isolab-bench-oci-")
    try:
        if shutil.which("runc"):
            bundle = _bundle(os.path.join(work, "bundle"), ctx.rootfs)
            for rt in ("runc", "crun"):
                if shutil.which(rt):
                    cmds[rt] = [rt, "run", "--bundle", bundle, "isolab-bench-{n}"]
                else:
                    notes.append(f"{rt}: not installed (apt-get install {rt})")
        else:
            notes.append("runc, crun: no runc to write the OCI bundle (apt-get install runc crun)")
        return _race(ctx, cmds, reps, notes)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _race(ctx, cmds, reps, notes):
    samples, n = {}, [0]

    def once(name):
        n[0] += 1
        argv = [a.replace("{n}", f"{os.getpid()}-{n[0]}") for a in cmds[name]]
        t = time.monotonic()
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        return (time.monotonic() - t) * 1000, r

    for name in list(cmds):  # one trial each: what refuses here is reported, not timed
        try:
            _, r = once(name)
        except (OSError, subprocess.TimeoutExpired) as e:
            r = subprocess.CompletedProcess([], 1, b"", str(e).encode())
        if r.returncode != 0:
            notes.append(f"{name}: refused here: " + r.stderr.decode("utf-8", "replace").strip()[:160])
            del cmds[name]
    for rep in range(1, reps + 1):
        ctx.progress(f"runtimes: round {rep}/{reps} ({', '.join(cmds)})")
        for name in cmds:
            ms, r = once(name)
            if r.returncode == 0:
                samples.setdefault(name, {}).setdefault("true_ms", []).append(ms)
    base = "runc" if "runc" in cmds else "unshare"
    return peer_table("runtimes", RUNTIMES_TITLE, ["container", "runc", "crun", "unshare"], base,
                      "container", [("true_ms", "exec to exit of /bin/true", "ms", "lower")],
                      samples, notes)
