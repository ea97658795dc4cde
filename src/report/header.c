/* The top of the page: what ran, how long, how it ended, and how many
 * exits KVM handled itself against those that reached warden. */
#include <string.h>

#include "report/fmt.h"
#include "report/jget.h"
#include "report/markup.h"
#include "report/sections.h"
#include "report/svg.h"

#define COLOUR_KVM "#56b4e9"
#define COLOUR_WARDEN "#d55e00"

static const char *source_text(const char *source)
{
	if (!source)
		return "unknown: the file does not say";
	if (strcmp(source, "kvm-stats") == 0)
		return "KVM's binary statistics (exits counted by the kernel, summed over vCPUs)";
	if (strcmp(source, "exit-trace") == 0)
		return "the kvm:kvm_exit tracepoint (--exit-trace): every hardware exit";
	if (strcmp(source, "warden-only") == 0)
		return "warden alone: exits handled inside KVM were not counted "
		       "(no binary statistics and no --exit-trace)";
	return source;
}

static void row(FILE *f, const char *name, const char *value)
{
	fprintf(f, "<tr><th>%s</th>", name);
	html_td(f, value);
	fputs("</tr>\n", f);
}

/* One bar, the width of all exits, split in the two halves. */
static void split_bar(FILE *f, double in_kvm, double by_warden)
{
	double total = in_kvm + by_warden, w = 860, x0 = 10, wk;
	char a[64], b[64], tip[160];

	if (!(total > 0))
		return;
	wk = w * in_kvm / total;
	svg_open(f, "split", "plot split", 880, 58, "exits handled in KVM against exits handled by warden");
	snprintf(tip, sizeof(tip), "handled in KVM: %s (%s)", fmt_count(in_kvm, a, sizeof(a)),
		 fmt_pct(in_kvm, total, b, sizeof(b)));
	svg_rect(f, x0, 8, wk, 24, COLOUR_KVM, "split-kvm", tip);
	snprintf(tip, sizeof(tip), "handled by warden: %s (%s)", fmt_count(by_warden, a, sizeof(a)),
		 fmt_pct(by_warden, total, b, sizeof(b)));
	svg_rect(f, x0 + wk, 8, w - wk, 24, COLOUR_WARDEN, "split-warden", tip);
	snprintf(tip, sizeof(tip), "handled in KVM %s", fmt_pct(in_kvm, total, b, sizeof(b)));
	svg_text(f, x0, 48, "start", "bar-label", tip, 0);
	snprintf(tip, sizeof(tip), "handled by warden %s", fmt_pct(by_warden, total, b, sizeof(b)));
	svg_text(f, x0 + w, 48, "end", "bar-label", tip, 0);
	svg_close(f);
}

static void exits_rows(FILE *f, json_object *stats)
{
	json_object *ex = jobj(stats, "exits");
	double total, in_kvm, by_warden, warden = jcount(stats, "total_exits");
	char a[64], b[64], line[160];

	if (!ex || !jnum(ex, "total", &total) || !jnum(ex, "handled_in_kvm", &in_kvm)) {
		row(f, "Exits that reached warden", fmt_count(warden, a, sizeof(a)));
		row(f, "Exits handled in KVM", "not recorded (needs KVM binary statistics or --exit-trace)");
		return;
	}
	by_warden = jnum(ex, "handled_by_warden", &by_warden) ? by_warden : warden;
	row(f, "Exits (all)", fmt_count(total, a, sizeof(a)));
	snprintf(line, sizeof(line), "%s (%s)", fmt_count(in_kvm, a, sizeof(a)), fmt_pct(in_kvm, total, b, sizeof(b)));
	row(f, "Handled in KVM", line);
	snprintf(line, sizeof(line), "%s (%s)", fmt_count(by_warden, a, sizeof(a)),
		 fmt_pct(by_warden, total, b, sizeof(b)));
	row(f, "Handled by warden", line);
	row(f, "Source of the split", source_text(jstr(ex, "source")));
}

void section_header(FILE *f, const struct report_input *in)
{
	json_object *s = in->stats, *ex;
	char a[64], b[64];
	const char *schema = jstr(s, "schema");
	double v;

	fputs("<h1>warden: where the VM exits came from</h1>\n<p class=\"file\">", f);
	fmt_escape(f, in->path);
	fprintf(f, " &#183; %zu interval line%s", in->nintervals, in->nintervals == 1 ? "" : "s");
	if (schema) {
		fputs(" &#183; schema ", f);
		fmt_escape(f, schema);
	}
	fputs("</p>\n", f);
	if (!s) {
		html_missing(f, "Final statistics", "the file has no final line: the run did not end normally");
		return;
	}
	fputs("<table class=\"summary\"><tbody>\n", f);
	row(f, "VM wall time", jnum(s, "wall_ns", &v) ? fmt_ns(v, a, sizeof(a)) : "not recorded");
	row(f, "vCPUs", jnum(s, "vcpus", &v) ? fmt_count(v, a, sizeof(a)) : "not recorded");
	row(f, "Ended by", jstr(s, "end_reason") ? jstr(s, "end_reason") : "not recorded");
	exits_rows(f, s);
	if (jnum(s, "run_ns", &v)) {
		snprintf(b, sizeof(b), "%s (summed over vCPUs)", fmt_ns(v, a, sizeof(a)));
		row(f, "Time in KVM_RUN", b);
	}
	fputs("</tbody></table>\n", f);
	ex = jobj(s, "exits");
	if (ex && jnum(ex, "handled_in_kvm", &v))
		split_bar(f, jcount(ex, "handled_in_kvm"),
			  jnum(ex, "handled_by_warden", &v) ? v : jcount(s, "total_exits"));
}
