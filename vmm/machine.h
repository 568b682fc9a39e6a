/*
 * The core's own view of the machine (main, vCPUs, loaders): creating and
 * running it. Devices see only vm.h.
 */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm.h"
#include "vm.h"

struct vcpu;
struct arch_vm;

/* What the user chose for the machine as a whole. */
struct vm_config {
	uint64_t mem_size;
	bool pmu;	      /* --pmu: the guest sees the host's performance counters */
	const char *dump_dtb; /* --dump-dtb FILE: write the guest's device tree there (arm64) */
};

/* RAM and the arch's interrupt controller; the vCPUs come from vcpus_create (vcpu.h). */
struct vm *vm_create(struct kvm_host *host, const struct vm_config *config);
const struct vm_config *vm_config(const struct vm *vm);
/* Call vcpus_destroy first. */
void vm_destroy(struct vm *vm);
/*
 * What the VM may ask of one of its vCPUs: kick it out of KVM_RUN, park it
 * outside KVM_RUN with its pending I/O completed, let it run again, let it
 * run only part of the time (and how long it slept so).
 */
struct vcpu_control {
	void (*kick)(struct vcpu *vcpu);
	void (*pause)(struct vcpu *vcpu);
	void (*resume)(struct vcpu *vcpu);
	void (*throttle)(struct vcpu *vcpu, unsigned pct);
	uint64_t (*throttled_ns)(const struct vcpu *vcpu);
};
/*
 * The vCPU layer hands the VM its vCPUs and how to control them, so that
 * vm_request_exit and vm_pause reach them without vm.c depending on vcpu.c.
 */
void vm_set_vcpus(struct vm *vm, struct vcpu **vcpus, int nr, const struct vcpu_control *ctl);
/*
 * Stops every vCPU out of KVM_RUN at a clean point (each re-enters KVM_RUN
 * once with immediate_exit, so an exit's pending MMIO/PIO completes) and
 * then delivers the writes KVM batched: devices and guest state are still
 * until vm_resume. For the monitor's pause, snapshots and migration; any
 * thread but a vCPU's. Pausing a paused VM does nothing.
 */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
bool vm_paused(const struct vm *vm);
/*
 * Every vCPU runs only (100 - pct) percent of the time (0: all of it), for
 * a migration that must outrun the guest's writes; vm_throttled_ns sums the
 * time they slept so.
 */
void vm_throttle(struct vm *vm, unsigned pct);
uint64_t vm_throttled_ns(const struct vm *vm);
struct arch_vm *vm_arch(const struct vm *vm);
/* The VM's batched-write ring (struct kvm_coalesced_mmio_ring), mapped with each vCPU. */
void vm_set_write_ring(struct vm *vm, void *ring);
/* Delivers the writes KVM queued (vm_batch_writes); any thread, cheap when none. */
void vm_deliver_batched_writes(struct vm *vm);

/* Before the devices are added: see vm_incoming (vm.h). */
void vm_set_incoming(struct vm *vm);
/* Guest RAM, writable: for loading a snapshot or an incoming migration into it. */
struct guest_mem *vm_ram(struct vm *vm);
/*
 * KVM's dirty page log on every RAM region (KVM_MEM_LOG_DIRTY_PAGES), for
 * live migration. vm_get_dirty_log fills bitmap (one bit per 4 KiB page of
 * region, in longs) with the pages the guest wrote since the last call and
 * clears KVM's copy. 0, or -1 after a message.
 */
int vm_log_dirty_pages(struct vm *vm, bool on);
int vm_get_dirty_log(struct vm *vm, int region, unsigned long *bitmap);

struct kvm_host *vm_host(const struct vm *vm);
int vm_nr_vcpus(const struct vm *vm);
struct vcpu *vm_vcpu(const struct vm *vm, int index);
struct vcpu **vm_vcpus(const struct vm *vm);
const char *vm_device_cmdline(const struct vm *vm); /* what devices appended */

/* Runs the hooks devices registered with vm_add_stats_hook. */
void vm_print_device_stats(const struct vm *vm, FILE *out);

bool vm_exit_requested(const struct vm *vm);
int vm_exit_status(const struct vm *vm);

/* The guest said "userspace reached": keep the first time, in ms since exec. */
void vm_record_marker(struct vm *vm);
/* ms since exec of the marker, or -1 when the guest never wrote it. */
int64_t vm_marker_ms(const struct vm *vm);

#endif
