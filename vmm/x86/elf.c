/*
 * ELF vmlinux through PVH: the PT_LOAD segments go to their physical
 * addresses, and the vCPU starts at the XEN_ELFNOTE_PHYS32_ENTRY address in
 * flat 32-bit protected mode with %ebx pointing at hvm_start_info. Every
 * offset and size in the file is checked before use: the file is input.
 */
#include <elf.h>
#include <string.h>

#include "../util.h"
#include "boot.h"
#include "e820.h"
#include "layout.h"
#include "pvh.h"

#define PVH_START_INFO LAYOUT_ZERO_PAGE
#define PVH_MODLIST    (LAYOUT_ZERO_PAGE + 0x100)

static int in_file(size_t size, uint64_t offset, uint64_t len)
{
	return offset <= size && len <= size - offset;
}

static const Elf64_Phdr *program_headers(const uint8_t *image, size_t size)
{
	if (size < sizeof(Elf64_Ehdr)) {
		vmm_err("kernel is truncated (ELF header cut short)");
		return NULL;
	}
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_type != ET_EXEC) {
		vmm_err("kernel is an ELF file but not an x86-64 executable");
		return NULL;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    !in_file(size, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)) ||
	    eh->e_phoff % 8) {
		vmm_err("kernel ELF program headers are missing or out of the file");
		return NULL;
	}
	return (const Elf64_Phdr *)(image + eh->e_phoff);
}

/* Finds the PVH entry in one PT_NOTE segment; 0 when that segment has none. */
static uint64_t note_entry(const uint8_t *notes, uint64_t len)
{
	uint64_t off = 0;
	while (len - off >= sizeof(Elf64_Nhdr)) {
		const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(notes + off);
		uint64_t name_len = ((uint64_t)nh->n_namesz + 3) & ~3ULL;
		uint64_t desc_len = ((uint64_t)nh->n_descsz + 3) & ~3ULL;
		off += sizeof(*nh);
		if (name_len > len - off || desc_len > len - off - name_len)
			return 0;
		const uint8_t *name = notes + off;
		const uint8_t *desc = notes + off + name_len;
		if (nh->n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh->n_namesz == 4 &&
		    memcmp(name, "Xen", 4) == 0 && nh->n_descsz >= 4) {
			uint32_t entry;
			memcpy(&entry, desc, sizeof(entry));
			return entry;
		}
		off += name_len + desc_len;
	}
	return 0;
}

static int load_segment(const struct guest_mem *mem, const uint8_t *image, size_t size,
			const Elf64_Phdr *ph)
{
	if (!in_file(size, ph->p_offset, ph->p_filesz) || ph->p_filesz > ph->p_memsz)
		return vmm_err("kernel ELF segment lies outside the file");
	uint8_t *dst = guest_mem_ptr(mem, ph->p_paddr, ph->p_memsz);
	if (!dst || ph->p_paddr < LAYOUT_BIOS_END)
		return vmm_err("kernel ELF segment at 0x%llx (%llu KiB) does not fit in guest RAM; "
			       "give the guest more --mem",
			       (unsigned long long)ph->p_paddr,
			       (unsigned long long)(ph->p_memsz >> 10));
	memcpy(dst, image + ph->p_offset, ph->p_filesz);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	return 0;
}

/* Loads the segments; returns the PVH entry and the end of the kernel image. */
static int load_segments(const struct guest_mem *mem, const uint8_t *image, size_t size,
			 uint64_t *entry, uint64_t *kernel_end)
{
	const Elf64_Phdr *ph = program_headers(image, size);
	if (!ph)
		return -1;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;
	*entry = 0;
	*kernel_end = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_NOTE && !*entry &&
		    in_file(size, ph[i].p_offset, ph[i].p_filesz))
			*entry = note_entry(image + ph[i].p_offset, ph[i].p_filesz);
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (load_segment(mem, image, size, &ph[i]) < 0)
			return -1;
		if (ph[i].p_paddr + ph[i].p_memsz > *kernel_end)
			*kernel_end = ph[i].p_paddr + ph[i].p_memsz;
	}
	if (!*entry)
		return vmm_err("kernel ELF has no PVH entry note (build it with CONFIG_PVH=y)");
	if (!*kernel_end)
		return vmm_err("kernel ELF has no loadable segment");
	return 0;
}

static int write_start_info(const struct guest_mem *mem, const struct boot_config *cfg,
			    uint64_t kernel_end)
{
	struct hvm_start_info info = {
	    .magic = XEN_HVM_START_MAGIC_VALUE,
	    .version = 1,
	    .cmdline_paddr = LAYOUT_CMDLINE,
	    .memmap_paddr = LAYOUT_PVH_MEMMAP,
	};
	struct e820_range map[E820_MAX_ENTRIES];
	int n = e820_build(mem, map);
	struct hvm_memmap_table_entry *table =
	    guest_mem_ptr(mem, LAYOUT_PVH_MEMMAP, n * sizeof(*table));
	struct hvm_start_info *dst = guest_mem_ptr(mem, PVH_START_INFO, sizeof(info));
	struct hvm_modlist_entry *mod = guest_mem_ptr(mem, PVH_MODLIST, sizeof(*mod));
	if (!table || !dst || !mod)
		return vmm_err("guest RAM is too small for the PVH start info");
	for (int i = 0; i < n; i++)
		table[i] =
		    (struct hvm_memmap_table_entry){map[i].addr, map[i].size, map[i].type, 0};
	info.memmap_entries = n;
	if (cfg->initrd) {
		uint64_t low_ram_end = mem->region[0].size;
		uint64_t addr = initrd_place(mem, kernel_end, low_ram_end, cfg->initrd_size);
		if (!addr)
			return vmm_err(
			    "initrd (%zu KiB) does not fit in guest RAM beside the kernel; "
			    "give the guest more --mem",
			    cfg->initrd_size >> 10);
		memcpy(guest_mem_ptr(mem, addr, cfg->initrd_size), cfg->initrd, cfg->initrd_size);
		*mod = (struct hvm_modlist_entry){.paddr = addr, .size = cfg->initrd_size};
		info.nr_modules = 1;
		info.modlist_paddr = PVH_MODLIST;
	}
	memcpy(dst, &info, sizeof(info));
	return 0;
}

int pvh_load(const struct guest_mem *mem, const uint8_t *image, size_t size,
	     const struct boot_config *cfg, struct boot_entry *entry)
{
	uint64_t rip, kernel_end;
	if (load_segments(mem, image, size, &rip, &kernel_end) < 0)
		return -1;
	/* Linux's own COMMAND_LINE_SIZE on x86 is 2048; PVH has no header to ask. */
	if (cmdline_place(mem, cfg->cmdline, 2048) < 0)
		return vmm_err("kernel command line is longer than 2047 bytes");
	if (write_start_info(mem, cfg, kernel_end) < 0)
		return -1;
	*entry = (struct boot_entry){.mode = BOOT_MODE_32BIT, .rip = rip, .rbx = PVH_START_INFO};
	return 0;
}
