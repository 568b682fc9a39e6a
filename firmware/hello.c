/*
 * hello: prints a greeting and the command line, then asks vmm to exit with
 * the status given as "exit=N" on the command line (0 without one). With
 * "marker" on the command line it first writes the boot-time marker port;
 * with "reset" it resets the machine through the i8042 instead, as Linux's
 * reboot=k does.
 */
#include "payload.h"

#define I8042_STATUS	  0x64
#define I8042_COMMAND	  0x64
#define I8042_INPUT_FULL  0x02
#define I8042_PULSE_RESET 0xfe

/* The first character after word in text, or 0 when word is absent. */
static const char *find(const char *text, const char *word)
{
	for (; *text; text++) {
		int i = 0;
		while (word[i] && text[i] == word[i])
			i++;
		if (!word[i])
			return text + i;
	}
	return 0;
}

static unsigned char exit_status(const char *cmdline)
{
	const char *p = find(cmdline, "exit=");
	if (p) {
		unsigned value = 0;
		for (; *p >= '0' && *p <= '9'; p++)
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
	if (find(cmdline, "marker"))
		outb(ISOLAB_PORT_MARKER, 1);
	if (find(cmdline, "reset")) {
		while (inb(I8042_STATUS) & I8042_INPUT_FULL)
			;
		outb(I8042_COMMAND, I8042_PULSE_RESET);
		halt_forever();
	}
	vm_exit(exit_status(cmdline));
}
