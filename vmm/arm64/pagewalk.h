/*
 * Guest virtual to guest physical as an arm64 vCPU's stage-1 MMU does it
 * at EL1 (SCTLR_EL1.M, TCR_EL1, TTBR0/1_EL1), 4 KiB granule: 3 or 4
 * levels, 1 GiB and 2 MiB blocks. Every descriptor is read through
 * guest_mem_ptr, so bogus tables only make the walk fail. No KVM headers:
 * the unit tests run it on any host.
 */
#ifndef VMM_ARM64_PAGEWALK_H
#define VMM_ARM64_PAGEWALK_H

#include <stdint.h>

#include "../guest_mem.h"

struct arm64_mmu {
	uint64_t sctlr, tcr, ttbr0, ttbr1; /* the _EL1 registers */
};

enum arm64_walk_result {
	ARM64_WALK_OK,
	ARM64_WALK_NOT_PRESENT,	  /* an invalid descriptor on the way */
	ARM64_WALK_TABLE_OUTSIDE, /* a table (or TTBR) points outside guest RAM */
	ARM64_WALK_NOT_MAPPED,	  /* in neither TTBR0's nor TTBR1's range, or its walks disabled */
	ARM64_WALK_GRANULE,	  /* a 16 or 64 KiB granule, or a TnSZ out of range */
};

struct arm64_walk {
	uint64_t gpa;
	uint64_t page_size; /* 4 KiB, 2 MiB, 1 GiB, or 0 with the MMU off */
	int levels;	    /* descriptors read */
};

enum arm64_walk_result arm64_page_walk(const struct guest_mem *mem, const struct arm64_mmu *mmu,
				       uint64_t va, struct arm64_walk *out);
const char *arm64_walk_result_text(enum arm64_walk_result r);

#endif
