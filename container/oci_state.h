/*
 * State of OCI containers under --root (default /run/isolab/oci): ROOT/ID/state.json
 * (what create recorded) and ROOT/ID/exec.fifo (exists while the container is
 * "created": its init blocks opening it until `start` reads). Every command holds
 * flock on ROOT/ID while it reads or changes a container, so concurrent calls are safe.
 */
#ifndef CONTAINER_OCI_STATE_H
#define CONTAINER_OCI_STATE_H

#include "cgroup.h"

#include <stdbool.h>
#include <sys/types.h>

struct json_object;

struct oci_state {
	char id[256];
	char dir[4096];
	pid_t pid;
	unsigned long long start_time; /* /proc/PID/stat field 22: tells pid reuse apart */
	char bundle[4096];
	char created[40]; /* RFC 3339 */
	struct cgroup cg; /* dirs only */
	bool own_cgroup;  /* created by us: removed at delete */
	struct json_object *annotations;
	/* config.json's hooks as create read them: start and delete run poststart and
	 * poststop from here, not from a config.json that may have changed since (and
	 * without parsing it again). */
	struct json_object *hooks;
	int lock_fd;
};

/* ROOT/ID, checked: an id is [A-Za-z0-9_.+-]{1,255} and not "." or "..". */
int oci_id_valid(const char *id);
/* Make ROOT/ID and lock it; -1 "container ID already exists" when it does. */
int oci_state_create(const char *root, const char *id, struct oci_state *st);
/* Lock and read ROOT/ID; -1 "container ID does not exist". */
int oci_state_load(const char *root, const char *id, struct oci_state *st);
int oci_state_save(const struct oci_state *st);
/* created, running, paused or stopped. */
const char *oci_status(const struct oci_state *st);
/* The spec's state JSON (ociVersion, id, status, pid, bundle, annotations). */
char *oci_state_json(const struct oci_state *st);
unsigned long long proc_start_time(pid_t pid);
/* Remove ROOT/ID and release the lock. */
void oci_state_remove(struct oci_state *st);
void oci_state_release(struct oci_state *st);
/* Give up the lock early (exec while its process runs). */
void oci_state_unlock(struct oci_state *st);
char *oci_fifo_path(const struct oci_state *st);

#endif
