/* Resource limits by their RLIMIT_* names, checked when parsed, set before the exec. */
#include "rlimits.h"
#include "caps.h"
#include "json_field.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RL(x)                                                                                      \
	{                                                                                          \
		RLIMIT_##x, "RLIMIT_" #x                                                           \
	}
static const struct {
	int resource;
	const char *name;
} rlimit_names[] = {
    RL(AS),   RL(CORE),	  RL(CPU),   RL(DATA), RL(FSIZE),  RL(LOCKS),  RL(MEMLOCK),    RL(MSGQUEUE),
    RL(NICE), RL(NOFILE), RL(NPROC), RL(RSS),  RL(RTPRIO), RL(RTTIME), RL(SIGPENDING), RL(STACK),
};
#define NNAMES (sizeof(rlimit_names) / sizeof(rlimit_names[0]))

const char *rlimit_name(int resource)
{
	for (size_t i = 0; i < NNAMES; i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return NULL;
}

static int rlimit_by_name(const char *name, const struct json_path *p, int *out)
{
	for (size_t i = 0; i < NNAMES; i++)
		if (!strcmp(rlimit_names[i].name, name))
			return *out = rlimit_names[i].resource, 0;
	return err_ret("config.json: %s: unknown rlimit type %s", p->s, name);
}

static int limit_value(struct json_object *o, const struct json_path *path, const char *key,
		       rlim_t *out)
{
	struct json_path p;
	json_path_key(&p, path, key);
	struct json_object *v;
	uint64_t x;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return err_ret("config.json: %s is missing", p.s);
	if (json_uint(v, &p, &x) < 0)
		return -1;
	*out = (rlim_t)x;
	return 0;
}

static int one_from_oci(struct json_object *o, const struct json_path *p, struct process_rlimit *r)
{
	struct json_object *type;
	struct json_path tp;
	json_path_key(&tp, p, "type");
	if (!json_object_is_type(o, json_type_object))
		return err_ret("config.json: %s must be an object", p->s);
	if (json_member(o, p, "type", json_type_string, &type) < 0)
		return -1;
	if (!type)
		return err_ret("config.json: %s is missing", tp.s);
	if (rlimit_by_name(json_object_get_string(type), &tp, &r->resource) < 0 ||
	    limit_value(o, p, "soft", &r->limit.rlim_cur) < 0 ||
	    limit_value(o, p, "hard", &r->limit.rlim_max) < 0)
		return -1;
	if (r->limit.rlim_cur > r->limit.rlim_max)
		return err_ret("config.json: %s: the soft limit is above the hard limit", p->s);
	return 0;
}

int rlimits_from_oci(struct json_object *arr, const struct json_path *path,
		     struct process_rlimit **out, size_t *n)
{
	size_t len = arr ? json_object_array_length(arr) : 0;
	*out = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	struct process_rlimit *r = calloc(len, sizeof(*r));
	if (!r)
		return err_ret("out of memory");
	for (size_t i = 0; i < len; i++) {
		struct json_path p;
		json_path_index(&p, path, i);
		if (one_from_oci(json_object_array_get_idx(arr, i), &p, &r[i]) < 0)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (r[j].resource == r[i].resource) {
				err_ret("config.json: %s: %s is set twice", p.s,
					rlimit_name(r[i].resource));
				goto fail;
			}
	}
	*out = r;
	*n = len;
	return 0;
fail:
	free(r);
	return -1;
}

static void print_limit(char *buf, size_t len, rlim_t v)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static int explain_failure(const struct process_rlimit *r, int e)
{
	struct rlimit now = {0, 0};
	char soft[24], hard[24], cur[24];
	getrlimit(r->resource, &now);
	print_limit(soft, sizeof(soft), r->limit.rlim_cur);
	print_limit(hard, sizeof(hard), r->limit.rlim_max);
	print_limit(cur, sizeof(cur), now.rlim_max);
	if (e == EPERM && r->limit.rlim_max > now.rlim_max)
		return err_ret("cannot set %s to %s:%s: the hard limit is %s and raising it needs "
			       "CAP_SYS_RESOURCE, which this runtime does not have",
			       rlimit_name(r->resource), soft, hard, cur);
	if (e == EPERM && r->resource == RLIMIT_NOFILE)
		return err_ret("cannot set %s to %s:%s: above the kernel's fs.nr_open",
			       rlimit_name(r->resource), soft, hard);
	return err_ret("cannot set %s to %s:%s: %s", rlimit_name(r->resource), soft, hard,
		       strerror(e));
}

int rlimits_check(const struct process_rlimit *r, size_t n)
{
	bool can_raise = caps_effective_has(CAP_SYS_RESOURCE);
	for (size_t i = 0; i < n; i++) {
		struct rlimit now;
		if (getrlimit(r[i].resource, &now) == 0 && r[i].limit.rlim_max > now.rlim_max &&
		    !can_raise)
			return explain_failure(&r[i], EPERM);
	}
	return 0;
}

int rlimits_apply(const struct process_rlimit *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (setrlimit(r[i].resource, &r[i].limit) < 0)
			return explain_failure(&r[i], errno);
	return 0;
}
