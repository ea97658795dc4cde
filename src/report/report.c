/* `warden report FILE.jsonl -o report.html`: options, reading the
 * --stats-trace file, and writing the page in one piece. */
#include "report/report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/input.h"
#include "util/error.h"

static void usage(FILE *f)
{
	fputs("usage: warden report FILE.jsonl -o REPORT.html\n"
	      "\n"
	      "Renders a --stats-trace file of `warden run` as one self-contained HTML\n"
	      "page (inline SVG and CSS, no script, nothing fetched): the exit rate over\n"
	      "time by reason, latency histograms, the cost of each part of an exit, and\n"
	      "which ports, MMIO addresses, MSRs and devices the exits came from.\n"
	      "\n"
	      "  -o, --output FILE   the HTML file to write\n"
	      "  -h, --help          this text\n",
	      f);
}

struct report_opts {
	const char *input, *output;
};

/* Returns 1 when --help was asked, 0 to go on, -1 on a usage error. */
static int parse(int argc, char **argv, struct report_opts *o)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		if (c == 'o')
			o->output = optarg;
		else if (c == 'h')
			return 1;
		else if (c == ':')
			return fail(ERR_USAGE, "%s needs a file name", argv[optind - 1]);
		else
			return fail(ERR_USAGE, "unknown option %s (see warden report --help)", argv[optind - 1]);
	}
	if (optind >= argc)
		return fail(ERR_USAGE, "no input file (usage: warden report FILE.jsonl -o REPORT.html)");
	if (optind + 1 < argc)
		return fail(ERR_USAGE, "one input file only, not also '%s'", argv[optind + 1]);
	o->input = argv[optind];
	if (!o->output)
		return fail(ERR_USAGE, "no output file: give -o REPORT.html");
	if (!o->output[0] || !o->input[0])
		return fail(ERR_USAGE, "empty file name");
	return 0;
}

/* The page is built in memory and written at once: a failure on the way
 * leaves no half-written report behind. */
static int write_page(const char *path, const struct report_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len), *out;
	int r = 0;

	if (!mem)
		return fail_errno(ERR_HOST, "cannot build the page");
	page_write(mem, in);
	if (fclose(mem) != 0) {
		free(buf);
		return fail(ERR_HOST, "out of memory while building the page");
	}
	out = fopen(path, "w");
	if (!out) {
		r = fail_errno(ERR_USAGE, "cannot write %s", path);
	} else {
		errno = 0;
		if (fwrite(buf, 1, len, out) != len)
			r = fail_errno(ERR_USAGE, "cannot write %s", path);
		if (fclose(out) != 0 && r == 0)
			r = fail_errno(ERR_USAGE, "cannot write %s", path);
	}
	free(buf);
	return r;
}

int report_main(int argc, char **argv)
{
	struct report_opts o;
	struct report_input in;
	int r = parse(argc, argv, &o);

	if (r == 1) {
		usage(stdout);
		return 0;
	}
	if (r == 0 && (r = input_read(o.input, &in)) == 0) {
		r = write_page(o.output, &in);
		input_free(&in);
	}
	if (r < 0) {
		fprintf(stderr, "warden: report: %s\n", err_msg());
		return err_class() == ERR_USAGE ? 2 : 1;
	}
	return 0;
}
