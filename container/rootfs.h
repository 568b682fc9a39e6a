/* The docker-like container's overlay root, and the path helpers the OCI rootfs uses. */
#ifndef CONTAINER_ROOTFS_H
#define CONTAINER_ROOTFS_H

#include "options.h"

#include <stdbool.h>
#include <stddef.h>

/* The docker-like CLI's root: an overlay, mounted by the init before the create core
 * binds it as the spec's root (oci_rootfs.c makes the rest of the filesystem). */
struct rootfs_spec {
	const char *rootfs;  /* lowest, read-only layer */
	const char **layers; /* read-only, bottom first */
	size_t nlayers;
	const char *upper, *work, *merged; /* overlay directories in the state dir */
	const char *scratch; /* --rm: mount a tmpfs here and make upper, work, merged in it */
	bool userns;
};

/* Shared with oci_rootfs.c. Mount flags the kernel locks on a bind (a remount repeats them). */
unsigned long locked_flags(const char *path);
/* open path inside root, symlinks resolved as if root were "/" (openat2 RESOLVE_IN_ROOT). */
int open_in_root(int rootfd, const char *path, int flags);
/* mkdir -p of path inside root (an empty file at the end when !dir); an O_PATH fd or -1. */
int make_target(int rootfd, const char *path, bool dir);

/* In the container's mount namespace: --rm's tmpfs, then the overlay on merged. */
int mount_overlay_root(const struct rootfs_spec *s);

#endif
