/*
 * `container run`'s container as an OCI spec (spec.h), built in memory: what the
 * create core (oci_create.c, oci_init.c, oci_rootfs.c, oci_cgroup.c) makes for both
 * CLIs. What has no OCI field (the overlay root, eth0, the pid-1 reaper) is a step
 * around the core instead (struct create_steps, run.c and init.c).
 */
#include "container.h"
#include "namespaces.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* runc's default masked and read-only paths. */
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
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A mount with options as config.json spells them ("nosuid,nodev,mode=755"). */
static struct spec_mount *add_mount(struct spec *s, const char *dest, const char *type,
				    const char *source, const char *options)
{
	s->mounts = xrealloc(s->mounts, (s->nmounts + 1) * sizeof(*s->mounts));
	struct spec_mount *m = &s->mounts[s->nmounts++];
	*m = (struct spec_mount){.dest = dest, .type = type, .source = source};
	char *opts = xstrdup(options);
	for (char *o = strtok(opts, ","); o; o = strtok(NULL, ","))
		spec_mount_option(m, o);
	free(opts);
	if (type && !strcmp(type, "bind"))
		m->bind = true;
	return m;
}

/* /run and /tmp are tmpfs only where the image has them (none is made in its layer). */
static bool in_image(const struct rootfs_spec *fs, const char *dir)
{
	for (size_t i = fs->nlayers + 1; i-- > 0;) {
		char *p = xasprintf("%s%s", i ? fs->layers[i - 1] : fs->rootfs, dir);
		struct stat st;
		bool found = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
		free(p);
		if (found)
			return true;
	}
	return false;
}

static void add_volumes(struct container *c, struct spec *s, char ***labels)
{
	const struct run_opts *o = c->o;
	*labels = o->nvols ? xrealloc(NULL, o->nvols * sizeof(char *)) : NULL;
	for (size_t i = 0; i < o->nvols; i++) {
		const struct volume *v = &o->vols[i];
		struct spec_mount *m =
		    add_mount(s, v->ctr, "bind", v->host, v->readonly ? "rbind,ro" : "rbind");
		m->what = (*labels)[i] = xasprintf("volume %s:%s", v->host, v->ctr);
	}
}

/* Copies from to tmp, with from's mode and mtime: 0, or -1. */
static int copy_file(const char *from, const char *tmp, const struct stat *st)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	int rc = in >= 0 && out >= 0 ? 0 : -1;
	for (off_t left = rc == 0 ? st->st_size : 0; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (n <= 0) {
			rc = -1;
			break;
		}
		left -= n;
	}
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	if (rc == 0 && futimens(out, times) < 0)
		rc = -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0)
		rc = -1;
	return rc;
}

/*
 * With --userns the bind mount on REAPER_PATH is made by root of the user namespace,
 * uid 100000 outside, which may not reach the build directory beside this binary (a
 * checkout under /root, a mktemp clone). It binds STATE_BASE/container-init instead:
 * one copy for every container, made again (renamed into place) when the binary's
 * size or mtime changed. The copy's path, or NULL.
 */
static char *shared_reaper(const char *reaper)
{
	char *copy = xasprintf("%s/container-init", state_base());
	struct stat src, dst;
	if (stat(reaper, &src) < 0)
		goto fail;
	if (stat(copy, &dst) == 0 && dst.st_size == src.st_size &&
	    dst.st_mtim.tv_sec == src.st_mtim.tv_sec && dst.st_mtim.tv_nsec == src.st_mtim.tv_nsec)
		return copy;
	char *tmp = xasprintf("%s/.container-init.%d", state_base(), (int)getpid());
	int rc = copy_file(reaper, tmp, &src) == 0 ? rename(tmp, copy) : -1;
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	if (rc == 0)
		return copy;
fail:
	free(copy);
	return NULL;
}

/* docker's --init: pid 1 becomes container-init (beside this binary), bound read-only
 * on REAPER_PATH, where init.c execs it. Without it the runtime's fork stays pid 1. */
static void add_reaper(struct container *c, struct spec *s)
{
	char self[4096 - 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	c->reaper[0] = 0;
	if (n <= 0)
		return;
	self[n] = 0;
	*strrchr(self, '/') = 0;
	snprintf(c->reaper, sizeof(c->reaper), "%s/container-init", self);
	if (access(c->reaper, X_OK) < 0) {
		c->reaper[0] = 0;
		return;
	}
	if (c->userns && geteuid() == 0) {
		char *copy = shared_reaper(c->reaper);
		snprintf(c->reaper, sizeof(c->reaper), "%s", copy ? copy : "");
		free(copy);
		if (!c->reaper[0])
			return;
	}
	add_mount(s, REAPER_PATH, "bind", c->reaper, "bind,ro,nosuid,nodev");
}

/* The filesystem docker's containers get: scratch /run and /tmp, the volumes, /proc,
 * /sys (read-only unless privileged), a tmpfs /dev with a devpts and /dev/shm. The
 * device nodes and /dev's links are the core's (oci_rootfs.c), as for every OCI spec. */
static void add_mounts(struct container *c, struct spec *s)
{
	const struct run_opts *o = c->o;
	if (in_image(&c->fs, "/run"))
		add_mount(s, "/run", "tmpfs", "tmpfs", "nosuid,nodev,mode=755");
	if (in_image(&c->fs, "/tmp"))
		add_mount(s, "/tmp", "tmpfs", "tmpfs", "nosuid,nodev,mode=1777");
	add_volumes(c, s, &c->volume_labels);
	add_mount(s, "/proc", "proc", "proc", "nosuid,nodev,noexec");
	/* sysfs needs a network namespace of its own: with --net host in a user namespace,
	 * the host's is bound instead. */
	if (c->userns && o->net == NET_HOST)
		add_mount(s, "/sys", "bind", "/sys", o->privileged ? "bind" : "bind,ro");
	else
		add_mount(s, "/sys", "sysfs", "sysfs",
			  o->privileged ? "nosuid,nodev,noexec" : "nosuid,nodev,noexec,ro");
	add_mount(s, "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k");
	add_mount(s, "/dev/pts", "devpts", "devpts",
		  c->userns ? "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620"
			    : "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5");
	add_mount(s, "/dev/shm", "tmpfs", "shm", "nosuid,nodev,noexec,mode=1777,size=65536k");
	add_reaper(c, s);
}

static void add_namespaces(const struct container *c, struct spec *s)
{
	int types[] = {CLONE_NEWPID, CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP};
	for (size_t i = 0; i < COUNT(types); i++)
		s->ns[s->nns++] = (struct spec_ns){.type = types[i]};
	if (c->o->net != NET_HOST)
		s->ns[s->nns++] = (struct spec_ns){.type = CLONE_NEWNET};
	if (!c->userns)
		return;
	s->ns[s->nns++] = (struct spec_ns){.type = CLONE_NEWUSER};
	/* As root: ids 0-65535 are host ids 100000-165535. Rootless: the caller is root
	 * inside, and the init writes that map itself (maps_by_init). */
	struct spec_idmap m = {0, USERNS_BASE, USERNS_SIZE};
	if (c->host_uid != 0)
		m = (struct spec_idmap){0, (unsigned)c->host_uid, 1};
	s->uid_maps[0] = m;
	if (c->host_uid != 0)
		m.host = (unsigned)c->host_gid;
	s->gid_maps[0] = m;
	s->nuid_maps = s->ngid_maps = 1;
}

static void copy_paths(const char *const *from, size_t n, const char ***to, size_t *nto)
{
	*to = xrealloc(NULL, n * sizeof(char *));
	memcpy(*to, from, n * sizeof(char *));
	*nto = n;
}

/* --memory (no swap beyond it, as docker), --cpus, --pids, --io-weight, and the device
 * filter: deny all, then the core's default devices (runc's list). */
static void add_resources(struct container *c, struct spec *s)
{
	const struct limits *l = &c->o->lim;
	struct spec_resources *r = &s->res;
	if (l->memory_bytes)
		r->memory_limit = r->memory_swap = l->memory_bytes;
	if (l->cpu_quota_us) {
		r->cpu_quota = l->cpu_quota_us;
		r->cpu_period = l->cpu_period_us;
	}
	if (l->pids)
		r->pids_limit = l->pids;
	if (l->io_weight)
		r->blkio_weight = l->io_weight;
	if (!c->o->privileged) {
		r->dev_rules = xrealloc(NULL, sizeof(*r->dev_rules));
		r->dev_rules[0] = (struct spec_dev_rule){false, 'a', -1, -1, "rwm"};
		r->ndev_rules = 1;
	}
	/* v1: only the hierarchies something here uses (each one more costs a directory). */
	snprintf(c->cgroup_controllers, sizeof(c->cgroup_controllers), "%s%s%s%s%s%s",
		 c->o->privileged ? "" : "devices,",
		 l->memory_bytes || c->o->stats ? "memory," : "", c->o->stats ? "cpuacct," : "",
		 l->cpu_quota_us ? "cpu," : "", l->pids ? "pids," : "",
		 l->io_weight ? "blkio," : "");
	s->cgroup_v1_controllers = c->cgroup_controllers;
}

bool run_wants_cgroup(const struct container *c)
{
	const struct limits *l = &c->o->lim;
	/* Rootless: no cgroup to make. Privileged without limits: no device filter either. */
	return c->host_uid == 0 && (!c->o->privileged || l->memory_bytes || l->cpu_quota_us ||
				    l->pids || l->io_weight || c->o->stats);
}

void run_build_spec(struct container *c, struct spec *s)
{
	*s = (struct spec){0};
	spec_resources_init(&s->res);
	s->oci_version = "1.0.2";
	s->root = xstrdup(c->fs.merged);
	s->rootfs_propagation = MS_PRIVATE | MS_REC;
	/* --net host keeps the host's name, as docker. */
	if (c->o->net != NET_HOST)
		s->hostname = c->o->hostname ? c->o->hostname : c->name;
	add_namespaces(c, s);
	add_mounts(c, s);
	if (!c->o->privileged) {
		copy_paths(masked_paths, COUNT(masked_paths), &s->masked, &s->nmasked);
		copy_paths(readonly_paths, COUNT(readonly_paths), &s->readonly, &s->nreadonly);
	}
	add_resources(c, s);
	/* v2: <root>/isolab/NAME; v1: isolab/NAME below our own cgroup of each hierarchy. */
	struct cgroup detected;
	cgroup_detect(&detected);
	c->cgroups_path = xasprintf("%sisolab/%s", detected.ops->clone_into ? "/" : "", c->name);
	s->cgroups_path = c->cgroups_path;
}
