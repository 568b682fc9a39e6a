/*
 * The machine as devices see it. Devices get a struct vm * and use only the
 * services declared here, so a device file never reaches into vCPU or
 * loader internals (the layout of struct vm is private to vmm/vm.c).
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <stdint.h>
#include <stdio.h>

#include "bus.h"
#include "guest_mem.h"

struct vm;
struct event_loop;
struct virtio_dev;

int vm_fd(const struct vm *vm); /* the KVM VM fd: for KVM_IOEVENTFD, KVM_IRQFD */
const struct guest_mem *vm_mem(const struct vm *vm);
struct bus *vm_pio_bus(struct vm *vm);
struct bus *vm_mmio_bus(struct vm *vm);

/* A free interrupt line (GSI) for a device, or -1 when none is left. */
int vm_alloc_irq(struct vm *vm);
/* Base of a free, 4 KiB-aligned window of size bytes in the device MMIO area; 0 when full. */
uint64_t vm_alloc_mmio(struct vm *vm, uint64_t size);
/* Appends text (with a leading space) to the guest kernel command line; -1 when too long. */
int vm_cmdline_append(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Tells the guest kernel about a memory-mapped device (x86: a kernel
 * parameter, arm64: a device-tree node); compatible is the device-tree
 * binding's name, e.g. "virtio,mmio". -1 when there is no room left.
 */
int vm_announce_mmio_device(struct vm *vm, const char *compatible, uint64_t base, uint64_t size,
			    int irq);
/*
 * Lets KVM queue the guest's writes to [addr, addr + len) on bus instead of
 * exiting for each one (KVM_REGISTER_COALESCED_MMIO). vmm delivers them, in
 * order, before it handles the next exit of any vCPU (and when a vCPU
 * stops), so a device sees them before any read or unqueued write that
 * follows. Only for registers whose writes have no effect the guest could
 * see before its next exit (no interrupt). enable=false stops queueing.
 * -1 (errno ENOTSUP) when KVM cannot.
 */
int vm_batch_writes(struct vm *vm, struct bus *bus, uint64_t addr, uint32_t len, bool enable);
/* Drives an interrupt line (KVM_IRQ_LINE): edge-triggered lines fire on 0 -> 1. */
int vm_set_irq_line(struct vm *vm, int gsi, int level);
/*
 * Registers fn to print the device's own "key: value" lines (e.g.
 * "virtio_blk0_reads: N") when --stats reports at exit; -1 when full.
 */
int vm_add_stats_hook(struct vm *vm, void (*fn)(void *opaque, FILE *out), void *opaque);
/* The VM's event loop (event_loop.h): devices register the fds they wait on with it. */
struct event_loop *vm_event_loop(const struct vm *vm);
/* Head of the VM's virtio device list (kept by virtio/mmio.c; a snapshot walks it). */
struct virtio_dev **vm_virtio_devices(struct vm *vm);
/*
 * The guest comes from a live migration (vmm --incoming): a device that
 * locks a host resource the source still holds (a disk's flock) takes it
 * when the guest arrives (virtio_blk_lock_disks), not when it is created.
 */
bool vm_incoming(const struct vm *vm);
/* Asks every vCPU to stop; vmm then exits with status. Safe from any thread. */
void vm_request_exit(struct vm *vm, int status);

#endif
