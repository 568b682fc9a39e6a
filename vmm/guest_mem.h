/*
 * Guest physical memory as the host sees it. Every access a device makes on
 * behalf of the guest goes through guest_mem_ptr(), which refuses any range
 * that is not wholly inside one RAM region: the guest is untrusted and its
 * addresses and lengths are attacker-controlled.
 */
#ifndef VMM_GUEST_MEM_H
#define VMM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Below 4 GiB RAM stops at the MMIO hole; above it RAM resumes. */
#define GUEST_MEM_MAX_REGIONS 2

struct guest_region {
	uint64_t gpa;  /* guest physical start */
	uint64_t size; /* bytes */
	uint8_t *host; /* host mapping of gpa */
};

struct guest_mem {
	struct guest_region region[GUEST_MEM_MAX_REGIONS];
	int nr_regions;
};

/* Host pointer to [gpa, gpa + len), or NULL unless the range lies inside one region. */
static inline void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct guest_region *r = &mem->region[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off > r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return NULL;
}

static inline uint64_t guest_mem_total(const struct guest_mem *mem)
{
	uint64_t total = 0;
	for (int i = 0; i < mem->nr_regions; i++)
		total += mem->region[i].size;
	return total;
}

#endif
