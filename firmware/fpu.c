/*
 * fpu: runs the x87/MMX housekeeping instructions Linux's FPU code uses in
 * kernel mode (FWAIT, FNCLEX, EMMS). Some emulated-KVM hosts cannot
 * execute them and vmm completes them itself; either way the payload must
 * get past them and exit 0.
 */
#include "payload.h"

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)cpu;
	(void)ncpus;
	(void)cmdline;
	__asm__ volatile("fninit; fwait");
	serial_puts("fwait ok\n");
	__asm__ volatile("fnclex");
	serial_puts("fnclex ok\n");
	__asm__ volatile("emms");
	serial_puts("emms ok\n");
	vm_exit(0);
}
