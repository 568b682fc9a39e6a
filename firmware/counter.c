/*
 * counter: vCPU 0 prints "count N" on COM1, N = 0, 1, 2, ... one line per
 * step (a step waits about 2^24 TSC cycles), forever; other vCPUs halt.
 * The snapshot tests pause it, snapshot it and restore it: the console
 * before and after must read as one run of steps with none lost or repeated.
 *
 * With "touch=M" on --cmdline, each step first writes one byte in each
 * 4 KiB page of the M MiB above 4 MiB and the line reads "count N cycles C"
 * (C: TSC cycles the sweep took): the first step after a restore shows
 * what the guest's first touch of its memory costs (bench/).
 */
#include "payload.h"

#define STEP_CYCLES (1ULL << 24)
#define TOUCH_BASE  (4ULL << 20)
#define PAGE	    4096ULL

/* The M of "touch=M" in the command line, or 0. */
static unsigned long long touch_mib(const char *cmdline)
{
	for (const char *p = cmdline; *p; p++) {
		if (p[0] != 't' || p[1] != 'o' || p[2] != 'u' || p[3] != 'c' || p[4] != 'h' ||
		    p[5] != '=')
			continue;
		unsigned long long n = 0;
		for (p += 6; *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (unsigned long long)(*p - '0');
		return n;
	}
	return 0;
}

static unsigned long long sweep(unsigned long long mib, unsigned long long step)
{
	unsigned long long start = rdtsc();
	volatile unsigned char *p = (volatile unsigned char *)TOUCH_BASE;
	for (unsigned long long off = 0; off < mib << 20; off += PAGE)
		p[off] = (unsigned char)step;
	return rdtsc() - start;
}

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)ncpus;
	if (cpu != 0)
		halt_forever();
	unsigned long long mib = touch_mib(cmdline);
	for (unsigned long long n = 0;; n++) {
		unsigned long long cycles = mib ? sweep(mib, n) : 0;
		serial_puts("count ");
		serial_put_number(n);
		if (mib) {
			serial_puts(" cycles ");
			serial_put_number(cycles);
		}
		serial_putc('\n');
		unsigned long long until = rdtsc() + STEP_CYCLES;
		while (rdtsc() < until)
			;
	}
}
