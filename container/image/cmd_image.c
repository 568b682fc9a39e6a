/* `container image ...`: option parsing, dispatch, rm and prune. */
#include "config.h"
#include "image.h"
#include "verbs.h"
#include "../state.h"
#include "../util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: container image [--root DIR] VERB ...\n"
    "  import TAR|DIR NAME[:TAG]    one layer from a tar (plain, gzip, zstd) or a directory\n"
    "  load DIR|TAR [NAME[:TAG]]    an OCI image layout or a docker-archive\n"
    "  save IMAGE DIR               an OCI image layout (skopeo oci:DIR, podman load)\n"
    "  ls | inspect IMAGE | history IMAGE | rm IMAGE... | prune\n"
    "  export-disk IMAGE FILE       the flattened image as an ext4 disk for vmm\n";

static void print_freed(long long freed)
{
	char sz[32];
	human_size(freed, sz, sizeof(sz));
	printf("reclaimed: %s\n", sz);
}

/* Untag NAME (or, given an ID, drop the image); the image goes with its last name. */
static int remove_one(struct store *s, const char *ref)
{
	json_object *img = store_find(s, ref), *names, *imgs = store_images(s);
	if (!img)
		return err_ret("no such image: %s", ref);
	json_object_object_get_ex(img, "names", &names);
	char *name = valid_ref(ref) ? normalize_ref(ref) : NULL;
	for (size_t i = json_object_array_length(names); name && i-- > 0;)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(names, i)), name)) {
			json_object_array_del_idx(names, i, 1);
			printf("untagged: %s\n", name);
		}
	free(name);
	if (json_object_array_length(names) && store_find(s, ref) != img)
		return 0; /* other names keep it */
	json_object *c;
	json_object_object_get_ex(img, "config", &c);
	printf("deleted: %s\n", json_object_get_string(c));
	for (size_t i = 0; i < json_object_array_length(imgs); i++)
		if (json_object_array_get_idx(imgs, i) == img) {
			json_object_array_del_idx(imgs, i, 1);
			break;
		}
	return 0;
}

/* The container (of this store) that runs the image, if any: its layers must stay. */
static char *user_of(const struct store *s, json_object *img)
{
	char *base = xasprintf("%s/containers", state_base());
	DIR *d = opendir(base);
	struct dirent *e;
	char *found = NULL;
	json_object *m;
	json_object_object_get_ex(img, "manifest", &m);
	while (d && !found && (e = readdir(d))) {
		char *p = xasprintf("%s/%s/image.json", base, e->d_name);
		json_object *note = e->d_name[0] == '.' ? NULL : json_object_from_file(p);
		json_object *nm, *ns;
		if (json_object_object_get_ex(note, "manifest", &nm) &&
		    json_object_object_get_ex(note, "store", &ns) &&
		    !strcmp(json_object_get_string(nm), json_object_get_string(m)) &&
		    !strcmp(json_object_get_string(ns), s->root))
			found = xstrdup(e->d_name);
		json_object_put(note);
		free(p);
	}
	if (d)
		closedir(d);
	free(base);
	return found;
}

static int image_rm(struct store *s, int argc, char **argv)
{
	if (argc < 1)
		return err_ret("rm: which image?"), 2;
	/* All names checked first: a bad one leaves the store as it was. */
	for (int i = 0; i < argc; i++) {
		json_object *img = store_find(s, argv[i]);
		if (!img)
			return err_ret("no such image: %s", argv[i]), 1;
		json_object *names;
		json_object_object_get_ex(img, "names", &names);
		bool untag_only = valid_ref(argv[i]) && json_object_array_length(names) > 1;
		char *user = untag_only ? NULL : user_of(s, img);
		if (user) {
			err_ret("image %s is used by container %s (container rm it first)", argv[i],
				user);
			free(user);
			return 1;
		}
	}
	for (int i = 0; i < argc; i++)
		remove_one(s, argv[i]);
	if (store_save_index(s) < 0)
		return 1;
	print_freed(store_gc(s));
	return 0;
}

/* Dangling images (every name moved on), unused layers and blobs, stale staging. */
static int image_prune(struct store *s)
{
	json_object *imgs = store_images(s), *names;
	for (size_t i = json_object_array_length(imgs); i-- > 0;) {
		json_object *img = json_object_array_get_idx(imgs, i);
		if (json_object_object_get_ex(img, "names", &names) &&
		    json_object_array_length(names) == 0)
			json_object_array_del_idx(imgs, i, 1);
	}
	if (store_save_index(s) < 0)
		return 1;
	long long freed = store_gc(s);
	char *tmp = xasprintf("%s/tmp", s->root);
	freed += tree_bytes(tmp);
	/* We hold the store's lock: nothing is staging now. */
	remove_tree(tmp);
	mkdir_p(tmp, 0755);
	free(tmp);
	print_freed(freed);
	return 0;
}

static int need_args(int argc, int n, const char *verb)
{
	if (argc == n)
		return 0;
	err_ret("image %s: wrong number of arguments (see container image --help)", verb);
	return -1;
}

static int dispatch(struct store *s, const char *verb, int argc, char **argv)
{
	if (!strcmp(verb, "import"))
		return need_args(argc, 2, verb) < 0 ? 2 : image_import(s, argv[0], argv[1]) ? 1 : 0;
	if (!strcmp(verb, "load"))
		return argc < 1 || argc > 2			       ? need_args(argc, 1, verb), 2
		   : image_load(s, argv[0], argc > 1 ? argv[1] : NULL) ? 1
								       : 0;
	if (!strcmp(verb, "save"))
		return need_args(argc, 2, verb) < 0 ? 2 : image_save(s, argv[0], argv[1]) ? 1 : 0;
	if (!strcmp(verb, "export-disk"))
		return need_args(argc, 2, verb) < 0		? 2
		       : image_export_disk(s, argv[0], argv[1]) ? 1
								: 0;
	if (!strcmp(verb, "ls") || !strcmp(verb, "list"))
		return need_args(argc, 0, verb) < 0 ? 2 : image_ls(s);
	if (!strcmp(verb, "inspect"))
		return need_args(argc, 1, verb) < 0 ? 2 : image_inspect(s, argv[0]);
	if (!strcmp(verb, "history"))
		return need_args(argc, 1, verb) < 0 ? 2 : image_history(s, argv[0]);
	if (!strcmp(verb, "rm"))
		return image_rm(s, argc, argv);
	if (!strcmp(verb, "prune"))
		return need_args(argc, 0, verb) < 0 ? 2 : image_prune(s);
	err_ret("image: unknown verb '%s' (import, load, save, ls, inspect, history, rm, "
		"prune, export-disk)",
		verb);
	return 2;
}

int cmd_image(int argc, char **argv)
{
	int i = 1;
	const char *root = NULL;
	if (i + 1 < argc && !strcmp(argv[i], "--root")) {
		root = argv[i + 1];
		i += 2;
	}
	if (i >= argc || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
		fputs(usage, i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	struct store s;
	int rc = store_open(&s, root) < 0 ? 1 : dispatch(&s, argv[i], argc - i - 1, argv + i + 1);
	store_close(&s);
	return rc;
}
