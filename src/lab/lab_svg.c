/* The lab's standalone SVG figures (lab/lab_svg.h), on the report layer's
 * plotting helpers. */
#include "lab/lab_svg.h"

#include <math.h>
#include <stdlib.h>

#include "report/fmt.h"
#include "util/error.h"

/* The classes report/svg.c writes, styled as the HTML report does: a lab
 * figure is opened on its own, without the report's page. */
static const char stylesheet[] =
	"<style>text{font:11px sans-serif;fill:#2a3138}.axis-label{font-size:12px;fill:#3d4650}"
	".title{font-size:13px}.legend-note{fill:#6b7680}.grid{stroke:#edf0f2}.axis,.tick{stroke:#6b7680}"
	".marker-label{font-weight:600}.bar-label{font-size:10px}.cell-text{font-size:10px}</style>\n";

FILE *lab_svg_open(const char *path, int w, int h, const char *title)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fail_errno(ERR_USAGE, "cannot write --svg %s", path);
		return NULL;
	}
	svg_open(f, NULL, "lab", w, h, title);
	fputs(stylesheet, f);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n", f);
	return f;
}

int lab_svg_close(FILE *f, const char *path)
{
	svg_close(f);
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --svg %s", path);
	return 0;
}

void lab_svg_plot(struct plot *p, FILE *f, double x, double y, double w, double h, const struct lab_axes *a)
{
	plot_init(p, f, x, y, w, h);
	scale_fit(&p->xs, a->xk, a->xlo, a->xhi);
	scale_fit(&p->ys, a->yk, a->ylo, a->yhi);
	svg_axis_x(p, a->xlabel, a->fx, 10);
	svg_axis_y(p, a->ylabel, a->fy);
	/* Above the marker labels svg_marker writes (y - 18, y - 5). */
	svg_text(f, x + w / 2, y - 36, "middle", "title", a->title, 0);
}

const char *lab_svg_no_label(double v, char *buf, size_t len)
{
	(void)v;
	if (len)
		buf[0] = 0;
	return buf;
}

void lab_svg_series(const struct plot *p, const double *x, const double *y, size_t n, const char *colour,
		    const char *name, unsigned style)
{
	double *fx = calloc(n ? n : 1, sizeof(*fx)), *fy = calloc(n ? n : 1, sizeof(*fy));
	size_t k = 0;

	if (!fx || !fy) { /* a figure without this series rather than none */
		free(fx);
		free(fy);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i]) && isfinite(y[i])) {
			fx[k] = x[i];
			fy[k++] = y[i];
		}
	/* The group's stroke-dasharray is inherited by report's polyline. */
	if (style & (LAB_SVG_LINE | LAB_SVG_DASHED)) {
		fprintf(p->f, "<g%s>", style & LAB_SVG_DASHED ? " stroke-dasharray=\"6 4\" stroke-opacity=\"0.8\"" : "");
		svg_polyline(p, fx, fy, k, colour, name);
		fputs("</g>\n", p->f);
	}
	for (size_t i = 0; (style & LAB_SVG_DOTS) && i < k; i++) {
		fprintf(p->f, "<circle class=\"point\" data-series=\"");
		fmt_escape(p->f, name);
		fprintf(p->f, "\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", scale_px(&p->xs, fx[i]),
			scale_px(&p->ys, fy[i]), colour);
	}
	free(fx);
	free(fy);
}

void lab_svg_bar(const struct plot *p, double x, double width, double v, const char *colour, const char *name,
		 const char *label)
{
	double cx = scale_px(&p->xs, x), top = scale_px(&p->ys, v), base = p->y + p->h;

	if (!isfinite(v))
		return;
	fprintf(p->f, "<g data-series=\"");
	fmt_escape(p->f, name);
	fputs("\">", p->f);
	svg_rect(p->f, cx - width / 2, top, width, base - top, colour, "bar", name);
	if (label)
		svg_text(p->f, cx, top - 3, "middle", "bar-label", label, 0);
	fputs("</g>\n", p->f);
}

void lab_svg_ring(FILE *f, double x, double y, const char *colour, const char *cls, const char *name)
{
	fprintf(f, "<circle class=\"%s\" data-series=\"", cls);
	fmt_escape(f, name);
	fprintf(f, "\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", x, y,
		colour);
}

void lab_svg_cell(FILE *f, double x, double y, double w, double h, const char *fill, const char *name,
		  const char *text, const char *tip)
{
	fprintf(f, "<g data-series=\"");
	fmt_escape(f, name);
	fputs("\">", f);
	svg_rect(f, x, y, w, h, fill, "cell", tip);
	svg_text(f, x + w / 2, y + h / 2 + 4, "middle", "cell-text", text, 0);
	fputs("</g>\n", f);
}
