/*
 * triple_fault: loads an empty IDT and raises an exception. The CPU cannot
 * deliver it, nor the double fault that follows, so it shuts down: on a PC
 * that is a reset, and vmm must treat it as a clean exit.
 */
#include "payload.h"

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)cpu;
	(void)ncpus;
	(void)cmdline;
	static const struct {
		unsigned short limit;
		unsigned long base;
	} __attribute__((packed)) empty_idt = {0, 0};
	serial_puts("triple fault next\n");
	__asm__ volatile("lidt %0; ud2" : : "m"(empty_idt));
	vm_exit(42); /* not reached */
}
