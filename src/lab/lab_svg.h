/* The SVG figures of `warden lab NAME --svg FILE`: a standalone document
 * (header with the stylesheet report/svg.h's classes need, footer) and the
 * few marks the lab draws that the report's plotting helpers (report/svg.h:
 * scales, axes with ticks, legend, text, escaping) do not: a series with
 * gaps, dashed or with dots, a bar, a labelled cell.  Use both headers'
 * functions; every figure goes through them, so no experiment draws on
 * its own.  Each mark carries `class` and `data-series` attributes that
 * the tests count. */
#ifndef WARDEN_LAB_LAB_SVG_H
#define WARDEN_LAB_LAB_SVG_H

#include <stdio.h>

#include "report/svg.h"

/* Opens PATH and writes the header: W x H pixels, white, TITLE as the
 * document's <title>.  NULL (fail(ERR_USAGE, "cannot write --svg ...")
 * said why) when PATH cannot be written. */
FILE *lab_svg_open(const char *path, int w, int h, const char *title);
/* Writes the footer and closes F: 0, or -1 (fail() said why). */
int lab_svg_close(FILE *f, const char *path);

/* A plot area at X, Y (W x H pixels) with its scales fitted to the data
 * ranges (scale_fit), its frame, grid, ticks and axis labels, and TITLE
 * above it.  FX, FY format the tick labels (report/fmt.h: fmt_si,
 * fmt_ns_tick, fmt_plain). */
struct lab_axes {
	enum scale_kind xk, yk;
	double xlo, xhi, ylo, yhi;
	const char *title, *xlabel, *ylabel;
	tick_fmt fx, fy;
};
void lab_svg_plot(struct plot *p, FILE *f, double x, double y, double w, double h, const struct lab_axes *a);

/* A tick_fmt that writes nothing: for an axis of categories, named by
 * the caller under it. */
const char *lab_svg_no_label(double v, char *buf, size_t len);

/* Series styles, or-ed. */
enum { LAB_SVG_LINE = 1, LAB_SVG_DASHED = 2, LAB_SVG_DOTS = 4 };
/* N points through P's scales; points whose x or y is not finite are left
 * out (the line is drawn through the rest).  A dot is a
 * <circle class="point" data-series=NAME>. */
void lab_svg_series(const struct plot *p, const double *x, const double *y, size_t n, const char *colour,
		    const char *name, unsigned style);
/* A bar of P's at data x X (centre), WIDTH pixels wide, from P's x axis up
 * to data y V, with LABEL (may be NULL) above it: <rect class="bar"
 * data-series=NAME>.  Not drawn when V is not finite. */
void lab_svg_bar(const struct plot *p, double x, double width, double v, const char *colour, const char *name,
		 const char *label);
/* An open ring of class CLS named NAME at pixels X, Y: a point marked
 * on a plot (a measured crossover). */
void lab_svg_ring(FILE *f, double x, double y, const char *colour, const char *cls, const char *name);
/* A cell of a grid figure at pixels X, Y (W x H), filled FILL, with TEXT
 * centred in it and TIP as its tooltip: <rect class="cell"
 * data-series=NAME>. */
void lab_svg_cell(FILE *f, double x, double y, double w, double h, const char *fill, const char *name,
		  const char *text, const char *tip);

#endif
