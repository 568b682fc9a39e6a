/*
 * What a loader hands to the vCPU setup: the CPU mode and registers the
 * boot protocol starts the kernel with, plus what every loader needs.
 */
#ifndef VMM_X86_BOOT_H
#define VMM_X86_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "../guest_mem.h"

enum boot_mode {
	BOOT_MODE_64BIT, /* long mode, identity-mapped low 4 GiB (bzImage, firmware payloads) */
	BOOT_MODE_32BIT, /* flat protected mode, paging off (PVH) */
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t rip;
	uint64_t rsi;		/* bzImage: struct boot_params */
	uint64_t rbx;		/* PVH: struct hvm_start_info */
	uint64_t rdi, rdx, rsp; /* firmware payloads: vCPU index, cmdline, stack */
};

/* What the loaders place beside the kernel. */
struct boot_config {
	const char *cmdline;   /* final kernel command line */
	const uint8_t *initrd; /* NULL when there is none */
	size_t initrd_size;
};

/* Loads a bzImage (boot protocol 2.06+, 64-bit entry) and its boot_params. */
int bzimage_load(const struct guest_mem *mem, const uint8_t *image, size_t size,
		 const struct boot_config *cfg, struct boot_entry *entry);
/* Loads an ELF vmlinux through its PVH entry note, with hvm_start_info. */
int pvh_load(const struct guest_mem *mem, const uint8_t *image, size_t size,
	     const struct boot_config *cfg, struct boot_entry *entry);
/* True when the file starts like an ELF image (so pvh_load is the loader to try). */
int image_is_elf(const uint8_t *image, size_t size);

/* Picks the highest page-aligned spot for the initrd in [low, high); 0 when it does not fit. */
uint64_t initrd_place(const struct guest_mem *mem, uint64_t low, uint64_t high, size_t size);
/* Copies the command line to its fixed address; -1 when longer than max (NUL included). */
int cmdline_place(const struct guest_mem *mem, const char *cmdline, size_t max);

#endif
