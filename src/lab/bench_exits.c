/* `warden bench exits`: the round trip of each kind of exit, as the guest
 * sees it, next to the bare KVM_RUN floor and warden's own share (issue
 * 12, section 1; docs/lab.md). */
#include "lab/lab.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/kvm.h"
#include "core/kvm_caps.h"
#include "lab/exits_rows.h"
#include "lab/exits_run.h"
#include "lab/samples.h"
#include "util/error.h"

#define DEFAULT_ROUNDS 5
#define DEFAULT_ITERATIONS 2000
#define MAX_ROUNDS 1000
#define MAX_ITERATIONS 1000000
#define TIMER_DELAY_NS 100000 /* hlt-timer: arming to deadline */
#define TARGET_RATIO 1.03     /* issue 12: at most 3% above the floor */

struct options {
	const char *json;
	const char *kvm_device;
	unsigned rounds;
	uint32_t iterations;
	bool selected[64]; /* by row index; all when none given */
	bool any_selected;
	bool no_accounting;
};

/* One side (warden or the floor) of one round of a row. */
struct side_round {
	struct lab_summary s; /* cycles per iteration */
	struct lab_summary share; /* warden: cycles of its share per exit */
	uint64_t n, exits, kvm_exits, decode, emulate, ret, coalesced, check;
	bool kvm_known;
};

enum row_state { ROW_MEASURED, ROW_SKIPPED, ROW_NOT_YET, ROW_FAILED };

struct row_result {
	const struct lab_row *row;
	enum row_state state;
	char reason[300];
	unsigned rounds; /* completed */
	struct side_round *w, *f;
	uint64_t tsc_khz;
	bool amd;
	uint64_t wakeups; /* hlt-timer, warden side: HLTs per iteration * n */
	const struct row_result *loop; /* the loop row of the same rounds, or NULL */
};

/* A side's figures over the rounds. */
struct side_total {
	double median, min, p99, mean; /* cycles per iteration */
	double exits_per_it, kvm_exits_per_it;
	double share_median, share_p99; /* per exit, cycles; medians of the rounds' */
	bool kvm_known;
	uint64_t exits, n, decode, emulate, ret, coalesced, check;
};

static void usage(FILE *f)
{
	fputs("usage: warden bench exits [--json FILE] [--rounds N] [--iterations N]\n"
	      "                          [--rows NAME,...] [--kvm-device PATH]\n"
	      "\n"
	      "Measures what one VM exit of each kind costs on this host, as the guest's\n"
	      "TSC sees it: built-in test guests run each operation N times, once by\n"
	      "warden (its one exit path with full accounting) and once by a bare\n"
	      "KVM_RUN loop that only looks at the exit reason (the floor), alternately,\n"
	      "for R rounds.  Per row: exits per iteration that reach warden and that\n"
	      "KVM counts, the guest-seen round trip (median and p99 of the rounds'\n"
	      "medians), the floor's, warden's own share (decode + emulate + return per\n"
	      "exit) and overhead_ratio = warden / floor.  Rows the host cannot run say\n"
	      "why (asked from KVM directly).  See docs/lab.md.\n"
	      "\n"
	      "  --json FILE        also write the results as JSON\n"
	      "  --rounds N         rounds, 1-1000 (default 5)\n"
	      "  --iterations N     timed iterations per run, 1-1000000 (default 2000)\n"
	      "  --rows NAME,...    only these rows (default all):\n"
	      "                     ",
	      f);
	for (unsigned i = 0; i < lab_nrows; i++)
		fprintf(f, "%s%s", lab_rows[i].name, i + 1 < lab_nrows ? (i % 5 == 4 ? ",\n                     " : ",") : "\n");
	fputs("  --kvm-device PATH  KVM device (default /dev/kvm)\n"
	      "\n"
	      "Exit status: 0 every row measured, skipped or not built yet; 1 a host\n"
	      "failure or a row that failed (the table says which); 2 a bad option.\n",
	      f);
}

static int parse_count(const char *s, const char *opt, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!s[0] || s[0] == '-' || s[0] == '+')
		return fail(ERR_USAGE, "%s needs a positive number, not '%s'", opt, s);
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return fail(ERR_USAGE, "%s needs a number from 1 to %lu, not '%s'", opt, max, s);
	*out = v;
	return 0;
}

static int parse_rows(const char *list, struct options *o)
{
	char buf[512];
	char *save, *t;

	if (strlen(list) >= sizeof(buf))
		return fail(ERR_USAGE, "--rows: list too long");
	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const struct lab_row *r = lab_row_find(t);

		if (!r)
			return fail(ERR_USAGE, "--rows: no row '%s' (see warden bench exits --help)", t);
		o->selected[r - lab_rows] = true;
		o->any_selected = true;
	}
	if (!o->any_selected)
		return fail(ERR_USAGE, "--rows needs at least one row name");
	return 0;
}

enum { OPT_JSON = 256, OPT_ROUNDS, OPT_ITERATIONS, OPT_ROWS, OPT_KVM_DEVICE, OPT_NO_ACCOUNTING, OPT_HELP };

static const struct option options[] = {
	{ "json", required_argument, NULL, OPT_JSON },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "iterations", required_argument, NULL, OPT_ITERATIONS },
	{ "rows", required_argument, NULL, OPT_ROWS },
	{ "kvm-device", required_argument, NULL, OPT_KVM_DEVICE },
	{ "no-accounting", no_argument, NULL, OPT_NO_ACCOUNTING },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* 1: run; 0: help printed; -1: user error recorded. */
static int parse(int argc, char **argv, struct options *o)
{
	unsigned long v;
	int c;

	*o = (struct options){ .kvm_device = KVM_DEFAULT_DEVICE, .rounds = DEFAULT_ROUNDS,
			       .iterations = DEFAULT_ITERATIONS };
	_Static_assert(sizeof(o->selected) / sizeof(o->selected[0]) >= 18, "room for every row");
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: o->json = optarg; break;
		case OPT_ROUNDS:
			if (parse_count(optarg, "--rounds", MAX_ROUNDS, &v) < 0)
				return -1;
			o->rounds = (unsigned)v;
			break;
		case OPT_ITERATIONS:
			if (parse_count(optarg, "--iterations", MAX_ITERATIONS, &v) < 0)
				return -1;
			o->iterations = (uint32_t)v;
			break;
		case OPT_ROWS:
			if (parse_rows(optarg, o) < 0)
				return -1;
			break;
		case OPT_KVM_DEVICE: o->kvm_device = optarg; break;
		case OPT_NO_ACCOUNTING: o->no_accounting = true; break;
		case OPT_HELP: usage(stdout); return 0;
		case ':': return fail(ERR_USAGE, "%s needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return fail(ERR_USAGE, "unknown option '-%c' (see warden bench exits --help)", optopt);
			return fail(ERR_USAGE, "unknown option '%s' (see warden bench exits --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(ERR_USAGE, "unexpected argument '%s' (see warden bench exits --help)", argv[optind]);
	return 1;
}

/* --- measuring ------------------------------------------------------------ */

static void side_from(struct side_round *s, struct lab_result *r)
{
	lab_summarize(r->samples, r->iterations, &s->s);
	s->n = r->iterations;
	s->exits = r->exits;
	s->kvm_known = r->kvm_exits_known;
	s->kvm_exits = r->kvm_exits;
	s->decode = r->decode;
	s->emulate = r->emulate;
	s->ret = r->ret;
	s->coalesced = r->coalesced;
	s->check = r->check;
	lab_summarize(r->shares, r->nshares, &s->share);
}

/* One round of one row: both sides, in the order the round gives. */
static int run_round(const struct lab_run_config *c, struct row_result *rr, unsigned round)
{
	bool floor_first = round % 2 == 1;

	for (unsigned k = 0; k < 2; k++) {
		bool floor = (k == 0) == floor_first;
		struct lab_result res;

		if (lab_run_row(c, rr->row, floor, &res) < 0) {
			rr->state = ROW_FAILED;
			snprintf(rr->reason, sizeof(rr->reason), "failed: %s%s", floor ? "floor: " : "", err_msg());
			return -1;
		}
		if (!res.ok) {
			rr->state = ROW_FAILED;
			snprintf(rr->reason, sizeof(rr->reason), "failed: %s%s", floor ? "floor: " : "warden: ",
				 res.error);
			lab_result_free(&res);
			return 0;
		}
		side_from(floor ? &rr->f[round] : &rr->w[round], &res);
		if (!floor) {
			rr->tsc_khz = res.tsc_khz;
			rr->amd = res.amd;
			rr->wakeups += res.wakeups;
		}
		lab_result_free(&res);
	}
	rr->rounds++;
	return 0;
}

static void total(const struct side_round *s, unsigned rounds, struct side_total *t)
{
	double med[MAX_ROUNDS], p99[MAX_ROUNDS], smed[MAX_ROUNDS], sp99[MAX_ROUNDS];
	uint64_t kvm = 0;

	memset(t, 0, sizeof(*t));
	t->kvm_known = rounds > 0;
	for (unsigned i = 0; i < rounds; i++) {
		med[i] = s[i].s.median;
		p99[i] = s[i].s.p99;
		smed[i] = s[i].share.median;
		sp99[i] = s[i].share.p99;
		t->min = i == 0 || s[i].s.min < t->min ? s[i].s.min : t->min;
		t->mean += s[i].s.mean / rounds;
		t->n += s[i].n;
		t->exits += s[i].exits;
		t->decode += s[i].decode;
		t->emulate += s[i].emulate;
		t->ret += s[i].ret;
		t->coalesced += s[i].coalesced;
		t->kvm_known = t->kvm_known && s[i].kvm_known;
		kvm += s[i].kvm_exits;
		t->check = s[i].check;
	}
	t->median = lab_median(med, rounds);
	t->p99 = lab_median(p99, rounds);
	t->share_median = lab_median(smed, rounds);
	t->share_p99 = lab_median(sp99, rounds);
	t->exits_per_it = t->n ? (double)t->exits / (double)t->n : 0;
	t->kvm_exits_per_it = t->n && t->kvm_known ? (double)kvm / (double)t->n : 0;
}

/* Median over the rounds of warden's median over the floor's (or of the means). */
static double ratio(const struct row_result *rr, bool means)
{
	double r[MAX_ROUNDS];
	unsigned n = 0;

	for (unsigned i = 0; i < rr->rounds; i++) {
		double w = means ? rr->w[i].s.mean : rr->w[i].s.median;
		double f = means ? rr->f[i].s.mean : rr->f[i].s.median;

		if (f > 0)
			r[n++] = w / f;
	}
	return lab_median(r, n);
}

/* The same, net of the measuring loop (the loop row of the same round,
 * both its sides averaged): per exit rather than per iteration.  It
 * matters where the loop is slow (kvm_pvm emulates ring 0); NAN without
 * the loop row. */
static double ratio_net(const struct row_result *rr)
{
	double r[MAX_ROUNDS];
	unsigned n = 0;

	if (!rr->loop || rr->row == rr->loop->row)
		return NAN;
	for (unsigned i = 0; i < rr->rounds && i < rr->loop->rounds; i++) {
		double l = (rr->loop->w[i].s.median + rr->loop->f[i].s.median) / 2;
		double w = rr->w[i].s.median - l, f = rr->f[i].s.median - l;

		if (f > 0)
			r[n++] = w / f;
	}
	return n ? lab_median(r, n) : NAN;
}

/* warden's share of the guest-seen round trip: decode + emulate + return
 * per iteration over the guest's iteration (the same TSC: warden's stamps
 * are the host's, which KVM offsets but does not scale here).  From the
 * means, or from the medians (the median share per exit times the exits
 * per iteration, over the median iteration), which preemptions of either
 * side move far less. */
static double share_fraction(const struct side_total *w, bool medians)
{
	double share = medians ? w->share_median * w->exits_per_it
			       : w->n ? (double)(w->decode + w->emulate + w->ret) / (double)w->n : 0;
	double it = medians ? w->median : w->mean;

	return it > 0 && share < it ? share / it : 0;
}

/* --- the tier: native or emulated, and the host's KVM ----------------------- */

struct tier {
	struct caps_host host;
	const char *name; /* "native" or "emulated" */
	char cpu[200];
};

static void tier_detect(struct tier *t)
{
	caps_host_detect(&t->host);
	/* The emulated AMD-V tier is an L1 that QEMU's TCG emulates. */
	t->name = caps_host_tier(&t->host);
	caps_cpu_summary(&t->host, t->cpu, sizeof(t->cpu));
}

/* --- output --------------------------------------------------------------- */

static double ns(double cycles, uint64_t khz)
{
	return khz ? cycles * 1e6 / (double)khz : 0;
}

static const char *state_name(enum row_state s)
{
	switch (s) {
	case ROW_MEASURED: return "measured";
	case ROW_SKIPPED: return "skipped";
	case ROW_NOT_YET: return "not yet";
	default: return "failed";
	}
}

static const char *expect_name(enum lab_expect e)
{
	switch (e) {
	case LAB_EXPECT_ONE: return "one";
	case LAB_EXPECT_RING: return "one per full coalesced MMIO ring";
	default: return "none";
	}
}

static void print_table(FILE *f, const struct options *o, const struct tier *t, const struct row_result *rr,
			unsigned n, uint64_t khz)
{
	fprintf(f, "warden bench exits: %u round%s x %u iterations per row%s; tier %s (%s: %s)\n", o->rounds,
		o->rounds == 1 ? "" : "s", o->iterations, o->no_accounting ? ", warden without accounting" : "",
		t->name, caps_module_name(t->host.module), caps_module_summary(t->host.module));
	fprintf(f, "guest TSC %.3f MHz; ns per iteration as the guest sees it, medians of the rounds' medians;\n"
		   "share = warden's decode + emulate + return per exit that reached it, median (and %% of the round trip);\n"
		   "overhead = warden / floor, median of the rounds' ratios (target <= %.2f)\n",
		khz / 1000.0, TARGET_RATIO);
	fprintf(f, "%-18s %9s %8s %10s %10s %10s %12s %7s %9s %7s\n", "row", "warden/it", "KVM/it", "guest ns",
		"p99 ns", "floor ns", "share ns/ex", "share%", "overhead", "net");
	for (unsigned i = 0; i < n; i++) {
		const struct row_result *r = &rr[i];
		struct side_total w, fl;

		if (r->state != ROW_MEASURED) {
			fprintf(f, "%-18s %s\n", r->row->name, r->reason);
			continue;
		}
		total(r->w, r->rounds, &w);
		total(r->f, r->rounds, &fl);
		fprintf(f, "%-18s %9.3f ", r->row->name, w.exits_per_it);
		if (w.kvm_known)
			fprintf(f, "%8.3f ", w.kvm_exits_per_it);
		else
			fprintf(f, "%8s ", "?");
		fprintf(f, "%10.0f %10.0f %10.0f ", ns(w.median, r->tsc_khz), ns(w.p99, r->tsc_khz),
			ns(fl.median, r->tsc_khz));
		if (w.exits)
			fprintf(f, "%12.0f %6.2f%% ", ns(w.share_median, r->tsc_khz), 100 * share_fraction(&w, true));
		else
			fprintf(f, "%12s %7s ", "-", "-");
		fprintf(f, "%9.3f ", ratio(r, false));
		if (isnan(ratio_net(r)))
			fprintf(f, "%7s\n", "-");
		else
			fprintf(f, "%7.3f\n", ratio_net(r));
	}
}

static void add_num(json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *figures(double min, double median, double p99, double mean, uint64_t khz, bool in_ns)
{
	json_object *o = json_object_new_object();

	add_num(o, "min", in_ns ? ns(min, khz) : min);
	add_num(o, "median", in_ns ? ns(median, khz) : median);
	add_num(o, "p99", in_ns ? ns(p99, khz) : p99);
	add_num(o, "mean", in_ns ? ns(mean, khz) : mean);
	return o;
}

static json_object *side_json(const struct side_total *t, uint64_t khz)
{
	json_object *o = json_object_new_object();
	char hex[24];

	json_object_object_add(o, "cycles", figures(t->min, t->median, t->p99, t->mean, khz, false));
	json_object_object_add(o, "ns", figures(t->min, t->median, t->p99, t->mean, khz, true));
	add_num(o, "exits_to_user_space_per_iteration", t->exits_per_it);
	if (t->kvm_known)
		add_num(o, "kvm_exits_per_iteration", t->kvm_exits_per_it);
	else
		json_object_object_add(o, "kvm_exits_per_iteration", NULL);
	add_u64(o, "exits_to_user_space", t->exits);
	add_u64(o, "iterations", t->n);
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)t->check);
	add_str(o, "guest_check", hex);
	return o;
}

static json_object *row_json(const struct row_result *r)
{
	json_object *o = json_object_new_object();
	struct side_total w, fl;
	json_object *share, *per_exit, *rounds;
	uint64_t khz = r->tsc_khz;

	add_str(o, "name", r->row->name);
	add_str(o, "what", r->row->what);
	add_str(o, "status", state_name(r->state));
	add_str(o, "expected_exits_to_warden", expect_name(r->row->expect));
	if (r->state != ROW_MEASURED) {
		add_str(o, "reason", r->reason);
		json_object_object_add(o, "overhead_ratio", NULL);
		return o;
	}
	total(r->w, r->rounds, &w);
	total(r->f, r->rounds, &fl);
	add_u64(o, "rounds", r->rounds);
	json_object_object_add(o, "guest", side_json(&w, khz));
	json_object_object_add(o, "floor", side_json(&fl, khz));
	share = json_object_new_object();
	per_exit = json_object_new_object();
	if (w.exits) {
		add_num(per_exit, "decode", ns((double)w.decode / (double)w.exits, khz));
		add_num(per_exit, "emulate", ns((double)w.emulate / (double)w.exits, khz));
		add_num(per_exit, "return", ns((double)w.ret / (double)w.exits, khz));
		add_num(per_exit, "total", ns((double)(w.decode + w.emulate + w.ret) / (double)w.exits, khz));
	}
	json_object_object_add(share, "ns_per_exit", per_exit);
	if (w.exits) {
		add_num(share, "ns_per_exit_median", ns(w.share_median, khz));
		add_num(share, "ns_per_exit_p99", ns(w.share_p99, khz));
	}
	add_num(share, "ns_per_iteration", w.n ? ns((double)(w.decode + w.emulate + w.ret) / (double)w.n, khz) : 0);
	add_num(share, "coalesced_writes_per_iteration", w.n ? (double)w.coalesced / (double)w.n : 0);
	add_num(share, "fraction_of_round_trip", share_fraction(&w, false));
	add_num(share, "fraction_of_round_trip_median", share_fraction(&w, true));
	json_object_object_add(o, "warden_share", share);
	if (r->row->op == LAB_OP_HYPERCALL)
		add_str(o, "hypercall_instruction", r->amd ? "vmmcall" : "vmcall");
	if (r->row->op == LAB_OP_HLT_TIMER) {
		add_u64(o, "timer_delay_ns", TIMER_DELAY_NS);
		add_num(o, "hlts_per_iteration", w.n ? (double)r->wakeups / (double)w.n : 0);
	}
	add_num(o, "overhead_ratio", ratio(r, false));
	add_num(o, "overhead_ratio_of_means", ratio(r, true));
	if (isnan(ratio_net(r)))
		json_object_object_add(o, "overhead_ratio_net_of_loop", NULL);
	else
		add_num(o, "overhead_ratio_net_of_loop", ratio_net(r));
	/* Within warden's own runs, immune to the host's slow spells between
	 * runs: an upper bound, as the floor's user space takes time too. */
	add_num(o, "overhead_ratio_bound_from_share", 1 / (1 - share_fraction(&w, true)));
	rounds = json_object_new_array();
	for (unsigned i = 0; i < r->rounds; i++) {
		json_object *e = json_object_new_object();

		add_num(e, "guest_median_cycles", r->w[i].s.median);
		add_num(e, "floor_median_cycles", r->f[i].s.median);
		add_num(e, "ratio", r->f[i].s.median > 0 ? r->w[i].s.median / r->f[i].s.median : 0);
		json_object_array_add(rounds, e);
	}
	json_object_object_add(o, "per_round", rounds);
	return o;
}

static json_object *tier_json(const struct tier *t, const struct lab_host *h, const char *device)
{
	json_object *o = json_object_new_object(), *caps = json_object_new_object();

	add_str(o, "name", t->name);
	add_str(o, "kvm_module", caps_module_name(t->host.module));
	add_str(o, "kvm", caps_module_summary(t->host.module));
	add_str(o, "cpu", t->cpu);
	add_str(o, "host_kernel", t->host.kernel);
	add_str(o, "kvm_device", device);
	add_str(caps, "asked_on", h->checked_on_vm ? "a new VM (KVM_CHECK_EXTENSION)" : "the KVM device");
	add_u64(caps, "KVM_CAP_IOEVENTFD", (uint64_t)h->ioeventfd);
	add_u64(caps, "KVM_CAP_COALESCED_MMIO", (uint64_t)h->coalesced_mmio);
	add_u64(caps, "KVM_CAP_COALESCED_PIO", (uint64_t)h->coalesced_pio);
	add_u64(caps, "KVM_CAP_X86_USER_SPACE_MSR", (uint64_t)h->user_space_msr);
	add_u64(caps, "KVM_CAP_X86_MSR_FILTER", (uint64_t)h->msr_filter);
	add_u64(caps, "KVM_CAP_IRQCHIP", (uint64_t)h->irqchip);
	add_u64(caps, "KVM_CAP_TSC_DEADLINE_TIMER", (uint64_t)h->tsc_deadline_cap);
	add_u64(caps, "max_vcpus", h->max_vcpus);
	json_object_object_add(caps, "cpuid_x2apic", json_object_new_boolean(h->x2apic));
	json_object_object_add(caps, "cpuid_tsc_deadline", json_object_new_boolean(h->tsc_deadline));
	json_object_object_add(o, "capabilities", caps);
	return o;
}

static int write_json(FILE *f, const char *path, const struct options *o, const struct tier *t,
		      const struct lab_host *h, const struct row_result *rr, unsigned n, uint64_t khz,
		      const char *command, uint32_t warmup)
{
	json_object *root = json_object_new_object(), *rows = json_object_new_array();
	char date[32];
	time_t now = time(NULL);
	int ret = 0;

	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	add_str(root, "experiment", "bench-exits");
	add_str(root, "command", command);
	add_str(root, "date", date);
	json_object_object_add(root, "tier", tier_json(t, h, o->kvm_device));
	add_u64(root, "rounds", o->rounds);
	add_u64(root, "iterations", o->iterations);
	add_u64(root, "warmup", warmup);
	json_object_object_add(root, "warden_accounting", json_object_new_boolean(!o->no_accounting));
	add_u64(root, "guest_tsc_khz", khz);
	add_num(root, "target_overhead_ratio", TARGET_RATIO);
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(rows, row_json(&rr[i]));
	json_object_object_add(root, "rows", rows);
	if (fprintf(f, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
								JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
	    fflush(f) != 0)
		ret = fail_errno(ERR_HOST, "cannot write %s", path);
	json_object_put(root);
	return ret;
}

/* --- the command ------------------------------------------------------------ */

static void command_line(int argc, char **argv, char *buf, size_t len)
{
	size_t k = (size_t)snprintf(buf, len, "warden bench");

	for (int i = 0; i < argc && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, " %s", argv[i]);
}

static int bench_exits(int argc, char **argv)
{
	struct options o;
	struct lab_host host;
	struct tier tier;
	struct row_result *rr = NULL;
	struct lab_run_config c;
	unsigned n = 0, failed = 0;
	uint64_t khz = 0;
	char command[512];
	FILE *jf = NULL;
	int st = parse(argc, argv, &o), ret = 1;

	if (st <= 0)
		return st == 0 ? 0 : -1;
	command_line(argc, argv, command, sizeof(command));
	/* A file we cannot write is the user's mistake: say so before running. */
	if (o.json && !(jf = fopen(o.json, "w")))
		return fail_errno(ERR_USAGE, "cannot write --json %s", o.json);
	if (lab_host_probe(&host, o.kvm_device) < 0)
		goto out;
	tier_detect(&tier);
	c = (struct lab_run_config){
		.kvm_device = o.kvm_device, .iterations = o.iterations,
		.warmup = o.iterations / 10 < 1 ? 1 : o.iterations / 10 > 200 ? 200 : o.iterations / 10,
		.timer_delay_ns = TIMER_DELAY_NS,
		/* 20 ms an iteration is slow even for an IPI to a vCPU whose
		 * ring 0 kvm_pvm emulates (5 ms) or an exit in TCG (0.3 ms). */
		.timeout_s = 10 + o.iterations * 0.02,
		.no_accounting = o.no_accounting,
	};
	rr = calloc(lab_nrows, sizeof(*rr));
	if (!rr) {
		fail(ERR_HOST, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < lab_nrows; i++) {
		struct row_result *r;

		if (o.any_selected && !o.selected[i])
			continue;
		r = &rr[n++];
		r->row = &lab_rows[i];
		if (!lab_row_runs(r->row, &host, r->reason, sizeof(r->reason))) {
			r->state = r->row->not_yet ? ROW_NOT_YET : ROW_SKIPPED;
			continue;
		}
		r->w = calloc(o.rounds, sizeof(*r->w));
		r->f = calloc(o.rounds, sizeof(*r->f));
		if (!r->w || !r->f) {
			fail(ERR_HOST, "out of memory");
			goto out;
		}
	}
	/* Rounds outside, rows inside: each row's two sides run next to each
	 * other in time, and every row sees the host's slow and quiet spells. */
	for (unsigned round = 0; round < o.rounds; round++)
		for (unsigned i = 0; i < n; i++)
			if (rr[i].state == ROW_MEASURED && run_round(&c, &rr[i], round) < 0 &&
			    err_class() == ERR_USAGE)
				goto out; /* e.g. the KVM device went away: nothing else will run */
	for (unsigned i = 0; i < n; i++)
		if (rr[i].state == ROW_MEASURED && rr[i].row->op == LAB_OP_LOOP)
			for (unsigned k = 0; k < n; k++)
				rr[k].loop = &rr[i];
	for (unsigned i = 0; i < n; i++) {
		if (rr[i].state == ROW_FAILED)
			failed++;
		if (rr[i].state == ROW_MEASURED && !khz)
			khz = rr[i].tsc_khz;
	}
	print_table(stdout, &o, &tier, rr, n, khz);
	fflush(stdout);
	if (jf && write_json(jf, o.json, &o, &tier, &host, rr, n, khz, command, c.warmup) < 0)
		goto out;
	if (failed) {
		fail(ERR_HOST, "%u row%s failed (see the table)", failed, failed == 1 ? "" : "s");
		goto out;
	}
	ret = 0;
out:
	if (jf)
		fclose(jf);
	if (rr)
		for (unsigned i = 0; i < lab_nrows; i++) {
			free(rr[i].w);
			free(rr[i].f);
		}
	free(rr);
	return ret == 0 ? 0 : -1;
}

int lab_bench_main(int argc, char **argv)
{
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc < 2) {
			fprintf(stderr, "warden: bench needs an experiment: warden bench exits (see warden bench --help)\n");
			return 2;
		}
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "exits") != 0) {
		fprintf(stderr, "warden: unknown bench '%s' (try warden bench exits)\n", argv[1]);
		return 2;
	}
	r = bench_exits(argc - 1, argv + 1);
	if (r == 0)
		return 0;
	fprintf(stderr, "warden: %s\n", err_msg());
	return err_class() == ERR_USAGE ? 2 : 1;
}
