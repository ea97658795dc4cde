/* `warden lab paging`: the table, the JSON and the plot. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lab/lab_json.h"
#include "lab/paging_lab.h"
#include "util/error.h"

static const char *run_name(const struct pg_run *run)
{
	static const char *const n[4] = { "host 4K, guest 4K", "host 4K, guest 2M", "host 2M, guest 4K",
					  "host 2M, guest 2M" };

	return n[(run->backing_2m ? 2 : 0) + (run->map_2m ? 1 : 0)];
}

static double ns_per_unit(const struct pg_result *R, const struct pg_window_result *w, uint64_t units)
{
	return R->tsc_khz && units ? (double)w->cycles * 1e6 / (double)R->tsc_khz / (double)units : NAN;
}

/* 1 - nested / shadow: the share of the exits nested paging removes, by
 * the model at one exit per fault. */
static double removed(double nested, double shadow)
{
	return shadow > 0 ? 1 - nested / shadow : NAN;
}

static const char *const kind_name[3] = { "page_table_changes", "first_touch", "retouch" };

static void print_run(const struct pg_result *R, const struct pg_run *run)
{
	printf("\n%s: the working sets' host pages %" PRIu64 " kB in 2 MiB pages of %" PRIu64 " kB (smaps)\n",
	       run_name(run), run->ws_huge_kb, run->ws_rss_kb);
	if (!run->ok) {
		printf("  failed: %s\n", run->why);
		return;
	}
	printf("%-18s %7s %17s %9s %8s %8s %8s %7s %8s %8s %7s %9s\n", "window", "units", "model exits", "exits",
	       "ex/unit", "pf_fixed", "pf_guest", "invlpg", "pte_wr", "+4K map", "+2M map", "ns/unit");
	for (unsigned w = 0; w < 2 + 2 * R->nsizes; w++) {
		const struct pg_window_result *x = &run->w[w];
		uint64_t u = pg_window_units(R, w);
		char label[32], model[24];

		pg_window_label(R, w, label, sizeof(label));
		if (x->model_lo == x->model_hi)
			snprintf(model, sizeof(model), "%.0f", x->model_hi);
		else
			snprintf(model, sizeof(model), "%.0f-%.0f", x->model_lo, x->model_hi);
		printf("%-18s %7" PRIu64 " %17s %9" PRId64 " %8.3f %8" PRId64 " %8" PRId64 " %7" PRId64 " %8" PRId64
		       " %8" PRId64 " %7" PRId64 " %9.0f\n",
		       label, u, model, x->delta[PG_S_EXITS], (double)x->delta[PG_S_EXITS] / (double)u,
		       x->delta[PG_S_PF_FIXED], x->delta[PG_S_PF_GUEST], x->delta[PG_S_INVLPG],
		       x->delta[PG_S_MMU_PTE_WRITE], x->delta[PG_S_PAGES_4K], x->delta[PG_S_PAGES_2M],
		       ns_per_unit(R, x, u));
	}
	if (run->traced) {
		printf("hardware exits by reason (kvm:kvm_exit; each window's count has its begin mark's port write):\n");
		for (unsigned w = 0; w < 2 + 2 * R->nsizes; w++) {
			char label[32];

			pg_window_label(R, w, label, sizeof(label));
			printf("  %-18s", label);
			for (unsigned k = 0; k < run->w[w].nhw; k++)
				printf(" %s %" PRIu64, run->w[w].hw[k].name, run->w[w].hw[k].n);
			printf("\n");
		}
	}
	printf("memory-related exits: %" PRId64 " measured (%s paging); model at one exit a fault: nested %.0f, "
	       "shadow %.0f: nested paging removes %.1f%% of them (page-table changes %.0f%%, first touches %.0f%%; "
	       "claim: 95%%)\n",
	       run->exits_total, R->mmu, run->nested_total, run->shadow_hi_total,
	       removed(run->nested_total, run->shadow_hi_total) * 100, removed(run->nested_kind[0], run->shadow_kind[0]) * 100,
	       removed(run->nested_kind[1], run->shadow_kind[1]) * 100);
}

void pg_print_table(const struct pg_result *R)
{
	printf("MMU: %s (%s); transparent huge pages: %s%s\n", R->mmu, R->mmu_source, R->thp,
	       R->have_stats ? "" : "; no KVM binary statistics: exits unknown");
	for (unsigned r = 0; r < PG_NRUNS; r++)
		if (R->run[r].ran)
			print_run(R, &R->run[r]);
}

static void json_window(FILE *f, const struct pg_result *R, const struct pg_window_result *x, unsigned w)
{
	char label[32];

	pg_window_label(R, w, label, sizeof(label));
	fprintf(f, "        {\"window\": ");
	lab_json_str(f, label);
	fprintf(f, ", \"kind\": \"%s\", \"units\": %" PRIu64 ", \"cycles\": %" PRIu64 ", \"ns_per_unit\": ",
		w == PG_W_REMAP ? "remap" : w == PG_W_CR3 ? "cr3" : (w - PG_W_FIRST) % 2 ? "retouch" : "first",
		pg_window_units(R, w), x->cycles);
	lab_json_num(f, ns_per_unit(R, x, pg_window_units(R, w)), 5);
	fprintf(f, ", \"model\": {\"exits_low\": %.3f, \"exits_high\": %.3f, \"nested\": [%.3f, %.3f], "
		   "\"shadow\": [%.3f, %.3f]}, \"kvm\": {",
		x->model_lo, x->model_hi, x->nested_lo, x->nested_hi, x->shadow_lo, x->shadow_hi);
	for (unsigned i = 0; i < PG_NSTATS; i++) {
		fprintf(f, "%s\"%s\": ", i ? ", " : "", pg_stat_name[i]);
		if (x->known[i])
			fprintf(f, "%" PRId64, x->delta[i]);
		else
			fputs("null", f);
	}
	fprintf(f, "}, \"hw_exits\": ");
	if (!x->nhw) {
		fputs("{}}", f);
		return;
	}
	for (unsigned k = 0; k < x->nhw; k++) {
		fprintf(f, "%s", k ? ", " : "{");
		lab_json_str(f, x->hw[k].name);
		fprintf(f, ": %" PRIu64, x->hw[k].n);
	}
	fputs("}}", f);
}

static void json_run(FILE *f, const struct pg_result *R, const struct pg_run *run)
{
	fprintf(f, "    {\"name\": \"%s\", \"backing\": \"%s\", \"guest_map\": \"%s\", \"status\": \"%s\"",
		run_name(run), run->backing_2m ? "2M" : "4K", run->map_2m ? "2M" : "4K", run->ok ? "measured" : "failed");
	if (!run->ok) {
		fprintf(f, ", \"reason\": ");
		lab_json_str(f, run->why);
	}
	fprintf(f, ", \"host_pages\": {\"smaps_read\": %s, \"rss_kb\": %" PRIu64 ", \"anon_huge_kb\": %" PRIu64
		   ", \"huge_fraction\": %.4f}, \"check\": %" PRIu64 ", \"check_expected\": %" PRIu64 ",\n",
		run->smaps_read ? "true" : "false", run->ws_rss_kb, run->ws_huge_kb, run->huge_fraction, run->check,
		run->check_want);
	fprintf(f, "      \"hw_exit_reasons\": %s", run->traced ? "true" : "false");
	if (!run->traced) {
		fprintf(f, ", \"hw_exit_reasons_why_not\": ");
		lab_json_str(f, run->trace_why);
	}
	fputs(",\n", f);
	fprintf(f, "      \"exits_total\": %" PRId64 ", \"model_nested_total\": %.3f, \"model_shadow_total\": %.3f, "
		   "\"model_shadow_total_low\": %.3f, \"model_removed_by_nested\": ",
		run->exits_total, run->nested_total, run->shadow_hi_total, run->shadow_lo_total);
	lab_json_num(f, removed(run->nested_total, run->shadow_hi_total), 5);
	fprintf(f, ",\n      \"by_kind\": {");
	for (unsigned k = 0; k < 3; k++) {
		fprintf(f, "%s\"%s\": {\"exits\": %" PRId64 ", \"model_nested\": %.3f, \"model_shadow\": %.3f, "
			   "\"model_removed_by_nested\": ",
			k ? ", " : "", kind_name[k], run->exits_kind[k], run->nested_kind[k], run->shadow_kind[k]);
		lab_json_num(f, removed(run->nested_kind[k], run->shadow_kind[k]), 5);
		fputc('}', f);
	}
	fprintf(f, "},\n      \"windows\": [\n");
	for (unsigned w = 0; w < 2 + 2 * R->nsizes; w++) {
		json_window(f, R, &run->w[w], w);
		fputs(w + 1 < 2 + 2 * R->nsizes ? ",\n" : "\n", f);
	}
	fprintf(f, "      ]}");
}

int pg_write_json(const char *path, const struct pg_result *R)
{
	FILE *f = lab_json_open(path, "paging", R->tier, R->kvm, R->kernel);
	bool first = true;

	if (!f)
		return -1;
	fprintf(f, ", \"mmu\": \"%s\", \"mmu_source\": ", R->mmu);
	lab_json_str(f, R->mmu_source);
	fprintf(f, ", \"transparent_hugepage\": ");
	lab_json_str(f, R->thp);
	fprintf(f, ", \"tsc_khz\": %" PRIu64 ", \"capabilities\": {\"kvm_binary_stats\": %s}},\n", R->tsc_khz,
		R->have_stats ? "true" : "false");
	fprintf(f, "  \"iterations\": %u, \"sizes_bytes\": [", R->iterations);
	for (uint32_t s = 0; s < R->nsizes; s++)
		fprintf(f, "%s%" PRIu64, s ? ", " : "", R->size[s]);
	fprintf(f, "],\n  \"model\": {\"nested\": \"a first touch: one fault per host page (4 KiB or 2 MiB as the host "
		   "backs it; as few as 1/8 with KVM's prefetch); re-touch, PTE writes, INVLPG, CR3 writes: no exit\", "
		   "\"shadow\": \"a first touch: one fault per page KVM maps (2 MiB only where guest and host both use "
		   "2 MiB; as few as 1/8 with prefetch); remap iteration (2 PTE writes, 2 INVLPG, a touch): 2-5 exits; "
		   "CR3 write: 1\", \"claim_removed\": 0.95},\n  \"measured\": [\n");
	for (unsigned r = 0; r < PG_NRUNS; r++) {
		if (!R->run[r].ran)
			continue;
		fputs(first ? "" : ",\n", f);
		json_run(f, R, &R->run[r]);
		first = false;
	}
	fprintf(f, "\n  ]\n}\n");
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --json %s", path);
	return 0;
}

/* The plot: exits per unit on a log scale from 1e-4 to 10 (below 1e-4:
 * none), PG_SVG_H high from PG_SVG_T down. */
#define PG_SVG_L 70.0
#define PG_SVG_T 40.0
#define PG_SVG_W 820.0
#define PG_SVG_H 300.0
static const char *const pg_colour[PG_NRUNS] = { "#2060c0", "#40a040", "#c06020", "#a030a0" };

static double svg_y(double per_unit)
{
	return PG_SVG_T + PG_SVG_H - (log10(fmax(per_unit, 1e-4)) + 4) / 5 * PG_SVG_H;
}

/* Window X: its label, and per run a grey band (the model's range for
 * that run) behind a bar (KVM's exits). */
static void svg_window(FILE *f, const struct pg_result *R, unsigned x, double gw)
{
	double u = (double)pg_window_units(R, x), bw = (gw - 12) / PG_NRUNS;
	char label[32];

	pg_window_label(R, x, label, sizeof(label));
	fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">%s</text>\n",
		PG_SVG_L + (x + 0.5) * gw, PG_SVG_T + PG_SVG_H + 16, label);
	for (unsigned r = 0; r < PG_NRUNS; r++) {
		const struct pg_window_result *m = &R->run[r].w[x];
		double bx = PG_SVG_L + x * gw + 6 + r * bw, y = svg_y((double)m->delta[PG_S_EXITS] / u);
		double y0 = svg_y(m->model_lo / u), y1 = svg_y(m->model_hi / u);

		if (!R->run[r].ran || !R->run[r].ok)
			continue;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ccc\"/>\n", bx - 1,
			y1 - 2, bw + 1, y0 - y1 + 4);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", bx + 1, y,
			bw - 3, PG_SVG_T + PG_SVG_H - y, pg_colour[r]);
	}
}

int pg_write_svg(const char *path, const struct pg_result *R)
{
	unsigned nw = 2 + 2 * R->nsizes;
	FILE *f = fopen(path, "w");

	if (!f)
		return fail_errno(ERR_USAGE, "cannot write --svg %s", path);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"920\" height=\"440\" font-family=\"sans-serif\">\n"
		   "<rect width=\"920\" height=\"440\" fill=\"white\"/>\n"
		   "<text x=\"460\" y=\"22\" font-size=\"13\" text-anchor=\"middle\">KVM exits per unit (page touched or "
		   "loop iteration), %s paging</text>\n", R->mmu);
	for (int d = -4; d <= 1; d++)
		fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
			   "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">1e%d</text>\n",
			PG_SVG_L, PG_SVG_L + PG_SVG_W, svg_y(pow(10, d)), svg_y(pow(10, d)), PG_SVG_L - 4,
			svg_y(pow(10, d)) + 4, d);
	for (unsigned x = 0; x < nw; x++)
		svg_window(f, R, x, PG_SVG_W / nw);
	for (unsigned r = 0; r < PG_NRUNS; r++)
		fprintf(f, "<rect x=\"%u\" y=\"385\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			   "<text x=\"%u\" y=\"396\" font-size=\"11\">%s</text>\n",
			80 + r * 190, pg_colour[r], 96 + r * 190, run_name(&R->run[r]));
	fprintf(f, "<text x=\"20\" y=\"425\" font-size=\"11\">tier %s (%s), %s; grey behind each bar: the model's "
		   "range for that run; bars at the bottom: no exit</text>\n</svg>\n", R->tier, R->kvm, R->kernel);
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --svg %s", path);
	return 0;
}
