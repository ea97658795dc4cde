/* virtio-rng (virtio 1.2, 5.4): one request queue; each device-writable
 * buffer is filled from getrandom(). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "util/error.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"

/* Bytes given per request at most: a guest may post a chain covering all
 * of its RAM, and the I/O thread must not spend seconds on one request
 * (a device reset waits for it).  Linux asks for 64 bytes at a time. */
#define RNG_MAX_PER_REQUEST (64 * 1024)

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
	struct virtq_chain *c = vd->priv;
	int r;

	do {
		virtq_notify_off(q);
		while ((r = virtq_pop(q, c)) > 0) {
			uint32_t n = fill(c);

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

static void rng_destroy(struct virtio_dev *vd)
{
	free(vd->priv);
	vd->priv = NULL;
}

static const struct virtio_dev_ops rng_ops = {
	.queue_notify = rng_notify,
	.destroy = rng_destroy,
};

struct virtio_dev *virtio_rng_create(void)
{
	struct virtio_dev *vd = calloc(1, sizeof(*vd));

	if (vd)
		vd->priv = malloc(sizeof(struct virtq_chain)); /* too big for the stack of a loop */
	if (!vd || !vd->priv) {
		free(vd);
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	vd->type = (struct virtio_type){ .device_id = VIRTIO_ID_RNG, .nqueues = 1 };
	vd->ops = &rng_ops;
	snprintf(vd->name, sizeof(vd->name), "virtio-rng");
	return vd;
}
