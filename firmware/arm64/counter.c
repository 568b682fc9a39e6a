/*
 * counter (arm64): vCPU 0 prints "count N" on the 8250, N = 0, 1, 2, ...
 * one line per step, forever; a step waits 1/16 s of the virtual counter
 * (CNTVCT_EL0 against CNTFRQ_EL0). The arm64 snapshot checks pause it,
 * snapshot it and restore it (tests/nested/arm64-checks.sh): the console
 * before and after must read as one run of steps with none lost or
 * repeated, and a restored virtual counter that jumped back or on would
 * stretch or skip a step (firmware/counter.c is the x86 one).
 */
#include "payload.h"

static inline unsigned long read_counter(void)
{
	unsigned long v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

static inline unsigned long counter_hz(void)
{
	unsigned long v;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)cpu;
	(void)ncpus;
	(void)cmdline;
	unsigned long step = counter_hz() / 16;
	for (unsigned long n = 0;; n++) {
		serial_puts("count ");
		put_decimal(n);
		serial_putc('\n');
		unsigned long until = read_counter() + step;
		while (read_counter() < until)
			;
	}
}
