/* Test-side virtqueue driver; see vq_driver.h. */
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "vq_driver.h"

void drv_init(struct drv_vq *q, struct vm *vm, uint64_t base, uint16_t size)
{
	memset(q, 0, sizeof(*q));
	q->vm = vm;
	q->size = size;
	q->desc = base;
	q->avail = base + 16ull * size;
	q->used = (q->avail + 6 + 2ull * size + 3) & ~3ull;
	memset(fake_gpa(vm, base), 0, q->used + 6 + 8ull * size - base);
}

struct vring_desc *drv_desc(struct drv_vq *q, uint16_t i)
{
	return fake_gpa(q->vm, q->desc + 16ull * i);
}

uint16_t drv_chain(struct drv_vq *q, const struct drv_buf *bufs, unsigned n)
{
	uint16_t head = q->next_desc % q->size;
	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % q->size);
		struct vring_desc *d = drv_desc(q, idx);
		d->addr = bufs[i].gpa;
		d->len = bufs[i].len;
		d->flags = (uint16_t)((bufs[i].write ? VRING_DESC_F_WRITE : 0) |
				      (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		d->next = (uint16_t)((idx + 1) % q->size);
	}
	q->next_desc = (uint16_t)((head + n) % q->size);
	return head;
}

void drv_publish(struct drv_vq *q, uint16_t head)
{
	struct vring_avail *a = fake_gpa(q->vm, q->avail);
	a->ring[q->avail_idx % q->size] = head;
	q->avail_idx++;
	__atomic_store_n(&a->idx, q->avail_idx, __ATOMIC_RELEASE);
}

uint16_t drv_add(struct drv_vq *q, const struct drv_buf *bufs, unsigned n)
{
	uint16_t head = drv_chain(q, bufs, n);
	drv_publish(q, head);
	return head;
}

int drv_used(struct drv_vq *q, uint32_t *len)
{
	struct vring_used *u = fake_gpa(q->vm, q->used);
	if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == q->used_seen)
		return -1;
	struct vring_used_elem *e = &u->ring[q->used_seen % q->size];
	q->used_seen++;
	if (len)
		*len = e->len;
	return (int)e->id;
}

uint16_t *drv_used_event(struct drv_vq *q)
{
	struct vring_avail *a = fake_gpa(q->vm, q->avail);
	return &a->ring[q->size];
}

uint16_t drv_avail_event(struct drv_vq *q)
{
	uint16_t v;
	memcpy(&v, fake_gpa(q->vm, q->used + 4 + 8ull * q->size), sizeof(v));
	return v;
}

uint32_t drv_negotiate(struct vm *vm, int dev, uint64_t features)
{
	fake_mmio_write(vm, dev, VIRTIO_MMIO_STATUS, 0);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_STATUS,
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	for (uint32_t sel = 0; sel < 2; sel++) {
		fake_mmio_write(vm, dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
		fake_mmio_write(vm, dev, VIRTIO_MMIO_DRIVER_FEATURES,
				(uint32_t)(features >> (32 * sel)));
	}
	fake_mmio_write(vm, dev, VIRTIO_MMIO_STATUS,
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			    VIRTIO_CONFIG_S_FEATURES_OK);
	return fake_mmio_read(vm, dev, VIRTIO_MMIO_STATUS);
}

void drv_queue_setup(struct vm *vm, int dev, unsigned index, struct drv_vq *q)
{
	fake_mmio_write(vm, dev, VIRTIO_MMIO_QUEUE_SEL, index);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_QUEUE_NUM, q->size);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc >> 32));
	fake_mmio_write(vm, dev, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)q->avail);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(q->avail >> 32));
	fake_mmio_write(vm, dev, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)q->used);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(q->used >> 32));
	fake_mmio_write(vm, dev, VIRTIO_MMIO_QUEUE_READY, 1);
}

void drv_driver_ok(struct vm *vm, int dev)
{
	uint32_t s = fake_mmio_read(vm, dev, VIRTIO_MMIO_STATUS);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_DRIVER_OK);
}
