/* The epoll loop of event_loop.h. A stop eventfd ends it without signals. */
#include "event_loop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define EVENTS_PER_WAKEUP 16

#define DEFERRED_MAX 64

struct event_loop {
	int epfd;
	int stop_fd;
	pthread_t thread;
	bool running;
	/* Freed after the current batch of events, which may still point at them. */
	void *deferred[DEFERRED_MAX];
	unsigned nr_deferred;
};

int vmm_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int err = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

int stop_signals_fd(void)
{
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	return signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
}

struct event_loop *event_loop_create(void)
{
	struct event_loop *loop = calloc(1, sizeof(*loop));
	if (!loop) {
		fprintf(stderr, "vmm: event loop: out of memory\n");
		return NULL;
	}
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	/* data.ptr NULL marks the stop eventfd. */
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (loop->epfd < 0 || loop->stop_fd < 0 ||
	    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->stop_fd, &ev) < 0) {
		fprintf(stderr, "vmm: event loop: cannot create its epoll: %s\n", strerror(errno));
		event_loop_destroy(loop);
		return NULL;
	}
	return loop;
}

void event_loop_destroy(struct event_loop *loop)
{
	if (!loop)
		return;
	event_loop_stop(loop);
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->stop_fd >= 0)
		close(loop->stop_fd);
	free(loop);
}

int event_loop_add(struct event_loop *loop, struct event_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};
	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

int event_loop_mod(struct event_loop *loop, struct event_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void event_loop_del(struct event_loop *loop, struct event_watch *w)
{
	if (loop && w->fd >= 0)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

int event_loop_add_timer(struct event_loop *loop, struct event_watch *w, unsigned interval_ms)
{
	struct timespec every = {.tv_sec = interval_ms / 1000,
				 .tv_nsec = (long)(interval_ms % 1000) * 1000000};
	struct itimerspec spec = {.it_interval = every, .it_value = every};
	w->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (w->fd < 0)
		return -1;
	if (timerfd_settime(w->fd, 0, &spec, NULL) < 0 || event_loop_add(loop, w, EPOLLIN) < 0) {
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	return 0;
}

void event_loop_del_timer(struct event_loop *loop, struct event_watch *w)
{
	if (w->fd < 0)
		return;
	event_loop_del(loop, w);
	close(w->fd);
	w->fd = -1;
}

void event_loop_free_later(struct event_loop *loop, void *ptr)
{
	if (!loop->running) {
		free(ptr);
		return;
	}
	if (loop->nr_deferred == DEFERRED_MAX) {
		/* Cannot happen with fewer frees per batch than events: keep it, do not crash. */
		return;
	}
	loop->deferred[loop->nr_deferred++] = ptr;
}

static void free_deferred(struct event_loop *loop)
{
	for (unsigned i = 0; i < loop->nr_deferred; i++)
		free(loop->deferred[i]);
	loop->nr_deferred = 0;
}

static void *loop_main(void *arg)
{
	struct event_loop *loop = arg;
	struct epoll_event evs[EVENTS_PER_WAKEUP];
	for (;;) {
		int n = epoll_wait(loop->epfd, evs, EVENTS_PER_WAKEUP, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "vmm: event loop: epoll_wait: %s\n", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			struct event_watch *w = evs[i].data.ptr;
			if (!w) {
				free_deferred(loop);
				return NULL; /* the stop eventfd */
			}
			w->fn(w->arg, evs[i].events);
		}
		free_deferred(loop);
	}
}

int event_loop_start(struct event_loop *loop)
{
	if (loop->running)
		return 0;
	int err = vmm_thread_create(&loop->thread, loop_main, loop);
	if (err) {
		fprintf(stderr, "vmm: cannot start the event loop thread: %s\n", strerror(err));
		return -1;
	}
	loop->running = true;
	return 0;
}

bool event_loop_running(const struct event_loop *loop)
{
	return loop && loop->running;
}

void event_loop_stop(struct event_loop *loop)
{
	if (!loop || !loop->running)
		return;
	uint64_t one = 1;
	if (write(loop->stop_fd, &one, sizeof(one)) != sizeof(one))
		perror("vmm: event loop: stop");
	pthread_join(loop->thread, NULL);
	loop->running = false;
}
