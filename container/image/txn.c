/* Staged additions to the store: nothing is visible until txn_commit renames it in. */
#include "layer.h"
#include "store.h"
#include "../util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int txn_begin(struct txn *t, struct store *s)
{
	*t = (struct txn){.s = s, .dir = xasprintf("%s/tmp/txn-XXXXXX", s->root)};
	if (!mkdtemp(t->dir)) {
		free(t->dir);
		t->dir = NULL;
		return err_ret("cannot create a staging directory in %s/tmp: %s", s->root,
			       strerror(errno));
	}
	char *b = xasprintf("%s/blobs", t->dir), *l = xasprintf("%s/layers", t->dir);
	int rc = mkdir(b, 0755) < 0 || mkdir(l, 0755) < 0 ? -1 : 0;
	free(b);
	free(l);
	return rc < 0 ? err_ret("staging directory: %s", strerror(errno)) : 0;
}

char *txn_blob_path(const struct txn *t, const char *digest)
{
	char *p = xasprintf("%s/blobs/%s", t->dir, digest_hex(digest));
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	return store_blob_path(t->s, digest);
}

static int stage_fd(struct txn *t, int in, const char *expect, char digest[DIGEST_LEN],
		    long long *size)
{
	char *tmp = xasprintf("%s/blobs/incoming-XXXXXX", t->dir);
	int out = mkstemp(tmp);
	int rc = out < 0 ? -1 : sha256_copy(in, out, digest, size);
	if (out >= 0 && close(out) < 0)
		rc = -1;
	if (rc < 0) {
		err_ret("cannot stage a blob: %s", strerror(errno));
	} else if (expect && strcmp(expect, digest) != 0) {
		rc = err_ret("digest mismatch: expected %s, content is %s", expect, digest);
	} else {
		char *final = xasprintf("%s/blobs/%s", t->dir, digest_hex(digest));
		if (store_has_blob(t->s, digest))
			unlink(tmp); /* content-addressed: the same bytes are there already */
		else if (rename(tmp, final) < 0)
			rc = err_ret("cannot stage a blob: %s", strerror(errno));
		free(final);
	}
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int txn_add_blob_file(struct txn *t, const char *src, const char *expect, char digest[DIGEST_LEN],
		      long long *size)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_ret("cannot open %s: %s", src, strerror(errno));
	int rc = stage_fd(t, in, expect, digest, size);
	close(in);
	return rc;
}

int txn_add_blob_buf(struct txn *t, const char *buf, size_t len, char digest[DIGEST_LEN])
{
	/* Configs and manifests are small; a temp file keeps one path for every blob. */
	char *tmp = xasprintf("%s/blobs/buf-XXXXXX", t->dir);
	int fd = mkstemp(tmp);
	int rc = -1;
	if (fd >= 0 && write(fd, buf, len) == (ssize_t)len && lseek(fd, 0, SEEK_SET) == 0)
		rc = stage_fd(t, fd, NULL, digest, NULL);
	else
		err_ret("cannot stage a blob: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return rc;
}

int txn_add_layer(struct txn *t, const char *blob_digest, const char *expect_diff_id,
		  char diff_id[DIGEST_LEN])
{
	char *blob = txn_blob_path(t, blob_digest);
	int rc = layer_diff_id(blob, diff_id);
	if (rc == 0 && expect_diff_id && strcmp(diff_id, expect_diff_id) != 0)
		rc = err_ret("layer %s: diffID mismatch: the config says %s, the content is %s",
			     blob_digest, expect_diff_id, diff_id);
	char *staged = xasprintf("%s/layers/%s", t->dir, digest_hex(diff_id));
	/* Each layer is unpacked once: a diffID already stored (or staged) is reused. */
	if (rc == 0 && !store_has_layer(t->s, diff_id) && access(staged, F_OK) < 0) {
		char *tmp = xasprintf("%s/layers/unpack-%d", t->dir, t->nlayers++);
		rc = mkdir(tmp, 0755) < 0 ? err_ret("mkdir %s: %s", tmp, strerror(errno))
					  : layer_unpack(blob, tmp);
		if (rc == 0 && rename(tmp, staged) < 0)
			rc = err_ret("cannot stage a layer: %s", strerror(errno));
		free(tmp);
	}
	free(staged);
	free(blob);
	return rc;
}

/* Move every entry of staged/ to final/ (an existing one wins: same content). */
static int move_all(const char *staged, const char *final)
{
	DIR *d = opendir(staged);
	if (!d)
		return err_ret("%s: %s", staged, strerror(errno));
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		/* Only finished entries (named by their digest), not a half-staged one. */
		if (strlen(e->d_name) != 64 || strspn(e->d_name, "0123456789abcdef") != 64)
			continue;
		char *from = xasprintf("%s/%s", staged, e->d_name);
		char *to = xasprintf("%s/%s", final, e->d_name);
		if (access(to, F_OK) < 0 && rename(from, to) < 0)
			rc = err_ret("cannot move %s into the store: %s", e->d_name,
				     strerror(errno));
		free(from);
		free(to);
	}
	closedir(d);
	return rc;
}

int txn_commit(struct txn *t)
{
	char *sb = xasprintf("%s/blobs", t->dir), *sl = xasprintf("%s/layers", t->dir);
	char *fb = xasprintf("%s/blobs/sha256", t->s->root);
	char *fl = xasprintf("%s/layers", t->s->root);
	/* Layers and blobs first, the index last: a crash in between leaves only garbage. */
	int rc = move_all(sl, fl);
	if (rc == 0)
		rc = move_all(sb, fb);
	if (rc == 0)
		rc = store_save_index(t->s);
	free(sb);
	free(sl);
	free(fb);
	free(fl);
	txn_abort(t);
	return rc;
}

void txn_abort(struct txn *t)
{
	if (t->dir && remove_tree(t->dir) < 0)
		warnx_ctr("cannot remove %s: %s", t->dir, strerror(errno));
	free(t->dir);
	t->dir = NULL;
}
