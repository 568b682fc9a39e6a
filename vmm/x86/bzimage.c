/*
 * Linux x86 boot protocol (Documentation/arch/x86/boot.rst), 64-bit entry:
 * the protected-mode kernel goes to 1 MiB, boot_params to the zero page,
 * and the vCPU starts at load address + 0x200 in long mode with %rsi
 * pointing at boot_params. The real-mode setup code is never run.
 */
#include <asm/bootparam.h>
#include <stddef.h>
#include <string.h>

#include "../util.h"
#include "boot.h"
#include "e820.h"
#include "layout.h"

#define SETUP_HEADER_OFFSET 0x1f1
#define HDRS_MAGIC	    0x53726448 /* "HdrS" */
#define BOOT_FLAG	    0xaa55
#define MIN_PROTOCOL	    0x206
#define ENTRY_64_OFFSET	    0x200
#define LOADER_UNDEFINED    0xff

/* The setup header as the file carries it: its length is given by byte 0x201. */
static int read_setup_header(const uint8_t *image, size_t size, struct setup_header *hdr)
{
	if (size < 0x202 + 1)
		return vmm_err("kernel is truncated (%zu bytes, no boot header)", size);
	size_t hdr_end = 0x202 + image[0x201];
	size_t len = hdr_end - SETUP_HEADER_OFFSET;
	if (len > sizeof(*hdr))
		len = sizeof(*hdr);
	if (size < SETUP_HEADER_OFFSET + len)
		return vmm_err("kernel is truncated (%zu bytes, boot header cut short)", size);
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr, image + SETUP_HEADER_OFFSET, len);
	if (hdr->boot_flag != BOOT_FLAG || hdr->header != HDRS_MAGIC)
		return vmm_err("kernel is not a bzImage (no boot signature)");
	if (hdr->version < MIN_PROTOCOL)
		return vmm_err("bzImage boot protocol %u.%02u is too old (need 2.06+)",
			       hdr->version >> 8, hdr->version & 0xff);
	if (!(hdr->xloadflags & XLF_KERNEL_64) || !(hdr->loadflags & LOADED_HIGH))
		return vmm_err("bzImage has no 64-bit entry point");
	return 0;
}

static void fill_e820(const struct guest_mem *mem, struct boot_params *bp)
{
	struct e820_range map[E820_MAX_ENTRIES];
	int n = e820_build(mem, map);
	for (int i = 0; i < n; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	bp->e820_entries = n;
}

static int place_initrd(const struct guest_mem *mem, const struct boot_config *cfg,
			uint64_t kernel_end, struct boot_params *bp)
{
	if (!cfg->initrd)
		return 0;
	uint64_t high = (uint64_t)bp->hdr.initrd_addr_max + 1;
	uint64_t low_ram_end = mem->region[0].size;
	if (high > low_ram_end)
		high = low_ram_end;
	uint64_t addr = initrd_place(mem, kernel_end, high, cfg->initrd_size);
	if (!addr)
		return vmm_err("initrd (%zu KiB) does not fit in guest RAM below 0x%llx beside the "
			       "kernel; give the guest more --mem",
			       cfg->initrd_size >> 10, (unsigned long long)high);
	memcpy(guest_mem_ptr(mem, addr, cfg->initrd_size), cfg->initrd, cfg->initrd_size);
	bp->hdr.ramdisk_image = (uint32_t)addr;
	bp->hdr.ramdisk_size = (uint32_t)cfg->initrd_size;
	return 0;
}

int bzimage_load(const struct guest_mem *mem, const uint8_t *image, size_t size,
		 const struct boot_config *cfg, struct boot_entry *entry)
{
	struct boot_params bp;
	memset(&bp, 0, sizeof(bp));
	if (read_setup_header(image, size, &bp.hdr) < 0)
		return -1;
	size_t setup_sects = bp.hdr.setup_sects ? bp.hdr.setup_sects : 4;
	size_t setup_size = (setup_sects + 1) * 512;
	if (setup_size >= size)
		return vmm_err("kernel is truncated (setup code runs past the end of the file)");
	size_t kernel_size = size - setup_size;
	/* syssize counts the protected-mode code in 16-byte units: less than that is a cut file. */
	if ((uint64_t)bp.hdr.syssize * 16 > kernel_size)
		return vmm_err("kernel is truncated (%zu of %llu bytes of kernel code)",
			       kernel_size, (unsigned long long)bp.hdr.syssize * 16);
	/* The decompressor needs init_size bytes from the load address, not just the file. */
	uint64_t footprint = bp.hdr.init_size > kernel_size ? bp.hdr.init_size : kernel_size;
	uint8_t *dst = guest_mem_ptr(mem, LAYOUT_KERNEL, footprint);
	if (!dst)
		return vmm_err("kernel needs %llu MiB from 1 MiB up; give the guest more --mem",
			       (unsigned long long)(footprint >> 20) + 1);
	memcpy(dst, image + setup_size, kernel_size);

	if (cmdline_place(mem, cfg->cmdline, bp.hdr.cmdline_size + 1) < 0)
		return vmm_err("kernel command line is longer than this kernel accepts (%u bytes)",
			       bp.hdr.cmdline_size);
	bp.hdr.cmd_line_ptr = LAYOUT_CMDLINE;
	bp.hdr.type_of_loader = LOADER_UNDEFINED;
	bp.hdr.code32_start = LAYOUT_KERNEL;
	if (place_initrd(mem, cfg, LAYOUT_KERNEL + footprint, &bp) < 0)
		return -1;
	fill_e820(mem, &bp);

	struct boot_params *zero_page = guest_mem_ptr(mem, LAYOUT_ZERO_PAGE, sizeof(bp));
	if (!zero_page)
		return vmm_err("guest RAM is too small for boot_params");
	memcpy(zero_page, &bp, sizeof(bp));
	*entry = (struct boot_entry){
	    .mode = BOOT_MODE_64BIT,
	    .rip = LAYOUT_KERNEL + ENTRY_64_OFFSET,
	    .rsi = LAYOUT_ZERO_PAGE,
	};
	return 0;
}
