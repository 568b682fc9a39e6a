/* virtio-blk internals shared with the unit tests and the fuzzer. */
#ifndef VMM_VIRTIO_BLK_H
#define VMM_VIRTIO_BLK_H

#include <stdint.h>

#include "virtio_dev.h"

struct vm;

/* virtio_blk_add without the global bookkeeping: the device, or NULL. */
struct virtio_dev *virtio_blk_create(struct vm *vm, const char *spec);
/*
 * Runs one request synchronously and writes its status byte. Returns the
 * bytes written into the chain, or -1 when it has no room for a status byte.
 */
int64_t virtio_blk_execute(struct virtio_dev *dev, const struct vq_chain *c);
/* Waits until every request handed to the worker threads has completed. */
void virtio_blk_wait_idle(struct virtio_dev *dev);

#endif
