/*
 * The section stream under every snapshot: values come back as written,
 * and a read past a section's end, or a section with bytes left over, is a
 * message, never bytes from elsewhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../vmm/snapshot/stream.h"
#include "../stderr_capture.h"

static void round_trip(void **state)
{
	(void)state;
	struct snap_writer w;
	snap_writer_init(&w);
	assert_int_equal(snap_put_u8(&w, 0xab), 0);
	assert_int_equal(snap_put_u16(&w, 0x1234), 0);
	assert_int_equal(snap_put_u32(&w, 0xdeadbeef), 0);
	assert_int_equal(snap_put_u64(&w, 0x0102030405060708ull), 0);
	char big[1000];
	memset(big, 'x', sizeof(big));
	assert_int_equal(snap_put(&w, big, sizeof(big)), 0);
	assert_int_equal(w.len, 1 + 2 + 4 + 8 + sizeof(big));
	/* Little-endian on the wire whatever the host is. */
	assert_int_equal(w.data[1], 0x34);

	struct snap_reader r;
	snap_reader_init(&r, w.data, w.len, "test");
	uint8_t a;
	uint16_t b;
	uint32_t c;
	uint64_t d;
	char back[1000];
	assert_int_equal(snap_get_u8(&r, &a), 0);
	assert_int_equal(snap_get_u16(&r, &b), 0);
	assert_int_equal(snap_get_u32(&r, &c), 0);
	assert_int_equal(snap_get_u64(&r, &d), 0);
	assert_int_equal(snap_get(&r, back, sizeof(back)), 0);
	assert_int_equal(a, 0xab);
	assert_int_equal(b, 0x1234);
	assert_int_equal(c, 0xdeadbeef);
	assert_int_equal(d, 0x0102030405060708ull);
	assert_memory_equal(back, big, sizeof(big));
	assert_int_equal(snap_reader_done(&r), 0);
	snap_writer_free(&w);
}

static void short_and_long_sections(void **state)
{
	(void)state;
	uint8_t bytes[6] = {1, 2, 3, 4, 5, 6};
	struct snap_reader r;
	uint64_t v = 7;

	char *err;
	int rc;

	snap_reader_init(&r, bytes, sizeof(bytes), "uart0");
	STDERR_OF(err, rc = snap_get_u64(&r, &v));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "vmm: snapshot: uart0: section ends after 6 bytes, 8 more "
				  "expected at offset 0");
	assert_int_equal(v, 7); /* untouched */
	assert_int_equal(r.pos, 0);

	uint32_t u;
	assert_int_equal(snap_get_u32(&r, &u), 0);
	STDERR_OF(err, rc = snap_reader_done(&r));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "vmm: snapshot: uart0: 2 bytes left over of 6: saved by another "
				  "layout");
}

/* A struct saved whole comes back whole; one of another length is refused. */
static void blobs(void **state)
{
	(void)state;
	struct snap_writer w;
	snap_writer_init(&w);
	uint8_t regs[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, back[12] = {0}, small[8];
	assert_int_equal(snap_put_blob(&w, regs, sizeof(regs)), 0);
	assert_int_equal(w.len, 4 + sizeof(regs));
	struct snap_reader r;
	snap_reader_init(&r, w.data, w.len, "cpu.0");
	assert_int_equal(snap_get_blob(&r, back, sizeof(back)), 0);
	assert_memory_equal(back, regs, sizeof(regs));
	assert_int_equal(snap_reader_done(&r), 0);

	char *err;
	int rc;
	snap_reader_init(&r, w.data, w.len, "cpu.0");
	STDERR_OF(err, rc = snap_get_blob(&r, small, sizeof(small)));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "vmm: snapshot: cpu.0: a 12-byte record where this vmm keeps 8 "
				  "bytes: another layout");
	snap_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip),
	    cmocka_unit_test(short_and_long_sections),
	    cmocka_unit_test(blobs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
