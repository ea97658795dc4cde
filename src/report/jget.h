/* Typed, forgiving access to the parsed input: a member of the wrong
 * type counts as absent, so a file from another warden version or a
 * hand-edited one degrades to "not recorded" instead of failing. */
#ifndef WARDEN_REPORT_JGET_H
#define WARDEN_REPORT_JGET_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

json_object *jobj(json_object *o, const char *key);  /* an object, or NULL */
json_object *jarr(json_object *o, const char *key);  /* an array, or NULL */
const char *jstr(json_object *o, const char *key);   /* a string, or NULL */
/* A finite number (integer or double) into *V; false when absent. */
bool jnum(json_object *o, const char *key, double *v);
/* A whole number from 0 to MAX into *V; false when absent, negative,
 * fractional or larger: what a code or an id is, checked before it is
 * converted to an integer (a double out of range is undefined there). */
bool juint(json_object *o, const char *key, uint64_t max, uint64_t *v);
/* The number, or 0 when absent; negative values count as 0. */
double jcount(json_object *o, const char *key);
/* The members of OBJ (an object of objects) sorted by KEY (a number
 * member, descending; ties by name). Returns how many; *NAMES and *VALS
 * are malloc'd (NULL when empty). */
size_t sorted_members(json_object *obj, const char *key, const char ***names,
		      json_object ***vals);

#endif
