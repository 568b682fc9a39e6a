/* Typed access to the members of an OCI config.json (json-c), with errors that name the field. */
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

#endif
