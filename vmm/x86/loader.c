/* What the bzImage and PVH loaders share: placing the command line and the initrd. */
#include <string.h>

#include "boot.h"
#include "layout.h"

uint64_t initrd_place(const struct guest_mem *mem, uint64_t low, uint64_t high, size_t size)
{
	if (size == 0 || high <= low || size > high - low)
		return 0;
	uint64_t addr = (high - size) & ~0xfffULL;
	if (addr < low || !guest_mem_ptr(mem, addr, size))
		return 0;
	return addr;
}

int cmdline_place(const struct guest_mem *mem, const char *cmdline, size_t max)
{
	size_t len = strlen(cmdline) + 1;
	if (max > LAYOUT_CMDLINE_MAX)
		max = LAYOUT_CMDLINE_MAX;
	char *dst = guest_mem_ptr(mem, LAYOUT_CMDLINE, len);
	if (len > max || !dst)
		return -1;
	memcpy(dst, cmdline, len);
	return 0;
}

int image_is_elf(const uint8_t *image, size_t size)
{
	return size >= 4 && memcmp(image,
				   "\x7f"
				   "ELF",
				   4) == 0;
}
