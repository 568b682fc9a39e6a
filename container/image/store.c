/* The image store's files: paths, the index of images, blobs read back, garbage collection. */
#include "store.h"
#include "../util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char *default_root(void)
{
	const char *env = getenv("ISOLAB_IMAGE_ROOT");
	if (env && *env)
		return xstrdup(env);
	if (geteuid() == 0)
		return xstrdup("/var/lib/isolab/images");
	const char *data = getenv("XDG_DATA_HOME");
	if (data && *data)
		return xasprintf("%s/isolab/images", data);
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : "/tmp";
	}
	return xasprintf("%s/.local/share/isolab/images", home);
}

static int load_index(struct store *s)
{
	char *path = xasprintf("%s/images.json", s->root);
	if (access(path, F_OK) < 0) {
		free(path);
		s->index = json_object_new_object();
		json_object_object_add(s->index, "images", json_object_new_array());
		return 0;
	}
	s->index = json_object_from_file(path);
	json_object *imgs;
	if (!s->index || !json_object_object_get_ex(s->index, "images", &imgs) ||
	    !json_object_is_type(imgs, json_type_array)) {
		json_object_put(s->index);
		s->index = NULL;
		err_ret("image store index %s is damaged", path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

int store_open(struct store *s, const char *root)
{
	return store_open_lock(s, root, LOCK_EX);
}

int store_open_shared(struct store *s, const char *root)
{
	return store_open_lock(s, root, LOCK_SH);
}

int store_open_lock(struct store *s, const char *root, int how)
{
	*s = (struct store){.root = root ? xstrdup(root) : default_root(), .lock_fd = -1};
	static const char *const dirs[] = {"blobs/sha256", "layers", "tmp"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *d = xasprintf("%s/%s", s->root, dirs[i]);
		int rc = mkdir_p(d, 0755);
		free(d);
		if (rc < 0)
			return err_ret("cannot create the image store %s: %s", s->root,
				       strerror(errno));
	}
	char *lock = xasprintf("%s/lock", s->root);
	s->lock_fd = open(lock, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	free(lock);
	if (s->lock_fd < 0 || flock(s->lock_fd, how) < 0)
		return err_ret("cannot lock the image store %s: %s", s->root, strerror(errno));
	return load_index(s);
}

void store_unlock(struct store *s)
{
	flock(s->lock_fd, LOCK_UN);
}

int store_relock(struct store *s)
{
	if (flock(s->lock_fd, LOCK_EX) < 0)
		return err_ret("cannot lock the image store %s: %s", s->root, strerror(errno));
	/* Another command may have changed the index meanwhile. */
	json_object_put(s->index);
	s->index = NULL;
	return load_index(s);
}

void store_close(struct store *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	json_object_put(s->index);
	free(s->root);
	*s = (struct store){.lock_fd = -1};
}

char *store_blob_path(const struct store *s, const char *digest)
{
	return xasprintf("%s/blobs/sha256/%s", s->root, digest_hex(digest));
}

char *store_layer_path(const struct store *s, const char *diff_id)
{
	return xasprintf("%s/layers/%s", s->root, digest_hex(diff_id));
}

bool store_has_blob(const struct store *s, const char *digest)
{
	char *p = store_blob_path(s, digest);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

bool store_has_layer(const struct store *s, const char *diff_id)
{
	char *p = store_layer_path(s, diff_id);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

/* Read a whole file, at most 64 MiB (configs and manifests are small). */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st) == 0 && st.st_size < (64 << 20)) {
		buf = xrealloc(NULL, (size_t)st.st_size + 1);
		ssize_t n = read(fd, buf, (size_t)st.st_size);
		if (n != st.st_size) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	close(fd);
	return buf;
}

char *store_read_blob(const struct store *s, const char *digest, size_t *len)
{
	char *path = store_blob_path(s, digest);
	char *buf = digest_valid(digest) ? slurp(path, len) : NULL;
	free(path);
	if (!buf) {
		err_ret("blob %s missing from the image store", digest);
		return NULL;
	}
	char got[DIGEST_LEN];
	sha256_buf(buf, *len, got);
	if (strcmp(got, digest) != 0) {
		free(buf);
		err_ret("blob %s is damaged (its content hashes to %s)", digest, got);
		return NULL;
	}
	return buf;
}

int store_save_index(struct store *s)
{
	char *path = xasprintf("%s/images.json", s->root);
	char *tmp = xasprintf("%s/images.json.new", s->root);
	int rc = json_object_to_file_ext(tmp, s->index, JSON_C_TO_STRING_PRETTY);
	if (rc == 0)
		rc = rename(tmp, path);
	if (rc < 0)
		err_ret("cannot write %s: %s", path, strerror(errno));
	free(path);
	free(tmp);
	return rc < 0 ? -1 : 0;
}

/* Blocks of dir's entries, recursively, through fds (no path length limit, no globals). */
static long long dir_bytes(int dirfd)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return 0;
	}
	long long total = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		total += (long long)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				total += dir_bytes(sub);
		}
	}
	closedir(d);
	return total;
}

long long tree_bytes(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	long long total = (long long)st.st_blocks * 512;
	if (S_ISDIR(st.st_mode)) {
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			total += dir_bytes(fd);
	}
	return total;
}
