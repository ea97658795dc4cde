/* The MMDS's ARP, IPv4 and TCP (stack.h): one end of a wire that cannot
 * lose a frame, with the guest's TCP at the other.
 *
 * A connection lives from the guest's SYN to the second FIN (or a reset):
 * no TIME_WAIT, as nothing can arrive late on this wire.  The guest's
 * bytes are taken in order only, into a request buffer; each complete
 * request is answered by the store's HTTP server (http.c), one at a time:
 * the next is served once the answer to the one before has been
 * acknowledged, so a connection holds at most one answer.  Answers go out
 * in segments of the guest's MSS, within the window the guest advertises;
 * its ACKs release more. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "mmds/mmds.h"
#include "mmds/stack.h"
#include "util/error.h"

#define ETH_LEN 14
#define ETH_ARP 0x0806
#define ETH_IP 0x0800
#define ARP_LEN 28
#define IP_LEN 20
#define TCP_LEN 20
#define IP_TCP 6

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define DUP_ACKS 3 /* the guest's duplicate ACKs before a segment is resent */
#define MMDS_MIN_MSS 88 /* Linux's own floor (TCP_MIN_SND_MSS) */

enum conn_state { CONN_FREE, CONN_SYN_RCVD, CONN_OPEN };

struct conn {
	enum conn_state state;
	uint8_t mac[6];          /* the guest's */
	uint32_t ip;             /* the guest's, host order */
	uint16_t port;           /* the guest's */
	uint32_t rcv_nxt;        /* the guest's next sequence number */
	uint32_t iss;            /* our first */
	uint32_t snd_una;        /* our oldest unacknowledged */
	uint32_t snd_nxt;        /* our next */
	uint32_t wnd;            /* the guest's window */
	uint16_t mss;            /* the guest's */
	unsigned dup_acks;
	bool fin_rcvd;           /* the guest has closed its side */
	bool closing;            /* close once the answer is sent */
	bool fin_sent;
	uint64_t last_ms;        /* last segment from the guest: the oldest goes first */
	uint8_t req[MMDS_HTTP_MAX_REQUEST];
	size_t req_len;
	char *ans;               /* the answer being sent: byte k has sequence number ans_seq + k */
	size_t ans_len;
	uint32_t ans_seq;
};

struct out_frame {
	uint16_t len;
	uint8_t b[MMDS_FRAME_MAX];
};

struct mmds_stack {
	struct mmds *store;
	uint32_t ip;
	uint8_t mac[6];
	uint16_t ip_id;
	uint32_t isn_seed;
	uint64_t now_ms;
	struct conn conn[MMDS_MAX_CONNS];
	struct out_frame *out; /* MMDS_OUT_FRAMES, a ring */
	unsigned out_first, out_n;
	struct mmds_stack_counters c;
};

/* --- bytes on the wire ------------------------------------------------------ */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The Internet checksum's running sum over LEN bytes. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* a < b in sequence space */
static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* A guest frame the service could not use. */
static void drop(struct mmds_stack *s)
{
	s->c.dropped++;
	mmds_count(s->store, MMDS_RX_ACCEPTED_ERR, 1);
}

/* --- frames to the guest ---------------------------------------------------- */

/* A slot at the queue's end, or NULL if the guest is that far behind. */
static struct out_frame *out_slot(struct mmds_stack *s)
{
	if (s->out_n == MMDS_OUT_FRAMES)
		return NULL;
	return &s->out[(s->out_first + s->out_n) % MMDS_OUT_FRAMES];
}

static void out_commit(struct mmds_stack *s, size_t len)
{
	s->out[(s->out_first + s->out_n) % MMDS_OUT_FRAMES].len = (uint16_t)len;
	s->out_n++;
	s->c.tx_frames++;
	mmds_count(s->store, MMDS_TX_FRAMES, 1);
	mmds_count(s->store, MMDS_TX_BYTES, len);
}

static void eth_header(const struct mmds_stack *s, uint8_t *f, const uint8_t dst[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, s->mac, 6);
	put16(f + 12, type);
}

/* A TCP segment to C's guest: FLAGS, our sequence number SEQ, LEN bytes of
 * DATA.  false if the queue is full. */
static bool send_segment(struct mmds_stack *s, const struct conn *c, uint8_t flags, uint32_t seq,
			 const void *data, size_t len)
{
	struct out_frame *o = out_slot(s);
	size_t opt = (flags & TCP_SYN) ? 4 : 0, tcp_len = TCP_LEN + opt + len;
	uint8_t *ip, *tcp;
	uint32_t sum;
	size_t room;

	if (!o)
		return false;
	ip = o->b + ETH_LEN;
	tcp = ip + IP_LEN;
	eth_header(s, o->b, c->mac, ETH_IP);
	memset(ip, 0, IP_LEN + TCP_LEN);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_LEN + tcp_len));
	put16(ip + 4, s->ip_id++);
	put16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = IP_TCP;
	put32(ip + 12, s->ip);
	put32(ip + 16, c->ip);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_LEN)));

	put16(tcp, MMDS_PORT);
	put16(tcp + 2, c->port);
	put32(tcp + 4, seq);
	put32(tcp + 8, (flags & TCP_RST) && !(flags & TCP_ACK) ? 0 : c->rcv_nxt);
	tcp[12] = (uint8_t)(((TCP_LEN + opt) / 4) << 4);
	tcp[13] = flags;
	room = c->state == CONN_FREE ? 0 : sizeof(c->req) - c->req_len;
	put16(tcp + 14, (uint16_t)(room > 0xffff ? 0xffff : room));
	if (opt) { /* our MSS */
		tcp[20] = 2;
		tcp[21] = 4;
		put16(tcp + 22, MMDS_MSS);
	}
	if (len)
		memcpy(tcp + TCP_LEN + opt, data, len);
	/* The pseudo-header: addresses, protocol, TCP length. */
	sum = csum_add(0, ip + 12, 8);
	sum += IP_TCP + (uint32_t)tcp_len;
	put16(tcp + 16, csum_fold(csum_add(sum, tcp, tcp_len)));
	out_commit(s, ETH_LEN + IP_LEN + tcp_len);
	return true;
}

static bool send_ack(struct mmds_stack *s, const struct conn *c)
{
	return send_segment(s, c, TCP_ACK, c->snd_nxt, NULL, 0);
}

/* --- connections ------------------------------------------------------------ */

static void conn_free(struct mmds_stack *s, struct conn *c)
{
	if (c->state != CONN_FREE)
		mmds_count(s->store, MMDS_CONNECTIONS_DESTROYED, 1);
	free(c->ans);
	c->ans = NULL;
	c->state = CONN_FREE;
}

static struct conn *conn_find(struct mmds_stack *s, uint32_t ip, uint16_t port)
{
	for (unsigned i = 0; i < MMDS_MAX_CONNS; i++) {
		struct conn *c = &s->conn[i];

		if (c->state != CONN_FREE && c->ip == ip && c->port == port)
			return c;
	}
	return NULL;
}

/* A free slot; if none, the connection the guest used least recently,
 * reset. */
static struct conn *conn_new(struct mmds_stack *s)
{
	struct conn *old = &s->conn[0];

	for (unsigned i = 0; i < MMDS_MAX_CONNS; i++) {
		if (s->conn[i].state == CONN_FREE)
			return &s->conn[i];
		if (s->conn[i].last_ms < old->last_ms)
			old = &s->conn[i];
	}
	send_segment(s, old, TCP_RST | TCP_ACK, old->snd_nxt, NULL, 0);
	s->c.resets++;
	conn_free(s, old);
	return old;
}

/* Send what the window and the queue allow of the answer, then our FIN
 * when the connection is closing and everything was sent. */
static void conn_push(struct mmds_stack *s, struct conn *c)
{
	if (c->state != CONN_OPEN)
		return;
	while (c->ans) {
		size_t off = c->snd_nxt - c->ans_seq, n;
		uint32_t in_flight = c->snd_nxt - c->snd_una;

		if (off >= c->ans_len || in_flight >= c->wnd)
			break;
		n = c->ans_len - off;
		if (n > c->mss)
			n = c->mss;
		if (n > c->wnd - in_flight)
			n = c->wnd - in_flight;
		if (!send_segment(s, c, TCP_ACK | TCP_PSH, c->snd_nxt, c->ans + off, n))
			return;
		c->snd_nxt += (uint32_t)n;
	}
	if (c->closing && !c->fin_sent && (!c->ans || c->snd_nxt == c->ans_seq + c->ans_len) &&
	    send_segment(s, c, TCP_FIN | TCP_ACK, c->snd_nxt, NULL, 0)) {
		c->fin_sent = true;
		c->snd_nxt++;
	}
}

/* Answer the next complete request, if the last answer is all
 * acknowledged. */
static void conn_serve(struct mmds_stack *s, struct conn *c)
{
	struct mmds_reply r;

	if (c->ans || c->closing || !c->req_len)
		return;
	if (mmds_http_serve(s->store, c->req, c->req_len, s->now_ms, &r) != 1)
		return;
	s->c.requests++;
	mmds_count(s->store, MMDS_RX_COUNT, 1);
	if (r.consumed > c->req_len)
		r.consumed = c->req_len;
	memmove(c->req, c->req + r.consumed, c->req_len - r.consumed);
	c->req_len -= r.consumed;
	c->ans = r.data;
	c->ans_len = r.len;
	c->ans_seq = c->snd_nxt;
	c->closing = r.close;
	conn_push(s, c);
}

/* The guest acknowledged up to ACK, with window WND. */
static void conn_acked(struct conn *c, uint32_t ack, uint16_t wnd, bool pure)
{
	bool same_wnd = wnd == c->wnd;

	c->wnd = wnd;
	if (seq_lt(c->snd_una, ack) && seq_le(ack, c->snd_nxt)) {
		c->snd_una = ack;
		c->dup_acks = 0;
		if (c->state == CONN_SYN_RCVD)
			c->state = CONN_OPEN;
		if (c->ans && seq_le(c->ans_seq + (uint32_t)c->ans_len, ack)) {
			free(c->ans); /* all of it arrived */
			c->ans = NULL;
		}
		return;
	}
	/* The same ACK again, same window, data of ours outstanding: the
	 * guest lacks the segment at snd_una.  Resend from there (our FIN
	 * too, if it was sent). */
	if (pure && same_wnd && ack == c->snd_una && c->snd_una != c->snd_nxt && ++c->dup_acks >= DUP_ACKS) {
		c->dup_acks = 0;
		c->snd_nxt = c->snd_una;
		c->fin_sent = false;
	}
}

/* --- segments from the guest ------------------------------------------------ */

struct seg {
	const uint8_t *mac;
	uint32_t src;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	uint16_t mss;          /* its MSS option, 0 if none */
	const uint8_t *data;
	size_t len;
};

/* A reset for a segment that belongs to no connection (RFC 793 3.4). */
static void send_reset(struct mmds_stack *s, const struct seg *g)
{
	struct conn tmp = { .state = CONN_FREE, .ip = g->src, .port = g->sport };
	uint32_t seq = 0;
	uint8_t flags = TCP_RST;

	if (g->flags & TCP_RST)
		return;
	memcpy(tmp.mac, g->mac, 6);
	if (g->flags & TCP_ACK) {
		seq = g->ack;
	} else {
		flags |= TCP_ACK;
		tmp.rcv_nxt = g->seq + (uint32_t)g->len + ((g->flags & TCP_SYN) ? 1 : 0) + ((g->flags & TCP_FIN) ? 1 : 0);
	}
	send_segment(s, &tmp, flags, seq, NULL, 0);
	s->c.resets++;
}

static void on_syn(struct mmds_stack *s, const struct seg *g)
{
	struct conn *c = conn_new(s);

	memset(c, 0, offsetof(struct conn, req));
	c->state = CONN_SYN_RCVD;
	memcpy(c->mac, g->mac, 6);
	c->ip = g->src;
	c->port = g->sport;
	c->rcv_nxt = g->seq + 1;
	c->iss = s->isn_seed += 0x10000 + 4099;
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->wnd = g->wnd;
	/* The guest's MSS, within bounds: none means 536 (RFC 879); a tiny
	 * one would have every answer cut into thousands of frames. */
	c->mss = !g->mss ? 536 : g->mss < MMDS_MIN_MSS ? MMDS_MIN_MSS : g->mss > MMDS_MSS ? MMDS_MSS : g->mss;
	c->last_ms = s->now_ms;
	c->req_len = 0;
	mmds_count(s->store, MMDS_CONNECTIONS_CREATED, 1);
	if (!send_segment(s, c, TCP_SYN | TCP_ACK, c->iss, NULL, 0))
		conn_free(s, c); /* the guest's SYN will come again */
}

/* The guest's bytes and FIN, in order only. */
static void conn_data(struct mmds_stack *s, struct conn *c, const struct seg *g)
{
	size_t take = g->len;
	bool fin = g->flags & TCP_FIN;

	if (g->seq != c->rcv_nxt) {
		/* Old (already taken) or ahead of a gap: say what we expect. */
		if (g->len || fin)
			send_ack(s, c);
		if (seq_lt(c->rcv_nxt, g->seq))
			drop(s);
		return;
	}
	if (take > sizeof(c->req) - c->req_len) {
		take = sizeof(c->req) - c->req_len; /* the rest comes again */
		fin = false;
	}
	memcpy(c->req + c->req_len, g->data, take);
	c->req_len += take;
	c->rcv_nxt += (uint32_t)take;
	if (fin && !c->fin_rcvd) {
		c->fin_rcvd = true;
		c->rcv_nxt++;
	}
	if (take || fin)
		send_ack(s, c);
	conn_serve(s, c);
	/* The guest closed and has nothing more to ask: close too. */
	if (c->fin_rcvd && !c->ans) {
		c->closing = true;
		conn_push(s, c);
	}
}

static void on_segment(struct mmds_stack *s, const struct seg *g)
{
	struct conn *c = conn_find(s, g->src, g->sport);

	if (g->dport != MMDS_PORT) {
		send_reset(s, g);
		return;
	}
	if (g->flags & TCP_SYN) {
		if (c && c->state == CONN_SYN_RCVD && g->seq + 1 == c->rcv_nxt) {
			send_segment(s, c, TCP_SYN | TCP_ACK, c->iss, NULL, 0); /* our SYN-ACK again */
			return;
		}
		if (c)
			conn_free(s, c); /* a new connection on the same port */
		if (!(g->flags & (TCP_ACK | TCP_RST)))
			on_syn(s, g);
		else
			send_reset(s, g);
		return;
	}
	if (!c) {
		send_reset(s, g);
		return;
	}
	if (g->flags & TCP_RST) {
		conn_free(s, c);
		return;
	}
	if (!(g->flags & TCP_ACK))
		return;
	c->last_ms = s->now_ms;
	conn_acked(c, g->ack, g->wnd, g->len == 0 && !(g->flags & TCP_FIN));
	if (c->state == CONN_SYN_RCVD) /* its ACK did not acknowledge our SYN */
		return;
	conn_data(s, c, g);
	conn_serve(s, c);
	conn_push(s, c);
	/* Both sides closed and our FIN acknowledged: done. */
	if (c->fin_rcvd && c->fin_sent && c->snd_una == c->snd_nxt)
		conn_free(s, c);
}

/* --- frames from the guest -------------------------------------------------- */

static void on_arp(struct mmds_stack *s, const uint8_t *f, size_t len)
{
	const uint8_t *a = f + ETH_LEN;
	struct out_frame *o;
	uint8_t *r;

	if (len < ETH_LEN + ARP_LEN || get16(a) != 1 || get16(a + 2) != ETH_IP || a[4] != 6 || a[5] != 4 ||
	    get16(a + 6) != 1 || get32(a + 24) != s->ip) {
		drop(s);
		return;
	}
	o = out_slot(s);
	if (!o) {
		drop(s);
		return;
	}
	eth_header(s, o->b, a + 8, ETH_ARP);
	r = o->b + ETH_LEN;
	put16(r, 1);
	put16(r + 2, ETH_IP);
	r[4] = 6;
	r[5] = 4;
	put16(r + 6, 2); /* reply */
	memcpy(r + 8, s->mac, 6);
	put32(r + 14, s->ip);
	memcpy(r + 18, a + 8, 10); /* the asker's MAC and address */
	out_commit(s, ETH_LEN + ARP_LEN);
}

/* Parse the IPv4 and TCP headers of F into G: false if malformed, a
 * fragment or not TCP. */
static bool parse_tcp(const struct mmds_stack *s, const uint8_t *f, size_t len, struct seg *g)
{
	const uint8_t *ip = f + ETH_LEN, *tcp;
	size_t ihl, total, doff;

	if (len < ETH_LEN + IP_LEN || (ip[0] >> 4) != 4)
		return false;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	total = get16(ip + 2);
	if (ihl < IP_LEN || total < ihl + TCP_LEN || ETH_LEN + total > len || ip[9] != IP_TCP ||
	    (get16(ip + 6) & 0x3fff) || get32(ip + 16) != s->ip)
		return false;
	tcp = ip + ihl;
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff < TCP_LEN || ihl + doff > total)
		return false;
	*g = (struct seg){
		.mac = f + 6, .src = get32(ip + 12), .sport = get16(tcp), .dport = get16(tcp + 2),
		.seq = get32(tcp + 4), .ack = get32(tcp + 8), .flags = tcp[13], .wnd = get16(tcp + 14),
		.data = tcp + doff, .len = total - ihl - doff,
	};
	/* Options: only the MSS matters (on a SYN). */
	for (size_t i = TCP_LEN; i < doff;) {
		uint8_t kind = tcp[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= doff || tcp[i + 1] < 2 || i + tcp[i + 1] > doff)
			break;
		if (kind == 2 && tcp[i + 1] == 4)
			g->mss = get16(tcp + i + 2);
		i += tcp[i + 1];
	}
	return true;
}

bool mmds_stack_wants(const struct mmds_stack *s, const uint8_t *f, size_t len)
{
	if (len < ETH_LEN)
		return false;
	if (get16(f + 12) == ETH_ARP)
		return len >= ETH_LEN + ARP_LEN && get16(f + ETH_LEN + 6) == 1 && get32(f + ETH_LEN + 24) == s->ip;
	return get16(f + 12) == ETH_IP && len >= ETH_LEN + IP_LEN && (f[ETH_LEN] >> 4) == 4 &&
	       get32(f + ETH_LEN + 16) == s->ip;
}

void mmds_stack_input(struct mmds_stack *s, const uint8_t *f, size_t len, uint64_t now_ms)
{
	struct seg g = { 0 };

	s->now_ms = now_ms;
	if (!mmds_stack_wants(s, f, len)) {
		drop(s);
		return;
	}
	/* Nothing new is taken while the guest is behind on our frames: it
	 * sends this again. */
	if (s->out_n > MMDS_OUT_FRAMES - 4) {
		drop(s);
		return;
	}
	s->c.rx_frames++;
	mmds_count(s->store, MMDS_RX_ACCEPTED, 1);
	if (get16(f + 12) == ETH_ARP) {
		on_arp(s, f, len);
		return;
	}
	if (!parse_tcp(s, f, len, &g)) {
		drop(s);
		return;
	}
	on_segment(s, &g);
}

size_t mmds_stack_next(struct mmds_stack *s, uint8_t *buf, size_t cap)
{
	const struct out_frame *o;
	size_t n;

	if (!s->out_n)
		return 0;
	o = &s->out[s->out_first];
	n = o->len;
	if (n > cap)
		n = 0; /* cannot happen: the caller's buffer holds MMDS_FRAME_MAX */
	else
		memcpy(buf, o->b, n);
	s->out_first = (s->out_first + 1) % MMDS_OUT_FRAMES;
	s->out_n--;
	/* Room again: answers held back by a full queue go on. */
	if (s->out_n == 0)
		for (unsigned i = 0; i < MMDS_MAX_CONNS; i++)
			conn_push(s, &s->conn[i]);
	return n;
}

bool mmds_stack_pending(const struct mmds_stack *s)
{
	return s->out_n != 0;
}

void mmds_stack_counters(const struct mmds_stack *s, struct mmds_stack_counters *c)
{
	*c = s->c;
}

struct mmds_stack *mmds_stack_new(struct mmds *store, uint32_t ipv4)
{
	static const uint8_t mac[6] = MMDS_MAC;
	struct mmds_stack *s = calloc(1, sizeof(*s));

	if (s)
		s->out = calloc(MMDS_OUT_FRAMES, sizeof(*s->out));
	if (!s || !s->out) {
		free(s);
		fail(ERR_HOST, "MMDS: out of memory");
		return NULL;
	}
	s->store = store;
	s->ip = ipv4;
	memcpy(s->mac, mac, 6);
	/* Initial sequence numbers a guest cannot guess from the last one. */
	if (getrandom(&s->isn_seed, sizeof(s->isn_seed), GRND_NONBLOCK) != sizeof(s->isn_seed))
		s->isn_seed = 0x5eed1234;
	return s;
}

void mmds_stack_free(struct mmds_stack *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < MMDS_MAX_CONNS; i++)
		conn_free(s, &s->conn[i]);
	free(s->out);
	free(s);
}
