/* HTML building blocks the sections of the page share: the note for
 * data that was not recorded, and tables. Below the sections, above
 * fmt (escaping); they call nothing in the sections or the page. */
#ifndef WARDEN_REPORT_MARKUP_H
#define WARDEN_REPORT_MARKUP_H

#include <json-c/json.h>
#include <stdio.h>

/* Why a source is missing: the writer's own words (the string KEY of
 * STATS, e.g. "exit_trace_missing"), or DEFAULT_WHY. */
const char *why_missing(json_object *stats, const char *key, const char *default_why);
#define WHY_NO_TRACE(stats) why_missing(stats, "exit_trace_missing", "needs --exit-trace")
#define WHY_NO_KVM_STATS(stats)                                                                   \
	why_missing(stats, "kvm_stats_missing",                                                   \
		    "the host's KVM has no binary statistics: KVM_GET_STATS_FD needs Linux 5.14+")

/* <p class="missing">WHAT: not recorded (WHY)</p> */
void html_missing(FILE *f, const char *what, const char *why);
/* A table whose header cells are HEADERS separated by '|'; a header
 * starting with '>' is a right-aligned number column. */
void html_table_open(FILE *f, const char *cls, const char *headers);
void html_table_close(FILE *f);
void html_td(FILE *f, const char *text);      /* escaped text cell */
void html_td_num(FILE *f, const char *text);  /* right-aligned cell */

#endif
