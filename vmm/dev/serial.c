/*
 * The UART as Linux's 8250 driver drives it: transmit completes the moment
 * the guest writes THR (so THR is always empty), receive goes through a
 * 16-byte FIFO filled from the console on the event loop, and the interrupt
 * line follows IIR so that edge-triggered IRQ 4 fires on each new cause.
 *
 * Input is taken only while a driver listens (the receive interrupt is
 * enabled: Linux does so once the tty is open, after clearing the FIFO) and
 * the FIFO has room; the rest waits on the host side, so bytes piped in
 * before the guest is ready are not lost, and a guest that throttles (Linux
 * clears the receive interrupt) stops the flow. Bytes the guest clears from
 * the FIFO unread (Linux's probe enables every interrupt for a moment, and
 * its tty open clears the FIFO) are held and offered again first.
 */
#include "serial.h"

#include <errno.h>
#include <linux/serial_reg.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../snapshot/stream.h"
#include "../util.h"
#include "../vm.h"

#define FIFO_SIZE	     16
#define SERIAL_STATE_VERSION 1

struct serial {
	struct bus_device dev;
	struct vm *vm;
	int out_fd;
	pthread_mutex_t lock;
	uint8_t rx[FIFO_SIZE];
	unsigned rx_head, rx_count;
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	bool thr_ipending; /* "THR empty" not yet acknowledged by an IIR read */
	int irq, irq_level;
	uint64_t tx_bytes;
	bool out_failed;
	/* Called once when room appears after serial_rx_room returned 0 (the console re-arms). */
	void (*rx_ready)(void *opaque);
	void *rx_ready_opaque;
	bool rx_waiting;
	struct bus *bus;
	bool tx_batched; /* KVM queues THR writes (vm_batch_writes) */
	/* Cleared from the FIFO before the guest read them; never more than one FIFO's worth. */
	uint8_t held[FIFO_SIZE];
	unsigned held_count;
};

static size_t fifo_room(const struct serial *s)
{
	if (!(s->ier & UART_IER_RDI) || (s->mcr & UART_MCR_LOOP))
		return 0;
	return FIFO_SIZE - s->rx_count;
}

/* Room for new host bytes: none while held bytes wait to go first. */
static size_t rx_room(const struct serial *s)
{
	return s->held_count ? 0 : fifo_room(s);
}

static void fifo_push(struct serial *s, uint8_t byte)
{
	s->rx[(s->rx_head + s->rx_count) % FIFO_SIZE] = byte;
	s->rx_count++;
}

/* FCR "clear receiver": the unread bytes (older than any held ones) are held, not lost. */
static void hold_fifo(struct serial *s)
{
	uint8_t all[2 * FIFO_SIZE];
	unsigned n = 0;
	for (unsigned i = 0; i < s->rx_count; i++)
		all[n++] = s->rx[(s->rx_head + i) % FIFO_SIZE];
	for (unsigned i = 0; i < s->held_count; i++)
		all[n++] = s->held[i];
	s->held_count = n < FIFO_SIZE ? n : FIFO_SIZE;
	memcpy(s->held, all, s->held_count);
	s->rx_count = 0;
}

static void refill_from_held(struct serial *s)
{
	unsigned moved = 0;
	while (moved < s->held_count && fifo_room(s))
		fifo_push(s, s->held[moved++]);
	memmove(s->held, s->held + moved, s->held_count - moved);
	s->held_count -= moved;
}

/* With s->lock held; returns whether the console waits for room that is now there. */
static bool rx_became_ready(struct serial *s)
{
	if (!s->rx_waiting || !rx_room(s))
		return false;
	s->rx_waiting = false;
	return s->rx_ready != NULL;
}

static uint8_t serial_iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & UART_FCR_ENABLE_FIFO) ? 0xc0 : 0;
	if ((s->ier & UART_IER_RDI) && s->rx_count)
		return fifo | UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thr_ipending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NO_INT;
}

static void serial_update_irq(struct serial *s)
{
	int level = !(serial_iir(s) & UART_IIR_NO_INT);
	if (level != s->irq_level) {
		s->irq_level = level;
		vm_set_irq_line(s->vm, s->irq, level);
	}
}

static uint8_t serial_msr(const struct serial *s)
{
	if (!(s->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	/* Loopback: the modem outputs come back as inputs. */
	uint8_t msr = 0;
	if (s->mcr & UART_MCR_OUT2)
		msr |= UART_MSR_DCD;
	if (s->mcr & UART_MCR_OUT1)
		msr |= UART_MSR_RI;
	if (s->mcr & UART_MCR_DTR)
		msr |= UART_MSR_DSR;
	if (s->mcr & UART_MCR_RTS)
		msr |= UART_MSR_CTS;
	return msr;
}

static void transmit(struct serial *s, uint8_t byte)
{
	s->tx_bytes++;
	if (s->mcr & UART_MCR_LOOP) {
		if (s->rx_count < FIFO_SIZE)
			s->rx[(s->rx_head + s->rx_count++) % FIFO_SIZE] = byte;
	} else if (!s->out_failed) {
		ssize_t n;
		do
			n = write(s->out_fd, &byte, 1);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			s->out_failed = true;
			/* A reader that left (| head) is no error: the guest runs on, unheard. */
			if (errno != EPIPE) {
				vmm_err("console output: %s; stopping the guest", strerror(errno));
				vm_request_exit(s->vm, 1);
			}
		}
	}
	s->thr_ipending = true;
}

/*
 * A THR write has no effect the guest sees before its next exit unless it
 * raises an interrupt (THRI, or RDI through loopback): only then must it
 * exit at once. Linux's console write clears IER, so each printk byte costs
 * one exit (its LSR poll) instead of two.
 */
static void update_tx_batching(struct serial *s)
{
	bool want = !(s->ier & UART_IER_THRI) && !(s->mcr & UART_MCR_LOOP);
	if (want != s->tx_batched &&
	    vm_batch_writes(s->vm, s->bus, s->dev.base + UART_TX, 1, want) == 0)
		s->tx_batched = want;
}

static uint8_t read_reg(struct serial *s, uint64_t reg)
{
	bool dlab = s->lcr & UART_LCR_DLAB;
	switch (reg) {
	case UART_RX:
		if (dlab)
			return s->dll;
		if (!s->rx_count)
			return 0;
		uint8_t byte = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % FIFO_SIZE;
		s->rx_count--;
		return byte;
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR: {
		uint8_t iir = serial_iir(s);
		if ((iir & 0x0f) == UART_IIR_THRI)
			s->thr_ipending = false;
		return iir;
	}
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT | (s->rx_count ? UART_LSR_DR : 0);
	case UART_MSR:
		return serial_msr(s);
	default:
		return s->scr;
	}
}

static void write_reg(struct serial *s, uint64_t reg, uint8_t value)
{
	bool dlab = s->lcr & UART_LCR_DLAB;
	switch (reg) {
	case UART_TX:
		if (dlab)
			s->dll = value;
		else
			transmit(s, value);
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = value;
			break;
		}
		/* Enabling THRI with THR empty raises it at once: the driver waits for that. */
		if ((value & UART_IER_THRI) && !(s->ier & UART_IER_THRI))
			s->thr_ipending = true;
		s->ier = value & 0x0f;
		update_tx_batching(s);
		break;
	case UART_FCR:
		if (value & UART_FCR_CLEAR_RCVR)
			hold_fifo(s);
		s->fcr = value & (UART_FCR_ENABLE_FIFO | 0xc0);
		break;
	case UART_LCR:
		s->lcr = value;
		break;
	case UART_MCR:
		s->mcr = value & 0x1f;
		update_tx_batching(s);
		break;
	case UART_SCR:
		s->scr = value;
		break;
	}
}

static void serial_read(struct bus_device *dev, uint64_t offset, void *data, uint32_t len)
{
	struct serial *s = dev->opaque;
	uint8_t *out = data;
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < len; i++)
		out[i] = i == 0 ? read_reg(s, offset) : 0;
	refill_from_held(s);
	serial_update_irq(s);
	bool ready = rx_became_ready(s);
	pthread_mutex_unlock(&s->lock);
	if (ready)
		s->rx_ready(s->rx_ready_opaque);
}

static void serial_write(struct bus_device *dev, uint64_t offset, const void *data, uint32_t len)
{
	struct serial *s = dev->opaque;
	(void)len; /* wider writes are treated as their low byte, as on an ISA UART */
	pthread_mutex_lock(&s->lock);
	write_reg(s, offset, *(const uint8_t *)data);
	refill_from_held(s);
	serial_update_irq(s);
	bool ready = rx_became_ready(s);
	pthread_mutex_unlock(&s->lock);
	if (ready)
		s->rx_ready(s->rx_ready_opaque);
}

/*
 * The registers, the receive FIFO in order and the held bytes: what the
 * guest can still read. Host input not yet taken (the console's buffer)
 * belongs to this process's stdin, not to the guest, and is not saved.
 */
static int serial_save(struct bus_device *dev, struct snap_writer *w)
{
	struct serial *s = dev->opaque;
	const uint8_t regs[] = {s->ier, s->fcr, s->lcr, s->mcr, s->scr, s->dll, s->dlm};
	pthread_mutex_lock(&s->lock);
	snap_put_u32(w, SERIAL_STATE_VERSION);
	snap_put(w, regs, sizeof(regs));
	snap_put_u8(w, s->thr_ipending);
	snap_put_u8(w, (uint8_t)s->rx_count);
	for (unsigned i = 0; i < s->rx_count; i++)
		snap_put_u8(w, s->rx[(s->rx_head + i) % FIFO_SIZE]);
	snap_put_u8(w, (uint8_t)s->held_count);
	snap_put(w, s->held, s->held_count);
	pthread_mutex_unlock(&s->lock);
	return w->failed ? -1 : 0;
}

struct serial_saved {
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm, thr_ipending, rx_count, held_count;
	uint8_t rx[FIFO_SIZE], held[FIFO_SIZE];
};

static int get_saved(struct snap_reader *r, struct serial_saved *v)
{
	uint32_t version;
	if (snap_get_u32(r, &version))
		return -1;
	if (version != SERIAL_STATE_VERSION)
		return snap_bad(r, "UART state version %u, this vmm reads %u", version,
				SERIAL_STATE_VERSION);
	uint8_t *regs[] = {&v->ier, &v->fcr, &v->lcr,	       &v->mcr,	    &v->scr,
			   &v->dll, &v->dlm, &v->thr_ipending, &v->rx_count};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (snap_get_u8(r, regs[i]))
			return -1;
	if (v->rx_count > FIFO_SIZE)
		return snap_bad(r, "%u bytes in a %u-byte receive FIFO", v->rx_count, FIFO_SIZE);
	if (snap_get(r, v->rx, v->rx_count) || snap_get_u8(r, &v->held_count))
		return -1;
	if (v->held_count > FIFO_SIZE)
		return snap_bad(r, "%u held bytes, at most %u", v->held_count, FIFO_SIZE);
	if (snap_get(r, v->held, v->held_count))
		return -1;
	if ((v->ier & ~0x0f) || (v->mcr & ~0x1f) || (v->fcr & ~(UART_FCR_ENABLE_FIFO | 0xc0)) ||
	    v->thr_ipending > 1)
		return snap_bad(r, "register values a 16550A cannot hold");
	return snap_reader_done(r);
}

static int serial_load(struct bus_device *dev, struct snap_reader *r)
{
	struct serial *s = dev->opaque;
	struct serial_saved v;
	if (get_saved(r, &v) < 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	s->ier = v.ier;
	s->fcr = v.fcr;
	s->lcr = v.lcr;
	s->mcr = v.mcr;
	s->scr = v.scr;
	s->dll = v.dll;
	s->dlm = v.dlm;
	s->thr_ipending = v.thr_ipending;
	memcpy(s->rx, v.rx, v.rx_count);
	s->rx_head = 0;
	s->rx_count = v.rx_count;
	memcpy(s->held, v.held, v.held_count);
	s->held_count = v.held_count;
	update_tx_batching(s);
	/*
	 * A fresh irqchip line is low: raise it if an interrupt was pending, so
	 * the guest gets it (again: its handler finds IIR empty at worst).
	 */
	s->irq_level = 0;
	serial_update_irq(s);
	bool ready = rx_became_ready(s);
	pthread_mutex_unlock(&s->lock);
	if (ready)
		s->rx_ready(s->rx_ready_opaque);
	return 0;
}

static const struct bus_device_ops serial_ops = {
    .read = serial_read, .write = serial_write, .save = serial_save, .load = serial_load};

struct serial *serial_create(struct vm *vm, struct bus *bus, uint64_t base, int irq, int out_fd)
{
	struct serial *s = calloc(1, sizeof(*s));
	if (!s) {
		vmm_err("out of memory");
		return NULL;
	}
	s->vm = vm;
	s->out_fd = out_fd;
	s->irq = irq;
	s->mcr = UART_MCR_OUT2;
	s->lcr = UART_LCR_WLEN8;
	pthread_mutex_init(&s->lock, NULL);
	s->dev = (struct bus_device){
	    .name = "serial", .base = base, .len = 8, .ops = &serial_ops, .opaque = s};
	s->bus = bus;
	if (bus_register(bus, &s->dev) < 0) {
		vmm_err("cannot register the serial port");
		serial_destroy(s);
		return NULL;
	}
	update_tx_batching(s);
	return s;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void serial_set_rx_ready(struct serial *s, void (*fn)(void *opaque), void *opaque)
{
	pthread_mutex_lock(&s->lock);
	s->rx_ready = fn;
	s->rx_ready_opaque = opaque;
	pthread_mutex_unlock(&s->lock);
}

size_t serial_rx_room(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	refill_from_held(s);
	size_t room = rx_room(s);
	s->rx_waiting = room == 0;
	pthread_mutex_unlock(&s->lock);
	return room;
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t taken = 0;
	pthread_mutex_lock(&s->lock);
	refill_from_held(s);
	while (taken < len && rx_room(s))
		fifo_push(s, buf[taken++]);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return taken;
}

uint64_t serial_tx_bytes(const struct serial *s)
{
	return s->tx_bytes;
}
