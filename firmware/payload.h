/*
 * What firmware payloads share: port I/O, polled COM1 output and the
 * isolab exit port. Payloads run at CPL 0, which this project's CI hosts
 * emulate instruction by instruction, so they stay small and use only
 * plain integer instructions.
 */
#ifndef FIRMWARE_PAYLOAD_H
#define FIRMWARE_PAYLOAD_H

#include "isolab-abi.h"

#define COM1	 0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_DR	 0x01
#define LSR_THRE 0x20

/* vmm starts every vCPU here: %rdi = index, %rsi = count, %rdx = the --cmdline text. */
#define PAYLOAD_ENTRY __attribute__((section(".text.entry"), used, noreturn))

static inline void outb(unsigned short port, unsigned char value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline unsigned char inb(unsigned short port)
{
	unsigned char value;
	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline void serial_putc(char c)
{
	while (!(inb(COM1_LSR) & LSR_THRE))
		;
	outb(COM1, (unsigned char)c);
}

static inline void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

/*
 * Polled, but with the receive interrupt enabled: that is how a UART driver
 * says it listens, and vmm offers input only then (interrupts stay off in
 * payloads, so none is taken).
 */
static inline char serial_getc(void)
{
	outb(COM1 + 1, 0x01); /* IER: receive data available */
	while (!(inb(COM1_LSR) & LSR_DR))
		;
	return (char)inb(COM1);
}

/* n in decimal on COM1. */
static inline void serial_put_number(unsigned long long n)
{
	char digits[24];
	int i = 0;
	do {
		digits[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	while (i)
		serial_putc(digits[--i]);
}

static inline unsigned long long rdtsc(void)
{
	unsigned int lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (unsigned long long)hi << 32 | lo;
}

static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static inline __attribute__((noreturn)) void vm_exit(unsigned char status)
{
	outb(ISOLAB_PORT_EXIT, status);
	halt_forever();
}

#endif
