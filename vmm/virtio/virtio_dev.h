/*
 * What a virtio device implements, and what the virtio-mmio transport
 * (mmio.c) does for it: registers, feature negotiation, queue setup,
 * ioeventfd kicks in, irqfd interrupts out, NEEDS_RESET on guest misbehaviour.
 */
#ifndef VMM_VIRTIO_DEV_H
#define VMM_VIRTIO_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../bus.h"
#include "../event_loop.h"
#include "queue.h"

#define VIRTIO_MAX_QUEUES  4
#define VIRTIO_MMIO_WINDOW 0x200

struct virtio_dev;
struct snap_writer;
struct snap_reader;

/* What a restored device shows in its config space (state.c). */
enum virtio_config_restore {
	VIRTIO_CONFIG_FROM_SNAPSHOT, /* the saved bytes: the guest keeps what it read (net's MAC) */
	VIRTIO_CONFIG_MUST_MATCH,    /* derived from the backend (a disk's size): must not change */
	VIRTIO_CONFIG_FROM_OPTIONS,  /* from this run's options (vsock's CID); the device tells the
					guest */
};

/* The small ops table each device file fills in. */
struct virtio_dev_ops {
	uint32_t device_id; /* VIRTIO_ID_* */
	uint16_t num_queues;
	uint16_t queue_max;
	/* Queue kicks go to the kernel (vhost), not to the event loop. */
	bool external_kicks;
	/* Guest wrote the device config space (after bounds checks); may be NULL. */
	void (*config_write)(struct virtio_dev *dev, uint32_t off, const void *data, uint32_t len);
	/* A queue was kicked. Event loop thread, dev->lock held. */
	void (*queue_notify)(struct virtio_dev *dev, struct virtqueue *vq);
	/* DRIVER_OK with the negotiated features; -1 marks the device NEEDS_RESET. */
	int (*activate)(struct virtio_dev *dev);
	/* Driver reset: stop touching guest memory before returning. dev->lock held. */
	void (*reset)(struct virtio_dev *dev);
	/* vmm exits: release host resources (files, TAPs); the transport then frees priv. */
	void (*destroy)(struct virtio_dev *dev);

	/* Snapshot and migration (state.c); every hook may be NULL. */
	enum virtio_config_restore config_restore;
	/*
	 * Stop touching guest memory until resume, with nothing half-done: requests
	 * in flight complete first (blk's workers), vhost stops. dev->lock held.
	 */
	void (*quiesce)(struct virtio_dev *dev);
	void (*resume)(struct virtio_dev *dev);
	/* Device state beyond the transport's, quiesced; it follows the transport's in the section.
	 */
	int (*save)(struct virtio_dev *dev, struct snap_writer *w);
	/*
	 * Reads what save wrote into a device fresh from the same options; checks
	 * every value before it changes anything (-1 after snap_bad). The
	 * transport then activates the device if the driver had (DRIVER_OK).
	 */
	int (*load)(struct virtio_dev *dev, struct snap_reader *r);
};

struct virtio_stats {
	uint64_t requests;   /* chains completed */
	uint64_t bytes;	     /* payload moved */
	uint64_t notifies;   /* queue kicks from the guest (each one a VM exit without ioeventfd) */
	uint64_t interrupts; /* interrupts injected */
};

struct virtio_dev {
	char name[16]; /* "blk0", "net1": messages and statistics */
	const struct virtio_dev_ops *ops;
	void *priv;
	uint64_t host_features;
	uint8_t *config; /* device-owned config space, config_len bytes */
	uint32_t config_len;

	struct vm *vm;
	struct event_loop *loop; /* the VM's: kicks and device fds are watched there */
	const struct guest_mem *mem;
	struct bus_device bus;
	int irq;

	pthread_mutex_t lock; /* transport state, and queue popping */
	uint32_t status;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
	uint64_t driver_features;
	uint32_t interrupt_status; /* atomic: set by any thread, cleared by the guest */
	uint32_t config_generation;
	bool broken;	    /* guest broke the rules: ignore its queues until reset */
	bool dead;	    /* vmm is shutting down */
	bool failed_before; /* its guest error was reported already */
	bool paused;	    /* quiesced for a snapshot: queues are not served (state.c) */

	struct virtqueue vqs[VIRTIO_MAX_QUEUES];
	int kick_fd[VIRTIO_MAX_QUEUES]; /* ioeventfd: QueueNotify writes */
	struct event_watch kick_watch[VIRTIO_MAX_QUEUES];
	struct virtio_kick {
		struct virtio_dev *dev;
		unsigned q;
	} kick_ctx[VIRTIO_MAX_QUEUES];
	bool kick_external; /* kicks go elsewhere (vhost): do not watch them */
	int irq_fd;	    /* irqfd on dev->irq */

	struct virtio_stats stats; /* updated with __atomic ops */
	struct virtio_dev *next;   /* the VM's list, in the order devices were added */
};

/*
 * Creates the transport for a device and announces it to the guest (MMIO
 * window, IRQ, kernel command line). Call once the device's own resources are
 * ready; on failure prints one line and returns NULL with nothing registered.
 */
struct virtio_dev *virtio_dev_create(struct vm *vm, const char *name,
				     const struct virtio_dev_ops *ops, void *priv,
				     uint64_t features, void *config, uint32_t config_len);

/* How many devices of this VIRTIO_ID_* the VM has so far: the next one's index ("net1"). */
unsigned virtio_count(struct vm *vm, uint32_t device_id);
/* The index-th device of this VIRTIO_ID_* (net1: VIRTIO_ID_NET, 1), or NULL. */
struct virtio_dev *virtio_find(struct vm *vm, uint32_t device_id, unsigned index);
/* Calls fn on every virtio device of the VM, in the order they were added. */
void virtio_for_each_device(struct vm *vm, void (*fn)(struct virtio_dev *dev, void *opaque),
			    void *opaque);

/* "vmm: virtio-blk0: message" on stderr: every device message names its device. Returns -1. */
int dev_err(const struct virtio_dev *dev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

bool virtio_has_feature(const struct virtio_dev *dev, unsigned bit);
/* The driver set DRIVER_OK, the guest broke no rule and vmm is not exiting: queues may be served.
 */
bool virtio_driver_ok(const struct virtio_dev *dev);

/*
 * What a device does with one request (request.c). Returns the bytes it wrote
 * into the chain, VIRTIO_REQ_LATER when it completes the chain itself later
 * (virtio_complete, e.g. from a worker), or VIRTIO_REQ_FAILED after
 * virtio_dev_fail.
 */
enum { VIRTIO_REQ_LATER = -1, VIRTIO_REQ_FAILED = -2 };
typedef int64_t (*virtio_request_fn)(struct virtio_dev *dev, struct virtqueue *vq,
				     struct vq_chain *c);
/*
 * The serve loop of every queue the guest fills: pops each available chain
 * into scratch, runs fn, returns the chain; one interrupt decision per batch;
 * a malformed chain fails the device; ends when the ring stays empty after
 * notifications are re-enabled.
 */
void virtio_serve(struct virtio_dev *dev, struct virtqueue *vq, struct vq_chain *scratch,
		  virtio_request_fn fn);
/* The end of one request: used ring, EVENT_IDX decision, interrupt. Any thread. */
void virtio_complete(struct virtio_dev *dev, struct virtqueue *vq, uint16_t head, uint32_t written);
/* After several vq_push: interrupts the guest if it wants one. Any thread. */
void virtio_dev_notify(struct virtio_dev *dev, struct virtqueue *vq);
/* A chain broke the queue rules (vq_pop said VQ_BAD): virtio_dev_fail with the one message. */
void virtio_dev_bad_chain(struct virtio_dev *dev);
/* Forces a used-buffer interrupt (vhost call forwarding). Any thread. */
void virtio_dev_raise(struct virtio_dev *dev, uint32_t int_bits);
/* The guest broke a rule: NEEDS_RESET, config interrupt, queues ignored. */
void virtio_dev_fail(struct virtio_dev *dev, const char *why);
void virtio_dev_count(struct virtio_dev *dev, uint64_t requests, uint64_t bytes);

/* Driver reset (status 0): the device forgets the driver's setup. dev->lock held. */
void virtio_dev_reset(struct virtio_dev *dev);
/* Lets the event loop look at every ready queue, as after DRIVER_OK. dev->lock held. */
void virtio_dev_kick_ready(struct virtio_dev *dev);
/* The transport's section of a snapshot: its state, then the device's (state.c). */
int virtio_dev_save(struct bus_device *bdev, struct snap_writer *w);
int virtio_dev_load(struct bus_device *bdev, struct snap_reader *r);

/* For tests and the fuzzer: the transport's bus callbacks. */
extern const struct bus_device_ops virtio_mmio_ops;
/* Runs one queue's kick handler synchronously, as the event loop would. */
void virtio_dev_kick(struct virtio_dev *dev, unsigned q);

#endif
