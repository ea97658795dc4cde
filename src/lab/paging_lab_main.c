/* `warden lab paging`: its options (lab/paging_lab.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kvm_caps.h"
#include "lab/paging_lab.h"
#include "lab/lab_host.h"
#include "util/error.h"

static void usage(FILE *f)
{
	fputs("usage: warden lab paging [--json FILE] [--svg FILE] [--sizes MIB,...] [--iterations N]\n"
	      "                         [--backing 4k,2m] [--map 4k,2m] [--tier NAME] [--kvm-device PATH]\n"
	      "\n"
	      "Nested against shadow paging: a built-in guest touches working sets of growing\n"
	      "size (first touch, re-touch) and changes page tables (remap with INVLPG, CR3\n"
	      "switches), with guest RAM in 4 KiB or 2 MiB host pages and the working sets\n"
	      "mapped by 4 KiB or 2 MiB guest pages.  Prints KVM's exits and faults per window\n"
	      "next to the model's, and time per touch.  See docs/lab.md.\n"
	      "\n"
	      "  --json FILE       write the results as JSON\n"
	      "  --svg FILE        write a plot (exits per unit by window)\n"
	      "  --sizes LIST      working sets in MiB, at most 6, total at most 192 MiB\n"
	      "                    (default 1,4,16,64)\n"
	      "  --iterations N    of the remap and CR3 loops (default 1000, 1 to 100000)\n"
	      "  --backing LIST    host pages: 4k (MADV_NOHUGEPAGE), 2m (MADV_HUGEPAGE)\n"
	      "                    (default 4k,2m)\n"
	      "  --map LIST        guest pages of the working sets: 4k, 2m (default 4k,2m)\n"
	      "  --tier NAME       the tier to report (default: emulated in a QEMU TCG L1,\n"
	      "                    else native)\n"
	      "  --kvm-device PATH KVM device (default /dev/kvm)\n",
	      f);
}

static int bad(const char *opt, const char *msg, const char *val)
{
	fprintf(stderr, "warden: %s %s, not '%s'\n", opt, msg, val);
	return 2;
}

static int parse_sizes(struct pg_result *R, const char *s)
{
	char buf[128], *save = NULL, *tok, *end;
	uint64_t total = 0;

	if (strlen(s) >= sizeof(buf))
		return bad("--sizes", "is too long", s);
	strcpy(buf, s);
	R->nsizes = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long v;

		errno = 0;
		v = strtoul(tok, &end, 10);
		if (errno || end == tok || *end || *tok == '-' || v < 1 || v > PG_WS_MAX >> 20 || R->nsizes == PG_MAX_SIZES)
			return bad("--sizes", "needs at most 6 whole numbers of MiB, 1 to 192 in all", s);
		R->size[R->nsizes++] = (uint64_t)v << 20;
		total += ((uint64_t)v + 1) & ~1ULL; /* rounded up to 2 MiB */
	}
	if (!R->nsizes || total > PG_WS_MAX >> 20)
		return bad("--sizes", "needs at most 6 whole numbers of MiB, 1 to 192 in all", s);
	return 0;
}

/* "4k", "2m" or both: BITS bit 0 for 4k, bit 1 for 2m. */
static int parse_pages(const char *opt, const char *s, unsigned *bits)
{
	*bits = !strcmp(s, "4k") ? 1 : !strcmp(s, "2m") ? 2 : (!strcmp(s, "4k,2m") || !strcmp(s, "2m,4k")) ? 3 : 0;
	return *bits ? 0 : bad(opt, "must be 4k, 2m or 4k,2m", s);
}

/* 0 to go on, 1 done (--help), 2 bad input (said). */
static int parse(int argc, char **argv, struct pg_result *R, const char **out[4])
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' }, { "svg", required_argument, NULL, 'g' },
		{ "sizes", required_argument, NULL, 's' }, { "iterations", required_argument, NULL, 'n' },
		{ "backing", required_argument, NULL, 'b' }, { "map", required_argument, NULL, 'm' },
		{ "tier", required_argument, NULL, 't' }, { "kvm-device", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	unsigned backing = 3, map = 3;
	unsigned long v;
	char *end;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'j': *out[0] = optarg; break;
		case 'g': *out[1] = optarg; break;
		case 's': if (parse_sizes(R, optarg)) return 2; break;
		case 'n':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-' || v < 1 || v > PG_ITER_MAX)
				return bad("--iterations", "needs a whole number from 1 to 100000", optarg);
			R->iterations = (uint32_t)v;
			break;
		case 'b': if (parse_pages("--backing", optarg, &backing)) return 2; break;
		case 'm': if (parse_pages("--map", optarg, &map)) return 2; break;
		case 't':
			if (strcmp(optarg, "native") && strcmp(optarg, "emulated"))
				return bad("--tier", "must be native or emulated", optarg);
			*out[2] = optarg;
			break;
		case 'k': *out[3] = optarg; break;
		case 'h': usage(stdout); return 1;
		case ':': fprintf(stderr, "warden: %s needs a value\n", argv[optind - 1]); return 2;
		default:
			fprintf(stderr, "warden: unknown option '%s' (see warden lab paging --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "warden: unexpected argument '%s' (see warden lab paging --help)\n", argv[optind]);
		return 2;
	}
	for (unsigned r = 0; r < PG_NRUNS; r++)
		R->want[r] = (backing & (r & 2 ? 2 : 1)) && (map & (r & 1 ? 2 : 1));
	return 0;
}

int lab_paging_main(int argc, char **argv)
{
	struct pg_result *R = calloc(1, sizeof(*R));
	const char *json = NULL, *svg = NULL, *tier = NULL, *kvm_device = NULL;
	const char **out[4] = { &json, &svg, &tier, &kvm_device };
	int st;

	if (!R) {
		fprintf(stderr, "warden: out of memory\n");
		return 1;
	}
	*R = (struct pg_result){ .nsizes = 4, .size = { 1 << 20, 4 << 20, 16 << 20, 64 << 20 }, .iterations = 1000 };
	st = parse(argc, argv, R, out);
	if (st) {
		free(R);
		return st == 1 ? 0 : 2;
	}
	LAB_HOST_FACTS(R, tier);
	if (pg_measure(R, kvm_device) < 0) {
		fprintf(stderr, "warden: %s\n", err_msg());
		st = err_class() == ERR_USAGE ? 2 : 1;
		free(R);
		return st;
	}
	pg_print_table(R);
	if ((json && pg_write_json(json, R) < 0) || (svg && pg_write_svg(svg, R) < 0)) {
		fprintf(stderr, "warden: %s\n", err_msg());
		free(R);
		return 2;
	}
	st = 0;
	for (unsigned r = 0; r < PG_NRUNS; r++)
		if (R->run[r].ran && !R->run[r].ok) {
			fprintf(stderr, "warden: lab paging: %s: %s\n", r & 2 ? "host 2M" : "host 4K", R->run[r].why);
			st = 1;
		}
	free(R);
	return st;
}
