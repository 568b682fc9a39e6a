"""Images on disk and the work around them: container layers against VM disks.

density: disk used by N = 1, 10, 50 instances of one image. Containers: the image's
layers once (du of the store's layer directories) + N writable layers (each container
wrote one 4 KiB file, then exited; du of its upper directory). VMs: N ext4 disks of the
same image (`container image export-disk`, allocated blocks, one measured and N times it).
sizes: the image busybox-based isolab image and, where mmdebstrap's tarball is cached
(~/.cache/isolab/debian-minimal.tar), a minimal Debian, as layers and as an ext4 disk.
times: `run --rm IMAGE /bin/true` of images of 1, 5 and 20 layers; a 5-step Containerfile
built cold (empty cache) and warm; `commit` of a container that wrote 10 MiB; podman's
figures for the same work (own --root, so the host's storage is untouched) where installed.
"""

import os
import shutil
import subprocess
import tempfile
import time

from .report import contender_table

MIB = 1024 * 1024


def du_bytes(*paths):
    """Allocated bytes of the trees, each inode once (du -s --total)."""
    paths = [p for p in paths if os.path.exists(p)]
    if not paths:
        return 0
    out = subprocess.run(["du", "-s", "-B1", "--total"] + paths, capture_output=True, text=True).stdout
    return int(out.strip().splitlines()[-1].split()[0])


class Tool:
    """A command line (self.base, self.env) called with its arguments: output, or an error."""

    def __call__(self, *args, check=True):
        r = subprocess.run(self.base + list(args), env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=600)
        if check and r.returncode != 0:
            name = os.path.basename(self.base[0])
            raise RuntimeError(f"{name} {' '.join(args)}: {r.stderr.strip()[:200]}")
        return r

    def timed(self, *args):
        t = time.monotonic()
        self(*args)
        return (time.monotonic() - t) * 1000


class Store(Tool):
    """`container` against one private image store."""

    def __init__(self, ctx, root):
        self.base = [os.path.join(ctx.bin, "container")]
        self.root = root
        self.env = dict(os.environ, ISOLAB_IMAGE_ROOT=root)

    def layer_dirs(self, image):
        import json
        doc = json.loads(self("image", "inspect", image).stdout)
        return doc["LayerDirs"]


class Podman(Tool):
    def __init__(self, work):
        os.makedirs(work, exist_ok=True)
        # Without CAP_SYS_RESOURCE (this host's) the runtime cannot raise podman's default
        # rlimits (EPERM): ask for low ones. crun refuses a hybrid cgroup host: runc does not.
        conf = os.path.join(work, "containers.conf")
        with open(conf, "w") as f:
            f.write('[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
                    '[engine]\nruntime = "runc"\n')
        self.env = dict(os.environ, CONTAINERS_CONF=conf)
        # podman refuses a runroot path over 50 characters.
        self.runroot = tempfile.mkdtemp(prefix="isolab-pm-", dir="/tmp")
        self.base = ["podman", "--root", os.path.join(work, "root"), "--runroot", self.runroot,
                     "--storage-driver", "overlay", "--log-level", "error"]

    def close(self):
        self("rm", "-a", "-f", check=False)
        # The overlay driver bind-mounts its directory onto itself and leaves it so.
        overlay = os.path.join(self.base[self.base.index("--root") + 1], "overlay")
        subprocess.run(["umount", "-l", overlay], capture_output=True)
        shutil.rmtree(self.runroot, ignore_errors=True)


def podman_density(st, work, counts):
    """podman's storage (its own --root) with the same image and N containers that ran."""
    pm = Podman(os.path.join(work, "podman-density"))
    saved = os.path.join(work, "saved-isolab")
    st("image", "save", "isolab", saved)
    pm("load", "-i", saved)
    ref = pm("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()[0]
    root = pm.base[pm.base.index("--root") + 1]
    out = {}
    try:
        for i in range(max(counts)):
            pm("run", "--name", f"d{i}", "--network", "none", ref, "/bin/sh", "-c",
               "head -c 4096 /dev/urandom >/root/instance-data")
            if i + 1 in counts:
                out[i + 1] = du_bytes(root) / MIB
    finally:
        pm.close()
    return out


def density(ctx, st, work, counts, quick):
    """Bytes on disk for N instances: shared layers + N upper layers vs N ext4 disks."""
    layers = du_bytes(*st.layer_dirs("isolab"))
    disk = os.path.join(work, "isolab.ext4")
    st("image", "export-disk", "isolab", disk)
    disk_bytes = du_bytes(disk)
    notes = []
    pod = {}
    if not quick and shutil.which("podman") and os.geteuid() == 0:
        try:
            pod = podman_density(st, work, counts)
        except (RuntimeError, subprocess.TimeoutExpired, IndexError) as e:
            notes.append(f"podman: {e}")
    rows, uppers = [], []
    state = "/run/isolab/containers" if os.geteuid() == 0 else None
    names = []
    try:
        for i in range(max(counts)):
            name = f"bench-storage-{os.getpid()}-{i}"
            st("run", "--name", name, "--net", "none", "isolab", "--", "/bin/sh", "-c",
               "head -c 4096 /dev/urandom >/root/instance-data")
            names.append(name)
            uppers.append(os.path.join(state, name, "upper"))
            n = i + 1
            if n in counts:
                ctr = layers + du_bytes(*uppers)
                rows.append((f"density-{n}", f"{n} instance{'s' if n > 1 else ''}", "MiB", "lower",
                             {"containers": [ctr / MIB], "VM disks": [n * disk_bytes / MIB],
                              "podman": [pod[n]] if n in pod else []}))
    finally:
        for name in names:
            st("rm", "-f", name, check=False)
    notes += [f"image isolab: layers {layers / MIB:.1f} MiB once; its ext4 disk {disk_bytes / MIB:.1f} "
              f"MiB allocated ({os.path.getsize(disk) / MIB:.1f} MiB apparent) per VM",
              "each container wrote 4 KiB into its writable layer; the VM figure is N times one "
              "measured disk (N copies were not written to this shared host's disk); podman: du of "
              "its whole --root (image, N containers, its database)"]
    return contender_table("storage-density", "Disk used by N instances of one image: containers (shared "
                 "layers + N writable layers) vs VMs (N ext4 disks)", "Storage density (absolute)",
                 ["containers", "VM disks", "podman"], "containers", "VM disks", rows, notes)


def layered_image(st, work, n):
    """FROM isolab + n-1 one-file layers: an image of n layers."""
    ctx_dir = os.path.join(work, f"layers-{n}")
    os.makedirs(ctx_dir, exist_ok=True)
    lines = ["FROM isolab"]
    for i in range(n - 1):
        with open(os.path.join(ctx_dir, f"f{i}"), "w") as f:
            f.write(f"layer {i}\n")
        lines.append(f"COPY f{i} /layers/f{i}")
    with open(os.path.join(ctx_dir, "Containerfile"), "w") as f:
        f.write("\n".join(lines) + "\n")
    st("build", "-t", f"layers:{n}", ctx_dir)
    return ctx_dir


FIVE_STEPS = """FROM isolab
ENV MODE=bench
WORKDIR /app
COPY data /app/data
RUN cat /app/data/* >/app/all && echo built >/app/stamp
CMD ["/bin/cat", "/app/stamp"]
"""


def build_context(work):
    d = os.path.join(work, "five")
    os.makedirs(os.path.join(d, "data"), exist_ok=True)
    for i in range(20):
        with open(os.path.join(d, "data", f"{i}.txt"), "w") as f:
            f.write("x" * 4096)
    with open(os.path.join(d, "Containerfile"), "w") as f:
        f.write(FIVE_STEPS)
    return d


TEN_MIB = "head -c 10485760 /dev/urandom >/root/ten-mib"


class OursWork:
    """The image work in `container`'s words (work_times)."""

    def __init__(self, st, work):
        self.tool, self.st, self.work = st, st, work

    def image(self, n):
        layered_image(self.st, self.work, n)
        return f"layers:{n}"

    def run_true(self, ref):
        return ("run", "--rm", "--net", "none", ref, "--", "/bin/true")

    def forget_build(self):
        self.st("image", "rm", "five", check=False)
        self.st("image", "prune")  # the build cache goes with the dangling step images

    def build(self, ctx_dir):
        return ("build", "-t", "five", ctx_dir)

    def writer(self, name):
        return ("run", "--name", name, "--net", "none", "isolab", "--", "/bin/sh", "-c", TEN_MIB)


class PodmanWork:
    """The same in podman's, on the images `container image save` wrote."""

    def __init__(self, pm, st, work):
        self.tool, self.st, self.work = pm, st, work

    def image(self, n):
        saved = os.path.join(self.work, f"saved-{n}")
        self.st("image", "save", f"layers:{n}", saved)
        self.tool("load", "-i", saved)
        ref = f"localhost/saved-{n}:latest"
        out = self.tool("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        ref = next((r for r in out if f"saved-{n}" in r or "layers" in r), ref)
        if n == 1:
            self.tool("tag", ref, "isolab")
        return ref

    def run_true(self, ref):
        return ("run", "--rm", "--network", "none", ref, "/bin/true")

    def forget_build(self):
        self.tool("rmi", "-f", "five", check=False)
        self.tool("image", "prune", "-f", check=False)

    def build(self, ctx_dir):
        return ("build", "--pull=never", "--network", "none", "-t", "five", ctx_dir)

    def writer(self, name):
        return ("run", "--name", name, "--network", "none", "localhost/isolab:latest",
                "/bin/sh", "-c", TEN_MIB)


def work_times(eng, work, reps):
    """{what: [ms...]}: run of 1, 5, 20 layers, cold and warm build, commit of 10 MiB."""
    tool, t = eng.tool, {}
    for n in (1, 5, 20):
        ref = eng.image(n)
        tool(*eng.run_true(ref))  # warm the cache
        t[f"run-{n}"] = [tool.timed(*eng.run_true(ref)) for _ in range(reps)]
    five = build_context(work)
    t["build-cold"], t["build-warm"] = [], []
    for _ in range(reps):
        eng.forget_build()
        t["build-cold"].append(tool.timed(*eng.build(five)))
        t["build-warm"].append(tool.timed(*eng.build(five)))
    t["commit"] = []
    for i in range(reps):
        name = f"bench-commit-{os.getpid()}-{i}"
        tool(*eng.writer(name))
        try:
            t["commit"].append(tool.timed("commit", name, f"committed:{i}"))
        finally:
            tool("rm", "-f", name, check=False)
    return t


def podman_times(st, work, reps):
    pm = Podman(os.path.join(work, "podman"))
    try:
        return work_times(PodmanWork(pm, st, work), work, reps)
    finally:
        pm.close()


def sizes(ctx, st, work):
    """Image sizes: busybox (isolab) and, when its tarball is cached, minimal Debian."""
    rows = []
    images = {"isolab (busybox)": "isolab"}
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                         "isolab", "debian-minimal.tar")
    notes = []
    if os.path.exists(cache):
        st("image", "import", cache, "debian-minimal")
        images["Debian minimal"] = "debian-minimal"
    else:
        notes.append(f"Debian minimal: not measured, no {cache} (guest-images/debian-image.sh "
                     "makes it with mmdebstrap, ~100 MB download)")
    by_layers, by_disk = {}, {}
    for label, ref in images.items():
        by_layers[label] = [du_bytes(*st.layer_dirs(ref)) / MIB]
        disk = os.path.join(work, f"{ref}.size.ext4")
        st("image", "export-disk", ref, disk)
        by_disk[label] = [du_bytes(disk) / MIB]
        os.unlink(disk)
    cols = list(images)
    rows = [("image-layers", "image as layers (du)", "MiB", "lower", by_layers),
            ("image-disk", "image as an ext4 VM disk (du)", "MiB", "lower", by_disk)]
    return contender_table("storage-sizes", "Image sizes: busybox vs Debian minimal", "Image sizes (absolute)",
                 cols, cols[0], cols[-1], rows, notes)


def times(ctx, st, work, reps, quick):
    ours = work_times(OursWork(st, work), work, reps)
    notes = []
    theirs = {}
    if quick:
        notes.append("podman: not run with --quick")
    elif shutil.which("podman") and os.geteuid() == 0:
        try:
            theirs = podman_times(st, work, reps)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            notes.append(f"podman: {e}")
    else:
        notes.append("podman: not installed (or not root); its column is empty")
    rows = [(k, label, "ms", "lower", {"container": ours.get(k, []), "podman": theirs.get(k, [])})
            for k, label in (("run-1", "run --rm IMAGE /bin/true, 1 layer"),
                             ("run-5", "run, 5 layers"), ("run-20", "run, 20 layers"),
                             ("build-cold", "build, 5 steps, cold cache"),
                             ("build-warm", "build, 5 steps, warm cache"),
                             ("commit", "commit of a 10 MiB change"))]
    notes.append("podman runs with its own --root/--runroot (overlay driver), runc, nofile and "
                 "nproc 1024, the images loaded from `container image save`; its build uses "
                 "--pull=never --network none")
    return contender_table("storage-times", "Image work: container vs podman", "Image work vs podman (absolute)",
                 ["container", "podman"], "podman", "container", rows, notes)


def run(ctx, quick=False):
    """The storage tables (density, sizes, times); ctx: bench/run's context (bin, rootfs)."""
    work = tempfile.mkdtemp(prefix="isolab-bench-storage-", dir="/var/tmp")
    st = Store(ctx, os.path.join(work, "store"))
    try:
        st("image", "import", ctx.rootfs, "isolab")
        ctx.progress("storage: density")
        out = [density(ctx, st, work, (1, 2) if quick else (1, 10, 50), quick)]
        ctx.progress("storage: sizes")
        out.append(sizes(ctx, st, work))
        ctx.progress("storage: times")
        out.append(times(ctx, st, work, 1 if quick else 5, quick))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    import sys
    from .report import peer_markdown

    class Ctx:
        bin = os.environ.get("ISOLAB_BIN", "build/bin")
        rootfs = os.path.join(os.environ.get("ISOLAB_IMAGES", "guest-images/out"), "rootfs")

        def progress(self, msg):
            print(msg, file=sys.stderr, flush=True)

    for t in run(Ctx(), quick="--quick" in sys.argv):
        print("\n".join(peer_markdown(t)))
