/*
 * `container commit NAME IMAGE[:TAG]`: the container's writable (upper) layer becomes a new
 * top layer on the image it runs — a tar with OCI whiteouts for what it deleted.
 * `container diff NAME`: what that layer changed, as docker prints it (A, C, D).
 */
#include "config.h"
#include "derive.h"
#include "image.h"
#include "tar_dir.h"
#include "../options.h"
#include "../state.h"
#include "../util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct ctr_layer {
	char *upper;
	struct store s;
	struct image base;
	bool store_open, image_open;
};

static void close_layer(struct ctr_layer *l)
{
	if (l->image_open)
		image_close(&l->base);
	if (l->store_open)
		store_close(&l->s);
	free(l->upper);
}

/* The container's upper directory and the image under it. */
static int open_layer(const char *name, struct ctr_layer *l)
{
	*l = (struct ctr_layer){0};
	if (!valid_name(name))
		return err_ret("bad container name '%s'", name);
	char *dir = state_dir(name);
	char *notep = xasprintf("%s/image.json", dir);
	l->upper = xasprintf("%s/upper", dir);
	int rc = 0;
	json_object *note = NULL, *v;
	if (access(dir, F_OK) < 0)
		rc = err_ret("no such container: %s", name);
	else if (!(note = json_object_from_file(notep)))
		rc = err_ret("container %s runs a rootfs directory, not an image "
			     "(container image import it first)",
			     name);
	else if (access(l->upper, F_OK) < 0)
		rc = err_ret("container %s keeps its writable layer in memory (--rm): nothing "
			     "on disk to commit",
			     name);
	free(dir);
	free(notep);
	if (rc == 0 && json_object_object_get_ex(note, "store", &v))
		rc = store_open(&l->s, json_object_get_string(v));
	l->store_open = rc == 0;
	if (rc == 0 && json_object_object_get_ex(note, "manifest", &v))
		rc = image_open(&l->s, json_object_get_string(v), &l->base);
	l->image_open = l->store_open && rc == 0;
	json_object_put(note);
	return rc;
}

static int commit(struct ctr_layer *l, const char *name, const char *ref)
{
	char id[DIGEST_LEN];
	char *tar = store_temp_file(&l->s, "commit");
	if (!tar)
		return -1;
	int rc = tar_directory(l->upper, tar, true);
	json_object *cfg = config_new(&l->base);
	char *by = xasprintf("container commit %s", name);
	config_add_history(cfg, by, false);
	free(by);
	char *norm = normalize_ref(ref);
	if (rc == 0)
		rc = image_derive(&l->s, &l->base, cfg, tar, norm, NULL, id);
	if (rc == 0)
		printf("%s\n", id);
	unlink(tar);
	free(tar);
	free(norm);
	json_object_put(cfg);
	return rc;
}

int cmd_commit(int argc, char **argv)
{
	if (argc != 3)
		return err_ret("usage: container commit NAME IMAGE[:TAG]"), 2;
	if (!valid_ref(argv[2]))
		return err_ret("bad image name '%s' (lowercase NAME[:TAG])", argv[2]), 1;
	struct ctr_layer l;
	int rc = open_layer(argv[1], &l);
	if (rc == 0)
		rc = commit(&l, argv[1], argv[2]);
	close_layer(&l);
	return rc < 0 ? 1 : 0;
}

/* Is rel in one of the image's layers (top first), not deleted by a layer above it? */
static bool in_image(const struct ctr_layer *l, const char *rel)
{
	for (size_t i = image_nlayers(&l->base); i-- > 0;) {
		char *p = store_layer_path(&l->s, image_diff_id(&l->base, i));
		char *full = xasprintf("%s/%s", p, rel);
		struct stat st;
		int found = lstat(full, &st);
		free(p);
		free(full);
		if (found == 0)
			return !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	}
	return false;
}

static void walk(const struct ctr_layer *l, const char *rel)
{
	char *path = xasprintf("%s%s", l->upper, rel);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *child = xasprintf("%s/%s", rel, e->d_name);
		char *full = xasprintf("%s%s", l->upper, child);
		struct stat st;
		if (lstat(full, &st) == 0) {
			bool whiteout = S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
			printf("%c %s\n",
			       whiteout			? 'D'
			       : in_image(l, child + 1) ? 'C'
							: 'A',
			       child);
			if (S_ISDIR(st.st_mode))
				walk(l, child);
		}
		free(child);
		free(full);
	}
	if (d)
		closedir(d);
	free(path);
}

int cmd_diff(int argc, char **argv)
{
	if (argc != 2)
		return err_ret("usage: container diff NAME"), 2;
	struct ctr_layer l;
	int rc = open_layer(argv[1], &l);
	if (rc == 0)
		walk(&l, "");
	close_layer(&l);
	return rc < 0 ? 1 : 0;
}
