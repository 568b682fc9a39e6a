#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "dev/serial.h"
#include "util.h"
#include "vm.h"

static struct {
	int out_fd;
	bool own_out_fd;
	bool tty_saved;
	struct termios saved;
	int stop_pipe[2];
	pthread_t thread;
	bool thread_running;
	struct vm *vm;
	struct serial *serial;
	void (*monitor_fn)(void *opaque);
	void *monitor_opaque;
} con = {.out_fd = STDOUT_FILENO, .stop_pipe = {-1, -1}};

static struct vm *signal_vm;

static void restore_tty(void)
{
	if (con.tty_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &con.saved);
}

int console_open(const char *path)
{
	if (path) {
		con.out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (con.out_fd < 0)
			return vmm_err("cannot open console file %s: %s", path, strerror(errno));
		con.own_out_fd = true;
		return 0;
	}
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &con.saved) == 0) {
		struct termios raw = con.saved;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR; /* keep vmm's own messages readable */
		con.tty_saved = true;
		atexit(restore_tty);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	return 0;
}

int console_out_fd(void)
{
	return con.out_fd;
}

static void feed_guest(const uint8_t *buf, size_t len)
{
	while (len) {
		size_t n = serial_receive(con.serial, buf, len);
		buf += n;
		len -= n;
		if (len) {
			/* The guest has not drained its FIFO yet; stop waiting when asked to. */
			struct pollfd stop = {.fd = con.stop_pipe[0], .events = POLLIN};
			if (poll(&stop, 1, 2) > 0)
				return;
		}
	}
}

static void *input_thread(void *arg)
{
	(void)arg;
	struct console_escape esc = {0};
	struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
				{.fd = con.stop_pipe[0], .events = POLLIN}};
	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (!fds[0].revents)
			continue;
		uint8_t buf[64];
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* end of input: the guest keeps running */
		int quit;
		size_t len = console_filter(&esc, buf, (size_t)n, &quit);
		feed_guest(buf, len);
		if (esc.open_monitor && con.monitor_fn)
			con.monitor_fn(con.monitor_opaque);
		esc.open_monitor = 0;
		if (quit) {
			vm_request_exit(con.vm, 0);
			break;
		}
	}
	return NULL;
}

void console_set_monitor(void (*fn)(void *opaque), void *opaque)
{
	con.monitor_fn = fn;
	con.monitor_opaque = opaque;
}

int console_start_input(struct vm *vm, struct serial *serial)
{
	if (con.own_out_fd)
		return 0; /* a console file is output only */
	con.vm = vm;
	con.serial = serial;
	if (pipe2(con.stop_pipe, O_CLOEXEC) < 0)
		return vmm_err("pipe: %s", strerror(errno));
	sigset_t all, old;
	sigfillset(&all);
	/* Signals go to the main thread; this one only reads. */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int err = pthread_create(&con.thread, NULL, input_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return vmm_err("cannot start the console thread: %s", strerror(err));
	con.thread_running = true;
	return 0;
}

void console_close(void)
{
	if (con.thread_running) {
		(void)!write(con.stop_pipe[1], "", 1);
		pthread_join(con.thread, NULL);
		con.thread_running = false;
	}
	for (int i = 0; i < 2; i++) {
		if (con.stop_pipe[i] >= 0)
			close(con.stop_pipe[i]);
		con.stop_pipe[i] = -1;
	}
	if (con.own_out_fd)
		close(con.out_fd);
	con.own_out_fd = false;
	restore_tty();
	con.tty_saved = false;
}

static void on_stop_signal(int sig)
{
	vm_request_exit(signal_vm, 128 + sig);
}

int console_catch_signals(struct vm *vm)
{
	signal_vm = vm;
	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigemptyset(&sa.sa_mask);
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return vmm_err("sigaction: %s", strerror(errno));
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}
