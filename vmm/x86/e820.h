/* The guest's physical memory map, as both boot protocols report it. */
#ifndef VMM_X86_E820_H
#define VMM_X86_E820_H

#include <stdint.h>

#include "../guest_mem.h"

#define E820_MAX_ENTRIES 5
/* ACPI address range types (the kernel keeps these out of uapi). */
#define E820_TYPE_RAM	   1
#define E820_TYPE_RESERVED 2

struct e820_range {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* E820_TYPE_RAM or E820_TYPE_RESERVED */
};

/* Fills map (E820_MAX_ENTRIES) from the RAM regions; returns the number of entries. */
int e820_build(const struct guest_mem *mem, struct e820_range *map);

#endif
