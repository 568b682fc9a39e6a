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

/*
 * arm64 has no port I/O, so the same two registers sit in a page of guest
 * physical address space that no memory slot backs: a store there leaves
 * the guest as KVM_EXIT_MMIO, as a port write does on x86 (QEMU's RISC-V
 * virt board ends a VM the same way, with its "sifive,test" MMIO device).
 * A hypercall would not reach vmm: KVM answers HVC itself (PSCI, SMCCC) and
 * forwards unknown ones to userspace only from Linux 6.4 (the lab host runs
 * 6.1). Firmware stores a byte there; Linux userspace maps the page from
 * /dev/mem (outside RAM, so STRICT_DEVMEM allows it). The device tree names
 * it too ("isolab,exit").
 */
#define ISOLAB_ARM64_MMIO_EXIT	 0x09010000ULL /* store one byte N: exit with status N */
#define ISOLAB_ARM64_MMIO_MARKER 0x09010001ULL /* store any byte: the boot marker */

/*
 * What arm64 firmware payloads may rely on (`vmm --firmware` on arm64): the
 * flat binary is loaded at the start of RAM and vCPU 0 starts there at EL1h
 * (MMU and caches off, DAIF masked) with x0 = 0 (its index), x1 = the vCPU
 * count, x2 = the --cmdline text (NUL-terminated) and sp = the stack top.
 * The other vCPUs are powered off until vCPU 0 starts one with PSCI CPU_ON
 * (HVC, function 0xc4000003, x1 = target MPIDR = its index for fewer than
 * 16 vCPUs, x2 = entry, x3 = context id, which arrives in x0: pass the
 * index); a started vCPU sets sp to ISOLAB_ARM64_STACK_TOP - index * 4 KiB.
 * PSCI SYSTEM_OFF (0x84000008) ends the VM with status 0. The console is
 * an 8250 (ns16550a) with byte-wide registers 1 byte apart at
 * ISOLAB_ARM64_UART (THR/RBR at +0, IER +1, LSR +5).
 */
#define ISOLAB_ARM64_RAM_BASE	0x80000000ULL
#define ISOLAB_ARM64_PAYLOAD	ISOLAB_ARM64_RAM_BASE		      /* at most 1 MiB */
#define ISOLAB_ARM64_CMDLINE	(ISOLAB_ARM64_RAM_BASE + 0x100000ULL) /* at most 4 KiB */
#define ISOLAB_ARM64_STACK_TOP	(ISOLAB_ARM64_RAM_BASE + 0x200000ULL)
#define ISOLAB_ARM64_STACK_SIZE 0x1000ULL
#define ISOLAB_ARM64_UART	0x09000000ULL

#endif
