/* A directory tree written as a layer tar (libarchive, pax, numeric owners). */
#ifndef CONTAINER_IMAGE_TAR_DIR_H
#define CONTAINER_IMAGE_TAR_DIR_H

#include <stdbool.h>

/*
 * Write dir's tree as an uncompressed tar to out_path. With overlay_upper the tree is an
 * overlayfs upper layer: its whiteouts (0/0 character devices) become OCI ".wh.NAME"
 * entries and its opaque directories get a ".wh..wh..opq" entry, as docker commit does.
 */
int tar_directory(const char *dir, const char *out_path, bool overlay_upper);

/* Several trees in one tar (COPY a b /dest/): open, add each under a name, close. */
struct archive *tar_open(const char *out_path);
/* src (a file or a directory) as the tar's path `as` ("." for the top); root_owned: uid 0. */
int tar_add(struct archive *out, const char *src, const char *as, bool root_owned);
int tar_close(struct archive *out, const char *out_path, int rc);

#endif
