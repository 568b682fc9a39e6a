/*
 * The i8042's snapshot section (vmm/x86/i8042.c): a reply the guest has not
 * read yet and a half-written command survive a save and a load into a fresh
 * controller; bad sections are refused with one line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../vmm/bus.h"
#include "../../vmm/snapshot/stream.h"
#include "../../vmm/x86/i8042.h"
#include "../stderr_capture.h"
#include "../virtio/fake_vm.h"

static void outb(struct vm *vm, uint16_t port, uint8_t v)
{
	bus_access(vm_pio_bus(vm), port, &v, 1, true);
}

static uint8_t inb(struct vm *vm, uint16_t port)
{
	uint8_t v = 0;
	bus_access(vm_pio_bus(vm), port, &v, 1, false);
	return v;
}

static struct bus_device *kbc_of(struct vm *vm)
{
	return vm_pio_bus(vm)->devices[0];
}

static int load(struct vm *vm, const void *data, size_t len)
{
	struct snap_reader r;
	snap_reader_init(&r, data, len, "i8042");
	return kbc_of(vm)->ops->load(kbc_of(vm), &r);
}

static void round_trip_keeps_the_unread_reply(void **state)
{
	(void)state;
	struct vm *a = fake_vm_new(4096);
	struct i8042 *kbc_a = i8042_create(a);
	outb(a, 0x64, 0x60); /* write the configuration byte... */
	outb(a, 0x60, 0x47);
	outb(a, 0x64, 0x20); /* ...and ask for it back, unread at the snapshot */
	struct snap_writer first;
	snap_writer_init(&first);
	assert_int_equal(kbc_of(a)->ops->save(kbc_of(a), &first), 0);
	i8042_destroy(kbc_a);
	fake_vm_free(a);

	struct vm *c = fake_vm_new(4096);
	struct i8042 *kbc_c = i8042_create(c);
	assert_int_equal(load(c, first.data, first.len), 0);
	struct snap_writer second;
	snap_writer_init(&second);
	assert_int_equal(kbc_of(c)->ops->save(kbc_of(c), &second), 0);
	assert_int_equal(first.len, second.len);
	assert_memory_equal(first.data, second.data, first.len);
	assert_int_equal(inb(c, 0x64) & 0x09, 0x09); /* output full, last write a command */
	assert_int_equal(inb(c, 0x60), 0x47);

	uint8_t bad[16];
	memcpy(bad, first.data, first.len);
	bad[6] = 2; /* out_full */
	char *err;
	int rc;
	STDERR_OF(err, rc = load(c, bad, first.len));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "i8042: controller flags out of range");
	bad[0] = 3;
	STDERR_OF(err, rc = load(c, bad, first.len));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "i8042 state version 3, this vmm reads 1");
	STDERR_OF(err, rc = load(c, first.data, first.len + 1));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "left over");
	snap_writer_free(&first);
	snap_writer_free(&second);
	i8042_destroy(kbc_c);
	fake_vm_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip_keeps_the_unread_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
