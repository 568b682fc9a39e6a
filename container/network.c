/*
 * Bridge networking over rtnetlink (lib/rtnl.c), the way `ip link/addr/route`
 * would do it, without running ip: the host end of each veth pair joins
 * bridge isolab0 (10.88.0.1/24); the container end becomes eth0 with an
 * address from a file-based pool and a default route through the bridge.
 */
#include "network.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/rtnl.h"

static int link_set(const char *ifname, int master_index)
{
	unsigned idx = if_nametoindex(ifname);
	return idx ? rtnl_link_up(idx, (unsigned)master_index) : -ENODEV;
}

static int addr_add(const char *ifname, const char *ip, int plen)
{
	struct in_addr a;
	unsigned idx = if_nametoindex(ifname);
	if (!idx || inet_pton(AF_INET, ip, &a) != 1)
		return -EINVAL;
	int rc = rtnl_addr_add(idx, a.s_addr, (unsigned)plen);
	return rc == -EEXIST ? 0 : rc;
}

static int route_default(const char *gw)
{
	struct in_addr a;
	if (inet_pton(AF_INET, gw, &a) != 1)
		return -EINVAL;
	return rtnl_route_default(a.s_addr);
}

int net_bridge_ensure(void)
{
	if (!if_nametoindex(BRIDGE_NAME)) {
		int rc = rtnl_bridge_create(BRIDGE_NAME);
		if (rc < 0 && rc != -EEXIST)
			return err_ret("cannot create bridge %s: %s", BRIDGE_NAME, strerror(-rc));
	}
	int rc = addr_add(BRIDGE_NAME, BRIDGE_HOST_IP, BRIDGE_PLEN);
	if (rc == 0)
		rc = link_set(BRIDGE_NAME, 0);
	if (rc < 0)
		return err_ret("cannot configure bridge %s: %s", BRIDGE_NAME, strerror(-rc));
	return 0;
}

/* 1 claimed, 0 taken, -1 after one line. O_EXCL makes a claim atomic between starts. */
static int claim(const char *dir, const char *owner, int n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s%d", dir, BRIDGE_PREFIX, n);
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		return err_ret("cannot claim an address in %s: %s", dir, strerror(errno));
	dprintf(fd, "%s\n", owner);
	close(fd);
	return 1;
}

int ipam_alloc(const char *dir, const char *owner, char *ip, size_t len)
{
	if (mkdir_p(dir, 0755) < 0)
		return err_ret("cannot create %s: %s", dir, strerror(errno));
	for (int n = IPAM_FIRST; n <= IPAM_LAST; n++) {
		int rc = claim(dir, owner, n);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			snprintf(ip, len, "%s%d", BRIDGE_PREFIX, n);
			return 0;
		}
	}
	return err_ret("no free address left in %s%d-%d", BRIDGE_PREFIX, IPAM_FIRST, IPAM_LAST);
}

int ipam_claim(const char *dir, const char *owner, const char *ip)
{
	size_t plen = strlen(BRIDGE_PREFIX);
	char *end;
	long n = strncmp(ip, BRIDGE_PREFIX, plen) ? 0 : strtol(ip + plen, &end, 10);
	if (n < IPAM_FIRST || n > IPAM_LAST || *end)
		return err_ret("address %s is not in the pool %s%d-%d", ip, BRIDGE_PREFIX,
			       IPAM_FIRST, IPAM_LAST);
	if (mkdir_p(dir, 0755) < 0)
		return err_ret("cannot create %s: %s", dir, strerror(errno));
	int rc = claim(dir, owner, (int)n);
	if (rc == 0) {
		char path[4096], who[80] = "";
		snprintf(path, sizeof(path), "%s/%s", dir, ip);
		read_file(path, who, sizeof(who));
		who[strcspn(who, "\n")] = 0;
		return err_ret("address %s is in use by %s", ip,
			       who[0] ? who : "another container");
	}
	return rc < 0 ? -1 : 0;
}

void ipam_release(const char *dir, const char *ip)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, ip);
	unlink(path);
}

void veth_name_for(const char *ip, char *name, size_t len)
{
	const char *dot = strrchr(ip, '.');
	snprintf(name, len, "veth-isl-%s", dot ? dot + 1 : ip);
}

int net_veth_create(const char *host_if, pid_t pid)
{
	int rc = rtnl_veth_create(host_if, "eth0", pid);
	if (rc < 0)
		return err_ret("cannot create veth %s: %s", host_if, strerror(-rc));
	rc = link_set(host_if, (int)if_nametoindex(BRIDGE_NAME));
	if (rc < 0) {
		net_link_delete(host_if);
		return err_ret("cannot attach %s to %s: %s", host_if, BRIDGE_NAME, strerror(-rc));
	}
	return 0;
}

int net_veth_attach(const char *host_if)
{
	int rc = link_set(host_if, (int)if_nametoindex(BRIDGE_NAME));
	return rc < 0 ? err_ret("cannot attach %s to %s: %s", host_if, BRIDGE_NAME, strerror(-rc))
		      : 0;
}

void net_link_delete(const char *ifname)
{
	unsigned idx = if_nametoindex(ifname);
	if (idx)
		rtnl_link_delete(idx);
}

int net_configure_inside(const char *ip)
{
	int rc = link_set("lo", 0);
	if (rc < 0)
		return err_ret("cannot bring lo up: %s", strerror(-rc));
	if (!ip)
		return 0;
	if ((rc = addr_add("eth0", ip, BRIDGE_PLEN)) < 0 || (rc = link_set("eth0", 0)) < 0 ||
	    (rc = route_default(BRIDGE_HOST_IP)) < 0)
		return err_ret("cannot configure eth0 with %s: %s", ip, strerror(-rc));
	return 0;
}
