/* What the rest of the runtime sees of images: the `container image` verbs and the run hook. */
#ifndef CONTAINER_IMAGE_IMAGE_H
#define CONTAINER_IMAGE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

struct store;
struct run_opts;

/* `container image VERB ...` (argv[0] is "image"); returns the exit status. */
int cmd_image(int argc, char **argv);

int image_import(struct store *s, const char *src, const char *ref);
int image_load(struct store *s, const char *src, const char *ref);
int image_save(struct store *s, const char *ref, const char *dir);
int image_export_disk(struct store *s, const char *ref, const char *file);

/*
 * `container run IMAGE`: when o->rootfs names no directory but an image, its layers become
 * the rootfs and the lower layers (bottom first, before any --layer), and its config gives
 * the defaults -e, -w, -u and the command (ENTRYPOINT + CMD, or ENTRYPOINT + the command
 * given) have not set. 0 (also when o->rootfs is a directory), or -1 after an error.
 * What it allocates is owned by o->image (freed by image_run_free).
 */
int image_apply_to_run(struct run_opts *o);
void image_run_free(void *image_run);
/* Record in the container's state directory which image (and store) it runs, for commit. */
int image_note_container(const struct run_opts *o, const char *state_dir);

/* `container commit NAME IMAGE[:TAG]` and `container diff NAME` (argv[0] is the verb). */
int cmd_commit(int argc, char **argv);
int cmd_diff(int argc, char **argv);
/* `container build [-f Containerfile] -t NAME[:TAG] DIR` (argv[0] is "build"). */
int cmd_build(int argc, char **argv);

#endif
