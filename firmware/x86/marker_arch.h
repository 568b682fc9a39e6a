/*
 * isolab-marker's x86-64 part: Linux system calls by SYSCALL, and the
 * isolab ports reached with ioperm + outb.
 */
#ifndef FIRMWARE_X86_MARKER_ARCH_H
#define FIRMWARE_X86_MARKER_ARCH_H

#include "../isolab-abi.h"

#define SYS_read       0
#define SYS_write      1
#define SYS_close      3
#define SYS_ioperm     173
#define SYS_exit_group 231
#define SYS_openat     257

static long syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static void outb(unsigned short port, unsigned char value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

/* Hands one byte to vmm: the exit register when exit is set, else the marker. */
static int signal_vmm(int to_exit, unsigned char value, const char **why)
{
	if (syscall6(SYS_ioperm, ISOLAB_PORT_EXIT, 2, 1, 0, 0, 0) < 0) {
		*why = "ioperm failed";
		return -1;
	}
	outb(to_exit ? ISOLAB_PORT_EXIT : ISOLAB_PORT_MARKER, value);
	return 0;
}

/* The kernel enters _start with argc at (%rsp) and argv right above it. */
#define MARKER_START_ASM                                                                           \
	".globl _start\n"                                                                          \
	"_start:\n"                                                                                \
	"	mov %rsp, %rdi\n"                                                                        \
	"	and $-16, %rsp\n"                                                                        \
	"	call start_c\n"

#endif
