/*
 * The PVH start-of-day ABI. There is no uapi header for it, so the layout is
 * declared here as documented in Xen's public headers
 * (xen/include/public/arch-x86/hvm/start_info.h, version 1) and in Linux's
 * arch/x86/include/asm/xen/ ... start_info.h copy.
 */
#ifndef VMM_X86_PVH_H
#define VMM_X86_PVH_H

#include <stdint.h>

#define XEN_HVM_START_MAGIC_VALUE 0x336ec578
#define XEN_ELFNOTE_PHYS32_ENTRY  18 /* ELF note (owner "Xen") with the 32-bit PVH entry */

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* version 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* E820 types */
	uint32_t reserved;
};

#endif
