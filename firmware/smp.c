/*
 * smp: every vCPU writes its index as one character (one OUT, so lines from
 * different vCPUs cannot tear) and counts itself in; the boot vCPU waits for
 * all of them, prints the total and exits 0.
 */
#include "payload.h"

static volatile unsigned long checked_in;

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)cmdline;
	serial_putc((char)('A' + cpu % 26));
	__atomic_fetch_add(&checked_in, 1, __ATOMIC_SEQ_CST);
	if (cpu != 0)
		halt_forever();
	while (__atomic_load_n(&checked_in, __ATOMIC_SEQ_CST) < ncpus)
		;
	serial_puts("\nsmp: ");
	char digits[4] = {0};
	int n = 0;
	for (unsigned long v = ncpus; v; v /= 10)
		digits[n++] = (char)('0' + v % 10);
	while (n)
		serial_putc(digits[--n]);
	serial_puts(" vCPUs checked in\n");
	vm_exit(0);
}
