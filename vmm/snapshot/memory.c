/*
 * Guest RAM as a snapshot's memory file: the regions one after another, as
 * the guest has them, with pages of zeros left as holes (lseek's SEEK_HOLE
 * sees them), so a guest that used little of its RAM makes a small file.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../machine.h"
#include "../util.h"
#include "snapshot.h"

#define PAGE	   4096u
#define RUN_MAX	   (4u << 20) /* bytes one pwrite takes at most */
#define READ_CHUNK (8u << 20)

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

/* Non-zero pages are written in runs; zero pages are skipped and stay holes. */
static int write_region(int fd, const struct guest_region *r, off_t file_off)
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
			run_len = 0;
		}
	}
	return 0;
}

int snapshot_write_memory(const struct vm *vm, int fd)
{
	const struct guest_mem *mem = vm_mem(vm);
	off_t off = 0;
	for (int i = 0; i < mem->nr_regions; i++) {
		if (write_region(fd, &mem->region[i], off) < 0)
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

/* Reads the file's data extents into the region; holes stay the zeros they are. */
static int read_region(int fd, const struct guest_region *r, off_t base)
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
		for (pos = data; pos < hole;) {
			size_t len = hole - pos < READ_CHUNK ? (size_t)(hole - pos) : READ_CHUNK;
			ssize_t n = pread(fd, r->host + (pos - base), len, pos);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return vmm_err("snapshot: reading the memory file: %s",
					       n < 0 ? strerror(errno) : "it ends early");
			pos += n;
		}
	}
	return 0;
}

int snapshot_load_memory(struct vm *vm, int fd, bool eager)
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
	off_t off = 0;
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct guest_region *r = &mem->region[i];
		if ((eager ? read_region(fd, r, off) : map_region(fd, r, off)) < 0)
			return -1;
		off += (off_t)r->size;
	}
	return 0;
}
