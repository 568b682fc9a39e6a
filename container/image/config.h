/*
 * An image: an OCI manifest (config descriptor + layer descriptors, bottom first) and an
 * OCI image config (Env, Cmd, Entrypoint, WorkingDir, User, Labels; rootfs.diff_ids;
 * history), both stored as blobs. The image ID is the config's digest, as in docker.
 */
#ifndef CONTAINER_IMAGE_CONFIG_H
#define CONTAINER_IMAGE_CONFIG_H

#include "store.h"
#include "../json_field.h" /* jget, jstr */

#include <json-c/json.h>
#include <stddef.h>

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX    "application/vnd.oci.image.index.v1+json"
#define MT_CONFIG   "application/vnd.oci.image.config.v1+json"
#define MT_LAYER    "application/vnd.oci.image.layer.v1.tar"

struct image {
	json_object *manifest, *config; /* owned */
	char manifest_digest[DIGEST_LEN], config_digest[DIGEST_LEN];
	json_object *entry; /* the store index's entry (names), borrowed */
};

/* Read an image by reference; -1 after a one-line error ("no such image"). */
int image_open(const struct store *s, const char *ref, struct image *img);
void image_close(struct image *img);
size_t image_nlayers(const struct image *img);
const char *image_diff_id(const struct image *img, size_t i);
/* The manifest's layer descriptor i (digest, size, mediaType). */
json_object *image_layer_desc(const struct image *img, size_t i);
/* A field of the config's "config" object (Env, Cmd, ...), or NULL. */
json_object *image_cfg(const struct image *img, const char *key);

/* A fresh config (amd64/linux, no layers), or a deep copy of a base image's. */
json_object *config_new(const struct image *base);
void config_add_history(json_object *cfg, const char *created_by, bool empty_layer);
void config_add_diff_id(json_object *cfg, const char *diff_id);
json_object *config_section(json_object *cfg); /* the "config" object, created if absent */
json_object *layer_desc_new(const char *media_type, const char *digest, long long size);
/* The media type a layer blob's first bytes say (plain, gzip or zstd tar). */
const char *layer_media_type(const char *blob_path);
/* Write config and manifest blobs, name the image, commit the transaction. */
int image_commit(struct txn *t, json_object *cfg, json_object *layers, const char *name,
		 char config_digest[DIGEST_LEN]);
/* Only the manifest, for a config already staged (as a docker-archive brings it). */
int image_stage_manifest(struct txn *t, const char *config_digest, long long config_size,
			 json_object *layers, const char *name);
char *now_rfc3339(void);

#endif
