/* The OCI container's root filesystem, built from the spec in its mount namespace. */
#ifndef CONTAINER_OCI_ROOTFS_H
#define CONTAINER_OCI_ROOTFS_H

#include "cgroup.h"
#include "spec.h"

#include <stdbool.h>

struct oci_rootfs_hooks {
	/* In the new mount namespace, its propagation set, before the root is bound on
	 * itself: what makes root.path (the docker-like CLI's overlay). */
	int (*before_root)(void *arg);
	void *root_arg;
	/* Mounts done, before pivot_root: the createRuntime/createContainer hooks' moment. */
	int (*before_pivot)(void *arg);
	void *arg;
	const char *console; /* pty slave to bind on /dev/console, or NULL */
	bool no_pivot;
	const struct cgroup *cgroup; /* the container's, bound for a v1 cgroup mount */
};

/* In the new mount namespace; ends with the process's root at root.path. */
int oci_setup_rootfs(const struct spec *s, const struct oci_rootfs_hooks *h);

#endif
