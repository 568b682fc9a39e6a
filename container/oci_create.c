/*
 * `create`: the runtime's side. Reads the bundle's config.json, records the state
 * under --root, makes the cgroup, clones the init into the namespaces the spec asks
 * for and takes it through the start protocol (sync.h): id maps, cgroup, the
 * runtime-namespace hooks, READY. Then it leaves the init waiting for `start`.
 */
#include "cgroup.h"
#include "namespaces.h"
#include "oci.h"
#include "oci_cgroup.h"
#include "oci_hooks.h"
#include "seccomp_listener.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int check_spec(const struct spec *s, const char *console_socket)
{
	if (!s->has_process)
		return err_ret("config.json: process is required to create a container");
	if ((s->hostname || s->domainname) && !spec_has_ns(s, CLONE_NEWUTS))
		return err_ret("config.json: hostname needs its own uts namespace");
	if (s->process.terminal && !console_socket)
		return err_ret("process.terminal needs --console-socket");
	if (!s->process.terminal && console_socket)
		return err_ret("--console-socket given, but process.terminal is false");
	return 0;
}

/* Namespaces by path: pid is joined here (it applies to our children), the rest by the
 * init, from fds opened in our view of the filesystem. */
static int open_ns_paths(struct oci_create *c, unsigned long *flags)
{
	*flags = 0;
	for (size_t i = 0; i < c->s.nns; i++) {
		const struct spec_ns *n = &c->s.ns[i];
		c->ns_fds[i] = -1;
		if (!n->path) {
			/* cgroup: unshared by the init after its cgroup join. */
			if (n->type != CLONE_NEWCGROUP)
				*flags |= (unsigned long)n->type;
			continue;
		}
		int fd = open(n->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err_ret("%s namespace %s: %s", spec_ns_name(n->type), n->path,
				       strerror(errno));
		if (n->type == CLONE_NEWPID) {
			int rc = setns(fd, CLONE_NEWPID);
			close(fd);
			if (rc < 0)
				return err_ret("cannot join the pid namespace %s: %s", n->path,
					       strerror(errno));
			continue;
		}
		c->ns_fds[i] = fd;
	}
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct spec_idmap *m, size_t n)
{
	char buf[512], path[64];
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m[i].container,
					m[i].host, m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (write_file(path, buf) < 0)
		return err_ret("cannot write %s: %s", path, strerror(errno));
	return 0;
}

static int hooks_in_runtime(struct oci_create *c, pid_t pid)
{
	char *json = oci_hook_state(&c->st, "created", pid);
	int rc = oci_run_hooks(&c->s, HOOK_PRESTART, json);
	if (rc == 0)
		rc = oci_run_hooks(&c->s, HOOK_CREATE_RUNTIME, json);
	free(json);
	return rc;
}

/* A user namespace, new or joined: the process then holds a full set of its own. */
static bool any_user_ns(const struct spec *s)
{
	for (size_t i = 0; i < s->nns; i++)
		if (s->ns[i].type == CLONE_NEWUSER)
			return true;
	return false;
}

bool create_runtime_step(const struct oci_create *c)
{
	return (spec_new_user_ns(&c->s) && !c->maps_by_init) || (c->steps && c->steps->after_clone);
}

/* The runtime's half of the start protocol; 0 once the init said READY. */
static int drive_init(struct oci_create *c, pid_t pid)
{
	const struct spec *s = &c->s;
	int fd = c->sync[0];
	if (spec_new_user_ns(s) && !c->maps_by_init &&
	    (write_map(pid, "uid_map", s->uid_maps, s->nuid_maps) < 0 ||
	     write_map(pid, "gid_map", s->gid_maps, s->ngid_maps) < 0))
		return -1;
	if (c->steps && c->steps->after_clone && c->steps->after_clone(c->steps->arg, pid) < 0)
		return -1;
	/* The init may be gone already, with an ERROR queued for us: print that one. */
	if (create_runtime_step(c) && sync_send(fd, SYNC_NAMESPACES_DONE, 0, NULL) < 0) {
		if (sync_expect(fd, SYNC_READY, "during setup") == 0)
			err_ret("start protocol: READY before NAMESPACES_DONE");
		return -1;
	}
	for (;;) {
		struct sync_msg m;
		if (sync_recv(fd, &m, "during setup") < 0)
			return -1;
		if (m.type == SYNC_READY)
			return 0;
		if (m.type == SYNC_ERROR) {
			errno = m.errnum;
			return err_ret("%s", m.text);
		}
		if (m.type != SYNC_HOOKS)
			return err_ret("start protocol: unexpected %s", sync_type_name(m.type));
		if (hooks_in_runtime(c, pid) < 0)
			return -1;
		if (sync_send(fd, SYNC_HOOKS_DONE, 0, NULL) < 0)
			return err_ret("the container's init died during its hooks");
	}
}

void rfc3339_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

int write_pid_file(const char *path, pid_t pid)
{
	char *tmp = xasprintf("%s.tmp", path), val[32];
	snprintf(val, sizeof(val), "%d", (int)pid);
	int fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644), rc = -1;
	if (fd >= 0 && write(fd, val, strlen(val)) == (ssize_t)strlen(val) && close(fd) == 0)
		rc = rename(tmp, path);
	if (rc < 0)
		err_ret("cannot write --pid-file %s: %s", path, strerror(errno));
	free(tmp);
	return rc;
}

static int make_fifo(struct oci_create *c)
{
	char *fifo = oci_fifo_path(&c->st);
	/* Opened here, inherited by the init (no path to reach after pivot_root, whatever
	 * its user namespace); O_RDWR so that its read waits for `start`'s byte, never EOF. */
	c->fifo_fd = mkfifo(fifo, 0600) < 0 ? -1 : open(fifo, O_RDWR | O_CLOEXEC);
	free(fifo);
	if (c->fifo_fd < 0)
		return err_ret("cannot make exec.fifo: %s", strerror(errno));
	return 0;
}

int create_spawn(struct oci_create *c, pid_t *pid_out)
{
	unsigned long flags;
	*pid_out = 0;
	if (open_ns_paths(c, &flags) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sync) < 0)
		return err_ret("socketpair: %s", strerror(errno));
	const struct cgroup *cg = &c->st.cg;
	int cgfd = cg->ops && cg->ops->clone_into && cg->ndirs == 1
		       ? open(cg->dirs[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC)
		       : -1;
	if (cgroup_open_procs(cg, &c->join) < 0)
		return -1;
	bool in_cgroup;
	pid_t pid = clone_process(flags, cgfd, &in_cgroup);
	if (cgfd >= 0)
		close(cgfd);
	if (pid == 0) {
		if (in_cgroup)
			cgroup_close_procs(&c->join);
		oci_init(c);
	}
	cgroup_close_procs(&c->join);
	/* Only the init may hold it: `start` finds no reader (ENXIO) once the init is gone. */
	if (c->fifo_fd >= 0)
		close(c->fifo_fd);
	c->fifo_fd = -1;
	if (pid < 0)
		return err_ret("cannot create the namespaces: %s%s", strerror(errno),
			       errno == EPERM && spec_new_user_ns(&c->s)
				   ? " (user namespaces unavailable?)"
				   : "");
	close(c->sync[1]);
	c->sync[1] = -1;
	*pid_out = pid;
	return drive_init(c, pid);
}

static void fill_state(struct oci_create *c, const char *bundle, pid_t pid)
{
	c->st.pid = pid;
	c->st.start_time = proc_start_time(pid);
	snprintf(c->st.bundle, sizeof(c->st.bundle), "%s", bundle);
	if (c->s.annotations)
		c->st.annotations = json_object_get(c->s.annotations);
	struct json_object *hooks;
	if (json_object_object_get_ex(c->s.doc, "hooks", &hooks) && hooks &&
	    (c->s.nhooks[HOOK_POSTSTART] || c->s.nhooks[HOOK_POSTSTOP]))
		c->st.hooks = json_object_get(hooks);
}

int oci_do_create(const struct oci_globals *g, const char *id, const char *bundle_arg,
		  const char *pid_file, const char *console_socket, bool no_pivot, pid_t *pid_out)
{
	struct oci_create c = {
	    .fifo_fd = -1, .console_fd = -1, .no_pivot = no_pivot, .sync = {-1, -1}};
	char *bundle = realpath(bundle_arg, NULL);
	if (!bundle)
		return err_ret("bundle %s: %s", bundle_arg, strerror(errno));
	pid_t pid = 0;
	int rc = -1;
	if (spec_load(bundle, &c.s) < 0 || check_spec(&c.s, console_socket) < 0)
		goto out;
	if (security_from_oci(c.s.process_obj, c.s.linux_obj, &c.sec) < 0)
		goto out;
	c.have_sec = true;
	/* Before anything exists: what the process could not get (runc's create fails too). */
	if (security_check_host(&c.sec, any_user_ns(&c.s)) < 0 ||
	    seccomp_listener_connect(&c.sec) < 0)
		goto out;
	if (oci_state_create(g->root, id, &c.st) < 0)
		goto out;
	snprintf(c.st.bundle, sizeof(c.st.bundle), "%s", bundle);
	rfc3339_now(c.st.created, sizeof(c.st.created));
	if (oci_cgroup_create(&c.s, id, &c.st.cg) < 0)
		goto fail;
	c.st.own_cgroup = true;
	if (console_socket && (c.console_fd = connect_unix("--console-socket", console_socket)) < 0)
		goto fail;
	if (make_fifo(&c) < 0)
		goto fail;
	rc = create_spawn(&c, &pid);
	close(c.sync[0]);
	if (rc < 0)
		goto fail;
	rc = -1;
	fill_state(&c, bundle, pid);
	if (oci_state_save(&c.st) < 0 || (pid_file && write_pid_file(pid_file, pid) < 0))
		goto fail;
	rc = 0;
	if (pid_out)
		*pid_out = pid;
	oci_state_release(&c.st);
	goto out;
fail:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	cgroup_destroy(&c.st.cg);
	oci_state_remove(&c.st);
out:
	if (c.fifo_fd >= 0)
		close(c.fifo_fd);
	if (c.console_fd >= 0)
		close(c.console_fd);
	for (size_t i = 0; i < c.s.nns; i++)
		if (c.ns_fds[i] > 0)
			close(c.ns_fds[i]);
	if (c.have_sec)
		security_free(&c.sec);
	spec_free(&c.s);
	free(bundle);
	return rc;
}
