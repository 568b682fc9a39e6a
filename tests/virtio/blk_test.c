/*
 * virtio-blk request handling on a temporary image: reads and writes land
 * on the right bytes, flush/get-id/discard/write-zeroes work, a read-only
 * disk refuses every write, bad requests get IOERR or UNSUPP, and requests
 * posted through the queue complete on the worker threads with an interrupt.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "../../vmm/virtio/blk.h"
#include "../../vmm/virtio/virtio.h"
#include "../stderr_capture.h"
#include "vq_driver.h"

#define DISK_SIZE (1u << 20)

/* Not tmpfs: the direct I/O case needs a file system with O_DIRECT. */
static char dir[] = "/var/tmp/isolab-blk-XXXXXX";
static char rw_path[80], ro_path[80];
static struct vm *vm;
static struct virtio_dev *rw, *ro;

static void make_image(const char *path, char fill)
{
	char *buf = malloc(DISK_SIZE);
	memset(buf, fill, DISK_SIZE);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, DISK_SIZE), DISK_SIZE);
	close(fd);
	free(buf);
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(rw_path, sizeof(rw_path), "%s/disk.img", dir);
	snprintf(ro_path, sizeof(ro_path), "%s/ro.img", dir);
	make_image(rw_path, 'a');
	make_image(ro_path, 'r');
	vm = fake_vm_new(1 << 20);
	rw = virtio_blk_create(vm, rw_path);
	char spec[128];
	snprintf(spec, sizeof(spec), "%s,ro", ro_path);
	ro = virtio_blk_create(vm, spec);
	return rw && ro ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	virtio_shutdown(vm);
	fake_vm_free(vm);
	/* A failed assertion may have left the immutable image behind. */
	char path[112];
	snprintf(path, sizeof(path), "%s/immutable.img", dir);
	int fd = open(path, O_RDONLY), flags = 0;
	if (fd >= 0) {
		ioctl(fd, FS_IOC_SETFLAGS, &flags);
		close(fd);
		unlink(path);
	}
	unlink(rw_path);
	unlink(ro_path);
	rmdir(dir);
	return 0;
}

/* A request as the guest lays it out: header, data, status byte. */
struct req {
	struct virtio_blk_outhdr hdr;
	uint8_t data[8192];
	uint8_t status;
	struct vq_chain c;
};

static int64_t run(struct virtio_dev *dev, struct req *r, uint32_t type, uint64_t sector,
		   size_t len)
{
	bool to_device = type != VIRTIO_BLK_T_IN && type != VIRTIO_BLK_T_GET_ID;
	r->hdr.type = type;
	r->hdr.sector = sector;
	r->status = 0xff;
	struct vq_chain *c = &r->c;
	c->iov[0] = (struct iovec){&r->hdr, sizeof(r->hdr)};
	c->iov[1] = (struct iovec){r->data, len};
	c->iov[2] = (struct iovec){&r->status, 1};
	c->n_out = to_device ? 2 : 1;
	c->n_in = to_device ? 1 : 2;
	c->out_len = sizeof(r->hdr) + (to_device ? len : 0);
	c->in_len = 1 + (to_device ? 0 : len);
	if (len == 0) { /* no data descriptor at all */
		c->iov[1] = c->iov[2];
		c->n_out = 1;
		c->n_in = 1;
	}
	return virtio_blk_execute(dev, c);
}

static void file_bytes(const char *path, off_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static void write_then_read(void **state)
{
	(void)state;
	struct req r;
	memset(r.data, 'W', 1024);
	assert_int_equal(run(rw, &r, VIRTIO_BLK_T_OUT, 3, 1024), 1);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);

	char on_disk[1026];
	file_bytes(rw_path, 3 * 512 - 1, on_disk, sizeof(on_disk));
	assert_int_equal(on_disk[0], 'a');
	assert_int_equal(on_disk[1], 'W');
	assert_int_equal(on_disk[1024], 'W');
	assert_int_equal(on_disk[1025], 'a');

	memset(r.data, 0, sizeof(r.data));
	assert_int_equal(run(rw, &r, VIRTIO_BLK_T_IN, 2, 2048), 2049);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_int_equal(r.data[511], 'a');
	assert_int_equal(r.data[512], 'W');
	assert_int_equal(r.data[1535], 'W');
	assert_int_equal(r.data[1536], 'a');
}

static void flush_and_get_id(void **state)
{
	(void)state;
	struct req r;
	assert_int_equal(run(rw, &r, VIRTIO_BLK_T_FLUSH, 0, 0), 1);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	memset(r.data, 0, sizeof(r.data));
	assert_int_equal(run(rw, &r, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES),
			 VIRTIO_BLK_ID_BYTES + 1);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_string_equal((char *)r.data, "disk.img");
}

static void discard_and_write_zeroes(void **state)
{
	(void)state;
	struct req r;
	struct virtio_blk_discard_write_zeroes seg = {.sector = 8, .num_sectors = 8};
	memcpy(r.data, &seg, sizeof(seg));
	assert_int_equal(run(rw, &r, VIRTIO_BLK_T_WRITE_ZEROES, 0, sizeof(seg)), 1);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	char buf[4098];
	file_bytes(rw_path, 8 * 512 - 1, buf, sizeof(buf));
	assert_int_equal(buf[0], 'a');
	for (int i = 1; i <= 4096; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[4097], 'a');

	seg = (struct virtio_blk_discard_write_zeroes){.sector = 32, .num_sectors = 8};
	memcpy(r.data, &seg, sizeof(seg));
	assert_int_equal(run(rw, &r, VIRTIO_BLK_T_DISCARD, 0, sizeof(seg)), 1);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	struct stat st;
	assert_int_equal(stat(rw_path, &st), 0);
	assert_int_equal(st.st_size, DISK_SIZE); /* discard never changes the size */
}

static void refuses_out_of_range_and_unaligned(void **state)
{
	(void)state;
	struct req r;
	run(rw, &r, VIRTIO_BLK_T_IN, DISK_SIZE / 512 - 1, 1024);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	run(rw, &r, VIRTIO_BLK_T_OUT, UINT64_MAX / 256, 512);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	run(rw, &r, VIRTIO_BLK_T_OUT, 0, 100);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	struct virtio_blk_discard_write_zeroes seg = {.sector = DISK_SIZE / 512, .num_sectors = 1};
	memcpy(r.data, &seg, sizeof(seg));
	run(rw, &r, VIRTIO_BLK_T_DISCARD, 0, sizeof(seg));
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	run(rw, &r, 99, 0, 512);
	assert_int_equal(r.status, VIRTIO_BLK_S_UNSUPP);
	/* Header cut short: IOERR, still answered. */
	r.c.iov[0].iov_len = 8;
	r.c.out_len = 8;
	virtio_blk_execute(rw, &r.c);
	/* No status byte at all: the device cannot answer. */
	r.c.n_in = 0;
	r.c.in_len = 0;
	assert_int_equal(virtio_blk_execute(rw, &r.c), -1);
}

static void read_only_refuses_writes(void **state)
{
	(void)state;
	struct req r;
	assert_true(ro->host_features & (1ull << VIRTIO_BLK_F_RO));
	assert_false(ro->host_features & (1ull << VIRTIO_BLK_F_DISCARD));
	memset(r.data, 'X', 512);
	run(ro, &r, VIRTIO_BLK_T_OUT, 0, 512);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	struct virtio_blk_discard_write_zeroes seg = {.sector = 0, .num_sectors = 1};
	memcpy(r.data, &seg, sizeof(seg));
	run(ro, &r, VIRTIO_BLK_T_WRITE_ZEROES, 0, sizeof(seg));
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	char b;
	file_bytes(ro_path, 0, &b, 1);
	assert_int_equal(b, 'r');
	run(ro, &r, VIRTIO_BLK_T_IN, 0, 512);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_int_equal(r.data[0], 'r');
}

/* virtio_blk_create(spec) fails with one line on stderr that contains want. */
static void refused(const char *spec, const char *want)
{
	char *err;
	struct virtio_dev *dev;
	STDERR_OF(err, dev = virtio_blk_create(vm, spec));
	assert_null(dev);
	assert_one_line_with(err, want);
}

static void bad_specs_are_refused(void **state)
{
	(void)state;
	char spec[128];
	refused("/nonexistent/disk.img", "/nonexistent/disk.img: No such file or directory");
	refused("/tmp", "/tmp: Is a directory");
	refused("", "expected PATH[,ro][,direct], got ''");
	snprintf(spec, sizeof(spec), "%s,rw", ro_path);
	refused(spec, "unknown option 'rw'");
	refused(rw_path, "in use by another process"); /* locked */
	snprintf(spec, sizeof(spec), "%s/empty.img", dir);
	close(open(spec, O_CREAT | O_WRONLY, 0644));
	refused(spec, "smaller than one 512-byte block");
	unlink(spec);
}

/* O_DIRECT: a guest buffer that is not page-aligned goes through a bounce buffer. */
static void direct_io_bounces_unaligned_buffers(void **state)
{
	(void)state;
	char path[112], spec[128];
	snprintf(path, sizeof(path), "%s/direct.img", dir);
	make_image(path, 'd');
	snprintf(spec, sizeof(spec), "%s,direct", path);
	struct virtio_dev *dev = virtio_blk_create(vm, spec);
	if (!dev) {
		unlink(path);
		skip(); /* the file system has no O_DIRECT */
	}
	static struct req r __attribute__((aligned(4096)));
	struct virtio_blk_config cfg;
	memcpy(&cfg, dev->config, sizeof(cfg));
	assert_int_equal(cfg.blk_size, 4096);
	memset(r.data, 'D', sizeof(r.data));
	assert_int_equal(run(dev, &r, VIRTIO_BLK_T_OUT, 8, 4096), 1);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	/* data sits 16 bytes into the struct: not 4 KiB aligned. */
	memset(r.data, 0, sizeof(r.data));
	assert_int_equal(run(dev, &r, VIRTIO_BLK_T_IN, 8, 4096), 4097);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_int_equal(r.data[0], 'D');
	assert_int_equal(r.data[4095], 'D');
	char b[2];
	file_bytes(path, 8 * 512 - 1, b, 2);
	assert_memory_equal(b, "dD", 2);
	unlink(path);
}

/* An image the user may not write: refused without ,ro, accepted with it. */
static void unwritable_image_needs_ro(void **state)
{
	(void)state;
	char path[112], spec[128];
	snprintf(path, sizeof(path), "%s/immutable.img", dir);
	make_image(path, 'i');
	int fd = open(path, O_RDONLY), flags = 0;
	/* chattr +i: even root cannot open it for writing. */
	if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 ||
	    (flags |= FS_IMMUTABLE_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)) {
		if (fd >= 0)
			close(fd);
		unlink(path);
		skip(); /* not root, or no immutable flag on this file system */
	}
	refused(path, "not writable (Operation not permitted); add ,ro to use it read-only");
	snprintf(spec, sizeof(spec), "%s,ro", path);
	assert_non_null(virtio_blk_create(vm, spec));
	flags &= ~FS_IMMUTABLE_FL;
	ioctl(fd, FS_IOC_SETFLAGS, &flags);
	close(fd);
	unlink(path);
}

static uint64_t irq_count(struct virtio_dev *dev)
{
	uint64_t n = 0;
	if (read(dev->irq_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* Many requests through the real queue: all complete, with interrupts, in any order. */
static void requests_through_the_queue(void **state)
{
	(void)state;
	enum { N = 32 };
	static struct virtio_blk_outhdr hdr[N];
	static uint8_t status[N];
	const uint64_t data = FAKE_RAM_BASE + 0x20000;
	struct drv_vq q;
	drv_init(&q, vm, FAKE_RAM_BASE, 128); /* room for N chains of 3 */

	int dev = 0; /* rw was registered first */
	assert_int_equal(fake_mmio_read(vm, dev, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(fake_mmio_read(vm, dev, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(fake_mmio_read(vm, dev, VIRTIO_MMIO_DEVICE_ID), 2);
	uint64_t features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_RING_F_EVENT_IDX;
	assert_true(drv_negotiate(vm, dev, features) & VIRTIO_CONFIG_S_FEATURES_OK);
	drv_queue_setup(vm, dev, 0, &q);
	drv_driver_ok(vm, dev);
	irq_count(rw);

	/* Headers and status bytes live in guest RAM too. */
	for (int i = 0; i < N; i++) {
		uint64_t h = FAKE_RAM_BASE + 0x10000 + 16 * i, s = FAKE_RAM_BASE + 0x11000 + i;
		hdr[i] = (struct virtio_blk_outhdr){.type = VIRTIO_BLK_T_IN, .sector = (uint64_t)i};
		memcpy(fake_gpa(vm, h), &hdr[i], sizeof(hdr[i]));
		*(uint8_t *)fake_gpa(vm, s) = 0xff;
		struct drv_buf b[] = {{h, 16, false}, {data + 512ull * i, 512, true}, {s, 1, true}};
		drv_add(&q, b, 3);
	}
	virtio_dev_kick(rw, 0);
	virtio_blk_wait_idle(rw);
	assert_int_equal(drv_avail_event(&q), N); /* kick me at the next request */

	int seen = 0;
	uint32_t len;
	while (drv_used(&q, &len) >= 0) {
		assert_int_equal(len, 513);
		seen++;
	}
	assert_int_equal(seen, N);
	for (int i = 0; i < N; i++) {
		status[i] = *(uint8_t *)fake_gpa(vm, FAKE_RAM_BASE + 0x11000 + i);
		assert_int_equal(status[i], VIRTIO_BLK_S_OK);
	}
	assert_true(irq_count(rw) >= 1);
	assert_true(fake_mmio_read(vm, dev, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(fake_mmio_read(vm, dev, VIRTIO_MMIO_INTERRUPT_STATUS), 0);

	/* A request without a status byte: NEEDS_RESET and a config interrupt, no crash. */
	struct drv_buf bad[] = {{FAKE_RAM_BASE + 0x10000, 16, false}};
	drv_add(&q, bad, 1);
	char *err;
	STDERR_OF(err, virtio_dev_kick(rw, 0));
	assert_one_line_with(err, "virtio-blk0: guest error (block request without a status byte)");
	assert_true(fake_mmio_read(vm, dev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_true(fake_mmio_read(vm, dev, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	/* Reset brings it back. */
	fake_mmio_write(vm, dev, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(fake_mmio_read(vm, dev, VIRTIO_MMIO_STATUS), 0);
	assert_true(drv_negotiate(vm, dev, features) & VIRTIO_CONFIG_S_FEATURES_OK);
}

static void legacy_driver_is_refused(void **state)
{
	(void)state;
	/* Without VIRTIO_F_VERSION_1 the device does not accept FEATURES_OK. */
	assert_false(drv_negotiate(vm, 0, 0) & VIRTIO_CONFIG_S_FEATURES_OK);
	/* Features we never offered are refused too. */
	assert_false(drv_negotiate(vm, 0, 1ull << VIRTIO_F_VERSION_1 | 1ull << 50) &
		     VIRTIO_CONFIG_S_FEATURES_OK);
}

static void config_space_reads(void **state)
{
	(void)state;
	struct bus_device *d = fake_mmio_dev(vm, 0);
	uint64_t capacity = 0;
	d->ops->read(d, VIRTIO_MMIO_CONFIG, &capacity, 8);
	assert_int_equal(capacity, DISK_SIZE / 512);
	uint32_t v = 0xdeadbeef;
	d->ops->read(d, VIRTIO_MMIO_CONFIG + 0x1000, &v, 4); /* past config: zeroes */
	assert_int_equal(v, 0);
	assert_string_equal(strstr(fake_cmdline(vm), "virtio_mmio.device=0x200@0xd0000000:5"),
			    strstr(fake_cmdline(vm), "virtio_mmio.device="));
	assert_string_equal(virtio_blk_root_cmdline(vm), "root=/dev/vda rw");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(write_then_read),
	    cmocka_unit_test(flush_and_get_id),
	    cmocka_unit_test(discard_and_write_zeroes),
	    cmocka_unit_test(refuses_out_of_range_and_unaligned),
	    cmocka_unit_test(read_only_refuses_writes),
	    cmocka_unit_test(bad_specs_are_refused),
	    cmocka_unit_test(direct_io_bounces_unaligned_buffers),
	    cmocka_unit_test(unwritable_image_needs_ro),
	    cmocka_unit_test(requests_through_the_queue),
	    cmocka_unit_test(legacy_driver_is_refused),
	    cmocka_unit_test(config_space_reads),
	};
	return cmocka_run_group_tests_name("virtio-blk", tests, group_setup, group_teardown);
}
