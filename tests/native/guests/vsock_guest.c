/* Native-tier test guest: a tiny virtio-vsock driver for warden's vsock
 * device (`warden run --mem 16 --vsock cid=N,uds=PATH`, alone, on either
 * transport: it finds the device at the first virtio-mmio window, or else
 * as PCI function 1af4:1053).  It polls the used rings (no interrupts).
 *
 * The host side is tests/native/vsock_host.c; between them:
 *   A  the guest connects to host port 5000 (warden connects to
 *      PATH_5000), sends A_OUT_BYTES of a known pattern respecting warden's
 *      credit, shuts its sending side, then reads what the host answers
 *      until the host's SHUTDOWN, and resets the connection as Linux does;
 *   B  the host connects to PATH, writes "CONNECT 6000"; the guest
 *      accepts, echoes every byte back, and closes once the host has
 *      shut its side and everything is echoed.
 * Its receive credit is small (GUEST_BUF bytes), given back as it
 * consumes, and every data packet warden sends must fit in it.  Then a
 * few hostile packets, each answered by RST (or dropped and counted).
 *
 * Output (COM1): "vsock: cid N", "vsock: A out BYTES FNV", "vsock: A in
 * BYTES FNV", "vsock: B host port P", "vsock: B echoed BYTES FNV", one
 * "vsock: FAIL ..." per broken check, "vsock: counts errors N" (guest
 * errors warden must have counted), and "vsock: all checks passed". */
#include <stdint.h>

#include "guest_rt.h"
#include "vsock_exchange.h"
#include "virtio/virtio_spec.h"

#define MMIO_BASE 0xc0000000UL
#define QSIZE 16
#define RING_GPA(q) (0x400000UL + 0x4000UL * (q)) /* desc, +0x1000 avail, +0x2000 used */
#define RXBUF_GPA 0x500000UL
#define RXBUF_LEN (44 + 4096)
#define TXBUF_GPA 0x600000UL
#define EVBUF_GPA 0x700000UL
#define RXQ 0
#define TXQ 1
#define EVQ 2
#define HOST_CID 2
#define PORT_A_GUEST 1234
#define GUEST_BUF 8192               /* our receive credit */
#define SPIN (1UL << 25)             /* bounds every wait (seconds, never endless) */

enum { OP_REQUEST = 1, OP_RESPONSE, OP_RST, OP_SHUTDOWN, OP_RW, OP_CREDIT_UPDATE, OP_CREDIT_REQUEST };

struct hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

/* One connection, as the guest sees it. */
struct conn {
	uint32_t host_port, guest_port;
	int open, peer_shut, rst;
	uint32_t tx_cnt, peer_buf_alloc, peer_fwd_cnt; /* our sending credit */
	uint32_t rx_cnt, fwd_cnt, fwd_sent;            /* what we got, consumed, and said */
	uint64_t in_bytes, in_fnv;
};

static struct conn A, B;
static unsigned long bad_checks, errors;
static uint64_t cid;
static int pci;
static uint64_t common, notify_base, devcfg;
static uint32_t notify_mult;
static uint16_t avail_idx[3], used_seen[3];
/* B's echo: bytes received and not yet sent back (at most GUEST_BUF). */
static uint8_t echo[GUEST_BUF];
static uint32_t echo_len;
static uint64_t echo_total, echo_fnv;
/* Hostile replies: RSTs seen for a port, and their source CID. */
static unsigned rst_for[8];
static uint64_t rst_cid[8];

static void check(int ok, const char *what)
{
	if (ok)
		return;
	bad_checks++;
	print("vsock: FAIL ");
	print(what);
	print("\n");
}

/* --- the transport: virtio-mmio or virtio-pci, registers only ------------- */

static uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static void w16(uint64_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static uint8_t r8(uint64_t a) { return *(volatile uint8_t *)a; }

static uint32_t cfg_rd(unsigned s, unsigned off)
{
	__asm__ volatile("outl %0, %1" : : "a"(0x80000000u | s << 11 | (off & 0xfc)), "Nd"((uint16_t)0xcf8));
	return inl(0xcfc);
}

static void cfg_wr(unsigned s, unsigned off, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(0x80000000u | s << 11 | (off & 0xfc)), "Nd"((uint16_t)0xcf8));
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"((uint16_t)0xcfc));
}

static int find_pci(void)
{
	unsigned s;

	for (s = 0; s < 32 && cfg_rd(s, 0) != (((0x1040u + VIRTIO_ID_VSOCK) << 16) | 0x1af4); s++)
		;
	if (s == 32)
		return 0;
	cfg_wr(s, 4, 0x6); /* memory decode, bus master */
	for (unsigned at = cfg_rd(s, 0x34) & 0xff; at; at = (cfg_rd(s, at) >> 8) & 0xff) {
		uint32_t h = cfg_rd(s, at), off = cfg_rd(s, at + 8);
		uint64_t base = cfg_rd(s, 0x10 + 4 * (cfg_rd(s, at + 4) & 0xff)) & ~0xfu;

		if ((h & 0xff) != 0x09)
			continue; /* not a vendor (virtio) capability */
		switch ((h >> 24) & 0xff) {
		case VIRTIO_PCI_CAP_COMMON_CFG: common = base + off; break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			notify_base = base + off;
			notify_mult = cfg_rd(s, at + 16);
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG: devcfg = base + off; break;
		}
	}
	return common && notify_base && devcfg;
}

static void set_status(uint8_t v)
{
	if (pci)
		w8(common + VIRTIO_PCI_COMMON_STATUS, v);
	else
		w32(MMIO_BASE + VIRTIO_MMIO_STATUS, v);
}

static uint8_t get_status(void)
{
	return pci ? r8(common + VIRTIO_PCI_COMMON_STATUS) : (uint8_t)r32(MMIO_BASE + VIRTIO_MMIO_STATUS);
}

static void driver_features(uint32_t word, uint32_t v)
{
	if (pci) {
		w32(common + VIRTIO_PCI_COMMON_GFSELECT, word);
		w32(common + VIRTIO_PCI_COMMON_GF, v);
	} else {
		w32(MMIO_BASE + VIRTIO_MMIO_DRIVER_FEATURES_SEL, word);
		w32(MMIO_BASE + VIRTIO_MMIO_DRIVER_FEATURES, v);
	}
}

/* Queue registers, by what they set: the two transports' offsets. */
enum { Q_SEL, Q_NUM, Q_DESC, Q_AVAIL, Q_USED, Q_READY };
static const uint32_t mmio_reg[] = {
	VIRTIO_MMIO_QUEUE_SEL, VIRTIO_MMIO_QUEUE_NUM, VIRTIO_MMIO_QUEUE_DESC_LOW,
	VIRTIO_MMIO_QUEUE_AVAIL_LOW, VIRTIO_MMIO_QUEUE_USED_LOW, VIRTIO_MMIO_QUEUE_READY,
};
static const uint32_t pci_reg[] = {
	VIRTIO_PCI_COMMON_Q_SELECT, VIRTIO_PCI_COMMON_Q_SIZE, VIRTIO_PCI_COMMON_Q_DESCLO,
	VIRTIO_PCI_COMMON_Q_AVAILLO, VIRTIO_PCI_COMMON_Q_USEDLO, VIRTIO_PCI_COMMON_Q_ENABLE,
};

/* Write queue register R: addresses as two 32-bit halves, the others as
 * 16 bits (PCI) or 32 (MMIO). */
static void q_reg(unsigned r, uint64_t v)
{
	uint64_t at = pci ? common + pci_reg[r] : MMIO_BASE + mmio_reg[r];

	if (r == Q_DESC || r == Q_AVAIL || r == Q_USED) {
		w32(at, (uint32_t)v);
		w32(at + 4, (uint32_t)(v >> 32));
	} else if (pci) {
		w16(at, (uint16_t)v);
	} else {
		w32(at, (uint32_t)v);
	}
}

static void queue_setup(unsigned q)
{
	uint64_t d = RING_GPA(q);

	memset((void *)d, 0, 0x3000);
	q_reg(Q_SEL, q);
	q_reg(Q_NUM, QSIZE);
	q_reg(Q_DESC, d);
	q_reg(Q_AVAIL, d + 0x1000);
	q_reg(Q_USED, d + 0x2000);
	q_reg(Q_READY, 1);
}

static void notify(unsigned q)
{
	if (pci)
		w16(notify_base + q * notify_mult, (uint16_t)q); /* every queue's notify offset is its index */
	else
		w32(MMIO_BASE + VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static uint64_t read_cid(void)
{
	uint64_t base = pci ? devcfg : MMIO_BASE + VIRTIO_MMIO_CONFIG;

	return r32(base) | (uint64_t)r32(base + 4) << 32;
}

static int init_device(void)
{
	pci = r32(MMIO_BASE) != VIRTIO_MMIO_MAGIC;
	if (pci && !find_pci())
		return 0;
	if (!pci && r32(MMIO_BASE + VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_VSOCK)
		return 0;
	set_status(0);
	set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	driver_features(0, 0);
	driver_features(1, 1); /* VERSION_1 only */
	set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < 3; q++)
		queue_setup(q);
	set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		   VIRTIO_STATUS_DRIVER_OK);
	return get_status() == (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

/* --- rings ------------------------------------------------------------------ */

static volatile struct virtq_desc *desc(unsigned q) { return (volatile struct virtq_desc *)RING_GPA(q); }
static volatile struct virtq_avail *avail(unsigned q) { return (volatile struct virtq_avail *)(RING_GPA(q) + 0x1000); }
static volatile struct virtq_used *used(unsigned q) { return (volatile struct virtq_used *)(RING_GPA(q) + 0x2000); }

static void post(unsigned q, uint16_t head)
{
	avail(q)->ring[avail_idx[q] % QSIZE] = head;
	avail_idx[q]++;
	__atomic_store_n(&avail(q)->idx, avail_idx[q], __ATOMIC_RELEASE);
	notify(q);
}

static void post_rx(uint16_t i)
{
	desc(RXQ)[i].addr = RXBUF_GPA + 8192UL * i;
	desc(RXQ)[i].len = RXBUF_LEN;
	desc(RXQ)[i].flags = VIRTQ_DESC_F_WRITE;
	post(RXQ, i);
}

/* Send header H and LEN bytes at DATA (one chain: header, then data), and
 * wait until the device has used it. */
static int send_raw(const struct hdr *h, uint32_t hdr_len, const uint8_t *data, uint32_t len)
{
	volatile struct virtq_desc *d = desc(TXQ);
	uint8_t *buf = (uint8_t *)TXBUF_GPA;

	memcpy(buf, h, sizeof(*h));
	if (len)
		memcpy(buf + 64, data, len);
	d[0] = (struct virtq_desc){ .addr = TXBUF_GPA, .len = hdr_len, .flags = len ? VIRTQ_DESC_F_NEXT : 0, .next = 1 };
	d[1] = (struct virtq_desc){ .addr = TXBUF_GPA + 64, .len = len, .flags = 0 };
	post(TXQ, 0);
	for (unsigned long i = 0; i < SPIN; i++)
		if (__atomic_load_n(&used(TXQ)->idx, __ATOMIC_ACQUIRE) == avail_idx[TXQ])
			return 1;
	return 0;
}

static struct hdr hdr_for(const struct conn *c, uint16_t op, uint32_t len)
{
	return (struct hdr){ .src_cid = cid, .dst_cid = HOST_CID, .src_port = c->guest_port,
			     .dst_port = c->host_port, .len = len, .type = 1, .op = op,
			     .buf_alloc = GUEST_BUF, .fwd_cnt = c->fwd_cnt };
}

static void send_op(struct conn *c, uint16_t op, uint32_t flags)
{
	struct hdr h = hdr_for(c, op, 0);

	h.flags = flags;
	c->fwd_sent = c->fwd_cnt;
	check(send_raw(&h, sizeof(h), 0, 0), "the device used a control packet");
}

static uint32_t credit(const struct conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight > c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

/* Send up to LEN bytes within the device's credit: bytes sent. */
static uint32_t send_data(struct conn *c, const uint8_t *data, uint32_t len)
{
	struct hdr h;

	if (len > credit(c))
		len = credit(c);
	if (len > 4096)
		len = 4096;
	if (!len)
		return 0;
	h = hdr_for(c, OP_RW, len);
	c->fwd_sent = c->fwd_cnt;
	check(send_raw(&h, sizeof(h), data, len), "the device used a data packet");
	c->tx_cnt += len;
	return len;
}

/* --- receiving ---------------------------------------------------------------- */

/* We consumed N bytes of C: give the credit back once half is used. */
static void consumed(struct conn *c, uint32_t n)
{
	c->fwd_cnt += n;
	if (c->fwd_cnt - c->fwd_sent >= GUEST_BUF / 2 && c->open && !c->rst)
		send_op(c, OP_CREDIT_UPDATE, 0);
}

static void on_data(struct conn *c, const volatile uint8_t *p, uint32_t len)
{
	check(len <= GUEST_BUF - (c->rx_cnt - c->fwd_cnt), "the device kept within our credit");
	c->rx_cnt += len;
	c->in_bytes += len;
	c->in_fnv = fnv(c->in_fnv, p, len);
	if (c != &B) {
		consumed(c, len);
		return;
	}
	for (uint32_t i = 0; i < len && echo_len < sizeof(echo); i++)
		echo[echo_len++] = p[i];
}

static struct conn *conn_of(const struct hdr *h)
{
	if (h->dst_port == A.guest_port && h->src_port == A.host_port)
		return &A;
	if (B.host_port && h->dst_port == B.guest_port && h->src_port == B.host_port)
		return &B;
	return 0;
}

static void on_packet(const volatile uint8_t *p, uint32_t used_len)
{
	struct hdr h;
	struct conn *c;

	memcpy(&h, (const void *)p, sizeof(h));
	check(used_len == sizeof(h) + h.len, "used length is header + payload");
	check(h.dst_cid == cid && h.type == 1, "packets come to our CID, stream type");
	if (h.op == OP_RST && h.dst_port >= 7000 && h.dst_port < 7008) {
		rst_for[h.dst_port - 7000]++;
		rst_cid[h.dst_port - 7000] = h.src_cid;
		return;
	}
	if (h.op == OP_REQUEST && h.dst_port == B_GUEST_PORT && !B.host_port) {
		check(h.src_cid == HOST_CID, "host connections come from CID 2");
		B.host_port = h.src_port;
		B.guest_port = B_GUEST_PORT;
		B.peer_buf_alloc = h.buf_alloc;
		B.peer_fwd_cnt = h.fwd_cnt;
		B.open = 1;
		send_op(&B, OP_RESPONSE, 0);
		return;
	}
	c = conn_of(&h);
	if (!c) {
		check(0, "a packet for a connection we know");
		return;
	}
	c->peer_buf_alloc = h.buf_alloc;
	c->peer_fwd_cnt = h.fwd_cnt;
	switch (h.op) {
	case OP_RESPONSE: c->open = 1; break;
	case OP_RW: on_data(c, p + sizeof(h), h.len); break;
	case OP_SHUTDOWN: c->peer_shut |= h.flags; break;
	case OP_RST: c->rst = 1; break;
	case OP_CREDIT_UPDATE: break;
	default: check(0, "an op the device sends");
	}
}

/* Take what the device put in the receive queue; 1 if there was any. */
static int poll_rx(void)
{
	int any = 0;

	while (__atomic_load_n(&used(RXQ)->idx, __ATOMIC_ACQUIRE) != used_seen[RXQ]) {
		volatile struct virtq_used_elem *e = &used(RXQ)->ring[used_seen[RXQ] % QSIZE];
		uint16_t id = (uint16_t)e->id;

		on_packet((const volatile uint8_t *)(RXBUF_GPA + 8192UL * id), e->len);
		used_seen[RXQ]++;
		post_rx(id);
		any = 1;
	}
	return any;
}

/* Poll until DONE() or the bound; 1 if done. */
static int wait_for(int (*done)(void))
{
	for (unsigned long i = 0; i < SPIN; i++) {
		if (done())
			return 1;
		if (!poll_rx())
			__asm__ volatile("pause");
	}
	return 0;
}

/* --- A: the guest connects out ------------------------------------------------- */

static int a_open(void) { return A.open || A.rst; }
static int a_ended(void) { return (A.peer_shut & 3) == 3 || A.rst; }
static int a_has_credit(void) { return credit(&A) > 0 || A.rst; }

static void conn_a(void)
{
	uint8_t chunk[4096];
	uint64_t sent = 0, out_fnv = FNV_INIT;

	A = (struct conn){ .host_port = A_HOST_PORT, .guest_port = PORT_A_GUEST, .in_fnv = FNV_INIT };
	send_op(&A, OP_REQUEST, 0);
	check(wait_for(a_open) && A.open && !A.rst, "A: the host accepted (RESPONSE)");
	while (A.open && !A.rst && sent < A_OUT_BYTES) {
		uint32_t n = A_OUT_BYTES - sent > sizeof(chunk) ? sizeof(chunk) : (uint32_t)(A_OUT_BYTES - sent);

		for (uint32_t i = 0; i < n; i++)
			chunk[i] = pattern(sent + i);
		if (!wait_for(a_has_credit) || A.rst)
			break;
		n = send_data(&A, chunk, n);
		out_fnv = fnv(out_fnv, chunk, n);
		sent += n;
		poll_rx();
	}
	check(sent == A_OUT_BYTES, "A: every byte sent");
	print("vsock: A out ");
	putu(sent);
	print(" ");
	putx(out_fnv);
	print("\n");
	send_op(&A, OP_SHUTDOWN, 2); /* we send no more */
	check(wait_for(a_ended) && !A.rst, "A: the host answered and shut down");
	print("vsock: A in ");
	putu(A.in_bytes);
	print(" ");
	putx(A.in_fnv);
	print("\n");
	send_op(&A, OP_RST, 0); /* as Linux does when its peer has shut both ways */
}

/* --- B: the host connects in; we echo ------------------------------------------- */

static int b_open(void) { return B.open; }

static int b_step(void)
{
	uint32_t n;

	if (B.rst)
		return 1;
	if (echo_len) {
		n = send_data(&B, echo, echo_len);
		if (n) {
			echo_fnv = fnv(echo_fnv, echo, n);
			echo_total += n;
			memcpy(echo, echo + n, echo_len - n);
			echo_len -= n;
			consumed(&B, n);
		}
	}
	/* The host shut its side and everything is echoed. */
	return (B.peer_shut & 2) && !echo_len;
}

static int b_closed(void) { return B.rst; }

static void conn_b(void)
{
	echo_fnv = FNV_INIT;
	B.in_fnv = FNV_INIT;
	check(wait_for(b_open), "B: the host's connection arrived (REQUEST)");
	print("vsock: B host port ");
	putu(B.host_port);
	print("\n");
	check(wait_for(b_step) && !B.rst, "B: everything echoed");
	check(B.in_bytes == echo_total, "B: echoed what came in");
	print("vsock: B echoed ");
	putu(echo_total);
	print(" ");
	putx(echo_fnv);
	print("\n");
	send_op(&B, OP_SHUTDOWN, 3);
	check(wait_for(b_closed), "B: closed: the device answered our SHUTDOWN with RST");
}

/* --- hostile packets ------------------------------------------------------------- */

static unsigned hostile_port;
static int rst_came(void) { return rst_for[hostile_port - 7000] != 0; }

/* Send a packet from guest port PORT; expect an RST (EXPECT_RST) or none. */
static void hostile(uint32_t port, struct hdr h, uint32_t hdr_len, uint32_t data_len, int expect_rst,
		    int error, const char *what)
{
	static uint8_t junk[64];

	hostile_port = port;
	h.src_port = port;
	check(send_raw(&h, hdr_len, junk, data_len), what);
	/* A packet that must go unanswered is checked at the end: the
	 * device answers in order, so a later RST shows it had its turn. */
	if (expect_rst)
		check(wait_for(rst_came), what);
	errors += (unsigned long)error;
}

static void hostile_packets(void)
{
	struct conn none = { .host_port = 5999, .guest_port = 7000 };
	struct hdr h = hdr_for(&none, OP_REQUEST, 0);

	h.dst_cid = 5;
	hostile(7000, h, sizeof(h), 0, 1, 0, "REQUEST to CID 5: RST");
	check(rst_cid[0] == 5, "the RST comes from the CID we asked for");
	h = hdr_for(&none, 99, 0);
	hostile(7001, h, sizeof(h), 0, 1, 1, "unknown op 99: RST (1 error)");
	h = hdr_for(&none, OP_RW, 1000);
	hostile(7002, h, sizeof(h), 64, 1, 1, "RW saying 1000 bytes in a 64-byte chain: RST (1 error)");
	h = hdr_for(&none, OP_REQUEST, 0);
	h.dst_port = 5001;
	hostile(7003, h, sizeof(h), 0, 1, 0, "REQUEST to a host port nobody listens on: RST");
	h = hdr_for(&none, OP_REQUEST, 0);
	h.type = 2;
	hostile(7004, h, sizeof(h), 0, 1, 0, "SEQPACKET REQUEST (not offered): RST");
	h = hdr_for(&none, OP_RW, 0);
	h.src_cid = cid + 1;
	hostile(7005, h, sizeof(h), 0, 0, 1, "a packet from another CID: dropped (1 error)");
	hostile(7006, h, 20, 0, 0, 1, "a 20-byte header: dropped (1 error)");
	h = hdr_for(&none, OP_RW, 10);
	hostile(7007, h, sizeof(h), 10, 1, 0, "RW without a connection: RST");
	check(rst_for[5] == 0 && rst_for[6] == 0, "nothing answers a dropped packet");
}

void guest_main(void)
{
	print("vsock: start\n");
	if (!init_device()) {
		print("vsock: FAIL no virtio-vsock device running\n");
		poweroff();
	}
	cid = read_cid();
	print(pci ? "vsock: pci" : "vsock: mmio");
	print(" cid ");
	putu(cid);
	print("\n");
	for (uint16_t i = 0; i < QSIZE; i++)
		post_rx(i);
	desc(EVQ)[0] = (struct virtq_desc){ .addr = EVBUF_GPA, .len = 4, .flags = VIRTQ_DESC_F_WRITE };
	post(EVQ, 0);
	conn_a();
	conn_b();
	hostile_packets();
	check(used(EVQ)->idx == 0, "no event without a reset");
	print("vsock: counts errors ");
	putu(errors);
	print("\n");
	print(bad_checks ? "vsock: checks FAILED\n" : "vsock: all checks passed\n");
	poweroff();
}
