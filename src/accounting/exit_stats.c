#include "accounting/exit_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static uint64_t part_run(const struct exit_record *e) { return e->t_exit - e->t_enter; }
static uint64_t part_decode(const struct exit_record *e) { return e->t_decoded - e->t_exit; }
static uint64_t part_emulate(const struct exit_record *e) { return e->t_done - e->t_decoded; }

static void cost_add(struct exit_cost *c, const struct exit_record *e)
{
	uint64_t decode = part_decode(e), emulate = part_emulate(e);

	hist_add(&c->handle, decode + emulate);
	hist_add(&c->part[PART_RUN], part_run(e));
	hist_add(&c->part[PART_DECODE], decode);
	hist_add(&c->part[PART_EMULATE], emulate);
}

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
static int owner_of(const struct exit_record *e)
{
	if (valid_dev(e->dev))
		return e->dev;
	return e->unclaimed ? STATS_OWNER_UNCLAIMED : -1;
}

static unsigned slot_of(const struct exit_record *e)
{
	return e->slot < STATS_NREASONS ? e->slot : KVM_EXIT_UNKNOWN;
}

/* The cell of (SLOT, OWNER), made at the pair's first exit; NULL when
 * pair[] is full (the caller spills). */
static struct exit_cost *pair_cell(struct exit_stats *s, unsigned slot, unsigned owner, bool make)
{
	unsigned i = s->pair_of[slot][owner], n;

	if (i)
		return &s->pair[i - 1];
	n = atomic_load_explicit(&s->npairs, memory_order_relaxed);
	if (!make || n >= STATS_PAIRS)
		return NULL;
	s->pair_key[n] = (uint16_t)(slot * STATS_OWNERS + owner);
	s->pair_of[slot][owner] = (uint8_t)(n + 1);
	atomic_store_explicit(&s->npairs, n + 1, memory_order_release);
	return &s->pair[n];
}

/* The address of an access exit; the last one's slot is tried first,
 * since a busy guest hits the same port or register exit after exit. */
static void addr_record(struct exit_stats *s, const struct exit_record *e, int dev, uint64_t ticks)
{
	struct addr_stat *a = &s->addr[s->addr_hint % STATS_ADDR_SLOTS];

	if (a->used && a->addr == e->addr && a->space == e->space) {
		a->count++;
		a->ticks += ticks;
		return;
	}
	s->addr_hint = addr_add(s->addr, &s->addr_overflow, e->space, e->addr, dev, 1, ticks);
}

static void return_add(struct exit_cost *cell, struct exit_cost *spill, uint64_t ticks)
{
	if (cell)
		hist_add(&cell->part[PART_RETURN], ticks);
	if (spill)
		hist_add(&spill->part[PART_RETURN], ticks);
}

void stats_record(struct exit_stats *s, const struct exit_record *e)
{
	unsigned slot = slot_of(e);
	int owner = owner_of(e);
	struct exit_cost *c = NULL;

	if (e->has_return)
		return_add(s->ret_cell, s->ret_spill, e->return_ticks);
	s->run_ticks += part_run(e);
	atomic_store_explicit(&s->live[slot],
			      atomic_load_explicit(&s->live[slot], memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (owner >= 0)
		c = pair_cell(s, slot, (unsigned)owner, true);
	s->ret_spill = NULL;
	if (!c) {
		/* No owner, or (never in practice) no pair cell left: the
		 * reason's cell, and the owner's spill cell. */
		c = &s->unowned[slot];
		if (owner >= 0) {
			s->ret_spill = &s->spill[owner];
			cost_add(s->ret_spill, e);
		}
	}
	cost_add(c, e);
	s->ret_cell = c;
	if (e->kind == EXIT_ACCESS || e->kind == EXIT_MSR)
		addr_record(s, e, valid_dev(e->dev) ? e->dev : STATS_DEV_NONE,
			    part_decode(e) + part_emulate(e));
}

void stats_record_return(struct exit_stats *s, const struct exit_record *e, uint64_t ticks)
{
	unsigned slot = slot_of(e);
	int owner = owner_of(e);
	struct exit_cost *c = owner >= 0 ? pair_cell(s, slot, (unsigned)owner, false) : NULL;

	if (c)
		return_add(c, NULL, ticks);
	else
		return_add(&s->unowned[slot], owner >= 0 ? &s->spill[owner] : NULL, ticks);
}

void stats_record_last_return(struct exit_stats *s, uint64_t ticks)
{
	return_add(s->ret_cell, s->ret_spill, ticks);
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
