/* The observatory as JSON (--stats FILE.json, last line of --stats-trace),
 * built with json-c.  Schema "warden-stats/2"; docs/observatory.md. */
#include "accounting/stats_json.h"

#include <stdlib.h>
#include <string.h>

#include "accounting/advice.h"
#include "accounting/crash.h"
#include "accounting/exit_split.h"
#include "accounting/exit_trace.h"
#include "accounting/observatory.h"
#include "core/bus.h"
#include "util/error.h"

#define TOP_RIPS 20

/* exit_stats times are TSC cycles: ns = cycles * tick_ns. Set once per
 * stats_json_build; the trace's histograms are ns already (scale 1). */
static double tick_ns = 1.0;

static uint64_t to_ns(double v, double scale)
{
	return (uint64_t)(v * scale + 0.5);
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void add_hex(json_object *o, const char *k, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	json_object_object_add(o, k, json_object_new_string(b));
}

/* Power-of-two ns buckets (what the report plots) from the finer
 * histogram: each fine bucket goes where its middle, in ns, falls (exact
 * when SCALE is 1: fine buckets never straddle a power of two). */
static json_object *log2_json(const struct histogram *h, double scale)
{
	json_object *a = json_object_new_array();
	uint64_t cnt[65] = { 0 };

	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo, hi, mid;

		if (!h->bucket[i])
			continue;
		lo = hist_bucket_low(i);
		hi = hist_bucket_high(i);
		mid = to_ns((double)lo / 2 + (double)hi / 2, scale);
		cnt[mid ? 64 - __builtin_clzll(mid) : 0] += h->bucket[i];
	}
	for (unsigned k = 0; k < 65; k++) {
		json_object *b;

		if (!cnt[k])
			continue;
		b = json_object_new_object();
		add_u64(b, "lo_ns", k ? 1ULL << (k - 1) : 0);
		add_u64(b, "hi_ns", k ? (k == 64 ? UINT64_MAX : (1ULL << k) - 1) : 0);
		add_u64(b, "count", cnt[k]);
		json_object_array_add(a, b);
	}
	return a;
}

static json_object *hist_json_scaled(const struct histogram *h, double scale)
{
	json_object *o = json_object_new_object();

	add_u64(o, "count", h->count);
	add_u64(o, "total_ns", to_ns((double)h->sum, scale));
	json_object_object_add(o, "mean_ns", json_object_new_double(hist_mean(h) * scale));
	add_u64(o, "p50_ns", to_ns((double)hist_percentile(h, 50), scale));
	add_u64(o, "p99_ns", to_ns((double)hist_percentile(h, 99), scale));
	add_u64(o, "max_ns", to_ns((double)h->max, scale));
	json_object_object_add(o, "log2", log2_json(h, scale));
	return o;
}

/* A histogram of exit_stats (cycles). */
static json_object *hist_json(const struct histogram *h)
{
	return hist_json_scaled(h, tick_ns);
}

static json_object *cost_json(const struct exit_cost *c, double wall_s)
{
	static const char *const part_name[STATS_NPARTS] = { "run", "decode", "emulate", "return" };
	json_object *o = hist_json(&c->handle), *parts = json_object_new_object();

	json_object_object_add(o, "rate_per_s",
			       json_object_new_double(wall_s > 0 ? (double)c->handle.count / wall_s : 0));
	for (unsigned p = 0; p < STATS_NPARTS; p++)
		json_object_object_add(parts, part_name[p], hist_json(&c->part[p]));
	json_object_object_add(o, "parts", parts);
	return o;
}

static json_object *reasons_json(const struct exit_view *s, double wall_s)
{
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < STATS_NREASONS; i++)
		if (s->reason[i].handle.count)
			json_object_object_add(o, stats_reason_name(i), cost_json(&s->reason[i], wall_s));
	return o;
}

static json_object *devices_json(const struct stats_report *r, const struct exit_view *s, double wall_s)
{
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < r->ndevices && i < STATS_MAX_DEVICES; i++)
		if (s->device[i].handle.count)
			json_object_object_add(o, r->device_name[i], cost_json(&s->device[i], wall_s));
	return o;
}

/* Work next to exits: what each device did for the exits it caused. */
static json_object *device_work_json(const struct stats_report *r, const struct exit_view *s)
{
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < r->ndevices && i < STATS_MAX_DEVICES; i++) {
		const struct device_counters *c = &r->counters[i];
		json_object *d;

		if (!r->has_counters[i])
			continue;
		d = json_object_new_object();
		add_u64(d, "exits", s->device[i].handle.count);
		add_u64(d, "requests", c->requests);
		add_u64(d, "bytes", c->bytes);
		add_u64(d, "notifies", c->notifies);
		add_u64(d, "interrupts", c->interrupts);
		add_u64(d, "errors", c->errors);
		/* What the exits avoided cost instead (docs/virtio.md). */
		add_u64(d, "notifies_suppressed", c->notifies_suppressed);
		add_u64(d, "interrupts_suppressed", c->interrupts_suppressed);
		add_u64(d, "poll_us", c->poll_ns / 1000);
		add_u64(d, "poll_window_us", c->poll_window_ns / 1000);
		add_u64(d, "cpu_us", c->cpu_ns / 1000);
		add_u64(d, "throttled", c->throttled);
		json_object_object_add(o, r->device_name[i], d);
	}
	return o;
}

/* Writes KVM queued in its coalesced ring instead of exiting, by device
 * (every device, 0 included, so a reader can tell none from missing). */
static json_object *coalesced_json(const struct stats_report *r)
{
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < r->ndevices && i < STATS_MAX_DEVICES; i++)
		add_u64(o, r->device_name[i], r->coalesced[i]);
	return o;
}

/* Ports (SPACE 0) or MMIO addresses (1), busiest first. UNCLAIMED_ONLY
 * gives the "unclaimed" list. */
static json_object *addrs_json(const struct stats_report *r, const struct exit_view *s,
			       int space, bool unclaimed_only)
{
	struct addr_stat *v = malloc(sizeof(s->addr));
	json_object *a = json_object_new_array();
	unsigned n;

	if (!v)
		return a;
	n = stats_addrs_sorted(s, space, unclaimed_only, v);
	for (unsigned i = 0; i < n; i++) {
		json_object *e = json_object_new_object();

		if (unclaimed_only)
			json_object_object_add(e, "space", json_object_new_string(bus_space_name(v[i].space)));
		add_hex(e, unclaimed_only ? "addr" : space == BUS_PIO ? "port" : space == BUS_MSR ? "msr" : "addr",
			v[i].addr);
		if (!unclaimed_only)
			json_object_object_add(e, "device",
					       json_object_new_string(v[i].dev >= 0 && (unsigned)v[i].dev < r->ndevices
								      ? r->device_name[v[i].dev] : "(unclaimed)"));
		add_u64(e, "count", v[i].count);
		if (!unclaimed_only)
			add_u64(e, "total_ns", to_ns((double)v[i].ticks, tick_ns));
		json_object_array_add(a, e);
	}
	free(v);
	return a;
}

static json_object *msrs_json(const struct exit_trace *t)
{
	struct trace_msr v[TRACE_MAX_MSRS];
	json_object *a = json_object_new_array();
	unsigned n = t ? exit_trace_msrs_sorted(t, v) : 0;

	for (unsigned i = 0; i < n; i++) {
		json_object *e = json_object_new_object();
		add_hex(e, "msr", v[i].index);
		add_u64(e, "count", v[i].reads + v[i].writes);
		add_u64(e, "reads", v[i].reads);
		add_u64(e, "writes", v[i].writes);
		add_u64(e, "total_ns", v[i].time_ns);
		json_object_object_add(e, "source", json_object_new_string("exit-trace"));
		json_object_array_add(a, e);
	}
	return a;
}

static json_object *attribution_json(const struct stats_report *r, const struct exit_view *all)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ports", addrs_json(r, all, 0, false));
	json_object_object_add(o, "mmio", addrs_json(r, all, 1, false));
	json_object_object_add(o, "msrs_to_warden", addrs_json(r, all, BUS_MSR, false));
	json_object_object_add(o, "msrs", msrs_json(r->trace));
	json_object_object_add(o, "unclaimed", addrs_json(r, all, -1, true));
	add_u64(o, "overflow", all->addr_overflow);
	return o;
}

static json_object *split_json(struct exit_split x)
{
	json_object *o = json_object_new_object();

	add_u64(o, "total", x.total);
	add_u64(o, "handled_in_kvm", x.in_kvm);
	add_u64(o, "handled_by_warden", x.by_warden);
	json_object_object_add(o, "source", json_object_new_string(x.source));
	return o;
}

static int rip_desc(const void *a, const void *b)
{
	const struct trace_rip *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static json_object *trace_json(const struct exit_trace *t)
{
	json_object *o = json_object_new_object(), *rs = json_object_new_object();
	json_object *rips = json_object_new_array();
	struct trace_rip *v = malloc(sizeof(t->rip));
	unsigned n = 0;
	char buf[32];

	for (unsigned i = 0; i < TRACE_MAX_CODES; i++) {
		const struct trace_reason *x = &t->reason[i];
		json_object *e;

		if (!x->used || x->in_kvm + x->to_warden == 0)
			continue;
		e = json_object_new_object();
		add_u64(e, "code", x->code);
		add_u64(e, "count", x->in_kvm + x->to_warden);
		add_u64(e, "in_kvm", x->in_kvm);
		add_u64(e, "to_warden", x->to_warden);
		json_object_object_add(e, "latency", hist_json_scaled(&x->kvm_latency, 1.0));
		json_object_object_add(e, "warden_latency", hist_json_scaled(&x->warden_latency, 1.0));
		json_object_object_add(rs, exit_trace_reason_name(t, x->code, buf, sizeof(buf)), e);
	}
	json_object_object_add(o, "isa", json_object_new_string(t->isa == HW_ISA_SVM ? "svm"
								 : t->isa == HW_ISA_VMX ? "vmx" : "unknown"));
	json_object_object_add(o, "reasons", rs);
	add_u64(o, "exits", t->exits);
	add_u64(o, "lost", t->lost);
	add_u64(o, "unmatched", t->unmatched);
	for (unsigned i = 0; v && i < TRACE_MAX_RIPS; i++)
		if (t->rip[i].used)
			v[n++] = t->rip[i];
	if (v)
		qsort(v, n, sizeof(v[0]), rip_desc);
	for (unsigned i = 0; i < n && i < TOP_RIPS; i++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "reason",
				       json_object_new_string(exit_trace_reason_name(t, v[i].code, buf, sizeof(buf))));
		add_hex(e, "rip", v[i].rip);
		add_u64(e, "count", v[i].count);
		json_object_array_add(rips, e);
	}
	free(v);
	json_object_object_add(o, "top_rips", rips);
	return o;
}

static json_object *kvm_values_json(const struct kvm_stat_values *v)
{
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < v->n; i++)
		add_u64(o, v->name[i], v->val[i]);
	return o;
}

static json_object *kvm_json(const struct kvm_view *k)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(o, "vm", kvm_values_json(&k->vm));
	for (unsigned c = 0; c < k->nvcpus; c++)
		json_object_array_add(a, kvm_values_json(&k->vcpu[c]));
	json_object_object_add(o, "vcpus", a);
	return o;
}

static json_object *per_vcpu_json(const struct stats_report *r, double wall_s)
{
	json_object *vcpus = json_object_new_array();
	struct exit_view *one = malloc(sizeof(*one));

	for (unsigned c = 0; one && c < r->nvcpus; c++) {
		json_object *v = json_object_new_object();

		stats_view(&r->vcpu[c], one);
		json_object_object_add(v, "id", json_object_new_int((int)c));
		add_u64(v, "total_exits", stats_total(&r->vcpu[c]));
		add_u64(v, "run_ns", to_ns((double)r->vcpu[c].run_ticks, tick_ns));
		json_object_object_add(v, "reasons", reasons_json(one, wall_s));
		json_object_object_add(v, "exits", split_json(exit_split_of(r, (int)c)));
		json_object_array_add(vcpus, v);
	}
	free(one);
	return vcpus;
}

/* What the fix saves in time, from the lab's measurements on this host
 * (--advice-costs), or null. */
static json_object *saving_json(const struct stats_report *r, const struct advice *a)
{
	json_object *o;

	if (a->saving_ns < 0)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "ns", json_object_new_double(a->saving_ns));
	json_object_object_add(o, "exit_row", json_object_new_string(a->exit_row));
	json_object_object_add(o, "exit_ns", json_object_new_double(a->exit_ns));
	json_object_object_add(o, "instead_row", json_object_new_string(a->instead_row));
	json_object_object_add(o, "instead_ns", json_object_new_double(a->instead_ns));
	json_object_object_add(o, "measured_by", json_object_new_string(r->costs->path));
	json_object_object_add(o, "tier", json_object_new_string(r->costs->tier));
	json_object_object_add(o, "date", json_object_new_string(r->costs->date));
	return o;
}

/* The biggest exit sources with what they are and what removes them. */
static json_object *advice_json(const struct stats_report *r, const struct exit_view *all)
{
	struct advice a[ADVICE_MAX];
	unsigned n = advice_collect(r, all, a);
	json_object *arr = json_object_new_array();

	for (unsigned i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "source", json_object_new_string(a[i].source));
		add_u64(o, "exits", a[i].exits);
		json_object_object_add(o, "share", json_object_new_double(a[i].share));
		json_object_object_add(o, "what", json_object_new_string(a[i].what));
		json_object_object_add(o, "fix", json_object_new_string(a[i].fix));
		json_object_object_add(o, "saving", saving_json(r, &a[i]));
		json_object_array_add(arr, o);
	}
	return arr;
}

json_object *stats_json_build(const struct stats_report *r)
{
	struct exit_view *all = calloc(1, sizeof(*all));
	double wall_s = (double)r->wall_ns / 1e9;
	json_object *root;

	if (!all)
		return NULL;
	tick_ns = r->ns_per_tick > 0 ? r->ns_per_tick : 1.0;
	stats_merge_all(r, all);
	root = json_object_new_object();
	json_object_object_add(root, "schema", json_object_new_string("warden-stats/2"));
	add_u64(root, "wall_ns", r->wall_ns);
	json_object_object_add(root, "end_reason", json_object_new_string(r->end_reason ? r->end_reason : ""));
	json_object_object_add(root, "vcpus", json_object_new_int((int)r->nvcpus));
	if (r->cmdline) /* what the guest got, after warden's defaults (boot/cmdline.h) */
		json_object_object_add(root, "cmdline", json_object_new_string(r->cmdline));
	json_object_object_add(root, "exits", split_json(exit_split_of(r, -1)));
	add_u64(root, "total_exits", stats_view_total(all));
	add_u64(root, "run_ns", to_ns((double)all->run_ticks, tick_ns));
	json_object_object_add(root, "reasons", reasons_json(all, wall_s));
	json_object_object_add(root, "devices", devices_json(r, all, wall_s));
	json_object_object_add(root, "unclaimed", addrs_json(r, all, -1, true));
	json_object_object_add(root, "unclaimed_exits", json_object_new_uint64(all->unclaimed.handle.count));
	json_object_object_add(root, "attribution", attribution_json(r, all));
	json_object_object_add(root, "device_work", device_work_json(r, all));
	json_object_object_add(root, "coalesced_writes", coalesced_json(r));
	json_object_object_add(root, "advice", advice_json(r, all));
	if (r->kvm)
		json_object_object_add(root, "kvm_stats", kvm_json(r->kvm));
	else
		json_object_object_add(root, "kvm_stats_missing",
				       json_object_new_string(r->kvm_missing ? r->kvm_missing : "not read"));
	if (r->trace)
		json_object_object_add(root, "exit_trace", trace_json(r->trace));
	else if (r->trace_missing)
		json_object_object_add(root, "exit_trace_missing", json_object_new_string(r->trace_missing));
	json_object_object_add(root, "per_vcpu", per_vcpu_json(r, wall_s));
	if (crash_wanted(r))
		json_object_object_add(root, "crash", crash_json(r));
	free(all);
	return root;
}

int stats_write_json(const char *path, const struct stats_report *r)
{
	json_object *root = stats_json_build(r);
	int ret = 0;

	if (!root)
		return fail(ERR_HOST, "out of memory");
	if (json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY) < 0)
		ret = fail(ERR_USAGE, "cannot write stats to %s: %s", path, json_util_get_last_err());
	json_object_put(root);
	return ret;
}
