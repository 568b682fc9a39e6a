/*
 * virtio-console, one port (hvc0): what the guest writes goes to out_fd,
 * what arrives on in_fd is offered to the guest when it has posted buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "../util.h"
#include "../vm.h"
#include "virtio.h"
#include "virtio_dev.h"

enum { CONSOLE_RX, CONSOLE_TX };

struct console {
	struct virtio_dev *dev;
	int in_fd, out_fd;
	struct event_loop *loop;
	struct event_watch input;
	bool input_watched; /* pollable and not ended (a regular file or /dev/null is not) */
	bool input_armed;   /* in epoll: only while the guest has room for it */
	bool out_failed;
	struct virtio_console_config config;
	struct vq_chain chain; /* event loop scratch */
};

/*
 * A reader that left (EPIPE) drops the guest's text and the guest runs on;
 * any other write error is said once and stops vmm (status 1), as the UART does.
 */
static void output_failed(struct console *con)
{
	if (con->out_failed)
		return;
	con->out_failed = true;
	if (errno != EPIPE) {
		dev_err(con->dev, "output: %s; stopping the guest", strerror(errno));
		vm_request_exit(con->dev->vm, 1);
	}
}

static void write_all(struct console *con, const struct iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n && !con->out_failed; i++) {
		const char *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;
		while (left) {
			ssize_t w = write(con->out_fd, p, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				if (w == 0)
					errno = EIO;
				output_failed(con);
				return;
			}
			p += w;
			left -= (size_t)w;
		}
	}
}

/*
 * Out of epoll while disarmed: a pipe whose writer left reports EPOLLHUP
 * whatever events were asked for, and its unread bytes must still come.
 */
static void arm_input(struct console *con, bool on)
{
	if (!con->input_watched || con->input_armed == on)
		return;
	if (!on)
		event_loop_del(con->loop, &con->input);
	else if (event_loop_add(con->loop, &con->input, EPOLLIN) < 0)
		return;
	con->input_armed = on;
}

/* End of input, or vmm exits: nothing more will be read. */
static void stop_input(struct console *con)
{
	arm_input(con, false);
	con->input_watched = false;
}

static int64_t console_tx(struct virtio_dev *dev, struct virtqueue *vq, struct vq_chain *c)
{
	struct console *con = dev->priv;
	(void)vq;
	write_all(con, c->iov, c->n_out);
	virtio_dev_count(dev, 1, c->out_len);
	return 0;
}

/* Moves pending input into the guest's receive buffers; dev->lock held. */
static void console_rx(struct console *con)
{
	struct virtqueue *vq = &con->dev->vqs[CONSOLE_RX];
	enum vq_result r = vq_pop(vq, &con->chain);
	if (r == VQ_BAD) {
		virtio_dev_bad_chain(con->dev);
		return;
	}
	if (r == VQ_EMPTY) {
		/* No room: stop reading until the guest posts a buffer. */
		arm_input(con, vq_enable_notify(vq));
		return;
	}
	struct vq_chain *c = &con->chain;
	ssize_t n = readv(con->in_fd, c->iov + c->n_out, (int)c->n_in);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		vq_unpop(vq, 1);
		return;
	}
	if (n <= 0) {
		vq_unpop(vq, 1);
		stop_input(con); /* end of input */
		return;
	}
	virtio_dev_count(con->dev, 1, (uint64_t)n);
	virtio_complete(con->dev, vq, c->head, (uint32_t)n);
}

static void on_input(void *arg, uint32_t events)
{
	struct console *con = arg;
	pthread_mutex_lock(&con->dev->lock);
	if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN)) {
		stop_input(con); /* the other end is gone and nothing is left to read */
	} else if (virtio_driver_ok(con->dev) && con->dev->vqs[CONSOLE_RX].ready)
		console_rx(con);
	else
		arm_input(con, false);
	pthread_mutex_unlock(&con->dev->lock);
}

static void console_queue_notify(struct virtio_dev *dev, struct virtqueue *vq)
{
	struct console *con = dev->priv;
	if (vq->index == CONSOLE_TX)
		virtio_serve(dev, vq, &con->chain, console_tx);
	else
		arm_input(con, true); /* new receive buffers: input may flow again */
}

static void console_config_write(struct virtio_dev *dev, uint32_t off, const void *data,
				 uint32_t len)
{
	struct console *con = dev->priv;
	/* emerg_wr: one character written before the queues exist (early panics). */
	if (off == offsetof(struct virtio_console_config, emerg_wr) && len == 4) {
		struct iovec v = {(void *)data, 1};
		write_all(con, &v, 1);
	}
}

static int console_activate(struct virtio_dev *dev)
{
	arm_input(dev->priv, true);
	return 0;
}

static void console_reset(struct virtio_dev *dev)
{
	arm_input(dev->priv, false);
}

static void console_destroy(struct virtio_dev *dev)
{
	stop_input(dev->priv);
}

static const struct virtio_dev_ops console_ops = {
    .device_id = VIRTIO_ID_CONSOLE,
    .num_queues = 2,
    .queue_max = 64,
    .config_write = console_config_write,
    .queue_notify = console_queue_notify,
    .activate = console_activate,
    .reset = console_reset,
    .destroy = console_destroy,
};

int virtio_console_add(struct vm *vm, int in_fd, int out_fd)
{
	struct console *con = calloc(1, sizeof(*con));
	if (!con) {
		vmm_err("console: out of memory");
		return -1;
	}
	con->in_fd = in_fd;
	con->out_fd = out_fd;
	con->config.max_nr_ports = 1;
	con->loop = vm_event_loop(vm);
	con->input = (struct event_watch){in_fd, on_input, con};
	/* Files and /dev/null cannot be polled: such input simply never arrives. */
	if (in_fd >= 0 && event_loop_add(con->loop, &con->input, 0) == 0) {
		event_loop_del(con->loop, &con->input); /* armed at DRIVER_OK */
		con->input_watched = true;
	}

	char name[16];
	snprintf(name, sizeof(name), "con%u", virtio_count(vm, VIRTIO_ID_CONSOLE));
	uint64_t features = 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE |
			    1ull << VIRTIO_RING_F_INDIRECT_DESC | 1ull << VIRTIO_RING_F_EVENT_IDX;
	con->dev = virtio_dev_create(vm, name, &console_ops, con, features, &con->config,
				     sizeof(con->config));
	if (!con->dev) {
		free(con);
		return -1;
	}
	return 0;
}
