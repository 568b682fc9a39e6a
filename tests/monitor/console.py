#!/usr/bin/env python3
"""Drives vmm's console through a pseudo-terminal: Ctrl-A c opens the (vmm)
prompt, Tab completes, commands answer, Ctrl-D returns to the guest console
and Ctrl-A x quits. Prints what the terminal showed; exits with vmm's status."""
import os
import pty
import select
import sys
import time


def read_for(fd, seconds):
    out, end = b"", time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out


def read_until(fd, needle, seconds):
    out, end = b"", time.time() + seconds
    while needle not in out and time.time() < end:
        out += read_for(fd, 0.2)
    return out


def main():
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[1], sys.argv[1:])
    shown = read_until(fd, b"monitor target ready", 30)
    os.write(fd, b"\x01c")
    shown += read_until(fd, b"(vmm) ", 10)
    os.write(fd, b"info reg\t 1\r")
    shown += read_until(fd, b"apic_base", 10) + read_for(fd, 0.5)
    os.write(fd, b"pause\r")
    shown += read_until(fd, b"paused", 10) + read_for(fd, 0.5)
    os.write(fd, b"resume\r")
    shown += read_until(fd, b"running", 10) + read_for(fd, 0.5)
    os.write(fd, b"\x04")
    shown += read_until(fd, b"[back to the guest console]", 10)
    os.write(fd, b"\x01x")
    shown += read_for(fd, 1)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(shown.decode(errors="replace").replace("\r", ""))
    sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)


main()
