/*
 * The live-migration stream between two vmm processes (vmm/migration/README.md).
 *
 * The target treats every byte as untrusted: the stream opens with a header
 * (magic, version, page size, the RAM layout, which must be the target's
 * own), then records, each `u32 type, u32 len, len bytes, u32 crc32` over
 * type, len and payload. Every length is bounded before anything is read
 * into a buffer, every page address must be page-aligned inside one RAM
 * region, and a record the reader does not expect where it stands is an
 * error. Values are little-endian.
 */
#ifndef VMM_MIGRATION_WIRE_H
#define VMM_MIGRATION_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../guest_mem.h"

#define WIRE_MAGIC	    "isolabMG"
#define WIRE_VERSION	    1
#define WIRE_PAGE_SIZE	    4096u
#define WIRE_MAX_PAGES	    256u  /* pages in one PAGES record: 1 MiB of data */
#define WIRE_MAX_ZEROS	    8192u /* page addresses in one ZEROS record */
#define WIRE_MAX_STATE_PART (1u << 20)
#define WIRE_MAX_STATE	    (64u << 20) /* CPU and device state, all parts together */
#define WIRE_MAX_MESSAGE    256u	/* a NACK's reason */
#define WIRE_PEER_TIMEOUT_S 60 /* a peer silent this long is gone (nested hosts are slow) */
/* The largest payload of any record: a full PAGES record. */
#define WIRE_MAX_PAYLOAD (4u + WIRE_MAX_PAGES * (8u + WIRE_PAGE_SIZE))

enum wire_type {
	WIRE_PAGES = 1, /* u32 n, n x u64 gpa, n x 4096 bytes */
	WIRE_ZEROS = 2, /* u32 n, n x u64 gpa: pages that are all zero now */
	WIRE_STATE = 3, /* a piece of the CPU/device state (snapshot_write_state's bytes) */
	WIRE_END = 4,	/* u64 state bytes, u64 pages sent, u64 CLOCK_MONOTONIC ns of the pause */
	WIRE_ACK = 5,	/* target -> source: loaded; u64 CLOCK_MONOTONIC ns when its vCPUs start */
	WIRE_NACK = 6,	/* target -> source: refused; payload is the reason (text) */
	WIRE_TAP = 7,	/* u32 net device index; the TAP's fd rides along (SCM_RIGHTS) */
};

/* One end of a migration connection: a blocking stream socket. */
struct wire_conn {
	int fd;
	uint64_t bytes_sent, bytes_received;
	uint8_t *pages; /* wire_send_pages' copy: the guest keeps writing while it goes out */
	char err[256];	/* why the last call failed, one line */
	int fd_in;	/* the fd that came with the last WIRE_TAP record (wire_take_fd), or -1 */
	/* Readable when the wait must end (the target's stop signals), or -1. */
	int cancel_fd;
};

/* A record read by wire_recv: payload points into the connection's buffer. */
struct wire_record {
	uint32_t type;
	uint32_t len;
	const uint8_t *payload;
};

void wire_conn_init(struct wire_conn *c, int fd);
/* Frees what the connection allocated (not the fd). */
void wire_conn_free(struct wire_conn *c);

/* The header: the source's RAM layout. 0, or -1 with c->err set. */
int wire_send_header(struct wire_conn *c, const struct guest_mem *mem);
/* Reads and checks the header against the target's own RAM layout. */
int wire_recv_header(struct wire_conn *c, const struct guest_mem *mem);

/*
 * n (1..WIRE_MAX_PAGES) pages of mem at gpa[i], copied as they are now (the
 * checksum must cover the bytes that go out; a page written after the copy
 * is dirty again and goes in a later round).
 */
int wire_send_pages(struct wire_conn *c, const struct guest_mem *mem, const uint64_t *gpa,
		    uint32_t n);
/* n (1..WIRE_MAX_ZEROS) pages that the target must clear. */
int wire_send_zeros(struct wire_conn *c, const uint64_t *gpa, uint32_t n);
/* Any other record: type and up to WIRE_MAX_PAYLOAD bytes. */
int wire_send(struct wire_conn *c, uint32_t type, const void *payload, uint32_t len);
/* A record with one fd passed along (SCM_RIGHTS): only WIRE_TAP carries one. */
int wire_send_fd(struct wire_conn *c, uint32_t type, const void *payload, uint32_t len, int fd);
/* The fd that came with the WIRE_TAP record just read; the caller owns it (-1 if taken). */
int wire_take_fd(struct wire_conn *c);

/*
 * Reads one whole record into buf (WIRE_MAX_PAYLOAD bytes) and checks its
 * framing: known type, length within that type's bound, checksum, one fd
 * with a WIRE_TAP and none with anything else. 0, or -1 with c->err set
 * (the peer went away, a short or corrupt record...).
 */
int wire_recv(struct wire_conn *c, uint8_t *buf, struct wire_record *rec);

/*
 * Applies a PAGES or ZEROS record to mem: every address checked first, so a
 * bad record changes nothing. Returns the pages written, or -1 with c->err.
 */
int64_t wire_apply_pages(struct wire_conn *c, const struct guest_mem *mem,
			 const struct wire_record *rec);

/* Little-endian helpers for payloads. */
void wire_put_u32(uint8_t *p, uint32_t v);
void wire_put_u64(uint8_t *p, uint64_t v);
uint32_t wire_get_u32(const uint8_t *p);
uint64_t wire_get_u64(const uint8_t *p);

#endif
