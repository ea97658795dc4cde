/* `warden lab emulated-vs-virtio`: the model, the table, the JSON and the
 * SVG plot (see lab/regpage_lab.h). */
#include "lab/regpage_lab.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "util/error.h"
#include "lab/lab_json.h"
#include "lab/lab_svg.h"
#include "report/fmt.h"

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
	case EV_PAGE_HELD: return "page-held";
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
	case EV_PAGE_HELD: return "(c') register page, held";
	}
	return "?";
}

double ev_model_exits(enum ev_mode m, double reads, double writes, unsigned scan_us, unsigned hold,
		      unsigned batch)
{
	double scans = 1e6 / (double)scan_us;

	switch (m) {
	case EV_PIO:
	case EV_MMIO: return reads + writes;                 /* one exit per access */
	case EV_PAGE_HELD:
		/* No fault while a write comes within every HOLD scans; else
		 * each write finds the page protected again, as in (c). */
		if (hold && writes * (double)hold >= scans)
			return 0;
		/* fall through */
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

/* (a) to MODE at the model workload, per operation. */
static double reduction_to(const struct ev_result *res, enum ev_mode m)
{
	return 1.0 - exits_per_op(at_model(res, m)) / exits_per_op(at_model(res, EV_PIO));
}

double ev_reduction(const struct ev_result *res)
{
	return reduction_to(res, EV_PAGE);
}

double ev_reduction_held(const struct ev_result *res)
{
	return reduction_to(res, EV_PAGE_HELD);
}

double ev_reduction_per_s(const struct ev_result *res)
{
	return 1.0 - ev_exits_per_s(at_model(res, EV_PAGE)) / ev_exits_per_s(at_model(res, EV_PIO));
}

/* (a) to MODE at the model workload, by the model. */
static double model_reduction(const struct ev_options *o, enum ev_mode m)
{
	return 1.0 - ev_model_exits(m, EV_MODEL_READS, EV_MODEL_WRITES, o->scan_us, o->hold_scans, o->batch) /
			     ev_model_exits(EV_PIO, EV_MODEL_READS, EV_MODEL_WRITES, o->scan_us, o->hold_scans, o->batch);
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

/* The table's line for the reduction from (a) to MODE (LABEL), measured
 * RED against the model and the target. */
static void reduction_line(FILE *f, const struct ev_options *o, const char *label, enum ev_mode m, double red)
{
	fprintf(f, "reduction (a) -> %s at the model workload: ", label);
	if (isnan(red)) {
		fprintf(f, "not measured\n");
		return;
	}
	fprintf(f, "%.3f%% of exits per operation (model %.3f%%; target >= 99.9%%: %s)", red * 100,
		model_reduction(o, m) * 100, red >= 0.999 ? "met" : "not met");
}

void ev_print_table(FILE *f, const struct ev_result *res)
{
	const struct ev_options *o = &res->opt;
	double red = ev_reduction(res);

	fprintf(f, "warden lab emulated-vs-virtio: tier %s (%s, host kernel %s); %.2f s a run, "
		   "scan %u us, hold %u scans, batch %u\n", res->tier, res->kvm, res->kernel, o->seconds, o->scan_us,
		o->hold_scans, o->batch);
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
			num(f, 13, ev_model_exits(r->mode, r->offered_reads, r->offered_writes, o->scan_us, o->hold_scans, o->batch));
			num(f, 13, ev_exits_per_s(r));
			num(f, 13, r->ok ? (double)r->exits_warden / r->window_s : NAN);
			num(f, 12, ev_ops_per_s(r));
			num(f, 10, exits_per_op(r));
			fprintf(f, "%s%s\n", r->ok ? "" : "  failed: ", r->ok ? "" : r->why);
		}
	reduction_line(f, o, "(c)", EV_PAGE, red);
	if (!isnan(red))
		fprintf(f, ", %.3f%% of exits a second\n", ev_reduction_per_s(res) * 100);
	red = ev_reduction_held(res);
	reduction_line(f, o, "(c')", EV_PAGE_HELD, red);
	if (!isnan(red))
		fputc('\n', f);
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
	lab_json_num(f, ev_model_exits(r->mode, r->offered_reads, r->offered_writes, o->scan_us, o->hold_scans, o->batch), 10);
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
	fprintf(f, ", \"scans\": %llu, \"dirty_scans\": %llu, \"held_scans\": %llu, \"dirty_log_gets\": %llu"
		   ", \"manual_protect\": %s, \"device_count\": %u, \"settle_ms\": %.3f}",
		(unsigned long long)r->scans, (unsigned long long)r->dirty0, (unsigned long long)r->held,
		(unsigned long long)r->log_gets, r->manual ? "true" : "false", r->device_count, r->settle_ms);
}

int ev_write_json(const char *path, const struct ev_result *res)
{
	const struct ev_options *o = &res->opt;
	FILE *f = lab_json_open(path, "emulated-vs-virtio", res->tier, res->kvm, res->kernel);

	if (!f)
		return -1;
	fprintf(f, ", \"tsc_hz\": %llu, \"kvm_stats\": %s", (unsigned long long)res->tsc_hz,
		res->kvm_why[0] ? "false" : "true");
	if (res->kvm_why[0]) {
		fprintf(f, ", \"kvm_stats_missing\": ");
		lab_json_str(f, res->kvm_why);
	}
	fprintf(f, "},\n");
	fprintf(f, "  \"model\": {\"reads_per_s\": %.0f, \"writes_per_s\": %.0f, \"scan_interval_us\": %u, "
		   "\"hold_scans\": %u, \"batch\": %u, \"pages_written\": 1,\n"
		   "    \"formula\": {\"pio\": \"reads + writes\", \"mmio\": \"reads + writes\", "
		   "\"page\": \"min(writes, pages_written * 1e6 / scan_interval_us)\", "
		   "\"ring\": \"(reads + writes) / batch\", "
		   "\"page-held\": \"0 if writes * hold_scans >= 1e6 / scan_interval_us, else as page\"},\n"
		   "    \"exits_per_s\": {",
		EV_MODEL_READS, EV_MODEL_WRITES, o->scan_us, o->hold_scans, o->batch);
	for (unsigned m = 1; m <= EV_NMODES; m++) {
		fprintf(f, "%s\"%s\": ", m > 1 ? ", " : "", ev_mode_name((enum ev_mode)m));
		lab_json_num(f, ev_model_exits((enum ev_mode)m, EV_MODEL_READS, EV_MODEL_WRITES, o->scan_us, o->hold_scans, o->batch), 10);
	}
	fprintf(f, "},\n    \"reduction\": ");
	lab_json_num(f, model_reduction(o, EV_PAGE), 10);
	fprintf(f, ", \"reduction_held\": ");
	lab_json_num(f, model_reduction(o, EV_PAGE_HELD), 10);
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
	fprintf(f, ",\n  \"reduction_held\": ");
	lab_json_num(f, ev_reduction_held(res), 10);
	fprintf(f, ",\n  \"reduction_target\": 0.999\n}\n");
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --json %s", path);
	return 0;
}

/* --- SVG (lab/lab_svg.h) --------------------------------------------------- */

#define SVG_W 460
#define SVG_H 360

/* One log-log panel at X0: exits/s (OPS false) or operations done a
 * second against the offered load, the model dashed. */
static void panel(FILE *f, const struct ev_result *res, double x0, const char *title, bool ops)
{
	const struct ev_options *o = &res->opt;
	const struct lab_axes a = {
		.xk = SCALE_LOG10, .yk = SCALE_LOG10,
		.xlo = o->rates[0] * (EV_MODEL_READS + EV_MODEL_WRITES), .xhi = EV_MODEL_READS + EV_MODEL_WRITES,
		.ylo = 1, .yhi = 1e7, .title = title, .xlabel = "offered operations per second",
		.ylabel = ops ? "operations per second" : "VM exits per second", .fx = fmt_si, .fy = fmt_si,
	};
	struct plot p;

	lab_svg_plot(&p, f, x0 + 70, 60, SVG_W - 90, SVG_H - 120, &a);
	for (unsigned m = 0; m < EV_NMODES; m++) {
		double x[EV_MAX_RATES], model[EV_MAX_RATES], meas[EV_MAX_RATES];
		char name[80];

		for (unsigned i = 0; i < o->nrates; i++) {
			const struct ev_run *r = &res->run[m][i];

			x[i] = r->offered_reads + r->offered_writes;
			model[i] = ops ? x[i] : ev_model_exits(r->mode, r->offered_reads, r->offered_writes,
								 o->scan_us, o->hold_scans, o->batch);
			meas[i] = ops ? ev_ops_per_s(r) : ev_exits_per_s(r);
		}
		snprintf(name, sizeof(name), "%s %s", ev_mode_name((enum ev_mode)(m + 1)), ops ? "offered" : "model");
		lab_svg_series(&p, x, model, o->nrates, svg_colour(m), name, LAB_SVG_DASHED);
		snprintf(name, sizeof(name), "%s measured", ev_mode_name((enum ev_mode)(m + 1)));
		lab_svg_series(&p, x, meas, o->nrates, svg_colour(m), name, LAB_SVG_LINE | LAB_SVG_DOTS);
	}
}

int ev_write_svg(const char *path, const struct ev_result *res)
{
	struct legend_item items[EV_NMODES];
	FILE *f = lab_svg_open(path, 2 * SVG_W, SVG_H + 80, "warden lab emulated-vs-virtio");
	double red = ev_reduction(res), held = ev_reduction_held(res);
	char foot[300];

	if (!f)
		return -1;
	panel(f, res, 0, "VM exits per second (dashed: model)", false);
	panel(f, res, SVG_W, "operations done per second (dashed: offered)", true);
	for (unsigned m = 0; m < EV_NMODES; m++)
		items[m] = (struct legend_item){ .name = ev_mode_label((enum ev_mode)(m + 1)), .colour = svg_colour(m) };
	svg_legend(f, 70, SVG_H, items, 3);
	svg_legend(f, 70 + SVG_W, SVG_H, items + 3, EV_NMODES - 3);
	if (isnan(red) || isnan(held))
		snprintf(foot, sizeof(foot), "tier %s (%s), %s; reduction (a) to (c) and (c') at the model workload: "
			 "not measured", res->tier, res->kvm, res->kernel);
	else
		snprintf(foot, sizeof(foot), "tier %s (%s), %s; reduction at the model workload, exits per operation: "
			 "(a) to (c) %.3f%%, to (c') %.3f%%", res->tier, res->kvm, res->kernel, red * 100, held * 100);
	svg_text(f, 70, SVG_H + 65, "start", "note", foot, 0);
	return lab_svg_close(f, path);
}
