/*
 * virtio-rng, virtio-net and virtio-console on the fake machine: bytes go
 * where they should through real queues. Net runs over a SOCK_SEQPACKET
 * pair standing in for the TAP; with root, a real TAP is created,
 * addressed (or bridged) over netlink, and gone after shutdown.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>

#include "../../vmm/virtio/net.h"
#include "../../vmm/virtio/virtio.h"
#include "../stderr_capture.h"
#include "vq_driver.h"

#define RAM    (4u << 20)
#define BUF(n) (FAKE_RAM_BASE + 0x100000 + 0x10000ull * (n))

static struct vm *vm;
static int nr_devs; /* bus index of the next device */

static int group_setup(void **state)
{
	(void)state;
	vm = fake_vm_new(RAM);
	return vm ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	virtio_shutdown(vm);
	fake_vm_free(vm);
	return 0;
}

static const uint64_t modern = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_RING_F_EVENT_IDX;

/*
 * Brings device n up with its queues laid out one after another at 4 KiB steps,
 * in a 16 KiB area of its own: devices brought up earlier keep their rings (the
 * I/O thread still serves them).
 */
static void bring_up(int n, struct drv_vq *qs, unsigned nq, uint64_t features)
{
	assert_true(drv_negotiate(vm, n, features) & VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned i = 0; i < nq; i++) {
		drv_init(&qs[i], vm, FAKE_RAM_BASE + 0x4000ull * (unsigned)n + 0x1000ull * i, 64);
		drv_queue_setup(vm, n, i, &qs[i]);
	}
	drv_driver_ok(vm, n);
	assert_int_equal(fake_mmio_read(vm, n, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET,
			 0);
}

static struct virtio_dev *dev_at(int n)
{
	return fake_mmio_dev(vm, n)->opaque;
}

static void rng_fills_buffers(void **state)
{
	(void)state;
	int n = nr_devs;
	assert_int_equal(virtio_rng_add(vm), 0);
	nr_devs++;
	assert_int_equal(fake_mmio_read(vm, n, VIRTIO_MMIO_DEVICE_ID), 4);
	struct drv_vq q;
	bring_up(n, &q, 1, modern);
	struct drv_buf b[] = {{BUF(0), 64, true}, {BUF(0) + 64, 64, true}};
	drv_add(&q, b, 2);
	virtio_dev_kick(dev_at(n), 0);
	assert_int_equal(drv_avail_event(&q), 1);
	uint32_t len;
	assert_true(drv_used(&q, &len) >= 0);
	assert_int_equal(len, 128);
	uint8_t zero[128] = {0};
	assert_memory_not_equal(fake_gpa(vm, BUF(0)), zero, sizeof(zero));
}

struct net_fixture {
	int n, peer;
	struct drv_vq q[2]; /* rx, tx */
};

static struct net_fixture *net_up(uint64_t features)
{
	static struct net_fixture f;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
	memset(&f, 0, sizeof(f));
	f.n = nr_devs;
	assert_non_null(virtio_net_create_fd(vm, sv[0], mac));
	nr_devs++;
	f.peer = sv[1];
	bring_up(f.n, f.q, 2, features);
	uint8_t cfg_mac[6];
	fake_mmio_dev(vm, f.n)->ops->read(fake_mmio_dev(vm, f.n), VIRTIO_MMIO_CONFIG, cfg_mac, 6);
	assert_memory_equal(cfg_mac, mac, 6);
	return &f;
}

static void net_transmits_one_packet(void **state)
{
	(void)state;
	struct net_fixture *f = net_up(modern);
	struct virtio_net_hdr_v1 hdr = {0};
	memcpy(fake_gpa(vm, BUF(1)), &hdr, sizeof(hdr));
	memcpy(fake_gpa(vm, BUF(2)), "hello, host", 11);
	struct drv_buf b[] = {{BUF(1), sizeof(hdr), false}, {BUF(2), 11, false}};
	drv_add(&f->q[1], b, 2);
	virtio_dev_kick(dev_at(f->n), 1);
	assert_int_equal(drv_avail_event(&f->q[1]), 1);
	char got[64];
	assert_int_equal(recv(f->peer, got, sizeof(got), 0), 12 + 11);
	assert_memory_equal(got + 12, "hello, host", 11);
	assert_true(drv_used(&f->q[1], NULL) >= 0);
	close(f->peer);
}

static void send_packet(int fd, const char *payload, size_t len)
{
	char pkt[2048] = {0};
	memcpy(pkt + 12, payload, len);
	assert_int_equal(send(fd, pkt, 12 + len, 0), (ssize_t)(12 + len));
}

static void net_receives_into_one_buffer(void **state)
{
	(void)state;
	struct net_fixture *f = net_up(modern);
	/* Nothing posted yet: the packet waits instead of being lost. */
	send_packet(f->peer, "to the guest", 12);
	virtio_net_rx(dev_at(f->n));
	struct drv_buf b[] = {{BUF(3), 1526, true}};
	drv_add(&f->q[0], b, 1);
	virtio_dev_kick(dev_at(f->n), 0);
	uint32_t len;
	assert_true(drv_used(&f->q[0], &len) >= 0);
	assert_int_equal(len, 24);
	struct virtio_net_hdr_v1 hdr;
	memcpy(&hdr, fake_gpa(vm, BUF(3)), sizeof(hdr));
	assert_int_equal(hdr.num_buffers, 1);
	assert_memory_equal((char *)fake_gpa(vm, BUF(3)) + 12, "to the guest", 12);
	close(f->peer);
}

static void net_merges_receive_buffers(void **state)
{
	(void)state;
	struct net_fixture *f = net_up(modern | 1ull << VIRTIO_NET_F_MRG_RXBUF);
	char payload[150];
	for (int i = 0; i < 150; i++)
		payload[i] = (char)i;
	for (int i = 0; i < 3; i++) {
		struct drv_buf b[] = {{BUF(4) + 64 * i, 64, true}};
		drv_add(&f->q[0], b, 1);
	}
	send_packet(f->peer, payload, sizeof(payload));
	virtio_net_rx(dev_at(f->n));
	uint32_t lens[3];
	for (int i = 0; i < 3; i++)
		assert_true(drv_used(&f->q[0], &lens[i]) >= 0);
	assert_int_equal(lens[0] + lens[1] + lens[2], 162);
	struct virtio_net_hdr_v1 hdr;
	memcpy(&hdr, fake_gpa(vm, BUF(4)), sizeof(hdr));
	assert_int_equal(hdr.num_buffers, 3);
	assert_memory_equal((char *)fake_gpa(vm, BUF(4)) + 12, payload, 52);
	assert_memory_equal((char *)fake_gpa(vm, BUF(4)) + 64, payload + 52, 64);
	close(f->peer);
}

static void console_writes_guest_output(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	int n = nr_devs;
	assert_int_equal(virtio_console_add(vm, -1, p[1]), 0);
	nr_devs++;
	struct drv_vq q[2];
	bring_up(n, q, 2, modern);
	memcpy(fake_gpa(vm, BUF(5)), "hvc0 says hi\n", 13);
	struct drv_buf b[] = {{BUF(5), 13, false}};
	drv_add(&q[1], b, 1);
	virtio_dev_kick(dev_at(n), 1);
	/* EVENT_IDX: the device asks for a kick at the next buffer, or the guest would never send
	 * one. */
	assert_int_equal(drv_avail_event(&q[1]), 1);
	char got[32];
	assert_int_equal(read(p[0], got, sizeof(got)), 13);
	assert_memory_equal(got, "hvc0 says hi\n", 13);
	close(p[0]);
	close(p[1]);
}

/* Waits (on the I/O thread's work) for the next completion, up to 5 s. */
static int wait_used(struct drv_vq *q, uint32_t *len)
{
	for (int i = 0; i < 500; i++) {
		int head = drv_used(q, len);
		if (head >= 0)
			return head;
		usleep(10000);
	}
	return -1;
}

/* The threaded path: kick through QueueNotify, input through epoll on the I/O thread. */
static void count_device(struct virtio_dev *dev, void *opaque)
{
	(void)dev;
	++*(int *)opaque;
}

/* Devices hang off their VM: a second VM in the same process numbers and ends its own. */
static void two_vms_keep_their_own_devices(void **state)
{
	(void)state;
	int before = 0, other = 0;
	virtio_for_each_device(vm, count_device, &before);
	struct vm *vm2 = fake_vm_new(RAM);
	assert_non_null(vm2);
	assert_int_equal(virtio_rng_add(vm2), 0);
	assert_int_equal(virtio_rng_add(vm2), 0);
	virtio_for_each_device(vm2, count_device, &other);
	assert_int_equal(other, 2);
	assert_string_equal((*vm_virtio_devices(vm2))->next->name, "rng1");
	assert_int_equal(virtio_count(vm, VIRTIO_ID_RNG), 1); /* the first VM's own rng0 */
	assert_true(virtio_has_devices(vm2));
	virtio_shutdown(vm2);
	assert_false(virtio_has_devices(vm2));
	int after = 0;
	virtio_for_each_device(vm, count_device, &after);
	assert_int_equal(after, before);
	fake_vm_free(vm2);
}

/* Output that cannot be written is said once and stops vmm; the guest is not left talking to no
 * one. */
static void console_output_error_stops_vmm(void **state)
{
	(void)state;
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (full < 0)
		skip();
	int n = nr_devs;
	assert_int_equal(virtio_console_add(vm, -1, full), 0);
	nr_devs++;
	struct drv_vq q[2];
	bring_up(n, q, 2, modern);
	memcpy(fake_gpa(vm, BUF(9)), "lost?\n", 6);
	struct drv_buf b[] = {{BUF(9), 6, false}, {BUF(9), 6, false}};
	drv_add(&q[1], b, 1);
	drv_add(&q[1], b + 1, 1);
	char *err;
	STDERR_OF(err, virtio_dev_kick(dev_at(n), 1));
	assert_one_line_with(err, "output: No space left on device; stopping the guest");
	assert_int_equal(fake_exit_status(vm), 1);
	close(full);
}

static void console_reads_host_input(void **state)
{
	(void)state;
	int in[2], out[2];
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	int n = nr_devs;
	assert_int_equal(virtio_console_add(vm, in[0], out[1]), 0);
	nr_devs++;
	struct drv_vq q[2];
	bring_up(n, q, 2, modern);
	assert_int_equal(virtio_start(vm), 0);

	struct drv_buf b[] = {{BUF(6), 64, true}};
	drv_add(&q[0], b, 1);
	fake_mmio_write(vm, n, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(write(in[1], "typed\n", 6), 6);
	uint32_t len;
	assert_true(wait_used(&q[0], &len) >= 0);
	assert_int_equal(len, 6);
	assert_memory_equal(fake_gpa(vm, BUF(6)), "typed\n", 6);

	memcpy(fake_gpa(vm, BUF(7)), "echo\n", 5);
	struct drv_buf t[] = {{BUF(7), 5, false}};
	drv_add(&q[1], t, 1);
	fake_mmio_write(vm, n, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	assert_true(wait_used(&q[1], &len) >= 0);
	char got[8];
	assert_int_equal(read(out[0], got, sizeof(got)), 5);
	assert_memory_equal(got, "echo\n", 5);
	assert_true(dev_at(n)->stats.notifies >= 2);

	/* Input that comes while the guest has no buffer, then EOF: still delivered. */
	assert_int_equal(write(in[1], "late", 4), 4);
	close(in[1]);
	usleep(50 * 1000); /* the event loop would see the hang-up now, were it watching */
	struct drv_buf l[] = {{BUF(8), 64, true}};
	drv_add(&q[0], l, 1);
	fake_mmio_write(vm, n, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_true(wait_used(&q[0], &len) >= 0);
	assert_int_equal(len, 4);
	assert_memory_equal(fake_gpa(vm, BUF(8)), "late", 4);
	close(out[0]);
}

static int count_links(void)
{
	int n = 0;
	struct ifaddrs *list, *a;
	if (getifaddrs(&list) < 0)
		return -1;
	for (a = list; a; a = a->ifa_next)
		n++;
	freeifaddrs(list);
	return n;
}

/* add(vm, spec) fails with status want_rc and one line on stderr that contains want. */
static void refused_with(int want_rc, int (*add)(struct vm *, const char *), const char *spec,
			 const char *want)
{
	char *err;
	int rc;
	STDERR_OF(err, rc = add(vm, spec));
	assert_int_equal(rc, want_rc);
	assert_one_line_with(err, want);
}

/* A malformed option value: a usage error (vmm exits 2). */
static void refused(int (*add)(struct vm *, const char *), const char *spec, const char *want)
{
	refused_with(VIRTIO_BAD_SPEC, add, spec, want);
}

static void bad_net_specs_are_refused(void **state)
{
	(void)state;
	int before = count_links();
	refused(virtio_net_add, "tup", "expected tap[,name=NAME][,bridge=BR][,mac=MAC], got 'tup'");
	refused(virtio_net_add, "tap,mac=zz:00:00:00:00:01", "bad MAC 'zz:00:00:00:00:01'");
	refused(virtio_net_add, "tap,mac=02:00:00:00:00", "bad MAC '02:00:00:00:00'");
	refused(virtio_net_add, "tap,mac=01:00:00:00:00:01", "bad MAC '01:00:00:00:00:01'");
	refused(virtio_net_add, "tap,bridge=isonobr0", "bridge isonobr0 does not exist");
	refused(virtio_net_add, "tap,bridge=lo", "lo is not a bridge");
	refused(virtio_net_add, "tap,name=waytoolonginterfacename",
		"bad interface name 'waytoolonginterfacename'");
	refused(virtio_net_add, "tap,colour=blue", "unknown option 'colour=blue'");
	assert_int_equal(count_links(), before);
}

static void bad_vsock_specs_are_refused(void **state)
{
	(void)state;
	const char *bad[] = {"cid=2" /* the host's */, "cid=-1", "cid=3x", "port=3"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[64];
		snprintf(want, sizeof(want), "got '%s'", bad[i]);
		refused(virtio_vsock_add, bad[i], want);
	}
	/* Without /dev/vhost-vsock a valid cid is refused too, with a clear line. */
	if (access("/dev/vhost-vsock", F_OK) != 0)
		refused_with(-1, virtio_vsock_add, "cid=77", "this host has no /dev/vhost-vsock");
}

static bool link_exists(const char *name)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	return stat(path, &st) == 0;
}

static bool has_addr(const char *name, const char *prefix)
{
	struct ifaddrs *list, *a;
	bool found = false;
	if (getifaddrs(&list) < 0)
		return false;
	for (a = list; a; a = a->ifa_next) {
		char ip[INET_ADDRSTRLEN];
		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || strcmp(a->ifa_name, name))
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, ip, sizeof(ip));
		found |= !strncmp(ip, prefix, strlen(prefix));
	}
	freeifaddrs(list);
	return found;
}

/* Last: virtio_shutdown ends every device. */
static void real_tap_is_created_and_removed(void **state)
{
	(void)state;
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK))
		skip();
	char *info;
	int rc;
	STDERR_OF(info, rc = virtio_net_add(vm, "tap,name=isovt0"));
	assert_int_equal(rc, 0);
	/* The one line that says where the guest's network is. */
	assert_one_line_with(info, ": TAP isovt0, host 172.30.");
	assert_true(link_exists("isovt0"));
	assert_true(has_addr("isovt0", "172.30."));
	/* Not eth0 (socket-backed NICs came first), so no isolab.net= for it. */
	assert_null(strstr(fake_cmdline(vm), "isolab.net="));
	bool bridged = system("ip link add isovbr0 type bridge 2>/dev/null") == 0;
	if (bridged) {
		assert_int_equal(virtio_net_add(vm, "tap,name=isovt1,bridge=isovbr0"), 0);
		char master[64] = "";
		ssize_t n = readlink("/sys/class/net/isovt1/master", master, sizeof(master) - 1);
		assert_true(n > 0);
		assert_non_null(strstr(master, "isovbr0"));
	}
	virtio_shutdown(vm);
	assert_false(link_exists("isovt0"));
	assert_false(link_exists("isovt1"));
	if (bridged)
		assert_int_equal(system("ip link del isovbr0"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rng_fills_buffers),
	    cmocka_unit_test(net_transmits_one_packet),
	    cmocka_unit_test(net_receives_into_one_buffer),
	    cmocka_unit_test(net_merges_receive_buffers),
	    cmocka_unit_test(console_writes_guest_output),
	    cmocka_unit_test(console_output_error_stops_vmm),
	    cmocka_unit_test(two_vms_keep_their_own_devices),
	    cmocka_unit_test(console_reads_host_input),
	    cmocka_unit_test(bad_net_specs_are_refused),
	    cmocka_unit_test(bad_vsock_specs_are_refused),
	    cmocka_unit_test(real_tap_is_created_and_removed),
	};
	return cmocka_run_group_tests_name("virtio devices", tests, group_setup, group_teardown);
}
