/*
 * Unit tests for the pieces of vmm that need no KVM: option parsing
 * (sizes: tests/lib/size_test.c), the console escape, the bus, the e820 map, the MP table and the
 * CPUID rewrite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../vmm/bus.h"
#include "../../vmm/console.h"
#include "../../vmm/options.h"
#include "../../vmm/write_batch.h"
#include "../../vmm/x86/cpuid.h"
#include "../../vmm/x86/e820.h"
#include "../../vmm/x86/layout.h"
#include "../../vmm/x86/mptable.h"
#include "../../vmm/x86/xsave.h"
#include "../stderr_capture.h"

static void ints(void **state)
{
	(void)state;
	int v;
	assert_int_equal(parse_int("4", 1, 64, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(parse_int("0", 1, 64, &v), -1);
	assert_int_equal(parse_int("65", 1, 64, &v), -1);
	assert_int_equal(parse_int("4x", 1, 64, &v), -1);
	assert_int_equal(parse_int("-4", -8, 64, &v), -1);
	assert_int_equal(parse_int("99999999999999999999", 1, 64, &v), -1);
}

static enum options_result parse(struct vmm_options *o, int argc, const char **argv)
{
	return options_parse(argc, (char **)argv, o);
}

static void options(void **state)
{
	(void)state;
	struct vmm_options o;
	const char *ok[] = {"vmm",	   "--kernel", "k",	    "--initrd=i",
			    "--mem",	   "1G",       "--cpus=2",  "--cmdline",
			    "-- uname -r", "--stats",  "--console", "log"};
	assert_int_equal(parse(&o, 12, ok), OPTIONS_RUN);
	assert_string_equal(o.kernel, "k");
	assert_string_equal(o.initrd, "i");
	assert_int_equal(o.mem_size, 1ULL << 30);
	assert_int_equal(o.cpus, 2);
	assert_string_equal(o.cmdline, "-- uname -r");
	assert_true(o.stats);
	assert_string_equal(o.console, "log");

	const char *defaults[] = {"vmm", "--firmware", "f.bin", "--console", "stdio"};
	assert_int_equal(parse(&o, 5, defaults), OPTIONS_RUN);
	assert_int_equal(o.mem_size, VMM_DEFAULT_MEM);
	assert_int_equal(o.cpus, 1);
	assert_null(o.console);

	const char *bad[][4] = {
	    {"vmm", "--kernel", "k", "--bogus"},	{"vmm", "--kernel", "k", "--mem"},
	    {"vmm", "--kernel", "k", "--mem=0"},	{"vmm", "--kernel", "k", "--cpus=0"},
	    {"vmm", "--kernel", "k", "--stats=1"},	{"vmm", "--firmware", "f", "--initrd=i"},
	    {"vmm", "--kernel", "k", "--firmware=f"},	{"vmm", "--initrd", "i", "x"},
	    {"vmm", "--kernel", "k", "--mem=1000000T"}, {"vmm", "--kernel", "k", "--mem=1M"},
	};
	const char *errors[] = {
	    "vmm: unknown option '--bogus'",
	    "vmm: option --mem needs a value",
	    "vmm: invalid --mem '0'",
	    "vmm: invalid --cpus '0'",
	    "vmm: option --stats takes no value",
	    "vmm: --initrd needs --kernel",
	    "vmm: give either --kernel or --firmware, not both",
	    "vmm: unexpected argument 'x'",
	    "vmm: invalid --mem '1000000T'",
	    "vmm: invalid --mem '1M'",
	};
	assert_int_equal(sizeof(errors) / sizeof(errors[0]), sizeof(bad) / sizeof(bad[0]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err;
		enum options_result r;
		STDERR_OF(err, r = parse(&o, 4, bad[i]));
		assert_int_equal(r, OPTIONS_ERROR);
		assert_one_line_with(err, errors[i]);
	}
	const char *none[] = {"vmm"};
	char *err;
	enum options_result r;
	STDERR_OF(err, r = parse(&o, 1, none));
	assert_int_equal(r, OPTIONS_ERROR);
	assert_one_line_with(err, "vmm: no kernel given");
}

static void console_escape(void **state)
{
	(void)state;
	struct console_escape esc = {0};
	int quit;
	uint8_t plain[] = "ls\r";
	assert_int_equal(console_filter(&esc, plain, 3, &quit), 3);
	assert_false(quit);
	uint8_t twice[] = {'a', 1, 1, 'b'};
	assert_int_equal(console_filter(&esc, twice, 4, &quit), 3);
	assert_memory_equal(twice, "a\001b", 3);
	uint8_t split1[] = {'a', 1};
	assert_int_equal(console_filter(&esc, split1, 2, &quit), 1);
	uint8_t split2[] = {'x', 'z'}; /* Ctrl-A in one read, x in the next */
	assert_int_equal(console_filter(&esc, split2, 2, &quit), 0);
	assert_true(quit);
	esc.pending = 0;
	uint8_t unknown[] = {1, 'q', 'r'};
	assert_int_equal(console_filter(&esc, unknown, 3, &quit), 1);
	assert_int_equal(unknown[0], 'r');
	assert_false(quit);
}

static uint8_t last_write;
static void dev_write(struct bus_device *dev, uint64_t off, const void *data, uint32_t len)
{
	(void)dev;
	(void)len;
	last_write = (uint8_t)(*(const uint8_t *)data + off);
}
static void dev_read(struct bus_device *dev, uint64_t off, void *data, uint32_t len)
{
	(void)dev;
	memset(data, (int)off, len);
}
static const struct bus_device_ops test_ops = {.read = dev_read, .write = dev_write};

static void bus(void **state)
{
	(void)state;
	struct bus b = {.name = "pio"};
	struct bus_device d1 = {.name = "a", .base = 0x100, .len = 8, .ops = &test_ops};
	struct bus_device d2 = {.name = "b", .base = 0x104, .len = 8, .ops = &test_ops};
	struct bus_device d3 = {.name = "c", .base = ~0ULL - 2, .len = 8, .ops = &test_ops};
	struct bus_device d4 = {.name = "d", .base = 0x200, .len = 0, .ops = &test_ops};
	assert_int_equal(bus_register(&b, &d1), 0);
	assert_int_equal(bus_register(&b, &d2), -1); /* overlaps */
	assert_int_equal(bus_register(&b, &d3), -1); /* wraps around */
	assert_int_equal(bus_register(&b, &d4), -1); /* empty */
	uint8_t v = 1;
	assert_true(bus_access(&b, 0x102, &v, 1, true));
	assert_int_equal(last_write, 3);
	uint32_t word = 0;
	assert_true(bus_access(&b, 0x104, &word, 4, false));
	assert_int_equal(word, 0x04040404);
	assert_false(bus_access(&b, 0x106, &word, 4, false)); /* straddles the end */
	assert_int_equal(word, 0xffffffff);
	assert_false(bus_access(&b, 0x300, &word, 4, false));
	struct bus_device many[BUS_MAX_DEVICES];
	int added = 1;
	for (int i = 0; i < BUS_MAX_DEVICES; i++) {
		many[i] = (struct bus_device){.base = 0x1000 + i * 8, .len = 8, .ops = &test_ops};
		added += bus_register(&b, &many[i]) == 0;
	}
	assert_int_equal(added, BUS_MAX_DEVICES);
}

/* Records what a batched-write replay delivers, in order. */
struct replay_log {
	uint64_t addr[8];
	uint8_t byte[8];
	int n;
};

static void log_write(struct bus_device *dev, uint64_t offset, const void *data, uint32_t len)
{
	struct replay_log *log = dev->opaque;
	(void)len;
	log->addr[log->n] = dev->base + offset;
	log->byte[log->n++] = *(const uint8_t *)data;
}

static const struct bus_device_ops log_ops = {.write = log_write};

static void write_batch_replay(void **state)
{
	(void)state;
	struct replay_log pio_log = {0}, mmio_log = {0};
	struct bus pio = {.name = "pio"}, mmio = {.name = "mmio"};
	struct bus_device uart = {.base = 0x3f8, .len = 8, .ops = &log_ops, .opaque = &pio_log};
	struct bus_device win = {
	    .base = 0xd0000000, .len = 0x200, .ops = &log_ops, .opaque = &mmio_log};
	assert_int_equal(bus_register(&pio, &uart), 0);
	assert_int_equal(bus_register(&mmio, &win), 0);
	/* A ring page as KVM fills it: three writes queued from slot 5 on, one malformed. */
	struct kvm_coalesced_mmio_ring *ring = aligned_alloc(4096, 4096);
	memset(ring, 0, 4096);
	struct write_batch wb;
	write_batch_init(&wb);
	write_batch_set_ring(&wb, ring);
	ring->first = ring->last = 5;
	const struct kvm_coalesced_mmio queued[] = {
	    {.phys_addr = 0x3f8, .len = 1, .pio = 1, .data = {'h'}},
	    {.phys_addr = 0xd0000070, .len = 1, .data = {7}},
	    {.phys_addr = 0x3f8,
	     .len = 99,
	     .pio = 1,
	     .data = {'x'}}, /* longer than data: dropped */
	    {.phys_addr = 0x3f8, .len = 1, .pio = 1, .data = {'i'}},
	};
	for (int i = 0; i < 4; i++)
		ring->coalesced_mmio[ring->last++] = queued[i];
	write_batch_deliver(&wb, &pio, &mmio);
	assert_int_equal(ring->first, ring->last); /* every slot handed back */
	assert_int_equal(pio_log.n, 2);
	assert_memory_equal(pio_log.byte, "hi", 2);
	assert_int_equal(mmio_log.n, 1);
	assert_int_equal(mmio_log.addr[0], 0xd0000070);
	/* Indices outside the ring (a corrupt page) deliver nothing. */
	ring->first = 0;
	ring->last = wb.slots + 3;
	write_batch_deliver(&wb, &pio, &mmio);
	assert_int_equal(pio_log.n, 2);
	write_batch_destroy(&wb);
	free(ring);
}

static void e820_high_memory(void **state)
{
	(void)state;
	struct guest_mem mem = {.nr_regions = 2};
	mem.region[0] = (struct guest_region){.gpa = 0, .size = LAYOUT_LOWMEM_END};
	mem.region[1] = (struct guest_region){.gpa = LAYOUT_HIGHMEM, .size = 1ULL << 30};
	struct e820_range map[E820_MAX_ENTRIES];
	assert_int_equal(e820_build(&mem, map), 4);
	assert_int_equal(map[2].addr + map[2].size, LAYOUT_LOWMEM_END);
	assert_int_equal(map[3].addr, LAYOUT_HIGHMEM);
	assert_int_equal(map[3].type, E820_TYPE_RAM);
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	while (len--)
		s += *p++;
	return s;
}

static void mptable(void **state)
{
	(void)state;
	static uint8_t ram[2 << 20];
	struct guest_mem mem = {.nr_regions = 1};
	mem.region[0] = (struct guest_region){.gpa = 0, .size = sizeof(ram), .host = ram};
	char *err;
	int rc;
	STDERR_OF(err, rc = mptable_write(&mem, 0));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "vmm: the MP table describes 1..254 CPUs, not 0");
	STDERR_OF(err, rc = mptable_write(&mem, MPTABLE_MAX_CPUS + 1));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "vmm: the MP table describes 1..254 CPUs, not 255");
	assert_int_equal(mptable_write(&mem, 4), 0);
	const uint8_t *mpf = ram + LAYOUT_MPTABLE;
	assert_memory_equal(mpf, "_MP_", 4);
	assert_int_equal(sum(mpf, 16), 0);
	uint32_t table;
	memcpy(&table, mpf + 4, 4);
	const uint8_t *mpc = ram + table;
	assert_memory_equal(mpc, "PCMP", 4);
	uint16_t len;
	memcpy(&len, mpc + 4, 2);
	assert_int_equal(sum(mpc, len), 0);
	/* Four processor entries, the first one the BSP, APIC IDs 0..3. */
	const uint8_t *cpu = mpc + 44;
	for (int i = 0; i < 4; i++, cpu += 20) {
		assert_int_equal(cpu[0], 0);
		assert_int_equal(cpu[1], i);
		assert_int_equal(cpu[3], i == 0 ? 3 : 1);
	}
	assert_int_equal(cpu[0], 1); /* then the bus */
	struct guest_mem tiny = {.nr_regions = 1};
	tiny.region[0] = (struct guest_region){.gpa = 0, .size = 4096, .host = ram};
	STDERR_OF(err, rc = mptable_write(&tiny, 1));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "vmm: guest RAM is too small for the MP table");
}

static struct kvm_cpuid2 *fake_cpuid(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 4 * sizeof(struct kvm_cpuid_entry2));
	c->nent = 4;
	c->entries[0] = (struct kvm_cpuid_entry2){
	    .function = 1, .eax = 0xa00f11, .ebx = 0x07020800, .ecx = 0xf7f83203};
	c->entries[1] = (struct kvm_cpuid_entry2){.function = 7, .ebx = 0x219c03ab};
	c->entries[2] = (struct kvm_cpuid_entry2){.function = 0xb, .index = 1};
	c->entries[3] = (struct kvm_cpuid_entry2){.function = 0x80000001, .ecx = 0x75c237ff};
	return c;
}

static void cpuid(void **state)
{
	(void)state;
	struct kvm_cpuid2 *c = fake_cpuid();
	cpuid_adjust(c, 3, 4, &(struct cpuid_policy){.pmu = true});
	assert_int_equal(c->entries[0].eax, 0xa00f11);		      /* family kept */
	assert_int_equal(c->entries[0].ebx >> 24, 3);		      /* APIC ID */
	assert_int_equal((c->entries[0].ebx >> 16) & 0xff, 4);	      /* logical CPUs */
	assert_int_equal(c->entries[0].ecx, 0xf7f83203 | (1u << 31)); /* nothing masked */
	assert_int_equal(c->entries[1].ebx, 0x219c03ab);
	assert_int_equal(c->entries[2].edx, 3); /* x2APIC ID */
	assert_int_equal(c->entries[2].ebx, 4);
	free(c);

	c = fake_cpuid();
	cpuid_adjust(c, 0, 1, &(struct cpuid_policy){.emulated = true, .pmu = true});
	assert_int_equal(c->entries[0].eax, 0xa00f11);
	assert_int_equal(c->entries[0].ecx & (1u << 26), 0); /* XSAVE */
	assert_int_equal(c->entries[0].ecx & (1u << 23), 0); /* POPCNT */
	assert_int_equal(c->entries[0].ecx & (1u << 13), 0); /* CX16 */
	assert_int_equal(c->entries[1].ebx, 0);		     /* SMAP and all of leaf 7 */
	assert_int_equal(c->entries[3].ecx, 1);
	free(c);
	/* Linux copies clearcpuid= into a 128-byte buffer: a longer list is cut short. */
	assert_true(strlen(CPUID_CLEARCPUID_LIST) < 128);
}

static struct kvm_cpuid2 *cpuid_table(const struct kvm_cpuid_entry2 *entries, unsigned n)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(*entries));
	c->nent = n;
	memcpy(c->entries, entries, n * sizeof(*entries));
	return c;
}

static const struct kvm_cpuid_entry2 *entry(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	fail_msg("no CPUID leaf 0x%x.%u", fn, idx);
	return NULL;
}

/* An AMD host's PMU leaves: hidden by default, kept with --pmu. */
static void cpuid_pmu(void **state)
{
	(void)state;
	const struct kvm_cpuid_entry2 host[] = {
	    {.function = 1, .ecx = 0xf6f8b203 | (1u << 15)}, /* PDCM */
	    {.function = 0xa, .eax = 0x07300402, .edx = 0x603},
	    {.function = 0x80000001, .ecx = 0x75c237ff | (3u << 23) | (3u << 27)},
	    {.function = 0x80000022, .eax = 1, .ebx = 0x16},
	};
	struct kvm_cpuid2 *c = cpuid_table(host, 4);
	cpuid_adjust(c, 0, 1, &(struct cpuid_policy){0});
	assert_int_equal(entry(c, 1, 0)->ecx & (1u << 15), 0);
	assert_int_equal(entry(c, 0xa, 0)->eax, 0); /* perfmon version 0 */
	assert_int_equal(entry(c, 0xa, 0)->edx, 0);
	/* PerfCtrExtCore, PerfCtrExtNB, PerfTsc, PerfCtrExtLLC */
	assert_int_equal(entry(c, 0x80000001, 0)->ecx & ((3u << 23) | (3u << 27)), 0);
	assert_int_equal(entry(c, 0x80000001, 0)->ecx & (1u << 22), 1u << 22); /* TopoExt kept */
	assert_int_equal(entry(c, 0x80000022, 0)->eax, 0);
	free(c);

	c = cpuid_table(host, 4);
	cpuid_adjust(c, 0, 1, &(struct cpuid_policy){.pmu = true});
	assert_int_equal(entry(c, 0xa, 0)->eax, 0x07300402);
	assert_int_equal(entry(c, 0x80000001, 0)->ecx, 0x75c237ff | (3u << 23) | (3u << 27));
	free(c);
}

/* x87, SSE, YMM (576 + 256) and AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM) offered by leaf 0xD. */
static const struct kvm_cpuid_entry2 xsave_host[] = {
    {.function = 1, .ecx = (1u << 26) | (1u << 28)}, /* XSAVE, AVX */
    {.function = 7, .ebx = 1u << 16},		     /* AVX-512F */
    {.function = 0xd, .index = 0, .eax = 0xe7, .ebx = 2688, .ecx = 2688},
    {.function = 0xd, .index = 1, .eax = 0xf},
    {.function = 0xd, .index = 2, .eax = 256, .ebx = 576},
    {.function = 0xd, .index = 5, .eax = 64, .ebx = 1088},
    {.function = 0xd, .index = 6, .eax = 512, .ebx = 1152},
    {.function = 0xd, .index = 7, .eax = 1024, .ebx = 1664},
};
#define XSAVE_HOST_N (sizeof(xsave_host) / sizeof(xsave_host[0]))

static void cpuid_xsave(void **state)
{
	(void)state;
	struct kvm_cpuid2 *c = cpuid_table(xsave_host, XSAVE_HOST_N);
	cpuid_adjust(c, 0, 1, &(struct cpuid_policy){0});
	assert_int_equal(entry(c, 0xd, 0)->eax, 0xe7); /* consistent already: unchanged */
	assert_int_equal(entry(c, 0xd, 0)->ecx, 2688);
	free(c);

	/* AVX-512F hidden: its three components go, the area ends after YMM. */
	c = cpuid_table(xsave_host, XSAVE_HOST_N);
	c->entries[1].ebx = 0;
	cpuid_adjust(c, 0, 1, &(struct cpuid_policy){0});
	assert_int_equal(entry(c, 0xd, 0)->eax, 0x7);
	assert_int_equal(entry(c, 0xd, 0)->ecx, 832);
	assert_int_equal(cpuid_xsave_mask(c), 0x7); /* the vCPU's starting XCR0 */
	assert_int_equal(entry(c, 0xd, 0)->ebx, 832);
	assert_int_equal(entry(c, 0xd, 5)->eax, 0);
	assert_int_equal(entry(c, 0xd, 7)->ebx, 0);
	assert_int_equal(entry(c, 0xd, 2)->eax, 256);
	free(c);

	/* AVX hidden as well: only the legacy area is left. */
	c = cpuid_table(xsave_host, XSAVE_HOST_N);
	c->entries[0].ecx = 1u << 26;
	c->entries[1].ebx = 0;
	cpuid_adjust(c, 0, 1, &(struct cpuid_policy){0});
	assert_int_equal(entry(c, 0xd, 0)->eax, 0x3);
	assert_int_equal(entry(c, 0xd, 0)->ecx, 576);
	assert_int_equal(entry(c, 0xd, 2)->eax, 0);
	free(c);

	/* An emulated host hides XSAVE: all of leaf 0xD goes. */
	c = cpuid_table(xsave_host, XSAVE_HOST_N);
	cpuid_adjust(c, 0, 1, &(struct cpuid_policy){.emulated = true});
	assert_int_equal(entry(c, 0xd, 0)->eax, 0);
	assert_int_equal(entry(c, 0xd, 1)->eax, 0);
	assert_int_equal(entry(c, 0xd, 2)->ebx, 0);
	assert_int_equal(cpuid_xsave_mask(c), 0);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ints),
	    cmocka_unit_test(options),
	    cmocka_unit_test(console_escape),
	    cmocka_unit_test(bus),
	    cmocka_unit_test(write_batch_replay),
	    cmocka_unit_test(e820_high_memory),
	    cmocka_unit_test(mptable),
	    cmocka_unit_test(cpuid),
	    cmocka_unit_test(cpuid_pmu),
	    cmocka_unit_test(cpuid_xsave),
	};
	return cmocka_run_group_tests_name("vmm machine", tests, NULL, NULL);
}
