/*
 * isolab-marker: the guest half of the VM startup-time figure.
 *
 *   isolab-marker            tell vmm "guest userspace reached"
 *   isolab-marker exit N     ask vmm to end the VM with exit status N
 *
 * Freestanding (raw syscalls, no libc) so it is tiny and starts instantly.
 * It only touches I/O ports when /proc/cmdline carries ISOLAB_CMDLINE_TOKEN:
 * in a container or on a real machine it does nothing and exits 1.
 */
#include "isolab-abi.h"

#define SYS_read       0
#define SYS_write      1
#define SYS_open       2
#define SYS_close      3
#define SYS_ioperm     173
#define SYS_exit_group 231

static long syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static void outb(unsigned short port, unsigned char value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static int contains(const char *haystack, long len, const char *needle)
{
	for (long i = 0; i < len; i++) {
		long j = 0;
		while (needle[j] && i + j < len && haystack[i + j] == needle[j])
			j++;
		if (!needle[j])
			return 1;
	}
	return 0;
}

static int inside_isolab_vm(void)
{
	static char cmdline[4096];
	long fd = syscall3(SYS_open, (long)"/proc/cmdline", 0, 0);
	if (fd < 0)
		return 0;
	long n = syscall3(SYS_read, fd, (long)cmdline, sizeof(cmdline));
	syscall3(SYS_close, fd, 0, 0);
	return n > 0 && contains(cmdline, n, ISOLAB_CMDLINE_TOKEN);
}

static int parse_status(const char *s, int *status)
{
	int v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 255)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v > 255)
		return -1;
	*status = v;
	return 0;
}

static void say(const char *s)
{
	long n = 0;
	while (s[n])
		n++;
	syscall3(SYS_write, 2, (long)s, n);
}

static int marker_main(int argc, char **argv)
{
	unsigned short port = ISOLAB_PORT_MARKER;
	int value = 1;

	if (argc == 3 && streq(argv[1], "exit")) {
		if (parse_status(argv[2], &value) < 0) {
			say("isolab-marker: exit status must be 0..255\n");
			return 2;
		}
		port = ISOLAB_PORT_EXIT;
	} else if (argc != 1) {
		say("usage: isolab-marker [exit N]\n");
		return 2;
	}
	if (!inside_isolab_vm())
		return 1;
	if (syscall3(SYS_ioperm, ISOLAB_PORT_EXIT, 2, 1) < 0) {
		say("isolab-marker: ioperm failed\n");
		return 1;
	}
	outb(port, (unsigned char)value);
	return 0;
}

/* The kernel enters here with argc at (%rsp) and argv right above it. */
__attribute__((used)) static void start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	syscall3(SYS_exit_group, marker_main(argc, argv), 0, 0);
	__builtin_unreachable();
}

__asm__(".globl _start\n"
	"_start:\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call start_c\n");
