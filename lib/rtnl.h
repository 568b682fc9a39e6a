/*
 * rtnetlink requests over libmnl, shared by vmm (TAP devices) and container
 * (bridge, veth pairs): the way `ip link/addr/route` would do them, without
 * running ip. Every call returns 0 or -errno and prints nothing: the caller
 * knows which option or device the failure is about.
 */
#ifndef ISOLAB_LIB_RTNL_H
#define ISOLAB_LIB_RTNL_H

#include <stdint.h>
#include <sys/types.h>

struct nlmsghdr;

/* Sends one request (NLM_F_REQUEST | NLM_F_ACK are added) and waits for its acknowledgement. */
int rtnl_request(struct nlmsghdr *nlh);

/* Sets link index up and, when master is not 0, enslaves it to link master (a bridge). */
int rtnl_link_up(unsigned index, unsigned master);
/* Creates a bridge named name (-EEXIST when a link has that name). */
int rtnl_bridge_create(const char *name);
/* Creates a veth pair: name here, its peer named peer in the network namespace of peer_pid. */
int rtnl_veth_create(const char *name, const char *peer, pid_t peer_pid);
int rtnl_link_delete(unsigned index);

/* Adds the IPv4 address addr_be/prefix (network byte order) to link index (-EEXIST if it has it).
 */
int rtnl_addr_add(unsigned index, uint32_t addr_be, unsigned prefix);
/* Adds the IPv4 default route through gateway gw_be (network byte order). */
int rtnl_route_default(uint32_t gw_be);

#endif
