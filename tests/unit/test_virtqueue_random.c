/* A hostile driver, at random: the split virtqueue (src/virtio/virtqueue.c)
 * against descriptor tables, indirect tables and avail rings filled with
 * random, mostly-plausible values, compared with a reference walk written
 * here from the rules of virtio 1.2 section 2.7 (and warden's own limits).
 *
 * What it guarantees, for every generated queue state:
 * - virtq_pop ends (it is called at most queue size + 1 times per state);
 * - it accepts a chain exactly when the reference does, and then returns
 *   exactly the reference's buffers (host address and length, readable
 *   before writable, byte counts), every one wholly inside guest RAM;
 * - it refuses a chain with a message and without consuming it;
 * - copying into and out of an accepted chain stays inside its buffers.
 * The targeted cases (one per rule) are in test_virtqueue.c; this test is
 * the breadth behind them. Seeds are fixed so that a failure reproduces:
 * it names the seed and the iteration.
 *
 * The reference detects loops by remembering the descriptors a chain has
 * visited, where the implementation counts steps: two formulations of one
 * rule. Guest memory is a real gmem_map() with the MMIO hole and high RAM
 * (MAP_NORESERVE), and buffer addresses are drawn from a few areas (around
 * the start of RAM, the hole and the end of high RAM, and absurd values),
 * so only a few pages are ever touched. */
#include "core/guest_mem.h"
#include "virtio/virtqueue.h"
#include "unit.h"

#define MEM_SIZE (3 * GMEM_GIB + 4 * GMEM_MIB)
#define LOW_END (3 * GMEM_GIB)
#define HIGH (4 * GMEM_GIB)
#define HIGH_END (HIGH + 4 * GMEM_MIB)
#define DESC 0x10000ULL
#define AVAIL 0x20000ULL
#define USED 0x21000ULL
#define ITAB 0x30000ULL  /* indirect tables: 4 slots of up to 256 entries */
#define ITAB_SLOTS 4
#define BUF 0x100000ULL  /* buffers inside low RAM */
#define ITERATIONS 20000

static struct guest_mem mem;
static struct virtq q;
static struct virtq_chain c;
static uint64_t rng;

static int setup(void **state)
{
	(void)state;
	return gmem_map(&mem, MEM_SIZE);
}

static int teardown(void **state)
{
	(void)state;
	gmem_unmap(&mem);
	return 0;
}

static void *g(uint64_t a, uint64_t len)
{
	void *p = gmem_ptr(&mem, a, len);

	assert_non_null(p);
	return p;
}

static uint64_t pick(uint64_t n) { return u_below(&rng, n); }
static bool chance(unsigned percent) { return pick(100) < percent; }
/* Below N mostly; else at the edges, where off-by-one errors live. */
static uint32_t near(uint32_t n)
{
	switch (pick(10)) {
	case 0: return n;
	case 1: return n + 1;
	case 2: return (uint32_t)u_rand(&rng) & 0xffff;
	default: return (uint32_t)pick(n);
	}
}

/* --- the random driver ---------------------------------------------------- */

/* Mostly a buffer in RAM (chains must often be good for the accepting
 * path to be exercised), else one at or across an edge of RAM. */
static uint64_t random_addr(void)
{
	if (chance(75))
		return chance(80) ? BUF + pick(0x10000) : HIGH + pick(0x3000);
	switch (pick(6)) {
	case 0: return LOW_END - pick(0x3000);                   /* up to the hole */
	case 1: return LOW_END + pick(GMEM_GIB);                 /* in the hole */
	case 2: return HIGH_END - pick(0x3000);                  /* the end of RAM */
	case 3: return UINT64_MAX - pick(0x3000);                /* wraps */
	case 4: return HIGH_END + pick(1ULL << 40);              /* past RAM */
	default: return DESC + pick(0x30000);                    /* over the rings */
	}
}

static uint32_t random_len(void)
{
	switch (pick(8)) {
	case 0: return 0;
	case 1: return UINT32_MAX - (uint32_t)pick(16);
	case 2: return (uint32_t)pick(0x4000);
	default: return 1 + (uint32_t)pick(512);
	}
}

/* Anything at all for one descriptor of a table of TSIZE entries. */
static struct virtq_desc random_desc(uint32_t tsize)
{
	struct virtq_desc d = { .addr = random_addr(), .len = random_len() };

	if (chance(60))
		d.flags |= VIRTQ_DESC_F_NEXT;
	if (chance(40))
		d.flags |= VIRTQ_DESC_F_WRITE;
	if (chance(8)) {
		d.flags |= VIRTQ_DESC_F_INDIRECT;
		if (chance(85)) {
			d.addr = ITAB + pick(ITAB_SLOTS) * 0x1000;
			d.len = 16 * (uint32_t)pick(tsize + 2);
		}
	}
	if (chance(3))
		d.flags |= (uint16_t)(pick(0x10000) & ~7u); /* undefined bits */
	d.next = (uint16_t)near(tsize);
	return d;
}

/* A well-formed chain as a driver builds it: the entries IDX[0..n) of
 * TABLE, device-readable buffers first. */
static void good_chain(struct virtq_desc *table, const uint16_t *idx, unsigned n)
{
	unsigned first_write = (unsigned)pick(n + 1);

	for (unsigned i = 0; i < n; i++) {
		struct virtq_desc *d = &table[idx[i]];

		*d = (struct virtq_desc){ .addr = chance(80) ? BUF + pick(0x10000) : HIGH + pick(0x3000),
					  .len = (uint32_t)pick(600) };
		if (i >= first_write)
			d->flags |= VIRTQ_DESC_F_WRITE;
		if (i + 1 < n) {
			d->flags |= VIRTQ_DESC_F_NEXT;
			d->next = idx[i + 1];
		}
	}
}

/* Shuffled 0..N-1 into P. */
static void permutation(uint16_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint16_t)i;
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)pick(i);
		uint16_t t = p[i - 1];

		p[i - 1] = p[j];
		p[j] = t;
	}
}

/* Post well-formed chains for as many avail entries as MOVED: each either a
 * chain of free descriptors or (with INDIRECT) one descriptor pointing at
 * an indirect table slot. */
static void good_queue(struct virtq_desc *t, struct virtq_avail *a, uint16_t size,
		       uint16_t start, uint16_t moved)
{
	static uint16_t order[VIRTQ_MAX_SIZE];
	unsigned used = 0, slot = 0;

	permutation(order, size);
	for (unsigned k = 0; k < moved && used < size; k++) {
		unsigned n = 1 + (unsigned)pick(4);
		uint16_t head = order[used];

		if (q.indirect && slot < ITAB_SLOTS && chance(25)) {
			static uint16_t iorder[VIRTQ_MAX_SIZE];
			struct virtq_desc *it = g(ITAB + slot * 0x1000ULL, 0x1000);
			unsigned in = 1 + (unsigned)pick(size);

			for (unsigned i = 0; i < in; i++)
				iorder[i] = (uint16_t)i; /* an indirect chain starts at entry 0 */
			good_chain(it, iorder, in);
			t[head] = (struct virtq_desc){ .addr = ITAB + slot * 0x1000ULL,
						       .len = 16 * in, .flags = VIRTQ_DESC_F_INDIRECT };
			slot++;
			used++;
		} else {
			n = n < size - used ? n : size - used;
			good_chain(t, &order[used], n);
			used += n;
		}
		a->ring[(uint16_t)(start + k) % size] = head;
	}
}

/* Break the queue state in one random place. */
static void corrupt(struct virtq_desc *t, struct virtq_avail *a, uint16_t size)
{
	switch (pick(5)) {
	case 0: t[pick(size)] = random_desc(size); break;
	case 1: t[pick(size)].next = (uint16_t)near(size); break;          /* a loop, or out */
	case 2: t[pick(size)].flags ^= (uint16_t)(1u << pick(3)); break;   /* NEXT/WRITE/INDIRECT */
	case 3: a->ring[pick(size)] = (uint16_t)near(size); break;
	default: {
		struct virtq_desc *it = g(ITAB, ITAB_SLOTS * 0x1000);

		it[pick(ITAB_SLOTS * 0x1000 / sizeof(*it))] = random_desc(size);
		break;
	}
	}
}

/* Fill the rings and tables, activate, and move the indexes to a random
 * place; the queue state is then fixed for the pops that follow. Half the
 * queues are well formed, the others have one to four faults, and now and
 * then the avail index is anything at all. */
static void random_queue(void)
{
	uint16_t size = (uint16_t)(1u << pick(9));
	struct virtq_desc *t = g(DESC, VIRTQ_DESC_BYTES(size));
	struct virtq_avail *a = g(AVAIL, VIRTQ_AVAIL_BYTES(size));
	uint16_t start = (uint16_t)u_rand(&rng), moved = (uint16_t)pick(size + 1u);

	virtq_reset(&q);
	q.size = size;
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	q.indirect = chance(70);
	q.event_idx = chance(50);
	for (unsigned i = 0; i < size; i++)
		t[i] = random_desc(size);
	for (unsigned i = 0; i < size; i++)
		a->ring[i] = (uint16_t)pick(size);
	good_queue(t, a, size, start, moved);
	if (chance(50))
		for (unsigned n = 1 + (unsigned)pick(4); n; n--)
			corrupt(t, a, size);
	if (chance(5))
		moved = (uint16_t)near(size); /* maybe more than the queue holds */
	a->idx = (uint16_t)(start + moved);
	if (virtq_activate(&q, &mem) != 0)
		fail_msg("activation failed: %s", q.error);
	q.last_avail = q.used_idx = start; /* a queue that has been running */
}

/* --- the reference -------------------------------------------------------- */

struct ref_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

struct ref_chain {
	unsigned n;
	struct ref_buf b[VIRTQ_MAX_SIZE];
};

static const struct virtq_desc *table_at(uint64_t gpa, uint64_t entries)
{
	return gmem_ptr(&mem, gpa, entries * sizeof(struct virtq_desc));
}

/* A buffer in RAM joins the chain; false if the chain is broken by it. */
static bool ref_buffer(struct ref_chain *r, const struct virtq_desc *d)
{
	if (d->len == 0)
		return true;
	if (!gmem_ptr(&mem, d->addr, d->len) || r->n == VIRTQ_MAX_SIZE)
		return false;
	if (!(d->flags & VIRTQ_DESC_F_WRITE) && r->n && r->b[r->n - 1].write)
		return false;
	r->b[r->n++] = (struct ref_buf){ d->addr, d->len, d->flags & VIRTQ_DESC_F_WRITE };
	return true;
}

/* Follow the chain at HEAD of TABLE (TSIZE entries); false if it breaks a
 * rule. TOP is the descriptor table, where an indirect descriptor may head
 * a chain. */
static bool ref_follow(struct ref_chain *r, const struct virtq_desc *table, uint32_t tsize,
		       uint32_t head, bool top)
{
	bool seen[VIRTQ_MAX_SIZE] = { false };
	uint32_t i = head;

	for (bool first = true;; first = false) {
		struct virtq_desc d;

		memcpy(&d, &table[i], sizeof(d)); /* an indirect table may be unaligned */

		if (seen[i])
			return false; /* a loop */
		seen[i] = true;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			uint64_t n = d.len / sizeof(d);
			const struct virtq_desc *it;

			if (!top || !first || !q.indirect || (d.flags & VIRTQ_DESC_F_NEXT) ||
			    d.len == 0 || d.len % sizeof(d) || n > q.size)
				return false;
			it = table_at(d.addr, n);
			return it && ref_follow(r, it, (uint32_t)n, 0, false);
		}
		if (!ref_buffer(r, &d))
			return false;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return true;
		if (d.next >= tsize)
			return false;
		i = d.next;
	}
}

/* What the next pop must do: 0 empty, 1 a chain (in R), -1 refused. */
static int ref_pop(struct ref_chain *r)
{
	const struct virtq_avail *a = g(AVAIL, VIRTQ_AVAIL_BYTES(q.size));
	uint16_t moved = (uint16_t)(a->idx - q.last_avail), head;

	r->n = 0;
	if (moved == 0)
		return 0;
	if (moved > q.size)
		return -1;
	head = a->ring[q.last_avail % q.size];
	if (head >= q.size)
		return -1;
	return ref_follow(r, table_at(DESC, q.size), q.size, head, true) ? 1 : -1;
}

/* --- the comparison ------------------------------------------------------- */

static bool in_ram(const void *p, size_t len)
{
	for (unsigned i = 0; i < mem.nregions; i++) {
		const uint8_t *s = mem.regions[i].hva, *e = s + mem.regions[i].size;

		if ((const uint8_t *)p >= s && len <= (size_t)(e - (const uint8_t *)p))
			return true;
	}
	return false;
}

static void check_chain(const struct ref_chain *r, unsigned iter)
{
	uint64_t out = 0, in = 0;
	unsigned nout = 0;

	if (c.nout + c.nin != r->n)
		fail_msg("iteration %u: %u buffers, reference %u", iter, c.nout + c.nin, r->n);
	for (unsigned i = 0; i < r->n; i++) {
		const struct iovec *v = &c.iov[i];

		if (v->iov_base != gmem_ptr(&mem, r->b[i].gpa, r->b[i].len) || v->iov_len != r->b[i].len)
			fail_msg("iteration %u: buffer %u is not 0x%llx+%u", iter, i,
				 (unsigned long long)r->b[i].gpa, r->b[i].len);
		if (!in_ram(v->iov_base, v->iov_len))
			fail_msg("iteration %u: buffer %u outside guest RAM", iter, i);
		if (r->b[i].write)
			in += v->iov_len;
		else
			out += v->iov_len, nout++;
	}
	if (c.nout != nout || c.out_bytes != out || c.in_bytes != in)
		fail_msg("iteration %u: counts %u/%llu/%llu, reference %u/%llu/%llu", iter, c.nout,
			 (unsigned long long)c.out_bytes, (unsigned long long)c.in_bytes, nout,
			 (unsigned long long)out, (unsigned long long)in);
}

/* Whether a writable buffer of the chain lies over the rings and tables:
 * writing into it would change the queue state under the comparison. */
static bool writes_rings(void)
{
	const uint8_t *lo = g(DESC, 1), *hi = lo + (ITAB + ITAB_SLOTS * 0x1000 - DESC);

	for (unsigned i = c.nout; i < c.nout + c.nin; i++) {
		const uint8_t *b = c.iov[i].iov_base;

		if (b < hi && b + c.iov[i].iov_len > lo)
			return true;
	}
	return false;
}

/* Copies stop at the chain's ends: write a pattern past the writable part
 * and read past the readable part. */
static void check_copies(void)
{
	static uint8_t buf[8192];
	size_t off = c.in_bytes > 64 ? c.in_bytes - 64 : 0;
	size_t want = c.in_bytes - off < sizeof(buf) ? c.in_bytes - off : sizeof(buf);

	memset(buf, 0x5a, sizeof(buf));
	if (!writes_rings())
		assert_int_equal(virtq_chain_write(&c, off, buf, sizeof(buf)), want);
	off = c.out_bytes > 64 ? c.out_bytes - 64 : 0;
	want = c.out_bytes - off < sizeof(buf) ? c.out_bytes - off : sizeof(buf);
	assert_int_equal(virtq_chain_read(&c, off, buf, sizeof(buf)), want);
}

/* Pop until the queue is empty or refuses, comparing every step. */
static unsigned chains_taken, queues_refused;

static void drain(unsigned iter)
{
	static struct ref_chain r;

	for (unsigned k = 0; k <= q.size; k++) {
		uint16_t before = q.last_avail;
		int want = ref_pop(&r), got = virtq_pop(&q, &c);

		if (got != want)
			fail_msg("iteration %u pop %u: virtq_pop %d, reference %d (%s)", iter, k, got,
				 want, got < 0 ? q.error : "");
		if (got == 0)
			return;
		if (got < 0) {
			assert_true(q.error[0] != 0 && !strchr(q.error, '\n'));
			assert_int_equal(q.last_avail, before);
			queues_refused++;
			return;
		}
		chains_taken++;
		check_chain(&r, iter);
		check_copies();
		virtq_push(&q, c.head, (uint32_t)c.in_bytes);
		(void)virtq_needs_interrupt(&q);
	}
	fail_msg("iteration %u: more chains than the queue holds", iter);
}

static void run_seed(uint64_t seed)
{
	rng = seed;
	chains_taken = queues_refused = 0;
	for (unsigned i = 0; i < ITERATIONS; i++) {
		random_queue();
		drain(i);
	}
	/* The generator must produce both kinds, or the test proves little. */
	print_message("seed %#llx: %u queues, %u chains taken, %u queues refused one\n",
		      (unsigned long long)seed, ITERATIONS, chains_taken, queues_refused);
	assert_true(chains_taken > ITERATIONS / 2);
	assert_true(queues_refused > ITERATIONS / 10);
}

static void test_random_queues_seed1(void **state)
{
	(void)state;
	run_seed(0x9e3779b97f4a7c15ULL);
}

static void test_random_queues_seed2(void **state)
{
	(void)state;
	run_seed(0xd1b54a32d192ed03ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_queues_seed1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_queues_seed2, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
