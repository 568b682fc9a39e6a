/* Images made from images: commit, and each step of a build. */
#ifndef CONTAINER_IMAGE_DERIVE_H
#define CONTAINER_IMAGE_DERIVE_H

#include "config.h"

/*
 * base (NULL: scratch) + the layer tar (NULL: none) with the config cfg (the caller's
 * edited copy; its diff_ids get the new layer's), named name (or not); a build step
 * records its cache_key. The image ID goes to id.
 */
int image_derive(struct store *s, const struct image *base, json_object *cfg, const char *tar,
		 const char *name, const char *cache_key, char id[DIGEST_LEN]);
/* An empty file in the store's tmp/ (malloc'ed path), or NULL after an error. */
char *store_temp_file(const struct store *s, const char *what);

#endif
