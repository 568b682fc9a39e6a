/*
 * vmm/arm64's arch-neutral parts, natively: the device tree a 2-vCPU VM
 * with a disk boots with (libfdt reads it back, dtc decompiles it, the
 * nodes Linux needs have the right cells), the Image header against
 * malformed files, and the stage-1 walk the monitor's x uses.
 */
#include <libfdt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../vmm/arm64/fdt.h"
#include "../../vmm/arm64/image.h"
#include "../../vmm/arm64/layout.h"
#include "../../vmm/arm64/pagewalk.h"
#include "../stderr_capture.h"

#define TREE_SIZE (64 << 10)
#define MIB	  (1ULL << 20)

static const struct arm64_dt_device disk = {"virtio,mmio", 0x0a000000, 0x200, 16};

static struct arm64_dt_machine two_cpus_one_disk(void)
{
	return (struct arm64_dt_machine){
	    .ram_base = ARM64_RAM_BASE,
	    .ram_size = 256 * MIB,
	    .nr_cpus = 2,
	    .gic_dist_base = ARM64_GIC_DIST_BASE,
	    .gic_dist_size = ARM64_GIC_DIST_SIZE,
	    .gic_redist_base = ARM64_GIC_REDIST_BASE,
	    .gic_redist_size = 2 * ARM64_GIC_REDIST_PER_VCPU,
	    .uart_base = ARM64_UART_BASE,
	    .uart_size = ARM64_UART_SIZE,
	    .uart_spi = ARM64_UART_SPI,
	    .uart_clock_hz = ARM64_UART_CLOCK_HZ,
	    .exit_base = ARM64_ISOLAB_BASE,
	    .exit_size = ARM64_ISOLAB_SIZE,
	    .devices = &disk,
	    .nr_devices = 1,
	    .bootargs = "console=ttyS0 panic=-1 isolab.vm=1 root=/dev/vda",
	    .initrd_start = 0x84400000,
	    .initrd_end = 0x84500000,
	};
}

static void *build_tree(const struct arm64_dt_machine *m)
{
	void *tree = malloc(TREE_SIZE);
	assert_non_null(tree);
	assert_true(arm64_dt_build(m, tree, TREE_SIZE) > 0);
	assert_int_equal(fdt_check_header(tree), 0);
	return tree;
}

static int node(const void *tree, const char *path)
{
	int off = fdt_path_offset(tree, path);
	if (off < 0)
		fail_msg("no node %s", path);
	return off;
}

/* The property's 32-bit cells, which must number want. */
static const fdt32_t *cells(const void *tree, const char *path, const char *name, int want)
{
	int len = -1;
	const fdt32_t *p = fdt_getprop(tree, node(tree, path), name, &len);
	if (!p || len != want * 4)
		fail_msg("%s %s: %d bytes, want %d cells", path, name, len, want);
	return p;
}

static uint32_t cell(const void *tree, const char *path, const char *name)
{
	return fdt32_to_cpu(cells(tree, path, name, 1)[0]);
}

static const char *string(const void *tree, const char *path, const char *name)
{
	const char *s = fdt_getprop(tree, node(tree, path), name, NULL);
	if (!s)
		fail_msg("%s has no %s", path, name);
	return s;
}

static void assert_cells(const void *tree, const char *path, const char *name, const uint32_t *want,
			 int n)
{
	const fdt32_t *got = cells(tree, path, name, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(fdt32_to_cpu(got[i]), want[i]);
}

static void test_tree_root_memory_cpus(void **state)
{
	(void)state;
	struct arm64_dt_machine m = two_cpus_one_disk();
	void *t = build_tree(&m);
	assert_int_equal(cell(t, "/", "#address-cells"), 2);
	assert_int_equal(cell(t, "/", "#size-cells"), 2);
	assert_int_equal(cell(t, "/", "interrupt-parent"), cell(t, "/intc@8000000", "phandle"));
	assert_string_equal(string(t, "/memory@80000000", "device_type"), "memory");
	uint32_t mem[] = {0, 0x80000000, 0, 256 << 20};
	assert_cells(t, "/memory@80000000", "reg", mem, 4);
	assert_int_equal(cell(t, "/cpus", "#address-cells"), 1);
	assert_int_equal(cell(t, "/cpus", "#size-cells"), 0);
	assert_int_equal(cell(t, "/cpus/cpu@1", "reg"), 1);
	assert_string_equal(string(t, "/cpus/cpu@0", "enable-method"), "psci");
	assert_string_equal(string(t, "/cpus/cpu@1", "enable-method"), "psci");
	assert_true(fdt_path_offset(t, "/cpus/cpu@2") < 0);
	assert_string_equal(string(t, "/psci", "compatible"), "arm,psci-0.2");
	assert_string_equal(string(t, "/psci", "method"), "hvc");
	free(t);
}

static void test_tree_gic_timer_devices(void **state)
{
	(void)state;
	struct arm64_dt_machine m = two_cpus_one_disk();
	void *t = build_tree(&m);
	assert_string_equal(string(t, "/intc@8000000", "compatible"), "arm,gic-v3");
	assert_int_equal(cell(t, "/intc@8000000", "#interrupt-cells"), 3);
	assert_non_null(fdt_getprop(t, node(t, "/intc@8000000"), "interrupt-controller", NULL));
	uint32_t gic[] = {0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x40000};
	assert_cells(t, "/intc@8000000", "reg", gic, 8);
	uint32_t ppis[] = {1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4};
	assert_cells(t, "/timer", "interrupts", ppis, 12);
	assert_string_equal(string(t, "/serial@9000000", "compatible"), "ns16550a");
	uint32_t uart_reg[] = {0, 0x09000000, 0, 0x1000}, uart_irq[] = {0, 1, 4};
	assert_cells(t, "/serial@9000000", "reg", uart_reg, 4);
	assert_cells(t, "/serial@9000000", "interrupts", uart_irq, 3);
	assert_int_equal(cell(t, "/serial@9000000", "clock-frequency"), 1843200);
	uint32_t vreg[] = {0, 0x0a000000, 0, 0x200}, virq[] = {0, 16, 1};
	assert_string_equal(string(t, "/virtio_mmio@a000000", "compatible"), "virtio,mmio");
	assert_cells(t, "/virtio_mmio@a000000", "reg", vreg, 4);
	assert_cells(t, "/virtio_mmio@a000000", "interrupts", virq, 3);
	uint32_t exit_reg[] = {0, 0x09010000, 0, 0x1000};
	assert_cells(t, "/isolab-exit@9010000", "reg", exit_reg, 4);
	free(t);
}

static void test_tree_chosen(void **state)
{
	(void)state;
	struct arm64_dt_machine m = two_cpus_one_disk();
	void *t = build_tree(&m);
	assert_string_equal(string(t, "/chosen", "bootargs"), m.bootargs);
	assert_int_equal(fdt_path_offset(t, string(t, "/chosen", "stdout-path")),
			 node(t, "/serial@9000000"));
	const fdt32_t *start = cells(t, "/chosen", "linux,initrd-start", 2);
	const fdt32_t *end = cells(t, "/chosen", "linux,initrd-end", 2);
	assert_int_equal(fdt32_to_cpu(start[1]), 0x84400000);
	assert_int_equal(fdt32_to_cpu(end[1]), 0x84500000);
	free(t);

	m.initrd_start = m.initrd_end = 0; /* a disk root: no initrd properties */
	t = build_tree(&m);
	assert_null(fdt_getprop(t, node(t, "/chosen"), "linux,initrd-start", NULL));
	free(t);
}

static void test_tree_decompiles_with_dtc(void **state)
{
	(void)state;
	if (system("command -v dtc >/dev/null 2>&1") != 0)
		skip(); /* device-tree-compiler is not installed */
	struct arm64_dt_machine m = two_cpus_one_disk();
	void *t = build_tree(&m);
	char dtb[] = "/tmp/arm64_test-XXXXXX";
	int fd = mkstemp(dtb);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, t, fdt_totalsize(t)), (ssize_t)fdt_totalsize(t));
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "dtc -q -I dtb -O dts -o /dev/null %s", dtb);
	int rc = system(cmd);
	unlink(dtb);
	free(t);
	assert_int_equal(rc, 0);
}

static void test_tree_too_small(void **state)
{
	(void)state;
	struct arm64_dt_machine m = two_cpus_one_disk();
	char small[256], *err;
	int rc;
	STDERR_OF(err, rc = arm64_dt_build(&m, small, sizeof(small)));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "vmm: device tree: FDT_ERR_NOSPACE");
}

static void test_mpidr(void **state)
{
	(void)state;
	assert_int_equal(arm64_vcpu_mpidr(0), 0);
	assert_int_equal(arm64_vcpu_mpidr(15), 15);
	assert_int_equal(arm64_vcpu_mpidr(16), 0x100);
	assert_int_equal(arm64_vcpu_mpidr(63), 0x30f);
}

/* A 64-byte Image header followed by body bytes of the file. */
static uint8_t *image(size_t file_size, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	uint8_t *img = calloc(1, file_size < 64 ? 64 : file_size);
	assert_non_null(img);
	memcpy(img + 8, &text_offset, 8); /* the tests run on little-endian hosts */
	memcpy(img + 16, &image_size, 8);
	memcpy(img + 24, &flags, 8);
	memcpy(img + 56, "ARM\x64", 4);
	return img;
}

static void test_image_good(void **state)
{
	(void)state;
	uint8_t *img = image(8192, 0, 3 * MIB, 0xa);
	struct arm64_image out;
	assert_int_equal(arm64_image_parse(img, 8192, 128 * MIB, &out), 0);
	assert_int_equal(out.text_offset, 0);
	assert_int_equal(out.image_size, 3 * MIB);
	free(img);

	img = image(8192, 0, 0, 0); /* before 3.17: offset 0x80000, size unknown */
	assert_int_equal(arm64_image_parse(img, 8192, 128 * MIB, &out), 0);
	assert_int_equal(out.text_offset, 0x80000);
	assert_int_equal(out.image_size, 8192);
	free(img);
}

static void expect_refused(const uint8_t *img, size_t size, uint64_t ram, const char *want)
{
	struct arm64_image out;
	char *err;
	int rc;
	STDERR_OF(err, rc = arm64_image_parse(img, size, ram, &out));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, want);
}

static void test_image_malformed(void **state)
{
	(void)state;
	uint8_t *img = image(4096, 0, MIB, 0);
	expect_refused(img, 63, 128 * MIB, "shorter than the 64-byte arm64 Image header");
	expect_refused(img, 4096, MIB / 2, "the Image needs 1 MiB");
	img[59] = 0x65;
	expect_refused(img, 4096, 128 * MIB, "no ARM\\x64 magic");
	free(img);

	img = image(4096, 0, 1024, 0); /* the file is longer than the kernel says it is */
	expect_refused(img, 4096, 128 * MIB, "longer than its header's image_size (1024)");
	free(img);
	img = image(4096, 1ULL << 62, MIB, 0);
	expect_refused(img, 4096, 128 * MIB, "text_offset 0x4000000000000000 is not a page offset");
	free(img);
	img = image(4096, 0, UINT64_MAX, 0);
	expect_refused(img, 4096, 128 * MIB, "--mem is 128 MiB");
	free(img);
	img = image(4096, 0x1ff000, UINT64_MAX - 0x1000, 0); /* offset + size wraps */
	expect_refused(img, 4096, 128 * MIB, "--mem is 128 MiB");
	free(img);
	img = image(4096, 0, MIB, 1);
	expect_refused(img, 4096, 128 * MIB, "big-endian");
	free(img);
	uint8_t gz[64] = {0x1f, 0x8b, 8};
	expect_refused(gz, sizeof(gz), 128 * MIB, "gzip-compressed");
}

/* Guest RAM at 0x80000000 for the walks. */
struct walk_fixture {
	struct guest_mem mem;
	uint8_t *ram;
};

static int walk_setup(void **state)
{
	struct walk_fixture *f = calloc(1, sizeof(*f));
	f->ram = mmap(NULL, 8 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!f || f->ram == MAP_FAILED)
		return -1;
	f->mem.region[0] =
	    (struct guest_region){.gpa = ARM64_RAM_BASE, .size = 8 * MIB, .host = f->ram};
	f->mem.nr_regions = 1;
	*state = f;
	return 0;
}

static int walk_teardown(void **state)
{
	struct walk_fixture *f = *state;
	munmap(f->ram, 8 * MIB);
	free(f);
	return 0;
}

static void put_desc(struct walk_fixture *f, uint64_t table_gpa, unsigned index, uint64_t desc)
{
	memcpy(f->ram + (table_gpa - ARM64_RAM_BASE) + index * 8, &desc, 8);
}

/* 48-bit TTBR0 and TTBR1 regions, 4 KiB granules (TG1 = 2), as Linux sets them. */
#define TCR_48BIT (16ULL | 16ULL << 16 | 2ULL << 30)

static void test_walk(void **state)
{
	struct walk_fixture *f = *state;
	uint64_t l0 = ARM64_RAM_BASE + 0x1000, l1 = l0 + 0x1000, l2 = l1 + 0x1000, l3 = l2 + 0x1000;
	struct arm64_mmu mmu = {.sctlr = 0, .tcr = TCR_48BIT, .ttbr0 = l0, .ttbr1 = l0};
	struct arm64_walk w;
	assert_int_equal(arm64_page_walk(&f->mem, &mmu, 0x80001234, &w), ARM64_WALK_OK);
	assert_int_equal(w.gpa, 0x80001234); /* MMU off: identity */

	mmu.sctlr = 1;
	/* va 0x40201234 -> L0[0] -> L1[1] -> L2[1] -> L3[1] -> page 0x80005000. */
	put_desc(f, l0, 0, l1 | 3);
	put_desc(f, l1, 1, l2 | 3);
	put_desc(f, l2, 1, l3 | 3);
	put_desc(f, l3, 1, 0x80005000 | 3 | 0x400);
	assert_int_equal(arm64_page_walk(&f->mem, &mmu, 0x40201234, &w), ARM64_WALK_OK);
	assert_int_equal(w.gpa, 0x80005234);
	assert_int_equal(w.page_size, 4096);
	assert_int_equal(w.levels, 4);
	/* L2[2] is a 2 MiB block. */
	put_desc(f, l2, 2, 0x80200000 | 1 | 0x400);
	assert_int_equal(arm64_page_walk(&f->mem, &mmu, 0x40412345, &w), ARM64_WALK_OK);
	assert_int_equal(w.gpa, 0x80212345);
	assert_int_equal(w.page_size, 2 * MIB);
	/* TTBR1: the top of the address space walks the same tables (L0[256] unset). */
	assert_int_equal(arm64_page_walk(&f->mem, &mmu, 0xffff800000000000ULL, &w),
			 ARM64_WALK_NOT_PRESENT);
	assert_int_equal(arm64_page_walk(&f->mem, &mmu, 0x0001000000000000ULL, &w),
			 ARM64_WALK_NOT_MAPPED);
	put_desc(f, l2, 3, 0x7f000000 | 3); /* a table outside RAM */
	assert_int_equal(arm64_page_walk(&f->mem, &mmu, 0x40600000, &w), ARM64_WALK_TABLE_OUTSIDE);
	mmu.tcr = TCR_48BIT | 1ULL << 14; /* TG0 = 64 KiB */
	assert_int_equal(arm64_page_walk(&f->mem, &mmu, 0x40201234, &w), ARM64_WALK_GRANULE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree_root_memory_cpus),
	    cmocka_unit_test(test_tree_gic_timer_devices),
	    cmocka_unit_test(test_tree_chosen),
	    cmocka_unit_test(test_tree_decompiles_with_dtc),
	    cmocka_unit_test(test_tree_too_small),
	    cmocka_unit_test(test_mpidr),
	    cmocka_unit_test(test_image_good),
	    cmocka_unit_test(test_image_malformed),
	    cmocka_unit_test_setup_teardown(test_walk, walk_setup, walk_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
