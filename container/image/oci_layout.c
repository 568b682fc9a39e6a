/* OCI image layouts (oci-layout, index.json, blobs/sha256/): `image save` and `image load`. */
#include "config.h"
#include "image.h"
#include "load.h"
#include "../util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REF_NAME "org.opencontainers.image.ref.name"

/* A blob of the layout, by a descriptor's digest (checked first: it becomes a path). */
static char *layout_blob(const char *dir, const char *digest)
{
	if (!digest_valid(digest)) {
		err_ret("bad digest '%s' in the image layout", digest);
		return NULL;
	}
	return xasprintf("%s/blobs/sha256/%s", dir, digest_hex(digest));
}

static json_object *stage_json(struct txn *t, const char *dir, json_object *desc,
			       char digest[DIGEST_LEN])
{
	char *path = layout_blob(dir, jstr(desc, "digest"));
	json_object *o = NULL;
	if (path && txn_add_blob_file(t, path, jstr(desc, "digest"), digest, NULL) == 0) {
		o = json_object_from_file(path);
		if (!o)
			err_ret("%s is not JSON", path);
	}
	free(path);
	return o;
}

/* One manifest: config and layers staged and checked against their digests and diffIDs. */
static int load_manifest(struct txn *t, const char *dir, json_object *desc, const char *name)
{
	char mdigest[DIGEST_LEN], cdigest[DIGEST_LEN], diff[DIGEST_LEN], ldigest[DIGEST_LEN];
	json_object *m = stage_json(t, dir, desc, mdigest), *cfg = NULL;
	int rc = m ? 0 : -1;
	if (rc == 0 && !(cfg = stage_json(t, dir, jget(m, "config"), cdigest)))
		rc = -1;
	json_object *layers = jget(m, "layers"), *diffs = jget(jget(cfg, "rootfs"), "diff_ids");
	size_t n = layers ? json_object_array_length(layers) : 0;
	if (rc == 0 && (!diffs || json_object_array_length(diffs) != n))
		rc = err_ret("image %s: %zu layers but %zu diffIDs in its config", mdigest, n,
			     diffs ? json_object_array_length(diffs) : 0);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		char *path = layout_blob(dir, jstr(l, "digest"));
		rc = path ? txn_add_blob_file(t, path, jstr(l, "digest"), ldigest, NULL) : -1;
		if (rc == 0)
			rc = txn_add_layer(
			    t, ldigest, json_object_get_string(json_object_array_get_idx(diffs, i)),
			    diff);
		free(path);
	}
	if (rc == 0)
		store_add_image(t->s, mdigest, cdigest, name);
	json_object_put(m);
	json_object_put(cfg);
	return rc;
}

/* The name to give a manifest of index.json: the caller's, else its annotations'. */
static char *name_for(json_object *desc, const char *ref, const char *dir)
{
	if (ref)
		return normalize_ref(ref);
	json_object *ann = jget(desc, "annotations");
	const char *full = jstr(ann, "io.containerd.image.name"), *tag = jstr(ann, REF_NAME);
	if (*full && valid_ref(full))
		return normalize_ref(full);
	if (*tag && (strchr(tag, ':') || strchr(tag, '/')) && valid_ref(tag))
		return normalize_ref(tag);
	const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	char *guess = xasprintf("%s:%s", base, *tag ? tag : "latest");
	if (valid_ref(guess))
		return guess;
	free(guess);
	return NULL;
}

int load_oci_layout(struct txn *t, const char *dir, const char *ref, const char *label)
{
	char *path = xasprintf("%s/index.json", dir);
	json_object *index = json_object_from_file(path), *ms = jget(index, "manifests");
	free(path);
	if (!ms || !json_object_is_type(ms, json_type_array) || !json_object_array_length(ms)) {
		json_object_put(index);
		return err_ret("%s: no index.json with manifests", label);
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < json_object_array_length(ms); i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		if (strcmp(jstr(d, "mediaType"), MT_MANIFEST) &&
		    strcmp(jstr(d, "mediaType"),
			   "application/vnd.docker.distribution.manifest.v2+json")) {
			rc = err_ret("%s: manifest %zu is a %s (only image manifests are loaded)",
				     label, i, jstr(d, "mediaType"));
			break;
		}
		char *name = name_for(d, ref, label);
		rc = load_manifest(t, dir, d, name);
		if (rc == 0)
			printf("loaded: %s\n", name ? name : jstr(d, "digest"));
		free(name);
	}
	json_object_put(index);
	return rc;
}
