#include "accounting/exit_stats.h"

#include <errno.h>
#include <stddef.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/hot.h"

/* What an exit touches of its exit_stats, up to the end of the last exits'
 * ring, in its first page. */
_Static_assert(offsetof(struct exit_stats, pair_key) <= 4096,
	       "an exit's fields of exit_stats fit in one page");

/* The array is mapped, not written: most of its 1.4 MiB a vCPU are cells
 * (a device's, a reason's) that no exit of this VM touches, and a page
 * costs only when first used.  Zeroed by calloc it took 1 ms natively and
 * 8 in the emulated tier at every start (the restore's "observatory"
 * set-up phase).  The mapping is page aligned and sizeof is a multiple of
 * a page (the type's alignment), so every element starts a page.  The
 * page before the array holds the mapping's length for stats_free. */
#define STATS_HEAD 4096u

struct exit_stats *stats_alloc(unsigned n)
{
	size_t len = STATS_HEAD + (size_t)(n ? n : 1) * sizeof(struct exit_stats);
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, &len, sizeof(len));
	return (struct exit_stats *)(p + STATS_HEAD);
}

void stats_free(struct exit_stats *s)
{
	uint8_t *p;
	size_t len;

	if (!s)
		return;
	p = (uint8_t *)s - STATS_HEAD;
	memcpy(&len, p, sizeof(len));
	munmap(p, len);
}

const char *stats_reason_name(unsigned slot)
{
	static const char *const names[STATS_NREASONS] = {
		[KVM_EXIT_UNKNOWN] = "unknown",
		[KVM_EXIT_EXCEPTION] = "exception",
		[KVM_EXIT_IO] = "io",
		[KVM_EXIT_HYPERCALL] = "hypercall",
		[KVM_EXIT_DEBUG] = "debug",
		[KVM_EXIT_HLT] = "hlt",
		[KVM_EXIT_MMIO] = "mmio",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
		[KVM_EXIT_SHUTDOWN] = "shutdown",
		[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
		[KVM_EXIT_INTR] = "intr",
		[KVM_EXIT_SET_TPR] = "set_tpr",
		[KVM_EXIT_TPR_ACCESS] = "tpr_access",
		[KVM_EXIT_NMI] = "nmi",
		[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
		[KVM_EXIT_SYSTEM_EVENT] = "system_event",
		[KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
		[KVM_EXIT_HYPERV] = "hyperv",
		[KVM_EXIT_X86_RDMSR] = "rdmsr",
		[KVM_EXIT_X86_WRMSR] = "wrmsr",
		[KVM_EXIT_DIRTY_RING_FULL] = "dirty_ring_full",
		[KVM_EXIT_X86_BUS_LOCK] = "bus_lock",
		[KVM_EXIT_NOTIFY] = "notify",
		[STATS_REASON_EINTR] = "signal",
		[STATS_REASON_EAGAIN] = "ap_wakeup",
	};
	static char other[STATS_NREASONS][16];

	if (slot >= STATS_NREASONS)
		slot = KVM_EXIT_UNKNOWN;
	if (names[slot])
		return names[slot];
	if (!other[slot][0])
		snprintf(other[slot], sizeof(other[slot]), "reason_%u", slot);
	return other[slot];
}

/* The parts of E, from the run loop's stamps. */
static uint64_t part_run(const struct exit_note *e) { return e->t_exit - e->t_enter; }
static uint64_t part_decode(const struct exit_note *e) { return e->t_decoded - e->t_exit; }
static uint64_t part_emulate(const struct exit_note *e) { return e->t_done - e->t_decoded; }

static void cost_merge(struct exit_cost *dst, const struct exit_cost *src)
{
	if (!src->handle.count && !src->part[PART_RETURN].count)
		return; /* most cells are empty: skip their buckets */
	hist_merge(&dst->handle, &src->handle);
	for (unsigned p = 0; p < STATS_NPARTS; p++)
		hist_merge(&dst->part[p], &src->part[p]);
}

/* Add COUNT exits at (SPACE, ADDR) to the open-addressing table of an
 * address array (TAB, with its OVERFLOW); a full table counts them as
 * overflow. Returns the slot, or STATS_ADDR_SLOTS. */
static unsigned addr_add(struct addr_stat *tab, uint64_t *overflow, uint8_t space, uint64_t addr,
			 int dev, uint64_t count, uint64_t ticks)
{
	unsigned h = (unsigned)((addr * 0x9E3779B97F4A7C15ULL) >> 56) ^ space;

	for (unsigned i = 0; i < STATS_ADDR_SLOTS; i++) {
		unsigned k = (h + i) % STATS_ADDR_SLOTS;
		struct addr_stat *a = &tab[k];

		if (!a->used) {
			*a = (struct addr_stat){ .addr = addr, .space = space, .used = 1,
						 .dev = (int16_t)dev };
		}
		if (a->addr == addr && a->space == space) {
			a->count += count;
			a->ticks += ticks;
			return k;
		}
	}
	*overflow += count;
	return STATS_ADDR_SLOTS;
}

static bool valid_dev(int dev)
{
	return dev >= 0 && dev < STATS_MAX_DEVICES;
}

/* E's owner (a device slot or STATS_OWNER_UNCLAIMED), or -1 for none. */
static int owner_of(const struct exit_note *e)
{
	if (valid_dev(e->dev))
		return e->dev;
	return e->unclaimed ? STATS_OWNER_UNCLAIMED : -1;
}

static unsigned slot_of(const struct exit_note *e)
{
	return e->slot < STATS_NREASONS ? e->slot : KVM_EXIT_UNKNOWN;
}

/* Cell ids: the pair cells, then the unowned cells by reason, then the
 * spill cells by owner. */
#define ID_UNOWNED(slot) (STATS_PAIRS + (slot))
#define ID_SPILL(owner) (STATS_PAIRS + STATS_NREASONS + (owner))

static struct exit_cost *cell_of(struct exit_stats *s, unsigned id)
{
	if (id < STATS_PAIRS)
		return &s->pair[id];
	if (id < ID_SPILL(0))
		return &s->unowned[id - STATS_PAIRS];
	if (id < ID_SPILL(STATS_OWNERS))
		return &s->spill[id - ID_SPILL(0)];
	return NULL; /* STATS_NO_CELL */
}

/* SLOT's row of pair_of, or -1 for a reason whose exits have no owner.
 * By compare: a switch would be a jump table in .rodata (util/hot.h). */
static int owned_row(unsigned slot)
{
	if (slot == KVM_EXIT_IO)
		return 0;
	if (slot == KVM_EXIT_MMIO)
		return 1;
	if (slot == KVM_EXIT_X86_RDMSR)
		return 2;
	if (slot == KVM_EXIT_X86_WRMSR)
		return 3;
	return -1;
}

/* The id of (SLOT, OWNER)'s pair cell, made at the pair's first exit;
 * STATS_NO_CELL when it has none and pair[] is full (or MAKE is false). */
static unsigned pair_id(struct exit_stats *s, unsigned slot, unsigned owner, bool make)
{
	int row = owned_row(slot);
	unsigned i, n;

	if (row < 0)
		return STATS_NO_CELL;
	i = s->pair_of[row][owner];
	if (i)
		return i - 1;
	n = atomic_load_explicit(&s->npairs, memory_order_relaxed);
	if (!make || n >= STATS_PAIRS)
		return STATS_NO_CELL;
	s->pair_key[n] = (uint16_t)(slot * STATS_OWNERS + owner);
	s->pair_of[row][owner] = (uint8_t)(n + 1);
	atomic_store_explicit(&s->npairs, n + 1, memory_order_release);
	return n;
}

/* The address of an access exit; the last one's slot is tried first,
 * since a busy guest hits the same port or register exit after exit. */
static void addr_record(struct exit_stats *s, const struct exit_sample *x, uint64_t ticks)
{
	struct addr_stat *a = &s->addr[s->addr_hint % STATS_ADDR_SLOTS];

	if (a->used && a->addr == x->addr && a->space == x->space) {
		a->count++;
		a->ticks += ticks;
		return;
	}
	s->addr_hint = addr_add(s->addr, &s->addr_overflow, x->space, x->addr, x->dev, 1, ticks);
}

static void return_add(struct exit_stats *s, unsigned cell, unsigned spill, uint64_t ticks)
{
	struct exit_cost *c = cell_of(s, cell), *sp = cell_of(s, spill);

	if (c)
		hist_add(&c->part[PART_RETURN], ticks);
	if (sp)
		hist_add(&sp->part[PART_RETURN], ticks);
}

static void cell_add(struct exit_cost *c, const struct exit_sample *x)
{
	hist_add(&c->handle, x->decode + x->emulate);
	hist_add(&c->part[PART_RUN], x->run);
	hist_add(&c->part[PART_DECODE], x->decode);
	hist_add(&c->part[PART_EMULATE], x->emulate);
}

/* A cell id kept as 1 + id (0: no exit yet, a zeroed exit_stats). */
static unsigned last_id(uint16_t kept)
{
	return kept ? kept - 1u : STATS_NO_CELL;
}

EXIT_PATH void stats_flush(struct exit_stats *s)
{
	unsigned n = atomic_load_explicit(&s->npending, memory_order_relaxed);

	if (n > STATS_PENDING)
		n = STATS_PENDING;
	if (s->sink && n)
		s->sink(s->sink_ctx, s->pending, n);
	for (unsigned i = 0; i < n; i++) {
		const struct exit_sample *x = &s->pending[i];
		struct exit_cost *c = cell_of(s, x->cell), *sp = cell_of(s, x->spill);

		return_add(s, x->ret_cell, x->ret_spill, x->ret);
		if (c)
			cell_add(c, x);
		if (sp)
			cell_add(sp, x);
		if (x->access)
			addr_record(s, x, x->decode + x->emulate);
	}
	atomic_store_explicit(&s->npending, 0, memory_order_release);
}

EXIT_PATH void stats_record(struct exit_stats *s, const struct exit_note *e)
{
	unsigned slot = slot_of(e), cell = STATS_NO_CELL, spill = STATS_NO_CELL;
	int owner = owner_of(e);
	struct exit_sample *x;
	unsigned n;

	s->run_ticks += part_run(e);
	atomic_store_explicit(&s->live[slot],
			      atomic_load_explicit(&s->live[slot], memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (owner >= 0)
		cell = pair_id(s, slot, (unsigned)owner, true);
	if (cell == STATS_NO_CELL) {
		/* No owner, or (never in practice) no pair cell left: the
		 * reason's cell, and the owner's spill cell. */
		cell = ID_UNOWNED(slot);
		if (owner >= 0)
			spill = ID_SPILL((unsigned)owner);
	}
	if (atomic_load_explicit(&s->npending, memory_order_relaxed) >= STATS_PENDING)
		stats_flush(s);
	n = atomic_load_explicit(&s->npending, memory_order_relaxed);
	x = &s->pending[n];
	*x = (struct exit_sample){
		.run = part_run(e), .decode = part_decode(e), .emulate = part_emulate(e),
		.ret = e->return_ticks, .addr = e->addr,
		.cell = (uint16_t)cell, .spill = (uint16_t)spill,
		.ret_cell = e->has_return ? last_id(s->last_cell) : STATS_NO_CELL,
		.ret_spill = e->has_return ? last_id(s->last_spill) : STATS_NO_CELL,
		.dev = (int16_t)(valid_dev(e->dev) ? e->dev : STATS_DEV_NONE), .space = e->space,
		.access = e->kind == EXIT_ACCESS || e->kind == EXIT_MSR,
	};
	atomic_store_explicit(&s->npending, n + 1, memory_order_release);
	s->last_cell = (uint16_t)(cell + 1);
	s->last_spill = (uint16_t)(spill + 1);
}

void stats_record_return(struct exit_stats *s, const struct exit_note *e, uint64_t ticks)
{
	unsigned slot = slot_of(e), id;
	int owner = owner_of(e);

	stats_flush(s);
	id = owner >= 0 ? pair_id(s, slot, (unsigned)owner, false) : STATS_NO_CELL;
	if (id != STATS_NO_CELL)
		return_add(s, id, STATS_NO_CELL, ticks);
	else
		return_add(s, ID_UNOWNED(slot), owner >= 0 ? ID_SPILL((unsigned)owner) : STATS_NO_CELL,
			   ticks);
}

void stats_record_last_return(struct exit_stats *s, uint64_t ticks)
{
	stats_flush(s);
	return_add(s, last_id(s->last_cell), last_id(s->last_spill), ticks);
}

uint64_t stats_live_count(const struct exit_stats *s, unsigned slot)
{
	return slot < STATS_NREASONS ? atomic_load_explicit(&s->live[slot], memory_order_relaxed) : 0;
}

uint64_t stats_device_count(const struct exit_stats *s, int dev)
{
	unsigned n = atomic_load_explicit(&s->npairs, memory_order_acquire);
	uint64_t t = 0;

	if (!valid_dev(dev))
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (s->pair_key[i] % STATS_OWNERS == (unsigned)dev)
			t += s->pair[i].handle.count;
	for (unsigned i = 0; i < atomic_load_explicit(&s->npending, memory_order_relaxed) && i < STATS_PENDING; i++)
		if (s->pending[i].dev == dev)
			t++;
	return t + s->spill[dev].handle.count;
}

static int addr_desc(const void *a, const void *b)
{
	const struct addr_stat *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

unsigned stats_addrs_sorted(const struct exit_view *v, int space, bool unclaimed_only,
			    struct addr_stat *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < STATS_ADDR_SLOTS; i++)
		if (v->addr[i].used && (space < 0 || v->addr[i].space == space) &&
		    (!unclaimed_only || v->addr[i].dev < 0))
			out[n++] = v->addr[i];
	qsort(out, n, sizeof(out[0]), addr_desc);
	return n;
}

uint64_t stats_total(const struct exit_stats *s)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < STATS_NREASONS; i++)
		t += stats_live_count(s, i);
	return t;
}

uint64_t stats_view_total(const struct exit_view *v)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < STATS_NREASONS; i++)
		t += v->reason[i].handle.count;
	return t;
}

/* The view's costs that cell ID of S adds to (its reason's, its owner's:
 * either may be NULL). */
static void view_costs(struct exit_view *out, const struct exit_stats *s, unsigned id,
		       struct exit_cost **reason, struct exit_cost **owner)
{
	unsigned slot = STATS_NREASONS, o = STATS_OWNERS;

	if (id < STATS_PAIRS) {
		slot = s->pair_key[id] / STATS_OWNERS;
		o = s->pair_key[id] % STATS_OWNERS;
	} else if (id < ID_SPILL(0)) {
		slot = id - STATS_PAIRS;
	} else if (id < ID_SPILL(STATS_OWNERS)) {
		o = id - ID_SPILL(0);
	}
	*reason = slot < STATS_NREASONS ? &out->reason[slot] : NULL;
	*owner = o == STATS_OWNER_UNCLAIMED ? &out->unclaimed : o < STATS_MAX_DEVICES ? &out->device[o] : NULL;
}

static void view_hist(struct exit_cost *c, const struct exit_sample *x)
{
	if (c) {
		hist_add(&c->handle, x->decode + x->emulate);
		hist_add(&c->part[PART_RUN], x->run);
		hist_add(&c->part[PART_DECODE], x->decode);
		hist_add(&c->part[PART_EMULATE], x->emulate);
	}
}

static void view_return(struct exit_view *out, const struct exit_stats *s, unsigned id, uint64_t ticks)
{
	struct exit_cost *r, *o;

	view_costs(out, s, id, &r, &o);
	if (r)
		hist_add(&r->part[PART_RETURN], ticks);
	if (o)
		hist_add(&o->part[PART_RETURN], ticks);
}

/* The samples S's thread has not put in its cells yet, as the flush would
 * put them.  Read from another thread while that one runs, a sample can
 * be half written or already flushed (an answer a few exits off); its
 * ids are checked like any other value. */
static void view_add_pending(struct exit_view *out, const struct exit_stats *s)
{
	unsigned n = atomic_load_explicit(&s->npending, memory_order_acquire);

	for (unsigned i = 0; i < n && i < STATS_PENDING; i++) {
		const struct exit_sample *x = &s->pending[i];
		struct exit_cost *r, *o;

		view_return(out, s, x->ret_cell, x->ret);
		view_return(out, s, x->ret_spill, x->ret);
		view_costs(out, s, x->cell, &r, &o);
		view_hist(r, x);
		view_hist(o, x);
		view_costs(out, s, x->spill, &r, &o);
		view_hist(o, x); /* a spilled exit's reason part is in its cell */
		if (x->access)
			addr_add(out->addr, &out->addr_overflow, x->space, x->addr, x->dev, 1,
				 x->decode + x->emulate);
	}
}

/* Add one vCPU's cells to OUT: each pair cell to its reason and to its
 * owner; the unowned cells to their reason; the spill cells to their
 * owner (their reason's part is in unowned). */
static void view_add(struct exit_view *out, const struct exit_stats *s)
{
	unsigned n = atomic_load_explicit(&s->npairs, memory_order_acquire);

	out->run_ticks += s->run_ticks;
	for (unsigned i = 0; i < STATS_NREASONS; i++)
		cost_merge(&out->reason[i], &s->unowned[i]);
	for (unsigned i = 0; i < n && i < STATS_PAIRS; i++) {
		unsigned slot = s->pair_key[i] / STATS_OWNERS, owner = s->pair_key[i] % STATS_OWNERS;

		if (slot >= STATS_NREASONS)
			continue;
		cost_merge(&out->reason[slot], &s->pair[i]);
		cost_merge(owner == STATS_OWNER_UNCLAIMED ? &out->unclaimed : &out->device[owner], &s->pair[i]);
	}
	for (unsigned o = 0; o < STATS_OWNERS; o++)
		cost_merge(o == STATS_OWNER_UNCLAIMED ? &out->unclaimed : &out->device[o], &s->spill[o]);
	for (unsigned i = 0; i < STATS_ADDR_SLOTS; i++) {
		const struct addr_stat *a = &s->addr[i];
		if (a->used)
			addr_add(out->addr, &out->addr_overflow, a->space, a->addr, a->dev, a->count, a->ticks);
	}
	out->addr_overflow += s->addr_overflow;
	view_add_pending(out, s);
}

void stats_view(const struct exit_stats *s, struct exit_view *out)
{
	memset(out, 0, sizeof(*out));
	view_add(out, s);
}

void stats_merge_all(const struct stats_report *r, struct exit_view *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned c = 0; c < r->nvcpus; c++)
		view_add(out, &r->vcpu[c]);
}
