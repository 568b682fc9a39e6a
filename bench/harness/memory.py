"""Memory one instance costs, read from the host while it runs.

native: the process's resident set. container: its cgroup's memory usage
(what the memory limit counts). VM: the vmm process's private memory, which
holds the guest RAM the guest has touched plus the VMM's own heap.
"""

import os


def smaps_rollup_kib(pid):
    fields = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2] == "kB":
                    fields[parts[0].rstrip(":")] = int(parts[1])
    except OSError:
        return {}
    return fields


def rss_kib(pid):
    return smaps_rollup_kib(pid).get("Rss")


def private_kib(pid):
    f = smaps_rollup_kib(pid)
    if "Private_Clean" not in f:
        return None
    return f["Private_Clean"] + f["Private_Dirty"]


def _children():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ')'.
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def find_descendant(pid, comm):
    kids, todo = _children(), [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/comm") as f:
                if f.read().strip() == comm:
                    return p
        except OSError:
            pass
        todo.extend(kids.get(p, []))
    return None


def _cgroups(pid):
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            return f.read().splitlines()
    except OSError:
        return None


def cgroup_memory_kib(pid):
    """The memory cgroup's usage for pid, on cgroup v2, v1 or hybrid hosts;
    None when pid shares the harness's cgroup (then it is not the instance's)."""
    lines = _cgroups(pid)
    if lines is None or lines == _cgroups(os.getpid()):
        return None
    v1 = [ln.split(":", 2)[2] for ln in lines if "memory" in ln.split(":", 2)[1].split(",")]
    v2 = [ln.split(":", 2)[2] for ln in lines if ln.startswith("0::")]
    candidates = [f"/sys/fs/cgroup/memory{p}/memory.usage_in_bytes" for p in v1 if p != "/"]
    if not v1:
        # The root cgroup's figure would be the whole host's, not the instance's.
        candidates += [f"{root}{p}/memory.current" for p in v2 if p != "/"
                       for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")]
    for c in candidates:
        try:
            with open(c) as f:
                return int(f.read()) // 1024
        except (OSError, ValueError):
            continue
    return None


def mountinfo(pid):
    """The mounts pid sees: mount point, file system type, super-block options."""
    out = []
    try:
        with open(f"/proc/{pid}/mountinfo") as f:
            for line in f:
                left, right = line.split(" - ", 1)
                fstype, _, opts = (right.split() + ["", ""])[:3]
                out.append({"point": left.split()[4], "fstype": fstype, "super_opts": opts})
    except (OSError, ValueError):
        pass
    return out


def host_fstype(path):
    """The file system type under path (or its nearest existing parent), as the host sees it."""
    while not os.path.exists(path) and path != "/":
        path = os.path.dirname(path)
    best = max((m for m in mountinfo("self") if path.startswith(m["point"].rstrip("/") + "/")
                or path == m["point"]), key=lambda m: len(m["point"]), default=None)
    return best["fstype"] if best else "unknown"
