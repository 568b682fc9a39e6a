"""Running instances whose output lines are timestamped as they arrive.

Startup is measured the same way on all three sides: from just before the
harness starts the command to the moment the probe's 'ready' line reaches
it. Several instances can be pumped together (density runs).
"""

import os
import re
import selectors
import signal
import subprocess
import tempfile
import time

from .records import RecordParser, parse_stats

LIVE = set()  # launches not finished yet, for kill_all()
READY = re.compile(r"bench: ready: yes")
JOB = re.compile(r"bench-job: (\S+) (\d+)")


class LaunchError(Exception):
    """The command could not be started at all (missing, not executable, busy)."""


class Launch:
    def __init__(self, argv, on_ready=None, tag=None, ready=READY, on_line=None):
        self.argv = argv
        self.on_line = on_line  # called with (launch, line) for every console line
        self.ready = ready  # the line that says the instance is running
        self.on_ready = on_ready
        self.parser = RecordParser()
        self.jobs = []  # (tag, rep, record) in arrival order
        self.tag = tag  # (workload id, rep) the next record belongs to
        self.ready_at = None
        self.tail = []
        self._partial = b""
        self._err = tempfile.TemporaryFile()
        self.t0 = time.monotonic()
        # Its own process group, so a timeout kills everything it started;
        # process_group (unlike start_new_session) keeps Popen on the fast vfork path.
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=self._err, process_group=0)
        except OSError as e:
            raise LaunchError(f"cannot run {argv[0]}: {e.strerror}") from None
        LIVE.add(self)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.rc = None

    def _line(self, t, raw):
        line = raw.decode("utf-8", "replace").replace("\r", "")
        self.tail = (self.tail + [line])[-40:]
        if self.on_line:
            self.on_line(self, line)
        m = JOB.search(line)
        if m:
            self.tag = (m.group(1), int(m.group(2)))
            return
        if self.ready_at is None and self.ready.search(line):
            self.ready_at = t
            if self.on_ready:
                self.on_ready(self)
        rec = self.parser.feed(t, line)
        if rec is not None:
            self.jobs.append((self.tag, rec))

    def read_some(self):
        """Reads what is there; False once stdout is closed."""
        t = time.monotonic()
        try:
            data = os.read(self.proc.stdout.fileno(), 65536)
        except BlockingIOError:
            return True
        if not data:
            if self._partial:
                self._line(t, self._partial)
                self._partial = b""
            return False
        *lines, self._partial = (self._partial + data).split(b"\n")
        for raw in lines:
            self._line(t, raw)
        return True

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def finish(self, timeout=30):
        try:
            self.rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.rc = self.proc.wait()
        self.proc.stdout.close()
        LIVE.discard(self)
        return self.rc

    def stderr(self):
        self._err.seek(0)
        return self._err.read().decode("utf-8", "replace")

    def stats(self):
        return parse_stats(self.stderr())

    def since_start_ms(self, t):
        return (t - self.t0) * 1000.0


def kill_all():
    """On the way out (an error, ^C): no instance outlives the harness."""
    for la in list(LIVE):
        la.kill()
        la.finish()


def pump(launches, deadline, stop=None):
    """Reads all launches until their output ends, stop() is true or time is up.

    Returns False when the deadline passed first (callers kill and report)."""
    sel = selectors.DefaultSelector()
    for la in launches:
        sel.register(la.proc.stdout, selectors.EVENT_READ, la)
    open_count = len(launches)
    try:
        while open_count:
            if stop and stop():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            for key, _ in sel.select(timeout=min(left, 0.5)):
                if not key.data.read_some():
                    sel.unregister(key.fileobj)
                    open_count -= 1
        return True
    finally:
        sel.close()


def run_one(argv, timeout, tag=None, on_ready=None):
    """Runs one instance to the end; returns the Launch and whether it finished in time."""
    la = Launch(argv, on_ready=on_ready, tag=tag)
    in_time = pump([la], time.monotonic() + timeout)
    if not in_time:
        la.kill()
    la.finish()
    return la, in_time
