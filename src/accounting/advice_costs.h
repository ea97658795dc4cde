/* What one exit of each kind costs on this host, as `warden bench exits
 * --json` measured it: the advice's savings in time come from there
 * (`warden run --advice-costs FILE`), never from figures built into
 * warden. */
#ifndef WARDEN_ACCOUNTING_ADVICE_COSTS_H
#define WARDEN_ACCOUNTING_ADVICE_COSTS_H

#include <stdbool.h>

#define ADVICE_COSTS_MAX_ROWS 32

struct advice_cost_row {
	char name[32];
	double ns; /* the guest-seen round trip of one iteration, median */
};

struct advice_costs {
	char path[256];
	char tier[32];
	char date[32];
	unsigned nrows;
	struct advice_cost_row row[ADVICE_COSTS_MAX_ROWS];
};

/* Read PATH (a `warden bench exits --json` file): its measured rows.  A
 * file that is not one gives a user error (-1). */
int advice_costs_load(const char *path, struct advice_costs *c);
/* The median ns of row NAME, or false when the file has no measurement. */
bool advice_cost_of(const struct advice_costs *c, const char *name, double *ns);

#endif
