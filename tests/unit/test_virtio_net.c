/* virtio-net (src/virtio/net.c, src/backends/tap.c) against a real tap in
 * a private network namespace: the test plays the guest driver (rings in a
 * small guest memory, notifications through the queues' eventfds) while
 * the device's own I/O thread runs as in a VM, and the host kernel's IP
 * stack is the other end of the tap (10.9.0.1 on the tap; the "guest" is
 * 10.9.0.2, with a static ARP entry so that each datagram is one frame).
 * Needs root (unshare, /dev/net/tun); skipped otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/guest_mem.h"
#include "mmds/mmds.h"
#include "mmds/stack.h"
#include "core/vm.h"
#include "virtio/virtio_devices.h"
#include "unit.h"
#include "virtio_fixture.h"

#define TAP "wt0"
#define QSIZE 16
#define RXQ 0
#define TXQ 1
#define RXQ1 2 /* pair 1's receive queue, with VIRTIO_NET_F_MQ */
#define CTRLQ 2
#define HDR 12       /* struct virtio_net_hdr_v1 */
#define FRAME_HDRS 42 /* Ethernet 14 + IPv4 20 + UDP 8 */
#define HOST_PORT 7000
#define GUEST_PORT 7001

#define F_CSUM (1ULL << 0)
#define F_GUEST_CSUM (1ULL << 1)
#define F_GUEST_TSO4 (1ULL << 7)
#define F_MRG_RXBUF (1ULL << 15)
#define F_CTRL_VQ (1ULL << 17)
#define F_MQ (1ULL << 22)
#define F_INDIRECT (1ULL << 28)
#define F_NOTF_COAL (1ULL << 53)
#define F_VERSION_1 (1ULL << 32)

static const uint8_t guest_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static bool have_netns;
static struct mmds *dev_store; /* mmds=on for the next dev_up(), with this store */
static uint32_t dev_poll_us; /* poll=US for the next dev_up() */
static unsigned dev_queues;   /* queues=N for the next dev_up() */
static struct rate_spec dev_rx_rate; /* rx-bw= / rx-ops= for the next dev_up() */

/* The driver's side of one device. */
static struct drv {
	struct vm vm;    /* fake: guest memory only */
	struct guest_mem mem;
	int irq_fd;      /* the stand-in transport's interrupts */
	struct virtio_dev *vd;
	uint16_t next_desc[8], avail_idx[8];
	unsigned ctrlq;  /* where the control queue is (2, or 2 N with MQ) */
	uint64_t bump;   /* next free guest address for buffers */
	int udp;         /* host socket at 10.9.0.1:HOST_PORT */
	uint8_t tap_mac[6];
	uint64_t rx_buf[QSIZE]; /* receive buffers posted, in order */
	uint16_t rx_head[QSIZE];
	unsigned rx_n;
} D;

static void *gp(uint64_t gpa, uint64_t len)
{
	return vt_gp(&D.mem, gpa, len);
}

static uint64_t galloc(uint64_t len)
{
	uint64_t a = D.bump;

	D.bump = (D.bump + len + 63) & ~63ULL;
	assert_true(D.bump < D.mem.size);
	return a;
}

static struct virtq_desc *desc(unsigned q, uint16_t i) { return vt_desc(&D.mem, q, i); }
static struct virtq_used *used(unsigned q) { return vt_used(&D.mem, q); }

/* One descriptor; NEXT links it to the one allocated after it. */
static uint16_t add_desc(unsigned q, uint64_t gpa, uint32_t len, uint16_t flags)
{
	uint16_t i = D.next_desc[q]++ % QSIZE;

	*desc(q, i) = (struct virtq_desc){ .addr = gpa, .len = len, .flags = flags,
					   .next = (uint16_t)((i + 1) % QSIZE) };
	return i;
}

static void post(unsigned q, uint16_t head) { vt_post(&D.mem, q, QSIZE, &D.avail_idx[q], head); }
static void kick(unsigned q) { vt_kick(D.vd, q); }
static uint16_t used_idx(unsigned q) { return vt_used_idx(&D.mem, q); }

/* Wait (at most 3 s) until the device has used N chains of queue Q. */
static void wait_used(unsigned q, uint16_t n)
{
	for (int i = 0; i < 300 && used_idx(q) < n; i++)
		usleep(10000);
	assert_int_equal(used_idx(q), n);
}

static uint64_t counter(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* --- the host side of the tap ----------------------------------------------- */

static void set_addr(struct sockaddr *sa, const char *ip)
{
	struct sockaddr_in *in = (struct sockaddr_in *)sa;

	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
}

/* 10.9.0.1/24 on the tap, up, and 10.9.0.2 at guest_mac for good. */
static void host_net_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	struct arpreq arp;

	assert_true(s >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), TAP);
	set_addr(&ifr.ifr_addr, "10.9.0.1");
	assert_int_equal(ioctl(s, SIOCSIFADDR, &ifr), 0);
	set_addr(&ifr.ifr_netmask, "255.255.255.0");
	assert_int_equal(ioctl(s, SIOCSIFNETMASK, &ifr), 0);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	assert_int_equal(ioctl(s, SIOCGIFHWADDR, &ifr), 0);
	memcpy(D.tap_mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&arp, 0, sizeof(arp));
	set_addr(&arp.arp_pa, "10.9.0.2");
	arp.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(arp.arp_ha.sa_data, guest_mac, 6);
	arp.arp_flags = ATF_PERM | ATF_COM;
	snprintf(arp.arp_dev, sizeof(arp.arp_dev), TAP);
	assert_int_equal(ioctl(s, SIOCSARP, &arp), 0);
	close(s);

	D.udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(D.udp >= 0);
	{
		struct sockaddr_in a;

		set_addr((struct sockaddr *)&a, "10.9.0.1");
		a.sin_port = htons(HOST_PORT);
		assert_int_equal(bind(D.udp, (struct sockaddr *)&a, sizeof(a)), 0);
	}
}

/* The host sends a datagram to the guest: one frame into the tap. */
static void host_send(const void *payload, size_t n)
{
	struct sockaddr_in to;

	set_addr((struct sockaddr *)&to, "10.9.0.2");
	to.sin_port = htons(GUEST_PORT);
	assert_int_equal(sendto(D.udp, payload, n, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)n);
}

/* A datagram the guest sent, or -1 after 2 s. */
static ssize_t host_recv(void *buf, size_t n)
{
	struct pollfd p = { .fd = D.udp, .events = POLLIN };

	if (poll(&p, 1, 2000) != 1)
		return -1;
	return recv(D.udp, buf, n, MSG_DONTWAIT);
}

static uint16_t ip_csum(const uint8_t *h, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Ethernet + IPv4 + UDP (no UDP checksum) from the guest to the host. */
static size_t guest_frame(uint8_t *f, const void *payload, size_t n)
{
	uint8_t *ip = f + 14, *udp = f + 34;
	uint16_t c;

	memcpy(f, D.tap_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((28 + n) >> 8);
	ip[3] = (uint8_t)(28 + n);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 10, 9, 0, 2 }, 4);
	memcpy(ip + 16, (uint8_t[]){ 10, 9, 0, 1 }, 4);
	c = ip_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = GUEST_PORT >> 8;
	udp[1] = GUEST_PORT & 0xff;
	udp[2] = HOST_PORT >> 8;
	udp[3] = HOST_PORT & 0xff;
	udp[4] = (uint8_t)((8 + n) >> 8);
	udp[5] = (uint8_t)(8 + n);
	udp[6] = udp[7] = 0;
	memcpy(f + FRAME_HDRS, payload, n);
	return FRAME_HDRS + n;
}

/* --- device set-up ---------------------------------------------------------- */

static void queue_up(unsigned q)
{
	vt_queue_up(D.vd, &D.mem, q, QSIZE);
}

/* A device on TAP as the transport would make it, its queues activated by
 * the "driver" with FEATURES, started, its I/O thread running. */
static void dev_up(uint64_t features)
{
	struct net_spec spec = { .tap = TAP, .has_mac = true, .poll_us = dev_poll_us, .queues = dev_queues };
	struct virtio_dev *vd;

	memcpy(spec.mac, guest_mac, 6);
	memset(&D, 0, sizeof(D)); /* also forgets the buffers of the last test */
	assert_int_equal(gmem_map(&D.mem, 4 * GMEM_MIB), 0);
	D.vm.mem = D.mem;
	D.bump = 0x100000;
	D.udp = -1;
	spec.mmds = dev_store != NULL;
	spec.rx_rate = dev_rx_rate;
	vd = D.vd = virtio_net_create(&spec, 0, dev_store, MMDS_DEFAULT_IPV4);
	assert_non_null(vd);
	vt_attach(vd, &D.vm, &D.irq_fd);
	host_net_up();
	for (unsigned q = 0; q < vd->type.nqueues; q++)
		queue_up(q);
	D.ctrlq = (features & F_MQ) ? vd->type.nqueues - 1 : CTRLQ;
	if (!(features & F_MQ)) /* the driver sets up the first pair and queue 2 only */
		for (unsigned q = 3; q < vd->type.nqueues; q++)
			D.vd->queue_ready[q] = false;
	vd->driver_features = features | F_VERSION_1;
	for (unsigned q = 0; q < vd->type.nqueues; q++) /* as DRIVER_OK sets it */
		vd->vq[q].indirect = (features & F_INDIRECT) != 0;
	assert_int_equal(vd->ops->start(vd), 0);
	assert_int_equal(virtio_dev_start_worker(vd), 0);
}

/* Also the teardown of every test, failed or not. */
static int dev_down(void **state)
{
	struct virtio_dev *vd = D.vd;

	(void)state;
	if (!vd)
		return 0;
	D.vd = NULL;
	vt_detach(vd, D.irq_fd);
	if (D.udp >= 0)
		close(D.udp);
	gmem_unmap(&D.mem);
	return 0;
}

/* --- transmit --------------------------------------------------------------- */

static uint16_t tx_post_q(unsigned q, const void *payload, size_t n)
{
	uint64_t h = galloc(HDR), f = galloc(FRAME_HDRS + n);
	uint16_t head;

	memset(gp(h, HDR), 0, HDR);
	guest_frame(gp(f, FRAME_HDRS + n), payload, n);
	head = add_desc(q, h, HDR, VIRTQ_DESC_F_NEXT);
	add_desc(q, f, (uint32_t)(FRAME_HDRS + n), 0);
	post(q, head);
	return head;
}

static uint16_t tx_post(const void *payload, size_t n)
{
	return tx_post_q(TXQ, payload, n);
}

static void test_tx_frames_reach_the_host(void **state)
{
	char buf[256];
	uint16_t h1, h2;

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	dev_up(F_CSUM);
	h1 = tx_post("hello host", 10);
	h2 = tx_post("second", 6);
	kick(TXQ);
	wait_used(TXQ, 2);
	assert_int_equal(used(TXQ)->ring[0].id, h1);
	assert_int_equal(used(TXQ)->ring[0].len, 0);
	assert_int_equal(used(TXQ)->ring[1].id, h2);
	assert_int_equal(host_recv(buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "hello host", 10);
	assert_int_equal(host_recv(buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "second", 6);
	assert_int_equal(counter(&D.vd->counters.requests), 2);
	assert_int_equal(counter(&D.vd->counters.bytes), 2 * FRAME_HDRS + 16);
	assert_int_equal(counter(&D.vd->counters.errors), 0);
}

/* Malformed frames are dropped and counted; the device keeps working. */
static void test_tx_malformed_dropped(void **state)
{
	uint64_t b = 0;
	char buf[64];

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	dev_up(0);
	b = galloc(70000);
	post(TXQ, add_desc(TXQ, b, 6, 0));                     /* shorter than the header */
	post(TXQ, add_desc(TXQ, b, HDR + 64, VIRTQ_DESC_F_NEXT)); /* with a writable part */
	add_desc(TXQ, b + 100, 64, VIRTQ_DESC_F_WRITE);
	post(TXQ, add_desc(TXQ, b, HDR + 65536 + 18 + 1, 0)); /* longer than 64 KiB + headers */
	kick(TXQ);
	wait_used(TXQ, 3);
	assert_int_equal(counter(&D.vd->counters.errors), 3);
	assert_int_equal(counter(&D.vd->counters.requests), 0);
	assert_int_equal(host_recv(buf, sizeof(buf)), -1);
	assert_false(virtio_failed(D.vd));
	tx_post("still works", 11);
	kick(TXQ);
	wait_used(TXQ, 4);
	assert_int_equal(host_recv(buf, sizeof(buf)), 11);
	assert_int_equal(counter(&D.vd->counters.requests), 1);
}

/* A control command: class, command, DATA; returns the device's ack (0xee:
 * none written). */
static uint8_t ctrl(uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
	uint64_t b = galloc(2 + len + 1);
	uint8_t *p = gp(b, 2 + len + 1);
	uint16_t head, n = used_idx(D.ctrlq);

	p[0] = cls;
	p[1] = cmd;
	memcpy(p + 2, data, len);
	p[2 + len] = 0xee;
	head = add_desc(D.ctrlq, b, 2 + len, VIRTQ_DESC_F_NEXT);
	add_desc(D.ctrlq, b + 2 + len, 1, VIRTQ_DESC_F_WRITE);
	post(D.ctrlq, head);
	kick(D.ctrlq);
	wait_used(D.ctrlq, (uint16_t)(n + 1));
	return p[2 + len];
}

/* The same command laid out as Linux 6.1's virtnet_send_command does:
 * three buffers of its struct control_buf (class and command at 0, the
 * ack at 2, the data at 4: the ack lies between them), each its own
 * descriptor, in an indirect table (VIRTIO_F_INDIRECT_DESC). */
static uint8_t ctrl_linux(uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
	uint64_t b = galloc(4 + len), t = galloc(3 * sizeof(struct virtq_desc));
	uint8_t *p = gp(b, 4 + len);
	struct virtq_desc *tab = gp(t, 3 * sizeof(struct virtq_desc));
	uint16_t n = used_idx(D.ctrlq);

	p[0] = cls;
	p[1] = cmd;
	p[2] = 0xee;
	memcpy(p + 4, data, len);
	tab[0] = (struct virtq_desc){ .addr = b, .len = 2, .flags = VIRTQ_DESC_F_NEXT, .next = 1 };
	tab[1] = (struct virtq_desc){ .addr = b + 4, .len = len, .flags = VIRTQ_DESC_F_NEXT, .next = 2 };
	tab[2] = (struct virtq_desc){ .addr = b + 2, .len = 1, .flags = VIRTQ_DESC_F_WRITE };
	post(D.ctrlq, add_desc(D.ctrlq, t, 3 * sizeof(struct virtq_desc), VIRTQ_DESC_F_INDIRECT));
	kick(D.ctrlq);
	wait_used(D.ctrlq, (uint16_t)(n + 1));
	assert_int_equal(used(D.ctrlq)->ring[n % QSIZE].len, 1);
	return p[2];
}

static uint64_t irqs_after(uint64_t want, int ms)
{
	for (int i = 0; i < ms && counter(&D.vd->counters.interrupts) < want; i++)
		usleep(1000);
	return counter(&D.vd->counters.interrupts);
}

/* NOTF_COAL over the control queue: transmit interrupts wait for 3
 * frames, or 300 ms after the first; unknown commands, and coalescing
 * the driver did not negotiate, are answered VIRTIO_NET_ERR; a command
 * with no room for the ack is an error, not a failed device. */
static void test_ctrl_coalescing(void **state)
{
	uint32_t coal[2] = { 3, 300000 }; /* max_packets, usecs */
	uint64_t irqs;
	char buf[64];
	struct timespec t0, t1;

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	dev_up(F_CSUM | F_CTRL_VQ | F_NOTF_COAL);
	assert_int_equal(D.vd->type.nqueues, 3);
	assert_true(D.vd->type.features & F_CTRL_VQ);
	assert_true(D.vd->type.features & F_NOTF_COAL);
	assert_int_equal(ctrl(6, 0, coal, sizeof(coal)), 0);    /* TX_SET: OK */
	assert_int_equal(ctrl(6, 7, coal, sizeof(coal)), 1);    /* no such command */
	assert_int_equal(ctrl(6, 0, coal, 4), 1);               /* short */
	assert_int_equal(ctrl(1, 0, (uint8_t[]){ 1 }, 1), 1);   /* CTRL_RX: not offered */
	assert_int_equal(counter(&D.vd->counters.errors), 3);    /* each refusal counted */
	irqs = irqs_after(0, 0); /* the control queue's own interrupts */
	tx_post("a", 1);
	kick(TXQ);
	wait_used(TXQ, 1);
	tx_post("b", 1);
	kick(TXQ);
	wait_used(TXQ, 2);
	assert_int_equal(counter(&D.vd->counters.interrupts), irqs); /* held back */
	assert_true(counter(&D.vd->counters.interrupts_suppressed) >= 2);
	tx_post("c", 1);
	kick(TXQ);
	wait_used(TXQ, 3);
	assert_int_equal(irqs_after(irqs + 1, 3000), irqs + 1); /* the third: at once */
	for (int i = 0; i < 3; i++)
		assert_int_equal(host_recv(buf, sizeof(buf)), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tx_post("d", 1);
	kick(TXQ);
	wait_used(TXQ, 4);
	assert_int_equal(irqs_after(irqs + 2, 5000), irqs + 2); /* the timer's */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 250);
	/* No room for the ack: counted, answered empty, the device goes on. */
	post(CTRLQ, add_desc(CTRLQ, galloc(4), 4, 0));
	kick(CTRLQ);
	wait_used(CTRLQ, 5);
	assert_int_equal(counter(&D.vd->counters.errors), 4);
	assert_false(virtio_failed(D.vd));
	/* Without NOTF_COAL negotiated the command is refused. */
	dev_down(NULL);
	dev_up(F_CSUM | F_CTRL_VQ);
	assert_int_equal(ctrl(6, 0, coal, sizeof(coal)), 1);
}

/* One datagram from the host's port PORT (a flow of its own) to the guest. */
static void host_send_from(uint16_t port)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a, to;

	assert_true(s >= 0);
	set_addr((struct sockaddr *)&a, "10.9.0.1");
	a.sin_port = htons(port);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	set_addr((struct sockaddr *)&to, "10.9.0.2");
	to.sin_port = htons(GUEST_PORT);
	assert_int_equal(sendto(s, "flow", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	close(s);
}

/* Receive buffers posted per queue, to keep each ring topped up. */
static uint16_t rx_posted[8];

static void rx_top_up(unsigned q)
{
	unsigned n = 0;

	while ((uint16_t)(rx_posted[q] - used_idx(q)) < QSIZE) {
		post(q, add_desc(q, galloc(2048), 2048, VIRTQ_DESC_F_WRITE));
		rx_posted[q]++;
		n++;
	}
	if (n)
		kick(q);
}

/* Wait (at most 5 s, topping up) until the receive queues Q0 and Q1 used
 * WANT buffers together (one packet each: no mergeable buffers). */
static void rx_collect(unsigned q0, unsigned q1, unsigned want)
{
	for (int i = 0; i < 500 && (unsigned)(used_idx(q0) + used_idx(q1)) < want; i++) {
		rx_top_up(q0);
		rx_top_up(q1);
		usleep(10000);
	}
	assert_int_equal(used_idx(q0) + used_idx(q1), want);
}

/* queues=2: MQ offered with max_virtqueue_pairs 2 and 5 queues (the
 * control queue last); one pair in use until VQ_PAIRS_SET (all flows
 * arrive on receiveq1), then the host's flows spread over both receive
 * queues and the second pair transmits; bad pair counts are refused. */
static void test_multiqueue(void **state)
{
	uint16_t two = 2, three = 3, zero = 0, one = 1;
	unsigned base;
	char buf[64];

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	dev_queues = 2;
	dev_up(F_CSUM | F_CTRL_VQ | F_MQ);
	dev_queues = 0;
	memset(rx_posted, 0, sizeof(rx_posted));
	assert_int_equal(D.vd->type.nqueues, 5);
	assert_true(D.vd->type.features & F_MQ);
	assert_int_equal(u_rd16(D.vd->config + 8), 2);
	assert_int_equal(D.ctrlq, 4);
	rx_top_up(0);
	rx_top_up(2);
	for (uint16_t i = 0; i < 8; i++)
		host_send_from((uint16_t)(7100 + i));
	rx_collect(0, 2, 8);
	assert_int_equal(used_idx(2), 0); /* multiqueue not on yet */
	assert_int_equal(ctrl(4, 0, &three, 2), 1);
	assert_int_equal(ctrl(4, 0, &zero, 2), 1);
	assert_int_equal(ctrl(4, 1, &two, 2), 1); /* no such command */
	assert_int_equal(counter(&D.vd->counters.errors), 3); /* each refusal counted */
	assert_int_equal(ctrl(4, 0, &two, 2), 0);
	for (uint16_t i = 0; i < 32; i++)
		host_send_from((uint16_t)(7200 + i));
	rx_collect(0, 2, 8 + 32);
	assert_true(used_idx(2) > 0);
	assert_true(used_idx(0) > 8);
	tx_post_q(3, "pair two", 8);
	kick(3);
	wait_used(3, 1);
	assert_int_equal(host_recv(buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "pair two", 8);
	/* Back to one pair: every flow on receiveq1 again. */
	assert_int_equal(ctrl(4, 0, &one, 2), 0);
	base = used_idx(2);
	for (uint16_t i = 0; i < 8; i++)
		host_send_from((uint16_t)(7300 + i));
	rx_collect(0, 2, 8 + 32 + 8);
	assert_int_equal(used_idx(2), base);
	assert_int_equal(counter(&D.vd->counters.errors), 3); /* no more than the refusals */
	/* Linux's own layout (indirect, the ack between header and data): the
	 * emulated tier's 6.1 guest sends exactly this at probe. */
	dev_down(NULL);
	dev_queues = 2;
	dev_up(F_CSUM | F_CTRL_VQ | F_MQ | F_INDIRECT);
	dev_queues = 0;
	assert_int_equal(ctrl_linux(4, 0, &two, 2), 0);
	assert_int_equal(ctrl_linux(4, 0, &three, 2), 1);
	assert_int_equal(ctrl_linux(4, 0, &one, 2), 0);
	assert_int_equal(counter(&D.vd->counters.errors), 1);
	/* A driver without MQ: queue 2 is its control queue, not the second
	 * pair's receive queue. */
	dev_down(NULL);
	dev_queues = 2;
	dev_up(F_CSUM | F_CTRL_VQ | F_NOTF_COAL);
	dev_queues = 0;
	assert_int_equal(D.ctrlq, 2);
	assert_int_equal(ctrl(6, 0, (uint32_t[]){ 1, 1000 }, 8), 0);
	tx_post("one pair", 8);
	kick(TXQ);
	wait_used(TXQ, 1);
	assert_int_equal(host_recv(buf, sizeof(buf)), 8);
}

/* poll=US: after one notification the device finds transmit frames and
 * receive buffers itself (notifications stay off meanwhile); once the
 * window passes without work it asks for transmit notifications again
 * and leaves the receive queue, which still has a buffer in hand, quiet. */
static void test_poll_mode(void **state)
{
	char buf[64];
	int i;

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	dev_poll_us = 200000; /* long: this host's CPUs are shared */
	dev_up(F_CSUM);
	dev_poll_us = 0;
	tx_post("first", 5);
	kick(TXQ);
	wait_used(TXQ, 1);
	tx_post("polled", 6); /* no notification */
	wait_used(TXQ, 2);
	assert_int_equal(__atomic_load_n(&used(TXQ)->flags, __ATOMIC_RELAXED), VIRTQ_USED_F_NO_NOTIFY);
	assert_int_equal(host_recv(buf, sizeof(buf)), 5);
	assert_int_equal(host_recv(buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "polled", 6);
	for (D.rx_n = 0; D.rx_n < 2; D.rx_n++) { /* two buffers, no notification either */
		D.rx_buf[D.rx_n] = galloc(2048);
		D.rx_head[D.rx_n] = add_desc(RXQ, D.rx_buf[D.rx_n], 2048, VIRTQ_DESC_F_WRITE);
		post(RXQ, D.rx_head[D.rx_n]);
	}
	usleep(20000);
	host_send("to guest", 8);
	wait_used(RXQ, 1);
	assert_memory_equal(gp(D.rx_buf[0] + HDR + FRAME_HDRS, 8), "to guest", 8);
	assert_int_equal(counter(&D.vd->counters.notifies), 1);
	assert_true(counter(&D.vd->counters.notifies_suppressed) >= 2);
	/* The window passes: transmit notifications back on. */
	for (i = 0; i < 300 && __atomic_load_n(&used(TXQ)->flags, __ATOMIC_RELAXED); i++)
		usleep(10000);
	assert_int_equal(__atomic_load_n(&used(TXQ)->flags, __ATOMIC_RELAXED), 0);
	assert_int_equal(__atomic_load_n(&used(RXQ)->flags, __ATOMIC_RELAXED), VIRTQ_USED_F_NO_NOTIFY);
	usleep(20000);
	assert_true(counter(&D.vd->counters.poll_ns) >= 200000000ULL);
	tx_post("asleep", 6); /* waits for its notification */
	usleep(50000);
	assert_int_equal(used_idx(TXQ), 2);
	kick(TXQ);
	wait_used(TXQ, 3);
	assert_int_equal(host_recv(buf, sizeof(buf)), 6);
}

/* --- receive ---------------------------------------------------------------- */

static uint16_t num_buffers(uint64_t gpa)
{
	return u_rd16(gp(gpa + 10, 2));
}

/* N more receive buffers of LEN bytes, then a notification. */
static void rx_post(unsigned n, uint32_t len)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned k = D.rx_n++;

		assert_true(k < QSIZE);
		D.rx_buf[k] = galloc(len);
		D.rx_head[k] = add_desc(RXQ, D.rx_buf[k], len, VIRTQ_DESC_F_WRITE);
		post(RXQ, D.rx_head[k]);
	}
	kick(RXQ);
}

/* The N used entries from FIRST hold one packet: check its header's
 * num_buffers and that its payload is PAYLOAD. */
static void check_merged(unsigned first, unsigned n, const void *payload, size_t len)
{
	uint8_t got[2048];
	size_t off = 0;

	assert_int_equal(num_buffers(D.rx_buf[first]), n);
	for (unsigned i = first; i < first + n; i++) {
		const struct virtq_used_elem *e = &used(RXQ)->ring[i];

		assert_int_equal(e->id, D.rx_head[i]);
		assert_true(off + e->len <= sizeof(got));
		memcpy(got + off, gp(D.rx_buf[i], e->len), e->len);
		off += e->len;
	}
	assert_int_equal(off, HDR + FRAME_HDRS + len);
	assert_memory_equal(got + HDR + FRAME_HDRS, payload, len);
}

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Packets that come while the guest has no buffer wait in the tap, without
 * the device spinning, and all arrive once buffers are posted. */
static void test_rx_waits_for_buffers(void **state)
{
	static const char *msg[3] = { "one", "two", "three" };
	double cpu;

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	dev_up(F_GUEST_CSUM | F_GUEST_TSO4 | F_MRG_RXBUF);
	/* The one buffer is used up: the device has been reading the tap. */
	rx_post(1, 2048);
	host_send("zero", 4);
	wait_used(RXQ, 1);
	for (int i = 0; i < 3; i++)
		host_send(msg[i], strlen(msg[i]));
	cpu = cpu_seconds();
	usleep(300000);
	assert_true(cpu_seconds() - cpu < 0.1); /* the I/O thread sleeps */
	assert_int_equal(used_idx(RXQ), 1);
	assert_int_equal(counter(&D.vd->counters.errors), 0);
	/* The device asked to be told about new buffers. */
	assert_int_equal(__atomic_load_n(&used(RXQ)->flags, __ATOMIC_RELAXED), 0);

	rx_post(QSIZE - 1, 2048);
	wait_used(RXQ, 4);
	for (int i = 0; i < 3; i++) {
		const struct virtq_used_elem *e = &used(RXQ)->ring[i + 1];
		size_t n = strlen(msg[i]);

		assert_int_equal(e->id, D.rx_head[i + 1]);
		assert_int_equal(e->len, HDR + FRAME_HDRS + n);
		assert_int_equal(num_buffers(D.rx_buf[i + 1]), 1);
		assert_memory_equal(gp(D.rx_buf[i + 1] + HDR + FRAME_HDRS, n), msg[i], n);
	}
	assert_int_equal(counter(&D.vd->counters.requests), 4);
	assert_int_equal(counter(&D.vd->counters.bytes), 4 * FRAME_HDRS + 15);
	/* One interrupt for the first packet, one for the batch of three. */
	assert_int_equal(counter(&D.vd->counters.interrupts), 2);
}

/* With mergeable buffers a packet spans several small chains, all
 * published together, and its header counts them. */
static void test_rx_mergeable_spans_buffers(void **state)
{
	uint8_t payload[1000];

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	dev_up(F_GUEST_CSUM | F_MRG_RXBUF);
	rx_post(QSIZE, 256);
	host_send(payload, sizeof(payload)); /* 12 + 42 + 1000 = 1054 bytes: 5 buffers */
	wait_used(RXQ, 5);
	usleep(50000);
	assert_int_equal(used_idx(RXQ), 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(used(RXQ)->ring[i].len, i < 4 ? 256 : 1054 - 4 * 256);
	check_merged(0, 5, payload, sizeof(payload));
	assert_int_equal(counter(&D.vd->counters.requests), 1);
}

/* Fewer buffers than a packet needs: it waits (in warden) until the driver
 * posts enough, and is then delivered whole. */
static void test_rx_packet_waits_for_room(void **state)
{
	uint8_t payload[1000];

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13 + 1);
	dev_up(F_GUEST_CSUM | F_GUEST_TSO4 | F_MRG_RXBUF);
	rx_post(2, 256);
	host_send("tiny", 4); /* 58 bytes: fits one buffer */
	wait_used(RXQ, 1);
	check_merged(0, 1, "tiny", 4);
	host_send(payload, sizeof(payload)); /* 1054 bytes: 5 buffers, 1 held */
	usleep(300000);
	assert_int_equal(used_idx(RXQ), 1);
	assert_int_equal(counter(&D.vd->counters.errors), 0);
	rx_post(3, 256);
	usleep(100000);
	assert_int_equal(used_idx(RXQ), 1); /* 4 buffers: still too few */
	rx_post(1, 256);
	wait_used(RXQ, 6);
	check_merged(1, 5, payload, sizeof(payload));
	assert_int_equal(counter(&D.vd->counters.requests), 2);
	assert_int_equal(counter(&D.vd->counters.errors), 0);
}

/* Without mergeable buffers: one chain per packet, num_buffers 1; a frame
 * larger than its chain is dropped and counted, and the chain reused. */
static void test_rx_one_chain_per_packet(void **state)
{
	uint8_t big[500] = { 0 };

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	dev_up(F_GUEST_CSUM);
	rx_post(2, 100);
	host_send(big, sizeof(big));
	host_send("small", 5); /* 12 + 42 + 5 = 59 bytes */
	wait_used(RXQ, 1);
	assert_int_equal(used(RXQ)->ring[0].id, D.rx_head[0]);
	assert_int_equal(used(RXQ)->ring[0].len, HDR + FRAME_HDRS + 5);
	assert_int_equal(num_buffers(D.rx_buf[0]), 1);
	assert_memory_equal(gp(D.rx_buf[0] + HDR + FRAME_HDRS, 5), "small", 5);
	assert_int_equal(counter(&D.vd->counters.errors), 1);
	assert_int_equal(counter(&D.vd->counters.requests), 1);
}

/* A receive buffer the device may not write is the driver's error. */
static void test_rx_readable_buffer_fails_device(void **state)
{
	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	dev_up(F_MRG_RXBUF);
	post(RXQ, add_desc(RXQ, galloc(2048), 2048, 0));
	kick(RXQ);
	for (int i = 0; i < 300 && !virtio_failed(D.vd); i++)
		usleep(10000);
	assert_true(virtio_failed(D.vd));
	assert_int_equal(used_idx(RXQ), 0);
	assert_int_equal(counter(&D.vd->counters.errors), 1);
}

/* --- creation ---------------------------------------------------------------- */

static void mac_of(unsigned index, uint8_t mac[6])
{
	struct net_spec spec = { .tap = TAP };
	struct virtio_dev *vd = virtio_net_create(&spec, index, NULL, 0);

	assert_non_null(vd);
	memcpy(mac, vd->config, 6);
	assert_int_equal(vd->config[6], 1); /* VIRTIO_NET_S_LINK_UP */
	vd->ops->destroy(vd);
	free(vd);
}

static void test_default_mac(void **state)
{
	uint8_t a[6], b[6], c[6];

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	mac_of(0, a);
	mac_of(0, b);
	mac_of(1, c);
	assert_memory_equal(a, "\x52\x54\x00", 3);
	assert_memory_equal(a, b, 6); /* stable */
	assert_memory_not_equal(a, c, 6);
}

static void test_open_errors(void **state)
{
	struct net_spec lo = { .tap = "lo" }, t = { .tap = TAP }, mq = { .tap = TAP, .queues = 2 };
	struct virtio_dev *first;

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	err_clear();
	assert_null(virtio_net_create(&lo, 0, NULL, 0));
	assert_int_equal(err_class(), ERR_USAGE);
	assert_contains(err_msg(), "not a tap");
	first = virtio_net_create(&t, 0, NULL, 0);
	assert_non_null(first);
	err_clear();
	assert_null(virtio_net_create(&t, 1, NULL, 0));
	assert_int_equal(err_class(), ERR_USAGE);
	assert_contains(err_msg(), "in use");
	/* queues=2 wants a multi-queue tap: this one is not. */
	err_clear();
	assert_null(virtio_net_create(&mq, 1, NULL, 0));
	assert_int_equal(err_class(), ERR_USAGE);
	assert_contains(err_msg(), "is not a multi-queue tap");
	first->ops->destroy(first);
	free(first);
}

/* --- snapshots ---------------------------------------------------------------- */

/* A pause in the middle of a packet waiting for room: the buffers held
 * for it go back to the ring (not used: the driver still owns them), the
 * packet is dropped and counted, and the state saved (queues, features,
 * config, pairs in use, coalescing) comes back in a device built the
 * same way; malformed control state is refused with a reason. */
static void test_snapshot_pause_save_restore(void **state)
{
	struct net_spec spec = { .tap = TAP, .has_mac = true, .queues = 2 };
	static uint8_t saved[16384], again[16384];
	uint32_t coal[2] = { 5, 1000 };
	uint16_t two = 2;
	uint8_t payload[1000] = { 1 };
	struct virtio_dev *b;
	long n, m;
	int irq;

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	dev_queues = 2;
	dev_up(F_GUEST_CSUM | F_GUEST_TSO4 | F_MRG_RXBUF | F_CTRL_VQ | F_MQ | F_NOTF_COAL);
	dev_queues = 0;
	assert_int_equal(ctrl(4, 0, &two, 2), 0);                 /* two pairs in use */
	assert_int_equal(ctrl(6, 0, coal, sizeof(coal)), 0);      /* transmit coalescing */
	/* The kernel puts the flow on tap queue 0 or 1 by a hash seeded at
	 * boot: buffers on both pairs' receive queues (0 and 2), so the
	 * packet waits in whichever it reaches. */
	rx_post(3, 256);
	for (unsigned i = 0; i < 3; i++)
		post(RXQ1, add_desc(RXQ1, galloc(256), 256, VIRTQ_DESC_F_WRITE));
	kick(RXQ1);
	host_send(payload, sizeof(payload)); /* 1054 bytes: waits, 3 buffers held */
	usleep(300000);
	assert_int_equal(used_idx(RXQ) + used_idx(RXQ1), 0);
	assert_true(D.vd->vq[RXQ].last_avail == 3 || D.vd->vq[RXQ1].last_avail == 3);
	virtio_dev_pause(D.vd);
	assert_int_equal(D.vd->vq[RXQ].last_avail + D.vd->vq[RXQ1].last_avail, 0); /* back in the ring */
	assert_int_equal(used_idx(RXQ) + used_idx(RXQ1), 0);
	assert_int_equal(counter(&D.vd->counters.errors), 1); /* the dropped packet */
	n = virtio_dev_save(D.vd, saved, sizeof(saved));
	assert_true(n > 0);
	dev_down(NULL);
	/* A device built the same way, on the same tap, takes it whole. */
	memcpy(spec.mac, guest_mac, 6);
	assert_int_equal(gmem_map(&D.mem, 4 * GMEM_MIB), 0);
	D.vm.mem = D.mem;
	b = virtio_net_create(&spec, 0, NULL, 0);
	assert_non_null(b);
	vt_attach(b, &D.vm, &irq);
	assert_int_equal(virtio_dev_restore(b, saved, (size_t)n), 0);
	m = virtio_dev_save(b, again, sizeof(again));
	assert_int_equal(m, n);
	assert_memory_equal(again, saved, (size_t)n);
	/* Three pairs in use of two; the control state cut short. */
	memcpy(again, saved, (size_t)n);
	memcpy(again + n - sizeof(uint32_t) * (2 + 3 * 2 * 2), (uint32_t[]){ 3 }, 4);
	assert_int_equal(virtio_dev_restore(b, again, (size_t)n), -1);
	assert_contains(err_msg(), "3 of 2 queue pairs in use");
	assert_int_equal(virtio_dev_restore(b, saved, (size_t)n - 4), -1);
	assert_contains(err_msg(), "control state is");
	vt_detach(b, irq);
	gmem_unmap(&D.mem);
}

/* --- the metadata service (mmds=on) ---------------------------------------- */

/* Frames the host received on the tap: /proc/net/dev (this network
 * namespace's; /sys shows the namespace that mounted it). */
static uint64_t tap_rx_packets(void)
{
	char line[512];
	unsigned long long bytes, packets;
	bool found = false;
	FILE *f = fopen("/proc/net/dev", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " " TAP ": %llu %llu", &bytes, &packets) == 2) {
			found = true;
			break;
		}
	fclose(f);
	assert_true(found);
	return packets;
}

/* The guest sends the Ethernet frame F[0..N) (a zero virtio-net header
 * before it). */
static void tx_raw(const uint8_t *f, size_t n)
{
	uint64_t h = galloc(HDR), b = galloc(n);
	uint16_t head;

	memset(gp(h, HDR), 0, HDR);
	memcpy(gp(b, n), f, n);
	head = add_desc(TXQ, h, HDR, VIRTQ_DESC_F_NEXT);
	add_desc(TXQ, b, (uint32_t)n, 0);
	post(TXQ, head);
	kick(TXQ);
}

/* A frame of the guest's to 169.254.169.254:80, FLAGS, DATA. */
static size_t mmds_tcp(uint8_t *f, uint32_t seq, uint32_t ack, uint8_t flags, const char *data)
{
	static const uint8_t mmds_mac[6] = MMDS_MAC;
	uint8_t *ip = f + 14, *t = ip + 20;
	size_t len = data ? strlen(data) : 0;

	memcpy(f, mmds_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08;
	f[13] = 0;
	memset(ip, 0, 40);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((40 + len) >> 8);
	ip[3] = (uint8_t)(40 + len);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, (uint8_t[]){ 169, 254, 0, 2 }, 4);
	memcpy(ip + 16, (uint8_t[]){ 169, 254, 169, 254 }, 4);
	t[0] = 0x9c; /* port 40000 */
	t[1] = 0x40;
	t[3] = 80;
	u_wr32(t + 4, htonl(seq));
	u_wr32(t + 8, htonl(ack));
	t[12] = 0x50;
	t[13] = flags;
	t[14] = t[15] = 0xff;
	if (len)
		memcpy(t + 20, data, len);
	return 54 + len;
}

/* With mmds=on, the guest's frames for the metadata service are answered
 * by warden on the receive queue and never reach the tap; the host's
 * other traffic still flows. */
/* The guest's ARP request "who has 169.254.169.254?" in F: its length. */
static size_t mmds_arp(uint8_t *f)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	memcpy(f + 12, (uint8_t[]){ 8, 6, 0, 1, 8, 0, 6, 4, 0, 1 }, 10);
	memcpy(f + 22, guest_mac, 6);
	memcpy(f + 28, (uint8_t[]){ 169, 254, 0, 2, 0, 0, 0, 0, 0, 0, 169, 254, 169, 254 }, 14);
	return 42;
}

static void test_mmds_answers_in_warden(void **state)
{
	static const char data[] = "{\"latest\":{\"meta-data\":{\"ami-id\":\"ami-7\"}}}";
	static const char req[] = "GET /latest/meta-data/ami-id HTTP/1.1\r\n\r\n";
	uint8_t f[256], *r;
	uint64_t tap_before;
	uint32_t iss;
	char text[600] = "";
	size_t n;

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	dev_store = mmds_new(MMDS_DEFAULT_SIZE_LIMIT);
	assert_non_null(dev_store);
	assert_int_equal(mmds_put(dev_store, data, strlen(data)), 0);
	dev_up(F_GUEST_CSUM | F_MRG_RXBUF);
	tap_before = tap_rx_packets();
	rx_post(QSIZE, 2048);

	tx_raw(f, mmds_arp(f));
	wait_used(TXQ, 1);
	wait_used(RXQ, 1);
	r = gp(D.rx_buf[0], HDR + 42);
	assert_int_equal(used(RXQ)->ring[0].len, HDR + 42);
	assert_memory_equal(r + HDR, guest_mac, 6);
	assert_int_equal(r[HDR + 21], 2); /* an ARP reply */

	/* TCP: SYN, SYN-ACK, the request, its answer. */
	tx_raw(f, mmds_tcp(f, 100, 0, 0x02, NULL));
	wait_used(RXQ, 2);
	r = gp(D.rx_buf[1], HDR + 54);
	assert_int_equal(r[HDR + 47], 0x12);
	iss = ntohl(u_rd32(r + HDR + 38));
	tx_raw(f, mmds_tcp(f, 101, iss + 1, 0x18, req));
	wait_used(RXQ, 4); /* the ACK, the answer */
	n = used(RXQ)->ring[3].len - HDR - 54;
	assert_true(n < sizeof(text));
	memcpy(text, gp(D.rx_buf[3] + HDR + 54, n), n);
	assert_contains(text, "HTTP/1.1 200");
	assert_contains(text, "\r\n\r\nami-7");
	assert_int_equal(tap_rx_packets(), tap_before); /* none went to the host */
	assert_int_equal(counter(&D.vd->counters.errors), 0);

	/* Other frames still go to the tap. */
	tx_post("to the host", 11);
	kick(TXQ);
	wait_used(TXQ, 4);
	assert_int_equal(tap_rx_packets(), tap_before + 1);
}

/* The service's frames pay the receive limit by their size, as the tap's
 * do (Firecracker charges every frame it hands the guest): with 100 bytes
 * of rx-bw, the ARP answer (54 bytes with its virtio-net header) and the
 * SYN-ACK (66) put the bucket in debt, and the next frame waits. */
static void test_mmds_rx_rate_limited(void **state)
{
	uint8_t f[256];
	uint32_t iss;

	(void)state;
	if (!have_netns)
		u_skip("needs root: a network namespace and /dev/net/tun");
	dev_store = mmds_new(MMDS_DEFAULT_SIZE_LIMIT);
	assert_non_null(dev_store);
	dev_rx_rate = (struct rate_spec){ .bw = { .size = 100, .refill_ms = 60000 } };
	dev_up(F_GUEST_CSUM | F_MRG_RXBUF);
	dev_rx_rate = (struct rate_spec){ 0 };
	rx_post(QSIZE, 2048);
	tx_raw(f, mmds_arp(f));
	wait_used(RXQ, 1);
	tx_raw(f, mmds_tcp(f, 100, 0, 0x02, NULL));
	wait_used(RXQ, 2);
	iss = ntohl(u_rd32(gp(D.rx_buf[1], HDR + 54) + HDR + 38));
	tx_raw(f, mmds_tcp(f, 101, iss + 1, 0x18, "GET / HTTP/1.1\r\n\r\n"));
	usleep(300000);
	assert_int_equal(used_idx(RXQ), 2); /* the ACK waits for tokens */
	assert_true(counter(&D.vd->counters.throttled) >= 1);
}

static int mmds_down(void **state)
{
	dev_down(state);
	mmds_free(dev_store);
	dev_store = NULL;
	return 0;
}

/* A network namespace of our own: the tap and its addresses stay in it. */
static bool private_netns(void)
{
	int fd;

	if (unshare(CLONE_NEWNET) < 0)
		return false;
	/* No IPv6 chatter (router solicitations...) in the frame counts. */
	fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			print_message("cannot disable IPv6: counts may include its frames\n");
		close(fd);
	}
	return access("/dev/net/tun", R_OK | W_OK) == 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tx_frames_reach_the_host, dev_down),
		cmocka_unit_test_teardown(test_tx_malformed_dropped, dev_down),
		cmocka_unit_test_teardown(test_poll_mode, dev_down),
		cmocka_unit_test_teardown(test_ctrl_coalescing, dev_down),
		cmocka_unit_test_teardown(test_multiqueue, dev_down),
		cmocka_unit_test_teardown(test_rx_waits_for_buffers, dev_down),
		cmocka_unit_test_teardown(test_rx_mergeable_spans_buffers, dev_down),
		cmocka_unit_test_teardown(test_rx_packet_waits_for_room, dev_down),
		cmocka_unit_test_teardown(test_rx_one_chain_per_packet, dev_down),
		cmocka_unit_test_teardown(test_rx_readable_buffer_fails_device, dev_down),
		cmocka_unit_test_teardown(test_default_mac, dev_down),
		cmocka_unit_test_teardown(test_open_errors, dev_down),
		cmocka_unit_test_teardown(test_snapshot_pause_save_restore, dev_down),
		cmocka_unit_test_teardown(test_mmds_answers_in_warden, mmds_down),
		cmocka_unit_test_teardown(test_mmds_rx_rate_limited, mmds_down),
	};

	have_netns = private_netns();
	if (!have_netns)
		print_message("virtio-net tests need root (a network namespace and /dev/net/tun): skipped\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
