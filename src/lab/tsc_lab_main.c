/* `warden lab tsc`: its options (lab/tsc_lab.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kvm_caps.h"
#include "lab/tsc_lab.h"
#include "lab/lab_host.h"
#include "util/error.h"

static void usage(FILE *f)
{
	fputs("usage: warden lab tsc [--json FILE] [--svg FILE] [--samples N] [--gap-us US]\n"
	      "                      [--offset CYCLES] [--khz KHZ] [--tier NAME] [--kvm-device PATH]\n"
	      "\n"
	      "warden sets the guest's TSC offset (and its frequency where KVM offers TSC\n"
	      "scaling); a built-in guest reads its TSC in ring 0 and in ring 3 at points\n"
	      "where warden stamps the host's TSC around the exit.  Prints the offset each\n"
	      "reading allows next to the requested one, and the guest TSC's rate against\n"
	      "CLOCK_MONOTONIC.  See docs/lab.md.\n"
	      "\n"
	      "  --json FILE       write the results as JSON\n"
	      "  --svg FILE        write a plot (each reading's allowed offsets)\n"
	      "  --samples N       readings in each ring (default 16, 2 to 64)\n"
	      "  --gap-us US       time between readings (default 2000, 1 to 1000000)\n"
	      "  --offset CYCLES   the offset to set (default 1099511627776 = 2^40; may be\n"
	      "                    negative)\n"
	      "  --khz KHZ         the guest TSC frequency to set (default: 3/4 of the host's\n"
	      "                    where KVM_CAP_TSC_CONTROL says KVM can; 0: leave it)\n"
	      "  --tier NAME       the tier to report (default: emulated in a QEMU TCG L1,\n"
	      "                    else native)\n"
	      "  --kvm-device PATH KVM device (default /dev/kvm)\n",
	      f);
}

static int bad(const char *msg, const char *opt, const char *val)
{
	fprintf(stderr, "warden: %s %s, not '%s'\n", opt, msg, val);
	return 2;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* 0 to go on, 1 done (--help), 2 bad input (said). */
static int parse(int argc, char **argv, struct ts_result *R, const char **json, const char **svg,
		 const char **tier, const char **kvm_device)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' }, { "svg", required_argument, NULL, 'g' },
		{ "samples", required_argument, NULL, 'n' }, { "gap-us", required_argument, NULL, 'u' },
		{ "offset", required_argument, NULL, 'o' }, { "khz", required_argument, NULL, 'f' },
		{ "tier", required_argument, NULL, 't' }, { "kvm-device", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	uint64_t v;
	char *end;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'j': *json = optarg; break;
		case 'g': *svg = optarg; break;
		case 'n':
			if (parse_u64(optarg, 2, TS_SAMPLES_MAX, &v) < 0)
				return bad("needs a whole number from 2 to 64", "--samples", optarg);
			R->samples = (uint32_t)v;
			break;
		case 'u':
			if (parse_u64(optarg, 1, 1000000, &R->gap_us) < 0)
				return bad("needs a whole number from 1 to 1000000", "--gap-us", optarg);
			break;
		case 'o':
			errno = 0;
			R->offset_req = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end)
				return bad("needs a whole number of cycles (64-bit, may be negative)", "--offset", optarg);
			break;
		case 'f':
			if (parse_u64(optarg, 0, 100000000, &R->khz_req) < 0)
				return bad("needs a whole number of kHz from 0 to 100000000", "--khz", optarg);
			R->khz_auto = false;
			break;
		case 't':
			if (strcmp(optarg, "native") && strcmp(optarg, "emulated"))
				return bad("must be native or emulated", "--tier", optarg);
			*tier = optarg;
			break;
		case 'k': *kvm_device = optarg; break;
		case 'h': usage(stdout); return 1;
		case ':': fprintf(stderr, "warden: %s needs a value\n", argv[optind - 1]); return 2;
		default:
			fprintf(stderr, "warden: unknown option '%s' (see warden lab tsc --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "warden: unexpected argument '%s' (see warden lab tsc --help)\n", argv[optind]);
		return 2;
	}
	return 0;
}

int lab_tsc_main(int argc, char **argv)
{
	struct ts_result *R = calloc(1, sizeof(*R));
	const char *json = NULL, *svg = NULL, *tier = NULL, *kvm_device = NULL;
	int st;

	if (!R) {
		fprintf(stderr, "warden: out of memory\n");
		return 1;
	}
	*R = (struct ts_result){ .samples = 16, .gap_us = 2000, .offset_req = 1LL << 40, .khz_auto = true };
	st = parse(argc, argv, R, &json, &svg, &tier, &kvm_device);
	if (st) {
		free(R);
		return st == 1 ? 0 : 2;
	}
	LAB_HOST_FACTS(R, tier);
	if (ts_measure(R, kvm_device) < 0) {
		fprintf(stderr, "warden: %s\n", err_msg());
		st = err_class() == ERR_USAGE ? 2 : 1;
		free(R);
		return st;
	}
	ts_print_table(R);
	if ((json && ts_write_json(json, R) < 0) || (svg && ts_write_svg(svg, R) < 0)) {
		fprintf(stderr, "warden: %s\n", err_msg());
		free(R);
		return 2;
	}
	if (!R->ok)
		fprintf(stderr, "warden: lab tsc: %s\n", R->why);
	st = R->ok ? 0 : 1;
	free(R);
	return st;
}
