/*
 * Guest physical memory as the host sees it. Every access a device makes on
 * behalf of the guest goes through guest_mem_ptr(), which refuses any range
 * that is not wholly inside one RAM region: the guest is untrusted and its
 * addresses and lengths are attacker-controlled.
 */
#ifndef VMM_GUEST_MEM_H
#define VMM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Below 4 GiB RAM stops at the MMIO hole; above it RAM resumes. */
#define GUEST_MEM_MAX_REGIONS 2

#define GUEST_PAGE_SIZE 4096ULL
#define BITS_PER_WORD	(8 * sizeof(unsigned long))

struct guest_region {
	uint64_t gpa;  /* guest physical start */
	uint64_t size; /* bytes */
	uint8_t *host; /* host mapping of gpa */
	/*
	 * Pages vmm itself wrote (virtio buffers, used rings) while a migration
	 * tracks dirty pages: KVM's dirty log sees only the guest's writes. One
	 * bit per 4 KiB page; NULL until the first migration (vmm/migration/).
	 */
	unsigned long *vmm_dirty;
};

struct guest_mem {
	struct guest_region region[GUEST_MEM_MAX_REGIONS];
	int nr_regions;
	int track_vmm_writes; /* atomic: guest_mem_mark_written records into vmm_dirty */
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

/*
 * vmm finished writing [host, host + len) of guest RAM (a pointer that
 * guest_mem_ptr gave). Called after the write, so a migration that copies
 * the page before the write completes sees it dirty again in its next round.
 */
static inline void guest_mem_mark_written(const struct guest_mem *mem, const void *host,
					  uint64_t len)
{
	if (!__atomic_load_n(&mem->track_vmm_writes, __ATOMIC_ACQUIRE) || len == 0)
		return;
	const uint8_t *p = host;
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct guest_region *r = &mem->region[i];
		if (p < r->host || p - r->host >= (ptrdiff_t)r->size || !r->vmm_dirty)
			continue;
		uint64_t first = (uint64_t)(p - r->host) / GUEST_PAGE_SIZE;
		uint64_t last = ((uint64_t)(p - r->host) + len - 1) / GUEST_PAGE_SIZE;
		for (uint64_t pg = first; pg <= last && pg < r->size / GUEST_PAGE_SIZE; pg++)
			__atomic_fetch_or(&r->vmm_dirty[pg / BITS_PER_WORD],
					  1UL << (pg % BITS_PER_WORD), __ATOMIC_RELEASE);
		return;
	}
}

/* A 4 KiB page of nothing but zero bytes (snapshots leave them as holes, migration skips them). */
static inline bool guest_page_is_zero(const uint8_t *page)
{
	const uint64_t *w = (const uint64_t *)page;
	for (unsigned i = 0; i < GUEST_PAGE_SIZE / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

static inline uint64_t guest_mem_total(const struct guest_mem *mem)
{
	uint64_t total = 0;
	for (int i = 0; i < mem->nr_regions; i++)
		total += mem->region[i].size;
	return total;
}

#endif
