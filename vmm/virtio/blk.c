/*
 * virtio-blk over a raw image file or block device. The event loop only
 * pops requests; a few worker threads run them (preadv/pwritev, fdatasync,
 * fallocate), so several requests are in flight and a slow flush never
 * holds up a read.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "../util.h"
#include "../vm.h"
#include "blk.h"
#include "virtio.h"

#define BLK_WORKERS		4
#define BLK_QUEUE_SIZE		256
#define BLK_SECTOR		512
#define BLK_DIRECT_ALIGN	4096
#define BLK_MAX_DISCARD_SEG	32
#define BLK_MAX_DISCARD_SECTORS (1u << 22)

struct blk_req {
	struct blk_req *next;
	struct virtqueue *vq;
	struct vq_chain chain;
};

struct blk {
	struct virtio_dev *dev;
	int fd;
	bool ro, direct;
	bool locked;   /* holds the image's flock (an incoming migration takes it late) */
	char *path;    /* for messages */
	uint64_t size; /* bytes the guest may address */
	char id[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_config config;

	pthread_mutex_t lock; /* job list and counters below */
	pthread_cond_t work, idle;
	struct blk_req *head, *tail;
	unsigned inflight;
	bool stop;
	pthread_t workers[BLK_WORKERS];
	unsigned nr_workers;
	struct vq_chain chain; /* event loop scratch */
};

struct blk_opts {
	char path[PATH_MAX];
	bool ro, direct;
};

static int parse_spec(const char *spec, struct blk_opts *o)
{
	const char *comma = strchr(spec, ',');
	size_t len = comma ? (size_t)(comma - spec) : strlen(spec);

	memset(o, 0, sizeof(*o));
	if (len == 0 || len >= sizeof(o->path)) {
		vmm_err("--disk: expected PATH[,ro][,direct], got '%s'", spec);
		return -1;
	}
	memcpy(o->path, spec, len);
	while (comma) {
		const char *opt = comma + 1;
		comma = strchr(opt, ',');
		size_t n = comma ? (size_t)(comma - opt) : strlen(opt);
		if (n == 2 && !strncmp(opt, "ro", 2))
			o->ro = true;
		else if (n == 6 && !strncmp(opt, "direct", 6))
			o->direct = true;
		else {
			vmm_err("--disk %s: unknown option '%.*s' (ro, direct)", o->path, (int)n,
				opt);
			return -1;
		}
	}
	return 0;
}

static int disk_size(int fd, const char *path, uint64_t *size)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		vmm_err("disk %s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0) {
			vmm_err("disk %s: %s", path, strerror(errno));
			return -1;
		}
	} else {
		vmm_err("disk %s: not a regular file or block device", path);
		return -1;
	}
	return 0;
}

/* Opens the image as asked, with a message a user can act on when it fails. */
static int lock_disk(int fd, bool ro, const char *path)
{
	if (flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0)
		return vmm_err("disk %s: in use by another process", path);
	return 0;
}

/* defer_lock: an incoming migration's source holds the lock until it hands the guest over. */
static int open_disk(const struct blk_opts *o, uint64_t *size, bool defer_lock)
{
	int flags = (o->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | (o->direct ? O_DIRECT : 0);
	int fd = open(o->path, flags);
	if (fd < 0) {
		if (!o->ro && (errno == EACCES || errno == EROFS || errno == EPERM))
			vmm_err("disk %s: not writable (%s); add ,ro to use it read-only", o->path,
				strerror(errno));
		else
			vmm_err("disk %s: %s", o->path, strerror(errno));
		return -1;
	}
	/* Two writers on one image would corrupt its file system. */
	if (!defer_lock && lock_disk(fd, o->ro, o->path) < 0) {
		close(fd);
		return -1;
	}
	if (disk_size(fd, o->path, size) < 0) {
		close(fd);
		return -1;
	}
	uint64_t unit = o->direct ? BLK_DIRECT_ALIGN : BLK_SECTOR;
	*size -= *size % unit;
	if (*size == 0) {
		vmm_err("disk %s: smaller than one %llu-byte block", o->path,
			(unsigned long long)unit);
		close(fd);
		return -1;
	}
	return fd;
}

/* Whole-range preadv/pwritev: regular files may return short counts. */
static int rw_full(int fd, struct iovec *iov, unsigned n, uint64_t off, bool write)
{
	while (n) {
		ssize_t r = write ? pwritev(fd, iov, (int)n, (off_t)off)
				  : preadv(fd, iov, (int)n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += (uint64_t)r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

static bool direct_aligned(const struct iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if ((uintptr_t)iov[i].iov_base % BLK_DIRECT_ALIGN ||
		    iov[i].iov_len % BLK_DIRECT_ALIGN)
			return false;
	return true;
}

/* O_DIRECT needs aligned memory: guest buffers that are not go through a bounce buffer. */
static int do_rw(struct blk *b, struct iovec *iov, unsigned n, uint64_t off, size_t len, bool write)
{
	if (!b->direct || direct_aligned(iov, n))
		return rw_full(b->fd, iov, n, off, write);
	void *bounce;
	if (posix_memalign(&bounce, BLK_DIRECT_ALIGN, len))
		return -1;
	struct iovec one = {bounce, len};
	if (write)
		iov_to_buf(iov, n, 0, bounce, len);
	int r = rw_full(b->fd, &one, 1, off, write);
	if (r == 0 && !write)
		iov_from_buf(iov, n, 0, bounce, len);
	free(bounce);
	return r;
}

static bool in_range(const struct blk *b, uint64_t sector, uint64_t bytes)
{
	return sector <= b->size / BLK_SECTOR && bytes <= b->size - sector * BLK_SECTOR;
}

static int write_zeroes_slow(struct blk *b, uint64_t off, uint64_t len)
{
	static const char zeroes[65536] __attribute__((aligned(BLK_DIRECT_ALIGN)));
	while (len) {
		size_t n = len < sizeof(zeroes) ? len : sizeof(zeroes);
		struct iovec v = {(void *)zeroes, n};
		if (rw_full(b->fd, &v, 1, off, true) < 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

static uint8_t discard_or_zero(struct blk *b, const struct vq_chain *c, uint32_t type)
{
	struct virtio_blk_discard_write_zeroes seg;
	uint64_t payload = c->out_len - sizeof(struct virtio_blk_outhdr);
	if (b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (payload == 0 || payload % sizeof(seg) || payload / sizeof(seg) > BLK_MAX_DISCARD_SEG)
		return VIRTIO_BLK_S_UNSUPP;
	for (uint64_t i = 0; i < payload / sizeof(seg); i++) {
		iov_to_buf(c->iov, c->n_out, sizeof(struct virtio_blk_outhdr) + i * sizeof(seg),
			   &seg, sizeof(seg));
		uint64_t off = seg.sector * BLK_SECTOR,
			 len = (uint64_t)seg.num_sectors * BLK_SECTOR;
		if (seg.num_sectors > BLK_MAX_DISCARD_SECTORS || !in_range(b, seg.sector, len))
			return VIRTIO_BLK_S_IOERR;
		if (type == VIRTIO_BLK_T_DISCARD) {
			/* Advisory: a file system without hole punching just keeps the bytes. */
			if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
				      (off_t)len) < 0 &&
			    errno != EOPNOTSUPP)
				return VIRTIO_BLK_S_IOERR;
			continue;
		}
		int mode = (seg.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)
			       ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
			       : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
		if (fallocate(b->fd, mode, (off_t)off, (off_t)len) < 0 &&
		    (errno != EOPNOTSUPP || write_zeroes_slow(b, off, len) < 0))
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* Data of a read or write: the out part after the header, or the in part before the status. */
static uint8_t read_write(struct blk *b, const struct vq_chain *c, uint32_t type, uint64_t sector,
			  uint64_t *moved)
{
	struct iovec iov[VQ_MAX_SIZE];
	bool write = type == VIRTIO_BLK_T_OUT;
	uint64_t len = write ? c->out_len - sizeof(struct virtio_blk_outhdr) : c->in_len - 1;
	unsigned n = write ? iov_slice(c->iov, c->n_out, sizeof(struct virtio_blk_outhdr), len, iov)
			   : iov_slice(c->iov + c->n_out, c->n_in, 0, len, iov);

	if (write && b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (len % BLK_SECTOR || !in_range(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (len && do_rw(b, iov, n, sector * BLK_SECTOR, len, write) < 0)
		return VIRTIO_BLK_S_IOERR;
	*moved = len;
	return VIRTIO_BLK_S_OK;
}

int64_t virtio_blk_execute(struct virtio_dev *dev, const struct vq_chain *c)
{
	struct blk *b = dev->priv;
	struct virtio_blk_outhdr hdr;
	const struct iovec *in = c->iov + c->n_out;
	uint64_t moved = 0, written = 1; /* the status byte */
	uint8_t status;

	if (c->in_len == 0)
		return -1;
	if (iov_to_buf(c->iov, c->n_out, 0, &hdr, sizeof(hdr)) < sizeof(hdr)) {
		status = VIRTIO_BLK_S_IOERR;
	} else if (hdr.type == VIRTIO_BLK_T_IN || hdr.type == VIRTIO_BLK_T_OUT) {
		status = read_write(b, c, hdr.type, hdr.sector, &moved);
		if (hdr.type == VIRTIO_BLK_T_IN)
			written += moved;
	} else if (hdr.type == VIRTIO_BLK_T_FLUSH) {
		status = b->ro || fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	} else if (hdr.type == VIRTIO_BLK_T_GET_ID) {
		uint64_t room = c->in_len - 1;
		moved = room < sizeof(b->id) ? room : sizeof(b->id);
		iov_from_buf(in, c->n_in, 0, b->id, moved);
		written += moved;
		status = VIRTIO_BLK_S_OK;
	} else if (hdr.type == VIRTIO_BLK_T_DISCARD || hdr.type == VIRTIO_BLK_T_WRITE_ZEROES) {
		status = discard_or_zero(b, c, hdr.type);
	} else {
		status = VIRTIO_BLK_S_UNSUPP;
	}
	iov_from_buf(in, c->n_in, c->in_len - 1, &status, 1);
	virtio_dev_count(dev, 1, moved);
	return (int64_t)written;
}

static void complete(struct blk *b, struct blk_req *r)
{
	/* Chains without a status byte were refused before they got here. */
	int64_t written = virtio_blk_execute(b->dev, &r->chain);
	if (written < 0)
		written = 0;
	virtio_complete(b->dev, r->vq, r->chain.head, (uint32_t)written);
}

static void *worker_main(void *arg)
{
	struct blk *b = arg;
	pthread_mutex_lock(&b->lock);
	for (;;) {
		while (!b->head && !b->stop)
			pthread_cond_wait(&b->work, &b->lock);
		if (!b->head)
			break;
		struct blk_req *r = b->head;
		b->head = r->next;
		if (!b->head)
			b->tail = NULL;
		pthread_mutex_unlock(&b->lock);
		complete(b, r);
		free(r);
		pthread_mutex_lock(&b->lock);
		if (--b->inflight == 0)
			pthread_cond_broadcast(&b->idle);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static void enqueue(struct blk *b, struct blk_req *r)
{
	pthread_mutex_lock(&b->lock);
	r->next = NULL;
	if (b->tail)
		b->tail->next = r;
	else
		b->head = r;
	b->tail = r;
	b->inflight++;
	pthread_cond_signal(&b->work);
	pthread_mutex_unlock(&b->lock);
}

void virtio_blk_wait_idle(struct virtio_dev *dev)
{
	struct blk *b = dev->priv;
	pthread_mutex_lock(&b->lock);
	while (b->inflight)
		pthread_cond_wait(&b->idle, &b->lock);
	pthread_mutex_unlock(&b->lock);
}

/* Event loop: the request goes to a worker, which completes it. */
static int64_t blk_request(struct virtio_dev *dev, struct virtqueue *vq, struct vq_chain *c)
{
	if (c->in_len == 0) {
		virtio_dev_fail(dev, "block request without a status byte");
		return VIRTIO_REQ_FAILED;
	}
	/* Only the segments in use: a chain is mostly an unused iovec array. */
	size_t used = offsetof(struct vq_chain, iov) + (c->n_out + c->n_in) * sizeof(c->iov[0]);
	struct blk_req *r = malloc(offsetof(struct blk_req, chain) + used);
	if (!r) {
		virtio_dev_fail(dev, "out of memory for a block request");
		return VIRTIO_REQ_FAILED;
	}
	memcpy(&r->chain, c, used);
	r->vq = vq;
	enqueue(dev->priv, r);
	return VIRTIO_REQ_LATER;
}

static void blk_queue_notify(struct virtio_dev *dev, struct virtqueue *vq)
{
	struct blk *b = dev->priv;
	virtio_serve(dev, vq, &b->chain, blk_request);
}

/* Reset (and a snapshot) may not go on while a worker could still write into guest memory. */
static void blk_drain(struct virtio_dev *dev)
{
	virtio_blk_wait_idle(dev);
}

static void blk_destroy(struct virtio_dev *dev)
{
	struct blk *b = dev->priv;
	pthread_mutex_lock(&b->lock);
	b->stop = true;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->lock);
	for (unsigned i = 0; i < b->nr_workers; i++)
		pthread_join(b->workers[i], NULL);
	b->nr_workers = 0;
	close(b->fd);
	b->fd = -1;
	free(b->path);
	b->path = NULL;
}

static const struct virtio_dev_ops blk_ops = {
    .device_id = VIRTIO_ID_BLOCK,
    .num_queues = 1,
    .queue_max = BLK_QUEUE_SIZE,
    .queue_notify = blk_queue_notify,
    .reset = blk_drain,
    .destroy = blk_destroy,
    /* The capacity is the image's: a snapshot of another size is refused. */
    .config_restore = VIRTIO_CONFIG_MUST_MATCH,
    /* Nothing half-done in a snapshot: every request taken completes first. */
    .quiesce = blk_drain,
};

static uint64_t blk_features(const struct blk *b)
{
	uint64_t f = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
		     1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_RING_F_INDIRECT_DESC |
		     1ull << VIRTIO_RING_F_EVENT_IDX;
	if (b->ro)
		return f | 1ull << VIRTIO_BLK_F_RO;
	return f | 1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
}

static void fill_config(struct blk *b)
{
	struct virtio_blk_config *c = &b->config;
	uint32_t block = b->direct ? BLK_DIRECT_ALIGN : BLK_SECTOR;
	c->capacity = b->size / BLK_SECTOR;
	c->seg_max = BLK_QUEUE_SIZE - 2; /* header and status take a descriptor each */
	c->blk_size = block;
	c->max_discard_sectors = BLK_MAX_DISCARD_SECTORS;
	c->max_discard_seg = BLK_MAX_DISCARD_SEG;
	c->discard_sector_alignment = block / BLK_SECTOR;
	c->max_write_zeroes_sectors = BLK_MAX_DISCARD_SECTORS;
	c->max_write_zeroes_seg = BLK_MAX_DISCARD_SEG;
	c->write_zeroes_may_unmap = 1;
}

static int start_workers(struct blk *b)
{
	for (; b->nr_workers < BLK_WORKERS; b->nr_workers++) {
		int err = vmm_thread_create(&b->workers[b->nr_workers], worker_main, b);
		if (err) {
			vmm_err("disk: cannot start I/O workers: %s", strerror(err));
			return -1;
		}
	}
	return 0;
}

static void free_blk(struct blk *b)
{
	if (b->nr_workers)
		blk_destroy(&(struct virtio_dev){.priv = b});
	else if (b->fd >= 0)
		close(b->fd);
	free(b->path);
	free(b);
}

static struct virtio_dev *create_disk(struct vm *vm, const struct blk_opts *opts)
{
	struct blk_opts o = *opts;
	struct blk *b = calloc(1, sizeof(*b));
	if (!b) {
		vmm_err("disk %s: out of memory", o.path);
		return NULL;
	}
	b->ro = o.ro;
	b->direct = o.direct;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->idle, NULL);
	b->locked = !vm_incoming(vm);
	b->path = strdup(o.path);
	b->fd = open_disk(&o, &b->size, !b->locked);
	if (!b->path || b->fd < 0 || start_workers(b) < 0) {
		free_blk(b);
		return NULL;
	}
	/* The serial the guest sees in /sys/block/vdX/serial: the image's name. */
	const char *base = strrchr(o.path, '/');
	/* Not NUL-terminated when it fills all 20 bytes, as the spec allows. */
	const char *id = base ? base + 1 : o.path;
	memcpy(b->id, id, strnlen(id, sizeof(b->id)));
	fill_config(b);

	char name[16];
	snprintf(name, sizeof(name), "blk%u", virtio_count(vm, VIRTIO_ID_BLOCK));
	b->dev = virtio_dev_create(vm, name, &blk_ops, b, blk_features(b), &b->config,
				   sizeof(b->config));
	if (!b->dev) {
		free_blk(b);
		return NULL;
	}
	return b->dev;
}

struct virtio_dev *virtio_blk_create(struct vm *vm, const char *spec)
{
	struct blk_opts o;
	return parse_spec(spec, &o) < 0 ? NULL : create_disk(vm, &o);
}

int virtio_blk_add(struct vm *vm, const char *spec)
{
	struct blk_opts o;
	if (parse_spec(spec, &o) < 0)
		return VIRTIO_BAD_SPEC;
	return create_disk(vm, &o) ? 0 : -1;
}

static void find_first_disk(struct virtio_dev *dev, void *opaque)
{
	struct virtio_dev **first = opaque;
	if (!*first && dev->ops == &blk_ops)
		*first = dev;
}

struct lock_walk {
	bool lock;
	int ret;
};

static void lock_one(struct virtio_dev *dev, void *opaque)
{
	struct lock_walk *w = opaque;
	struct blk *b = dev->priv;
	if (dev->ops != &blk_ops || b->locked == w->lock)
		return;
	if (!w->lock) {
		flock(b->fd, LOCK_UN);
		b->locked = false;
	} else if (lock_disk(b->fd, b->ro, b->path) == 0) {
		b->locked = true;
	} else {
		w->ret = -1;
	}
}

int virtio_blk_lock_disks(struct vm *vm, bool lock)
{
	struct lock_walk w = {lock, 0};
	virtio_for_each_device(vm, lock_one, &w);
	return w.ret;
}

const char *virtio_blk_root_cmdline(struct vm *vm)
{
	struct virtio_dev *first = NULL;
	virtio_for_each_device(vm, find_first_disk, &first);
	if (!first)
		return NULL;
	return ((struct blk *)first->priv)->ro ? "root=/dev/vda ro" : "root=/dev/vda rw";
}
