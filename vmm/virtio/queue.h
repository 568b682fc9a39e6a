/*
 * Split virtqueues (virtio 1.x, section 2.7) over untrusted guest memory.
 * The guest can rewrite any ring or descriptor at any moment, so every
 * descriptor is copied once, then checked: inside guest RAM, chain no longer
 * than the queue, no loops, indirect tables bounded and not nested, readable
 * buffers before writable ones. A violation is reported, never trusted.
 */
#ifndef VMM_VIRTIO_QUEUE_H
#define VMM_VIRTIO_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_ring.h>

#include "../guest_mem.h"
#include "iov.h"

#define VQ_MAX_SIZE 256

struct virtqueue {
	/* Set by the driver through the transport. */
	uint16_t index;
	uint16_t max_size;
	uint16_t size;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	/* Resolved by vq_activate. */
	const struct guest_mem *mem;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	bool event_idx;
	uint16_t last_avail; /* next avail entry the device will take */
	uint16_t used_idx;   /* device's copy of used->idx */
	uint16_t signalled_used;
	bool signalled_valid;
	pthread_mutex_t push_lock; /* completions may come from worker threads */
};

/* One descriptor chain: readable segments first (out), then writable (in). */
struct vq_chain {
	uint16_t head;
	unsigned n_out, n_in;
	uint64_t out_len, in_len;
	struct iovec iov[VQ_MAX_SIZE];
};

enum vq_result { VQ_EMPTY = 0, VQ_OK = 1, VQ_BAD = -1 };

void vq_init(struct virtqueue *vq, uint16_t index, uint16_t max_size);
/* Back to the state after reset (driver must set it up again). */
void vq_reset(struct virtqueue *vq);
/* Checks size and ring addresses; false when the rings are not in RAM. */
bool vq_activate(struct virtqueue *vq, const struct guest_mem *mem, bool event_idx);

/* Where the device stands in a ready queue: what a snapshot keeps of it. */
struct vq_position {
	uint16_t last_avail, used_idx, signalled_used;
	bool signalled_valid;
};
/* Whether a queue of size n (at most max) fits at these addresses, aligned, inside RAM. */
bool vq_layout_valid(const struct guest_mem *mem, uint16_t n, uint16_t max, uint64_t desc_gpa,
		     uint64_t avail_gpa, uint64_t used_gpa);
/* vq_activate that resumes at pos instead of at the start (a restored snapshot). */
bool vq_restore(struct virtqueue *vq, const struct guest_mem *mem, bool event_idx,
		const struct vq_position *pos);
struct vq_position vq_position(struct virtqueue *vq);

/* Takes the next available chain. VQ_BAD means the guest broke the rules. */
enum vq_result vq_pop(struct virtqueue *vq, struct vq_chain *c);
/* Gives back the last n popped chains that were not used (e.g. too small). */
void vq_unpop(struct virtqueue *vq, uint16_t n);
/* Returns a chain to the guest; written = bytes the device wrote. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written);
/* After pushes: whether the guest asked for an interrupt (EVENT_IDX aware). */
bool vq_should_notify(struct virtqueue *vq);
/*
 * Before waiting for the next notification: tells the guest where the device
 * stopped and re-checks, so a buffer added in between is not missed.
 * Returns true when more work is already available.
 */
bool vq_enable_notify(struct virtqueue *vq);
bool vq_has_work(struct virtqueue *vq);

#endif
