/* `warden lab batching` (lab/batching_lab.h): one VM with the hypercall
 * device (hypercall/hypercall.h, both doorbells), the lab's control port
 * and the built-in guest (guest/lab/batching.c).  The guest frames each
 * block of one way and one size with marks on the control port; at each
 * mark, on the vCPU thread, the lab takes warden's own exit count (the
 * recorder's exit_stats, fed by the VM's observer hooks). */
#include "lab/batching_lab.h"

#include <errno.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "accounting/exit_stats.h"
#include "accounting/recorder.h"
#include "boot/loader.h"
#include "core/device.h"
#include "core/kvm_caps.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "hypercall/hypercall.h"
#include "util/error.h"
#include "util/log.h"
#include "warden/hypercall.h"
#include "lab/lab_json.h"
#include "lab/lab_host.h"

extern const unsigned char lab_batching_guest[], lab_batching_guest_end[];

#define BT_PORT_BATCH_GPA 0x400000ULL
#define BT_FAST_BATCH_GPA 0x420000ULL
#define BT_SETUP_BATCH_GPA 0x440000ULL
#define BT_REPS_DEFAULT 21
#define BT_REPS_MAX 1024

static const char *const way_name[BT_NWAYS] = { "trap", "port", "fast" };

struct bt_options {
	uint32_t reps;
	uint32_t sizes[BT_MAX_SIZES];
	unsigned nsizes;
	const char *json, *svg, *kvm_device, *tier;
};

struct bt_result {
	struct bt_options opt;
	char tier[16], kvm[64], kernel[65];
	uint64_t tsc_hz;
	bool ioeventfd;        /* KVM_CHECK_EXTENSION(KVM_CAP_IOEVENTFD) on the VM */
	bool ok;
	char why[200];
	uint32_t status, failures;
	/* Per way and size: group cycles (median, min), exits to warden in the
	 * block, the trapped writes the device counted in it. */
	uint64_t median[BT_NWAYS][BT_MAX_SIZES], min[BT_NWAYS][BT_MAX_SIZES];
	uint64_t exits[BT_NWAYS][BT_MAX_SIZES], traps[BT_NWAYS][BT_MAX_SIZES];
	bool seen[BT_NWAYS][BT_MAX_SIZES];
	/* The fit, ns: per way slope and intercept of a group's cost against n. */
	double slope[BT_NWAYS], icept[BT_NWAYS];
	bool fitted[BT_NWAYS];
};

/* --- the control port ----------------------------------------------------------- */

struct bt_ctl {
	struct device dev;
	struct vm *vm;
	const struct exit_stats *stats;
	struct bt_result *res;
	bool open;
	unsigned way, si;
	uint64_t begin_exits, traps;
	bool done;
};

static void ctl_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev, (void)range, (void)off;
	memset(data, 0xff, len);
}

static void ctl_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data, unsigned len)
{
	struct bt_ctl *c = dev->priv;
	uint32_t v = 0;

	(void)range;
	if (off == BT_TRAP_OFFSET) {
		c->traps++;
		return;
	}
	memcpy(&v, data, len < 4 ? len : 4);
	if (off != 0) {
		log_guest("lab batching: write to control port offset %llu (ignored)", (unsigned long long)off);
	} else if ((v & ~0xffu) == 0x100u && !c->open && ((v >> 4) & 0xf) < BT_NWAYS &&
		   (v & 0xf) < c->res->opt.nsizes) {
		c->open = true;
		c->way = (v >> 4) & 0xf;
		c->si = v & 0xf;
		vm_sync_observer(c->vm); /* the accounting's count is complete */
		c->begin_exits = stats_total(c->stats);
		c->traps = 0;
	} else if (v == BT_MARK_END && c->open) {
		/* The begin mark's own exit is recorded after its snapshot; this
		 * one is not recorded yet. */
		vm_sync_observer(c->vm);
		c->res->exits[c->way][c->si] = stats_total(c->stats) - c->begin_exits - 1;
		c->res->traps[c->way][c->si] = c->traps;
		c->res->seen[c->way][c->si] = true;
		c->open = false;
	} else if (v == BT_MARK_DONE) {
		c->done = true;
		vm_request_end(c->vm, VM_END_POWEROFF);
	} else {
		log_guest("lab batching: mark %#x out of order or unknown (ignored)", v);
	}
}

static void ctl_destroy(struct device *dev)
{
	free(dev->priv);
}

static const struct device_ops ctl_ops = { .read = ctl_read, .write = ctl_write, .destroy = ctl_destroy };

/* --- the run ---------------------------------------------------------------------- */

static void why(struct bt_result *res, const char *fmt, const char *arg)
{
	res->ok = false;
	snprintf(res->why, sizeof(res->why), fmt, arg);
}

static int run(struct bt_result *res, const struct boot_spec *spec)
{
	const struct bt_options *o = &res->opt;
	struct vm_config cfg = { .mem_bytes = 16ULL << 20, .ncpus = 1, .irqchip = true, .kvm_device = o->kvm_device };
	struct hypercall_config hcfg = { .enabled = true, .ioeventfd = true };
	static struct vm vm;
	struct exit_stats *stats = stats_alloc(1);
	struct recorder rec = { .stats = stats, .nvcpus = 1 };
	struct bt_ctl *c = calloc(1, sizeof(*c));
	volatile struct bt_params *p;
	struct bt_params in;
	struct serial *com1;
	struct pollfd pfd;
	uint64_t ops = 0;
	long khz;
	int rc = -1, timeout_ms, cap;

	if (!stats || !c) {
		stats_free(stats);
		free(c);
		return fail(ERR_HOST, "out of memory");
	}
	if (vm_create(&vm, &cfg) < 0) {
		free(c);
		goto out;
	}
	recorder_observer(&rec, &vm.obs);
	c->vm = &vm;
	c->stats = stats;
	c->res = res;
	c->dev = (struct device){
		.name = "lab-ctl", .ops = &ctl_ops, .priv = c,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_LAB_CTL, PORT_LAB_CTL_LEN) }, .gsi = DEVICE_NO_GSI },
	};
	if (platform_create(&vm, &com1, 0) < 0) {
		free(c);
		goto out;
	}
	if (vm_add_device(&vm, &c->dev) < 0) {
		free(c);
		goto out;
	}
	/* Asked of KVM directly: does the fast doorbell complete without an
	 * exit to warden? */
	cap = ioctl(vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD);
	res->ioeventfd = cap > 0;
	if (!hypercall_create(&vm, &hcfg) || boot_load(&vm, spec) < 0)
		goto out;
	khz = ioctl(vm.vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0) {
		fail_errno(ERR_HOST, "KVM_GET_TSC_KHZ");
		goto out;
	}
	res->tsc_hz = (uint64_t)khz * 1000;
	p = gmem_ptr(&vm.mem, LAYOUT_LAB_PARAMS, sizeof(*p));
	if (!p) {
		fail(ERR_HOST, "lab: the parameter block is outside guest RAM");
		goto out;
	}
	in = (struct bt_params){ .magic = BT_MAGIC, .reps = o->reps, .nsizes = o->nsizes,
				 .port_batch_gpa = BT_PORT_BATCH_GPA, .fast_batch_gpa = BT_FAST_BATCH_GPA,
				 .setup_batch_gpa = BT_SETUP_BATCH_GPA, .spin_limit = 1ULL << 30 };
	for (unsigned i = 0; i < o->nsizes; i++) {
		in.sizes[i] = o->sizes[i];
		ops += o->sizes[i] + 2;
	}
	memcpy((void *)p, &in, sizeof(in));
	if (vm_start(&vm) < 0)
		goto out;
	/* Generous: a ms per exit on the slowest host seen, and 30 s more. */
	timeout_ms = 30000 + (int)(ops * o->reps);
	pfd = (struct pollfd){ .fd = vm.end.efd, .events = POLLIN };
	while (poll(&pfd, 1, timeout_ms) < 0 && errno == EINTR)
		;
	vm_request_end(&vm, VM_END_SIGNAL);
	vm_stop(&vm);
	rc = 0;
	res->ok = true;
	res->status = p->status;
	res->failures = p->failures;
	if (!c->done)
		why(res, "%s", "the guest did not finish in time");
	else if (res->status != BT_ST_DONE)
		why(res, "%s", res->status == BT_ST_NO_FAST ? "the hypercall device refused FAST_SETUP"
							     : "the guest refused its parameters");
	else if (res->failures)
		why(res, "%s", "some hypercalls did not answer WHC_OK");
	for (unsigned w = 0; res->ok && w < BT_NWAYS; w++)
		for (unsigned i = 0; i < o->nsizes; i++) {
			res->median[w][i] = p->median[w][i];
			res->min[w][i] = p->min[w][i];
			if (!res->seen[w][i])
				why(res, "%s", "the guest did not mark every block");
		}
out:
	if (rc < 0)
		why(res, "%s", err_msg());
	vm_destroy(&vm);
	stats_free(stats);
	return rc;
}

static int measure(struct bt_result *res)
{
	struct boot_spec spec = lab_guest_spec("warden lab batching's built-in guest", lab_batching_guest,
					       lab_batching_guest_end);

	return run(res, &spec);
}

/* --- figures ------------------------------------------------------------------------ */

static double ns(const struct bt_result *r, uint64_t cycles)
{
	return r->tsc_hz ? (double)cycles * 1e9 / (double)r->tsc_hz : NAN;
}

static uint64_t expected_exits(const struct bt_result *r, unsigned w, unsigned i)
{
	uint64_t reps = r->opt.reps;

	switch (w) {
	case BT_TRAP: return reps * r->opt.sizes[i];
	case BT_PORT: return reps;
	default: return r->ioeventfd ? 0 : reps;
	}
}

static void fit_all(struct bt_result *r)
{
	double x[BT_MAX_SIZES], y[BT_MAX_SIZES];

	for (unsigned w = 0; w < BT_NWAYS; w++) {
		for (unsigned i = 0; i < r->opt.nsizes; i++) {
			x[i] = r->opt.sizes[i];
			y[i] = ns(r, r->median[w][i]);
		}
		r->fitted[w] = bt_fit(x, y, r->opt.nsizes, &r->slope[w], &r->icept[w]) == 0;
	}
}

/* Per doorbell D (port or fast): t_e = trap's slope - D's slope (the
 * exit a batched operation does not take), t_h = D's intercept. */
static double t_e(const struct bt_result *r, unsigned d)
{
	return r->slope[BT_TRAP] - r->slope[d];
}

static double n_star(const struct bt_result *r, unsigned d)
{
	double te = t_e(r, d);

	return r->fitted[BT_TRAP] && r->fitted[d] && te > 0 ? r->icept[d] / te : NAN;
}

static double crossover(const struct bt_result *r, unsigned d)
{
	double t[BT_MAX_SIZES], b[BT_MAX_SIZES];

	for (unsigned i = 0; i < r->opt.nsizes; i++) {
		t[i] = ns(r, r->median[BT_TRAP][i]);
		b[i] = ns(r, r->median[d][i]);
	}
	return bt_crossover(r->opt.sizes, t, b, r->opt.nsizes);
}

/* The batch is already no dearer at the smallest size: the crossover is
 * there or below, not measured. */
static bool at_or_below(const struct bt_result *r, unsigned d)
{
	return r->median[d][0] <= r->median[BT_TRAP][0];
}

static void print_table(FILE *f, const struct bt_result *r)
{
	const struct bt_options *o = &r->opt;

	fprintf(f, "cost per operation (ns, median of %u groups) and exits to warden per group\n", o->reps);
	fprintf(f, "%5s  %12s %12s %12s   %8s %8s %8s\n", "n", "trap", "port", "fast", "ex trap", "ex port",
		"ex fast");
	for (unsigned i = 0; i < o->nsizes; i++) {
		double n = o->sizes[i];

		fprintf(f, "%5u  %12.0f %12.0f %12.0f   %8.2f %8.2f %8.2f\n", o->sizes[i],
			ns(r, r->median[BT_TRAP][i]) / n, ns(r, r->median[BT_PORT][i]) / n,
			ns(r, r->median[BT_FAST][i]) / n, (double)r->exits[BT_TRAP][i] / o->reps,
			(double)r->exits[BT_PORT][i] / o->reps, (double)r->exits[BT_FAST][i] / o->reps);
	}
	fprintf(f, "\nfit (Theil-Sen, a group of n costs fixed + n * per-op):\n");
	fprintf(f, "  trap: t_e + t_p = %.0f ns per op (fixed %.0f ns)\n", r->slope[BT_TRAP], r->icept[BT_TRAP]);
	for (unsigned d = BT_PORT; d <= BT_FAST; d++)
		fprintf(f, "  %s: t_h = %.0f ns, t_p = %.0f ns per op; t_e = %.0f ns\n", way_name[d], r->icept[d],
			r->slope[d], t_e(r, d));
	fprintf(f, "\n%-9s %18s %20s\n", "doorbell", "model n* = t_h/t_e", "measured crossover");
	for (unsigned d = BT_PORT; d <= BT_FAST; d++)
		fprintf(f, "%-9s %18.2f %17s%s%.2f\n", way_name[d], n_star(r, d), "",
			at_or_below(r, d) ? "<=" : "  ", crossover(r, d));
	fprintf(f, "(fast doorbell: %s)\n",
		r->ioeventfd ? "KVM_IOEVENTFD, no exit to warden" : "no KVM_IOEVENTFD: an exit to warden per batch");
}

static int write_json(const char *path, const struct bt_result *r)
{
	const struct bt_options *o = &r->opt;
	FILE *f = lab_json_open(path, "batching", r->tier, r->kvm, r->kernel);

	if (!f)
		return -1;
	fprintf(f, ", \"tsc_hz\": %llu, \"capabilities\": {\"KVM_CAP_IOEVENTFD\": %s}},\n",
		(unsigned long long)r->tsc_hz, r->ioeventfd ? "true" : "false");
	fprintf(f, "  \"ok\": %s", r->ok ? "true" : "false");
	if (!r->ok) {
		fprintf(f, ", \"reason\": ");
		lab_json_str(f, r->why);
	}
	fprintf(f, ",\n  \"model\": {\"trapped\": \"n * (t_e + t_p)\", \"batched\": \"t_h + n * t_p\", "
		   "\"n_star\": \"t_h / t_e\",\n    \"fit\": \"Theil-Sen line through each way's median group cost (ns) "
		   "against n\",\n    \"trap_per_op_ns\": ");
	lab_json_num(f, r->slope[BT_TRAP], 6);
	for (unsigned d = BT_PORT; d <= BT_FAST; d++) {
		fprintf(f, ",\n    \"%s\": {\"t_h_ns\": ", way_name[d]);
		lab_json_num(f, r->icept[d], 6);
		fprintf(f, ", \"t_p_ns\": ");
		lab_json_num(f, r->slope[d], 6);
		fprintf(f, ", \"t_e_ns\": ");
		lab_json_num(f, t_e(r, d), 6);
		fprintf(f, ", \"n_star\": ");
		lab_json_num(f, n_star(r, d), 6);
		fprintf(f, "}");
	}
	fprintf(f, "},\n  \"measured\": {\"reps\": %u, \"failures\": %u, \"sizes\": [", o->reps, r->failures);
	for (unsigned i = 0; i < o->nsizes; i++)
		fprintf(f, "%s%u", i ? ", " : "", o->sizes[i]);
	fprintf(f, "],\n    \"ways\": {");
	for (unsigned w = 0; w < BT_NWAYS; w++) {
		static const char *const key[6] = { "group_ns_median", "group_ns_min", "ns_per_op",
						     "exits", "expected_exits", "trapped_writes" };

		fprintf(f, "%s\n      \"%s\": {", w ? "," : "", way_name[w]);
		for (unsigned k = 0; k < 6; k++) {
			fprintf(f, "%s\"%s\": [", k ? ", " : "", key[k]);
			for (unsigned i = 0; i < o->nsizes; i++) {
				fputs(i ? ", " : "", f);
				switch (k) {
				case 0: lab_json_num(f, ns(r, r->median[w][i]), 6); break;
				case 1: lab_json_num(f, ns(r, r->min[w][i]), 6); break;
				case 2: lab_json_num(f, ns(r, r->median[w][i]) / o->sizes[i], 6); break;
				case 3: fprintf(f, "%llu", (unsigned long long)r->exits[w][i]); break;
				case 4: fprintf(f, "%llu", (unsigned long long)expected_exits(r, w, i)); break;
				default: fprintf(f, "%llu", (unsigned long long)r->traps[w][i]); break;
				}
			}
			fputc(']', f);
		}
		fputc('}', f);
	}
	fprintf(f, "}},\n  \"crossover_model\": {\"port\": ");
	lab_json_num(f, n_star(r, BT_PORT), 6);
	fprintf(f, ", \"fast\": ");
	lab_json_num(f, n_star(r, BT_FAST), 6);
	fprintf(f, "},\n  \"crossover_measured\": {\"port\": ");
	lab_json_num(f, crossover(r, BT_PORT), 6);
	fprintf(f, ", \"fast\": ");
	lab_json_num(f, crossover(r, BT_FAST), 6);
	fprintf(f, "},\n  \"crossover_measured_at_or_below_smallest_size\": {\"port\": %s, \"fast\": %s}\n}\n",
		at_or_below(r, BT_PORT) ? "true" : "false", at_or_below(r, BT_FAST) ? "true" : "false");
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --json %s", path);
	return 0;
}

static int write_svg(const char *path, const struct bt_result *r)
{
	struct bt_plot p = { .nsizes = r->opt.nsizes, .sizes = r->opt.sizes, .tier = r->tier, .kvm = r->kvm,
			     .kernel = r->kernel };

	for (unsigned w = 0; w < BT_NWAYS; w++) {
		for (unsigned i = 0; i < r->opt.nsizes; i++)
			p.per_op_ns[w][i] = r->ok ? ns(r, r->median[w][i]) / r->opt.sizes[i] : NAN;
		p.slope[w] = r->slope[w];
		p.icept[w] = r->icept[w];
		p.fitted[w] = r->ok && r->fitted[w];
	}
	for (unsigned d = 0; d < 2; d++) {
		p.n_star[d] = r->ok ? n_star(r, BT_PORT + d) : NAN;
		p.crossover[d] = r->ok ? crossover(r, BT_PORT + d) : NAN;
	}
	return bt_write_svg(path, &p);
}

/* --- the command ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fputs("usage: warden lab batching [--json FILE] [--svg FILE] [--reps N] [--sizes N,N,...]\n"
	      "                 [--tier NAME] [--kvm-device PATH]\n"
	      "\n"
	      "Cost per operation against the batch size n, from a built-in guest: n trapped\n"
	      "port writes (n exits), and one batch of n NOP hypercalls through the port\n"
	      "doorbell (one exit) and through the ioeventfd doorbell.  Fits t_e, t_p and t_h\n"
	      "and prints the measured crossover next to n* = t_h / t_e.  See docs/lab.md.\n"
	      "\n"
	      "  --json FILE      write the results as JSON\n"
	      "  --svg FILE       write a plot (ns per operation against n, the fits, the\n"
	      "                   crossovers)\n"
	      "  --reps N         groups timed per way and size (default 21, 1 to 1024)\n"
	      "  --sizes LIST     batch sizes, ascending, 2 to 16 of them, 1 to 256\n"
	      "                   (default 1,2,3,4,6,8,12,16,32,64)\n"
	      "  --tier NAME      the tier to report (default: emulated in a QEMU TCG L1,\n"
	      "                   else native)\n"
	      "  --kvm-device PATH  KVM device (default /dev/kvm)\n",
	      f);
}

static int parse_uint(const char *s, const char *opt, unsigned long lo, unsigned long hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		return fail(ERR_USAGE, "%s needs a whole number from %lu to %lu, not '%s'", opt, lo, hi, s);
	*out = (uint32_t)v;
	return 0;
}

static int parse_sizes(const char *s, struct bt_options *o)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return fail(ERR_USAGE, "--sizes: list too long");
	strcpy(buf, s);
	o->nsizes = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nsizes == BT_MAX_SIZES)
			return fail(ERR_USAGE, "--sizes: at most %d sizes", BT_MAX_SIZES);
		if (parse_uint(tok, "--sizes", 1, WHC_BATCH_MAX, &o->sizes[o->nsizes]) < 0)
			return -1;
		if (o->nsizes && o->sizes[o->nsizes] <= o->sizes[o->nsizes - 1])
			return fail(ERR_USAGE, "--sizes must ascend, not '%s'", s);
		o->nsizes++;
	}
	if (o->nsizes < 2)
		return fail(ERR_USAGE, "--sizes needs at least 2 sizes for a fit, not '%s'", s);
	return 0;
}

enum { OPT_JSON = 256, OPT_SVG, OPT_REPS, OPT_SIZES, OPT_TIER, OPT_KVM, OPT_HELP };

static int parse(int argc, char **argv, struct bt_options *o)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, OPT_JSON }, { "svg", required_argument, NULL, OPT_SVG },
		{ "reps", required_argument, NULL, OPT_REPS },
		{ "sizes", required_argument, NULL, OPT_SIZES }, { "tier", required_argument, NULL, OPT_TIER },
		{ "kvm-device", required_argument, NULL, OPT_KVM }, { "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct bt_options){ .reps = BT_REPS_DEFAULT, .sizes = { 1, 2, 3, 4, 6, 8, 12, 16, 32, 64 }, .nsizes = 10 };
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: o->json = optarg; break;
		case OPT_SVG: o->svg = optarg; break;
		case OPT_REPS: if (parse_uint(optarg, "--reps", 1, BT_REPS_MAX, &o->reps) < 0) return -1; break;
		case OPT_SIZES: if (parse_sizes(optarg, o) < 0) return -1; break;
		case OPT_TIER:
			if (lab_parse_tier(optarg, &o->tier) < 0)
				return -1;
			break;
		case OPT_KVM: o->kvm_device = optarg; break;
		case OPT_HELP: usage(stdout); return 1;
		case ':': return fail(ERR_USAGE, "%s needs a value", argv[optind - 1]);
		default: return fail(ERR_USAGE, "unknown option '%s' (see warden lab batching --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(ERR_USAGE, "unexpected argument '%s' (see warden lab batching --help)", argv[optind]);
	return 0;
}

int lab_batching_main(int argc, char **argv)
{
	struct bt_result *res = calloc(1, sizeof(*res));
	int r, st = 0;

	if (!res) {
		fprintf(stderr, "warden: out of memory\n");
		return 1;
	}
	r = parse(argc, argv, &res->opt);
	if (r != 0) {
		free(res);
		if (r > 0)
			return 0;
		fprintf(stderr, "warden: %s\n", err_msg());
		return 2;
	}
	LAB_HOST_FACTS(res, res->opt.tier);
	if (measure(res) < 0) {
		fprintf(stderr, "warden: %s\n", err_msg());
		st = err_class() == ERR_USAGE ? 2 : 1;
		free(res);
		return st;
	}
	if (res->ok)
		fit_all(res);
	print_table(stdout, res);
	if ((res->opt.json && write_json(res->opt.json, res) < 0) ||
	    (res->opt.svg && write_svg(res->opt.svg, res) < 0)) {
		fprintf(stderr, "warden: %s\n", err_msg());
		free(res);
		return 2;
	}
	if (!res->ok) {
		fprintf(stderr, "warden: lab batching: %s\n", res->why);
		st = 1;
	}
	free(res);
	return st;
}
