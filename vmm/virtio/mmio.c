/*
 * virtio-mmio version 2 transport. The guest reaches it through the MMIO
 * bus on a vCPU thread; queue kicks arrive as ioeventfds and device work
 * runs on the event loop, so a vCPU only ever touches registers here.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "../util.h"
#include "../vm.h"
#include "virtio.h"
#include "virtio_dev.h"

#define VIRTIO_MMIO_MAGIC  0x74726976 /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4c4f5349 /* "ISOL" */

int dev_err(const struct virtio_dev *dev, const char *fmt, ...)
{
	char line[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return vmm_err("virtio-%s: %s", dev->name, line);
}

bool virtio_has_feature(const struct virtio_dev *dev, unsigned bit)
{
	return dev->driver_features & (1ull << bit);
}

void virtio_dev_count(struct virtio_dev *dev, uint64_t requests, uint64_t bytes)
{
	__atomic_add_fetch(&dev->stats.requests, requests, __ATOMIC_RELAXED);
	__atomic_add_fetch(&dev->stats.bytes, bytes, __ATOMIC_RELAXED);
}

void virtio_dev_raise(struct virtio_dev *dev, uint32_t int_bits)
{
	/* InterruptStatus first: the guest's handler reads it to find the cause. */
	__atomic_or_fetch(&dev->interrupt_status, int_bits, __ATOMIC_SEQ_CST);
	uint64_t one = 1;
	if (write(dev->irq_fd, &one, sizeof(one)) == sizeof(one))
		__atomic_add_fetch(&dev->stats.interrupts, 1, __ATOMIC_RELAXED);
}

void virtio_dev_fail(struct virtio_dev *dev, const char *why)
{
	if (dev->broken)
		return;
	/* Once per device: a guest that breaks and resets in a loop must not flood stderr. */
	if (!dev->failed_before)
		dev_err(dev, "guest error (%s); device needs reset", why);
	dev->failed_before = true;
	dev->broken = true;
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	dev->config_generation++;
	virtio_dev_raise(dev, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_dev_kick(struct virtio_dev *dev, unsigned q)
{
	if (q >= dev->ops->num_queues)
		return;
	pthread_mutex_lock(&dev->lock);
	struct virtqueue *vq = &dev->vqs[q];
	if (virtio_driver_ok(dev) && vq->ready)
		dev->ops->queue_notify(dev, vq);
	pthread_mutex_unlock(&dev->lock);
}

/* Event loop: a QueueNotify write landed on this queue's eventfd. */
static void on_kick(void *arg, uint32_t events)
{
	struct virtio_kick *k = arg;
	struct virtio_dev *dev = k->dev;
	uint64_t n;
	(void)events;
	/* The counter holds how many kicks arrived since the last read. */
	if (read(dev->kick_fd[k->q], &n, sizeof(n)) != sizeof(n))
		return;
	__atomic_add_fetch(&dev->stats.notifies, n, __ATOMIC_RELAXED);
	virtio_dev_kick(dev, k->q);
}

static uint32_t feature_word(uint64_t features, uint32_t sel)
{
	return sel == 0 ? (uint32_t)features : sel == 1 ? (uint32_t)(features >> 32) : 0;
}

static uint32_t read_reg(struct virtio_dev *dev, uint64_t off)
{
	struct virtqueue *vq =
	    dev->queue_sel < dev->ops->num_queues ? &dev->vqs[dev->queue_sel] : NULL;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return feature_word(dev->host_features, dev->dev_feat_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? vq->max_size : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&dev->interrupt_status, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return dev->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_generation;
	default:
		return 0;
	}
}

static void set_addr_half(uint64_t *addr, bool high, uint32_t val)
{
	if (high)
		*addr = (*addr & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*addr = (*addr & ~0xffffffffull) | val;
}

void virtio_dev_reset(struct virtio_dev *dev)
{
	if (dev->ops->reset)
		dev->ops->reset(dev);
	for (unsigned i = 0; i < dev->ops->num_queues; i++)
		vq_reset(&dev->vqs[i]);
	dev->status = 0;
	dev->driver_features = 0;
	dev->dev_feat_sel = dev->drv_feat_sel = dev->queue_sel = 0;
	__atomic_store_n(&dev->interrupt_status, 0, __ATOMIC_SEQ_CST);
	dev->broken = false;
}

static void write_status(struct virtio_dev *dev, uint32_t val)
{
	if (val == 0) {
		virtio_dev_reset(dev);
		return;
	}
	uint32_t added = val & ~dev->status;
	if (added & VIRTIO_CONFIG_S_FEATURES_OK) {
		/* Only modern drivers, and only features we offered. */
		if (!virtio_has_feature(dev, VIRTIO_F_VERSION_1) ||
		    (dev->driver_features & ~dev->host_features))
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	dev->status = val | (dev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
	if (!(added & VIRTIO_CONFIG_S_DRIVER_OK) || !(val & VIRTIO_CONFIG_S_FEATURES_OK) ||
	    dev->broken)
		return;
	if (dev->ops->activate && dev->ops->activate(dev) < 0) {
		virtio_dev_fail(dev, "device could not start");
		return;
	}
	/* Buffers the driver posted before DRIVER_OK: let the event loop look now. */
	virtio_dev_kick_ready(dev);
}

void virtio_dev_kick_ready(struct virtio_dev *dev)
{
	for (unsigned q = 0; q < dev->ops->num_queues && !dev->kick_external; q++) {
		uint64_t one = 1;
		if (dev->vqs[q].ready && write(dev->kick_fd[q], &one, sizeof(one)) < 0)
			virtio_dev_fail(dev, "queue kick lost");
	}
}

static void queue_ready(struct virtio_dev *dev, struct virtqueue *vq, uint32_t val)
{
	if (!val) {
		vq->ready = false;
		return;
	}
	if (vq->ready)
		return;
	if (!vq_activate(vq, dev->mem, virtio_has_feature(dev, VIRTIO_RING_F_EVENT_IDX)))
		virtio_dev_fail(dev, "queue size or ring address invalid");
}

static void write_reg(struct virtio_dev *dev, uint64_t off, uint32_t val)
{
	struct virtqueue *vq =
	    dev->queue_sel < dev->ops->num_queues ? &dev->vqs[dev->queue_sel] : NULL;
	bool setup = vq && !vq->ready;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		dev->dev_feat_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (dev->status & VIRTIO_CONFIG_S_FEATURES_OK)
			break;
		if (dev->drv_feat_sel == 0)
			dev->driver_features = (dev->driver_features & ~0xffffffffull) | val;
		else if (dev->drv_feat_sel == 1)
			dev->driver_features =
			    (dev->driver_features & 0xffffffffull) | ((uint64_t)val << 32);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		dev->drv_feat_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		dev->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (setup)
			vq->size = val > 0xffff ? 0 : (uint16_t)val; /* checked at QueueReady */
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (vq)
			queue_ready(dev, vq, val);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Only reached without KVM ioeventfds (tests): hand it to the event loop. */
		if (val < dev->ops->num_queues && !dev->kick_external) {
			uint64_t one = 1;
			if (write(dev->kick_fd[val], &one, sizeof(one)) != sizeof(one))
				virtio_dev_fail(dev, "queue kick lost");
		}
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_and_fetch(&dev->interrupt_status, ~val, __ATOMIC_SEQ_CST);
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(dev, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (setup)
			set_addr_half(&vq->desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (setup)
			set_addr_half(&vq->avail_gpa, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (setup)
			set_addr_half(&vq->used_gpa, off == VIRTIO_MMIO_QUEUE_USED_HIGH, val);
		break;
	default:
		break; /* read-only or unknown: ignored, as on hardware */
	}
}

static void mmio_read(struct bus_device *bdev, uint64_t off, void *data, uint32_t len)
{
	struct virtio_dev *dev = bdev->opaque;

	memset(data, 0, len);
	pthread_mutex_lock(&dev->lock);
	if (dev->dead) {
		/* vmm is exiting: the config space may be gone. */
	} else if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t c = off - VIRTIO_MMIO_CONFIG;
		if (c < dev->config_len && len <= dev->config_len - c)
			memcpy(data, dev->config + c, len);
	} else if (len == 4) {
		uint32_t v = read_reg(dev, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&dev->lock);
}

static void mmio_write(struct bus_device *bdev, uint64_t off, const void *data, uint32_t len)
{
	struct virtio_dev *dev = bdev->opaque;

	pthread_mutex_lock(&dev->lock);
	if (dev->dead) {
		/* vmm is exiting: the device's resources are gone. */
	} else if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t c = off - VIRTIO_MMIO_CONFIG;
		if (c < dev->config_len && len <= dev->config_len - c && dev->ops->config_write)
			dev->ops->config_write(dev, (uint32_t)c, data, len);
	} else if (len == 4) {
		uint32_t v;
		memcpy(&v, data, 4);
		write_reg(dev, off, v);
	}
	pthread_mutex_unlock(&dev->lock);
}

const struct bus_device_ops virtio_mmio_ops = {
    .read = mmio_read, .write = mmio_write, .save = virtio_dev_save, .load = virtio_dev_load};

static int kvm_ioeventfd(struct virtio_dev *dev, unsigned q, bool assign)
{
	struct kvm_ioeventfd io = {
	    .datamatch = q,
	    .addr = dev->bus.base + VIRTIO_MMIO_QUEUE_NOTIFY,
	    .len = 4,
	    .fd = dev->kick_fd[q],
	    .flags = KVM_IOEVENTFD_FLAG_DATAMATCH | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};
	return ioctl(vm_fd(dev->vm), KVM_IOEVENTFD, &io);
}

static int kvm_irqfd(struct virtio_dev *dev, bool assign)
{
	struct kvm_irqfd irq = {
	    .fd = (uint32_t)dev->irq_fd,
	    .gsi = (uint32_t)dev->irq,
	    .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};
	return ioctl(vm_fd(dev->vm), KVM_IRQFD, &irq);
}

/* Undoes what wire_eventfds did, in any state. */
static void unwire_eventfds(struct virtio_dev *dev, unsigned nq, bool kvm)
{
	for (unsigned q = 0; q < nq; q++) {
		if (dev->kick_fd[q] < 0)
			continue;
		if (!dev->kick_external)
			event_loop_del(dev->loop, &dev->kick_watch[q]);
		if (kvm)
			kvm_ioeventfd(dev, q, false);
		close(dev->kick_fd[q]);
		dev->kick_fd[q] = -1;
	}
	if (dev->irq_fd >= 0) {
		if (kvm)
			kvm_irqfd(dev, false);
		close(dev->irq_fd);
		dev->irq_fd = -1;
	}
}

/*
 * Without a KVM VM (unit tests, the fuzzer) the eventfds still exist: the
 * transport writes the kick eventfd itself and a test reads the irq one.
 */
static int wire_eventfds(struct virtio_dev *dev)
{
	bool kvm = vm_fd(dev->vm) >= 0;
	unsigned q;

	dev->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dev->irq_fd < 0 || (kvm && kvm_irqfd(dev, true) < 0))
		goto fail;
	for (q = 0; q < dev->ops->num_queues; q++) {
		dev->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->kick_fd[q] < 0 || (kvm && kvm_ioeventfd(dev, q, true) < 0))
			goto fail;
		dev->kick_ctx[q] = (struct virtio_kick){.dev = dev, .q = q};
		dev->kick_watch[q] =
		    (struct event_watch){dev->kick_fd[q], on_kick, &dev->kick_ctx[q]};
		if (!dev->kick_external &&
		    event_loop_add(dev->loop, &dev->kick_watch[q], EPOLLIN) < 0)
			goto fail;
	}
	return 0;
fail:
	dev_err(dev, "cannot wire queue notifications and interrupts: %s", strerror(errno));
	unwire_eventfds(dev, dev->ops->num_queues, kvm);
	return -1;
}

/* "key: value" lines, the --stats format: virtio_blk0_requests: N ... */
static void print_device_stats(void *opaque, FILE *out)
{
	struct virtio_dev *dev = opaque;
	static const char *const names[] = {"requests", "bytes", "notifications", "interrupts"};
	const uint64_t *counters[] = {&dev->stats.requests, &dev->stats.bytes, &dev->stats.notifies,
				      &dev->stats.interrupts};
	for (unsigned i = 0; i < 4; i++)
		fprintf(out, "virtio_%s_%s: %" PRIu64 "\n", dev->name, names[i],
			__atomic_load_n(counters[i], __ATOMIC_RELAXED));
}

struct virtio_dev *virtio_dev_create(struct vm *vm, const char *name,
				     const struct virtio_dev_ops *ops, void *priv,
				     uint64_t features, void *config, uint32_t config_len)
{
	struct virtio_dev *dev = calloc(1, sizeof(*dev));
	if (!dev) {
		vmm_err("virtio-%s: out of memory", name);
		return NULL;
	}
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->ops = ops;
	dev->priv = priv;
	dev->host_features = features | (1ull << VIRTIO_F_VERSION_1);
	dev->config = config;
	dev->config_len = config_len;
	dev->vm = vm;
	dev->loop = vm_event_loop(vm);
	dev->mem = vm_mem(vm);
	dev->irq_fd = -1;
	dev->kick_external = ops->external_kicks;
	pthread_mutex_init(&dev->lock, NULL);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		dev->kick_fd[q] = -1;
		vq_init(&dev->vqs[q], q, ops->queue_max);
	}

	dev->irq = vm_alloc_irq(vm);
	uint64_t base = vm_alloc_mmio(vm, VIRTIO_MMIO_WINDOW);
	if (dev->irq < 0 || base == 0) {
		dev_err(dev, "no free %s left for another device",
			dev->irq < 0 ? "interrupt line" : "MMIO window");
		free(dev);
		return NULL;
	}
	dev->bus = (struct bus_device){.name = dev->name,
				       .base = base,
				       .len = VIRTIO_MMIO_WINDOW,
				       .ops = &virtio_mmio_ops,
				       .opaque = dev};
	if (wire_eventfds(dev) < 0) {
		free(dev);
		return NULL;
	}
	if (bus_register(vm_mmio_bus(vm), &dev->bus) < 0 ||
	    vm_announce_mmio_device(vm, "virtio,mmio", base, VIRTIO_MMIO_WINDOW, dev->irq) < 0) {
		dev_err(dev, "cannot announce the device: %s", strerror(errno));
		unwire_eventfds(dev, ops->num_queues, vm_fd(vm) >= 0);
		free(dev);
		return NULL;
	}
	if (vm_add_stats_hook(vm, print_device_stats, dev) < 0)
		dev_err(dev, "no room for its --stats counters");
	/* Appended, so the guest discovers devices in the order they were added. */
	struct virtio_dev **tail = vm_virtio_devices(vm);
	while (*tail)
		tail = &(*tail)->next;
	*tail = dev;
	return dev;
}

unsigned virtio_count(struct vm *vm, uint32_t device_id)
{
	unsigned n = 0;
	for (struct virtio_dev *dev = *vm_virtio_devices(vm); dev; dev = dev->next)
		n += dev->ops->device_id == device_id;
	return n;
}

struct virtio_dev *virtio_find(struct vm *vm, uint32_t device_id, unsigned index)
{
	for (struct virtio_dev *dev = *vm_virtio_devices(vm); dev; dev = dev->next)
		if (dev->ops->device_id == device_id && index-- == 0)
			return dev;
	return NULL;
}

void virtio_for_each_device(struct vm *vm, void (*fn)(struct virtio_dev *dev, void *opaque),
			    void *opaque)
{
	for (struct virtio_dev *dev = *vm_virtio_devices(vm); dev; dev = dev->next)
		fn(dev, opaque);
}

int virtio_start(struct vm *vm)
{
	return *vm_virtio_devices(vm) ? event_loop_start(vm_event_loop(vm)) : 0;
}

/* The loop no longer runs: nothing else can reach the device now. */
static void destroy_device(struct virtio_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	dev->dead = true;
	if (dev->ops->destroy)
		dev->ops->destroy(dev);
	unwire_eventfds(dev, dev->ops->num_queues, vm_fd(dev->vm) >= 0);
	pthread_mutex_unlock(&dev->lock);
	pthread_mutex_destroy(&dev->lock);
	free(dev->priv);
	free(dev);
}

void virtio_shutdown(struct vm *vm)
{
	struct virtio_dev **list = vm_virtio_devices(vm);
	event_loop_stop(vm_event_loop(vm));
	while (*list) {
		struct virtio_dev *dev = *list;
		*list = dev->next;
		destroy_device(dev);
	}
}

bool virtio_has_devices(struct vm *vm)
{
	return *vm_virtio_devices(vm) != NULL;
}

/* For the monitor's `info devices`: what was negotiated and where each queue stands. */
void virtio_print_info(struct vm *vm, FILE *out)
{
	for (struct virtio_dev *dev = *vm_virtio_devices(vm); dev; dev = dev->next) {
		pthread_mutex_lock(&dev->lock);
		fprintf(out, "%s: mmio 0x%" PRIx64 " irq %d, status 0x%02x%s\n", dev->name,
			dev->bus.base, dev->irq, dev->status,
			dev->broken ? " (needs reset: the guest broke the rules)" : "");
		fprintf(out, "  features: offered 0x%016" PRIx64 ", accepted 0x%016" PRIx64 "\n",
			dev->host_features, dev->driver_features);
		for (unsigned q = 0; q < dev->ops->num_queues; q++) {
			const struct virtqueue *vq = &dev->vqs[q];
			if (!vq->ready) {
				fprintf(out, "  queue %u: not set up by the driver\n", q);
				continue;
			}
			/* The ring was checked to lie in guest RAM when the driver enabled it. */
			uint16_t avail =
			    le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
			fprintf(out,
				"  queue %u: size %u, avail idx %u, device next %u, used idx %u\n",
				q, vq->size, avail, vq->last_avail, vq->used_idx);
		}
		pthread_mutex_unlock(&dev->lock);
	}
}

void virtio_print_stats(struct vm *vm, FILE *out)
{
	for (struct virtio_dev *dev = *vm_virtio_devices(vm); dev; dev = dev->next)
		print_device_stats(dev, out);
}
