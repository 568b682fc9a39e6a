"""Where the three sides run: natively on this host, or nested in the lab host.

On hardware KVM the sides run here. Where KVM is emulated (PVM: guest
kernel code ~1000x slower than user code) or absent, a VM figure next to a
native one compares an emulator with a CPU; there the whole run moves into
the nested lab host (tests/nested/run: a QEMU TCG machine with a real
kvm_amd), so native, container and VM are emulated alike and the ratios
compare like with like. Every table and plot says which mode it used.
"""

import os

from .host import emulated, one_line

NESTED_RUNNER = os.path.join("tests", "nested", "run")


def choose(requested, host):
    """(mode, why) for --mode auto|native|nested on this host."""
    if requested == "native":
        return "native", "forced by --mode native"
    if requested == "nested":
        return "nested", "forced by --mode nested"
    kind = host["kvm"]
    if kind == "hardware-assisted":
        return "native", "this host has hardware KVM"
    if emulated(host):
        return "nested", "this host's KVM is emulated (PVM)"
    return "nested", f"this host has no hardware KVM ({kind})"


def describe(mode, why, host, outer=None):
    """The doc's 'mode' object; outer is the L0 host's one-line description
    when this process runs inside the nested lab host."""
    d = {"mode": mode, "why": why}
    if mode == "nested":
        d["outer_host"] = outer or "unknown"
        d["inner_host"] = one_line(host)
    return d


def one_line_mode(doc_mode):
    if doc_mode["mode"] == "nested":
        return (f"Mode: nested — all three sides ran inside the lab host (QEMU TCG with a real "
                f"nested KVM) on {doc_mode['outer_host']}")
    return f"Mode: native — the sides ran on this host ({doc_mode['why']})"


def vm_ran(results):
    return any((r["sides"].get("vm") or {}).get("n") for r in results)


def banner(doc):
    """The warning a reader must see first, or None.

    The PVM warning belongs only to a run whose VM side ran emulated; a
    native+container run on the same host has nothing emulated in it."""
    if doc["mode"]["mode"] == "nested":
        return ("Nested mode: native, container and VM all ran under QEMU TCG, so each side is "
                "emulated alike and the ratios compare like with like; absolute figures are "
                "TCG speed, far below this CPU's.")
    if emulated(doc["host"]) and vm_ran(doc["results"]):
        return ("KVM on this host is emulated (PVM): guest user code runs natively, guest kernel "
                "code about 1000x slower. VM figures marked † enter the guest kernel and are "
                "distorted; they do not show what hardware KVM costs.")
    return None
