/* `warden lab interrupts`: options and the command (lab/interrupts_lab.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kvm_caps.h"
#include "lab/interrupts_lab.h"
#include "lab/lab_host.h"
#include "util/error.h"

static void usage(FILE *f)
{
	fputs("usage: warden lab interrupts [--json FILE] [--svg FILE] [--count N] [--tier NAME]\n"
	      "                 [--kvm-device PATH]\n"
	      "\n"
	      "A device interrupt injected by warden into a built-in guest idling in HLT, one at\n"
	      "a time: through an eventfd registered with KVM_IRQFD, through KVM_IRQ_LINE on the\n"
	      "same IOAPIC pin, and as an MSI (KVM_SIGNAL_MSI).  Prints each interrupt's delivery,\n"
	      "latency (to the guest's handler and back to warden), KVM's exits per interrupt\n"
	      "next to the model's, warden's CPU, and what AVIC/APICv would remove on this host.\n"
	      "See docs/lab.md.\n"
	      "\n"
	      "  --json FILE       write the results as JSON\n"
	      "  --svg FILE        write a plot (latency quantiles, exits per interrupt)\n"
	      "  --count N         interrupts per way (default 1000, 10 to 100000)\n"
	      "  --tier NAME       the tier to report (default: emulated in a QEMU TCG L1,\n"
	      "                    else native)\n"
	      "  --kvm-device PATH KVM device (default /dev/kvm)\n",
	      f);
}

enum { OPT_JSON = 256, OPT_SVG, OPT_COUNT, OPT_TIER, OPT_KVM, OPT_HELP };

static int parse(int argc, char **argv, struct ir_options *o)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, OPT_JSON }, { "svg", required_argument, NULL, OPT_SVG },
		{ "count", required_argument, NULL, OPT_COUNT }, { "tier", required_argument, NULL, OPT_TIER },
		{ "kvm-device", required_argument, NULL, OPT_KVM }, { "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int c;

	*o = (struct ir_options){ .count = IR_COUNT_DEFAULT };
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: o->json = optarg; break;
		case OPT_SVG: o->svg = optarg; break;
		case OPT_COUNT:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-' || v < 10 || v > IR_COUNT_MAX)
				return fail(ERR_USAGE, "--count needs a whole number from 10 to %d, not '%s'", IR_COUNT_MAX,
					    optarg);
			o->count = (uint32_t)v;
			break;
		case OPT_TIER:
			if (lab_parse_tier(optarg, &o->tier) < 0)
				return -1;
			break;
		case OPT_KVM: o->kvm_device = optarg; break;
		case OPT_HELP: usage(stdout); return 1;
		case ':': return fail(ERR_USAGE, "%s needs a value", argv[optind - 1]);
		default:
			return fail(ERR_USAGE, "unknown option '%s' (see warden lab interrupts --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(ERR_USAGE, "unexpected argument '%s' (see warden lab interrupts --help)", argv[optind]);
	return 0;
}

int lab_interrupts_main(int argc, char **argv)
{
	struct ir_result *res = calloc(1, sizeof(*res));
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
	ir_accel_probe(&res->accel, res->opt.kvm_device);
	if (ir_measure(res) < 0) {
		fprintf(stderr, "warden: %s\n", err_msg());
		st = err_class() == ERR_USAGE ? 2 : 1;
		free(res);
		return st;
	}
	ir_print_table(stdout, res);
	if ((res->opt.json && ir_write_json(res->opt.json, res) < 0) ||
	    (res->opt.svg && ir_write_svg(res->opt.svg, res) < 0)) {
		fprintf(stderr, "warden: %s\n", err_msg());
		free(res);
		return 2;
	}
	for (unsigned m = 0; m < IR_NMODES; m++)
		if (res->run[m].ran && !res->run[m].ok)
			st = 1;
	if (!res->ok) {
		fprintf(stderr, "warden: lab interrupts: %s\n", res->why);
		st = 1;
	} else if (st) {
		fprintf(stderr, "warden: lab interrupts: some ways failed (see above)\n");
	}
	free(res);
	return st;
}
