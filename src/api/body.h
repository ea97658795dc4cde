/* The one place a request body is checked before use: every field of an
 * object against the resource's table (known name, JSON type, present
 * when required), then each value's range as it is read.  Messages are
 * one line naming the field; they go back as the fault_message. */
#ifndef WARDEN_API_BODY_H
#define WARDEN_API_BODY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio/rate_limit.h"

enum body_type { BODY_STRING, BODY_BOOL, BODY_UINT, BODY_OBJECT, BODY_ARRAY };

struct body_field {
	const char *name;
	enum body_type type;
	bool required;
};

/* Parse LEN bytes of TEXT as one JSON object (depth and size bounded);
 * NULL with fail(ERR_USAGE) otherwise. */
json_object *body_parse(const char *text, size_t len);

/* Every key of O is in FIELDS (N of them) with the field's type (JSON
 * null counts as absent), and every required field is there.  WHAT names
 * the object in messages ("/machine-config").  -1 with fail(ERR_USAGE). */
int body_check(json_object *o, const struct body_field *fields, size_t n, const char *what);
#define BODY_CHECK(o, fields, what) body_check(o, fields, sizeof(fields) / sizeof(fields[0]), what)

/* Readers for a checked object: absent (or null) gives the default. */
const char *body_string(json_object *o, const char *name);
bool body_bool(json_object *o, const char *name, bool def);
json_object *body_object(json_object *o, const char *name);
/* An integer field in [MIN, MAX] (absent: DEF); -1 with fail() outside. */
int body_uint(json_object *o, const char *name, uint64_t min, uint64_t max, uint64_t def, uint64_t *out);

/* An id as Firecracker takes it: 1 to 64 of [A-Za-z0-9_]. */
int body_check_id(const char *id, const char *what);
/* The path's id and the body's FIELD are the same (Firecracker's message). */
int body_same_id(const char *path_id, json_object *o, const char *field);
/* Rate limiter FIELD of O, Firecracker's RateLimiter: {"bandwidth":
 * TokenBucket, "ops": TokenBucket}, each {"size", "refill_time" (ms),
 * "one_time_burst"}.  A bucket given sets U's (size or refill_time 0: no
 * limit); one absent or null (what Kata sends for "no limit") leaves it
 * unset, as does a FIELD absent or null.  -1 with fail() otherwise. */
int body_rate_limiter(json_object *o, const char *field, const char *what, struct rate_update *u);
/* A path: not empty, shorter than PATH_MAX, no NUL (JSON allows \u0000). */
int body_check_path(const char *path, const char *what);

#endif
