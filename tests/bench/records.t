#!/usr/bin/env bash
# The harness picks workload results out of a VM's serial console: kernel
# messages in between or in front of a line, carriage returns, a record cut
# off by a crash. Checked on canned console text, no VM needed.
. "$(dirname "$0")/../lib.sh"

command -v python3 >/dev/null || skip_all "python3 not installed (apt-get install python3)"

check=$(cat <<'PY'
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, "bench")
from harness.records import RecordParser, parse_stats
from harness.launch import JOB

console = """[    0.000000] Linux version 6.1
isolab: userspace ready (vm)\r
bench-job: cpu-1 1
bench: begin: cpu\r
bench: threads: 1
[  12.345678] random: crng init done
bench: events_per_sec: 1234.5
[  13.000000] clocksource: tsc unstable bench: primes: 1228
bench: verified: yes
bench: end: cpu
bench-job: mem 1
bench: begin: mem
bench: copy_mb_per_s: 9000
Kernel panic - not syncing: Attempted to kill init!
"""
p = RecordParser()
tags = []
for n, line in enumerate(console.splitlines()):
    m = JOB.search(line)
    if m:
        tags.append(m.group(1))
        continue
    p.feed(float(n), line)
assert tags == ["cpu-1", "mem"], tags
assert len(p.records) == 1, p.records          # the cut mem record is not counted
r = p.records[0]
assert r["workload"] == "cpu", r
assert r["values"]["events_per_sec"] == 1234.5, r
assert r["values"]["primes"] == 1228, r        # found behind a kernel message
assert r["values"]["verified"] == "yes", r
assert r["host_end"] - r["host_begin"] == 6, r  # timestamps of its begin and end lines
s = parse_stats("startup_ms: 12.5\nvmm: guest userspace reached after 9 ms\ncgroup: v1\n")
assert s["startup_ms"] == 12.5 and s["cgroup"] == "v1", s
print("ok")
PY
)
run python3 -c "$check"
is "$out" ok "console parsing: interleaved kernel lines, \\r, a cut record ($err)"
done_testing
