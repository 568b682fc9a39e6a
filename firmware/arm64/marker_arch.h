/*
 * isolab-marker's arm64 part: Linux system calls by SVC, and the isolab
 * exit/marker page (no port I/O on arm64) mapped from /dev/mem and written
 * with one strb, which leaves the guest as an MMIO exit to vmm
 * (firmware/isolab-abi.h says why MMIO and not a hypercall).
 */
#ifndef FIRMWARE_ARM64_MARKER_ARCH_H
#define FIRMWARE_ARM64_MARKER_ARCH_H

#include "../isolab-abi.h"

#define SYS_openat     56
#define SYS_close      57
#define SYS_read       63
#define SYS_write      64
#define SYS_exit_group 94
#define SYS_mmap       222

#define O_RDWR_SYNC (02 | 04010000) /* O_RDWR | O_SYNC: an uncached mapping */
#define PROT_WRITE  2
#define MAP_SHARED  1

static long syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

/* Hands one byte to vmm: the exit register when exit is set, else the marker. */
static int signal_vmm(int to_exit, unsigned char value, const char **why)
{
	long fd = syscall6(SYS_openat, -100 /* AT_FDCWD */, (long)"/dev/mem", O_RDWR_SYNC, 0, 0, 0);
	if (fd < 0) {
		*why = "cannot open /dev/mem";
		return -1;
	}
	long page =
	    syscall6(SYS_mmap, 0, 4096, PROT_WRITE, MAP_SHARED, fd, (long)ISOLAB_ARM64_MMIO_EXIT);
	syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
	if (page < 0 && page > -4096) {
		*why = "cannot map the isolab exit page from /dev/mem";
		return -1;
	}
	unsigned long reg =
	    (unsigned long)page + (to_exit ? 0 : ISOLAB_ARM64_MMIO_MARKER - ISOLAB_ARM64_MMIO_EXIT);
	__asm__ volatile("strb %w0, [%1]" : : "r"(value), "r"(reg) : "memory");
	return 0;
}

/* The kernel enters _start with argc at [sp] and argv right above it. */
#define MARKER_START_ASM                                                                           \
	".globl _start\n"                                                                          \
	"_start:\n"                                                                                \
	"	mov x0, sp\n"                                                                            \
	"	bl start_c\n"

#endif
