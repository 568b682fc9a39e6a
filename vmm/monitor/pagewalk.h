/*
 * Guest virtual to guest physical, the way the vCPU's MMU would do it from
 * its CR0/CR3/CR4/EFER: no paging, 32-bit (4 KiB/4 MiB pages), PAE, and
 * 4- or 5-level long mode with 2 MiB and 1 GiB pages. Every table entry is
 * read through guest_mem_ptr, so a guest's bogus tables only make the walk
 * fail.
 */
#ifndef VMM_MONITOR_PAGEWALK_H
#define VMM_MONITOR_PAGEWALK_H

#include <linux/kvm.h>
#include <stdint.h>

#include "../guest_mem.h"

enum walk_result {
	WALK_OK,
	WALK_NOT_PRESENT,   /* an entry on the way has P clear */
	WALK_TABLE_OUTSIDE, /* a table (or CR3) points outside guest RAM */
	WALK_NONCANONICAL,  /* long mode address with bad upper bits */
	WALK_TOO_WIDE,	    /* above 4 GiB while the vCPU uses 32-bit addresses */
};

struct walk {
	uint64_t gpa;
	uint64_t page_size; /* 4 KiB, 2 MiB, 4 MiB, 1 GiB, or 0 without paging */
	int levels;	    /* tables read: 0 without paging, 2, 3, 4 or 5 */
};

enum walk_result page_walk(const struct guest_mem *mem, const struct kvm_sregs *sregs, uint64_t gva,
			   struct walk *out);
const char *walk_result_text(enum walk_result r);

#endif
