/* lib/crc32c.c: the checksums of a snapshot's memory file (vmm/snapshot/memory.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../lib/crc32c.h"

/* RFC 3720, B.4, and the usual check value. */
static void known_values(void **state)
{
	(void)state;
	uint8_t buf[32];
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(crc32c_portable(0, "123456789", 9), 0xe3069283);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(crc32c(0, buf, sizeof(buf)), 0x8a9136aa);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(crc32c(0, buf, sizeof(buf)), 0x62a8ab43);
	assert_int_equal(crc32c(0, buf, 0), 0);
}

/* Piece by piece, at odd lengths and offsets, gives the value of the whole. */
static void continues(void **state)
{
	(void)state;
	uint8_t buf[4099];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 7));
	uint32_t whole = crc32c(0, buf, sizeof(buf));
	assert_int_equal(crc32c_portable(0, buf, sizeof(buf)), whole);
	uint32_t part = crc32c(0, buf, 3);
	part = crc32c(part, buf + 3, 1000);
	part = crc32c(part, buf + 1003, sizeof(buf) - 1003);
	assert_int_equal(part, whole);
}

/* Past three stripes the instruction runs three streams side by side: the same value. */
static void interleaved(void **state)
{
	(void)state;
	static uint8_t buf[(3 << 20) + 13];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	size_t lengths[] = {(96 << 10) - 1, 96 << 10, (96 << 10) + 9, 1 << 20, sizeof(buf)};
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
		assert_int_equal(crc32c(7, buf + 3, lengths[i] - 3),
				 crc32c_portable(7, buf + 3, lengths[i] - 3));
}

/* A run of zeros without reading them, as a hole of the memory file is checked. */
static void zeros(void **state)
{
	(void)state;
	static uint8_t buf[3 << 20];
	for (size_t i = 0; i < 100; i++)
		buf[i] = (uint8_t)(i + 1);
	uint64_t lengths[] = {0, 1, 7, 8, 4096, 65536 + 3, (3 << 20) - 100};
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		uint32_t head = crc32c(0, buf, 100);
		assert_int_equal(crc32c_zeros(head, lengths[i]),
				 crc32c(head, buf + 100, (size_t)lengths[i]));
		assert_int_equal(crc32c_zeros(0, lengths[i]),
				 crc32c(0, buf + 100, (size_t)lengths[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(known_values),
	    cmocka_unit_test(continues),
	    cmocka_unit_test(interleaved),
	    cmocka_unit_test(zeros),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
