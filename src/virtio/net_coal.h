/* Notification coalescing for one queue (VIRTIO_NET_F_NOTF_COAL, set by
 * the driver over virtio-net's control queue): the interrupt for used
 * buffers waits until max_packets have been used or usecs have passed
 * since the first of them, whichever comes first; usecs 0 means no
 * coalescing.  The timer is a timerfd the device's I/O thread watches.
 * Used on the I/O thread only. */
#ifndef WARDEN_VIRTIO_NET_COAL_H
#define WARDEN_VIRTIO_NET_COAL_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtio_dev.h"

struct coal {
	unsigned queue;       /* the queue it holds interrupts back for */
	uint32_t max_packets; /* interrupt once this many are used (0: no limit) */
	uint32_t usecs;       /* at most this late (0: no coalescing) */
	uint32_t pending;     /* used since the last interrupt */
	bool armed;           /* the timer runs */
	int timer_fd;
};

/* A disarmed coalescer for QUEUE with its timerfd; -1 if the host refused
 * one (ERR_HOST). */
int coal_init(struct coal *c, unsigned queue);
void coal_close(struct coal *c);
/* N packets were used: interrupt now, or later as the setting says. */
void coal_done(struct virtio_dev *vd, struct coal *c, unsigned n);
/* The timer fired (its fd is readable): the held interrupt goes now. */
void coal_timer(struct virtio_dev *vd, struct coal *c);
/* A new setting; what the old one held back goes first. */
void coal_set(struct virtio_dev *vd, struct coal *c, uint32_t max_packets, uint32_t usecs);
/* Back to no coalescing (a new driver), nothing held. */
void coal_reset(struct coal *c);

#endif
