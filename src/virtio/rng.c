/* virtio-rng (virtio 1.2, 5.4): one request queue; each device-writable
 * buffer is filled from getrandom().  With bw= or ops= (Firecracker's
 * entropy rate_limiter) a request that lacks tokens goes back to the ring
 * until the limiter's timer fires. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/random.h>

#include "util/error.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"

/* Bytes given per request at most: a guest may post a chain covering all
 * of its RAM, and the I/O thread must not spend seconds on one request
 * (a device reset waits for it).  Linux asks for 64 bytes at a time. */
#define RNG_MAX_PER_REQUEST (64 * 1024)

struct rng {
	struct virtq_chain c; /* too big for the stack of a loop */
	struct rate_limit rl;
};

/* What a request would be given: its writable bytes, up to the cap. */
static uint64_t request_bytes(const struct virtq_chain *c)
{
	return c->in_bytes < RNG_MAX_PER_REQUEST ? c->in_bytes : RNG_MAX_PER_REQUEST;
}

/* Fill the writable buffers of C up to the cap; returns bytes written. */
static uint32_t fill(const struct virtq_chain *c)
{
	uint32_t total = 0;

	for (unsigned i = c->nout; i < c->nout + c->nin && total < RNG_MAX_PER_REQUEST; i++) {
		size_t done = 0, len = c->iov[i].iov_len;

		if (len > RNG_MAX_PER_REQUEST - total)
			len = RNG_MAX_PER_REQUEST - total;
		while (done < len) {
			ssize_t n = getrandom((uint8_t *)c->iov[i].iov_base + done, len - done, 0);

			if (n <= 0)
				return total + (uint32_t)done; /* give what we have */
			done += (size_t)n;
		}
		total += (uint32_t)len;
	}
	return total;
}

static void rng_notify(struct virtio_dev *vd, unsigned qi)
{
	struct virtq *q = &vd->vq[qi];
	struct rng *g = vd->priv;
	struct virtq_chain *c = &g->c;
	int r;

	do {
		virtq_notify_off(q);
		while ((r = virtq_pop(q, c)) > 0) {
			uint32_t n;

			if (!rate_limit_take(&g->rl, request_bytes(c))) {
				/* Back to the ring; notifications stay off until
				 * the timer (rng_fd_ready) serves the queue. */
				virtq_unpop(q, 1);
				virtio_queue_done(vd, qi);
				return;
			}
			n = fill(c);

			virtq_push(q, c->head, n);
			virtio_count(&vd->counters.requests, 1);
			virtio_count(&vd->counters.bytes, n);
		}
		if (r < 0) {
			virtio_fail(vd, "%s", q->error);
			return;
		}
	} while (virtio_queue_rearm(vd, qi));
	virtio_queue_done(vd, qi);
}

/* The rate limiter's timer: tokens may be there now. */
static void rng_fd_ready(struct virtio_dev *vd, int fd, uint32_t events)
{
	struct rng *g = vd->priv;

	(void)fd;
	(void)events;
	rate_limit_timer_read(&g->rl);
	if (vd->queue_ready[0])
		rng_notify(vd, 0);
}

static int rng_start(struct virtio_dev *vd)
{
	struct rng *g = vd->priv;

	return virtio_watch_fd(vd, g->rl.timer_fd, EPOLLIN);
}

static void rng_destroy(struct virtio_dev *vd)
{
	struct rng *g = vd->priv;

	if (g)
		rate_limit_destroy(&g->rl);
	free(g);
	vd->priv = NULL;
}

/* A pause (snapshots): each notification is served whole, so nothing is
 * ever in flight once the I/O thread has stopped. */
static void rng_quiesce(struct virtio_dev *vd)
{
	(void)vd;
}

static const struct virtio_dev_ops rng_ops = {
	.start = rng_start,
	.queue_notify = rng_notify,
	.fd_ready = rng_fd_ready,
	.destroy = rng_destroy,
	.quiesce = rng_quiesce,
};

struct virtio_dev *virtio_rng_create(const struct rate_spec *rate)
{
	struct virtio_dev *vd = calloc(1, sizeof(*vd));
	struct rng *g = calloc(1, sizeof(*g));

	if (!vd || !g) {
		free(vd);
		free(g);
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	if (rate_limit_init(&g->rl, rate, &vd->counters.throttled) < 0) {
		rate_limit_destroy(&g->rl);
		free(vd);
		free(g);
		return NULL;
	}
	vd->priv = g;
	vd->limits[VIRTIO_RATE_RX] = &g->rl;
	vd->type = (struct virtio_type){ .device_id = VIRTIO_ID_RNG, .nqueues = 1 };
	vd->ops = &rng_ops;
	snprintf(vd->name, sizeof(vd->name), "virtio-rng");
	return vd;
}
