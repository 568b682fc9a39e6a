/* vmm's own memory, apart from guest RAM: the figure a VMM's overhead is judged by. */
#ifndef VMM_MEMSTAT_H
#define VMM_MEMSTAT_H

#include <stdint.h>

#include "guest_mem.h"

struct memstat {
	uint64_t private_kib; /* private pages of vmm itself (heap, stacks, libraries' data) */
	/*
	 * The anonymous part of those: what vmm allocated. The rest is clean
	 * file pages (its own and its libraries' code) that no other process
	 * happens to map, shared page cache rather than vmm's own memory.
	 */
	uint64_t private_anon_kib;
	uint64_t guest_touched_kib; /* guest RAM pages the host had to back */
};

/* Reads /proc/self/smaps; -1 when it cannot be read. */
int memstat_read(const struct guest_mem *mem, struct memstat *out);

#endif
