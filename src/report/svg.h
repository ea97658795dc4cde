/* Small SVG plotting helpers for the report page: scales (linear, log10,
 * log2), axes with ticks and labels, polylines, bars, a legend. Every
 * string that may come from the input file is escaped here. */
#ifndef WARDEN_REPORT_SVG_H
#define WARDEN_REPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

enum scale_kind { SCALE_LINEAR, SCALE_LOG10, SCALE_LOG2 };

/* Maps data values in [lo, hi] to pixels in [p0, p1]. */
struct scale {
	enum scale_kind kind;
	double lo, hi;
	double p0, p1;
	double step; /* linear: distance between ticks (0: chosen by the axis) */
};

/* Nice bounds around [LO, HI]: a linear scale starts at 0 and ends on a
 * tick; log scales end on whole powers (LO <= 0 is raised to HI/10^3 for
 * log10, to 1 for log2). */
void scale_fit(struct scale *s, enum scale_kind kind, double lo, double hi);
/* Pixel of V, clamped to the scale (non-positive values of a log scale
 * land on its low end). */
double scale_px(const struct scale *s, double v);

typedef const char *(*tick_fmt)(double v, char *buf, size_t len);

/* A plot area: X, Y its top-left corner, W x H its size in pixels. */
struct plot {
	FILE *f;
	double x, y, w, h;
	struct scale xs, ys;
};

void plot_init(struct plot *p, FILE *f, double x, double y, double w, double h);

/* <svg> with a stable ID (may be NULL) and CLASS; TITLE is its tooltip. */
void svg_open(FILE *f, const char *id, const char *cls, int width, int height, const char *title);
void svg_close(FILE *f);

/* The frame, ticks, grid lines and tick labels of each axis; LABEL names
 * the axis with its unit. At most MAX_LABELS tick labels are written. */
void svg_axis_x(const struct plot *p, const char *label, tick_fmt fmt, int max_labels);
void svg_axis_y(const struct plot *p, const char *label, tick_fmt fmt);

/* One data series: N points through the plot's scales. */
void svg_polyline(const struct plot *p, const double *x, const double *y, size_t n,
		  const char *colour, const char *name);
/* A rectangle in pixels; TIP (may be NULL) becomes its tooltip. */
void svg_rect(FILE *f, double x, double y, double w, double h, const char *colour,
	      const char *cls, const char *tip);
/* Text at pixel X, Y; ANCHOR is start, middle or end; at most MAX_CHARS
 * characters (0: all). */
void svg_text(FILE *f, double x, double y, const char *anchor, const char *cls,
	      const char *text, size_t max_chars);
/* A dashed vertical marker at data value X with a short LABEL above the
 * plot, in row ROW (0 or 1: leave 30 pixels above the plot area). */
void svg_marker(const struct plot *p, double x, const char *colour, const char *label, int row);

struct legend_item {
	const char *name;
	const char *colour;
	const char *note; /* shown after the name, e.g. the total */
};

/* A column of legend entries starting at pixel X, Y. */
void svg_legend(FILE *f, double x, double y, const struct legend_item *items, size_t n);

/* The I-th colour of the palette; "other" series use SVG_OTHER. */
const char *svg_colour(unsigned i);
#define SVG_OTHER "#8c8c8c"
#define SVG_PALETTE_SIZE 8

#endif
