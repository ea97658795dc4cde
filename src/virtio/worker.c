#include "virtio/worker.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

#define STOP_TAG UINT64_MAX

void io_worker_init(struct io_worker *w, const char *name)
{
	memset(w, 0, sizeof(*w));
	w->name = name;
	w->kind = THREAD_IO_WORKER;
	w->epoll_fd = w->stop_fd = -1;
}

/* Call the handlers of N events; true if the thread is asked to stop. */
static bool handle(struct io_worker *w, const struct epoll_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t slot = ev[i].data.u64;
		struct io_watch *iw;

		if (slot == STOP_TAG)
			return true;
		if (slot >= w->nwatch)
			continue;
		iw = &w->watch[slot];
		if (iw->fd >= 0)
			iw->fn(iw->ctx, iw->fd, ev[i].events);
	}
	return false;
}

static void add_ns(uint64_t *counter, uint64_t ns)
{
	if (counter)
		__atomic_fetch_add(counter, ns, __ATOMIC_RELAXED);
}

/* Add the thread's CPU time since *MARK to its counter.  A system call
 * (the vDSO has no thread clocks): done only before the thread sleeps. */
static void account_cpu(struct io_worker *w, uint64_t *mark)
{
	struct timespec ts;
	uint64_t t;

	if (!w->cpu_ns || clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return;
	t = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	add_ns(w->cpu_ns, t - *mark);
	*mark = t;
}

uint64_t io_poll_adapt(const struct io_poll *p, uint64_t cur_ns, uint64_t gap_ns)
{
	uint64_t want;

	if (p->max_ns <= p->window_ns)
		return p->window_ns; /* a fixed window */
	if (gap_ns <= p->max_ns) {
		want = gap_ns + gap_ns / 4;
		if (want > p->max_ns)
			want = p->max_ns;
		return want > cur_ns ? want : cur_ns;
	}
	return cur_ns / 2 > p->window_ns ? cur_ns / 2 : p->window_ns;
}

/* Polling mode: look for work (ready fds without sleeping, and the
 * poll hook) until none came for WINDOW_NS, then ask for notifications
 * again.  *LAST_WORK: when work was last found.  True if the thread is
 * asked to stop. */
static bool poll_loop(struct io_worker *w, uint64_t window_ns, uint64_t *last_work)
{
	struct epoll_event ev[16];
	uint64_t start = now_ns(), idle_since = start;
	bool stop = false;

	for (;;) {
		int n = epoll_wait(w->epoll_fd, ev, 16, 0);
		bool found = n > 0;
		uint64_t t;

		if (found && handle(w, ev, n)) {
			stop = true;
			break;
		}
		if (w->poll.poll(w->poll.ctx))
			found = true;
		t = now_ns();
		if (found) {
			idle_since = t;
		} else if (t - idle_since >= window_ns) {
			if (!w->poll.rearm(w->poll.ctx))
				break;
			idle_since = t; /* work came as we re-armed: poll on */
		} else {
			/* Nothing this pass: give the CPU to whoever else is ready
			 * (returns at once when nobody is).  On a host with fewer
			 * cores than busy threads that is often the vCPU about to
			 * post the next request. */
			sched_yield();
		}
	}
	*last_work = idle_since;
	add_ns(w->poll_ns, now_ns() - start);
	return stop;
}

static void set_window(struct io_worker *w, uint64_t ns)
{
	if (w->window_ns)
		__atomic_store_n(w->window_ns, ns, __ATOMIC_RELAXED);
}

static void *worker_main(void *arg)
{
	struct io_worker *w = arg;
	struct epoll_event ev[16];
	uint64_t cpu_mark = 0, last_work = 0;
	char comm[16]; /* the kernel keeps 15 characters */
	sigset_t all;

	/* Named after its device (top, perf, a soft-lockup report), not after
	 * the vCPU thread whose DRIVER_OK started it. */
	snprintf(comm, sizeof(comm), "%s", w->name);
	pthread_setname_np(pthread_self(), comm);
	/* Signals are for the vCPU threads and the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	seccomp_enter(w->kind);
	for (;;) {
		int n;

		account_cpu(w, &cpu_mark);
		n = epoll_wait(w->epoll_fd, ev, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("%s: epoll_wait: %s", w->name, strerror(errno));
			break;
		}
		if (!w->poll.window_ns) {
			if (handle(w, ev, n))
				break;
			continue;
		}
		/* Woken by a notification or a backend: from here on the
		 * device finds its work itself, for as long as it polls.  How
		 * long it slept since its last work sizes the next window. */
		if (last_work) {
			w->window_now = io_poll_adapt(&w->poll, w->window_now, now_ns() - last_work);
			set_window(w, w->window_now);
		}
		w->poll.quiet(w->poll.ctx);
		if (handle(w, ev, n) || poll_loop(w, w->window_now, &last_work))
			break;
	}
	account_cpu(w, &cpu_mark);
	return NULL;
}

static int ensure_epoll(struct io_worker *w)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = STOP_TAG };

	if (w->epoll_fd >= 0)
		return 0;
	w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->epoll_fd < 0 || w->stop_fd < 0 ||
	    epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->stop_fd, &e) < 0)
		return fail_errno(ERR_HOST, "%s: epoll", w->name);
	return 0;
}

int io_worker_watch(struct io_worker *w, int fd, uint32_t events, io_handler *fn, void *ctx)
{
	struct epoll_event e = { .events = events, .data.u64 = w->nwatch };

	if (ensure_epoll(w) < 0)
		return -1;
	if (w->nwatch == IO_WORKER_MAX_WATCH)
		return fail(ERR_HOST, "%s: too many watched fds", w->name);
	if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0)
		return fail_errno(ERR_HOST, "%s: epoll", w->name);
	w->watch[w->nwatch++] = (struct io_watch){ .fd = fd, .fn = fn, .ctx = ctx };
	return 0;
}

int io_worker_mod(struct io_worker *w, int fd, uint32_t events)
{
	for (unsigned i = 0; i < w->nwatch; i++) {
		struct epoll_event e = { .events = events, .data.u64 = i };

		if (w->watch[i].fd != fd)
			continue;
		if (epoll_ctl(w->epoll_fd, EPOLL_CTL_MOD, fd, &e) < 0)
			return fail_errno(ERR_HOST, "%s: epoll", w->name);
		return 0;
	}
	return fail(ERR_HOST, "%s: fd %d is not watched", w->name, fd);
}

void io_worker_unwatch(struct io_worker *w, int fd)
{
	for (unsigned i = 0; i < w->nwatch; i++)
		if (w->watch[i].fd == fd) {
			/* Removed, not paused: EPOLLERR/EPOLLHUP ignore an empty mask. */
			epoll_ctl(w->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
			w->watch[i].fd = -1;
		}
}

int io_worker_start(struct io_worker *w)
{
	int e;

	if (ensure_epoll(w) < 0)
		return -1;
	if (!w->window_now)
		w->window_now = w->poll.window_ns; /* the first start; later ones keep it */
	set_window(w, w->window_now);
	e = pthread_create(&w->thread, NULL, worker_main, w);
	if (e)
		return fail(ERR_HOST, "%s: cannot start I/O thread: %s", w->name, strerror(e));
	w->running = true;
	return 0;
}

void io_worker_stop(struct io_worker *w)
{
	uint64_t one = 1;

	if (w->running) {
		if (write(w->stop_fd, &one, sizeof(one)) < 0)
			log_warn("%s: cannot stop I/O thread: %s", w->name, strerror(errno));
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	/* A fresh epoll set for the next start. */
	if (w->epoll_fd >= 0)
		close(w->epoll_fd);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	w->epoll_fd = w->stop_fd = -1;
	w->nwatch = 0;
}

int io_worker_stop_fd(const struct io_worker *w)
{
	return w->stop_fd;
}
