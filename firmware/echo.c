/*
 * echo: reads one line from COM1 (polled) and writes it back upper-cased,
 * then exits 0. Tests the host-to-guest direction of the console.
 */
#include "payload.h"

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)cpu;
	(void)ncpus;
	(void)cmdline;
	serial_puts("echo ready\n");
	for (;;) {
		char c = serial_getc();
		if (c == '\r' || c == '\n')
			break;
		serial_putc(c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c);
	}
	serial_puts("\n");
	vm_exit(0);
}
