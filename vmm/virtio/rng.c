/* virtio-rng: every writable buffer the guest offers is filled from getrandom(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "../util.h"
#include "virtio.h"
#include "virtio_dev.h"

/* One request never takes more than this, so a greedy guest cannot stall the event loop. */
#define RNG_MAX_REQUEST 65536

static uint32_t fill_random(struct vq_chain *c)
{
	uint32_t done = 0;
	for (unsigned i = c->n_out; i < c->n_out + c->n_in && done < RNG_MAX_REQUEST; i++) {
		size_t want = c->iov[i].iov_len;
		if (want > RNG_MAX_REQUEST - done)
			want = RNG_MAX_REQUEST - done;
		ssize_t got = getrandom(c->iov[i].iov_base, want, 0);
		if (got < 0 && errno == EINTR)
			got = 0;
		if (got <= 0)
			break;
		done += (uint32_t)got;
		if ((size_t)got < want)
			break;
	}
	return done;
}

static int64_t rng_request(struct virtio_dev *dev, struct virtqueue *vq, struct vq_chain *c)
{
	(void)vq;
	uint32_t n = fill_random(c);
	virtio_dev_count(dev, 1, n);
	return n;
}

static void rng_queue_notify(struct virtio_dev *dev, struct virtqueue *vq)
{
	virtio_serve(dev, vq, dev->priv, rng_request);
}

static const struct virtio_dev_ops rng_ops = {
    .device_id = VIRTIO_ID_RNG,
    .num_queues = 1,
    .queue_max = 64,
    .queue_notify = rng_queue_notify,
};

int virtio_rng_add(struct vm *vm)
{
	char name[16];
	/* Scratch chain for the event loop, the only one that touches it. */
	struct vq_chain *scratch = malloc(sizeof(*scratch));
	if (!scratch) {
		vmm_err("rng: out of memory");
		return -1;
	}
	snprintf(name, sizeof(name), "rng%u", virtio_count(vm, VIRTIO_ID_RNG));
	uint64_t features = 1ull << VIRTIO_RING_F_INDIRECT_DESC | 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (!virtio_dev_create(vm, name, &rng_ops, scratch, features, NULL, 0)) {
		free(scratch);
		return -1;
	}
	return 0;
}
