/*
 * virtio-net on a TAP device. Queue 0 receives, queue 1 transmits. Every
 * packet carries a 12-byte virtio_net_hdr_v1 both in the guest's buffers
 * and on the TAP (IFF_VNET_HDR), so checksum and TSO offloads pass
 * straight through; transmit is one writev per packet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../snapshot/stream.h"
#include "../util.h"
#include "../vm.h"
#include "net.h"
#include "tap.h"
#include "virtio.h"

enum { NET_RX, NET_TX };

#define NET_HDR_LEN    sizeof(struct virtio_net_hdr_v1)
#define NET_MAX_PACKET (65536 + NET_HDR_LEN)
#define NET_BURST      64 /* received packets per wakeup, so transmit gets its turn */
#define NET_MAX_MERGE  64

struct net {
	struct virtio_dev *dev;
	struct tap tap; /* tap.fd is the packet fd, TAP or not */
	struct event_loop *loop;
	struct event_watch watch;
	bool watched; /* in epoll: false once the fd hung up */
	bool rx_armed;
	unsigned offloads; /* TUN_F_* the fd accepts */
	/* An incoming migration's device: no TAP until the source's comes (named this, if set). */
	char incoming_name[IFNAMSIZ];
	struct virtio_net_config config;
	size_t pending; /* bytes of a packet read but not yet delivered */
	uint8_t packet[NET_MAX_PACKET];
	struct vq_chain chain; /* event loop scratch */
	struct {
		uint16_t head;
		uint32_t len;
	} merge[NET_MAX_MERGE];
};

static void arm_rx(struct net *n, bool on)
{
	if (n->watched && n->rx_armed != on &&
	    event_loop_mod(n->loop, &n->watch, on ? EPOLLIN : 0) == 0)
		n->rx_armed = on;
}

/* A packet fd that hung up (only a test's socket can) would wake epoll forever. */
static void stop_watching(struct net *n)
{
	if (n->watched)
		event_loop_del(n->loop, &n->watch);
	n->watched = false;
}

static int64_t net_tx(struct virtio_dev *dev, struct virtqueue *vq, struct vq_chain *c)
{
	struct net *n = dev->priv;
	(void)vq;
	/* A packet the TAP refuses is dropped, as a real NIC would. */
	if (c->out_len >= NET_HDR_LEN && c->out_len <= NET_MAX_PACKET &&
	    writev(n->tap.fd, c->iov, (int)c->n_out) > 0)
		virtio_dev_count(dev, 1, c->out_len - NET_HDR_LEN);
	return 0;
}

/*
 * Copies the pending packet into as many receive chains as it needs (one
 * without MRG_RXBUF). Returns false, with nothing consumed, when the guest
 * has not posted enough room yet.
 */
static bool deliver(struct net *n, struct virtqueue *vq)
{
	bool merge = virtio_has_feature(n->dev, VIRTIO_NET_F_MRG_RXBUF);
	struct virtio_net_hdr_v1 *hdr = (void *)n->packet;
	size_t off = 0;
	uint16_t used = 0;
	struct iovec first[VQ_MAX_SIZE];
	unsigned first_n = 0;

	while (off < n->pending) {
		enum vq_result r = used < NET_MAX_MERGE ? vq_pop(vq, &n->chain) : VQ_EMPTY;
		if (r != VQ_OK || n->chain.in_len < NET_HDR_LEN ||
		    (!merge && n->chain.in_len < n->pending)) {
			if (r == VQ_OK)
				used++;
			vq_unpop(vq, used);
			if (r == VQ_BAD)
				virtio_dev_bad_chain(n->dev);
			else if (r == VQ_OK || used == NET_MAX_MERGE)
				n->pending = 0; /* no buffer can ever hold it: drop the packet */
			return false;
		}
		const struct vq_chain *c = &n->chain;
		size_t len = n->pending - off;
		if (len > c->in_len)
			len = c->in_len;
		iov_from_buf(c->iov + c->n_out, c->n_in, 0, n->packet + off, len);
		if (used == 0) {
			first_n = c->n_in;
			memcpy(first, c->iov + c->n_out, first_n * sizeof(first[0]));
		}
		n->merge[used].head = c->head;
		n->merge[used].len = (uint32_t)len;
		used++;
		off += len;
	}
	hdr->num_buffers = used;
	iov_from_buf(first, first_n, offsetof(struct virtio_net_hdr_v1, num_buffers),
		     &hdr->num_buffers, sizeof(hdr->num_buffers));
	for (uint16_t i = 0; i < used; i++)
		vq_push(vq, n->merge[i].head, n->merge[i].len);
	virtio_dev_count(n->dev, 1, n->pending - NET_HDR_LEN);
	n->pending = 0;
	return true;
}

void virtio_net_rx(struct virtio_dev *dev)
{
	struct net *n = dev->priv;
	struct virtqueue *vq = &dev->vqs[NET_RX];
	unsigned delivered = 0;

	for (unsigned i = 0; i < NET_BURST; i++) {
		if (!n->pending) {
			ssize_t got = read(n->tap.fd, n->packet, sizeof(n->packet));
			if (got == 0)
				stop_watching(n);
			if (got <= 0)
				break; /* nothing now (EAGAIN), or nothing ever again */
			if (got < (ssize_t)NET_HDR_LEN)
				continue; /* a runt the guest could not use */
			n->pending = (size_t)got;
		}
		if (!deliver(n, vq)) {
			if (dev->broken)
				break;
			/* Out of guest buffers: wait for the guest to post more. */
			if (n->pending && !vq_enable_notify(vq))
				arm_rx(n, false);
			break;
		}
		delivered++;
	}
	if (delivered)
		virtio_dev_notify(dev, vq);
}

static void on_packet(void *arg, uint32_t events)
{
	struct net *n = arg;
	pthread_mutex_lock(&n->dev->lock);
	if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN))
		stop_watching(n);
	else if (virtio_driver_ok(n->dev) && n->dev->vqs[NET_RX].ready)
		virtio_net_rx(n->dev);
	else
		arm_rx(n, false);
	pthread_mutex_unlock(&n->dev->lock);
}

static void net_queue_notify(struct virtio_dev *dev, struct virtqueue *vq)
{
	struct net *n = dev->priv;
	if (vq->index == NET_TX) {
		virtio_serve(dev, vq, &n->chain, net_tx);
	} else {
		arm_rx(n, true); /* fresh receive buffers */
		virtio_net_rx(dev);
	}
}

/* Lets the TAP hand the guest what the guest said it can take. */
static int net_activate(struct virtio_dev *dev)
{
	struct net *n = dev->priv;
	unsigned off = 0;
	if (virtio_has_feature(dev, VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (virtio_has_feature(dev, VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (virtio_has_feature(dev, VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
		if (virtio_has_feature(dev, VIRTIO_NET_F_GUEST_ECN))
			off |= TUN_F_TSO_ECN;
	}
	if (n->offloads && ioctl(n->tap.fd, TUNSETOFFLOAD, off & n->offloads) < 0)
		return -1;
	return 0;
}

/*
 * After a pause: a migration's target may have probed and set the offloads
 * of the TAP both hold (one open file), and its guest never ran.
 */
static void net_resume(struct virtio_dev *dev)
{
	if (virtio_driver_ok(dev) && net_activate(dev) < 0)
		dev_err(dev, "the TAP refuses the offloads set again: %s", strerror(errno));
}

static void net_reset(struct virtio_dev *dev)
{
	struct net *n = dev->priv;
	arm_rx(n, false);
	n->pending = 0;
}

static void net_destroy(struct virtio_dev *dev)
{
	struct net *n = dev->priv;
	stop_watching(n);
	tap_close(&n->tap);
}

/* A packet read from the TAP but not yet delivered goes with the snapshot. */
static int net_save(struct virtio_dev *dev, struct snap_writer *w)
{
	struct net *n = dev->priv;
	snap_put_u32(w, (uint32_t)n->pending);
	return snap_put(w, n->packet, n->pending);
}

static int net_load(struct virtio_dev *dev, struct snap_reader *r)
{
	struct net *n = dev->priv;
	uint32_t len;
	if (n->tap.fd < 0)
		return snap_bad(r, "no TAP came with the migration for %s", dev->name);
	if (snap_get_u32(r, &len))
		return -1;
	if (len && (len < NET_HDR_LEN || len > NET_MAX_PACKET))
		return snap_bad(r, "a pending packet of %u bytes (%zu to %zu)", len, NET_HDR_LEN,
				(size_t)NET_MAX_PACKET);
	if (snap_get(r, n->packet, len))
		return -1;
	n->pending = len;
	return 0;
}

static const struct virtio_dev_ops net_ops = {
    .device_id = VIRTIO_ID_NET,
    .num_queues = 2,
    .queue_max = 256,
    .queue_notify = net_queue_notify,
    .activate = net_activate,
    .reset = net_reset,
    .destroy = net_destroy,
    .resume = net_resume,
    /* The guest keeps the MAC it read (the default one is made from vmm's pid). */
    .config_restore = VIRTIO_CONFIG_FROM_SNAPSHOT,
    .save = net_save,
    .load = net_load,
};

static uint64_t net_features(unsigned offloads)
{
	uint64_t f = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
		     1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << VIRTIO_NET_F_CSUM |
		     1ull << VIRTIO_NET_F_HOST_TSO4 | 1ull << VIRTIO_NET_F_HOST_TSO6 |
		     1ull << VIRTIO_NET_F_HOST_ECN | 1ull << VIRTIO_RING_F_INDIRECT_DESC |
		     1ull << VIRTIO_RING_F_EVENT_IDX;
	if (offloads & TUN_F_CSUM)
		f |= 1ull << VIRTIO_NET_F_GUEST_CSUM;
	if (offloads & TUN_F_TSO4)
		f |= 1ull << VIRTIO_NET_F_GUEST_TSO4;
	if (offloads & TUN_F_TSO6)
		f |= 1ull << VIRTIO_NET_F_GUEST_TSO6;
	if (offloads & TUN_F_TSO_ECN)
		f |= 1ull << VIRTIO_NET_F_GUEST_ECN;
	return f;
}

static int watch_tap(struct net *n)
{
	n->watch = (struct event_watch){n->tap.fd, on_packet, n};
	if (event_loop_add(n->loop, &n->watch, 0) < 0)
		return vmm_err("--net: cannot watch %s: %s", n->tap.name, strerror(errno));
	n->watched = true;
	return 0;
}

static struct virtio_dev *create_on(struct vm *vm, struct tap *tap, const uint8_t mac[6])
{
	struct net *n = calloc(1, sizeof(*n));
	if (!n) {
		vmm_err("--net: out of memory");
		return NULL;
	}
	n->tap = *tap;
	n->offloads = tap->offloads;
	memcpy(n->config.mac, mac, 6);
	n->config.status = VIRTIO_NET_S_LINK_UP;
	n->loop = vm_event_loop(vm);
	if (tap->fd >= 0 && watch_tap(n) < 0) {
		free(n);
		return NULL;
	}
	char name[16];
	snprintf(name, sizeof(name), "net%u", virtio_count(vm, VIRTIO_ID_NET));
	n->dev = virtio_dev_create(vm, name, &net_ops, n, net_features(n->offloads), &n->config,
				   sizeof(n->config));
	if (!n->dev) {
		stop_watching(n);
		free(n);
		return NULL;
	}
	return n->dev;
}

int virtio_net_tap_fd(struct vm *vm, unsigned index)
{
	struct virtio_dev *dev = virtio_find(vm, VIRTIO_ID_NET, index);
	return dev ? ((struct net *)dev->priv)->tap.fd : -1;
}

int virtio_net_adopt_tap(struct vm *vm, unsigned index, int fd)
{
	struct virtio_dev *dev = virtio_find(vm, VIRTIO_ID_NET, index);
	struct net *n = dev ? dev->priv : NULL;
	struct tap tap;
	if (!n || n->tap.fd >= 0 || !vm_incoming(vm))
		vmm_err("--net: the migration brought a TAP for net%u, which %s", index,
			n ? "has one already" : "this VM does not have");
	else if (tap_adopt(&tap, fd, n->incoming_name) == 0) {
		n->tap = tap;
		n->offloads = tap.offloads;
		dev->host_features = net_features(tap.offloads);
		if (watch_tap(n) == 0) {
			vmm_err("net%u: TAP %s, handed over by the migration's source", index,
				tap.name);
			return 0;
		}
		n->tap.fd = -1;
	}
	close(fd);
	return -1;
}

struct virtio_dev *virtio_net_create_fd(struct vm *vm, int fd, const uint8_t mac[6])
{
	struct tap t = {.fd = fd, .name = "packet fd", .offloads = 0};
	return create_on(vm, &t, mac);
}

struct net_opts {
	char name[IFNAMSIZ];
	char bridge[IFNAMSIZ];
	uint8_t mac[6];
};

static int parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	char buf[18];
	int end = 0;
	if (len == 17) {
		memcpy(buf, s, len);
		buf[len] = 0;
		if (sscanf(buf, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%n", &mac[0], &mac[1], &mac[2],
			   &mac[3], &mac[4], &mac[5], &end) == 6 &&
		    end == 17 && strspn(buf, "0123456789abcdefABCDEF:") == 17 && !(mac[0] & 1))
			return 0;
	}
	vmm_err("--net: bad MAC '%.*s' (expected a unicast xx:xx:xx:xx:xx:xx)", (int)len, s);
	return -1;
}

static int copy_ifname(char *dst, const char *s, size_t len, const char *what)
{
	if (len == 0 || len >= IFNAMSIZ || memchr(s, '/', len)) {
		vmm_err("--net: bad %s name '%.*s'", what, (int)len, s);
		return -1;
	}
	memcpy(dst, s, len);
	dst[len] = 0;
	return 0;
}

static int parse_net(const char *spec, unsigned index, struct net_opts *o)
{
	unsigned pid = (unsigned)getpid();
	memset(o, 0, sizeof(*o));
	/* Locally administered, distinct per vmm process and per device. */
	const uint8_t mac[6] = {
	    0x02, 0x69, (uint8_t)(pid >> 16), (uint8_t)(pid >> 8), (uint8_t)pid, (uint8_t)index};
	memcpy(o->mac, mac, 6);
	if (strncmp(spec, "tap", 3) || (spec[3] && spec[3] != ',')) {
		vmm_err("--net: expected tap[,name=NAME][,bridge=BR][,mac=MAC], got '%s'", spec);
		return -1;
	}
	for (const char *opt = spec[3] ? spec + 4 : NULL; opt;) {
		const char *comma = strchr(opt, ',');
		size_t n = comma ? (size_t)(comma - opt) : strlen(opt);
		int err;
		if (n > 5 && !strncmp(opt, "name=", 5))
			err = copy_ifname(o->name, opt + 5, n - 5, "interface");
		else if (n > 7 && !strncmp(opt, "bridge=", 7))
			err = copy_ifname(o->bridge, opt + 7, n - 7, "bridge");
		else if (n > 4 && !strncmp(opt, "mac=", 4))
			err = parse_mac(opt + 4, n - 4, o->mac);
		else {
			vmm_err("--net: unknown option '%.*s' (name=, bridge=, mac=)", (int)n, opt);
			err = -1;
		}
		if (err)
			return -1;
		opt = comma ? comma + 1 : NULL;
	}
	if (o->bridge[0] && !if_nametoindex(o->bridge)) {
		vmm_err("--net: bridge %s does not exist", o->bridge);
		return -1;
	}
	if (o->bridge[0] && !tap_is_bridge(o->bridge)) {
		vmm_err("--net: %s is not a bridge", o->bridge);
		return -1;
	}
	return 0;
}

/* A /24 in 172.30.0.0/16 that no host interface uses yet; 0 when none is left. */
static uint32_t pick_subnet(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint32_t net = htonl(0xac1e0000u | i << 8);
		if (tap_subnet_free(net))
			return net;
	}
	vmm_err("--net: no free /24 left in 172.30.0.0/16 for the TAP");
	return 0;
}

/*
 * The source holds the TAP (TUNSETIFF would answer EBUSY) and configured it:
 * the device waits for the source's fd (virtio_net_adopt_tap).
 */
static int add_incoming(struct vm *vm, const struct net_opts *o)
{
	struct tap none = {.fd = -1};
	snprintf(none.name, sizeof(none.name), "%s", o->name[0] ? o->name : "(incoming)");
	struct virtio_dev *dev = create_on(vm, &none, o->mac);
	if (!dev)
		return -1;
	struct net *n = dev->priv;
	snprintf(n->incoming_name, sizeof(n->incoming_name), "%s", o->name);
	return 0;
}

int virtio_net_add(struct vm *vm, const char *spec)
{
	struct net_opts o;
	struct tap tap;
	uint32_t subnet = 0;

	unsigned index = virtio_count(vm, VIRTIO_ID_NET);
	if (parse_net(spec, index, &o) < 0)
		return VIRTIO_BAD_SPEC;
	if (vm_incoming(vm))
		return add_incoming(vm, &o);
	if (tap_open(&tap, o.name[0] ? o.name : NULL) < 0)
		return -1;
	/* A TAP vmm made gets an address; one the user made is the user's to address. */
	if (tap.created && !o.bridge[0] && !(subnet = pick_subnet()))
		goto fail;
	uint32_t host = subnet ? htonl(ntohl(subnet) | 1) : 0;
	if (tap_configure(&tap, host, 24, o.bridge[0] ? o.bridge : NULL) < 0)
		goto fail;
	if (!create_on(vm, &tap, o.mac))
		goto fail;
	if (subnet) {
		char h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
		uint32_t guest = htonl(ntohl(subnet) | 2);
		inet_ntop(AF_INET, &host, h, sizeof(h));
		inet_ntop(AF_INET, &guest, g, sizeof(g));
		/* The guest's /init configures eth0 from this; only eth0 is described. */
		if (index == 0 && vm_cmdline_append(vm, "isolab.net=%s/24,%s", g, h) < 0)
			vmm_err("--net: kernel command line full, guest gets no address");
		vmm_err("net%u: TAP %s, host %s/24, guest %s", index, tap.name, h, g);
	}
	return 0;
fail:
	tap_close(&tap);
	return -1;
}
