/* The cgroup of an OCI container: linux.cgroupsPath and linux.resources. */
#ifndef CONTAINER_OCI_CGROUP_H
#define CONTAINER_OCI_CGROUP_H

#include "cgroup.h"
#include "spec.h"

/* Make the directories and write the limits; -1 after one line (and nothing left). */
int oci_cgroup_create(const struct spec *s, const char *id, struct cgroup *cg);

/* update --resources: write the limits into an existing container's cgroup. */
int oci_cgroup_apply(const struct cgroup *cg, const struct spec_resources *r);

#endif
