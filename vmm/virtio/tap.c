/*
 * TAP devices for virtio-net. Configuration goes through rtnetlink
 * (lib/rtnl.c) rather than by running ip(8): no dependency on a tool's output
 * format, and every failure comes back as an errno we can explain.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "../util.h"
#include "../../lib/rtnl.h"
#include "tap.h"

static int open_tun(void)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
		vmm_err("--net: /dev/net/tun is missing (modprobe tun)");
	else if (errno == EACCES || errno == EPERM)
		vmm_err("--net: no permission to open /dev/net/tun "
			"(run as root or with CAP_NET_ADMIN)");
	else
		vmm_err("--net: /dev/net/tun: %s", strerror(errno));
	return -1;
}

/* Which offloads the TAP takes, so the guest is never offered one it cannot do. */
static unsigned probe_offloads(int fd)
{
	static const unsigned tries[] = {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
					 TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, TUN_F_CSUM};
	for (unsigned i = 0; i < sizeof(tries) / sizeof(tries[0]); i++)
		if (ioctl(fd, TUNSETOFFLOAD, tries[i]) == 0) {
			ioctl(fd, TUNSETOFFLOAD, 0); /* enabled later, per negotiated features */
			return tries[i];
		}
	return 0;
}

int tap_open(struct tap *t, const char *name)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	int hdr_len = sizeof(struct virtio_net_hdr_v1);

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (name && strlen(name) >= IFNAMSIZ) {
		vmm_err("--net: interface name '%s' is too long", name);
		return -1;
	}
	bool existed = name && if_nametoindex(name) != 0;
	int fd = open_tun();
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name ? name : "isotap%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		if (errno == EPERM)
			vmm_err("--net: no permission to create TAP %s "
				"(needs CAP_NET_ADMIN)",
				ifr.ifr_name);
		else if (errno == EBUSY)
			vmm_err("--net: TAP %s is in use by another process", ifr.ifr_name);
		else if (existed && errno == EINVAL)
			vmm_err("--net: %s exists and is not a TAP device", ifr.ifr_name);
		else
			vmm_err("--net: cannot create TAP %s: %s", ifr.ifr_name, strerror(errno));
		close(fd);
		return -1;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0) {
		vmm_err("--net: TAP %s refuses virtio headers: %s", ifr.ifr_name, strerror(errno));
		close(fd);
		return -1;
	}
	t->fd = fd;
	t->created = !existed;
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	t->offloads = probe_offloads(fd);
	return 0;
}

int tap_adopt(struct tap *t, int fd, const char *want)
{
	struct ifreq ifr = {0};
	int hdr_len = 0;
	if (ioctl(fd, TUNGETIFF, &ifr) < 0 || !(ifr.ifr_flags & IFF_TAP) ||
	    !(ifr.ifr_flags & IFF_VNET_HDR) || !(ifr.ifr_flags & IFF_NO_PI))
		return vmm_err("--net: the fd the migration brought is no TAP with virtio headers");
	if (ioctl(fd, TUNGETVNETHDRSZ, &hdr_len) < 0 ||
	    hdr_len != (int)sizeof(struct virtio_net_hdr_v1))
		return vmm_err("--net: TAP %.*s has %d-byte virtio headers, not %zu", IFNAMSIZ,
			       ifr.ifr_name, hdr_len, sizeof(struct virtio_net_hdr_v1));
	if (want[0] && strncmp(want, ifr.ifr_name, IFNAMSIZ) != 0)
		return vmm_err("--net: the source's TAP is %.*s, this VM's --net says name=%s",
			       IFNAMSIZ, ifr.ifr_name, want);
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	snprintf(t->name, sizeof(t->name), "%.*s", IFNAMSIZ - 1, ifr.ifr_name);
	t->offloads = probe_offloads(fd);
	return 0;
}

void tap_close(struct tap *t)
{
	/* Not persistent: the kernel removes a TAP we created when its last fd closes. */
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

int tap_configure(struct tap *t, uint32_t addr_be, unsigned prefix, const char *bridge)
{
	unsigned index = if_nametoindex(t->name);
	unsigned master = bridge ? if_nametoindex(bridge) : 0;
	int err = index ? 0 : -ENODEV;

	if (!err && bridge && !master)
		err = -ENODEV;
	if (!err && addr_be && !bridge)
		err = rtnl_addr_add(index, addr_be, prefix);
	if (!err)
		err = rtnl_link_up(index, master);
	if (err) {
		vmm_err("--net: cannot configure TAP %s: %s", t->name, strerror(-err));
		return -1;
	}
	return 0;
}

bool tap_subnet_free(uint32_t net_be)
{
	struct ifaddrs *list;
	bool free_net = true;
	if (getifaddrs(&list) < 0)
		return false;
	for (struct ifaddrs *a = list; a; a = a->ifa_next) {
		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET)
			continue;
		uint32_t ip = ((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr;
		if ((ntohl(ip) & 0xffffff00u) == ntohl(net_be))
			free_net = false;
	}
	freeifaddrs(list);
	return free_net;
}

bool tap_is_bridge(const char *name)
{
	char path[64 + IFNAMSIZ];
	struct stat st;
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", name);
	return strlen(name) < IFNAMSIZ && stat(path, &st) == 0;
}
