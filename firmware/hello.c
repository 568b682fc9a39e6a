/*
 * hello: prints a greeting and the command line, then asks vmm to exit with
 * the status given as "exit=N" on the command line (0 without one). With
 * "marker" on the command line it first writes the boot-time marker port;
 * with "reset" it resets the machine through the i8042 instead, as Linux's
 * reboot=k does.
 */
#include "cmdline.h"
#include "payload.h"

#define I8042_STATUS	  0x64
#define I8042_COMMAND	  0x64
#define I8042_INPUT_FULL  0x02
#define I8042_PULSE_RESET 0xfe

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)cpu;
	(void)ncpus;
	serial_puts("hello from isolab firmware\ncmdline: ");
	serial_puts(cmdline);
	serial_puts("\n");
	if (cmdline_find(cmdline, "marker"))
		outb(ISOLAB_PORT_MARKER, 1);
	if (cmdline_find(cmdline, "reset")) {
		while (inb(I8042_STATUS) & I8042_INPUT_FULL)
			;
		outb(I8042_COMMAND, I8042_PULSE_RESET);
		halt_forever();
	}
	int status = cmdline_exit_status(cmdline);
	vm_exit(status < 0 ? 0 : (unsigned char)status);
}
