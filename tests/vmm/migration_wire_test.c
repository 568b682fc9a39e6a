/*
 * The migration stream's framing against a hostile peer: what the source
 * sends comes back byte for byte, and a stream with a wrong magic, version
 * or RAM layout, an unknown or oversized record, a bad checksum, a page
 * outside RAM or a peer that leaves mid-record is refused with a message,
 * never applied to guest memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "../../vmm/migration/wire.h"

#define RAM_PAGES 16

struct pair {
	struct wire_conn src, dst;
	struct guest_mem mem_src, mem_dst;
	uint8_t *ram_src, *ram_dst;
	uint8_t *buf;
};

static void make_mem(struct guest_mem *mem, uint8_t **ram)
{
	*ram = calloc(2 * RAM_PAGES, WIRE_PAGE_SIZE);
	assert_non_null(*ram);
	/* Two regions, as x86 has around the MMIO hole. */
	*mem = (struct guest_mem){.nr_regions = 2};
	mem->region[0] = (struct guest_region){0, RAM_PAGES * WIRE_PAGE_SIZE, *ram, NULL};
	mem->region[1] = (struct guest_region){1ULL << 32, RAM_PAGES * WIRE_PAGE_SIZE,
					       *ram + RAM_PAGES * WIRE_PAGE_SIZE, NULL};
}

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	int fds[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	wire_conn_init(&p->src, fds[0]);
	wire_conn_init(&p->dst, fds[1]);
	make_mem(&p->mem_src, &p->ram_src);
	make_mem(&p->mem_dst, &p->ram_dst);
	p->buf = malloc(WIRE_MAX_PAYLOAD);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;
	close(p->src.fd);
	wire_conn_free(&p->src);
	wire_conn_free(&p->dst);
	if (p->dst.fd >= 0)
		close(p->dst.fd);
	free(p->ram_src);
	free(p->ram_dst);
	free(p->buf);
	free(p);
	return 0;
}

/* Sends raw bytes as a hostile source would. */
static void raw(struct pair *p, const void *data, size_t len)
{
	assert_int_equal(send(p->src.fd, data, len, 0), (ssize_t)len);
}

/* A record with a correct checksum around any payload. */
static void raw_record(struct pair *p, uint32_t type, const void *payload, uint32_t len)
{
	uint8_t head[8], tail[4];
	wire_put_u32(head, type);
	wire_put_u32(head + 4, len);
	wire_put_u32(tail, (uint32_t)crc32(crc32(0L, head, 8), payload, len));
	raw(p, head, 8);
	raw(p, payload, len);
	raw(p, tail, 4);
}

static void header_round_trip(void **state)
{
	struct pair *p = *state;
	assert_int_equal(wire_send_header(&p->src, &p->mem_src), 0);
	assert_int_equal(wire_recv_header(&p->dst, &p->mem_dst), 0);
}

static void header_other_layout(void **state)
{
	struct pair *p = *state;
	p->mem_dst.region[1].size /= 2;
	assert_int_equal(wire_send_header(&p->src, &p->mem_src), 0);
	assert_int_equal(wire_recv_header(&p->dst, &p->mem_dst), -1);
	assert_non_null(strstr(p->dst.err, "same --mem"));
}

static void header_bad_magic_and_version(void **state)
{
	struct pair *p = *state;
	uint8_t h[24] = "notvmmMG";
	raw(p, h, sizeof(h));
	assert_int_equal(wire_recv_header(&p->dst, &p->mem_dst), -1);
	assert_non_null(strstr(p->dst.err, "bad magic"));

	memcpy(h, WIRE_MAGIC, 8);
	wire_put_u32(h + 8, WIRE_VERSION + 1);
	raw(p, h, sizeof(h));
	assert_int_equal(wire_recv_header(&p->dst, &p->mem_dst), -1);
	assert_non_null(strstr(p->dst.err, "version 2"));

	wire_put_u32(h + 8, WIRE_VERSION);
	wire_put_u32(h + 12, WIRE_PAGE_SIZE);
	wire_put_u32(h + 16, 1000); /* regions: bounded before anything is read for them */
	raw(p, h, sizeof(h));
	assert_int_equal(wire_recv_header(&p->dst, &p->mem_dst), -1);
	assert_non_null(strstr(p->dst.err, "1000 RAM regions"));
}

static void header_checksum(void **state)
{
	struct pair *p = *state;
	p->mem_src.region[0].gpa = 0; /* same layout, one byte flipped on the way */
	uint8_t h[24 + 32 + 4];
	int fds[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	struct wire_conn tap;
	wire_conn_init(&tap, fds[0]);
	assert_int_equal(wire_send_header(&tap, &p->mem_src), 0);
	assert_int_equal(recv(fds[1], h, sizeof(h), MSG_WAITALL), (ssize_t)sizeof(h));
	close(fds[0]);
	close(fds[1]);
	h[30] ^= 1;
	raw(p, h, sizeof(h));
	assert_int_equal(wire_recv_header(&p->dst, &p->mem_dst), -1);
	assert_non_null(strstr(p->dst.err, "checksum"));
}

static void pages_round_trip(void **state)
{
	struct pair *p = *state;
	for (size_t i = 0; i < 2 * RAM_PAGES * WIRE_PAGE_SIZE; i++)
		p->ram_src[i] = (uint8_t)(i * 7 + 3);
	memset(p->ram_dst, 0xee, 2 * RAM_PAGES * WIRE_PAGE_SIZE);
	uint64_t pages[2] = {3 * WIRE_PAGE_SIZE, (1ULL << 32) + 5 * WIRE_PAGE_SIZE};
	uint64_t zeros[1] = {7 * WIRE_PAGE_SIZE};
	assert_int_equal(wire_send_pages(&p->src, &p->mem_src, pages, 2), 0);
	assert_int_equal(wire_send_zeros(&p->src, zeros, 1), 0);

	struct wire_record rec;
	assert_int_equal(wire_recv(&p->dst, p->buf, &rec), 0);
	assert_int_equal(rec.type, WIRE_PAGES);
	assert_int_equal(wire_apply_pages(&p->dst, &p->mem_dst, &rec), 2);
	assert_memory_equal(p->ram_dst + 3 * WIRE_PAGE_SIZE, p->ram_src + 3 * WIRE_PAGE_SIZE,
			    WIRE_PAGE_SIZE);
	assert_memory_equal(p->ram_dst + (RAM_PAGES + 5) * WIRE_PAGE_SIZE,
			    p->ram_src + (RAM_PAGES + 5) * WIRE_PAGE_SIZE, WIRE_PAGE_SIZE);
	assert_int_equal(p->ram_dst[4 * WIRE_PAGE_SIZE], 0xee); /* not sent, not touched */

	assert_int_equal(wire_recv(&p->dst, p->buf, &rec), 0);
	assert_int_equal(wire_apply_pages(&p->dst, &p->mem_dst, &rec), 1);
	uint8_t zero[WIRE_PAGE_SIZE] = {0};
	assert_memory_equal(p->ram_dst + 7 * WIRE_PAGE_SIZE, zero, WIRE_PAGE_SIZE);
	assert_int_equal(p->src.bytes_sent, p->dst.bytes_received);
}

static void unknown_and_oversized_records(void **state)
{
	struct pair *p = *state;
	uint8_t head[8];
	wire_put_u32(head, 99);
	wire_put_u32(head + 4, 0);
	raw(p, head, 8);
	struct wire_record rec;
	assert_int_equal(wire_recv(&p->dst, p->buf, &rec), -1);
	assert_non_null(strstr(p->dst.err, "unknown record type 99"));

	/* A length past the bound is refused before a byte of it is read. */
	wire_put_u32(head, WIRE_STATE);
	wire_put_u32(head + 4, 0xffffffffu);
	raw(p, head, 8);
	assert_int_equal(wire_recv(&p->dst, p->buf, &rec), -1);
	assert_non_null(strstr(p->dst.err, "at most"));
}

static void corrupt_record(void **state)
{
	struct pair *p = *state;
	uint8_t head[8], payload[5] = "hello", tail[4];
	wire_put_u32(head, WIRE_STATE);
	wire_put_u32(head + 4, sizeof(payload));
	wire_put_u32(tail, (uint32_t)crc32(crc32(0L, head, 8), payload, sizeof(payload)) ^ 1);
	raw(p, head, 8);
	raw(p, payload, sizeof(payload));
	raw(p, tail, 4);
	struct wire_record rec;
	assert_int_equal(wire_recv(&p->dst, p->buf, &rec), -1);
	assert_non_null(strstr(p->dst.err, "checksum"));
}

static void peer_leaves_mid_record(void **state)
{
	struct pair *p = *state;
	uint8_t head[8], part[100] = {0};
	wire_put_u32(head, WIRE_STATE);
	wire_put_u32(head + 4, 1000);
	raw(p, head, 8);
	raw(p, part, sizeof(part));
	shutdown(p->src.fd, SHUT_WR);
	struct wire_record rec;
	assert_int_equal(wire_recv(&p->dst, p->buf, &rec), -1);
	assert_non_null(strstr(p->dst.err, "closed the connection after 108 bytes"));
}

static void send_to_departed_peer(void **state)
{
	struct pair *p = *state;
	close(p->dst.fd);
	p->dst.fd = -1;
	assert_int_equal(wire_send(&p->src, WIRE_ACK, NULL, 0), -1);
	assert_non_null(strstr(p->src.err, "closed the connection"));
}

/* Page records whose framing is right but whose contents are not: nothing is written. */
static void bad_page_records(void **state)
{
	struct pair *p = *state;
	memset(p->ram_dst, 0xee, 2 * RAM_PAGES * WIRE_PAGE_SIZE);
	uint8_t zr[4 + 16];
	struct wire_record rec;
	const uint64_t bad[] = {
	    5 * WIRE_PAGE_SIZE + 8,			  /* not page-aligned */
	    RAM_PAGES * WIRE_PAGE_SIZE,			  /* the hole between the regions */
	    (1ULL << 32) + RAM_PAGES * WIRE_PAGE_SIZE,	  /* past the end of RAM */
	    UINT64_MAX & ~(uint64_t)(WIRE_PAGE_SIZE - 1), /* wraps */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wire_put_u32(zr, 2);
		wire_put_u64(zr + 4, 2 * WIRE_PAGE_SIZE); /* a good page first */
		wire_put_u64(zr + 12, bad[i]);
		raw_record(p, WIRE_ZEROS, zr, sizeof(zr));
		assert_int_equal(wire_recv(&p->dst, p->buf, &rec), 0);
		assert_int_equal(wire_apply_pages(&p->dst, &p->mem_dst, &rec), -1);
		assert_non_null(strstr(p->dst.err, "not a page of guest RAM"));
		assert_int_equal(p->ram_dst[2 * WIRE_PAGE_SIZE], 0xee);
	}
	/* A count that does not match the length. */
	wire_put_u32(zr, 3);
	raw_record(p, WIRE_ZEROS, zr, sizeof(zr));
	assert_int_equal(wire_recv(&p->dst, p->buf, &rec), 0);
	assert_int_equal(wire_apply_pages(&p->dst, &p->mem_dst, &rec), -1);
	assert_non_null(strstr(p->dst.err, "says 3 pages in 20 bytes"));
	wire_put_u32(zr, 0);
	raw_record(p, WIRE_ZEROS, zr, 4);
	assert_int_equal(wire_recv(&p->dst, p->buf, &rec), 0);
	assert_int_equal(wire_apply_pages(&p->dst, &p->mem_dst, &rec), -1);
}

/* A TAP record brings exactly one fd; any other record none. */
static void fd_passing(void **state)
{
	struct pair *p = *state;
	struct wire_record rec;
	int pipe_fds[2];
	uint8_t index[4] = {1, 0, 0, 0};
	assert_int_equal(pipe(pipe_fds), 0);
	assert_int_equal(wire_send_fd(&p->src, WIRE_TAP, index, 4, pipe_fds[0]), 0);
	assert_int_equal(wire_recv(&p->dst, p->buf, &rec), 0);
	assert_int_equal(rec.type, WIRE_TAP);
	int got = wire_take_fd(&p->dst);
	assert_true(got >= 0);
	assert_int_equal(wire_take_fd(&p->dst), -1);
	assert_int_equal(write(pipe_fds[1], "x", 1), 1);
	char c = 0;
	assert_int_equal(read(got, &c, 1), 1); /* the same pipe */
	assert_int_equal(c, 'x');
	close(got);

	assert_int_equal(wire_send(&p->src, WIRE_TAP, index, 4), 0);
	assert_int_equal(wire_recv(&p->dst, p->buf, &rec), -1);
	assert_non_null(strstr(p->dst.err, "came without a file descriptor"));
	assert_int_equal(wire_send_fd(&p->src, WIRE_STATE, "abc", 3, pipe_fds[1]), 0);
	assert_int_equal(wire_recv(&p->dst, p->buf, &rec), -1);
	assert_non_null(strstr(p->dst.err, "came with a file descriptor"));
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(header_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(header_other_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(header_bad_magic_and_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(header_checksum, setup, teardown),
	    cmocka_unit_test_setup_teardown(pages_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(unknown_and_oversized_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(corrupt_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(peer_leaves_mid_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(send_to_departed_peer, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_page_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(fd_passing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
