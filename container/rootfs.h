/* The container's filesystem view: overlay of the rootfs, volumes, /proc, /sys, /dev, pivot_root.
 */
#ifndef CONTAINER_ROOTFS_H
#define CONTAINER_ROOTFS_H

#include "options.h"

#include <stdbool.h>
#include <stddef.h>

struct rootfs_spec {
	const char *rootfs;  /* lowest, read-only layer */
	const char **layers; /* read-only, bottom first */
	size_t nlayers;
	const char *upper, *work, *merged; /* overlay directories in the state dir */
	const char *scratch; /* --rm: mount a tmpfs here and make upper, work, merged in it */
	const struct volume *vols;
	size_t nvols;
	bool privileged;
	bool userns;
};

/* Shared with oci_rootfs.c. Mount flags the kernel locks on a bind (a remount repeats them). */
unsigned long locked_flags(const char *path);
/* open path inside root, symlinks resolved as if root were "/" (openat2 RESOLVE_IN_ROOT). */
int open_in_root(int rootfd, const char *path, int flags);
/* mkdir -p of path inside root (an empty file at the end when !dir); an O_PATH fd or -1. */
int make_target(int rootfd, const char *path, bool dir);

/* Run in the new mount namespace; ends with the process's root at the merged tree. */
int setup_rootfs(const struct rootfs_spec *s);

#endif
