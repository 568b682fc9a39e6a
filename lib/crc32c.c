/* CRC32C (crc32c.h): the register is kept inverted between calls, as zlib does. */
#include "crc32c.h"

#include <stdbool.h>
#include <string.h>

#define POLY 0x82f63b78u /* Castagnoli's, bit-reflected */

static uint32_t update_bitwise(uint32_t reg, const uint8_t *p, size_t len)
{
	while (len--) {
		reg ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			reg = reg & 1 ? (reg >> 1) ^ POLY : reg >> 1;
	}
	return reg;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t update_sse42(uint32_t reg, const uint8_t *p,
							       size_t len)
{
	uint64_t r = reg;
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t word;
		memcpy(&word, p, sizeof(word));
		r = __builtin_ia32_crc32di(r, word);
	}
	uint32_t r32 = (uint32_t)r;
	while (len--)
		r32 = __builtin_ia32_crc32qi(r32, *p++);
	return r32;
}

static bool have_sse42(void)
{
	return __builtin_cpu_supports("sse4.2");
}
#else
static uint32_t update_sse42(uint32_t reg, const uint8_t *p, size_t len)
{
	return update_bitwise(reg, p, len);
}

static bool have_sse42(void)
{
	return false;
}
#endif

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	uint32_t reg = ~crc;
	reg = have_sse42() ? update_sse42(reg, buf, len) : update_bitwise(reg, buf, len);
	return ~reg;
}

uint32_t crc32c_portable(uint32_t crc, const void *buf, size_t len)
{
	return ~update_bitwise(~crc, buf, len);
}

/* a(x) * b(x) modulo the polynomial, both bit-reflected (bit 31 is x^0). */
static uint32_t multiply_mod(uint32_t a, uint32_t b)
{
	uint32_t product = 0;
	for (uint32_t m = 1u << 31; m; m >>= 1) {
		if (a & m)
			product ^= b;
		b = b & 1 ? (b >> 1) ^ POLY : b >> 1;
	}
	return product;
}

/*
 * A zero byte through the register multiplies it by x^8: len of them by
 * x^(8 len), by squaring (x^8, x^16, x^32, ... for the bits of len).
 */
uint32_t crc32c_zeros(uint32_t crc, uint64_t len)
{
	uint32_t reg = ~crc;
	for (uint32_t power = 1u << 23 /* x^8 */; len; len >>= 1) {
		if (len & 1)
			reg = multiply_mod(power, reg);
		power = multiply_mod(power, power);
	}
	return ~reg;
}
