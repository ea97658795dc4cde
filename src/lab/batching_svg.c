/* `warden lab batching --svg`: cost per operation against the batch size
 * (lab/batching_lab.h), drawn with lab/lab_svg.h. */
#include <math.h>
#include <stdio.h>

#include "lab/batching_lab.h"
#include "lab/lab_svg.h"
#include "report/fmt.h"

static const char *const way_label[BT_NWAYS] = { "trap", "port", "fast" };

/* The y range: every measured and fitted point. */
static void y_range(const struct bt_plot *p, double *lo, double *hi)
{
	*lo = INFINITY, *hi = 0;
	for (unsigned w = 0; w < BT_NWAYS; w++)
		for (unsigned i = 0; i < p->nsizes; i++) {
			double v = p->per_op_ns[w][i];

			if (isfinite(v) && v > 0) {
				*lo = fmin(*lo, v);
				*hi = fmax(*hi, v);
			}
		}
	if (!isfinite(*lo))
		*lo = 1, *hi = 10;
}

static void crossover_marks(const struct plot *pl, const struct bt_plot *p)
{
	char label[48];

	for (unsigned d = 0; d < 2; d++) {
		const char *c = svg_colour(d + 1);

		if (isfinite(p->n_star[d])) {
			snprintf(label, sizeof(label), "%s model n*=%.2f", way_label[d + 1], p->n_star[d]);
			svg_marker(pl, p->n_star[d], c, label, (int)d);
		}
		if (isfinite(p->crossover[d])) {
			snprintf(label, sizeof(label), "measured %.2f", p->crossover[d]);
			/* Under the model's label, on the plot's floor. */
			svg_text(pl->f, scale_px(&pl->xs, p->crossover[d]), pl->y + pl->h - 6 - 12.0 * d, "start",
				 "marker-label", label, 0);
			lab_svg_ring(pl->f, scale_px(&pl->xs, p->crossover[d]), pl->y + pl->h - 2, c, "crossover",
				     way_label[d + 1]);
		}
	}
}

int bt_write_svg(const char *path, const struct bt_plot *p)
{
	const struct lab_axes a = {
		.xk = SCALE_LOG2, .yk = SCALE_LOG10, .xlo = p->sizes[0], .xhi = p->sizes[p->nsizes - 1],
		.title = "cost per operation against batch size (dots: measured; dashed: fit)",
		.xlabel = "batch size n (operations per group)", .ylabel = "ns per operation (median)",
		.fx = fmt_plain, .fy = fmt_ns_tick,
	};
	struct lab_axes ax = a;
	struct legend_item items[BT_NWAYS];
	FILE *f = lab_svg_open(path, 720, 560, "warden lab batching");
	struct plot pl;
	char foot[300];

	if (!f)
		return -1;
	y_range(p, &ax.ylo, &ax.yhi);
	lab_svg_plot(&pl, f, 80, 70, 600, 360, &ax);
	for (unsigned w = 0; w < BT_NWAYS; w++) {
		double x[BT_MAX_SIZES], fit[BT_MAX_SIZES];
		char name[32];

		for (unsigned i = 0; i < p->nsizes; i++) {
			x[i] = p->sizes[i];
			fit[i] = p->fitted[w] ? p->slope[w] + p->icept[w] / x[i] : NAN;
		}
		snprintf(name, sizeof(name), "%s fit", way_label[w]);
		lab_svg_series(&pl, x, fit, p->nsizes, svg_colour(w), name, LAB_SVG_DASHED);
		lab_svg_series(&pl, x, p->per_op_ns[w], p->nsizes, svg_colour(w), way_label[w],
			       LAB_SVG_LINE | LAB_SVG_DOTS);
		items[w] = (struct legend_item){ .name = way_label[w], .colour = svg_colour(w) };
	}
	items[0].note = "n port writes: n exits";
	items[1].note = "batch, port doorbell: 1 exit";
	items[2].note = "batch, ioeventfd doorbell";
	crossover_marks(&pl, p);
	svg_legend(f, 90, 485, items, BT_NWAYS);
	snprintf(foot, sizeof(foot), "tier %s (%s), host kernel %s", p->tier, p->kvm, p->kernel);
	svg_text(f, 90, 548, "start", "note", foot, 0);
	return lab_svg_close(f, path);
}
