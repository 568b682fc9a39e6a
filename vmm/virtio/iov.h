/* Scatter lists of guest buffers (a chain's iovecs): copying and slicing. */
#ifndef VMM_VIRTIO_IOV_H
#define VMM_VIRTIO_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* Copying between an iovec array (starting at byte skip) and flat memory. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len);
/* Makes dst describe len bytes of src starting at skip; returns segments used. */
unsigned iov_slice(const struct iovec *src, unsigned n, size_t skip, size_t len, struct iovec *dst);

#endif
