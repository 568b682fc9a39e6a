/* Resource limits of a container's process (OCI "process.rlimits"). */
#ifndef CONTAINER_RLIMITS_H
#define CONTAINER_RLIMITS_H

#include <stddef.h>
#include <sys/resource.h>

struct json_object;
struct json_path;

struct process_rlimit {
	int resource; /* RLIMIT_* */
	struct rlimit limit;
};

/* RLIMIT_NOFILE -> "RLIMIT_NOFILE"; NULL for an unknown resource. */
const char *rlimit_name(int resource);
/* The array of {type, soft, hard}; a type named twice or unknown, soft > hard: errors. */
int rlimits_from_oci(struct json_object *arr, const struct json_path *path,
		     struct process_rlimit **out, size_t *n);
/* -1 after the message rlimits_apply would give when a hard limit above this process's
 * cannot be raised (no CAP_SYS_RESOURCE): lets the runtime refuse before the start. */
int rlimits_check(const struct process_rlimit *r, size_t n);
/* setrlimit each in turn; a failure names the limit and why (raising a hard limit needs
 * CAP_SYS_RESOURCE, which root on some hosts does not have). */
int rlimits_apply(const struct process_rlimit *r, size_t n);

#endif
