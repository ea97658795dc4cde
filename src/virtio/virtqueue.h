/* The split virtqueue, the one module that touches rings in guest memory.
 * Everything the guest controls is checked here before the devices see it:
 * ring addresses and sizes at activation; per chain, every descriptor
 * inside guest RAM, no length overflow, chain length at most the queue
 * size (so loops end), indirect tables well formed, device-readable
 * buffers before device-writable ones, and the avail index moving by at
 * most the queue size.  Fields are copied out of shared memory before they
 * are checked, so the guest cannot change them in between.
 *
 * A virtq is used by one thread at a time (the device's I/O thread once
 * the driver has set DRIVER_OK). */
#ifndef WARDEN_VIRTIO_VIRTQUEUE_H
#define WARDEN_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/guest_mem.h"
#include "virtio/virtio_spec.h"

/* Largest queue any warden device offers (QueueNumMax). */
#define VIRTQ_MAX_SIZE 256

struct virtq {
	/* Written by the transport from the driver's registers. */
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx;    /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;     /* VIRTIO_F_INDIRECT_DESC negotiated */

	/* Set by virtq_activate(). */
	bool active;
	const struct guest_mem *mem;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t last_avail;     /* next avail entry the device takes */
	uint16_t used_idx;       /* next used entry the device fills */
	uint16_t signalled_used; /* used_idx when the driver was last interrupted */
	bool signalled_valid;
	/* Polling mode (virtq_poll_begin/end): notifications stay off;
	 * virtq_notify_on() only records that the device wants them back
	 * (want_notify), which virtq_poll_end() then honours. */
	bool polling;
	bool want_notify;
	uint16_t poll_seen; /* avail->idx at the last virtq_poll_new() */
	char error[128]; /* why the last call failed */
};

/* One descriptor chain, as host buffers: iov[0..nout) are device-readable,
 * iov[nout..nout+nin) device-writable. */
struct virtq_chain {
	uint16_t head;
	unsigned nout, nin;
	uint64_t out_bytes, in_bytes;
	struct iovec iov[VIRTQ_MAX_SIZE];
};

/* Check the ring addresses against MEM and make the queue usable.
 * Returns 0, or -1 with q->error set. */
int virtq_activate(struct virtq *q, const struct guest_mem *mem);
void virtq_reset(struct virtq *q);

/* Take the next available chain: 1 if C holds one, 0 if the queue is empty,
 * -1 if the guest broke a rule (q->error says which; the queue is unusable
 * until the device is reset). */
int virtq_pop(struct virtq *q, struct virtq_chain *c);
/* Give back N chains without using them (they will be popped again). */
void virtq_unpop(struct virtq *q, uint16_t n);
/* Publish HEAD as used with WRITTEN bytes written into its buffers. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t written);
/* Publish N chains with one used->idx update, so that the driver never sees
 * part of a group (the buffers of one merged network packet). */
void virtq_push_n(struct virtq *q, const struct virtq_used_elem *elems, unsigned n);
/* After pushes: does the driver want an interrupt now?  Honours
 * used_event (EVENT_IDX) or VIRTQ_AVAIL_F_NO_INTERRUPT; never when nothing
 * was pushed since the previous call. */
bool virtq_needs_interrupt(struct virtq *q);
/* Ask the driver not to notify (the device is processing the queue). */
void virtq_notify_off(struct virtq *q);
/* Ask for notifications again (avail_event = last_avail with EVENT_IDX),
 * unless the queue is polled.  Returns true if chains arrived meanwhile:
 * the caller must process them, since no notification will come for them. */
bool virtq_notify_on(struct virtq *q);
/* Polling mode: notifications off (a stale avail_event with EVENT_IDX,
 * VIRTQ_USED_F_NO_NOTIFY without) until virtq_poll_end(), which asks for
 * them again if the device last wanted them (virtq_notify_on). */
void virtq_poll_begin(struct virtq *q);
void virtq_poll_end(struct virtq *q);
/* Polling: have chains been made available since the last call that
 * the device has not taken yet?  What a notification would have said. */
bool virtq_poll_new(struct virtq *q);
/* Used entries published since the last virtq_needs_interrupt()? */
bool virtq_used_unsignalled(const struct virtq *q);
/* Chains available and not yet taken (0 on a bad avail index). */
uint16_t virtq_pending(const struct virtq *q);
/* The ring as the driver and the device left it, one line into BUF: for
 * a person asking why a queue went quiet (a guest that waits for a
 * request or an interrupt that never came).  Read-only; the queue's
 * thread must be stopped. */
void virtq_describe(const struct virtq *q, char *buf, size_t len);

/* Copy from / to a chain's buffers, starting BYTE OFF into the readable
 * (out) or writable (in) part. Return bytes copied. */
size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst, size_t len);
size_t virtq_chain_write(const struct virtq_chain *c, size_t off, const void *src, size_t len);

#endif
