/*
 * isolab-marker: the guest half of the VM startup-time figure.
 *
 *   isolab-marker            tell vmm "guest userspace reached"
 *   isolab-marker exit N     ask vmm to end the VM with exit status N
 *
 * Freestanding (raw syscalls, no libc) so it is tiny and starts instantly.
 * It only signals vmm (x86: I/O ports; arm64: an MMIO page through /dev/mem,
 * firmware/ARCH/marker_arch.h) when /proc/cmdline carries ISOLAB_CMDLINE_TOKEN:
 * in a container or on a real machine it does nothing and exits 1.
 */
#include "isolab-abi.h"

#if defined(__aarch64__)
#include "arm64/marker_arch.h"
#elif defined(__x86_64__)
#include "x86/marker_arch.h"
#else
#error "isolab-marker: no firmware/ARCH/marker_arch.h for this architecture"
#endif

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
	long fd = syscall6(SYS_openat, -100 /* AT_FDCWD */, (long)"/proc/cmdline", 0, 0, 0, 0);
	if (fd < 0)
		return 0;
	long n = syscall6(SYS_read, fd, (long)cmdline, sizeof(cmdline), 0, 0, 0);
	syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
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
	syscall6(SYS_write, 2, (long)s, n, 0, 0, 0);
}

static int marker_main(int argc, char **argv)
{
	int to_exit = 0, value = 1;
	const char *why = 0;

	if (argc == 3 && streq(argv[1], "exit")) {
		if (parse_status(argv[2], &value) < 0) {
			say("isolab-marker: exit status must be 0..255\n");
			return 2;
		}
		to_exit = 1;
	} else if (argc != 1) {
		say("usage: isolab-marker [exit N]\n");
		return 2;
	}
	if (!inside_isolab_vm())
		return 1;
	if (signal_vmm(to_exit, (unsigned char)value, &why) < 0) {
		say("isolab-marker: ");
		say(why);
		say("\n");
		return 1;
	}
	return 0;
}

/* _start (the arch's MARKER_START_ASM) passes the initial stack pointer. */
__attribute__((used)) static void start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	syscall6(SYS_exit_group, marker_main(argc, argv), 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

__asm__(MARKER_START_ASM);
