/* Advice: the biggest exit sources the run recorded (the --stats
 * "advice" list), what the guest was doing and what removes them. */
#include "report/fmt.h"
#include "report/jget.h"
#include "report/markup.h"
#include "report/sections.h"

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
	html_table_open(f, "advice", "source|>exits|>share|what the guest does|what removes them");
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
		fputs("</tr>\n", f);
	}
	html_table_close(f);
}
