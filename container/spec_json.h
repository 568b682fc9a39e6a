/* What spec.c and spec_linux.c share: the parsers of config.json's parts (reading it with
 * json_field.h's accessors). */
#ifndef CONTAINER_SPEC_JSON_H
#define CONTAINER_SPEC_JSON_H

#include "spec.h"

#include "json_field.h"

#include <json-c/json.h>

int spec_parse_namespaces(struct json_object *a, struct spec *s);
int spec_parse_idmaps(struct json_object *a, struct spec_idmap *m, size_t *n, const char *what);
int spec_parse_string_map(struct json_object *o, const char ***keys, const char ***vals, size_t *n);
/* spec_linux.c */
int spec_parse_resources(struct json_object *o, struct spec_resources *r);
int spec_parse_linux(struct json_object *l, struct spec *s);
int spec_parse_hooks(struct json_object *h, struct spec *s);

#endif
