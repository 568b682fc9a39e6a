#include "pagewalk.h"

#include <stdbool.h>
#include <string.h>

#include "../x86/processor.h"

#define PTE_P	   (1ULL << 0)
#define PTE_PS	   (1ULL << 7)
#define ADDR_MASK  0x000ffffffffff000ULL /* bits 51:12 of a 64-bit entry */
#define PDPTE_MASK 0x000fffffffffffe0ULL /* PAE CR3: 32-byte aligned PDPT */

static bool read_entry(const struct guest_mem *mem, uint64_t gpa, unsigned size, uint64_t *entry)
{
	const void *p = guest_mem_ptr(mem, gpa, size);
	if (!p)
		return false;
	*entry = 0;
	memcpy(entry, p, size); /* little-endian guest and host */
	return true;
}

/* Long mode and PAE: 9 bits per level; large pages allowed at the levels named in large_ok. */
static enum walk_result walk_64(const struct guest_mem *mem, uint64_t table, uint64_t gva,
				int levels, unsigned large_ok, struct walk *out)
{
	for (int level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		/* PAE's top level is 4 entries indexed by bits 31:30. */
		uint64_t index = (gva >> shift) & (level == 3 && levels == 3 ? 3 : 511);
		uint64_t entry;
		if (!read_entry(mem, table + index * 8, 8, &entry))
			return WALK_TABLE_OUTSIDE;
		out->levels++;
		if (!(entry & PTE_P))
			return WALK_NOT_PRESENT;
		uint64_t size = 1ULL << shift;
		if (level == 1 || ((large_ok & (1u << level)) && (entry & PTE_PS))) {
			out->page_size = size;
			out->gpa = (entry & ADDR_MASK & ~(size - 1)) | (gva & (size - 1));
			return WALK_OK;
		}
		table = entry & ADDR_MASK;
	}
	return WALK_NOT_PRESENT; /* not reached: level 1 always maps */
}

/* Legacy 32-bit paging: two levels of 1024 4-byte entries, 4 MiB pages with CR4.PSE. */
static enum walk_result walk_32(const struct guest_mem *mem, const struct kvm_sregs *s,
				uint64_t gva, struct walk *out)
{
	uint64_t pde, pte;
	if (!read_entry(mem, (s->cr3 & 0xfffff000) + ((gva >> 22) & 0x3ff) * 4, 4, &pde))
		return WALK_TABLE_OUTSIDE;
	out->levels = 1;
	if (!(pde & PTE_P))
		return WALK_NOT_PRESENT;
	if ((s->cr4 & X86_CR4_PSE) && (pde & PTE_PS)) {
		/* PSE-36: bits 20:13 of the entry are physical bits 39:32. */
		uint64_t high = ((pde >> 13) & 0xff) << 32;
		out->page_size = 4ULL << 20;
		out->gpa = high | (pde & 0xffc00000) | (gva & 0x3fffff);
		return WALK_OK;
	}
	if (!read_entry(mem, (pde & 0xfffff000) + ((gva >> 12) & 0x3ff) * 4, 4, &pte))
		return WALK_TABLE_OUTSIDE;
	out->levels = 2;
	if (!(pte & PTE_P))
		return WALK_NOT_PRESENT;
	out->page_size = 4096;
	out->gpa = (pte & 0xfffff000) | (gva & 0xfff);
	return WALK_OK;
}

static bool canonical(uint64_t gva, int bits)
{
	int64_t sext = (int64_t)(gva << (64 - bits)) >> (64 - bits);
	return (uint64_t)sext == gva;
}

enum walk_result page_walk(const struct guest_mem *mem, const struct kvm_sregs *s, uint64_t gva,
			   struct walk *out)
{
	*out = (struct walk){0};
	bool long_mode = s->efer & EFER_LMA;
	if (!long_mode && gva > 0xffffffffULL)
		return WALK_TOO_WIDE;
	if (!(s->cr0 & X86_CR0_PG)) {
		out->gpa = gva; /* linear is physical (segment bases are not applied) */
		return WALK_OK;
	}
	if (long_mode) {
		int levels = (s->cr4 & X86_CR4_LA57) ? 5 : 4;
		if (!canonical(gva, levels == 5 ? 57 : 48))
			return WALK_NONCANONICAL;
		return walk_64(mem, s->cr3 & ADDR_MASK, gva, levels, (1u << 2) | (1u << 3), out);
	}
	if (s->cr4 & X86_CR4_PAE)
		return walk_64(mem, s->cr3 & PDPTE_MASK & 0xffffffffULL, gva, 3, 1u << 2, out);
	return walk_32(mem, s, gva, out);
}

const char *walk_result_text(enum walk_result r)
{
	switch (r) {
	case WALK_OK:
		return "mapped";
	case WALK_NOT_PRESENT:
		return "not mapped (page not present)";
	case WALK_TABLE_OUTSIDE:
		return "page table outside guest RAM";
	case WALK_NONCANONICAL:
		return "non-canonical address";
	case WALK_TOO_WIDE:
		return "above 4 GiB while the vCPU is not in long mode";
	}
	return "unknown";
}
