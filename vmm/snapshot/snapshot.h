/*
 * Snapshots of a whole VM (vmm/README.md, "Snapshots"): its state but RAM
 * as a stream of checked sections, and its RAM as a flat file.
 *
 * The state stream: "ISOLABVM", a u32 format version, the arch's name, then
 * sections, each a u16 name length, the name, a u32 data length, a CRC32 of
 * all of those and the data, and the data; the last section is "end".
 * Sections: "config" (mem size, vCPUs, PMU, the device list), "cpu.N" per
 * vCPU (arch_vcpu_save), "vm" (arch_vm_save), and one per bus device with a
 * save hook, named "pio:NAME" or "mmio:NAME" after its bus_device.name;
 * a snapshot's ends with "memory", the checksums of its memory file.
 */
#ifndef VMM_SNAPSHOT_SNAPSHOT_H
#define VMM_SNAPSHOT_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

#define SNAPSHOT_MAGIC	 "ISOLABVM"
#define SNAPSHOT_VERSION 1

/*
 * Writes the state of a paused VM, all but its RAM, to fd (a file, a pipe,
 * a socket). 0, or -1 after one message.
 */
int snapshot_write_state(struct vm *vm, int fd);
/*
 * Reads what snapshot_write_state wrote into vm, which was created from the
 * same options and has not run: the whole stream is read and checked (magic,
 * version, arch, every CRC, the config against vm's, a section for every
 * device that keeps state and none left over) before anything is applied.
 * 0, or -1 after one message.
 */
int snapshot_read_state(struct vm *vm, int fd);

/* snapshot_read_state in two steps, for a restore that puts RAM in between. */
struct snapshot_state;
/* Reads and checks the whole stream (all but applying it); NULL after one message. */
struct snapshot_state *snapshot_state_read(struct vm *vm, int fd);
int snapshot_state_apply(struct snapshot_state *st, struct vm *vm);
void snapshot_state_free(struct snapshot_state *st);

/*
 * The checksums of a memory file, kept in the state file's "memory" section
 * (a snapshot's, not a migration's): a CRC32C per MEMORY_CHUNK bytes of the
 * file (holes count as the zeros they read as), the last chunk shorter when
 * the RAM is.
 */
#define MEMORY_CHUNK (1u << 20)
struct memory_sums {
	uint64_t size;	/* bytes of RAM, and of the file */
	uint32_t chunk; /* bytes each checksum covers */
	uint32_t nr;
	uint32_t *crc;
};
void memory_sums_free(struct memory_sums *sums);

/*
 * Guest RAM to fd as one flat file (regions in order), zero pages left as
 * holes; sums gets its checksums (memory_sums_free them).
 */
int snapshot_write_memory(const struct vm *vm, int fd, struct memory_sums *sums);
/*
 * Puts a memory file over the VM's RAM: mapped MAP_PRIVATE (pages load from
 * the file when the guest first touches them, Firecracker's way) or, eager,
 * read in whole (holes skipped) and each chunk checked against sums as it is
 * read. The file must have the RAM's size (all a lazy restore checks: a
 * checksum would read every page it defers).
 */
int snapshot_load_memory(struct vm *vm, int fd, bool eager, const struct memory_sums *sums);

/* snapshot_write_state with the memory file's checksums as a last section. */
int snapshot_write_state_sums(struct vm *vm, int fd, const struct memory_sums *sums);
/* The checksums in a state read by snapshot_state_read; -1 after a message where it has none. */
int snapshot_state_memory_sums(struct snapshot_state *st, struct memory_sums *sums);
/* Their section's layout (memory.c): the sizes, then one u32 per chunk. */
struct snap_writer;
struct snap_reader;
void memory_sums_put(struct snap_writer *w, const struct memory_sums *sums);
int memory_sums_get(struct snap_reader *r, struct memory_sums *sums);

/* The monitor's `snapshot DIR`: DIR/state and DIR/memory, the VM paused meanwhile. */
int snapshot_save(struct vm *vm, const char *dir);

/* What `vmm --restore DIR --stats` reports. */
struct restore_stats {
	uint64_t state_us;  /* state read, checked and set into KVM and the devices */
	uint64_t memory_us; /* the memory file mapped (lazy) or read (eager) */
	uint64_t total_us;  /* the whole restore, files opened to ready to run */
	bool eager;
};
/* vmm --restore DIR: vm was created from the options (devices re-attached); nothing has run. */
int snapshot_restore(struct vm *vm, const char *dir, bool eager, struct restore_stats *stats);

#endif
