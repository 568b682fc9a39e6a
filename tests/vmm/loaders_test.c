/*
 * bzImage and PVH loaders against well-formed images and a generated corpus
 * of broken ones (truncated, wrong magic, bad offsets, huge sizes). Broken
 * input must be refused with -1, never read or written out of bounds (the
 * sanitizer build runs these too).
 */
#include <asm/bootparam.h>
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "../../vmm/x86/boot.h"
#include "../../vmm/x86/e820.h"
#include "../../vmm/x86/layout.h"
#include "../../vmm/x86/pvh.h"
#include "../stderr_capture.h"

#define GUEST_RAM   (64ULL << 20)
#define KERNEL_BODY 4096
#define ELF_PADDR   0x1000000ULL
#define PVH_ENTRY   0x1000123U

struct fixture {
	struct guest_mem mem;
	uint8_t initrd[8192];
	struct boot_config cfg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	void *ram =
	    mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!f || ram == MAP_FAILED)
		return -1;
	f->mem.region[0] = (struct guest_region){.gpa = 0, .size = GUEST_RAM, .host = ram};
	f->mem.nr_regions = 1;
	memset(f->initrd, 0x5a, sizeof(f->initrd));
	f->cfg = (struct boot_config){.cmdline = "console=ttyS0 -- echo hi",
				      .initrd = f->initrd,
				      .initrd_size = sizeof(f->initrd)};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	munmap(f->mem.region[0].host, GUEST_RAM);
	free(f);
	return 0;
}

/* A minimal bzImage: one setup sector after the boot sector, then the kernel body. */
static size_t make_bzimage(uint8_t *buf, size_t cap)
{
	size_t size = 2 * 512 + KERNEL_BODY;
	assert_true(size <= cap);
	memset(buf, 0, size);
	struct setup_header hdr = {0};
	hdr.setup_sects = 1;
	hdr.boot_flag = 0xaa55;
	hdr.jump = 0x66eb; /* short jump over the header: byte 0x201 is its length */
	hdr.header = 0x53726448;
	hdr.version = 0x20f;
	hdr.loadflags = LOADED_HIGH;
	hdr.xloadflags = XLF_KERNEL_64;
	hdr.initrd_addr_max = 0x7fffffff;
	hdr.cmdline_size = 2047;
	hdr.init_size = 2 << 20;
	hdr.syssize = KERNEL_BODY / 16;
	memcpy(buf + 0x1f1, &hdr, sizeof(hdr));
	for (size_t i = 0; i < KERNEL_BODY; i++)
		buf[1024 + i] = (uint8_t)i;
	return size;
}

static void bzimage_loads(void **state)
{
	struct fixture *f = *state;
	uint8_t image[8192];
	size_t size = make_bzimage(image, sizeof(image));
	struct boot_entry entry;
	assert_int_equal(bzimage_load(&f->mem, image, size, &f->cfg, &entry), 0);
	assert_int_equal(entry.mode, BOOT_MODE_64BIT);
	assert_int_equal(entry.rip, LAYOUT_KERNEL + 0x200);
	assert_int_equal(entry.rsi, LAYOUT_ZERO_PAGE);

	const uint8_t *ram = f->mem.region[0].host;
	assert_memory_equal(ram + LAYOUT_KERNEL, image + 1024, KERNEL_BODY);
	const struct boot_params *bp = (const void *)(ram + LAYOUT_ZERO_PAGE);
	assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	assert_string_equal((const char *)ram + LAYOUT_CMDLINE, f->cfg.cmdline);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.ramdisk_size, sizeof(f->initrd));
	/* The initrd sits page-aligned at the top of RAM, above the kernel's footprint. */
	assert_int_equal(bp->hdr.ramdisk_image % 4096, 0);
	assert_true(bp->hdr.ramdisk_image >= LAYOUT_KERNEL + (2 << 20));
	assert_true(bp->hdr.ramdisk_image + sizeof(f->initrd) <= GUEST_RAM);
	assert_memory_equal(ram + bp->hdr.ramdisk_image, f->initrd, sizeof(f->initrd));
	/* e820: low RAM, the reserved BIOS area, RAM from 1 MiB. */
	assert_int_equal(bp->e820_entries, 3);
	assert_int_equal(bp->e820_table[0].addr, 0);
	assert_int_equal(bp->e820_table[0].type, E820_TYPE_RAM);
	assert_int_equal(bp->e820_table[1].type, E820_TYPE_RESERVED);
	assert_true(bp->e820_table[1].addr <= LAYOUT_MPTABLE);
	assert_int_equal(bp->e820_table[2].addr, 0x100000);
	assert_int_equal(bp->e820_table[2].addr + bp->e820_table[2].size, GUEST_RAM);
}

static void bzimage_respects_initrd_addr_max(void **state)
{
	struct fixture *f = *state;
	uint8_t image[8192];
	size_t size = make_bzimage(image, sizeof(image));
	struct setup_header *hdr = (void *)(image + 0x1f1);
	hdr->initrd_addr_max = (16 << 20) - 1;
	struct boot_entry entry;
	assert_int_equal(bzimage_load(&f->mem, image, size, &f->cfg, &entry), 0);
	const struct boot_params *bp = (const void *)(f->mem.region[0].host + LAYOUT_ZERO_PAGE);
	assert_true(bp->hdr.ramdisk_image + sizeof(f->initrd) <= (16 << 20));
}

typedef int loader_fn(const struct guest_mem *mem, const uint8_t *image, size_t size,
		      const struct boot_config *cfg, struct boot_entry *entry);

/* load refuses image[0, len) with one line on stderr that matches the regex error. */
static void refused(loader_fn *load, struct fixture *f, const void *image, size_t len,
		    const struct boot_config *cfg, const char *error)
{
	struct boot_entry entry;
	char *err;
	int rc;
	STDERR_OF(err, rc = load(&f->mem, image, len, cfg, &entry));
	assert_int_equal(rc, -1);
	assert_one_line_matching(err, error);
}

static void bzimage_refuses_corpus(void **state)
{
	struct fixture *f = *state;
	uint8_t good[8192], bad[8192];
	size_t size = make_bzimage(good, sizeof(good));
	/* Every truncation, down to nothing. */
	for (size_t len = 0; len < size; len++)
		refused(bzimage_load, f, good, len, &f->cfg, "^vmm: kernel is truncated \\(");

	struct {
		size_t offset;
		uint8_t value;
		const char *error;
	} const corruptions[] = {
	    {0x1fe, 0x00, "not a bzImage \\(no boot signature\\)"}, /* boot flag */
	    {0x202, 'X', "not a bzImage \\(no boot signature\\)"},  /* "HdrS" */
	    {0x206, 0x05, "boot protocol 2\\.05 is too old \\(need 2\\.06\\+\\)"},
	    {0x207, 0x01, "boot protocol 1\\.15 is too old"},
	    {0x211, 0x00, "has no 64-bit entry point"}, /* not LOADED_HIGH */
	    {0x236, 0x00, "has no 64-bit entry point"},
	    {0x1f1, 0xff, "truncated \\(setup code runs past the end of the file\\)"},
	    {0x260 + 3, 0x7f, "kernel needs 2035 MiB from 1 MiB up; give the guest more --mem"},
	    {0x201, 0xff, "truncated \\(578 bytes, boot header cut short\\)"}, /* claims more */
	};
	for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++) {
		memcpy(bad, good, size);
		bad[corruptions[i].offset] = corruptions[i].value;
		size_t len = corruptions[i].offset == 0x201 ? 0x202 + 0x40 : size;
		refused(bzimage_load, f, bad, len, &f->cfg, corruptions[i].error);
	}
}

static void bzimage_refuses_what_does_not_fit(void **state)
{
	struct fixture *f = *state;
	uint8_t image[8192];
	size_t size = make_bzimage(image, sizeof(image));
	static uint8_t big_initrd[1];
	struct boot_config cfg = f->cfg;
	cfg.initrd = big_initrd;
	cfg.initrd_size = GUEST_RAM; /* larger than RAM beside the kernel */
	refused(bzimage_load, f, image, size, &cfg,
		"^vmm: initrd \\(65536 KiB\\) does not fit in guest RAM below 0x4000000 beside "
		"the kernel; give the guest more --mem$");

	char cmdline[4000];
	memset(cmdline, 'a', sizeof(cmdline) - 1);
	cmdline[sizeof(cmdline) - 1] = '\0';
	cfg = f->cfg;
	cfg.cmdline = cmdline;
	refused(bzimage_load, f, image, size, &cfg,
		"command line is longer than this kernel accepts \\(2047 bytes\\)");
}

/* ELF vmlinux with one PT_LOAD at ELF_PADDR and one PT_NOTE carrying the PVH entry. */
struct elf_image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	Elf64_Nhdr note;
	char name[4];
	uint32_t desc;
	uint8_t body[256];
};

static void make_elf(struct elf_image *img)
{
	memset(img, 0, sizeof(*img));
	memcpy(img->eh.e_ident, ELFMAG, SELFMAG);
	img->eh.e_ident[EI_CLASS] = ELFCLASS64;
	img->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img->eh.e_type = ET_EXEC;
	img->eh.e_machine = EM_X86_64;
	img->eh.e_phoff = offsetof(struct elf_image, ph);
	img->eh.e_phentsize = sizeof(Elf64_Phdr);
	img->eh.e_phnum = 2;
	img->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
				  .p_offset = offsetof(struct elf_image, body),
				  .p_paddr = ELF_PADDR,
				  .p_filesz = sizeof(img->body),
				  .p_memsz = sizeof(img->body) + 4096};
	img->ph[1] = (Elf64_Phdr){.p_type = PT_NOTE,
				  .p_offset = offsetof(struct elf_image, note),
				  .p_filesz = sizeof(Elf64_Nhdr) + 4 + 4};
	img->note = (Elf64_Nhdr){.n_namesz = 4, .n_descsz = 4, .n_type = XEN_ELFNOTE_PHYS32_ENTRY};
	memcpy(img->name, "Xen", 4);
	img->desc = PVH_ENTRY;
	memset(img->body, 0xc3, sizeof(img->body));
}

static void pvh_loads(void **state)
{
	struct fixture *f = *state;
	struct elf_image img;
	make_elf(&img);
	uint8_t *ram = f->mem.region[0].host;
	memset(ram + ELF_PADDR + sizeof(img.body), 0xee, 4096); /* the bss must come back zeroed */
	struct boot_entry entry;
	assert_int_equal(pvh_load(&f->mem, (uint8_t *)&img, sizeof(img), &f->cfg, &entry), 0);
	assert_int_equal(entry.mode, BOOT_MODE_32BIT);
	assert_int_equal(entry.rip, PVH_ENTRY);
	assert_memory_equal(ram + ELF_PADDR, img.body, sizeof(img.body));
	for (int i = 0; i < 4096; i++)
		assert_int_equal(ram[ELF_PADDR + sizeof(img.body) + i], 0);

	const struct hvm_start_info *si = (const void *)(ram + entry.rbx);
	assert_int_equal(si->magic, XEN_HVM_START_MAGIC_VALUE);
	assert_int_equal(si->version, 1);
	assert_string_equal((const char *)ram + si->cmdline_paddr, f->cfg.cmdline);
	assert_int_equal(si->nr_modules, 1);
	const struct hvm_modlist_entry *mod = (const void *)(ram + si->modlist_paddr);
	assert_int_equal(mod->size, sizeof(f->initrd));
	assert_true(mod->paddr >= ELF_PADDR + sizeof(img.body) + 4096);
	assert_memory_equal(ram + mod->paddr, f->initrd, sizeof(f->initrd));
	assert_int_equal(si->memmap_entries, 3);
	const struct hvm_memmap_table_entry *map = (const void *)(ram + si->memmap_paddr);
	assert_int_equal(map[2].addr + map[2].size, GUEST_RAM);
	assert_int_equal(map[2].type, E820_TYPE_RAM);
}

static void pvh_refuses_corpus(void **state)
{
	struct fixture *f = *state;
	struct elf_image good, bad;
	make_elf(&good);
	/* Every truncation that cuts into the image (the struct's tail padding is not part of it).
	 */
	for (size_t len = 0; len < offsetof(struct elf_image, body) + sizeof(good.body); len++)
		refused(pvh_load, f, &good, len, &f->cfg,
			"^vmm: kernel (is truncated|ELF program headers are missing or out of the "
			"file|ELF segment lies outside the file)");

#define CORRUPT(stmt, error)                                                                       \
	do {                                                                                       \
		bad = good;                                                                        \
		stmt;                                                                              \
		refused(pvh_load, f, &bad, sizeof(bad), &f->cfg, error);                           \
	} while (0)
	const char *not_x86 = "is an ELF file but not an x86-64 executable";
	const char *no_phdrs = "ELF program headers are missing or out of the file";
	const char *outside = "ELF segment lies outside the file";
	const char *no_note = "ELF has no PVH entry note \\(build it with CONFIG_PVH=y\\)";
	CORRUPT(bad.eh.e_machine = EM_386, not_x86);
	CORRUPT(bad.eh.e_ident[EI_CLASS] = ELFCLASS32, not_x86);
	CORRUPT(bad.eh.e_type = ET_DYN, not_x86);
	CORRUPT(bad.eh.e_phoff = 1ULL << 62, no_phdrs);
	CORRUPT(bad.eh.e_phoff = sizeof(bad) - 8, no_phdrs);
	CORRUPT(bad.eh.e_phnum = 0xffff, no_phdrs);
	CORRUPT(bad.eh.e_phentsize = 8, no_phdrs);
	CORRUPT(bad.ph[0].p_offset = ~0ULL - 8, outside);
	CORRUPT(bad.ph[0].p_filesz = sizeof(bad), outside);
	CORRUPT(bad.ph[0].p_memsz = 16, outside); /* filesz > memsz */
	CORRUPT(bad.ph[0].p_memsz = 1ULL << 40,
		"segment at 0x1000000 \\(1073741824 KiB\\) does not fit in guest RAM");
	CORRUPT(bad.ph[0].p_paddr = ~0ULL - 100,
		"segment at 0xffffffffffffff9b \\(4 KiB\\) does not fit in guest RAM");
	CORRUPT(
	    bad.ph[0].p_paddr = 0x1000, /* over the boot structures */
	    "segment at 0x1000 \\(4 KiB\\) does not fit in guest RAM; give the guest more --mem");
	CORRUPT(bad.ph[0].p_type = PT_NULL, "ELF has no loadable segment");
	CORRUPT(bad.note.n_type = 17, no_note);
	CORRUPT(bad.note.n_namesz = 0xffffffff, no_note);
	CORRUPT(bad.note.n_descsz = 0xfffffff0, no_note);
	CORRUPT(memcpy(bad.name, "Lnx", 4), no_note);
	CORRUPT(bad.ph[1].p_filesz = 1ULL << 63, no_note);
	CORRUPT(bad.ph[1].p_type = PT_NULL, no_note);
#undef CORRUPT
}

static void pvh_refuses_initrd_that_does_not_fit(void **state)
{
	struct fixture *f = *state;
	struct elf_image img;
	make_elf(&img);
	static uint8_t byte;
	struct boot_config cfg = f->cfg;
	cfg.initrd = &byte;
	cfg.initrd_size = GUEST_RAM - ELF_PADDR;
	refused(pvh_load, f, &img, sizeof(img), &cfg,
		"^vmm: initrd \\(49152 KiB\\) does not fit in guest RAM beside the kernel");
}

static void initrd_placement(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(initrd_place(&f->mem, 0x100000, 0x800000, 0x1000), 0x7ff000);
	assert_int_equal(initrd_place(&f->mem, 0x100000, 0x800000, 0x1001), 0x7fe000);
	assert_int_equal(initrd_place(&f->mem, 0x100000, 0x200000, 0x100001), 0);
	assert_int_equal(initrd_place(&f->mem, 0x100000, 0x200000, 0), 0);
	assert_int_equal(initrd_place(&f->mem, 0x100000, GUEST_RAM * 2, 0x1000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(bzimage_loads, setup, teardown),
	    cmocka_unit_test_setup_teardown(bzimage_respects_initrd_addr_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(bzimage_refuses_corpus, setup, teardown),
	    cmocka_unit_test_setup_teardown(bzimage_refuses_what_does_not_fit, setup, teardown),
	    cmocka_unit_test_setup_teardown(pvh_loads, setup, teardown),
	    cmocka_unit_test_setup_teardown(pvh_refuses_corpus, setup, teardown),
	    cmocka_unit_test_setup_teardown(pvh_refuses_initrd_that_does_not_fit, setup, teardown),
	    cmocka_unit_test_setup_teardown(initrd_placement, setup, teardown),
	};
	return cmocka_run_group_tests_name("vmm loaders", tests, NULL, NULL);
}
