/* The observatory's figures as JSON (schema "warden-stats/2"): written by
 * --stats FILE.json and as the final line of --stats-trace. */
#ifndef WARDEN_ACCOUNTING_STATS_JSON_H
#define WARDEN_ACCOUNTING_STATS_JSON_H

#include <json-c/json.h>

#include "accounting/exit_stats.h"

/* NULL when out of memory. */
json_object *stats_json_build(const struct stats_report *r);

#endif
