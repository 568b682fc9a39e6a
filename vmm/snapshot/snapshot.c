/*
 * The state stream of a snapshot or a migration (snapshot.h): the header,
 * then checked sections. Reading takes the whole stream into memory first,
 * so a truncated or corrupted one is refused before any byte of it reaches
 * KVM or a device.
 */
#include "snapshot.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../arch.h"
#include "../machine.h"
#include "../util.h"
#include "../vcpu.h"
#include "stream.h"

#define ARCH_NAME_LEN	16
#define NAME_MAX_LEN	64
#define SECTION_MAX_LEN (64u << 20) /* state is KiBs; a bigger length is corruption */
#define MAX_VCPUS	64
#define MAX_SECTIONS	(8 + MAX_VCPUS + 2 * BUS_MAX_DEVICES)
#define END_SECTION	"end"
#define CONFIG_SECTION	"config"
#define CONFIG_VERSION	1
#define MEMORY_SECTION	"memory"

struct section {
	char name[NAME_MAX_LEN + 1];
	uint8_t *data;
	uint32_t len;
	bool used;
};

/* A whole state stream, read and checked. */
struct snapshot_state {
	struct section sections[MAX_SECTIONS];
	int nr;
};

static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vmm_err("snapshot: write: %s",
				       n < 0 ? strerror(errno) : "no progress");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 0, or -1 after a message; an early end of the stream is "truncated". */
static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vmm_err("snapshot: read: %s", strerror(errno));
		if (n == 0)
			return vmm_err("snapshot: the state ends early: truncated");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The CRC32 covers the name and the length as well, so no field goes unchecked. */
static uint32_t section_crc(const char *name, uint16_t name_len, uint32_t len, const void *data)
{
	uint8_t head[6] = {name_len & 0xff, name_len >> 8,    len & 0xff,
			   len >> 8 & 0xff, len >> 16 & 0xff, len >> 24};
	uLong crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, head, sizeof(head));
	crc = crc32(crc, (const Bytef *)name, name_len);
	/* zlib takes a NULL buffer as "start again", so an empty section adds nothing. */
	return (uint32_t)(len ? crc32(crc, data, len) : crc);
}

static int write_section(int fd, const char *name, const struct snap_writer *w)
{
	if (w->failed)
		return vmm_err("snapshot: %s: out of memory", name);
	size_t name_len = strlen(name);
	if (name_len > NAME_MAX_LEN || w->len > SECTION_MAX_LEN)
		return vmm_err("snapshot: section %s is too large", name);
	struct snap_writer head;
	snap_writer_init(&head);
	snap_put_u16(&head, (uint16_t)name_len);
	snap_put(&head, name, name_len);
	snap_put_u32(&head, (uint32_t)w->len);
	snap_put_u32(&head, section_crc(name, (uint16_t)name_len, (uint32_t)w->len, w->data));
	int ret = head.failed ? vmm_err("out of memory") : write_full(fd, head.data, head.len);
	snap_writer_free(&head);
	return ret < 0 ? -1 : write_full(fd, w->data, w->len);
}

static void put_string(struct snap_writer *w, const char *s)
{
	size_t len = strlen(s);
	snap_put_u16(w, (uint16_t)len);
	snap_put(w, s, len);
}

/* What the options made: the restore's VM must have the same. */
static void put_config(struct vm *vm, struct snap_writer *w)
{
	snap_put_u32(w, CONFIG_VERSION);
	snap_put_u64(w, vm_config(vm)->mem_size);
	snap_put_u32(w, (uint32_t)vm_nr_vcpus(vm));
	snap_put_u8(w, vm_config(vm)->pmu);
	struct bus *buses[] = {vm_pio_bus(vm), vm_mmio_bus(vm)};
	snap_put_u32(w, (uint32_t)(buses[0]->nr_devices + buses[1]->nr_devices));
	for (int b = 0; b < 2; b++) {
		for (int i = 0; i < buses[b]->nr_devices; i++) {
			const struct bus_device *dev = buses[b]->devices[i];
			snap_put_u8(w, (uint8_t)b);
			snap_put_u64(w, dev->base);
			snap_put_u64(w, dev->len);
			put_string(w, dev->name);
		}
	}
}

/* Runs one save hook into its own section. */
typedef int (*save_fn)(struct vm *vm, void *obj, struct snap_writer *w);

static int save_section(struct vm *vm, int fd, const char *name, save_fn fn, void *obj)
{
	struct snap_writer w;
	snap_writer_init(&w);
	int ret = fn(vm, obj, &w);
	if (ret == 0)
		ret = write_section(fd, name, &w);
	snap_writer_free(&w);
	return ret;
}

static int save_config(struct vm *vm, void *obj, struct snap_writer *w)
{
	(void)obj;
	put_config(vm, w);
	return 0;
}

static int save_vcpu(struct vm *vm, void *obj, struct snap_writer *w)
{
	return arch_vcpu_save(vm, vcpu_fd(obj), w);
}

static int save_vm(struct vm *vm, void *obj, struct snap_writer *w)
{
	(void)obj;
	return arch_vm_save(vm, w);
}

static int save_device(struct vm *vm, void *obj, struct snap_writer *w)
{
	(void)vm;
	struct bus_device *dev = obj;
	return dev->ops->save(dev, w);
}

static void device_section_name(const struct bus *bus, const struct bus_device *dev, char *buf,
				size_t size)
{
	snprintf(buf, size, "%s:%s", bus->name, dev->name);
}

static int save_devices(struct vm *vm, int fd, struct bus *bus)
{
	for (int i = 0; i < bus->nr_devices; i++) {
		struct bus_device *dev = bus->devices[i];
		if (!dev->ops->save)
			continue;
		for (int j = 0; j < i; j++)
			if (bus->devices[j]->ops->save && !strcmp(bus->devices[j]->name, dev->name))
				return vmm_err("snapshot: two %s devices are named %s", bus->name,
					       dev->name);
		char name[NAME_MAX_LEN + 1];
		device_section_name(bus, dev, name, sizeof(name));
		if (save_section(vm, fd, name, save_device, dev) < 0)
			return -1;
	}
	return 0;
}

static int write_header(int fd)
{
	uint8_t header[sizeof(SNAPSHOT_MAGIC) - 1 + 4 + ARCH_NAME_LEN] = {0};
	memcpy(header, SNAPSHOT_MAGIC, sizeof(SNAPSHOT_MAGIC) - 1);
	uint32_t version = htole32(SNAPSHOT_VERSION);
	memcpy(header + 8, &version, 4);
	snprintf((char *)header + 12, ARCH_NAME_LEN, "%s", arch_name);
	return write_full(fd, header, sizeof(header));
}

static int save_memory_sums(struct vm *vm, void *obj, struct snap_writer *w)
{
	(void)vm;
	memory_sums_put(w, obj);
	return 0;
}

int snapshot_write_state(struct vm *vm, int fd)
{
	return snapshot_write_state_sums(vm, fd, NULL);
}

int snapshot_write_state_sums(struct vm *vm, int fd, const struct memory_sums *sums)
{
	if (!vm_paused(vm))
		return vmm_err("snapshot: the VM must be paused");
	if (write_header(fd) < 0 || save_section(vm, fd, CONFIG_SECTION, save_config, NULL) < 0)
		return -1;
	for (int i = 0; i < vm_nr_vcpus(vm); i++) {
		char name[16];
		snprintf(name, sizeof(name), "cpu.%d", i);
		if (save_section(vm, fd, name, save_vcpu, vm_vcpu(vm, i)) < 0)
			return -1;
	}
	if (save_section(vm, fd, "vm", save_vm, NULL) < 0 ||
	    save_devices(vm, fd, vm_pio_bus(vm)) < 0 || save_devices(vm, fd, vm_mmio_bus(vm)) < 0 ||
	    (sums && save_section(vm, fd, MEMORY_SECTION, save_memory_sums, (void *)sums) < 0))
		return -1;
	struct snap_writer end;
	snap_writer_init(&end);
	return write_section(fd, END_SECTION, &end);
}

static int read_header(int fd)
{
	uint8_t header[sizeof(SNAPSHOT_MAGIC) - 1 + 4 + ARCH_NAME_LEN];
	if (read_full(fd, header, sizeof(header)) < 0)
		return -1;
	if (memcmp(header, SNAPSHOT_MAGIC, sizeof(SNAPSHOT_MAGIC) - 1) != 0)
		return vmm_err("snapshot: not a vmm snapshot (no %s magic)", SNAPSHOT_MAGIC);
	uint32_t version;
	memcpy(&version, header + 8, 4);
	version = le32toh(version);
	if (version != SNAPSHOT_VERSION)
		return vmm_err("snapshot: format version %" PRIu32
			       ", this vmm reads version %d only",
			       version, SNAPSHOT_VERSION);
	char arch[ARCH_NAME_LEN + 1] = {0};
	memcpy(arch, header + 12, ARCH_NAME_LEN);
	if (strcmp(arch, arch_name) != 0)
		return vmm_err("snapshot: taken on %.16s, this vmm runs %s guests", arch,
			       arch_name);
	return 0;
}

/* One section into st; 1 at the end section, 0 for another, -1 after a message. */
static int read_section(int fd, struct snapshot_state *st)
{
	uint8_t head[2];
	if (read_full(fd, head, 2) < 0)
		return -1;
	uint16_t name_len = (uint16_t)(head[0] | head[1] << 8);
	if (name_len == 0 || name_len > NAME_MAX_LEN)
		return vmm_err("snapshot: corrupted (a section name of %u bytes)", name_len);
	if (st->nr == MAX_SECTIONS)
		return vmm_err("snapshot: corrupted (more than %d sections)", MAX_SECTIONS);
	struct section *s = &st->sections[st->nr];
	uint32_t len_crc[2];
	if (read_full(fd, s->name, name_len) < 0 || read_full(fd, len_crc, sizeof(len_crc)) < 0)
		return -1;
	s->name[name_len] = '\0';
	s->len = le32toh(len_crc[0]);
	if (s->len > SECTION_MAX_LEN)
		return vmm_err("snapshot: corrupted (section %.64s claims %" PRIu32 " bytes)",
			       s->name, s->len);
	s->data = malloc(s->len ? s->len : 1);
	if (!s->data)
		return vmm_err("out of memory");
	st->nr++;
	if (read_full(fd, s->data, s->len) < 0)
		return -1;
	if (section_crc(s->name, name_len, s->len, s->data) != le32toh(len_crc[1]))
		return vmm_err("snapshot: corrupted: section %.64s fails its checksum", s->name);
	return strcmp(s->name, END_SECTION) == 0;
}

static int read_all(int fd, struct snapshot_state *st)
{
	if (read_header(fd) < 0)
		return -1;
	for (;;) {
		int ret = read_section(fd, st);
		if (ret != 0)
			return ret < 0 ? -1 : 0;
	}
}

/* The section called name, not yet used; NULL when there is none. */
static struct section *take(struct snapshot_state *st, const char *name, struct snap_reader *r)
{
	for (int i = 0; i < st->nr; i++) {
		struct section *s = &st->sections[i];
		if (!s->used && strcmp(s->name, name) == 0) {
			s->used = true;
			snap_reader_init(r, s->data, s->len, s->name);
			return s;
		}
	}
	return NULL;
}

static int get_string(struct snap_reader *r, char *buf, size_t size)
{
	uint16_t len;
	if (snap_get_u16(r, &len) < 0)
		return -1;
	if (len >= size)
		return snap_bad(r, "a name of %u bytes", len);
	buf[len] = '\0';
	return snap_get(r, buf, len);
}

static int check_device(struct snap_reader *r, struct vm *vm, uint32_t index)
{
	struct bus *buses[] = {vm_pio_bus(vm), vm_mmio_bus(vm)};
	uint8_t bus;
	uint64_t base, len;
	char name[NAME_MAX_LEN + 1];
	if (snap_get_u8(r, &bus) < 0 || snap_get_u64(r, &base) < 0 || snap_get_u64(r, &len) < 0 ||
	    get_string(r, name, sizeof(name)) < 0)
		return -1;
	uint32_t pio = (uint32_t)buses[0]->nr_devices;
	const struct bus *here = index < pio ? buses[0] : buses[1];
	uint32_t at = index < pio ? index : index - pio;
	const struct bus_device *dev = at < (uint32_t)here->nr_devices ? here->devices[at] : NULL;
	if (!dev || bus != (here == buses[1]) || dev->base != base || dev->len != len ||
	    strcmp(dev->name, name) != 0)
		return vmm_err("snapshot: its device %" PRIu32 " is %s at 0x%" PRIx64
			       ", these options give %s: give the device options it was taken "
			       "with, in the same order",
			       index, name, base, dev ? dev->name : "none");
	return 0;
}

/* The options must make the machine the snapshot was taken of. */
static int check_config(struct snapshot_state *st, struct vm *vm)
{
	struct snap_reader r;
	if (!take(st, CONFIG_SECTION, &r))
		return vmm_err("snapshot: corrupted: no config section");
	uint32_t version, cpus, nr_devices;
	uint64_t mem;
	uint8_t pmu;
	if (snap_get_u32(&r, &version) < 0)
		return -1;
	if (version != CONFIG_VERSION)
		return snap_bad(&r, "layout version %" PRIu32 ", this vmm reads %d", version,
				CONFIG_VERSION);
	if (snap_get_u64(&r, &mem) < 0 || snap_get_u32(&r, &cpus) < 0 ||
	    snap_get_u8(&r, &pmu) < 0 || snap_get_u32(&r, &nr_devices) < 0)
		return -1;
	if (mem != vm_config(vm)->mem_size)
		return vmm_err("snapshot: taken with --mem %" PRIu64
			       "M, this vmm has --mem %" PRIu64 "M",
			       mem >> 20, vm_config(vm)->mem_size >> 20);
	if (cpus != (uint32_t)vm_nr_vcpus(vm))
		return vmm_err("snapshot: taken with --cpus %" PRIu32 ", this vmm has --cpus %d",
			       cpus, vm_nr_vcpus(vm));
	if (pmu != vm_config(vm)->pmu)
		return vmm_err("snapshot: taken %s --pmu: give the same", pmu ? "with" : "without");
	uint32_t here = (uint32_t)(vm_pio_bus(vm)->nr_devices + vm_mmio_bus(vm)->nr_devices);
	for (uint32_t i = 0; i < nr_devices; i++)
		if (check_device(&r, vm, i) < 0)
			return -1;
	if (nr_devices != here)
		return vmm_err("snapshot: taken with %" PRIu32
			       " devices, these options give %" PRIu32
			       ": give the device options it was taken with",
			       nr_devices, here);
	return snap_reader_done(&r);
}

static int load_devices(struct snapshot_state *st, struct bus *bus)
{
	for (int i = 0; i < bus->nr_devices; i++) {
		struct bus_device *dev = bus->devices[i];
		char name[NAME_MAX_LEN + 1];
		device_section_name(bus, dev, name, sizeof(name));
		struct snap_reader r;
		bool found = take(st, name, &r);
		if (!dev->ops->load) {
			if (found)
				return vmm_err("snapshot: it has state for %s, which this vmm's "
					       "device cannot take",
					       name);
			continue;
		}
		if (!found)
			return vmm_err("snapshot: it has no state for device %s", name);
		if (dev->ops->load(dev, &r) < 0 || snap_reader_done(&r) < 0)
			return -1;
	}
	return 0;
}

/* Everything but the config, in the order KVM wants it: vCPUs, then the VM, then devices. */
static int apply(struct snapshot_state *st, struct vm *vm)
{
	for (int i = 0; i < vm_nr_vcpus(vm); i++) {
		char name[16];
		snprintf(name, sizeof(name), "cpu.%d", i);
		struct snap_reader r;
		if (!take(st, name, &r))
			return vmm_err("snapshot: corrupted: no state for vCPU %d", i);
		if (arch_vcpu_load(vm, vcpu_fd(vm_vcpu(vm, i)), &r) < 0 || snap_reader_done(&r) < 0)
			return -1;
	}
	struct snap_reader r;
	if (!take(st, "vm", &r))
		return vmm_err("snapshot: corrupted: no vm section");
	if (arch_vm_load(vm, &r) < 0 || snap_reader_done(&r) < 0 ||
	    load_devices(st, vm_pio_bus(vm)) < 0 || load_devices(st, vm_mmio_bus(vm)) < 0)
		return -1;
	take(st, END_SECTION, &r);
	for (int i = 0; i < st->nr; i++)
		if (!st->sections[i].used)
			return vmm_err("snapshot: it has state for %.64s, which these options do "
				       "not create",
				       st->sections[i].name);
	return 0;
}

struct snapshot_state *snapshot_state_read(struct vm *vm, int fd)
{
	struct snapshot_state *st = calloc(1, sizeof(*st));
	if (!st) {
		vmm_err("out of memory");
		return NULL;
	}
	if (read_all(fd, st) < 0 || check_config(st, vm) < 0) {
		snapshot_state_free(st);
		return NULL;
	}
	return st;
}

int snapshot_state_memory_sums(struct snapshot_state *st, struct memory_sums *sums)
{
	struct snap_reader r;
	if (!take(st, MEMORY_SECTION, &r))
		return vmm_err("snapshot: corrupted: no checksums of its memory file");
	return memory_sums_get(&r, sums) < 0 || snap_reader_done(&r) < 0 ? -1 : 0;
}

int snapshot_state_apply(struct snapshot_state *st, struct vm *vm)
{
	return apply(st, vm);
}

void snapshot_state_free(struct snapshot_state *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->nr; i++)
		free(st->sections[i].data);
	free(st);
}

int snapshot_read_state(struct vm *vm, int fd)
{
	struct snapshot_state *st = snapshot_state_read(vm, fd);
	int ret = st ? snapshot_state_apply(st, vm) : -1;
	snapshot_state_free(st);
	return ret;
}
