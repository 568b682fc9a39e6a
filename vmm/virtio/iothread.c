/*
 * The I/O thread: one epoll loop for every device's eventfds, TAPs and
 * console input. A stop eventfd ends it without signals.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "iothread.h"

static int epfd = -1;
static int stop_fd = -1;
static pthread_t thread;
static bool running;

int io_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int err = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

int iothread_init(void)
{
	if (epfd >= 0)
		return 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (epfd < 0 || stop_fd < 0) {
		fprintf(stderr, "vmm: virtio: cannot create the I/O thread's epoll: %s\n",
			strerror(errno));
		iothread_stop();
		return -1;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, stop_fd, &ev);
}

int iothread_add(struct io_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};
	if (iothread_init() < 0)
		return -1;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

int iothread_mod(struct io_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};
	return epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void iothread_del(struct io_watch *w)
{
	if (epfd >= 0 && w->fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

static void *iothread_main(void *unused)
{
	struct epoll_event evs[16];
	(void)unused;
	for (;;) {
		int n = epoll_wait(epfd, evs, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "vmm: virtio: epoll_wait: %s\n", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			struct io_watch *w = evs[i].data.ptr;
			if (!w)
				return NULL; /* stop_fd */
			w->fn(w->arg, evs[i].events);
		}
	}
}

int iothread_start(void)
{
	if (running)
		return 0;
	if (iothread_init() < 0)
		return -1;
	int err = io_thread_create(&thread, iothread_main, NULL);
	if (err) {
		fprintf(stderr, "vmm: virtio: cannot start the I/O thread: %s\n", strerror(err));
		return -1;
	}
	running = true;
	return 0;
}

bool iothread_running(void)
{
	return running;
}

void iothread_stop(void)
{
	if (running) {
		uint64_t one = 1;
		if (write(stop_fd, &one, sizeof(one)) != sizeof(one))
			perror("vmm: virtio: stop I/O thread");
		pthread_join(thread, NULL);
		running = false;
	}
	if (epfd >= 0)
		close(epfd);
	if (stop_fd >= 0)
		close(stop_fd);
	epfd = stop_fd = -1;
}
