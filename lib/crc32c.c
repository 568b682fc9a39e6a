/* CRC32C (crc32c.h): the register is kept inverted between calls, as zlib does. */
#include "crc32c.h"

#include <stdbool.h>
#include <string.h>

#define POLY   0x82f63b78u /* Castagnoli's, bit-reflected */
#define STRIPE (32u << 10) /* bytes each of three interleaved streams takes per round */

static uint32_t update_bitwise(uint32_t reg, const uint8_t *p, size_t len)
{
	while (len--) {
		reg ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			reg = reg & 1 ? (reg >> 1) ^ POLY : reg >> 1;
	}
	return reg;
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
 * x^(8 len) modulo the polynomial, by squaring (x^8, x^16, x^32, ... for the
 * bits of len): what len zero bytes through the register multiply it by.
 */
static uint32_t zero_bytes_factor(uint64_t len)
{
	uint32_t factor = 1u << 31; /* x^0 */
	for (uint32_t power = 1u << 23 /* x^8 */; len; len >>= 1) {
		if (len & 1)
			factor = multiply_mod(power, factor);
		power = multiply_mod(power, power);
	}
	return factor;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint64_t update_words(uint64_t r, const uint8_t *p,
							       size_t words)
{
	for (; words; p += 8, words--) {
		uint64_t word;
		memcpy(&word, p, sizeof(word));
		r = __builtin_ia32_crc32di(r, word);
	}
	return r;
}

/*
 * The instruction takes three cycles and starts one a cycle: three streams
 * of STRIPE bytes run side by side, their registers joined after (the
 * register of A then B is A's times x^(8 |B|), plus B's from zero).
 */
__attribute__((target("sse4.2"))) static uint32_t update_sse42(uint32_t reg, const uint8_t *p,
							       size_t len)
{
	uint64_t r = reg;
	if (len >= 3 * STRIPE) {
		uint32_t shift = zero_bytes_factor(STRIPE);
		for (; len >= 3 * STRIPE; p += 3 * STRIPE, len -= 3 * STRIPE) {
			uint64_t a = r, b = 0, c = 0;
			for (size_t i = 0; i < STRIPE; i += 8) {
				uint64_t wa, wb, wc;
				memcpy(&wa, p + i, 8);
				memcpy(&wb, p + STRIPE + i, 8);
				memcpy(&wc, p + 2 * STRIPE + i, 8);
				a = __builtin_ia32_crc32di(a, wa);
				b = __builtin_ia32_crc32di(b, wb);
				c = __builtin_ia32_crc32di(c, wc);
			}
			uint32_t ab = multiply_mod(shift, (uint32_t)a) ^ (uint32_t)b;
			r = multiply_mod(shift, ab) ^ (uint32_t)c;
		}
	}
	r = update_words(r, p, len / 8);
	uint32_t r32 = (uint32_t)r;
	for (p += len & ~(size_t)7, len &= 7; len--;)
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

uint32_t crc32c_zeros(uint32_t crc, uint64_t len)
{
	return ~multiply_mod(zero_bytes_factor(len), ~crc);
}
