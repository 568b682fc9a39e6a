/*
 * One directory per container: a `state` file of "key: value" lines (easy
 * to read with grep too) next to the overlay's upper/work directories.
 * The `container run` process (the monitor) writes it and cleans up; when
 * the monitor was killed with SIGKILL, the next `container` command does.
 */
#include "state.h"
#include "options.h"
#include "network.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *state_base(void)
{
	static char base[512];
	if (base[0])
		return base;
	if (geteuid() == 0) {
		snprintf(base, sizeof(base), "/run/isolab");
	} else {
		const char *xdg = getenv("XDG_RUNTIME_DIR");
		if (xdg && xdg[0] == '/')
			snprintf(base, sizeof(base), "%s/isolab", xdg);
		else
			snprintf(base, sizeof(base), "/tmp/isolab-%u", (unsigned)geteuid());
	}
	return base;
}

char *state_dir(const char *name)
{
	return xasprintf("%s/containers/%s", state_base(), name);
}

char *ipam_dir(void)
{
	return xasprintf("%s/ipam", state_base());
}

int state_write(const char *dir, const struct state *st)
{
	char *tmp = xasprintf("%s/state.tmp", dir), *path = xasprintf("%s/state", dir);
	FILE *f = fopen(tmp, "we");
	int rc = -1;
	if (f) {
		fprintf(f, "name: %s\npid: %d\nmonitor: %d\nstatus: %s\nexit_code: %d\n", st->name,
			(int)st->pid, (int)st->monitor, st->status, st->exit_code);
		fprintf(f, "rm: %d\nuserns: %d\nprivileged: %d\nip: %s\nrootfs: %s\n", st->rm,
			st->userns, st->privileged, st->ip, st->rootfs);
		fprintf(f, "command: %s\ncreated: %lld\n", st->command, st->created);
		for (int i = 0; i < st->ndirs; i++)
			fprintf(f, "cgroup: %s\n", st->cgroup_dirs[i]);
		rc = fclose(f);
	}
	/* rename: a reader sees the old or the new file, never half of one. */
	if (rc == 0)
		rc = rename(tmp, path);
	if (rc < 0)
		err_ret("cannot write %s: %s", path, strerror(errno));
	free(tmp);
	free(path);
	return rc;
}

static void parse_line(struct state *st, const char *key, const char *val)
{
	if (!strcmp(key, "name"))
		snprintf(st->name, sizeof(st->name), "%s", val);
	else if (!strcmp(key, "pid"))
		st->pid = atoi(val);
	else if (!strcmp(key, "monitor"))
		st->monitor = atoi(val);
	else if (!strcmp(key, "status"))
		snprintf(st->status, sizeof(st->status), "%s", val);
	else if (!strcmp(key, "exit_code"))
		st->exit_code = atoi(val);
	else if (!strcmp(key, "rm"))
		st->rm = atoi(val);
	else if (!strcmp(key, "userns"))
		st->userns = atoi(val);
	else if (!strcmp(key, "privileged"))
		st->privileged = atoi(val);
	else if (!strcmp(key, "ip"))
		snprintf(st->ip, sizeof(st->ip), "%s", val);
	else if (!strcmp(key, "rootfs"))
		snprintf(st->rootfs, sizeof(st->rootfs), "%s", val);
	else if (!strcmp(key, "command"))
		snprintf(st->command, sizeof(st->command), "%s", val);
	else if (!strcmp(key, "created"))
		st->created = atoll(val);
	else if (!strcmp(key, "cgroup") && st->ndirs < CG_MAX_DIRS)
		snprintf(st->cgroup_dirs[st->ndirs++], sizeof(st->cgroup_dirs[0]), "%s", val);
}

int state_read(const char *name, struct state *st)
{
	*st = (struct state){0};
	if (!valid_name(name))
		return err_ret("bad container name '%s'", name);
	char *dir = state_dir(name), *path = xasprintf("%s/state", dir);
	FILE *f = fopen(path, "re");
	free(path);
	free(dir);
	if (!f)
		return err_ret("no such container: %s", name);
	char line[2048];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *sep = strstr(line, ": ");
		if (sep) {
			*sep = '\0';
			parse_line(st, line, sep + 2);
		}
	}
	fclose(f);
	return 0;
}

bool state_running(const struct state *st)
{
	return !strcmp(st->status, "running") && st->monitor > 0 &&
	       (kill(st->monitor, 0) == 0 || errno == EPERM);
}

void state_release(struct state *st)
{
	struct cgroup cg = {0};
	cgroup_detect(&cg);
	for (int i = 0; i < st->ndirs; i++)
		cg.dirs[cg.ndirs++] = xstrdup(st->cgroup_dirs[i]);
	cgroup_destroy(&cg);
	st->ndirs = 0;
	if (st->ip[0]) {
		char veth[IFNAMSIZ_SAFE];
		veth_name_for(st->ip, veth, sizeof(veth));
		net_link_delete(veth);
		char *ipam = ipam_dir();
		ipam_release(ipam, st->ip);
		free(ipam);
	}
}

void state_sweep_stale(void)
{
	char *base = xasprintf("%s/containers", state_base());
	DIR *d = opendir(base);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct state st;
		if (e->d_name[0] == '.' || !valid_name(e->d_name))
			continue;
		char *dir = xasprintf("%s/%s", base, e->d_name), *path = xasprintf("%s/state", dir);
		if (access(path, F_OK) == 0 && state_read(e->d_name, &st) == 0 &&
		    !strcmp(st.status, "running") && !state_running(&st)) {
			/* Not kill(st.pid): that number may be reused; the cgroup's members are
			 * ours. */
			state_release(&st);
			snprintf(st.status, sizeof(st.status), "exited");
			st.exit_code = 137;
			if (st.rm)
				remove_tree(dir);
			else
				state_write(dir, &st);
		}
		free(path);
		free(dir);
	}
	if (d)
		closedir(d);
	free(base);
}
