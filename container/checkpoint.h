/*
 * Checkpoint and restore of OCI containers through CRIU (runc's verbs and options),
 * and what the two sides share: the bind mounts CRIU must treat as external, and the
 * descriptor file that tells restore what stood behind the init's stdio.
 */
#ifndef CONTAINER_CHECKPOINT_H
#define CONTAINER_CHECKPOINT_H

#include "checkpoint_criu.h"
#include "oci.h"

/* Written into the image directory next to CRIU's images. */
#define CHECKPOINT_DESCRIPTORS "isolab-descriptors.json"
/* runc's key for a network namespace joined by path (external to the dump). */
#define CHECKPOINT_NETNS_KEY "extRootNetNS"

/* checkpoint ID [--image-path DIR] [--work-path D] [--leave-running] [--tcp-established]
 * [--file-locks] */
int oci_checkpoint(const struct oci_globals *g, int argc, char **argv);
/* restore [--bundle B] [--image-path DIR] [--work-path D] [-d] [--pid-file F] ID */
int oci_restore(const struct oci_globals *g, int argc, char **argv);

/* The spec's bind mounts as CRIU external mounts: key the destination, the value the
 * destination again at dump and the host source at restore (runc's ext-mount-map). */
void checkpoint_bind_mounts(const struct spec *s, struct criu_req *r, bool restore);
/* CRIU's dump of the running tree at root, described by spec s: what CRIU cannot dump
 * refused first, the bind mounts and a netns joined by path external, the stdio of
 * stdio_pid (the init, or the docker-like command) declared in the descriptor file.
 * 0, or -1 after one line. */
int checkpoint_dump(pid_t root, pid_t stdio_pid, const struct spec *s, struct criu_req *r);
/* restore: every hierarchy of the caller's /proc/self/cgroup (it has joined the
 * container's) as CRIU's cgroup root. */
int checkpoint_cgroup_roots(struct criu_req *r);
/* restore: CRIU's nftables lock table of the dump, restored with the netns of pid,
 * deleted (checkpoint_netlock.c). 0, or -1 after one line. */
int checkpoint_unlock_network(const char *image_dir, pid_t pid);
/* The network namespace the spec joins by path, or NULL. */
const char *checkpoint_netns_path(const struct spec *s);

#endif
