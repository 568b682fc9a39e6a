/* A new image from a base: its config edited, and optionally one more layer on top. */
#include "config.h"
#include "derive.h"
#include "../util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int stage_tar(struct txn *t, const char *tar, json_object *cfg, json_object *layers)
{
	char digest[DIGEST_LEN], diff_id[DIGEST_LEN];
	long long size;
	if (txn_add_blob_file(t, tar, NULL, digest, &size) < 0 ||
	    txn_add_layer(t, digest, NULL, diff_id) < 0)
		return -1;
	config_add_diff_id(cfg, diff_id);
	json_object_array_add(layers, layer_desc_new(MT_LAYER, digest, size));
	return 0;
}

int image_derive(struct store *s, const struct image *base, json_object *cfg, const char *tar,
		 const char *name, const char *cache_key, char id[DIGEST_LEN])
{
	struct txn t;
	if (txn_begin(&t, s) < 0) {
		txn_abort(&t);
		return -1;
	}
	json_object *layers = json_object_new_array();
	for (size_t i = 0; base && i < image_nlayers(base); i++)
		json_object_array_add(layers, json_object_get(image_layer_desc(base, i)));
	int rc = tar ? stage_tar(&t, tar, cfg, layers) : 0;
	if (rc == 0)
		rc = image_commit(&t, cfg, layers, name, id);
	else
		txn_abort(&t);
	json_object_put(layers);
	if (rc == 0 && cache_key) {
		json_object *e = store_find(s, digest_hex(id));
		if (e)
			json_object_object_add(e, "build_cache", json_object_new_string(cache_key));
		rc = store_save_index(s);
	}
	return rc;
}

char *store_temp_file(const struct store *s, const char *what)
{
	char *path = xasprintf("%s/tmp/%s-XXXXXX", s->root, what);
	int fd = mkstemp(path);
	if (fd < 0) {
		err_ret("cannot create a file in %s/tmp", s->root);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}
