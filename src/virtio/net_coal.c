#include "virtio/net_coal.h"

#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util/error.h"
#include "util/log.h"

int coal_init(struct coal *c, unsigned queue)
{
	memset(c, 0, sizeof(*c));
	c->queue = queue;
	c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	return c->timer_fd < 0 ? fail_errno(ERR_HOST, "virtio-net: timerfd") : 0;
}

void coal_close(struct coal *c)
{
	if (c->timer_fd >= 0)
		close(c->timer_fd);
	c->timer_fd = -1;
}

static void disarm(struct coal *c)
{
	struct itimerspec off = { 0 };

	if (c->armed && timerfd_settime(c->timer_fd, 0, &off, NULL) < 0)
		log_warn("virtio-net: timerfd: %s", strerror(errno));
	c->armed = false;
}

static void flush(struct virtio_dev *vd, struct coal *c)
{
	c->pending = 0;
	disarm(c);
	virtio_queue_done(vd, c->queue);
}

void coal_done(struct virtio_dev *vd, struct coal *c, unsigned n)
{
	struct itimerspec t = { 0 };

	if (!c->usecs) {
		virtio_queue_done(vd, c->queue);
		return;
	}
	c->pending += n;
	if (c->max_packets && c->pending >= c->max_packets) {
		flush(vd, c);
		return;
	}
	virtio_count(&vd->counters.interrupts_suppressed, 1);
	if (c->armed)
		return;
	t.it_value.tv_sec = c->usecs / 1000000;
	t.it_value.tv_nsec = (long)(c->usecs % 1000000) * 1000;
	if (timerfd_settime(c->timer_fd, 0, &t, NULL) < 0) {
		flush(vd, c); /* no timer: no delay */
		return;
	}
	c->armed = true;
}

void coal_timer(struct virtio_dev *vd, struct coal *c)
{
	uint64_t n;

	if (read(c->timer_fd, &n, sizeof(n)) < 0)
		n = 0; /* already drained: fine */
	if (c->armed)
		flush(vd, c);
}

void coal_set(struct virtio_dev *vd, struct coal *c, uint32_t max_packets, uint32_t usecs)
{
	if (c->pending)
		flush(vd, c);
	c->max_packets = max_packets;
	c->usecs = usecs;
}

void coal_reset(struct coal *c)
{
	disarm(c);
	c->max_packets = c->usecs = c->pending = 0;
}
