/*
 * The host end of the serial console, on the VM's event loop. stdin is read
 * into a bounded buffer (so the Ctrl-A escape works even while the guest
 * reads nothing), and the buffer goes to the UART only as fast as the UART
 * can take it (serial_rx_room: its driver listens and its FIFO has room).
 * While the buffer is full stdin is not watched at all: what is piped in
 * waits in the pipe, and nothing is lost when it ends. Ctrl-A c hands stdin
 * to the monitor prompt until the person leaves it.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "dev/serial.h"
#include "event_loop.h"
#include "monitor/monitor.h"
#include "util.h"
#include "vm.h"

/* stdin that epoll refuses (a regular file, /dev/null) is read on a timer instead. */
#define POLL_INTERVAL_MS 10
#define PENDING_MAX	 4096

struct console {
	int out_fd;
	bool own_out_fd;
	bool tty_saved;
	struct termios saved;
	struct vm *vm;
	struct event_loop *loop;
	struct serial *serial;
	struct event_watch input;
	bool watching, on_timer, armed;
	/* Read from stdin, not yet taken by the UART. */
	uint8_t pending[PENDING_MAX];
	size_t pending_len;
	/* The UART made room (a vCPU writes it; the loop drains pending). */
	struct event_watch room;
	struct console_escape esc;
	struct monitor *monitor;
	struct monitor_session *prompt;	 /* the (vmm) prompt has stdin */
	struct event_watch stop_signals; /* a signalfd of SIGINT, SIGTERM, SIGHUP */
};

static void restore_tty(struct console *con)
{
	if (con->tty_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &con->saved);
	con->tty_saved = false;
}

struct console *console_open(const char *path)
{
	struct console *con = calloc(1, sizeof(*con));
	if (!con) {
		vmm_err("out of memory");
		return NULL;
	}
	con->out_fd = STDOUT_FILENO;
	con->input.fd = -1;
	con->room.fd = -1;
	con->stop_signals.fd = -1;
	if (path) {
		con->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (con->out_fd < 0) {
			vmm_err("cannot open console file %s: %s", path, strerror(errno));
			free(con);
			return NULL;
		}
		con->own_out_fd = true;
		return con;
	}
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &con->saved) == 0) {
		struct termios raw = con->saved;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR; /* keep vmm's own messages readable */
		con->tty_saved = true;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	return con;
}

int console_out_fd(const struct console *con)
{
	return con->out_fd;
}

/*
 * Out of epoll while the buffer is full: a pipe whose writer is gone reports
 * EPOLLHUP even with no events asked for, and its unread bytes still count.
 * Timers keep ticking; a full buffer only makes the tick skip the read.
 */
static void arm(struct console *con, bool on)
{
	if (!con->watching || con->on_timer || con->armed == on)
		return;
	if (!on)
		event_loop_del(con->loop, &con->input);
	else if (event_loop_add(con->loop, &con->input, EPOLLIN) < 0)
		return;
	con->armed = on;
}

static void stop_input(struct console *con)
{
	if (!con->watching)
		return;
	if (con->on_timer)
		event_loop_del_timer(con->loop, &con->input);
	else if (con->armed)
		event_loop_del(con->loop, &con->input);
	con->watching = con->armed = false;
}

/* vCPU thread: the guest made room in its FIFO (or started listening). */
static void on_rx_ready(void *opaque)
{
	struct console *con = opaque;
	uint64_t one = 1;
	(void)!write(con->room.fd, &one, sizeof(one));
}

/* Gives the UART what it can take; it calls on_rx_ready when it can take more. */
static void flush_pending(struct console *con)
{
	size_t done = 0, room;
	while (done < con->pending_len && (room = serial_rx_room(con->serial)) > 0) {
		size_t n = con->pending_len - done < room ? con->pending_len - done : room;
		done += serial_receive(con->serial, con->pending + done, n);
	}
	memmove(con->pending, con->pending + done, con->pending_len - done);
	con->pending_len -= done;
	arm(con, con->pending_len < PENDING_MAX);
}

static void on_room(void *arg, uint32_t events)
{
	struct console *con = arg;
	uint64_t n;
	(void)events;
	if (read(con->room.fd, &n, sizeof(n)) == sizeof(n))
		flush_pending(con);
}

/* Escape commands: Ctrl-A x quits, Ctrl-A c opens the prompt. */
static void run_escape(struct console *con, int quit)
{
	if (quit) {
		vm_request_exit(con->vm, 0);
		stop_input(con);
	} else if (con->esc.open_monitor && con->monitor) {
		con->prompt = monitor_console_open(con->monitor, con->loop);
	}
	con->esc.open_monitor = 0;
}

/* Reads what the buffer has room for, never more; the UART gets it as it can. */
static void to_guest(struct console *con)
{
	size_t space = PENDING_MAX - con->pending_len;
	if (!space) {
		arm(con, false);
		return;
	}
	uint8_t *buf = con->pending + con->pending_len;
	ssize_t n = read(STDIN_FILENO, buf, space < 256 ? space : 256);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		stop_input(con); /* end of input: what is pending still goes, the guest runs on */
		return;
	}
	int quit;
	con->pending_len += console_filter(&con->esc, buf, (size_t)n, &quit);
	run_escape(con, quit);
	flush_pending(con);
}

static void on_input(void *arg, uint32_t events)
{
	struct console *con = arg;
	if (con->on_timer) {
		uint64_t ticks;
		if (read(con->input.fd, &ticks, sizeof(ticks)) != sizeof(ticks))
			return;
	} else if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN)) {
		stop_input(con);
		return;
	}
	if (!con->prompt) {
		to_guest(con);
	} else if (!monitor_console_feed(con->prompt)) {
		monitor_console_close(con->prompt);
		con->prompt = NULL;
	}
}

void console_set_monitor(struct console *con, struct monitor *mon)
{
	con->monitor = mon;
}

int console_start_input(struct console *con, struct vm *vm, struct serial *serial)
{
	if (con->own_out_fd)
		return 0; /* a console file is output only */
	con->vm = vm;
	con->loop = vm_event_loop(vm);
	con->serial = serial;
	con->room = (struct event_watch){eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), on_room, con};
	if (con->room.fd < 0 || event_loop_add(con->loop, &con->room, EPOLLIN) < 0)
		return vmm_err("console: cannot create its eventfd: %s", strerror(errno));
	serial_set_rx_ready(serial, on_rx_ready, con);
	con->input = (struct event_watch){STDIN_FILENO, on_input, con};
	if (event_loop_add(con->loop, &con->input, EPOLLIN) == 0) {
		con->watching = con->armed = true;
		return 0;
	}
	if (errno != EPERM)
		return vmm_err("cannot watch stdin: %s", strerror(errno));
	if (event_loop_add_timer(con->loop, &con->input, POLL_INTERVAL_MS) < 0)
		return vmm_err("cannot read stdin on a timer: %s", strerror(errno));
	con->watching = con->on_timer = true;
	return 0;
}

void console_close(struct console *con)
{
	if (!con)
		return;
	stop_input(con);
	if (con->serial)
		serial_set_rx_ready(con->serial, NULL, NULL);
	con->serial = NULL;
	if (con->room.fd >= 0) {
		event_loop_del(con->loop, &con->room);
		close(con->room.fd);
		con->room.fd = -1;
	}
	if (con->prompt)
		monitor_console_close(con->prompt);
	con->prompt = NULL;
	if (con->stop_signals.fd >= 0) {
		event_loop_del(con->loop, &con->stop_signals);
		close(con->stop_signals.fd);
		con->stop_signals.fd = -1;
	}
	if (con->own_out_fd)
		close(con->out_fd);
	con->own_out_fd = false;
	restore_tty(con);
}

void console_destroy(struct console *con)
{
	console_close(con);
	free(con);
}

static void on_stop_signal(void *arg, uint32_t events)
{
	struct console *con = arg;
	struct signalfd_siginfo info;
	(void)events;
	if (read(con->stop_signals.fd, &info, sizeof(info)) == sizeof(info))
		vm_request_exit(con->vm, 128 + (int)info.ssi_signo);
}

/*
 * A signalfd on the event loop instead of a handler, which would need the VM
 * in a global. The signals stay blocked in every thread so that they wait for
 * it: vmm's other threads block all signals from birth (vmm_thread_create)
 * and vCPU threads, started later, inherit this thread's mask.
 */
int console_catch_signals(struct console *con, struct vm *vm)
{
	con->vm = vm;
	con->loop = vm_event_loop(vm);
	con->stop_signals = (struct event_watch){stop_signals_fd(), on_stop_signal, con};
	if (con->stop_signals.fd < 0 || event_loop_add(con->loop, &con->stop_signals, EPOLLIN) < 0)
		return vmm_err("cannot watch for SIGINT, SIGTERM, SIGHUP: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	return 0;
}
