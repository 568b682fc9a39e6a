/* lib/size.c: the size grammar that vmm --mem and container --memory share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "../../lib/size.h"

static uint64_t parsed(const char *text, uint64_t default_unit)
{
	uint64_t v = 0;
	assert_int_equal(size_parse(text, default_unit, &v), 0);
	return v;
}

static void units(void **state)
{
	(void)state;
	assert_int_equal(parsed("512k", SIZE_BYTE), 512ull << 10);
	assert_int_equal(parsed("256m", SIZE_BYTE), 256ull << 20);
	assert_int_equal(parsed("128M", SIZE_BYTE), 128ull << 20);
	assert_int_equal(parsed("1G", SIZE_BYTE), 1ull << 30);
	assert_int_equal(parsed("1g", SIZE_BYTE), 1ull << 30);
	assert_int_equal(parsed("2T", SIZE_BYTE), 2ull << 40);
	assert_int_equal(parsed("2GiB", SIZE_BYTE), 2ull << 30);
	assert_int_equal(parsed("64MB", SIZE_BYTE), 64ull << 20);
	assert_int_equal(parsed("1mb", SIZE_BYTE), 1ull << 20);
	assert_int_equal(parsed("3Ki", SIZE_BYTE), 3ull << 10);
	assert_int_equal(parsed("0", SIZE_BYTE), 0);
}

static void default_unit(void **state)
{
	(void)state;
	assert_int_equal(parsed("4096", SIZE_BYTE), 4096);
	assert_int_equal(parsed("256", SIZE_MIB), 256ull << 20); /* QEMU's -m 256 */
	/* An explicit B means bytes, whatever the default. */
	assert_int_equal(parsed("4096B", SIZE_MIB), 4096);
	assert_int_equal(parsed("1b", SIZE_MIB), 1);
}

static void bad_text(void **state)
{
	(void)state;
	const char *bad[] = {"",    "M",   "-1",  "+1",	 "1.5G", "12Q",	 "12x", "m",
			     "1MM", "1iB", "1Bi", " 1M", "1M ",	 "0x10", "1 M"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 7;
		errno = 0;
		assert_int_equal(size_parse(bad[i], SIZE_BYTE, &v), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(v, 7); /* untouched */
	}
	uint64_t v;
	assert_int_equal(size_parse(NULL, SIZE_BYTE, &v), -1);
	assert_int_equal(errno, EINVAL);
}

static void overflow(void **state)
{
	(void)state;
	const char *big[] = {"99999999999999999999", "17179869184T", "18446744073709551616"};
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		uint64_t v;
		errno = 0;
		assert_int_equal(size_parse(big[i], SIZE_BYTE, &v), -1);
		assert_int_equal(errno, ERANGE);
	}
	uint64_t v;
	assert_int_equal(size_parse("17592186044416", SIZE_MIB, &v), -1); /* 2^44 MiB */
	assert_int_equal(errno, ERANGE);
	assert_int_equal(parsed("18446744073709551615", SIZE_BYTE), UINT64_MAX);
	assert_int_equal(parsed("16777215T", SIZE_BYTE), 16777215ull << 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(units),
	    cmocka_unit_test(default_unit),
	    cmocka_unit_test(bad_text),
	    cmocka_unit_test(overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
