/* The cgroup of an OCI container: linux.cgroupsPath and linux.resources. */
#ifndef CONTAINER_OCI_CGROUP_H
#define CONTAINER_OCI_CGROUP_H

#include "cgroup.h"
#include "spec.h"

/* Make the directories and write the limits; -1 after one line (and nothing left). */
int oci_cgroup_create(const struct spec *s, const char *id, struct cgroup *cg);

/* update --resources: write the limits into an existing container's cgroup. */
int oci_cgroup_apply(const struct cgroup *cg, const struct spec_resources *r);

/* linux.resources.blockIO (oci_cgroup_io.c): v1's blkio files, v2's io.weight and io.max. */
bool blkio_wanted(const struct spec_resources *r);
int blkio_apply_v1(const char *dir, const struct spec_resources *r);
int blkio_apply_v2(const char *dir, const struct spec_resources *r);

#endif
