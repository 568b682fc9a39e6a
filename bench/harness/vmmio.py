"""vmm-io: virtio disk and TCP throughput of one guest under vmm and under
QEMU microvm, and vmm's VM exits and interrupts per virtio request.

Each VMM boots the same kernel and initramfs with a raw disk file and a TAP.
The guest reads its script from a small read-only disk (the kernel command
line cannot carry one) and runs three phases, each between 'VIO: begin X'
and 'VIO: end X' lines: bench-disk on the raw virtio disk, bench-net from the
guest to a server on the host end of the TAP, and a server in the guest that
the host streams to. For vmm the harness snapshots `vmm monitor PATH stats`
and `info devices` at every marker and divides the counters' growth over a
phase by the device's requests (descriptor chains: one per disk request,
one per packet).
"""

import os
import re
import shutil
import subprocess
import tempfile

from .launch import Launch, LaunchError, pump
from .peers import QEMU, BootRun, peer_table, qemu_cpu
from .records import RecordParser, parse_stats

PORT = 7931
QEMU_TAP_HOST, QEMU_TAP_GUEST = "172.31.250.1", "172.31.250.2"
PHASES = (("disk", "blk0"), ("net-out", "net0"), ("net-in", "net0"))
MARK = re.compile(r"VIO: (begin|end) (\S+)")
TAP_LINE = re.compile(r"TAP \S+, host ([0-9.]+)/\d+, guest ([0-9.]+)")

GUEST = """say() {{ echo "VIO: $*"; sleep 1; }}
echo "VIO: cmdline $(cat /proc/cmdline)"
for d in /sys/block/vd*; do [ "$(cat $d/ro)" = 0 ] && disk=/dev/${{d##*/}}; done
gw=$(ip route | sed -n 's/^default via \\([0-9.]*\\).*/\\1/p')
say begin disk
bench-disk --file "$disk" --allow-device --size {disk_mb}M --time {io_time}
say end disk
say begin net-out
bench-net --client "$gw" --port {port} --time {io_time} --test both
say end net-out
bench-net --server --bind 0.0.0.0 --port {port_in} --count 1 >/tmp/srv &
say begin net-in
wait
say end net-in
exit 0
"""
# The guest finds its script as the disk whose first bytes are the say() line.
GUEST_CMD = '-- sh -c "for d in /dev/vd?; do head -c 3 $d | grep -q say && exec sh $d; done"'

METRICS = [
    ("seq_write_mb_per_s", "disk seq write 1M", "MB/s", "higher"),
    ("seq_read_mb_per_s", "disk seq read 1M", "MB/s", "higher"),
    ("rand_write_iops", "disk rand write 4K", "IOPS", "higher"),
    ("rand_read_iops", "disk rand read 4K", "IOPS", "higher"),
    ("stream_mbit_per_s", "TCP guest to host", "Mbit/s", "higher"),
    ("rr_latency_us", "TCP 1-byte round trip", "us", "lower"),
    ("host_to_guest_stream_mbit_per_s", "TCP host to guest (host clock)", "Mbit/s", "higher"),
] + [(f"{ph}_{k}_per_req", f"{ph}: {what} per virtio-{dev} request (vmm)", "count", "lower")
     for ph, dev in PHASES for k, what in (("exits", "VM exits"), ("irqs", "interrupts"),
                                           ("mmio_exits", "MMIO exits"))]


class IoBoot:
    """One boot of one VMM through the three phases; the host ends of the
    network tests run from the console-line hook, at the guest's markers."""

    def __init__(self, ctx, name, argv, monitor=None, guest_addr=None):
        self.ctx, self.name, self.monitor = ctx, name, monitor
        self.guest_addr, self.snaps, self.values, self.cmdline = guest_addr, {}, {}, None
        self.server, self.restarted = None, False
        self.la = Launch(argv, on_line=self._line)

    def run(self, timeout, serve_on=None):
        # QEMU pauses on a KVM internal error, and may hang in a reset it cannot do.
        stop = lambda: (self._maybe_serve(serve_on) or self.restarted
                        or "KVM internal error" in self.la.stderr())
        self.in_time = pump([self.la], self.la.t0 + timeout, stop=stop)
        self.la.kill()
        self.la.finish()
        if self.server:
            self.server.kill()
            self.server.finish()
        self.bad = any(rec["values"].get("verified") == "no" for _, rec in self.la.jobs)
        for _, rec in self.la.jobs:
            self.values.update({k: v for k, v in rec["values"].items() if isinstance(v, float)})
        return self

    def _maybe_serve(self, fixed_host):
        """Starts the guest-to-host server once its address is known: QEMU's TAP
        is ours, vmm names its TAP's host and guest addresses on stderr."""
        if self.server is None:
            host = fixed_host
            m = None if host else TAP_LINE.search(self.la.stderr())
            if m:
                host, self.guest_addr = m.group(1), m.group(2)
            if host:
                self.server = Launch([os.path.join(self.ctx.bin, "bench-net"), "--server",
                                      "--bind", host, "--port", str(PORT)])
        return False

    def _line(self, la, line):
        self.restarted = self.restarted or "reboot: machine restart" in line
        if line.startswith("VIO: cmdline "):
            self.cmdline = line[len("VIO: cmdline "):].strip()
        m = MARK.search(line)
        if not m:
            return
        edge, phase = m.groups()
        self.ctx.progress(f"vmm-io: {self.name}: {phase} {edge}s")
        if self.monitor:
            self.snaps[(phase, edge)] = self._snapshot()
        if edge == "begin" and phase == "net-in" and self.guest_addr:
            self._stream_to_guest()

    def _snapshot(self):
        out = ""
        for cmd in ("stats", "info devices"):
            r = subprocess.run([os.path.join(self.ctx.bin, "vmm"), "monitor", self.monitor, cmd],
                               capture_output=True, text=True, timeout=30)
            out += r.stdout
        return parse_stats(out)

    def _stream_to_guest(self):
        r = subprocess.run([os.path.join(self.ctx.bin, "bench-net"), "--client", self.guest_addr,
                            "--port", str(PORT + 1), "--time", str(self.ctx.io_time),
                            "--test", "stream"], capture_output=True, text=True, timeout=120)
        parser = RecordParser()
        for ln in r.stdout.splitlines():
            parser.feed(0.0, ln)
        for rec in parser.records:
            v = rec["values"].get("stream_mbit_per_s")
            if isinstance(v, float):
                self.values["host_to_guest_stream_mbit_per_s"] = v

    def per_request(self):
        """exits, interrupts and MMIO exits per request over each phase (vmm only)."""
        out = {}
        for phase, dev in PHASES:
            a, b = self.snaps.get((phase, "begin")), self.snaps.get((phase, "end"))
            if not a or not b:
                continue
            grow = lambda pat: sum(b.get(k, 0) - a.get(k, 0) for k in b
                                   if re.fullmatch(pat, k) and isinstance(b[k], float))
            reqs = grow(f"virtio_{dev}_requests")
            if reqs > 0:
                out[f"{phase}_exits_per_req"] = grow(r"vcpu\d+_exits_\w+") / reqs
                out[f"{phase}_irqs_per_req"] = grow(f"virtio_{dev}_interrupts") / reqs
                out[f"{phase}_mmio_exits_per_req"] = grow(r"vcpu\d+_exits_mmio") / reqs
        return out

    def why_not(self):
        lines = [ln.strip() for ln in self.la.stderr().splitlines() + self.la.tail if ln.strip()]
        said = [ln for ln in lines if "error" in ln.lower() or ln.startswith("vmm:")]
        how = "timed out" if not self.in_time else f"exited {self.la.rc}"
        return f"{self.name}: {how}: " + " | ".join((said or lines or ["no output"])[-3:])


def _files(ctx, work):
    script = GUEST.format(disk_mb=ctx.io_disk_mb, io_time=ctx.io_time, port=PORT, port_in=PORT + 1)
    img = os.path.join(work, "script.img")
    with open(img, "w") as f:  # newlines, never NULs, up to whole sectors: sh stops at exit
        f.write(script + "\n" * (4096 - len(script)))
    disk = os.path.join(work, "disk.img")
    with open(disk, "wb") as f:
        f.truncate(ctx.io_disk_mb << 20)
    return img, disk


def _qemu_argv(ctx, host, img, disk, tap, cmdline, auto=True):
    return [QEMU, "-enable-kvm", "-M", "microvm,acpi=off,rtc=off,auto-kernel-cmdline=" +
            ("on" if auto else "off"), "-cpu", qemu_cpu(host), "-m", "128M", "-nodefaults",
            "-no-user-config", "-display", "none", "-monitor", "none", "-serial", "stdio",
            "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
            "-kernel", ctx.kernel, "-initrd", ctx.initrd, "-append", cmdline,
            "-drive", f"id=d0,file={disk},format=raw,if=none", "-device", "virtio-blk-device,drive=d0",
            "-drive", f"id=d1,file={img},format=raw,if=none,readonly=on",
            "-device", "virtio-blk-device,drive=d1",
            "-netdev", f"tap,id=n0,ifname={tap},script=no,downscript=no",
            "-device", "virtio-net-device,netdev=n0"]


def _moved_devices(cmdline, seen):
    """microvm appends its virtio_mmio.device= words at the very end, after the
    ' -- ' that starts /init's command, where the kernel no longer reads them.
    Given the command line a probe guest saw, the same words before ' -- '."""
    words = re.findall(r"virtio_mmio\.device=\S+", seen.split(" -- ", 1)[-1]) if seen else []
    if not words or " -- " not in cmdline:
        return None
    head, tail = cmdline.split(" -- ", 1)
    return f"{head} {' '.join(words)} -- {tail}"


def _qemu(ctx, host, img, disk, cmdline, timeout):
    tap = f"benchq{os.getpid() % 100000}"
    ip = lambda *a: subprocess.run(["ip"] + list(a), capture_output=True, text=True)
    r = ip("tuntap", "add", "dev", tap, "mode", "tap")
    if r.returncode != 0:
        return None, f"QEMU: cannot create TAP {tap}: {r.stderr.strip()}"
    try:
        ip("addr", "add", f"{QEMU_TAP_HOST}/24", "dev", tap)
        ip("link", "set", tap, "up")
        cmdline = re.sub(r" ?virtio_mmio\.device=\S+", "", cmdline)
        cmdline = re.sub(r"isolab\.net=\S+", f"isolab.net={QEMU_TAP_GUEST}/24,{QEMU_TAP_HOST}", cmdline)
        run = lambda c, auto: IoBoot(ctx, "QEMU", _qemu_argv(ctx, host, img, disk, tap, c, auto),
                                     guest_addr=QEMU_TAP_GUEST).run(timeout, serve_on=QEMU_TAP_HOST)
        # A probe boot prints the command line the guest really got.
        ctx.progress("vmm-io: QEMU probe boot: where do its virtio_mmio.device= words land?")
        probe_cmd = cmdline.split(" -- ", 1)[0] + ' -- /bin/sh -c "cat /proc/cmdline"'
        probe = BootRun(_qemu_argv(ctx, host, img, disk, tap, probe_cmd), timeout)
        fixed = _moved_devices(cmdline, probe.cmdline)
        return (run(fixed, False) if fixed else run(cmdline, True)), None
    finally:
        ip("link", "del", tap)


def measure(ctx, side, host):
    """One boot under vmm, one under QEMU; a peer table with vmm/QEMU ratios."""
    notes, samples, qb = [], {"vmm": {}, "qemu": {}}, None
    work = tempfile.mkdtemp(prefix="isolab-bench-io-", dir=ctx.scratch_root)
    timeout = min(ctx.vm_timeout, 600)
    try:
        img, disk = _files(ctx, work)
        mon = os.path.join(work, "mon")
        argv = [side.prog("vmm"), "--kernel", ctx.kernel, "--initrd", ctx.initrd, "--mem", "128M",
                "--disk", disk, "--disk", f"{img},ro", "--net", "tap", "--stats",
                "--monitor", f"unix:{mon}", "--cmdline", GUEST_CMD]
        ctx.progress(f"vmm-io: vmm boots with a {ctx.io_disk_mb} MiB disk and a TAP")
        try:
            vb = IoBoot(ctx, "vmm", argv, monitor=mon).run(timeout)
        except LaunchError as e:
            return peer_table("vmm-io", TITLE, ["vmm", "qemu"], "qemu", "vmm", METRICS, samples, [str(e)])
        samples["vmm"] = {k: [v] for k, v in {**vb.values, **vb.per_request()}.items()}
        if not vb.snaps.get(("net-in", "end")):
            notes.append(vb.why_not() + " (before the last phase ended)")
        if not shutil.which(QEMU):
            notes.append(f"QEMU: {QEMU} not installed (apt-get install qemu-system-x86)")
        elif not vb.cmdline:
            notes.append("QEMU not run: vmm's guest did not print its command line")
        else:
            ctx.progress(f"vmm-io: QEMU microvm -cpu {qemu_cpu(host)} boots the same")
            os.truncate(disk, 0)
            os.truncate(disk, ctx.io_disk_mb << 20)
            qb, why = _qemu(ctx, host, img, disk, vb.cmdline, timeout)
            if why:
                notes.append(why)
            else:
                samples["qemu"] = {k: [v] for k, v in qb.values.items()}
                if "stream_mbit_per_s" not in qb.values:
                    notes.append(qb.why_not() + " (before its network phase)")
        for b in (vb, qb):
            if b and b.bad:
                notes.append(f"{b.name}: a test read back wrong data")
        notes.append(f"one boot each, {ctx.io_disk_mb} MiB raw virtio disk (O_DIRECT), {ctx.io_time} s "
                     "per random and network test; per-request counts include ~2 s of idle timer "
                     "ticks around the phase markers")
        return peer_table("vmm-io", TITLE, ["vmm", "qemu"], "qemu", "vmm", METRICS, samples, notes)
    finally:
        shutil.rmtree(work, ignore_errors=True)


TITLE = "Virtio I/O: vmm against QEMU microvm, one guest, raw disk and TAP"
