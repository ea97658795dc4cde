#include "api/body.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

/* Deep enough for every resource and for the metadata store (whose own
 * parser allows as much, mmds/store.c); a hostile body cannot recurse
 * far. */
#define BODY_MAX_DEPTH 32

json_object *body_parse(const char *text, size_t len)
{
	struct json_tokener *tok;
	json_object *o;
	enum json_tokener_error e;

	if (!text || len == 0)
		return fail(ERR_USAGE, "the request needs a JSON body"), NULL;
	if (len > INT_MAX)
		return fail(ERR_USAGE, "the request body is too large"), NULL;
	tok = json_tokener_new_ex(BODY_MAX_DEPTH);
	if (!tok)
		return fail(ERR_HOST, "out of memory"), NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT); /* no trailing commas, as serde */
	o = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	/* Nothing but white space may follow the object (TEXT need not end
	 * in a NUL: a --config-file's bytes do not). */
	for (size_t i = (size_t)tok->char_offset; o && e == json_tokener_success && i < len; i++)
		if (!strchr(" \t\r\n", text[i]) || !text[i])
			e = json_tokener_error_parse_unexpected;
	json_tokener_free(tok);
	if (e != json_tokener_success) {
		json_object_put(o);
		return fail(ERR_USAGE, "the body is not valid JSON: %s",
			    e == json_tokener_continue ? "it ends too early" : json_tokener_error_desc(e)), NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return fail(ERR_USAGE, "the body must be a JSON object"), NULL;
	}
	return o;
}

static const char *type_name(enum body_type t)
{
	switch (t) {
	case BODY_STRING: return "a string";
	case BODY_BOOL: return "a boolean";
	case BODY_UINT: return "a non-negative integer";
	case BODY_OBJECT: return "an object";
	case BODY_ARRAY: return "an array";
	}
	return "?";
}

static bool has_type(json_object *v, enum body_type t)
{
	switch (t) {
	case BODY_STRING: return json_object_is_type(v, json_type_string);
	case BODY_BOOL: return json_object_is_type(v, json_type_boolean);
	/* json-c reads 2^63 and above as uint64, negative numbers as int64 < 0. */
	case BODY_UINT: return json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0;
	case BODY_OBJECT: return json_object_is_type(v, json_type_object);
	case BODY_ARRAY: return json_object_is_type(v, json_type_array);
	}
	return false;
}

static const struct body_field *find(const struct body_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

int body_check(json_object *o, const struct body_field *fields, size_t n, const char *what)
{
	json_object_object_foreach(o, key, val) {
		const struct body_field *f = find(fields, n, key);

		if (!f)
			return fail(ERR_USAGE, "%s: unknown field '%.64s'", what, key);
		if (val && !has_type(val, f->type))
			return fail(ERR_USAGE, "%s: field '%s' must be %s", what, key, type_name(f->type));
		/* JSON may hide a NUL in a string (\u0000): a C string would end there. */
		if (val && f->type == BODY_STRING &&
		    strlen(json_object_get_string(val)) != (size_t)json_object_get_string_len(val))
			return fail(ERR_USAGE, "%s: field '%s' holds a NUL character", what, key);
	}
	for (size_t i = 0; i < n; i++)
		if (fields[i].required && !json_object_object_get(o, fields[i].name))
			return fail(ERR_USAGE, "%s: missing field '%s'", what, fields[i].name);
	return 0;
}

const char *body_string(json_object *o, const char *name)
{
	json_object *v = json_object_object_get(o, name);

	return v ? json_object_get_string(v) : NULL;
}

bool body_bool(json_object *o, const char *name, bool def)
{
	json_object *v = json_object_object_get(o, name);

	return v ? json_object_get_boolean(v) : def;
}

json_object *body_object(json_object *o, const char *name)
{
	return json_object_object_get(o, name);
}

int body_uint(json_object *o, const char *name, uint64_t min, uint64_t max, uint64_t def, uint64_t *out)
{
	json_object *v = json_object_object_get(o, name);
	uint64_t x;

	if (!v) {
		*out = def;
		return 0;
	}
	x = json_object_get_uint64(v);
	if (x < min || x > max)
		return fail(ERR_USAGE, "field '%s' is %llu: it must be from %llu to %llu", name,
			    (unsigned long long)x, (unsigned long long)min, (unsigned long long)max);
	*out = x;
	return 0;
}

int body_check_id(const char *id, const char *what)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64 || strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
		return fail(ERR_USAGE, "%s '%.64s' is not 1 to 64 letters, digits or '_'", what, id);
	return 0;
}

int body_same_id(const char *path_id, json_object *o, const char *field)
{
	const char *body_id = body_string(o, field);

	if (!body_id || strcmp(path_id, body_id) != 0)
		return fail(ERR_USAGE, "The id from the path [%s] does not match the id from the body [%.64s]!",
			    path_id, body_id ? body_id : "");
	return 0;
}

static int token_bucket(json_object *tb, const char *where, struct bucket_spec *b)
{
	static const struct body_field fields[] = {
		{ "size", BODY_UINT, true }, { "one_time_burst", BODY_UINT, false },
		{ "refill_time", BODY_UINT, true },
	};
	char why[160];

	if (BODY_CHECK(tb, fields, where) < 0)
		return -1;
	if (body_uint(tb, "size", 0, BUCKET_MAX_TOKENS, 0, &b->size) < 0 ||
	    body_uint(tb, "one_time_burst", 0, BUCKET_MAX_TOKENS, 0, &b->burst) < 0 ||
	    body_uint(tb, "refill_time", 0, BUCKET_MAX_REFILL_MS, 0, &b->refill_ms) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg()); /* fail() writes where err_msg() points */
		return fail(ERR_USAGE, "%s: %s", where, why);
	}
	return 0;
}

int body_rate_limiter(json_object *o, const char *field, const char *what, struct rate_update *u)
{
	static const struct body_field fields[] = {
		{ "bandwidth", BODY_OBJECT, false }, { "ops", BODY_OBJECT, false },
	};
	json_object *rl = json_object_object_get(o, field), *bw, *ops;
	char where[96];

	*u = (struct rate_update){ 0 };
	if (!rl)
		return 0;
	snprintf(where, sizeof(where), "%s: %s", what, field);
	if (BODY_CHECK(rl, fields, where) < 0)
		return -1;
	bw = json_object_object_get(rl, "bandwidth");
	ops = json_object_object_get(rl, "ops");
	snprintf(where, sizeof(where), "%s: %s.bandwidth", what, field);
	if (bw && token_bucket(bw, where, &u->v.bw) < 0)
		return -1;
	snprintf(where, sizeof(where), "%s: %s.ops", what, field);
	if (ops && token_bucket(ops, where, &u->v.ops) < 0)
		return -1;
	u->set_bw = bw != NULL;
	u->set_ops = ops != NULL;
	return 0;
}

int body_check_path(const char *path, const char *what)
{
	size_t n = strlen(path);

	if (n == 0)
		return fail(ERR_USAGE, "%s is empty", what);
	if (n >= PATH_MAX)
		return fail(ERR_USAGE, "%s is longer than %d bytes", what, PATH_MAX - 1);
	return 0;
}
