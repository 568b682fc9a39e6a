/*
 * A virtio device's section of a snapshot (or a migration): the transport's
 * registers and each queue's position, then the device's own state through
 * its save/load hooks. The device is quiesced first (requests in flight
 * complete, vhost stops), so a section never holds half a request.
 *
 * A section comes from a file: every value is checked against the device
 * that was created from this run's options before anything is changed, and
 * a bad one is refused with one line. A device the driver had started is
 * started again (activate, kicks, a pending interrupt raised) without the
 * guest doing anything.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "../snapshot/stream.h"
#include "virtio.h"
#include "virtio_dev.h"

#define VIRTIO_STATE_VERSION 1
#define STATUS_BITS                                                                                \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK |        \
	 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)
#define INTERRUPT_BITS (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)
/* The config space is what the window holds above its registers. */
#define CONFIG_MAX (VIRTIO_MMIO_WINDOW - VIRTIO_MMIO_CONFIG)

struct saved_queue {
	uint16_t size;
	uint8_t ready, signalled_valid;
	uint64_t desc, avail, used;
	struct vq_position pos;
};

struct saved_transport {
	uint32_t version, device_id, status, dev_feat_sel, drv_feat_sel, queue_sel;
	uint64_t driver_features;
	uint32_t interrupt_status, config_generation;
	uint8_t broken, failed_before;
	uint16_t num_queues;
	struct saved_queue q[VIRTIO_MAX_QUEUES];
	uint32_t config_len;
	uint8_t config[CONFIG_MAX];
};

/* dev->lock held. */
static void pause_locked(struct virtio_dev *dev)
{
	if (dev->paused)
		return;
	dev->paused = true;
	if (dev->ops->quiesce)
		dev->ops->quiesce(dev);
}

static void resume_locked(struct virtio_dev *dev)
{
	if (!dev->paused)
		return;
	dev->paused = false;
	if (dev->ops->resume)
		dev->ops->resume(dev);
	/* Kicks that came while paused were dropped: look at every queue again. */
	if (virtio_driver_ok(dev))
		virtio_dev_kick_ready(dev);
}

static void pause_one(struct virtio_dev *dev, void *opaque)
{
	(void)opaque;
	pthread_mutex_lock(&dev->lock);
	pause_locked(dev);
	pthread_mutex_unlock(&dev->lock);
}

static void resume_one(struct virtio_dev *dev, void *opaque)
{
	(void)opaque;
	pthread_mutex_lock(&dev->lock);
	resume_locked(dev);
	pthread_mutex_unlock(&dev->lock);
}

void virtio_pause(struct vm *vm)
{
	virtio_for_each_device(vm, pause_one, NULL);
}

void virtio_resume(struct vm *vm)
{
	virtio_for_each_device(vm, resume_one, NULL);
}

static void put_queue(struct snap_writer *w, struct virtqueue *vq)
{
	/* A queue that is not ready has no position: the driver starts it from 0. */
	struct vq_position pos = vq->ready ? vq_position(vq) : (struct vq_position){0};
	snap_put_u16(w, vq->size);
	snap_put_u8(w, vq->ready);
	snap_put_u64(w, vq->desc_gpa);
	snap_put_u64(w, vq->avail_gpa);
	snap_put_u64(w, vq->used_gpa);
	snap_put_u16(w, pos.last_avail);
	snap_put_u16(w, pos.used_idx);
	snap_put_u16(w, pos.signalled_used);
	snap_put_u8(w, pos.signalled_valid);
}

static void put_transport(struct virtio_dev *dev, struct snap_writer *w)
{
	snap_put_u32(w, VIRTIO_STATE_VERSION);
	snap_put_u32(w, dev->ops->device_id);
	snap_put_u32(w, dev->status);
	snap_put_u32(w, dev->dev_feat_sel);
	snap_put_u32(w, dev->drv_feat_sel);
	snap_put_u32(w, dev->queue_sel);
	snap_put_u64(w, dev->driver_features);
	snap_put_u32(w, __atomic_load_n(&dev->interrupt_status, __ATOMIC_SEQ_CST));
	snap_put_u32(w, dev->config_generation);
	snap_put_u8(w, dev->broken);
	snap_put_u8(w, dev->failed_before);
	snap_put_u16(w, dev->ops->num_queues);
	for (unsigned q = 0; q < dev->ops->num_queues; q++)
		put_queue(w, &dev->vqs[q]);
	snap_put_u32(w, dev->config_len);
	snap_put(w, dev->config, dev->config_len);
}

int virtio_dev_save(struct bus_device *bdev, struct snap_writer *w)
{
	struct virtio_dev *dev = bdev->opaque;
	int rc = 0;

	pthread_mutex_lock(&dev->lock);
	/* Normally paused for the whole snapshot (virtio_pause); if not, for this save. */
	bool was_paused = dev->paused;
	pause_locked(dev);
	put_transport(dev, w);
	if (dev->ops->save)
		rc = dev->ops->save(dev, w);
	if (!was_paused)
		resume_locked(dev);
	pthread_mutex_unlock(&dev->lock);
	if (rc == 0 && w->failed)
		rc = dev_err(dev, "out of memory for its snapshot state");
	return rc;
}

static int get_queue(struct snap_reader *r, struct saved_queue *q)
{
	uint8_t valid = 0;
	if (snap_get_u16(r, &q->size) || snap_get_u8(r, &q->ready) || snap_get_u64(r, &q->desc) ||
	    snap_get_u64(r, &q->avail) || snap_get_u64(r, &q->used) ||
	    snap_get_u16(r, &q->pos.last_avail) || snap_get_u16(r, &q->pos.used_idx) ||
	    snap_get_u16(r, &q->pos.signalled_used) || snap_get_u8(r, &valid))
		return -1;
	q->signalled_valid = valid;
	q->pos.signalled_valid = valid;
	return 0;
}

static int get_transport(struct snap_reader *r, struct virtio_dev *dev, struct saved_transport *t)
{
	if (snap_get_u32(r, &t->version))
		return -1;
	if (t->version != VIRTIO_STATE_VERSION)
		return snap_bad(r, "virtio state version %u, this vmm reads %u", t->version,
				VIRTIO_STATE_VERSION);
	if (snap_get_u32(r, &t->device_id) || snap_get_u32(r, &t->status) ||
	    snap_get_u32(r, &t->dev_feat_sel) || snap_get_u32(r, &t->drv_feat_sel) ||
	    snap_get_u32(r, &t->queue_sel) || snap_get_u64(r, &t->driver_features) ||
	    snap_get_u32(r, &t->interrupt_status) || snap_get_u32(r, &t->config_generation) ||
	    snap_get_u8(r, &t->broken) || snap_get_u8(r, &t->failed_before) ||
	    snap_get_u16(r, &t->num_queues))
		return -1;
	if (t->device_id != dev->ops->device_id || t->num_queues != dev->ops->num_queues)
		return snap_bad(r,
				"saved from a virtio device of type %u with %u queues, "
				"this one is type %u with %u",
				t->device_id, t->num_queues, dev->ops->device_id,
				dev->ops->num_queues);
	for (unsigned q = 0; q < t->num_queues; q++)
		if (get_queue(r, &t->q[q]) < 0)
			return -1;
	if (snap_get_u32(r, &t->config_len))
		return -1;
	if (t->config_len != dev->config_len || t->config_len > CONFIG_MAX)
		return snap_bad(r, "config space of %u bytes, this device has %u", t->config_len,
				dev->config_len);
	return snap_get(r, t->config, t->config_len);
}

static int check_queue(struct snap_reader *r, const struct virtio_dev *dev,
		       const struct saved_transport *t, unsigned i)
{
	const struct saved_queue *q = &t->q[i];
	const struct virtqueue *vq = &dev->vqs[i];
	if (q->ready > 1 || q->signalled_valid > 1)
		return snap_bad(r, "queue %u: flags out of range", i);
	if (!q->ready)
		return 0; /* the registers are checked when the driver sets the queue ready */
	if (!vq_layout_valid(dev->mem, q->size, vq->max_size, q->desc, q->avail, q->used))
		return snap_bad(r,
				"queue %u: size %u (at most %u, a power of two) or its rings at "
				"0x%llx/0x%llx/0x%llx do not fit in guest memory",
				i, q->size, vq->max_size, (unsigned long long)q->desc,
				(unsigned long long)q->avail, (unsigned long long)q->used);
	uint16_t in_flight = (uint16_t)(q->pos.last_avail - q->pos.used_idx);
	/* vhost keeps its own positions; a broken device may have dropped a chain it took. */
	if (in_flight > q->size || (in_flight && !dev->kick_external && !t->broken))
		return snap_bad(r, "queue %u: %u requests in flight (saved without draining)", i,
				in_flight);
	return 0;
}

static int check_transport(struct snap_reader *r, const struct virtio_dev *dev,
			   const struct saved_transport *t)
{
	if (t->status & ~STATUS_BITS)
		return snap_bad(r, "device status 0x%x has unknown bits", t->status);
	if ((t->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    (!(t->driver_features & (1ull << VIRTIO_F_VERSION_1)) ||
	     (t->driver_features & ~dev->host_features)))
		return snap_bad(r,
				"the driver accepted features 0x%llx, this device offers 0x%llx "
				"(another backend?)",
				(unsigned long long)t->driver_features,
				(unsigned long long)dev->host_features);
	if (t->interrupt_status & ~INTERRUPT_BITS)
		return snap_bad(r, "interrupt status 0x%x has unknown bits", t->interrupt_status);
	if (t->broken > 1 || t->failed_before > 1)
		return snap_bad(r, "device flags out of range");
	for (unsigned q = 0; q < t->num_queues; q++)
		if (check_queue(r, dev, t, q) < 0)
			return -1;
	if (dev->ops->config_restore == VIRTIO_CONFIG_MUST_MATCH && dev->config_len &&
	    memcmp(t->config, dev->config, dev->config_len))
		return snap_bad(r, "its config space differs from the snapshot's "
				   "(the backend changed since?)");
	return 0;
}

/* Checked already: nothing here can fail. dev->lock held. */
static void apply_transport(struct virtio_dev *dev, const struct saved_transport *t)
{
	dev->status = t->status;
	dev->dev_feat_sel = t->dev_feat_sel;
	dev->drv_feat_sel = t->drv_feat_sel;
	dev->queue_sel = t->queue_sel;
	dev->driver_features = t->driver_features;
	__atomic_store_n(&dev->interrupt_status, t->interrupt_status, __ATOMIC_SEQ_CST);
	dev->config_generation = t->config_generation;
	dev->broken = t->broken;
	dev->failed_before = t->failed_before;
	bool event_idx = virtio_has_feature(dev, VIRTIO_RING_F_EVENT_IDX);
	for (unsigned i = 0; i < t->num_queues; i++) {
		const struct saved_queue *q = &t->q[i];
		struct virtqueue *vq = &dev->vqs[i];
		vq->size = q->size;
		vq->desc_gpa = q->desc;
		vq->avail_gpa = q->avail;
		vq->used_gpa = q->used;
		if (q->ready)
			vq_restore(vq, dev->mem, event_idx, &q->pos);
	}
	if (!dev->config_len)
		return; /* rng: no config space at all */
	if (dev->ops->config_restore == VIRTIO_CONFIG_FROM_SNAPSHOT)
		memcpy(dev->config, t->config, dev->config_len);
	else if (memcmp(dev->config, t->config, dev->config_len))
		dev->config_generation++; /* FROM_OPTIONS: the guest's copy is stale */
}

/* What DRIVER_OK did on the saved device, done again here. dev->lock held. */
static int restart(struct virtio_dev *dev, struct snap_reader *r)
{
	uint32_t s = dev->status;
	if ((s & VIRTIO_CONFIG_S_DRIVER_OK) && (s & VIRTIO_CONFIG_S_FEATURES_OK) && !dev->broken &&
	    dev->ops->activate && dev->ops->activate(dev) < 0)
		return snap_bad(r, "the device could not be started again");
	if (virtio_driver_ok(dev))
		virtio_dev_kick_ready(dev);
	/* The guest may not have seen it yet: one more interrupt costs it a register read. */
	if (__atomic_load_n(&dev->interrupt_status, __ATOMIC_SEQ_CST))
		virtio_dev_raise(dev, 0);
	return 0;
}

int virtio_dev_load(struct bus_device *bdev, struct snap_reader *r)
{
	struct virtio_dev *dev = bdev->opaque;
	struct saved_transport *t = calloc(1, sizeof(*t));
	int rc = -1;
	if (!t)
		return snap_bad(r, "out of memory");
	if (get_transport(r, dev, t) < 0 || check_transport(r, dev, t) < 0)
		goto out;
	pthread_mutex_lock(&dev->lock);
	/* A device that ran already forgets it, as at a driver reset. */
	virtio_dev_reset(dev);
	dev->paused = false;
	if ((!dev->ops->load || dev->ops->load(dev, r) == 0) && snap_reader_done(r) == 0) {
		apply_transport(dev, t);
		rc = restart(dev, r);
	}
	if (rc < 0)
		virtio_dev_reset(dev);
	pthread_mutex_unlock(&dev->lock);
out:
	free(t);
	return rc;
}
