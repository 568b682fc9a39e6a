/* `container image save IMAGE DIR`: an OCI image layout with the image's own blobs. */
#include "config.h"
#include "image.h"
#include "../util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Hard link when on the same file system, else copy (blobs are immutable either way). */
static int put_blob(const struct store *s, const char *dir, const char *digest)
{
	char *from = store_blob_path(s, digest);
	char *to = xasprintf("%s/blobs/sha256/%s", dir, digest_hex(digest));
	int rc = 0;
	if (access(to, F_OK) < 0 && link(from, to) < 0) {
		int in = open(from, O_RDONLY | O_CLOEXEC);
		int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		char got[DIGEST_LEN];
		rc = in < 0 || out < 0 ? -1 : sha256_copy(in, out, got, NULL);
		if (in >= 0)
			close(in);
		if (out >= 0 && close(out) < 0)
			rc = -1;
		if (rc < 0)
			err_ret("cannot write %s: %s", to, strerror(errno));
	}
	free(from);
	free(to);
	return rc;
}

static int write_new_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	int rc = fd >= 0 && write(fd, text, len) == (ssize_t)len ? 0 : -1;
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	return rc < 0 ? err_ret("cannot write %s: %s", path, strerror(errno)) : 0;
}

static json_object *index_entry(const struct image *img, size_t mlen, const char *ref)
{
	json_object *d = layer_desc_new(MT_MANIFEST, img->manifest_digest, (long long)mlen);
	json_object *ann = json_object_new_object();
	char *name = normalize_ref(ref);
	/* skopeo's oci:DIR:REF reads ref.name; containerd and podman read the full name. */
	json_object_object_add(ann, "org.opencontainers.image.ref.name",
			       json_object_new_string(strrchr(name, ':') + 1));
	json_object_object_add(ann, "io.containerd.image.name", json_object_new_string(name));
	json_object_object_add(d, "annotations", ann);
	free(name);
	return d;
}

static int write_layout(const struct store *s, const struct image *img, const char *ref,
			const char *dir)
{
	char *blobs = xasprintf("%s/blobs/sha256", dir);
	int rc =
	    mkdir_p(blobs, 0755) < 0 ? err_ret("cannot create %s: %s", blobs, strerror(errno)) : 0;
	free(blobs);
	if (rc == 0)
		rc = put_blob(s, dir, img->manifest_digest) | put_blob(s, dir, img->config_digest);
	for (size_t i = 0; rc == 0 && i < image_nlayers(img); i++) {
		json_object *d = image_layer_desc(img, i), *dg;
		json_object_object_get_ex(d, "digest", &dg);
		rc = put_blob(s, dir, json_object_get_string(dg));
	}
	if (rc < 0)
		return -1;
	char *path = xasprintf("%s/oci-layout", dir);
	rc = write_new_file(path, "{\"imageLayoutVersion\":\"1.0.0\"}");
	free(path);
	size_t mlen = 0;
	struct stat st;
	char *mblob = store_blob_path(s, img->manifest_digest);
	if (stat(mblob, &st) == 0)
		mlen = (size_t)st.st_size; /* the stored bytes, not a re-serialisation */
	free(mblob);
	json_object *index = json_object_new_object(), *ms = json_object_new_array();
	json_object_object_add(index, "schemaVersion", json_object_new_int(2));
	json_object_object_add(index, "mediaType", json_object_new_string(MT_INDEX));
	json_object_array_add(ms, index_entry(img, mlen, ref));
	json_object_object_add(index, "manifests", ms);
	path = xasprintf("%s/index.json", dir);
	if (rc == 0 && json_object_to_file_ext(path, index, JSON_C_TO_STRING_PLAIN) < 0)
		rc = err_ret("cannot write %s", path);
	free(path);
	json_object_put(index);
	return rc;
}

int image_save(struct store *s, const char *ref, const char *dir)
{
	struct image img;
	if (image_open(s, ref, &img) < 0)
		return -1;
	struct stat st;
	int rc = 0;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		rc = err_ret("save: %s exists and is not a directory", dir);
	/* A name for the index even when saved by ID: the image's first one. */
	json_object *names = NULL;
	json_object_object_get_ex(img.entry, "names", &names);
	const char *name = valid_ref(ref) ? ref
			   : json_object_array_length(names)
			       ? json_object_get_string(json_object_array_get_idx(names, 0))
			       : "image:latest";
	if (rc == 0)
		rc = write_layout(s, &img, name, dir);
	if (rc == 0)
		printf("saved: %s in %s\n", name, dir);
	image_close(&img);
	return rc;
}
