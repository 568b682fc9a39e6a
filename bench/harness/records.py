"""Picks workload results out of program output.

A workload prints 'bench: begin: NAME', 'bench: KEY: VALUE' lines and
'bench: end: NAME'. On a VM's serial console kernel messages may land in
between, or in front of a line, so lines are searched, not anchored, and a
record only counts once its end line has arrived.
"""

import re

LINE = re.compile(r"bench: ([a-z0-9_]+): (.*?)\s*$")
STAT = re.compile(r"^([a-z0-9_]+): (.*?)\s*$")


def number(text):
    try:
        return float(text)
    except ValueError:
        return text


class RecordParser:
    """Feed (host_time, line) pairs; finished records collect in .records."""

    def __init__(self):
        self.records = []
        self._open = None

    def feed(self, t, line):
        m = LINE.search(line.replace("\r", ""))
        if not m:
            return None
        key, value = m.group(1), m.group(2)
        if key == "begin":
            self._open = {"workload": value, "host_begin": t, "values": {}}
        elif self._open is None:
            return None
        elif key == "end" and value == self._open["workload"]:
            rec, self._open = self._open, None
            rec["host_end"] = t
            self.records.append(rec)
            return rec
        elif key != "end":
            self._open["values"][key] = number(value)
        return None


def parse_stats(text):
    """The 'key: value' lines vmm and container print with --stats."""
    stats = {}
    for line in text.splitlines():
        m = STAT.match(line.strip())
        if m:
            stats[m.group(1)] = number(m.group(2))
    return stats
