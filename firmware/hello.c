/*
 * hello: prints a greeting and the command line, then asks vmm to exit with
 * the status given as "exit=N" on the command line (0 without one).
 */
#include "payload.h"

static unsigned char exit_status(const char *cmdline)
{
	for (const char *p = cmdline; *p; p++) {
		if (p[0] != 'e' || p[1] != 'x' || p[2] != 'i' || p[3] != 't' || p[4] != '=')
			continue;
		unsigned value = 0;
		for (p += 5; *p >= '0' && *p <= '9'; p++)
			value = value * 10 + (unsigned)(*p - '0');
		return (unsigned char)value;
	}
	return 0;
}

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)cpu;
	(void)ncpus;
	serial_puts("hello from isolab firmware\ncmdline: ");
	serial_puts(cmdline);
	serial_puts("\n");
	vm_exit(exit_status(cmdline));
}
