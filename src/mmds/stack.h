/* The MMDS's network end on one virtio-net interface: just enough ARP,
 * IPv4 and TCP to carry HTTP between the guest and the store (mmds.h).
 * The device hands it each frame the guest transmits that is meant for
 * the MMDS address (mmds_stack_wants), and takes the frames it answers
 * with (mmds_stack_next) into the guest's receive queue before any packet
 * of the tap's.
 *
 * The wire between them cannot lose a frame: the stack's replies wait in
 * a bounded queue until the guest has buffers.  So the stack needs no
 * retransmission timer of its own; it does resend what the guest has not
 * acknowledged when the guest's ACKs say a segment went missing (a
 * duplicate ACK).  Guest segments out of order are dropped unacknowledged
 * (the guest resends them).  Bounds: MMDS_MAX_CONNS connections (the
 * oldest idle one is reset for a new one), a request buffer of
 * MMDS_HTTP_MAX_REQUEST bytes per connection, MMDS_OUT_FRAMES frames
 * waiting for the guest (past that, a guest segment is dropped, to be
 * resent later).  Everything a frame says is checked here, once, on a
 * private copy. */
#ifndef WARDEN_MMDS_STACK_H
#define WARDEN_MMDS_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmds;

#define MMDS_MAC { 0x06, 0x01, 0x23, 0x45, 0x67, 0x01 } /* Firecracker's */
#define MMDS_PORT 80
#define MMDS_MAX_CONNS 30
#define MMDS_OUT_FRAMES 256
/* The largest frame either way: Ethernet 14 + IPv4 20 + TCP 20 + MSS. */
#define MMDS_MSS 1460
#define MMDS_FRAME_MAX (14 + 20 + 20 + MMDS_MSS)

struct mmds_stack_counters {
	uint64_t rx_frames;   /* frames from the guest it took */
	uint64_t tx_frames;   /* frames it sent the guest */
	uint64_t dropped;     /* guest frames it could not use (malformed,
			       * out of order, queue full, not TCP/ARP) */
	uint64_t requests;    /* HTTP requests answered */
	uint64_t resets;      /* connections it reset */
};

struct mmds_stack;

/* A stack answering at IPV4 (host byte order) for STORE.  NULL if out
 * of memory (fail()). */
struct mmds_stack *mmds_stack_new(struct mmds *store, uint32_t ipv4);
void mmds_stack_free(struct mmds_stack *s);

/* Is the Ethernet frame F[0..LEN) (no virtio-net header) for the MMDS:
 * an ARP request for its address, or IPv4 to its address?  Looks at the
 * headers only. */
bool mmds_stack_wants(const struct mmds_stack *s, const uint8_t *f, size_t len);
/* Take such a frame (a private copy: the guest cannot change it under
 * us).  NOW_MS: a monotonic clock in ms (token lifetimes). */
void mmds_stack_input(struct mmds_stack *s, const uint8_t *f, size_t len, uint64_t now_ms);
/* The next frame for the guest, copied to BUF (at least MMDS_FRAME_MAX
 * bytes): its length, or 0 if none waits.  mmds_stack_pending() says
 * whether one waits without taking it. */
size_t mmds_stack_next(struct mmds_stack *s, uint8_t *buf, size_t cap);
bool mmds_stack_pending(const struct mmds_stack *s);
void mmds_stack_counters(const struct mmds_stack *s, struct mmds_stack_counters *c);

#endif
