/*
 * The image store, on disk (images outlive /run):
 *   ROOT/blobs/sha256/HEX   content-addressed blobs: layer tars as given, configs, manifests
 *   ROOT/layers/HEX         each layer unpacked once, named by its diffID (overlay lower dir)
 *   ROOT/images.json        the images: manifest digest, config digest, names
 *   ROOT/tmp/               staging: what a command adds lands here first (see txn)
 * ROOT is $ISOLAB_IMAGE_ROOT, else /var/lib/isolab/images for root and
 * ~/.local/share/isolab/images otherwise. One command at a time holds ROOT/lock.
 */
#ifndef CONTAINER_IMAGE_STORE_H
#define CONTAINER_IMAGE_STORE_H

#include "digest.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct store {
	char *root;
	int lock_fd;
	json_object *index; /* {"images": [{"manifest", "config", "names": [...]}]} */
};

/* Open (creating) the store and take its lock; root NULL: the default place. */
int store_open(struct store *s, const char *root);
/* The same for a reader (run IMAGE): readers share the lock, a writer waits for them. */
int store_open_shared(struct store *s, const char *root);
int store_open_lock(struct store *s, const char *root, int flock_how);
void store_close(struct store *s);
/* Let another command in (a build's RUN runs one), then take the lock and index back;
 * index entries held before are gone then. */
void store_unlock(struct store *s);
int store_relock(struct store *s);
char *store_blob_path(const struct store *s, const char *digest);
char *store_layer_path(const struct store *s, const char *diff_id);
bool store_has_blob(const struct store *s, const char *digest);
bool store_has_layer(const struct store *s, const char *diff_id);
/* A blob's bytes, checked against its digest; NULL after a one-line error. */
char *store_read_blob(const struct store *s, const char *digest, size_t *len);
int store_save_index(struct store *s);
/* The index's array of images. */
json_object *store_images(const struct store *s);
/* The images array entry for NAME[:TAG], a full or short image ID, or a manifest digest. */
json_object *store_find(const struct store *s, const char *ref);
/* Add (or re-tag) an image; a name moves from the image that had it. */
void store_add_image(struct store *s, const char *manifest, const char *config, const char *name);
/* NAME[:TAG] with the default tag "latest": a malloc'ed "name:tag". */
char *normalize_ref(const char *ref);
bool valid_ref(const char *ref);
/* Disk blocks used under path, in bytes (a hard link counts again, unlike du). */
long long tree_bytes(const char *path);
/* Remove blobs and layers no image refers to; returns the bytes freed. */
long long store_gc(struct store *s);

/*
 * A transaction: new blobs and layers go into a private staging directory and are renamed
 * into the store only by txn_commit, after every check passed; txn_abort deletes them, so a
 * bad input leaves the store as it was.
 */
struct txn {
	struct store *s;
	char *dir;
	int nlayers;
};

int txn_begin(struct txn *t, struct store *s);
/* Where a blob is: staged or already in the store (malloc'ed path). */
char *txn_blob_path(const struct txn *t, const char *digest);
/* Copy a file in as a blob; expect (or NULL) is the digest it must have. */
int txn_add_blob_file(struct txn *t, const char *src, const char *expect, char digest[DIGEST_LEN],
		      long long *size);
int txn_add_blob_buf(struct txn *t, const char *buf, size_t len, char digest[DIGEST_LEN]);
/* Unpack a layer blob (unless that diffID is in the store); expect_diff_id may be NULL. */
int txn_add_layer(struct txn *t, const char *blob_digest, const char *expect_diff_id,
		  char diff_id[DIGEST_LEN]);
int txn_commit(struct txn *t);
void txn_abort(struct txn *t);

#endif
