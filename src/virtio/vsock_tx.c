/* virtio-vsock's transmit queue: the packets the guest sends.  Each
 * header is copied out of guest memory and checked here, once: a packet
 * that breaks a rule is dropped (a wrong source CID or chain layout: no
 * one to answer) or answered with RST, and counted; the device goes on. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/vsock.h"

/* What the guest got wrong: counted and logged (rate-limited). */
#define guest_error(vd, ...)                                                   \
	do {                                                                   \
		virtio_count(&(vd)->counters.errors, 1);                       \
		log_guest(__VA_ARGS__);                                        \
	} while (0)

/* Answer H with RST: close its connection, if it has one.  A RST is never
 * answered (two devices would bounce them forever). */
static void answer_rst(struct virtio_dev *vd, const struct vsock_hdr *h, struct vsock_conn *c)
{
	if (c)
		vsock_conn_reset(vd, c);
	else if (h->op != VSOCK_OP_RST)
		vsock_owe_rst(vd, h->dst_cid, h->src_port, h->dst_port);
}

/* The guest connects to host port dst_port: "<uds>_<port>". */
static void on_request(struct virtio_dev *vd, const struct vsock_hdr *h, struct vsock_conn *c)
{
	struct vsock *v = vd->priv;
	int fd;

	if (c) { /* the guest reuses a live pair of ports */
		answer_rst(vd, h, c);
		return;
	}
	fd = vsock_host_connect(v->uds, h->dst_port);
	if (fd < 0) {
		log_debug("%s: guest connects to host port %u: %s_%u: %s", vd->name, h->dst_port, v->uds,
			  h->dst_port, strerror(errno));
		answer_rst(vd, h, NULL);
		return;
	}
	c = vsock_conn_new(v, fd, CONN_OPEN);
	if (!c) {
		log_debug("%s: %d connections open: port %u refused", vd->name, VSOCK_MAX_CONNS, h->dst_port);
		close(fd);
		answer_rst(vd, h, NULL);
		return;
	}
	c->guest_port = h->src_port;
	c->host_port = h->dst_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->owe = OWE_RESPONSE;
}

/* The guest accepted a host-initiated connection: tell the host. */
static void on_response(struct virtio_dev *vd, const struct vsock_hdr *h, struct vsock_conn *c)
{
	char ok[16];
	size_t n;

	if (!c || c->state != CONN_REQUESTED || (c->owe & OWE_REQUEST)) {
		guest_error(vd, "%s: RESPONSE for port %u without a request", vd->name, h->src_port);
		answer_rst(vd, h, c);
		return;
	}
	n = vsock_host_ok_line(ok, c->host_port);
	/* The first bytes on a fresh socket: its buffer takes them whole. */
	if (send(c->fd, ok, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n) {
		vsock_conn_reset(vd, c);
		return;
	}
	c->state = CONN_OPEN;
}

static void on_rw(struct virtio_dev *vd, const struct vsock_hdr *h, struct vsock_conn *c,
		  const struct virtq_chain *ch)
{
	struct vsock *v = vd->priv;

	if (!c || c->state != CONN_OPEN) {
		answer_rst(vd, h, c);
		return;
	}
	/* Credit: the guest may have at most VSOCK_BUF_ALLOC bytes with us
	 * that the host socket has not taken. */
	if (h->len > VSOCK_BUF_ALLOC - c->len) {
		guest_error(vd, "%s: port %u sent %u bytes with %u of credit", vd->name, h->src_port,
			    h->len, VSOCK_BUF_ALLOC - c->len);
		answer_rst(vd, h, c);
		return;
	}
	if (virtq_chain_read(ch, sizeof(*h), v->bounce, h->len) != h->len)
		return; /* cannot happen: the length was checked against the chain */
	vsock_conn_from_guest(c, v->bounce, h->len);
	virtio_count(&vd->counters.bytes, h->len);
}

static void on_shutdown(struct virtio_dev *vd, const struct vsock_hdr *h, struct vsock_conn *c)
{
	if (!c || c->state != CONN_OPEN) {
		answer_rst(vd, h, c);
		return;
	}
	if (h->flags & VSOCK_SHUTDOWN_SEND)
		c->guest_shut = true;
	/* Both ways: the guest closed its socket and waits for our RST once
	 * what it sent has reached the host (5.10.6.6). */
	if ((h->flags & (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)) == (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND))
		c->close_flushed = true;
	vsock_conn_flush(vd, c);
}

static void dispatch(struct virtio_dev *vd, const struct vsock_hdr *h, struct vsock_conn *c,
		     const struct virtq_chain *ch)
{
	switch (h->op) {
	case VSOCK_OP_REQUEST: on_request(vd, h, c); break;
	case VSOCK_OP_RESPONSE: on_response(vd, h, c); break;
	case VSOCK_OP_RW: on_rw(vd, h, c, ch); break;
	case VSOCK_OP_SHUTDOWN: on_shutdown(vd, h, c); break;
	case VSOCK_OP_RST:
		if (c)
			vsock_conn_close(vd->priv, c);
		break;
	case VSOCK_OP_CREDIT_UPDATE: break; /* the credit fields were taken already */
	case VSOCK_OP_CREDIT_REQUEST:
		if (c)
			c->owe |= OWE_CREDIT;
		else
			answer_rst(vd, h, c);
		break;
	default:
		guest_error(vd, "%s: unknown op %u", vd->name, h->op);
		answer_rst(vd, h, c);
	}
}

/* Check a header against the chain it came in: 0 to act on it. */
static int check(struct virtio_dev *vd, const struct vsock_hdr *h, uint64_t payload)
{
	struct vsock *v = vd->priv;

	if (h->src_cid != v->cid) {
		guest_error(vd, "%s: source CID %llu is not the guest's (%llu): dropped", vd->name,
			    (unsigned long long)h->src_cid, (unsigned long long)v->cid);
		return -1;
	}
	if (h->dst_cid != VSOCK_HOST_CID || h->type != VSOCK_TYPE_STREAM) {
		/* Not an error: a guest may try a CID or a type that is not
		 * there, and learns so from the RST. */
		log_debug("%s: to CID %llu, type %u: no such peer", vd->name,
			  (unsigned long long)h->dst_cid, h->type);
		answer_rst(vd, h, NULL);
		return -1;
	}
	if (h->len > payload || (h->op != VSOCK_OP_RW && h->len)) {
		guest_error(vd, "%s: op %u says %u bytes, the chain holds %llu", vd->name, h->op, h->len,
			    (unsigned long long)payload);
		answer_rst(vd, h, vsock_conn_find(v, h->src_port, h->dst_port));
		return -1;
	}
	return 0;
}

static void one_packet(struct virtio_dev *vd, const struct virtq_chain *ch)
{
	struct vsock *v = vd->priv;
	struct vsock_conn *c;
	struct vsock_hdr h;

	if (ch->nin || ch->out_bytes < sizeof(h)) {
		guest_error(vd, "%s: transmit chain %u: %u writable parts, %llu readable bytes: dropped",
			    vd->name, ch->head, ch->nin, (unsigned long long)ch->out_bytes);
		return;
	}
	virtq_chain_read(ch, 0, &h, sizeof(h)); /* a copy: the guest cannot change it now */
	if (check(vd, &h, ch->out_bytes - sizeof(h)) < 0)
		return;
	c = vsock_conn_find(v, h.src_port, h.dst_port);
	if (c) {
		c->peer_buf_alloc = h.buf_alloc;
		c->peer_fwd_cnt = h.fwd_cnt;
	}
	dispatch(vd, &h, c, ch);
	virtio_count(&vd->counters.requests, 1);
}

void vsock_tx_pump(struct virtio_dev *vd)
{
	struct vsock *v = vd->priv;
	struct virtq *q = &vd->vq[VSOCK_TXQ];
	int r;

	do {
		virtq_notify_off(q);
		while ((r = virtq_pop(q, &v->chain)) > 0) {
			one_packet(vd, &v->chain);
			virtq_push(q, v->chain.head, 0);
		}
		if (r < 0) {
			virtio_fail(vd, "transmit queue: %s", q->error);
			return;
		}
	} while (virtq_notify_on(q));
	virtio_queue_done(vd, VSOCK_TXQ);
}
