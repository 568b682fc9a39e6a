/* Layer tars (plain, gzip or zstd) hashed and unpacked into overlayfs lower directories. */
#ifndef CONTAINER_IMAGE_LAYER_H
#define CONTAINER_IMAGE_LAYER_H

#include "digest.h"

/* The diffID: sha256 of the uncompressed tar. 0, or -1 after a one-line error. */
int layer_diff_id(const char *blob, char diff_id[DIGEST_LEN]);
/*
 * Unpack into the empty directory dest. OCI whiteouts become overlayfs ones (.wh.NAME a
 * 0/0 character device, .wh..wh..opq the opaque xattr). Refused, with a one-line error:
 * absolute or ".." paths, a symlink whose relative target climbs out of the layer, a path
 * through a symlink, a device node (rootless: any; root: all but null/zero/tty and kin).
 */
int layer_unpack(const char *blob, const char *dest);

#endif
