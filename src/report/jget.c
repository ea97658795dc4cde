#include "report/jget.h"

#include <math.h>

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

double jcount(json_object *o, const char *key)
{
	double v = 0;

	return jnum(o, key, &v) && v > 0 ? v : 0;
}
