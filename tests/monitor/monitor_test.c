/*
 * The monitor's commands and page walker against a fake machine: 2 vCPUs,
 * 8 MiB of "guest RAM" in host memory, registers and exit counters the
 * test sets. CMOCKA_MESSAGE_OUTPUT=TAP makes prove count these.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../vmm/console.h"
#include "../../vmm/monitor/monitor.h"
#include "../../vmm/monitor/pagewalk.h"

#define RAM_SIZE (8u << 20)
#define NR_CPUS	 2

static struct fake {
	struct guest_mem mem;
	struct kvm_regs regs[NR_CPUS];
	struct kvm_sregs sregs[NR_CPUS];
	uint64_t io_exits[NR_CPUS];
	bool paused;
	int pauses, resumes, nmis, quits;
	bool regs_read_while_running;
} fk;

static int f_nr_vcpus(void *ctx)
{
	(void)ctx;
	return NR_CPUS;
}
static int f_pause(void *ctx)
{
	(void)ctx;
	fk.paused = true;
	fk.pauses++;
	return 0;
}
static int f_resume(void *ctx)
{
	(void)ctx;
	fk.paused = false;
	fk.resumes++;
	return 0;
}
static bool f_paused(void *ctx)
{
	(void)ctx;
	return fk.paused;
}
static int f_get_regs(void *ctx, int cpu, struct kvm_regs *r, struct kvm_sregs *s)
{
	(void)ctx;
	if (!fk.paused)
		fk.regs_read_while_running = true;
	*r = fk.regs[cpu];
	*s = fk.sregs[cpu];
	return 0;
}
static int f_mp_state(void *ctx, int cpu, uint32_t *state)
{
	(void)ctx;
	*state = cpu == 1 ? KVM_MP_STATE_HALTED : KVM_MP_STATE_RUNNABLE;
	return 0;
}
static int f_counters(void *ctx, int cpu, struct monitor_counter *out, int max)
{
	(void)ctx;
	if (max < 2)
		return 0;
	out[0] = (struct monitor_counter){"io", fk.io_exits[cpu]};
	out[1] = (struct monitor_counter){"hlt", 7};
	return 2;
}
static const struct guest_mem *f_mem(void *ctx)
{
	(void)ctx;
	return &fk.mem;
}
static int f_nmi(void *ctx)
{
	(void)ctx;
	fk.nmis++;
	return 0;
}
static void f_quit(void *ctx)
{
	(void)ctx;
	fk.quits++;
}
static void f_device_counters(void *ctx, FILE *out)
{
	(void)ctx;
	if (fk.nmis) /* a counter line only once the test asks for one */
		fprintf(out, "virtio_rng0_requests: 3\n");
}
static bool f_exiting(void *ctx)
{
	(void)ctx;
	return false;
}

static const struct monitor_ops fake_ops = {
    .nr_vcpus = f_nr_vcpus,
    .pause = f_pause,
    .resume = f_resume,
    .paused = f_paused,
    .get_regs = f_get_regs,
    .get_mp_state = f_mp_state,
    .exit_counters = f_counters,
    .mem = f_mem,
    .nmi = f_nmi,
    .device_counters = f_device_counters,
    .quit = f_quit,
    .exiting = f_exiting,
};

static struct monitor *mon;
static uint8_t *ram;

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	ram = calloc(1, RAM_SIZE);
	fk.mem.region[0] = (struct guest_region){.gpa = 0, .size = RAM_SIZE, .host = ram};
	fk.mem.nr_regions = 1;
	mon = monitor_create(&fake_ops, NULL);
	return ram && mon ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	monitor_destroy(mon);
	free(ram);
	return 0;
}

/* Runs line; returns the output (static buffer) and the status in *ret. */
static const char *exec(const char *line, int *ret)
{
	static char *buf;
	size_t size;
	free(buf);
	FILE *out = open_memstream(&buf, &size);
	*ret = monitor_exec(mon, line, out, NULL);
	fclose(out);
	return buf;
}

static void expect_error(const char *line, const char *text)
{
	int ret;
	const char *out = exec(line, &ret);
	assert_int_equal(ret, -1);
	assert_true(strncmp(out, "error: ", 7) == 0);
	assert_non_null(strstr(out, text));
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line */
}

static void help_lists_commands(void **state)
{
	(void)state;
	int ret;
	const char *out = exec("help", &ret);
	assert_int_equal(ret, 0);
	const char *want[] = {"info registers", "stats", "pause", "resume", "xp ", "nmi", "quit"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_non_null(strstr(out, want[i]));
}

static void bad_input_is_one_line(void **state)
{
	(void)state;
	expect_error("frobnicate", "unknown command 'frobnicate'");
	expect_error("info", "usage: info WHAT");
	expect_error("info nothing", "unknown info 'nothing'");
	expect_error("pause now", "usage: pause");
	expect_error("info registers 2", "no vCPU '2'");
	expect_error("info registers -1", "no vCPU");
	expect_error("xp", "usage: xp ADDR [LEN]");
	expect_error("xp zzz", "bad address 'zzz'");
	expect_error("xp 0x", "bad address");
	expect_error("xp 0 0", "bad length '0'");
	expect_error("xp 0 4097", "bad length '4097'");
	expect_error("xp 0 99999999999999999999999", "bad length");
	expect_error("xp 0x7ffff0 32", "is not guest RAM");
	expect_error("xp 0xffffffffffffffff 2", "wraps");
	expect_error("a b c d e f g h i", "too many words");
	expect_error("stats sometimes", "usage: stats [watch]");
	char long_line[MONITOR_LINE_MAX + 10];
	memset(long_line, 'a', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	expect_error(long_line, "line too long");
	int ret;
	assert_string_equal(exec("   ", &ret), "");
	assert_int_equal(ret, 0);
}

static void registers_show_known_values(void **state)
{
	(void)state;
	fk.regs[1].r12 = 0x0123456789abcdefULL;
	fk.regs[1].rip = 0x100042;
	fk.sregs[1].cr0 = 0x80000011;
	fk.sregs[1].efer = 0x500;
	fk.sregs[1].cs.l = 1;
	int ret;
	const char *out = exec("info registers 1", &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(out, "CPU #1 (long (64-bit))"));
	assert_non_null(strstr(out, "r12=0x0123456789abcdef"));
	assert_non_null(strstr(out, "rip=0x0000000000100042"));
	assert_non_null(strstr(out, "efer=0x0000000000000500"));
	assert_non_null(strstr(out, "cr0=0x0000000080000011"));
	assert_false(fk.regs_read_while_running);
	assert_int_equal(fk.pauses, 1);
	assert_int_equal(fk.resumes, 1); /* the guest keeps running afterwards */
	assert_false(fk.paused);
}

static void cpus_show_modes(void **state)
{
	(void)state;
	fk.sregs[0].cr0 = 0; /* real mode */
	fk.sregs[1].cr0 = 1;
	fk.sregs[1].cs.db = 1;
	int ret;
	const char *out = exec("info cpus", &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(out, "CPU #0: running, runnable, rip=0x0000000000000000 mode=real"));
	assert_non_null(strstr(out, "CPU #1: running, halted, rip="));
	assert_non_null(strstr(out, "mode=protected (32-bit)"));
}

static void pause_and_resume(void **state)
{
	(void)state;
	int ret;
	assert_string_equal(exec("pause", &ret), "paused\n");
	assert_true(fk.paused);
	assert_string_equal(exec("pause", &ret), "already paused\n");
	exec("info registers", &ret);
	assert_true(fk.paused); /* inspection leaves a paused VM paused */
	assert_string_equal(exec("resume", &ret), "running\n");
	assert_false(fk.paused);
	assert_string_equal(exec("resume", &ret), "already running\n");
	exec("nmi", &ret);
	assert_int_equal(fk.nmis, 1);
	exec("quit", &ret);
	assert_int_equal(fk.quits, 1);
}

static void xp_dumps_bytes(void **state)
{
	(void)state;
	memcpy(ram + 0x100000, "isolab monitor!\x01", 16);
	int ret;
	const char *out = exec("xp 0x100000 17", &ret);
	assert_int_equal(ret, 0);
	char want[200];
	snprintf(
	    want, sizeof(want), "%s\n0000000000100010: 00%*s  |.|\n",
	    "0000000000100000: 69 73 6f 6c 61 62 20 6d 6f 6e 69 74 6f 72 21 01  |isolab monitor!.|",
	    15 * 3, "");
	assert_string_equal(out, want);
	out = exec("xp 1048576", &ret);
	assert_int_equal(strlen(out), 4 * strlen("0000000000100000: 69 73 6f 6c 61 62 20 6d 6f 6e "
						 "69 74 6f 72 21 01  |isolab monitor!.|\n"));
}

static void stats_totals(void **state)
{
	(void)state;
	fk.io_exits[0] = 1234;
	int ret;
	const char *out = exec("stats", &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(out, "vcpu0_exits_io: 1234\n"));
	assert_non_null(strstr(out, "vcpu1_exits_hlt: 7\n"));
}

static void device_info(void *opaque, FILE *out)
{
	fprintf(out, "  features: 0x%x\n", *(int *)opaque);
}

static void devices_listed(void **state)
{
	(void)state;
	int ret;
	assert_string_equal(exec("info devices", &ret), "no device reports to the monitor\n");
	int features = 0x30;
	assert_int_equal(monitor_add_device_info(mon, "virtio-blk0", device_info, &features), 0);
	assert_string_equal(exec("info devices", &ret), "virtio-blk0:\n  features: 0x30\n");
	fk.nmis = 1;
	assert_string_equal(exec("info devices", &ret),
			    "virtio-blk0:\n  features: 0x30\ncounters:\nvirtio_rng0_requests: 3\n");
}

static void memory_info(void **state)
{
	(void)state;
	ram[0x5000] = 1;
	int ret;
	const char *out = exec("info memory", &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(out, "ram0: gpa 0x000000000-0x0007fffff (8 MiB), touched "));
	assert_non_null(strstr(out, "guest RAM: 8 MiB, touched "));
	assert_non_null(strstr(out, "vmm private memory (guest RAM excluded): "));
}

static void completion(void **state)
{
	(void)state;
	assert_string_equal(monitor_complete("", "p", 0), "pause");
	assert_null(monitor_complete("", "p", 1));
	assert_string_equal(monitor_complete("", "x", 0), "x");
	assert_string_equal(monitor_complete("", "x", 1), "xp");
	assert_string_equal(monitor_complete("info ", "re", 0), "registers");
	assert_null(monitor_complete("xp ", "1", 0));
}

/* Page tables in the fake RAM: a small allocator of zeroed 4 KiB tables. */
static uint64_t next_table;
static uint64_t table(void)
{
	uint64_t gpa = next_table;
	next_table += 4096;
	return gpa;
}
static void set64(uint64_t gpa, uint64_t value)
{
	memcpy(ram + gpa, &value, 8);
}
static void set32(uint64_t gpa, uint32_t value)
{
	memcpy(ram + gpa, &value, 4);
}

static struct kvm_sregs long_mode(uint64_t cr3, bool la57)
{
	struct kvm_sregs s = {
	    .cr0 = 0x80000011, .cr3 = cr3, .cr4 = 0x20 | (la57 ? 1u << 12 : 0), .efer = 0x500};
	return s;
}

static void expect_walk(const struct kvm_sregs *s, uint64_t gva, enum walk_result want,
			uint64_t gpa, uint64_t page_size)
{
	struct walk w;
	assert_int_equal(page_walk(&fk.mem, s, gva, &w), want);
	if (want == WALK_OK) {
		assert_int_equal(w.gpa, gpa);
		assert_int_equal(w.page_size, page_size);
	}
}

static void walk_long_mode(void **state)
{
	(void)state;
	next_table = 0x10000;
	uint64_t pml4 = table(), pdpt = table(), pd = table(), pt = table();
	uint64_t hi = 0xffff800000000000ULL;
	set64(pml4 + 256 * 8, pdpt | 3);
	set64(pdpt + 0 * 8, pd | 3);
	set64(pd + 0 * 8, pt | 3);
	set64(pt + 5 * 8, 0x300000 | 3 | (1ULL << 63)); /* NX must not leak into the address */
	set64(pd + 1 * 8, 0x400000 | 0x83);		/* 2 MiB page */
	set64(pdpt + 1 * 8, 0x40000000 | 0x83);		/* 1 GiB page */
	struct kvm_sregs s = long_mode(pml4, false);
	expect_walk(&s, hi + 5 * 4096 + 0x123, WALK_OK, 0x300123, 4096);
	expect_walk(&s, hi + (2 << 20) + 0x12345, WALK_OK, 0x412345, 2 << 20);
	expect_walk(&s, hi + (1ULL << 30) + 0x1234567, WALK_OK, 0x41234567, 1 << 30);
	expect_walk(&s, hi + 6 * 4096, WALK_NOT_PRESENT, 0, 0);
	expect_walk(&s, 0x1000, WALK_NOT_PRESENT, 0, 0);
	expect_walk(&s, 0x0000800000000000ULL, WALK_NONCANONICAL, 0, 0);
	set64(pml4 + 1 * 8, 0x7fff000000ULL | 3); /* a table far outside RAM */
	expect_walk(&s, 1ULL << 39, WALK_TABLE_OUTSIDE, 0, 0);
	s.cr3 = 0x7fff000000ULL;
	expect_walk(&s, 0, WALK_TABLE_OUTSIDE, 0, 0);

	/* x reads across the 4 KiB page into the 2 MiB one and prints the virtual address. */
	memcpy(ram + 0x300ff8, "ABCDEFGH", 8);
	set64(pt + 6 * 8, 0x500000 | 3);
	memcpy(ram + 0x500000, "IJKLMNOP", 8);
	fk.sregs[0] = long_mode(pml4, false);
	int ret;
	const char *out = exec("x 0xffff800000005ff8 16", &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(out, "ffff800000005ff8: 41 42 43 44 45 46 47 48 49 4a"));
	assert_non_null(strstr(out, "|ABCDEFGHIJKLMNOP|"));
	expect_error("x 0xffff800000007000", "not mapped");
	expect_error("x 0x0000900000000000", "non-canonical");
}

static void walk_five_levels(void **state)
{
	(void)state;
	next_table = 0x20000;
	uint64_t pml5 = table(), pml4 = table(), pdpt = table(), pd = table();
	uint64_t va = 0xff00000000000000ULL; /* PML5 index 256 (bits 56:48) */
	set64(pml5 + 256 * 8, pml4 | 3);
	set64(pml4 + 0, pdpt | 3);
	set64(pdpt + 0, pd | 3);
	set64(pd + 0, 0x600000 | 0x83);
	struct kvm_sregs s = long_mode(pml5, true);
	expect_walk(&s, va + 0x42, WALK_OK, 0x600042, 2 << 20);
	expect_walk(&s, 0xffff800000000000ULL, WALK_NOT_PRESENT, 0, 0); /* canonical in 57 bits */
	expect_walk(&s, 0x0100000000000000ULL, WALK_NONCANONICAL, 0, 0);
}

static void walk_32_bit_and_pae(void **state)
{
	(void)state;
	next_table = 0x30000;
	uint64_t pgd = table(), pt = table();
	set32(pgd + 1 * 4, (uint32_t)pt | 3);
	set32(pt + 2 * 4, 0x700000 | 3);
	set32(pgd + 3 * 4, 0x400000 | 0x83); /* 4 MiB page when CR4.PSE */
	struct kvm_sregs s = {.cr0 = 0x80000011, .cr3 = pgd, .cr4 = 0x10};
	expect_walk(&s, (1 << 22) + 2 * 4096 + 0x10, WALK_OK, 0x700010, 4096);
	expect_walk(&s, (3 << 22) + 0x123456, WALK_OK, 0x523456, 4 << 20);
	expect_walk(&s, 0x100000000ULL, WALK_TOO_WIDE, 0, 0);
	s.cr4 = 0; /* without PSE, PS is ignored: the entry is a page table */
	expect_walk(&s, 3 << 22, WALK_NOT_PRESENT, 0, 0);

	uint64_t pdpt = 0x3f000, pd = table(); /* PAE: CR3 may be 32-byte aligned */
	set64(pdpt + 3 * 8, pd | 1);
	set64(pd + 4 * 8, 0x200000 | 0x83);
	struct kvm_sregs pae = {.cr0 = 0x80000011, .cr3 = pdpt, .cr4 = 0x20};
	expect_walk(&pae, 0xc0000000ULL + 4 * (2 << 20) + 0x99, WALK_OK, 0x200099, 2 << 20);
	expect_walk(&pae, 0x80000000ULL, WALK_NOT_PRESENT, 0, 0);

	struct kvm_sregs flat = {.cr0 = 0x11};
	expect_walk(&flat, 0x12345, WALK_OK, 0x12345, 0);
}

/* Guest-controlled page tables and CR values, at random: the walk ends, in RAM or with an error. */
static void walk_survives_garbage(void **state)
{
	(void)state;
	srandom(7);
	for (size_t i = 0; i < RAM_SIZE / sizeof(long); i++)
		((long *)ram)[i] = random() | ((long)random() << 31);
	for (int i = 0; i < 200000; i++) {
		uint64_t r1 = (uint64_t)random() << 33 ^ (uint64_t)random();
		struct kvm_sregs s = {.cr0 = (uint64_t)random() << 1,
				      .cr3 = r1 & 0x7fffff,
				      .cr4 = (uint64_t)random(),
				      .efer = (uint64_t)random()};
		uint64_t gva = (uint64_t)random() << 40 ^ (uint64_t)random() << 20 ^ random();
		struct walk w;
		if (page_walk(&fk.mem, &s, gva, &w) == WALK_OK && w.page_size)
			assert_true(w.page_size >= 4096 && (w.page_size & (w.page_size - 1)) == 0);
	}
}

/* Command lines made of real words, numbers and junk: every one gets an answer. */
static void commands_survive_junk(void **state)
{
	(void)state;
	static const char *const words[] = {"x",
					    "xp",
					    "info",
					    "registers",
					    "cpus",
					    "memory",
					    "devices",
					    "stats",
					    "watch",
					    "pause",
					    "resume",
					    "help",
					    "0",
					    "1",
					    "0x",
					    "-1",
					    "0xffffffffffffffff",
					    "4096",
					    "0x100000",
					    "0b",
					    "\x01",
					    "99999999999999999999"};
	srandom(11);
	fk.sregs[0] =
	    (struct kvm_sregs){.cr0 = 0x80000011, .cr3 = 0x1000, .cr4 = 0x20, .efer = 0x500};
	for (int i = 0; i < 20000; i++) {
		char line[256] = "";
		int n = random() % 5;
		for (int k = 0; k < n; k++) {
			strcat(line, words[random() % (sizeof(words) / sizeof(words[0]))]);
			strcat(line, random() % 8 ? " " : "\t");
		}
		if (strstr(line, "watch"))
			continue; /* a second per run: covered by socket.t */
		int ret;
		exec(line, &ret);
		assert_true(ret == 0 || ret == -1);
	}
	fk.paused = false;
}

/* Ctrl-A c on the console asks for the monitor; Ctrl-A x still quits. */
static void console_escape_opens_monitor(void **state)
{
	(void)state;
	struct console_escape esc = {0};
	uint8_t buf[] = "ab\001cde";
	int quit;
	size_t n = console_filter(&esc, buf, sizeof(buf) - 1, &quit);
	assert_int_equal(n, 2);
	assert_memory_equal(buf, "ab", 2);
	assert_true(esc.open_monitor);
	assert_false(quit);
	esc.open_monitor = 0;
	uint8_t split1[] = "\001", split2[] = "C";
	assert_int_equal(console_filter(&esc, split1, 1, &quit), 0);
	assert_int_equal(console_filter(&esc, split2, 1, &quit), 0);
	assert_true(esc.open_monitor); /* the escape may span two reads */
	uint8_t bye[] = "\001x";
	console_filter(&esc, bye, 2, &quit);
	assert_true(quit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(help_lists_commands, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_input_is_one_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(registers_show_known_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(cpus_show_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(pause_and_resume, setup, teardown),
	    cmocka_unit_test_setup_teardown(xp_dumps_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(stats_totals, setup, teardown),
	    cmocka_unit_test_setup_teardown(devices_listed, setup, teardown),
	    cmocka_unit_test_setup_teardown(memory_info, setup, teardown),
	    cmocka_unit_test_setup_teardown(completion, setup, teardown),
	    cmocka_unit_test_setup_teardown(walk_long_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(walk_five_levels, setup, teardown),
	    cmocka_unit_test_setup_teardown(walk_32_bit_and_pae, setup, teardown),
	    cmocka_unit_test_setup_teardown(walk_survives_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(commands_survive_junk, setup, teardown),
	    cmocka_unit_test(console_escape_opens_monitor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
