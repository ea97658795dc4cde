/* `warden lab sensitive --svg`: a grid, instruction by context (CPL x
 * CR4.UMIP), each cell coloured by whether the instruction returned the
 * guest's own state, with its exits per execution (lab/sensitive_lab.h),
 * drawn with lab/lab_svg.h. */
#include <math.h>
#include <stdio.h>

#include "lab/lab_svg.h"
#include "lab/sensitive_lab.h"

#define CELL_W 150
#define CELL_H 34
#define LEFT 110
#define TOP 80

static const char *fill(const struct sn_plot_cell *c)
{
	if (!c->ran)
		return "#e4e7ea";                         /* skipped */
	if (!c->own)
		return "#f4a9a0";                         /* not the guest's own state */
	return c->faulted ? "#f7d88a" : "#a8dcb9";  /* the #GP it asked for; its own state */
}

static void cell(FILE *f, const struct sn_plot *p, unsigned x, unsigned o)
{
	const struct sn_plot_cell *c = &p->cell[x][o];
	char name[64], text[64], tip[256], kvm[16];

	snprintf(name, sizeof(name), "%s %s", p->ctx[x], p->op[o]);
	if (isfinite(c->kvm_exits))
		snprintf(kvm, sizeof(kvm), "%.2f", c->kvm_exits);
	else
		snprintf(kvm, sizeof(kvm), "-");
	if (!c->ran)
		snprintf(text, sizeof(text), "skipped");
	else
		snprintf(text, sizeof(text), "%s | ex %.0f/%s", !c->own ? "NOT own" : c->faulted ? "#GP, own" : "own",
			 c->exits, kvm);
	snprintf(tip, sizeof(tip), "%s: returned %s; the guest's own: %s", name, c->ran ? c->got : "-",
		 c->ran ? c->want : "-");
	lab_svg_cell(f, LEFT + x * CELL_W + 2, TOP + o * CELL_H + 2, CELL_W - 4, CELL_H - 4, fill(c), name, text, tip);
}

int sn_write_svg(const char *path, const struct sn_plot *p)
{
	static const struct legend_item items[4] = {
		{ .name = "own state", .colour = "#a8dcb9" }, { .name = "#GP (UMIP)", .colour = "#f7d88a" },
		{ .name = "NOT own state", .colour = "#f4a9a0" }, { .name = "skipped", .colour = "#e4e7ea" },
	};
	int w = LEFT + SN_NCTX * CELL_W + 20, h = TOP + SN_NOPS * CELL_H + 120;
	FILE *f = lab_svg_open(path, w, h, "warden lab sensitive");
	char head[64], foot[300];

	if (!f)
		return -1;
	svg_text(f, w / 2.0, 22, "middle", "title",
		 "sensitive instructions: the guest's own state? (ex: exits to warden / to KVM per execution)", 0);
	for (unsigned x = 0; x < SN_NCTX; x++) {
		svg_text(f, LEFT + (x + 0.5) * CELL_W, TOP - 24, "middle", "axis-label", p->ctx[x], 0);
		snprintf(head, sizeof(head), "CPL %d, UMIP %s", p->cpl[x], p->umip[x] ? "on" : "off");
		svg_text(f, LEFT + (x + 0.5) * CELL_W, TOP - 8, "middle", "tick-label", head, 0);
	}
	for (unsigned o = 0; o < SN_NOPS; o++) {
		svg_text(f, LEFT - 8, TOP + (o + 0.5) * CELL_H + 4, "end", "axis-label", p->op[o], 0);
		for (unsigned x = 0; x < SN_NCTX; x++)
			cell(f, p, x, o);
	}
	svg_legend(f, LEFT, TOP + SN_NOPS * CELL_H + 24, items, 2);
	svg_legend(f, LEFT + 220, TOP + SN_NOPS * CELL_H + 24, items + 2, 2);
	snprintf(foot, sizeof(foot), "tier %s (%s), host kernel %s", p->tier, p->kvm, p->kernel);
	svg_text(f, LEFT, h - 20, "start", "note", foot, 0);
	return lab_svg_close(f, path);
}
