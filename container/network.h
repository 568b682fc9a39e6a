/* --net bridge: bridge isolab0 on the host, a veth pair per container, addresses from a small pool.
 */
#ifndef CONTAINER_NETWORK_H
#define CONTAINER_NETWORK_H

#include <stddef.h>
#include <sys/types.h>

#define BRIDGE_NAME    "isolab0"
#define BRIDGE_PREFIX  "10.88.0."
#define BRIDGE_HOST_IP BRIDGE_PREFIX "1"
#define BRIDGE_PLEN    24
/* Containers take .2-.199; .200-.254 stay for VMs' TAP guests on the same bridge. */
#define IPAM_FIRST    2
#define IPAM_LAST     199
#define IFNAMSIZ_SAFE 16

/* Each returns 0, or -1 after printing a one-line error. */
int net_bridge_ensure(void);
/* Claim a free address of the pool for owner (a name); ip gets "10.88.0.N". */
int ipam_alloc(const char *ipam_dir, const char *owner, char *ip, size_t len);
/* Claim this address (restore: the checkpoint's); -1 after one line naming its owner. */
int ipam_claim(const char *ipam_dir, const char *owner, const char *ip);
void ipam_release(const char *ipam_dir, const char *ip);
/* The host end's name for an address: veth-isl-N. */
void veth_name_for(const char *ip, char *name, size_t len);
/* Create host_if on the bridge, its peer "eth0" in the network namespace of pid. */
int net_veth_create(const char *host_if, pid_t pid);
/* host_if (made by CRIU on restore) up, on the bridge. */
int net_veth_attach(const char *host_if);
void net_link_delete(const char *ifname);
/* Inside the container's namespace: lo up; with ip, eth0 gets it and a default route. */
int net_configure_inside(const char *ip);

#endif
