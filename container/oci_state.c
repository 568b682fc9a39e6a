/* ROOT/ID/state.json and the container's status, read back by every OCI verb. */
#include "oci_state.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int oci_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 255 || !strcmp(id, ".") || !strcmp(id, "..") ||
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-") != n)
		return err_ret("bad container ID '%s' (letters, digits, '_.+-', at most 255)", id);
	return 0;
}

/*
 * Removing a state directory frees its disk block, and on a disk mounted with `discard`
 * (this host's /, where /run lies too) rmdir waits for the discard: ~0.26 ms, a tenth of a
 * delete. So delete leaves one emptied directory under this name, which no container ID
 * can take ('~'), and create renames it into place instead of a mkdir.
 */
#define SPARE_DIR ".spare~"

static char *spare_path(const struct oci_state *st)
{
	const char *slash = strrchr(st->dir, '/');
	return xasprintf("%.*s/" SPARE_DIR, (int)(slash - st->dir), st->dir);
}

/* 0, or -1 with errno (EEXIST: the ID is taken). */
static int make_state_dir(const struct oci_state *st)
{
	char *spare = spare_path(st);
	int rc = renameat2(AT_FDCWD, spare, AT_FDCWD, st->dir, RENAME_NOREPLACE);
	free(spare);
	if (rc == 0 || errno == EEXIST)
		return rc;
	return mkdir(st->dir, 0711);
}

/* An empty state directory becomes the spare, unless there is one already. */
static bool keep_as_spare(const struct oci_state *st)
{
	DIR *d = opendir(st->dir);
	struct dirent *e;
	bool empty = d != NULL;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	char *spare = spare_path(st);
	bool kept = empty && renameat2(AT_FDCWD, st->dir, AT_FDCWD, spare, RENAME_NOREPLACE) == 0;
	free(spare);
	return kept;
}

static int lock_dir(struct oci_state *st)
{
	st->lock_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->lock_fd < 0 || flock(st->lock_fd, LOCK_EX) < 0)
		return err_ret("cannot lock %s: %s", st->dir, strerror(errno));
	return 0;
}

int oci_state_create(const char *root, const char *id, struct oci_state *st)
{
	*st = (struct oci_state){.lock_fd = -1};
	if (oci_id_valid(id) < 0)
		return -1;
	if (mkdir_p(root, 0700) < 0)
		return err_ret("cannot create --root %s: %s", root, strerror(errno));
	snprintf(st->id, sizeof(st->id), "%s", id);
	snprintf(st->dir, sizeof(st->dir), "%s/%s", root, id);
	/* ROOT/ID, 0711 as runc's: the init needs no path in it (exec.fifo comes as an fd). */
	if (make_state_dir(st) < 0)
		return err_ret(errno == EEXIST ? "container %s already exists"
					       : "cannot create %s: %s",
			       errno == EEXIST ? id : st->dir, strerror(errno));
	return lock_dir(st);
}

static void read_cgroups(struct json_object *a, struct oci_state *st)
{
	for (size_t i = 0; a && i < json_object_array_length(a) && i < CG_MAX_DIRS; i++)
		st->cg.dirs[st->cg.ndirs++] =
		    xstrdup(json_object_get_string(json_object_array_get_idx(a, i)));
}

int oci_state_load(const char *root, const char *id, struct oci_state *st)
{
	*st = (struct oci_state){.lock_fd = -1};
	if (oci_id_valid(id) < 0)
		return -1;
	snprintf(st->id, sizeof(st->id), "%s", id);
	snprintf(st->dir, sizeof(st->dir), "%s/%s", root, id);
	if (access(st->dir, F_OK) < 0)
		return err_ret("container %s does not exist", id);
	if (lock_dir(st) < 0)
		return -1;
	char *path = xasprintf("%s/state.json", st->dir);
	struct json_object *doc = json_object_from_file(path), *v;
	free(path);
	if (!doc) {
		oci_state_release(st);
		return err_ret("container %s does not exist (no state.json)", id);
	}
	if (json_object_object_get_ex(doc, "pid", &v))
		st->pid = (pid_t)json_object_get_int(v);
	if (json_object_object_get_ex(doc, "start_time", &v))
		st->start_time = (unsigned long long)json_object_get_int64(v);
	if (json_object_object_get_ex(doc, "bundle", &v))
		snprintf(st->bundle, sizeof(st->bundle), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(doc, "created", &v))
		snprintf(st->created, sizeof(st->created), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(doc, "own_cgroup", &v))
		st->own_cgroup = json_object_get_boolean(v);
	if (json_object_object_get_ex(doc, "cgroups", &v))
		read_cgroups(v, st);
	if (json_object_object_get_ex(doc, "annotations", &v))
		st->annotations = json_object_get(v);
	if (json_object_object_get_ex(doc, "hooks", &v))
		st->hooks = json_object_get(v);
	json_object_put(doc);
	return 0;
}

int oci_state_save(const struct oci_state *st)
{
	struct json_object *doc = json_object_new_object(), *cg = json_object_new_array();
	json_object_object_add(doc, "id", json_object_new_string(st->id));
	json_object_object_add(doc, "pid", json_object_new_int(st->pid));
	json_object_object_add(doc, "start_time", json_object_new_int64((int64_t)st->start_time));
	json_object_object_add(doc, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(doc, "created", json_object_new_string(st->created));
	json_object_object_add(doc, "own_cgroup", json_object_new_boolean(st->own_cgroup));
	for (int i = 0; i < st->cg.ndirs; i++)
		json_object_array_add(cg, json_object_new_string(st->cg.dirs[i]));
	json_object_object_add(doc, "cgroups", cg);
	if (st->annotations)
		json_object_object_add(doc, "annotations", json_object_get(st->annotations));
	if (st->hooks)
		json_object_object_add(doc, "hooks", json_object_get(st->hooks));
	char *tmp = xasprintf("%s/state.json.tmp", st->dir),
	     *path = xasprintf("%s/state.json", st->dir);
	int rc = json_object_to_file_ext(tmp, doc, JSON_C_TO_STRING_PLAIN);
	if (rc == 0)
		rc = rename(tmp, path);
	if (rc < 0)
		err_ret("cannot write %s: %s", path, strerror(errno));
	free(tmp);
	free(path);
	json_object_put(doc);
	return rc;
}

unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	/* After the command name, which may hold spaces and parentheses: field 3 on. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	unsigned long long t = 0;
	if (sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
		   "%*d %llu",
		   &t) != 1)
		return 0;
	return t;
}

char *oci_fifo_path(const struct oci_state *st)
{
	return xasprintf("%s/exec.fifo", st->dir);
}

static bool frozen(const struct oci_state *st)
{
	char buf[64];
	for (int i = 0; i < st->cg.ndirs; i++) {
		char *v2 = xasprintf("%s/cgroup.freeze", st->cg.dirs[i]);
		char *v1 = xasprintf("%s/freezer.state", st->cg.dirs[i]);
		bool f = (read_file(v2, buf, sizeof(buf)) > 0 && buf[0] == '1') ||
			 (read_file(v1, buf, sizeof(buf)) > 0 && !strncmp(buf, "FROZEN", 6));
		free(v2);
		free(v1);
		if (f)
			return true;
	}
	return false;
}

const char *oci_status(const struct oci_state *st)
{
	if (st->pid <= 0 || proc_start_time(st->pid) != st->start_time)
		return "stopped";
	char *fifo = oci_fifo_path(st);
	bool created = access(fifo, F_OK) == 0;
	free(fifo);
	if (created)
		return "created";
	return frozen(st) ? "paused" : "running";
}

char *oci_state_json(const struct oci_state *st)
{
	struct json_object *doc = json_object_new_object();
	const char *status = oci_status(st);
	json_object_object_add(doc, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(doc, "id", json_object_new_string(st->id));
	json_object_object_add(doc, "status", json_object_new_string(status));
	json_object_object_add(doc, "pid",
			       json_object_new_int(strcmp(status, "stopped") ? st->pid : 0));
	json_object_object_add(doc, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(doc, "created", json_object_new_string(st->created));
	if (st->annotations)
		json_object_object_add(doc, "annotations", json_object_get(st->annotations));
	char *out = xstrdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY));
	json_object_put(doc);
	return out;
}

void oci_state_unlock(struct oci_state *st)
{
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
}

void oci_state_release(struct oci_state *st)
{
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
	for (int i = 0; i < st->cg.ndirs; i++)
		free(st->cg.dirs[i]);
	st->cg.ndirs = 0;
	if (st->annotations)
		json_object_put(st->annotations);
	st->annotations = NULL;
	if (st->hooks)
		json_object_put(st->hooks);
	st->hooks = NULL;
}

void oci_state_remove(struct oci_state *st)
{
	static const char *const files[] = {"state.json", "state.json.tmp", "exec.fifo"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = xasprintf("%s/%s", st->dir, files[i]);
		unlink(path);
		free(path);
	}
	if (!keep_as_spare(st) && remove_tree(st->dir) < 0)
		warnx_ctr("cannot remove %s: %s", st->dir, strerror(errno));
	oci_state_release(st);
}
