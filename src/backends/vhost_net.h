/* The kernel's vhost-net (/dev/vhost-net) as virtio-net's data path: the
 * host kernel's vhost worker reads the guest's transmit ring and fills its
 * receive ring itself, straight between guest memory and the tap, woken by
 * the queue's notification eventfd (the ioeventfd KVM signals) and
 * signalling a call eventfd when it used buffers.  No warden thread
 * touches a packet.
 *
 * This file is only the ioctl protocol (linux/vhost.h); what is handed
 * over, and when, is virtio/net.c's business. */
#ifndef WARDEN_BACKENDS_VHOST_NET_H
#define WARDEN_BACKENDS_VHOST_NET_H

#include <stdint.h>

#include "core/guest_mem.h"

#define VHOST_NET_DEVICE "/dev/vhost-net"

/* One ring as vhost needs it: host addresses of its three parts (already
 * checked against guest memory by virtq_activate), its size, the index it
 * starts from, and its eventfds. */
struct vhost_ring {
	unsigned size;
	uint16_t base; /* next avail entry to take */
	void *desc, *avail, *used;
	int kick_fd, call_fd;
};

/* Open DEVICE (normally VHOST_NET_DEVICE) and make this process its owner;
 * *FEATURES gets what it supports.  Errors: a missing device or no
 * permission are ERR_USAGE (the user asked for vhost on a host without
 * it), others ERR_HOST.  Returns the fd or -1. */
int vhost_net_open(const char *device, uint64_t *features);
/* Hand over the negotiated FEATURES, guest memory MEM and the rings
 * RING[0..N) (queue i is ring i), each attached to TAP.  -1 (ERR_HOST) if
 * the kernel refused a step. */
int vhost_net_start(int fd, uint64_t features, const struct guest_mem *mem,
		    const struct vhost_ring *ring, unsigned n, int tap);
/* Detach rings 0..N-1 from the tap (the kernel's worker stops moving
 * packets) and read back where each stopped: BASE[i] is ring i's next
 * available index (VHOST_GET_VRING_BASE), as a snapshot keeps it and a
 * later vhost_net_start takes it.  -1 (ERR_HOST) if the kernel refused. */
int vhost_net_stop(int fd, unsigned n, uint16_t *base);
/* Ring I signals CALL_FD from now on when it used buffers (another
 * eventfd than vhost_net_start gave it: KVM's irqfd for the queue's
 * interrupt, or warden's own to relay).  -1 (ERR_HOST) if refused. */
int vhost_net_set_call(int fd, unsigned i, int call_fd);
/* Busy-poll the rings for up to US microseconds before sleeping (0: off);
 * -1 if the kernel has no VHOST_SET_VRING_BUSYLOOP_TIMEOUT. */
int vhost_net_busyloop(int fd, unsigned n, unsigned us);

#endif
