/*
 * virtio-vsock through the host kernel's vhost-vsock: the kernel moves the
 * packets of the receive and transmit queues itself, straight from the KVM
 * ioeventfds. vmm only sets the rings up, forwards vhost's "used buffers"
 * signal as an interrupt (virtio-mmio needs InterruptStatus set first), and
 * uses the event queue once: after a restore, to tell the guest that its
 * connections are gone and to read its CID again (TRANSPORT_RESET).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_vsock.h>

#include "../snapshot/stream.h"
#include "../util.h"
#include "../vm.h"
#include "virtio.h"
#include "virtio_dev.h"

enum { VSOCK_RX, VSOCK_TX, VSOCK_EVENT, VSOCK_VHOST_QUEUES = 2 };

struct vsock {
	struct virtio_dev *dev;
	int vhost_fd;
	struct event_loop *loop;
	uint64_t vhost_features;
	bool running;
	bool restored; /* loaded from a snapshot: the guest must hear of it at activation */
	/* Where the kernel stands in each ring: read when quiesced, set again on restore. */
	uint16_t vring_base[VSOCK_VHOST_QUEUES];
	struct virtio_vsock_config config;
	struct vsock_call {
		struct vsock *vs;
		int fd;
		struct event_watch watch;
	} call[VSOCK_VHOST_QUEUES];
};

/* vhost used buffers on a queue and already applied EVENT_IDX: interrupt the guest. */
static void on_call(void *arg, uint32_t events)
{
	struct vsock_call *c = arg;
	uint64_t n;
	(void)events;
	if (read(c->fd, &n, sizeof(n)) == sizeof(n))
		virtio_dev_raise(c->vs->dev, VIRTIO_MMIO_INT_VRING);
}

static int vhost(struct vsock *vs, unsigned long req, const void *arg, const char *what)
{
	if (ioctl(vs->vhost_fd, req, arg) == 0)
		return 0;
	vmm_err("vsock: %s: %s", what, strerror(errno));
	return -1;
}

static int set_mem_table(struct vsock *vs)
{
	const struct guest_mem *mem = vs->dev->mem;
	struct vhost_memory *table =
	    calloc(1, sizeof(*table) + GUEST_MEM_MAX_REGIONS * sizeof(table->regions[0]));
	if (!table)
		return -1;
	table->nregions = (uint32_t)mem->nr_regions;
	for (int i = 0; i < mem->nr_regions; i++)
		table->regions[i] = (struct vhost_memory_region){
		    .guest_phys_addr = mem->region[i].gpa,
		    .memory_size = mem->region[i].size,
		    .userspace_addr = (uintptr_t)mem->region[i].host,
		};
	int r = vhost(vs, VHOST_SET_MEM_TABLE, table, "VHOST_SET_MEM_TABLE");
	free(table);
	return r;
}

static int setup_vring(struct vsock *vs, unsigned q)
{
	struct virtqueue *vq = &vs->dev->vqs[q];
	struct vhost_vring_state num = {.index = q, .num = vq->size};
	struct vhost_vring_state base = {.index = q, .num = vs->vring_base[q]};
	struct vhost_vring_addr addr = {
	    .index = q,
	    .desc_user_addr = (uintptr_t)vq->desc,
	    .avail_user_addr = (uintptr_t)vq->avail,
	    .used_user_addr = (uintptr_t)vq->used,
	};
	struct vhost_vring_file kick = {.index = q, .fd = vs->dev->kick_fd[q]};
	struct vhost_vring_file call = {.index = q, .fd = vs->call[q].fd};
	if (!vq->ready)
		return -1;
	return vhost(vs, VHOST_SET_VRING_NUM, &num, "VHOST_SET_VRING_NUM") ||
		       vhost(vs, VHOST_SET_VRING_BASE, &base, "VHOST_SET_VRING_BASE") ||
		       vhost(vs, VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR") ||
		       vhost(vs, VHOST_SET_VRING_KICK, &kick, "VHOST_SET_VRING_KICK") ||
		       vhost(vs, VHOST_SET_VRING_CALL, &call, "VHOST_SET_VRING_CALL")
		   ? -1
		   : 0;
}

/*
 * The kernel's vsock sockets did not survive the snapshot, and the CID may be
 * another: VIRTIO_VSOCK_EVENT_TRANSPORT_RESET makes Linux drop its
 * connections and read guest_cid again. dev->lock held.
 */
static void send_transport_reset(struct vsock *vs)
{
	struct virtqueue *vq = &vs->dev->vqs[VSOCK_EVENT];
	struct vq_chain *c = malloc(sizeof(*c));
	enum vq_result r = c ? vq_pop(vq, c) : VQ_EMPTY;
	if (r == VQ_BAD)
		virtio_dev_bad_chain(vs->dev);
	if (r != VQ_OK) {
		if (!c || r == VQ_EMPTY)
			dev_err(vs->dev, "no event buffer: the guest keeps its old connections");
		free(c);
		return;
	}
	struct virtio_vsock_event ev = {.id = VIRTIO_VSOCK_EVENT_TRANSPORT_RESET};
	size_t n = iov_from_buf(c->iov + c->n_out, c->n_in, 0, &ev, sizeof(ev));
	virtio_complete(vs->dev, vq, c->head, (uint32_t)n);
	free(c);
}

/* DRIVER_OK: hand the negotiated features, guest RAM and both rings to the kernel. */
static int vsock_activate(struct virtio_dev *dev)
{
	struct vsock *vs = dev->priv;
	uint64_t features = dev->driver_features & vs->vhost_features;
	int one = 1;
	if (vhost(vs, VHOST_SET_FEATURES, &features, "VHOST_SET_FEATURES") ||
	    set_mem_table(vs) < 0 || setup_vring(vs, VSOCK_RX) < 0 ||
	    setup_vring(vs, VSOCK_TX) < 0 ||
	    vhost(vs, VHOST_VSOCK_SET_RUNNING, &one, "VHOST_VSOCK_SET_RUNNING"))
		return -1;
	vs->running = true;
	if (vs->restored && dev->vqs[VSOCK_EVENT].ready)
		send_transport_reset(vs);
	vs->restored = false;
	return 0;
}

static void set_running(struct vsock *vs, int on)
{
	vhost(vs, VHOST_VSOCK_SET_RUNNING, &on, "VHOST_VSOCK_SET_RUNNING");
}

/* The kernel must stop using the rings before the driver may reuse their memory. */
static void vsock_reset(struct virtio_dev *dev)
{
	struct vsock *vs = dev->priv;
	if (vs->running)
		set_running(vs, 0);
	vs->running = false;
	vs->restored = false;
	memset(vs->vring_base, 0, sizeof(vs->vring_base));
}

/* For a snapshot: the kernel stops, and says where it stopped in each ring. */
static void vsock_quiesce(struct virtio_dev *dev)
{
	struct vsock *vs = dev->priv;
	if (!vs->running)
		return;
	set_running(vs, 0);
	for (unsigned q = 0; q < VSOCK_VHOST_QUEUES; q++) {
		struct vhost_vring_state base = {.index = q};
		if (vhost(vs, VHOST_GET_VRING_BASE, &base, "VHOST_GET_VRING_BASE") == 0)
			vs->vring_base[q] = (uint16_t)base.num;
	}
}

static void vsock_resume(struct virtio_dev *dev)
{
	struct vsock *vs = dev->priv;
	if (vs->running)
		set_running(vs, 1);
}

static int vsock_save(struct virtio_dev *dev, struct snap_writer *w)
{
	struct vsock *vs = dev->priv;
	for (unsigned q = 0; q < VSOCK_VHOST_QUEUES; q++)
		snap_put_u16(w, vs->running ? vs->vring_base[q] : 0);
	return w->failed ? -1 : 0;
}

/* Any position is the kernel's to judge: vhost refuses a ring it cannot follow. */
static int vsock_load(struct virtio_dev *dev, struct snap_reader *r)
{
	struct vsock *vs = dev->priv;
	uint16_t base[VSOCK_VHOST_QUEUES];
	for (unsigned q = 0; q < VSOCK_VHOST_QUEUES; q++)
		if (snap_get_u16(r, &base[q]))
			return -1;
	memcpy(vs->vring_base, base, sizeof(base));
	vs->restored = true;
	return 0;
}

/* The event queue is written only after a restore (send_transport_reset). */
static void vsock_queue_notify(struct virtio_dev *dev, struct virtqueue *vq)
{
	(void)dev;
	(void)vq;
}

static void close_calls(struct vsock *vs)
{
	for (unsigned q = 0; q < VSOCK_VHOST_QUEUES; q++) {
		if (vs->call[q].fd < 0)
			continue;
		event_loop_del(vs->loop, &vs->call[q].watch);
		close(vs->call[q].fd);
		vs->call[q].fd = -1;
	}
}

static void vsock_destroy(struct virtio_dev *dev)
{
	struct vsock *vs = dev->priv;
	vsock_reset(dev);
	close_calls(vs);
	close(vs->vhost_fd);
	vs->vhost_fd = -1;
}

static const struct virtio_dev_ops vsock_ops = {
    .device_id = VIRTIO_ID_VSOCK,
    .num_queues = 3,
    .queue_max = 128,
    .external_kicks = true,
    .queue_notify = vsock_queue_notify,
    .activate = vsock_activate,
    .reset = vsock_reset,
    .destroy = vsock_destroy,
    /* The CID is this run's --vsock (two restored copies need two); TRANSPORT_RESET says so. */
    .config_restore = VIRTIO_CONFIG_FROM_OPTIONS,
    .quiesce = vsock_quiesce,
    .resume = vsock_resume,
    .save = vsock_save,
    .load = vsock_load,
};

static int parse_cid(const char *spec, uint64_t *cid)
{
	char *end;
	errno = 0;
	if (!strncmp(spec, "cid=", 4) && spec[4] >= '0' && spec[4] <= '9') {
		unsigned long long v = strtoull(spec + 4, &end, 10);
		/* 0-2 are the hypervisor, reserved and the host; -1 means "any". */
		if (!errno && !*end && v >= 3 && v < UINT32_MAX) {
			*cid = v;
			return 0;
		}
	}
	vmm_err("--vsock: expected cid=N with 3 <= N < 4294967295, got '%s'", spec);
	return -1;
}

static int open_vhost(struct vsock *vs, uint64_t cid)
{
	vs->vhost_fd = open("/dev/vhost-vsock", O_RDWR | O_CLOEXEC);
	if (vs->vhost_fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			vmm_err("--vsock: this host has no /dev/vhost-vsock "
				"(modprobe vhost_vsock, or run without --vsock)");
		else
			vmm_err("--vsock: /dev/vhost-vsock: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vs->vhost_fd, VHOST_VSOCK_SET_GUEST_CID, &cid) < 0) {
		if (errno == EADDRINUSE)
			vmm_err("--vsock: cid %" PRIu64 " is in use by another VM", cid);
		else
			vmm_err("--vsock: cannot use cid %" PRIu64 ": %s", cid, strerror(errno));
		return -1;
	}
	if (vhost(vs, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER") ||
	    vhost(vs, VHOST_GET_FEATURES, &vs->vhost_features, "VHOST_GET_FEATURES"))
		return -1;
	for (unsigned q = 0; q < VSOCK_VHOST_QUEUES; q++) {
		struct vsock_call *c = &vs->call[q];
		c->vs = vs;
		c->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		c->watch = (struct event_watch){c->fd, on_call, c};
		if (c->fd < 0 || event_loop_add(vs->loop, &c->watch, EPOLLIN) < 0) {
			vmm_err("--vsock: cannot watch vhost: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

int virtio_vsock_add(struct vm *vm, const char *spec)
{
	struct vsock *vs = calloc(1, sizeof(*vs));
	uint64_t cid;
	if (!vs) {
		vmm_err("--vsock: out of memory");
		return -1;
	}
	vs->vhost_fd = vs->call[0].fd = vs->call[1].fd = -1;
	vs->loop = vm_event_loop(vm);
	if (parse_cid(spec, &cid) < 0) {
		free(vs);
		return VIRTIO_BAD_SPEC;
	}
	if (open_vhost(vs, cid) < 0)
		goto fail;
	vs->config.guest_cid = cid;
	/* Offer the guest only what the kernel side can do. */
	uint64_t features = vs->vhost_features &
			    (1ull << VIRTIO_RING_F_EVENT_IDX | 1ull << VIRTIO_RING_F_INDIRECT_DESC);
	vs->dev = virtio_dev_create(vm, "vsock0", &vsock_ops, vs, features, &vs->config,
				    sizeof(vs->config));
	if (!vs->dev)
		goto fail;
	return 0;
fail:
	close_calls(vs);
	if (vs->vhost_fd >= 0)
		close(vs->vhost_fd);
	free(vs);
	return -1;
}
