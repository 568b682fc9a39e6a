/* The migration stream's framing and checks (see wire.h). */
#include "wire.h"

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#define HEADER_FIXED  24u /* magic, version, page size, nr_regions, reserved */
#define HEADER_REGION 16u /* gpa, size */

void wire_put_u32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

void wire_put_u64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

uint32_t wire_get_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

uint64_t wire_get_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static int fail(struct wire_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct wire_conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

void wire_conn_init(struct wire_conn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->fd_in = -1;
	c->cancel_fd = -1;
}

void wire_conn_free(struct wire_conn *c)
{
	free(c->pages);
	c->pages = NULL;
	if (c->fd_in >= 0)
		close(c->fd_in);
	c->fd_in = -1;
}

int wire_take_fd(struct wire_conn *c)
{
	int fd = c->fd_in;
	c->fd_in = -1;
	return fd;
}

/* An SCM_RIGHTS control message for one fd. */
union fd_cmsg {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int))];
};

/*
 * Sends every byte of iov[0..n) (which it consumes); MSG_NOSIGNAL: a peer
 * that left is -1. pass_fd (or -1) goes with the first byte only.
 */
static int send_all_fd(struct wire_conn *c, struct iovec *iov, int n, int pass_fd)
{
	union fd_cmsg control;
	while (n > 0) {
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		if (pass_fd >= 0) {
			memset(&control, 0, sizeof(control));
			msg.msg_control = control.buf;
			msg.msg_controllen = sizeof(control.buf);
			struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
		}
		ssize_t sent = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (sent > 0)
			pass_fd = -1;
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0)
			return fail(
			    c, "sending after %llu bytes: %s", (unsigned long long)c->bytes_sent,
			    errno == EPIPE || errno == ECONNRESET ? "the peer closed the connection"
								  : strerror(errno));
		c->bytes_sent += (uint64_t)sent;
		while (n > 0 && (size_t)sent >= iov->iov_len) {
			sent -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + sent;
			iov->iov_len -= (size_t)sent;
		}
	}
	return 0;
}

static int send_all(struct wire_conn *c, struct iovec *iov, int n)
{
	return send_all_fd(c, iov, n, -1);
}

/* Keeps an fd that came along; any beyond the one a record may carry is an error. */
static int take_passed_fds(struct wire_conn *c, struct msghdr *msg)
{
	int bad = (msg->msg_flags & MSG_CTRUNC) != 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (c->fd_in < 0)
				c->fd_in = fd;
			else {
				close(fd);
				bad = 1;
			}
		}
	}
	return bad ? fail(c, "more file descriptors than one record carries, at byte %llu",
			  (unsigned long long)c->bytes_received)
		   : 0;
}

/* Until the socket has bytes: -1 with errno ECANCELED when cancel_fd says stop. */
static int wait_readable(struct wire_conn *c)
{
	struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
			      {.fd = c->cancel_fd, .events = POLLIN}};
	if (c->cancel_fd < 0)
		return 0; /* recv blocks, up to the socket's timeout */
	int n = poll(p, 2, WIRE_PEER_TIMEOUT_S * 1000);
	if (n > 0 && (p[1].revents & POLLIN)) {
		errno = ECANCELED;
		return -1;
	}
	if (n == 0) {
		errno = EAGAIN;
		return -1;
	}
	return n < 0 ? -1 : 0;
}

/* recv with room for one passed fd (closed on exec). */
static ssize_t recv_some(struct wire_conn *c, void *buf, size_t len)
{
	if (wait_readable(c) < 0)
		return -1;
	union fd_cmsg control;
	struct iovec iov = {buf, len};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	ssize_t n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	if (n >= 0 && msg.msg_controllen && take_passed_fds(c, &msg) < 0)
		return -2;
	return n;
}

static int recv_all(struct wire_conn *c, void *buf, size_t len, const char *what)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = recv_some(c, (uint8_t *)buf + done, len - done);
		if (n == -2)
			return -1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return fail(c, "the peer closed the connection after %llu bytes, in %s",
				    (unsigned long long)(c->bytes_received + done), what);
		if (n < 0)
			return fail(c, "reading %s after %llu bytes: %s", what,
				    (unsigned long long)(c->bytes_received + done),
				    errno == EAGAIN	 ? "timed out"
				    : errno == ECANCELED ? "stopped by a signal"
							 : strerror(errno));
		done += (size_t)n;
	}
	c->bytes_received += len;
	return 0;
}

/* Frames iov[1..n-1) as one record: iov[0] gets the type/len head, iov[n-1] the checksum. */
static int send_record_fd(struct wire_conn *c, uint32_t type, struct iovec *iov, int n, int fd)
{
	uint8_t head[8], tail[4];
	uint32_t len = 0;
	for (int i = 1; i < n - 1; i++)
		len += (uint32_t)iov[i].iov_len;
	wire_put_u32(head, type);
	wire_put_u32(head + 4, len);
	uLong crc = crc32(0L, head, sizeof(head));
	for (int i = 1; i < n - 1; i++)
		crc = crc32(crc, iov[i].iov_base, (uInt)iov[i].iov_len);
	wire_put_u32(tail, (uint32_t)crc);
	iov[0] = (struct iovec){head, sizeof(head)};
	iov[n - 1] = (struct iovec){tail, sizeof(tail)};
	return send_all_fd(c, iov, n, fd);
}

static int send_record(struct wire_conn *c, uint32_t type, struct iovec *iov, int n)
{
	return send_record_fd(c, type, iov, n, -1);
}

int wire_send_fd(struct wire_conn *c, uint32_t type, const void *payload, uint32_t len, int fd)
{
	if (len > WIRE_MAX_PAYLOAD)
		return fail(c, "record of %u bytes is over the limit", len);
	struct iovec iov[3] = {{0}, {(void *)payload, len}, {0}};
	return send_record_fd(c, type, iov, 3, fd);
}

int wire_send(struct wire_conn *c, uint32_t type, const void *payload, uint32_t len)
{
	return wire_send_fd(c, type, payload, len, -1);
}

int wire_send_pages(struct wire_conn *c, const struct guest_mem *mem, const uint64_t *gpa,
		    uint32_t n)
{
	if (n == 0 || n > WIRE_MAX_PAGES)
		return fail(c, "%u pages in one record", n);
	if (!c->pages && !(c->pages = malloc(WIRE_MAX_PAGES * WIRE_PAGE_SIZE)))
		return fail(c, "out of memory");
	uint8_t count[4], addrs[WIRE_MAX_PAGES * 8];
	wire_put_u32(count, n);
	for (uint32_t i = 0; i < n; i++) {
		const void *page = guest_mem_ptr(mem, gpa[i], WIRE_PAGE_SIZE);
		if (!page)
			return fail(c, "page 0x%llx is not guest RAM", (unsigned long long)gpa[i]);
		wire_put_u64(addrs + 8 * i, gpa[i]);
		memcpy(c->pages + (size_t)i * WIRE_PAGE_SIZE, page, WIRE_PAGE_SIZE);
	}
	struct iovec iov[5] = {{0},
			       {count, sizeof(count)},
			       {addrs, 8u * n},
			       {c->pages, (size_t)n * WIRE_PAGE_SIZE},
			       {0}};
	return send_record(c, WIRE_PAGES, iov, 5);
}

int wire_send_zeros(struct wire_conn *c, const uint64_t *gpa, uint32_t n)
{
	if (n == 0 || n > WIRE_MAX_ZEROS)
		return fail(c, "%u zero pages in one record", n);
	uint8_t payload[4 + WIRE_MAX_ZEROS * 8];
	wire_put_u32(payload, n);
	for (uint32_t i = 0; i < n; i++)
		wire_put_u64(payload + 4 + 8 * i, gpa[i]);
	return wire_send(c, WIRE_ZEROS, payload, 4 + 8 * n);
}

/* The most bytes a record of this type may carry; 0 for an unknown type. */
static uint32_t max_len(uint32_t type)
{
	switch (type) {
	case WIRE_PAGES:
		return WIRE_MAX_PAYLOAD;
	case WIRE_ZEROS:
		return 4 + WIRE_MAX_ZEROS * 8;
	case WIRE_STATE:
		return WIRE_MAX_STATE_PART;
	case WIRE_END:
		return 24;
	case WIRE_ACK:
		return 8;
	case WIRE_NACK:
		return WIRE_MAX_MESSAGE;
	case WIRE_TAP:
		return 4;
	}
	return UINT32_MAX;
}

int wire_recv(struct wire_conn *c, uint8_t *buf, struct wire_record *rec)
{
	uint8_t head[8], tail[4];
	if (c->fd_in >= 0) { /* one the caller did not take belongs to no record now */
		close(c->fd_in);
		c->fd_in = -1;
	}
	if (recv_all(c, head, sizeof(head), "a record header") < 0)
		return -1;
	rec->type = wire_get_u32(head);
	rec->len = wire_get_u32(head + 4);
	uint32_t limit = max_len(rec->type);
	if (limit == UINT32_MAX)
		return fail(c, "unknown record type %u at byte %llu", rec->type,
			    (unsigned long long)(c->bytes_received - sizeof(head)));
	if (rec->len > limit)
		return fail(c, "record type %u claims %u bytes, at most %u allowed", rec->type,
			    rec->len, limit);
	if (recv_all(c, buf, rec->len, "a record") < 0 ||
	    recv_all(c, tail, sizeof(tail), "a record checksum") < 0)
		return -1;
	uLong crc = crc32(crc32(0L, head, sizeof(head)), buf, rec->len);
	if ((uint32_t)crc != wire_get_u32(tail))
		return fail(c, "record type %u (%u bytes) fails its checksum", rec->type, rec->len);
	if ((rec->type == WIRE_TAP) != (c->fd_in >= 0))
		return fail(c, "record type %u came %s a file descriptor", rec->type,
			    c->fd_in >= 0 ? "with" : "without");
	rec->payload = buf;
	return 0;
}

/* Checks a PAGES/ZEROS payload's count against its length; returns n or -1. */
static int64_t page_count(struct wire_conn *c, const struct wire_record *rec, uint32_t per_page,
			  uint32_t max)
{
	if (rec->len < 4)
		return fail(c, "page record of %u bytes has no count", rec->len);
	uint32_t n = wire_get_u32(rec->payload);
	if (n == 0 || n > max || rec->len != 4 + (uint64_t)n * per_page)
		return fail(c, "page record says %u pages in %u bytes", n, rec->len);
	return n;
}

int64_t wire_apply_pages(struct wire_conn *c, const struct guest_mem *mem,
			 const struct wire_record *rec)
{
	bool zeros = rec->type == WIRE_ZEROS;
	if (rec->type != WIRE_PAGES && !zeros)
		return fail(c, "record type %u is not a page record", rec->type);
	int64_t n = zeros ? page_count(c, rec, 8, WIRE_MAX_ZEROS)
			  : page_count(c, rec, 8 + WIRE_PAGE_SIZE, WIRE_MAX_PAGES);
	if (n < 0)
		return -1;
	const uint8_t *addrs = rec->payload + 4, *data = addrs + 8 * n;
	for (int64_t i = 0; i < n; i++) {
		uint64_t gpa = wire_get_u64(addrs + 8 * i);
		if (gpa % WIRE_PAGE_SIZE || !guest_mem_ptr(mem, gpa, WIRE_PAGE_SIZE))
			return fail(c, "page address 0x%llx is not a page of guest RAM",
				    (unsigned long long)gpa);
	}
	for (int64_t i = 0; i < n; i++) {
		uint8_t *page = guest_mem_ptr(mem, wire_get_u64(addrs + 8 * i), WIRE_PAGE_SIZE);
		if (zeros)
			memset(page, 0, WIRE_PAGE_SIZE);
		else
			memcpy(page, data + (size_t)i * WIRE_PAGE_SIZE, WIRE_PAGE_SIZE);
	}
	return n;
}

static size_t header_len(int nr_regions)
{
	return HEADER_FIXED + HEADER_REGION * (size_t)nr_regions;
}

int wire_send_header(struct wire_conn *c, const struct guest_mem *mem)
{
	uint8_t h[HEADER_FIXED + HEADER_REGION * GUEST_MEM_MAX_REGIONS + 4] = {0};
	memcpy(h, WIRE_MAGIC, 8);
	wire_put_u32(h + 8, WIRE_VERSION);
	wire_put_u32(h + 12, WIRE_PAGE_SIZE);
	wire_put_u32(h + 16, (uint32_t)mem->nr_regions);
	for (int i = 0; i < mem->nr_regions; i++) {
		wire_put_u64(h + HEADER_FIXED + HEADER_REGION * i, mem->region[i].gpa);
		wire_put_u64(h + HEADER_FIXED + HEADER_REGION * i + 8, mem->region[i].size);
	}
	size_t len = header_len(mem->nr_regions);
	wire_put_u32(h + len, (uint32_t)crc32(0L, h, (uInt)len));
	struct iovec iov = {h, len + 4};
	return send_all(c, &iov, 1);
}

static int check_regions(struct wire_conn *c, const uint8_t *h, uint32_t n,
			 const struct guest_mem *mem)
{
	if (n != (uint32_t)mem->nr_regions)
		return fail(c,
			    "the source has %u RAM regions, this VM %d: give both the same --mem",
			    n, mem->nr_regions);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t gpa = wire_get_u64(h + HEADER_FIXED + HEADER_REGION * i);
		uint64_t size = wire_get_u64(h + HEADER_FIXED + HEADER_REGION * i + 8);
		if (gpa != mem->region[i].gpa || size != mem->region[i].size)
			return fail(c,
				    "the source's RAM region %u is %llu MiB at 0x%llx, this VM's "
				    "%llu MiB at 0x%llx: give both the same --mem",
				    i, (unsigned long long)(size >> 20), (unsigned long long)gpa,
				    (unsigned long long)(mem->region[i].size >> 20),
				    (unsigned long long)mem->region[i].gpa);
	}
	return 0;
}

int wire_recv_header(struct wire_conn *c, const struct guest_mem *mem)
{
	uint8_t h[HEADER_FIXED + HEADER_REGION * GUEST_MEM_MAX_REGIONS + 4];
	if (recv_all(c, h, HEADER_FIXED, "the stream header") < 0)
		return -1;
	if (memcmp(h, WIRE_MAGIC, 8) != 0)
		return fail(c, "not a vmm migration stream (bad magic)");
	uint32_t version = wire_get_u32(h + 8), page = wire_get_u32(h + 12);
	uint32_t n = wire_get_u32(h + 16);
	if (version != WIRE_VERSION)
		return fail(c, "migration stream version %u, this vmm speaks version %u", version,
			    WIRE_VERSION);
	if (page != WIRE_PAGE_SIZE)
		return fail(c, "page size %u in the stream, this vmm uses %u", page,
			    WIRE_PAGE_SIZE);
	if (n == 0 || n > GUEST_MEM_MAX_REGIONS)
		return fail(c, "the stream claims %u RAM regions (1 to %d)", n,
			    GUEST_MEM_MAX_REGIONS);
	size_t len = header_len((int)n);
	if (recv_all(c, h + HEADER_FIXED, len - HEADER_FIXED + 4, "the stream header") < 0)
		return -1;
	if ((uint32_t)crc32(0L, h, (uInt)len) != wire_get_u32(h + len))
		return fail(c, "the stream header fails its checksum");
	return check_regions(c, h, n, mem);
}
