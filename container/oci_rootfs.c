/*
 * The OCI container's filesystem, from the spec: root.path bound onto itself, the
 * mounts in order (targets resolved inside the root), the device nodes, pivot_root,
 * then sysctl, maskedPaths, readonlyPaths and root.readonly.
 */
#include "oci_rootfs.h"
#include "cgroup.h"
#include "rootfs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* what: how the error names the mount when it is not the spec's (a docker-like volume). */
static int mount_at(const char *src, int fd, const char *type, unsigned long flags,
		    const char *data, const char *dest, const char *what)
{
	char at[64];
	snprintf(at, sizeof(at), "/proc/self/fd/%d", fd);
	int rc = mount(src, at, type, flags, data);
	/* devpts in a user namespace without gid 5 (tty) mapped refuses gid=5: drop it, as
	 * runc does, rather than fail the container. */
	if (rc < 0 && errno == EINVAL && type && !strcmp(type, "devpts") && data &&
	    strstr(data, "gid=")) {
		char *d = xstrdup(data), *g = strstr(d, "gid=");
		memmove(g, g + strcspn(g, ",") + (g[strcspn(g, ",")] == ','),
			strlen(g + strcspn(g, ",")) + 1);
		size_t n = strlen(d);
		if (n && d[n - 1] == ',')
			d[n - 1] = '\0';
		rc = mount(src, at, type, flags, d);
		free(d);
	}
	if (rc < 0 && what)
		return err_ret("%s: %s%s", what, strerror(errno),
			       errno == ENOTDIR ? " (a directory cannot go on a file)" : "");
	if (rc < 0)
		return err_ret("mount %s on %s: %s",
			       src    ? src
			       : type ? type
				      : "(remount)",
			       dest, strerror(errno));
	return 0;
}

/* Options beyond the bind itself (ro, nosuid...) need a remount of the new mount. */
static int remount_bind(int rootfd, const struct spec_mount *m)
{
	unsigned long extra = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	if (!extra)
		return 0;
	int fd = open_in_root(rootfd, m->dest, O_PATH);
	if (fd < 0)
		return err_ret("mount %s: %s", m->dest, strerror(errno));
	char at[64];
	snprintf(at, sizeof(at), "/proc/self/fd/%d", fd);
	int rc = mount(NULL, at, NULL, MS_BIND | MS_REMOUNT | extra | locked_flags(at), NULL);
	if (rc < 0)
		rc = err_ret("remount %s (%s): %s", m->dest, "bind options", strerror(errno));
	close(fd);
	return rc;
}

/* cgroup v1 in the container: a tmpfs with the container's own directory of every
 * hierarchy bound in it, named as on the host (as runc without a cgroup namespace). */
static int mount_cgroup_v1(int rootfd, const struct spec_mount *m, const struct cgroup *cg)
{
	int fd = make_target(rootfd, m->dest, true);
	if (fd < 0)
		return err_ret("mount target %s: %s", m->dest, strerror(errno));
	int rc = mount_at("tmpfs", fd, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755",
			  m->dest, NULL);
	close(fd);
	for (int i = 0; rc == 0 && cg && i < cg->ndirs; i++) {
		const char *dir = cg->dirs[i],
			   *rest = strncmp(dir, "/sys/fs/cgroup/", 15) ? NULL : dir + 15;
		if (!rest)
			continue;
		char *sub = xasprintf("%s/%.*s", m->dest, (int)strcspn(rest, "/"), rest);
		struct spec_mount b = {.dest = sub, .flags = m->flags, .bind = true};
		int d = make_target(rootfd, sub, true);
		rc = d < 0 ? err_ret("mount target %s: %s", sub, strerror(errno))
			   : mount_at(dir, d, NULL, MS_BIND, NULL, sub, NULL);
		if (d >= 0)
			close(d);
		if (rc == 0)
			rc = remount_bind(rootfd, &b);
		free(sub);
	}
	return rc;
}

static int mount_one(const struct spec *s, const struct oci_rootfs_hooks *h, int rootfd,
		     const struct spec_mount *m)
{
	if (m->type && !strcmp(m->type, "cgroup") && !cgroup_unified())
		return mount_cgroup_v1(rootfd, m, h->cgroup);
	char *src = NULL;
	bool dir = true;
	if (m->bind) {
		src = m->source[0] == '/' ? xstrdup(m->source)
					  : xasprintf("%s/%s", s->bundle, m->source);
		struct stat st;
		if (stat(src, &st) < 0) {
			int e = errno;
			free(src);
			return err_ret("mount source %s: %s", m->source, strerror(e));
		}
		dir = S_ISDIR(st.st_mode);
	}
	int fd = make_target(rootfd, m->dest, dir);
	int rc = fd < 0 ? err_ret("%s target %s: %s", m->what ? "volume" : "mount", m->dest,
				  strerror(errno))
			: 0;
	const char *type = m->type && !strcmp(m->type, "cgroup") ? "cgroup2" : m->type;
	if (rc == 0 && m->bind)
		rc = mount_at(src, fd, NULL, MS_BIND | (m->flags & MS_REC), NULL, m->dest, m->what);
	else if (rc == 0)
		rc = mount_at(m->source, fd, type, m->flags & ~(MS_BIND | MS_REC), m->data, m->dest,
			      m->what);
	if (fd >= 0)
		close(fd);
	free(src);
	if (rc == 0 && m->bind)
		rc = remount_bind(rootfd, m);
	if (rc == 0 && m->propagation) {
		fd = open_in_root(rootfd, m->dest, O_PATH);
		rc = fd < 0 ? err_ret("mount %s: %s", m->dest, strerror(errno))
			    : mount_at(NULL, fd, NULL, m->propagation, NULL, m->dest, m->what);
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

static const struct spec_device default_devices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

/* mknod, or (in a user namespace, where mknod is refused) a bind of the host's node. */
static int place_device(const char *path, const struct spec_device *d, bool userns)
{
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	if (!userns && mknod(path, type | (d->mode & 07777), makedev(d->major, d->minor)) == 0)
		/* As root the node is 0:0 already; the mode is past the umask only by chmod. */
		return chmod(path, d->mode & 07777) < 0 ||
			       ((d->uid || d->gid) && chown(path, d->uid, d->gid) < 0)
			   ? -1
			   : 0;
	if (!userns && (errno == ENOENT || errno == EEXIST))
		return -1;
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0 || close(fd) < 0)
		return -1;
	return mount(d->path, path, NULL, MS_BIND, NULL);
}

/* The first try expects /dev made and the node absent (a tmpfs /dev): only when it is
 * not so are the directories made and what is there replaced, and tried again. */
static int make_device(const char *root, const struct spec_device *d, bool userns)
{
	char *path = xasprintf("%s%s", root, d->path);
	int rc = place_device(path, d, userns);
	if (rc < 0 && (errno == ENOENT || errno == EEXIST)) {
		char *dir = xstrdup(path);
		*strrchr(dir, '/') = '\0';
		mkdir_p(dir, 0755);
		free(dir);
		unlink(path);
		rc = place_device(path, d, userns);
	}
	if (rc < 0)
		rc = err_ret("device %s: %s", d->path, strerror(errno));
	free(path);
	return rc;
}

static int make_devices(const struct spec *s, const char *console)
{
	bool userns = spec_has_ns(s, CLONE_NEWUSER);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(default_devices) / sizeof(default_devices[0]); i++)
		rc = make_device(s->root, &default_devices[i], userns);
	for (size_t i = 0; rc == 0 && i < s->ndevices; i++)
		rc = make_device(s->root, &s->devices[i], userns);
	static const char *const links[][2] = {
	    {"/proc/self/fd", "/dev/fd"},	{"/proc/self/fd/0", "/dev/stdin"},
	    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
	    {"pts/ptmx", "/dev/ptmx"},
	};
	for (size_t i = 0; rc == 0 && i < sizeof(links) / sizeof(links[0]); i++) {
		char *p = xasprintf("%s%s", s->root, links[i][1]);
		if (symlink(links[i][0], p) < 0 && errno != EEXIST)
			rc = err_ret("symlink %s: %s", links[i][1], strerror(errno));
		free(p);
	}
	if (rc == 0 && console) {
		char *p = xasprintf("%s/dev/console", s->root);
		int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0 || close(fd) < 0 || mount(console, p, NULL, MS_BIND, NULL) < 0)
			rc = err_ret("/dev/console: %s", strerror(errno));
		free(p);
	}
	return rc;
}

static int pivot(const char *root, bool no_pivot)
{
	if (chdir(root) < 0)
		return err_ret("chdir %s: %s", root, strerror(errno));
	if (no_pivot) {
		/* --no-pivot (a root on a ramfs): move the root and chroot, as runc does. */
		if (mount(root, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
			return err_ret("move the root to /: %s", strerror(errno));
		return chdir("/");
	}
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_ret("pivot_root into %s: %s", root, strerror(errno));
	/* The old root stacked under the new one: keep it from propagating, detach it. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 || umount2(".", MNT_DETACH) < 0)
		return err_ret("cannot detach the host root: %s", strerror(errno));
	return chdir("/");
}

static int write_sysctls(const struct spec *s)
{
	for (size_t i = 0; i < s->nsysctl; i++) {
		char *path = xasprintf("/proc/sys/%s", s->sysctl_keys[i]);
		for (char *p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		int rc = write_file(path, s->sysctl_values[i]);
		free(path);
		if (rc < 0)
			return err_ret("sysctl %s=%s: %s", s->sysctl_keys[i], s->sysctl_values[i],
				       strerror(errno));
	}
	return 0;
}

static int mask_and_protect(const struct spec *s)
{
	for (size_t i = 0; i < s->nmasked; i++) {
		struct stat st;
		const char *p = s->masked[i];
		if (stat(p, &st) < 0)
			continue;
		int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0")
					     : mount("/dev/null", p, NULL, MS_BIND, NULL);
		if (rc < 0)
			return err_ret("masked path %s: %s", p, strerror(errno));
	}
	for (size_t i = 0; i < s->nreadonly; i++) {
		const char *p = s->readonly[i];
		if (access(p, F_OK) < 0)
			continue;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(p), NULL) <
			0)
			return err_ret("read-only path %s: %s", p, strerror(errno));
	}
	return 0;
}

/* pivot_root refuses a shared new root or a shared parent mount: with rootfsPropagation
 * shared, make both private for the pivot (it is applied to the new / afterwards). */
static int make_private_for_pivot(const char *root)
{
	if (mount(NULL, root, NULL, MS_PRIVATE, NULL) < 0)
		return err_ret("private %s: %s", root, strerror(errno));
	char *p = xstrdup(root);
	int rc = -1;
	/* The parent mount: the first directory above the root that is a mount point. */
	for (char *slash; rc < 0 && (slash = strrchr(p, '/'));) {
		*(slash == p ? slash + 1 : slash) = '\0';
		rc = mount(NULL, p, NULL, MS_PRIVATE, NULL);
		if (slash == p)
			break;
	}
	free(p);
	return rc < 0 ? err_ret("cannot make the root's parent mount private: %s", strerror(errno))
		      : 0;
}

int oci_setup_rootfs(const struct spec *s, const struct oci_rootfs_hooks *h)
{
	unsigned long prop = s->rootfs_propagation ? s->rootfs_propagation : MS_SLAVE;
	if (mount(NULL, "/", NULL, MS_REC | prop, NULL) < 0)
		return err_ret("propagation of /: %s", strerror(errno));
	if (h->before_root && h->before_root(h->root_arg) < 0)
		return -1;
	if (mount(s->root, s->root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_ret("bind %s: %s", s->root, strerror(errno));
	int rootfd = open(s->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_ret("open %s: %s", s->root, strerror(errno));
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < s->nmounts; i++)
		rc = mount_one(s, h, rootfd, &s->mounts[i]);
	close(rootfd);
	if (rc < 0 || make_devices(s, h->console) < 0 || h->before_pivot(h->arg) < 0)
		return -1;
	if (s->rootfs_propagation && make_private_for_pivot(s->root) < 0)
		return -1;
	if (pivot(s->root, h->no_pivot) < 0)
		return -1;
	/* shared or unbindable asked for: applied to the new root as well. */
	if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
		return err_ret("rootfsPropagation: %s", strerror(errno));
	if (write_sysctls(s) < 0 || mask_and_protect(s) < 0)
		return -1;
	if (s->root_readonly &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
		return err_ret("read-only root: %s", strerror(errno));
	return 0;
}
