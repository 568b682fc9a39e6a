/*
 * The contract between isolab guests and the vmm: the I/O ports vmm
 * listens on for guest-initiated events. Shared by vmm/ and firmware/.
 *
 * Ports 0xf4/0xf5 are free on a PC; QEMU's isa-debug-exit uses 0xf4 the
 * same way, so a test payload written for QEMU behaves alike here.
 */
#ifndef ISOLAB_ABI_H
#define ISOLAB_ABI_H

/* Write one byte N: vmm stops the VM and exits with status N. */
#define ISOLAB_PORT_EXIT 0xf4
/* Write any byte: vmm records "guest userspace reached after N ms". */
#define ISOLAB_PORT_MARKER 0xf5

/*
 * vmm adds this token to the kernel command line; guest programs check for
 * it before touching the ports above, so the same rootfs is harmless in a
 * container (even a --privileged one) or on bare metal.
 */
#define ISOLAB_CMDLINE_TOKEN "isolab.vm=1"

#endif
