/* A virtio device in a snapshot (docs/snapshot.md): the transport-
 * independent state (status, features, config space, every queue's
 * addresses, readiness and indices) and the pause that makes it complete
 * (the I/O thread stopped, the type's requests in flight finished and
 * published).  Everything restored is checked as the driver's own writes
 * would be: features within what is offered, queues activated through
 * virtq_activate (sizes, alignment, rings inside guest RAM). */
#include <string.h>
#include <unistd.h>

#include "core/vm.h"
#include "util/error.h"
#include "util/log.h"
#include "virtio/rate_limit.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtio_spec.h"

struct vq_saved {
	uint64_t desc, avail, used;
	uint16_t size, last_avail, used_idx, signalled_used;
	uint8_t ready, signalled_valid, pad[6];
};

struct virtio_saved {
	uint32_t device_id, nqueues;
	uint32_t status, config_len;
	uint64_t offered, driver_features;
	uint32_t config_generation, extras; /* VIRTIO_SAVED_*: what follows */
	uint8_t config[VIRTIO_CONFIG_MAX];
	struct vq_saved vq[VIRTIO_MAX_QUEUES];
};

/* After the common part, before the type's own state, when extras says
 * so (a snapshot of before their time has extras 0: a device without
 * them restores as it did then). */
#define VIRTIO_SAVED_RATE 1u /* struct rate_saved: the rate limiters' buckets */

struct rate_saved {
	uint32_t present; /* bit i: limits[i] */
	uint32_t pad;
	struct rate_level l[VIRTIO_RATE_LIMITS];
};
_Static_assert(sizeof(struct rate_level) == 112, "rate_level layout (snapshots)");
_Static_assert(sizeof(struct rate_saved) == 232, "rate_saved layout (snapshots): 2 limiters");

#define STATUS_KNOWN (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | \
		      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)

bool virtio_dev_snapshottable(const struct virtio_dev *vd)
{
	return vd->ops->quiesce != NULL;
}

void virtio_dev_pause(struct virtio_dev *vd)
{
	if (!vd->worker.running)
		return;
	io_worker_stop(&vd->worker);
	if (vd->ops->quiesce)
		vd->ops->quiesce(vd);
}

bool virtio_dev_runnable(const struct virtio_dev *vd)
{
	uint32_t s = virtio_dev_status(vd);

	return (s & VIRTIO_STATUS_DRIVER_OK) && (s & VIRTIO_STATUS_FEATURES_OK) &&
	       !(s & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

void virtio_dev_resume(struct virtio_dev *vd)
{
	uint64_t one = 1;

	if (vd->worker.running || !virtio_dev_runnable(vd))
		return;
	if (vd->ops->start && vd->ops->start(vd) < 0) {
		virtio_fail(vd, "device could not start again after a pause");
		return;
	}
	/* A kick per ready queue: the device looks at each ring once. */
	for (unsigned q = 0; q < vd->type.nqueues; q++)
		if (vd->queue_ready[q] && write(vd->kick_fd[q], &one, sizeof(one)) < 0)
			log_warn("%s: queue %u: cannot kick it after a pause", vd->name, q);
	if (virtio_dev_start_worker(vd) < 0) {
		log_warn("%s: %s", vd->name, err_msg());
		virtio_fail(vd, "no I/O thread after a pause");
	}
}

long virtio_dev_save(const struct virtio_dev *vd, void *buf, size_t cap)
{
	struct virtio_saved s = {
		.device_id = vd->type.device_id, .nqueues = vd->type.nqueues,
		.status = virtio_dev_status(vd), .config_len = vd->config_len,
		.offered = vd->offered, .driver_features = vd->driver_features,
		.config_generation = atomic_load(&vd->config_generation),
	};
	size_t off = sizeof(s);
	struct rate_saved r = { 0 };

	if (sizeof(s) > cap)
		return -1;
	memcpy(s.config, vd->config, sizeof(s.config));
	for (unsigned q = 0; q < vd->type.nqueues; q++) {
		const struct virtq *v = &vd->vq[q];

		s.vq[q] = (struct vq_saved){
			.desc = v->desc_gpa, .avail = v->avail_gpa, .used = v->used_gpa, .size = v->size,
			.last_avail = v->last_avail, .used_idx = v->used_idx,
			.signalled_used = v->signalled_used, .ready = vd->queue_ready[q],
			.signalled_valid = v->signalled_valid,
		};
	}
	for (unsigned i = 0; i < VIRTIO_RATE_LIMITS; i++)
		if (vd->limits[i]) {
			r.present |= 1u << i;
			rate_limit_save(vd->limits[i], &r.l[i]);
		}
	if (r.present) {
		if (off + sizeof(r) > cap)
			return -1;
		s.extras |= VIRTIO_SAVED_RATE;
		memcpy((uint8_t *)buf + off, &r, sizeof(r));
		off += sizeof(r);
	}
	memcpy(buf, &s, sizeof(s));
	/* The type's own state follows. */
	if (vd->ops->save) {
		long n = vd->ops->save(vd, (uint8_t *)buf + off, cap - off);

		return n < 0 ? -1 : (long)off + n;
	}
	return (long)off;
}

static int restore_queue(struct virtio_dev *vd, unsigned q, const struct vq_saved *s)
{
	struct virtq *v = &vd->vq[q];

	virtq_reset(v);
	v->size = s->size, v->desc_gpa = s->desc, v->avail_gpa = s->avail, v->used_gpa = s->used;
	v->event_idx = virtio_has_feature(vd, VIRTIO_F_EVENT_IDX);
	v->indirect = virtio_has_feature(vd, VIRTIO_F_INDIRECT_DESC);
	vd->queue_ready[q] = false;
	if (s->ready > 1 || s->signalled_valid > 1)
		return -1;
	if (!s->ready)
		return 0;
	if (virtq_activate(v, &vd->vm->mem) < 0)
		return fail(ERR_USAGE, "queue %u: %s", q, v->error);
	/* After activate, which starts a queue at 0. */
	v->last_avail = s->last_avail, v->used_idx = s->used_idx;
	v->signalled_used = s->signalled_used, v->signalled_valid = s->signalled_valid;
	vd->queue_ready[q] = true;
	return 0;
}

/* The rate limiters' buckets as saved (the machine's arguments made the
 * limiters; a limiter the device has no more is left). */
static int restore_rates(struct virtio_dev *vd, const struct rate_saved *r)
{
	if (r->present >> VIRTIO_RATE_LIMITS || r->pad)
		return fail(ERR_USAGE, "its rate limiters' state is malformed");
	for (unsigned i = 0; i < VIRTIO_RATE_LIMITS; i++)
		if ((r->present & (1u << i)) && vd->limits[i] && rate_limit_restore(vd->limits[i], &r->l[i]) < 0)
			return -1;
	return 0;
}

int virtio_dev_restore(struct virtio_dev *vd, const void *buf, size_t len)
{
	struct virtio_saved s;
	struct rate_saved r;
	size_t off = sizeof(s);

	if (len < sizeof(s))
		return -1;
	memcpy(&s, buf, sizeof(s));
	if (s.extras & ~VIRTIO_SAVED_RATE)
		return fail(ERR_USAGE, "it holds state this warden does not know (extras %#x)", s.extras);
	if (s.extras & VIRTIO_SAVED_RATE) {
		if (len < off + sizeof(r))
			return -1;
		memcpy(&r, (const uint8_t *)buf + off, sizeof(r));
		off += sizeof(r);
	}
	if (len > off && !vd->ops->restore)
		return -1;
	/* The same type over the same backend: its config space (a disk's
	 * capacity and limits, a MAC) and offered features as built now. */
	if (s.device_id != vd->type.device_id || s.nqueues != vd->type.nqueues ||
	    s.offered != vd->offered || (s.driver_features & ~s.offered) || (s.status & ~STATUS_KNOWN) ||
	    s.config_len != vd->config_len || vd->config_from_snapshot > vd->config_len ||
	    memcmp(s.config + vd->config_from_snapshot, vd->config + vd->config_from_snapshot,
		   vd->config_len - vd->config_from_snapshot) != 0) {
		return fail(ERR_USAGE, "it does not match the device built here (type, features "
			    "or backend: a disk of another size?)");
	}
	memcpy(vd->config, s.config, vd->config_from_snapshot);
	vd->driver_features = s.driver_features;
	__atomic_store_n(&vd->status, s.status, __ATOMIC_RELAXED);
	atomic_store(&vd->config_generation, s.config_generation);
	for (unsigned q = 0; q < vd->type.nqueues; q++)
		if (restore_queue(vd, q, &s.vq[q]) < 0)
			return -1;
	if ((s.extras & VIRTIO_SAVED_RATE) && restore_rates(vd, &r) < 0)
		return -1;
	if (vd->ops->restore)
		return vd->ops->restore(vd, (const uint8_t *)buf + off, len - off);
	return 0;
}
