/* `warden lab emulated-vs-virtio`: the model, the table, the JSON and the
 * SVG plot (see lab/regpage_lab.h). */
#include "lab/regpage_lab.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "util/error.h"
#include "lab/lab_json.h"

const char *const ev_kvm_names[EV_NKVM] = {
	"exits", "io_exits", "mmio_exits", "pf_taken", "pf_fixed", "irq_exits", "tlb_flush",
};

const char *ev_mode_name(enum ev_mode m)
{
	switch (m) {
	case EV_PIO: return "pio";
	case EV_MMIO: return "mmio";
	case EV_PAGE: return "page";
	case EV_RING: return "ring";
	}
	return "?";
}

const char *ev_mode_label(enum ev_mode m)
{
	switch (m) {
	case EV_PIO: return "(a) trapped, port I/O";
	case EV_MMIO: return "(b) trapped, MMIO";
	case EV_PAGE: return "(c) register page, dirty log";
	case EV_RING: return "(d) batch ring, 1 doorbell/batch";
	}
	return "?";
}

double ev_model_exits(enum ev_mode m, double reads, double writes, unsigned scan_us, unsigned batch)
{
	double scans = 1e6 / (double)scan_us;

	switch (m) {
	case EV_PIO:
	case EV_MMIO: return reads + writes;                 /* one exit per access */
	case EV_PAGE: return writes < scans ? writes : scans; /* one write fault per written page per scan */
	case EV_RING: return (reads + writes) / (double)batch; /* one doorbell per batch */
	}
	return NAN;
}

double ev_exits_per_s(const struct ev_run *r)
{
	double n = r->have_kvm ? (double)r->kvm[0] : (double)r->exits_warden;

	return r->ok && r->window_s > 0 ? n / r->window_s : NAN;
}

double ev_ops_per_s(const struct ev_run *r)
{
	return r->ok && r->window_s > 0 ? (double)(r->reads + r->writes) / r->window_s : NAN;
}

static double exits_per_op(const struct ev_run *r)
{
	return ev_exits_per_s(r) / ev_ops_per_s(r);
}

/* The runs at the model workload (the last rate). */
static const struct ev_run *at_model(const struct ev_result *res, enum ev_mode m)
{
	return &res->run[m - 1][res->opt.nrates - 1];
}

double ev_reduction(const struct ev_result *res)
{
	return 1.0 - exits_per_op(at_model(res, EV_PAGE)) / exits_per_op(at_model(res, EV_PIO));
}

double ev_reduction_per_s(const struct ev_result *res)
{
	return 1.0 - ev_exits_per_s(at_model(res, EV_PAGE)) / ev_exits_per_s(at_model(res, EV_PIO));
}

static double model_reduction(const struct ev_options *o)
{
	return 1.0 - ev_model_exits(EV_PAGE, EV_MODEL_READS, EV_MODEL_WRITES, o->scan_us, o->batch) /
			     ev_model_exits(EV_PIO, EV_MODEL_READS, EV_MODEL_WRITES, o->scan_us, o->batch);
}

/* --- table ---------------------------------------------------------------- */

static void num(FILE *f, int width, double v)
{
	if (isnan(v))
		fprintf(f, "%*s", width, "-");
	else if (v != 0 && fabs(v) < 10)
		fprintf(f, "%*.4f", width, v);
	else
		fprintf(f, "%*.0f", width, v);
}

void ev_print_table(FILE *f, const struct ev_result *res)
{
	const struct ev_options *o = &res->opt;
	double red = ev_reduction(res);

	fprintf(f, "warden lab emulated-vs-virtio: tier %s (%s, host kernel %s); %.2f s a run, "
		   "scan %u us, batch %u\n", res->tier, res->kvm, res->kernel, o->seconds, o->scan_us, o->batch);
	fprintf(f, "model workload: %.0f status reads + %.0f control writes a second; exits counted by %s\n",
		EV_MODEL_READS, EV_MODEL_WRITES,
		at_model(res, EV_PIO)->have_kvm ? "KVM's binary stats (all exits) and warden (exits that reached it)"
						: "warden only (no KVM binary stats)");
	fprintf(f, "%-33s %5s %11s %12s %12s %12s %11s %9s\n", "mechanism", "load", "offered/s",
		"model ex/s", "exits/s", "warden ex/s", "ops/s", "exits/op");
	for (unsigned m = 1; m <= EV_NMODES; m++)
		for (unsigned i = 0; i < o->nrates; i++) {
			const struct ev_run *r = &res->run[m - 1][i];

			fprintf(f, "%-33s %4.0f%% ", ev_mode_label(r->mode), r->fraction * 100);
			num(f, 11, r->offered_reads + r->offered_writes);
			num(f, 13, ev_model_exits(r->mode, r->offered_reads, r->offered_writes, o->scan_us, o->batch));
			num(f, 13, ev_exits_per_s(r));
			num(f, 13, r->ok ? (double)r->exits_warden / r->window_s : NAN);
			num(f, 12, ev_ops_per_s(r));
			num(f, 10, exits_per_op(r));
			fprintf(f, "%s%s\n", r->ok ? "" : "  failed: ", r->ok ? "" : r->why);
		}
	fprintf(f, "reduction (a) -> (c) at the model workload: ");
	if (isnan(red))
		fprintf(f, "not measured\n");
	else
		fprintf(f, "%.3f%% of exits per operation (model %.3f%%; target >= 99.9%%: %s), "
			   "%.3f%% of exits a second\n", red * 100, model_reduction(o) * 100,
			red >= 0.999 ? "met" : "not met", ev_reduction_per_s(res) * 100);
}

/* --- JSON ----------------------------------------------------------------- */

static void run_json(FILE *f, const struct ev_result *res, const struct ev_run *r)
{
	const struct ev_options *o = &res->opt;

	fprintf(f, "{\"mode\": \"%s\", \"label\": ", ev_mode_name(r->mode));
	lab_json_str(f, ev_mode_label(r->mode));
	fprintf(f, ", \"fraction\": %g, \"offered_reads_per_s\": %.0f, \"offered_writes_per_s\": %.0f",
		r->fraction, r->offered_reads, r->offered_writes);
	fprintf(f, ", \"model_exits_per_s\": ");
	lab_json_num(f, ev_model_exits(r->mode, r->offered_reads, r->offered_writes, o->scan_us, o->batch), 10);
	fprintf(f, ", \"ok\": %s", r->ok ? "true" : "false");
	if (!r->ok) {
		fprintf(f, ", \"why\": ");
		lab_json_str(f, r->why);
		fputs("}", f);
		return;
	}
	fprintf(f, ", \"window_s\": %.6f, \"window_guest_s\": %.6f, \"clock_reads\": %llu", r->window_s,
		r->window_guest_s, (unsigned long long)r->clock_reads);
	fprintf(f, ", \"reads\": %llu, \"writes\": %llu, \"doorbells\": %llu",
		(unsigned long long)r->reads, (unsigned long long)r->writes, (unsigned long long)r->doorbells);
	fprintf(f, ", \"exits_per_s\": ");
	lab_json_num(f, ev_exits_per_s(r), 10);
	fprintf(f, ", \"exits_per_s_warden\": ");
	lab_json_num(f, (double)r->exits_warden / r->window_s, 10);
	fprintf(f, ", \"ops_per_s\": ");
	lab_json_num(f, ev_ops_per_s(r), 10);
	fprintf(f, ", \"exits_per_op\": ");
	lab_json_num(f, exits_per_op(r), 10);
	fprintf(f, ", \"exits_warden\": %llu, \"exits_device\": %llu", (unsigned long long)r->exits_warden,
		(unsigned long long)r->exits_device);
	if (r->have_kvm) {
		fprintf(f, ", \"kvm\": {");
		for (unsigned i = 0; i < EV_NKVM; i++)
			fprintf(f, "%s\"%s\": %llu", i ? ", " : "", ev_kvm_names[i], (unsigned long long)r->kvm[i]);
		fputs("}", f);
	}
	fprintf(f, ", \"scans\": %llu, \"dirty_scans\": %llu, \"manual_protect\": %s, \"device_count\": %u"
		   ", \"settle_ms\": %.3f}",
		(unsigned long long)r->scans, (unsigned long long)r->dirty0, r->manual ? "true" : "false",
		r->device_count, r->settle_ms);
}

int ev_write_json(const char *path, const struct ev_result *res)
{
	const struct ev_options *o = &res->opt;
	FILE *f = fopen(path, "w");
	char date[32];
	time_t now = time(NULL);

	if (!f)
		return fail_errno(ERR_USAGE, "cannot write --json %s", path);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f, "{\n  \"experiment\": \"emulated-vs-virtio\",\n  \"date\": \"%s\",\n", date);
	fprintf(f, "  \"tier\": {\"name\": ");
	lab_json_str(f, res->tier);
	fprintf(f, ", \"kvm\": ");
	lab_json_str(f, res->kvm);
	fprintf(f, ", \"host_kernel\": ");
	lab_json_str(f, res->kernel);
	fprintf(f, ", \"tsc_hz\": %llu, \"kvm_stats\": %s", (unsigned long long)res->tsc_hz,
		res->kvm_why[0] ? "false" : "true");
	if (res->kvm_why[0]) {
		fprintf(f, ", \"kvm_stats_missing\": ");
		lab_json_str(f, res->kvm_why);
	}
	fprintf(f, "},\n");
	fprintf(f, "  \"model\": {\"reads_per_s\": %.0f, \"writes_per_s\": %.0f, \"scan_interval_us\": %u, "
		   "\"batch\": %u, \"pages_written\": 1,\n"
		   "    \"formula\": {\"pio\": \"reads + writes\", \"mmio\": \"reads + writes\", "
		   "\"page\": \"min(writes, pages_written * 1e6 / scan_interval_us)\", "
		   "\"ring\": \"(reads + writes) / batch\"},\n    \"exits_per_s\": {",
		EV_MODEL_READS, EV_MODEL_WRITES, o->scan_us, o->batch);
	for (unsigned m = 1; m <= EV_NMODES; m++) {
		fprintf(f, "%s\"%s\": ", m > 1 ? ", " : "", ev_mode_name((enum ev_mode)m));
		lab_json_num(f, ev_model_exits((enum ev_mode)m, EV_MODEL_READS, EV_MODEL_WRITES, o->scan_us, o->batch), 10);
	}
	fprintf(f, "},\n    \"reduction\": ");
	lab_json_num(f, model_reduction(o), 10);
	fprintf(f, "},\n  \"measured\": {\"seconds_per_run\": %g, \"exits_counted_by\": \"%s\",\n"
		   "    \"at_model_workload\": {",
		o->seconds, at_model(res, EV_PIO)->have_kvm ? "kvm" : "warden");
	for (unsigned m = 1; m <= EV_NMODES; m++) {
		const struct ev_run *r = at_model(res, (enum ev_mode)m);

		fprintf(f, "%s\"%s\": {\"exits_per_s\": ", m > 1 ? ", " : "", ev_mode_name((enum ev_mode)m));
		lab_json_num(f, ev_exits_per_s(r), 10);
		fprintf(f, ", \"ops_per_s\": ");
		lab_json_num(f, ev_ops_per_s(r), 10);
		fprintf(f, "}");
	}
	fprintf(f, "},\n    \"runs\": [\n");
	for (unsigned m = 0; m < EV_NMODES; m++)
		for (unsigned i = 0; i < o->nrates; i++) {
			fputs("      ", f);
			run_json(f, res, &res->run[m][i]);
			fputs(m == EV_NMODES - 1 && i == o->nrates - 1 ? "\n" : ",\n", f);
		}
	fprintf(f, "    ]},\n  \"reduction\": ");
	lab_json_num(f, ev_reduction(res), 10);
	fprintf(f, ",\n  \"reduction_per_second\": ");
	lab_json_num(f, ev_reduction_per_s(res), 10);
	fprintf(f, ",\n  \"reduction_target\": 0.999\n}\n");
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --json %s", path);
	return 0;
}

/* --- SVG ------------------------------------------------------------------ */

#define SVG_W 460
#define SVG_H 360
#define PAD_L 64
#define PAD_R 16
#define PAD_T 30
#define PAD_B 44

static const char *const colour[EV_NMODES] = { "#d62728", "#ff7f0e", "#2ca02c", "#1f77b4" };

struct axis {
	double lo, hi; /* log10 range */
};

static double px(const struct axis *a, double v, double p0, double p1)
{
	double l = log10(v > 0 ? v : 1e-300);

	if (l < a->lo)
		l = a->lo;
	if (l > a->hi)
		l = a->hi;
	return p0 + (l - a->lo) / (a->hi - a->lo) * (p1 - p0);
}

/* One log-log panel at X0: Y (exits/s or ops/s) against offered ops/s. */
static void panel(FILE *f, const struct ev_result *res, int x0, const char *title, bool ops)
{
	const struct ev_options *o = &res->opt;
	struct axis ax = { floor(log10(o->rates[0] * (EV_MODEL_READS + EV_MODEL_WRITES))),
			   ceil(log10(EV_MODEL_READS + EV_MODEL_WRITES)) };
	struct axis ay = { 0, 7 };
	double l = x0 + PAD_L, r = x0 + SVG_W - PAD_R, t = PAD_T, b = SVG_H - PAD_B;

	if (ax.hi <= ax.lo)
		ax.lo = ax.hi - 1;
	fprintf(f, "<text x=\"%.0f\" y=\"18\" font-size=\"13\" text-anchor=\"middle\">%s</text>\n", (l + r) / 2, title);
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n", l, t,
		r - l, b - t);
	for (int e = (int)ay.lo; e <= (int)ay.hi; e++) {
		double y = px(&ay, pow(10, e), b, t);

		fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
			   "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">1e%d</text>\n",
			l, r, y, y, l - 4, y + 3, e);
	}
	for (int e = (int)ax.lo; e <= (int)ax.hi; e++) {
		double x = px(&ax, pow(10, e), l, r);

		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#eee\"/>"
			   "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">1e%d</text>\n",
			x, x, t, b, x, b + 14, e);
	}
	fprintf(f, "<text x=\"%.0f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">offered operations per second</text>\n",
		(l + r) / 2, SVG_H - 12);
	fprintf(f, "<text x=\"%d\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 %d %.0f)\">%s</text>\n",
		x0 + 14, (t + b) / 2, x0 + 14, (t + b) / 2, ops ? "operations per second" : "VM exits per second");
	for (unsigned m = 0; m < EV_NMODES; m++) {
		/* The model: dashed; the measurement: solid with dots. */
		for (int pass = 0; pass < 2; pass++) {
			bool any = false;

			fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s points=\"", colour[m],
				pass ? "2" : "1.2", pass ? "" : " stroke-dasharray=\"5,4\"");
			for (unsigned i = 0; i < o->nrates; i++) {
				const struct ev_run *rr = &res->run[m][i];
				double off = rr->offered_reads + rr->offered_writes;
				double v = pass ? (ops ? ev_ops_per_s(rr) : ev_exits_per_s(rr))
						: (ops ? off : ev_model_exits(rr->mode, rr->offered_reads,
									     rr->offered_writes, o->scan_us, o->batch));

				if (isnan(v))
					continue;
				fprintf(f, "%s%.1f,%.1f", any ? " " : "", px(&ax, off, l, r), px(&ay, v, b, t));
				any = true;
			}
			fputs("\"/>\n", f);
		}
		for (unsigned i = 0; i < o->nrates; i++) {
			const struct ev_run *rr = &res->run[m][i];
			double v = ops ? ev_ops_per_s(rr) : ev_exits_per_s(rr);

			if (!isnan(v))
				fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
					px(&ax, rr->offered_reads + rr->offered_writes, l, r), px(&ay, v, b, t), colour[m]);
		}
	}
}

int ev_write_svg(const char *path, const struct ev_result *res)
{
	FILE *f = fopen(path, "w");
	double red = ev_reduction(res);

	if (!f)
		return fail_errno(ERR_USAGE, "cannot write --svg %s", path);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", 2 * SVG_W, SVG_H + 60);
	panel(f, res, 0, "VM exits per second (dashed: model)", false);
	panel(f, res, SVG_W, "operations done per second (dashed: offered)", true);
	for (unsigned m = 0; m < EV_NMODES; m++)
		fprintf(f, "<rect x=\"%u\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			   "<text x=\"%u\" y=\"%d\" font-size=\"11\">%s</text>\n",
			PAD_L + m * 210, SVG_H + 6, colour[m], PAD_L + m * 210 + 16, SVG_H + 16,
			ev_mode_label((enum ev_mode)(m + 1)));
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">tier %s (%s), %s; reduction (a) to (c) at the model "
		   "workload: ", PAD_L, SVG_H + 42, res->tier, res->kvm, res->kernel);
	if (isnan(red))
		fputs("not measured", f);
	else
		fprintf(f, "%.3f%% of exits per operation", red * 100);
	fputs("</text>\n</svg>\n", f);
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --svg %s", path);
	return 0;
}
