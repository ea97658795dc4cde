/* The sections of the report page, which html.c puts together. Each
 * writes to F and says "not recorded (why)" for missing data, with the
 * building blocks of markup.h; no section calls html.c or another
 * section. */
#ifndef WARDEN_REPORT_SECTIONS_H
#define WARDEN_REPORT_SECTIONS_H

#include <json-c/json.h>
#include <stdio.h>

#include "report/input.h"

void section_header(FILE *f, const struct report_input *in);
void section_timeline(FILE *f, const struct report_input *in);
void section_latency(FILE *f, json_object *stats);
void section_cost(FILE *f, json_object *stats);
void section_attribution(FILE *f, json_object *stats);
void section_kvm(FILE *f, json_object *stats);
void section_advice(FILE *f, json_object *stats);
/* Only for a run that ended badly (the "crash" object). */
void section_crash(FILE *f, json_object *stats);

#endif
