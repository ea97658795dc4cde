/* The kernel's side: every hardware exit by reason with where it was
 * handled (--exit-trace), the split per vCPU, and KVM's own counters. */
#include <stdlib.h>
#include <string.h>

#include "report/fmt.h"
#include "report/jget.h"
#include "report/markup.h"
#include "report/sections.h"
#include "report/svg.h"

#define TOP_BARS 12
#define MAX_STATS_ROWS 40
#define COLOUR_KVM "#56b4e9"
#define COLOUR_WARDEN "#d55e00"

static double hw_total(json_object *r)
{
	return jcount(r, "in_kvm") + jcount(r, "to_warden");
}

/* Stacked bars: for each hardware reason, in KVM against to warden. */
static void exit_trace_svg(FILE *f, const char **names, json_object **vals, size_t n)
{
	double row_h = 22, top = 30, max = 0;
	struct legend_item items[2] = { { "handled in KVM", COLOUR_KVM, NULL },
					{ "handled by warden", COLOUR_WARDEN, NULL } };
	struct plot p;
	char a[48], tip[160];

	for (size_t i = 0; i < n; i++)
		max = hw_total(vals[i]) > max ? hw_total(vals[i]) : max;
	svg_open(f, "exit-trace", "plot exit-trace", 900, (int)(top + row_h * n + 44),
		 "hardware exits by reason, handled in KVM or by warden");
	plot_init(&p, f, 150, top, 620, row_h * n);
	scale_fit(&p.xs, SCALE_LINEAR, 0, max);
	p.xs.p0 = p.x, p.xs.p1 = p.x + p.w;
	svg_axis_x(&p, "hardware exits", fmt_si, 8);
	for (size_t i = 0; i < n; i++) {
		double y = top + row_h * i, k = jcount(vals[i], "in_kvm"), w = jcount(vals[i], "to_warden");
		double xk = scale_px(&p.xs, k), xw = scale_px(&p.xs, k + w);

		svg_text(f, p.x - 8, y + row_h / 2 + 4, "end", "bar-label", names[i], 20);
		snprintf(tip, sizeof(tip), "in KVM: %s", fmt_count(k, a, sizeof(a)));
		svg_rect(f, p.x, y + 3, xk - p.x, row_h - 6, COLOUR_KVM, "bar", tip);
		snprintf(tip, sizeof(tip), "to warden: %s", fmt_count(w, a, sizeof(a)));
		svg_rect(f, xk, y + 3, xw - xk, row_h - 6, COLOUR_WARDEN, "bar", tip);
		svg_text(f, xw + 5, y + row_h / 2 + 4, "start", "bar-label", fmt_count(k + w, a, sizeof(a)), 0);
	}
	svg_legend(f, p.x, 12, &items[0], 1);
	svg_legend(f, p.x + 160, 12, &items[1], 1);
	svg_close(f);
}

static void exit_trace_table(FILE *f, const char **names, json_object **vals, size_t n, double total)
{
	char buf[64];

	html_table_open(f, "exit-trace-table",
			"reason|>code|>exits|>share|>in KVM|>to warden|>p50 in KVM|>p99 in KVM");
	for (size_t i = 0; i < n; i++) {
		json_object *lat = jobj(vals[i], "latency");
		uint64_t code;
		bool has_code = juint(vals[i], "code", UINT64_MAX, &code);

		fputs("<tr>", f);
		html_td(f, names[i]);
		if (has_code)
			snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)code);
		html_td_num(f, has_code ? buf : "-");
		html_td_num(f, fmt_count(hw_total(vals[i]), buf, sizeof(buf)));
		html_td_num(f, fmt_pct(hw_total(vals[i]), total, buf, sizeof(buf)));
		html_td_num(f, fmt_count(jcount(vals[i], "in_kvm"), buf, sizeof(buf)));
		html_td_num(f, fmt_count(jcount(vals[i], "to_warden"), buf, sizeof(buf)));
		html_td_num(f, lat ? fmt_ns(jcount(lat, "p50_ns"), buf, sizeof(buf)) : "-");
		html_td_num(f, lat ? fmt_ns(jcount(lat, "p99_ns"), buf, sizeof(buf)) : "-");
		fputs("</tr>\n", f);
	}
	html_table_close(f);
}

/* The guest instructions behind the most hardware exits. */
static void top_rips(FILE *f, json_object *et)
{
	json_object *a = jarr(et, "top_rips");
	size_t n = a ? json_object_array_length(a) : 0;
	char buf[64];

	if (n == 0)
		return;
	fputs("<h3>Guest instructions behind the most exits</h3>\n", f);
	html_table_open(f, "rip-table", "guest RIP|reason|>exits");
	for (size_t i = 0; i < n && i < MAX_STATS_ROWS; i++) {
		json_object *e = json_object_array_get_idx(a, i);

		fputs("<tr>", f);
		html_td(f, jstr(e, "rip") ? jstr(e, "rip") : "?");
		html_td(f, jstr(e, "reason") ? jstr(e, "reason") : "?");
		html_td_num(f, fmt_count(jcount(e, "count"), buf, sizeof(buf)));
		fputs("</tr>\n", f);
	}
	html_table_close(f);
}

static void exit_trace(FILE *f, json_object *stats)
{
	json_object *et = jobj(stats, "exit_trace"), **vals;
	const char **names;
	size_t n;
	double total = 0;
	char buf[64];

	fputs("<h3>Hardware exits by reason</h3>\n", f);
	n = sorted_members(jobj(et, "reasons"), "in_kvm", &names, &vals);
	if (n == 0) {
		html_missing(f, "Hardware exits by reason", WHY_NO_TRACE(stats));
		free(names);
		free(vals);
		return;
	}
	for (size_t i = 0; i < n; i++)
		total += hw_total(vals[i]);
	for (size_t i = 1; i < n; i++) /* largest total first (insertion sort: a few dozen) */
		for (size_t j = i; j > 0 && hw_total(vals[j]) > hw_total(vals[j - 1]); j--) {
			const char *tn = names[j];
			json_object *tv = vals[j];

			names[j] = names[j - 1], vals[j] = vals[j - 1];
			names[j - 1] = tn, vals[j - 1] = tv;
		}
	exit_trace_svg(f, names, vals, n < TOP_BARS ? n : TOP_BARS);
	exit_trace_table(f, names, vals, n, total);
	top_rips(f, et);
	if (jcount(et, "lost") > 0)
		fprintf(f, "<p class=\"note\">%s trace events were lost (the ring buffer overflowed): "
			"the counts above are low by about that much.</p>\n",
			fmt_count(jcount(et, "lost"), buf, sizeof(buf)));
	free(names);
	free(vals);
}

static void per_vcpu(FILE *f, json_object *stats)
{
	json_object *a = jarr(stats, "per_vcpu");
	size_t n = a ? json_object_array_length(a) : 0;
	char buf[64];

	fputs("<h3>Per vCPU</h3>\n", f);
	if (n == 0) {
		html_missing(f, "Per-vCPU figures", "the statistics have none");
		return;
	}
	html_table_open(f, "vcpu-table", "vCPU|>exits to warden|>time in KVM_RUN|>all exits|"
			">handled in KVM|>handled by warden");
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(a, i), *k = jobj(v, "exits");
		const char *all = "total";
		uint64_t id;

		if (!k) /* the first draft of the schema named it "kvm" */
			k = jobj(v, "kvm"), all = "exits";
		fputs("<tr>", f);
		/* The file's vCPU id when it is one, else the row's index. */
		snprintf(buf, sizeof(buf), "%llu", juint(v, "id", UINT32_MAX, &id) ? (unsigned long long)id
										: (unsigned long long)i);
		html_td(f, buf);
		html_td_num(f, fmt_count(jcount(v, "total_exits"), buf, sizeof(buf)));
		html_td_num(f, fmt_ns(jcount(v, "run_ns"), buf, sizeof(buf)));
		html_td_num(f, k ? fmt_count(jcount(k, all), buf, sizeof(buf)) : "not recorded");
		html_td_num(f, k ? fmt_count(jcount(k, "handled_in_kvm"), buf, sizeof(buf)) : "-");
		html_td_num(f, k ? fmt_count(jcount(k, "handled_by_warden"), buf, sizeof(buf)) : "-");
		fputs("</tr>\n", f);
	}
	html_table_close(f);
}

struct kstat {
	const char *name;
	double total;
};

static int kstat_cmp(const void *a, const void *b)
{
	const struct kstat *x = a, *y = b;

	return x->total != y->total ? (x->total < y->total ? 1 : -1) : strcmp(x->name, y->name);
}

/* KVM's vCPU counters summed over vCPUs, largest first. */
static void kvm_stats(FILE *f, json_object *stats)
{
	json_object *ks = jobj(stats, "kvm_stats"), *vcpus = jarr(ks, "vcpus");
	struct kstat *k = NULL;
	size_t n = 0, cap = 0, nv = vcpus ? json_object_array_length(vcpus) : 0;
	char buf[64];

	fputs("<h3>KVM's counters at the end</h3>\n", f);
	if (!ks) {
		html_missing(f, "KVM binary statistics", WHY_NO_KVM_STATS(stats));
		return;
	}
	for (size_t i = 0; i < nv; i++) {
		json_object *v = json_object_array_get_idx(vcpus, i);

		if (!json_object_is_type(v, json_type_object))
			continue;
		json_object_object_foreach(v, name, val) {
			size_t j;

			(void)val;
			for (j = 0; j < n && strcmp(k[j].name, name); j++)
				;
			if (j == n) {
				struct kstat *nk = n == cap ? realloc(k, (cap = cap ? cap * 2 : 64) * sizeof(*k)) : k;

				if (!nk) {
					free(k);
					return;
				}
				k = nk;
				k[n++] = (struct kstat){ name, 0 };
			}
			k[j].total += jcount(v, name);
		}
	}
	/* No counter at all (vCPU objects without members) leaves K NULL,
	 * which qsort must not be given even for 0 entries (fuzz_report). */
	if (n)
		qsort(k, n, sizeof(*k), kstat_cmp);
	fprintf(f, "<p class=\"note\">Summed over %zu vCPU%s; zero counters left out.</p>\n", nv, nv == 1 ? "" : "s");
	html_table_open(f, "kvm-stats-table", "counter|>value");
	for (size_t j = 0; j < n && j < MAX_STATS_ROWS && k[j].total > 0; j++) {
		fputs("<tr>", f);
		html_td(f, k[j].name);
		html_td_num(f, fmt_count(k[j].total, buf, sizeof(buf)));
		fputs("</tr>\n", f);
	}
	html_table_close(f);
	free(k);
}

void section_kvm(FILE *f, json_object *stats)
{
	fputs("<h2 id=\"sec-kvm\">Hardware exits and KVM</h2>\n", f);
	if (!stats) {
		html_missing(f, "Hardware exits", "the file has no final line");
		return;
	}
	exit_trace(f, stats);
	per_vcpu(f, stats);
	kvm_stats(f, stats);
}
