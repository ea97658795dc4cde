#include "report/jget.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_object *member(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

json_object *jobj(json_object *o, const char *key)
{
	return member(o, key, json_type_object);
}

json_object *jarr(json_object *o, const char *key)
{
	return member(o, key, json_type_array);
}

const char *jstr(json_object *o, const char *key)
{
	json_object *v = member(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

bool jnum(json_object *o, const char *key, double *v)
{
	json_object *n = member(o, key, json_type_int);
	double d;

	if (!n)
		n = member(o, key, json_type_double);
	if (!n)
		return false;
	d = json_object_get_double(n);
	if (!isfinite(d))
		return false;
	*v = d;
	return true;
}

bool juint(json_object *o, const char *key, uint64_t max, uint64_t *v)
{
	double d;

	/* 0x1p64 is the first double a uint64_t cannot hold. */
	if (!jnum(o, key, &d) || d < 0 || d >= 0x1p64 || d != floor(d) || (uint64_t)d > max)
		return false;
	*v = (uint64_t)d;
	return true;
}

double jcount(json_object *o, const char *key)
{
	double v = 0;

	return jnum(o, key, &v) && v > 0 ? v : 0;
}

struct keyed_member {
	const char *name;
	json_object *val;
	double key;
};

static int by_key_desc(const void *a, const void *b)
{
	const struct keyed_member *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return strcmp(x->name, y->name);
}

size_t sorted_members(json_object *obj, const char *key, const char ***names, json_object ***vals)
{
	size_t n = 0, cap;
	struct keyed_member *m;

	*names = NULL;
	*vals = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object))
		return 0;
	cap = (size_t)json_object_object_length(obj);
	if (cap == 0 || !(m = calloc(cap, sizeof(*m))))
		return 0;
	json_object_object_foreach(obj, k, v) {
		if (n < cap && json_object_is_type(v, json_type_object))
			m[n++] = (struct keyed_member){ k, v, jcount(v, key) };
	}
	qsort(m, n, sizeof(*m), by_key_desc);
	*names = calloc(n ? n : 1, sizeof(**names));
	*vals = calloc(n ? n : 1, sizeof(**vals));
	if (!*names || !*vals) {
		free(*names);
		free(*vals);
		*names = NULL;
		*vals = NULL;
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		(*names)[i] = m[i].name;
		(*vals)[i] = m[i].val;
	}
	free(m);
	return n;
}
