/* The `container image` verbs, one per function, each returning an exit status. */
#ifndef CONTAINER_IMAGE_VERBS_H
#define CONTAINER_IMAGE_VERBS_H

#include "store.h"

#include <stddef.h>

int image_ls(struct store *s);
int image_inspect(struct store *s, const char *ref);
int image_history(struct store *s, const char *ref);
void human_size(long long bytes, char *out, size_t len);

#endif
