"""The workloads and the figures each one yields.

A metric marked kernel=True is paid inside the kernel (syscalls, faults,
interrupts, drivers). On a host whose KVM emulates guest kernel code those
VM figures are distorted and the reports say so; user-space figures are not.
"""

from dataclasses import dataclass, field


@dataclass
class Metric:
    key: str
    label: str
    unit: str
    better: str  # "higher" or "lower"
    kernel: bool = False


@dataclass
class Workload:
    id: str
    program: str
    title: str
    metrics: list
    sides: tuple = ("native", "container", "vm")
    note: str = ""
    args: dict = field(default_factory=dict)  # size name -> argument list


def _m(key, label, unit, better, kernel=False):
    return Metric(key, label, unit, better, kernel)


def catalogue(cpus):
    """Every workload bench/run knows, with 'full' and 'quick' sizes."""
    every = [
        Workload("cpu-1", "bench-cpu", "CPU: sysbench prime search, 1 thread",
                 [_m("events_per_sec", "cpu 1 thread", "events/s", "higher")],
                 args={"full": ["--threads", "1", "--cpu-max-prime", "10000", "--time", "5"],
                       "quick": ["--threads", "1", "--cpu-max-prime", "10000", "--time", "0.3"]}),
        Workload(f"cpu-{cpus}", "bench-cpu", f"CPU: sysbench prime search, {cpus} threads",
                 [_m("events_per_sec", f"cpu {cpus} threads", "events/s", "higher")],
                 args={"full": ["--threads", str(cpus), "--cpu-max-prime", "10000", "--time", "5"],
                       "quick": ["--threads", str(cpus), "--cpu-max-prime", "10000", "--time", "0.3"]}),
        Workload("mem", "bench-mem", "Memory: STREAM and random access",
                 [_m("copy_mb_per_s", "STREAM copy", "MB/s", "higher"),
                  _m("scale_mb_per_s", "STREAM scale", "MB/s", "higher"),
                  _m("add_mb_per_s", "STREAM add", "MB/s", "higher"),
                  _m("triad_mb_per_s", "STREAM triad", "MB/s", "higher"),
                  _m("random_ns_per_access", "random access", "ns", "lower")],
                 args={"full": ["--size", "32M", "--ntimes", "10", "--random-size", "64M",
                                "--random-steps", "10000000"],
                       "quick": ["--size", "1M", "--ntimes", "3", "--random-size", "1M",
                                 "--random-steps", "100000"]}),
        Workload("sys", "bench-sys", "Kernel entry: syscall and page fault",
                 [_m("syscall_ns", "getppid syscall", "ns", "lower", True),
                  _m("fault_ns", "page fault", "ns", "lower", True)],
                 args={"full": ["--time", "2", "--fault-size", "16M"],
                       "quick": ["--time", "0.2", "--fault-size", "1M"]}),
        Workload("disk", "bench-disk", "Disk: host dir / container layer / virtio-blk",
                 [_m("seq_write_mb_per_s", "seq write 1M", "MB/s", "higher", True),
                  _m("seq_read_mb_per_s", "seq read 1M", "MB/s", "higher", True),
                  _m("rand_write_iops", "rand write 4K", "IOPS", "higher", True),
                  _m("rand_read_iops", "rand read 4K", "IOPS", "higher", True)],
                 note="native: a file in a host directory; container: a file in its writable "
                      "layer; VM: a virtio-blk disk backed by a file in the same host directory",
                 args={"full": ["--size", "256M", "--time", "2"],
                       "quick": ["--size", "4M", "--time", "0.2"]}),
        Workload("disk-volume", "bench-disk", "Disk: container volume (bind-mounted host dir)",
                 [_m("seq_write_mb_per_s", "vol seq write 1M", "MB/s", "higher", True),
                  _m("seq_read_mb_per_s", "vol seq read 1M", "MB/s", "higher", True),
                  _m("rand_write_iops", "vol rand write 4K", "IOPS", "higher", True),
                  _m("rand_read_iops", "vol rand read 4K", "IOPS", "higher", True)],
                 sides=("native", "container"),
                 note="container: a file in a host directory bind-mounted with -v",
                 args={"full": ["--size", "256M", "--time", "2"],
                       "quick": ["--size", "4M", "--time", "0.2"]}),
        Workload("net", "bench-net", "Network: TCP to and from the host",
                 [_m("stream_mbit_per_s", "TCP stream", "Mbit/s", "higher", True),
                  _m("rr_latency_us", "TCP 1-byte round trip", "us", "lower", True)],
                 note="native: host loopback; container: veth over bridge isolab0 to the host; "
                      "VM: virtio-net over TAP to the host",
                 args={"full": ["--time", "2"], "quick": ["--time", "0.2"]}),
    ]
    # On a one-CPU host "all cores" is the single-thread test again.
    return every if cpus > 1 else every[:1] + every[2:]


# Figures measured by the harness itself rather than printed by a workload.
START = [_m("startup_ms", "start: exec to running", "ms", "lower", True),
         _m("memory_kib", "memory per instance", "KiB", "lower")]
DENSITY = [_m("all_ready_ms", "N at once: all running", "ms", "lower", True),
           _m("memory_kib", "N at once: memory each", "KiB", "lower")]
IMAGE = [_m("image_kib", "image size", "KiB", "lower")]

SPECIAL = ("start", "density", "image", "boot", "runtimes", "vmm-io", "storage", "migration",
           "restore")
