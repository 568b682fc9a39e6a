/* -p HOST:CTR: a userspace TCP relay from a host port to the container's address (as docker-proxy).
 */
#ifndef CONTAINER_PROXY_H
#define CONTAINER_PROXY_H

#include "options.h"

#include <sys/types.h>

/* Bind the host ports now (so "port in use" is an error at start), relay in a child process.
 * Returns the relay's pid, 0 when there are no ports, -1 after printing an error. */
pid_t proxy_start(const struct port_map *ports, size_t n, const char *ctr_ip);

#endif
