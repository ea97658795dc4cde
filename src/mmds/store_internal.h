/* What the MMDS's HTTP side (mmds/http.c) asks of its store (mmds/store.c)
 * beyond mmds.h: a value found by its JSON pointer and rendered as text,
 * and the V2 session tokens.  Each call takes the store's lock and hands
 * back text of its own, never a json_object of the store's: the API
 * thread may replace the store as soon as the lock is let go. */
#ifndef WARDEN_MMDS_STORE_INTERNAL_H
#define WARDEN_MMDS_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmds/mmds.h"

/* A token: 32 random bytes in base64, 44 characters. */
#define MMDS_TOKEN_BYTES 32
#define MMDS_TOKEN_LEN 44

enum mmds_format {
	MMDS_FORMAT_IMDS, /* an object's keys, one a line; a string's value */
	MMDS_FORMAT_JSON, /* compact JSON text */
};

enum mmds_render_result {
	MMDS_RENDER_OK,
	MMDS_RENDER_NOT_FOUND,   /* no value at that pointer */
	MMDS_RENDER_UNSUPPORTED, /* IMDS text cannot show it (not an object or string) */
	MMDS_RENDER_NOMEM,
};

/* The value at the JSON pointer PTR (RFC 6901, NUL-terminated: "" is the
 * whole store, otherwise it starts with '/'; a segment of decimal digits
 * also indexes an array) as FORMAT: *OUT (malloc'd, NUL after its *LEN
 * bytes; a string's value may hold a NUL of its own) on MMDS_RENDER_OK. */
enum mmds_render_result mmds_render(struct mmds *m, const char *ptr, enum mmds_format format,
				    char **out, size_t *len);

/* A new token that lives TTL_S seconds from NOW_MS, into TOKEN (at least
 * MMDS_TOKEN_LEN + 1 bytes, NUL-terminated).  The table keeps
 * MMDS_MAX_TOKENS: a new one takes the place of an expired one, or of the
 * oldest.  -1 if getrandom(2) fails (nothing kept). */
int mmds_token_new(struct mmds *m, unsigned ttl_s, uint64_t now_ms, char *token);
/* Is TOKEN[0..LEN) (any bytes) one the table holds, alive at NOW_MS? */
bool mmds_token_valid(struct mmds *m, const char *token, size_t len, uint64_t now_ms);

#endif
