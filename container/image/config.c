/* Image configs and manifests: reading them back, building new ones. */
#include "config.h"
#include "../util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static json_object *read_json_blob(const struct store *s, const char *digest)
{
	size_t len;
	char *buf = store_read_blob(s, digest, &len);
	json_object *o = buf ? json_tokener_parse(buf) : NULL;
	if (buf && !o)
		err_ret("blob %s is not JSON", digest);
	free(buf);
	return o;
}

int image_open(const struct store *s, const char *ref, struct image *img)
{
	*img = (struct image){0};
	img->entry = store_find(s, ref);
	if (!img->entry)
		return err_ret("no such image: %s", ref);
	snprintf(img->manifest_digest, DIGEST_LEN, "%s",
		 json_object_get_string(jget(img->entry, "manifest")));
	snprintf(img->config_digest, DIGEST_LEN, "%s",
		 json_object_get_string(jget(img->entry, "config")));
	img->manifest = read_json_blob(s, img->manifest_digest);
	img->config = img->manifest ? read_json_blob(s, img->config_digest) : NULL;
	if (!img->config) {
		image_close(img);
		return -1;
	}
	if (image_nlayers(img) != json_object_array_length(jget(img->manifest, "layers"))) {
		image_close(img);
		return err_ret("image %s: the manifest and the config disagree on the layers", ref);
	}
	return 0;
}

void image_close(struct image *img)
{
	json_object_put(img->manifest);
	json_object_put(img->config);
	*img = (struct image){0};
}

static json_object *diff_ids(const struct image *img)
{
	return jget(jget(img->config, "rootfs"), "diff_ids");
}

size_t image_nlayers(const struct image *img)
{
	json_object *d = diff_ids(img);
	return d && json_object_is_type(d, json_type_array) ? json_object_array_length(d) : 0;
}

const char *image_diff_id(const struct image *img, size_t i)
{
	return json_object_get_string(json_object_array_get_idx(diff_ids(img), i));
}

json_object *image_layer_desc(const struct image *img, size_t i)
{
	return json_object_array_get_idx(jget(img->manifest, "layers"), i);
}

json_object *image_cfg(const struct image *img, const char *key)
{
	return jget(jget(img->config, "config"), key);
}

char *now_rfc3339(void)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

json_object *config_section(json_object *cfg)
{
	json_object *c = jget(cfg, "config");
	if (!c) {
		c = json_object_new_object();
		json_object_object_add(cfg, "config", c);
	}
	return c;
}

json_object *config_new(const struct image *base)
{
	json_object *cfg = NULL;
	if (base)
		json_object_deep_copy(base->config, &cfg, NULL);
	if (!cfg) {
		cfg = json_object_new_object();
		json_object_object_add(cfg, "architecture", json_object_new_string("amd64"));
		json_object_object_add(cfg, "os", json_object_new_string("linux"));
	}
	char *now = now_rfc3339();
	json_object_object_add(cfg, "created", json_object_new_string(now));
	free(now);
	config_section(cfg);
	json_object *rootfs = jget(cfg, "rootfs");
	if (!rootfs) {
		rootfs = json_object_new_object();
		json_object_object_add(cfg, "rootfs", rootfs);
		json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	}
	if (!jget(rootfs, "diff_ids"))
		json_object_object_add(rootfs, "diff_ids", json_object_new_array());
	if (!jget(cfg, "history"))
		json_object_object_add(cfg, "history", json_object_new_array());
	return cfg;
}

void config_add_history(json_object *cfg, const char *created_by, bool empty_layer)
{
	json_object *h = json_object_new_object();
	char *now = now_rfc3339();
	json_object_object_add(h, "created", json_object_new_string(now));
	free(now);
	json_object_object_add(h, "created_by", json_object_new_string(created_by));
	if (empty_layer)
		json_object_object_add(h, "empty_layer", json_object_new_boolean(1));
	json_object_array_add(jget(cfg, "history"), h);
}

void config_add_diff_id(json_object *cfg, const char *diff_id)
{
	json_object_array_add(jget(jget(cfg, "rootfs"), "diff_ids"),
			      json_object_new_string(diff_id));
}

json_object *layer_desc_new(const char *media_type, const char *digest, long long size)
{
	json_object *d = json_object_new_object();
	json_object_object_add(d, "mediaType", json_object_new_string(media_type));
	json_object_object_add(d, "digest", json_object_new_string(digest));
	json_object_object_add(d, "size", json_object_new_int64(size));
	return d;
}

const char *layer_media_type(const char *blob_path)
{
	unsigned char m[4] = {0};
	int fd = open(blob_path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, m, sizeof(m)) < 0)
			m[0] = 0;
		close(fd);
	}
	if (m[0] == 0x1f && m[1] == 0x8b)
		return MT_LAYER "+gzip";
	if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
		return MT_LAYER "+zstd";
	return MT_LAYER;
}

static int add_json_blob(struct txn *t, json_object *o, char digest[DIGEST_LEN], size_t *len)
{
	size_t n;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	*len = n;
	return txn_add_blob_buf(t, s, n, digest);
}

int image_stage_manifest(struct txn *t, const char *config_digest, long long config_size,
			 json_object *layers, const char *name)
{
	char mdigest[DIGEST_LEN];
	size_t mlen;
	json_object *m = json_object_new_object();
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(MT_MANIFEST));
	json_object_object_add(m, "config", layer_desc_new(MT_CONFIG, config_digest, config_size));
	json_object_object_add(m, "layers", json_object_get(layers));
	int rc = add_json_blob(t, m, mdigest, &mlen);
	json_object_put(m);
	if (rc == 0)
		store_add_image(t->s, mdigest, config_digest, name);
	return rc;
}

int image_commit(struct txn *t, json_object *cfg, json_object *layers, const char *name,
		 char config_digest[DIGEST_LEN])
{
	size_t clen;
	if (add_json_blob(t, cfg, config_digest, &clen) < 0)
		return -1;
	if (image_stage_manifest(t, config_digest, (long long)clen, layers, name) < 0)
		return -1;
	return txn_commit(t);
}
