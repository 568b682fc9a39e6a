/*
 * `container restore DIR [--name NEW] [-d]`: the container of a `container checkpoint`
 * back, as run makes one (run_start: state, overlay directories, the checkpoint's
 * address, bridge, log, spec and cgroup with its limits, the -p relays, the monitor),
 * with CRIU's restore in place of the create core's clone. The restored tree is the
 * monitor's child, as run's init is (its parent-death signal is the monitor's), so the
 * monitor restores it itself: it joins the cgroup for the call (runc's way: CRIU's
 * cgroup root is the caller's), and mounts the overlay root in a mount namespace of its
 * own (CRIU's root must be a mount point; nothing stays mounted on the host).
 */
#include "checkpoint.h"
#include "checkpoint_run.h"
#include "container.h"
#include "image/layer.h"
#include "json_field.h"
#include "network.h"
#include "run_record.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* The log so far, ahead of what the restored command writes. */
static int restore_log(const char *dir, int log_fd)
{
	char *path = xasprintf("%s/log", dir), buf[65536];
	int in = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	ssize_t n;
	while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(log_fd, buf, (size_t)n) != n)
			break;
	if (in >= 0)
		close(in);
	return 0;
}

/* The dump's keys for the command's stdio (its log) stand for our log: a copy that is
 * not close-on-exec, for `criu swrk` to inherit. */
static int inherit_log(const char *images, int log_fd, struct criu_req *r, int *dup_fd)
{
	char *path = xasprintf("%s/%s", images, CHECKPOINT_DESCRIPTORS);
	struct json_object *doc = json_object_from_file(path), *fds;
	int rc = 0;
	if (!doc || !json_object_object_get_ex(doc, "stdio", &fds) ||
	    json_object_get_type(fds) != json_type_array)
		rc = err_ret("restore: %s is missing or not a checkpoint's", path);
	*dup_fd = rc == 0 ? fcntl(log_fd, F_DUPFD, 3) : -1;
	for (size_t i = 0; rc == 0 && i < json_object_array_length(fds); i++) {
		const char *key = json_object_get_string(json_object_array_get_idx(fds, i));
		bool seen = false;
		for (size_t k = 0; key && k < r->n_inherit; k++)
			seen |= !strcmp(r->inherit[k].key, key);
		if (key && !seen)
			criu_req_inherit(r, *dup_fd, key);
	}
	if (doc)
		json_object_put(doc);
	free(path);
	return rc;
}

/* Back into the cgroups of saved (a copy of our /proc/self/cgroup) after the restore. */
static void return_to_cgroups(char *saved)
{
	for (char *save, *line = strtok_r(saved, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *ctrl = strchr(line, ':'), *path = ctrl ? strchr(ctrl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = 0;
		ctrl++;
		if (!strncmp(ctrl, "name=", 5))
			ctrl += 5;
		char *dir = xasprintf("/sys/fs/cgroup%s%s%s", *ctrl ? "/" : "", ctrl, path);
		cg_write(dir, "cgroup.procs", "%d", (int)getpid());
		free(dir);
	}
}

/* CRIU's restore of the tree as our child, in the container's cgroup. */
static pid_t criu_restore_here(struct container *c, struct criu_req *q)
{
	char saved[4096] = "";
	if (read_file("/proc/self/cgroup", saved, sizeof(saved)) < 0)
		return err_ret("restore: /proc/self/cgroup: %s", strerror(errno));
	pid_t pid = -1;
	if (cgroup_enter(&c->core.st.cg, 0) == 0 && checkpoint_cgroup_roots(q) == 0)
		pid = criu_run_restore(q);
	return_to_cgroups(saved);
	return pid;
}

static int restore_root(struct container *c)
{
	char *tar = xasprintf("%s/upper.tar", c->restore->dir);
	int rc = layer_unpack(tar, c->fs.upper);
	free(tar);
	if (rc < 0)
		return -1;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_ret("restore: a mount namespace for CRIU: %s", strerror(errno));
	return mount_overlay_root(&c->fs);
}

int restore_run_spawn(struct container *c)
{
	const struct run_restore *r = c->restore;
	char *images = xasprintf("%s/criu", r->dir);
	struct criu_req q = {.image_dir = images,
			     .verb = "restore",
			     .root = c->fs.merged,
			     .tcp_established = r->tcp_established,
			     .file_locks = r->file_locks,
			     .quiet = true};
	int log_dup = -1;
	pid_t pid = -1;
	checkpoint_bind_mounts(&c->core.s, &q, true);
	if (c->veth[0])
		criu_req_veth(&q, "eth0", c->veth, BRIDGE_NAME);
	if (restore_log(r->dir, c->log_fd) == 0 &&
	    inherit_log(images, c->log_fd, &q, &log_dup) == 0 && restore_root(c) == 0) {
		pid = criu_restore_here(c, &q);
		umount2(c->fs.merged, MNT_DETACH);
	}
	if (log_dup >= 0)
		close(log_dup);
	criu_req_free(&q);
	/* pid set: on an error from here on, run's cleanup kills the tree. */
	int rc = pid > 0 ? 0 : -1;
	c->pid = pid > 0 ? pid : 0;
	if (rc == 0 && c->o->net != NET_HOST)
		rc = checkpoint_unlock_network(images, pid);
	free(images);
	if (rc == 0 && c->veth[0])
		rc = net_veth_attach(c->veth);
	return rc;
}

/* What a checkpoint directory holds besides checkpoint.json (checkpoint_run.c). */
static int complete(const char *dir)
{
	static const char *const parts[] = {"criu/inventory.img", ("criu/" CHECKPOINT_DESCRIPTORS),
					    "upper.tar"};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		char *path = xasprintf("%s/%s", dir, parts[i]);
		int rc = access(path, R_OK) < 0 ? err_ret("restore: %s is incomplete: %s: %s", dir,
							  path, strerror(errno))
						: 0;
		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* DIR/checkpoint.json, checked: this format and version, and the rest there. */
static struct json_object *open_checkpoint(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return err_ret("restore: checkpoint directory %s: %s", dir, strerror(errno)), NULL;
	if (!S_ISDIR(st.st_mode))
		return err_ret("restore: %s is not a directory", dir), NULL;
	char *path = xasprintf("%s/%s", dir, CHECKPOINT_FILE);
	struct json_object *doc = json_object_from_file(path), *v;
	free(path);
	int version = json_object_object_get_ex(doc, "version", &v) ? json_object_get_int(v) : -1;
	int rc = 0;
	if (!doc || json_object_get_type(doc) != json_type_object ||
	    strcmp(jstr(doc, "format"), CHECKPOINT_FORMAT))
		rc = err_ret("restore: %s is no checkpoint of container checkpoint (%s missing or "
			     "unreadable)",
			     dir, CHECKPOINT_FILE);
	else if (version != CHECKPOINT_VERSION)
		rc = err_ret("restore: %s is a version %d checkpoint; this container reads "
			     "version %d",
			     dir, version, CHECKPOINT_VERSION);
	else
		rc = complete(dir);
	if (rc < 0 && doc) {
		json_object_put(doc);
		doc = NULL;
	}
	return doc;
}

static const struct option restore_opts[] = {
    {"name", required_argument, 0, 'n'},
    {"detach", no_argument, 0, 'd'},
    {"tcp-established", no_argument, 0, 't'},
    {"file-locks", no_argument, 0, 'f'},
    {0, 0, 0, 0},
};

static int parse(int argc, char **argv, struct run_restore *r, const char **name, bool *detach)
{
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d", restore_opts, NULL)) != -1) {
		if (c == 'n')
			*name = optarg;
		else if (c == 'd')
			*detach = true;
		else if (c == 't')
			r->tcp_established = true;
		else if (c == 'f')
			r->file_locks = true;
		else
			return err_ret("restore: unknown option or missing value '%s'",
				       argv[optind - 1]);
	}
	if (optind != argc - 1)
		return err_ret("usage: container restore DIR [--name NEW] [-d] "
			       "[--tcp-established] [--file-locks]");
	r->dir = argv[optind];
	if (*name && !valid_name(*name))
		return err_ret("restore: bad container name '%s'", *name);
	return 0;
}

int cmd_restore(int argc, char **argv)
{
	struct run_restore r = {0};
	const char *name = NULL;
	bool detach = false;
	if (parse(argc, argv, &r, &name, &detach) < 0)
		return 125;
	struct json_object *doc = open_checkpoint(r.dir);
	if (!doc)
		return 125;
	struct run_opts o;
	int code = 125;
	if (run_record_parse(jget(doc, "run"), &o) == 0) {
		o.name = name ? name : jstr(doc, "name");
		/* Its output goes on to its log, whether we wait for it or not. */
		o.detach = true;
		snprintf(r.ip, sizeof(r.ip), "%s", jstr(doc, "ip"));
		if (valid_name(o.name))
			code = run_start(&o, &r, detach);
		else
			err_ret("restore: bad container name '%s' in %s", o.name, CHECKPOINT_FILE);
	}
	run_record_free(&o);
	json_object_put(doc);
	return code;
}
