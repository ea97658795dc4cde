/* `warden lab msr-filter` (lab/msr_lab.h). */
#include "lab/msr_lab.h"
#include "lab/lab_host.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cpuid.h"
#include "core/kvm_caps.h"
#include "lab/exits_run.h"
#include "lab/samples.h"
#include "util/error.h"
#include "lab/lab_json.h"


static const struct {
	uint32_t index;
	const char *name, *why;
} msrs[MSR_NMSRS] = {
	{ 0xc0000103, "IA32_TSC_AUX", "the RDTSCP/RDPID value; Linux writes it per CPU" },
	{ 0xc0000102, "IA32_KERNEL_GS_BASE", "the SWAPGS base; Linux writes it on context switches" },
};
static const char *const mode_name[MSR_NMODES] = { "kvm", "intercepted" };

struct msr_run {
	bool ran, ok;
	char why[256];
	uint64_t iterations, exits;
	bool kvm_known;
	uint64_t kvm_exits;
	struct lab_summary s; /* cycles per iteration */
	uint64_t check;       /* the value the guest wrote (its own, read first) */
};

struct msr_opts {
	uint32_t iterations;
	const char *json, *svg, *kvm_device, *tier;
};

static double ns(double cycles, uint64_t khz)
{
	return khz ? cycles * 1e6 / (double)khz : NAN;
}

static double per_it(const struct msr_run *r, uint64_t v)
{
	return r->iterations ? (double)v / (double)r->iterations : NAN;
}

static int write_json(const char *path, const struct msr_opts *o, const char *tier, const struct caps_host *h,
		      const struct lab_host *lh, struct msr_run run[MSR_NMSRS][MSR_NMODES], uint64_t khz)
{
	FILE *f = lab_json_open(path, "msr-filter", tier, caps_module_name(h->module), h->kernel);

	if (!f)
		return -1;
	fprintf(f, ", \"guest_tsc_khz\": %llu, \"capabilities\": {\"KVM_CAP_X86_USER_SPACE_MSR\": %ld, "
		   "\"KVM_CAP_X86_MSR_FILTER\": %ld}},\n",
		(unsigned long long)khz, lh->user_space_msr, lh->msr_filter);
	fprintf(f, "  \"iterations\": %u,\n  \"model\": {\"exits_to_warden_per_iteration\": {\"kvm\": 0, "
		   "\"intercepted\": 1}, \"saving\": \"one exit to user space per intercepted access the VMM "
		   "does not need to see\"},\n  \"measured\": {",
		o->iterations);
	for (unsigned i = 0; i < MSR_NMSRS; i++) {
		fprintf(f, "%s\n    \"%s\": {\"index\": \"0x%x\"", i ? "," : "", msrs[i].name, msrs[i].index);
		for (unsigned m = 0; m < MSR_NMODES; m++) {
			const struct msr_run *r = &run[i][m];

			fprintf(f, ",\n      \"%s\": {\"status\": \"%s\"", mode_name[m],
				!r->ran ? "skipped" : r->ok ? "measured" : "failed");
			if (!r->ok) {
				fprintf(f, ", \"reason\": ");
				lab_json_str(f, r->why);
			} else {
				fprintf(f, ", \"expected_exits_per_iteration\": %u, \"exits_to_warden\": %llu, "
					   "\"exits_per_iteration\": ", m, (unsigned long long)r->exits);
				lab_json_num(f, per_it(r, r->exits), 6);
				fprintf(f, ", \"kvm_exits_per_iteration\": ");
				r->kvm_known ? lab_json_num(f, per_it(r, r->kvm_exits), 6) : (void)fputs("null", f);
				fprintf(f, ", \"ns_per_iteration\": {\"median\": ");
				lab_json_num(f, ns(r->s.median, khz), 6);
				fprintf(f, ", \"min\": ");
				lab_json_num(f, ns(r->s.min, khz), 6);
				fprintf(f, ", \"p99\": ");
				lab_json_num(f, ns(r->s.p99, khz), 6);
				fprintf(f, ", \"mean\": ");
				lab_json_num(f, ns(r->s.mean, khz), 6);
				fprintf(f, "}, \"value_written\": \"0x%llx\"", (unsigned long long)r->check);
			}
			fputc('}', f);
		}
		fprintf(f, ",\n      \"saving_ns_per_iteration\": ");
		lab_json_num(f, run[i][0].ok && run[i][1].ok ? ns(run[i][1].s.median - run[i][0].s.median, khz) : NAN, 6);
		fputc('}', f);
	}
	fprintf(f, "},\n  \"exits_saved_per_iteration\": {");
	for (unsigned i = 0; i < MSR_NMSRS; i++) {
		fprintf(f, "%s\"%s\": ", i ? ", " : "", msrs[i].name);
		lab_json_num(f, run[i][0].ok && run[i][1].ok ? per_it(&run[i][1], run[i][1].exits) - per_it(&run[i][0], run[i][0].exits)
						     : NAN, 6);
	}
	fprintf(f, "}\n}\n");
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --json %s", path);
	return 0;
}

static int write_svg(const char *path, const char *tier, const struct caps_host *h,
		     struct msr_run run[MSR_NMSRS][MSR_NMODES], uint64_t khz)
{
	struct msr_plot p = { .mode = { mode_name[0], mode_name[1] }, .tier = tier,
			      .kvm = caps_module_name(h->module), .kernel = h->kernel };

	for (unsigned i = 0; i < MSR_NMSRS; i++) {
		p.msr[i] = msrs[i].name;
		for (unsigned m = 0; m < MSR_NMODES; m++) {
			const struct msr_run *r = &run[i][m];

			p.ns[i][m] = r->ok ? ns(r->s.median, khz) : NAN;
			p.exits[i][m] = r->ok ? per_it(r, r->exits) : NAN;
			p.why[i][m] = r->ok ? "" : !r->ran ? "skipped" : "failed";
		}
	}
	return msr_write_svg(path, &p);
}

/* Whether KVM lets a guest use IA32_TSC_AUX at all: KVM answers #GP
 * unless the guest's CPUID has RDTSCP (0x80000001 EDX bit 27) or RDPID
 * (leaf 7 ECX bit 22), and warden's guest CPUID is what
 * KVM_GET_SUPPORTED_CPUID offers.  Asked of KVM directly; 1 yes, 0 no
 * (WHY says so), -1 could not ask. */
static int kvm_offers_tsc_aux(const char *device, char *why, size_t len)
{
	int fd = open(device, O_RDWR | O_CLOEXEC);
	struct kvm_cpuid2 *c;
	bool rdtscp = false, rdpid = false;

	if (fd < 0)
		return -1;
	c = cpuid_supported(fd);
	close(fd);
	if (!c)
		return -1;
	for (unsigned i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 0x80000001)
			rdtscp = c->entries[i].edx & (1u << 27);
		if (c->entries[i].function == 7 && c->entries[i].index == 0)
			rdpid = c->entries[i].ecx & (1u << 22);
	}
	free(c);
	if (rdtscp || rdpid)
		return 1;
	snprintf(why, len, "KVM_GET_SUPPORTED_CPUID offers neither RDTSCP (0x80000001 EDX bit 27) nor RDPID "
			   "(leaf 7 ECX bit 22): KVM answers #GP to IA32_TSC_AUX");
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: warden lab msr-filter [--json FILE] [--svg FILE] [--iterations N]\n"
	      "                 [--tier NAME] [--kvm-device PATH]\n"
	      "\n"
	      "A guest loop writing IA32_TSC_AUX and IA32_KERNEL_GS_BASE, left to KVM and sent\n"
	      "to warden by an MSR filter: exits and ns per iteration each way, next to the\n"
	      "model's (no exit, one exit).  See docs/lab.md.\n"
	      "\n"
	      "  --json FILE       write the results as JSON\n"
	      "  --svg FILE        write a plot (ns and exits per write, each way, per MSR)\n"
	      "  --iterations N    timed writes per run (default 2000, 10 to 1000000)\n"
	      "  --tier NAME       the tier to report (default: emulated in a QEMU TCG L1,\n"
	      "                    else native)\n"
	      "  --kvm-device PATH KVM device (default /dev/kvm)\n",
	      f);
}

enum { OPT_JSON = 256, OPT_SVG, OPT_ITER, OPT_TIER, OPT_KVM, OPT_HELP };

static int parse(int argc, char **argv, struct msr_opts *o)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, OPT_JSON }, { "svg", required_argument, NULL, OPT_SVG },
		{ "iterations", required_argument, NULL, OPT_ITER },
		{ "tier", required_argument, NULL, OPT_TIER }, { "kvm-device", required_argument, NULL, OPT_KVM },
		{ "help", no_argument, NULL, OPT_HELP }, { NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int c;

	*o = (struct msr_opts){ .iterations = 2000, .kvm_device = "/dev/kvm" };
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: o->json = optarg; break;
		case OPT_SVG: o->svg = optarg; break;
		case OPT_ITER:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-' || v < 10 || v > 1000000)
				return fail(ERR_USAGE, "--iterations needs a whole number from 10 to 1000000, not '%s'",
					    optarg);
			o->iterations = (uint32_t)v;
			break;
		case OPT_TIER:
			if (lab_parse_tier(optarg, &o->tier) < 0)
				return -1;
			break;
		case OPT_KVM: o->kvm_device = optarg; break;
		case OPT_HELP: usage(stdout); return 1;
		case ':': return fail(ERR_USAGE, "%s needs a value", argv[optind - 1]);
		default:
			return fail(ERR_USAGE, "unknown option '%s' (see warden lab msr-filter --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(ERR_USAGE, "unexpected argument '%s' (see warden lab msr-filter --help)", argv[optind]);
	return 0;
}

int lab_msr_main(int argc, char **argv)
{
	static struct msr_run run[MSR_NMSRS][MSR_NMODES];
	struct msr_opts o;
	struct lab_host lh;
	struct caps_host h;
	uint64_t khz = 0;
	char tier[16];
	int r, st = 0;

	r = parse(argc, argv, &o);
	if (r != 0) {
		if (r > 0)
			return 0;
		fprintf(stderr, "warden: %s\n", err_msg());
		return 2;
	}
	if (lab_host_probe(&lh, o.kvm_device) < 0) {
		fprintf(stderr, "warden: %s\n", err_msg());
		return err_class() == ERR_USAGE ? 2 : 1;
	}
	caps_host_detect(&h);
	snprintf(tier, sizeof(tier), "%s",
		 o.tier ? o.tier : caps_host_tier(&h));
	memset(run, 0, sizeof(run));
	for (unsigned i = 0; i < MSR_NMSRS; i++)
		for (unsigned m = 0; m < MSR_NMODES; m++) {
			struct msr_run *mr = &run[i][m];
			const struct lab_row row = {
				.name = m ? "wrmsr-warden" : "wrmsr-kvm", .what = "WRMSR", .op = LAB_OP_WRMSR,
				.target = LAB_T_NONE, .needs = m ? LAB_NEED_MSR_FILTER : 0,
				.expect = m ? LAB_EXPECT_ONE : LAB_EXPECT_NONE,
			};
			const struct lab_run_config c = {
				.kvm_device = o.kvm_device, .iterations = o.iterations,
				.warmup = o.iterations / 10 > 200 ? 200 : o.iterations / 10,
				.timeout_s = 10 + o.iterations * 0.02, .msr = msrs[i].index,
			};
			struct lab_result res;

			if (!lab_row_runs(&row, &lh, mr->why, sizeof(mr->why)))
				continue;
			/* Left to KVM, TSC_AUX needs what KVM's CPUID offers;
			 * intercepted, warden answers it whatever the CPUID. */
			if (m == 0 && msrs[i].index == 0xc0000103 && kvm_offers_tsc_aux(o.kvm_device, mr->why, sizeof(mr->why)) == 0)
				continue;
			mr->ran = true;
			if (lab_run_row(&c, &row, false, &res) < 0) {
				snprintf(mr->why, sizeof(mr->why), "%s", err_msg());
				continue;
			}
			if (!res.ok) {
				snprintf(mr->why, sizeof(mr->why), "%s", res.error);
			} else {
				mr->ok = true;
				mr->iterations = res.iterations;
				mr->exits = res.exits;
				mr->kvm_known = res.kvm_exits_known;
				mr->kvm_exits = res.kvm_exits;
				mr->check = res.check;
				if (res.tsc_khz)
					khz = res.tsc_khz;
				lab_summarize(res.samples, res.iterations, &mr->s);
			}
			lab_result_free(&res);
		}

	printf("%-20s %-12s %10s %10s %10s %12s %12s\n", "MSR", "way", "model ex/it", "warden/it", "KVM/it",
	       "ns/it (med)", "p99 ns");
	for (unsigned i = 0; i < MSR_NMSRS; i++)
		for (unsigned m = 0; m < MSR_NMODES; m++) {
			const struct msr_run *mr = &run[i][m];

			printf("%-20s %-12s %10u ", m ? "" : msrs[i].name, mode_name[m], m);
			if (!mr->ran)
				printf("skipped: %s\n", mr->why);
			else if (!mr->ok)
				printf("failed: %s\n", mr->why);
			else {
				printf("%10.3f ", per_it(mr, mr->exits));
				if (mr->kvm_known)
					printf("%10.3f ", per_it(mr, mr->kvm_exits));
				else
					printf("%10s ", "-");
				printf("%12.0f %12.0f\n", ns(mr->s.median, khz), ns(mr->s.p99, khz));
			}
		}
	for (unsigned i = 0; i < MSR_NMSRS; i++)
		if (run[i][0].ok && run[i][1].ok)
			printf("%s: interception costs %.0f ns and %.3f exits per write; leaving it to KVM saves them\n",
			       msrs[i].name, ns(run[i][1].s.median - run[i][0].s.median, khz),
			       per_it(&run[i][1], run[i][1].exits) - per_it(&run[i][0], run[i][0].exits));
	if ((o.json && write_json(o.json, &o, tier, &h, &lh, run, khz) < 0) ||
	    (o.svg && write_svg(o.svg, tier, &h, run, khz) < 0)) {
		fprintf(stderr, "warden: %s\n", err_msg());
		return 2;
	}
	for (unsigned i = 0; i < MSR_NMSRS; i++)
		for (unsigned m = 0; m < MSR_NMODES; m++)
			if (run[i][m].ran && !run[i][m].ok)
				st = 1;
	if (st)
		fprintf(stderr, "warden: lab msr-filter: some runs failed (see above)\n");
	return st;
}
