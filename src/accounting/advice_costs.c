/* Loading `warden bench exits --json` for the advice (advice_costs.h). */
#include "accounting/advice_costs.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

static const char *str_at(json_object *o, const char *k1, const char *k2)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k1, &v))
		return NULL;
	if (k2 && !json_object_object_get_ex(v, k2, &v))
		return NULL;
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Row ROW's guest-seen median ns, if it was measured. */
static bool row_ns(json_object *row, double *ns)
{
	json_object *g, *n, *m;
	const char *status = str_at(row, "status", NULL);

	if (!status || strcmp(status, "measured") != 0 || !json_object_object_get_ex(row, "guest", &g) ||
	    !json_object_object_get_ex(g, "ns", &n) || !json_object_object_get_ex(n, "median", &m) ||
	    !(json_object_is_type(m, json_type_double) || json_object_is_type(m, json_type_int)))
		return false;
	*ns = json_object_get_double(m);
	return isfinite(*ns) && *ns > 0;
}

int advice_costs_load(const char *path, struct advice_costs *c)
{
	json_object *root = json_object_from_file(path), *rows;
	const char *kind;
	int st = -1;

	memset(c, 0, sizeof(*c));
	if (!root)
		return fail(ERR_USAGE, "--advice-costs %s: cannot read it as JSON", path);
	kind = str_at(root, "experiment", NULL);
	if (!kind || strcmp(kind, "bench-exits") != 0 || !json_object_object_get_ex(root, "rows", &rows) ||
	    !json_object_is_type(rows, json_type_array)) {
		fail(ERR_USAGE, "--advice-costs %s: not the JSON of `warden bench exits --json`", path);
		goto out;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->tier, sizeof(c->tier), "%s", str_at(root, "tier", "name") ? str_at(root, "tier", "name") : "?");
	snprintf(c->date, sizeof(c->date), "%s", str_at(root, "date", NULL) ? str_at(root, "date", NULL) : "?");
	for (size_t i = 0; i < json_object_array_length(rows) && c->nrows < ADVICE_COSTS_MAX_ROWS; i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		const char *name = str_at(row, "name", NULL);
		double ns;

		if (name && row_ns(row, &ns)) {
			snprintf(c->row[c->nrows].name, sizeof(c->row[0].name), "%s", name);
			c->row[c->nrows++].ns = ns;
		}
	}
	st = 0;
out:
	json_object_put(root);
	return st;
}

bool advice_cost_of(const struct advice_costs *c, const char *name, double *ns)
{
	for (unsigned i = 0; c && name && i < c->nrows; i++)
		if (strcmp(c->row[i].name, name) == 0) {
			*ns = c->row[i].ns;
			return true;
		}
	return false;
}
