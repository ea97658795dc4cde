/* virtio-vsock (src/virtio/vsock*.c, src/backends/vsock_host.c) with real
 * Unix sockets in a temporary directory: the test plays the guest driver
 * (rings in a small guest memory, notifications through the queues'
 * eventfds) while the device's own I/O thread runs as in a VM, and plays
 * the host software on the other end of the sockets.
 *
 * Most of it is a hostile driver: malformed headers, wrong lengths, wrong
 * CIDs, unknown ops, credit violations, a flood of packets while the
 * receive queue is empty, scribbled rings, and then thousands of random
 * packets.  The device must answer with RST or drop and count, never
 * crash (ASan + UBSan), never hold more than its bounds (connections,
 * pending RSTs, buffered bytes), and keep working for a well-behaved
 * connection afterwards. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "backends/vsock_host.h"
#include "core/guest_mem.h"
#include "core/vm.h"
#include "virtio/virtio_devices.h"
#include "virtio/vsock.h"
#include "unit.h"
#include "virtio_fixture.h"

#define QSIZE 64
#define NRX 32               /* receive buffers posted */
#define RXBUF (44 + 4096)
#define CID 42
#define HDR sizeof(struct vsock_hdr)

static struct drv {
	struct vm vm;
	struct guest_mem mem;
	int irq_fd;
	struct virtio_dev *vd;
	char dir[64], uds[96];
	uint16_t avail_idx[3], rx_seen, tx_desc;
	int listeners[4]; /* host listeners at uds_<port> */
} D;

/* --- the driver's side ----------------------------------------------------- */

static void *gp(uint64_t gpa, uint64_t len) { return vt_gp(&D.mem, gpa, len); }
static struct virtq_desc *desc(unsigned q, uint16_t i) { return vt_desc(&D.mem, q, i); }
static struct virtq_avail *avail(unsigned q) { return vt_avail(&D.mem, q); }
static struct virtq_used *used(unsigned q) { return vt_used(&D.mem, q); }
static uint16_t used_idx(unsigned q) { return vt_used_idx(&D.mem, q); }
static void kick(unsigned q) { vt_kick(D.vd, q); }
static void post(unsigned q, uint16_t head) { vt_post(&D.mem, q, QSIZE, &D.avail_idx[q], head); }
static uint64_t rxbuf_gpa(uint16_t i) { return 0x100000ULL + 0x2000ULL * i; }
static uint64_t txbuf_gpa(uint16_t i) { return 0x200000ULL + 0x11000ULL * (i % 2); }

static void post_rx(uint16_t i)
{
	*desc(VSOCK_RXQ, i) = (struct virtq_desc){ .addr = rxbuf_gpa(i), .len = RXBUF, .flags = VIRTQ_DESC_F_WRITE };
	post(VSOCK_RXQ, i);
}

/* Wait (at most 3 s) until the device has used N chains of queue Q. */
static bool wait_used(unsigned q, uint16_t n)
{
	for (int i = 0; i < 30000 && used_idx(q) != n; i++)
		usleep(100);
	return used_idx(q) == n;
}

/* Send a chain of HDR_LEN header bytes (H) and LEN data bytes; returns
 * once the device has used it. */
static void tx_raw(const void *h, uint32_t hdr_len, const void *data, uint32_t len)
{
	uint16_t d0 = D.tx_desc++ % QSIZE, d1 = D.tx_desc++ % QSIZE;
	uint64_t buf = txbuf_gpa(d0 / 2);

	memcpy(gp(buf, hdr_len + 64), h, hdr_len);
	if (len)
		memcpy(gp(buf + 0x100, len), data, len);
	*desc(VSOCK_TXQ, d0) = (struct virtq_desc){ .addr = buf, .len = hdr_len,
						     .flags = len ? VIRTQ_DESC_F_NEXT : 0, .next = d1 };
	*desc(VSOCK_TXQ, d1) = (struct virtq_desc){ .addr = buf + 0x100, .len = len };
	post(VSOCK_TXQ, d0);
	kick(VSOCK_TXQ);
	assert_true(wait_used(VSOCK_TXQ, D.avail_idx[VSOCK_TXQ]));
}

static struct vsock_hdr hdr(uint32_t gport, uint32_t hport, uint16_t op, uint32_t len)
{
	return (struct vsock_hdr){ .src_cid = CID, .dst_cid = VSOCK_HOST_CID, .src_port = gport,
				   .dst_port = hport, .len = len, .type = VSOCK_TYPE_STREAM, .op = op,
				   .buf_alloc = 1 << 20 };
}

static void tx(struct vsock_hdr h, const void *data)
{
	tx_raw(&h, HDR, data, h.len);
}

/* The next packet the device gave the guest (header into *H, payload into
 * DATA, at most 4096 bytes): false if none came within MS milliseconds.
 * Its buffer is posted again. */
static bool rx_within(struct vsock_hdr *h, void *data, int ms)
{
	struct virtq_used_elem e;
	const uint8_t *b;

	for (int i = 0; i < 10 * ms && used_idx(VSOCK_RXQ) == D.rx_seen; i++)
		usleep(100);
	if (used_idx(VSOCK_RXQ) == D.rx_seen)
		return false;
	e = used(VSOCK_RXQ)->ring[D.rx_seen++ % QSIZE];
	assert_true(e.id < NRX && e.len >= HDR && e.len <= RXBUF);
	b = gp(rxbuf_gpa((uint16_t)e.id), RXBUF);
	memcpy(h, b, HDR);
	assert_int_equal(e.len, HDR + h->len);
	assert_int_equal(h->dst_cid, CID);
	if (data)
		memcpy(data, b + HDR, h->len);
	post_rx((uint16_t)e.id);
	kick(VSOCK_RXQ);
	return true;
}

static bool rx(struct vsock_hdr *h, void *data)
{
	return rx_within(h, data, 3000);
}

/* Drain: the packets that come within 0.2 s of each other. */
static bool rx_more(struct vsock_hdr *h, void *data)
{
	return rx_within(h, data, 200);
}

/* Nothing more arrives for the guest (within 0.2 s). */
static void rx_none(void)
{
	usleep(200000);
	assert_int_equal(used_idx(VSOCK_RXQ), D.rx_seen);
}

static void rx_expect(uint16_t op, uint32_t gport)
{
	struct vsock_hdr h;

	if (!rx(&h, NULL))
		fail_msg("no packet for the guest (expected op %u to port %u)", op, gport);
	if (h.op != op || h.dst_port != gport)
		fail_msg("got op %u to port %u, expected op %u to port %u", h.op, h.dst_port, op, gport);
}

static uint64_t errors(void)
{
	return __atomic_load_n(&D.vd->counters.errors, __ATOMIC_RELAXED);
}

/* --- the host's side -------------------------------------------------------- */

static void set_path(struct sockaddr_un *a, const char *p)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	assert_true(strlen(p) < sizeof(a->sun_path));
	memcpy(a->sun_path, p, strlen(p) + 1);
}

/* Host software listening for guest connections to PORT. */
static int host_listen(uint32_t port)
{
	struct sockaddr_un a;
	char p[128];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(p, sizeof(p), "%s_%u", D.uds, port);
	set_path(&a, p);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 128), 0);
	return fd;
}

static int host_connect(void)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	set_path(&a, D.uds);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Read exactly N bytes from FD within 3 s (fewer at EOF): bytes read. */
static size_t host_read(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 3000) != 1)
			break;
		r = recv(fd, (uint8_t *)buf + got, n - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static bool host_eof(int fd)
{
	char c;

	return host_read(fd, &c, 1) == 0;
}

/* --- set-up ----------------------------------------------------------------- */

/* A device for CID on a fresh socket path, started, NPOST receive buffers posted. */
static void dev_up_rx(unsigned npost)
{
	struct vsock_spec s;

	memset(&D, 0, sizeof(D));
	snprintf(D.dir, sizeof(D.dir), "/tmp/warden-vsock.XXXXXX");
	assert_non_null(mkdtemp(D.dir));
	snprintf(D.uds, sizeof(D.uds), "%s/v.sock", D.dir);
	assert_int_equal(gmem_map(&D.mem, 4 * GMEM_MIB), 0);
	D.vm.mem = D.mem;
	assert_int_equal(virtio_vsock_spec(&s, CID, D.uds), 0);
	D.vd = virtio_vsock_create(&s);
	assert_non_null(D.vd);
	vt_attach(D.vd, &D.vm, &D.irq_fd);
	for (unsigned q = 0; q < 3; q++)
		vt_queue_up(D.vd, &D.mem, q, QSIZE);
	D.vd->driver_features = VIRTIO_BIT(VIRTIO_F_VERSION_1);
	assert_int_equal(D.vd->ops->start(D.vd), 0);
	assert_int_equal(virtio_dev_start_worker(D.vd), 0);
	for (uint16_t i = 0; i < npost; i++)
		post_rx(i);
	kick(VSOCK_RXQ);
}

static void dev_up(void)
{
	dev_up_rx(NRX);
}

static int dev_down(void **state)
{
	char p[160];

	(void)state;
	if (!D.vd)
		return 0;
	vt_detach(D.vd, D.irq_fd);
	D.vd = NULL;
	for (unsigned i = 0; i < 4; i++)
		if (D.listeners[i] > 0)
			close(D.listeners[i]);
	gmem_unmap(&D.mem);
	/* The device removed its own socket; the test's listeners remain. */
	for (uint32_t port = 5000; port < 5004; port++) {
		snprintf(p, sizeof(p), "%s_%u", D.uds, port);
		unlink(p);
	}
	if (access(D.uds, F_OK) == 0)
		fail_msg("%s is still there after the device was destroyed", D.uds);
	assert_int_equal(rmdir(D.dir), 0);
	return 0;
}

/* A guest-initiated connection from GPORT to host port 5000, accepted by
 * the host: the host's socket. */
static int open_from_guest(uint32_t gport)
{
	int fd;

	if (!D.listeners[0])
		D.listeners[0] = host_listen(5000);
	tx(hdr(gport, 5000, VSOCK_OP_REQUEST, 0), NULL);
	rx_expect(VSOCK_OP_RESPONSE, gport);
	fd = accept4(D.listeners[0], NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* --- the host protocol --------------------------------------------------------- */

static void test_connect_line(void **state)
{
	uint32_t port = 0;
	char ok[16];

	(void)state;
	assert_int_equal(vsock_host_parse_connect("CONNECT 52\n", 11, &port), 0);
	assert_int_equal(port, 52);
	assert_int_equal(vsock_host_parse_connect("CONNECT 4294967295\n", 19, &port), 0);
	assert_int_equal(port, UINT32_MAX);
	assert_int_equal(vsock_host_parse_connect("CONNECT 4294967296\n", 19, &port), -1);
	assert_int_equal(vsock_host_parse_connect("CONNECT \n", 9, &port), -1);
	assert_int_equal(vsock_host_parse_connect("CONNECT 5", 9, &port), -1);
	assert_int_equal(vsock_host_parse_connect("CONNECT -5\n", 11, &port), -1);
	assert_int_equal(vsock_host_parse_connect("connect 5\n", 10, &port), -1);
	assert_int_equal(vsock_host_parse_connect("CONNECT 5 \n", 11, &port), -1);
	assert_int_equal(vsock_host_ok_line(ok, 1u << 30), 14);
	assert_memory_equal(ok, "OK 1073741824\n", 14);
}

static void test_spec_errors(void **state)
{
	struct vsock_spec s;
	char longpath[200];

	(void)state;
	assert_user_error(virtio_vsock_spec(&s, 2, "/tmp/x"), "a guest CID is 3 to");
	assert_user_error(virtio_vsock_spec(&s, UINT32_MAX, "/tmp/x"), "a guest CID is 3 to");
	assert_user_error(virtio_vsock_spec(&s, 3, ""), "needs uds=PATH");
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = 0;
	assert_user_error(virtio_vsock_spec(&s, 3, longpath), "longer than");
	assert_int_equal(virtio_vsock_spec(&s, 3, "/tmp/x"), 0);
	assert_user_error(virtio_parse_vsock("cid=3,uds=/tmp/x,cid=4", &s), "unexpected 'cid=4'");
	assert_user_error(virtio_parse_vsock("cid=3x,uds=/tmp/x", &s), "is not a number");
	assert_user_error(virtio_parse_vsock("cid=-3,uds=/tmp/x", &s), "is not a number");
	assert_int_equal(virtio_parse_vsock("uds=/tmp/y,cid=9", &s), 0);
	assert_int_equal(s.cid, 9);
	assert_string_equal(s.uds, "/tmp/y");
}

/* --- well-behaved connections ---------------------------------------------------- */

static void test_guest_connects_out(void **state)
{
	struct vsock_hdr h;
	char buf[4096];
	int fd;

	(void)state;
	dev_up();
	assert_int_equal(D.vd->config_len, 8);
	assert_int_equal(u_rd64(D.vd->config), CID);
	fd = open_from_guest(1234);
	tx(hdr(1234, 5000, VSOCK_OP_RW, 11), "hello, host");
	assert_int_equal(host_read(fd, buf, 11), 11);
	assert_memory_equal(buf, "hello, host", 11);
	assert_int_equal(send(fd, "hello, guest", 12, 0), 12);
	assert_true(rx(&h, buf));
	assert_int_equal(h.op, VSOCK_OP_RW);
	assert_int_equal(h.src_port, 5000);
	assert_int_equal(h.len, 12);
	assert_memory_equal(buf, "hello, guest", 12);
	/* The guest closes: its RST answer comes once the host has it all. */
	tx(hdr(1234, 5000, VSOCK_OP_SHUTDOWN, 0), NULL);
	rx_none(); /* flags 0: nothing shut */
	h = hdr(1234, 5000, VSOCK_OP_SHUTDOWN, 0);
	h.flags = VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND;
	tx(h, NULL);
	rx_expect(VSOCK_OP_RST, 1234);
	assert_true(host_eof(fd));
	close(fd);
	assert_int_equal(errors(), 0);
}

static void test_host_connects_in(void **state)
{
	struct vsock_hdr h;
	char line[32] = { 0 }, want[32];
	int fd;

	(void)state;
	dev_up();
	fd = host_connect();
	/* The line may come in pieces; the stream after it waits. */
	assert_int_equal(send(fd, "CONN", 4, 0), 4);
	usleep(50000);
	assert_int_equal(send(fd, "ECT 6000\nearly bytes", 20, 0), 20);
	assert_true(rx(&h, NULL));
	assert_int_equal(h.op, VSOCK_OP_REQUEST);
	assert_int_equal(h.dst_port, 6000);
	assert_int_equal(h.src_cid, VSOCK_HOST_CID);
	assert_true(h.src_port >= VSOCK_FIRST_HOST_PORT);
	tx(hdr(6000, h.src_port, VSOCK_OP_RESPONSE, 0), NULL);
	snprintf(want, sizeof(want), "OK %u\n", h.src_port);
	assert_int_equal(host_read(fd, line, strlen(want)), strlen(want));
	assert_string_equal(line, want);
	assert_true(rx(&h, line));
	assert_int_equal(h.op, VSOCK_OP_RW);
	assert_int_equal(h.len, 11);
	assert_memory_equal(line, "early bytes", 11);
	/* The host hangs up: the guest hears it shut both ways (in one
	 * SHUTDOWN, or SEND first if the end of the stream was read before
	 * the hang-up was seen). */
	close(fd);
	assert_true(rx(&h, NULL));
	assert_int_equal(h.op, VSOCK_OP_SHUTDOWN);
	if (h.flags == VSOCK_SHUTDOWN_SEND) {
		assert_true(rx(&h, NULL));
		assert_int_equal(h.op, VSOCK_OP_SHUTDOWN);
	}
	assert_int_equal(h.flags, VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND);
}

static void test_guest_refuses_host(void **state)
{
	struct vsock_hdr h;
	int fd;

	(void)state;
	dev_up();
	fd = host_connect();
	assert_int_equal(send(fd, "CONNECT 7\n", 10, 0), 10);
	assert_true(rx(&h, NULL));
	assert_int_equal(h.op, VSOCK_OP_REQUEST);
	tx(hdr(7, h.src_port, VSOCK_OP_RST, 0), NULL);
	assert_true(host_eof(fd)); /* no OK line: the connection ends */
	close(fd);
	/* A line that is not CONNECT: closed, the guest never hears of it. */
	fd = host_connect();
	assert_int_equal(send(fd, "HELLO 7\n", 8, 0), 8);
	assert_true(host_eof(fd));
	close(fd);
	rx_none();
}

/* The guest's credit bounds what it gets: with 1000 bytes of buffer, no
 * more than 1000 bytes until it says it consumed them. */
static void test_guest_credit_respected(void **state)
{
	static char big[20000];
	struct vsock_hdr h, c;
	char buf[4096];
	uint32_t got = 0;
	int fd;

	(void)state;
	dev_up();
	if (!D.listeners[0])
		D.listeners[0] = host_listen(5000);
	c = hdr(1, 5000, VSOCK_OP_REQUEST, 0);
	c.buf_alloc = 1000;
	tx(c, NULL);
	rx_expect(VSOCK_OP_RESPONSE, 1);
	fd = accept4(D.listeners[0], NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, big, sizeof(big), 0), sizeof(big));
	while (rx_more(&h, buf))
		got += h.len;
	assert_int_equal(got, 1000);
	c.op = VSOCK_OP_CREDIT_UPDATE;
	c.fwd_cnt = 1000;
	tx(c, NULL);
	got = 0;
	while (rx_more(&h, buf))
		got += h.len;
	assert_int_equal(got, 1000);
	close(fd);
}

/* The guest's credit comes back: once a quarter of warden's buffer has
 * gone on to the host, a CREDIT_UPDATE says so (a guest that runs out of
 * credit sends nothing more, and Linux does not ask). */
static void test_credit_comes_back(void **state)
{
	static char chunk[4096], sink[4096];
	struct vsock_hdr h;
	int fd;

	(void)state;
	dev_up();
	fd = open_from_guest(8);
	for (unsigned i = 0; i < VSOCK_BUF_ALLOC / 4 / sizeof(chunk); i++) {
		rx_none(); /* below the quarter: nothing yet */
		tx(hdr(8, 5000, VSOCK_OP_RW, sizeof(chunk)), chunk);
		assert_int_equal(host_read(fd, sink, sizeof(sink)), sizeof(sink));
	}
	assert_true(rx(&h, NULL));
	assert_int_equal(h.op, VSOCK_OP_CREDIT_UPDATE);
	assert_int_equal(h.dst_port, 8);
	assert_int_equal(h.fwd_cnt, VSOCK_BUF_ALLOC / 4);
	assert_int_equal(h.buf_alloc, VSOCK_BUF_ALLOC);
	/* And on request. */
	tx(hdr(8, 5000, VSOCK_OP_CREDIT_REQUEST, 0), NULL);
	assert_true(rx(&h, NULL));
	assert_int_equal(h.op, VSOCK_OP_CREDIT_UPDATE);
	close(fd);
}

/* --- a hostile driver ------------------------------------------------------------ */

/* Beyond its credit the guest is reset, and warden holds at most
 * VSOCK_BUF_ALLOC bytes for a host that does not read. */
static void test_credit_violation(void **state)
{
	static char chunk[4096];
	struct vsock_hdr h = { 0 };
	uint64_t sent = 0;
	int fd, sz = 4096;

	(void)state;
	dev_up();
	fd = open_from_guest(77);
	/* A small host receive buffer, so that warden has to hold bytes. */
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
	for (int i = 0; i < 200; i++) {
		tx(hdr(77, 5000, VSOCK_OP_RW, sizeof(chunk)), chunk);
		sent += sizeof(chunk);
		if (used_idx(VSOCK_RXQ) != D.rx_seen) {
			assert_true(rx(&h, NULL));
			if (h.op == VSOCK_OP_RST)
				break;
			assert_int_equal(h.op, VSOCK_OP_CREDIT_UPDATE);
		}
	}
	assert_int_equal(h.op, VSOCK_OP_RST);
	assert_int_equal(h.dst_port, 77);
	assert_true(sent <= 800000); /* reset before 200 chunks: the host took less than that */
	assert_true(errors() == 1);
	close(fd);
	/* The connection is gone: more data is answered with RST. */
	tx(hdr(77, 5000, VSOCK_OP_RW, 10), chunk);
	rx_expect(VSOCK_OP_RST, 77);
}

/* Each malformed packet: dropped or answered with RST, counted, nothing
 * else changes. */
static void test_malformed_packets(void **state)
{
	struct vsock_hdr h;
	char junk[64] = { 0 };
	uint64_t e0;

	(void)state;
	dev_up();
	e0 = errors();
	h = hdr(1, 5000, VSOCK_OP_REQUEST, 0);
	h.src_cid = CID + 1;
	tx(h, NULL);         /* from another CID: dropped */
	tx_raw(&h, 43, NULL, 0); /* short header: dropped */
	{
		/* Device-writable buffers in a transmit chain: dropped. */
		uint16_t d0 = D.tx_desc++ % QSIZE;

		D.tx_desc++;
		h = hdr(1, 5000, VSOCK_OP_REQUEST, 0);
		memcpy(gp(txbuf_gpa(0), HDR), &h, HDR);
		*desc(VSOCK_TXQ, d0) = (struct virtq_desc){ .addr = txbuf_gpa(0), .len = HDR,
							     .flags = VIRTQ_DESC_F_WRITE };
		post(VSOCK_TXQ, d0);
		kick(VSOCK_TXQ);
		assert_true(wait_used(VSOCK_TXQ, D.avail_idx[VSOCK_TXQ]));
	}
	rx_none();
	assert_int_equal(errors(), e0 + 3);
	tx(hdr(2, 5000, VSOCK_OP_RW, 64), junk); /* no connection: RST, not an error */
	rx_expect(VSOCK_OP_RST, 2);
	h = hdr(3, 5000, VSOCK_OP_RW, 65);
	tx_raw(&h, HDR, junk, 64); /* says more than the chain holds */
	rx_expect(VSOCK_OP_RST, 3);
	h = hdr(4, 5000, VSOCK_OP_REQUEST, 8); /* a REQUEST with a payload */
	tx_raw(&h, HDR, junk, 8);
	rx_expect(VSOCK_OP_RST, 4);
	tx(hdr(5, 5000, 200, 0), NULL); /* unknown op */
	rx_expect(VSOCK_OP_RST, 5);
	tx(hdr(6, 5000, VSOCK_OP_RESPONSE, 0), NULL); /* a RESPONSE nobody asked for */
	rx_expect(VSOCK_OP_RST, 6);
	assert_int_equal(errors(), e0 + 7);
	h = hdr(7, 5000, VSOCK_OP_REQUEST, 0);
	h.dst_cid = 99; /* a CID that is not there: RST from it */
	tx(h, NULL);
	assert_true(rx(&h, NULL));
	assert_int_equal(h.op, VSOCK_OP_RST);
	assert_int_equal(h.src_cid, 99);
	h = hdr(8, 5000, VSOCK_OP_REQUEST, 0);
	h.type = 2; /* SEQPACKET: not offered */
	tx(h, NULL);
	rx_expect(VSOCK_OP_RST, 8);
	tx(hdr(9, 5000, VSOCK_OP_REQUEST, 0), NULL); /* nobody listens on 5000 */
	rx_expect(VSOCK_OP_RST, 9);
	tx(hdr(10, 5000, VSOCK_OP_RST, 0), NULL); /* a RST is never answered */
	rx_none();
	assert_int_equal(errors(), e0 + 7);
	assert_false(virtio_failed(D.vd));
}

/* A guest that sends garbage and posts no receive buffer: the RSTs it is
 * owed are bounded (VSOCK_RST_RING); the rest are dropped and counted. */
static void test_rst_flood_bounded(void **state)
{
	struct vsock_hdr h;
	unsigned n = 0;

	(void)state;
	dev_up_rx(0);
	for (uint32_t p = 0; p < 100; p++)
		tx(hdr(100 + p, 5000, VSOCK_OP_RW, 0), NULL);
	assert_int_equal(errors(), 100 - VSOCK_RST_RING);
	for (uint16_t i = 0; i < NRX; i++)
		post_rx(i);
	kick(VSOCK_RXQ);
	while (rx_more(&h, NULL)) {
		assert_int_equal(h.op, VSOCK_OP_RST);
		assert_int_equal(h.dst_port, 100 + n);
		n++;
	}
	assert_int_equal(n, VSOCK_RST_RING);
}

/* At most VSOCK_MAX_CONNS connections: more host connections end at once,
 * more guest requests get RST. */
static void test_connections_bounded(void **state)
{
	int fds[VSOCK_MAX_CONNS + 1];
	int extra;

	(void)state;
	dev_up();
	for (int i = 0; i < VSOCK_MAX_CONNS; i++)
		fds[i] = host_connect(); /* each holds a slot until its line comes */
	usleep(200000);
	extra = host_connect();
	assert_true(host_eof(extra));
	close(extra);
	D.listeners[0] = host_listen(5000);
	tx(hdr(1, 5000, VSOCK_OP_REQUEST, 0), NULL);
	rx_expect(VSOCK_OP_RST, 1);
	close(fds[0]);
	usleep(100000);
	open_from_guest(2); /* a slot came free */
	for (int i = 1; i < VSOCK_MAX_CONNS; i++)
		close(fds[i]);
}

/* A scribbled ring is the driver's failure: DEVICE_NEEDS_RESET, and no
 * more work until a reset. */
static void test_scribbled_ring(void **state)
{
	(void)state;
	dev_up();
	__atomic_store_n(&avail(VSOCK_TXQ)->idx, (uint16_t)(D.avail_idx[VSOCK_TXQ] + 1000), __ATOMIC_RELEASE);
	kick(VSOCK_TXQ);
	for (int i = 0; i < 300 && !virtio_failed(D.vd); i++)
		usleep(10000);
	assert_true(virtio_failed(D.vd));
	assert_int_equal(errors(), 1);
	/* A receive buffer the device can only read from: also fatal. */
	dev_down(NULL);
	dev_up_rx(0);
	*desc(VSOCK_RXQ, 0) = (struct virtq_desc){ .addr = rxbuf_gpa(0), .len = RXBUF };
	post(VSOCK_RXQ, 0);
	kick(VSOCK_RXQ);
	for (int i = 0; i < 300 && !virtio_failed(D.vd); i++)
		usleep(10000);
	assert_true(virtio_failed(D.vd));
}

/* Thousands of random packets: random ops, ports, CIDs, types, lengths,
 * credit fields, chain shapes, with host connections coming and going.
 * No crash, no sanitizer report, and afterwards a good connection works. */
static void test_random_packets(void **state)
{
	static uint8_t junk[4096];
	uint64_t rng = 0x5eed;
	int hosts[8] = { 0 };

	(void)state;
	dev_up();
	D.listeners[0] = host_listen(5000);
	D.listeners[1] = host_listen(5001);
	for (int i = 0; i < 4000; i++) {
		struct vsock_hdr h = hdr((uint32_t)u_below(&rng, 8), 5000 + (uint32_t)u_below(&rng, 3),
					 (uint16_t)u_below(&rng, 9), 0);
		uint32_t chain = (uint32_t)u_below(&rng, 2) ? (uint32_t)u_below(&rng, sizeof(junk)) : 0;
		uint32_t hlen = u_below(&rng, 20) ? HDR : (uint32_t)u_below(&rng, HDR + 8);
		struct vsock_hdr dummy;
		int k = (int)u_below(&rng, 8);

		h.len = u_below(&rng, 4) ? chain : (uint32_t)u_rand(&rng);
		if (u_below(&rng, 10) == 0)
			h.src_cid = u_rand(&rng);
		if (u_below(&rng, 10) == 0)
			h.dst_cid = u_below(&rng, 5);
		if (u_below(&rng, 10) == 0)
			h.type = (uint16_t)u_rand(&rng);
		h.buf_alloc = (uint32_t)u_rand(&rng);
		h.fwd_cnt = (uint32_t)u_rand(&rng);
		h.flags = (uint32_t)u_rand(&rng);
		if (hlen > HDR)
			hlen = HDR; /* the buffer holds one header */
		tx_raw(&h, hlen, junk, chain);
		/* The host side: connect, say something (maybe garbage), hang up. */
		if (u_below(&rng, 20) == 0) {
			if (hosts[k])
				close(hosts[k]);
			hosts[k] = host_connect();
			if (u_below(&rng, 2))
				send(hosts[k], "CONNECT 3\n", 10, MSG_NOSIGNAL);
			else
				send(hosts[k], junk, 40, MSG_NOSIGNAL);
		}
		for (int j = 0; j < 2; j++) /* accept what the device connected */
			if (D.listeners[j]) {
				struct pollfd p = { .fd = D.listeners[j], .events = POLLIN };

				if (poll(&p, 1, 0) == 1)
					close(accept4(D.listeners[j], NULL, NULL, SOCK_CLOEXEC));
			}
		while (used_idx(VSOCK_RXQ) != D.rx_seen)
			assert_true(rx(&dummy, junk));
		if (virtio_failed(D.vd)) /* only a broken ring may fail it */
			fail_msg("step %d: a packet made the device fail", i);
	}
	for (int k = 0; k < 8; k++)
		if (hosts[k])
			close(hosts[k]);
	/* Still working. */
	tx(hdr(999, 5001, VSOCK_OP_REQUEST, 0), NULL);
	for (;;) {
		struct vsock_hdr h;

		if (!rx(&h, NULL))
			fail_msg("no RESPONSE for a good request after the random packets");
		if (h.dst_port == 999) {
			assert_int_equal(h.op, VSOCK_OP_RESPONSE);
			break;
		}
	}
}

/* --- snapshots ---------------------------------------------------------------------- */

static void test_reset_connections(void **state)
{
	uint32_t *ev;
	int fd;

	(void)state;
	dev_up();
	*desc(VSOCK_EVQ, 0) = (struct virtq_desc){ .addr = 0x300000, .len = 4, .flags = VIRTQ_DESC_F_WRITE };
	ev = gp(0x300000, 4);
	*ev = 0xffffffff;
	post(VSOCK_EVQ, 0);
	kick(VSOCK_EVQ);
	fd = open_from_guest(5);
	rx_none();
	assert_int_equal(used_idx(VSOCK_EVQ), 0); /* no event without a reset */
	virtio_vsock_reset_connections(D.vd);
	assert_true(wait_used(VSOCK_EVQ, 1));
	assert_int_equal(*ev, VSOCK_EVENT_TRANSPORT_RESET);
	assert_int_equal(used(VSOCK_EVQ)->ring[0].len, 4);
	assert_true(host_eof(fd));
	close(fd);
	/* The connection is forgotten: its data is answered with RST. */
	tx(hdr(5, 5000, VSOCK_OP_RW, 3), "abc");
	rx_expect(VSOCK_OP_RST, 5);
	/* A reset with no event buffer posted: the event waits for one. */
	virtio_vsock_reset_connections(D.vd);
	usleep(100000);
	assert_int_equal(used_idx(VSOCK_EVQ), 1);
	*ev = 0xffffffff;
	post(VSOCK_EVQ, 0);
	kick(VSOCK_EVQ);
	assert_true(wait_used(VSOCK_EVQ, 2));
	assert_int_equal(*ev, VSOCK_EVENT_TRANSPORT_RESET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_line),
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test_teardown(test_guest_connects_out, dev_down),
		cmocka_unit_test_teardown(test_host_connects_in, dev_down),
		cmocka_unit_test_teardown(test_guest_refuses_host, dev_down),
		cmocka_unit_test_teardown(test_guest_credit_respected, dev_down),
		cmocka_unit_test_teardown(test_credit_comes_back, dev_down),
		cmocka_unit_test_teardown(test_credit_violation, dev_down),
		cmocka_unit_test_teardown(test_malformed_packets, dev_down),
		cmocka_unit_test_teardown(test_rst_flood_bounded, dev_down),
		cmocka_unit_test_teardown(test_connections_bounded, dev_down),
		cmocka_unit_test_teardown(test_scribbled_ring, dev_down),
		cmocka_unit_test_teardown(test_random_packets, dev_down),
		cmocka_unit_test_teardown(test_reset_connections, dev_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
