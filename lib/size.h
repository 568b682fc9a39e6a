/*
 * Sizes as people type them on a command line ("256m", "1G", "2GiB", "64MB",
 * "4096"), shared by vmm --mem and container --memory. Callers print their
 * own message: they know the option and its limits.
 */
#ifndef ISOLAB_LIB_SIZE_H
#define ISOLAB_LIB_SIZE_H

#include <stdint.h>

#define SIZE_BYTE 1ull
#define SIZE_MIB  (1ull << 20)

/*
 * Decimal digits, then an optional unit K, M, G or T (powers of 1024, either
 * case) with an optional "i", then an optional "B" or "b". A number with no
 * unit counts default_unit bytes each (SIZE_BYTE as docker does, SIZE_MIB as
 * QEMU does); a trailing B alone means bytes. Returns 0 and sets *bytes, or
 * -1 with errno EINVAL (not a size) or ERANGE (more than 64 bits).
 */
int size_parse(const char *text, uint64_t default_unit, uint64_t *bytes);

#endif
