/* OCI hooks: each is run with the container's state JSON on stdin. */
#ifndef CONTAINER_OCI_HOOKS_H
#define CONTAINER_OCI_HOOKS_H

#include "spec.h"

/* Run every hook of a kind in order; -1 after one line at the first that fails. */
int oci_run_hooks(const struct spec *s, enum hook_kind kind, const char *state_json);

#endif
