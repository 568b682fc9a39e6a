/*
 * The project's one set of JSON accessors (json-c): typed access to the members of an OCI
 * config.json with errors that name the field, the parsers' shorthands over it, and the
 * lenient getters of image configs and manifests (which check what they need themselves).
 */
#ifndef CONTAINER_JSON_FIELD_H
#define CONTAINER_JSON_FIELD_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A field's dotted path for messages, e.g. "process.rlimits[2]": parent + key or index. */
struct json_path {
	char s[160];
};
void json_path_key(struct json_path *out, const struct json_path *parent, const char *key);
void json_path_index(struct json_path *out, const struct json_path *parent, size_t i);

/* Member key of obj in *out, NULL when absent or null. 0, or -1 after an error naming the
 * field when it is present with another type (json_type_int accepts integers only). */
int json_member(struct json_object *obj, const struct json_path *path, const char *key,
		enum json_type type, struct json_object **out);
/* An integer in [min, max] (uint64 values above INT64_MAX through json_uint). */
int json_int_in(struct json_object *v, const struct json_path *path, int64_t min, int64_t max,
		int64_t *out);
int json_uint(struct json_object *v, const struct json_path *path, uint64_t *out);
/* Element i of an array that must be a string. */
int json_string_at(struct json_object *arr, const struct json_path *path, size_t i,
		   const char **out);

/* Shorthands for parsers that read many fields and stop at the first error: `where` is the
 * object's dotted path ("" at the top); a member of the wrong type or range sets *bad to
 * -1 (after one line naming it) and gives NULL or def; an absent or null one too, silently. */
const char *json_str_of(struct json_object *o, const char *key, const char *where, int *bad);
long long json_int_of(struct json_object *o, const char *key, long long min, long long max,
		      long long def, const char *where, int *bad);
struct json_object *json_obj_of(struct json_object *o, const char *key, enum json_type type,
				const char *where, int *bad);
/* A NULL-terminated array of the strings of a JSON array (pointing into the document);
 * what names the array in messages. NULL for a NULL a. */
char **json_str_array(struct json_object *a, const char *what, int *bad);

/* Lenient: the member (NULL when o is NULL or it is absent), its string ("" when none). */
struct json_object *jget(struct json_object *o, const char *key);
const char *jstr(struct json_object *o, const char *key);

#endif
