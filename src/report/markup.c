#include "report/markup.h"

#include <string.h>

#include "report/fmt.h"
#include "report/jget.h"

void html_missing(FILE *f, const char *what, const char *why)
{
	fputs("<p class=\"missing\">", f);
	fmt_escape(f, what);
	fputs(": not recorded (", f);
	fmt_escape(f, why);
	fputs(")</p>\n", f);
}

const char *why_missing(json_object *stats, const char *key, const char *default_why)
{
	const char *why = jstr(stats, key);

	return why && why[0] ? why : default_why;
}

void html_table_open(FILE *f, const char *cls, const char *headers)
{
	const char *h = headers;

	fprintf(f, "<table class=\"%s\"><thead><tr>", cls);
	while (*h) {
		size_t n = strcspn(h, "|");
		int num = *h == '>';

		fprintf(f, "<th%s>%.*s</th>", num ? " class=\"num\"" : "", (int)(n - num), h + num);
		h += n + (h[n] == '|');
	}
	fputs("</tr></thead><tbody>\n", f);
}

void html_table_close(FILE *f)
{
	fputs("</tbody></table>\n", f);
}

void html_td(FILE *f, const char *text)
{
	fputs("<td>", f);
	fmt_escape(f, text);
	fputs("</td>", f);
}

void html_td_num(FILE *f, const char *text)
{
	fputs("<td class=\"num\">", f);
	fmt_escape(f, text);
	fputs("</td>", f);
}
