/* Packing a directory (an imported rootfs, a container's writable layer) as a layer tar. */
#include "tar_dir.h"
#include "../util.h"
#include "lazy_libs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static bool is_whiteout(struct archive_entry *e)
{
	return archive_entry_filetype(e) == AE_IFCHR && archive_entry_rdev(e) == makedev(0, 0);
}

static bool is_opaque(const char *path)
{
	char v[2] = "";
	return (lgetxattr(path, "trusted.overlay.opaque", v, 1) == 1 ||
		lgetxattr(path, "user.overlay.opaque", v, 1) == 1) &&
	       v[0] == 'y';
}

/* Keep the file's xattrs except overlayfs's own bookkeeping. */
static void strip_overlay_xattrs(struct archive_entry *e)
{
	const char *name;
	const void *value;
	size_t size;
	struct archive_entry *copy = archive_entry_new();
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		if (!strstr(name, ".overlay."))
			archive_entry_xattr_add_entry(copy, name, value, size);
	archive_entry_xattr_clear(e);
	archive_entry_xattr_reset(copy);
	while (archive_entry_xattr_next(copy, &name, &value, &size) == ARCHIVE_OK)
		archive_entry_xattr_add_entry(e, name, value, size);
	archive_entry_free(copy);
}

static int write_empty(struct archive *out, const char *name, struct archive_entry *like)
{
	struct archive_entry *w = archive_entry_new();
	archive_entry_set_pathname(w, name);
	archive_entry_set_filetype(w, AE_IFREG);
	archive_entry_set_perm(w, 0644);
	archive_entry_set_size(w, 0);
	archive_entry_set_mtime(w, archive_entry_mtime(like), 0);
	int rc = archive_write_header(out, w) == ARCHIVE_OK ? 0 : -1;
	archive_entry_free(w);
	return rc;
}

static int copy_file_data(struct archive *disk, struct archive *out)
{
	char buf[1 << 16];
	la_ssize_t n;
	while ((n = archive_read_data(disk, buf, sizeof(buf))) > 0)
		if (archive_write_data(out, buf, (size_t)n) != n)
			return err_ret("tar: %s", archive_error_string(out));
	return n < 0 ? err_ret("tar: %s", archive_error_string(disk)) : 0;
}

struct tar_walk {
	size_t top_len;	 /* strlen of the source: the rest of a path is relative to it */
	const char *as;	 /* the source's name in the tar */
	bool upper;	 /* overlayfs upper layer: whiteouts and opaque dirs to OCI */
	bool root_owned; /* COPY: files belong to root, as docker */
};

/* One entry of the walk, renamed below w->as. */
static int pack_entry(struct archive *disk, struct archive *out, struct archive_entry *e,
		      const struct tar_walk *w)
{
	const char *abs = archive_entry_sourcepath(e);
	const char *tail = abs + w->top_len;
	char *rel = !*tail		 ? xstrdup(w->as)
		    : strcmp(w->as, ".") ? xasprintf("%s%s", w->as, tail)
					 : xstrdup(tail + 1);
	int rc = 0;
	archive_entry_set_uname(e, NULL);
	archive_entry_set_gname(e, NULL);
	if (w->root_owned) {
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
	}
	strip_overlay_xattrs(e);
	if (w->upper && is_whiteout(e)) {
		char *slash = strrchr(rel, '/');
		char *wh = slash ? xasprintf("%.*s/.wh.%s", (int)(slash - rel), rel, slash + 1)
				 : xasprintf(".wh.%s", rel);
		rc = write_empty(out, wh, e);
		free(wh);
	} else {
		archive_entry_set_pathname(e, rel);
		rc = archive_write_header(out, e) == ARCHIVE_OK ? 0 : -1;
		if (rc == 0 && archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0)
			rc = copy_file_data(disk, out);
		if (rc == 0 && w->upper && archive_entry_filetype(e) == AE_IFDIR &&
		    is_opaque(abs)) {
			char *opq = strcmp(rel, ".") ? xasprintf("%s/.wh..wh..opq", rel)
						     : xstrdup(".wh..wh..opq");
			rc = write_empty(out, opq, e);
			free(opq);
		}
	}
	if (rc < 0 && !archive_errno(disk))
		err_ret("tar %s: %s", abs, archive_error_string(out));
	free(rel);
	return rc;
}

static int add_tree(struct archive *out, const char *src, const struct tar_walk *w)
{
	struct archive *disk = archive_read_disk_new();
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	archive_read_disk_set_symlink_physical(disk);
	int rc = 0;
	if (archive_read_disk_open(disk, src) != ARCHIVE_OK)
		rc = err_ret("cannot read %s: %s", src, archive_error_string(disk));
	while (rc == 0) {
		struct archive_entry *e = archive_entry_new();
		int r = archive_read_next_header2(disk, e);
		if (r == ARCHIVE_EOF) {
			archive_entry_free(e);
			break;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			rc = err_ret("cannot read %s: %s", src, archive_error_string(disk));
		else
			rc = pack_entry(disk, out, e, w);
		archive_read_disk_descend(disk);
		archive_entry_free(e);
	}
	archive_read_free(disk);
	return rc;
}

struct archive *tar_open(const char *out_path)
{
	struct archive *out = archive_write_new();
	archive_write_set_format_pax_restricted(out);
	if (archive_write_open_filename(out, out_path) != ARCHIVE_OK) {
		err_ret("cannot write %s: %s", out_path, archive_error_string(out));
		archive_write_free(out);
		return NULL;
	}
	return out;
}

int tar_add(struct archive *out, const char *src, const char *as, bool root_owned)
{
	struct tar_walk w = {.top_len = strlen(src), .as = as, .root_owned = root_owned};
	return add_tree(out, src, &w);
}

int tar_close(struct archive *out, const char *out_path, int rc)
{
	if (archive_write_close(out) != ARCHIVE_OK && rc == 0)
		rc = err_ret("cannot write %s: %s", out_path, archive_error_string(out));
	archive_write_free(out);
	return rc;
}

int tar_directory(const char *dir, const char *out_path, bool overlay_upper)
{
	struct archive *out = tar_open(out_path);
	if (!out)
		return -1;
	struct tar_walk w = {.top_len = strlen(dir), .as = ".", .upper = overlay_upper};
	return tar_close(out, out_path, add_tree(out, dir, &w));
}
