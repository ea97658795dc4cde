/* A virtio device type under test, attached to a stand-in transport: the
 * transport-independent core (virtio_dev.c) is real, and the interrupts
 * it would deliver become writes to an eventfd the test reads. */
#ifndef WARDEN_TESTS_VIRTIO_FIXTURE_H
#define WARDEN_TESTS_VIRTIO_FIXTURE_H

#include <sys/eventfd.h>

#include "core/guest_mem.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtio_spec.h"

static inline void vt_interrupt(struct virtio_dev *vd)
{
	uint64_t one = 1;

	assert_int_equal(write(*(int *)vd->transport_priv, &one, sizeof(one)), sizeof(one));
}

static inline void vt_queue_interrupt(struct virtio_dev *vd, unsigned q)
{
	(void)q;
	vt_interrupt(vd);
}

static const struct virtio_transport vt_transport = {
	.queue_interrupt = vt_queue_interrupt,
	.config_interrupt = vt_interrupt,
};

/* Attach VD to VM through the stand-in; interrupts count up in *IRQ_FD. */
static inline void vt_attach(struct virtio_dev *vd, struct vm *vm, int *irq_fd)
{
	static const struct virtio_options opt = { .ioeventfd = true, .irqfd = true };

	*irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(*irq_fd >= 0);
	assert_int_equal(virtio_dev_attach(vd, vm, &opt, &vt_transport, irq_fd), 0);
}

/* Destroy VD (its I/O thread stopped, the type's stop() run) and free it. */
static inline void vt_detach(struct virtio_dev *vd, int irq_fd)
{
	virtio_dev_destroy(vd);
	close(irq_fd);
	free(vd);
}

/* --- the driver's side: rings at fixed places in the guest memory M ------ */

/* Queue Q's descriptor table, avail ring and used ring (PART 0, 1, 2): a
 * 4 KiB page each (room for VIRTQ_MAX_SIZE entries), queue after queue
 * from 64 KiB. */
static inline uint64_t vt_ring_gpa(unsigned q, unsigned part)
{
	return 0x10000ULL * (q + 1) + 0x1000ULL * part;
}

static inline void *vt_gp(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);

	assert_non_null(p);
	return p;
}

static inline struct virtq_desc *vt_desc(const struct guest_mem *m, unsigned q, uint16_t i)
{
	return (struct virtq_desc *)vt_gp(m, vt_ring_gpa(q, 0), VIRTQ_DESC_BYTES(VIRTQ_MAX_SIZE)) + i;
}

static inline struct virtq_avail *vt_avail(const struct guest_mem *m, unsigned q)
{
	return vt_gp(m, vt_ring_gpa(q, 1), VIRTQ_AVAIL_BYTES(VIRTQ_MAX_SIZE));
}

static inline struct virtq_used *vt_used(const struct guest_mem *m, unsigned q)
{
	return vt_gp(m, vt_ring_gpa(q, 2), VIRTQ_USED_BYTES(VIRTQ_MAX_SIZE));
}

static inline uint16_t vt_used_idx(const struct guest_mem *m, unsigned q)
{
	return __atomic_load_n(&vt_used(m, q)->idx, __ATOMIC_ACQUIRE);
}

/* Make chain HEAD available on queue Q of QSIZE entries; *IDX is the
 * driver's avail index. */
static inline void vt_post(const struct guest_mem *m, unsigned q, uint16_t qsize, uint16_t *idx,
			   uint16_t head)
{
	struct virtq_avail *a = vt_avail(m, q);

	a->ring[*idx % qsize] = head;
	(*idx)++;
	__atomic_store_n(&a->idx, *idx, __ATOMIC_RELEASE);
}

/* Notify queue Q, as an ioeventfd would. */
static inline void vt_kick(struct virtio_dev *vd, unsigned q)
{
	uint64_t one = 1;

	assert_int_equal(write(vd->kick_fd[q], &one, sizeof(one)), sizeof(one));
}

/* Queue Q of VD with QSIZE entries at vt_ring_gpa(), activated and ready. */
static inline void vt_queue_up(struct virtio_dev *vd, const struct guest_mem *m, unsigned q, uint16_t qsize)
{
	struct virtq *vq = &vd->vq[q];

	vq->size = qsize;
	vq->desc_gpa = vt_ring_gpa(q, 0);
	vq->avail_gpa = vt_ring_gpa(q, 1);
	vq->used_gpa = vt_ring_gpa(q, 2);
	assert_int_equal(virtq_activate(vq, m), 0);
	vd->queue_ready[q] = true;
}

#endif
