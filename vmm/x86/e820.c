#include "e820.h"

#include <asm/bootparam.h>

#include "layout.h"

/*
 * The first MiB keeps the PC's shape: RAM up to the EBDA, then the legacy
 * video/BIOS area reserved (the MP table lives there, so Linux must not
 * reuse it), then RAM again from 1 MiB.
 */
int e820_build(const struct guest_mem *mem, struct e820_range *map)
{
	int n = 0;
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct guest_region *r = &mem->region[i];
		if (r->gpa != 0) {
			map[n++] = (struct e820_range){r->gpa, r->size, E820_TYPE_RAM};
			continue;
		}
		map[n++] = (struct e820_range){0, LAYOUT_EBDA, E820_TYPE_RAM};
		map[n++] = (struct e820_range){LAYOUT_EBDA, LAYOUT_BIOS_END - LAYOUT_EBDA,
					       E820_TYPE_RESERVED};
		if (r->size > LAYOUT_BIOS_END)
			map[n++] = (struct e820_range){LAYOUT_BIOS_END, r->size - LAYOUT_BIOS_END,
						       E820_TYPE_RAM};
	}
	return n;
}
