/* An I/O thread: it waits (epoll) on the fds it was given and on a stop
 * eventfd, and calls each fd's handler.  It knows nothing of virtio: a
 * virtio device gives it its queues' notification eventfds and its backend
 * fds (tap, io_uring completions, console input).  One thread per device:
 * devices never wait on each other, and no device work runs on a vCPU
 * thread.  The worker's state is its own. */
#ifndef WARDEN_VIRTIO_WORKER_H
#define WARDEN_VIRTIO_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sandbox/seccomp.h"

/* A device's queue notifications (up to 8) and its backend fds (a network:
 * a tap, a resume eventfd and two coalescing timers per queue pair). */
#define IO_WORKER_MAX_WATCH 32

typedef void io_handler(void *ctx, int fd, uint32_t events);

struct io_watch {
	int fd;
	io_handler *fn;
	void *ctx;
};

/* Polling mode: after handling its events the thread keeps looking for
 * work without waiting for a notification (quiet() first asks the guest
 * not to send any), and only when poll() has found nothing for the window
 * does rearm() ask for notifications again; rearm() returns true if work
 * came meanwhile (the thread then polls on).  All three run on the thread;
 * poll() and rearm() do the work they find.
 *
 * With max_ns above window_ns the window adapts (`poll-max=`): when a
 * notification wakes the sleeping thread, the time since the last work
 * it found says how long a window would have caught that work without
 * the notification.  Up to max_ns the window grows to a quarter more than
 * that; beyond it (the device was idle, not between requests) it halves,
 * never below window_ns.  An idle device so costs at most one max_ns of
 * polling before it sleeps. */
struct io_poll {
	uint64_t window_ns; /* 0: no polling, the thread sleeps in epoll_wait */
	uint64_t max_ns;    /* > window_ns: the window adapts up to this */
	void (*quiet)(void *ctx);
	bool (*poll)(void *ctx);
	bool (*rearm)(void *ctx);
	void *ctx;
};

/* The window after a sleep of GAP_NS since the last work found, with the
 * window CUR_NS before it (the rule above). */
uint64_t io_poll_adapt(const struct io_poll *p, uint64_t cur_ns, uint64_t gap_ns);

struct io_worker {
	const char *name; /* for messages */
	/* Its seccomp list (sandbox/seccomp.h): THREAD_IO_WORKER unless the
	 * device sets its own kind after io_worker_init. */
	enum thread_kind kind;
	pthread_t thread;
	bool running;
	int epoll_fd, stop_fd;
	struct io_watch watch[IO_WORKER_MAX_WATCH];
	unsigned nwatch;
	struct io_poll poll;
	/* The polling window in use: poll.window_ns at the first start, then
	 * where poll.max_ns let it adapt, kept when the device restarts (a
	 * driver that resets its device still sends the same work). */
	uint64_t window_now;
	/* Where the thread adds its CPU time and its polling time, in ns
	 * (atomic adds; NULL: not counted), and keeps its polling window
	 * (atomic stores).  Set before it starts. */
	uint64_t *cpu_ns, *poll_ns, *window_ns;
};

void io_worker_init(struct io_worker *w, const char *name);
/* Call FN(CTX, FD, events) on the thread when FD has EVENTS (epoll bits;
 * 0: only errors and hang-ups).  Before the thread starts, or on it. */
int io_worker_watch(struct io_worker *w, int fd, uint32_t events, io_handler *fn, void *ctx);
/* Change the events of a watched FD; on the thread, or before it starts. */
int io_worker_mod(struct io_worker *w, int fd, uint32_t events);
/* Stop watching FD (it stays in the table until the worker stops). */
void io_worker_unwatch(struct io_worker *w, int fd);
int io_worker_start(struct io_worker *w);
/* Stop and join the thread; the watch list is emptied (the next start
 * needs its fds watched again). */
void io_worker_stop(struct io_worker *w);
/* Readable once the thread is asked to stop: for a handler that waits on
 * something else (stdout) and must give up then. */
int io_worker_stop_fd(const struct io_worker *w);

#endif
