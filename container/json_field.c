/* Typed access to config.json members: every wrong type is one line naming the field. */
#include "json_field.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* A path too long for messages ends in "...": still one line, still readable. */
static void mark_truncated(struct json_path *p, int n)
{
	if (n >= (int)sizeof(p->s))
		memcpy(p->s + sizeof(p->s) - 4, "...", 4);
}

void json_path_key(struct json_path *out, const struct json_path *parent, const char *key)
{
	bool nested = parent && parent->s[0];
	mark_truncated(out, snprintf(out->s, sizeof(out->s), "%s%s%s", nested ? parent->s : "",
				     nested ? "." : "", key));
}

void json_path_index(struct json_path *out, const struct json_path *parent, size_t i)
{
	mark_truncated(out,
		       snprintf(out->s, sizeof(out->s), "%s[%zu]", parent ? parent->s : "", i));
}

static const char *type_word(enum json_type t)
{
	switch (t) {
	case json_type_boolean:
		return "a boolean";
	case json_type_int:
		return "an integer";
	case json_type_double:
		return "a number";
	case json_type_string:
		return "a string";
	case json_type_array:
		return "an array";
	case json_type_object:
		return "an object";
	default:
		return "null";
	}
}

int json_member(struct json_object *obj, const struct json_path *path, const char *key,
		enum json_type type, struct json_object **out)
{
	struct json_object *v = NULL;
	*out = NULL;
	if (!obj || !json_object_object_get_ex(obj, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, type)) {
		struct json_path p;
		json_path_key(&p, path, key);
		return err_ret("config.json: %s must be %s, not %s", p.s, type_word(type),
			       type_word(json_object_get_type(v)));
	}
	*out = v;
	return 0;
}

int json_uint(struct json_object *v, const struct json_path *path, uint64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return err_ret("config.json: %s must be an integer", path->s);
	/* json-c keeps integers above INT64_MAX as uint64 (get_int64 saturates on them). */
	if (json_object_get_int64(v) < 0)
		return err_ret("config.json: %s must not be negative", path->s);
	*out = json_object_get_uint64(v);
	return 0;
}

int json_int_in(struct json_object *v, const struct json_path *path, int64_t min, int64_t max,
		int64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return err_ret("config.json: %s must be an integer", path->s);
	errno = 0;
	int64_t x = json_object_get_int64(v);
	if (errno == ERANGE || x < min || x > max)
		return err_ret("config.json: %s: %s is out of range %" PRId64 "..%" PRId64, path->s,
			       json_object_to_json_string(v), min, max);
	*out = x;
	return 0;
}

int json_string_at(struct json_object *arr, const struct json_path *path, size_t i,
		   const char **out)
{
	struct json_object *v = json_object_array_get_idx(arr, i);
	if (!json_object_is_type(v, json_type_string)) {
		struct json_path p;
		json_path_index(&p, path, i);
		return err_ret("config.json: %s must be a string", p.s);
	}
	*out = json_object_get_string(v);
	return 0;
}

static void path_of(struct json_path *p, const char *where)
{
	snprintf(p->s, sizeof(p->s), "%s", where);
}

const char *json_str_of(struct json_object *o, const char *key, const char *where, int *bad)
{
	struct json_path p;
	struct json_object *v;
	path_of(&p, where);
	if (json_member(o, &p, key, json_type_string, &v) < 0)
		*bad = -1;
	return v ? json_object_get_string(v) : NULL;
}

long long json_int_of(struct json_object *o, const char *key, long long min, long long max,
		      long long def, const char *where, int *bad)
{
	struct json_path p, field;
	struct json_object *v;
	int64_t n;
	path_of(&p, where);
	if (json_member(o, &p, key, json_type_int, &v) < 0) {
		*bad = -1;
		return def;
	}
	json_path_key(&field, &p, key);
	if (!v)
		return def;
	if (json_int_in(v, &field, min, max, &n) < 0) {
		*bad = -1;
		return def;
	}
	return n;
}

struct json_object *json_obj_of(struct json_object *o, const char *key, enum json_type type,
				const char *where, int *bad)
{
	struct json_path p;
	struct json_object *v;
	path_of(&p, where);
	if (json_member(o, &p, key, type, &v) < 0)
		*bad = -1;
	return v;
}

char **json_str_array(struct json_object *a, const char *what, int *bad)
{
	if (!a)
		return NULL;
	struct json_path p;
	path_of(&p, what);
	size_t n = json_object_array_length(a);
	char **out = xrealloc(NULL, (n + 1) * sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		const char *e;
		if (json_string_at(a, &p, i, &e) < 0) {
			*bad = -1;
			out[i] = NULL;
			return out;
		}
		out[i] = (char *)e;
	}
	out[n] = NULL;
	return out;
}

struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *jstr(struct json_object *o, const char *key)
{
	const char *s = json_object_get_string(jget(o, key));
	return s ? s : "";
}
