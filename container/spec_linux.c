/* config.json's `linux` and `hooks` objects, and mount options, into struct spec. */
#include "spec.h"
#include "spec_json.h"
#include "util.h"

#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_flags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

static const struct {
	const char *name;
	unsigned long flag;
} propagation_flags[] = {
    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static unsigned long propagation_of(const char *name)
{
	for (size_t i = 0; i < sizeof(propagation_flags) / sizeof(propagation_flags[0]); i++)
		if (!strcmp(name, propagation_flags[i].name))
			return propagation_flags[i].flag;
	return 0;
}

void spec_mount_option(struct spec_mount *m, const char *opt)
{
	for (size_t i = 0; i < sizeof(mount_flags) / sizeof(mount_flags[0]); i++) {
		if (strcmp(opt, mount_flags[i].name))
			continue;
		if (mount_flags[i].clear)
			m->flags &= ~mount_flags[i].flag;
		else
			m->flags |= mount_flags[i].flag;
		if (mount_flags[i].flag & MS_BIND)
			m->bind = true;
		return;
	}
	unsigned long prop = propagation_of(opt);
	if (prop) {
		m->propagation = prop;
		return;
	}
	/* Everything else is the filesystem's own (size=, mode=, gid=...). */
	char *d = m->data ? xasprintf("%s,%s", m->data, opt) : xstrdup(opt);
	free(m->data);
	m->data = d;
}

static int parse_devices(struct json_object *a, struct spec *s)
{
	int bad = 0;
	s->ndevices = a ? json_object_array_length(a) : 0;
	s->devices = s->ndevices ? xrealloc(NULL, s->ndevices * sizeof(*s->devices)) : NULL;
	for (size_t i = 0; i < s->ndevices && !bad; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		struct spec_device *d = &s->devices[i];
		d->path = json_str_of(e, "path", "linux.devices[]", &bad);
		const char *type = json_str_of(e, "type", "linux.devices[]", &bad);
		if (!bad && (!d->path || d->path[0] != '/' || !type || strlen(type) != 1 ||
			     !strchr("cbup", type[0])))
			return err_ret(
			    "config.json: linux.devices[%zu] needs an absolute path and a "
			    "type c, b, u or p",
			    i);
		d->type = type[0];
		d->major = json_int_of(e, "major", 0, UINT_MAX, 0, "linux.devices[]", &bad);
		d->minor = json_int_of(e, "minor", 0, UINT_MAX, 0, "linux.devices[]", &bad);
		d->mode =
		    (mode_t)json_int_of(e, "fileMode", 0, 07777, 0666, "linux.devices[]", &bad);
		d->uid = (uid_t)json_int_of(e, "uid", 0, UINT_MAX - 1, 0, "linux.devices[]", &bad);
		d->gid = (gid_t)json_int_of(e, "gid", 0, UINT_MAX - 1, 0, "linux.devices[]", &bad);
	}
	return bad;
}

static int parse_dev_rules(struct json_object *a, struct spec_resources *r)
{
	int bad = 0;
	r->ndev_rules = a ? json_object_array_length(a) : 0;
	r->dev_rules = r->ndev_rules ? xrealloc(NULL, r->ndev_rules * sizeof(*r->dev_rules)) : NULL;
	for (size_t i = 0; i < r->ndev_rules && !bad; i++) {
		struct json_object *e = json_object_array_get_idx(a, i), *allow;
		struct spec_dev_rule *d = &r->dev_rules[i];
		d->allow =
		    json_object_object_get_ex(e, "allow", &allow) && json_object_get_boolean(allow);
		const char *type = json_str_of(e, "type", "linux.resources.devices[]", &bad);
		const char *access = json_str_of(e, "access", "linux.resources.devices[]", &bad);
		d->type = type && type[0] ? type[0] : 'a';
		d->major =
		    json_int_of(e, "major", -1, UINT_MAX, -1, "linux.resources.devices[]", &bad);
		d->minor =
		    json_int_of(e, "minor", -1, UINT_MAX, -1, "linux.resources.devices[]", &bad);
		snprintf(d->access, sizeof(d->access), "%s", access ? access : "rwm");
		if (!strchr("acb", d->type) || strspn(d->access, "rwm") != strlen(d->access))
			return err_ret(
			    "config.json: linux.resources.devices[%zu]: bad type or access", i);
	}
	return bad;
}

/* blockIO's weightDevice or a throttle list: [{major, minor, weight|rate}]. */
static int parse_blkio_devs(struct json_object *b, const char *key, const char *value_key,
			    long long min, struct spec_blkio_dev **out, size_t *n)
{
	int bad = 0;
	struct json_object *a =
	    json_obj_of(b, key, json_type_array, "linux.resources.blockIO", &bad);
	*n = a ? json_object_array_length(a) : 0;
	*out = *n ? xrealloc(NULL, *n * sizeof(**out)) : NULL;
	for (size_t i = 0; i < *n && !bad; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		(*out)[i] = (struct spec_blkio_dev){
		    .major = json_int_of(e, "major", 0, UINT_MAX, -1, key, &bad),
		    .minor = json_int_of(e, "minor", 0, UINT_MAX, -1, key, &bad),
		    .value = json_int_of(e, value_key, min, LLONG_MAX, -1, key, &bad)};
		if (!bad && ((*out)[i].major < 0 || (*out)[i].minor < 0 || (*out)[i].value < 0))
			bad = err_ret("config.json: linux.resources.blockIO.%s[%zu] needs major, "
				      "minor and %s",
				      key, i, value_key);
	}
	return bad;
}

static int parse_blkio(struct json_object *b, struct spec_resources *r)
{
	static const char *const throttles[BLKIO_THROTTLES] = {
	    [BLKIO_READ_BPS] = "throttleReadBpsDevice",
	    [BLKIO_WRITE_BPS] = "throttleWriteBpsDevice",
	    [BLKIO_READ_IOPS] = "throttleReadIOPSDevice",
	    [BLKIO_WRITE_IOPS] = "throttleWriteIOPSDevice",
	};
	int bad = 0;
	r->blkio_weight = json_int_of(b, "weight", 10, 1000, -1, "blockIO", &bad);
	r->blkio_leaf_weight = json_int_of(b, "leafWeight", 10, 1000, -1, "blockIO", &bad);
	if (bad || parse_blkio_devs(b, "weightDevice", "weight", 10, &r->blkio_weight_dev,
				    &r->nblkio_weight_dev))
		return -1;
	for (int i = 0; i < BLKIO_THROTTLES; i++)
		if (parse_blkio_devs(b, throttles[i], "rate", 0, &r->blkio_throttle[i],
				     &r->nblkio_throttle[i]))
			return -1;
	return 0;
}

int spec_parse_resources(struct json_object *o, struct spec_resources *r)
{
	int bad = 0;
	static const char *const ll = "linux.resources";
	struct json_object *mem = json_obj_of(o, "memory", json_type_object, ll, &bad);
	struct json_object *cpu = json_obj_of(o, "cpu", json_type_object, ll, &bad);
	struct json_object *pids = json_obj_of(o, "pids", json_type_object, ll, &bad);
	if (mem) {
		r->memory_limit = json_int_of(mem, "limit", -1, LLONG_MAX, -1, "memory", &bad);
		r->memory_reservation =
		    json_int_of(mem, "reservation", -1, LLONG_MAX, -1, "memory", &bad);
		r->memory_swap = json_int_of(mem, "swap", -1, LLONG_MAX, -1, "memory", &bad);
		r->memory_kernel = json_int_of(mem, "kernel", -1, LLONG_MAX, -1, "memory", &bad);
		r->memory_kernel_tcp =
		    json_int_of(mem, "kernelTCP", -1, LLONG_MAX, -1, "memory", &bad);
		r->swappiness = json_int_of(mem, "swappiness", 0, 100, -1, "memory", &bad);
		struct json_object *oom;
		r->disable_oom_killer = json_object_object_get_ex(mem, "disableOOMKiller", &oom) &&
					json_object_get_boolean(oom);
	}
	if (cpu) {
		r->cpu_shares = json_int_of(cpu, "shares", 0, LLONG_MAX, -1, "cpu", &bad);
		r->cpu_quota = json_int_of(cpu, "quota", -1, LLONG_MAX, -1, "cpu", &bad);
		r->cpu_period = json_int_of(cpu, "period", 0, LLONG_MAX, -1, "cpu", &bad);
		r->cpus = json_str_of(cpu, "cpus", "cpu", &bad);
		r->mems = json_str_of(cpu, "mems", "cpu", &bad);
	}
	if (pids)
		r->pids_limit = json_int_of(pids, "limit", -1, LLONG_MAX, -1, "pids", &bad);
	struct json_object *blkio = json_obj_of(o, "blockIO", json_type_object, ll, &bad);
	if (bad || (blkio && parse_blkio(blkio, r)))
		return -1;
	return parse_dev_rules(json_obj_of(o, "devices", json_type_array, ll, &bad), r) || bad;
}

static int parse_paths(struct json_object *l, const char *key, const char ***out, size_t *n)
{
	int bad = 0;
	char **v = json_str_array(json_obj_of(l, key, json_type_array, "linux", &bad), key, &bad);
	*out = (const char **)v;
	*n = 0;
	while (v && v[*n])
		(*n)++;
	return bad;
}

int spec_parse_linux(struct json_object *l, struct spec *s)
{
	static const char *const known[] = {"namespaces",    "uidMappings",
					    "gidMappings",   "devices",
					    "resources",     "cgroupsPath",
					    "sysctl",	     "maskedPaths",
					    "readonlyPaths", "rootfsPropagation",
					    "seccomp",	     "personality",
					    "mountLabel",    NULL};
	json_object_object_foreach(l, key, val)
	{
		(void)val;
		bool ok = false;
		for (const char *const *k = known; *k && !ok; k++)
			ok = !strcmp(*k, key);
		if (!ok)
			return err_ret("config.json: linux.%s is not supported by this runtime",
				       key);
	}
	int bad = 0;
	if (spec_parse_namespaces(json_obj_of(l, "namespaces", json_type_array, "linux", &bad),
				  s) ||
	    spec_parse_idmaps(json_obj_of(l, "uidMappings", json_type_array, "linux", &bad),
			      s->uid_maps, &s->nuid_maps, "linux.uidMappings") ||
	    spec_parse_idmaps(json_obj_of(l, "gidMappings", json_type_array, "linux", &bad),
			      s->gid_maps, &s->ngid_maps, "linux.gidMappings") ||
	    parse_devices(json_obj_of(l, "devices", json_type_array, "linux", &bad), s) || bad)
		return -1;
	struct json_object *res = json_obj_of(l, "resources", json_type_object, "linux", &bad);
	if (bad || (res && spec_parse_resources(res, &s->res)))
		return -1;
	s->cgroups_path = json_str_of(l, "cgroupsPath", "linux", &bad);
	if (bad || spec_parse_string_map(json_obj_of(l, "sysctl", json_type_object, "linux", &bad),
					 &s->sysctl_keys, &s->sysctl_values, &s->nsysctl))
		return -1;
	if (parse_paths(l, "maskedPaths", &s->masked, &s->nmasked) ||
	    parse_paths(l, "readonlyPaths", &s->readonly, &s->nreadonly))
		return -1;
	const char *prop = json_str_of(l, "rootfsPropagation", "linux", &bad);
	if (prop && !(s->rootfs_propagation = propagation_of(prop)))
		return err_ret("config.json: bad linux.rootfsPropagation '%s'", prop);
	if (json_str_of(l, "mountLabel", "linux", &bad))
		return err_ret("config.json: linux.mountLabel: SELinux is not supported here");
	if (spec_has_ns(s, CLONE_NEWUSER) && (!s->nuid_maps || !s->ngid_maps))
		return err_ret("config.json: a user namespace needs uidMappings and gidMappings");
	return bad;
}

static const char *const hook_names[HOOK_KINDS] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};

int spec_parse_hooks(struct json_object *h, struct spec *s)
{
	int bad = 0;
	for (int k = 0; k < HOOK_KINDS && !bad; k++) {
		struct json_object *a =
		    json_obj_of(h, hook_names[k], json_type_array, "hooks", &bad);
		s->nhooks[k] = a ? json_object_array_length(a) : 0;
		s->hooks[k] =
		    s->nhooks[k] ? xrealloc(NULL, s->nhooks[k] * sizeof(struct spec_hook)) : NULL;
		for (size_t i = 0; i < s->nhooks[k]; i++) {
			struct json_object *e = json_object_array_get_idx(a, i);
			struct spec_hook *hk = &s->hooks[k][i];
			*hk = (struct spec_hook){0};
			hk->path = json_str_of(e, "path", hook_names[k], &bad);
			hk->args =
			    json_str_array(json_obj_of(e, "args", json_type_array, "hook", &bad),
					   "hook.args", &bad);
			hk->env = json_str_array(
			    json_obj_of(e, "env", json_type_array, "hook", &bad), "hook.env", &bad);
			hk->timeout = (int)json_int_of(e, "timeout", 1, INT_MAX, 0, "hook", &bad);
			if (!bad && (!hk->path || hk->path[0] != '/'))
				return err_ret("config.json: hooks.%s[%zu].path must be absolute",
					       hook_names[k], i);
		}
	}
	return bad;
}

const char *spec_hook_name(enum hook_kind k)
{
	return hook_names[k];
}
