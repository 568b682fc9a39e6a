/*
 * Guest RAM as a snapshot's memory file: the regions one after another, as
 * the guest has them, with pages of zeros left as holes (lseek's SEEK_HOLE
 * sees them), so a guest that used little of its RAM makes a small file.
 * Its checksums (snapshot.h, memory_sums) are made as it is written and
 * checked as an eager restore reads it; holes cost no reading either way
 * (crc32c_zeros).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/crc32c.h"
#include "../machine.h"
#include "../util.h"
#include "snapshot.h"
#include "stream.h"

#define PAGE		    4096u
#define RUN_MAX		    (4u << 20) /* bytes one pwrite takes at most */
#define READ_CHUNK	    (8u << 20)
#define MEMORY_SUMS_VERSION 1
#define MEMORY_SUMS_MAX	    (16u << 20) /* 16 TiB of RAM at 1 MiB a chunk */
#define MEMORY_CHUNK_MIN    PAGE
#define MEMORY_CHUNK_MAX    (1u << 30)

/*
 * The checksums being made (write) or checked (want): the file's bytes are
 * fed in order, data or zeros, and each chunk's CRC is stored or compared
 * as its last byte goes in.
 */
struct sum_feed {
	const struct memory_sums *sums;
	uint32_t *out;	      /* the CRCs being made, or NULL */
	uint64_t pos;	      /* the file's bytes fed so far */
	uint32_t crc;	      /* of the chunk under way */
	int64_t failed_chunk; /* the first that did not match, or -1 */
};

/* Feeds len bytes from data, or len zeros where data is NULL; false once a chunk mismatched. */
static bool feed(struct sum_feed *f, const uint8_t *data, uint64_t len)
{
	uint32_t chunk = f->sums->chunk;
	while (len && f->failed_chunk < 0) {
		uint64_t n = chunk - f->pos % chunk;
		n = n < len ? n : len;
		f->crc = data ? crc32c(f->crc, data, (size_t)n) : crc32c_zeros(f->crc, n);
		f->pos += n;
		len -= n;
		data = data ? data + n : NULL;
		if (f->pos % chunk && f->pos != f->sums->size)
			continue;
		uint64_t index = (f->pos - 1) / chunk;
		if (f->out)
			f->out[index] = f->crc;
		else if (f->sums->crc[index] != f->crc)
			f->failed_chunk = (int64_t)index;
		f->crc = 0;
	}
	return f->failed_chunk < 0;
}

/* Zeros (a hole) up to file offset pos. */
static bool feed_zeros_to(struct sum_feed *f, uint64_t pos)
{
	return pos <= f->pos || feed(f, NULL, pos - f->pos);
}

void memory_sums_free(struct memory_sums *sums)
{
	free(sums->crc);
	sums->crc = NULL;
}

static int sums_alloc(struct memory_sums *sums, uint64_t size, uint32_t chunk)
{
	*sums = (struct memory_sums){.size = size, .chunk = chunk};
	uint64_t nr = (size + chunk - 1) / chunk;
	if (nr > MEMORY_SUMS_MAX)
		return vmm_err("snapshot: %" PRIu64 " MiB of RAM is more than its checksums cover",
			       size >> 20);
	sums->nr = (uint32_t)nr;
	sums->crc = calloc(nr ? nr : 1, sizeof(uint32_t));
	return sums->crc ? 0 : vmm_err("out of memory");
}

void memory_sums_put(struct snap_writer *w, const struct memory_sums *sums)
{
	snap_put_u32(w, MEMORY_SUMS_VERSION);
	snap_put_u64(w, sums->size);
	snap_put_u32(w, sums->chunk);
	snap_put_u32(w, sums->nr);
	for (uint32_t i = 0; i < sums->nr; i++)
		snap_put_u32(w, sums->crc[i]);
}

int memory_sums_get(struct snap_reader *r, struct memory_sums *sums)
{
	uint32_t version, chunk, nr;
	uint64_t size;
	if (snap_get_u32(r, &version) < 0)
		return -1;
	if (version != MEMORY_SUMS_VERSION)
		return snap_bad(r, "layout version %" PRIu32 ", this vmm reads %d", version,
				MEMORY_SUMS_VERSION);
	if (snap_get_u64(r, &size) < 0 || snap_get_u32(r, &chunk) < 0 || snap_get_u32(r, &nr) < 0)
		return -1;
	if (chunk < MEMORY_CHUNK_MIN || chunk > MEMORY_CHUNK_MAX || (chunk & (chunk - 1)))
		return snap_bad(r, "a checksum per %" PRIu32 " bytes", chunk);
	if (sums_alloc(sums, size, chunk) < 0)
		return -1;
	if (nr != sums->nr) {
		memory_sums_free(sums);
		return snap_bad(r, "%" PRIu32 " checksums for %" PRIu64 " bytes", nr, size);
	}
	for (uint32_t i = 0; i < nr; i++) {
		if (snap_get_u32(r, &sums->crc[i]) < 0) {
			memory_sums_free(sums);
			return -1;
		}
	}
	return 0;
}

static int pwrite_full(int fd, const uint8_t *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vmm_err("snapshot: writing guest memory: %s",
				       n < 0 ? strerror(errno) : "no progress");
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Non-zero pages are written in runs (and summed); zero pages are skipped and stay holes. */
static int write_region(int fd, const struct guest_region *r, off_t file_off, struct sum_feed *f)
{
	uint64_t run = 0, run_len = 0;
	for (uint64_t off = 0; off < r->size; off += PAGE) {
		bool zero = guest_page_is_zero(r->host + off);
		if (!zero && run_len == 0)
			run = off;
		if (!zero)
			run_len += PAGE;
		if (run_len && (zero || run_len == RUN_MAX || off + PAGE == r->size)) {
			if (pwrite_full(fd, r->host + run, run_len, file_off + (off_t)run) < 0)
				return -1;
			feed_zeros_to(f, (uint64_t)file_off + run);
			feed(f, r->host + run, run_len);
			run_len = 0;
		}
	}
	feed_zeros_to(f, (uint64_t)file_off + r->size);
	return 0;
}

int snapshot_write_memory(const struct vm *vm, int fd, struct memory_sums *sums)
{
	const struct guest_mem *mem = vm_mem(vm);
	if (sums_alloc(sums, guest_mem_total(mem), MEMORY_CHUNK) < 0)
		return -1;
	struct sum_feed f = {.sums = sums, .out = sums->crc, .failed_chunk = -1};
	off_t off = 0;
	for (int i = 0; i < mem->nr_regions; i++) {
		if (write_region(fd, &mem->region[i], off, &f) < 0)
			return -1;
		off += (off_t)mem->region[i].size;
	}
	/* The length covers trailing zero pages: a hole to the end. */
	if (ftruncate(fd, off) < 0)
		return vmm_err("snapshot: sizing the memory file: %s", strerror(errno));
	return 0;
}

/* Replaces the region's anonymous pages by a private mapping of the file. */
static int map_region(int fd, const struct guest_region *r, off_t off)
{
	/* The address stays the same, so KVM's memory slot needs no change. */
	void *at = mmap(r->host, r->size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd, off);
	if (at == MAP_FAILED)
		return vmm_err("snapshot: mapping the memory file: %s", strerror(errno));
	return 0;
}

/* Reads the file's data extents into the region, summed as they come; holes stay zeros. */
static int read_extents(int fd, const struct guest_region *r, off_t base, struct sum_feed *f)
{
	off_t end = base + (off_t)r->size;
	for (off_t pos = base; pos < end;) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			return 0; /* only a hole is left */
		if (data < 0)
			return vmm_err("snapshot: reading the memory file: %s", strerror(errno));
		if (data >= end)
			return 0;
		off_t hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		if (!feed_zeros_to(f, (uint64_t)data))
			return 0;
		for (pos = data; pos < hole;) {
			size_t len = hole - pos < READ_CHUNK ? (size_t)(hole - pos) : READ_CHUNK;
			ssize_t n = pread(fd, r->host + (pos - base), len, pos);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return vmm_err("snapshot: reading the memory file: %s",
					       n < 0 ? strerror(errno) : "it ends early");
			if (!feed(f, r->host + (pos - base), (uint64_t)n))
				return 0;
			pos += n;
		}
	}
	return 0;
}

static int read_region(int fd, const struct guest_region *r, off_t base, struct sum_feed *f)
{
	if (read_extents(fd, r, base, f) < 0)
		return -1;
	feed_zeros_to(f, (uint64_t)base + r->size);
	if (f->failed_chunk < 0)
		return 0;
	uint64_t at = (uint64_t)f->failed_chunk * f->sums->chunk;
	return vmm_err("snapshot: the memory file is corrupted: its bytes at %" PRIu64
		       " MiB (chunk %" PRId64 ") fail their checksum",
		       at >> 20, f->failed_chunk);
}

int snapshot_load_memory(struct vm *vm, int fd, bool eager, const struct memory_sums *sums)
{
	const struct guest_mem *mem = vm_mem(vm);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return vmm_err("snapshot: memory file: %s", strerror(errno));
	uint64_t total = guest_mem_total(mem);
	if ((uint64_t)st.st_size != total)
		return vmm_err("snapshot: the memory file has %lld bytes, the guest's RAM %llu: %s",
			       (long long)st.st_size, (unsigned long long)total,
			       (uint64_t)st.st_size < total ? "truncated" : "not this snapshot's");
	if (sums->size != total)
		return vmm_err("snapshot: its memory checksums cover %" PRIu64
			       " bytes, the guest's RAM has %" PRIu64,
			       sums->size, total);
	struct sum_feed f = {.sums = sums, .failed_chunk = -1};
	off_t off = 0;
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct guest_region *r = &mem->region[i];
		if ((eager ? read_region(fd, r, off, &f) : map_region(fd, r, off)) < 0)
			return -1;
		off += (off_t)r->size;
	}
	return 0;
}
