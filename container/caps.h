/* The five capability sets of a container's process, as bit masks (bit N = capability N). */
#ifndef CONTAINER_CAPS_H
#define CONTAINER_CAPS_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;
struct json_path;

enum capset_kind {
	CAPSET_BOUNDING,
	CAPSET_EFFECTIVE,
	CAPSET_INHERITABLE,
	CAPSET_PERMITTED,
	CAPSET_AMBIENT,
	NCAPSETS
};

/* The OCI "process.capabilities" object (NULL: every set empty, as runc and crun). */
int caps_from_oci(struct json_object *obj, const struct json_path *path, uint64_t sets[NCAPSETS]);
/* docker's default set in bounding/effective/permitted (CAP_MKNOD included), privileged: all
 * this process holds; no inheritable or ambient ones (docker since CVE-2022-24769). */
void caps_docker_default(uint64_t sets[NCAPSETS], bool privileged);
/* Bounding set first, then inheritable/permitted/effective, then ambient. Needs CAP_SETPCAP
 * in the permitted set; prints its own error. */
int caps_apply(const uint64_t sets[NCAPSETS]);
/* -1 after naming the first capability of sets this process does not hold (or one that is
 * effective without being permitted): what caps_apply would refuse. */
int caps_check_held(const uint64_t sets[NCAPSETS]);
/* Whether this process has cap in its effective set. */
bool caps_effective_has(int cap);
/* Raise the effective set to the permitted one (after a setuid that kept capabilities). */
int caps_raise_effective(void);

#endif
