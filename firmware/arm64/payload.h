/*
 * What arm64 firmware payloads share: byte-wide MMIO, polled output on the
 * board's 8250, PSCI calls and the isolab exit device (firmware/isolab-abi.h
 * has the entry state and the addresses).
 *
 * The MMU is off, so every data access is Device memory: payloads are built
 * with -mstrict-align and -mgeneral-regs-only (FP/SIMD traps at EL1 after
 * reset), use no exclusives or atomics (not promised on Device memory), and
 * touch MMIO only through single ldrb/strb with a plain base register, the
 * form whose syndrome KVM can decode into a KVM_EXIT_MMIO.
 */
#ifndef FIRMWARE_ARM64_PAYLOAD_H
#define FIRMWARE_ARM64_PAYLOAD_H

#include "../isolab-abi.h"

#define UART_THR 0
#define UART_IER 1
#define UART_LSR 5
#define LSR_DR	 0x01
#define LSR_THRE 0x20

/* SMC Calling Convention function ids of PSCI 0.2+ (SMC64 where an address is passed). */
#define PSCI_VERSION	0x84000000u
#define PSCI_CPU_OFF	0x84000002u
#define PSCI_CPU_ON	0xc4000003u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RST 0x84000009u

/* vmm starts vCPU 0 here: x0 = index, x1 = count, x2 = the --cmdline text, sp set. */
#define PAYLOAD_ENTRY __attribute__((section(".text.entry"), used, noreturn))

static inline void mmio_write8(unsigned long addr, unsigned char value)
{
	__asm__ volatile("strb %w0, [%1]" : : "r"(value), "r"(addr) : "memory");
}

static inline unsigned char mmio_read8(unsigned long addr)
{
	unsigned char value;
	__asm__ volatile("ldrb %w0, [%1]" : "=r"(value) : "r"(addr) : "memory");
	return value;
}

static inline void serial_putc(char c)
{
	while (!(mmio_read8(ISOLAB_ARM64_UART + UART_LSR) & LSR_THRE))
		;
	mmio_write8(ISOLAB_ARM64_UART + UART_THR, (unsigned char)c);
}

static inline void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

/*
 * A PSCI call through HVC (the conduit vmm's device tree names); x0 comes
 * back. The SMC Calling Convention returns in x0-x3 (KVM writes all four)
 * and lets a v1.0 implementation corrupt x4-x17, so all of them are outputs
 * or clobbers: the compiler must not keep a value there across the call.
 */
static inline long psci_call(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long a3)
{
	register unsigned long x0 __asm__("x0") = fn;
	register unsigned long x1 __asm__("x1") = a1;
	register unsigned long x2 __asm__("x2") = a2;
	register unsigned long x3 __asm__("x3") = a3;
	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return (long)x0;
}

static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("wfi");
}

/* Ends the VM through PSCI: vmm exits 0 (SYSTEM_OFF) or as on a reset. */
static inline __attribute__((noreturn)) void psci_system(unsigned long fn)
{
	psci_call(fn, 0, 0, 0);
	halt_forever();
}

/* Ends the VM with exit status N through the isolab exit device. */
static inline __attribute__((noreturn)) void vm_exit(unsigned char status)
{
	mmio_write8(ISOLAB_ARM64_MMIO_EXIT, status);
	halt_forever();
}

static inline void put_decimal(unsigned long v)
{
	char digits[20];
	int n = 0;
	do
		digits[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		serial_putc(digits[--n]);
}

#endif
