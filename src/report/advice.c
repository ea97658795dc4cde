/* Advice: the biggest exit sources the run recorded (the --stats
 * "advice" list), what the guest was doing and what removes them. */
#include "report/fmt.h"
#include "report/jget.h"
#include "report/markup.h"
#include "report/sections.h"

/* The saving the lab measured on the run's host (warden run
 * --advice-costs), with the two rows it comes from; "-" without. */
static void saving_cell(FILE *f, json_object *o)
{
	json_object *s = jobj(o, "saving");
	double ns = 0, e = 0, i = 0;
	char b[160];

	if (!s || !jnum(s, "ns", &ns) || !jnum(s, "exit_ns", &e) || !jnum(s, "instead_ns", &i)) {
		html_td_num(f, "-");
		return;
	}
	snprintf(b, sizeof(b), "%.1f (%s %.2f us - %s %.2f us)", ns / 1e6,
		 jstr(s, "exit_row") ? jstr(s, "exit_row") : "?", e / 1e3,
		 jstr(s, "instead_row") ? jstr(s, "instead_row") : "?", i / 1e3);
	html_td_num(f, b);
}

void section_advice(FILE *f, json_object *stats)
{
	json_object *list = jarr(stats, "advice");
	size_t n = list ? json_object_array_length(list) : 0;
	char a[48], b[48];

	fputs("<h2 id=\"sec-advice\">Advice</h2>\n", f);
	if (!list) {
		html_missing(f, "Advice", "written by warden versions that give advice");
		return;
	}
	if (!n) {
		fputs("<p class=\"note\">No exit source big enough to advise on (at least 2% of all "
		      "exits and 50 of them).</p>\n", f);
		return;
	}
	html_table_open(f, "advice", "source|>exits|>share|what the guest does|what removes them|"
				     ">saving measured (ms)");
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(list, i);
		double share = 0;

		fputs("<tr>", f);
		html_td(f, jstr(o, "source") ? jstr(o, "source") : "?");
		html_td_num(f, fmt_count(jcount(o, "exits"), a, sizeof(a)));
		jnum(o, "share", &share);
		html_td_num(f, fmt_pct(share, 1.0, b, sizeof(b)));
		html_td(f, jstr(o, "what") ? jstr(o, "what") : "");
		html_td(f, jstr(o, "fix") ? jstr(o, "fix") : "");
		saving_cell(f, o);
		fputs("</tr>\n", f);
	}
	html_table_close(f);
}
