/*
 * OCI "linux.seccomp" into the profile model: every action, architecture, flag and
 * argument comparison the spec names, each wrong one a one-line error naming the field.
 * Syscall names libseccomp does not know are skipped, as runc and crun do, so one profile
 * serves kernels and libseccomp versions of different ages.
 */
#include "json_field.h"
#include "syscall_filter.h"
#include "util.h"

#include <ctype.h>
#include <json-c/json.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ERRNO 4095

static const struct {
	const char *name;
	uint32_t action;
} actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

static const struct {
	const char *name;
	unsigned int flag;
} filter_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

static const struct {
	const char *name;
	enum scmp_compare op;
} compare_ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* Index of key in a table whose entries start with their name, or -1. */
static int find_name(const void *table, size_t n, size_t stride, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(*(const char *const *)((const char *)table + i * stride), key))
			return (int)i;
	return -1;
}
#define LOOKUP(table, key) find_name(table, sizeof(table) / sizeof(table[0]), sizeof(table[0]), key)

/* Zeroed array of n elements; the runtime cannot go on without memory (xrealloc dies). */
static void *zalloc(size_t n, size_t size)
{
	void *p = xrealloc(NULL, n * size);
	return memset(p, 0, n * size);
}

/* The action named at path.key, with errnoRet (at path.errno_key) where the action takes one. */
static int parse_action(struct json_object *o, const struct json_path *path, const char *key,
			const char *errno_key, uint32_t *out)
{
	struct json_object *a, *e;
	struct json_path p;
	json_path_key(&p, path, key);
	if (json_member(o, path, key, json_type_string, &a) < 0 ||
	    json_member(o, path, errno_key, json_type_int, &e) < 0)
		return -1;
	if (!a)
		return err_ret("config.json: %s is missing", p.s);
	const char *name = json_object_get_string(a);
	int i = LOOKUP(actions, name);
	if (i < 0)
		return err_ret("config.json: %s: unknown seccomp action %s", p.s, name);
	*out = actions[i].action;
	bool takes_errno = *out == SCMP_ACT_ERRNO(0) || *out == SCMP_ACT_TRACE(0);
	int64_t ret = 1; /* EPERM, as runc and crun when errnoRet is absent */
	struct json_path ep;
	json_path_key(&ep, path, errno_key);
	if (e && !takes_errno)
		return err_ret("config.json: %s only goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
			       ep.s);
	if (e && json_int_in(e, &ep, 0, MAX_ERRNO, &ret) < 0)
		return -1;
	if (takes_errno)
		*out |= (uint32_t)ret;
	return 0;
}

static int parse_arches(struct json_object *arr, const struct json_path *path,
			struct syscall_profile *p)
{
	size_t n = arr ? json_object_array_length(arr) : 0;
	p->arches = n ? zalloc(n, sizeof(*p->arches)) : NULL;
	for (size_t i = 0; i < n; i++) {
		const char *name;
		char lower[32];
		if (json_string_at(arr, path, i, &name) < 0)
			return -1;
		/* "SCMP_ARCH_X86_64" is libseccomp's "x86_64". */
		size_t j = 0;
		if (!strncmp(name, "SCMP_ARCH_", 10))
			for (const char *c = name + 10; *c && j < sizeof(lower) - 1; c++)
				lower[j++] = (char)tolower((unsigned char)*c);
		lower[j] = '\0';
		uint32_t arch = j ? seccomp_arch_resolve_name(lower) : 0;
		if (!arch) {
			struct json_path ip;
			json_path_index(&ip, path, i);
			return err_ret("config.json: %s: unknown architecture %s", ip.s, name);
		}
		p->arches[p->narches++] = arch;
	}
	return 0;
}

static int parse_flags(struct json_object *arr, const struct json_path *path, unsigned int *out)
{
	*out = 0;
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		const char *name;
		if (json_string_at(arr, path, i, &name) < 0)
			return -1;
		int k = LOOKUP(filter_flags, name);
		if (k < 0) {
			struct json_path ip;
			json_path_index(&ip, path, i);
			return err_ret("config.json: %s: unknown seccomp flag %s", ip.s, name);
		}
		*out |= filter_flags[k].flag;
	}
	return 0;
}

static int parse_arg(struct json_object *o, const struct json_path *path, struct syscall_arg_cmp *a)
{
	struct json_object *idx, *val, *val2, *op;
	if (!json_object_is_type(o, json_type_object))
		return err_ret("config.json: %s must be an object", path->s);
	if (json_member(o, path, "index", json_type_int, &idx) < 0 ||
	    json_member(o, path, "value", json_type_int, &val) < 0 ||
	    json_member(o, path, "valueTwo", json_type_int, &val2) < 0 ||
	    json_member(o, path, "op", json_type_string, &op) < 0)
		return -1;
	if (!idx || !val || !op)
		return err_ret("config.json: %s needs index, value and op", path->s);
	struct json_path p;
	int64_t index;
	json_path_key(&p, path, "index");
	if (json_int_in(idx, &p, 0, 5, &index) < 0)
		return -1;
	a->index = (unsigned int)index;
	json_path_key(&p, path, "value");
	if (json_uint(val, &p, &a->value) < 0)
		return -1;
	json_path_key(&p, path, "valueTwo");
	a->value_two = 0;
	if (val2 && json_uint(val2, &p, &a->value_two) < 0)
		return -1;
	int k = LOOKUP(compare_ops, json_object_get_string(op));
	json_path_key(&p, path, "op");
	if (k < 0)
		return err_ret("config.json: %s: unknown comparison %s", p.s,
			       json_object_get_string(op));
	a->op = compare_ops[k].op;
	return 0;
}

static int parse_names(struct json_object *names, const struct json_path *path,
		       struct syscall_rule *r)
{
	size_t n = json_object_array_length(names);
	const char **list = zalloc(n ? n : 1, sizeof(*list));
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = json_string_at(names, path, i, &list[i]);
	if (rc == 0)
		rc = syscall_rule_add_names(r, list, n);
	free(list);
	return rc;
}

static int parse_rule(struct json_object *o, const struct json_path *path, struct syscall_rule *r)
{
	struct json_object *names, *args;
	struct json_path p;
	if (!json_object_is_type(o, json_type_object))
		return err_ret("config.json: %s must be an object", path->s);
	if (json_member(o, path, "names", json_type_array, &names) < 0 ||
	    json_member(o, path, "args", json_type_array, &args) < 0)
		return -1;
	json_path_key(&p, path, "names");
	if (!names)
		return err_ret("config.json: %s is missing", p.s);
	if (parse_names(names, &p, r) < 0 ||
	    parse_action(o, path, "action", "errnoRet", &r->action))
		return -1;
	size_t n = args ? json_object_array_length(args) : 0;
	r->args = n ? zalloc(n, sizeof(*r->args)) : NULL;
	json_path_key(&p, path, "args");
	for (size_t i = 0; i < n; i++) {
		struct json_path ip;
		json_path_index(&ip, &p, i);
		if (parse_arg(json_object_array_get_idx(args, i), &ip, &r->args[r->nargs++]) < 0)
			return -1;
	}
	return 0;
}

/* The rule that would stall the process: it sends the listener its notification fd
 * with sendmsg right after loading the filter, before anyone can answer (runc refuses
 * its own write the same way). */
static int check_notify_rule(const struct syscall_rule *r, const struct json_path *path)
{
	int sendmsg_nr = seccomp_syscall_resolve_name("sendmsg");
	for (size_t i = 0; r->action == SCMP_ACT_NOTIFY && i < r->nsyscalls; i++)
		if (r->syscalls[i] == sendmsg_nr)
			return err_ret(
			    "config.json: %s: SCMP_ACT_NOTIFY cannot be used for sendmsg "
			    "(the runtime sends the listener its fd with it)",
			    path->s);
	return 0;
}

/* listenerPath (where the notification fd goes, with the container's state) and
 * listenerMetadata; a profile that notifies needs the path, one that does not ignores it
 * (runtime spec). The fd is asked of the kernel with SECCOMP_FILTER_FLAG_NEW_LISTENER. */
static int parse_listener(struct json_object *obj, const struct json_path *path,
			  struct syscall_profile *out)
{
	struct json_object *lp, *md;
	struct json_path p;
	if (json_member(obj, path, "listenerPath", json_type_string, &lp) < 0 ||
	    json_member(obj, path, "listenerMetadata", json_type_string, &md) < 0)
		return -1;
	bool notifies = false;
	for (size_t i = 0; i < out->nrules; i++)
		notifies |= out->rules[i].action == SCMP_ACT_NOTIFY;
	if (lp && json_object_get_string_len(lp) > 0)
		out->listener_path = xstrdup(json_object_get_string(lp));
	if (md && json_object_get_string_len(md) > 0) {
		json_path_key(&p, path, "listenerMetadata");
		if (!out->listener_path)
			return err_ret("config.json: %s is set without listenerPath", p.s);
		out->listener_metadata = xstrdup(json_object_get_string(md));
	}
	if (!notifies)
		return 0;
	json_path_key(&p, path, "listenerPath");
	if (!out->listener_path)
		return err_ret("config.json: SCMP_ACT_NOTIFY needs %s", p.s);
	if (out->listener_path[0] != '/')
		return err_ret("config.json: %s must be an absolute path", p.s);
	out->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	return 0;
}

static int parse_profile(struct json_object *obj, const struct json_path *path,
			 struct syscall_profile *out)
{
	struct json_object *arches, *flags, *calls;
	struct json_path p;
	if (!json_object_is_type(obj, json_type_object))
		return err_ret("config.json: %s must be an object", path->s);
	if (parse_action(obj, path, "defaultAction", "defaultErrnoRet", &out->default_action) < 0)
		return -1;
	if (out->default_action == SCMP_ACT_NOTIFY) /* every syscall, ours too (runc's rule) */
		return err_ret("config.json: %s.defaultAction cannot be SCMP_ACT_NOTIFY", path->s);
	if (json_member(obj, path, "architectures", json_type_array, &arches) < 0 ||
	    json_member(obj, path, "flags", json_type_array, &flags) < 0 ||
	    json_member(obj, path, "syscalls", json_type_array, &calls) < 0)
		return -1;
	json_path_key(&p, path, "architectures");
	if (parse_arches(arches, &p, out) < 0)
		return -1;
	json_path_key(&p, path, "flags");
	if (parse_flags(flags, &p, &out->flags) < 0)
		return -1;
	size_t n = calls ? json_object_array_length(calls) : 0;
	out->rules = n ? zalloc(n, sizeof(*out->rules)) : NULL;
	json_path_key(&p, path, "syscalls");
	for (size_t i = 0; i < n; i++) {
		struct json_path ip;
		json_path_index(&ip, &p, i);
		if (parse_rule(json_object_array_get_idx(calls, i), &ip,
			       &out->rules[out->nrules++]) ||
		    check_notify_rule(&out->rules[out->nrules - 1], &ip) < 0)
			return -1;
	}
	return parse_listener(obj, path, out);
}

int syscall_profile_from_oci(struct json_object *obj, const struct json_path *path,
			     struct syscall_profile *out)
{
	memset(out, 0, sizeof(*out));
	if (parse_profile(obj, path, out) == 0)
		return 0;
	syscall_profile_free(out);
	return -1;
}
