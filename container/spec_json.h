/* Typed readers of config.json's JSON shared by spec.c and spec_linux.c. Each sets *bad
 * (to -1, after one line naming the field) when the value has the wrong type or range. */
#ifndef CONTAINER_SPEC_JSON_H
#define CONTAINER_SPEC_JSON_H

#include "spec.h"

#include <json-c/json.h>

const char *spec_str_of(struct json_object *o, const char *key, const char *where, int *bad);
long long spec_int_of(struct json_object *o, const char *key, long long min, long long max,
		      long long def, const char *where, int *bad);
struct json_object *spec_obj_of(struct json_object *o, const char *key, json_type type,
				const char *where, int *bad);
char **spec_str_array(struct json_object *a, const char *what, int *bad);
int spec_parse_namespaces(struct json_object *a, struct spec *s);
int spec_parse_idmaps(struct json_object *a, struct spec_idmap *m, size_t *n, const char *what);
int spec_parse_string_map(struct json_object *o, const char ***keys, const char ***vals, size_t *n);
/* spec_linux.c */
int spec_parse_resources(struct json_object *o, struct spec_resources *r);
int spec_parse_linux(struct json_object *l, struct spec *s);
int spec_parse_hooks(struct json_object *h, struct spec *s);

#endif
