/*
 * `checkpoint`: the container's process tree dumped by CRIU into an image directory,
 * as runc does it. What CRIU cannot see from inside the container is declared to it:
 * the spec's bind mounts and a network namespace joined by path are external, and so
 * is whatever the runtime's caller gave the init as stdio (a host file, a host tty; a
 * pipe is CRIU's own). Restore hands its own stdio in their place.
 */
#include "checkpoint.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

void checkpoint_bind_mounts(const struct spec *s, struct criu_req *r, bool restore)
{
	for (size_t i = 0; i < s->nmounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		if (!m->bind)
			continue;
		char *src = m->source[0] == '/' ? xstrdup(m->source)
						: xasprintf("%s/%s", s->bundle, m->source);
		criu_req_ext_mount(r, m->dest, restore ? src : m->dest);
		free(src);
	}
}

const char *checkpoint_netns_path(const struct spec *s)
{
	for (size_t i = 0; i < s->nns; i++)
		if (s->ns[i].type == CLONE_NEWNET)
			return s->ns[i].path;
	return NULL;
}

/* Is mount MNT_ID one of the container's (in /proc/PID/mountinfo)? */
static bool mount_inside(pid_t pid, int mnt_id)
{
	char *path = xasprintf("/proc/%d/mountinfo", (int)pid);
	FILE *f = fopen(path, "re");
	free(path);
	int id;
	bool found = false;
	char line[4096];
	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%d", &id) == 1 && id == mnt_id;
	if (f)
		fclose(f);
	return found;
}

static int fd_mnt_id(pid_t pid, int fd)
{
	char *path = xasprintf("/proc/%d/fdinfo/%d", (int)pid, fd), buf[512];
	int rc = read_file(path, buf, sizeof(buf));
	free(path);
	char *m = rc < 0 ? NULL : strstr(buf, "mnt_id:");
	return m ? atoi(m + 7) : -1;
}

/* A pty (136-143) or a virtual console / serial tty (4, 5). */
static bool is_tty(dev_t rdev)
{
	unsigned maj = major(rdev);
	return (maj >= 136 && maj <= 143) || maj == 4 || maj == 5;
}

/*
 * CRIU's key for the init's fd, marked external when its file lives outside the
 * container; NULL when CRIU restores it by itself (a file inside, a socket).
 */
static char *stdio_key(struct criu_req *r, pid_t pid, int fd)
{
	char *link = xasprintf("/proc/%d/fd/%d", (int)pid, fd), target[256];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	struct stat st;
	int rc = stat(link, &st);
	free(link);
	if (n < 0 || rc < 0)
		return NULL;
	target[n] = 0;
	if (!strncmp(target, "pipe:", 5))
		return xstrdup(target);
	int mnt = fd_mnt_id(pid, fd);
	if (S_ISSOCK(st.st_mode) || mnt < 0 || mount_inside(pid, mnt))
		return NULL;
	char *key = S_ISCHR(st.st_mode) && is_tty(st.st_rdev)
			? xasprintf("tty[%llx:%llx]", (unsigned long long)st.st_rdev,
				    (unsigned long long)st.st_dev)
			: xasprintf("file[%x:%llx]", (unsigned)mnt, (unsigned long long)st.st_ino);
	criu_req_external(r, key);
	return key;
}

static int write_descriptors(const char *image_dir, struct criu_req *r, pid_t pid, bool netns)
{
	char table[32];
	snprintf(table, sizeof(table), "CRIU-%d", (int)r->pid);
	struct json_object *doc = json_object_new_object(), *fds = json_object_new_array();
	for (int fd = 0; fd < 3; fd++) {
		char *key = stdio_key(r, pid, fd);
		json_object_array_add(fds, key ? json_object_new_string(key) : NULL);
		free(key);
	}
	json_object_object_add(doc, "stdio", fds);
	json_object_object_add(doc, "external_netns", json_object_new_boolean(netns));
	/* CRIU's nftables lock table, dumped with the netns: restore removes it. */
	json_object_object_add(doc, "lock_table", json_object_new_string(table));
	char *path = xasprintf("%s/%s", image_dir, CHECKPOINT_DESCRIPTORS);
	int rc = json_object_to_file_ext(path, doc, JSON_C_TO_STRING_PLAIN);
	if (rc < 0)
		err_ret("cannot write %s: %s", path, strerror(errno));
	free(path);
	json_object_put(doc);
	return rc;
}

static int netns_external(struct criu_req *r, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return err_ret("network namespace %s: %s", path, strerror(errno));
	char *key = xasprintf("net[%llu]:%s", (unsigned long long)st.st_ino, CHECKPOINT_NETNS_KEY);
	criu_req_external(r, key);
	free(key);
	return 0;
}

/* What CRIU 3.17 refuses (or fails on with an error that names nothing), by the kernel's
 * name of the file: said in one line before CRIU runs. */
static const struct {
	const char *link, *what;
} unsupported[] = {
    {"anon_inode:[io_uring]", "an io_uring"},
    {"anon_inode:[perf_event]", "a perf event"},
    {"anon_inode:[userfaultfd]", "a userfaultfd"},
    {"anon_inode:[pidfd]", "a pidfd"},
};

static pid_t ns_pid(pid_t pid)
{
	char *path = xasprintf("/proc/%d/status", (int)pid), buf[4096];
	int rc = read_file(path, buf, sizeof(buf));
	free(path);
	char *line = rc < 0 ? NULL : strstr(buf, "\nNSpid:");
	if (!line)
		return pid;
	line[strcspn(line + 1, "\n") + 1] = 0;
	return (pid_t)atoi(strrchr(line, '\t') ? strrchr(line, '\t') + 1 : line + 8);
}

static int check_fds(pid_t pid)
{
	char *dir = xasprintf("/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	int rc = 0;
	for (struct dirent *e; d && rc == 0 && (e = readdir(d));) {
		char *link = xasprintf("%s/%s", dir, e->d_name), target[256];
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		free(link);
		target[n > 0 ? n : 0] = 0;
		for (size_t i = 0;
		     n > 0 && rc == 0 && i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
			if (!strcmp(target, unsupported[i].link))
				rc = err_ret(
				    "checkpoint: process %d of the container holds %s (fd %s), "
				    "which CRIU cannot checkpoint",
				    (int)ns_pid(pid), unsupported[i].what, e->d_name);
	}
	if (d)
		closedir(d);
	free(dir);
	return rc;
}

/* The whole tree below the init, through each task's children list. */
static int check_tree(pid_t pid, int depth)
{
	if (check_fds(pid) < 0)
		return -1;
	char *path = xasprintf("/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = depth < 64 ? fopen(path, "re") : NULL;
	free(path);
	int child, rc = 0;
	while (f && rc == 0 && fscanf(f, "%d", &child) == 1)
		rc = check_tree(child, depth + 1);
	if (f)
		fclose(f);
	return rc;
}

int checkpoint_dump(pid_t root, pid_t stdio_pid, const struct spec *s, struct criu_req *r)
{
	if (check_tree(root, 0) < 0)
		return -1;
	r->pid = root;
	r->root = s->root;
	checkpoint_bind_mounts(s, r, false);
	const char *netns = checkpoint_netns_path(s);
	int rc =
	    mkdir(r->image_dir, 0700) < 0 && errno != EEXIST
		? err_ret("cannot create the image directory %s: %s", r->image_dir, strerror(errno))
		: 0;
	if (rc == 0 && netns)
		rc = netns_external(r, netns);
	if (rc == 0)
		rc = write_descriptors(r->image_dir, r, stdio_pid, netns != NULL);
	if (rc == 0)
		rc = criu_run_dump(r);
	return rc;
}

/* The request for a running container's tree; the spec says what is external. */
static int dump(const struct oci_state *st, struct criu_req *r)
{
	struct spec s;
	if (spec_load(st->bundle, &s) < 0)
		return -1;
	int rc = s.process.terminal ? err_ret("checkpoint: a container with a terminal "
					      "(process.terminal) is not supported")
				    : checkpoint_dump(st->pid, st->pid, &s, r);
	spec_free(&s);
	return rc;
}

static const struct option checkpoint_opts[] = {
    {"image-path", required_argument, 0, 'i'}, {"work-path", required_argument, 0, 'w'},
    {"leave-running", no_argument, 0, 'l'},    {"tcp-established", no_argument, 0, 't'},
    {"file-locks", no_argument, 0, 'f'},       {0, 0, 0, 0},
};

int oci_checkpoint(const struct oci_globals *g, int argc, char **argv)
{
	struct criu_req r = {.image_dir = "checkpoint", .verb = "checkpoint"};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", checkpoint_opts, NULL)) != -1) {
		if (c == 'i')
			r.image_dir = optarg;
		else if (c == 'w')
			r.work_dir = optarg;
		else if (c == 'l')
			r.leave_running = true;
		else if (c == 't')
			r.tcp_established = true;
		else if (c == 'f')
			r.file_locks = true;
		else
			return err_ret("checkpoint: unknown option or missing value '%s'",
				       argv[optind - 1]);
	}
	if (optind != argc - 1)
		return err_ret("usage: container checkpoint [--image-path DIR] [--work-path DIR] "
			       "[--leave-running] [--tcp-established] [--file-locks] ID");
	const char *id = argv[optind];
	struct oci_state st;
	if (oci_state_load(g->root, id, &st) < 0)
		return -1;
	const char *status = oci_status(&st);
	int rc = strcmp(status, "running")
		     ? err_ret("container %s is %s, not running: cannot checkpoint it", id, status)
		     : dump(&st, &r);
	oci_state_release(&st);
	criu_req_free(&r);
	/* runc's way: a container checkpointed without --leave-running is gone. */
	if (rc == 0 && !r.leave_running)
		rc = oci_do_delete(g, id, true);
	return rc;
}
