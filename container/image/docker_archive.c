/* docker-archive (docker save, podman save): manifest.json, a config file, layer tars. */
#include "config.h"
#include "load.h"
#include "../util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A file named by manifest.json, inside the archive. */
static char *member(const char *dir, json_object *name)
{
	const char *n = json_object_get_string(name);
	if (!n || !*n || n[0] == '/' || strstr(n, "..")) {
		err_ret("docker-archive: bad file name '%s' in manifest.json", n ? n : "");
		return NULL;
	}
	return xasprintf("%s/%s", dir, n);
}

static int stage_layers(struct txn *t, const char *dir, json_object *files, json_object *diffs,
			json_object *descs)
{
	size_t n = json_object_array_length(files);
	if (!diffs || json_object_array_length(diffs) != n)
		return err_ret("docker-archive: %zu layers but %zu diffIDs in the config", n,
			       diffs ? json_object_array_length(diffs) : 0);
	for (size_t i = 0; i < n; i++) {
		char digest[DIGEST_LEN], diff[DIGEST_LEN];
		long long size;
		char *path = member(dir, json_object_array_get_idx(files, i));
		int rc = path ? txn_add_blob_file(t, path, NULL, digest, &size) : -1;
		if (rc == 0)
			rc = txn_add_layer(
			    t, digest, json_object_get_string(json_object_array_get_idx(diffs, i)),
			    diff);
		if (rc == 0) {
			char *blob = txn_blob_path(t, digest);
			json_object_array_add(descs,
					      layer_desc_new(layer_media_type(blob), digest, size));
			free(blob);
		}
		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int load_entry(struct txn *t, const char *dir, json_object *e, const char *ref)
{
	char cdigest[DIGEST_LEN];
	long long csize;
	char *cpath = member(dir, jget(e, "Config"));
	json_object *cfg = cpath ? json_object_from_file(cpath) : NULL;
	json_object *files = jget(e, "Layers"), *descs = json_object_new_array();
	int rc = cfg && files ? 0 : err_ret("docker-archive: no readable Config or Layers");
	if (rc == 0)
		rc = txn_add_blob_file(t, cpath, NULL, cdigest, &csize);
	if (rc == 0)
		rc = stage_layers(t, dir, files, jget(jget(cfg, "rootfs"), "diff_ids"), descs);
	json_object *tags = jget(e, "RepoTags");
	char *name = ref ? normalize_ref(ref) : NULL;
	for (size_t i = 0; !name && tags && i < json_object_array_length(tags); i++) {
		const char *tag = json_object_get_string(json_object_array_get_idx(tags, i));
		if (tag && valid_ref(tag))
			name = normalize_ref(tag);
	}
	if (rc == 0)
		rc = image_stage_manifest(t, cdigest, csize, descs, name);
	if (rc == 0)
		printf("loaded: %s\n", name ? name : cdigest);
	free(name);
	free(cpath);
	json_object_put(cfg);
	json_object_put(descs);
	return rc;
}

int load_docker_archive(struct txn *t, const char *dir, const char *ref, const char *label)
{
	char *path = xasprintf("%s/manifest.json", dir);
	json_object *man = json_object_from_file(path);
	free(path);
	if (!man || !json_object_is_type(man, json_type_array) || !json_object_array_length(man)) {
		json_object_put(man);
		return err_ret("%s: manifest.json is not a docker-archive manifest", label);
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < json_object_array_length(man); i++)
		rc = load_entry(t, dir, json_object_array_get_idx(man, i), ref);
	json_object_put(man);
	return rc;
}
