/*
 * config.json into struct spec (spec.h). Every field that `create` honours is read here;
 * a field of the wrong type, or one this runtime does not implement, is a one-line error
 * naming it (the spec's "MUST generate an error"), never silently skipped.
 */
#include "spec.h"
#include "spec_json.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

static size_t count(char **v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* Refuse keys a known object may not have: a typo must not pass for "not set". */
static int only_keys(struct json_object *o, const char *where, const char *const *known)
{
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		bool ok = false;
		for (const char *const *k = known; *k && !ok; k++)
			ok = !strcmp(*k, key);
		if (!ok)
			return err_ret("config.json: %s.%s is not supported by this runtime", where,
				       key);
	}
	return 0;
}

int spec_parse_process(struct json_object *o, struct spec_process *p)
{
	int bad = 0;
	*p = (struct spec_process){.umask = -1};
	static const char *const known[] = {"args",
					    "env",
					    "cwd",
					    "user",
					    "terminal",
					    "consoleSize",
					    "capabilities",
					    "rlimits",
					    "noNewPrivileges",
					    "oomScoreAdj",
					    "apparmorProfile",
					    "selinuxLabel",
					    "commandLine",
					    NULL};
	if (only_keys(o, "process", known) < 0)
		return -1;
	p->args = json_str_array(json_obj_of(o, "args", json_type_array, "process", &bad),
				 "process.args", &bad);
	p->env = json_str_array(json_obj_of(o, "env", json_type_array, "process", &bad),
				"process.env", &bad);
	p->cwd = json_str_of(o, "cwd", "process", &bad);
	struct json_object *t, *u = json_obj_of(o, "user", json_type_object, "process", &bad);
	if (json_object_object_get_ex(o, "terminal", &t))
		p->terminal = json_object_get_boolean(t);
	if (u) {
		p->uid = (uid_t)json_int_of(u, "uid", 0, UINT_MAX - 1, 0, "process.user", &bad);
		p->gid = (gid_t)json_int_of(u, "gid", 0, UINT_MAX - 1, 0, "process.user", &bad);
		p->umask = (int)json_int_of(u, "umask", 0, 0777, -1, "process.user", &bad);
		struct json_object *g =
		    json_obj_of(u, "additionalGids", json_type_array, "process.user", &bad);
		p->ngids = g ? json_object_array_length(g) : 0;
		p->gids = p->ngids ? xrealloc(NULL, p->ngids * sizeof(gid_t)) : NULL;
		for (size_t i = 0; i < p->ngids; i++)
			p->gids[i] = (gid_t)json_object_get_int64(json_object_array_get_idx(g, i));
		if (json_str_of(u, "username", "process.user", &bad))
			bad = err_ret("config.json: process.user.username is for Windows");
	}
	if (!bad && count(p->args) == 0)
		bad = err_ret("config.json: process.args must name a command");
	if (!bad && (!p->cwd || p->cwd[0] != '/'))
		bad = err_ret("config.json: process.cwd must be an absolute path");
	/* capabilities, rlimits, noNewPrivileges, oomScoreAdj and the LSM labels:
	 * security_from_oci (security.c) reads them from the same object. */
	return bad ? -1 : 0;
}

void spec_process_free(struct spec_process *p)
{
	free(p->args);
	free(p->env);
	free(p->gids);
}

static const struct {
	const char *name;
	int type;
} ns_types[] = {
    {"pid", CLONE_NEWPID},	 {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},	 {"uts", CLONE_NEWUTS},	    {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

const char *spec_ns_name(int type)
{
	for (size_t i = 0; i < sizeof(ns_types) / sizeof(ns_types[0]); i++)
		if (ns_types[i].type == type)
			return ns_types[i].name;
	return "?";
}

bool spec_new_user_ns(const struct spec *s)
{
	for (size_t i = 0; i < s->nns; i++)
		if (s->ns[i].type == CLONE_NEWUSER)
			return !s->ns[i].path;
	return false;
}

bool spec_has_ns(const struct spec *s, int type)
{
	for (size_t i = 0; i < s->nns; i++)
		if (s->ns[i].type == type)
			return true;
	return false;
}

int spec_parse_namespaces(struct json_object *a, struct spec *s)
{
	int bad = 0;
	for (size_t i = 0; a && !bad && i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		const char *type = json_str_of(e, "type", "linux.namespaces[]", &bad);
		int t = 0;
		for (size_t k = 0; type && k < sizeof(ns_types) / sizeof(ns_types[0]); k++)
			if (!strcmp(type, ns_types[k].name))
				t = ns_types[k].type;
		if (!t)
			return err_ret("config.json: unknown namespace type '%s'",
				       type ? type : "");
		if (spec_has_ns(s, t))
			return err_ret("config.json: namespace '%s' given twice", type);
		s->ns[s->nns].type = t;
		s->ns[s->nns++].path = json_str_of(e, "path", "linux.namespaces[]", &bad);
	}
	return bad;
}

int spec_parse_idmaps(struct json_object *a, struct spec_idmap *m, size_t *n, const char *what)
{
	int bad = 0;
	size_t len = a ? json_object_array_length(a) : 0;
	if (len > 8)
		return err_ret("config.json: %s: at most 8 ranges", what);
	for (size_t i = 0; i < len && !bad; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		m[i].container =
		    (unsigned)json_int_of(e, "containerID", 0, UINT_MAX, 0, what, &bad);
		m[i].host = (unsigned)json_int_of(e, "hostID", 0, UINT_MAX, 0, what, &bad);
		m[i].size = (unsigned)json_int_of(e, "size", 1, UINT_MAX, 1, what, &bad);
	}
	*n = len;
	return bad;
}

static int parse_mounts(struct json_object *a, struct spec *s)
{
	int bad = 0;
	s->nmounts = a ? json_object_array_length(a) : 0;
	s->mounts = s->nmounts ? xrealloc(NULL, s->nmounts * sizeof(*s->mounts)) : NULL;
	for (size_t i = 0; i < s->nmounts && !bad; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		struct spec_mount *m = &s->mounts[i];
		*m = (struct spec_mount){0};
		m->dest = json_str_of(e, "destination", "mounts[]", &bad);
		m->type = json_str_of(e, "type", "mounts[]", &bad);
		m->source = json_str_of(e, "source", "mounts[]", &bad);
		if (!bad && (!m->dest || m->dest[0] != '/'))
			return err_ret("config.json: mounts[%zu].destination must be absolute", i);
		char **opts =
		    json_str_array(json_obj_of(e, "options", json_type_array, "mounts[]", &bad),
				   "mounts[].options", &bad);
		for (char **o = opts; !bad && o && *o; o++)
			spec_mount_option(m, *o);
		free(opts);
		if (!bad && m->type && !strcmp(m->type, "bind"))
			m->bind = true;
		if (!bad && m->bind && !m->source)
			return err_ret("config.json: bind mount on %s needs a source", m->dest);
	}
	return bad;
}

int spec_parse_string_map(struct json_object *o, const char ***keys, const char ***vals, size_t *n)
{
	*n = 0;
	if (!o)
		return 0;
	size_t len = (size_t)json_object_object_length(o);
	*keys = xrealloc(NULL, (len + 1) * sizeof(char *));
	*vals = xrealloc(NULL, (len + 1) * sizeof(char *));
	json_object_object_foreach(o, key, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return err_ret("config.json: linux.sysctl.%s must be a string", key);
		(*keys)[*n] = key;
		(*vals)[(*n)++] = json_object_get_string(val);
	}
	return 0;
}

static int parse_root(struct json_object *doc, struct spec *s)
{
	int bad = 0;
	struct json_object *root = json_obj_of(doc, "root", json_type_object, "", &bad), *ro;
	const char *path = root ? json_str_of(root, "path", "root", &bad) : NULL;
	if (bad || !path)
		return err_ret("config.json: root.path is required");
	if (json_object_object_get_ex(root, "readonly", &ro))
		s->root_readonly = json_object_get_boolean(ro);
	char *joined = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", s->bundle, path);
	s->root = realpath(joined, NULL);
	if (!s->root)
		bad = err_ret("root.path %s: %s", joined, strerror(errno));
	free(joined);
	return bad ? -1 : 0;
}

static int parse_doc(struct json_object *doc, struct spec *s)
{
	int bad = 0;
	static const char *const known[] = {"ociVersion", "process", "root",  "hostname",
					    "domainname", "mounts",  "hooks", "annotations",
					    "linux",	  NULL};
	if (only_keys(doc, "", known) < 0)
		return -1;
	s->oci_version = json_str_of(doc, "ociVersion", "", &bad);
	if (!bad && (!s->oci_version || strncmp(s->oci_version, "1.", 2)))
		return err_ret("config.json: ociVersion must be 1.x (got %s)",
			       s->oci_version ? s->oci_version : "nothing");
	if (parse_root(doc, s) < 0)
		return -1;
	s->hostname = json_str_of(doc, "hostname", "", &bad);
	s->domainname = json_str_of(doc, "domainname", "", &bad);
	s->process_obj = json_obj_of(doc, "process", json_type_object, "", &bad);
	s->has_process = s->process_obj != NULL;
	if (!bad && s->process_obj && spec_parse_process(s->process_obj, &s->process) < 0)
		return -1;
	s->annotations = json_obj_of(doc, "annotations", json_type_object, "", &bad);
	if (bad || parse_mounts(json_obj_of(doc, "mounts", json_type_array, "", &bad), s))
		return -1;
	s->linux_obj = json_obj_of(doc, "linux", json_type_object, "", &bad);
	if (bad || (s->linux_obj && spec_parse_linux(s->linux_obj, s)))
		return -1;
	struct json_object *hooks = json_obj_of(doc, "hooks", json_type_object, "", &bad);
	return bad || (hooks && spec_parse_hooks(hooks, s)) ? -1 : 0;
}

void spec_resources_init(struct spec_resources *r)
{
	*r = (struct spec_resources){.memory_limit = -1,
				     .memory_reservation = -1,
				     .memory_swap = -1,
				     .memory_kernel = -1,
				     .memory_kernel_tcp = -1,
				     .swappiness = -1,
				     .cpu_shares = -1,
				     .cpu_quota = -1,
				     .cpu_period = -1,
				     .pids_limit = -1,
				     .blkio_weight = -1,
				     .blkio_leaf_weight = -1};
}

void spec_resources_free(struct spec_resources *r)
{
	free(r->dev_rules);
	free(r->blkio_weight_dev);
	for (int i = 0; i < BLKIO_THROTTLES; i++)
		free(r->blkio_throttle[i]);
	spec_resources_init(r);
}

int spec_load(const char *bundle, struct spec *s)
{
	*s = (struct spec){0};
	spec_resources_init(&s->res);
	s->bundle = bundle;
	char *path = xasprintf("%s/config.json", bundle);
	s->doc = json_object_from_file(path);
	if (!s->doc) {
		int e = errno;
		err_ret("cannot read %s: %s", path,
			e == ENOENT ? strerror(e) : json_util_get_last_err());
		free(path);
		return -1;
	}
	free(path);
	if (!json_object_is_type(s->doc, json_type_object))
		return err_ret("config.json: not a JSON object");
	return parse_doc(s->doc, s);
}

void spec_free(struct spec *s)
{
	spec_process_free(&s->process);
	for (size_t i = 0; i < s->nmounts; i++)
		free(s->mounts[i].data);
	free(s->mounts);
	free(s->devices);
	spec_resources_free(&s->res);
	free(s->sysctl_keys);
	free(s->sysctl_values);
	free(s->masked);
	free(s->readonly);
	for (int k = 0; k < HOOK_KINDS; k++) {
		for (size_t i = 0; i < s->nhooks[k]; i++) {
			free(s->hooks[k][i].args);
			free(s->hooks[k][i].env);
		}
		free(s->hooks[k]);
	}
	free(s->root);
	if (s->doc)
		json_object_put(s->doc);
	*s = (struct spec){0};
}
