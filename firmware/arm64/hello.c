/*
 * hello (arm64): prints a greeting, the command line and the PSCI version
 * KVM offers, then ends the VM: with "exit=N" on the command line through
 * the isolab exit device with status N, with "reset" by PSCI SYSTEM_RESET,
 * otherwise by PSCI SYSTEM_OFF (status 0). With "marker" it first writes the
 * boot-time marker.
 */
#include "../cmdline.h"
#include "payload.h"

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)cpu;
	(void)ncpus;
	serial_puts("hello from isolab firmware\ncmdline: ");
	serial_puts(cmdline);
	long version = psci_call(PSCI_VERSION, 0, 0, 0);
	serial_puts("\npsci ");
	put_decimal((unsigned long)version >> 16);
	serial_putc('.');
	put_decimal((unsigned long)version & 0xffff);
	serial_putc('\n');
	if (cmdline_find(cmdline, "marker"))
		mmio_write8(ISOLAB_ARM64_MMIO_MARKER, 1);
	if (cmdline_find(cmdline, "reset"))
		psci_system(PSCI_SYSTEM_RST);
	int status = cmdline_exit_status(cmdline);
	if (status >= 0)
		vm_exit((unsigned char)status);
	psci_system(PSCI_SYSTEM_OFF);
}
