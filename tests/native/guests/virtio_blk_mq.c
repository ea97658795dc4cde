/* Native-tier test guest: a virtio-blk driver for several request queues
 * and a stream of requests, freestanding ELF64 in long mode (guest_rt.h),
 * run with `warden run --mem 16 --cpus 4 --disk IMG,queues=4
 * [,poll=US] --no-ioeventfd`: the disk is the first (only) virtio-mmio
 * device, at 0xc0000000, and every access to its registers exits to
 * warden, so the exits warden counts there are exactly the accesses this
 * guest makes, its notifications included.
 *
 * It negotiates VERSION_1, EVENT_IDX and VIRTIO_BLK_F_MQ (when offered:
 * without it one queue), reads num_queues, sets up every queue, writes a block through each queue and
 * reads it back through the next one.  Then the stream: STREAM_REQS
 * requests, one at a time, round-robin over the queues (half writes of
 * 4 KiB, then reads of the same blocks, checked), notifying only when
 * the device's avail_event asks for it (virtio 1.2 2.7.10), as Linux
 * does.  A device that re-arms notifications after each batch gets one
 * notification per request; a polling device gets almost none.  It asks
 * for no interrupts (used_event left far ahead; interrupts are off here
 * anyway).
 *
 * One line per step on COM1; the last lines give the counts the native
 * test compares with warden's statistics:
 *   virtio-blk: queues N
 *   virtio-blk: counts accesses A kicks K stream_requests N stream_kicks S
 *               requests R bytes B */
#include "guest_rt.h"

#include "virtio/virtio_spec.h"

#define BLK_BASE 0xc0000000UL
#define QSIZE 16
#define MAX_Q 8
#define RING_GPA(q) (0x400000UL + 0x4000UL * (q)) /* desc, avail +0x1000, used +0x2000 */
#define HDR_GPA(q) (0x500000UL + 0x1000UL * (q))  /* header at 0, status at 0x800 */
#define DATA_GPA(q) (0x600000UL + 0x1000UL * (q))
#define BLOCK 4096
#define STREAM_REQS 256
#define F_MQ 12
#define T_IN 0
#define T_OUT 1
#define WAIT (1UL << 27) /* spins for one request: seconds, never endless */

static struct {
	unsigned long accesses, kicks, requests, bytes;
} n;
static unsigned long bad_checks;
static uint16_t avail_idx[MAX_Q];

static void check(int ok, const char *what)
{
	print(ok ? "virtio-blk: ok " : "virtio-blk: FAIL ");
	print(what);
	print("\n");
	bad_checks += !ok;
}

/* --- the register window: every access counted (not inlined: one place
 * makes each access, so the count is exactly the accesses made) ------------ */

static __attribute__((noinline)) uint32_t rd(uint32_t off)
{
	n.accesses++;
	return *(volatile uint32_t *)(BLK_BASE + off);
}

static __attribute__((noinline)) void wr(uint32_t off, uint32_t v)
{
	n.accesses++;
	*(volatile uint32_t *)(BLK_BASE + off) = v;
}

/* --- rings ------------------------------------------------------------------ */

static volatile struct virtq_desc *desc(unsigned q) { return (volatile struct virtq_desc *)RING_GPA(q); }
static volatile struct virtq_avail *avail(unsigned q) { return (volatile struct virtq_avail *)(RING_GPA(q) + 0x1000); }
static volatile struct virtq_used *used(unsigned q) { return (volatile struct virtq_used *)(RING_GPA(q) + 0x2000); }
static volatile uint16_t *avail_event(unsigned q) { return (volatile uint16_t *)&used(q)->ring[QSIZE]; }
static volatile uint16_t *used_event(unsigned q) { return &avail(q)->ring[QSIZE]; }

static void setup_queue(unsigned q)
{
	memset((void *)RING_GPA(q), 0, 0x3000);
	/* No interrupts wanted: used_event as far ahead as it goes. */
	*used_event(q) = 0x7fff;
	wr(VIRTIO_MMIO_QUEUE_SEL, q);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING_GPA(q));
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(RING_GPA(q) + 0x1000));
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(RING_GPA(q) + 0x2000));
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	avail_idx[q] = 0;
}

/* Reset, features, every queue, DRIVER_OK; returns the queue count. */
static unsigned init_device(void)
{
	uint32_t lo, nq, mq;

	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	check(rd(VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_BLOCK, "the device is a disk");
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	/* MQ when offered (a disk of queues=N, N > 1); else one queue. */
	mq = lo & (1u << F_MQ);
	check(lo & (1u << VIRTIO_F_EVENT_IDX), "device offers VIRTIO_F_EVENT_IDX");
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, mq | (1u << VIRTIO_F_EVENT_IDX));
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	check(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, "FEATURES_OK sticks");
	/* num_queues: the 16 bits at config offset 34 (5.2.4), there with MQ. */
	nq = mq ? rd(VIRTIO_MMIO_CONFIG + 32) >> 16 : 1;
	check(nq >= 1 && nq <= MAX_Q, "num_queues between 1 and 8");
	if (nq < 1 || nq > MAX_Q)
		nq = 1;
	for (unsigned q = 0; q < nq; q++)
		setup_queue(q);
	wr(VIRTIO_MMIO_QUEUE_SEL, nq);
	check(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) == 0, "no queue past num_queues");
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				       VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	check(!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET), "DRIVER_OK without NEEDS_RESET");
	return nq;
}

/* --- requests --------------------------------------------------------------- */

/* The notification rule with EVENT_IDX: notify if the index just moved
 * from OLD to NEW passed avail_event. */
static int need_event(uint16_t ev, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - ev - 1) < (uint16_t)(new_idx - old);
}

/* One request on queue Q: TYPE at SECTOR with the queue's data page;
 * waits for it and returns its status (0xff if it never came). */
static uint8_t request(unsigned q, uint32_t type, uint64_t sector, int *kicked)
{
	volatile uint64_t *hdr = (volatile uint64_t *)HDR_GPA(q);
	volatile uint8_t *status = (volatile uint8_t *)(HDR_GPA(q) + 0x800);
	volatile struct virtq_desc *d = desc(q);
	uint16_t old = avail_idx[q];

	hdr[0] = type; /* type, ioprio 0 */
	hdr[1] = sector;
	*status = 0xee;
	d[0] = (struct virtq_desc){ .addr = HDR_GPA(q), .len = 16, .flags = VIRTQ_DESC_F_NEXT, .next = 1 };
	d[1] = (struct virtq_desc){ .addr = DATA_GPA(q), .len = BLOCK,
				    .flags = (uint16_t)(VIRTQ_DESC_F_NEXT | (type == T_IN ? VIRTQ_DESC_F_WRITE : 0)),
				    .next = 2 };
	d[2] = (struct virtq_desc){ .addr = HDR_GPA(q) + 0x800, .len = 1, .flags = VIRTQ_DESC_F_WRITE };
	avail(q)->ring[old % QSIZE] = 0;
	__atomic_store_n(&avail(q)->idx, (uint16_t)(old + 1), __ATOMIC_RELEASE);
	avail_idx[q] = (uint16_t)(old + 1);
	/* The index before avail_event is read: or a device re-arming now is missed. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*kicked = need_event(*avail_event(q), (uint16_t)(old + 1), old);
	if (*kicked) {
		n.kicks++;
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, q);
	}
	for (unsigned long i = 0; i < WAIT; i++)
		if (__atomic_load_n(&used(q)->idx, __ATOMIC_ACQUIRE) == avail_idx[q]) {
			n.requests++;
			n.bytes += BLOCK;
			return *status;
		}
	return 0xff;
}

static void fill(unsigned q, uint64_t seed)
{
	volatile uint64_t *p = (volatile uint64_t *)DATA_GPA(q);

	for (unsigned i = 0; i < BLOCK / 8; i++)
		p[i] = seed * 0x9e3779b97f4a7c15ULL + i;
}

static int same(unsigned q, uint64_t seed)
{
	volatile uint64_t *p = (volatile uint64_t *)DATA_GPA(q);

	for (unsigned i = 0; i < BLOCK / 8; i++)
		if (p[i] != seed * 0x9e3779b97f4a7c15ULL + i)
			return 0;
	return 1;
}

/* Write through queue Q, read back through the next: the queues share one disk. */
static void queue_round_trip(unsigned q, unsigned nq)
{
	unsigned r = (q + 1) % nq;
	int k;

	fill(q, 1000 + q);
	check(request(q, T_OUT, 8 * (uint64_t)q, &k) == 0, "write through one queue");
	fill(r, 0);
	check(request(r, T_IN, 8 * (uint64_t)q, &k) == 0 && same(r, 1000 + q),
	      "read back through the next queue");
}

/* The stream: writes, then reads of the same blocks, round-robin. */
static unsigned long stream(unsigned nq)
{
	unsigned long kicks = 0, bad = 0;
	int k;

	for (unsigned i = 0; i < STREAM_REQS; i++) {
		unsigned q = i % nq, blk = i % (STREAM_REQS / 2);
		uint32_t type = i < STREAM_REQS / 2 ? T_OUT : T_IN;

		if (type == T_OUT)
			fill(q, blk);
		if (request(q, type, 64 + 8 * (uint64_t)blk, &k) != 0 || (type == T_IN && !same(q, blk)))
			bad++;
		kicks += (unsigned long)k;
	}
	check(bad == 0, "stream: every request answered, every block read back as written");
	return kicks;
}

void guest_main(void)
{
	unsigned nq, stream_kicks = 0;

	check(rd(VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC, "virtio-mmio window at 0xc0000000");
	nq = init_device();
	print("virtio-blk: queues ");
	putu(nq);
	print("\n");
	if (!bad_checks) {
		for (unsigned q = 0; q < nq; q++)
			queue_round_trip(q, nq);
		stream_kicks = (unsigned)stream(nq);
	}
	print("virtio-blk: counts accesses ");
	putu(n.accesses);
	print(" kicks ");
	putu(n.kicks);
	print(" stream_requests ");
	putu(bad_checks ? 0 : STREAM_REQS);
	print(" stream_kicks ");
	putu(stream_kicks);
	print(" requests ");
	putu(n.requests);
	print(" bytes ");
	putu(n.bytes);
	print("\n");
	print(bad_checks ? "virtio-blk: checks FAILED\n" : "virtio-blk: all checks passed\n");
	poweroff();
}
