#!/usr/bin/env python3
"""Writes well-formed starting inputs for fuzz_virtio into seeds/.

Layout (see fuzz_virtio.c): an 8-byte header (target, packet length / 64,
queue size, feature word 0), then guest RAM at guest address 0x100000.
Queue q keeps its descriptors at RAM offset 0x3000*q, the available ring
0x1000 after that and the used ring 0x2000 after it.
"""
import os
import struct

BASE = 0x100000
BLK, NET, RNG, CONSOLE, REGS, LOAD = range(6)
F_INDIRECT, F_EVENT_IDX, F_MRG_RXBUF = 1 << 28, 1 << 29, 1 << 15


def guest(target, qsize, features, queues, buffers, packet_len=0):
    ram = bytearray(0x10000)
    for q, chains in queues.items():
        base = 0x3000 * q
        d = 0
        for i, chain in enumerate(chains):
            ram[base + 0x1000 + 4 + 2 * i:base + 0x1000 + 6 + 2 * i] = struct.pack("<H", d)
            for j, (off, length, write) in enumerate(chain):
                flags = (2 if write else 0) | (1 if j + 1 < len(chain) else 0)
                struct.pack_into("<QIHH", ram, base + 16 * d, BASE + off, length, flags, d + 1)
                d += 1
        struct.pack_into("<HH", ram, base + 0x1000, 0, len(chains))
    for off, data in buffers.items():
        ram[off:off + len(data)] = data
    return struct.pack("<BBHI", target, packet_len, qsize, features) + bytes(ram)


def rng_section():
    """A virtio-rng snapshot section (vmm/virtio/state.c, version 1), its queue ready in RAM."""
    status = 0xf  # ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK
    features = 1 << 32 | F_EVENT_IDX
    transport = struct.pack("<IIIIIIQIIBBH", 1, 4, status, 0, 0, 0, features, 1, 0, 0, 0, 1)
    queue = struct.pack("<HBQQQHHHB", 16, 1, BASE + 0x1000, BASE + 0x2000, BASE + 0x3000,
                        2, 2, 2, 1)
    return transport + queue + struct.pack("<I", 0)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
    os.makedirs(out, exist_ok=True)
    seeds = {
        # read 2 sectors, write 1, flush, get-id
        "blk-rw": guest(BLK, 16, F_EVENT_IDX, {0: [
            [(0x8000, 16, False), (0x9000, 1024, True), (0x8f00, 1, True)],
            [(0x8010, 16, False), (0x9400, 512, False), (0x8f01, 1, True)],
            [(0x8020, 16, False), (0x8f02, 1, True)],
            [(0x8030, 16, False), (0x9800, 20, True), (0x8f03, 1, True)],
        ]}, {0x8000: struct.pack("<IIQ", 0, 0, 2), 0x8010: struct.pack("<IIQ", 1, 0, 5),
             0x8020: struct.pack("<IIQ", 4, 0, 0), 0x8030: struct.pack("<IIQ", 8, 0, 0)}),
        "blk-discard": guest(BLK, 8, 0, {0: [
            [(0x8000, 16, False), (0x8100, 16, False), (0x8f00, 1, True)],
        ]}, {0x8000: struct.pack("<IIQ", 13, 0, 0), 0x8100: struct.pack("<QII", 8, 8, 1)}),
        "net-txrx": guest(NET, 16, F_MRG_RXBUF | F_EVENT_IDX, {
            0: [[(0x9000, 64, True)], [(0x9100, 64, True)], [(0x9200, 1526, True)]],
            1: [[(0x8000, 12, False), (0x8100, 60, False)]],
        }, {0x8100: b"\xff" * 12 + b"\x08\x00" + b"payload" * 6}, packet_len=2),
        "rng": guest(RNG, 4, F_INDIRECT, {0: [[(0x8000, 32, True)], [(0x8100, 8, True)]]}, {}),
        "console": guest(CONSOLE, 4, 0, {1: [[(0x8000, 6, False)]], 0: [[(0x9000, 16, True)]]},
                         {0x8000: b"hello\n"}),
        "load-rng": struct.pack("<BBHI", LOAD, RNG, 0, 0) + rng_section(),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            # Trailing RAM zeroes go; a section must keep its last bytes.
            f.write(data if name.startswith("load-") else data.rstrip(b"\0"))


if __name__ == "__main__":
    main()
