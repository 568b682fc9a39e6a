/*
 * CRC32C (Castagnoli, the polynomial of iSCSI, ext4 and btrfs), for the
 * checksums of a snapshot's memory file: the SSE4.2 instruction where the
 * CPU has it, three streams at a time (14 GB/s from cache on the dev host,
 * 8 GB/s from RAM; zlib's CRC32 makes 1.4), bit by bit elsewhere. Like
 * zlib's crc32(), a call continues from the value of the one before; start
 * with 0.
 */
#ifndef ISOLAB_LIB_CRC32C_H
#define ISOLAB_LIB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
/* The same, bit by bit whatever the CPU (what other CPUs run; for the tests). */
uint32_t crc32c_portable(uint32_t crc, const void *buf, size_t len);
/*
 * crc32c(crc, len zero bytes) without reading them: a hole of a sparse file
 * costs a few hundred operations whatever its length.
 */
uint32_t crc32c_zeros(uint32_t crc, uint64_t len);

#endif
