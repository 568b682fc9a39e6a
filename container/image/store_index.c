/* The index of images (names, IDs) and the garbage collection of what no image uses. */
#include "store.h"
#include "../util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

json_object *store_images(const struct store *s)
{
	json_object *a = NULL;
	json_object_object_get_ex(s->index, "images", &a);
	return a;
}

static const char *str_field(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

bool valid_ref(const char *ref)
{
	size_t len = strlen(ref);
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
	if (len == 0 || len > 200 || strstr(ref, "..") || strstr(ref, "//") || ref[0] == '/' ||
	    ref[0] == '-' || ref[0] == ':' || ref[len - 1] == '/' || ref[len - 1] == ':')
		return false;
	size_t name_len = colon && (!slash || colon > slash) ? (size_t)(colon - ref) : len;
	if (strspn(ref, "abcdefghijklmnopqrstuvwxyz0123456789._-/") < name_len)
		return false;
	const char *tag = ref + name_len;
	return !*tag || strspn(tag + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"0123456789._-") == strlen(tag + 1);
}

char *normalize_ref(const char *ref)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
	if (colon && (!slash || colon > slash))
		return xstrdup(ref);
	return xasprintf("%s:latest", ref);
}

static bool has_name(json_object *img, const char *name)
{
	json_object *names;
	if (!json_object_object_get_ex(img, "names", &names))
		return false;
	for (size_t i = 0; i < json_object_array_length(names); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(names, i)), name))
			return true;
	return false;
}

json_object *store_find(const struct store *s, const char *ref)
{
	json_object *imgs = store_images(s);
	size_t n = json_object_array_length(imgs);
	if (valid_ref(ref)) {
		char *name = normalize_ref(ref);
		for (size_t i = 0; i < n; i++) {
			json_object *img = json_object_array_get_idx(imgs, i);
			if (has_name(img, name)) {
				free(name);
				return img;
			}
		}
		free(name);
	}
	/* An ID: the config digest (or the manifest's), whole or a unique prefix of 4+. */
	const char *hex = digest_hex(ref);
	size_t hlen = strlen(hex);
	if (hlen < 4 || hlen > 64 || strspn(hex, "0123456789abcdef") != hlen)
		return NULL;
	json_object *found = NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *img = json_object_array_get_idx(imgs, i);
		const char *c = digest_hex(str_field(img, "config"));
		const char *m = digest_hex(str_field(img, "manifest"));
		if (!strncmp(c, hex, hlen) || !strncmp(m, hex, hlen)) {
			/* Ambiguous, unless both are one config (a manifest re-made on load). */
			if (found && strcmp(str_field(found, "config"), str_field(img, "config")))
				return NULL;
			if (found)
				continue;
			found = img;
		}
	}
	return found;
}

static void drop_name(json_object *img, const char *name)
{
	json_object *names;
	if (!json_object_object_get_ex(img, "names", &names))
		return;
	for (size_t i = json_object_array_length(names); i-- > 0;)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(names, i)), name))
			json_object_array_del_idx(names, i, 1);
}

void store_add_image(struct store *s, const char *manifest, const char *config, const char *name)
{
	json_object *imgs = store_images(s), *mine = NULL;
	for (size_t i = 0; i < json_object_array_length(imgs); i++) {
		json_object *img = json_object_array_get_idx(imgs, i);
		if (!strcmp(str_field(img, "manifest"), manifest))
			mine = img;
		else if (name)
			drop_name(img, name); /* that image may be left dangling (<none>) */
	}
	if (!mine) {
		mine = json_object_new_object();
		json_object_object_add(mine, "manifest", json_object_new_string(manifest));
		json_object_object_add(mine, "config", json_object_new_string(config));
		json_object_object_add(mine, "names", json_object_new_array());
		json_object_array_add(imgs, mine);
	}
	json_object *names;
	json_object_object_get_ex(mine, "names", &names);
	if (name && !has_name(mine, name))
		json_object_array_add(names, json_object_new_string(name));
}

/* Collect the digests one image keeps alive (manifest, config, layer blobs, diffIDs). */
static void mark_image(const struct store *s, json_object *img, json_object *keep)
{
	const char *m = str_field(img, "manifest");
	json_object_object_add(keep, digest_hex(m), NULL);
	size_t len;
	char *buf = store_read_blob(s, m, &len);
	json_object *man = buf ? json_tokener_parse(buf) : NULL, *cfg = NULL, *v, *arr;
	free(buf);
	if (json_object_object_get_ex(man, "config", &v)) {
		const char *c = str_field(v, "digest");
		json_object_object_add(keep, digest_hex(c), NULL);
		buf = store_read_blob(s, c, &len);
		cfg = buf ? json_tokener_parse(buf) : NULL;
		free(buf);
	}
	if (json_object_object_get_ex(man, "layers", &arr))
		for (size_t i = 0; i < json_object_array_length(arr); i++)
			json_object_object_add(
			    keep,
			    digest_hex(str_field(json_object_array_get_idx(arr, i), "digest")),
			    NULL);
	if (json_object_object_get_ex(cfg, "rootfs", &v) &&
	    json_object_object_get_ex(v, "diff_ids", &arr))
		for (size_t i = 0; i < json_object_array_length(arr); i++)
			json_object_object_add(
			    keep,
			    digest_hex(json_object_get_string(json_object_array_get_idx(arr, i))),
			    NULL);
	json_object_put(man);
	json_object_put(cfg);
}

static long long sweep(const char *dir, json_object *keep)
{
	DIR *d = opendir(dir);
	long long freed = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || json_object_object_get_ex(keep, e->d_name, NULL))
			continue;
		char *p = xasprintf("%s/%s", dir, e->d_name);
		freed += tree_bytes(p);
		if (remove_tree(p) < 0)
			warnx_ctr("cannot remove %s: %s", p, strerror(errno));
		free(p);
	}
	if (d)
		closedir(d);
	return freed;
}

long long store_gc(struct store *s)
{
	json_object *keep = json_object_new_object();
	json_object *imgs = store_images(s);
	for (size_t i = 0; i < json_object_array_length(imgs); i++)
		mark_image(s, json_object_array_get_idx(imgs, i), keep);
	char *blobs = xasprintf("%s/blobs/sha256", s->root);
	char *layers = xasprintf("%s/layers", s->root);
	long long freed = sweep(blobs, keep) + sweep(layers, keep);
	free(blobs);
	free(layers);
	json_object_put(keep);
	return freed;
}
