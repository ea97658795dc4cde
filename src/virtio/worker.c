/* The I/O thread of one virtio device: it waits (epoll) on the queues'
 * notification eventfds, on the backend fds the device watches (tap,
 * io_uring completions, console input) and on a stop eventfd, and runs the
 * device's handlers.  One thread per device: devices never wait on each
 * other, and no device work runs on a vCPU thread. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/error.h"
#include "util/log.h"
#include "virtio/virtio_dev.h"

/* epoll data: queue index, a watched fd slot, or stop. */
#define TAG_QUEUE 0x100000000ULL
#define TAG_WATCH 0x200000000ULL
#define TAG_STOP 0x300000000ULL
#define TAG_KIND(t) ((t) & 0xf00000000ULL)
#define TAG_INDEX(t) ((uint32_t)(t))

static void kicked(struct virtio_dev *vd, unsigned q)
{
	uint64_t n;

	/* An eventfd adds up writes: N notifications since we last looked. */
	if (read(vd->kick_fd[q], &n, sizeof(n)) != sizeof(n))
		return;
	virtio_count(&vd->counters.notifies, n);
	if (!virtio_failed(vd) && vd->queue_ready[q])
		vd->ops->queue_notify(vd, q);
}

static void watched_ready(struct virtio_dev *vd, unsigned slot, uint32_t events)
{
	int fd = vd->watch_fd[slot];

	/* A failed device does no work until the driver resets it; a still
	 * readable backend fd would otherwise wake us in a tight loop. */
	if (virtio_failed(vd) || !vd->ops->fd_ready) {
		/* Removed, not paused: EPOLLERR/EPOLLHUP ignore an empty mask.
		 * The next DRIVER_OK builds a new epoll set anyway. */
		epoll_ctl(vd->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
		return;
	}
	vd->ops->fd_ready(vd, fd, events);
}

static void *worker_main(void *arg)
{
	struct virtio_dev *vd = arg;
	struct epoll_event ev[16];
	sigset_t all;

	/* Signals are for the vCPU threads and the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		int n = epoll_wait(vd->epoll_fd, ev, 16, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("%s: epoll_wait: %s", vd->name, strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			uint64_t t = ev[i].data.u64;

			if (TAG_KIND(t) == TAG_STOP)
				return NULL;
			if (TAG_KIND(t) == TAG_QUEUE)
				kicked(vd, TAG_INDEX(t));
			else if (TAG_KIND(t) == TAG_WATCH)
				watched_ready(vd, TAG_INDEX(t), ev[i].events);
		}
	}
}

static int watch(struct virtio_dev *vd, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event e = { .events = events, .data.u64 = tag };

	return epoll_ctl(vd->epoll_fd, EPOLL_CTL_ADD, fd, &e);
}

static int ensure_epoll(struct virtio_dev *vd)
{
	if (vd->epoll_fd >= 0)
		return 0;
	vd->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	vd->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vd->epoll_fd < 0 || vd->stop_fd < 0 || watch(vd, vd->stop_fd, EPOLLIN, TAG_STOP) < 0)
		return fail_errno(ERR_HOST, "%s: epoll", vd->name);
	for (unsigned q = 0; q < vd->ops->nqueues; q++)
		if (watch(vd, vd->kick_fd[q], EPOLLIN, TAG_QUEUE | q) < 0)
			return fail_errno(ERR_HOST, "%s: epoll", vd->name);
	return 0;
}

int virtio_watch_fd(struct virtio_dev *vd, int fd, uint32_t events)
{
	if (ensure_epoll(vd) < 0)
		return -1;
	if (vd->nwatch == VIRTIO_MAX_WATCH)
		return fail(ERR_HOST, "%s: too many watched fds", vd->name);
	if (watch(vd, fd, events, TAG_WATCH | vd->nwatch) < 0)
		return fail_errno(ERR_HOST, "%s: epoll", vd->name);
	vd->watch_fd[vd->nwatch++] = fd;
	return 0;
}

/* Change the events FD (already watched) wakes the I/O thread for: 0 stops
 * readiness reports (only errors and hang-ups still come), e.g. while the
 * guest has no buffer to take the data. */
int virtio_watch_mod(struct virtio_dev *vd, int fd, uint32_t events)
{
	for (unsigned i = 0; i < vd->nwatch; i++) {
		struct epoll_event e = { .events = events, .data.u64 = TAG_WATCH | i };

		if (vd->watch_fd[i] != fd)
			continue;
		if (epoll_ctl(vd->epoll_fd, EPOLL_CTL_MOD, fd, &e) < 0)
			return fail_errno(ERR_HOST, "%s: epoll", vd->name);
		return 0;
	}
	return fail(ERR_HOST, "%s: fd %d is not watched", vd->name, fd);
}

int virtio_worker_start(struct virtio_dev *vd)
{
	int e;

	if (ensure_epoll(vd) < 0)
		return -1;
	e = pthread_create(&vd->thread, NULL, worker_main, vd);
	if (e)
		return fail(ERR_HOST, "%s: cannot start I/O thread: %s", vd->name, strerror(e));
	vd->running = true;
	/* Notifications that came before the thread ran are still counted in
	 * the eventfds, so the thread sees them on its first epoll_wait. */
	return 0;
}

void virtio_worker_stop(struct virtio_dev *vd)
{
	uint64_t one = 1;

	if (!vd->running)
		return;
	if (write(vd->stop_fd, &one, sizeof(one)) < 0)
		log_warn("%s: cannot stop I/O thread: %s", vd->name, strerror(errno));
	pthread_join(vd->thread, NULL);
	vd->running = false;
	/* A fresh epoll set for the next DRIVER_OK: the device's fds are
	 * watched again by its start(). */
	close(vd->epoll_fd);
	close(vd->stop_fd);
	vd->epoll_fd = vd->stop_fd = -1;
	vd->nwatch = 0;
}
