#include "report/input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/jget.h"
#include "util/error.h"

static int add_interval(struct report_input *in, json_object *o)
{
	if (in->nintervals == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 64;
		json_object **n = realloc(in->interval, cap * sizeof(*n));

		if (!n)
			return fail(ERR_HOST, "out of memory");
		in->interval = n;
		in->cap = cap;
	}
	in->interval[in->nintervals++] = o;
	return 0;
}

/* One whole line as a JSON value (trailing garbage is an error too). */
static json_object *parse_line(const char *path, size_t lineno, const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o;
	enum json_tokener_error e;

	if (!tok) {
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)len);
	e = json_tokener_get_error(tok);
	if (e == json_tokener_continue)
		e = json_tokener_error_parse_eof; /* the line ended inside a value */
	if (e == json_tokener_success && json_tokener_get_parse_end(tok) < len)
		e = json_tokener_error_parse_unexpected;
	json_tokener_free(tok);
	if (e != json_tokener_success) {
		json_object_put(o);
		fail(ERR_USAGE, "%s: line %zu: malformed JSON (%s)", path, lineno, json_tokener_error_desc(e));
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		fail(ERR_USAGE, "%s: line %zu: not a JSON object", path, lineno);
		return NULL;
	}
	return o;
}

/* Files end up here: an interval, the final figures, or something newer. */
static int take_line(struct report_input *in, size_t lineno, json_object *o)
{
	const char *type = jstr(o, "type");

	if (type && strcmp(type, "interval") == 0)
		return add_interval(in, o);
	if (type && strcmp(type, "final") == 0) {
		json_object *stats = jobj(o, "stats");

		if (!stats) {
			json_object_put(o);
			return fail(ERR_USAGE, "%s: line %zu: final line without a \"stats\" object", in->path, lineno);
		}
		json_object_put(in->final_line); /* the last final line wins */
		in->final_line = o;
		in->stats = stats;
		return 0;
	}
	json_object_put(o);
	return 0;
}

static int read_lines(FILE *f, struct report_input *in)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int r = 0;

	errno = 0;
	while (r == 0 && (n = getline(&line, &cap, f)) >= 0) {
		json_object *o;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
				 line[n - 1] == '\t'))
			n--;
		line[n] = 0;
		if (strspn(line, " \t") == (size_t)n)
			continue; /* blank line */
		o = parse_line(in->path, lineno, line, (size_t)n);
		r = o ? take_line(in, lineno, o) : -1;
		errno = 0;
	}
	if (r == 0 && ferror(f))
		r = fail_errno(ERR_USAGE, "cannot read %s", in->path);
	free(line);
	return r;
}

int input_read(const char *path, struct report_input *in)
{
	FILE *f;
	int r;

	memset(in, 0, sizeof(*in));
	in->path = path;
	f = fopen(path, "r");
	if (!f)
		return fail_errno(ERR_USAGE, "cannot open %s", path);
	r = read_lines(f, in);
	fclose(f);
	if (r == 0 && !in->stats && in->nintervals == 0)
		r = fail(ERR_USAGE, "%s: no interval or final line (not a --stats-trace file?)", path);
	if (r < 0)
		input_free(in);
	return r;
}

void input_free(struct report_input *in)
{
	for (size_t i = 0; i < in->nintervals; i++)
		json_object_put(in->interval[i]);
	free(in->interval);
	json_object_put(in->final_line);
	in->interval = NULL;
	in->final_line = NULL;
	in->stats = NULL;
	in->nintervals = in->cap = 0;
}
