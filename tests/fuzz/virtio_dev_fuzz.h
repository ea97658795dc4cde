/* A virtio device type under the fuzzer, the way warden runs it but on
 * one thread and without KVM (as tests/unit/test_virtio_blk.c drives it):
 * a fake VM whose RAM is the fuzzer's bytes, a stand-in transport whose
 * interrupts go nowhere, the transport-independent core (virtio_dev.c)
 * real.  Each input is one driver session: features negotiated, queues
 * set up and made ready (virtio_dev_queue_ready: activation checks),
 * DRIVER_OK (the type's start()), then a few rounds of the driver
 * notifying every queue and the harness serving the device's fds as its
 * I/O thread does (worker.c's dispatch), then the I/O thread's end, the
 * type's stop() and a device reset.  The device is created once per
 * process and reset between inputs, as a driver reset does.
 *
 * Input: u64 driver features (masked to those offered, VERSION_1
 * added), one u8 queue size per queue (fz_qsize), u8 rounds, u16 host
 * bytes (that many bytes follow for the host side: frames from the tap,
 * console input), then guest RAM from address 0. */
#ifndef WARDEN_TESTS_VIRTIO_DEV_FUZZ_H
#define WARDEN_TESTS_VIRTIO_DEV_FUZZ_H

#include <sys/epoll.h>

#include "core/vm.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"
#include "virtio_fuzz.h"

struct fz_dev {
	struct virtio_dev *(*create)(void);
	/* The host side's bytes for this input (may be NULL). */
	void (*host)(struct virtio_dev *vd, const uint8_t *p, size_t len);
	/* After the session: empty what the host side holds (may be NULL). */
	void (*drain)(struct virtio_dev *vd);
	/* How long to wait for requests in flight (a disk's io_uring), in ms;
	 * 0 for devices that hold chains on purpose (net's receive buffers
	 * wait for packets: waiting would only slow the fuzzer down). */
	int settle_ms;
};

static void fz_irq(struct virtio_dev *vd, unsigned q)
{
	(void)vd;
	(void)q;
}

static void fz_config_irq(struct virtio_dev *vd)
{
	(void)vd;
}

static const struct virtio_transport fz_transport = {
	.queue_interrupt = fz_irq,
	.config_interrupt = fz_config_irq,
};

/* One pass of the I/O thread's loop (worker.c's worker_main), waiting at
 * most MS: returns the events handled. */
static inline int fz_serve(struct virtio_dev *vd, int ms)
{
	struct io_worker *w = &vd->worker;
	struct epoll_event ev[16];
	int n;

	if (w->epoll_fd < 0)
		return 0;
	n = epoll_wait(w->epoll_fd, ev, 16, ms);
	for (int i = 0; i < n; i++) {
		uint64_t slot = ev[i].data.u64;

		if (slot < w->nwatch && w->watch[slot].fd >= 0)
			w->watch[slot].fn(w->watch[slot].ctx, w->watch[slot].fd, ev[i].events);
	}
	return n > 0 ? n : 0;
}

/* Chains taken but not yet given back: requests in flight (a disk's). */
static inline bool fz_in_flight(const struct virtio_dev *vd)
{
	for (unsigned q = 0; q < vd->type.nqueues; q++)
		if (vd->vq[q].active && vd->vq[q].last_avail != vd->vq[q].used_idx)
			return true;
	return false;
}

static inline struct virtio_dev *fz_dev_get(const struct fz_dev *t)
{
	static struct vm vm;
	static struct virtio_dev *vd;
	static const struct virtio_options opt = { .ioeventfd = true, .irqfd = true, .event_idx = true };

	if (vd)
		return vd;
	vm.kvm_fd = vm.vm_fd = -1;
	if (gmem_map(&vm.mem, FZ_RAM) < 0)
		abort();
	vd = t->create();
	if (!vd || virtio_dev_attach(vd, &vm, &opt, &fz_transport, NULL) < 0)
		abort();
	return vd;
}

static inline void fz_dev_queues(struct virtio_dev *vd, struct fz *f)
{
	uint64_t at = 0;
	uint16_t size[VIRTIO_MAX_QUEUES];

	for (unsigned q = 0; q < vd->type.nqueues; q++)
		size[q] = fz_qsize(fz_u8(f));
	for (unsigned q = 0; q < vd->type.nqueues; q++) {
		struct virtq *vq = virtio_dev_queue(vd, q);

		virtq_reset(vq);
		fz_ring_place(vq, size[q], &at);
		vq->event_idx = virtio_has_feature(vd, VIRTIO_F_EVENT_IDX);
		vq->indirect = virtio_has_feature(vd, VIRTIO_F_INDIRECT_DESC);
	}
}

static inline void fz_dev_rounds(const struct fz_dev *t, struct virtio_dev *vd, unsigned rounds)
{
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned q = 0; q < vd->type.nqueues; q++)
			if (!virtio_failed(vd) && vd->queue_ready[q])
				vd->ops->queue_notify(vd, q);
		/* Whatever is ready; a disk's requests in flight get a moment. */
		for (int k = 0; k < 64 && fz_serve(vd, fz_in_flight(vd) ? t->settle_ms : 0); k++)
			;
	}
}

static inline int fz_dev_run(const struct fz_dev *t, const uint8_t *data, size_t size)
{
	struct virtio_dev *vd = fz_dev_get(t);
	struct fz f = { data, size };
	size_t hlen;
	const uint8_t *host;
	unsigned rounds;

	vd->driver_features = (fz_u64(&f) & vd->offered) | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	/* As virtio_dev_write_status leaves it when driver_ok() runs. */
	__atomic_store_n(&vd->status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, __ATOMIC_RELAXED);
	fz_dev_queues(vd, &f);
	rounds = 1 + fz_u8(&f) % 4;
	host = fz_bytes(&f, fz_u16(&f), &hlen);
	fz_ram_fill(&vd->vm->mem, f.p, f.n);
	for (unsigned q = 0; q < vd->type.nqueues; q++)
		virtio_dev_queue_ready(vd, q, 1);
	if (!vd->ops->start || vd->ops->start(vd) == 0) {
		if (t->host && hlen)
			t->host(vd, host, hlen);
		fz_dev_rounds(t, vd, rounds);
	}
	fz_debug("%s: requests %llu, errors %llu, status 0x%x, used %u/%u\n", vd->name,
		 (unsigned long long)vd->counters.requests, (unsigned long long)vd->counters.errors,
		 virtio_dev_status(vd), vd->vq[0].used_idx, vd->type.nqueues > 1 ? vd->vq[1].used_idx : 0);
	if (t->drain)
		t->drain(vd);
	/* The I/O thread's end (it never ran: the harness was it), stop(). */
	io_worker_stop(&vd->worker);
	if (vd->ops->stop)
		vd->ops->stop(vd);
	virtio_dev_reset(vd);
	return 0;
}

#endif
