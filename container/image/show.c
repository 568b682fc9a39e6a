/* `container image ls | inspect | history`: what the store holds, and what it shares. */
#include "config.h"
#include "verbs.h"
#include "store.h"
#include "../util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void human_size(long long b, char *out, size_t len)
{
	if (b >= 10LL << 20)
		snprintf(out, len, "%.1fMB", (double)b / 1e6);
	else if (b >= 10LL << 10)
		snprintf(out, len, "%.1fkB", (double)b / 1e3);
	else
		snprintf(out, len, "%lldB", b);
}

/* A build's intermediate steps (its cache) count and show only when named, as in docker. */
static bool listed(json_object *e)
{
	json_object *names;
	return !json_object_object_get_ex(e, "build_cache", NULL) ||
	       (json_object_object_get_ex(e, "names", &names) && json_object_array_length(names));
}

/* How many images use each layer (by diffID), and each layer's size, in one object. */
static json_object *layer_usage(const struct store *s)
{
	json_object *use = json_object_new_object(), *imgs = store_images(s);
	for (size_t i = 0; i < json_object_array_length(imgs); i++) {
		json_object *names, *e = json_object_array_get_idx(imgs, i);
		struct image img;
		if (!listed(e))
			continue;
		json_object_object_get_ex(e, "manifest", &names);
		if (image_open(s, json_object_get_string(names), &img) < 0)
			continue;
		for (size_t l = 0; l < image_nlayers(&img); l++) {
			const char *d = image_diff_id(&img, l);
			json_object *n;
			if (json_object_object_get_ex(use, d, &n))
				json_object_set_int64(n, json_object_get_int64(n) + 1);
			else
				json_object_object_add(use, d, json_object_new_int64(1));
		}
		image_close(&img);
	}
	return use;
}

static void ls_one(const struct store *s, json_object *entry, json_object *use, long long *total,
		   long long *unshared)
{
	struct image img;
	json_object *v;
	json_object_object_get_ex(entry, "manifest", &v);
	if (image_open(s, json_object_get_string(v), &img) < 0)
		return;
	long long size = 0, shared = 0;
	for (size_t l = 0; l < image_nlayers(&img); l++) {
		char *p = store_layer_path(s, image_diff_id(&img, l));
		long long b = tree_bytes(p);
		free(p);
		size += b;
		json_object_object_get_ex(use, image_diff_id(&img, l), &v);
		if (json_object_get_int64(v) > 1)
			shared += b;
		else
			*total += b;
	}
	*unshared += size;
	char sz[32], sh[32];
	human_size(size, sz, sizeof(sz));
	human_size(shared, sh, sizeof(sh));
	json_object *names;
	json_object_object_get_ex(entry, "names", &names);
	size_t n = json_object_array_length(names);
	for (size_t i = 0; i < (n ? n : 1); i++) {
		char *name = xstrdup(n ? json_object_get_string(json_object_array_get_idx(names, i))
				       : "<none>:<none>");
		char *colon = strrchr(name, ':');
		*colon = '\0';
		printf("%-30s %-10s %.12s %6zu %10s %10s\n", name, colon + 1,
		       digest_hex(img.config_digest), image_nlayers(&img), sz, sh);
		free(name);
	}
	image_close(&img);
}

int image_ls(struct store *s)
{
	json_object *use = layer_usage(s), *imgs = store_images(s);
	long long total = 0, unshared = 0;
	printf("%-30s %-10s %-12s %6s %10s %10s\n", "REPOSITORY", "TAG", "IMAGE ID", "LAYERS",
	       "SIZE", "SHARED");
	for (size_t i = 0; i < json_object_array_length(imgs); i++) {
		json_object *e = json_object_array_get_idx(imgs, i);
		if (listed(e))
			ls_one(s, e, use, &total, &unshared);
	}
	/* Shared layers once: what the store holds, beside the sum of the image sizes. */
	json_object_object_foreach(use, diff_id, count)
	{
		if (json_object_get_int64(count) < 2)
			continue;
		char *p = store_layer_path(s, diff_id);
		total += tree_bytes(p);
		free(p);
	}
	char t[32], u[32];
	human_size(total, t, sizeof(t));
	human_size(unshared, u, sizeof(u));
	printf("layers on disk: %s (the images' sizes add up to %s)\n", t, u);
	json_object_put(use);
	return 0;
}

int image_inspect(struct store *s, const char *ref)
{
	struct image img;
	if (image_open(s, ref, &img) < 0)
		return 1;
	json_object *o = json_object_new_object(), *v, *dirs = json_object_new_array();
	json_object_object_add(o, "Id", json_object_new_string(img.config_digest));
	json_object_object_get_ex(img.entry, "names", &v);
	json_object_object_add(o, "RepoTags", json_object_get(v));
	json_object_object_add(o, "Digest", json_object_new_string(img.manifest_digest));
	json_object_object_add(o, "Manifest", json_object_get(img.manifest));
	const char *keys[] = {"created", "architecture", "os", "config", "rootfs", "history"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(img.config, keys[i], &v))
			json_object_object_add(o, keys[i], json_object_get(v));
	for (size_t l = 0; l < image_nlayers(&img); l++) {
		char *p = store_layer_path(s, image_diff_id(&img, l));
		json_object_array_add(dirs, json_object_new_string(p));
		free(p);
	}
	json_object_object_add(o, "LayerDirs", dirs);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	image_close(&img);
	return 0;
}

int image_history(struct store *s, const char *ref)
{
	struct image img;
	if (image_open(s, ref, &img) < 0)
		return 1;
	json_object *hist = NULL;
	json_object_object_get_ex(img.config, "history", &hist);
	size_t n = hist ? json_object_array_length(hist) : 0;
	/* The non-empty history entries are the layers, in order. */
	long long *sizes = xrealloc(NULL, (n + 1) * sizeof(*sizes));
	size_t layer = 0, nonempty = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *v;
		if (!json_object_object_get_ex(json_object_array_get_idx(hist, i), "empty_layer",
					       &v) ||
		    !json_object_get_boolean(v))
			nonempty++;
	}
	/* A history shorter than the layers (hand-made images) describes the top ones. */
	if (nonempty < image_nlayers(&img))
		layer = image_nlayers(&img) - nonempty;
	for (size_t i = 0; i < n; i++) {
		json_object *h = json_object_array_get_idx(hist, i), *v;
		bool empty =
		    json_object_object_get_ex(h, "empty_layer", &v) && json_object_get_boolean(v);
		sizes[i] = 0;
		if (!empty && layer < image_nlayers(&img)) {
			char *p = store_layer_path(s, image_diff_id(&img, layer++));
			sizes[i] = tree_bytes(p);
			free(p);
		}
	}
	printf("%-22s %-60s %10s\n", "CREATED", "CREATED BY", "SIZE");
	for (size_t i = n; i-- > 0;) {
		json_object *h = json_object_array_get_idx(hist, i), *c = NULL, *b = NULL;
		json_object_object_get_ex(h, "created", &c);
		json_object_object_get_ex(h, "created_by", &b);
		char sz[32];
		human_size(sizes[i], sz, sizeof(sz));
		printf("%-22s %-60.60s %10s\n", c ? json_object_get_string(c) : "",
		       b ? json_object_get_string(b) : "", sz);
	}
	free(sizes);
	image_close(&img);
	return 0;
}
