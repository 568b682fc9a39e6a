/*
 * `restore`: a container made from a bundle, as `create` makes one (state under --root,
 * the cgroup with the spec's limits), whose process tree CRIU brings back from an image
 * directory instead of a new init. As runc: CRIU runs inside the new cgroup, which
 * becomes the restored tree's cgroup root; the root is bind-mounted on a directory of
 * its own (CRIU wants a mount point); bind mounts are re-bound to their host sources;
 * the init's stdio is the restoring command's.
 */
#include "checkpoint.h"
#include "oci_cgroup.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct restore_job {
	struct oci_state st;
	struct spec s;
	struct criu_req r;
	const char *bundle, *pid_file;
	bool detach;
};

/* Our stdio where the dump's init had a file, tty or pipe from outside. */
static int inherit_stdio(struct restore_job *j)
{
	char *path = xasprintf("%s/%s", j->r.image_dir, CHECKPOINT_DESCRIPTORS);
	struct json_object *doc = json_object_from_file(path), *fds, *v;
	int rc = 0;
	if (!doc || !json_object_object_get_ex(doc, "stdio", &fds) ||
	    json_object_get_type(fds) != json_type_array || json_object_array_length(fds) != 3)
		rc = err_ret("restore: %s is missing or not a checkpoint's (make one with "
			     "container checkpoint)",
			     path);
	/* The highest fd with a key wins: stdout and stderr are the ones written to. */
	for (int fd = 2; rc == 0 && fd >= 0; fd--) {
		const char *key = json_object_get_string(json_object_array_get_idx(fds, fd));
		bool seen = false;
		for (size_t i = 0; key && i < j->r.n_inherit; i++)
			seen |= !strcmp(j->r.inherit[i].key, key);
		if (key && !seen)
			criu_req_inherit(&j->r, fd, key);
	}
	bool netns = rc == 0 && json_object_object_get_ex(doc, "external_netns", &v) &&
		     json_object_get_boolean(v);
	const char *ns_path = checkpoint_netns_path(&j->s);
	if (rc == 0 && netns != (ns_path != NULL))
		rc = err_ret("restore: the checkpoint's network namespace was %s, the bundle's is "
			     "%s",
			     netns ? "joined by path" : "its own", ns_path ? "a path" : "new");
	if (rc == 0 && ns_path) {
		/* Not close-on-exec: CRIU inherits it. */
		int fd = open(ns_path, O_RDONLY);
		rc = fd < 0 ? err_ret("network namespace %s: %s", ns_path, strerror(errno)) : 0;
		if (fd >= 0)
			criu_req_inherit(&j->r, fd, CHECKPOINT_NETNS_KEY);
	}
	if (doc)
		json_object_put(doc);
	free(path);
	return rc;
}

/* Every hierarchy of /proc/self/cgroup (we are in the container's) as a cgroup root. */
int checkpoint_cgroup_roots(struct criu_req *r)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return err_ret("/proc/self/cgroup: %s", strerror(errno));
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *ctrl = strchr(line, ':'), *path = ctrl ? strchr(ctrl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = 0;
		criu_req_cg_root(r, ctrl[1] ? ctrl + 1 : NULL, path);
	}
	fclose(f);
	return 0;
}

/* In the helper: CRIU's root is the container's root bound on ROOT/ID/criu-root, in a
 * mount namespace of our own, so that nothing is left mounted on the host. */
static int bind_root(struct restore_job *j, char **root)
{
	*root = xasprintf("%s/criu-root", j->st.dir);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_ret("restore: a mount namespace for CRIU: %s", strerror(errno));
	if ((mkdir(*root, 0755) < 0 && errno != EEXIST) ||
	    mount(j->s.root, *root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_ret("restore: cannot bind the root %s: %s", j->s.root, strerror(errno));
	return 0;
}

static __attribute__((noreturn)) void helper(struct restore_job *j, int out)
{
	char *root = NULL;
	pid_t pid = -1;
	if (cgroup_enter(&j->st.cg, 0) == 0 && checkpoint_cgroup_roots(&j->r) == 0 &&
	    bind_root(j, &root) == 0) {
		j->r.root = root;
		pid = criu_run_restore(&j->r);
	}
	_exit(write(out, &pid, sizeof(pid)) == sizeof(pid) && pid > 0 ? 0 : 125);
}

/*
 * CRIU restores the tree as a sibling of its `criu swrk`: the helper's child. The helper
 * exits, and the init is ours (subreaper) to wait for, or init's with -d.
 */
static pid_t restore_tree(struct restore_job *j)
{
	int p[2];
	if (!j->detach && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return err_ret("restore: cannot become a subreaper: %s", strerror(errno));
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_ret("restore: pipe: %s", strerror(errno));
	pid_t h = fork(), pid = -1;
	if (h == 0) {
		close(p[0]);
		helper(j, p[1]);
	}
	close(p[1]);
	if (h < 0 || read(p[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = -1;
	close(p[0]);
	while (h > 0 && waitpid(h, NULL, 0) < 0 && errno == EINTR)
		;
	char *root = xasprintf("%s/criu-root", j->st.dir);
	rmdir(root);
	free(root);
	return pid;
}

/* The state as create leaves it, with the restored init's pid: "running". */
static int record(struct restore_job *j, pid_t pid)
{
	struct oci_state *st = &j->st;
	st->pid = pid;
	st->start_time = proc_start_time(pid);
	snprintf(st->bundle, sizeof(st->bundle), "%s", j->bundle);
	rfc3339_now(st->created, sizeof(st->created));
	if (j->s.annotations)
		st->annotations = json_object_get(j->s.annotations);
	if (oci_state_save(st) < 0 || (j->pid_file && write_pid_file(j->pid_file, pid) < 0))
		return -1;
	return 0;
}

static int restore(const struct oci_globals *g, const char *id, struct restore_job *j)
{
	if (spec_load(j->bundle, &j->s) < 0)
		return -1;
	if (j->s.process.terminal)
		return err_ret("restore: a container with a terminal (process.terminal) is not "
			       "supported");
	if (inherit_stdio(j) < 0 || oci_state_create(g->root, id, &j->st) < 0)
		return -1;
	checkpoint_bind_mounts(&j->s, &j->r, true);
	pid_t pid = -1;
	if (oci_cgroup_create(&j->s, id, &j->st.cg) == 0) {
		j->st.own_cgroup = true;
		pid = restore_tree(j);
	}
	if (pid > 0 && spec_has_ns(&j->s, CLONE_NEWNET) &&
	    checkpoint_unlock_network(j->r.image_dir, pid) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	if (pid > 0 && record(j, pid) == 0)
		return pid;
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	cgroup_destroy(&j->st.cg);
	oci_state_remove(&j->st);
	return -1;
}

static const struct option restore_opts[] = {
    {"bundle", required_argument, 0, 'b'},    {"image-path", required_argument, 0, 'i'},
    {"work-path", required_argument, 0, 'w'}, {"detach", no_argument, 0, 'd'},
    {"pid-file", required_argument, 0, 'p'},  {"tcp-established", no_argument, 0, 't'},
    {"file-locks", no_argument, 0, 'f'},      {0, 0, 0, 0},
};

static int parse_restore(int argc, char **argv, struct restore_job *j)
{
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+b:d", restore_opts, NULL)) != -1) {
		if (c == 'b')
			j->bundle = optarg;
		else if (c == 'i')
			j->r.image_dir = optarg;
		else if (c == 'w')
			j->r.work_dir = optarg;
		else if (c == 'd')
			j->detach = true;
		else if (c == 'p')
			j->pid_file = optarg;
		else if (c == 't')
			j->r.tcp_established = true;
		else if (c == 'f')
			j->r.file_locks = true;
		else
			return err_ret("restore: unknown option or missing value '%s'",
				       argv[optind - 1]);
	}
	if (optind != argc - 1)
		return err_ret("usage: container restore [--bundle DIR] [--image-path DIR] "
			       "[--work-path DIR] [-d] [--pid-file F] [--tcp-established] "
			       "[--file-locks] ID");
	return optind;
}

int oci_restore(const struct oci_globals *g, int argc, char **argv)
{
	struct restore_job j = {.st = {.lock_fd = -1},
				.bundle = ".",
				.r = {.image_dir = "checkpoint", .verb = "restore"}};
	int arg = parse_restore(argc, argv, &j);
	if (arg < 0)
		return -1;
	const char *id = argv[arg];
	if (oci_id_valid(id) < 0)
		return -1;
	char *bundle = realpath(j.bundle, NULL);
	struct stat st;
	pid_t pid = -1;
	if (!bundle)
		err_ret("bundle %s: %s", j.bundle, strerror(errno));
	else if (stat(j.r.image_dir, &st) < 0)
		err_ret("restore: image directory %s: %s", j.r.image_dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		err_ret("restore: image directory %s: not a directory", j.r.image_dir);
	else {
		j.bundle = bundle;
		pid = restore(g, id, &j);
	}
	oci_state_release(&j.st);
	spec_free(&j.s);
	criu_req_free(&j.r);
	free(bundle);
	if (pid < 0 || j.detach)
		return pid < 0 ? -1 : 0;
	/* Without -d: wait for the restored container and delete it, as run does. */
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	oci_do_delete(g, id, true);
	return exit_code(status);
}
