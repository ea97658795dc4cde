#include "accounting/exit_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned stats_reason_slot(int run_ret, int run_errno, uint32_t exit_reason)
{
	if (run_ret < 0 && run_errno == EINTR)
		return STATS_REASON_EINTR;
	if (run_ret < 0 && run_errno == EAGAIN)
		return STATS_REASON_EAGAIN;
	if (exit_reason >= STATS_REASON_EAGAIN)
		return KVM_EXIT_UNKNOWN;
	return exit_reason;
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

void stats_record(struct exit_stats *s, unsigned slot, int dev,
		  uint64_t run_ns, uint64_t handle_ns)
{
	s->run_ns += run_ns;
	hist_add(&s->reason[slot], handle_ns);
	if (dev >= 0 && dev < STATS_MAX_DEVICES)
		hist_add(&s->device[dev], handle_ns);
}

/* Add COUNT accesses at (SPACE, ADDR) to the open-addressing table of S;
 * a full table counts them as overflow. */
static void unclaimed_add(struct exit_stats *s, uint8_t space, uint64_t addr, uint64_t count)
{
	unsigned h = (unsigned)((addr * 0x9E3779B97F4A7C15ULL) >> 58) ^ space;

	for (unsigned i = 0; i < STATS_UNCLAIMED_SLOTS; i++) {
		struct unclaimed_addr *u = &s->unclaimed[(h + i) % STATS_UNCLAIMED_SLOTS];

		if (!u->used) {
			*u = (struct unclaimed_addr){ .addr = addr, .count = count,
						      .space = space, .used = 1 };
			return;
		}
		if (u->addr == addr && u->space == space) {
			u->count += count;
			return;
		}
	}
	s->unclaimed_overflow += count;
}

void stats_record_unclaimed(struct exit_stats *s, uint8_t space, uint64_t addr,
			    uint64_t handle_ns)
{
	hist_add(&s->unclaimed_time, handle_ns);
	unclaimed_add(s, space, addr, 1);
}

uint64_t stats_total(const struct exit_stats *s)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < STATS_NREASONS; i++)
		t += s->reason[i].count;
	return t;
}

void stats_merge_all(const struct stats_report *r, struct exit_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned c = 0; c < r->nvcpus; c++) {
		const struct exit_stats *s = &r->vcpu[c];

		out->run_ns += s->run_ns;
		for (unsigned i = 0; i < STATS_NREASONS; i++)
			hist_merge(&out->reason[i], &s->reason[i]);
		for (unsigned i = 0; i < STATS_MAX_DEVICES; i++)
			hist_merge(&out->device[i], &s->device[i]);
		hist_merge(&out->unclaimed_time, &s->unclaimed_time);
		for (unsigned i = 0; i < STATS_UNCLAIMED_SLOTS; i++)
			if (s->unclaimed[i].used)
				unclaimed_add(out, s->unclaimed[i].space, s->unclaimed[i].addr,
					      s->unclaimed[i].count);
		out->unclaimed_overflow += s->unclaimed_overflow;
	}
}

/* Sort helpers: indices by descending count. */
static const struct histogram *sort_base;
static int by_count_desc(const void *a, const void *b)
{
	uint64_t ca = sort_base[*(const unsigned *)a].count;
	uint64_t cb = sort_base[*(const unsigned *)b].count;
	return ca < cb ? 1 : ca > cb ? -1 : 0;
}

static int unclaimed_desc(const void *a, const void *b)
{
	const struct unclaimed_addr *x = a, *y = b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Devices that count their work: exits next to requests, bytes,
 * notifications received and interrupts sent. */
static void print_device_work(FILE *f, const struct stats_report *r, const struct exit_stats *all)
{
	bool any = false;

	for (unsigned i = 0; i < r->ndevices && i < STATS_MAX_DEVICES; i++) {
		const struct device_counters *c = &r->counters[i];

		if (!r->has_counters[i])
			continue;
		if (!any)
			fprintf(f, "  %-16s %10s %10s %10s %10s %10s %6s\n", "device work", "exits",
				"requests", "MiB", "notifies", "irqs", "errors");
		any = true;
		fprintf(f, "  %-16s %10llu %10llu %10.1f %10llu %10llu %6llu\n", r->device_name[i],
			(unsigned long long)all->device[i].count, (unsigned long long)c->requests,
			(double)c->bytes / (1024.0 * 1024.0), (unsigned long long)c->notifies,
			(unsigned long long)c->interrupts, (unsigned long long)c->errors);
	}
}

void stats_print_table(FILE *f, const struct stats_report *r)
{
	struct exit_stats *all = calloc(1, sizeof(*all));
	unsigned idx[STATS_NREASONS > STATS_MAX_DEVICES ? STATS_NREASONS : STATS_MAX_DEVICES];
	uint64_t total;
	unsigned n = 0;

	if (!all)
		return;
	stats_merge_all(r, all);
	total = stats_total(all);
	fprintf(f, "\nwarden: %llu VM exits reached warden in %.3f s (%u vCPU%s, ended by %s)\n",
		(unsigned long long)total, (double)r->wall_ns / 1e9, r->nvcpus,
		r->nvcpus == 1 ? "" : "s", r->end_reason ? r->end_reason : "-");
	fprintf(f, "  %-16s %10s %7s %10s %10s\n", "reason", "count", "share", "mean us", "p99 us");
	for (unsigned i = 0; i < STATS_NREASONS; i++)
		if (all->reason[i].count)
			idx[n++] = i;
	sort_base = all->reason;
	qsort(idx, n, sizeof(idx[0]), by_count_desc);
	for (unsigned k = 0; k < n; k++) {
		const struct histogram *h = &all->reason[idx[k]];
		fprintf(f, "  %-16s %10llu %6.1f%% %10.2f %10.2f\n", stats_reason_name(idx[k]),
			(unsigned long long)h->count, pct(h->count, total),
			hist_mean(h) / 1e3, (double)hist_percentile(h, 99) / 1e3);
	}

	n = 0;
	for (unsigned i = 0; i < r->ndevices && i < STATS_MAX_DEVICES; i++)
		if (all->device[i].count)
			idx[n++] = i;
	sort_base = all->device;
	qsort(idx, n, sizeof(idx[0]), by_count_desc);
	if (n || all->unclaimed_time.count)
		fprintf(f, "  %-16s %10s %7s %10s %10s\n", "device", "exits", "share", "mean us", "p99 us");
	for (unsigned k = 0; k < n && k < 8; k++) {
		const struct histogram *h = &all->device[idx[k]];
		fprintf(f, "  %-16s %10llu %6.1f%% %10.2f %10.2f\n", r->device_name[idx[k]],
			(unsigned long long)h->count, pct(h->count, total),
			hist_mean(h) / 1e3, (double)hist_percentile(h, 99) / 1e3);
	}
	if (all->unclaimed_time.count) {
		struct unclaimed_addr top[STATS_UNCLAIMED_SLOTS];
		unsigned m = 0;

		fprintf(f, "  %-16s %10llu %6.1f%% %10.2f %10.2f\n", "(unclaimed)",
			(unsigned long long)all->unclaimed_time.count,
			pct(all->unclaimed_time.count, total),
			hist_mean(&all->unclaimed_time) / 1e3,
			(double)hist_percentile(&all->unclaimed_time, 99) / 1e3);
		for (unsigned i = 0; i < STATS_UNCLAIMED_SLOTS; i++)
			if (all->unclaimed[i].used)
				top[m++] = all->unclaimed[i];
		qsort(top, m, sizeof(top[0]), unclaimed_desc);
		fprintf(f, "    unclaimed:");
		for (unsigned k = 0; k < m && k < 6; k++)
			fprintf(f, " %s 0x%llx x%llu", top[k].space ? "mmio" : "port",
				(unsigned long long)top[k].addr,
				(unsigned long long)top[k].count);
		fprintf(f, "\n");
	}
	print_device_work(f, r, all);
	free(all);
}
