/* `container image import TAR|DIR NAME[:TAG]`: one layer, an empty config. */
#include "config.h"
#include "image.h"
#include "tar_dir.h"
#include "../util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Stage src (a tar, or a directory packed as one) as a layer; fills its descriptor. */
static int stage_layer(struct txn *t, const char *src, char diff_id[DIGEST_LEN], json_object **desc)
{
	struct stat st;
	if (stat(src, &st) < 0)
		return err_ret("cannot import %s: %s", src, strerror(errno));
	char *tar = NULL;
	const char *blob_src = src;
	if (S_ISDIR(st.st_mode)) {
		char *abs = realpath(src, NULL);
		tar = xasprintf("%s/dir.tar", t->dir);
		int rc =
		    abs ? tar_directory(abs, tar, false) : err_ret("%s: %s", src, strerror(errno));
		free(abs);
		if (rc < 0) {
			free(tar);
			return -1;
		}
		blob_src = tar;
	}
	char digest[DIGEST_LEN];
	long long size;
	int rc = txn_add_blob_file(t, blob_src, NULL, digest, &size);
	if (tar) {
		unlink(tar);
		free(tar);
	}
	if (rc == 0)
		rc = txn_add_layer(t, digest, NULL, diff_id);
	if (rc == 0) {
		char *path = txn_blob_path(t, digest);
		*desc = layer_desc_new(layer_media_type(path), digest, size);
		free(path);
	}
	return rc;
}

int image_import(struct store *s, const char *src, const char *ref)
{
	if (!valid_ref(ref))
		return err_ret("bad image name '%s' (lowercase NAME[:TAG])", ref);
	struct txn t;
	if (txn_begin(&t, s) < 0) {
		txn_abort(&t);
		return -1;
	}
	char diff_id[DIGEST_LEN], id[DIGEST_LEN];
	json_object *desc = NULL;
	if (stage_layer(&t, src, diff_id, &desc) < 0) {
		txn_abort(&t);
		return -1;
	}
	json_object *cfg = config_new(NULL);
	config_add_diff_id(cfg, diff_id);
	char *by = xasprintf("container image import %s", src);
	config_add_history(cfg, by, false);
	free(by);
	json_object *layers = json_object_new_array();
	json_object_array_add(layers, desc);
	char *name = normalize_ref(ref);
	int rc = image_commit(&t, cfg, layers, name, id);
	json_object_put(layers);
	json_object_put(cfg);
	if (rc == 0)
		printf("%s\n", id);
	else
		txn_abort(&t);
	free(name);
	return rc;
}
