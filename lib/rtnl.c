#include "rtnl.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

/*
 * libmnl is opened at the first request: most runs of vmm and container set up no
 * network, and a shared object mapped at every exec costs each command its mmaps, ~5
 * page faults and symbol lookups (the OCI verbs are one exec each; bench/README.md).
 */
#define MNL_FUNCS(X)                                                                               \
	X(mnl_attr_nest_end)                                                                       \
	X(mnl_attr_nest_start)                                                                     \
	X(mnl_attr_put_strz)                                                                       \
	X(mnl_attr_put_u32)                                                                        \
	X(mnl_cb_run)                                                                              \
	X(mnl_nlmsg_get_payload)                                                                   \
	X(mnl_nlmsg_put_extra_header)                                                              \
	X(mnl_nlmsg_put_header)                                                                    \
	X(mnl_socket_bind)                                                                         \
	X(mnl_socket_close)                                                                        \
	X(mnl_socket_get_portid)                                                                   \
	X(mnl_socket_open2)                                                                        \
	X(mnl_socket_recvfrom)                                                                     \
	X(mnl_socket_sendto)
#define MNL_FIELD(f) __typeof__(&f) f;
#define MNL_NAME(f)  #f,

struct mnl_table {
	MNL_FUNCS(MNL_FIELD)
};

static const char *const mnl_names[] = {MNL_FUNCS(MNL_NAME)};

/* The process's own, as the library is; filled once (vmm has threads). */
static struct {
	pthread_once_t once;
	struct mnl_table table;
	bool loaded;
} mnl_lib = {PTHREAD_ONCE_INIT};

static void mnl_load(void)
{
	_Static_assert(sizeof(mnl_lib.table) ==
			   sizeof(mnl_names) / sizeof(mnl_names[0]) * sizeof(void *),
		       "a name each");
	void *h = dlopen("libmnl.so.0", RTLD_NOW | RTLD_LOCAL);
	void **slot = (void **)&mnl_lib.table;
	bool ok = h != NULL;
	for (size_t i = 0; ok && i < sizeof(mnl_names) / sizeof(mnl_names[0]); i++)
		ok = (slot[i] = dlsym(h, mnl_names[i])) != NULL;
	mnl_lib.loaded = ok;
}

/* The loaded table, or NULL when libmnl cannot be had (the caller returns -ELIBACC). */
static const struct mnl_table *mnl(void)
{
	pthread_once(&mnl_lib.once, mnl_load);
	return mnl_lib.loaded ? &mnl_lib.table : NULL;
}

int rtnl_request(struct nlmsghdr *nlh)
{
	const struct mnl_table *m = mnl();
	if (!m)
		return -ELIBACC;
	struct mnl_socket *nl = m->mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int rc = m->mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID);
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (unsigned)time(NULL);
	if (rc == 0 && m->mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		rc = -1;
	if (rc == 0) {
		ssize_t n = m->mnl_socket_recvfrom(nl, buf, sizeof(buf));
		rc = n < 0 ? -1
			   : m->mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq,
					   m->mnl_socket_get_portid(nl), NULL, NULL);
	}
	rc = rc < 0 ? -errno : 0;
	m->mnl_socket_close(nl);
	return rc;
}

/* An RTM_*LINK message about link index (0: a new one) in buf. */
static struct nlmsghdr *link_msg(const struct mnl_table *m, char *buf, uint16_t type,
				 uint16_t flags, unsigned index)
{
	struct nlmsghdr *nlh = m->mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	struct ifinfomsg *ifi = m->mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)index;
	return nlh;
}

int rtnl_link_up(unsigned index, unsigned master)
{
	const struct mnl_table *m = mnl();
	if (!m)
		return -ELIBACC;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(m, buf, RTM_NEWLINK, 0, index);
	struct ifinfomsg *ifi = m->mnl_nlmsg_get_payload(nlh);
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	if (master)
		m->mnl_attr_put_u32(nlh, IFLA_MASTER, master);
	return rtnl_request(nlh);
}

int rtnl_bridge_create(const char *name)
{
	const struct mnl_table *m = mnl();
	if (!m)
		return -ELIBACC;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(m, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	m->mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	struct nlattr *info = m->mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	m->mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	m->mnl_attr_nest_end(nlh, info);
	return rtnl_request(nlh);
}

int rtnl_veth_create(const char *name, const char *peer, pid_t peer_pid)
{
	const struct mnl_table *m = mnl();
	if (!m)
		return -ELIBACC;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(m, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	m->mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	struct nlattr *info = m->mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	m->mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = m->mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *peer_info = m->mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	struct ifinfomsg *peer_ifi = m->mnl_nlmsg_put_extra_header(nlh, sizeof(*peer_ifi));
	peer_ifi->ifi_family = AF_UNSPEC;
	m->mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	m->mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)peer_pid);
	m->mnl_attr_nest_end(nlh, peer_info);
	m->mnl_attr_nest_end(nlh, data);
	m->mnl_attr_nest_end(nlh, info);
	return rtnl_request(nlh);
}

int rtnl_link_delete(unsigned index)
{
	const struct mnl_table *m = mnl();
	if (!m)
		return -ELIBACC;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	return rtnl_request(link_msg(m, buf, RTM_DELLINK, 0, index));
}

int rtnl_addr_add(unsigned index, uint32_t addr_be, unsigned prefix)
{
	const struct mnl_table *m = mnl();
	if (!m)
		return -ELIBACC;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = m->mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	struct ifaddrmsg *ifa = m->mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = index;
	m->mnl_attr_put_u32(nlh, IFA_LOCAL, addr_be);
	m->mnl_attr_put_u32(nlh, IFA_ADDRESS, addr_be);
	return rtnl_request(nlh);
}

int rtnl_route_default(uint32_t gw_be)
{
	const struct mnl_table *m = mnl();
	if (!m)
		return -ELIBACC;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = m->mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	struct rtmsg *rtm = m->mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	m->mnl_attr_put_u32(nlh, RTA_GATEWAY, gw_be);
	return rtnl_request(nlh);
}
