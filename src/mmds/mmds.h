/* The microVM metadata service (MMDS), Firecracker's: a JSON data store
 * the host fills through the API (PUT, PATCH and GET /mmds) and the guest
 * reads over HTTP at a link-local address (169.254.169.254 by default),
 * as on EC2.  This half is the store and the HTTP server; the guest's
 * packets reach it through mmds/stack.c (ARP, IPv4, TCP) on a virtio-net
 * device whose interface allows MMDS requests (docs/mmds.md).
 *
 * One store per VM, shared by the API thread (writes) and the net
 * devices' I/O thread (reads): it has its own lock, and every call below
 * is safe from any thread.
 *
 * Versions: V1 answers GET without a session token (a token, if given,
 * is not checked); V2 answers GET only with a valid token, which a PUT to
 * /latest/api/token with a lifetime header hands out.  Both take the
 * token PUT.  Formats: JSON (Accept: application/json) or IMDS text
 * (otherwise, or always with imds_compat). */
#ifndef WARDEN_MMDS_MMDS_H
#define WARDEN_MMDS_MMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mmds_version { MMDS_V1 = 1, MMDS_V2 = 2 };

/* 169.254.169.254, in host byte order. */
#define MMDS_DEFAULT_IPV4 0xa9fea9feu
/* Firecracker's default bound on the store (--mmds-size-limit, which
 * defaults to the API's payload limit): bytes of its JSON text. */
#define MMDS_DEFAULT_SIZE_LIMIT 51200
/* A guest request (request line and headers) longer than this without
 * its blank line is refused with 400. */
#define MMDS_HTTP_MAX_REQUEST 8192
/* V2 session tokens: lifetime bounds in seconds (Firecracker's), and how
 * many live tokens are kept (the oldest is forgotten past that). */
#define MMDS_TOKEN_TTL_MIN 1
#define MMDS_TOKEN_TTL_MAX 21600
#define MMDS_MAX_TOKENS 64

struct mmds;

/* A store holding {} of at most SIZE_LIMIT bytes of JSON text, version V1,
 * not imds_compat.  NULL (fail(ERR_HOST, ...)) if out of memory. */
struct mmds *mmds_new(size_t size_limit);
void mmds_free(struct mmds *m);

/* PUT /mmds/config's version and imds_compat.  Changing the version
 * forgets every token. */
void mmds_set_version(struct mmds *m, enum mmds_version v, bool imds_compat);
enum mmds_version mmds_get_version(const struct mmds *m);
bool mmds_imds_compat(const struct mmds *m);

/* PUT /mmds: replace the store by the JSON text JSON[0..LEN), which must
 * be an object.  PATCH /mmds: merge JSON (an object) into it, as RFC 7396
 * says (null removes a key, objects merge, anything else replaces).
 * Either way the result must fit the size limit, or the store is left as
 * it was.  0, or -1 with a one-line reason (fail(ERR_USAGE, ...)) that
 * names the problem: not JSON, not an object, too large. */
int mmds_put(struct mmds *m, const char *json, size_t len);
int mmds_patch(struct mmds *m, const char *json, size_t len);
/* GET /mmds: the store as compact JSON text (malloc'd, the caller frees;
 * NULL if out of memory). */
char *mmds_get(struct mmds *m);

/* Firecracker's "mmds" metrics group: counted by the stack (stack.c)
 * and the HTTP server, taken by the API's metrics lines (each take
 * resets them, Firecracker's convention).  Atomic: any thread. */
enum mmds_counter {
	MMDS_RX_ACCEPTED,          /* guest frames the service took */
	MMDS_RX_ACCEPTED_ERR,      /* ... and could not use (malformed, out of order, queue full) */
	MMDS_RX_COUNT,             /* HTTP requests answered */
	MMDS_RX_NO_TOKEN,          /* GETs without a session token */
	MMDS_RX_INVALID_TOKEN,     /* GETs with a token that is not (or no longer) valid */
	MMDS_TX_FRAMES,            /* frames to the guest */
	MMDS_TX_BYTES,             /* their bytes */
	MMDS_CONNECTIONS_CREATED,
	MMDS_CONNECTIONS_DESTROYED,
	MMDS_NCOUNTERS
};
/* Firecracker's names for them. */
extern const char *const mmds_counter_names[MMDS_NCOUNTERS];
void mmds_count(struct mmds *m, enum mmds_counter c, uint64_t n);
/* The counts since the last take, into OUT; they start again at 0. */
void mmds_metrics_take(struct mmds *m, uint64_t out[MMDS_NCOUNTERS]);

/* What the guest's HTTP connection gets for its next request. */
struct mmds_reply {
	char *data;      /* the whole response: status line, headers, body (malloc'd) */
	size_t len;
	size_t consumed; /* bytes of the request it answers */
	bool close;      /* close the connection after sending it */
};

/* Serve the first request in REQ[0..LEN), the bytes the guest has sent
 * on one connection and not yet had answered.  NOW_MS is a monotonic
 * clock in milliseconds (token lifetimes).  Returns:
 *   1: a request was answered: R is filled (R->data to free);
 *   0: the request is not complete yet: wait for more bytes;
 *  -1: out of memory (nothing to send).
 * Every answer is HTTP/1.1 with Content-Length; statuses as Firecracker's
 * MMDS gives them: 200, 400 (malformed, over MMDS_HTTP_MAX_REQUEST, a
 * request body, a bad token lifetime, X-Forwarded-For on the token PUT),
 * 401 (V2 without a valid token), 404 (no such resource), 405 (a method
 * other than GET and PUT, with an Allow header), 501 (a value IMDS text
 * cannot show: number, boolean, null, array).  Never reads past LEN. */
int mmds_http_serve(struct mmds *m, const uint8_t *req, size_t len, uint64_t now_ms,
		    struct mmds_reply *r);

#endif
