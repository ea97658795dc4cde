/* Cost decomposition: for each exit reason (and device), the mean time of
 * each part of an exit: the KVM_RUN that ended in it, warden's decode and
 * dispatch, the device emulation, and the return to KVM_RUN. */
#include <stdlib.h>

#include "report/fmt.h"
#include "report/jget.h"
#include "report/markup.h"
#include "report/sections.h"
#include "report/svg.h"

#define TOP_ROWS 10

static const char *const part_name[] = { "run", "decode", "emulate", "return" };
static const char *const part_colour[] = { "#9aa5b1", "#0072b2", "#e69f00", "#009e73" };
#define NPARTS 4

static double part_mean(json_object *reason, int part)
{
	return jcount(jobj(jobj(reason, "parts"), part_name[part]), "mean_ns");
}

/* Stacked bars of decode + emulate + return (warden's own time); the run
 * part is usually far longer and would hide them, so it is in the table. */
static void cost_svg(FILE *f, const char **names, json_object **vals, size_t n)
{
	double max = 0, row_h = 24, top = 34;
	int height = (int)(top + row_h * n + 44);
	struct legend_item items[NPARTS - 1];
	struct plot p;

	for (size_t i = 0; i < n; i++) {
		double sum = 0;

		for (int k = 1; k < NPARTS; k++)
			sum += part_mean(vals[i], k);
		if (sum > max)
			max = sum;
	}
	svg_open(f, "cost", "plot cost", 900, height, "mean time warden spends per exit, by part");
	plot_init(&p, f, 150, top, 620, row_h * n);
	scale_fit(&p.xs, SCALE_LINEAR, 0, max);
	p.xs.p0 = p.x, p.xs.p1 = p.x + p.w;
	svg_axis_x(&p, "mean time per exit", fmt_ns_tick, 8);
	for (size_t i = 0; i < n; i++) {
		double x = p.x, y = top + row_h * i, sum = 0;
		char tip[200], a[48];

		svg_text(f, p.x - 8, y + row_h / 2 + 4, "end", "bar-label", names[i], 20);
		for (int k = 1; k < NPARTS; k++) {
			double m = part_mean(vals[i], k), w = scale_px(&p.xs, m) - p.x;

			snprintf(tip, sizeof(tip), "%s: mean %s", part_name[k], fmt_ns(m, a, sizeof(a)));
			svg_rect(f, x, y + 4, w, row_h - 8, part_colour[k], "bar", tip);
			x += w;
			sum += m;
		}
		svg_text(f, x + 6, y + row_h / 2 + 4, "start", "bar-label", fmt_ns(sum, a, sizeof(a)), 0);
	}
	for (int k = 1; k < NPARTS; k++)
		items[k - 1] = (struct legend_item){ part_name[k], part_colour[k], NULL };
	for (int k = 0; k < NPARTS - 1; k++) /* one row across the top */
		svg_legend(f, p.x + 110.0 * k, 14, &items[k], 1);
	svg_close(f);
}

static const char *rate(double v, char *buf, size_t len)
{
	if (v >= 100)
		return fmt_count(v, buf, len);
	snprintf(buf, len, "%.1f", v);
	return buf;
}

static void part_cell(FILE *f, json_object *h)
{
	char m[48], p99[48], cell[120];

	if (!h) {
		html_td_num(f, "-");
		return;
	}
	snprintf(cell, sizeof(cell), "%s / %s", fmt_ns(jcount(h, "mean_ns"), m, sizeof(m)),
		 fmt_ns(jcount(h, "p99_ns"), p99, sizeof(p99)));
	html_td_num(f, cell);
}

static void cost_table(FILE *f, const char *what, const char **names, json_object **vals, size_t n)
{
	char buf[64], head[200];

	snprintf(head, sizeof(head), "%s|>exits|>per second|>run (mean / p99)|>decode (mean / p99)|"
		 ">emulate (mean / p99)|>return (mean / p99)|>max handling", what);
	html_table_open(f, "cost-table", head);
	for (size_t i = 0; i < n; i++) {
		json_object *parts = jobj(vals[i], "parts");

		fputs("<tr>", f);
		html_td(f, names[i]);
		html_td_num(f, fmt_count(jcount(vals[i], "count"), buf, sizeof(buf)));
		html_td_num(f, rate(jcount(vals[i], "rate_per_s"), buf, sizeof(buf)));
		for (int k = 0; k < NPARTS; k++)
			part_cell(f, jobj(parts, part_name[k]));
		html_td_num(f, fmt_ns(jcount(vals[i], "max_ns"), buf, sizeof(buf)));
		fputs("</tr>\n", f);
	}
	html_table_close(f);
}

/* Members of OBJ (largest first) that have a "parts" object. */
static size_t with_parts(json_object *obj, const char ***names, json_object ***vals)
{
	size_t n = sorted_members(obj, "count", names, vals), k = 0;

	for (size_t i = 0; i < n; i++)
		if (jobj((*vals)[i], "parts") && k < TOP_ROWS) {
			(*names)[k] = (*names)[i];
			(*vals)[k++] = (*vals)[i];
		}
	return k;
}

void section_cost(FILE *f, json_object *stats)
{
	const char **names;
	json_object **vals;
	size_t n;

	fputs("<h2 id=\"sec-cost\">What an exit costs, part by part</h2>\n", f);
	if (!stats) {
		html_missing(f, "Cost decomposition", "the file has no final line");
		return;
	}
	n = with_parts(jobj(stats, "reasons"), &names, &vals);
	if (n == 0) {
		html_missing(f, "Cost decomposition", "the statistics have no per-part times");
	} else {
		fputs("<p class=\"note\">Bars: warden's own time per exit (decode, emulate, return to "
		      "KVM_RUN). The table adds the time in KVM_RUN before the exit (guest and KVM).</p>\n", f);
		cost_svg(f, names, vals, n);
		cost_table(f, "reason", names, vals, n);
	}
	free(names);
	free(vals);
	n = with_parts(jobj(stats, "devices"), &names, &vals);
	if (n) {
		fputs("<h3>By device</h3>\n", f);
		cost_table(f, "device", names, vals, n);
	}
	free(names);
	free(vals);
}
