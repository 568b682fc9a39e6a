/*
 * The guest driver's half of a split virtqueue, for tests: lays out rings
 * in fake guest RAM, posts chains, reads completions, and walks a device
 * through the virtio-mmio handshake the way Linux does.
 */
#ifndef TESTS_VIRTIO_VQ_DRIVER_H
#define TESTS_VIRTIO_VQ_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

#include "fake_vm.h"

struct drv_vq {
	struct vm *vm;
	uint16_t size;
	uint64_t desc, avail, used; /* guest addresses */
	uint16_t next_desc, avail_idx, used_seen;
};

struct drv_buf {
	uint64_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

/* Rings at base (needs 16 * size + 6 + 2 * size + 6 + 8 * size + 32 bytes). */
void drv_init(struct drv_vq *q, struct vm *vm, uint64_t base, uint16_t size);
struct vring_desc *drv_desc(struct drv_vq *q, uint16_t i);
/* Writes a chain into free descriptors; returns its head (not yet published). */
uint16_t drv_chain(struct drv_vq *q, const struct drv_buf *bufs, unsigned n);
void drv_publish(struct drv_vq *q, uint16_t head);
/* drv_chain + drv_publish. */
uint16_t drv_add(struct drv_vq *q, const struct drv_buf *bufs, unsigned n);
/* Next completion: its head, or -1 when none. */
int drv_used(struct drv_vq *q, uint32_t *len);
uint16_t *drv_used_event(struct drv_vq *q);
/* Where the device asked to be kicked next (EVENT_IDX avail_event). */
uint16_t drv_avail_event(struct drv_vq *q);

/* ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns the device status after. */
uint32_t drv_negotiate(struct vm *vm, int dev, uint64_t features);
void drv_queue_setup(struct vm *vm, int dev, unsigned index, struct drv_vq *q);
void drv_driver_ok(struct vm *vm, int dev);

#endif
