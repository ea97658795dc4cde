/* `warden lab NAME [options]`: the exit lab's experiments:
 * emulated-vs-virtio (lab/regpage_lab.h), batching (lab/batching_lab.h),
 * msr-filter (lab/msr_lab.h), sensitive (lab/sensitive_lab.h), idle
 * (lab/idle_lab.h), interrupts (lab/interrupts_lab.h). */
#include "lab/lab_cmd.h"
#include "lab/lab_host.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kvm_caps.h"
#include "lab/batching_lab.h"
#include "lab/idle_lab.h"
#include "lab/interrupts_lab.h"
#include "lab/msr_lab.h"
#include "lab/sensitive_lab.h"
#include "lab/tsc_lab.h"
#include "lab/paging_lab.h"
#include "lab/regpage_lab.h"
#include "devices/regpage.h"
#include "util/error.h"

static void usage(FILE *f)
{
	fputs("usage: warden lab emulated-vs-virtio [--json FILE] [--svg FILE] [--seconds S]\n"
	      "                 [--scan-us US] [--hold-scans N] [--batch N] [--rates F,F,...]\n"
	      "                 [--tier NAME]\n"
	      "                 [--kvm-device PATH]\n"
	      "\n"
	      "One device, five mechanisms, driven by the model workload (1,200,000 status\n"
	      "reads and 30,000 control writes a second, and a sweep of fractions of it)\n"
	      "from a built-in guest: (a) trapped registers over port I/O, (b) over MMIO,\n"
	      "(c) a register page in guest RAM tracked by dirty logging and scanned on a\n"
	      "timer, (d) a batch ring with one doorbell per batch, (c') the register\n"
	      "page left writable while the guest keeps writing it.  Prints exits and\n"
	      "operations per second with the model's prediction, and the exit reduction\n"
	      "from (a) to (c) and to (c').  See docs/lab.md.\n"
	      "\n"
	      "  --json FILE      write the results as JSON\n"
	      "  --svg FILE       write a plot (exits/s and ops/s against the offered load)\n"
	      "  --seconds S      measured window of each run (default 1, 0.01 to 60)\n"
	      "  --scan-us US     the register page's scan interval (default 1000, 100 to\n"
	      "                   1000000)\n"
	      "  --hold-scans N   (c'): protect the page again only after N scans in a row\n"
	      "                   without a control write (default 8, 1 to 1000; needs\n"
	      "                   manual dirty-log protection, else (c') is (c))\n"
	      "  --batch N        ring entries per doorbell (default 64, 1 to 256)\n"
	      "  --rates LIST     fractions of the model workload, ascending, at most 8,\n"
	      "                   the last 1 (default 0.01,0.1,0.3,1)\n"
	      "  --tier NAME      the tier to report (default: emulated in a QEMU TCG L1,\n"
	      "                   else native)\n"
	      "  --kvm-device PATH  KVM device (default /dev/kvm)\n",
	      f);
}

static int parse_double(const char *s, const char *opt, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return fail(ERR_USAGE, "%s needs a number from %g to %g, not '%s'", opt, lo, hi, s);
	*out = v;
	return 0;
}

static int parse_rates(const char *s, struct ev_options *o)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return fail(ERR_USAGE, "--rates: list too long");
	strcpy(buf, s);
	o->nrates = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		double v;

		if (o->nrates == EV_MAX_RATES)
			return fail(ERR_USAGE, "--rates: at most %d fractions", EV_MAX_RATES);
		if (parse_double(tok, "--rates", 0.0001, 1, &v) < 0)
			return -1;
		if (o->nrates && v <= o->rates[o->nrates - 1])
			return fail(ERR_USAGE, "--rates must ascend, not '%s'", s);
		o->rates[o->nrates++] = v;
	}
	if (!o->nrates || o->rates[o->nrates - 1] != 1)
		return fail(ERR_USAGE, "--rates must end with 1 (the model workload), not '%s'", s);
	return 0;
}

enum { OPT_JSON = 256, OPT_SVG, OPT_SECONDS, OPT_SCAN, OPT_HOLD, OPT_BATCH, OPT_RATES, OPT_TIER, OPT_KVM, OPT_HELP };

static int parse(int argc, char **argv, struct ev_options *o)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, OPT_JSON }, { "svg", required_argument, NULL, OPT_SVG },
		{ "seconds", required_argument, NULL, OPT_SECONDS }, { "scan-us", required_argument, NULL, OPT_SCAN },
		{ "hold-scans", required_argument, NULL, OPT_HOLD },
		{ "batch", required_argument, NULL, OPT_BATCH }, { "rates", required_argument, NULL, OPT_RATES },
		{ "tier", required_argument, NULL, OPT_TIER }, { "kvm-device", required_argument, NULL, OPT_KVM },
		{ "help", no_argument, NULL, OPT_HELP }, { NULL, 0, NULL, 0 },
	};
	double v;
	int c;

	*o = (struct ev_options){ .seconds = 1, .scan_us = REGPAGE_SCAN_US_DEFAULT, .hold_scans = EV_HOLD_DEFAULT,
				  .batch = EV_BATCH_DEFAULT,
				  .rates = { 0.01, 0.1, 0.3, 1 }, .nrates = 4 };
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: o->json = optarg; break;
		case OPT_SVG: o->svg = optarg; break;
		case OPT_SECONDS: if (parse_double(optarg, "--seconds", 0.01, 60, &o->seconds) < 0) return -1; break;
		case OPT_SCAN:
			if (parse_double(optarg, "--scan-us", REGPAGE_SCAN_US_MIN, REGPAGE_SCAN_US_MAX, &v) < 0)
				return -1;
			o->scan_us = (unsigned)v;
			break;
		case OPT_HOLD:
			if (parse_double(optarg, "--hold-scans", 1, REGPAGE_HOLD_MAX, &v) < 0)
				return -1;
			if (v != (double)(unsigned)v)
				return fail(ERR_USAGE, "--hold-scans needs a whole number, not '%s'", optarg);
			o->hold_scans = (unsigned)v;
			break;
		case OPT_BATCH:
			if (parse_double(optarg, "--batch", 1, 256, &v) < 0)
				return -1;
			o->batch = (unsigned)v;
			break;
		case OPT_RATES: if (parse_rates(optarg, o) < 0) return -1; break;
		case OPT_TIER:
			if (lab_parse_tier(optarg, &o->tier) < 0)
				return -1;
			break;
		case OPT_KVM: o->kvm_device = optarg; break;
		case OPT_HELP: usage(stdout); return 1;
		case ':': return fail(ERR_USAGE, "%s needs a value", argv[optind - 1]);
		default: return fail(ERR_USAGE, "unknown option '%s' (see warden lab --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(ERR_USAGE, "unexpected argument '%s' (see warden lab --help)", argv[optind]);
	return 0;
}

static int emulated_vs_virtio(int argc, char **argv)
{
	struct ev_result *res = calloc(1, sizeof(*res));
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
	if (ev_measure(res) < 0) {
		fprintf(stderr, "warden: %s\n", err_msg());
		st = err_class() == ERR_USAGE ? 2 : 1;
		free(res);
		return st;
	}
	ev_print_table(stdout, res);
	if ((res->opt.json && ev_write_json(res->opt.json, res) < 0) ||
	    (res->opt.svg && ev_write_svg(res->opt.svg, res) < 0)) {
		fprintf(stderr, "warden: %s\n", err_msg());
		free(res);
		return 2;
	}
	for (unsigned m = 0; m < EV_NMODES; m++)
		for (unsigned i = 0; i < res->opt.nrates; i++)
			if (!res->run[m][i].ok)
				st = 1;
	if (st)
		fprintf(stderr, "warden: lab: some runs failed (see above)\n");
	free(res);
	return st;
}

int lab_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc < 2) {
			fprintf(stderr, "warden: warden lab needs an experiment: emulated-vs-virtio, batching, msr-filter, sensitive, idle, interrupts, tsc, paging "
				"(see warden lab --help)\n");
			return 2;
		}
		fputs("usage: warden lab EXPERIMENT [options]   (warden lab EXPERIMENT --help)\n"
		      "  emulated-vs-virtio  one device: trapped (port, MMIO), a dirty-logged register\n"
		      "                      page, a batch ring; exits and operations per second\n"
		      "  batching            trapped writes against batched hypercalls by batch size;\n"
		      "                      fitted costs and the crossover\n"
		      "  msr-filter          MSR writes left to KVM against sent to warden by a filter\n"
		      "  sensitive           SGDT/SIDT/SLDT/STR/SMSW/PUSHF/POPF/CPUID at CPL 0 and 3\n"
		      "  idle                HLT, the idle hypercall, halt polling, HLT passthrough:\n"
		      "                      exits per idle, wake-up latency, host CPU\n"
		      "  interrupts          a device interrupt by irqfd, KVM_IRQ_LINE and MSI: latency,\n"
		      "                      exits per interrupt, what AVIC/APICv would remove\n"
		      "  tsc                 the guest's TSC against the host's: offset and frequency\n"
		      "  paging              working sets and page-table changes: exits of nested or\n"
		      "                      shadow paging, 4 KiB and 2 MiB pages\n"
		      "See docs/lab.md.\n\n", stdout);
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "emulated-vs-virtio") == 0)
		return emulated_vs_virtio(argc - 1, argv + 1);
	if (strcmp(argv[1], "batching") == 0)
		return lab_batching_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "msr-filter") == 0)
		return lab_msr_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "sensitive") == 0)
		return lab_sensitive_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "idle") == 0)
		return lab_idle_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "interrupts") == 0)
		return lab_interrupts_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "paging") == 0)
		return lab_paging_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "tsc") == 0)
		return lab_tsc_main(argc - 1, argv + 1);
	fprintf(stderr, "warden: unknown experiment '%s' (warden lab knows: emulated-vs-virtio, batching, msr-filter, sensitive, idle, interrupts, tsc, paging)\n", argv[1]);
	return 2;
}
