/* The formats `image load` reads, each staged into one transaction. */
#ifndef CONTAINER_IMAGE_LOAD_H
#define CONTAINER_IMAGE_LOAD_H

#include "store.h"

/* ref (or NULL) names the image; label names the input in messages. */
int load_oci_layout(struct txn *t, const char *dir, const char *ref, const char *label);
int load_docker_archive(struct txn *t, const char *dir, const char *ref, const char *label);

#endif
