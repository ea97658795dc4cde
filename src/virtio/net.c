/* virtio-net (virtio 1.2, 5.1) on a Linux tap device: queue pairs (one,
 * or with `queues=N` N of them, VIRTIO_NET_F_MQ, each on its own queue of
 * a multi-queue tap), receiveq 2i and transmitq 2i+1 of pair i, then the
 * control queue.  Everything below about receiving and transmitting is
 * per pair; one I/O thread serves them all.
 *
 * Every frame carries a 12-byte struct virtio_net_hdr_v1 (VERSION_1 is
 * always negotiated), and the tap is set to the same header, so frames and
 * their offload metadata (partial checksums, GSO) go between the guest's
 * buffers and the host kernel with one readv/writev and no copy here.
 *
 * Receiving never drops a packet for want of guest buffers.  Packets are
 * read straight into the guest's buffers; with mergeable buffers, the part
 * of a packet that does not fit what the guest has posted overflows into a
 * bounce buffer and waits there for more.  While nothing can be received,
 * the tap is not watched (packets stay in its queue) and the device asks
 * for a receiveq notification, which resumes reading.  Each wake-up handles at
 * most NET_BUDGET packets per direction, so neither starves the other.
 *
 * The control queue takes two command classes: multiqueue (VQ_PAIRS_SET:
 * the tap queues of the pairs in use are attached, the others detached)
 * and notification coalescing (VIRTIO_NET_F_NOTF_COAL, net_coal.c); other
 * commands, and bad ones, are answered VIRTIO_NET_ERR and count as the
 * guest's errors, each logged with why and how its chain was laid out.
 *
 * With vhost=on the host kernel's vhost-net moves the packets instead
 * (backends/vhost_net.c): at DRIVER_OK the rings, the queues' notification
 * eventfds (KVM's ioeventfds) and the tap go to the kernel.  vhost's "used
 * buffers" signal goes straight to KVM when the transport has an irqfd
 * for the queue's interrupt (virtio-pci, MSI-X on, the vector unmasked):
 * no warden thread wakes.  Otherwise (virtio-mmio, a masked vector, MSI-X
 * off, --no-irqfd) it goes to an eventfd of warden's, which the I/O thread
 * relays to the transport's interrupt; the transport says when that
 * changes (irq_changed) and the ring is pointed at the other eventfd.
 * The queues' requests and bytes counters stay 0 (warden moved nothing),
 * and so does interrupts while they go straight to KVM (warden does not
 * see them).  Each queue pair has its own vhost-net fd; with one pair
 * there is no control queue, with queues=N warden's I/O thread keeps it
 * (VQ_PAIRS_SET).  No coalescing; poll is vhost's own busy polling. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backends/tap.h"
#include "backends/vhost_net.h"
#include "core/vm.h"
#include "mmds/mmds.h"
#include "mmds/stack.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/ratelimit.h"
#include "virtio/net_coal.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"

/* A queue pair's two directions: pair i has receiveq 2i and transmitq 2i+1. */
#define NET_RXQ 0
#define NET_TXQ 1
/* queues=N: the device's queue table holds 2 N + 1 queues. */
#define NET_MAX_PAIRS VIRTIO_NET_MAX_PAIRS

/* Feature bits (5.1.3). */
#define NET_F_CSUM 0
#define NET_F_GUEST_CSUM 1
#define NET_F_MAC 5
#define NET_F_GUEST_TSO4 7
#define NET_F_GUEST_TSO6 8
#define NET_F_GUEST_ECN 9
#define NET_F_HOST_TSO4 11
#define NET_F_HOST_TSO6 12
#define NET_F_HOST_ECN 13
#define NET_F_MRG_RXBUF 15
#define NET_F_STATUS 16
#define NET_F_CTRL_VQ 17
#define NET_F_MQ 22
#define NET_F_NOTF_COAL 53
#define NET_S_LINK_UP 1

/* Control commands (5.1.6.5): class, command, data; the device writes an ack. */
#define NET_CTRL_MQ 4
#define NET_CTRL_MQ_VQ_PAIRS_SET 0
#define NET_CTRL_NOTF_COAL 6
#define NET_CTRL_NOTF_COAL_TX_SET 0
#define NET_CTRL_NOTF_COAL_RX_SET 1
#define NET_CTRL_OK 0
#define NET_CTRL_ERR 1

/* Config space (5.1.4): mac[6], status, max_virtqueue_pairs. */
#define NET_CFG_MAC 0
#define NET_CFG_STATUS 6
#define NET_CFG_MAX_PAIRS 8
#define NET_CFG_LEN 10

#define NET_HDR_LEN 12            /* struct virtio_net_hdr_v1 */
#define NET_HDR_NUM_BUFFERS 10    /* its num_buffers field */
/* The largest frame either way: a 64 KiB GSO packet plus an Ethernet
 * header with a VLAN tag.  Without GSO, a 1500-byte MTU frame. */
#define NET_MAX_FRAME (65536 + 18)
#define NET_MTU_FRAME (1500 + 18)
#define NET_BUDGET 256            /* packets per direction per wake-up */
#define RX_IOV_MAX 1023           /* UIO_MAXIOV, less one for bounce[] */
/* The longest frame the metadata service takes from the guest: headers
 * with options, and a whole request (a longer one is dropped). */
#define MMDS_TX_MAX (14 + 60 + 60 + MMDS_HTTP_MAX_REQUEST)

/* Receive buffers taken from the ring but not yet used, in ring order. */
struct rx_slot {
	uint64_t len;  /* writable bytes of the chain */
	uint16_t head;
	uint16_t niov; /* its buffers in iov[] */
};

struct rx_held {
	struct rx_slot slot[VIRTQ_MAX_SIZE];
	unsigned first, n;         /* held: slot[first .. first + n) */
	struct iovec iov[RX_IOV_MAX + 1]; /* + bounce[] for a read */
	unsigned iov_first, iov_n; /* their buffers, in order */
	uint64_t bytes;            /* writable bytes held */
};

/* One queue pair and its tap queue. */
struct net {
	unsigned q[2];   /* its queues: [NET_RXQ], [NET_TXQ] */
	int tap;
	int vhost_fd;           /* /dev/vhost-net while the kernel has the rings, else -1 */
	bool vhost_ok;          /* the host has vhost-net: it carries the data path */
	uint64_t vhost_features;
	int call_fd[2];         /* warden's relay of vhost's "used buffers", per queue */
	int call_now[2];        /* what vhost signals now: call_fd[], or the
				 * transport's irqfd (virtio_queue_irqfd) */
	uint32_t busyloop_us;   /* poll with vhost: the kernel's worker polls */
	int resume_fd;   /* eventfd: come back for more transmit work */
	struct coal coal[2]; /* [NET_RXQ], [NET_TXQ]: their interrupts (net_coal.c) */
	char ifname[16];
	uint32_t tap_events; /* what the tap is watched for now */
	bool mergeable;      /* VIRTIO_NET_F_MRG_RXBUF */
	bool rx_starved;     /* no buffer for the next packet: tap not read */
	bool tx_blocked;     /* the tap refused a frame: wait for EPOLLOUT */
	bool rx_limited, tx_limited; /* the device's rate limiter says wait: its timer */
	uint64_t rx_need;    /* buffer bytes the largest packet may need */
	uint64_t pending;      /* length of a packet waiting for buffers (0: none) */
	uint64_t pending_head; /* its first bytes, in the held buffers; the rest
				* is in bounce[] */
	struct rx_held rx;
	unsigned delivered;  /* packets received, for coalescing */
	struct virtq_used_elem used[VIRTQ_MAX_SIZE];
	struct virtq_chain chain; /* scratch for virtq_pop */
	uint8_t bounce[NET_HDR_LEN + NET_MAX_FRAME];
};

/* The device: its queue pairs (each its own allocation: tens of KiB). */
struct net_dev {
	struct net *pair[NET_MAX_PAIRS];
	unsigned npairs; /* offered (max_virtqueue_pairs) */
	unsigned usable; /* npairs with VIRTIO_NET_F_MQ, else 1 (queue 2 is then
			  * the control queue, not pair 2's receiveq) */
	unsigned active; /* in use: 1 until the driver sets more (VQ_PAIRS_SET) */
	/* The next start() continues a driver's session (after a pause or a
	 * restore): its pairs in use and coalescing stay as they were. */
	bool resuming;
	/* rx-/tx-bw=, -ops= (Firecracker's rx_rate_limiter and
	 * tx_rate_limiter): for every pair together; not with vhost. */
	struct rate_limit rate[2]; /* [NET_RXQ], [NET_TXQ] */
	/* mmds=on: frames for the metadata service go to its stack, not
	 * the tap; its answers arrive on pair 0 (docs/mmds.md). */
	struct mmds_stack *mmds;
	uint8_t mmds_frame[NET_HDR_LEN + MMDS_TX_MAX]; /* a private copy of one */
};

/* virtio-net's own state in a snapshot, after the common part (queues,
 * features, config with MAC and link status): the control queue's
 * settings.  The tap's name is the backend's identity (--net tap=NEW on
 * a restore replaces it). */
struct net_saved {
	uint32_t active, npairs;
	uint32_t coal[NET_MAX_PAIRS][2][2]; /* [pair][NET_RXQ/TXQ]: max_packets, usecs */
};

static struct net_dev *dev_of(struct virtio_dev *vd)
{
	return vd->priv;
}

static void tap_watch(struct virtio_dev *vd, struct net *p, uint32_t events)
{
	if (p->tap < 0 || events == p->tap_events)
		return;
	if (virtio_watch_mod(vd, p->tap, events) < 0)
		log_warn("%s: %s", vd->name, err_msg());
	p->tap_events = events;
}

static void resume_later(struct net *p)
{
	uint64_t one = 1;

	if (write(p->resume_fd, &one, sizeof(one)) < 0)
		log_warn("virtio-net: resume eventfd: %s", strerror(errno));
}

/* The tap went away under us (deleted by the host): stop using it and tell
 * the guest the link is down. */
static void tap_gone(struct virtio_dev *vd, struct net *p)
{
	log_warn("%s: tap %s is gone; link down", vd->name, p->ifname);
	close(p->tap); /* also leaves the epoll set */
	p->tap = -1;
	/* The I/O thread changes the config: under its lock, not the
	 * transport's (a vCPU may be reading it). */
	virtio_config_update(vd, NET_CFG_STATUS, &(uint8_t){ 0 }, 1);
}

/* --- receive ---------------------------------------------------------------- */

static void rx_clear(struct rx_held *h)
{
	h->first = h->n = h->iov_first = h->iov_n = 0;
	h->bytes = 0;
}

/* Room for one more chain of NIN buffers at the end, compacting if need be? */
static bool rx_room(struct rx_held *h, unsigned nin)
{
	if (h->first + h->n < VIRTQ_MAX_SIZE && h->iov_first + h->iov_n + nin <= RX_IOV_MAX)
		return true;
	memmove(h->slot, h->slot + h->first, h->n * sizeof(h->slot[0]));
	memmove(h->iov, h->iov + h->iov_first, h->iov_n * sizeof(h->iov[0]));
	h->first = h->iov_first = 0;
	return h->n < VIRTQ_MAX_SIZE && h->iov_n + nin <= RX_IOV_MAX;
}

static void rx_hold(struct rx_held *h, const struct virtq_chain *c)
{
	struct rx_slot *s = &h->slot[h->first + h->n++];

	s->head = c->head;
	s->niov = (uint16_t)c->nin;
	s->len = c->in_bytes;
	memcpy(&h->iov[h->iov_first + h->iov_n], &c->iov[c->nout], c->nin * sizeof(struct iovec));
	h->iov_n += c->nin;
	h->bytes += c->in_bytes;
}

/* The first K held chains went to the guest. */
static void rx_release(struct rx_held *h, unsigned k)
{
	for (unsigned i = 0; i < k; i++) {
		const struct rx_slot *s = &h->slot[h->first + i];

		h->iov_first += s->niov;
		h->iov_n -= s->niov;
		h->bytes -= s->len;
	}
	h->first += k;
	h->n -= k;
	if (h->n == 0)
		h->first = h->iov_first = 0;
}

/* Buffer bytes to hold before reading the tap straight into them. */
static uint64_t rx_want(const struct net *p)
{
	if (!p->mergeable)
		return 1; /* one chain */
	return p->pending ? p->pending : p->rx_need;
}

enum { RX_ERROR = -1, RX_SHORT, RX_READY };

/* Take receive buffers until rx_want() bytes are held.  RX_READY: enough,
 * or the driver cannot give more than we hold (the whole ring is ours);
 * RX_SHORT: fewer, and the ring is empty for now. */
static int rx_gather(struct virtio_dev *vd, struct net *p)
{
	struct virtq *q = &vd->vq[p->q[NET_RXQ]];
	struct virtq_chain *c = &p->chain;
	struct rx_held *h = &p->rx;
	uint64_t want = rx_want(p);

	while (h->bytes < want) {
		int r;

		if (h->n >= q->size)
			return RX_READY;
		r = virtq_pop(q, c);
		if (r < 0) {
			virtio_fail(vd, "receiveq: %s", q->error);
			return RX_ERROR;
		}
		if (r == 0)
			return RX_SHORT;
		if (c->nout || c->in_bytes < NET_HDR_LEN) {
			virtio_fail(vd, "receive buffer %u: %u readable parts, %llu writable bytes "
				    "(needs none, and at least %d)", c->head, c->nout,
				    (unsigned long long)c->in_bytes, NET_HDR_LEN);
			return RX_ERROR;
		}
		if (!rx_room(h, c->nin)) {
			virtq_unpop(q, 1); /* taken again once held ones are used */
			return RX_READY;
		}
		rx_hold(h, c);
	}
	return RX_READY;
}

/* Copy LEN bytes to byte OFF of the buffers IOV[0..N). */
static void iov_put(const struct iovec *iov, unsigned n, size_t off, const void *src, size_t len)
{
	const uint8_t *s = src;

	for (unsigned i = 0; i < n && len; i++) {
		size_t k;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		k = iov[i].iov_len - off < len ? iov[i].iov_len - off : len;
		memcpy((uint8_t *)iov[i].iov_base + off, s, k);
		s += k;
		len -= k;
		off = 0;
	}
}

/* Copy the first bytes of the buffers IOV[0..N) to DST, at most CAP:
 * how many. */
static size_t iov_get(const struct iovec *iov, unsigned n, void *dst, size_t cap)
{
	size_t got = 0;

	for (unsigned i = 0; i < n && got < cap; i++) {
		size_t k = iov[i].iov_len < cap - got ? iov[i].iov_len : cap - got;

		memcpy((uint8_t *)dst + got, iov[i].iov_base, k);
		got += k;
	}
	return got;
}

/* A packet of N bytes (header included) is in the held chains, filling
 * them in order: publish those it used, all at once, and say how many in
 * its header. */
static void rx_deliver(struct virtio_dev *vd, struct net *p, uint64_t n)
{
	struct rx_held *h = &p->rx;
	uint64_t left = n;
	unsigned k = 0;
	uint16_t nbuf;

	while (left) {
		const struct rx_slot *s = &h->slot[h->first + k];
		uint64_t w = left < s->len ? left : s->len;

		p->used[k++] = (struct virtq_used_elem){ .id = s->head, .len = (uint32_t)w };
		left -= w;
	}
	/* Every chain holds a whole header, so it lies in the first one. */
	nbuf = (uint16_t)k;
	iov_put(&h->iov[h->iov_first], h->slot[h->first].niov, NET_HDR_NUM_BUFFERS, &nbuf, sizeof(nbuf));
	virtq_push_n(&vd->vq[p->q[NET_RXQ]], p->used, k);
	rx_release(h, k);
	p->delivered++;
	virtio_count(&vd->counters.requests, 1);
	virtio_count(&vd->counters.bytes, n - NET_HDR_LEN);
}

/* readv from the tap: bytes, 0 if it is empty, -1 if it failed (counted;
 * the tap is closed if it is gone). */
static ssize_t tap_read(struct virtio_dev *vd, struct net *p, const struct iovec *iov, unsigned n)
{
	ssize_t r = readv(p->tap, iov, (int)n);

	if (r >= 0)
		return r > 0 ? r : -1; /* a tap never reads 0 bytes */
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	if (errno == EBADFD) {
		tap_gone(vd, p);
		return -1;
	}
	virtio_count(&vd->counters.errors, 1);
	log_debug("%s: tap read: %s", vd->name, strerror(errno));
	return -1;
}

/* Read one packet into the held buffers, overflowing into bounce[]: a
 * packet larger than what is held waits there for more buffers, as no
 * byte of it is lost.  1 if a packet was taken, 0 if the tap is empty, -1
 * to end this round. */
static int rx_read(struct virtio_dev *vd, struct net *p)
{
	struct rx_held *h = &p->rx;
	struct iovec *iov = &h->iov[h->iov_first], saved;
	unsigned k = 0, niov = 0;
	uint64_t cap = 0;
	ssize_t n;

	/* Offer the chains the largest packet may need, not every one held:
	 * the kernel copies the whole iovec array on each read. */
	do {
		cap += h->slot[h->first + k].len;
		niov += h->slot[h->first + k].niov;
		k++;
	} while (p->mergeable && k < h->n && cap < p->rx_need);
	saved = iov[niov]; /* iov[] has one spare entry at its end */
	iov[niov] = (struct iovec){ .iov_base = p->bounce, .iov_len = sizeof(p->bounce) };
	n = tap_read(vd, p, iov, niov + 1);
	iov[niov] = saved;
	if (n <= 0)
		return (int)n;
	rate_limit_charge(&dev_of(vd)->rate[NET_RXQ], (uint64_t)n - 1); /* rx_tokens took one */
	if ((uint64_t)n <= cap && n >= NET_HDR_LEN) {
		rx_deliver(vd, p, (uint64_t)n);
		return 1;
	}
	/* One chain per packet without mergeable buffers; and a packet that
	 * filled bounce[] may have been cut (the kernel then returns only
	 * what it copied): both are lost. */
	if (!p->mergeable || n < NET_HDR_LEN || (uint64_t)n >= cap + sizeof(p->bounce)) {
		virtio_count(&vd->counters.errors, 1);
		log_debug("%s: dropped a %zd-byte packet (buffers: %llu bytes)", vd->name, n,
			  (unsigned long long)cap);
		return 1;
	}
	p->pending = (uint64_t)n;
	p->pending_head = cap;
	return 1;
}

/* The metadata service's next frame, as if read from the tap (rx_read):
 * into the held buffers, overflowing into bounce[].  1 if one was taken,
 * 0 if none waits. */
static int rx_mmds(struct virtio_dev *vd, struct net *p, struct mmds_stack *m)
{
	struct rx_held *h = &p->rx;
	uint8_t frame[NET_HDR_LEN + MMDS_FRAME_MAX];
	uint64_t cap = 0;
	unsigned k = 0;
	size_t n;

	memset(frame, 0, NET_HDR_LEN); /* no offload: its checksums are whole */
	n = mmds_stack_next(m, frame + NET_HDR_LEN, MMDS_FRAME_MAX);
	if (!n)
		return 0;
	n += NET_HDR_LEN;
	/* Its size, as a tap frame pays it (rx_read): rx_tokens took one. */
	rate_limit_charge(&dev_of(vd)->rate[NET_RXQ], (uint64_t)n - 1);
	do
		cap += h->slot[h->first + k++].len;
	while (p->mergeable && k < h->n && cap < n);
	if (n <= cap) {
		iov_put(&h->iov[h->iov_first], h->iov_n, 0, frame, n);
		rx_deliver(vd, p, n);
		return 1;
	}
	if (!p->mergeable) {
		virtio_count(&vd->counters.errors, 1);
		log_debug("%s: dropped a %zu-byte MMDS frame (buffer: %llu bytes)", vd->name, n,
			  (unsigned long long)cap);
		return 1;
	}
	iov_put(&h->iov[h->iov_first], h->iov_n, 0, frame, cap);
	memcpy(p->bounce, frame + cap, n - cap);
	p->pending = n;
	p->pending_head = cap;
	return 1;
}

/* The driver has posted room for the pending packet: copy its tail from
 * bounce[] into the buffers after its head, and deliver it. */
static void rx_complete(struct virtio_dev *vd, struct net *p)
{
	struct rx_held *h = &p->rx;

	iov_put(&h->iov[h->iov_first], h->iov_n, p->pending_head, p->bounce, p->pending - p->pending_head);
	rx_deliver(vd, p, p->pending);
	p->pending = 0;
}

/* No buffer for the next packet: leave packets in the tap's queue and ask
 * the driver to tell us when it posts buffers. */
static void rx_starve(struct virtio_dev *vd, struct net *p)
{
	if (p->rx_starved)
		return;
	p->rx_starved = true;
	tap_watch(vd, p, p->tap_events & ~(uint32_t)EPOLLIN);
}

static void rx_feed(struct virtio_dev *vd, struct net *p)
{
	if (!p->rx_starved)
		return;
	p->rx_starved = false;
	virtq_notify_off(&vd->vq[p->q[NET_RXQ]]);
	tap_watch(vd, p, p->tap_events | EPOLLIN);
}

/* Nothing to receive into: wait for the driver. */
static int rx_wait(struct virtio_dev *vd, struct net *p)
{
	rx_starve(vd, p);
	/* Buffers that came meanwhile get no notification: go on. */
	return virtio_queue_rearm(vd, p->q[NET_RXQ]);
}

/* May the next packet be read?  Its size is known only once read, so it
 * takes one operation and one byte now and the rest after (rx_read): the
 * bucket may go into debt by one packet, which the next one waits out.
 * When not, the tap is not read (nor watched) until the limiter's timer. */
static bool rx_tokens(struct virtio_dev *vd, struct net *p)
{
	if (p->rx_limited)
		return false;
	if (rate_limit_take(&dev_of(vd)->rate[NET_RXQ], 1))
		return true;
	p->rx_limited = true;
	tap_watch(vd, p, p->tap_events & ~(uint32_t)EPOLLIN);
	return false;
}

/* One step of receiving: true if there may be more to do. */
static bool rx_step(struct virtio_dev *vd, struct net *p)
{
	struct net_dev *d = dev_of(vd);
	int st = rx_gather(vd, p);

	if (st == RX_ERROR)
		return false;
	if (p->pending && p->rx.bytes < p->pending && st == RX_SHORT)
		return rx_wait(vd, p);
	if (!p->pending && p->rx.n == 0)
		return rx_wait(vd, p);
	if (!p->pending && !rx_tokens(vd, p))
		return false;
	rx_feed(vd, p);
	if (!p->pending && p == d->pair[0] && d->mmds && mmds_stack_pending(d->mmds))
		return rx_mmds(vd, p, d->mmds) > 0;
	if (!p->pending)
		return rx_read(vd, p) > 0;
	if (p->rx.bytes >= p->pending) {
		rx_complete(vd, p);
	} else {
		/* The whole ring is ours and still too small: the driver can
		 * never take this packet. */
		virtio_count(&vd->counters.errors, 1);
		log_debug("%s: dropped a %llu-byte packet (ring holds %llu bytes)", vd->name,
			  (unsigned long long)p->pending, (unsigned long long)p->rx.bytes);
		p->pending = 0;
	}
	return true;
}

static void rx_pump(struct virtio_dev *vd, struct net *p)
{
	struct virtq *q = &vd->vq[p->q[NET_RXQ]];
	uint16_t used_before = q->used_idx;
	unsigned delivered = p->delivered;

	if (!q->active || p->tap < 0)
		return;
	/* Bounded: more packets wait in the tap, whose level-triggered
	 * readiness brings us back after the other work. */
	for (unsigned i = 0; i < NET_BUDGET && rx_step(vd, p); i++)
		;
	/* One interrupt for the batch. */
	if (q->used_idx != used_before)
		coal_done(vd, &p->coal[NET_RXQ], p->delivered - delivered);
}

/* --- transmit --------------------------------------------------------------- */

/* Is the popped chain a frame for the metadata service?  Then it goes to
 * its stack, copied out first, and not to the tap. */
static bool tx_mmds(struct virtio_dev *vd, struct net_dev *d, const struct virtq_chain *c)
{
	/* The headers decide (ARP: 14 + 28 bytes; IPv4: 14 + 20). */
	size_t n = iov_get(c->iov, c->nout, d->mmds_frame, NET_HDR_LEN + 42);

	if (!mmds_stack_wants(d->mmds, d->mmds_frame + NET_HDR_LEN, n - NET_HDR_LEN))
		return false;
	/* Cut short if longer than the copy: the stack sees a bad length. */
	n = iov_get(c->iov, c->nout, d->mmds_frame, sizeof(d->mmds_frame));
	mmds_stack_input(d->mmds, d->mmds_frame + NET_HDR_LEN, n - NET_HDR_LEN, now_ns() / 1000000);
	virtio_count(&vd->counters.requests, 1);
	virtio_count(&vd->counters.bytes, c->out_bytes - NET_HDR_LEN);
	return true;
}

/* Send the popped chain: 0 when done with it (sent or dropped), 1 if the
 * tap has no room now. */
static int tx_one(struct virtio_dev *vd, struct net *p)
{
	const struct virtq_chain *c = &p->chain;
	struct virtq *q = &vd->vq[p->q[NET_TXQ]];
	ssize_t n;

	if (c->nin || c->out_bytes < NET_HDR_LEN || c->out_bytes > NET_HDR_LEN + NET_MAX_FRAME) {
		/* A malformed frame is the guest's loss alone: drop it. */
		virtio_count(&vd->counters.errors, 1);
		log_debug("%s: dropped transmit chain %u (%llu readable bytes, %u writable parts)",
			  vd->name, c->head, (unsigned long long)c->out_bytes, c->nin);
		virtq_push(q, c->head, 0);
		return 0;
	}
	if (dev_of(vd)->mmds && tx_mmds(vd, dev_of(vd), c)) {
		virtq_push(q, c->head, 0);
		return 0;
	}
	n = p->tap < 0 ? -1 : writev(p->tap, c->iov, (int)c->nout);
	if (n < 0 && p->tap >= 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 1;
	if (n < 0) {
		virtio_count(&vd->counters.errors, 1); /* e.g. tap down: lost, as on a wire */
		log_debug("%s: tap write: %s", vd->name, p->tap < 0 ? "no tap" : strerror(errno));
	} else {
		virtio_count(&vd->counters.requests, 1);
		virtio_count(&vd->counters.bytes, c->out_bytes - NET_HDR_LEN);
	}
	virtq_push(q, c->head, 0);
	return 0;
}

enum { TX_ERROR = -1, TX_EMPTY, TX_BUDGET, TX_BLOCKED, TX_LIMITED };

static int tx_batch(struct virtio_dev *vd, struct net *p, unsigned *done)
{
	struct virtq *q = &vd->vq[p->q[NET_TXQ]];
	int r;

	while (*done < NET_BUDGET) {
		r = virtq_pop(q, &p->chain);
		if (r < 0) {
			virtio_fail(vd, "transmitq: %s", q->error);
			return TX_ERROR;
		}
		if (r == 0)
			return TX_EMPTY;
		/* The frame's bytes, as popped (the guest cannot change them). */
		if (!rate_limit_take(&dev_of(vd)->rate[NET_TXQ],
				     p->chain.out_bytes > NET_HDR_LEN ? p->chain.out_bytes - NET_HDR_LEN : 0)) {
			virtq_unpop(q, 1);
			return TX_LIMITED;
		}
		if (tx_one(vd, p)) {
			virtq_unpop(q, 1);
			return TX_BLOCKED;
		}
		(*done)++;
	}
	return TX_BUDGET;
}

static void tx_pump(struct virtio_dev *vd, struct net *p)
{
	struct virtq *q = &vd->vq[p->q[NET_TXQ]];
	uint16_t used_before = q->used_idx;
	unsigned done = 0;
	int st;

	if (!q->active || p->tx_blocked || p->tx_limited)
		return;
	virtq_notify_off(q);
	for (;;) {
		st = tx_batch(vd, p, &done);
		if (st != TX_EMPTY || !virtio_queue_rearm(vd, p->q[NET_TXQ]))
			break;
		virtq_notify_off(q); /* frames came meanwhile */
	}
	if (st == TX_BUDGET)
		resume_later(p); /* after the receive side had its turn */
	if (st == TX_BLOCKED) {
		p->tx_blocked = true;
		tap_watch(vd, p, p->tap_events | EPOLLOUT);
	}
	/* Notifications stay off: the limiter's timer brings us back. */
	if (st == TX_LIMITED)
		p->tx_limited = true;
	if (q->used_idx != used_before)
		coal_done(vd, &p->coal[NET_TXQ], (uint16_t)(q->used_idx - used_before));
	/* The metadata service answered: its frames go out on pair 0. */
	if (dev_of(vd)->mmds && mmds_stack_pending(dev_of(vd)->mmds))
		rx_pump(vd, dev_of(vd)->pair[0]);
}

/* --- the control queue -------------------------------------------------------- */

/* With VIRTIO_NET_F_MQ the control queue comes after every pair; without,
 * after the first (5.1.2). */
static unsigned ctrl_queue(const struct virtio_dev *vd, const struct net_dev *d)
{
	return virtio_has_feature(vd, NET_F_MQ) ? 2 * d->npairs : 2;
}

/* Only the first N pairs' tap queues get packets from the host: the
 * kernel steers flows among the attached ones. */
static void set_active(struct virtio_dev *vd, struct net_dev *d, unsigned n)
{
	for (unsigned i = 1; i < d->npairs; i++) {
		struct net *p = d->pair[i];

		if (p->tap >= 0 && tap_queue_enable(p->tap, p->ifname, i < n) < 0)
			log_warn("%s: %s", vd->name, err_msg());
	}
	d->active = n;
	log_debug("%s: %u of %u queue pairs in use", vd->name, n, d->npairs);
}

/* Why a command was refused, for the guest error line: its class and
 * command and how the driver laid the chain out. */
static void ctrl_refused(struct virtio_dev *vd, const struct virtq_chain *c, const uint8_t hdr[2],
			 const char *why)
{
	virtio_count(&vd->counters.errors, 1);
	log_guest("%s: control command class %u command %u refused: %s (%u readable descriptors, "
		  "%llu bytes; %u writable, %llu bytes)", vd->name, hdr[0], hdr[1], why, c->nout,
		  (unsigned long long)c->out_bytes, c->nin, (unsigned long long)c->in_bytes);
}

/* NOTF_COAL TX_SET / RX_SET: max_packets, usecs (little-endian, as the
 * host), for that direction of every pair. */
static uint8_t ctrl_coal(struct virtio_dev *vd, struct net_dev *d, const uint8_t hdr[2],
			 const struct virtq_chain *c)
{
	uint32_t v[2];
	unsigned dir = hdr[1] == NET_CTRL_NOTF_COAL_TX_SET ? NET_TXQ : NET_RXQ;

	if (!virtio_has_feature(vd, NET_F_NOTF_COAL)) {
		ctrl_refused(vd, c, hdr, "VIRTIO_NET_F_NOTF_COAL not negotiated");
		return NET_CTRL_ERR;
	}
	if (hdr[1] > NET_CTRL_NOTF_COAL_RX_SET) {
		ctrl_refused(vd, c, hdr, "no such command");
		return NET_CTRL_ERR;
	}
	if (c->out_bytes != 2 + sizeof(v)) {
		ctrl_refused(vd, c, hdr, "data is not 8 bytes");
		return NET_CTRL_ERR;
	}
	virtq_chain_read(c, 2, v, sizeof(v)); /* one copy, then use */
	for (unsigned i = 0; i < d->usable; i++)
		coal_set(vd, &d->pair[i]->coal[dir], v[0], v[1]);
	return NET_CTRL_OK;
}

/* MQ VQ_PAIRS_SET: how many pairs the driver uses, 1 to max_virtqueue_pairs. */
static uint8_t ctrl_mq(struct virtio_dev *vd, struct net_dev *d, const uint8_t hdr[2],
		       const struct virtq_chain *c)
{
	uint16_t n;

	if (!virtio_has_feature(vd, NET_F_MQ)) {
		ctrl_refused(vd, c, hdr, "VIRTIO_NET_F_MQ not negotiated");
		return NET_CTRL_ERR;
	}
	if (hdr[1] != NET_CTRL_MQ_VQ_PAIRS_SET) {
		ctrl_refused(vd, c, hdr, "no such command");
		return NET_CTRL_ERR;
	}
	if (c->out_bytes != 2 + sizeof(n)) {
		ctrl_refused(vd, c, hdr, "data is not 2 bytes");
		return NET_CTRL_ERR;
	}
	virtq_chain_read(c, 2, &n, sizeof(n));
	if (n < 1 || n > d->npairs) {
		ctrl_refused(vd, c, hdr, n ? "more pairs than max_virtqueue_pairs" : "0 pairs");
		return NET_CTRL_ERR;
	}
	set_active(vd, d, n);
	return NET_CTRL_OK;
}

/* One command: class and command, their data, then the ack the device
 * writes.  A chain too short for that is answered as far as it goes and
 * counted as an error; a command not offered gets VIRTIO_NET_ERR. */
static void ctrl_one(struct virtio_dev *vd, struct net_dev *d, const struct virtq_chain *c)
{
	uint8_t hdr[2], ack = NET_CTRL_ERR;

	if (c->out_bytes < sizeof(hdr) || c->in_bytes < 1) {
		virtio_count(&vd->counters.errors, 1);
		log_guest("%s: control command %u: %llu readable, %llu writable bytes (needs 2 and 1)",
			  vd->name, c->head, (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
	} else {
		virtq_chain_read(c, 0, hdr, sizeof(hdr));
		if (hdr[0] == NET_CTRL_NOTF_COAL)
			ack = ctrl_coal(vd, d, hdr, c);
		else if (hdr[0] == NET_CTRL_MQ)
			ack = ctrl_mq(vd, d, hdr, c);
		else
			ctrl_refused(vd, c, hdr, "class not offered");
	}
	virtq_push(&vd->vq[ctrl_queue(vd, d)], c->head,
		   c->in_bytes ? (uint32_t)virtq_chain_write(c, 0, &ack, 1) : 0);
	virtio_count(&vd->counters.requests, 1);
}

static void ctrl_notify(struct virtio_dev *vd, struct net_dev *d)
{
	unsigned qi = ctrl_queue(vd, d);
	struct virtq *q = &vd->vq[qi];
	struct virtq_chain *c = &d->pair[0]->chain; /* scratch: same thread */
	int r;

	do {
		virtq_notify_off(q);
		while ((r = virtq_pop(q, c)) > 0)
			ctrl_one(vd, d, c);
		if (r < 0) {
			virtio_fail(vd, "controlq: %s", q->error);
			return;
		}
	} while (virtio_queue_rearm(vd, qi));
	virtio_queue_done(vd, qi);
}

/* --- device ops ------------------------------------------------------------- */

static void net_notify(struct virtio_dev *vd, unsigned q)
{
	struct net_dev *d = dev_of(vd);

	if (virtio_has_feature(vd, NET_F_CTRL_VQ) && q == ctrl_queue(vd, d))
		ctrl_notify(vd, d);
	else if (q / 2 < d->usable && (q & 1))
		tx_pump(vd, d->pair[q / 2]);
	else if (q / 2 < d->usable)
		rx_pump(vd, d->pair[q / 2]);
}

static void pair_fd_ready(struct virtio_dev *vd, struct net *p, int fd, uint32_t events)
{
	uint64_t n;

	for (unsigned dir = 0; dir < 2; dir++)
		if (fd == p->call_fd[dir]) { /* vhost used buffers on that queue */
			if (read(fd, &n, sizeof(n)) == sizeof(n))
				virtio_queue_interrupt(vd, p->q[dir]);
			return;
		}
	for (unsigned dir = 0; dir < 2; dir++)
		if (fd == p->coal[dir].timer_fd) {
			coal_timer(vd, &p->coal[dir]);
			return;
		}
	if (fd == p->resume_fd) {
		if (read(fd, &n, sizeof(n)) < 0)
			n = 0; /* already drained: fine */
		tx_pump(vd, p);
		rx_pump(vd, p);
		return;
	}
	/* tun reports only this when its interface is unregistered. */
	if (events & EPOLLERR) {
		tap_gone(vd, p);
		return;
	}
	if ((events & EPOLLOUT) && p->tx_blocked) {
		p->tx_blocked = false;
		tap_watch(vd, p, p->tap_events & ~(uint32_t)EPOLLOUT);
		tx_pump(vd, p);
	}
	if (events & EPOLLIN)
		rx_pump(vd, p);
}

/* A rate limiter's timer: tokens may be there for the pairs it held. */
static void rate_timer(struct virtio_dev *vd, struct net_dev *d, unsigned dir)
{
	rate_limit_timer_read(&d->rate[dir]);
	for (unsigned i = 0; i < d->usable; i++) {
		struct net *p = d->pair[i];

		if (dir == NET_TXQ && p->tx_limited) {
			p->tx_limited = false;
			tx_pump(vd, p);
		} else if (dir == NET_RXQ && p->rx_limited) {
			p->rx_limited = false;
			if (!p->rx_starved)
				tap_watch(vd, p, p->tap_events | EPOLLIN);
			rx_pump(vd, p);
		}
	}
}

static void net_fd_ready(struct virtio_dev *vd, int fd, uint32_t events)
{
	struct net_dev *d = dev_of(vd);

	for (unsigned dir = 0; dir < 2; dir++)
		if (fd == d->rate[dir].timer_fd) {
			rate_timer(vd, d, dir);
			return;
		}
	for (unsigned i = 0; i < d->usable; i++) {
		struct net *p = d->pair[i];

		if (fd == p->tap || fd == p->resume_fd || fd == p->coal[NET_RXQ].timer_fd ||
		    fd == p->coal[NET_TXQ].timer_fd || fd == p->call_fd[NET_RXQ] || fd == p->call_fd[NET_TXQ]) {
			pair_fd_ready(vd, p, fd, events);
			return;
		}
	}
}

/* What the guest accepted to receive is what the tap may give us. */
static unsigned rx_offloads(const struct virtio_dev *vd)
{
	unsigned f = 0;

	if (virtio_has_feature(vd, NET_F_GUEST_CSUM)) {
		f |= TAP_OFFLOAD_CSUM;
		if (virtio_has_feature(vd, NET_F_GUEST_TSO4))
			f |= TAP_OFFLOAD_TSO4;
		if (virtio_has_feature(vd, NET_F_GUEST_TSO6))
			f |= TAP_OFFLOAD_TSO6;
		if (virtio_has_feature(vd, NET_F_GUEST_ECN))
			f |= TAP_OFFLOAD_TSO_ECN;
	}
	return f;
}

/* --- vhost-net ---------------------------------------------------------------- */

/* Feature bits that change how the rings or the header look: vhost must
 * know each one the driver took.  (The offload bits go to the tap.) */
#define VHOST_RING_FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | \
			     VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(NET_F_MRG_RXBUF))
/* linux/vhost.h's VHOST_NET_F_VIRTIO_NET_HDR: vhost would add the header
 * itself; here the tap does (tap_set_vnet_hdr_len), so never ask for it. */
#define VHOST_NET_F_HDR 27

/* Where ring DIR of P signals "used buffers": the transport's irqfd, so
 * that KVM injects the interrupt with no warden thread involved (vhost
 * has checked the driver's suppression), when the transport has one for
 * the queue now (virtio-pci: MSI-X on, the vector unmasked, irqfd on);
 * else warden's relay eventfd, which its I/O thread turns into the
 * transport's interrupt (virtio-mmio's InterruptStatus, a masked vector's
 * pending bit, the ISR without MSI-X). */
static int vhost_call_target(struct virtio_dev *vd, const struct net *p, unsigned dir)
{
	int fd = virtio_queue_irqfd(vd, p->q[dir]);

	return fd >= 0 ? fd : p->call_fd[dir];
}

static const char *vhost_call_how(const struct net *p, unsigned dir)
{
	return p->call_now[dir] == p->call_fd[dir] ? "relayed by warden's I/O thread"
						   : "straight to KVM (irqfd; warden does not count them)";
}

/* Hand pair P's rings to the kernel (its own vhost-net fd: the kernel
 * takes one queue pair per fd, rings 0 and 1 of it).  Its features were
 * read at creation (or now, when a reset closed the fd). */
static int vhost_begin(struct virtio_dev *vd, struct net *p)
{
	uint64_t need = vd->driver_features & VHOST_RING_FEATURES;
	struct vhost_ring r[2];

	if (p->vhost_fd < 0 && (p->vhost_fd = vhost_net_open(VHOST_NET_DEVICE, &p->vhost_features)) < 0)
		return -1;
	if (need & ~p->vhost_features)
		return fail(ERR_HOST, "%s: vhost-net lacks features 0x%llx the driver took", vd->name,
			    (unsigned long long)(need & ~p->vhost_features));
	for (unsigned dir = 0; dir < 2; dir++) {
		struct virtq *v = &vd->vq[p->q[dir]];

		p->call_now[dir] = vhost_call_target(vd, p, dir);
		r[dir] = (struct vhost_ring){ .size = v->size, .base = v->last_avail, .desc = v->desc,
					      .avail = v->avail, .used = v->used,
					      .kick_fd = vd->kick_fd[p->q[dir]], .call_fd = p->call_now[dir] };
	}
	if (vhost_net_start(p->vhost_fd, vd->driver_features & p->vhost_features & ~VIRTIO_BIT(VHOST_NET_F_HDR),
			    &vd->vm->mem, r, 2, p->tap) < 0)
		return -1;
	if (p->busyloop_us && vhost_net_busyloop(p->vhost_fd, 2, p->busyloop_us) < 0)
		return -1;
	vd->queues_offloaded |= (1u << p->q[NET_RXQ]) | (1u << p->q[NET_TXQ]);
	for (unsigned q = 0; q < 2; q++)
		if (virtio_watch_fd(vd, p->call_fd[q], EPOLLIN) < 0)
			return -1;
	log_debug("%s: data path handed to vhost-net (pair %u, features 0x%llx, busy polling %u us); "
		  "interrupts: receiveq %s, transmitq %s", vd->name, p->q[NET_RXQ] / 2,
		  (unsigned long long)(vd->driver_features & p->vhost_features), p->busyloop_us,
		  vhost_call_how(p, NET_RXQ), vhost_call_how(p, NET_TXQ));
	return 0;
}

/* The transport's irqfds changed (a vector masked or unmasked, MSI-X
 * switched, a queue moved to another vector): point each ring's signal
 * where vhost_call_target says now.  After VHOST_SET_VRING_CALL returns
 * the kernel signals only the new eventfd (it swaps it under the ring's
 * lock, which its worker holds while it signals); an interrupt KVM had
 * already taken from the irqfd may still arrive just after a masking
 * write, as it may under QEMU, which switches the same way.  A signal
 * the relay still holds from before an unmask is relayed (one spare
 * interrupt, harmless). */
static void pair_irq_changed(struct virtio_dev *vd, struct net *p)
{
	static struct ratelimit rl;
	uint64_t dropped;

	/* Only rings the kernel has now (a start set their eventfds). */
	if (p->vhost_fd < 0 || !(vd->queues_offloaded & (1u << p->q[NET_RXQ])))
		return;
	for (unsigned q = 0; q < 2; q++) {
		int fd = vhost_call_target(vd, p, q);

		if (fd == p->call_now[q])
			continue;
		if (vhost_net_set_call(p->vhost_fd, q, fd) < 0) {
			log_warn("%s: %s", vd->name, err_msg());
			virtio_fail(vd, "vhost-net refused to change queue %u's interrupt eventfd", q);
			return;
		}
		p->call_now[q] = fd;
		/* The driver decides how often this happens: rate-limited. */
		if (log_verbose && ratelimit_allow(&rl, now_ns(), &dropped))
			log_debug("%s: queue %u's interrupts now %s", vd->name, p->q[q], vhost_call_how(p, q));
	}
}

static void net_irq_changed(struct virtio_dev *vd)
{
	struct net_dev *d = dev_of(vd);

	for (unsigned i = 0; i < d->npairs && !virtio_failed(vd); i++)
		pair_irq_changed(vd, d->pair[i]);
}

/* Take the rings back: closing the fd stops the kernel's worker before it
 * returns, so no guest buffer is touched after this. */
static void vhost_end(struct net *p)
{
	if (p->vhost_fd >= 0)
		close(p->vhost_fd);
	p->vhost_fd = p->call_now[0] = p->call_now[1] = -1;
}

/* vhost=on: the host must have vhost-net (else ERR_USAGE); vhost=auto:
 * use it when the host has it, else say so once and use warden's own
 * path.  One vhost-net fd per queue pair; the call eventfds are made now,
 * so a start cannot fail on them. */
static int vhost_setup(struct virtio_dev *vd, struct net_dev *d, unsigned npairs, enum net_vhost want)
{
	if (want == NET_VHOST_OFF)
		return 0;
	for (unsigned i = 0; i < npairs; i++) {
		struct net *p = d->pair[i];
		char why[256];

		p->vhost_fd = vhost_net_open(VHOST_NET_DEVICE, &p->vhost_features);
		if (p->vhost_fd < 0 && i == 0 && want == NET_VHOST_AUTO) {
			log_info("%s: vhost=auto: %s; warden's own data path instead", vd->name, err_msg());
			err_clear();
			return 0;
		}
		if (p->vhost_fd < 0) {
			snprintf(why, sizeof(why), "%s", err_msg());
			return fail(err_class(), "--net tap=%s,vhost=%s: %s", p->ifname,
				    want == NET_VHOST_ON ? "on" : "auto", why);
		}
		for (unsigned q = 0; q < 2; q++)
			if ((p->call_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
				return fail_errno(ERR_HOST, "%s: eventfd", vd->name);
	}
	for (unsigned i = 0; i < npairs; i++)
		d->pair[i]->vhost_ok = true;
	log_info("%s: vhost-net carries the data path (%s%s)", vd->name, VHOST_NET_DEVICE,
		 npairs > 1 ? ", one per queue pair" : "");
	return 0;
}

/* --- lifecycle ---------------------------------------------------------------- */

static int pair_tap_setup(struct virtio_dev *vd, struct net *p, unsigned off)
{
	if (p->tap < 0) {
		log_warn("%s: tap %s is gone", vd->name, p->ifname);
		return -1;
	}
	if (tap_set_vnet_hdr_len(p->tap, p->ifname, NET_HDR_LEN) < 0 ||
	    tap_set_offload(p->tap, p->ifname, off) < 0) {
		log_warn("%s: %s", vd->name, err_msg());
		return -1;
	}
	return 0;
}

static int pair_start(struct virtio_dev *vd, struct net *p, unsigned off)
{
	if (pair_tap_setup(vd, p, off) < 0)
		return -1;
	p->mergeable = virtio_has_feature(vd, NET_F_MRG_RXBUF);
	p->rx_need = NET_HDR_LEN + ((off & (TAP_OFFLOAD_TSO4 | TAP_OFFLOAD_TSO6)) ? NET_MAX_FRAME : NET_MTU_FRAME);
	rx_clear(&p->rx);
	p->pending = 0;
	/* Not reading the tap until the driver has posted receive buffers. */
	p->rx_starved = true;
	p->tx_blocked = p->rx_limited = p->tx_limited = false;
	p->tap_events = 0;
	if (!dev_of(vd)->resuming) { /* a new driver starts without coalescing */
		coal_reset(&p->coal[NET_RXQ]);
		coal_reset(&p->coal[NET_TXQ]);
	}
	if (virtio_watch_fd(vd, p->tap, 0) < 0 || virtio_watch_fd(vd, p->resume_fd, EPOLLIN) < 0 ||
	    virtio_watch_fd(vd, p->coal[NET_RXQ].timer_fd, EPOLLIN) < 0 ||
	    virtio_watch_fd(vd, p->coal[NET_TXQ].timer_fd, EPOLLIN) < 0) {
		log_warn("%s: %s", vd->name, err_msg());
		return -1;
	}
	/* First look at both queues: buffers may be posted already. */
	resume_later(p);
	return 0;
}

static int net_start(struct virtio_dev *vd)
{
	struct net_dev *d = dev_of(vd);
	unsigned off = rx_offloads(vd);

	bool resuming = d->resuming;

	d->usable = virtio_has_feature(vd, NET_F_MQ) ? d->npairs : 1;
	if (d->pair[0]->vhost_ok) {
		/* From the rings' indices (a resume's or a restore's included). */
		for (unsigned i = 0; i < d->usable; i++)
			if (pair_tap_setup(vd, d->pair[i], off) < 0 || vhost_begin(vd, d->pair[i]) < 0) {
				log_warn("%s: %s", vd->name, err_msg());
				for (unsigned j = 0; j <= i; j++)
					vhost_end(d->pair[j]);
				return -1;
			}
		set_active(vd, d, resuming ? d->active : 1);
		d->resuming = false;
		return 0;
	}
	for (unsigned i = 0; i < d->usable; i++)
		if (pair_start(vd, d->pair[i], off) < 0)
			return -1;
	for (unsigned dir = 0; dir < 2; dir++)
		if (virtio_watch_fd(vd, d->rate[dir].timer_fd, EPOLLIN) < 0) {
			log_warn("%s: %s", vd->name, err_msg());
			return -1;
		}
	/* Multiqueue starts off: one pair until the driver asks for more
	 * (a resumed session keeps what its driver set). */
	set_active(vd, d, resuming ? d->active : 1);
	d->resuming = false;
	log_debug("%s: started, offloads to the guest 0x%x, %s receive buffers", vd->name, off,
		  d->pair[0]->mergeable ? "mergeable" : "one chain per packet");
	return 0;
}

/* --- snapshots (docs/snapshot.md) ----------------------------------------- */

/* vhost: the kernel stops and says where each ring's available side
 * stopped; the used side is in guest memory.  The fd is closed (the
 * resume opens the rings again from these indices). */
static void vhost_quiesce(struct virtio_dev *vd, struct net *p)
{
	uint16_t base[2];

	if (p->vhost_fd < 0)
		return;
	if (vhost_net_stop(p->vhost_fd, 2, base) < 0) {
		log_warn("%s: %s", vd->name, err_msg());
		virtio_fail(vd, "vhost-net did not stop for a pause");
	} else {
		for (unsigned q = 0; q < 2; q++) {
			struct virtq *v = &vd->vq[p->q[q]];

			v->last_avail = base[q];
			v->used_idx = __atomic_load_n(&v->used->idx, __ATOMIC_ACQUIRE);
			v->signalled_valid = false; /* the kernel signalled what it did */
		}
	}
	vhost_end(p);
	/* A "used" signal the I/O thread had not relayed yet: relayed now. */
	for (unsigned q = 0; q < 2; q++) {
		uint64_t n;

		if (read(p->call_fd[q], &n, sizeof(n)) == sizeof(n))
			virtio_queue_interrupt(vd, p->q[q]);
	}
}

/* A pause: the I/O thread has stopped.  Transmits are whole (a chain the
 * tap refused went back to the ring).  Receive buffers held for a packet
 * go back to the ring too (still the driver's: not used); a packet that
 * had only part of its buffers is dropped (counted, as a full queue
 * drops it).  Interrupts coalescing held back are sent.  Then every
 * queue's state is its ring and indices. */
static void net_quiesce(struct virtio_dev *vd)
{
	struct net_dev *d = dev_of(vd);

	for (unsigned i = 0; i < d->usable; i++)
		vhost_quiesce(vd, d->pair[i]);
	vd->queues_offloaded = 0;
	for (unsigned i = 0; i < d->usable; i++) {
		struct net *p = d->pair[i];

		if (p->pending) {
			virtio_count(&vd->counters.errors, 1);
			log_debug("%s: a pause dropped a %llu-byte packet waiting for buffers", vd->name,
				  (unsigned long long)p->pending);
		}
		if (p->rx.n)
			virtq_unpop(&vd->vq[p->q[NET_RXQ]], p->rx.n);
		rx_clear(&p->rx);
		p->pending = 0;
		/* Interrupts held back go now (the timer, if armed, fires on
		 * the resumed I/O thread: one more interrupt, harmless). */
		for (unsigned dir = 0; dir < 2; dir++)
			if (p->coal[dir].pending) {
				p->coal[dir].pending = 0;
				virtio_queue_done(vd, p->q[dir]);
			}
	}
	d->resuming = true;
}

static long net_save(const struct virtio_dev *vd, void *buf, size_t cap)
{
	const struct net_dev *d = vd->priv;
	struct net_saved s = { .active = d->active, .npairs = d->npairs };

	for (unsigned i = 0; i < d->npairs; i++)
		for (unsigned dir = 0; dir < 2; dir++) {
			s.coal[i][dir][0] = d->pair[i]->coal[dir].max_packets;
			s.coal[i][dir][1] = d->pair[i]->coal[dir].usecs;
		}
	return device_save_plain(buf, cap, &s, sizeof(s));
}

static int net_restore(struct virtio_dev *vd, const void *buf, size_t len)
{
	struct net_dev *d = dev_of(vd);
	struct net_saved s;

	if (device_restore_plain(&s, sizeof(s), buf, len) < 0)
		return fail(ERR_USAGE, "its control state is %zu bytes, not %zu", len, sizeof(s));
	if (s.npairs != d->npairs || s.active < 1 || s.active > d->npairs)
		return fail(ERR_USAGE, "%u of %u queue pairs in use; this device has %u", s.active, s.npairs,
			    d->npairs);
	/* Coalescing values are any the driver could set (coal_set takes any). */
	for (unsigned i = 0; i < d->npairs; i++)
		for (unsigned dir = 0; dir < 2; dir++) {
			coal_reset(&d->pair[i]->coal[dir]);
			d->pair[i]->coal[dir].max_packets = s.coal[i][dir][0];
			d->pair[i]->coal[dir].usecs = s.coal[i][dir][1];
		}
	d->active = s.active;
	d->resuming = true;
	return 0;
}

static void net_stop(struct virtio_dev *vd)
{
	struct net_dev *d = dev_of(vd);

	/* The queues are about to be reset: held buffers are forgotten, not
	 * used.  Until the next driver, the kernel finishes checksums and
	 * segments itself. */
	for (unsigned i = 0; i < d->npairs; i++) {
		struct net *p = d->pair[i];

		vhost_end(p);
		rx_clear(&p->rx);
		p->pending = 0;
		p->rx_starved = true;
		p->tx_blocked = false;
		p->tap_events = 0;
		coal_reset(&p->coal[NET_RXQ]);
		coal_reset(&p->coal[NET_TXQ]);
		if (p->tap >= 0 && tap_set_offload(p->tap, p->ifname, 0) < 0)
			log_warn("%s: %s", vd->name, err_msg());
	}
}

static void pair_free(struct net *p)
{
	if (!p)
		return;
	vhost_end(p);
	if (p->tap >= 0)
		close(p->tap);
	if (p->resume_fd >= 0)
		close(p->resume_fd);
	for (unsigned q = 0; q < 2; q++)
		if (p->call_fd[q] >= 0)
			close(p->call_fd[q]);
	coal_close(&p->coal[NET_RXQ]);
	coal_close(&p->coal[NET_TXQ]);
	free(p);
}

static void net_destroy(struct virtio_dev *vd)
{
	struct net_dev *d = dev_of(vd);

	if (!d)
		return;
	for (unsigned i = 0; i < NET_MAX_PAIRS; i++)
		pair_free(d->pair[i]);
	rate_limit_destroy(&d->rate[NET_RXQ]);
	rate_limit_destroy(&d->rate[NET_TXQ]);
	mmds_stack_free(d->mmds);
	free(d);
	vd->priv = NULL;
}

static const uint64_t net_features =
	VIRTIO_BIT(NET_F_CSUM) | VIRTIO_BIT(NET_F_GUEST_CSUM) | VIRTIO_BIT(NET_F_MAC) |
	VIRTIO_BIT(NET_F_GUEST_TSO4) | VIRTIO_BIT(NET_F_GUEST_TSO6) | VIRTIO_BIT(NET_F_GUEST_ECN) |
	VIRTIO_BIT(NET_F_HOST_TSO4) | VIRTIO_BIT(NET_F_HOST_TSO6) | VIRTIO_BIT(NET_F_HOST_ECN) |
	VIRTIO_BIT(NET_F_MRG_RXBUF) | VIRTIO_BIT(NET_F_STATUS) | VIRTIO_BIT(NET_F_CTRL_VQ) |
	VIRTIO_BIT(NET_F_NOTF_COAL);

static const struct virtio_dev_ops net_ops = {
	.start = net_start,
	.queue_notify = net_notify,
	.fd_ready = net_fd_ready,
	.stop = net_stop,
	.destroy = net_destroy,
	.quiesce = net_quiesce,
	.save = net_save,
	.restore = net_restore,
	.irq_changed = net_irq_changed,
};

/* Without mac=: the same address for the same tap and index on every run,
 * locally administered and unicast (52:54:00 + a hash of both). */
static void default_mac(const char *tap, unsigned index, uint8_t mac[6])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *s = tap; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	h = (h ^ (index & 0xff)) * 16777619u;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

static void fill_config(struct virtio_dev *vd, const uint8_t mac[6], unsigned npairs)
{
	uint16_t pairs = (uint16_t)npairs;

	memcpy(vd->config + NET_CFG_MAC, mac, 6);
	vd->config[NET_CFG_STATUS] = NET_S_LINK_UP;
	memcpy(vd->config + NET_CFG_MAX_PAIRS, &pairs, sizeof(pairs));
	vd->config_len = NET_CFG_LEN;
}

/* Pair I on tap NAME (a queue of a multi-queue tap when MULTI). */
static struct net *pair_open(const char *name, unsigned i, bool multi, bool *created)
{
	struct net *p = calloc(1, sizeof(*p)); /* tens of KiB: not on a stack */

	if (!p) {
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	p->q[NET_RXQ] = 2 * i;
	p->q[NET_TXQ] = 2 * i + 1;
	p->tap = p->resume_fd = p->coal[NET_RXQ].timer_fd = p->coal[NET_TXQ].timer_fd = -1;
	p->vhost_fd = p->call_fd[0] = p->call_fd[1] = p->call_now[0] = p->call_now[1] = -1;
	snprintf(p->ifname, sizeof(p->ifname), "%s", name);
	p->tap = tap_open(name, created, multi);
	if (p->tap < 0)
		goto bad;
	p->resume_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->resume_fd < 0) {
		fail_errno(ERR_HOST, "virtio-net: eventfd");
		goto bad;
	}
	if (coal_init(&p->coal[NET_RXQ], p->q[NET_RXQ]) < 0 || coal_init(&p->coal[NET_TXQ], p->q[NET_TXQ]) < 0)
		goto bad;
	return p;
bad:
	pair_free(p);
	return NULL;
}

struct virtio_dev *virtio_net_create(const struct net_spec *n, unsigned index, struct mmds *store,
				     uint32_t ipv4)
{
	unsigned npairs = n->queues ? n->queues : 1;
	bool created = false, again;
	struct virtio_dev *vd;
	struct net_dev *d;
	enum net_vhost want;
	uint8_t mac[6];

	want = n->vhost;
	if (n->mmds && store)
		want = NET_VHOST_OFF; /* auto: the metadata service is in warden's path */
	vd = calloc(1, sizeof(*vd));
	d = calloc(1, sizeof(*d));
	if (!vd || !d) {
		free(vd);
		free(d);
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	vd->priv = d;
	vd->ops = &net_ops;
	snprintf(vd->name, sizeof(vd->name), "virtio-net%u", index);
	d->rate[NET_RXQ].timer_fd = d->rate[NET_TXQ].timer_fd = -1;
	if (rate_limit_init(&d->rate[NET_RXQ], &n->rx_rate, &vd->counters.throttled) < 0 ||
	    rate_limit_init(&d->rate[NET_TXQ], &n->tx_rate, &vd->counters.throttled) < 0) {
		net_destroy(vd);
		free(vd);
		return NULL;
	}
	for (unsigned i = 0; i < npairs; i++) {
		d->pair[i] = pair_open(n->tap, i, npairs > 1, i ? &again : &created);
		if (!d->pair[i]) {
			net_destroy(vd);
			free(vd);
			return NULL;
		}
	}
	if (vhost_setup(vd, d, npairs, want) < 0) {
		net_destroy(vd);
		free(vd);
		return NULL;
	}
	if (n->mmds && store && !(d->mmds = mmds_stack_new(store, ipv4))) {
		net_destroy(vd);
		free(vd);
		return NULL;
	}
	d->npairs = d->usable = d->active = npairs;
	vd->type = (struct virtio_type){
		.device_id = VIRTIO_ID_NET,
		.nqueues = 2 * npairs + 1,
		.features = net_features | (npairs > 1 ? VIRTIO_BIT(NET_F_MQ) : 0),
	};
	/* vhost-net serves the data queues and decides each interrupt: no
	 * coalescing; with one pair no control queue either (with more,
	 * warden's I/O thread keeps it, for VQ_PAIRS_SET). */
	if (!d->pair[0]->vhost_ok) {
		vd->limits[VIRTIO_RATE_RX] = &d->rate[NET_RXQ];
		vd->limits[VIRTIO_RATE_TX] = &d->rate[NET_TXQ];
	}
	if (d->pair[0]->vhost_ok) {
		vd->type.features &= ~VIRTIO_BIT(NET_F_NOTF_COAL);
		if (npairs == 1) {
			vd->type.nqueues = 2;
			vd->type.features &= ~VIRTIO_BIT(NET_F_CTRL_VQ);
		}
	}
	if (n->has_mac)
		memcpy(mac, n->mac, 6);
	else
		default_mac(n->tap, index, mac);
	fill_config(vd, mac, npairs);
	vd->config_from_snapshot = 6; /* the MAC: the guest's, on any tap (restore) */
	/* poll: warden's I/O thread polls the rings, or with vhost-net the
	 * kernel's worker does (VHOST_SET_VRING_BUSYLOOP_TIMEOUT at each
	 * start): warden's thread must not touch rings the kernel owns. */
	if (d->pair[0]->vhost_ok)
		d->pair[0]->busyloop_us = n->poll_us;
	else {
		vd->poll_window_ns = (uint64_t)n->poll_us * 1000;
		vd->poll_max_ns = (uint64_t)n->poll_max_us * 1000;
	}
	log_info("%s: %s tap %s%s, guest MAC %02x:%02x:%02x:%02x:%02x:%02x", vd->name,
		 created ? "created" : "attached to existing", n->tap, npairs > 1 ? " (multi-queue)" : "",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return vd;
}
