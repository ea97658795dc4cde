/* Latency histograms: for each top exit reason and device, the log2
 * histogram of warden's handling time with p50 and p99 marked; with
 * --exit-trace also the time KVM spent on each hardware exit reason. */
#include <math.h>
#include <stdlib.h>

#include "report/fmt.h"
#include "report/jget.h"
#include "report/markup.h"
#include "report/sections.h"
#include "report/svg.h"

#define TOP_HISTOGRAMS 8
#define MAX_BINS 128
#define COLOUR_P50 "#007a55"
#define COLOUR_P99 "#c24e00"

struct bin {
	double lo, hi, count; /* [lo, hi) in ns */
};

/* The "log2" buckets of histogram H; a bucket's upper edge is hi_ns + 1
 * (buckets are written inclusive), at least twice its lower edge. */
static size_t read_bins(json_object *h, struct bin *b)
{
	json_object *a = jarr(h, "log2");
	size_t n = 0, len = a ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < len && n < MAX_BINS; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		double lo = jcount(e, "lo_ns"), hi = jcount(e, "hi_ns"), c = jcount(e, "count");

		if (c == 0)
			continue;
		if (lo < 1)
			lo = 1; /* a log axis starts at 1 ns */
		hi = hi + 1 > lo * 2 ? hi + 1 : lo * 2;
		b[n++] = (struct bin){ lo, hi, c };
	}
	return n;
}

static void hist_svg(FILE *f, const char *id, const char *name, json_object *h,
		     const struct bin *b, size_t n, const char *xlabel)
{
	double lo = b[0].lo, hi = b[0].hi, cmax = 0, p50 = 0, p99 = 0;
	char title[200], l[64], r[64];
	struct plot p;

	for (size_t i = 0; i < n; i++) {
		lo = fmin(lo, b[i].lo);
		hi = fmax(hi, b[i].hi);
		cmax = fmax(cmax, b[i].count);
	}
	jnum(h, "p50_ns", &p50);
	jnum(h, "p99_ns", &p99);
	hi = fmax(hi, p99 * 1.01);
	while (hi / lo < 16) { /* at least four powers of two across */
		lo = lo / 2 >= 1 ? lo / 2 : lo;
		hi *= 2;
	}
	snprintf(title, sizeof(title), "latency histogram: %s", name);
	svg_open(f, id, "plot latency-hist", 372, 228, title);
	plot_init(&p, f, 58, 36, 290, 140);
	scale_fit(&p.xs, SCALE_LOG2, lo, hi);
	p.xs.p0 = p.x, p.xs.p1 = p.x + p.w;
	scale_fit(&p.ys, SCALE_LINEAR, 0, cmax < 5 ? 5 : cmax); /* whole exits on the ticks */
	p.ys.p0 = p.y + p.h, p.ys.p1 = p.y;
	svg_axis_y(&p, "exits", fmt_si);
	svg_axis_x(&p, xlabel, fmt_ns_tick, 6);
	for (size_t i = 0; i < n; i++) {
		double x0 = scale_px(&p.xs, b[i].lo), x1 = scale_px(&p.xs, b[i].hi);
		double y = scale_px(&p.ys, b[i].count);
		char tip[160], cnt[48];

		snprintf(tip, sizeof(tip), "%s to %s: %s exits", fmt_ns(b[i].lo, l, sizeof(l)),
			 fmt_ns(b[i].hi, r, sizeof(r)), fmt_count(b[i].count, cnt, sizeof(cnt)));
		svg_rect(f, x0 + 0.5, y, x1 - x0 - 1, p.y + p.h - y, "#0072b2", "bar", tip);
	}
	if (p50 > 0)
		svg_marker(&p, p50, COLOUR_P50, "p50", 0);
	if (p99 > 0)
		svg_marker(&p, p99, COLOUR_P99, "p99", 1);
	svg_close(f);
}

/* A card: the name, its figures, and the histogram (or why there is none). */
static void hist_card(FILE *f, const char *id, const char *name, json_object *h, const char *xlabel)
{
	struct bin b[MAX_BINS];
	size_t n = read_bins(h, b);
	char c[48], m[48], p50[48], p99[48], mx[48];

	fputs("<div class=\"card\"><h4>", f);
	fmt_escape_max(f, name, 48);
	fprintf(f, "</h4><p>%s exit%s &#183; mean %s &#183; <b style=\"color:" COLOUR_P50 "\">p50 %s</b> "
		"&#183; <b style=\"color:" COLOUR_P99 "\">p99 %s</b> &#183; max %s</p>\n",
		fmt_count(jcount(h, "count"), c, sizeof(c)), jcount(h, "count") == 1 ? "" : "s", fmt_ns(jcount(h, "mean_ns"), m, sizeof(m)),
		fmt_ns(jcount(h, "p50_ns"), p50, sizeof(p50)), fmt_ns(jcount(h, "p99_ns"), p99, sizeof(p99)),
		fmt_ns(jcount(h, "max_ns"), mx, sizeof(mx)));
	if (n)
		hist_svg(f, id, name, h, b, n, xlabel);
	else
		html_missing(f, "histogram", "the file has no log2 buckets for it");
	fputs("</div>\n", f);
}

/* Cards for the largest members of OBJ by SORT_KEY; HIST_KEY names the
 * histogram inside a member (NULL: the member itself). */
static void hist_group(FILE *f, json_object *obj, const char *sort_key, const char *hist_key,
		       const char *id_prefix, const char *xlabel)
{
	const char **names;
	json_object **vals;
	size_t n = sorted_members(obj, sort_key, &names, &vals);
	char id[48];

	fputs("<div class=\"cards\">\n", f);
	for (size_t i = 0; i < n && i < TOP_HISTOGRAMS; i++) {
		json_object *h = hist_key ? jobj(vals[i], hist_key) : vals[i];

		snprintf(id, sizeof(id), "%s-%zu", id_prefix, i);
		if (h)
			hist_card(f, id, names[i], h, xlabel);
	}
	fputs("</div>\n", f);
	if (n > TOP_HISTOGRAMS)
		fprintf(f, "<p class=\"note\">%zu more not shown.</p>\n", n - TOP_HISTOGRAMS);
	free(names);
	free(vals);
}

void section_latency(FILE *f, json_object *stats)
{
	json_object *o, *et;

	fputs("<h2 id=\"sec-latency\">How long exits took</h2>\n", f);
	if (!stats) {
		html_missing(f, "Latency histograms", "the file has no final line");
		return;
	}
	fputs("<p class=\"note\">Handling time is warden's decode and emulation of one exit; "
	      "buckets are powers of two, the dashed lines mark the median (p50) and the 99th "
	      "percentile.</p>\n<h3>By exit reason</h3>\n", f);
	if ((o = jobj(stats, "reasons")) && json_object_object_length(o))
		hist_group(f, o, "count", NULL, "lat-reason", "handling time (log2 scale)");
	else
		html_missing(f, "Exit reasons", "no exit reached warden");
	fputs("<h3>By device</h3>\n", f);
	if ((o = jobj(stats, "devices")) && json_object_object_length(o))
		hist_group(f, o, "count", NULL, "lat-device", "handling time (log2 scale)");
	else
		html_missing(f, "Devices", "no exit was handled by a device");
	fputs("<h3>Time in KVM by hardware exit reason</h3>\n", f);
	et = jobj(stats, "exit_trace");
	if ((o = jobj(et, "reasons")) && json_object_object_length(o))
		hist_group(f, o, "in_kvm", "latency", "lat-hw", "exit to next entry (log2 scale)");
	else
		html_missing(f, "Hardware exit latency", WHY_NO_TRACE(stats));
}
