/*
 * Bridge networking over rtnetlink (libmnl), the way `ip link/addr/route`
 * would do it, without running ip: the host end of each veth pair joins
 * bridge isolab0 (10.88.0.1/24); the container end becomes eth0 with an
 * address from a file-based pool and a default route through the bridge.
 */
#include "network.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

/* Send one request and wait for its acknowledgement; returns 0 or -errno. */
static int nl_request(struct nlmsghdr *nlh)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int rc = mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID);
	unsigned portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (unsigned)time(NULL);
	if (rc == 0 && mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		rc = -1;
	if (rc == 0) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		rc = n < 0 ? -1 : mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL);
	}
	rc = rc < 0 ? -errno : 0;
	mnl_socket_close(nl);
	return rc;
}

static struct nlmsghdr *link_msg(char *buf, int type, unsigned flags, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return nlh;
}

static int link_set(const char *ifname, int master_index)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = (int)if_nametoindex(ifname);
	if (!idx)
		return -ENODEV;
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, idx);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_flags = ifm->ifi_change = IFF_UP;
	if (master_index)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master_index);
	return nl_request(nlh);
}

static int addr_add(const char *ifname, const char *ip, int plen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct in_addr a;
	int idx = (int)if_nametoindex(ifname);
	if (!idx || inet_pton(AF_INET, ip, &a) != 1)
		return -EINVAL;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_index = (unsigned)idx;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(a), &a);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(a), &a);
	int rc = nl_request(nlh);
	return rc == -EEXIST ? 0 : rc;
}

static int route_default(const char *gw)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct in_addr a;
	if (inet_pton(AF_INET, gw, &a) != 1)
		return -EINVAL;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(a), &a);
	return nl_request(nlh);
}

int net_bridge_ensure(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	if (!if_nametoindex(BRIDGE_NAME)) {
		struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, BRIDGE_NAME);
		struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
		mnl_attr_nest_end(nlh, info);
		int rc = nl_request(nlh);
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

int ipam_alloc(const char *dir, const char *owner, char *ip, size_t len)
{
	if (mkdir_p(dir, 0755) < 0)
		return err_ret("cannot create %s: %s", dir, strerror(errno));
	/* O_EXCL makes the claim atomic between concurrent starts. */
	for (int n = IPAM_FIRST; n <= IPAM_LAST; n++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s%d", dir, BRIDGE_PREFIX, n);
		int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return err_ret("cannot claim an address in %s: %s", dir, strerror(errno));
		dprintf(fd, "%s\n", owner);
		close(fd);
		snprintf(ip, len, "%s%d", BRIDGE_PREFIX, n);
		return 0;
	}
	return err_ret("no free address left in %s%d-%d", BRIDGE_PREFIX, IPAM_FIRST, IPAM_LAST);
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
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, host_if);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	struct ifinfomsg *pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm));
	pifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)pid);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	int rc = nl_request(nlh);
	if (rc < 0)
		return err_ret("cannot create veth %s: %s", host_if, strerror(-rc));
	rc = link_set(host_if, (int)if_nametoindex(BRIDGE_NAME));
	if (rc < 0) {
		net_link_delete(host_if);
		return err_ret("cannot attach %s to %s: %s", host_if, BRIDGE_NAME, strerror(-rc));
	}
	return 0;
}

void net_link_delete(const char *ifname)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = (int)if_nametoindex(ifname);
	if (idx)
		nl_request(link_msg(buf, RTM_DELLINK, 0, idx));
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
