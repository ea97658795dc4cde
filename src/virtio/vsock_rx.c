/* virtio-vsock's receive queue: the packets the guest gets, in this
 * order: RSTs for packets that had no connection, then, one connection
 * after another (round robin), its control packets and then its data,
 * read from the host socket straight into the buffer just taken, and never
 * more than the guest's credit allows. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/vsock.h"

static struct vsock_hdr hdr(const struct vsock *v, uint32_t host_port, uint32_t guest_port, uint16_t op)
{
	return (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID, .dst_cid = v->cid, .src_port = host_port,
		.dst_port = guest_port, .type = VSOCK_TYPE_STREAM, .op = op,
		.buf_alloc = VSOCK_BUF_ALLOC,
	};
}

/* H for connection C: it also carries C's credit to the guest. */
static struct vsock_hdr conn_hdr(const struct vsock *v, struct vsock_conn *c, uint16_t op)
{
	struct vsock_hdr h = hdr(v, c->host_port, c->guest_port, op);

	h.fwd_cnt = c->fwd_sent = c->fwd_cnt;
	return h;
}

static uint32_t put(const struct virtq_chain *ch, const struct vsock_hdr *h)
{
	virtq_chain_write(ch, 0, h, sizeof(*h));
	return sizeof(*h);
}

static uint32_t next_rst(struct vsock *v, const struct virtq_chain *ch)
{
	struct vsock_rst r = v->rst[0];
	struct vsock_hdr h = hdr(v, r.host_port, r.guest_port, VSOCK_OP_RST);

	h.src_cid = r.peer_cid;
	memmove(v->rst, v->rst + 1, --v->nrst * sizeof(v->rst[0]));
	return put(ch, &h);
}

static uint32_t next_control(struct vsock *v, struct vsock_conn *c, const struct virtq_chain *ch)
{
	static const struct { unsigned bit; uint16_t op; } order[] = {
		{ OWE_REQUEST, VSOCK_OP_REQUEST },
		{ OWE_RESPONSE, VSOCK_OP_RESPONSE },
		{ OWE_CREDIT, VSOCK_OP_CREDIT_UPDATE },
		{ OWE_SHUTDOWN, VSOCK_OP_SHUTDOWN },
	};
	struct vsock_hdr h;

	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(c->owe & order[i].bit))
			continue;
		c->owe &= ~order[i].bit;
		h = conn_hdr(v, c, order[i].op);
		/* The host sends no more; after a hang-up it receives no
		 * more either (a half-closed socket still does). */
		if (order[i].op == VSOCK_OP_SHUTDOWN)
			h.flags = VSOCK_SHUTDOWN_SEND | (c->hup ? VSOCK_SHUTDOWN_RCV : 0);
		return put(ch, &h);
	}
	return 0;
}

/* Host bytes for the guest, at most ROOM: a packet's length, or 0. */
static uint32_t next_data(struct vsock *v, struct vsock_conn *c, const struct virtq_chain *ch, uint64_t room)
{
	uint32_t want = vsock_conn_credit(c);
	struct vsock_hdr h;
	ssize_t n;

	if (c->state != CONN_OPEN || !c->readable || c->host_eof || want == 0)
		return 0;
	if (want > room)
		want = (uint32_t)room;
	if (want > sizeof(v->bounce))
		want = sizeof(v->bounce);
	n = recv(c->fd, v->bounce, want, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		c->readable = false;
		return 0;
	}
	if (n <= 0) { /* the end of the host's stream (or a broken socket) */
		c->host_eof = true;
		c->owe |= OWE_SHUTDOWN;
		return 0;
	}
	h = conn_hdr(v, c, VSOCK_OP_RW);
	h.len = (uint32_t)n;
	put(ch, &h);
	virtq_chain_write(ch, sizeof(h), v->bounce, (size_t)n);
	c->tx_cnt += (uint32_t)n;
	return sizeof(h) + (uint32_t)n;
}

static uint32_t conn_packet(struct vsock *v, struct vsock_conn *c, const struct virtq_chain *ch)
{
	uint32_t w;

	if (c->state < CONN_REQUESTED)
		return 0;
	if (c->owe)
		return next_control(v, c, ch);
	w = next_data(v, c, ch, ch->in_bytes - sizeof(struct vsock_hdr));
	return w ? w : next_control(v, c, ch); /* the end of the stream found */
}

/* Fill CH with the next packet for the guest: its length, or 0. */
static uint32_t fill(struct vsock *v, const struct virtq_chain *ch)
{
	if (v->nrst)
		return next_rst(v, ch);
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
		unsigned k = (v->next_conn + i) % VSOCK_MAX_CONNS;
		uint32_t w = conn_packet(v, &v->conn[k], ch);

		if (w) {
			v->next_conn = (k + 1) % VSOCK_MAX_CONNS;
			return w;
		}
	}
	return 0;
}

static void resume_later(struct vsock *v)
{
	uint64_t one = 1;

	if (write(v->resume_fd, &one, sizeof(one)) < 0)
		log_warn("vsock: resume eventfd: %s", strerror(errno));
}

void vsock_rx_pump(struct virtio_dev *vd)
{
	struct vsock *v = vd->priv;
	struct virtq *q = &vd->vq[VSOCK_RXQ];
	struct virtq_chain *ch = &v->chain;
	uint16_t used_before = q->used_idx;
	unsigned n = 0;

	if (virtio_failed(vd))
		return; /* nothing more until the driver resets the device */
	while (vd->queue_ready[VSOCK_RXQ] && n < VSOCK_BUDGET) {
		int r = virtq_pop(q, ch);
		uint32_t w;

		if (r < 0) {
			virtio_fail(vd, "receive queue: %s", q->error);
			return;
		}
		if (r == 0) {
			if (virtq_notify_on(q))
				continue; /* buffers came meanwhile: no notification for them */
			v->rx_room = false; /* until the driver posts buffers */
			break;
		}
		if (ch->nout || ch->in_bytes < sizeof(struct vsock_hdr)) {
			virtio_fail(vd, "receive buffer %u: %u readable parts, %llu writable bytes "
				    "(needs none, and at least %zu)", ch->head, ch->nout,
				    (unsigned long long)ch->in_bytes, sizeof(struct vsock_hdr));
			return;
		}
		w = fill(v, ch);
		if (!w) {
			virtq_unpop(q, 1);
			break;
		}
		virtq_push(q, ch->head, w);
		virtio_count(&vd->counters.bytes, w - sizeof(struct vsock_hdr));
		n++;
	}
	if (n == VSOCK_BUDGET)
		resume_later(v); /* after the other work: hung-up sockets have no poll to bring us back */
	vsock_conn_rearm_all(v);
	if (q->used_idx != used_before)
		virtio_queue_done(vd, VSOCK_RXQ);
}
