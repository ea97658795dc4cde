/* A virtio device's state in a snapshot (src/virtio/virtio_snapshot.c),
 * restored into the device a restore builds from the snapshot's
 * arguments: virtio-rng under a rate limit, so that the state holds the
 * limiter's bucket levels too.  A state file's checksum is right for
 * whatever its writer put in it, so this is what must hold against a
 * state edited by hand: a refusal, or a device whose queues and buckets
 * are ones its driver and its limit could have made, which then serves
 * requests (tests/fuzz/virtio_dev_fuzz.h's rounds) from guest RAM.
 *
 * Input: u8 edit count, that many (u16 offset, u8 value) edits applied to
 * a good state (saved once from a driven device), u8 bytes cut from its
 * end (0 to 31), then guest RAM from address 0. */
#include "virtio_dev_fuzz.h"

#include "virtio/rate_limit.h"

static const struct rate_spec limit = {
	.bw = { .size = 65536, .refill_ms = 10 },
	.ops = { .size = 1024, .refill_ms = 100, .burst = 64 },
};

static struct virtio_dev *create(void)
{
	return virtio_rng_create(&limit);
}

static const struct fz_dev rng = { .create = create };

static uint8_t good[4096];
static long good_len;

/* The device driven as a driver would (features, one ready queue,
 * DRIVER_OK), some tokens taken, then saved. */
static void make_good(struct virtio_dev *vd)
{
	uint64_t at = 0;

	vd->driver_features = vd->offered;
	__atomic_store_n(&vd->status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, __ATOMIC_RELAXED);
	for (unsigned q = 0; q < vd->type.nqueues; q++) {
		virtq_reset(&vd->vq[q]);
		fz_ring_place(&vd->vq[q], 16, &at);
		virtio_dev_queue_ready(vd, q, 1);
	}
	for (int i = 0; i < 80; i++)
		rate_limit_take(vd->limits[VIRTIO_RATE_RX], 512);
	good_len = virtio_dev_save(vd, good, sizeof(good));
	if (good_len <= 0)
		abort();
	virtio_dev_reset(vd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_dev *vd = fz_dev_get(&rng);
	struct fz f = { data, size };
	uint8_t state[sizeof(good)], *buf;
	unsigned edits;
	size_t len;

	if (!good_len)
		make_good(vd);
	memcpy(state, good, (size_t)good_len);
	edits = fz_u8(&f);
	for (unsigned i = 0; i < edits; i++) {
		uint16_t off = fz_u16(&f);

		state[off % good_len] = fz_u8(&f);
	}
	len = (size_t)good_len - fz_u8(&f) % 32;
	/* Exactly LEN bytes on the heap: a read past them is ASan's to see. */
	buf = malloc(len);
	if (!buf)
		abort();
	memcpy(buf, state, len);
	fz_ram_fill(&vd->vm->mem, f.p, f.n);
	if (virtio_dev_restore(vd, buf, len) == 0 && virtio_dev_runnable(vd) &&
	    (!vd->ops->start || vd->ops->start(vd) == 0)) {
		fz_dev_rounds(&rng, vd, 2);
		fz_debug("restored: requests %llu, used %u\n", (unsigned long long)vd->counters.requests,
			 vd->vq[0].used_idx);
	}
	io_worker_stop(&vd->worker);
	if (vd->ops->stop)
		vd->ops->stop(vd);
	virtio_dev_reset(vd);
	free(buf);
	return 0;
}
