/* The exit-rate timeline: exits per second by reason over the run, one
 * line per reason (the 8 largest, the rest summed as "other"), from the
 * interval lines. One plot per source: warden, KVM's statistics, the
 * exit trace. */
#include <stdlib.h>
#include <string.h>

#include "report/fmt.h"
#include "report/jget.h"
#include "report/markup.h"
#include "report/sections.h"
#include "report/svg.h"

#define TOP_SERIES 8

struct series {
	const char *name; /* a key of the interval objects, or "other" */
	double total;     /* exits over the whole run */
	double *rate;     /* exits per second, one per interval */
};

struct timeline {
	size_t n;      /* intervals */
	double *t, *dt; /* end of each interval and its length, seconds */
	struct series *s;
	size_t ns, cap;
};

/* Interval times: t_s, or the previous end plus dt_s; dt_s, or the step
 * between ends, or 1 s when nothing says. */
static int timeline_times(struct timeline *tl, const struct report_input *in)
{
	double prev = 0;

	tl->n = in->nintervals;
	tl->t = calloc(tl->n, sizeof(double));
	tl->dt = calloc(tl->n, sizeof(double));
	if (!tl->t || !tl->dt)
		return -1;
	for (size_t i = 0; i < tl->n; i++) {
		double t, dt;
		int has_t = jnum(in->interval[i], "t_s", &t), has_dt = jnum(in->interval[i], "dt_s", &dt);

		if (!has_dt || !(dt > 0))
			dt = has_t && t > prev ? t - prev : 1;
		if (!has_t)
			t = prev + dt;
		tl->t[i] = t;
		tl->dt[i] = dt;
		prev = t;
	}
	return 0;
}

static struct series *series_get(struct timeline *tl, const char *name)
{
	for (size_t i = 0; i < tl->ns; i++)
		if (strcmp(tl->s[i].name, name) == 0)
			return &tl->s[i];
	if (tl->ns == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 16;
		struct series *s = realloc(tl->s, cap * sizeof(*s));

		if (!s)
			return NULL;
		tl->s = s;
		tl->cap = cap;
	}
	tl->s[tl->ns] = (struct series){ name, 0, calloc(tl->n, sizeof(double)) };
	if (!tl->s[tl->ns].rate)
		return NULL;
	return &tl->s[tl->ns++];
}

/* Every number under KEY in every interval whose name contains ONLY
 * (NULL: all); returns the intervals that had KEY, or -1 when out of
 * memory. */
static long timeline_fill(struct timeline *tl, const struct report_input *in, const char *key,
			  const char *only)
{
	long present = 0;

	for (size_t i = 0; i < tl->n; i++) {
		json_object *o = jobj(in->interval[i], key);

		if (!o)
			continue;
		present++;
		json_object_object_foreach(o, name, v) {
			double c = jcount(o, name);
			struct series *s;

			(void)v;
			if (c == 0 || (only && !strstr(name, only)))
				continue;
			if (!(s = series_get(tl, name)))
				return -1;
			s->rate[i] = c / tl->dt[i];
			s->total += c;
		}
	}
	return present;
}

static int by_total(const void *a, const void *b)
{
	const struct series *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The largest TOP_SERIES series stay; the others are summed into one. */
static void timeline_fold(struct timeline *tl)
{
	struct series *other;

	qsort(tl->s, tl->ns, sizeof(*tl->s), by_total);
	if (tl->ns <= TOP_SERIES)
		return;
	other = &tl->s[TOP_SERIES];
	for (size_t j = TOP_SERIES + 1; j < tl->ns; j++) {
		for (size_t i = 0; i < tl->n; i++)
			other->rate[i] += tl->s[j].rate[i];
		other->total += tl->s[j].total;
		free(tl->s[j].rate);
	}
	other->name = "other";
	tl->ns = TOP_SERIES + 1;
}

static void timeline_free(struct timeline *tl)
{
	for (size_t i = 0; i < tl->ns; i++)
		free(tl->s[i].rate);
	free(tl->s);
	free(tl->t);
	free(tl->dt);
}

static void timeline_plot(FILE *f, const struct timeline *tl, const char *id, const char *title)
{
	struct legend_item items[TOP_SERIES + 1];
	char notes[TOP_SERIES + 1][40];
	double lo = 0, hi = 0, tmax = 0;
	struct plot p;

	for (size_t j = 0; j < tl->ns; j++)
		for (size_t i = 0; i < tl->n; i++) {
			double r = tl->s[j].rate[i];

			if (r > 0 && (lo == 0 || r < lo))
				lo = r;
			if (r > hi)
				hi = r;
		}
	for (size_t i = 0; i < tl->n; i++)
		if (tl->t[i] > tmax)
			tmax = tl->t[i];
	svg_open(f, id, "plot timeline", 1180, 330, title);
	plot_init(&p, f, 80, 16, 850, 256);
	scale_fit(&p.xs, SCALE_LINEAR, 0, tmax);
	p.xs.p0 = p.x, p.xs.p1 = p.x + p.w;
	scale_fit(&p.ys, SCALE_LOG10, lo / 10, hi); /* a decade under the lowest: zero stands apart */
	p.ys.p0 = p.y + p.h, p.ys.p1 = p.y;
	svg_axis_x(&p, "time since the VM started (s)", fmt_plain, 14);
	svg_axis_y(&p, "exits per second (log scale)", fmt_si);
	for (size_t j = 0; j < tl->ns; j++) {
		const char *colour = strcmp(tl->s[j].name, "other") == 0 && j == TOP_SERIES
					     ? SVG_OTHER : svg_colour((unsigned)j);

		svg_polyline(&p, tl->t, tl->s[j].rate, tl->n, colour, tl->s[j].name);
		fmt_count(tl->s[j].total, notes[j], sizeof(notes[j]));
		items[j] = (struct legend_item){ tl->s[j].name, colour, notes[j] };
	}
	svg_text(f, 955, 20, "start", "axis-label", "reason (exits in the run)", 0);
	svg_legend(f, 955, 40, items, tl->ns);
	svg_close(f);
}

/* One source's plot, or why there is none. */
static void timeline_source(FILE *f, const struct report_input *in, const char *key,
			    const char *id, const char *title, const char *why_missing,
			    const char *note)
{
	struct timeline tl = { 0 };
	long present;

	fputs("<h3>", f);
	fmt_escape(f, title);
	fputs("</h3>\n", f);
	/* KVM's statistics also hold times and non-exit events: keep exits */
	if (timeline_times(&tl, in) < 0 ||
	    (present = timeline_fill(&tl, in, key, strcmp(key, "kvm") == 0 ? "exits" : NULL)) < 0) {
		html_missing(f, title, "out of memory while reading it");
	} else if (present == 0) {
		html_missing(f, title, why_missing);
	} else if (tl.ns == 0) {
		fputs("<p class=\"note\">No exits in any interval.</p>\n", f);
	} else {
		timeline_fold(&tl);
		timeline_plot(f, &tl, id, title);
		if (note)
			fprintf(f, "<p class=\"note\">%s</p>\n", note);
	}
	timeline_free(&tl);
}

void section_timeline(FILE *f, const struct report_input *in)
{
	fputs("<h2 id=\"sec-timeline\">Exit rate over time</h2>\n", f);
	if (in->nintervals == 0) {
		html_missing(f, "Timeline", "the file has no interval lines; warden writes one per "
			     "sampling interval with --stats-trace");
		return;
	}
	fputs("<p class=\"note\">Each point is the rate over one sampling interval; the 8 largest "
	      "reasons get a line each, the rest are summed as \"other\". Zero rates sit on the "
	      "bottom axis.</p>\n", f);
	timeline_source(f, in, "warden", "timeline", "Exits that reached warden",
			"no interval line has a \"warden\" object", NULL);
	timeline_source(f, in, "kvm", "timeline-kvm", "Exits KVM counted (binary statistics)",
			WHY_NO_KVM_STATS(in->stats),
			"In KVM's statistics, \"exits\" counts every exit; the other lines are "
			"categories of it.");
	timeline_source(f, in, "trace", "timeline-trace", "Hardware exits by reason (exit trace)",
			WHY_NO_TRACE(in->stats), NULL);
}
