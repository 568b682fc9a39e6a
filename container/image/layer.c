/* Hashing and unpacking of layer tars with libarchive; OCI whiteouts to overlayfs whiteouts. */
#include "layer.h"
#include "../util.h"
#include "lazy_libs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/openat2.h>

static struct archive *open_reader(const char *blob, bool raw)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	if (raw)
		archive_read_support_format_raw(a);
	else
		archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, blob, 1 << 16) != ARCHIVE_OK) {
		err_ret("layer: %s", archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

int layer_diff_id(const char *blob, char diff_id[DIGEST_LEN])
{
	struct archive *a = open_reader(blob, true);
	struct archive_entry *e;
	if (!a)
		return -1;
	struct sha256 h;
	if (sha256_begin(&h) < 0) {
		archive_read_free(a);
		return err_ret("out of memory");
	}
	int rc = archive_read_next_header(a, &e);
	char buf[1 << 16];
	la_ssize_t n = 0;
	while (rc == ARCHIVE_OK && (n = archive_read_data(a, buf, sizeof(buf))) > 0)
		sha256_update(&h, buf, (size_t)n);
	sha256_end(&h, diff_id);
	if (rc == ARCHIVE_EOF) /* an empty file: not a tar */
		rc = err_ret("layer: an empty file, not a tar");
	else if (rc != ARCHIVE_OK || n < 0)
		rc = err_ret("layer: %s", archive_error_string(a));
	archive_read_free(a);
	return rc;
}

/* "./a/b/" -> "a/b" in place; NULL for an absolute path or a ".." component. */
static char *clean_path(char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	size_t len = strlen(p);
	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	if (p[0] == '/')
		return NULL;
	for (char *c = p; (c = strstr(c, "..")); c += 2)
		if ((c == p || c[-1] == '/') && (c[2] == '/' || c[2] == '\0'))
			return NULL;
	return p;
}

/* Does a relative symlink at path climb above the layer's root? */
static bool symlink_escapes(const char *path, const char *target)
{
	if (target[0] == '/')
		return false; /* resolved inside the container's root */
	int depth = 0;
	for (const char *c = path; *c; c++)
		depth += *c == '/';
	char *copy = xstrdup(target), *save = NULL;
	bool out = false;
	for (char *t = strtok_r(copy, "/", &save); t && !out; t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, ".."))
			out = --depth < 0;
		else if (strcmp(t, "."))
			depth++;
	}
	free(copy);
	return out;
}

/* Device nodes a container gets in /dev anyway: harmless to keep in a layer. */
static bool harmless_device(dev_t rdev)
{
	unsigned ma = major(rdev), mi = minor(rdev);
	return (ma == 1 && (mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9)) ||
	       (ma == 5 && mi <= 2);
}

/* Open the directory dir beneath root, creating missing parts, never following a symlink. */
static int open_dir_beneath(int root, const char *dir)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
	if (!*dir)
		return (int)syscall(SYS_openat2, root, ".", &how, sizeof(how));
	int fd = (int)syscall(SYS_openat2, root, dir, &how, sizeof(how));
	if (fd >= 0 || errno != ENOENT)
		return fd;
	char *copy = xstrdup(dir), *slash = strrchr(copy, '/');
	int parent = slash ? (*slash = '\0', open_dir_beneath(root, copy)) : dup(root);
	if (parent >= 0 && mkdirat(parent, slash ? slash + 1 : copy, 0755) < 0 && errno != EEXIST)
		fd = -1;
	else if (parent >= 0)
		fd = (int)syscall(SYS_openat2, root, dir, &how, sizeof(how));
	if (parent >= 0)
		close(parent);
	free(copy);
	return fd;
}

/* The directory part of path ("" at the top), base pointing at its last component. */
static char *parent_of(const char *path, const char *base)
{
	char *dir = xstrdup(path);
	size_t len = (size_t)(base - path);
	dir[len ? len - 1 : 0] = '\0';
	return dir;
}

static int whiteout(int root, const char *path, const char *base, bool rootless)
{
	char *dir = parent_of(path, base);
	int pfd = open_dir_beneath(root, dir);
	int rc = -1;
	if (pfd < 0) {
		rc = err_ret("whiteout %s: %s", path, strerror(errno));
	} else if (!strcmp(base, ".wh..wh..opq")) {
		/* O_PATH fds take no xattrs: go through /proc/self/fd. */
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", pfd);
		const char *name = rootless ? "user.overlay.opaque" : "trusted.overlay.opaque";
		rc = setxattr(p, name, "y", 1, 0);
		if (rc < 0)
			err_ret("opaque directory %s: %s", dir[0] ? dir : "/", strerror(errno));
	} else {
		unlinkat(pfd, base + 4, 0);
		rc = mknodat(pfd, base + 4, S_IFCHR | 0, makedev(0, 0));
		if (rc < 0)
			err_ret("whiteout %s: %s", path, strerror(errno));
	}
	if (pfd >= 0)
		close(pfd);
	free(dir);
	return rc;
}

/* Does path's directory part go through a symlink an earlier entry made? */
static bool through_symlink(int root, const char *path, const char *base)
{
	if (base == path)
		return false;
	char *dir = parent_of(path, base);
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
	int fd = (int)syscall(SYS_openat2, root, dir, &how, sizeof(how));
	bool bad = fd < 0 && (errno == ELOOP || errno == EXDEV || errno == ENOTDIR);
	if (fd >= 0)
		close(fd);
	free(dir);
	return bad;
}

/* Overlay's own xattrs in a layer would turn files into whiteouts or redirects. */
static void drop_overlay_xattrs(struct archive_entry *e)
{
	if (archive_entry_xattr_reset(e) == 0)
		return;
	struct kept {
		char *name;
		void *value;
		size_t size;
	} *keep = NULL;
	size_t n = 0;
	const char *name;
	const void *value;
	size_t size;
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (strstr(name, "overlay.") == name + strcspn(name, ".") + 1)
			continue;
		keep = xrealloc(keep, (n + 1) * sizeof(*keep));
		keep[n].name = xstrdup(name);
		keep[n].value = xrealloc(NULL, size ? size : 1);
		memcpy(keep[n].value, value, size);
		keep[n++].size = size;
	}
	archive_entry_xattr_clear(e);
	for (size_t i = 0; i < n; i++) {
		archive_entry_xattr_add_entry(e, keep[i].name, keep[i].value, keep[i].size);
		free(keep[i].name);
		free(keep[i].value);
	}
	free(keep);
}

/* 1: write the entry, 0: handled (whiteout, root dir), -1: refused. */
static int check_entry(int root, struct archive_entry *e, bool rootless)
{
	char *raw = xstrdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
	char *path = clean_path(raw);
	int rc = 1;
	const char *link = archive_entry_hardlink(e);
	const char *target = archive_entry_symlink(e);
	mode_t type = archive_entry_filetype(e);
	const char *base = path ? strrchr(path, '/') : NULL;
	base = base ? base + 1 : path;
	char *link_copy = link ? xstrdup(link) : NULL;
	if (!path)
		rc = err_ret("layer entry '%s' leaves the layer (absolute or '..')", raw);
	else if (link && !clean_path(link_copy))
		rc = err_ret("layer entry '%s' links to '%s' outside the layer", path, link);
	else if (!*path || !strcmp(path, "."))
		rc = 0;
	else if (through_symlink(root, path, base))
		rc = err_ret("layer entry '%s' goes through a symlink", path);
	else if (!strncmp(base, ".wh.", 4))
		rc = whiteout(root, path, base, rootless) < 0 ? -1 : 0;
	else if (target && type == AE_IFLNK && symlink_escapes(path, target))
		rc = err_ret("layer entry '%s' is a symlink out of the layer (to '%s')", path,
			     target);
	else if ((type == AE_IFCHR || type == AE_IFBLK) &&
		 (rootless || !harmless_device(archive_entry_rdev(e))))
		rc = err_ret("layer entry '%s' is a device node (%u:%u): refused%s", path,
			     major(archive_entry_rdev(e)), minor(archive_entry_rdev(e)),
			     rootless ? " in a rootless import"
				      : ", a container could reach the "
					"host's device through it");
	if (rc == 1) {
		archive_entry_set_pathname(e, path);
		if (link)
			archive_entry_set_hardlink(e, clean_path(link_copy));
		drop_overlay_xattrs(e);
	}
	free(raw);
	free(link_copy);
	return rc;
}

static int copy_data(struct archive *in, struct archive *out)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int rc;
	while ((rc = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK)
			return err_ret("unpack: %s", archive_error_string(out));
	if (rc != ARCHIVE_EOF)
		return err_ret("layer: %s", archive_error_string(in));
	return 0;
}

static int extract_all(struct archive *in, struct archive *out, int root, bool rootless)
{
	struct archive_entry *e;
	int rc;
	while ((rc = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		int what = check_entry(root, e, rootless);
		if (what < 0)
			return -1;
		if (what == 0)
			continue;
		if (archive_write_header(out, e) != ARCHIVE_OK)
			return err_ret("layer entry '%s': %s", archive_entry_pathname(e),
				       archive_error_string(out));
		if (archive_entry_size(e) > 0 && copy_data(in, out) < 0)
			return -1;
	}
	if (rc != ARCHIVE_EOF)
		return err_ret("layer: %s", archive_error_string(in));
	return 0;
}

int layer_unpack(const char *blob, const char *dest)
{
	bool rootless = geteuid() != 0;
	struct archive *in = open_reader(blob, false);
	if (!in)
		return -1;
	int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int root = open(dest, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct archive *out = archive_write_disk_new();
	/* No name lookup: the image's numeric ids are what count, not the host's names. */
	archive_write_disk_set_options(
	    out, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
		     ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		     ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
		     (rootless ? 0 : ARCHIVE_EXTRACT_OWNER));
	int rc = -1;
	/* libarchive writes relative to the working directory. */
	if (here < 0 || root < 0 || fchdir(root) < 0)
		err_ret("cannot enter %s: %s", dest, strerror(errno));
	else
		rc = extract_all(in, out, root, rootless);
	if (archive_write_close(out) != ARCHIVE_OK && rc == 0)
		rc = err_ret("unpack: %s", archive_error_string(out));
	if (here >= 0 && fchdir(here) < 0)
		rc = err_ret("cannot return to the working directory: %s", strerror(errno));
	archive_write_free(out);
	archive_read_free(in);
	if (here >= 0)
		close(here);
	if (root >= 0)
		close(root);
	return rc;
}
