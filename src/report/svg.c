#include "report/svg.h"

#include <math.h>
#include <string.h>

#include "report/fmt.h"

/* Colour-blind friendly, distinct on white (Okabe-Ito, then two more). */
static const char *const palette[SVG_PALETTE_SIZE] = {
	"#0072b2", "#e69f00", "#009e73", "#d55e00",
	"#cc79a7", "#56b4e9", "#332288", "#b8a100",
};

const char *svg_colour(unsigned i)
{
	return palette[i % SVG_PALETTE_SIZE];
}

/* 1, 2 or 5 times a power of ten, at least RAW. */
static double nice_step(double raw)
{
	double p, m;

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	p = pow(10, floor(log10(raw)));
	m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

void scale_fit(struct scale *s, enum scale_kind kind, double lo, double hi)
{
	if (!isfinite(lo))
		lo = 0;
	if (!isfinite(hi))
		hi = 0;
	s->kind = kind;
	s->step = 0;
	if (kind == SCALE_LINEAR) {
		s->lo = lo < 0 ? lo : 0;
		s->step = nice_step((hi - s->lo) / 6);
		s->hi = s->lo + ceil((hi - s->lo) / s->step) * s->step;
		if (!(s->hi > s->lo))
			s->hi = s->lo + s->step;
		return;
	}
	if (kind == SCALE_LOG10) {
		if (!(hi > 0))
			hi = 1;
		if (!(lo > 0) || lo > hi)
			lo = hi / 1000;
		s->lo = pow(10, floor(log10(lo)));
		s->hi = pow(10, ceil(log10(hi)));
		if (!(s->hi > s->lo))
			s->hi = s->lo * 10;
		return;
	}
	if (!(lo >= 1))
		lo = 1;
	if (!(hi > lo))
		hi = lo * 2;
	s->lo = exp2(floor(log2(lo)));
	s->hi = exp2(ceil(log2(hi)));
	if (!(s->hi > s->lo))
		s->hi = s->lo * 2;
}

double scale_px(const struct scale *s, double v)
{
	double t;

	if (s->kind == SCALE_LINEAR)
		t = (v - s->lo) / (s->hi - s->lo);
	else if (!(v > 0))
		t = 0;
	else
		t = (log(v) - log(s->lo)) / (log(s->hi) - log(s->lo));
	if (!isfinite(t) || t < 0)
		t = 0;
	if (t > 1)
		t = 1;
	return s->p0 + t * (s->p1 - s->p0);
}

void plot_init(struct plot *p, FILE *f, double x, double y, double w, double h)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->x = x, p->y = y, p->w = w, p->h = h;
	p->xs.p0 = x, p->xs.p1 = x + w;
	p->ys.p0 = y + h, p->ys.p1 = y; /* SVG's y grows downwards */
}

void svg_open(FILE *f, const char *id, const char *cls, int width, int height, const char *title)
{
	fputs("<svg xmlns=\"http://www.w3.org/2000/svg\"", f);
	if (id) {
		fputs(" id=\"", f);
		fmt_escape(f, id);
		fputc('"', f);
	}
	fputs(" class=\"", f);
	fmt_escape(f, cls);
	fprintf(f, "\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>",
		width, height, width, height);
	fmt_escape(f, title);
	fputs("</title>\n", f);
}

void svg_close(FILE *f)
{
	fputs("</svg>\n", f);
}

/* The values at which an axis of scale S has ticks; returns how many. */
static size_t ticks(const struct scale *s, double *out, size_t max)
{
	size_t n = 0;

	if (s->kind == SCALE_LINEAR) {
		double step = s->step > 0 ? s->step : nice_step((s->hi - s->lo) / 5);
		double first = ceil(s->lo / step - 1e-9) * step;

		for (double v = first; v <= s->hi + step * 1e-9 && n < max; v += step)
			out[n++] = fabs(v) < step * 1e-9 ? 0 : v;
		return n;
	}
	for (double v = s->lo; v <= s->hi * (1 + 1e-9) && n < max; v *= s->kind == SCALE_LOG10 ? 10 : 2)
		out[n++] = v;
	return n;
}

void svg_axis_x(const struct plot *p, const char *label, tick_fmt fmt, int max_labels)
{
	double t[64], bottom = p->y + p->h;
	size_t n = ticks(&p->xs, t, 64), every;
	char buf[48];

	every = max_labels > 0 && n > (size_t)max_labels ? (n + max_labels - 1) / max_labels : 1;
	for (size_t i = 0; i < n; i++) {
		double x = scale_px(&p->xs, t[i]);

		fprintf(p->f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			x, p->y, x, bottom, x, bottom, x, bottom + 4);
		if (i % every == 0)
			svg_text(p->f, x, bottom + 16, "middle", "tick-label", fmt(t[i], buf, sizeof(buf)), 0);
	}
	fprintf(p->f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		p->x, bottom, p->x + p->w, bottom);
	svg_text(p->f, p->x + p->w / 2, bottom + 32, "middle", "axis-label", label, 0);
}

void svg_axis_y(const struct plot *p, const char *label, tick_fmt fmt)
{
	double t[64];
	size_t n = ticks(&p->ys, t, 64);
	char buf[48];

	for (size_t i = 0; i < n; i++) {
		double y = scale_px(&p->ys, t[i]);

		fprintf(p->f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			p->x, y, p->x + p->w, y, p->x - 4, y, p->x, y);
		svg_text(p->f, p->x - 7, y + 4, "end", "tick-label", fmt(t[i], buf, sizeof(buf)), 0);
	}
	fprintf(p->f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		p->x, p->y, p->x, p->y + p->h);
	fprintf(p->f, "<text class=\"axis-label\" text-anchor=\"middle\" "
		"transform=\"translate(%.1f %.1f) rotate(-90)\">", p->x - 44, p->y + p->h / 2);
	fmt_escape(p->f, label);
	fputs("</text>\n", p->f);
}

void svg_polyline(const struct plot *p, const double *x, const double *y, size_t n,
		  const char *colour, const char *name)
{
	fputs("<polyline class=\"series\" data-name=\"", p->f);
	fmt_escape(p->f, name);
	fprintf(p->f, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colour);
	for (size_t i = 0; i < n; i++)
		fprintf(p->f, "%s%.1f,%.1f", i ? " " : "", scale_px(&p->xs, x[i]), scale_px(&p->ys, y[i]));
	fputs("\"><title>", p->f);
	fmt_escape(p->f, name);
	fputs("</title></polyline>\n", p->f);
}

void svg_rect(FILE *f, double x, double y, double w, double h, const char *colour,
	      const char *cls, const char *tip)
{
	if (!(w >= 0))
		w = 0;
	if (!(h >= 0))
		h = 0;
	fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">",
		cls, x, y, w, h, colour);
	if (tip) {
		fputs("<title>", f);
		fmt_escape(f, tip);
		fputs("</title>", f);
	}
	fputs("</rect>\n", f);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void svg_text(FILE *f, double x, double y, const char *anchor, const char *cls,
	      const char *text, size_t max_chars)
{
	fprintf(f, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", cls, x, y, anchor);
	fmt_escape_max(f, text, max_chars);
	if (max_chars && text && utf8_chars(text) > max_chars) {
		fputs("<title>", f); /* the whole name as a tooltip */
		fmt_escape(f, text);
		fputs("</title>", f);
	}
	fputs("</text>\n", f);
}

void svg_marker(const struct plot *p, double x, const char *colour, const char *label, int row)
{
	double px = scale_px(&p->xs, x), ty = p->y - 18 + 13 * row;

	fprintf(p->f, "<line class=\"marker\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n",
		px, ty + 3, px, p->y + p->h, colour);
	fprintf(p->f, "<text class=\"marker-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		"fill=\"%s\" style=\"fill:%s\">", px, ty, colour, colour);
	fmt_escape(p->f, label);
	fputs("</text>\n", p->f);
}

void svg_legend(FILE *f, double x, double y, const struct legend_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double ry = y + 18.0 * i;
		const char *name = items[i].name ? items[i].name : "";

		fputs("<g class=\"legend-item\" data-name=\"", f);
		fmt_escape(f, name);
		fprintf(f, "\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-width=\"3\"/>", x, ry, x + 18, ry, items[i].colour);
		fprintf(f, "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">", x + 24, ry + 4);
		fmt_escape_max(f, name, 20);
		if (items[i].note) {
			fputs("<tspan class=\"legend-note\"> ", f);
			fmt_escape(f, items[i].note);
			fputs("</tspan>", f);
		}
		if (utf8_chars(name) > 20) {
			fputs("<title>", f);
			fmt_escape(f, name);
			fputs("</title>", f);
		}
		fputs("</text></g>\n", f);
	}
}
