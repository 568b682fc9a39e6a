/*
 * libFuzzer harness for the virtio device layer. The input is a guest:
 * an 8-byte header (which device, queue size, features) followed by the
 * guest's RAM, rings and descriptors included. Each run resets the device
 * through its registers, sets the queues up over that RAM, and kicks them,
 * so queue walking and the blk/net/rng/console request parsing all see
 * attacker-chosen bytes. A fifth mode feeds raw register writes to the
 * transport; a sixth loads the input as a device's snapshot section (the
 * header's packet_len picks the device) and kicks what it restored.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>

#include "../../vmm/snapshot/stream.h"
#include "../../vmm/virtio/blk.h"
#include "../../vmm/virtio/net.h"
#include "../../vmm/virtio/virtio.h"
#include "../virtio/fake_vm.h"

#define RAM_SIZE     0x10000
#define QUEUE_STRIDE 0x3000 /* desc, avail, used at 4 KiB steps per queue */

enum target { T_BLK, T_NET, T_RNG, T_CONSOLE, T_REGS, T_LOAD, T_COUNT };

struct fuzz_hdr {
	uint8_t target;
	uint8_t packet_len; /* net: bytes of RAM sent as an incoming packet, x 64 */
	uint16_t qsize;
	uint32_t features; /* low feature word; VERSION_1 is always added */
};

static struct vm *vm;
static int dev_index[T_COUNT];
static int net_peer, console_out;

static void make_devices(void)
{
	char path[] = "/tmp/isolab-fuzz-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
		abort();
	vm = fake_vm_new(RAM_SIZE);
	int n = 0;
	dev_index[T_BLK] = n++;
	if (!virtio_blk_create(vm, path))
		abort();
	unlink(path);
	close(fd);

	int sv[2];
	const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
	dev_index[T_NET] = n++;
	if (!virtio_net_create_fd(vm, sv[0], mac))
		abort();
	net_peer = sv[1];

	dev_index[T_RNG] = n++;
	if (virtio_rng_add(vm) < 0)
		abort();
	int p[2];
	if (pipe2(p, O_NONBLOCK) < 0)
		abort();
	console_out = p[0];
	dev_index[T_CONSOLE] = n++;
	if (virtio_console_add(vm, -1, p[1]) < 0)
		abort();
	dev_index[T_REGS] = dev_index[T_BLK];
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_devices();
	return 0;
}

static void setup_queue(int dev, unsigned q, uint16_t size)
{
	uint64_t base = FAKE_RAM_BASE + (uint64_t)q * QUEUE_STRIDE;
	const uint32_t regs[][2] = {
	    {VIRTIO_MMIO_QUEUE_SEL, q},
	    {VIRTIO_MMIO_QUEUE_NUM, size},
	    {VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)base},
	    {VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(base + 0x1000)},
	    {VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(base + 0x2000)},
	    {VIRTIO_MMIO_QUEUE_READY, 1},
	};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		fake_mmio_write(vm, dev, regs[i][0], regs[i][1]);
}

static void bring_up(int dev, const struct fuzz_hdr *h, unsigned nq)
{
	fake_mmio_write(vm, dev, VIRTIO_MMIO_STATUS, 0);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_STATUS,
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_DRIVER_FEATURES, h->features);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_DRIVER_FEATURES, 1u << (VIRTIO_F_VERSION_1 - 32));
	fake_mmio_write(vm, dev, VIRTIO_MMIO_STATUS,
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			    VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned q = 0; q < nq; q++)
		setup_queue(dev, q, h->qsize);
	uint32_t s = fake_mmio_read(vm, dev, VIRTIO_MMIO_STATUS);
	fake_mmio_write(vm, dev, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_DRIVER_OK);
}

static struct virtio_dev *dev_at(int n)
{
	return fake_mmio_dev(vm, n)->opaque;
}

static void drain(int fd)
{
	char buf[70000];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* A snapshot section from the input, loaded into one of the devices; RAM holds the same bytes. */
static int fuzz_load(uint8_t which, const uint8_t *data, size_t size)
{
	int dev = dev_index[which % T_REGS];
	struct bus_device *b = fake_mmio_dev(vm, dev);
	struct snap_reader r;
	snap_reader_init(&r, data, size, b->name);
	if (b->ops->load(b, &r) == 0) {
		struct virtio_dev *d = b->opaque;
		for (unsigned q = 0; q < d->ops->num_queues; q++)
			virtio_dev_kick(d, q);
		if (which % T_REGS == T_NET)
			virtio_net_rx(d);
		virtio_blk_wait_idle(dev_at(dev_index[T_BLK]));
		drain(net_peer);
		drain(console_out);
	}
	return dev;
}

/* Register writes straight from the input: offset (9 bits) and value pairs. */
static void fuzz_registers(const uint8_t *data, size_t size)
{
	int dev = dev_index[T_REGS];
	for (size_t i = 0; i + 6 <= size; i += 6) {
		uint16_t off;
		uint32_t val;
		memcpy(&off, data + i, 2);
		memcpy(&val, data + i + 2, 4);
		off &= 0x1fc;
		if (off == VIRTIO_MMIO_QUEUE_NOTIFY)
			virtio_dev_kick(dev_at(dev), val & 3);
		else
			fake_mmio_write(vm, dev, off, val);
		fake_mmio_read(vm, dev, (uint64_t)(val & 0x1fc));
	}
	virtio_blk_wait_idle(dev_at(dev));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_hdr h;
	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	data += sizeof(h);
	size -= sizeof(h);
	h.target %= T_COUNT;

	uint8_t *ram = fake_gpa(vm, FAKE_RAM_BASE);
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, data, size < RAM_SIZE ? size : RAM_SIZE);
	int dev = dev_index[h.target];

	switch (h.target) {
	case T_BLK:
		bring_up(dev, &h, 1);
		virtio_dev_kick(dev_at(dev), 0);
		virtio_blk_wait_idle(dev_at(dev));
		break;
	case T_NET: {
		bring_up(dev, &h, 2);
		size_t len = 12 + (size_t)h.packet_len * 64;
		if (send(net_peer, ram + RAM_SIZE - len, len, 0) < 0)
			abort();
		virtio_dev_kick(dev_at(dev), 1);
		virtio_dev_kick(dev_at(dev), 0);
		virtio_net_rx(dev_at(dev));
		drain(net_peer);
		break;
	}
	case T_RNG:
		bring_up(dev, &h, 1);
		virtio_dev_kick(dev_at(dev), 0);
		break;
	case T_CONSOLE:
		bring_up(dev, &h, 2);
		virtio_dev_kick(dev_at(dev), 1);
		virtio_dev_kick(dev_at(dev), 0);
		drain(console_out);
		break;
	case T_LOAD:
		dev = fuzz_load(h.packet_len, data, size);
		break;
	default:
		fuzz_registers(data, size);
		break;
	}
	/* Leave the device reset so the next input starts clean; a stale packet goes too. */
	fake_mmio_write(vm, dev, VIRTIO_MMIO_STATUS, 0);
	return 0;
}
