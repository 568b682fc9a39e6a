/* The resolved options of a `container run`, kept as JSON (run_record.c): what
 * checkpoint carries and restore rebuilds the container from. */
#ifndef CONTAINER_RUN_RECORD_H
#define CONTAINER_RUN_RECORD_H

#include "options.h"

#include <json-c/json.h>

/* In the state directory, and in a checkpoint directory. */
#define RUN_RECORD "run.json"

struct json_object *run_record_json(const struct run_opts *o);
/* DIR/run.json; 0, or -1 after one line. */
int run_record_save(const char *dir, const struct run_opts *o);
/* The options back from a record (their strings point into doc, which must outlive
 * them); 0, or -1 after one line naming what is wrong. Free with run_record_free. */
int run_record_parse(struct json_object *doc, struct run_opts *o);
void run_record_free(struct run_opts *o);

#endif
