/*
 * libcriu, as crun uses it: each request gets its own criu_opts (the library's
 * criu_local_* calls, no global state), a `criu swrk` child that does the work, and
 * a log in the work directory from which the first error becomes our one line.
 */
#include "checkpoint_criu.h"
#include "util.h"

#include <criu.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* CRIU's own log level 4 (debug): the log is what anyone debugging a failure needs. */
#define CRIU_LOG_LEVEL 4

static void add_pair(struct criu_pair **v, size_t *n, const char *key, const char *val)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].key = key ? xstrdup(key) : NULL;
	(*v)[(*n)++].val = xstrdup(val);
}

void criu_req_ext_mount(struct criu_req *r, const char *key, const char *val)
{
	add_pair(&r->ext_mounts, &r->n_ext_mounts, key, val);
}

void criu_req_cg_root(struct criu_req *r, const char *ctrl, const char *path)
{
	add_pair(&r->cg_roots, &r->n_cg_roots, ctrl, path);
}

void criu_req_veth(struct criu_req *r, const char *inside, const char *outside, const char *bridge)
{
	/* CRIU's syntax: OUTSIDE@BRIDGE moves the host end onto the bridge. */
	char *out = bridge ? xasprintf("%s@%s", outside, bridge) : xstrdup(outside);
	add_pair(&r->veths, &r->n_veths, inside, out);
	free(out);
}

void criu_req_external(struct criu_req *r, const char *key)
{
	r->externals = xrealloc(r->externals, (r->n_externals + 1) * sizeof(char *));
	r->externals[r->n_externals++] = xstrdup(key);
}

void criu_req_inherit(struct criu_req *r, int fd, const char *key)
{
	r->inherit = xrealloc(r->inherit, (r->n_inherit + 1) * sizeof(*r->inherit));
	r->inherit[r->n_inherit].fd = fd;
	r->inherit[r->n_inherit++].key = xstrdup(key);
}

static void free_pairs(struct criu_pair *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].val);
	}
	free(v);
}

void criu_req_free(struct criu_req *r)
{
	free_pairs(r->ext_mounts, r->n_ext_mounts);
	free_pairs(r->cg_roots, r->n_cg_roots);
	free_pairs(r->veths, r->n_veths);
	for (size_t i = 0; i < r->n_externals; i++)
		free(r->externals[i]);
	free(r->externals);
	for (size_t i = 0; i < r->n_inherit; i++)
		free(r->inherit[i].key);
	free(r->inherit);
	r->ext_mounts = r->cg_roots = r->veths = NULL;
	r->externals = NULL;
	r->inherit = NULL;
	r->n_ext_mounts = r->n_cg_roots = r->n_veths = r->n_externals = r->n_inherit = 0;
}

int criu_available(void)
{
	const char *path = getenv("PATH");
	char *dirs = xstrdup(path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	bool found = false;
	for (char *save, *d = strtok_r(dirs, ":", &save); d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		char *bin = xasprintf("%s/criu", d);
		found = access(bin, X_OK) == 0;
		free(bin);
	}
	free(dirs);
	return found ? 0 : err_ret("criu not found in PATH (apt-get install criu)");
}

/* The first "Error (file:line): what" of the log, as "what"; NULL when there is none. */
static char *first_error(const char *log)
{
	FILE *f = fopen(log, "re");
	char line[1024], *out = NULL;
	while (f && !out && fgets(line, sizeof(line), f)) {
		char *e = strstr(line, "Error (");
		char *msg = e ? strstr(e, "): ") : NULL;
		if (!msg)
			continue;
		msg += 3;
		msg[strcspn(msg, "\n")] = 0;
		out = xstrdup(msg);
	}
	if (f)
		fclose(f);
	return out;
}

static int report(const struct criu_req *r, const char *log_name, int rc)
{
	char *log = xasprintf("%s/%s", r->work_dir ? r->work_dir : r->image_dir, log_name);
	char *what = first_error(log);
	/* A stdio file that CRIU validated against the dumped one: say what it wants. */
	bool stdio = what && !strncmp(what, "File fd/", 8) && strstr(what, " has bad ");
	if (what)
		err_ret("%s: CRIU: %s%s (log: %s)", r->verb, what,
			stdio ? "; the restoring command's stdio stands for the container's: give "
				"pipes, or files opened for append with the same mode"
			      : "",
			log);
	else
		err_ret("%s: CRIU failed (libcriu: %s; log: %s)", r->verb, strerror(-rc), log);
	free(what);
	free(log);
	return -1;
}

static int open_dir(const char *what, const char *path, bool make)
{
	if (make && mkdir(path, 0700) < 0 && errno != EEXIST)
		return err_ret("cannot create the %s %s: %s", what, path, strerror(errno));
	/* Not close-on-exec: `criu swrk` reads it through /proc/OUR_PID/fd. */
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return err_ret("%s %s: %s", what, path, strerror(errno));
	return fd;
}

/* Options both requests share; the fds are closed by criu_close. */
static int criu_prepare(const struct criu_req *r, criu_opts **o, int fds[2], const char *log)
{
	fds[0] = fds[1] = -1;
	bool dump = r->pid > 0;
	if (criu_available() < 0)
		return -1;
	if (criu_local_init_opts(o) < 0)
		return err_ret("%s: cannot set up libcriu", r->verb);
	if ((fds[0] = open_dir("image directory", r->image_dir, dump)) < 0)
		return -1;
	if (r->work_dir && (fds[1] = open_dir("work directory", r->work_dir, true)) < 0)
		return -1;
	criu_local_set_images_dir_fd(*o, fds[0]);
	if (fds[1] >= 0)
		criu_local_set_work_dir_fd(*o, fds[1]);
	criu_local_set_log_level(*o, CRIU_LOG_LEVEL);
	criu_local_set_log_file(*o, log);
	if (r->root && criu_local_set_root(*o, r->root) < 0)
		return err_ret("%s: libcriu: out of memory", r->verb);
	criu_local_set_manage_cgroups(*o, true);
	criu_local_set_manage_cgroups_mode(*o, CRIU_CG_MODE_SOFT);
	criu_local_set_tcp_established(*o, r->tcp_established);
	criu_local_set_file_locks(*o, r->file_locks);
	int rc = 0;
	for (size_t i = 0; i < r->n_ext_mounts; i++)
		rc |= criu_local_add_ext_mount(*o, r->ext_mounts[i].key, r->ext_mounts[i].val);
	for (size_t i = 0; i < r->n_externals; i++)
		rc |= criu_local_add_external(*o, r->externals[i]);
	for (size_t i = 0; i < r->n_inherit; i++)
		rc |= criu_local_add_inherit_fd(*o, r->inherit[i].fd, r->inherit[i].key);
	for (size_t i = 0; i < r->n_cg_roots; i++)
		rc |= criu_local_add_cg_root(*o, r->cg_roots[i].key, r->cg_roots[i].val);
	for (size_t i = 0; i < r->n_veths; i++)
		rc |= criu_local_add_veth_pair(*o, r->veths[i].key, r->veths[i].val);
	return rc ? err_ret("%s: libcriu: out of memory", r->verb) : 0;
}

static void criu_close(criu_opts *o, int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (o)
		criu_local_free_opts(o);
}

int criu_run_dump(const struct criu_req *r)
{
	criu_opts *o = NULL;
	int fds[2], rc = criu_prepare(r, &o, fds, "dump.log");
	if (rc == 0) {
		criu_local_set_pid(o, r->pid);
		criu_local_set_leave_running(o, r->leave_running);
		/* nftables: CRIU's iptables lock needs xt modules a host may not load. */
		criu_local_set_network_lock(o, CRIU_NETWORK_LOCK_NFTABLES);
		rc = criu_local_dump(o);
		rc = rc < 0 ? report(r, "dump.log", rc) : 0;
	}
	criu_close(o, fds);
	return rc;
}

pid_t criu_run_restore(const struct criu_req *r)
{
	criu_opts *o = NULL;
	int fds[2];
	pid_t pid = criu_prepare(r, &o, fds, "restore.log");
	if (pid == 0) {
		/* Device files are looked up by number, not by the dumped path (runc). */
		criu_local_set_evasive_devices(o, true);
		int saved = r->quiet ? fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3) : -1;
		int null = saved >= 0 ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
		if (null >= 0) {
			dup2(null, STDERR_FILENO);
			close(null);
		}
		pid = criu_local_restore_child(o);
		if (saved >= 0) {
			dup2(saved, STDERR_FILENO);
			close(saved);
		}
		if (pid <= 0)
			pid = report(r, "restore.log", pid ? pid : -EIO);
	}
	criu_close(o, fds);
	return pid;
}
