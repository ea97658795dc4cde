/* virtio-vsock's connections: each pairs a guest port with a host port
 * and a host Unix socket (backends/vsock_host.c), and keeps the credit
 * accounting of both directions (virtio 1.2, 5.10.6.3). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/vsock.h"

struct vsock_conn *vsock_conn_find(struct vsock *v, uint32_t guest_port, uint32_t host_port)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conn[i];

		/* A host connection still saying hello has no ports yet. */
		if (c->state > CONN_HELLO && c->guest_port == guest_port && c->host_port == host_port)
			return c;
	}
	return NULL;
}

static uint32_t wanted_events(const struct vsock *v, const struct vsock_conn *c)
{
	uint32_t e = 0;

	if (c->state == CONN_HELLO)
		return EPOLLIN;
	if (c->state != CONN_OPEN)
		return 0; /* hang-ups are reported anyway */
	/* Read the host only when the bytes have somewhere to go: a receive
	 * buffer and the guest's credit.  Else a readable socket would wake
	 * the I/O thread for nothing, over and over. */
	if (v->rx_room && !c->host_eof && vsock_conn_credit(c) > 0)
		e |= EPOLLIN;
	if (c->len)
		e |= EPOLLOUT;
	return e;
}

void vsock_conn_rearm(struct vsock *v, struct vsock_conn *c)
{
	struct epoll_event ev = { .data.u64 = (uint64_t)(c - v->conn) };

	if (c->state == CONN_FREE || c->hup)
		return;
	ev.events = wanted_events(v, c);
	if (ev.events == c->events)
		return;
	if (epoll_ctl(v->poll_fd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		log_warn("vsock: epoll: %s", strerror(errno));
	c->events = ev.events;
}

void vsock_conn_rearm_all(struct vsock *v)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		vsock_conn_rearm(v, &v->conn[i]);
}

struct vsock_conn *vsock_conn_new(struct vsock *v, int fd, enum conn_state st)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conn[i];
		struct epoll_event ev = { .data.u64 = i };

		if (c->state != CONN_FREE)
			continue;
		memset(c, 0, sizeof(*c));
		c->state = st;
		c->fd = fd;
		ev.events = c->events = wanted_events(v, c);
		if (epoll_ctl(v->poll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_warn("vsock: epoll: %s", strerror(errno));
			c->state = CONN_FREE;
			return NULL;
		}
		return c;
	}
	return NULL;
}

void vsock_conn_close(struct vsock *v, struct vsock_conn *c)
{
	(void)v;
	if (c->state == CONN_FREE)
		return;
	close(c->fd); /* also leaves the poll set */
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void vsock_conn_close_all(struct vsock *v)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		vsock_conn_close(v, &v->conn[i]);
	v->nrst = 0;
}

void vsock_owe_rst(struct virtio_dev *vd, uint64_t peer_cid, uint32_t guest_port, uint32_t host_port)
{
	struct vsock *v = vd->priv;

	if (v->nrst == VSOCK_RST_RING) {
		/* The guest sends garbage faster than it takes replies. */
		virtio_count(&vd->counters.errors, 1);
		return;
	}
	v->rst[v->nrst++] = (struct vsock_rst){
		.peer_cid = peer_cid, .guest_port = guest_port, .host_port = host_port,
	};
}

void vsock_conn_reset(struct virtio_dev *vd, struct vsock_conn *c)
{
	/* A REQUEST the guest never saw needs no RST. */
	if (c->state == CONN_OPEN || (c->state == CONN_REQUESTED && !(c->owe & OWE_REQUEST)))
		vsock_owe_rst(vd, VSOCK_HOST_CID, c->guest_port, c->host_port);
	vsock_conn_close(vd->priv, c);
}

uint32_t vsock_conn_credit(const struct vsock_conn *c)
{
	/* Unsigned differences: the counters wrap (5.10.6.3).  What the
	 * guest claims is never trusted beyond this: a credit it overstates
	 * only lets warden fill the buffers it posts. */
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight > c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

/* N more bytes went to the host socket: tell the guest once a quarter of
 * its credit came back (it sends nothing more when it runs out). */
static void forwarded(struct vsock_conn *c, uint32_t n)
{
	c->fwd_cnt += n;
	if (c->fwd_cnt - c->fwd_sent >= VSOCK_BUF_ALLOC / 4)
		c->owe |= OWE_CREDIT;
}

/* send() without SIGPIPE: bytes taken, 0 if the socket is full, -1 if it
 * is broken. */
static ssize_t host_send(int fd, const uint8_t *p, uint32_t n)
{
	ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return w;
}

void vsock_conn_from_guest(struct vsock_conn *c, const uint8_t *data, uint32_t len)
{
	ssize_t w = 0;

	if (c->hup) {
		forwarded(c, len); /* nobody reads them: gone, as on a closed socket */
		return;
	}
	if (c->len == 0) {
		w = host_send(c->fd, data, len);
		if (w < 0)
			w = 0; /* a broken socket shows as a hang-up */
		forwarded(c, (uint32_t)w);
	}
	if ((uint32_t)w == len)
		return;
	if (!c->buf && !(c->buf = malloc(VSOCK_BUF_ALLOC))) {
		log_warn("vsock: out of memory: %u bytes lost", len - (uint32_t)w);
		forwarded(c, len - (uint32_t)w);
		return;
	}
	/* The caller checked the credit: LEN more bytes fit in the buffer. */
	if (c->head + c->len + (len - w) > VSOCK_BUF_ALLOC) {
		memmove(c->buf, c->buf + c->head, c->len);
		c->head = 0;
	}
	memcpy(c->buf + c->head + c->len, data + w, len - (uint32_t)w);
	c->len += len - (uint32_t)w;
}

void vsock_conn_flush(struct virtio_dev *vd, struct vsock_conn *c)
{
	ssize_t w;

	if (c->state != CONN_OPEN)
		return;
	if (c->len && !c->hup) {
		w = host_send(c->fd, c->buf + c->head, c->len);
		if (w > 0) {
			c->head += (uint32_t)w;
			c->len -= (uint32_t)w;
			forwarded(c, (uint32_t)w);
		}
	}
	if (c->hup)
		c->len = 0;
	if (c->len)
		return;
	c->head = 0;
	if (c->close_flushed)
		vsock_conn_reset(vd, c); /* the guest waits for this RST (5.10.6.6) */
	else if (c->guest_shut && !c->hup)
		shutdown(c->fd, SHUT_WR);
}

/* Take bytes of the CONNECT line off the socket, up to its newline: what
 * follows is the stream, for the guest once it accepts. */
static int read_hello(struct vsock_conn *c)
{
	char peek[VSOCK_HELLO_MAX];
	size_t room = sizeof(c->hello) - c->hello_len, k;
	ssize_t n = recv(c->fd, peek, room, MSG_PEEK | MSG_DONTWAIT);
	char *nl;

	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
	if (n == 0)
		return -1; /* the host gave up */
	nl = memchr(peek, '\n', (size_t)n);
	k = nl ? (size_t)(nl - peek) + 1 : (size_t)n;
	if (recv(c->fd, c->hello + c->hello_len, k, MSG_DONTWAIT) != (ssize_t)k)
		return -1;
	c->hello_len += (uint32_t)k;
	if (nl)
		return 1;
	return c->hello_len == sizeof(c->hello) ? -1 : 0;
}

static uint32_t new_host_port(struct vsock *v)
{
	for (;;) {
		uint32_t p = v->next_host_port++;
		bool used = false;

		if (v->next_host_port == 0)
			v->next_host_port = VSOCK_FIRST_HOST_PORT;
		for (unsigned i = 0; i < VSOCK_MAX_CONNS && !used; i++)
			used = v->conn[i].state != CONN_FREE && v->conn[i].host_port == p;
		if (!used)
			return p; /* found within VSOCK_MAX_CONNS + 1 tries */
	}
}

void vsock_conn_hello(struct virtio_dev *vd, struct vsock_conn *c)
{
	struct vsock *v = vd->priv;
	int r = read_hello(c);

	if (r == 0)
		return;
	if (r < 0 || vsock_host_parse_connect(c->hello, c->hello_len, &c->guest_port) < 0) {
		log_debug("%s: a host connection without a valid CONNECT line: closed", vd->name);
		vsock_conn_close(v, c);
		return;
	}
	c->host_port = new_host_port(v);
	c->state = CONN_REQUESTED;
	c->owe = OWE_REQUEST;
	vsock_conn_rearm(v, c);
}

/* The host hung up.  Bytes it wrote before may still wait in the socket:
 * the receive side reads them to the end (no more poll: a hung-up socket
 * is always ready, and would keep waking the I/O thread). */
static void hung_up(struct virtio_dev *vd, struct vsock_conn *c)
{
	struct vsock *v = vd->priv;

	if (c->state != CONN_OPEN) {
		vsock_conn_reset(vd, c);
		return;
	}
	epoll_ctl(v->poll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	c->hup = c->readable = true;
	c->len = 0; /* nobody will read them */
	if (c->host_eof)
		c->owe |= OWE_SHUTDOWN; /* again, now saying it receives no more either */
	if (c->close_flushed)
		vsock_conn_reset(vd, c);
}

void vsock_conn_event(struct virtio_dev *vd, struct vsock_conn *c, uint32_t events)
{
	if (c->state == CONN_HELLO) {
		if (events & EPOLLIN)
			vsock_conn_hello(vd, c);
		/* Hung up before its line was whole: nothing will complete it. */
		if (c->state == CONN_HELLO && (events & (EPOLLHUP | EPOLLERR)))
			vsock_conn_close(vd->priv, c);
		return;
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		hung_up(vd, c);
		return;
	}
	if (events & EPOLLIN)
		c->readable = true;
	if (events & EPOLLOUT)
		vsock_conn_flush(vd, c);
}
