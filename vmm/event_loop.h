/*
 * The vmm event loop: one epoll thread per VM that runs everything that
 * waits for a file descriptor (virtio kicks, TAP packets, console input, the
 * monitor socket and its clients, timers), so no vCPU thread ever waits for
 * I/O and there is one way to stop it all. Handlers run on the loop thread,
 * one at a time, and must not block.
 */
#ifndef VMM_EVENT_LOOP_H
#define VMM_EVENT_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct event_loop;

typedef void (*event_fn)(void *arg, uint32_t events);

/* What one registered fd runs; it must live until event_loop_del. */
struct event_watch {
	int fd;
	event_fn fn;
	void *arg;
};

/* NULL after a message when epoll or the stop eventfd cannot be had. */
struct event_loop *event_loop_create(void);
/* Stops the thread if it runs and frees the loop; NULL is fine. */
void event_loop_destroy(struct event_loop *loop);

/* Watches w->fd for events (EPOLLIN...; 0 keeps it registered but quiet). 0 or -1 (errno). */
int event_loop_add(struct event_loop *loop, struct event_watch *w, uint32_t events);
/* Safe from any thread: a vCPU may re-arm input the loop stopped reading. */
int event_loop_mod(struct event_loop *loop, struct event_watch *w, uint32_t events);
void event_loop_del(struct event_loop *loop, struct event_watch *w);

/*
 * On the loop thread: frees ptr (a handler's object whose watch it just
 * deleted) once the current batch of events, which may still name it, is done.
 */
void event_loop_free_later(struct event_loop *loop, void *ptr);

/* A periodic timer: w->fd becomes a timerfd that fires every interval_ms. 0 or -1. */
int event_loop_add_timer(struct event_loop *loop, struct event_watch *w, unsigned interval_ms);
/* Removes the timer and closes its fd. */
void event_loop_del_timer(struct event_loop *loop, struct event_watch *w);

/* Starts the loop thread (once). -1 with a message on failure. */
int event_loop_start(struct event_loop *loop);
/* The one stop: wakes the thread through an eventfd and joins it. Idempotent. */
void event_loop_stop(struct event_loop *loop);
bool event_loop_running(const struct event_loop *loop);

/*
 * pthread_create for vmm's helper threads (the loop, blk workers): they start
 * with every signal blocked, so stop signals and vCPU kicks land on the
 * threads that handle them. Returns 0 or an errno value.
 */
int vmm_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg);
/*
 * Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in the
 * vCPU threads it starts later) and returns a non-blocking signalfd of
 * them, or -1 with errno: whoever reads it stops vmm cleanly.
 */
int stop_signals_fd(void);

#endif
