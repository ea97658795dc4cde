/* The MMDS's ARP, IPv4 and TCP (src/mmds/stack.c) against a guest TCP
 * played by the test: frames in, frames out, every checksum and sequence
 * number checked, with the real store and HTTP server behind it. */
#include <stdbool.h>

#include "mmds/mmds.h"
#include "mmds/stack.h"
#include "unit.h"

#define IP_MMDS MMDS_DEFAULT_IPV4
#define IP_GUEST 0xa9fe0002u /* 169.254.0.2 */
#define GPORT 40000
#define GSEQ 1000u

static const uint8_t gmac[6] = { 0x02, 0, 0, 0, 0, 0x22 };
static const uint8_t mmac[6] = MMDS_MAC;

static struct mmds *store;
static struct mmds_stack *st;

/* --- frames ----------------------------------------------------------------- */

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)(v >> 16)); w16(p + 2, (uint16_t)v); }
static uint16_t r16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t r32(const uint8_t *p) { return (uint32_t)r16(p) << 16 | r16(p + 2); }

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += r16(p);
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static size_t mk_arp(uint8_t *f, uint32_t tpa, uint16_t oper)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, gmac, 6);
	w16(f + 12, 0x0806);
	w16(f + 14, 1);
	w16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	w16(f + 20, oper);
	memcpy(f + 22, gmac, 6);
	w32(f + 28, IP_GUEST);
	memset(f + 32, 0, 6);
	w32(f + 38, tpa);
	return 42;
}

/* A guest TCP segment to DPORT, with an MSS option if MSS. */
static size_t mk_tcp(uint8_t *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		     uint16_t wnd, const void *data, size_t len, uint16_t mss)
{
	uint8_t *ip = f + 14, *t = ip + 20;
	size_t opt = mss ? 4 : 0;

	memcpy(f, mmac, 6);
	memcpy(f + 6, gmac, 6);
	w16(f + 12, 0x0800);
	memset(ip, 0, 40 + opt);
	ip[0] = 0x45;
	w16(ip + 2, (uint16_t)(40 + opt + len));
	ip[8] = 64;
	ip[9] = 6;
	w32(ip + 12, IP_GUEST);
	w32(ip + 16, IP_MMDS);
	w16(t, sport);
	w16(t + 2, dport);
	w32(t + 4, seq);
	w32(t + 8, ack);
	t[12] = (uint8_t)((20 + opt) / 4 << 4);
	t[13] = flags;
	w16(t + 14, wnd);
	if (mss) {
		t[20] = 2;
		t[21] = 4;
		w16(t + 22, mss);
	}
	if (len)
		memcpy(t + 20 + opt, data, len);
	return 14 + 40 + opt + len;
}

/* One frame from the stack, its headers checked. */
struct out {
	bool arp;
	uint8_t flags;
	uint16_t dport, wnd, mss;
	uint32_t seq, ack;
	uint8_t data[MMDS_FRAME_MAX];
	size_t len;
};

static bool next_out(struct out *o)
{
	uint8_t f[MMDS_FRAME_MAX];
	size_t n = mmds_stack_next(st, f, sizeof(f)), ihl, doff, tl;
	const uint8_t *ip = f + 14, *t;
	uint32_t s;

	memset(o, 0, sizeof(*o));
	if (!n)
		return false;
	assert_memory_equal(f, gmac, 6);
	assert_memory_equal(f + 6, mmac, 6);
	if (r16(f + 12) == 0x0806) {
		o->arp = true;
		assert_int_equal(n, 42);
		assert_int_equal(r16(f + 20), 2);      /* a reply */
		assert_memory_equal(f + 22, mmac, 6);  /* we are at */
		assert_int_equal(r32(f + 28), IP_MMDS);
		assert_memory_equal(f + 32, gmac, 6);  /* to the asker */
		assert_int_equal(r32(f + 38), IP_GUEST);
		return true;
	}
	assert_int_equal(r16(f + 12), 0x0800);
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tl = r16(ip + 2);
	assert_int_equal(ihl, 20);
	assert_int_equal(14 + tl, n);
	assert_int_equal(fold(sum16(0, ip, 20)), 0); /* the header checksum holds */
	assert_int_equal(r32(ip + 12), IP_MMDS);
	assert_int_equal(r32(ip + 16), IP_GUEST);
	t = ip + 20;
	s = sum16(0, ip + 12, 8) + 6 + (uint32_t)(tl - 20);
	assert_int_equal(fold(sum16(s, t, tl - 20)), 0); /* and TCP's */
	assert_int_equal(r16(t), MMDS_PORT);
	doff = (size_t)(t[12] >> 4) * 4;
	o->dport = r16(t + 2);
	o->seq = r32(t + 4);
	o->ack = r32(t + 8);
	o->flags = t[13];
	o->wnd = r16(t + 14);
	if (doff == 24 && t[20] == 2)
		o->mss = r16(t + 22);
	o->len = tl - 20 - doff;
	memcpy(o->data, t + doff, o->len);
	return true;
}

static void in(const uint8_t *f, size_t n)
{
	assert_true(mmds_stack_wants(st, f, n));
	mmds_stack_input(st, f, n, 1000);
}

static void seg(uint16_t sport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const char *data)
{
	uint8_t f[14 + 44 + 2048];

	in(f, mk_tcp(f, sport, MMDS_PORT, seq, ack, flags, wnd, data, data ? strlen(data) : 0, 0));
}

/* The guest's SYN on SPORT with MSS, and the stack's SYN-ACK: our ISS. */
static uint32_t handshake(uint16_t sport, uint16_t mss)
{
	uint8_t f[128];
	struct out o;
	uint32_t iss;

	in(f, mk_tcp(f, sport, MMDS_PORT, GSEQ, 0, 0x02, 65535, NULL, 0, mss));
	assert_true(next_out(&o));
	assert_int_equal(o.flags, 0x12); /* SYN ACK */
	assert_int_equal(o.ack, GSEQ + 1);
	assert_int_equal(o.dport, sport);
	assert_int_equal(o.mss, MMDS_MSS);
	iss = o.seq;
	assert_false(next_out(&o));
	seg(sport, GSEQ + 1, iss + 1, 0x10, 65535, NULL);
	assert_false(next_out(&o)); /* a pure ACK gets none */
	return iss;
}

/* Every TCP payload byte the stack sends on SPORT from sequence FROM,
 * in order, into BUF; flags seen ORed into *FLAGS. */
static size_t drain(uint16_t sport, uint32_t from, char *buf, size_t cap, uint8_t *flags)
{
	struct out o;
	size_t n = 0;
	unsigned frames = 0;

	*flags = 0;
	while (next_out(&o)) {
		assert_true(++frames < 1000); /* a stack that never stops sending */
		assert_int_equal(o.dport, sport);
		*flags |= o.flags;
		if (!o.len)
			continue;
		assert_int_equal(o.seq, from + n); /* in order, no gap */
		assert_true(n + o.len <= cap);
		memcpy(buf + n, o.data, o.len);
		n += o.len;
	}
	return n;
}

static int setup(void **state)
{
	static const char data[] = "{\"latest\":{\"meta-data\":{\"ami-id\":\"ami-1\",\"big\":\"\"}}}";

	(void)state;
	store = mmds_new(MMDS_DEFAULT_SIZE_LIMIT);
	assert_non_null(store);
	assert_int_equal(mmds_put(store, data, strlen(data)), 0);
	st = mmds_stack_new(store, IP_MMDS);
	assert_non_null(st);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mmds_stack_free(st);
	mmds_free(store);
	return 0;
}

/* --- tests ------------------------------------------------------------------ */

static void test_arp(void **state)
{
	uint8_t f[64];
	struct out o;

	(void)state;
	in(f, mk_arp(f, IP_MMDS, 1));
	assert_true(next_out(&o));
	assert_true(o.arp);
	assert_false(next_out(&o));
	/* Not ours: another address, or a reply. */
	assert_false(mmds_stack_wants(st, f, mk_arp(f, IP_MMDS + 1, 1)));
	assert_false(mmds_stack_wants(st, f, mk_arp(f, IP_MMDS, 2)));
	assert_false(mmds_stack_wants(st, f, 41));
}

static void test_get_and_close(void **state)
{
	static const char req[] = "GET /latest/meta-data/ami-id HTTP/1.1\r\nHost: x\r\n\r\n";
	struct mmds_stack_counters c;
	uint32_t iss;
	uint8_t flags;
	char buf[4096];
	struct out o;
	size_t n;

	(void)state;
	iss = handshake(GPORT, 1460);
	seg(GPORT, GSEQ + 1, iss + 1, 0x18, 65535, req);
	n = drain(GPORT, iss + 1, buf, sizeof(buf), &flags);
	buf[n] = 0;
	assert_contains(buf, "HTTP/1.1 200");
	assert_true(n > 5 && memcmp(buf + n - 5, "ami-1", 5) == 0);
	assert_false(flags & 0x01); /* keep-alive: no FIN */
	/* The guest acknowledges it all, then closes: our ACK and FIN. */
	seg(GPORT, GSEQ + 1 + sizeof(req) - 1, iss + 1 + (uint32_t)n, 0x11, 65535, NULL);
	assert_true(next_out(&o));
	assert_int_equal(o.ack, GSEQ + 1 + sizeof(req)); /* its FIN counted */
	assert_true(next_out(&o));
	assert_int_equal(o.flags, 0x11);
	assert_int_equal(o.seq, iss + 1 + (uint32_t)n);
	/* Its last ACK ends the connection: a segment now gets a reset. */
	seg(GPORT, GSEQ + 1 + sizeof(req), o.seq + 1, 0x10, 65535, NULL);
	assert_false(next_out(&o));
	seg(GPORT, GSEQ + 1 + sizeof(req), o.seq + 1, 0x18, 65535, "GET / HTTP/1.1\r\n\r\n");
	assert_true(next_out(&o));
	assert_int_equal(o.flags & 0x04, 0x04);
	mmds_stack_counters(st, &c);
	assert_int_equal(c.requests, 1);
	assert_int_equal(c.resets, 1);
	/* Firecracker's metrics group, from the store; a take resets it. */
	{
		uint64_t v[MMDS_NCOUNTERS];

		mmds_metrics_take(store, v);
		assert_int_equal(v[MMDS_RX_ACCEPTED], c.rx_frames);
		assert_int_equal(v[MMDS_TX_FRAMES], c.tx_frames);
		assert_true(v[MMDS_TX_BYTES] > n);
		assert_int_equal(v[MMDS_RX_COUNT], 1);
		assert_int_equal(v[MMDS_RX_NO_TOKEN], 1);
		assert_int_equal(v[MMDS_RX_INVALID_TOKEN], 0);
		assert_int_equal(v[MMDS_CONNECTIONS_CREATED], 1);
		assert_int_equal(v[MMDS_CONNECTIONS_DESTROYED], 1);
		mmds_metrics_take(store, v);
		assert_int_equal(v[MMDS_RX_ACCEPTED], 0);
		assert_int_equal(v[MMDS_TX_FRAMES], 0);
	}
}

static void test_reset_other_port_and_strays(void **state)
{
	uint8_t f[128];
	struct out o;

	(void)state;
	in(f, mk_tcp(f, GPORT, 81, GSEQ, 0, 0x02, 65535, NULL, 0, 1460));
	assert_true(next_out(&o));
	assert_int_equal(o.flags, 0x14); /* RST ACK */
	assert_int_equal(o.ack, GSEQ + 1);
	/* An ACK on no connection: RST with its acknowledgment as sequence. */
	seg(GPORT, GSEQ, 777, 0x10, 65535, NULL);
	assert_true(next_out(&o));
	assert_int_equal(o.flags, 0x04);
	assert_int_equal(o.seq, 777);
	/* A reset is never answered. */
	seg(GPORT, GSEQ, 777, 0x04, 65535, NULL);
	assert_false(next_out(&o));
}

/* A long answer: segments of the guest's MSS, never more in flight than
 * its window; each ACK releases more. */
static void test_window_and_mss(void **state)
{
	static char big[20000 + 64], req[] = "GET /latest/meta-data/big HTTP/1.1\r\n\r\n";
	uint32_t iss, got = 0, acked;
	size_t want;
	struct out o;

	(void)state;
	memset(big, 'x', 20000);
	snprintf(big + 20000, 64, "%s", "");
	{
		char patch[20100];

		snprintf(patch, sizeof(patch), "{\"latest\":{\"meta-data\":{\"big\":\"%s\"}}}", big);
		assert_int_equal(mmds_patch(store, patch, strlen(patch)), 0);
	}
	iss = handshake(GPORT, 1000);
	seg(GPORT, GSEQ + 1, iss + 1, 0x18, 3000, req);
	while (next_out(&o)) {
		assert_true(got < 100000); /* a stack that never stops sending */
		assert_true(o.len <= 1000);
		got += (uint32_t)o.len;
	}
	assert_int_equal(got, 3000); /* the window's worth */
	acked = iss + 1 + got;
	for (int rounds = 0; rounds < 100; rounds++) {
		uint32_t more = 0;

		seg(GPORT, GSEQ + sizeof(req), acked, 0x10, 3000, NULL);
		while (next_out(&o)) {
			assert_true(more < 100000);
			assert_int_equal(o.seq, acked + more);
			more += (uint32_t)o.len;
		}
		if (!more)
			break;
		assert_true(more <= 3000);
		acked += more;
		got += more;
	}
	want = 20000;
	assert_true(got > want); /* headers + 20000 bytes of body */
	assert_true(got < want + 300);
}

/* A guest that asks for tiny segments gets segments of 88 bytes, not 1. */
static void test_tiny_mss(void **state)
{
	static const char req[] = "GET /latest/meta-data/ami-id HTTP/1.1\r\n\r\n";
	uint32_t iss;
	struct out o;
	size_t most = 0;
	unsigned frames = 0;

	(void)state;
	iss = handshake(GPORT, 1);
	seg(GPORT, GSEQ + 1, iss + 1, 0x18, 65535, req);
	while (next_out(&o)) {
		assert_true(++frames < 1000);
		if (o.len > most)
			most = o.len;
	}
	assert_int_equal(most, 88);
}

/* Bytes ahead of a gap are not taken; the guest is told what we expect. */
static void test_out_of_order(void **state)
{
	struct mmds_stack_counters c;
	uint32_t iss;
	struct out o;

	(void)state;
	iss = handshake(GPORT, 1460);
	seg(GPORT, GSEQ + 11, iss + 1, 0x18, 65535, "T /x HTTP/1.1\r\n\r\n");
	assert_true(next_out(&o));
	assert_int_equal(o.flags, 0x10);
	assert_int_equal(o.ack, GSEQ + 1); /* still expecting byte 1 */
	assert_false(next_out(&o));
	mmds_stack_counters(st, &c);
	assert_int_equal(c.dropped, 1);
	assert_int_equal(c.requests, 0);
}

/* Three duplicate ACKs: the segment they ask for again. */
static void test_dup_acks_resend(void **state)
{
	static const char req[] = "GET /latest/meta-data/ami-id HTTP/1.1\r\n\r\n";
	uint32_t iss;
	uint8_t flags;
	char buf[4096];
	struct out o;
	size_t n;

	(void)state;
	iss = handshake(GPORT, 1460);
	seg(GPORT, GSEQ + 1, iss + 1, 0x18, 65535, req);
	n = drain(GPORT, iss + 1, buf, sizeof(buf), &flags);
	assert_true(n > 0);
	for (int i = 0; i < 2; i++) {
		seg(GPORT, GSEQ + sizeof(req), iss + 1, 0x10, 65535, NULL);
		assert_false(next_out(&o));
	}
	seg(GPORT, GSEQ + sizeof(req), iss + 1, 0x10, 65535, NULL);
	assert_true(next_out(&o));
	assert_int_equal(o.seq, iss + 1);
	assert_int_equal(o.len, n);
	assert_memory_equal(o.data, buf, n);
}

/* More connections than the table holds: the one idle longest is reset. */
static void test_connection_limit(void **state)
{
	struct mmds_stack_counters c;
	uint8_t f[128];
	struct out o;

	(void)state;
	for (unsigned i = 0; i <= MMDS_MAX_CONNS; i++)
		in(f, mk_tcp(f, (uint16_t)(GPORT + i), MMDS_PORT, GSEQ, 0, 0x02, 65535, NULL, 0, 1460));
	mmds_stack_counters(st, &c);
	assert_int_equal(c.resets, 1);
	assert_true(next_out(&o));
	assert_int_equal(o.dport, GPORT); /* the first SYN-ACK */
	for (unsigned i = 1; i < MMDS_MAX_CONNS; i++)
		assert_true(next_out(&o));
	assert_true(next_out(&o));
	assert_int_equal(o.flags & 0x04, 0x04); /* the first connection reset */
	assert_int_equal(o.dport, GPORT);
	assert_true(next_out(&o));
	assert_int_equal(o.dport, GPORT + MMDS_MAX_CONNS);
}

static void test_malformed_dropped(void **state)
{
	struct mmds_stack_counters c;
	uint8_t f[128];
	size_t n;
	struct out o;

	(void)state;
	n = mk_tcp(f, GPORT, MMDS_PORT, GSEQ, 0, 0x02, 65535, NULL, 0, 0);
	mmds_stack_input(st, f, 30, 0);  /* shorter than its IP header */
	w16(f + 16, 200);                 /* total length past the frame */
	mmds_stack_input(st, f, n, 0);
	w16(f + 16, 40);
	w16(f + 20, 0x2000);              /* a fragment */
	mmds_stack_input(st, f, n, 0);
	w16(f + 20, 0);
	f[23] = 17;                       /* UDP */
	mmds_stack_input(st, f, n, 0);
	f[23] = 6;
	f[14 + 20 + 12] = 0x40;           /* TCP header of 16 bytes */
	mmds_stack_input(st, f, n, 0);
	f[14 + 20 + 12] = 0xf0;           /* of 60, past the packet */
	mmds_stack_input(st, f, n, 0);
	assert_false(next_out(&o));
	mmds_stack_counters(st, &c);
	assert_int_equal(c.dropped, 6);
	assert_int_equal(c.rx_frames, 5); /* the short one is not even taken */
}

/* A guest that never takes our frames cannot grow the queue. */
static void test_queue_bound(void **state)
{
	struct mmds_stack_counters c;
	uint8_t f[64];
	unsigned k = 0;
	struct out o;

	(void)state;
	for (unsigned i = 0; i < 2 * MMDS_OUT_FRAMES; i++)
		in(f, mk_arp(f, IP_MMDS, 1));
	while (next_out(&o))
		k++;
	assert_true(k < MMDS_OUT_FRAMES);
	assert_true(k >= MMDS_OUT_FRAMES - 4);
	mmds_stack_counters(st, &c);
	assert_int_equal(c.tx_frames, k);
	assert_int_equal(c.dropped, 2 * MMDS_OUT_FRAMES - k);
	in(f, mk_arp(f, IP_MMDS, 1)); /* and it works again */
	assert_true(next_out(&o));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_and_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_other_port_and_strays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_and_mss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tiny_mss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dup_acks_resend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_bound, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
