/*
 * The arm64 Linux `Image` header (Documentation/arch/arm64/booting.rst),
 * parsed without KVM or arm64 headers so the unit tests run on any host.
 */
#ifndef VMM_ARM64_IMAGE_H
#define VMM_ARM64_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define ARM64_IMAGE_HEADER_SIZE 64
#define ARM64_IMAGE_MAGIC	0x644d5241u /* "ARM\x64", little-endian at offset 56 */
/* Kernels before 3.17 leave image_size 0; booting.rst says text_offset is then 0x80000. */
#define ARM64_IMAGE_OLD_TEXT_OFFSET 0x80000u

struct arm64_image {
	uint64_t text_offset; /* the Image goes at a 2 MiB-aligned base + this */
	uint64_t image_size;  /* bytes from there the kernel uses (BSS included) */
	uint64_t flags;
};

/*
 * Checks the header of an Image of file_size bytes and that it fits in
 * ram_size bytes of RAM from a 2 MiB-aligned base; 0, or -1 after one
 * line on stderr saying what is wrong.
 */
int arm64_image_parse(const uint8_t *data, size_t file_size, uint64_t ram_size,
		      struct arm64_image *out);

#endif
