/*
 * One epoll thread runs all device work, so a vCPU thread never waits for a
 * disk or a socket. Handlers run on that thread, one at a time.
 */
#ifndef VMM_VIRTIO_IOTHREAD_H
#define VMM_VIRTIO_IOTHREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef void (*io_handler_fn)(void *arg, uint32_t events);

struct io_watch {
	int fd;
	io_handler_fn fn;
	void *arg;
};

/*
 * pthread_create for device threads: they start with every signal blocked,
 * so vmm's stop signals and vCPU kicks land on the threads that handle them.
 * Returns 0 or an errno value.
 */
int io_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg);

int iothread_init(void);
/* Watches w->fd for events (EPOLLIN...); w must live until iothread_del. */
int iothread_add(struct io_watch *w, uint32_t events);
int iothread_mod(struct io_watch *w, uint32_t events);
void iothread_del(struct io_watch *w);
int iothread_start(void);
/* Stops the thread and closes epoll; safe to call when never started. */
void iothread_stop(void);
bool iothread_running(void);

#endif
