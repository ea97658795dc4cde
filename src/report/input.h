/* The --stats-trace file: JSON Lines, one "interval" object per sampling
 * interval and a "final" object holding the --stats figures. */
#ifndef WARDEN_REPORT_INPUT_H
#define WARDEN_REPORT_INPUT_H

#include <json-c/json.h>
#include <stddef.h>

struct report_input {
	const char *path;
	json_object **interval; /* the interval lines, in file order */
	size_t nintervals, cap;
	json_object *final_line;
	json_object *stats;     /* the final line's "stats", or NULL */
};

/* Reads and parses PATH; a line that is not a JSON object is an error
 * naming its line number. Lines of unknown type are skipped. */
int input_read(const char *path, struct report_input *in);
void input_free(struct report_input *in);

#endif
