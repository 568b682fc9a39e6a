/*
 * An OCI container's cgroup: linux.cgroupsPath (absolute: from the hierarchy's root;
 * relative: below the runtime's own cgroup; default isolab/oci-ID) in every v1
 * hierarchy, or the one v2 directory, with linux.resources written into it.
 * On v2 the device rules are a BPF program (cgroup_v2_devices.c).
 */
#include "oci_cgroup.h"
#include "cgroup_v2_devices.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

static bool has_token(const char *list, const char *tok, size_t n)
{
	for (const char *p = list; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (!strncmp(p, tok, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static int put(const char *dir, const char *file, const char *fmt, long long v)
{
	if (cg_write(dir, file, fmt, v) < 0)
		return err_ret("cannot set %s/%s: %s", dir, file, strerror(errno));
	return 0;
}

static int put_str(const char *dir, const char *file, const char *v)
{
	if (cg_write(dir, file, "%s", v) < 0)
		return err_ret("cannot set %s/%s to %s: %s", dir, file, v, strerror(errno));
	return 0;
}

static bool has_file(const char *dir, const char *file)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* A new v1 cpuset starts with no CPUs and no memory nodes: inherit the parent's, level by
 * level, or no task could join it. */
static void cpuset_inherit(const char *dir)
{
	char *parent = xstrdup(dir), *slash = strrchr(parent, '/'), buf[4096];
	if (slash)
		*slash = '\0';
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (int i = 0; i < 2; i++) {
		char *mine = xasprintf("%s/%s", dir, files[i]);
		char *theirs = xasprintf("%s/%s", parent, files[i]);
		if (read_file(mine, buf, sizeof(buf)) >= 0 && (buf[0] == '\n' || !buf[0]) &&
		    read_file(theirs, buf, sizeof(buf)) > 0)
			write_file(mine, buf);
		free(mine);
		free(theirs);
	}
	free(parent);
}

/* mkdir -p below base, inheriting cpusets on the way. */
static int make_path(const char *base, const char *rel, bool cpuset, char **out)
{
	char *dir = xasprintf("%s/%s", base, rel);
	for (char *p = dir + strlen(base) + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char save = *p;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			err_ret("cannot create cgroup %s: %s", dir, strerror(e));
			free(dir);
			return -1;
		}
		if (cpuset)
			cpuset_inherit(dir);
		*p = save;
		if (!save)
			break;
	}
	*out = dir;
	return 0;
}

static int v1_devices(const char *dir, const struct spec_dev_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct spec_dev_rule *d = &rules[i];
		char rule[64], maj[24] = "*", min[24] = "*";
		if (d->major >= 0)
			snprintf(maj, sizeof(maj), "%lld", d->major);
		if (d->minor >= 0)
			snprintf(min, sizeof(min), "%lld", d->minor);
		if (d->type == 'a')
			snprintf(rule, sizeof(rule), "a");
		else
			snprintf(rule, sizeof(rule), "%c %s:%s %s", d->type, maj, min, d->access);
		if (put_str(dir, d->allow ? "devices.allow" : "devices.deny", rule) < 0)
			return -1;
	}
	return 0;
}

/* After the spec's rules, the ones device_rules adds: the default devices and the
 * spec's linux.devices stay usable whatever the rules denied. */
static int v1_default_devices(const char *dir, const struct spec *s)
{
	size_t n;
	struct spec_dev_rule *rules = device_rules(s, &n);
	int rc = v1_devices(dir, rules + s->res.ndev_rules, n - s->res.ndev_rules);
	free(rules);
	return rc;
}

static int v1_apply(const char *dir, const char *ctrls, const struct spec_resources *r)
{
	int rc = 0;
	if (has_token(ctrls, "memory", 6)) {
		if (r->memory_limit > 0)
			rc |= put(dir, "memory.limit_in_bytes", "%lld", r->memory_limit);
		if (r->memory_reservation > 0)
			rc |= put(dir, "memory.soft_limit_in_bytes", "%lld", r->memory_reservation);
		if (r->memory_swap > 0 && has_file(dir, "memory.memsw.limit_in_bytes"))
			rc |= put(dir, "memory.memsw.limit_in_bytes", "%lld", r->memory_swap);
		/* kmem limits are gone from recent kernels (writes fail): as runc, not fatal. */
		if (r->memory_kernel > 0)
			cg_write(dir, "memory.kmem.limit_in_bytes", "%lld", r->memory_kernel);
		if (r->memory_kernel_tcp > 0)
			cg_write(dir, "memory.kmem.tcp.limit_in_bytes", "%lld",
				 r->memory_kernel_tcp);
		if (r->swappiness >= 0)
			rc |= put(dir, "memory.swappiness", "%lld", r->swappiness);
		if (r->disable_oom_killer)
			rc |= put(dir, "memory.oom_control", "%lld", 1);
	}
	if (has_token(ctrls, "cpu", 3)) {
		if (r->cpu_shares > 0)
			rc |= put(dir, "cpu.shares", "%lld", r->cpu_shares);
		if (r->cpu_period > 0)
			rc |= put(dir, "cpu.cfs_period_us", "%lld", r->cpu_period);
		if (r->cpu_quota != -1 && r->cpu_quota != 0)
			rc |= put(dir, "cpu.cfs_quota_us", "%lld", r->cpu_quota);
	}
	if (has_token(ctrls, "cpuset", 6)) {
		if (r->cpus && r->cpus[0])
			rc |= put_str(dir, "cpuset.cpus", r->cpus);
		if (r->mems && r->mems[0])
			rc |= put_str(dir, "cpuset.mems", r->mems);
	}
	if (has_token(ctrls, "pids", 4) && r->pids_limit > 0)
		rc |= put(dir, "pids.max", "%lld", r->pids_limit);
	if (has_token(ctrls, "devices", 7))
		rc |= v1_devices(dir, r->dev_rules, r->ndev_rules);
	if (has_token(ctrls, "blkio", 5) && blkio_wanted(r))
		rc |= blkio_apply_v1(dir, r);
	return rc ? -1 : 0;
}

/* The controllers the resources write to, as cgroup v2 names them (blkio is v2's io). */
static void wanted_controllers(const struct spec_resources *r, const char *out[5], int *n)
{
	*n = 0;
	if (r->memory_limit > 0 || r->memory_reservation > 0 || r->memory_swap > 0 ||
	    r->swappiness >= 0 || r->disable_oom_killer)
		out[(*n)++] = "memory";
	if (r->cpu_shares > 0 || r->cpu_period > 0 || (r->cpu_quota != -1 && r->cpu_quota != 0))
		out[(*n)++] = "cpu";
	if ((r->cpus && r->cpus[0]) || (r->mems && r->mems[0]))
		out[(*n)++] = "cpuset";
	if (r->pids_limit > 0)
		out[(*n)++] = "pids";
	if (blkio_wanted(r))
		out[(*n)++] = "io";
}

/* Is a hierarchy's super options list one of the controllers in `only` (NULL: all)? */
static bool hierarchy_wanted(const char *super, const char *only)
{
	for (const char *t = only; t && *t; t += strcspn(t, ",") + (t[strcspn(t, ",")] != 0))
		if (has_token(super, t, strcspn(t, ",")))
			return true;
	return !only;
}

/* A limit whose controller no hierarchy has is an error, not a silent no-op. */
static int v1_check_controllers(const struct spec_resources *r, const char *seen)
{
	const char *want[5];
	int n;
	wanted_controllers(r, want, &n);
	for (int i = 0; i < n; i++) {
		const char *v1 = strcmp(want[i], "io") ? want[i] : "blkio";
		if (!has_token(seen, v1, strlen(v1)))
			return err_ret(
			    "cgroup controller unavailable: %s (no v1 hierarchy mounted)", v1);
	}
	return 0;
}

/* Our path in the hierarchy whose mount has these super options (/proc/self/cgroup's
 * line whose controllers it lists), below the mount's root; NULL when none. */
static char *own_path(const char *super, const char *mount_root, bool v2)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096], *out = NULL;
	while (f && !out && fgets(line, sizeof(line), f)) {
		char *ctrls = strchr(line, ':'), *path = ctrls ? strchr(ctrls + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		ctrls++;
		path[strcspn(path, "\n")] = '\0';
		bool match = v2 ? !ctrls[0] : ctrls[0] != '\0';
		for (char *t = ctrls; match && *t; t += strcspn(t, ",") + (t[strcspn(t, ",")] != 0))
			match = has_token(super, t, strcspn(t, ","));
		if (!match)
			continue;
		size_t rl = strcmp(mount_root, "/") ? strlen(mount_root) : 0;
		if (!strncmp(path, mount_root, rl))
			out = xstrdup(strcmp(path + rl, "/") ? path + rl : "");
	}
	if (f)
		fclose(f);
	return out;
}

/* Each v1 hierarchy: its mount point and the runtime's own path in it. */
static int v1_create(struct cgroup *cg, const char *path, const struct spec *s)
{
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	char line[8192], seen[512] = "";
	int rc = 0;
	while (mi && rc == 0 && fgets(line, sizeof(line), mi)) {
		char root[4096], mnt[4096], *sep = strstr(line, " - cgroup ");
		if (!sep || sscanf(line, "%*d %*d %*s %4095s %4095s", root, mnt) != 2)
			continue;
		char *super = strrchr(sep, ' ');
		if (!super || cg->ndirs == CG_MAX_DIRS)
			continue;
		super++;
		super[strcspn(super, "\n")] = '\0';
		if (!hierarchy_wanted(super, s->cgroup_v1_controllers))
			continue;
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), ",%s", super);
		char *own = path[0] == '/' ? xstrdup("") : own_path(super, root, false);
		if (!own)
			continue;
		char *base = xasprintf("%s%s", mnt, own), *dir;
		free(own);
		rc = make_path(base, path + (path[0] == '/'), has_token(super, "cpuset", 6), &dir);
		free(base);
		if (rc == 0) {
			cg->dirs[cg->ndirs++] = dir;
			rc = v1_apply(dir, super, &s->res);
			if (rc == 0 && has_token(super, "devices", 7))
				rc = v1_default_devices(dir, s);
		}
	}
	if (mi)
		fclose(mi);
	return rc < 0 ? -1 : v1_check_controllers(&s->res, seen);
}

static int v2_apply(const char *dir, const struct spec_resources *r)
{
	int rc = 0;
	if (r->memory_limit > 0)
		rc |= put(dir, "memory.max", "%lld", r->memory_limit);
	if (r->memory_reservation > 0)
		rc |= put(dir, "memory.low", "%lld", r->memory_reservation);
	if (r->memory_swap > 0 && r->memory_limit > 0)
		rc |= put(dir, "memory.swap.max", "%lld", r->memory_swap - r->memory_limit);
	if (r->cpu_shares > 0) /* runc's conversion of 2..262144 onto 1..10000 */
		rc |= put(dir, "cpu.weight", "%lld", 1 + ((r->cpu_shares - 2) * 9999) / 262142);
	if (r->cpu_quota > 0) {
		char v[64];
		snprintf(v, sizeof(v), "%lld %lld", r->cpu_quota,
			 r->cpu_period > 0 ? r->cpu_period : 100000);
		rc |= put_str(dir, "cpu.max", v);
	}
	if (r->cpus && r->cpus[0])
		rc |= put_str(dir, "cpuset.cpus", r->cpus);
	if (r->mems && r->mems[0])
		rc |= put_str(dir, "cpuset.mems", r->mems);
	if (r->pids_limit > 0)
		rc |= put(dir, "pids.max", "%lld", r->pids_limit);
	if (blkio_wanted(r))
		rc |= blkio_apply_v2(dir, r);
	return rc ? -1 : 0;
}

/* Every controller a limit needs is in the root's cgroup.controllers; the ones the
 * container uses are enabled for the children of each level (dir: the root, or below). */
static int v2_controllers(const char *root, const struct spec_resources *r, char *list, size_t len)
{
	char have[1024] = "", path[4096];
	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	read_file(path, have, sizeof(have));
	for (char *c = have; *c; c++)
		if (*c == ' ' || *c == '\n')
			*c = ',';
	const char *want[5];
	int n;
	wanted_controllers(r, want, &n);
	snprintf(list, len, "+memory +cpu +pids +cpuset");
	for (int i = 0; i < n; i++)
		if (!has_token(have, want[i], strlen(want[i])))
			return err_ret(
			    "cgroup controller unavailable: %s (not in %s/cgroup.controllers)",
			    want[i], root);
	/* io only when limited: enabling it costs every process below some accounting. */
	if (blkio_wanted(r))
		snprintf(list + strlen(list), len - strlen(list), " +io");
	return 0;
}

/* One write for the list; where one is missing the kernel refuses all: then one by one. */
static void enable_controllers(const char *dir, const char *list)
{
	if (cg_write(dir, "cgroup.subtree_control", "%s", list) == 0)
		return;
	for (const char *t = list; *t; t += strcspn(t, " ") + (t[strcspn(t, " ")] != 0))
		cg_write(dir, "cgroup.subtree_control", "%.*s", (int)strcspn(t, " "), t);
}

static int v2_create(struct cgroup *cg, const char *root, const char *path, const struct spec *s)
{
	char list[64];
	if (v2_controllers(root, &s->res, list, sizeof(list)) < 0)
		return -1;
	char *dir, *own = path[0] == '/' ? xstrdup("") : own_path("", "/", true);
	char *base = xasprintf("%s%s", root, own);
	free(own);
	/* Controllers for the children of every level on the way down (not fatal: a limit
	 * that needs one was checked above). */
	enable_controllers(root, list);
	int rc = make_path(base, path + (path[0] == '/'), false, &dir);
	free(base);
	if (rc < 0)
		return -1;
	/* The levels below the root (isolab/ on a fresh host) hand them on too. */
	for (char *sl = dir + strlen(root) + 1; (sl = strchr(sl, '/')); *sl++ = '/') {
		*sl = '\0';
		enable_controllers(dir, list);
	}
	cg->dirs[cg->ndirs++] = dir;
	return v2_apply(dir, &s->res) < 0 ? -1 : v2_devices_apply(dir, s);
}

int oci_cgroup_create(const struct spec *s, const char *id, struct cgroup *cg)
{
	struct cgroup detected;
	cgroup_detect(&detected);
	*cg = (struct cgroup){.ops = detected.ops, .root = detected.root};
	char *path = s->cgroups_path && s->cgroups_path[0] ? xstrdup(s->cgroups_path)
							   : xasprintf("isolab/oci-%s", id);
	if (strstr(path, "..")) {
		free(path);
		return err_ret("bad linux.cgroupsPath '%s' (no '..')", s->cgroups_path);
	}
	int rc = cg->ops->clone_into ? v2_create(cg, cg->root, path, s) : v1_create(cg, path, s);
	free(path);
	if (rc < 0)
		cgroup_destroy(cg);
	return rc;
}

int oci_cgroup_apply(const struct cgroup *cg, const struct spec_resources *r)
{
	for (int i = 0; i < cg->ndirs; i++) {
		const char *d = cg->dirs[i];
		/* v1: the hierarchy is named by its mount point, /sys/fs/cgroup/CONTROLLERS. */
		const char *rest = !strncmp(d, "/sys/fs/cgroup/", 15) ? d + 15 : "";
		char ctrls[128];
		snprintf(ctrls, sizeof(ctrls), "%.*s", (int)strcspn(rest, "/"), rest);
		bool v2 = has_file(d, "cgroup.controllers");
		/* v2's rules are a program made at create (runc's update ignores devices) */
		if (v2 && r->ndev_rules)
			return err_ret(
			    "update: linux.resources.devices cannot be changed on cgroup v2");
		int rc = v2 ? v2_apply(d, r) : v1_apply(d, ctrls, r);
		if (rc < 0)
			return -1;
	}
	return 0;
}
