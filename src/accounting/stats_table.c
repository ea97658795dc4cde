/* The exit table printed when the VM ends: both halves of the picture
 * (handled in KVM / by warden), the cost of warden's exits by part, the
 * attribution to devices, ports and addresses, and the precise trace. */
#include <stdlib.h>
#include <string.h>

#include "accounting/advice.h"
#include "accounting/exit_split.h"
#include "accounting/exit_stats.h"
#include "accounting/exit_trace.h"
#include "accounting/observatory.h"

/* KVM counters worth a line: the exit categories KVM keeps. */
static const char *const kvm_exit_counters[] = {
	"halt_exits", "io_exits", "mmio_exits", "irq_exits", "irq_window_exits",
	"nmi_window_exits", "signal_exits", "request_irq_exits", "insn_emulation",
	"hypercalls", "irq_injections", "halt_successful_poll", "halt_wakeup", "pf_fixed",
	"exits",
};

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* exit_stats times are TSC cycles; the trace's are ns (tick_ns 1). */
static double tick_ns = 1.0;

static double us(double ticks)
{
	return ticks * tick_ns / 1e3;
}

static double trace_us(double ns)
{
	return ns / 1e3;
}

static const struct exit_cost *sort_costs;
static int cost_desc(const void *a, const void *b)
{
	uint64_t ca = sort_costs[*(const unsigned *)a].handle.count;
	uint64_t cb = sort_costs[*(const unsigned *)b].handle.count;
	return ca < cb ? 1 : ca > cb ? -1 : 0;
}

static void print_cost_row(FILE *f, const char *name, const struct exit_cost *c, uint64_t total,
			   double wall_s)
{
	const struct histogram *h = &c->handle;

	fprintf(f, "  %-16s %9llu %6.1f%% %9.0f %8.2f %8.2f %8.2f %9.2f | %8.2f %7.2f %7.2f %7.2f\n",
		name, (unsigned long long)h->count, pct(h->count, total),
		wall_s > 0 ? (double)h->count / wall_s : 0.0, us(hist_mean(h)),
		us((double)hist_percentile(h, 50)), us((double)hist_percentile(h, 99)),
		us((double)h->max), us(hist_mean(&c->part[PART_RUN])),
		us(hist_mean(&c->part[PART_DECODE])), us(hist_mean(&c->part[PART_EMULATE])),
		us(hist_mean(&c->part[PART_RETURN])));
}

static void print_header(FILE *f, const char *first)
{
	fprintf(f, "  %-16s %9s %7s %9s %8s %8s %8s %9s | %8s %7s %7s %7s\n", first, "count", "share",
		"rate/s", "mean us", "p50 us", "p99 us", "max us", "guest us", "decode", "emulate",
		"return");
}

static void print_split(FILE *f, const struct stats_report *r)
{
	struct exit_split x = exit_split_of(r, -1);

	if (!strcmp(x.source, "warden-only")) {
		fprintf(f, "  in-kernel exits: not measured (%s)\n",
			r->kvm_missing ? r->kvm_missing : "no KVM statistics");
		return;
	}
	fprintf(f, "  all VM exits %llu (%s): handled in KVM %llu (%.1f%%), handled by warden %llu (%.1f%%)\n",
		(unsigned long long)x.total,
		!strcmp(x.source, "exit-trace") ? "kvm:kvm_exit trace" : "KVM binary stats",
		(unsigned long long)x.in_kvm, pct(x.in_kvm, x.total), (unsigned long long)x.by_warden,
		pct(x.by_warden, x.total));
	if (r->nvcpus > 1)
		for (unsigned c = 0; c < r->nvcpus; c++) {
			struct exit_split v = exit_split_of(r, (int)c);
			fprintf(f, "    vCPU %-3u %10llu = %llu in KVM + %llu by warden\n", c,
				(unsigned long long)v.total, (unsigned long long)v.in_kvm,
				(unsigned long long)v.by_warden);
		}
}

static void print_reasons(FILE *f, const struct stats_report *r, const struct exit_view *all,
			  uint64_t total, double wall_s)
{
	unsigned idx[STATS_NREASONS > STATS_MAX_DEVICES ? STATS_NREASONS : STATS_MAX_DEVICES], n = 0;

	print_header(f, "reason");
	for (unsigned i = 0; i < STATS_NREASONS; i++)
		if (all->reason[i].handle.count)
			idx[n++] = i;
	sort_costs = all->reason;
	qsort(idx, n, sizeof(idx[0]), cost_desc);
	for (unsigned k = 0; k < n; k++)
		print_cost_row(f, stats_reason_name(idx[k]), &all->reason[idx[k]], total, wall_s);

	n = 0;
	for (unsigned i = 0; i < r->ndevices && i < STATS_MAX_DEVICES; i++)
		if (all->device[i].handle.count)
			idx[n++] = i;
	sort_costs = all->device;
	qsort(idx, n, sizeof(idx[0]), cost_desc);
	if (n || all->unclaimed.handle.count)
		print_header(f, "device");
	for (unsigned k = 0; k < n; k++)
		print_cost_row(f, r->device_name[idx[k]], &all->device[idx[k]], total, wall_s);
	if (all->unclaimed.handle.count)
		print_cost_row(f, "(unclaimed)", &all->unclaimed, total, wall_s);
}

/* Busiest ports or MMIO addresses, with their owner. */
static void print_addrs(FILE *f, const struct stats_report *r, const struct exit_view *all, int space)
{
	struct addr_stat v[STATS_ADDR_SLOTS];
	unsigned n = stats_addrs_sorted(all, space, false, v);

	if (!n)
		return;
	fprintf(f, "  top %s:", space == BUS_MSR ? "MSRs" : space ? "MMIO" : "ports");
	for (unsigned k = 0; k < n && k < 6; k++)
		fprintf(f, "%s 0x%llx %s x%llu (%.0f us)", k ? "," : "", (unsigned long long)v[k].addr,
			v[k].dev >= 0 && (unsigned)v[k].dev < r->ndevices ? r->device_name[v[k].dev] : "unclaimed",
			(unsigned long long)v[k].count, us((double)v[k].ticks));
	fprintf(f, "\n");
	if (all->addr_overflow)
		fprintf(f, "  (%llu exits at addresses beyond the table)\n",
			(unsigned long long)all->addr_overflow);
}

/* Devices that count their work: exits next to requests, bytes,
 * notifications received and interrupts sent; then what avoiding exits
 * cost: notifications and interrupts suppressed, time spent polling and
 * the CPU time of the device's threads; and the waits its rate limiter
 * imposed. */
static void print_device_work(FILE *f, const struct stats_report *r, const struct exit_view *all)
{
	bool any = false;

	for (unsigned i = 0; i < r->ndevices && i < STATS_MAX_DEVICES; i++) {
		const struct device_counters *c = &r->counters[i];

		if (!r->has_counters[i])
			continue;
		if (!any)
			fprintf(f, "  %-16s %10s %10s %10s %10s %10s %6s %10s %10s %9s %9s %8s\n", "device work",
				"exits", "requests", "MiB", "notifies", "irqs", "errors", "notif-off",
				"irqs-off", "poll ms", "cpu ms", "waits");
		any = true;
		fprintf(f, "  %-16s %10llu %10llu %10.1f %10llu %10llu %6llu %10llu %10llu %9.1f %9.1f %8llu\n",
			r->device_name[i], (unsigned long long)all->device[i].handle.count,
			(unsigned long long)c->requests, (double)c->bytes / (1024.0 * 1024.0),
			(unsigned long long)c->notifies, (unsigned long long)c->interrupts,
			(unsigned long long)c->errors, (unsigned long long)c->notifies_suppressed,
			(unsigned long long)c->interrupts_suppressed, (double)c->poll_ns / 1e6,
			(double)c->cpu_ns / 1e6, (unsigned long long)c->throttled);
	}
}

/* What the exits do not show: writes KVM queued without an exit. */
static void print_coalesced(FILE *f, const struct stats_report *r)
{
	bool any = false;

	for (unsigned i = 0; i < r->ndevices && i < STATS_MAX_DEVICES; i++) {
		if (!r->coalesced[i])
			continue;
		fprintf(f, "%s %s %llu", any ? "," : "  writes queued by KVM without an exit (coalesced):",
			r->device_name[i], (unsigned long long)r->coalesced[i]);
		any = true;
	}
	if (any)
		fprintf(f, "\n");
}

static void print_kvm(FILE *f, const struct stats_report *r)
{
	struct kvm_stat_values sum;
	unsigned shown = 0;

	if (!r->kvm)
		return;
	memset(&sum, 0, sizeof(sum));
	for (unsigned c = 0; c < r->kvm->nvcpus; c++)
		kvm_stat_accumulate(&sum, NULL, &r->kvm->vcpu[c]);
	fprintf(f, "  KVM counters (all vCPUs):");
	for (unsigned i = 0; i < sizeof(kvm_exit_counters) / sizeof(kvm_exit_counters[0]); i++) {
		uint64_t v = kvm_stat_get(&sum, kvm_exit_counters[i]);
		if (v)
			fprintf(f, "%s %s %llu", shown++ ? "," : "", kvm_exit_counters[i], (unsigned long long)v);
	}
	fprintf(f, "\n");
}

static const struct exit_trace *sort_trace;
static int trace_desc(const void *a, const void *b)
{
	const struct trace_reason *x = &sort_trace->reason[*(const unsigned *)a];
	const struct trace_reason *y = &sort_trace->reason[*(const unsigned *)b];
	uint64_t cx = x->in_kvm + x->to_warden, cy = y->in_kvm + y->to_warden;
	return cx < cy ? 1 : cx > cy ? -1 : 0;
}

/* The MSRs behind MSR exits, busiest first (the trace's kvm_msr events). */
static void print_msrs(FILE *f, const struct exit_trace *t)
{
	struct trace_msr v[TRACE_MAX_MSRS];
	unsigned n = exit_trace_msrs_sorted(t, v);

	if (!n)
		return;
	fprintf(f, "  top MSRs:");
	for (unsigned k = 0; k < n && k < 8; k++)
		fprintf(f, "%s 0x%x x%llu", k ? "," : "", v[k].index,
			(unsigned long long)(v[k].reads + v[k].writes));
	fprintf(f, "\n");
}

static void print_trace(FILE *f, const struct stats_report *r)
{
	const struct exit_trace *t = r->trace;
	unsigned idx[TRACE_MAX_CODES], n = 0;
	char buf[32];

	if (!t) {
		if (r->trace_missing)
			fprintf(f, "  exit trace: not recorded (%s)\n", r->trace_missing);
		return;
	}
	fprintf(f, "  hardware exits (kvm:kvm_exit trace, %s): %llu, %llu samples lost\n",
		t->isa == HW_ISA_SVM ? "SVM" : t->isa == HW_ISA_VMX ? "VMX" : "?",
		(unsigned long long)t->exits, (unsigned long long)t->lost);
	fprintf(f, "  %-20s %9s %7s %9s %9s %12s %12s\n", "hw reason", "count", "share", "in KVM",
		"to warden", "KVM mean us", "KVM p99 us");
	for (unsigned i = 0; i < TRACE_MAX_CODES; i++)
		if (t->reason[i].used && t->reason[i].in_kvm + t->reason[i].to_warden)
			idx[n++] = i;
	sort_trace = t;
	qsort(idx, n, sizeof(idx[0]), trace_desc);
	for (unsigned k = 0; k < n; k++) {
		const struct trace_reason *x = &t->reason[idx[k]];
		fprintf(f, "  %-20s %9llu %6.1f%% %9llu %9llu %12.2f %12.2f\n",
			exit_trace_reason_name(t, x->code, buf, sizeof(buf)),
			(unsigned long long)(x->in_kvm + x->to_warden),
			pct(x->in_kvm + x->to_warden, t->exits), (unsigned long long)x->in_kvm,
			(unsigned long long)x->to_warden, trace_us(hist_mean(&x->kvm_latency)),
			trace_us((double)hist_percentile(&x->kvm_latency, 99)));
	}
	print_msrs(f, t);
}

/* The biggest sources, what they are, and what would remove them. */
static void print_advice(FILE *f, const struct stats_report *r, const struct exit_view *all)
{
	struct advice a[ADVICE_MAX];
	unsigned n = advice_collect(r, all, a);

	if (n)
		fprintf(f, "  advice (the biggest exit sources, and what removes them):\n");
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "    %llu exits (%.0f%%) %s: %s.\n      %s\n", (unsigned long long)a[i].exits,
			100.0 * a[i].share, a[i].source, a[i].what, a[i].fix);
		if (a[i].saving_ns >= 0)
			fprintf(f, "      saving measured on this host: %llu x (%.2f - %.2f us: %s - %s) = %.1f ms "
				   "(warden bench exits, %s tier, %s)\n",
				(unsigned long long)a[i].exits, a[i].exit_ns / 1e3, a[i].instead_ns / 1e3,
				a[i].exit_row, a[i].instead_row, a[i].saving_ns / 1e6, r->costs->tier, r->costs->date);
	}
	if (n && !r->costs)
		fprintf(f, "    (the saving in time: `warden bench exits --json F` on this host, then --advice-costs F)\n");
}

void stats_print_table(FILE *f, const struct stats_report *r)
{
	struct exit_view *all = calloc(1, sizeof(*all));
	double wall_s = (double)r->wall_ns / 1e9;
	uint64_t total;

	if (!all)
		return;
	tick_ns = r->ns_per_tick > 0 ? r->ns_per_tick : 1.0;
	stats_merge_all(r, all);
	total = stats_view_total(all);
	fprintf(f, "\nwarden: %llu VM exits reached warden in %.3f s (%u vCPU%s, ended by %s)\n",
		(unsigned long long)total, wall_s, r->nvcpus, r->nvcpus == 1 ? "" : "s",
		r->end_reason ? r->end_reason : "-");
	print_split(f, r);
	print_reasons(f, r, all, total, wall_s);
	print_addrs(f, r, all, 0);
	print_addrs(f, r, all, 1);
	print_addrs(f, r, all, BUS_MSR);
	print_device_work(f, r, all);
	print_coalesced(f, r);
	print_kvm(f, r);
	print_trace(f, r);
	print_advice(f, r, all);
	free(all);
}
