/*
 * `container checkpoint NAME DIR`: a container of `container run -d` dumped by CRIU
 * into DIR with what `container restore DIR` rebuilds it from, as podman's checkpoint
 * --export does:
 *
 *   DIR/criu/         CRIU's images and the descriptor file (checkpoint.c); its log is
 *                     the state directory's checkpoint-work/dump.log
 *   DIR/upper.tar     the overlay's upper layer: the root's changes since the start
 *   DIR/log           the container's output so far
 *   DIR/checkpoint.json  format, name, address, and run.json's options (written last:
 *                     a directory without it is no checkpoint)
 *
 * Without --leave-running the container is gone afterwards (CRIU ends the tree, then
 * its state goes, as `rm`), as with podman and runc.
 */
#include "checkpoint.h"
#include "checkpoint_run.h"
#include "container.h"
#include "image/tar_dir.h"
#include "lifecycle.h"
#include "run_record.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ckpt_job {
	const char *name, *dir;
	bool leave_running, tcp_established, file_locks;
	struct state st;
	struct json_object *record; /* run.json */
	struct run_opts o;
	char *state_dir;
};

/* What this dump cannot carry, refused before anything is touched. */
static int supported(struct ckpt_job *j)
{
	const struct run_opts *o = &j->o;
	const char *why = o->tty	   ? "a terminal (-t): its pty master is outside"
			  : o->interactive ? "-i: its stdin is its caller's"
			  : !o->detach	   ? "no -d: its output is its caller's, not its log"
			  : o->rm	   ? "--rm: its writable layer is a tmpfs inside it"
			  : o->userns ? "--userns (CRIU's user namespace restore is not set up)"
				      : NULL;
	if (why)
		return err_ret("checkpoint: %s has %s; not supported", j->name, why);
	char exe[256];
	char *link = xasprintf("/proc/%d/exe", (int)j->st.pid);
	ssize_t n = readlink(link, exe, sizeof(exe) - 1);
	free(link);
	exe[n > 0 ? n : 0] = 0;
	if (strcmp(exe, REAPER_PATH))
		return err_ret("checkpoint: pid 1 of %s is the runtime itself (no container-init "
			       "beside container when it started): CRIU cannot dump what it maps "
			       "from the host",
			       j->name);
	return 0;
}

static int load(struct ckpt_job *j)
{
	if (state_read(j->name, &j->st) < 0)
		return -1;
	if (!state_running(&j->st) || j->st.pid <= 0)
		return err_ret("container is not running: %s", j->name);
	j->state_dir = state_dir(j->name);
	char *path = xasprintf("%s/%s", j->state_dir, RUN_RECORD);
	j->record = json_object_from_file(path);
	free(path);
	if (!j->record)
		return err_ret("checkpoint: %s has no %s (started by an older container): cannot "
			       "rebuild it on restore",
			       j->name, RUN_RECORD);
	return run_record_parse(j->record, &j->o) < 0 ? -1 : supported(j);
}

/* The command: the reaper's child, whose stdout and stderr are the log. */
static pid_t command_pid(pid_t reaper)
{
	char *path = xasprintf("/proc/%d/task/%d/children", (int)reaper, (int)reaper);
	char buf[64] = "";
	int rc = read_file(path, buf, sizeof(buf));
	free(path);
	return rc < 0 ? -1 : (pid_t)atoi(buf);
}

/* The spec the container runs with, as run built it (its bind mounts are external). */
static int dump(struct ckpt_job *j)
{
	struct container c = {.o = &j->o, .userns = j->o.userns, .host_uid = geteuid()};
	snprintf(c.name, sizeof(c.name), "%s", j->name);
	c.fs = (struct rootfs_spec){.rootfs = j->o.rootfs,
				    .layers = j->o.layers,
				    .nlayers = j->o.nlayers,
				    .merged = xasprintf("%s/rootfs", j->state_dir)};
	struct spec s;
	run_build_spec(&c, &s);
	char *images = xasprintf("%s/criu", j->dir);
	/* CRIU's log in the state directory: it outlives a failed dump's DIR. */
	char *work = xasprintf("%s/checkpoint-work", j->state_dir);
	struct criu_req r = {.image_dir = images,
			     .work_dir = work,
			     .verb = "checkpoint",
			     .leave_running = j->leave_running,
			     .tcp_established = j->tcp_established,
			     .file_locks = j->file_locks};
	pid_t cmd = command_pid(j->st.pid);
	int rc = cmd > 0 ? checkpoint_dump(j->st.pid, cmd, &s, &r)
			 : err_ret("checkpoint: %s has no command running", j->name);
	criu_req_free(&r);
	free(images);
	free(work);
	spec_free(&s);
	for (size_t i = 0; c.volume_labels && i < j->o.nvols; i++)
		free(c.volume_labels[i]);
	free(c.volume_labels);
	free(c.cgroups_path);
	free((char *)c.fs.merged);
	return rc;
}

static int copy_log(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), rc = 0;
	if (in < 0)
		return errno == ENOENT ? 0 : err_ret("%s: %s", from, strerror(errno));
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char buf[65536];
	ssize_t n;
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (out < 0 || close(out) < 0)
		rc = err_ret("cannot write %s: %s", to, strerror(errno));
	close(in);
	return rc;
}

/* After the dump: the root's changes, the log, and last the file that makes DIR one. */
static int save_rest(struct ckpt_job *j)
{
	char *upper = xasprintf("%s/upper", j->state_dir), *tar = xasprintf("%s/upper.tar", j->dir);
	char *log = xasprintf("%s/log", j->state_dir), *log_copy = xasprintf("%s/log", j->dir);
	int rc = tar_directory(upper, tar, true);
	if (rc == 0)
		rc = copy_log(log, log_copy);
	if (rc == 0) {
		struct json_object *doc = json_object_new_object();
		json_object_object_add(doc, "format", json_object_new_string(CHECKPOINT_FORMAT));
		json_object_object_add(doc, "version", json_object_new_int(CHECKPOINT_VERSION));
		json_object_object_add(doc, "name", json_object_new_string(j->name));
		json_object_object_add(doc, "ip", json_object_new_string(j->st.ip));
		json_object_object_add(doc, "run", json_object_get(j->record));
		char *path = xasprintf("%s/%s", j->dir, CHECKPOINT_FILE);
		if (json_object_to_file_ext(
			path, doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) < 0)
			rc = err_ret("cannot write %s: %s", path, strerror(errno));
		free(path);
		json_object_put(doc);
	}
	free(upper);
	free(tar);
	free(log);
	free(log_copy);
	return rc;
}

/* A new directory (or an empty one): a checkpoint is never written over something. */
static int make_dir(const char *dir)
{
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return err_ret("checkpoint: cannot create %s: %s", dir, strerror(errno));
	return err_ret("checkpoint: %s exists; give a directory that does not", dir);
}

static int checkpoint(struct ckpt_job *j)
{
	if (load(j) < 0 || make_dir(j->dir) < 0)
		return -1;
	if (dump(j) < 0) {
		/* CRIU let the container run on; what it wrote goes. */
		remove_tree(j->dir);
		return -1;
	}
	if (save_rest(j) < 0)
		return err_ret("checkpoint: %s is incomplete%s", j->dir,
			       j->leave_running ? ""
						: "; the container has stopped, its writable layer "
						  "stays (container rm removes it)");
	if (j->leave_running)
		return 0;
	/* Gone, as with podman: its monitor has cleaned up after the tree, then its state. */
	if (!state_wait_exited(j->name, 10000))
		return err_ret("checkpoint: %s did not stop after the dump", j->name);
	return remove_tree(j->state_dir) < 0
		   ? err_ret("cannot remove %s: %s", j->state_dir, strerror(errno))
		   : 0;
}

static const struct option ckpt_opts[] = {
    {"leave-running", no_argument, 0, 'l'},
    {"tcp-established", no_argument, 0, 't'},
    {"file-locks", no_argument, 0, 'f'},
    {0, 0, 0, 0},
};

int cmd_checkpoint(int argc, char **argv)
{
	struct ckpt_job j = {0};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", ckpt_opts, NULL)) != -1) {
		if (c == 'l')
			j.leave_running = true;
		else if (c == 't')
			j.tcp_established = true;
		else if (c == 'f')
			j.file_locks = true;
		else
			return err_ret("checkpoint: unknown option '%s'", argv[optind - 1]), 2;
	}
	if (optind != argc - 2)
		return err_ret("usage: container checkpoint NAME DIR [--leave-running] "
			       "[--tcp-established] [--file-locks]"),
		       2;
	j.name = argv[optind];
	j.dir = argv[optind + 1];
	int rc = checkpoint(&j);
	free(j.state_dir);
	run_record_free(&j.o);
	if (j.record)
		json_object_put(j.record);
	return rc < 0 ? 1 : 0;
}

/* An option of the OCI verb's that takes a value (its value is no positional). */
static bool oci_valued(const char *a)
{
	static const char *const v[] = {"--image-path", "--work-path", "--bundle", "-b",
					"--pid-file"};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!strcmp(a, v[i]))
			return true;
	return false;
}

bool checkpoint_run_wanted(int argc, char **argv)
{
	const char *first = NULL;
	int positional = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--name") || !strncmp(argv[i], "--name=", 7))
			return true;
		if (oci_valued(argv[i]) || !strncmp(argv[i], "--image-path=", 13) ||
		    !strncmp(argv[i], "--bundle=", 9))
			return false;
		if (argv[i][0] == '-')
			continue;
		first = positional++ ? first : argv[i];
	}
	if (!strcmp(argv[1], "checkpoint"))
		return positional == 2;
	/* restore DIR: an OCI id has no '/'; a checkpoint directory here has its file. */
	char *file = first ? xasprintf("%s/%s", first, CHECKPOINT_FILE) : NULL;
	bool ours = first && (strchr(first, '/') || access(file, F_OK) == 0);
	free(file);
	return ours;
}
