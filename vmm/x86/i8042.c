/*
 * An i8042 with no keyboard or mouse attached: it answers the controller
 * commands Linux sends while probing, and command 0xfe (pulse the reset
 * line) resets the machine, which for vmm means a clean exit.
 */
#include "i8042.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "../snapshot/stream.h"
#include "../util.h"
#include "../vm.h"

#define I8042_DATA	    0x60
#define I8042_COMMAND	    0x64
#define STATUS_OBF	    0x01 /* output buffer full: data waits at 0x60 */
#define STATUS_SYS	    0x04 /* self-test passed */
#define STATUS_CMD	    0x08 /* last write was a command */
#define CMD_READ_CTR	    0x20
#define CMD_WRITE_CTR	    0x60
#define CMD_AUX_DISABLE	    0xa7
#define CMD_AUX_ENABLE	    0xa8
#define CMD_AUX_TEST	    0xa9
#define CMD_SELF_TEST	    0xaa
#define CMD_KBD_TEST	    0xab
#define CMD_KBD_DISABLE	    0xad
#define CMD_KBD_ENABLE	    0xae
#define CMD_PULSE_RESET	    0xfe
#define SELF_TEST_PASSED    0x55
#define I8042_STATE_VERSION 1

struct i8042 {
	struct bus_device dev;
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t ctr; /* controller configuration byte */
	uint8_t out;
	bool out_full;
	bool expect_ctr; /* next data write is the new configuration byte */
	bool last_was_cmd;
};

static void reply(struct i8042 *kbc, uint8_t value)
{
	kbc->out = value;
	kbc->out_full = true;
}

static void command(struct i8042 *kbc, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_CTR:
		reply(kbc, kbc->ctr);
		break;
	case CMD_WRITE_CTR:
		kbc->expect_ctr = true;
		break;
	case CMD_SELF_TEST:
		reply(kbc, SELF_TEST_PASSED);
		break;
	case CMD_KBD_TEST:
	case CMD_AUX_TEST:
		reply(kbc, 0x00);
		break;
	case CMD_PULSE_RESET:
		vm_request_exit(kbc->vm, 0);
		break;
	default: /* enable/disable ports and the rest need no answer */
		break;
	}
}

static void i8042_read(struct bus_device *dev, uint64_t offset, void *data, uint32_t len)
{
	struct i8042 *kbc = dev->opaque;
	uint8_t *out = data;
	pthread_mutex_lock(&kbc->lock);
	uint8_t value = 0;
	if (offset == I8042_COMMAND - I8042_DATA) {
		value = STATUS_SYS | (kbc->out_full ? STATUS_OBF : 0) |
			(kbc->last_was_cmd ? STATUS_CMD : 0);
	} else if (offset == 0) {
		value = kbc->out;
		kbc->out_full = false;
	}
	pthread_mutex_unlock(&kbc->lock);
	for (uint32_t i = 0; i < len; i++)
		out[i] = i == 0 ? value : 0;
}

static void i8042_write(struct bus_device *dev, uint64_t offset, const void *data, uint32_t len)
{
	struct i8042 *kbc = dev->opaque;
	uint8_t value = *(const uint8_t *)data;
	(void)len;
	pthread_mutex_lock(&kbc->lock);
	if (offset == I8042_COMMAND - I8042_DATA) {
		kbc->last_was_cmd = true;
		kbc->expect_ctr = false;
		command(kbc, value);
	} else if (offset == 0) {
		kbc->last_was_cmd = false;
		if (kbc->expect_ctr)
			kbc->ctr = value;
		kbc->expect_ctr = false;
		/* Bytes for an absent keyboard are dropped, as with nothing plugged in. */
	}
	pthread_mutex_unlock(&kbc->lock);
}

static int i8042_save(struct bus_device *dev, struct snap_writer *w)
{
	struct i8042 *kbc = dev->opaque;
	pthread_mutex_lock(&kbc->lock);
	const uint8_t state[] = {kbc->ctr, kbc->out, kbc->out_full, kbc->expect_ctr,
				 kbc->last_was_cmd};
	pthread_mutex_unlock(&kbc->lock);
	snap_put_u32(w, I8042_STATE_VERSION);
	snap_put(w, state, sizeof(state));
	return w->failed ? -1 : 0;
}

static int i8042_load(struct bus_device *dev, struct snap_reader *r)
{
	struct i8042 *kbc = dev->opaque;
	uint32_t version;
	uint8_t s[5];
	if (snap_get_u32(r, &version))
		return -1;
	if (version != I8042_STATE_VERSION)
		return snap_bad(r, "i8042 state version %u, this vmm reads %u", version,
				I8042_STATE_VERSION);
	if (snap_get(r, s, sizeof(s)) || snap_reader_done(r))
		return -1;
	if (s[2] > 1 || s[3] > 1 || s[4] > 1)
		return snap_bad(r, "controller flags out of range");
	pthread_mutex_lock(&kbc->lock);
	kbc->ctr = s[0];
	kbc->out = s[1];
	kbc->out_full = s[2];
	kbc->expect_ctr = s[3];
	kbc->last_was_cmd = s[4];
	pthread_mutex_unlock(&kbc->lock);
	return 0;
}

static const struct bus_device_ops i8042_ops = {
    .read = i8042_read, .write = i8042_write, .save = i8042_save, .load = i8042_load};

struct i8042 *i8042_create(struct vm *vm)
{
	struct i8042 *kbc = calloc(1, sizeof(*kbc));
	if (!kbc) {
		vmm_err("out of memory");
		return NULL;
	}
	kbc->vm = vm;
	kbc->ctr = 0x30; /* both ports' clocks disabled, no interrupts */
	pthread_mutex_init(&kbc->lock, NULL);
	/* 0x61 in between belongs to the in-kernel PIT and never reaches this device. */
	kbc->dev = (struct bus_device){.name = "i8042",
				       .base = I8042_DATA,
				       .len = I8042_COMMAND - I8042_DATA + 1,
				       .ops = &i8042_ops,
				       .opaque = kbc};
	if (bus_register(vm_pio_bus(vm), &kbc->dev) < 0) {
		vmm_err("cannot register the i8042 controller");
		i8042_destroy(kbc);
		return NULL;
	}
	return kbc;
}

void i8042_destroy(struct i8042 *kbc)
{
	if (!kbc)
		return;
	pthread_mutex_destroy(&kbc->lock);
	free(kbc);
}
