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
	hist_add(&c->handle, part_decode(e) + part_emulate(e));
	hist_add(&c->part[PART_RUN], part_run(e));
	hist_add(&c->part[PART_DECODE], part_decode(e));
	hist_add(&c->part[PART_EMULATE], part_emulate(e));
}

static void cost_merge(struct exit_cost *dst, const struct exit_cost *src)
{
	hist_merge(&dst->handle, &src->handle);
	for (unsigned p = 0; p < STATS_NPARTS; p++)
		hist_merge(&dst->part[p], &src->part[p]);
}

/* Add COUNT exits at (SPACE, ADDR) to the open-addressing table of S; a
 * full table counts them as overflow. */
static void addr_add(struct exit_stats *s, uint8_t space, uint64_t addr, int dev, uint64_t count,
		     uint64_t ns)
{
	unsigned h = (unsigned)((addr * 0x9E3779B97F4A7C15ULL) >> 56) ^ space;

	for (unsigned i = 0; i < STATS_ADDR_SLOTS; i++) {
		struct addr_stat *a = &s->addr[(h + i) % STATS_ADDR_SLOTS];

		if (!a->used) {
			*a = (struct addr_stat){ .addr = addr, .space = space, .used = 1,
						 .dev = (int16_t)dev };
		}
		if (a->addr == addr && a->space == space) {
			a->count += count;
			a->ticks += ns;
			return;
		}
	}
	s->addr_overflow += count;
}

static bool valid_dev(int dev)
{
	return dev >= 0 && dev < STATS_MAX_DEVICES;
}

void stats_record(struct exit_stats *s, const struct exit_record *e)
{
	unsigned slot = e->slot < STATS_NREASONS ? e->slot : KVM_EXIT_UNKNOWN;

	s->run_ticks += part_run(e);
	atomic_store_explicit(&s->live[slot],
			      atomic_load_explicit(&s->live[slot], memory_order_relaxed) + 1,
			      memory_order_relaxed);
	cost_add(&s->reason[slot], e);
	if (valid_dev(e->dev))
		cost_add(&s->device[e->dev], e);
	if (e->unclaimed)
		cost_add(&s->unclaimed, e);
	if (e->kind == EXIT_ACCESS || e->kind == EXIT_MSR)
		addr_add(s, e->space, e->addr, valid_dev(e->dev) ? e->dev : STATS_DEV_NONE, 1,
			 part_decode(e) + part_emulate(e));
}

void stats_record_return(struct exit_stats *s, const struct exit_record *e, uint64_t ns)
{
	unsigned slot = e->slot < STATS_NREASONS ? e->slot : KVM_EXIT_UNKNOWN;

	hist_add(&s->reason[slot].part[PART_RETURN], ns);
	if (valid_dev(e->dev))
		hist_add(&s->device[e->dev].part[PART_RETURN], ns);
	if (e->unclaimed)
		hist_add(&s->unclaimed.part[PART_RETURN], ns);
}

uint64_t stats_live_count(const struct exit_stats *s, unsigned slot)
{
	return slot < STATS_NREASONS ? atomic_load_explicit(&s->live[slot], memory_order_relaxed) : 0;
}

static int addr_desc(const void *a, const void *b)
{
	const struct addr_stat *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

unsigned stats_addrs_sorted(const struct exit_stats *s, int space, bool unclaimed_only,
			    struct addr_stat *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < STATS_ADDR_SLOTS; i++)
		if (s->addr[i].used && (space < 0 || s->addr[i].space == space) &&
		    (!unclaimed_only || s->addr[i].dev < 0))
			out[n++] = s->addr[i];
	qsort(out, n, sizeof(out[0]), addr_desc);
	return n;
}

uint64_t stats_total(const struct exit_stats *s)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < STATS_NREASONS; i++)
		t += s->reason[i].handle.count;
	return t;
}

void stats_merge_all(const struct stats_report *r, struct exit_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned c = 0; c < r->nvcpus; c++) {
		const struct exit_stats *s = &r->vcpu[c];

		out->run_ticks += s->run_ticks;
		for (unsigned i = 0; i < STATS_NREASONS; i++)
			cost_merge(&out->reason[i], &s->reason[i]);
		for (unsigned i = 0; i < STATS_MAX_DEVICES; i++)
			cost_merge(&out->device[i], &s->device[i]);
		cost_merge(&out->unclaimed, &s->unclaimed);
		for (unsigned i = 0; i < STATS_ADDR_SLOTS; i++) {
			const struct addr_stat *a = &s->addr[i];
			if (a->used)
				addr_add(out, a->space, a->addr, a->dev, a->count, a->ticks);
		}
		out->addr_overflow += s->addr_overflow;
	}
}
