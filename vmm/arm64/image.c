/* The arm64 Image header: what a loader must check before copying it anywhere. */
#include "image.h"

#include <string.h>

#include "../util.h"

#define FLAG_BIG_ENDIAN (1u << 0)
#define MAX_TEXT_OFFSET (2ULL << 20) /* an offset into the 2 MiB the base is aligned to */
#define GZIP_MAGIC_0	0x1f
#define GZIP_MAGIC_1	0x8b

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int check_magic(const uint8_t *data, size_t size)
{
	if (size >= 2 && data[0] == GZIP_MAGIC_0 && data[1] == GZIP_MAGIC_1)
		return vmm_err("kernel: a gzip-compressed Image (Debian's vmlinuz); gunzip it "
			       "first");
	if (size < ARM64_IMAGE_HEADER_SIZE)
		return vmm_err("kernel: %zu bytes is shorter than the %d-byte arm64 Image header",
			       size, ARM64_IMAGE_HEADER_SIZE);
	if (le32(data + 56) != ARM64_IMAGE_MAGIC)
		return vmm_err("kernel: not an arm64 Image (no ARM\\x64 magic at offset 56)");
	return 0;
}

int arm64_image_parse(const uint8_t *data, size_t file_size, uint64_t ram_size,
		      struct arm64_image *out)
{
	if (check_magic(data, file_size) < 0)
		return -1;
	struct arm64_image img = {
	    .text_offset = le64(data + 8), .image_size = le64(data + 16), .flags = le64(data + 24)};
	if (img.image_size == 0) {
		img.text_offset = ARM64_IMAGE_OLD_TEXT_OFFSET;
		img.image_size = file_size;
	}
	if (img.flags & FLAG_BIG_ENDIAN)
		return vmm_err("kernel: a big-endian arm64 Image; vmm boots little-endian guests");
	if (img.text_offset >= MAX_TEXT_OFFSET || img.text_offset % 4096)
		return vmm_err("kernel: Image text_offset 0x%llx is not a page offset below 2 MiB",
			       (unsigned long long)img.text_offset);
	/* image_size counts the BSS, so it is at least what the file holds. */
	if (img.image_size < file_size)
		return vmm_err("kernel: the Image file (%zu bytes) is longer than its header's "
			       "image_size (%llu): truncated header or not an Image",
			       file_size, (unsigned long long)img.image_size);
	if (img.image_size > ram_size || img.text_offset > ram_size - img.image_size) {
		/* text_offset is below 2 MiB, so this sum cannot wrap. */
		uint64_t need_mib =
		    (img.image_size >> 20) +
		    ((img.text_offset + (img.image_size & 0xfffff) + 0xfffff) >> 20);
		return vmm_err("kernel: the Image needs %llu MiB (text_offset 0x%llx + image_size "
			       "%llu) from the start of RAM; --mem is %llu MiB",
			       (unsigned long long)need_mib, (unsigned long long)img.text_offset,
			       (unsigned long long)img.image_size,
			       (unsigned long long)(ram_size >> 20));
	}
	*out = img;
	return 0;
}
