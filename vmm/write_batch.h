/*
 * KVM's coalesced-write ring: guest writes to registered zones are queued
 * in a page shared with KVM instead of exiting one by one, and vmm replays
 * them onto its buses. One per VM; any thread may deliver.
 */
#ifndef VMM_WRITE_BATCH_H
#define VMM_WRITE_BATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct bus;
struct kvm_coalesced_mmio_ring;

struct write_batch {
	struct kvm_coalesced_mmio_ring *ring; /* NULL until a vCPU maps it */
	uint32_t slots;			      /* entries in the ring */
	pthread_mutex_t lock;		      /* one consumer at a time keeps the order */
};

void write_batch_init(struct write_batch *wb);
void write_batch_destroy(struct write_batch *wb);
/* ring is the page KVM_CAP_COALESCED_MMIO named in a vCPU's kvm_run mapping. */
void write_batch_set_ring(struct write_batch *wb, void *ring);
/* Replays every queued write, oldest first, onto pio or mmio. */
void write_batch_deliver(struct write_batch *wb, struct bus *pio, struct bus *mmio);
/* Registers (enable) or removes a zone with the VM fd. */
int write_batch_zone(int vm_fd, bool pio, uint64_t addr, uint32_t len, bool enable);

#endif
