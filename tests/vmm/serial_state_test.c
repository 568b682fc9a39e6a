/*
 * The UART's snapshot section (vmm/dev/serial.c): registers, the receive
 * FIFO and the held bytes saved, loaded into a fresh UART, saved again give
 * the same bytes; the guest then reads what it had not read yet, and a
 * pending receive interrupt is raised again. Bad sections are refused with
 * one line.
 */
#include <linux/serial_reg.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../vmm/bus.h"
#include "../../vmm/dev/serial.h"
#include "../../vmm/snapshot/stream.h"
#include "../stderr_capture.h"
#include "../virtio/fake_vm.h"

#define PORT 0x3f8
#define IRQ  4

struct uart {
	struct vm *vm;
	struct serial *s;
	int out[2];
};

static void uart_new(struct uart *u)
{
	u->vm = fake_vm_new(4096);
	assert_non_null(u->vm);
	assert_int_equal(pipe(u->out), 0);
	u->s = serial_create(u->vm, vm_pio_bus(u->vm), PORT, IRQ, u->out[1]);
	assert_non_null(u->s);
}

static void uart_free(struct uart *u)
{
	serial_destroy(u->s);
	close(u->out[0]);
	close(u->out[1]);
	fake_vm_free(u->vm);
}

static void outb(struct uart *u, unsigned reg, uint8_t v)
{
	bus_access(vm_pio_bus(u->vm), PORT + reg, &v, 1, true);
}

static uint8_t inb(struct uart *u, unsigned reg)
{
	uint8_t v = 0;
	bus_access(vm_pio_bus(u->vm), PORT + reg, &v, 1, false);
	return v;
}

static struct bus_device *dev_of(struct uart *u)
{
	return vm_pio_bus(u->vm)->devices[0];
}

static struct snap_writer save(struct uart *u)
{
	struct snap_writer w;
	snap_writer_init(&w);
	assert_int_equal(dev_of(u)->ops->save(dev_of(u), &w), 0);
	return w;
}

static int load(struct uart *u, const void *data, size_t len)
{
	struct snap_reader r;
	snap_reader_init(&r, data, len, "serial");
	return dev_of(u)->ops->load(dev_of(u), &r);
}

/* A guest that set 115200 8N1, reads with interrupts, and has unread bytes. */
static struct snap_writer busy_uart_state(struct uart *u)
{
	outb(u, UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	outb(u, UART_DLL, 1);
	outb(u, UART_DLM, 0);
	outb(u, UART_LCR, UART_LCR_WLEN8);
	outb(u, UART_FCR, UART_FCR_ENABLE_FIFO);
	outb(u, UART_SCR, 0x5a);
	outb(u, UART_IER, UART_IER_RDI);
	assert_int_equal(serial_receive(u->s, (const uint8_t *)"xhello", 6), 6);
	assert_int_equal(inb(u, UART_RX), 'x'); /* FIFO head no longer at 0 */
	return save(u);
}

static void round_trip_keeps_unread_input_and_the_interrupt(void **state)
{
	(void)state;
	struct uart a, c;
	uart_new(&a);
	struct snap_writer first = busy_uart_state(&a);
	uart_free(&a);

	uart_new(&c);
	assert_int_equal(load(&c, first.data, first.len), 0);
	/* The receive interrupt was pending: the fresh line goes up again. */
	assert_int_equal(fake_irq_edges(c.vm, IRQ), 1);
	struct snap_writer second = save(&c);
	assert_int_equal(first.len, second.len);
	assert_memory_equal(first.data, second.data, first.len);

	assert_int_equal(inb(&c, UART_IIR) & 0x0f, UART_IIR_RDI);
	char got[6] = {0};
	for (int i = 0; i < 5; i++)
		got[i] = (char)inb(&c, UART_RX);
	assert_string_equal(got, "hello");
	assert_int_equal(inb(&c, UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(inb(&c, UART_SCR), 0x5a);
	outb(&c, UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	assert_int_equal(inb(&c, UART_DLL), 1);
	snap_writer_free(&first);
	snap_writer_free(&second);
	uart_free(&c);
}

/* Bytes the guest cleared from the FIFO unread are held, and held across a snapshot. */
static void held_bytes_survive(void **state)
{
	(void)state;
	struct uart a, c;
	uart_new(&a);
	outb(&a, UART_IER, UART_IER_RDI);
	assert_int_equal(serial_receive(a.s, (const uint8_t *)"abc", 3), 3);
	outb(&a, UART_IER, 0);
	outb(&a, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	struct snap_writer first = save(&a);
	uart_free(&a);
	uart_new(&c);
	assert_int_equal(load(&c, first.data, first.len), 0);
	assert_int_equal(fake_irq_edges(c.vm, IRQ), 0);
	outb(&c, UART_IER, UART_IER_RDI); /* the tty opens again: held bytes come first */
	char got[4] = {0};
	for (int i = 0; i < 3; i++)
		got[i] = (char)inb(&c, UART_RX);
	assert_string_equal(got, "abc");
	snap_writer_free(&first);
	uart_free(&c);
}

static void bad_sections_are_refused(void **state)
{
	(void)state;
	struct uart a;
	uart_new(&a);
	struct snap_writer good = busy_uart_state(&a);
	/* version u32, 7 registers, thr_ipending, rx_count, rx bytes, held_count, held bytes */
	const struct {
		size_t off;
		uint8_t value;
		const char *error;
	} cases[] = {
	    {0, 9, "serial: UART state version 9, this vmm reads 1"},
	    {4, 0xff, "register values a 16550A cannot hold"}, /* IER */
	    {7, 0xe0, "register values a 16550A cannot hold"}, /* MCR */
	    {11, 2, "register values a 16550A cannot hold"},   /* thr_ipending */
	    {12, 17, "17 bytes in a 16-byte receive FIFO"},    /* rx_count */
	    {12, 9, "section ends after"},		       /* more FIFO bytes than saved */
	    {12 + 1 + 5, 20, "20 held bytes, at most 16"},     /* held_count */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[64];
		memcpy(buf, good.data, good.len);
		buf[cases[i].off] = cases[i].value;
		char *err;
		int rc;
		STDERR_OF(err, rc = load(&a, buf, good.len));
		assert_int_equal(rc, -1);
		assert_one_line_with(err, cases[i].error);
	}
	char *err;
	int rc;
	STDERR_OF(err, rc = load(&a, good.data, good.len - 1));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "section ends after");
	snap_writer_free(&good);
	uart_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip_keeps_unread_input_and_the_interrupt),
	    cmocka_unit_test(held_bytes_survive),
	    cmocka_unit_test(bad_sections_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
