/*
 * Virtqueue walking on fake guest memory: well-formed chains come out as
 * iovecs, and every malformed one (outside RAM, loops, bad indirect
 * tables, readable after writable, runaway indices) is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../vmm/virtio/queue.h"
#include "vq_driver.h"

#define RAM   (1u << 20)
#define RINGS FAKE_RAM_BASE
#define BUFS  (FAKE_RAM_BASE + 0x10000)
#define QSIZE 16

struct fixture {
	struct vm *vm;
	struct drv_vq drv;
	struct virtqueue vq;
	struct vq_chain chain;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->vm = fake_vm_new(RAM);
	drv_init(&f->drv, f->vm, RINGS, QSIZE);
	vq_init(&f->vq, 0, QSIZE);
	f->vq.desc_gpa = f->drv.desc;
	f->vq.avail_gpa = f->drv.avail;
	f->vq.used_gpa = f->drv.used;
	assert_true(vq_activate(&f->vq, vm_mem(f->vm), true));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fake_vm_free(f->vm);
	free(f);
	return 0;
}

static void pops_a_simple_chain(void **state)
{
	struct fixture *f = *state;
	struct drv_buf b[] = {{BUFS, 16, false}, {BUFS + 16, 100, false}, {BUFS + 200, 1, true}};
	uint16_t head = drv_add(&f->drv, b, 3);

	assert_int_equal(vq_pop(&f->vq, &f->chain), VQ_OK);
	assert_int_equal(f->chain.head, head);
	assert_int_equal(f->chain.n_out, 2);
	assert_int_equal(f->chain.n_in, 1);
	assert_int_equal(f->chain.out_len, 116);
	assert_int_equal(f->chain.in_len, 1);
	assert_ptr_equal(f->chain.iov[2].iov_base, fake_gpa(f->vm, BUFS + 200));
	assert_int_equal(vq_pop(&f->vq, &f->chain), VQ_EMPTY);

	vq_push(&f->vq, head, 1);
	uint32_t len;
	assert_int_equal(drv_used(&f->drv, &len), head);
	assert_int_equal(len, 1);
}

static void empty_queue_is_empty(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(vq_pop(&f->vq, &f->chain), VQ_EMPTY);
	assert_false(vq_has_work(&f->vq));
}

static void refuses(struct fixture *f)
{
	assert_int_equal(vq_pop(&f->vq, &f->chain), VQ_BAD);
}

static void refuses_buffer_outside_ram(void **state)
{
	struct fixture *f = *state;
	struct drv_buf b[] = {{FAKE_RAM_BASE + RAM - 8, 16, false}};
	drv_add(&f->drv, b, 1);
	refuses(f);
}

static void refuses_address_wraparound(void **state)
{
	struct fixture *f = *state;
	struct drv_buf b[] = {{UINT64_MAX - 4, 16, true}};
	drv_add(&f->drv, b, 1);
	refuses(f);
}

static void refuses_a_loop(void **state)
{
	struct fixture *f = *state;
	struct drv_buf b[] = {{BUFS, 4, false}, {BUFS, 4, false}};
	uint16_t head = drv_chain(&f->drv, b, 2);
	struct vring_desc *last = drv_desc(&f->drv, (uint16_t)(head + 1));
	last->flags |= VRING_DESC_F_NEXT;
	last->next = head;
	drv_publish(&f->drv, head);
	refuses(f);
}

static void refuses_next_out_of_range(void **state)
{
	struct fixture *f = *state;
	struct drv_buf b[] = {{BUFS, 4, false}};
	uint16_t head = drv_chain(&f->drv, b, 1);
	drv_desc(&f->drv, head)->flags |= VRING_DESC_F_NEXT;
	drv_desc(&f->drv, head)->next = QSIZE;
	drv_publish(&f->drv, head);
	refuses(f);
}

static void refuses_readable_after_writable(void **state)
{
	struct fixture *f = *state;
	struct drv_buf b[] = {{BUFS, 4, true}, {BUFS + 4, 4, false}};
	drv_add(&f->drv, b, 2);
	refuses(f);
}

static void refuses_head_out_of_range(void **state)
{
	struct fixture *f = *state;
	drv_publish(&f->drv, QSIZE + 3);
	refuses(f);
}

static void refuses_runaway_avail_index(void **state)
{
	struct fixture *f = *state;
	struct vring_avail *a = fake_gpa(f->vm, f->drv.avail);
	a->idx = QSIZE + 1; /* more entries than the ring holds */
	refuses(f);
}

/* An indirect table of n entries at gpa, buffers of 8 bytes each. */
static void write_table(struct fixture *f, uint64_t gpa, unsigned n, unsigned writable_from)
{
	struct vring_desc *t = fake_gpa(f->vm, gpa);
	for (unsigned i = 0; i < n; i++) {
		t[i].addr = BUFS + 8 * i;
		t[i].len = 8;
		t[i].flags = (uint16_t)((i + 1 < n ? VRING_DESC_F_NEXT : 0) |
					(i >= writable_from ? VRING_DESC_F_WRITE : 0));
		t[i].next = (uint16_t)(i + 1);
	}
}

static uint16_t add_indirect(struct fixture *f, uint64_t table, uint32_t len, uint16_t flags)
{
	struct drv_buf b[] = {{table, len, false}};
	uint16_t head = drv_chain(&f->drv, b, 1);
	drv_desc(&f->drv, head)->flags = flags;
	drv_publish(&f->drv, head);
	return head;
}

static void follows_an_indirect_table(void **state)
{
	struct fixture *f = *state;
	uint64_t table = BUFS + 0x8000;
	write_table(f, table, 5, 3);
	uint16_t head = add_indirect(f, table, 5 * 16, VRING_DESC_F_INDIRECT);
	assert_int_equal(vq_pop(&f->vq, &f->chain), VQ_OK);
	assert_int_equal(f->chain.head, head);
	assert_int_equal(f->chain.n_out, 3);
	assert_int_equal(f->chain.n_in, 2);
	assert_int_equal(f->chain.in_len, 16);
}

static void follows_an_unaligned_indirect_table(void **state)
{
	struct fixture *f = *state;
	uint64_t table = BUFS + 0x8003;
	struct vring_desc d = {.addr = BUFS, .len = 8, .flags = VRING_DESC_F_WRITE};
	memcpy(fake_gpa(f->vm, table), &d, sizeof(d));
	add_indirect(f, table, 16, VRING_DESC_F_INDIRECT);
	assert_int_equal(vq_pop(&f->vq, &f->chain), VQ_OK);
	assert_int_equal(f->chain.n_in, 1);
}

static void refuses_nested_indirect(void **state)
{
	struct fixture *f = *state;
	uint64_t table = BUFS + 0x8000;
	write_table(f, table, 2, 2);
	struct vring_desc *t = fake_gpa(f->vm, table);
	t[1].flags = VRING_DESC_F_INDIRECT;
	t[1].addr = table;
	t[1].len = 32;
	add_indirect(f, table, 32, VRING_DESC_F_INDIRECT);
	refuses(f);
}

static void refuses_indirect_with_next(void **state)
{
	struct fixture *f = *state;
	write_table(f, BUFS + 0x8000, 2, 2);
	add_indirect(f, BUFS + 0x8000, 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT);
	refuses(f);
}

static void refuses_indirect_bad_length(void **state)
{
	struct fixture *f = *state;
	write_table(f, BUFS + 0x8000, 2, 2);
	add_indirect(f, BUFS + 0x8000, 20, VRING_DESC_F_INDIRECT);
	refuses(f);
}

static void refuses_indirect_outside_ram(void **state)
{
	struct fixture *f = *state;
	add_indirect(f, FAKE_RAM_BASE + RAM - 16, 32, VRING_DESC_F_INDIRECT);
	refuses(f);
}

static void refuses_indirect_loop(void **state)
{
	struct fixture *f = *state;
	uint64_t table = BUFS + 0x8000;
	write_table(f, table, 3, 3);
	struct vring_desc *t = fake_gpa(f->vm, table);
	t[2].flags |= VRING_DESC_F_NEXT;
	t[2].next = 0;
	add_indirect(f, table, 48, VRING_DESC_F_INDIRECT);
	refuses(f);
}

static void refuses_bad_ring_setup(void **state)
{
	struct fixture *f = *state;
	struct virtqueue vq;
	vq_init(&vq, 0, QSIZE);
	vq.desc_gpa = f->drv.desc;
	vq.avail_gpa = f->drv.avail;
	vq.used_gpa = f->drv.used;
	vq.size = 12; /* not a power of two */
	assert_false(vq_activate(&vq, vm_mem(f->vm), false));
	vq.size = 32; /* above the maximum */
	assert_false(vq_activate(&vq, vm_mem(f->vm), false));
	vq.size = 0;
	assert_false(vq_activate(&vq, vm_mem(f->vm), false));
	vq.size = QSIZE;
	vq.used_gpa = FAKE_RAM_BASE + RAM - 8; /* runs off the end of RAM */
	assert_false(vq_activate(&vq, vm_mem(f->vm), false));
	vq.used_gpa = f->drv.used + 2; /* misaligned */
	assert_false(vq_activate(&vq, vm_mem(f->vm), false));
	vq.used_gpa = f->drv.used;
	assert_true(vq_activate(&vq, vm_mem(f->vm), false));
}

/* EVENT_IDX: one interrupt when the guest's used_event is crossed, none before. */
static void event_idx_suppresses_interrupts(void **state)
{
	struct fixture *f = *state;
	struct drv_buf b[] = {{BUFS, 8, true}};
	*drv_used_event(&f->drv) = 2; /* interrupt once entry 2 is used */
	for (int i = 0; i < 4; i++)
		drv_add(&f->drv, b, 1);
	bool notified[4];
	for (int i = 0; i < 4; i++) {
		assert_int_equal(vq_pop(&f->vq, &f->chain), VQ_OK);
		vq_push(&f->vq, f->chain.head, 8);
		notified[i] = vq_should_notify(&f->vq);
	}
	/* The first always notifies (nothing signalled yet); then only on crossing 2. */
	assert_true(notified[0]);
	assert_false(notified[1]);
	assert_true(notified[2]);
	assert_false(notified[3]);
}

static void enable_notify_publishes_avail_event(void **state)
{
	struct fixture *f = *state;
	struct drv_buf b[] = {{BUFS, 8, true}};
	drv_add(&f->drv, b, 1);
	assert_int_equal(vq_pop(&f->vq, &f->chain), VQ_OK);
	assert_false(vq_enable_notify(&f->vq));
	uint16_t avail_event;
	memcpy(&avail_event, fake_gpa(f->vm, f->drv.used + 4 + 8 * QSIZE), 2);
	assert_int_equal(avail_event, 1);
	drv_add(&f->drv, b, 1);
	assert_true(vq_enable_notify(&f->vq));
}

static void iov_helpers_cross_segments(void **state)
{
	(void)state;
	char a[3] = "abc", b[4] = "defg", out[8] = {0};
	struct iovec v[2] = {{a, 3}, {b, 4}}, s[2];
	assert_int_equal(iov_to_buf(v, 2, 2, out, 4), 4);
	assert_memory_equal(out, "cdef", 4);
	assert_int_equal(iov_from_buf(v, 2, 1, "XYZ", 3), 3);
	assert_memory_equal(a, "aXY", 3);
	assert_memory_equal(b, "Zefg", 4);
	assert_int_equal(iov_slice(v, 2, 2, 3, s), 2);
	assert_int_equal(s[0].iov_len, 1);
	assert_int_equal(s[1].iov_len, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(pops_a_simple_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(empty_queue_is_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_buffer_outside_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_address_wraparound, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_a_loop, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_next_out_of_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_readable_after_writable, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_head_out_of_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_runaway_avail_index, setup, teardown),
	    cmocka_unit_test_setup_teardown(follows_an_indirect_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(follows_an_unaligned_indirect_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_nested_indirect, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_indirect_with_next, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_indirect_bad_length, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_indirect_outside_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_indirect_loop, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_bad_ring_setup, setup, teardown),
	    cmocka_unit_test_setup_teardown(event_idx_suppresses_interrupts, setup, teardown),
	    cmocka_unit_test_setup_teardown(enable_notify_publishes_avail_event, setup, teardown),
	    cmocka_unit_test(iov_helpers_cross_segments),
	};
	return cmocka_run_group_tests_name("virtqueue", tests, NULL, NULL);
}
