/*
 * Builds the container's root in its own mount namespace: an overlay whose
 * lowest layer is the shared rootfs (so the VM's tree is never written), the
 * volumes, /proc, read-only /sys, a small /dev, runc's masked and read-only
 * paths, then pivot_root (chroot would leave the host's root reachable).
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
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/openat2.h>

static int mnt(const char *src, const char *dst, const char *type, unsigned long flags,
	       const char *data)
{
	if (mount(src, dst, type, flags, data) < 0)
		return err_ret("mount %s on %s: %s",
			       type  ? type
			       : src ? src
				     : "(remount)",
			       dst, strerror(errno));
	return 0;
}

static char *in_root(const struct rootfs_spec *s, const char *path)
{
	return xasprintf("%s%s", s->merged, path);
}

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
	if (mnt("tmpfs", s->scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0711") < 0)
		return -1;
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

static int bind_readonly(const char *src, const char *dst, int recursive)
{
	if (mnt(src, dst, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
		return -1;
	return mnt(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(dst), NULL);
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

static int mount_volumes(const struct rootfs_spec *s)
{
	int rootfd = s->nvols ? open(s->merged, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < s->nvols; i++) {
		const struct volume *v = &s->vols[i];
		struct stat st;
		if (stat(v->host, &st) < 0) {
			rc = err_ret("volume %s: %s", v->host, strerror(errno));
			break;
		}
		int fd = make_target(rootfd, v->ctr, S_ISDIR(st.st_mode));
		if (fd < 0) {
			rc = err_ret("volume target %s: %s", v->ctr, strerror(errno));
			break;
		}
		/* Mount on the fd we resolved, not on a path someone could swap meanwhile. */
		char dst[64];
		snprintf(dst, sizeof(dst), "/proc/self/fd/%d", fd);
		rc = mount(v->host, dst, NULL, MS_BIND | MS_REC, NULL);
		if (rc < 0)
			rc = err_ret("volume %s:%s: %s%s", v->host, v->ctr, strerror(errno),
				     errno == ENOTDIR ? " (a directory cannot go on a file)" : "");
		close(fd);
		if (rc == 0 && v->readonly) {
			/* The fd still names what lies under the new mount: resolve again. */
			fd = open_in_root(rootfd, v->ctr, O_PATH);
			snprintf(dst, sizeof(dst), "/proc/self/fd/%d", fd);
			rc = fd < 0
				 ? err_ret("volume target %s: %s", v->ctr, strerror(errno))
				 : mnt(NULL, dst, NULL,
				       MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(dst), NULL);
			if (fd >= 0)
				close(fd);
		}
	}
	if (rootfd >= 0)
		close(rootfd);
	return rc;
}

static int mount_proc_sys(const struct rootfs_spec *s)
{
	char *proc = in_root(s, "/proc"), *sys = in_root(s, "/sys");
	mkdir(proc, 0555);
	mkdir(sys, 0555);
	int rc = mnt("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	unsigned long ro = s->privileged ? 0 : MS_RDONLY;
	if (rc == 0 && mount("sysfs", sys, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | ro, NULL)) {
		/* sysfs needs a network namespace of our own (not so with --net host --userns). */
		rc = ro ? bind_readonly("/sys", sys, 0) : mnt("/sys", sys, NULL, MS_BIND, NULL);
	}
	free(proc);
	free(sys);
	return rc;
}

struct devnode {
	const char *name;
	unsigned major, minor;
};

static const struct devnode devnodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},	 {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/* mknod where we may, a bind of the host's node where we may not (in a user namespace). */
static int make_node(const char *dev, const struct devnode *n)
{
	char path[4096], host[64];
	snprintf(path, sizeof(path), "%s/%s", dev, n->name);
	if (mknod(path, S_IFCHR | 0666, makedev(n->major, n->minor)) == 0)
		return chmod(path, 0666);
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0)
		return err_ret("cannot create %s: %s", path, strerror(errno));
	close(fd);
	snprintf(host, sizeof(host), "/dev/%s", n->name);
	return mnt(host, path, NULL, MS_BIND, NULL);
}

static int mount_dev(const struct rootfs_spec *s)
{
	char *dev = in_root(s, "/dev");
	char path[4096];
	mkdir(dev, 0755);
	int rc = mnt("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
	for (size_t i = 0; rc == 0 && i < sizeof(devnodes) / sizeof(devnodes[0]); i++)
		rc = make_node(dev, &devnodes[i]);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/pts", dev);
		mkdir(path, 0755);
		rc = mnt("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
			 s->userns ? "newinstance,ptmxmode=0666,mode=0620"
				   : "newinstance,ptmxmode=0666,mode=0620,gid=5");
	}
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/shm", dev);
		mkdir(path, 01777);
		rc = mnt("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			 "mode=1777,size=65536k");
	}
	static const char *const links[][2] = {
	    {"pts/ptmx", "ptmx"},	   {"/proc/self/fd", "fd"},
	    {"/proc/self/fd/0", "stdin"},  {"/proc/self/fd/1", "stdout"},
	    {"/proc/self/fd/2", "stderr"},
	};
	for (size_t i = 0; rc == 0 && i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dev, links[i][1]);
		if (symlink(links[i][0], path) < 0)
			rc = err_ret("symlink %s: %s", path, strerror(errno));
	}
	free(dev);
	return rc;
}

/* /run and /tmp as tmpfs, as podman mounts /run: scratch space that never reaches the
 * writable layer, and the same layout the VM's /init makes (it mounts what is missing). */
static int mount_scratch(const struct rootfs_spec *s)
{
	static const char *const dirs[][2] = {{"/run", "mode=755"}, {"/tmp", "mode=1777"}};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = in_root(s, dirs[i][0]);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rc = mnt("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, dirs[i][1]);
		free(p);
	}
	return rc;
}

static const char *const masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static int mask_paths(const struct rootfs_spec *s)
{
	char *null = in_root(s, "/dev/null");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(masked_paths) / sizeof(masked_paths[0]); i++) {
		char *p = in_root(s, masked_paths[i]);
		struct stat st;
		if (stat(p, &st) == 0)
			rc = S_ISDIR(st.st_mode) ? mnt("tmpfs", p, "tmpfs", MS_RDONLY, "size=0")
						 : mnt(null, p, NULL, MS_BIND, NULL);
		free(p);
	}
	for (size_t i = 0; rc == 0 && i < sizeof(readonly_paths) / sizeof(readonly_paths[0]); i++) {
		char *p = in_root(s, readonly_paths[i]);
		if (access(p, F_OK) == 0)
			rc = bind_readonly(p, p, 1);
		free(p);
	}
	free(null);
	return rc;
}

static int pivot_into(const char *root)
{
	/* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only
	 * the new root, with no host directory to create for the old one. */
	if (chdir(root) < 0)
		return err_ret("chdir %s: %s", root, strerror(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_ret("pivot_root into %s: %s", root, strerror(errno));
	if (umount2(".", MNT_DETACH) < 0)
		return err_ret("cannot detach the host root: %s", strerror(errno));
	return chdir("/");
}

int setup_rootfs(const struct rootfs_spec *s)
{
	if (mnt(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	if (mount_scratch_layer(s) < 0 || mount_overlay(s) < 0 || mount_scratch(s) < 0 ||
	    mount_volumes(s) < 0 || mount_proc_sys(s) < 0 || mount_dev(s) < 0)
		return -1;
	if (!s->privileged && mask_paths(s) < 0)
		return -1;
	return pivot_into(s->merged);
}
