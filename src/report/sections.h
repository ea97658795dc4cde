/* The parts of the report page and the HTML helpers they share. Each
 * section writes to F and says "not recorded (why)" for missing data. */
#ifndef WARDEN_REPORT_SECTIONS_H
#define WARDEN_REPORT_SECTIONS_H

#include <json-c/json.h>
#include <stdio.h>

#include "report/input.h"

/* The whole page. */
void page_write(FILE *f, const struct report_input *in);

void section_header(FILE *f, const struct report_input *in);
void section_timeline(FILE *f, const struct report_input *in);
void section_latency(FILE *f, json_object *stats);
void section_cost(FILE *f, json_object *stats);
void section_attribution(FILE *f, json_object *stats);
void section_kvm(FILE *f, json_object *stats);

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

/* The members of OBJ (an object of objects) sorted by KEY (a number
 * member, descending; ties by name). Returns how many; *NAMES and *VALS
 * are malloc'd (NULL when empty). */
size_t sorted_members(json_object *obj, const char *key, const char ***names,
		      json_object ***vals);

#endif
