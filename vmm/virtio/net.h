/* virtio-net internals shared with the unit tests and the fuzzer. */
#ifndef VMM_VIRTIO_NET_H
#define VMM_VIRTIO_NET_H

#include "virtio_dev.h"

struct vm;

/*
 * A virtio-net device on an already open packet fd (a TAP, or in tests one
 * end of a SOCK_SEQPACKET pair) whose packets carry a virtio_net_hdr_v1.
 * The device owns fd from now on. NULL with a message on failure.
 */
struct virtio_dev *virtio_net_create_fd(struct vm *vm, int fd, const uint8_t mac[6]);
/* What the event loop does when the packet fd is readable. */
void virtio_net_rx(struct virtio_dev *dev);

#endif
