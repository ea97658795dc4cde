/* A virtio device type under test, attached to a stand-in transport: the
 * transport-independent core (virtio_dev.c) is real, and the interrupts
 * it would deliver become writes to an eventfd the test reads. */
#ifndef WARDEN_TESTS_VIRTIO_FIXTURE_H
#define WARDEN_TESTS_VIRTIO_FIXTURE_H

#include <sys/eventfd.h>

#include "virtio/virtio_dev.h"

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

#endif
