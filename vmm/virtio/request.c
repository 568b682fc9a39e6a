/*
 * One virtio request, start to end, the same for every device: the serve
 * loop pops each available chain, the device's request function runs it,
 * virtio_complete (or the batch's push + one interrupt decision) hands it
 * back. See the table in README.md.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "virtio_dev.h"

bool virtio_driver_ok(const struct virtio_dev *dev)
{
	return (dev->status & VIRTIO_CONFIG_S_DRIVER_OK) && !dev->broken && !dev->dead &&
	       !dev->paused;
}

void virtio_dev_bad_chain(struct virtio_dev *dev)
{
	virtio_dev_fail(dev, "malformed descriptor chain");
}

void virtio_dev_notify(struct virtio_dev *dev, struct virtqueue *vq)
{
	if (vq_should_notify(vq))
		virtio_dev_raise(dev, VIRTIO_MMIO_INT_VRING);
}

void virtio_complete(struct virtio_dev *dev, struct virtqueue *vq, uint16_t head, uint32_t written)
{
	vq_push(vq, head, written);
	virtio_dev_notify(dev, vq);
}

void virtio_serve(struct virtio_dev *dev, struct virtqueue *vq, struct vq_chain *scratch,
		  virtio_request_fn fn)
{
	enum vq_result r;
	/* Until the ring stays empty after telling the guest where we stopped (EVENT_IDX). */
	do {
		unsigned done = 0;
		while ((r = vq_pop(vq, scratch)) == VQ_OK) {
			int64_t written = fn(dev, vq, scratch);
			if (written == VIRTIO_REQ_FAILED)
				return;
			if (written != VIRTIO_REQ_LATER) {
				vq_push(vq, scratch->head, (uint32_t)written);
				done++;
			}
		}
		/* One interrupt decision for the whole batch. */
		if (done)
			virtio_dev_notify(dev, vq);
		if (r == VQ_BAD) {
			virtio_dev_bad_chain(dev);
			return;
		}
	} while (vq_enable_notify(vq));
}
