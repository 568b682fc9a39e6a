/*
 * smp (arm64): vCPU 0 starts every other vCPU with PSCI CPU_ON; each writes
 * its letter (one byte, so output from different vCPUs cannot tear), checks
 * in and turns itself off with PSCI CPU_OFF. vCPU 0 waits for all of them,
 * prints the total and ends the VM with PSCI SYSTEM_OFF (status 0); a
 * CPU_ON that fails is printed and ends the VM with status 1.
 */
#include "payload.h"

#define MAX_VCPUS 64

/* Plain byte stores (Device memory, MMU off): no atomics needed, one writer each. */
static volatile unsigned char checked_in[MAX_VCPUS];
/* Read by secondary_entry, which has no stack yet to compute it in C. */
const unsigned long secondary_stack_top = ISOLAB_ARM64_STACK_TOP;

/* KVM's MPIDR of vCPU i: Aff0 = i mod 16, Aff1 = i / 16. */
static unsigned long mpidr_of(unsigned long index)
{
	return ((index >> 4) << 8) | (index & 0xf);
}

__attribute__((used, noreturn)) static void secondary_main(unsigned long index)
{
	serial_putc((char)('A' + index % 26));
	checked_in[index] = 1;
	psci_call(PSCI_CPU_OFF, 0, 0, 0);
	halt_forever();
}

/* CPU_ON enters here at EL1 with x0 = the context id (the index) and no stack. */
void secondary_entry(void);
__asm__(".text\n"
	".globl secondary_entry\n"
	"secondary_entry:\n"
	"	adrp x9, secondary_stack_top\n"
	"	ldr x9, [x9, :lo12:secondary_stack_top]\n"
	"	sub x9, x9, x0, lsl #12\n"
	"	mov sp, x9\n"
	"	b secondary_main\n");

static void put_signed(long v)
{
	if (v < 0) {
		serial_putc('-');
		v = -v;
	}
	put_decimal((unsigned long)v);
}

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)cpu;
	(void)cmdline;
	if (ncpus > MAX_VCPUS)
		ncpus = MAX_VCPUS;
	serial_putc('A');
	for (unsigned long i = 1; i < ncpus; i++) {
		long ret = psci_call(PSCI_CPU_ON, mpidr_of(i), (unsigned long)secondary_entry, i);
		if (ret != 0) {
			serial_puts("\nsmp: CPU_ON of vCPU ");
			put_decimal(i);
			serial_puts(" returned ");
			put_signed(ret);
			serial_putc('\n');
			vm_exit(1);
		}
	}
	for (unsigned long i = 1; i < ncpus; i++)
		while (!checked_in[i])
			;
	serial_puts("\nsmp: ");
	put_decimal(ncpus);
	serial_puts(" vCPUs checked in\n");
	psci_system(PSCI_SYSTEM_OFF);
}
