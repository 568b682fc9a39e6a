/*
 * The docker-like container's root, in its own mount namespace: an overlay whose lowest
 * layer is the shared rootfs (so the VM's tree is never written) and whose writable layer
 * is in the state directory (or, with --rm, on a tmpfs of the container's own). The
 * create core binds it as the spec's root and builds the rest (oci_rootfs.c). Also the
 * path helpers that keep mount targets inside a root.
 */
#include "rootfs.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

/*
 * --rm: the writable layer goes on a tmpfs mounted in our own mount namespace over the
 * state directory. It is charged to the container's memory cgroup, never touches the
 * host's disk (whose journal made every create and remove cost milliseconds here), and
 * disappears with the namespace: nothing to delete afterwards.
 */
static int mount_scratch_layer(const struct rootfs_spec *s)
{
	if (!s->scratch)
		return 0;
	if (mount("tmpfs", s->scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0711") < 0)
		return err_ret("mount tmpfs on %s: %s", s->scratch, strerror(errno));
	if (mkdir(s->upper, 0755) < 0 || mkdir(s->work, 0700) < 0 || mkdir(s->merged, 0755) < 0)
		return err_ret("cannot create overlay directories in %s: %s", s->scratch,
			       strerror(errno));
	return 0;
}

static int mount_overlay(const struct rootfs_spec *s)
{
	size_t len = strlen(s->rootfs) + 1;
	for (size_t i = 0; i < s->nlayers; i++)
		len += strlen(s->layers[i]) + 1;
	char *lower = xrealloc(NULL, len);
	lower[0] = '\0';
	/* overlayfs lists the top layer first. */
	for (size_t i = s->nlayers; i-- > 0;)
		strcat(strcat(lower, s->layers[i]), ":");
	strcat(lower, s->rootfs);
	char *opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, s->upper, s->work);
	int rc = mount("overlay", s->merged, "overlay", 0, opts);
	if (rc < 0 && s->userns) {
		/* Inside a user namespace trusted.* xattrs are out of reach: use user.* ones. */
		char *uopts = xasprintf("%s,userxattr", opts);
		rc = mount("overlay", s->merged, "overlay", 0, uopts);
		free(uopts);
	}
	if (rc < 0)
		err_ret("cannot mount the overlay on %s: %s", s->rootfs, strerror(errno));
	free(opts);
	free(lower);
	return rc;
}

/* Mount flags the kernel locks on a bind mount (a remount must repeat them). */
unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	return f;
}

/* Open path inside root, symlinks resolved as if root were "/" (a rootfs's absolute
 * symlinks must not lead a mount target onto the host). */
int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* mkdir -p of path inside root (and an empty file at the end when !dir); an O_PATH fd. */
int make_target(int rootfd, const char *path, bool dir)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		bool last = *p == '\0';
		char save = *p;
		*p = '\0';
		char *slash = strrchr(buf, '/');
		int fd = open_in_root(rootfd, buf, O_PATH);
		if (fd < 0 && errno == ENOENT) {
			*slash = '\0';
			int parent =
			    open_in_root(rootfd, slash == buf ? "/" : buf, O_PATH | O_DIRECTORY);
			*slash = '/';
			if (parent < 0)
				return -1;
			int rc = !last || dir
				     ? mkdirat(parent, slash + 1, 0755)
				     : close(openat(parent, slash + 1,
						    O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644));
			close(parent);
			if (rc < 0 && errno != EEXIST)
				return -1;
			fd = open_in_root(rootfd, buf, O_PATH);
		}
		*p = save;
		if (last || fd < 0)
			return fd;
		close(fd);
	}
}

int mount_overlay_root(const struct rootfs_spec *s)
{
	return mount_scratch_layer(s) < 0 || mount_overlay(s) < 0 ? -1 : 0;
}
