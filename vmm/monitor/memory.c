/* x, xp and info memory: guest memory as bytes, and what it costs the host. */
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../memstat.h"
#include "internal.h"

#define DEFAULT_LEN 64
#define ROW	    16

static int parse_range(struct cmd_ctx *c, uint64_t *addr, uint64_t *len)
{
	*len = DEFAULT_LEN;
	if (parse_u64(c->argv[1], addr) < 0)
		return cmd_error(c, "bad address '%.40s' (decimal or 0x hex)", c->argv[1]);
	if (c->argc > 2 && (parse_u64(c->argv[2], len) < 0 || *len == 0 || *len > MONITOR_DUMP_MAX))
		return cmd_error(c, "bad length '%.40s' (1 to %d)", c->argv[2], MONITOR_DUMP_MAX);
	if (*addr + *len < *addr)
		return cmd_error(c, "range wraps around the address space");
	return 0;
}

/* One row of "addr: hex bytes |ascii|"; the address shown is the one the user asked about. */
static void dump_row(FILE *out, uint64_t addr, const uint8_t *bytes, size_t n)
{
	fprintf(out, "%016" PRIx64 ":", addr);
	for (size_t i = 0; i < ROW; i++) {
		if (i < n)
			fprintf(out, " %02x", bytes[i]);
		else
			fprintf(out, "   ");
	}
	fprintf(out, "  |");
	for (size_t i = 0; i < n; i++)
		fputc(bytes[i] >= 0x20 && bytes[i] < 0x7f ? bytes[i] : '.', out);
	fprintf(out, "|\n");
}

static void dump(FILE *out, uint64_t addr, const uint8_t *buf, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += ROW)
		dump_row(out, addr + off, buf + off, len - off < ROW ? len - off : ROW);
}

int cmd_xp(struct cmd_ctx *c)
{
	uint64_t addr, len;
	if (parse_range(c, &addr, &len) < 0)
		return -1;
	const uint8_t *p = guest_mem_ptr(c->mon->ops->mem(c->mon->ctx), addr, len);
	if (!p)
		return cmd_error(c, "0x%" PRIx64 "+%" PRIu64 " is not guest RAM", addr, len);
	uint8_t copy[MONITOR_DUMP_MAX];
	memcpy(copy, p, len); /* one snapshot: a running guest may be writing */
	dump(c->out, addr, copy, len);
	return 0;
}

int monitor_copy_virtual(struct cmd_ctx *c, monitor_translate_fn translate, const void *mmu,
			 uint64_t addr, uint8_t *buf, uint64_t len)
{
	const struct guest_mem *mem = c->mon->ops->mem(c->mon->ctx);
	for (uint64_t done = 0; done < len;) {
		struct monitor_translation t = {0};
		uint64_t va = addr + done;
		if (translate(mmu, mem, va, &t) < 0)
			return cmd_error(c, "0x%" PRIx64 ": %s", va, t.why);
		uint64_t chunk = len - done;
		if (t.page_size) {
			uint64_t left = t.page_size - (va & (t.page_size - 1));
			chunk = chunk < left ? chunk : left;
		}
		const uint8_t *p = guest_mem_ptr(mem, t.gpa, chunk);
		if (!p)
			return cmd_error(
			    c, "0x%" PRIx64 " maps to 0x%" PRIx64 ", which is not guest RAM", va,
			    t.gpa);
		memcpy(buf + done, p, chunk);
		done += chunk;
	}
	return 0;
}

int cmd_x(struct cmd_ctx *c)
{
	uint64_t addr, len;
	if (parse_range(c, &addr, &len) < 0)
		return -1;
	bool was_paused;
	if (pause_for_inspection(c->mon, &was_paused) < 0)
		return cmd_error(c, "the vCPUs could not be paused");
	uint8_t buf[MONITOR_DUMP_MAX];
	int ret = monitor_read_virtual(c, 0, addr, buf, len);
	if (!was_paused)
		c->mon->ops->resume(c->mon->ctx);
	if (ret < 0)
		return -1;
	dump(c->out, addr, buf, len);
	return 0;
}

/* Resident pages of [host, host + size), by mincore in 64 MiB steps to bound the vector. */
static uint64_t resident_bytes(uint8_t *host, uint64_t size)
{
	static unsigned char vec[16384];
	long page = sysconf(_SC_PAGESIZE);
	uint64_t step = (uint64_t)page * sizeof(vec), total = 0;
	for (uint64_t off = 0; off < size; off += step) {
		uint64_t n = size - off < step ? size - off : step;
		if (mincore(host + off, n, vec) < 0)
			return 0;
		for (uint64_t i = 0; i < (n + page - 1) / page; i++)
			total += (vec[i] & 1) * (uint64_t)page;
	}
	return total;
}

int cmd_info_memory(struct cmd_ctx *c)
{
	const struct guest_mem *mem = c->mon->ops->mem(c->mon->ctx);
	uint64_t touched = 0;
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct guest_region *r = &mem->region[i];
		uint64_t res = resident_bytes(r->host, r->size);
		touched += res;
		fprintf(c->out,
			"ram%d: gpa 0x%09" PRIx64 "-0x%09" PRIx64 " (%" PRIu64
			" MiB), touched %" PRIu64 " KiB\n",
			i, r->gpa, r->gpa + r->size - 1, r->size >> 20, res >> 10);
	}
	fprintf(c->out, "guest RAM: %" PRIu64 " MiB, touched %" PRIu64 " KiB\n",
		guest_mem_total(mem) >> 20, touched >> 10);
	/*
	 * vmm's own memory comes from /proc/self/smaps with guest RAM's
	 * mappings left out (memstat.c): subtracting mincore's count from
	 * smaps_rollup would be wrong, as pages the guest only read are the
	 * shared zero page, resident but not private.
	 */
	struct memstat ms;
	if (memstat_read(mem, &ms) < 0) {
		fprintf(c->out, "vmm private memory: unknown (/proc/self/smaps unreadable)\n");
		return 0;
	}
	fprintf(c->out, "guest RAM backed by the host (smaps Rss): %" PRIu64 " KiB\n",
		ms.guest_touched_kib);
	fprintf(c->out, "vmm private memory (guest RAM excluded): %" PRIu64 " KiB\n",
		ms.private_kib);
	return 0;
}
