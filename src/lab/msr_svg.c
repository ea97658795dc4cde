/* `warden lab msr-filter --svg`: ns and exits per write, left to KVM and
 * intercepted, per MSR (lab/msr_lab.h), drawn with lab/lab_svg.h: two bar
 * panels, one group of bars per MSR. */
#include <math.h>
#include <stdio.h>

#include "lab/lab_svg.h"
#include "lab/msr_lab.h"
#include "report/fmt.h"

/* Bars are placed by category (MSR i, way m at i * 3 + m + 1), so the x
 * axis has no numbers: the MSRs are named under it. */
static double bar_x(unsigned i, unsigned m)
{
	return i * (MSR_NMODES + 1) + m + 1;
}

/* One panel at X0: EXITS false the median ns per write, true the exits to
 * warden per write (the model's value in each label). */
static void panel(FILE *f, const struct msr_plot *p, double x0, bool exits)
{
	struct lab_axes a = {
		.xk = SCALE_LINEAR, .yk = SCALE_LINEAR, .xlo = 0, .xhi = MSR_NMSRS * (MSR_NMODES + 1),
		.ylo = 0, .yhi = exits ? 1 : 1000, .xlabel = "",
		.title = exits ? "exits to warden per write (model: kvm 0, intercepted 1)" : "ns per write (median)",
		.ylabel = exits ? "exits per write" : "ns per write", .fx = lab_svg_no_label, .fy = exits ? fmt_plain : fmt_ns_tick,
	};
	struct plot pl;
	char name[80], label[48];

	for (unsigned i = 0; i < MSR_NMSRS; i++)
		for (unsigned m = 0; m < MSR_NMODES; m++) {
			double v = exits ? p->exits[i][m] : p->ns[i][m];

			if (isfinite(v) && v > a.yhi)
				a.yhi = v;
		}
	lab_svg_plot(&pl, f, x0 + 80, 60, 340, 300, &a);
	for (unsigned i = 0; i < MSR_NMSRS; i++) {
		svg_text(f, scale_px(&pl.xs, bar_x(i, 0) + 0.5), pl.y + pl.h + 16, "middle", "tick-label", p->msr[i], 0);
		for (unsigned m = 0; m < MSR_NMODES; m++) {
			double v = exits ? p->exits[i][m] : p->ns[i][m], x = bar_x(i, m);

			snprintf(name, sizeof(name), "%s %s %s", exits ? "exits" : "ns", p->msr[i], p->mode[m]);
			if (!isfinite(v)) {
				svg_text(f, scale_px(&pl.xs, x), pl.y + pl.h - 6, "middle", "bar-label", p->why[i][m], 0);
				continue;
			}
			if (exits)
				snprintf(label, sizeof(label), "%.3f", v);
			else
				fmt_ns(v, label, sizeof(label));
			lab_svg_bar(&pl, x, 36, v, svg_colour(m), name, label);
		}
	}
}

int msr_write_svg(const char *path, const struct msr_plot *p)
{
	struct legend_item items[MSR_NMODES] = {
		{ .name = p->mode[0], .colour = svg_colour(0), .note = "left to KVM (no filter)" },
		{ .name = p->mode[1], .colour = svg_colour(1), .note = "MSR filter: an exit to warden" },
	};
	FILE *f = lab_svg_open(path, 920, 470, "warden lab msr-filter");
	char foot[300];

	if (!f)
		return -1;
	panel(f, p, 0, false);
	panel(f, p, 460, true);
	svg_legend(f, 90, 410, items, MSR_NMODES);
	snprintf(foot, sizeof(foot), "tier %s (%s), host kernel %s", p->tier, p->kvm, p->kernel);
	svg_text(f, 90, 458, "start", "note", foot, 0);
	return lab_svg_close(f, path);
}
