/* The arm64 stage-1 walk for the monitor's x command (4 KiB granule, EL1&0 regime). */
#include "pagewalk.h"

#include <stdbool.h>
#include <string.h>

#define SCTLR_M	       (1ULL << 0)
#define TCR_T0SZ(t)    ((unsigned)((t)&0x3f))
#define TCR_EPD0       (1ULL << 7)
#define TCR_TG0(t)     ((unsigned)(((t) >> 14) & 3))
#define TCR_T1SZ(t)    ((unsigned)(((t) >> 16) & 0x3f))
#define TCR_EPD1       (1ULL << 23)
#define TCR_TG1(t)     ((unsigned)(((t) >> 30) & 3))
#define TG0_4K	       0
#define TG1_4K	       2
#define TTBR_BADDR     0x0000fffffffffffeULL
#define DESC_VALID     (1ULL << 0)
#define DESC_TABLE     (1ULL << 1) /* at levels 0-2; at level 3 it marks a page */
#define DESC_ADDR      0x0000fffffffff000ULL
#define GRANULE_SHIFT  12
#define BITS_PER_LEVEL 9

static int read_desc(const struct guest_mem *mem, uint64_t gpa, uint64_t *desc)
{
	const void *p = guest_mem_ptr(mem, gpa, 8);
	if (!p)
		return -1;
	memcpy(desc, p, 8); /* the guest's tables are little-endian, as vmm's host is */
	return 0;
}

/* Picks TTBR0 (upper bits clear) or TTBR1 (upper bits set) and its region size. */
static enum arm64_walk_result select_table(const struct arm64_mmu *mmu, uint64_t va,
					   uint64_t *table, unsigned *va_bits)
{
	bool upper = va >> 63;
	unsigned tsz = upper ? TCR_T1SZ(mmu->tcr) : TCR_T0SZ(mmu->tcr);
	unsigned tg = upper ? TCR_TG1(mmu->tcr) : TCR_TG0(mmu->tcr);
	if (tg != (upper ? TG1_4K : TG0_4K) || tsz < 16 || tsz > 39)
		return ARM64_WALK_GRANULE;
	*va_bits = 64 - tsz;
	uint64_t top = va >> *va_bits; /* must be all zeros (TTBR0) or all ones (TTBR1) */
	if (top != (upper ? (~0ULL >> *va_bits) : 0))
		return ARM64_WALK_NOT_MAPPED;
	if (mmu->tcr & (upper ? TCR_EPD1 : TCR_EPD0))
		return ARM64_WALK_NOT_MAPPED;
	*table = (upper ? mmu->ttbr1 : mmu->ttbr0) & TTBR_BADDR;
	return ARM64_WALK_OK;
}

enum arm64_walk_result arm64_page_walk(const struct guest_mem *mem, const struct arm64_mmu *mmu,
				       uint64_t va, struct arm64_walk *out)
{
	*out = (struct arm64_walk){.gpa = va};
	if (!(mmu->sctlr & SCTLR_M))
		return ARM64_WALK_OK;
	uint64_t table;
	unsigned va_bits;
	enum arm64_walk_result r = select_table(mmu, va, &table, &va_bits);
	if (r != ARM64_WALK_OK)
		return r;
	/* 4 KiB granule: 9 bits a level above the 12-bit offset; level 3 maps pages. */
	int level = 3 - (int)((va_bits - GRANULE_SHIFT - 1) / BITS_PER_LEVEL);
	for (; level <= 3; level++) {
		unsigned shift = GRANULE_SHIFT + BITS_PER_LEVEL * (unsigned)(3 - level);
		uint64_t index = (va >> shift) & ((1ULL << BITS_PER_LEVEL) - 1);
		uint64_t desc;
		out->levels++;
		if (read_desc(mem, table + index * 8, &desc) < 0)
			return ARM64_WALK_TABLE_OUTSIDE;
		if (!(desc & DESC_VALID))
			return ARM64_WALK_NOT_PRESENT;
		bool table_desc = desc & DESC_TABLE;
		if (level < 3 && table_desc) {
			table = desc & DESC_ADDR;
			continue;
		}
		/* A block (levels 1, 2) or a page (level 3, which must have bit 1 set). */
		if ((level == 3) != table_desc || level == 0)
			return ARM64_WALK_NOT_PRESENT;
		uint64_t size = 1ULL << shift;
		out->page_size = size;
		out->gpa = (desc & DESC_ADDR & ~(size - 1)) | (va & (size - 1));
		return ARM64_WALK_OK;
	}
	return ARM64_WALK_NOT_PRESENT;
}

const char *arm64_walk_result_text(enum arm64_walk_result r)
{
	switch (r) {
	case ARM64_WALK_OK:
		return "mapped";
	case ARM64_WALK_NOT_PRESENT:
		return "not mapped (invalid descriptor)";
	case ARM64_WALK_TABLE_OUTSIDE:
		return "a translation table lies outside guest RAM";
	case ARM64_WALK_NOT_MAPPED:
		return "outside the ranges TTBR0_EL1 and TTBR1_EL1 translate";
	case ARM64_WALK_GRANULE:
		return "the vCPU uses a 16 or 64 KiB granule, which the monitor does not walk";
	}
	return "?";
}
