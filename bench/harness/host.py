"""What a result depends on: the host's CPU, kernel, cgroup version and KVM kind."""

import os
import platform


def _cpuinfo():
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


def cpu_model(cpuinfo):
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def cgroup_version():
    """v2 when /sys/fs/cgroup is itself cgroup2; v1 (or hybrid) otherwise."""
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return "v2"
    if os.path.isdir("/sys/fs/cgroup/memory"):
        hybrid = os.path.exists("/sys/fs/cgroup/unified/cgroup.controllers")
        return "v1 (hybrid: empty v2 at /sys/fs/cgroup/unified)" if hybrid else "v1"
    return "none found"


def kvm_kind(cpuinfo):
    """Hardware-assisted KVM runs guest kernels natively; PVM emulates them."""
    if not os.path.exists("/dev/kvm"):
        return "none (no /dev/kvm)"
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    hw = "vmx" in flags or "svm" in flags
    if os.path.isdir("/sys/module/kvm_pvm") and not hw:
        return "emulated (PVM)"
    return "hardware-assisted" if hw else "unknown (no vmx/svm flag, no kvm_pvm)"


def describe():
    info = _cpuinfo()
    return {
        "cpu": cpu_model(info),
        "cpus": os.cpu_count() or 1,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "cgroup": cgroup_version(),
        "kvm": kvm_kind(info),
    }


def emulated(host):
    return host["kvm"].startswith("emulated")


def one_line(host):
    return (f"{host['cpu']}, {host['cpus']} CPUs, Linux {host['kernel']}, "
            f"cgroup {host['cgroup']}, KVM: {host['kvm']}")
