/* The split virtqueue (src/virtio/virtqueue.c) against hand-built rings in
 * real guest memory: every validation rule of virtqueue.h with a case that
 * breaks it and one that just keeps it, and the device-side paths (pop,
 * push, interrupt and notification suppression, chain copies, index
 * wrap-around).
 *
 * The guest memory is a real gmem_map() of 3 GiB + 4 MiB, so it has the
 * MMIO hole at [3 GiB, 4 GiB) and 4 MiB of high RAM at 4 GiB; it is
 * MAP_NORESERVE, so only the few pages the tests touch cost host memory. */
#include "core/guest_mem.h"
#include "virtio/virtqueue.h"
#include "unit.h"

#define MEM_SIZE (3 * GMEM_GIB + 4 * GMEM_MIB)
#define LOW_END (3 * GMEM_GIB)   /* end of low RAM: the MMIO hole starts here */
#define HIGH (4 * GMEM_GIB)      /* high RAM */
#define HIGH_END (HIGH + 4 * GMEM_MIB)
#define DESC 0x10000ULL
#define AVAIL 0x11000ULL
#define USED 0x12000ULL
#define BUF 0x20000ULL  /* data buffers */
#define ITAB 0x30000ULL /* indirect tables */

static struct guest_mem mem;
static struct virtq q;
static struct virtq_chain c;

static int setup(void **state)
{
	(void)state;
	memset(&q, 0, sizeof(q));
	memset(&c, 0, sizeof(c));
	return gmem_map(&mem, MEM_SIZE); /* fresh, zero-filled memory per test */
}

static int teardown(void **state)
{
	(void)state;
	gmem_unmap(&mem);
	return 0;
}

/* Host pointer of guest-physical A (the tests only use addresses in RAM). */
static void *g(uint64_t a)
{
	void *p = gmem_ptr(&mem, a, 1);

	assert_non_null(p);
	return p;
}

static struct virtq_desc *dt(void) { return g(DESC); }
static struct virtq_avail *av(void) { return g(AVAIL); }
static struct virtq_used *us(void) { return g(USED); }

static void desc_at(struct virtq_desc *t, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	t[i] = (struct virtq_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc_at(dt(), i, addr, len, flags, next);
}

/* The driver makes chain HEAD available. */
static void post(uint16_t head)
{
	struct virtq_avail *a = av();

	a->ring[a->idx % q.size] = head;
	a->idx++;
}

static uint16_t *used_event_p(void) { return &av()->ring[q.size]; }
static uint16_t *avail_event_p(void) { return (uint16_t *)&us()->ring[q.size]; }

static void rings(uint16_t size, uint64_t d, uint64_t a, uint64_t u)
{
	q.size = size;
	q.desc_gpa = d;
	q.avail_gpa = a;
	q.used_gpa = u;
}

/* A usable queue of SIZE at the standard place. */
static void make_queue(uint16_t size, bool indirect, bool event_idx)
{
	/* A driver hands over zeroed rings (a new queue starts at index 0). */
	memset(g(AVAIL), 0, 0x1000);
	memset(g(USED), 0, 0x1000);
	rings(size, DESC, AVAIL, USED);
	q.indirect = indirect;
	q.event_idx = event_idx;
	assert_int_equal(virtq_activate(&q, &mem), 0);
	assert_true(q.active);
}

static void activate_ok(void)
{
	if (virtq_activate(&q, &mem) != 0)
		fail_msg("activation failed: %s", q.error);
	assert_true(q.active);
}

static void activate_bad(const char *why)
{
	assert_int_equal(virtq_activate(&q, &mem), -1);
	assert_false(q.active);
	assert_contains(q.error, why);
}

/* The next pop must fail with WHY and leave the chain where it was. */
static void pop_bad(const char *why)
{
	uint16_t before = q.last_avail;

	assert_int_equal(virtq_pop(&q, &c), -1);
	assert_contains(q.error, why);
	assert_int_equal(q.last_avail, before);
}

static void pop_ok(void)
{
	int r = virtq_pop(&q, &c);

	if (r != 1)
		fail_msg("pop returned %d: %s", r, r < 0 ? q.error : "(empty)");
}

/* --- activation ----------------------------------------------------------- */

static void test_size_rules(void **state)
{
	static const uint16_t bad[] = { 0, 3, 6, 7, 100, 255, 257, 384, 512, 1024, 32768, 65535 };
	static const uint16_t good[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256 };

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rings(bad[i], DESC, AVAIL, USED);
		activate_bad("power of 2");
	}
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		rings(good[i], DESC, AVAIL + 0x1000, USED + 0x1000);
		activate_ok();
		assert_int_equal(q.last_avail, 0);
		assert_int_equal(q.used_idx, 0);
	}
}

static void test_alignment_rules(void **state)
{
	(void)state;
	/* Descriptor table: 16 bytes. */
	rings(8, DESC + 8, AVAIL, USED);
	activate_bad("misaligned");
	rings(8, DESC + 1, AVAIL, USED);
	activate_bad("misaligned");
	rings(8, DESC + 16, AVAIL, USED);
	activate_ok();
	/* Available ring: 2 bytes. */
	rings(8, DESC, AVAIL + 1, USED);
	activate_bad("misaligned");
	rings(8, DESC, AVAIL + 2, USED);
	activate_ok();
	/* Used ring: 4 bytes. */
	rings(8, DESC, AVAIL, USED + 2);
	activate_bad("misaligned");
	rings(8, DESC, AVAIL, USED + 1);
	activate_bad("misaligned");
	rings(8, DESC, AVAIL, USED + 4);
	activate_ok();
}

/* Each ring, in turn, at GPA with the others at their usual place. */
static int activate_one_ring_at(unsigned which, uint64_t gpa, uint16_t size)
{
	rings(size, DESC, AVAIL, USED);
	if (which == 0)
		q.desc_gpa = gpa;
	else if (which == 1)
		q.avail_gpa = gpa;
	else
		q.used_gpa = gpa;
	return virtq_activate(&q, &mem);
}

static void test_rings_in_ram(void **state)
{
	const uint16_t n = 8;
	const uint64_t bytes[3] = { VIRTQ_DESC_BYTES(n), VIRTQ_AVAIL_BYTES(n), VIRTQ_USED_BYTES(n) };

	(void)state;
	for (unsigned w = 0; w < 3; w++) {
		/* Ends exactly at the end of low RAM / of high RAM: fine
		 * (rounded down to 16 so every ring's alignment holds). */
		uint64_t last_low = (LOW_END - bytes[w]) & ~15ULL, last_high = (HIGH_END - bytes[w]) & ~15ULL;

		assert_int_equal(activate_one_ring_at(w, last_low, n), 0);
		assert_int_equal(activate_one_ring_at(w, last_high, n), 0);
		assert_int_equal(activate_one_ring_at(w, HIGH, n), 0);
		assert_int_equal(activate_one_ring_at(w, 0, n), 0);
		/* Straddling the end of low RAM into the MMIO hole. */
		assert_int_equal(activate_one_ring_at(w, last_low + 16, n), -1);
		assert_contains(q.error, "outside guest RAM");
		assert_int_equal(activate_one_ring_at(w, LOW_END - 16, n), -1);
		/* Inside the hole (the virtio windows, the LAPIC). */
		assert_int_equal(activate_one_ring_at(w, 0xc0000000, n), -1);
		assert_int_equal(activate_one_ring_at(w, 0xfee00000, n), -1);
		/* Straddling the end of high RAM; beyond all RAM. */
		assert_int_equal(activate_one_ring_at(w, last_high + 16, n), -1);
		assert_int_equal(activate_one_ring_at(w, HIGH_END, n), -1);
		assert_int_equal(activate_one_ring_at(w, 1ULL << 40, n), -1);
		/* Wrapping the address space. */
		assert_int_equal(activate_one_ring_at(w, 0xfffffffffffffff0ULL, n), -1);
		assert_false(q.active);
	}
	/* To the byte: the event fields (used_event after the avail ring,
	 * avail_event after the used ring) are part of the rings. */
	assert_int_equal(activate_one_ring_at(1, LOW_END - VIRTQ_AVAIL_BYTES(n), n), 0);
	assert_int_equal(activate_one_ring_at(1, LOW_END - VIRTQ_AVAIL_BYTES(n) + 2, n), -1);
	assert_int_equal(activate_one_ring_at(1, HIGH_END - VIRTQ_AVAIL_BYTES(n) + 2, n), -1);
	/* (6 + 8n is never a multiple of 4: the closest the used ring can
	 * end before the hole is 2 bytes short of it.) */
	assert_int_equal(activate_one_ring_at(2, LOW_END - VIRTQ_USED_BYTES(n) - 2, n), 0);
	assert_int_equal(activate_one_ring_at(2, LOW_END - VIRTQ_USED_BYTES(n) + 2, n), -1);
	assert_int_equal(activate_one_ring_at(2, HIGH_END - VIRTQ_USED_BYTES(n) + 2, n), -1);
	assert_int_equal(activate_one_ring_at(0, LOW_END - VIRTQ_DESC_BYTES(n) + 16, n), -1);
	/* A ring that fits at size 8 but not at 256. */
	assert_int_equal(activate_one_ring_at(0, LOW_END - VIRTQ_DESC_BYTES(8), 8), 0);
	assert_int_equal(activate_one_ring_at(0, LOW_END - VIRTQ_DESC_BYTES(8), 256), -1);
	assert_contains(q.error, "outside guest RAM");
}

static void test_inactive_queue_pops_nothing(void **state)
{
	(void)state;
	rings(3, DESC, AVAIL, USED);
	activate_bad("power of 2");
	assert_int_equal(virtq_pop(&q, &c), 0);
	make_queue(8, false, false);
	desc(0, BUF, 16, 0, 0);
	post(0);
	virtq_reset(&q);
	assert_false(q.active);
	assert_int_equal(q.size, 0);
	assert_int_equal(virtq_pop(&q, &c), 0);
}

/* --- good chains ---------------------------------------------------------- */

static void test_simple_chain(void **state)
{
	(void)state;
	make_queue(8, false, false);
	assert_int_equal(virtq_pop(&q, &c), 0); /* empty */
	assert_int_equal(virtq_pending(&q), 0);
	desc(5, BUF, 64, VIRTQ_DESC_F_WRITE, 0);
	post(5);
	assert_int_equal(virtq_pending(&q), 1);
	pop_ok();
	assert_int_equal(c.head, 5);
	assert_int_equal(c.nout, 0);
	assert_int_equal(c.nin, 1);
	assert_int_equal(c.in_bytes, 64);
	assert_int_equal(c.out_bytes, 0);
	assert_ptr_equal(c.iov[0].iov_base, g(BUF));
	assert_int_equal(c.iov[0].iov_len, 64);
	assert_int_equal(q.last_avail, 1);
	assert_int_equal(virtq_pending(&q), 0);
	assert_int_equal(virtq_pop(&q, &c), 0);
}

static void test_multi_descriptor_chain(void **state)
{
	(void)state;
	make_queue(8, false, false);
	/* head 2: R 16 -> R 100 -> W 1 -> W 4096 (out of order in the table) */
	desc(2, BUF, 16, VIRTQ_DESC_F_NEXT, 7);
	desc(7, BUF + 0x100, 100, VIRTQ_DESC_F_NEXT, 0);
	desc(0, BUF + 0x1000, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	desc(3, HIGH + 0x1000, 4096, VIRTQ_DESC_F_WRITE, 0);
	post(2);
	/* and a second, readable-only chain: head 4 */
	desc(4, BUF + 0x2000, 12, 0, 0);
	post(4);
	assert_int_equal(virtq_pending(&q), 2);
	pop_ok();
	assert_int_equal(c.head, 2);
	assert_int_equal(c.nout, 2);
	assert_int_equal(c.nin, 2);
	assert_int_equal(c.out_bytes, 116);
	assert_int_equal(c.in_bytes, 4097);
	assert_ptr_equal(c.iov[0].iov_base, g(BUF));
	assert_ptr_equal(c.iov[1].iov_base, g(BUF + 0x100));
	assert_int_equal(c.iov[1].iov_len, 100);
	assert_ptr_equal(c.iov[2].iov_base, g(BUF + 0x1000));
	assert_ptr_equal(c.iov[3].iov_base, g(HIGH + 0x1000));
	assert_int_equal(c.iov[3].iov_len, 4096);
	pop_ok();
	assert_int_equal(c.head, 4);
	assert_int_equal(c.nout, 1);
	assert_int_equal(c.nin, 0);
	assert_int_equal(c.out_bytes, 12);
	assert_int_equal(c.in_bytes, 0);
	assert_int_equal(virtq_pop(&q, &c), 0);
}

static void test_chain_as_long_as_queue(void **state)
{
	(void)state;
	make_queue(VIRTQ_MAX_SIZE, false, false);
	/* All 256 descriptors in one chain, in reverse table order. */
	for (unsigned i = 0; i < VIRTQ_MAX_SIZE; i++)
		desc(i, BUF + 16 * i, 16, (i ? VIRTQ_DESC_F_NEXT : 0) | (i < 100 ? VIRTQ_DESC_F_WRITE : 0),
		     (uint16_t)(i - 1));
	post(VIRTQ_MAX_SIZE - 1);
	pop_ok();
	assert_int_equal(c.nout, VIRTQ_MAX_SIZE - 100);
	assert_int_equal(c.nin, 100);
	assert_int_equal(c.out_bytes + c.in_bytes, 16 * VIRTQ_MAX_SIZE);
	assert_ptr_equal(c.iov[0].iov_base, g(BUF + 16 * 255));
	assert_ptr_equal(c.iov[255].iov_base, g(BUF));
}

static void test_zero_length_skipped(void **state)
{
	(void)state;
	make_queue(8, false, false);
	/* A zero-length descriptor transfers nothing; its address is not
	 * even looked at (here: in the MMIO hole). */
	desc(0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(1, 0xc0000000, 0, VIRTQ_DESC_F_NEXT, 2);
	desc(2, BUF + 8, 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	desc(3, BUF + 16, 8, VIRTQ_DESC_F_WRITE, 0);
	post(0);
	pop_ok();
	assert_int_equal(c.nout, 1);
	assert_int_equal(c.nin, 1);
	assert_ptr_equal(c.iov[1].iov_base, g(BUF + 16));
	/* A chain of nothing but a zero-length descriptor is a valid, empty chain. */
	desc(4, 0, 0, 0, 0);
	post(4);
	pop_ok();
	assert_int_equal(c.head, 4);
	assert_int_equal(c.nout + c.nin, 0);
}

static void test_unpop(void **state)
{
	(void)state;
	make_queue(8, false, false);
	desc(1, BUF, 8, 0, 0);
	desc(2, BUF, 8, 0, 0);
	post(1);
	post(2);
	pop_ok();
	pop_ok();
	assert_int_equal(c.head, 2);
	virtq_unpop(&q, 2);
	assert_int_equal(virtq_pending(&q), 2);
	pop_ok();
	assert_int_equal(c.head, 1);
}

/* --- bad chains ----------------------------------------------------------- */

static void test_buffer_in_ram(void **state)
{
	static const struct { uint64_t addr; uint32_t len; bool ok; } cases[] = {
		{ LOW_END - 64, 64, true },       /* ends at the end of low RAM */
		{ LOW_END - 64, 65, false },      /* one byte into the hole */
		{ LOW_END - 1, 2, false },
		{ LOW_END, 1, false },            /* the hole */
		{ 0xc0000000 + 0x70, 4, false },  /* a virtio register window */
		{ HIGH - 1, 2, false },           /* from the hole into high RAM */
		{ HIGH, 4096, true },
		{ HIGH_END - 4096, 4096, true },
		{ HIGH_END - 4096, 4097, false },
		{ HIGH_END, 1, false },
		{ 1ULL << 50, 16, false },
		{ 0, 1, true },
		{ 0, 0xffffffffu, false },        /* 4 GiB from 0 crosses the hole */
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_queue(8, false, false);
		desc(0, cases[i].addr, cases[i].len, VIRTQ_DESC_F_WRITE, 0);
		post(0);
		if (cases[i].ok) {
			pop_ok();
			assert_int_equal(c.in_bytes, cases[i].len);
		} else {
			pop_bad("outside guest RAM");
		}
	}
	/* The bad buffer may be anywhere in the chain. */
	make_queue(8, false, false);
	desc(0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(1, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
	desc(2, LOW_END, 8, 0, 0);
	post(0);
	pop_bad("outside guest RAM");
}

static void test_addr_len_overflow(void **state)
{
	(void)state;
	make_queue(8, false, false);
	desc(0, 0xffffffffffffff00ULL, 0x200, 0, 0);
	post(0);
	pop_bad("outside guest RAM");
	make_queue(8, false, false);
	desc(0, 0xffffffffffffffffULL, 1, VIRTQ_DESC_F_WRITE, 0);
	post(0);
	pop_bad("outside guest RAM");
	/* The same in an indirect table. */
	make_queue(8, true, false);
	desc_at(g(ITAB), 0, 0xfffffffffffff000ULL, 0x2000, 0, 0);
	desc(0, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	post(0);
	pop_bad("outside guest RAM");
}

static void test_loops(void **state)
{
	(void)state;
	/* a -> b -> a */
	make_queue(8, false, false);
	desc(0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	post(0);
	pop_bad("longer than 8");
	/* a -> a */
	make_queue(8, false, false);
	desc(3, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	post(3);
	pop_bad("longer than 8");
	/* Every descriptor, then back to the first: 9 steps on a queue of 8. */
	make_queue(8, false, false);
	for (unsigned i = 0; i < 8; i++)
		desc(i, BUF, 8, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % 8));
	post(0);
	pop_bad("longer than 8");
	/* The same 8 without the back edge: exactly the queue size is fine. */
	dt()[7].flags = 0;
	pop_ok();
	assert_int_equal(c.nout, 8);
	/* A loop reached after a good prefix, on the biggest queue. */
	make_queue(VIRTQ_MAX_SIZE, false, false);
	desc(10, BUF, 8, VIRTQ_DESC_F_NEXT, 20);
	desc(20, BUF, 8, VIRTQ_DESC_F_NEXT, 30);
	desc(30, BUF, 8, VIRTQ_DESC_F_NEXT, 20);
	post(10);
	pop_bad("longer than 256");
}

static void test_next_out_of_range(void **state)
{
	(void)state;
	make_queue(8, false, false);
	desc(0, BUF, 8, VIRTQ_DESC_F_NEXT, 8);
	post(0);
	pop_bad("next index 8 out of range");
	dt()[0].next = 0xffff;
	pop_bad("next index 65535 out of range");
	dt()[0].next = 7;
	desc(7, BUF, 8, 0, 0);
	pop_ok();
	assert_int_equal(c.nout, 2);
}

static void test_head_out_of_range(void **state)
{
	(void)state;
	make_queue(8, false, false);
	desc(7, BUF, 8, 0, 0);
	post(8);
	pop_bad("head 8 out of range");
	av()->ring[0] = 0xffff;
	pop_bad("head 65535 out of range");
	av()->ring[0] = 7;
	pop_ok();
	assert_int_equal(c.head, 7);
}

static void test_readable_after_writable(void **state)
{
	(void)state;
	make_queue(8, false, false);
	desc(0, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(1, BUF + 8, 8, 0, 0);
	post(0);
	pop_bad("readable buffer after a writable");
	/* Reordered, the same buffers are fine. */
	desc(0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(1, BUF + 8, 8, VIRTQ_DESC_F_WRITE, 0);
	pop_ok();
	assert_int_equal(c.nout, 1);
	assert_int_equal(c.nin, 1);
	/* Inside an indirect table too. */
	make_queue(8, true, false);
	desc_at(g(ITAB), 0, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc_at(g(ITAB), 1, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
	desc_at(g(ITAB), 2, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	desc(0, ITAB, 48, VIRTQ_DESC_F_INDIRECT, 0);
	post(0);
	pop_bad("readable buffer after a writable");
}

static void test_avail_index_jump(void **state)
{
	(void)state;
	make_queue(8, false, false);
	for (unsigned i = 0; i < 8; i++)
		desc(i, BUF, 8, 0, 0);
	av()->idx = 9;
	assert_int_equal(virtq_pending(&q), 0);
	pop_bad("avail index jumped by 9");
	av()->idx = 1000;
	pop_bad("jumped by 1000");
	av()->idx = 0xffff; /* "backwards" by one is a jump of 65535 */
	pop_bad("jumped by 65535");
	/* Exactly the queue size is fine: a full ring. */
	for (unsigned i = 0; i < 8; i++)
		av()->ring[i] = (uint16_t)i;
	av()->idx = 8;
	assert_int_equal(virtq_pending(&q), 8);
	for (unsigned i = 0; i < 8; i++) {
		pop_ok();
		assert_int_equal(c.head, i);
	}
	assert_int_equal(virtq_pop(&q, &c), 0);
	/* The jump is measured from where the device is, not from 0. */
	av()->idx = 8 + 9;
	pop_bad("jumped by 9");
	av()->idx = 8 + 8;
	assert_int_equal(virtq_pending(&q), 8);
}

/* --- indirect descriptors ------------------------------------------------- */

static struct virtq_desc *itab(void) { return g(ITAB); }

static void test_indirect_good(void **state)
{
	(void)state;
	make_queue(8, true, false);
	desc_at(itab(), 0, BUF, 10, VIRTQ_DESC_F_NEXT, 2);
	desc_at(itab(), 2, BUF + 0x100, 20, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc_at(itab(), 1, HIGH, 30, VIRTQ_DESC_F_WRITE, 0);
	/* WRITE on the indirect descriptor itself is ignored (2.7.5.3.2). */
	desc(6, ITAB, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	post(6);
	pop_ok();
	assert_int_equal(c.head, 6);
	assert_int_equal(c.nout, 1);
	assert_int_equal(c.nin, 2);
	assert_int_equal(c.out_bytes, 10);
	assert_int_equal(c.in_bytes, 50);
	assert_ptr_equal(c.iov[1].iov_base, g(BUF + 0x100));
	assert_ptr_equal(c.iov[2].iov_base, g(HIGH));
	/* A table as long as the queue, in high RAM. */
	make_queue(8, true, false);
	for (unsigned i = 0; i < 8; i++)
		desc_at(g(HIGH + 0x10000), i, BUF, 1, i < 7 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	desc(0, HIGH + 0x10000, 8 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	post(0);
	pop_ok();
	assert_int_equal(c.nout, 8);
}

/* Queue of 8 with INDIRECT negotiated (unless NEG is false); head 0 is
 * an indirect descriptor with FLAGS and LEN at ADDR; pop must fail. */
static void indirect_bad(bool neg, uint64_t addr, uint32_t len, uint16_t flags, const char *why)
{
	make_queue(8, neg, false);
	for (unsigned i = 0; i < 8; i++)
		desc_at(itab(), i, BUF, 8, 0, 0);
	desc(0, addr, len, VIRTQ_DESC_F_INDIRECT | flags, 1);
	desc(1, BUF, 8, 0, 0);
	post(0);
	pop_bad(why);
}

static void test_indirect_rules(void **state)
{
	(void)state;
	indirect_bad(false, ITAB, 16, 0, "without VIRTIO_F_INDIRECT_DESC");
	indirect_bad(true, ITAB, 16, VIRTQ_DESC_F_NEXT, "NEXT set");
	indirect_bad(true, ITAB, 24, 0, "not a multiple of 16");
	indirect_bad(true, ITAB, 15, 0, "not a multiple of 16");
	indirect_bad(true, ITAB, 0, 0, "not a multiple of 16");
	indirect_bad(true, ITAB, 9 * 16, 0, "longer than the queue");
	indirect_bad(true, ITAB, 0xfffffff0u, 0, "longer than the queue");
	indirect_bad(true, LOW_END - 16, 32, 0, "outside guest RAM");
	indirect_bad(true, 0xc0000000, 16, 0, "outside guest RAM");
	indirect_bad(true, HIGH_END, 16, 0, "outside guest RAM");
	indirect_bad(true, 0xfffffffffffffff0ULL, 32, 0, "outside guest RAM");
	/* Well formed: one entry; and a table that ends where low RAM does. */
	make_queue(8, true, false);
	desc_at(itab(), 0, BUF, 8, 0, 0);
	desc(0, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	post(0);
	pop_ok();
	assert_int_equal(c.nout, 1);
	desc_at(g(LOW_END - 32), 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	desc_at(g(LOW_END - 32), 1, BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	desc(0, LOW_END - 32, 32, VIRTQ_DESC_F_INDIRECT, 0);
	post(0);
	pop_ok();
	assert_int_equal(c.nout, 1);
	assert_int_equal(c.nin, 1);
}

static void test_indirect_nested(void **state)
{
	(void)state;
	make_queue(8, true, false);
	desc_at(g(ITAB + 0x100), 0, BUF, 8, 0, 0);
	desc_at(itab(), 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	desc_at(itab(), 1, ITAB + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	post(0);
	pop_bad("inside an indirect table");
	/* Even as the table's first entry. */
	desc_at(itab(), 0, ITAB + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	pop_bad("inside an indirect table");
	/* A table that points at itself. */
	desc_at(itab(), 0, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(0, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	pop_bad("inside an indirect table");
}

static void test_indirect_not_at_head(void **state)
{
	(void)state;
	make_queue(8, true, false);
	desc_at(itab(), 0, BUF, 8, 0, 0);
	desc(0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(1, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	post(0);
	pop_bad("not at the head");
	/* Also after a zero-length descriptor (that is still a descriptor). */
	desc(0, BUF, 0, VIRTQ_DESC_F_NEXT, 1);
	pop_bad("not at the head");
}

static void test_indirect_walk_rules(void **state)
{
	(void)state;
	/* Loop inside the table. */
	make_queue(8, true, false);
	desc_at(itab(), 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	desc_at(itab(), 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	desc(0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	post(0);
	pop_bad("longer than 2");
	/* next beyond the table (though inside the queue's size). */
	desc_at(itab(), 1, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
	pop_bad("next index 2 out of range (2)");
	/* Buffer outside RAM. */
	desc_at(itab(), 1, LOW_END - 4, 8, 0, 0);
	pop_bad("outside guest RAM");
	desc_at(itab(), 1, LOW_END - 8, 8, 0, 0);
	pop_ok();
	assert_int_equal(c.out_bytes, 16);
}

/* --- used ring, interrupts, notifications --------------------------------- */

static void test_push(void **state)
{
	struct virtq_used *u;

	(void)state;
	make_queue(4, false, false);
	u = us();
	virtq_push(&q, 3, 64);
	assert_int_equal(u->idx, 1);
	assert_int_equal(u->ring[0].id, 3);
	assert_int_equal(u->ring[0].len, 64);
	virtq_push(&q, 1, 0);
	virtq_push(&q, 2, 0xffffffffu);
	virtq_push(&q, 0, 7);
	assert_int_equal(u->idx, 4);
	assert_int_equal(u->ring[1].id, 1);
	assert_int_equal(u->ring[2].len, 0xffffffffu);
	assert_int_equal(u->ring[3].id, 0);
	/* The fifth goes to slot 0 again. */
	virtq_push(&q, 2, 5);
	assert_int_equal(u->idx, 5);
	assert_int_equal(u->ring[0].id, 2);
	assert_int_equal(u->ring[0].len, 5);
	/* Nothing written past the ring but avail_event's slot, which
	 * virtq_push leaves alone. */
	assert_int_equal(*avail_event_p(), 0);
	assert_int_equal(((uint8_t *)g(USED))[VIRTQ_USED_BYTES(4)], 0);
}

static void test_push_n(void **state)
{
	const struct virtq_used_elem e[3] = { { 7, 100 }, { 1, 0 }, { 2, 5 } };
	struct virtq_used *u;

	(void)state;
	make_queue(4, false, false);
	u = us();
	/* Starting at slot 2 of 4 and index 65534: slots 2, 3, 0; index 1. */
	q.used_idx = 65534;
	u->idx = 65534;
	virtq_push_n(&q, e, 3);
	assert_int_equal(u->idx, 1);
	assert_int_equal(q.used_idx, 1);
	assert_int_equal(u->ring[2].id, 7);
	assert_int_equal(u->ring[2].len, 100);
	assert_int_equal(u->ring[3].id, 1);
	assert_int_equal(u->ring[0].id, 2);
	assert_int_equal(u->ring[0].len, 5);
	assert_int_equal(u->ring[1].id, 0); /* untouched */
	/* None is nothing. */
	virtq_push_n(&q, e, 0);
	assert_int_equal(u->idx, 1);
	assert_int_equal(*avail_event_p(), 0);
	/* It counts as pushed for the interrupt decision. */
	assert_true(virtq_needs_interrupt(&q));
	virtq_push_n(&q, e, 2);
	assert_true(virtq_needs_interrupt(&q));
	virtq_push_n(&q, e, 0);
	assert_false(virtq_needs_interrupt(&q));
}

static void test_interrupt_flags(void **state)
{
	(void)state;
	make_queue(8, false, false);
	virtq_push(&q, 0, 1);
	assert_true(virtq_needs_interrupt(&q));
	av()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtq_push(&q, 0, 1);
	assert_false(virtq_needs_interrupt(&q));
	/* used_event means nothing without EVENT_IDX. */
	*used_event_p() = 1;
	virtq_push(&q, 0, 1);
	assert_false(virtq_needs_interrupt(&q));
	av()->flags = 0;
	virtq_push(&q, 0, 1);
	assert_true(virtq_needs_interrupt(&q));
	/* Nothing pushed since: no interrupt (a notify that found nothing). */
	assert_false(virtq_needs_interrupt(&q));
	/* Not even once the driver clears NO_INTERRUPT for entries it was
	 * not interrupted for: it re-checks the ring itself (2.7.10). */
	av()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtq_push(&q, 0, 1);
	assert_false(virtq_needs_interrupt(&q));
	av()->flags = 0;
	assert_false(virtq_needs_interrupt(&q));
	virtq_push(&q, 0, 1);
	assert_true(virtq_needs_interrupt(&q));
}

static void push_n(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		virtq_push(&q, 0, 1);
}

static void test_interrupt_event_idx(void **state)
{
	(void)state;
	make_queue(8, false, true);
	/* NO_INTERRUPT is ignored with EVENT_IDX: used_event rules. */
	av()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	/* The first time, the device has no idea what the driver saw last:
	 * it interrupts whatever used_event says. */
	*used_event_p() = 100;
	push_n(1); /* used idx 1 */
	assert_true(virtq_needs_interrupt(&q));
	/* used_event = 1: interrupt when the device writes entry 1, i.e. used idx passes 1. */
	*used_event_p() = 1;
	push_n(1); /* 2 */
	assert_true(virtq_needs_interrupt(&q));
	*used_event_p() = 5;
	for (unsigned i = 3; i <= 5; i++) {
		push_n(1);
		assert_false(virtq_needs_interrupt(&q));
	}
	push_n(1); /* 6: entry 5 written */
	assert_true(virtq_needs_interrupt(&q));
	push_n(1); /* 7: event already passed, no second interrupt */
	assert_false(virtq_needs_interrupt(&q));
	/* A batch that passes the event: one interrupt. */
	*used_event_p() = 8;
	push_n(3); /* 7 -> 10, entry 8 in the batch */
	assert_true(virtq_needs_interrupt(&q));
	/* A batch that ends just before it: none. */
	*used_event_p() = 13;
	push_n(3); /* 10 -> 13 */
	assert_false(virtq_needs_interrupt(&q));
	/* An event behind us (the driver is slow to update): none. */
	*used_event_p() = 9;
	push_n(2); /* 13 -> 15 */
	assert_false(virtq_needs_interrupt(&q));
	/* Nothing pushed since the last check: none, whatever used_event says. */
	*used_event_p() = 14;
	assert_false(virtq_needs_interrupt(&q));
}

static void test_interrupt_event_idx_wrap(void **state)
{
	(void)state;
	make_queue(8, false, true);
	q.used_idx = 65533;
	push_n(1); /* 65534 */
	assert_true(virtq_needs_interrupt(&q));
	*used_event_p() = 65535;
	push_n(1); /* 65535 */
	assert_false(virtq_needs_interrupt(&q));
	push_n(1); /* 0: entry 65535 written */
	assert_true(virtq_needs_interrupt(&q));
	assert_int_equal(us()->idx, 0);
	*used_event_p() = 1;
	push_n(1); /* 1 */
	assert_false(virtq_needs_interrupt(&q));
	/* From 65534 across 0 in one batch, event at 0. */
	q.used_idx = 65534;
	push_n(1);
	(void)virtq_needs_interrupt(&q); /* signalled at 65535 */
	*used_event_p() = 0;
	push_n(2); /* 65535 -> 1 */
	assert_true(virtq_needs_interrupt(&q));
}

static void test_notify_suppression(void **state)
{
	struct virtq_used *u;

	(void)state;
	make_queue(8, false, false);
	u = us();
	desc(0, BUF, 8, 0, 0);
	virtq_notify_off(&q);
	assert_int_equal(u->flags, VIRTQ_USED_F_NO_NOTIFY);
	assert_false(virtq_notify_on(&q)); /* nothing arrived */
	assert_int_equal(u->flags, 0);
	virtq_notify_off(&q);
	post(0);
	assert_true(virtq_notify_on(&q)); /* a chain arrived while notifications were off */
	assert_int_equal(u->flags, 0);
	pop_ok();
	assert_false(virtq_notify_on(&q));
	assert_int_equal(*avail_event_p(), 0); /* not used without EVENT_IDX */
}

/* A polled queue: notify_on leaves the stale avail_event (or NO_NOTIFY)
 * in place and only records the wish, which poll_end honours; poll_new
 * reports each new batch once, never chains the device already took. */
static void test_polling(void **state)
{
	(void)state;
	make_queue(8, false, true);
	desc(0, BUF, 8, 0, 0);
	assert_false(virtq_poll_new(&q)); /* empty */
	virtq_poll_begin(&q);
	post(0);
	assert_true(virtq_notify_on(&q)); /* still says chains are there */
	assert_int_equal(*avail_event_p(), 0); /* but asks for nothing */
	assert_true(virtq_poll_new(&q));
	assert_false(virtq_poll_new(&q)); /* seen: not new again */
	pop_ok();
	post(0);
	post(0);
	assert_true(virtq_poll_new(&q));
	pop_ok();
	pop_ok();
	assert_false(virtq_notify_on(&q));
	assert_int_equal(*avail_event_p(), 0); /* stale: the driver passed it */
	post(0);
	pop_ok(); /* taken before the poll looked (by a notified round) */
	assert_false(virtq_poll_new(&q));
	virtq_poll_end(&q); /* the device's last wish: notifications */
	assert_int_equal(*avail_event_p(), 4);
	/* Without EVENT_IDX: NO_NOTIFY while polled; after, what the device
	 * last asked for. */
	make_queue(8, false, false);
	virtq_poll_begin(&q);
	assert_int_equal(us()->flags, VIRTQ_USED_F_NO_NOTIFY);
	assert_false(virtq_notify_on(&q));
	assert_int_equal(us()->flags, VIRTQ_USED_F_NO_NOTIFY);
	virtq_notify_off(&q);
	virtq_poll_end(&q);
	assert_int_equal(us()->flags, VIRTQ_USED_F_NO_NOTIFY); /* it wants none */
	virtq_poll_begin(&q);
	assert_false(virtq_notify_on(&q));
	virtq_poll_end(&q);
	assert_int_equal(us()->flags, 0);
}

static void test_notify_event_idx(void **state)
{
	struct virtq_used *u;

	(void)state;
	make_queue(8, false, true);
	u = us();
	desc(0, BUF, 8, 0, 0);
	*avail_event_p() = 0x5555;
	virtq_notify_off(&q);
	assert_int_equal(u->flags, 0); /* no flag with EVENT_IDX */
	assert_int_equal(*avail_event_p(), 0x5555); /* and avail_event left behind */
	assert_false(virtq_notify_on(&q));
	assert_int_equal(*avail_event_p(), 0);
	post(0);
	post(0);
	assert_true(virtq_notify_on(&q));
	pop_ok();
	assert_true(virtq_notify_on(&q));
	assert_int_equal(*avail_event_p(), 1);
	pop_ok();
	assert_false(virtq_notify_on(&q));
	assert_int_equal(*avail_event_p(), 2);
	assert_int_equal(u->flags, 0);
}

static void test_pending(void **state)
{
	(void)state;
	make_queue(8, false, false);
	assert_int_equal(virtq_pending(&q), 0);
	for (unsigned i = 0; i < 5; i++) {
		desc(i, BUF, 8, 0, 0);
		post((uint16_t)i);
	}
	assert_int_equal(virtq_pending(&q), 5);
	pop_ok();
	pop_ok();
	assert_int_equal(virtq_pending(&q), 3);
	av()->idx = (uint16_t)(q.last_avail + 9);
	assert_int_equal(virtq_pending(&q), 0);
}

/* What --verbose says of a queue at the VM's end: chains the device has
 * not taken, chains it has not answered, and the indices each side left. */
static void test_describe(void **state)
{
	char line[256];

	(void)state;
	make_queue(8, false, true);
	for (unsigned i = 0; i < 3; i++) {
		desc(i, BUF, 8, 0, 0);
		post((uint16_t)i);
	}
	pop_ok();
	pop_ok();
	virtq_push(&q, 0, 1);
	*used_event_p() = 0;
	*avail_event_p() = 2;
	virtq_describe(&q, line, sizeof(line));
	assert_contains(line, "avail.idx 3, taken 2 (1 waiting), used.idx 1 (1 in flight)");
	assert_contains(line, "driver's used_event 0, device's avail_event 2");
	virtq_poll_begin(&q);
	virtq_notify_off(&q);
	virtq_describe(&q, line, sizeof(line));
	assert_contains(line, ", polling, notifications off");
	/* Without EVENT_IDX the flags are what each side asked for. */
	make_queue(8, false, false);
	av()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtq_notify_off(&q);
	virtq_describe(&q, line, sizeof(line));
	assert_contains(line, "avail.idx 0, taken 0 (0 waiting), used.idx 0 (0 in flight); avail.flags 0x1, used.flags 0x1");
	/* A short buffer holds a cut line, never more. */
	memset(line, 'x', sizeof(line));
	virtq_describe(&q, line, 12);
	assert_int_equal(strlen(line), 11);
	assert_int_equal(line[12], 'x');
}

/* --- copies --------------------------------------------------------------- */

static void test_chain_copies(void **state)
{
	char buf[32];

	(void)state;
	make_queue(8, false, false);
	memcpy(g(BUF), "abcd", 4);
	memcpy(g(BUF + 0x100), "efg", 3);
	memcpy(g(BUF + 0x200), "hijkl", 5);
	desc(0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(1, BUF + 0x100, 3, VIRTQ_DESC_F_NEXT, 2);
	desc(2, BUF + 0x200, 5, VIRTQ_DESC_F_NEXT, 3);
	desc(3, BUF + 0x300, 2, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 4);
	desc(4, BUF + 0x400, 6, VIRTQ_DESC_F_WRITE, 0);
	post(0);
	pop_ok();
	assert_int_equal(c.nout, 3);
	assert_int_equal(c.nin, 2);

	memset(buf, 0, sizeof(buf));
	assert_int_equal(virtq_chain_read(&c, 0, buf, sizeof(buf)), 12);
	assert_string_equal(buf, "abcdefghijkl");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(virtq_chain_read(&c, 2, buf, 7), 7); /* across all three */
	assert_string_equal(buf, "cdefghi");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(virtq_chain_read(&c, 4, buf, 3), 3); /* exactly the second */
	assert_string_equal(buf, "efg");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(virtq_chain_read(&c, 10, buf, 10), 2);
	assert_string_equal(buf, "kl");
	assert_int_equal(virtq_chain_read(&c, 12, buf, 10), 0);
	assert_int_equal(virtq_chain_read(&c, 1000, buf, 10), 0);
	assert_int_equal(virtq_chain_read(&c, 0, buf, 0), 0);

	/* Writes go to the writable part only, never to the readable one. */
	assert_int_equal(virtq_chain_write(&c, 1, "XYZWV", 5), 5);
	assert_memory_equal(g(BUF + 0x300), "\0X", 2);
	assert_memory_equal(g(BUF + 0x400), "YZWV\0\0", 6);
	assert_int_equal(virtq_chain_write(&c, 6, "123456", 6), 2); /* truncated at the end */
	assert_memory_equal(g(BUF + 0x400), "YZWV12", 6);
	assert_int_equal(((uint8_t *)g(BUF + 0x400))[6], 0);
	assert_int_equal(virtq_chain_write(&c, 8, "!", 1), 0);
	assert_memory_equal(g(BUF), "abcd", 4);
	/* Reading still reads only the readable part. */
	assert_int_equal(virtq_chain_read(&c, 0, buf, sizeof(buf)), 12);
}

static void test_chain_copies_empty_side(void **state)
{
	char buf[8] = "zzzzzzz";

	(void)state;
	make_queue(8, false, false);
	desc(0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	post(0);
	pop_ok();
	assert_int_equal(virtq_chain_read(&c, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "zzzzzzz");
	desc(1, BUF, 8, 0, 0);
	post(1);
	pop_ok();
	assert_int_equal(virtq_chain_write(&c, 0, buf, sizeof(buf)), 0);
	assert_int_equal(*(uint8_t *)g(BUF), 0);
}

/* --- index wrap-around ---------------------------------------------------- */

static void test_wrap_around(void **state)
{
	struct virtq_used *u;

	(void)state;
	make_queue(8, false, true);
	u = us();
	/* As if 65534 chains had gone through already. */
	q.last_avail = q.used_idx = 65534;
	av()->idx = 65534;
	u->idx = 65534;
	for (unsigned i = 0; i < 4; i++) {
		desc(i, BUF + i, 1, VIRTQ_DESC_F_WRITE, 0);
		post((uint16_t)i);
	}
	assert_int_equal(av()->idx, 2);
	/* Slots 65534 % 8 = 6, 7, then 0, 1. */
	assert_int_equal(av()->ring[6], 0);
	assert_int_equal(av()->ring[1], 3);
	assert_int_equal(virtq_pending(&q), 4);
	assert_true(virtq_notify_on(&q));
	assert_int_equal(*avail_event_p(), 65534);
	for (unsigned i = 0; i < 4; i++) {
		pop_ok();
		assert_int_equal(c.head, i);
		assert_ptr_equal(c.iov[0].iov_base, g(BUF + i));
		virtq_push(&q, c.head, 1);
	}
	assert_int_equal(q.last_avail, 2);
	assert_int_equal(u->idx, 2);
	assert_int_equal(u->ring[6].id, 0);
	assert_int_equal(u->ring[7].id, 1);
	assert_int_equal(u->ring[0].id, 2);
	assert_int_equal(u->ring[1].id, 3);
	assert_false(virtq_notify_on(&q));
	assert_int_equal(*avail_event_p(), 2);
	assert_int_equal(virtq_pop(&q, &c), 0);
	/* A jump across the wrap is still a jump. */
	q.last_avail = 65530;
	av()->idx = 5; /* 11 ahead */
	assert_int_equal(virtq_pending(&q), 0);
	pop_bad("jumped by 11");
	av()->idx = 2; /* 8 ahead: fine */
	assert_int_equal(virtq_pending(&q), 8);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_size_rules),
		T(test_alignment_rules),
		T(test_rings_in_ram),
		T(test_inactive_queue_pops_nothing),
		T(test_simple_chain),
		T(test_multi_descriptor_chain),
		T(test_chain_as_long_as_queue),
		T(test_zero_length_skipped),
		T(test_unpop),
		T(test_buffer_in_ram),
		T(test_addr_len_overflow),
		T(test_loops),
		T(test_next_out_of_range),
		T(test_head_out_of_range),
		T(test_readable_after_writable),
		T(test_avail_index_jump),
		T(test_indirect_good),
		T(test_indirect_rules),
		T(test_indirect_nested),
		T(test_indirect_not_at_head),
		T(test_indirect_walk_rules),
		T(test_push),
		T(test_push_n),
		T(test_interrupt_flags),
		T(test_interrupt_event_idx),
		T(test_interrupt_event_idx_wrap),
		T(test_notify_suppression),
		T(test_notify_event_idx),
		T(test_polling),
		T(test_pending),
		T(test_describe),
	T(test_describe),
		T(test_chain_copies),
		T(test_chain_copies_empty_side),
		T(test_wrap_around),
	};
#undef T

	return cmocka_run_group_tests_name("virtqueue", tests, NULL, NULL);
}
