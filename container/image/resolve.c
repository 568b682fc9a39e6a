/* `container run IMAGE`: an image's layers and config turned into run options. */
#include "config.h"
#include "image.h"
#include "../options.h"
#include "../util.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Everything image_apply_to_run allocates, freed together with the run options. */
struct image_run {
	char **owned;
	size_t nowned;
	char **argv;
	char *store_root;
	char manifest[DIGEST_LEN];
	size_t nlayers;
};

static char *keep(struct image_run *r, char *s)
{
	r->owned = xrealloc(r->owned, (r->nowned + 1) * sizeof(*r->owned));
	return r->owned[r->nowned++] = s;
}

void image_run_free(void *p)
{
	struct image_run *r = p;
	if (!r)
		return;
	for (size_t i = 0; i < r->nowned; i++)
		free(r->owned[i]);
	free(r->owned);
	free(r->argv);
	free(r->store_root);
	free(r);
}

static size_t str_array_len(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static const char *str_at(json_object *a, size_t i)
{
	const char *s = json_object_get_string(json_object_array_get_idx(a, i));
	return s ? s : "";
}

/* ENTRYPOINT + (the command given, or CMD), as docker; unchanged when both are empty. */
static void apply_command(struct image_run *r, const struct image *img, struct run_opts *o)
{
	json_object *ep = image_cfg(img, "Entrypoint"), *cmd = image_cfg(img, "Cmd");
	if (o->entrypoint) {
		/* --entrypoint replaces the image's and, as in docker, its Cmd too. */
		ep = json_object_new_array();
		if (*o->entrypoint)
			json_object_array_add(ep, json_object_new_string(o->entrypoint));
		cmd = NULL;
	}
	size_t nep = str_array_len(ep), ncmd = str_array_len(cmd), ngiven = 0;
	if (o->cmd_given)
		while (o->argv[ngiven])
			ngiven++;
	size_t n = nep + (o->cmd_given ? ngiven : ncmd);
	if (n == 0 || (!nep && o->cmd_given)) {
		if (o->entrypoint)
			json_object_put(ep);
		return;
	}
	r->argv = xrealloc(NULL, (n + 1) * sizeof(*r->argv));
	size_t k = 0;
	for (size_t i = 0; i < nep; i++)
		r->argv[k++] = keep(r, xstrdup(str_at(ep, i)));
	for (size_t i = 0; i < (o->cmd_given ? ngiven : ncmd); i++)
		r->argv[k++] = o->cmd_given ? o->argv[i] : keep(r, xstrdup(str_at(cmd, i)));
	r->argv[k] = NULL;
	o->argv = r->argv;
	if (o->entrypoint)
		json_object_put(ep);
}

/* The image's Env first, so a -e of the same key (applied later) wins. */
static void apply_env(struct image_run *r, const struct image *img, struct run_opts *o)
{
	json_object *env = image_cfg(img, "Env");
	size_t n = str_array_len(env);
	if (!n)
		return;
	o->env = xrealloc(o->env, (o->nenv + n) * sizeof(*o->env));
	memmove(o->env + n, o->env, o->nenv * sizeof(*o->env));
	for (size_t i = 0; i < n; i++)
		o->env[i] = keep(r, xstrdup(str_at(env, i)));
	o->nenv += n;
}

/* USER by name: look it up in the image's own /etc/passwd (the topmost layer that has one). */
static int lookup_user(char **dirs, size_t n, const char *user, struct run_opts *o)
{
	if (strspn(user, "0123456789:") == strlen(user))
		return parse_user(user, &o->uid, &o->gid);
	for (size_t i = n; i-- > 0;) {
		char *p = xasprintf("%s/etc/passwd", dirs[i]);
		FILE *f = fopen(p, "re");
		free(p);
		if (!f)
			continue;
		struct passwd *pw;
		while ((pw = fgetpwent(f)))
			if (!strcmp(pw->pw_name, user)) {
				o->uid = pw->pw_uid;
				o->gid = pw->pw_gid;
				fclose(f);
				return 0;
			}
		fclose(f);
		break;
	}
	return err_ret("image user '%s' is not in the image's /etc/passwd", user);
}

static int apply_image(struct image_run *r, const struct store *s, const struct image *img,
		       struct run_opts *o)
{
	size_t n = image_nlayers(img);
	if (n == 0)
		return err_ret("image %s has no layers to run", o->rootfs);
	char **dirs = xrealloc(NULL, n * sizeof(*dirs));
	for (size_t i = 0; i < n; i++)
		dirs[i] = keep(r, store_layer_path(s, image_diff_id(img, i)));
	/* The bottom layer is the rootfs; the others go below any --layer, in order. */
	o->rootfs = dirs[0];
	o->layers = xrealloc(o->layers, (o->nlayers + n - 1) * sizeof(*o->layers));
	memmove(o->layers + n - 1, o->layers, o->nlayers * sizeof(*o->layers));
	for (size_t i = 1; i < n; i++)
		o->layers[i - 1] = dirs[i];
	o->nlayers += n - 1;
	apply_env(r, img, o);
	apply_command(r, img, o);
	json_object *wd = image_cfg(img, "WorkingDir"), *user = image_cfg(img, "User");
	int rc = 0;
	if (!o->workdir && wd && *json_object_get_string(wd)) {
		o->workdir = keep(r, xstrdup(json_object_get_string(wd)));
		if (!safe_ctr_path(o->workdir))
			rc = err_ret("image WorkingDir '%s' is not an absolute path", o->workdir);
	}
	if (rc == 0 && !o->user_given && user && *json_object_get_string(user))
		rc = lookup_user(dirs, n, json_object_get_string(user), o);
	free(dirs);
	return rc;
}

int image_apply_to_run(struct run_opts *o)
{
	struct stat st;
	/* A directory (or something that is no image name) stays a rootfs path. */
	if (stat(o->rootfs, &st) == 0 || o->rootfs[0] == '/' || o->rootfs[0] == '.')
		return 0;
	struct store s;
	struct image img;
	int rc = store_open_shared(&s, NULL);
	if (rc == 0 && !store_find(&s, o->rootfs))
		rc = err_ret("no such image or rootfs directory: %s", o->rootfs);
	if (rc == 0)
		rc = image_open(&s, o->rootfs, &img);
	if (rc == 0) {
		struct image_run *r = xrealloc(NULL, sizeof(*r));
		*r = (struct image_run){0};
		o->image = r;
		r->store_root = xstrdup(s.root);
		snprintf(r->manifest, sizeof(r->manifest), "%s", img.manifest_digest);
		r->nlayers = image_nlayers(&img);
		rc = apply_image(r, &s, &img, o);
		image_close(&img);
	}
	store_close(&s);
	return rc;
}

int image_note_container(const struct run_opts *o, const char *state_dir)
{
	const struct image_run *r = o->image;
	if (!r)
		return 0;
	json_object *note = json_object_new_object();
	json_object_object_add(note, "store", json_object_new_string(r->store_root));
	json_object_object_add(note, "manifest", json_object_new_string(r->manifest));
	json_object_object_add(note, "image_layers", json_object_new_int64((int64_t)r->nlayers));
	char *path = xasprintf("%s/image.json", state_dir);
	int rc = json_object_to_file_ext(path, note, JSON_C_TO_STRING_PLAIN);
	if (rc < 0)
		err_ret("cannot write %s", path);
	free(path);
	json_object_put(note);
	return rc < 0 ? -1 : 0;
}
