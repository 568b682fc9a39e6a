/*
 * Snapshot sections of virtio devices (vmm/virtio/state.c) on the fake
 * machine: a device's state saved, loaded into a device made fresh from the
 * same options (guest RAM copied, as a restore maps it), saved again gives
 * the same bytes, and the restored device carries on where the first one
 * stopped. Sections that are not what a vmm saves are refused with one line
 * and leave the device as it was.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>

#include "../../vmm/snapshot/stream.h"
#include "../../vmm/virtio/blk.h"
#include "../../vmm/virtio/net.h"
#include "../../vmm/virtio/virtio.h"
#include "../stderr_capture.h"
#include "vq_driver.h"

#define RAM    (1u << 20)
#define RINGS  FAKE_RAM_BASE
#define BUF(n) (FAKE_RAM_BASE + 0x10000 + 0x1000ull * (n))

static const uint64_t modern = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_RING_F_EVENT_IDX;

/* Offsets in the transport's part of a section (state.c's layout, version 1). */
enum {
	OFF_VERSION = 0,
	OFF_DEVICE_ID = 4,
	OFF_STATUS = 8,
	OFF_FEATURES = 24,
	OFF_INTERRUPT = 32,
	OFF_BROKEN = 40,
	OFF_QUEUE0 = 44, /* size u16, ready u8, desc, avail, used u64, positions */
	OFF_Q_READY = 2,
	OFF_Q_DESC = 3,
	OFF_Q_USED_IDX = 29,
	QUEUE_BYTES = 34,
};

static struct virtio_dev *dev_of(struct vm *vm, int n)
{
	return fake_mmio_dev(vm, n)->opaque;
}

static void bring_up(struct vm *vm, int n, struct drv_vq *qs, unsigned nq, uint64_t features)
{
	assert_true(drv_negotiate(vm, n, features) & VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned i = 0; i < nq; i++) {
		drv_init(&qs[i], vm, RINGS + 0x1000ull * i, 16);
		drv_queue_setup(vm, n, i, &qs[i]);
	}
	drv_driver_ok(vm, n);
}

static struct snap_writer save(struct vm *vm, int n)
{
	struct snap_writer w;
	snap_writer_init(&w);
	struct bus_device *b = fake_mmio_dev(vm, n);
	assert_int_equal(b->ops->save(b, &w), 0);
	assert_false(w.failed);
	return w;
}

static int load(struct vm *vm, int n, const void *data, size_t len)
{
	struct snap_reader r;
	struct bus_device *b = fake_mmio_dev(vm, n);
	snap_reader_init(&r, data, len, b->name);
	return b->ops->load(b, &r);
}

/* What a restore does with guest RAM: the new machine starts with the old one's bytes. */
static struct vm *clone_ram(struct vm *from)
{
	struct vm *to = fake_vm_new(RAM);
	assert_non_null(to);
	memcpy(fake_gpa(to, FAKE_RAM_BASE), fake_gpa(from, FAKE_RAM_BASE), RAM);
	return to;
}

static void assert_same_bytes(const struct snap_writer *a, const struct snap_writer *b)
{
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->data, b->data, a->len);
}

static uint64_t irq_count(struct virtio_dev *dev)
{
	uint64_t n = 0;
	if (read(dev->irq_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static void drop(struct vm *vm)
{
	virtio_shutdown(vm);
	fake_vm_free(vm);
}

/* rng: a request served before the snapshot, the next one served after it. */
static void rng_round_trip_continues_the_queue(void **state)
{
	(void)state;
	struct vm *a = fake_vm_new(RAM);
	assert_int_equal(virtio_rng_add(a), 0);
	struct drv_vq q;
	bring_up(a, 0, &q, 1, modern);
	struct drv_buf b = {BUF(0), 32, true};
	drv_add(&q, &b, 1);
	virtio_dev_kick(dev_of(a, 0), 0);
	assert_true(drv_used(&q, NULL) >= 0);
	/* Interrupt not acknowledged: the restored device must raise it again. */
	struct snap_writer first = save(a, 0);

	struct vm *c = clone_ram(a);
	drop(a);
	assert_int_equal(virtio_rng_add(c), 0);
	irq_count(dev_of(c, 0));
	assert_int_equal(load(c, 0, first.data, first.len), 0);
	assert_true(irq_count(dev_of(c, 0)) >= 1);
	assert_int_equal(fake_mmio_read(c, 0, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	struct snap_writer second = save(c, 0);
	assert_same_bytes(&first, &second);

	q.vm = c;
	drv_add(&q, &b, 1);
	virtio_dev_kick(dev_of(c, 0), 0);
	uint32_t len = 0;
	assert_true(drv_used(&q, &len) >= 0);
	assert_int_equal(len, 32);
	snap_writer_free(&first);
	snap_writer_free(&second);
	drop(c);
}

/* Two guests restored from one snapshot get different bytes from their rng. */
static void rng_restored_twice_draws_fresh_bytes(void **state)
{
	(void)state;
	struct vm *a = fake_vm_new(RAM);
	assert_int_equal(virtio_rng_add(a), 0);
	struct drv_vq q;
	bring_up(a, 0, &q, 1, modern);
	struct snap_writer snap = save(a, 0);
	struct vm *copies[2];
	uint8_t got[2][32];
	for (int i = 0; i < 2; i++) {
		copies[i] = clone_ram(a);
		assert_int_equal(virtio_rng_add(copies[i]), 0);
		assert_int_equal(load(copies[i], 0, snap.data, snap.len), 0);
		struct drv_vq qi = q;
		qi.vm = copies[i];
		struct drv_buf b = {BUF(0), 32, true};
		drv_add(&qi, &b, 1);
		virtio_dev_kick(dev_of(copies[i], 0), 0);
		assert_true(drv_used(&qi, NULL) >= 0);
		memcpy(got[i], fake_gpa(copies[i], BUF(0)), 32);
	}
	assert_memory_not_equal(got[0], got[1], 32);
	snap_writer_free(&snap);
	drop(copies[0]);
	drop(copies[1]);
	drop(a);
}

static char *make_image(void)
{
	static char path[] = "/tmp/isolab-state-test-XXXXXX";
	strcpy(path, "/tmp/isolab-state-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	return path;
}

/* Write sector 3, three requests at once: all land before the section is cut. */
static void blk_drains_in_flight_requests(void **state)
{
	(void)state;
	char *image = make_image();
	struct vm *a = fake_vm_new(RAM);
	assert_non_null(virtio_blk_create(a, image));
	struct drv_vq q;
	bring_up(a, 0, &q, 1, modern);
	for (int i = 0; i < 3; i++) {
		struct virtio_blk_outhdr *h = fake_gpa(a, BUF(3 * i));
		*h = (struct virtio_blk_outhdr){.type = VIRTIO_BLK_T_OUT, .sector = 3};
		memset(fake_gpa(a, BUF(3 * i + 1)), 'a' + i, 512);
		struct drv_buf b[] = {{BUF(3 * i), sizeof(*h), false},
				      {BUF(3 * i + 1), 512, false},
				      {BUF(3 * i + 2), 1, true}};
		drv_add(&q, b, 3);
	}
	virtio_dev_kick(dev_of(a, 0), 0);
	struct snap_writer first = save(a, 0); /* no wait: save itself drains */
	uint16_t used_idx;
	memcpy(&used_idx, first.data + OFF_QUEUE0 + OFF_Q_USED_IDX, 2);
	assert_int_equal(used_idx, 3);

	struct vm *c = clone_ram(a);
	drop(a); /* the image is locked while its first device lives */
	assert_non_null(virtio_blk_create(c, image));
	assert_int_equal(load(c, 0, first.data, first.len), 0);
	struct snap_writer second = save(c, 0);
	assert_same_bytes(&first, &second);
	q.vm = c;
	for (int i = 0; i < 3; i++)
		assert_true(drv_used(&q, NULL) >= 0);
	snap_writer_free(&first);
	snap_writer_free(&second);
	drop(c);
	unlink(image);
}

static void blk_of_another_size_is_refused(void **state)
{
	(void)state;
	char *image = make_image();
	struct vm *a = fake_vm_new(RAM);
	assert_non_null(virtio_blk_create(a, image));
	struct snap_writer first = save(a, 0);
	drop(a);
	assert_int_equal(truncate(image, 2 << 20), 0);
	struct vm *c = fake_vm_new(RAM);
	assert_non_null(virtio_blk_create(c, image));
	char *err;
	int rc;
	STDERR_OF(err, rc = load(c, 0, first.data, first.len));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "blk0: its config space differs from the snapshot's");
	snap_writer_free(&first);
	drop(c);
	unlink(image);
}

static int net_on(struct vm *vm, int *peer)
{
	int sv[2];
	const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 7};
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	assert_non_null(virtio_net_create_fd(vm, sv[0], mac));
	*peer = sv[1];
	return 0;
}

/* A packet that arrived while the guest had no buffer is delivered after the restore. */
static void net_keeps_the_pending_packet_and_mac(void **state)
{
	(void)state;
	struct vm *a = fake_vm_new(RAM);
	int peer_a, peer_c;
	net_on(a, &peer_a);
	struct drv_vq q[2];
	bring_up(a, 0, q, 2, modern);
	char pkt[12 + 5] = {0};
	memcpy(pkt + 12, "hello", 5);
	assert_int_equal(send(peer_a, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	virtio_net_rx(dev_of(a, 0));
	struct snap_writer first = save(a, 0);

	struct vm *c = clone_ram(a);
	drop(a);
	close(peer_a);
	net_on(c, &peer_c);
	/* The config the guest read (its MAC) is the snapshot's, whatever this run's is. */
	uint8_t *cfg = dev_of(c, 0)->config;
	cfg[5] = 9;
	assert_int_equal(load(c, 0, first.data, first.len), 0);
	assert_int_equal(cfg[5], 7);
	struct snap_writer second = save(c, 0);
	assert_same_bytes(&first, &second);
	q[0].vm = c;
	struct drv_buf b = {BUF(0), 1526, true};
	drv_add(&q[0], &b, 1);
	virtio_dev_kick(dev_of(c, 0), 0);
	uint32_t len = 0;
	assert_true(drv_used(&q[0], &len) >= 0);
	assert_int_equal(len, sizeof(pkt));
	assert_memory_equal((char *)fake_gpa(c, BUF(0)) + 12, "hello", 5);
	close(peer_c);
	snap_writer_free(&first);
	snap_writer_free(&second);
	drop(c);
}

struct bad_case {
	const char *what;
	size_t off;	   /* where to patch */
	unsigned width;	   /* bytes patched (0: truncate at off; ~0u: one byte appended) */
	uint64_t value;	   /* patched in, little-endian */
	const char *error; /* part of the one line */
};

static const struct bad_case bad_cases[] = {
    {"other version", OFF_VERSION, 4, 2, "virtio state version 2, this vmm reads 1"},
    {"other device", OFF_DEVICE_ID, 4, 1, "saved from a virtio device of type 1"},
    {"unknown status bit", OFF_STATUS, 4, 0x10f, "device status 0x10f has unknown bits"},
    {"features never offered", OFF_FEATURES, 8, 1ull << 32 | 1ull << 5,
     "the driver accepted features 0x100000020, this device offers"},
    {"interrupt bits", OFF_INTERRUPT, 4, 4, "interrupt status 0x4 has unknown bits"},
    {"broken flag", OFF_BROKEN, 1, 2, "device flags out of range"},
    {"queue not a power of two", OFF_QUEUE0, 2, 12, "queue 0: size 12 (at most 64"},
    {"queue above its maximum", OFF_QUEUE0, 2, 128, "queue 0: size 128 (at most 64"},
    {"ready out of range", OFF_QUEUE0 + OFF_Q_READY, 1, 3, "queue 0: flags out of range"},
    {"ring outside RAM", OFF_QUEUE0 + OFF_Q_DESC, 8, 0x7ffff000, "do not fit in guest memory"},
    {"ring unaligned", OFF_QUEUE0 + OFF_Q_DESC, 8, FAKE_RAM_BASE + 8, "do not fit in guest"},
    {"requests in flight", OFF_QUEUE0 + OFF_Q_USED_IDX, 2, 0,
     "queue 0: 1 requests in flight (saved without draining)"},
    {"used ahead of avail", OFF_QUEUE0 + OFF_Q_USED_IDX, 2, 300, "requests in flight"},
    {"config length", OFF_QUEUE0 + QUEUE_BYTES, 4, 8, "config space of 8 bytes, this device "},
    {"truncated", OFF_QUEUE0 + 5, 0, 0, "section ends after 49 bytes"},
    {"trailing byte", 0, ~0u, 0, "1 bytes left over of 83"},
};

/* Each case: one line on stderr, -1, and the fresh device still untouched (status 0). */
static void bad_sections_are_refused(void **state)
{
	(void)state;
	struct vm *a = fake_vm_new(RAM);
	assert_int_equal(virtio_rng_add(a), 0);
	struct drv_vq q;
	bring_up(a, 0, &q, 1, modern);
	struct drv_buf b = {BUF(0), 8, true};
	drv_add(&q, &b, 1);
	virtio_dev_kick(dev_of(a, 0), 0);
	struct snap_writer good = save(a, 0);
	assert_int_equal(good.len, 82);
	struct vm *c = clone_ram(a);
	drop(a);
	assert_int_equal(virtio_rng_add(c), 0);

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *k = &bad_cases[i];
		uint8_t buf[128];
		size_t len = good.len;
		memcpy(buf, good.data, len);
		if (k->width == 0)
			len = k->off;
		else if (k->width == ~0u)
			buf[len++] = 0;
		else
			for (unsigned j = 0; j < k->width; j++)
				buf[k->off + j] = (uint8_t)(k->value >> (8 * j));
		char *err;
		int rc;
		print_message("%s\n", k->what);
		STDERR_OF(err, rc = load(c, 0, buf, len));
		assert_int_equal(rc, -1);
		assert_one_line_with(err, k->error);
		assert_int_equal(fake_mmio_read(c, 0, VIRTIO_MMIO_STATUS), 0);
	}
	/* And the good one still loads. */
	assert_int_equal(load(c, 0, good.data, good.len), 0);
	snap_writer_free(&good);
	drop(c);
}

/* Paused, a device serves no kick; resumed, it serves what came meanwhile. */
static void paused_devices_leave_guest_memory_alone(void **state)
{
	(void)state;
	struct vm *a = fake_vm_new(RAM);
	assert_int_equal(virtio_rng_add(a), 0);
	struct drv_vq q;
	bring_up(a, 0, &q, 1, modern);
	virtio_pause(a);
	struct drv_buf b = {BUF(0), 8, true};
	drv_add(&q, &b, 1);
	virtio_dev_kick(dev_of(a, 0), 0);
	assert_int_equal(drv_used(&q, NULL), -1);
	virtio_resume(a);
	/* The resume kicked the queue through its eventfd; the event loop (here: us) runs it. */
	uint64_t kicks = 0;
	assert_int_equal(read(dev_of(a, 0)->kick_fd[0], &kicks, sizeof(kicks)), sizeof(kicks));
	virtio_dev_kick(dev_of(a, 0), 0);
	assert_int_equal(drv_used(&q, NULL), 0);
	drop(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rng_round_trip_continues_the_queue),
	    cmocka_unit_test(rng_restored_twice_draws_fresh_bytes),
	    cmocka_unit_test(blk_drains_in_flight_requests),
	    cmocka_unit_test(blk_of_another_size_is_refused),
	    cmocka_unit_test(net_keeps_the_pending_packet_and_mac),
	    cmocka_unit_test(bad_sections_are_refused),
	    cmocka_unit_test(paused_devices_leave_guest_memory_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
