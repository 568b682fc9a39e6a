/*
 * lib/rtnl.c against the kernel, in a network namespace of its own (and a
 * mount namespace for a sysfs that shows it), so the host's links are never
 * touched. Needs CAP_SYS_ADMIN and CAP_NET_ADMIN: skipped without them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/rtnl.h"

#define BRIDGE "isotbr0"
#define VETH   "isotv0"
#define PEER   "isotv1"

/* A network namespace, and a sysfs mounted in a private mount namespace that lists its links. */
static int enter_private_netns(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
		return -1;
	return 0;
}

static unsigned flags_of(const char *name)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	close(fd);
	return (unsigned)ifr.ifr_flags;
}

static const char *master_of(const char *name)
{
	static char target[256];
	char path[128];
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", name);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return "";
	target[n] = 0;
	return basename(target);
}

static bool has_addr(const char *name, const char *ip)
{
	struct ifaddrs *list;
	bool found = false;
	assert_int_equal(getifaddrs(&list), 0);
	for (struct ifaddrs *a = list; a; a = a->ifa_next) {
		char text[INET_ADDRSTRLEN];
		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || strcmp(a->ifa_name, name))
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, text,
			  sizeof(text));
		found |= strcmp(text, ip) == 0;
	}
	freeifaddrs(list);
	return found;
}

/* The gateway of the IPv4 default route, from this namespace's /proc/net/route. */
static uint32_t default_gateway(void)
{
	FILE *f = fopen("/proc/net/route", "r");
	char line[256], ifname[IFNAMSIZ + 1];
	unsigned dest, gw = 0, found = 0;
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%16s %x %x", ifname, &dest, &gw) == 3 && dest == 0)
			found = gw;
	fclose(f);
	return found;
}

static void bridge_with_veth_port(void **state)
{
	(void)state;
	assert_int_equal(rtnl_bridge_create(BRIDGE), 0);
	assert_int_equal(rtnl_bridge_create(BRIDGE), -EEXIST);
	unsigned br = if_nametoindex(BRIDGE);
	assert_true(br != 0);
	assert_int_equal(rtnl_veth_create(VETH, PEER, getpid()), 0);
	unsigned veth = if_nametoindex(VETH);
	assert_true(veth != 0 && if_nametoindex(PEER) != 0);

	assert_int_equal(rtnl_link_up(veth, br), 0);
	assert_true(flags_of(VETH) & IFF_UP);
	assert_string_equal(master_of(VETH), BRIDGE);
	assert_int_equal(rtnl_link_up(br, 0), 0);
	assert_true(flags_of(BRIDGE) & IFF_UP);

	assert_int_equal(rtnl_link_delete(veth), 0);
	assert_int_equal(if_nametoindex(VETH), 0);
	assert_int_equal(if_nametoindex(PEER), 0); /* a veth pair goes as one */
	assert_int_equal(rtnl_link_delete(br), 0);
	assert_int_equal(if_nametoindex(BRIDGE), 0);
}

static void address_and_default_route(void **state)
{
	(void)state;
	assert_int_equal(rtnl_bridge_create(BRIDGE), 0);
	unsigned br = if_nametoindex(BRIDGE);
	assert_int_equal(rtnl_link_up(br, 0), 0);
	uint32_t host = htonl(0x0a630001), gw = htonl(0x0a6300fe); /* 10.99.0.1, .254 */
	assert_int_equal(rtnl_addr_add(br, host, 24), 0);
	assert_true(has_addr(BRIDGE, "10.99.0.1"));
	assert_int_equal(rtnl_addr_add(br, host, 24), -EEXIST);
	assert_int_equal(rtnl_route_default(gw), 0);
	assert_int_equal(default_gateway(), gw);
	assert_int_equal(rtnl_route_default(gw), -EEXIST);
	assert_int_equal(rtnl_link_delete(br), 0);
}

static void errors_come_back_as_errno(void **state)
{
	(void)state;
	unsigned missing = 0x7ffffff0;
	assert_int_equal(rtnl_link_up(missing, 0), -ENODEV);
	assert_int_equal(rtnl_link_delete(missing), -ENODEV);
	assert_int_equal(rtnl_addr_add(missing, htonl(0x0a630001), 24), -ENODEV);
	/* No interface has an address on the gateway's subnet. */
	assert_int_equal(rtnl_route_default(htonl(0x0a6400fe)), -ENETUNREACH);
	assert_int_equal(rtnl_bridge_create("a-name-longer-than-ifnamsiz"), -ERANGE);
}

int main(void)
{
	/* cmocka's TAP output reports a skipped test as "not ok": skip the whole plan instead. */
	if (enter_private_netns() < 0) {
		printf("1..0 # SKIP cannot enter a private network namespace: %s\n",
		       strerror(errno));
		return 0;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bridge_with_veth_port),
	    cmocka_unit_test(address_and_default_route),
	    cmocka_unit_test(errors_come_back_as_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
