"""How to run a workload on each side: the command lines are the contract
with the vmm and container CLIs, and memory is read the way each side
defines an instance (see memory.py)."""

import os
import shlex
import subprocess
import time

from . import memory
from .launch import Launch, LaunchError, pump


class Side:
    name = ""

    def __init__(self, ctx):
        self.ctx = ctx

    def prog(self, program):
        return os.path.join(self.ctx.bin, program)

    def missing(self):
        """Why this side cannot run here, or None."""
        return None

    def check(self, workload, raw):
        """A side-specific reason to distrust a run that verified itself, or None."""
        return None

    def note(self, workload):
        """What a reader must know about where this side's figure came from, or None."""
        return None

    def _need_files(self, *paths):
        for p in paths:
            if not os.path.exists(p):
                return f"{p} is missing (build it first: make all images)"
        return None


class Native(Side):
    name = "native"

    def missing(self):
        return self._need_files(self.prog("bench-start"))

    def argv(self, program, args, workload=None):
        args = list(args)
        if workload in ("disk", "disk-volume"):
            args = ["--file", self.ctx.scratch(f"native-{workload}.dat")] + args
        elif workload == "net":
            args = ["--loopback"] + args
        return [self.prog(program)] + args

    def memory_kib(self, launch):
        return memory.rss_kib(launch.proc.pid)


class Container(Side):
    name = "container"

    def missing(self):
        why = self._need_files(self.prog("container"), os.path.join(self.ctx.rootfs, "usr/bin/bench-start"))
        if why is None and os.geteuid() != 0:
            why = "the container side needs root"
        return why

    def argv(self, program, args, workload=None):
        opts, args = ["--net", "none"], list(args)
        if workload == "disk":
            # A path in the rootfs itself: the container's writable layer.
            args = ["--file", "/var/tmp/bench-disk.dat"] + args
        elif workload == "disk-volume":
            opts += ["-v", f"{self.ctx.scratch_dir('volume')}:/mnt"]
            args = ["--file", "/mnt/bench-disk.dat"] + args
        elif workload == "net":
            opts = ["--net", "bridge"]
            args = ["--client", self.ctx.host_addr, "--port", str(self.ctx.net_port)] + args
        return ([self.prog("container"), "run", "--rm"] + opts + ["--stats", self.ctx.rootfs, "--",
                f"/usr/bin/{program}"] + args)

    def check(self, workload, raw):
        # Only telling when the volume's host directory is not itself on an overlay
        # (the nested lab host's / is one).
        if (workload == "disk-volume" and raw.get("fs") == "overlayfs"
                and memory.host_fstype(self.ctx.scratch_dir("volume")) != "overlay"):
            return "the volume was not mounted: the file landed in the container's overlay layer"
        return None

    def note(self, workload):
        if workload != "disk":
            return None
        if not hasattr(self, "_layer_note"):
            self._layer_note = self._find_layer()
        return self._layer_note

    def _find_layer(self):
        """Where the overlay's upper layer really lives, read from the host
        while a probe container holds: the disk figure is a disk figure only
        if that is a disk (isolab's --rm puts it on a tmpfs of its own)."""
        seen = {}

        def look(la):
            probe = memory.find_descendant(la.proc.pid, "bench-start")
            seen["probe"] = memory.mountinfo(probe) if probe else []
            upper = next((o.split("=", 1)[1] for m in seen["probe"] if m["point"] == "/"
                          for o in m["super_opts"].split(",") if o.startswith("upperdir=")), None)
            seen["upper"] = upper
            seen["visible"] = bool(upper) and os.path.isdir(upper)

        try:
            la = Launch(self.argv("bench-start", ["--hold", "1"]), on_ready=look)
        except LaunchError:
            return None
        pump([la], time.monotonic() + 60)
        la.finish()
        upper = seen.get("upper")
        if not upper:
            return None
        if not seen["visible"]:
            # isolab's --rm mounts a tmpfs over the state directory in the runtime's own
            # mount namespace; after pivot_root nobody outside can see it.
            return (f"writable layer: overlayfs, upper layer {upper} on a mount private to the "
                    "runtime, invisible from the host (isolab --rm: a tmpfs, so this figure "
                    "measures RAM, not a disk)")
        fs = memory.host_fstype(upper)
        warn = " (memory, not a disk: this figure measures RAM)" if fs in ("tmpfs", "ramfs") else ""
        return f"writable layer: overlayfs, upper layer {upper} on {fs}{warn}"

    def memory_kib(self, launch):
        pid = memory.find_descendant(launch.proc.pid, "bench-start")
        return memory.cgroup_memory_kib(pid) if pid else None


class Vm(Side):
    name = "vm"

    def missing(self):
        why = self._need_files(self.prog("vmm"), self.ctx.kernel, self.ctx.initrd)
        if why is None and not (os.access("/dev/kvm", os.R_OK | os.W_OK)):
            why = "no usable /dev/kvm"
        return why

    def guest_cmd(self, program, args, workload=None):
        args = list(args)
        if workload == "disk":
            args = ["--file", "/dev/vda", "--allow-device"] + args
            if self.ctx.vm_disk_size:
                # Later options win: every guest I/O crosses the (possibly emulated) guest kernel.
                args += ["--size", self.ctx.vm_disk_size]
        elif workload == "net":
            args = ["--client", self.ctx.host_addr, "--port", str(self.ctx.net_port)] + args
        return " ".join([f"/usr/bin/{program}"] + [shlex.quote(a) for a in args])

    def supports(self, option):
        """Whether this vmm build has an option (devices land one by one)."""
        try:
            text = subprocess.run([self.prog("vmm"), "--help"], capture_output=True, text=True,
                                  timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            return False
        return option in text

    def boot_argv(self, script, disk=None, net=False, cpus=1):
        """One boot that runs a shell script; the kernel command line takes no
        single quotes and ends an argument at a double quote, so the script
        must contain neither."""
        if '"' in script or "'" in script:
            raise ValueError("VM script must not contain quotes")
        argv = [self.prog("vmm"), "--kernel", self.ctx.kernel, "--initrd", self.ctx.initrd,
                "--mem", self.ctx.vm_mem, "--cpus", str(cpus), "--stats"]
        if disk:
            argv += ["--disk", disk]
        cmdline = "quiet"
        if net:
            argv += ["--net", "tap"]
            # The guest's /init configures eth0 from isolab.net=ADDR/PREFIX,GATEWAY.
            cmdline += f" isolab.net={self.ctx.vm_addr},{self.ctx.host_addr}"
        return argv + ["--cmdline", f'{cmdline} -- /bin/sh -c "{script}"']

    def memory_kib(self, launch):
        return memory.private_kib(launch.proc.pid)


ALL = (Native, Container, Vm)
