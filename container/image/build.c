/*
 * `container build -f Containerfile -t NAME[:TAG] DIR`. Each step makes an image (layer-less
 * for config steps) recorded with a cache key: the parent's key + the instruction (+ for
 * COPY/ADD the digest of what it copies). A step whose key is in the store is reused
 * ("cached"); a changed step gets a new key, and so does every step after it.
 */
#include "build.h"
#include "derive.h"
#include "image.h"
#include "../util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void chain_key(struct build *b, const char *text, const char *extra)
{
	char *s = xasprintf("%s\n%s\n%s", b->key, text, extra ? extra : "");
	sha256_buf(s, strlen(s), b->key);
	free(s);
}

static json_object *find_cached(const struct store *s, const char *key)
{
	json_object *imgs = store_images(s), *v;
	for (size_t i = 0; i < json_object_array_length(imgs); i++) {
		json_object *e = json_object_array_get_idx(imgs, i);
		if (json_object_object_get_ex(e, "build_cache", &v) &&
		    !strcmp(json_object_get_string(v), key))
			return e;
	}
	return NULL;
}

/* Logical lines: '\' continues, '#' at the start comments. */
static struct instruction *parse_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		err_ret("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	struct instruction *ins = NULL;
	char *line = NULL, *acc = NULL;
	size_t cap = 0;
	int lineno = 0, start = 0;
	*n = 0;
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		char *p = line + strspn(line, " \t");
		if (!acc && (*p == '#' || !*p))
			continue;
		size_t len = strlen(p);
		bool more = len && p[len - 1] == '\\';
		if (more)
			p[--len] = '\0';
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			p[--len] = '\0';
		char *joined = acc ? xasprintf("%s %s", acc, p) : xstrdup(p);
		free(acc);
		acc = joined;
		if (!start)
			start = lineno;
		if (more)
			continue;
		char *kw = acc, *args = acc + strcspn(acc, " \t");
		if (*args)
			*args++ = '\0';
		args += strspn(args, " \t");
		for (char *c = kw; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		ins = xrealloc(ins, (*n + 1) * sizeof(*ins));
		ins[(*n)++] = (struct instruction){xstrdup(kw), xstrdup(args), start};
		free(acc);
		acc = NULL;
		start = 0;
	}
	free(acc);
	free(line);
	fclose(f);
	return ins;
}

static int step_from(struct build *b, struct store *s, const struct instruction *in)
{
	if (!strcmp(in->args, "scratch")) {
		b->image[0] = '\0';
		b->key[0] = '\0';
		chain_key(b, "FROM scratch", NULL);
		return 0;
	}
	struct image img;
	if (image_open(s, in->args, &img) < 0)
		return -1;
	snprintf(b->image, sizeof(b->image), "%s", img.config_digest);
	b->key[0] = '\0';
	chain_key(b, "FROM", img.manifest_digest);
	image_close(&img);
	return 0;
}

/* The layer (if any) a step adds, made before the cache check when it is what the key hashes. */
static int step_layer(const struct build *b, struct store *s, json_object *cfg,
		      const struct instruction *in, const char *tar)
{
	if (!strcmp(in->keyword, "COPY") || !strcmp(in->keyword, "ADD"))
		return build_copy_tar(b, cfg, in, tar);
	return build_run(b, s, in, tar);
}

static int step(struct build *b, struct store *s, const struct instruction *in)
{
	bool config_only = build_is_config_step(in->keyword);
	bool copy = !strcmp(in->keyword, "COPY") || !strcmp(in->keyword, "ADD");
	if (!config_only && !copy && strcmp(in->keyword, "RUN"))
		return err_ret("line %d: unknown instruction %s", in->line, in->keyword);
	if (!b->image[0] && !strcmp(in->keyword, "RUN"))
		return err_ret("line %d: RUN needs an image (FROM scratch has no shell)", in->line);
	struct image base;
	bool have_base = b->image[0] && image_open(s, digest_hex(b->image), &base) == 0;
	if (b->image[0] && !have_base)
		return -1;
	json_object *cfg = config_new(have_base ? &base : NULL);
	char *text = xasprintf("%s %s", in->keyword, in->args), *tar = NULL, id[DIGEST_LEN];
	int rc = 0;
	if (copy) {
		tar = store_temp_file(s, "copy");
		rc = tar ? step_layer(b, s, cfg, in, tar) : -1;
		char digest[DIGEST_LEN];
		if (rc == 0 && sha256_file(tar, digest, NULL) < 0)
			rc = err_ret("cannot read %s: %s", tar, strerror(errno));
		if (rc == 0)
			chain_key(b, text, digest);
	} else {
		chain_key(b, text, NULL);
	}
	json_object *hit = rc == 0 ? find_cached(s, b->key) : NULL, *v;
	if (hit && json_object_object_get_ex(hit, "config", &v)) {
		snprintf(b->image, sizeof(b->image), "%s", json_object_get_string(v));
		printf(" cached %.12s\n", digest_hex(b->image));
	} else if (rc == 0) {
		if (config_only)
			rc = build_edit_config(cfg, in);
		else if (!copy && (tar = store_temp_file(s, "run")))
			rc = step_layer(b, s, cfg, in, tar);
		else if (!copy)
			rc = -1;
		config_add_history(cfg, text, config_only);
		if (rc == 0)
			rc = image_derive(s, have_base ? &base : NULL, cfg,
					  config_only ? NULL : tar, NULL, b->key, id);
		if (rc == 0) {
			snprintf(b->image, sizeof(b->image), "%s", id);
			printf(" -> %.12s\n", digest_hex(id));
		}
	}
	if (tar)
		unlink(tar);
	free(tar);
	free(text);
	json_object_put(cfg);
	if (have_base)
		image_close(&base);
	return rc;
}

static int build_all(struct build *b, struct store *s, struct instruction *ins, size_t n,
		     const char *name)
{
	if (n == 0 || strcmp(ins[0].keyword, "FROM"))
		return err_ret("the Containerfile must start with FROM");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		printf("STEP %zu/%zu: %s %s\n", i + 1, n, ins[i].keyword, ins[i].args);
		fflush(stdout);
		b->step = (int)i + 1;
		rc = !strcmp(ins[i].keyword, "FROM") ? step_from(b, s, &ins[i])
						     : step(b, s, &ins[i]);
	}
	if (rc == 0 && !b->image[0])
		rc = err_ret("nothing to build: FROM scratch and no layer");
	json_object *e = rc == 0 ? store_find(s, digest_hex(b->image)) : NULL, *m;
	if (rc == 0 && e && json_object_object_get_ex(e, "manifest", &m)) {
		char *manifest = xstrdup(json_object_get_string(m));
		store_add_image(s, manifest, b->image, name);
		free(manifest);
		rc = store_save_index(s);
		if (rc == 0)
			printf("built: %s %s\n", name, b->image);
	}
	return rc;
}

int cmd_build(int argc, char **argv)
{
	const char *file = NULL, *tag = NULL, *dir = NULL;
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-f") || !strcmp(argv[i], "--file")) && i + 1 < argc)
			file = argv[++i];
		else if ((!strcmp(argv[i], "-t") || !strcmp(argv[i], "--tag")) && i + 1 < argc)
			tag = argv[++i];
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			return err_ret(
				   "usage: container build [-f Containerfile] -t NAME[:TAG] DIR"),
			       2;
	}
	if (!dir || !tag)
		return err_ret("usage: container build [-f Containerfile] -t NAME[:TAG] DIR"), 2;
	if (!valid_ref(tag))
		return err_ret("bad image name '%s' (lowercase NAME[:TAG])", tag), 1;
	struct build b = {.context = realpath(dir, NULL)};
	if (!b.context)
		return err_ret("build context %s: %s", dir, strerror(errno)), 1;
	char *path = file ? xstrdup(file) : xasprintf("%s/Containerfile", b.context);
	size_t n = 0;
	struct instruction *ins = parse_file(path, &n);
	struct store s;
	int rc = ins || n == 0 ? store_open(&s, NULL) : -1;
	if (rc == 0) {
		char *name = normalize_ref(tag);
		rc = build_all(&b, &s, ins, n, name);
		free(name);
		store_close(&s);
	}
	for (size_t i = 0; i < n; i++) {
		free(ins[i].keyword);
		free(ins[i].args);
	}
	free(ins);
	free(path);
	free(b.context);
	return rc < 0 ? 1 : 0;
}
