/* Scatter lists of guest buffers: copying in and out, and slicing. */
#include "iov.h"

#include <stdbool.h>
#include <string.h>

/* Copies between a scatter list, from byte skip on, and a flat buffer, in either direction. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t skip, char *buf, size_t len,
		       bool into_iov)
{
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		size_t chunk = iov[i].iov_len - skip;
		if (chunk > len - done)
			chunk = len - done;
		char *part = (char *)iov[i].iov_base + skip;
		if (into_iov)
			memcpy(part, buf + done, chunk);
		else
			memcpy(buf + done, part, chunk);
		done += chunk;
		skip = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len)
{
	return iov_copy(iov, n, skip, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len)
{
	/* Only read from buf in this direction. */
	return iov_copy(iov, n, skip, (char *)buf, len, true);
}

unsigned iov_slice(const struct iovec *src, unsigned n, size_t skip, size_t len, struct iovec *dst)
{
	unsigned out = 0;
	for (unsigned i = 0; i < n && len; i++) {
		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		size_t chunk = src[i].iov_len - skip;
		if (chunk > len)
			chunk = len;
		dst[out].iov_base = (char *)src[i].iov_base + skip;
		dst[out].iov_len = chunk;
		out++;
		len -= chunk;
		skip = 0;
	}
	return out;
}
