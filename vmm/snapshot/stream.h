/*
 * The byte stream every piece of saved state goes through. A snapshot (and
 * a migration) is a list of sections; each section is written through a
 * snap_writer and read back through a snap_reader that refuses to read past
 * the section's end, so a device's load code never sees bytes that belong
 * to its neighbour, and a truncated section is an error, not garbage.
 *
 * Values are little-endian and fixed-width; a device writes a version field
 * first when its layout may change. The file format around the sections
 * (magic, versions, checksums) lives in the snapshot code, not here.
 */
#ifndef VMM_SNAPSHOT_STREAM_H
#define VMM_SNAPSHOT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable in-memory section being written. */
struct snap_writer {
	uint8_t *data;
	size_t len, cap;
	bool failed; /* out of memory: every later put fails too */
};

/* A section being read: [data, data + len), pos bytes consumed. */
struct snap_reader {
	const uint8_t *data;
	size_t len, pos;
	const char *what; /* the section's name, for messages */
};

void snap_writer_init(struct snap_writer *w);
void snap_writer_free(struct snap_writer *w);
/* 0, or -1 when memory ran out (then the writer is failed for good). */
int snap_put(struct snap_writer *w, const void *data, size_t len);
int snap_put_u8(struct snap_writer *w, uint8_t v);
int snap_put_u16(struct snap_writer *w, uint16_t v);
int snap_put_u32(struct snap_writer *w, uint32_t v);
int snap_put_u64(struct snap_writer *w, uint64_t v);

void snap_reader_init(struct snap_reader *r, const void *data, size_t len, const char *what);
/* 0, or -1 with a one-line message naming the section when fewer than len bytes remain. */
int snap_get(struct snap_reader *r, void *data, size_t len);
int snap_get_u8(struct snap_reader *r, uint8_t *v);
int snap_get_u16(struct snap_reader *r, uint16_t *v);
int snap_get_u32(struct snap_reader *r, uint32_t *v);
int snap_get_u64(struct snap_reader *r, uint64_t *v);
/*
 * A record saved whole (a kernel uapi struct): a u32 length, then the bytes.
 * get refuses a record whose length is not len (another layout).
 */
int snap_put_blob(struct snap_writer *w, const void *data, uint32_t len);
int snap_get_blob(struct snap_reader *r, void *data, uint32_t len);
/* A u32 layout version that must be want: 0, or -1 with a message naming both. */
int snap_get_version(struct snap_reader *r, uint32_t want);
/* The whole section was consumed: 0, or -1 with a message (a longer section is another layout). */
int snap_reader_done(const struct snap_reader *r);
/* Prints "vmm: snapshot: WHAT: message" and returns -1: for load code that finds a bad value. */
int snap_bad(const struct snap_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
