/* The MMDS's HTTP server (mmds.h): the next request on a guest's
 * connection in, one answer out, as Firecracker's MMDS gives it.
 *
 * Every byte of the request is the guest's.  It is read once, never past
 * LEN nor past MMDS_HTTP_MAX_REQUEST, checked as it is read, and what is
 * kept of it (the target, a few header values) is copied into bounded
 * buffers of the request's own.  The store is asked only through calls
 * that take its lock and hand back text (store_internal.h), so an answer
 * is at most the store's size limit plus the IMDS formatting. */
#include "mmds/mmds.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mmds/store_internal.h"

/* A header value we keep: a token (44 bytes), a lifetime, a media type.
 * A longer one is kept cut, marked too long, and never matches. */
#define HVAL_MAX 128

#define TOKEN_PATH "/latest/api/token"

struct hval {
	bool seen, too_long;
	size_t len;
	char s[HVAL_MAX + 1];
};

enum method { METHOD_GET, METHOD_PUT, METHOD_OTHER };

struct request {
	enum method method;
	bool http10;
	bool close;     /* Connection: close */
	bool body;      /* a Content-Length other than 0, or a Transfer-Encoding */
	bool forwarded; /* X-Forwarded-For */
	bool json;      /* Accept: application/json */
	struct hval token, aws_token, ttl, aws_ttl;
	/* The request target, NUL-terminated: shorter than the header block. */
	char target[MMDS_HTTP_MAX_REQUEST];
};

/* --- the answer --------------------------------------------------------------- */

static const char *reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 501: return "Not Implemented";
	}
	return "Internal Server Error";
}

/* R's answer: CODE with BODY[0..BLEN) of type JSON or plain text.  1, or
 * -1 if out of memory. */
static int answer(struct mmds_reply *r, int code, bool json, const char *body, size_t blen)
{
	char head[256];
	int h = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nServer: warden MMDS\r\n%sContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
			 code, reason(code), code == 405 ? "Allow: GET, PUT\r\n" : "",
			 json ? "application/json" : "text/plain", blen, r->close ? "close" : "keep-alive");

	r->data = malloc((size_t)h + blen);
	if (!r->data)
		return -1;
	memcpy(r->data, head, (size_t)h);
	if (blen)
		memcpy(r->data + h, body, blen);
	r->len = (size_t)h + blen;
	return 1;
}

/* An answer whose body is a plain-text message. */
static int answer_msg(struct mmds_reply *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int answer_msg(struct mmds_reply *r, int code, const char *fmt, ...)
{
	char *msg;
	int n, rc;
	va_list ap;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	rc = answer(r, code, false, msg, (size_t)n);
	free(msg);
	return rc;
}

/* A request we cannot read on from: answered, and the connection closed
 * with everything it sent. */
static int refuse(struct mmds_reply *r, size_t len, const char *why)
{
	r->consumed = len;
	r->close = true;
	return answer_msg(r, 400, "%s", why);
}

/* --- reading the request -------------------------------------------------------- */

/* The length of the header block (through its blank line) at the start
 * of B[0..LEN), or 0 if there is none within MMDS_HTTP_MAX_REQUEST. */
static size_t header_end(const uint8_t *b, size_t len)
{
	size_t n = len < MMDS_HTTP_MAX_REQUEST ? len : MMDS_HTTP_MAX_REQUEST;
	const uint8_t *e = memmem(b, n, "\r\n\r\n", 4);

	return e ? (size_t)(e - b) + 4 : 0;
}

/* RFC 9110's token characters (a method, a header's name). */
static bool tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool token(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!tchar(s[i]))
			return false;
	return n > 0;
}

/* Visible ASCII, or a byte of UTF-8 text: no control character, no NUL. */
static bool visible(uint8_t c)
{
	return c > 0x20 && c != 0x7f;
}

static bool same(const uint8_t *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

static bool same_nocase(const char *s, size_t n, const char *want)
{
	return n == strlen(want) && strncasecmp(s, want, n) == 0;
}

/* METHOD SP TARGET SP HTTP/1.x, in S[0..N): 0, or -1 if it is not. */
static int parse_request_line(const uint8_t *s, size_t n, struct request *q)
{
	const uint8_t *sp1 = memchr(s, ' ', n), *t, *sp2;
	size_t tlen;

	if (!sp1 || !token(s, (size_t)(sp1 - s)))
		return -1;
	t = sp1 + 1;
	sp2 = memchr(t, ' ', n - (size_t)(t - s));
	if (!sp2 || sp2 == t)
		return -1;
	tlen = (size_t)(sp2 - t);
	for (size_t i = 0; i < tlen; i++)
		if (!visible(t[i]))
			return -1;
	if (same(sp2 + 1, n - (size_t)(sp2 + 1 - s), "HTTP/1.0"))
		q->http10 = true;
	else if (!same(sp2 + 1, n - (size_t)(sp2 + 1 - s), "HTTP/1.1"))
		return -1;
	q->method = same(s, (size_t)(sp1 - s), "GET")   ? METHOD_GET
		    : same(s, (size_t)(sp1 - s), "PUT") ? METHOD_PUT
							: METHOD_OTHER;
	memcpy(q->target, t, tlen); /* tlen < the block < sizeof(q->target) */
	q->target[tlen] = 0;
	return 0;
}

static void keep(struct hval *h, const char *v, size_t n)
{
	h->seen = true;
	h->too_long = n > HVAL_MAX;
	h->len = h->too_long ? HVAL_MAX : n;
	memcpy(h->s, v, h->len);
	h->s[h->len] = 0;
}

/* Does the comma-separated list V[0..N) hold WANT (before any ';'
 * parameters), in any case? */
static bool list_has(const char *v, size_t n, const char *want)
{
	while (n) {
		const char *comma = memchr(v, ',', n);
		size_t item = comma ? (size_t)(comma - v) : n;
		const char *semi = memchr(v, ';', item);
		size_t start = 0, end = semi ? (size_t)(semi - v) : item;

		while (start < end && (v[start] == ' ' || v[start] == '\t'))
			start++;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (same_nocase(v + start, end - start, want))
			return true;
		if (!comma)
			break;
		n -= item + 1;
		v += item + 1;
	}
	return false;
}

/* Content-Length: anything but a number that is 0 means a body (or a
 * request we cannot frame): refused either way. */
static bool nonzero_length(const char *v, size_t n)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (v[i] != '0')
			return true;
	return false;
}

/* One header NAME: VALUE (VALUE trimmed, checked). */
static void on_header(struct request *q, const char *name, size_t nlen, const char *v, size_t vlen)
{
	if (same_nocase(name, nlen, "X-metadata-token"))
		keep(&q->token, v, vlen);
	else if (same_nocase(name, nlen, "X-aws-ec2-metadata-token"))
		keep(&q->aws_token, v, vlen);
	else if (same_nocase(name, nlen, "X-metadata-token-ttl-seconds"))
		keep(&q->ttl, v, vlen);
	else if (same_nocase(name, nlen, "X-aws-ec2-metadata-token-ttl-seconds"))
		keep(&q->aws_ttl, v, vlen);
	else if (same_nocase(name, nlen, "X-Forwarded-For"))
		q->forwarded = true;
	else if (same_nocase(name, nlen, "Accept"))
		q->json |= list_has(v, vlen, "application/json");
	else if (same_nocase(name, nlen, "Connection"))
		q->close |= list_has(v, vlen, "close");
	else if (same_nocase(name, nlen, "Content-Length"))
		q->body |= nonzero_length(v, vlen);
	else if (same_nocase(name, nlen, "Transfer-Encoding"))
		q->body = true;
}

/* NAME ":" OWS VALUE OWS, in S[0..N): 0, or -1 if it is not. */
static int parse_header(const uint8_t *s, size_t n, struct request *q)
{
	const uint8_t *colon = memchr(s, ':', n);
	size_t v, end = n;

	if (!colon || !token(s, (size_t)(colon - s)))
		return -1;
	for (v = (size_t)(colon - s) + 1; v < n; v++)
		if (!visible(s[v]) && s[v] != ' ' && s[v] != '\t')
			return -1;
	v = (size_t)(colon - s) + 1;
	while (v < end && (s[v] == ' ' || s[v] == '\t'))
		v++;
	while (end > v && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	on_header(q, (const char *)s, (size_t)(colon - s), (const char *)s + v, end - v);
	return 0;
}

/* The header block B[0..N) (ending in its blank line) into Q: NULL, or
 * what is wrong with it. */
static const char *parse(const uint8_t *b, size_t n, struct request *q)
{
	/* B[0..N - 2) is lines, each ending in CRLF; the block's first blank
	 * line is its last, so no line in between is empty. */
	size_t at = 0, end = n - 2;
	bool first = true;

	while (at < end) {
		const uint8_t *crlf = memmem(b + at, end - at, "\r\n", 2);
		size_t line;

		if (!crlf) /* cannot be: B[END - 2..END) is a CRLF */
			return "Invalid HTTP header block.";
		line = (size_t)(crlf - (b + at));
		if (first && parse_request_line(b + at, line, q))
			return "Invalid HTTP request line.";
		if (!first && parse_header(b + at, line, q))
			return "Invalid HTTP header line.";
		first = false;
		at += line + 2;
	}
	return first ? "Invalid HTTP request line." : NULL;
}

/* The target's path, as Firecracker reads it, in place: an absolute
 * URI's scheme and host dropped, the query too, and each run of '/' made
 * one. */
static void target_path(char *t)
{
	char *w = t;

	if (strncasecmp(t, "http://", 7) == 0) {
		char *slash = strchr(t + 7, '/');

		memmove(t, slash ? slash : "/", strlen(slash ? slash : "/") + 1);
	}
	t[strcspn(t, "?")] = 0;
	for (char *p = t; *p; p++)
		if (!(*p == '/' && w > t && w[-1] == '/'))
			*w++ = *p;
	*w = 0;
}

/* --- answering ---------------------------------------------------------------------- */

static const struct hval *either(const struct hval *a, const struct hval *b)
{
	return a->seen ? a : b->seen ? b : NULL;
}

/* A lifetime of MMDS_TOKEN_TTL_MIN..MAX seconds, in decimal: 0, or -1. */
static int parse_ttl(const struct hval *h, unsigned *ttl)
{
	unsigned v = 0;

	if (h->too_long || !h->len)
		return -1;
	for (size_t i = 0; i < h->len; i++) {
		if (h->s[i] < '0' || h->s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(h->s[i] - '0');
		if (v > MMDS_TOKEN_TTL_MAX)
			return -1;
	}
	*ttl = v;
	return v >= MMDS_TOKEN_TTL_MIN ? 0 : -1;
}

/* PUT /latest/api/token: a new session token. */
static int serve_put(struct mmds *m, struct request *q, uint64_t now_ms, struct mmds_reply *r)
{
	const struct hval *h = either(&q->ttl, &q->aws_ttl);
	char tok[MMDS_TOKEN_LEN + 1];
	unsigned ttl;

	/* A token request relayed by a proxy in the guest is not the
	 * guest's own (Firecracker's, after EC2's IMDSv2). */
	if (q->forwarded)
		return answer_msg(r, 400, "Invalid header: X-Forwarded-For is not allowed in a token request.");
	if (strcmp(q->target, TOKEN_PATH) != 0)
		return answer_msg(r, 404, "Resource not found: %s.", q->target);
	if (!h)
		return answer_msg(r, 400, "Token time to live value not found. Use "
				  "`X-metadata-token-ttl-seconds` header to specify the token's lifetime.");
	if (parse_ttl(h, &ttl))
		return answer_msg(r, 400, "Invalid time to live value provided for token: %s%s. "
				  "Please provide a value between %d and %d.", h->s, h->too_long ? "..." : "",
				  MMDS_TOKEN_TTL_MIN, MMDS_TOKEN_TTL_MAX);
	if (mmds_token_new(m, ttl, now_ms, tok))
		return -1;
	return answer(r, 200, false, tok, MMDS_TOKEN_LEN);
}

/* V2: the request's token, if any, must be alive. */
static int check_token(struct mmds *m, const struct request *q, uint64_t now_ms, struct mmds_reply *r)
{
	const struct hval *h = either(&q->token, &q->aws_token);

	if (!h)
		return answer_msg(r, 401, "No MMDS token provided. Use `X-metadata-token` header "
				  "to specify the session token.");
	if (h->too_long || !mmds_token_valid(m, h->s, h->len, now_ms))
		return answer_msg(r, 401, "MMDS token not valid.");
	return 0;
}

/* GETs without a valid token, whichever the version: what V1's users
 * would lose with V2 (Firecracker's rx_no_token, rx_invalid_token). */
static void count_token(struct mmds *m, const struct request *q, uint64_t now_ms)
{
	const struct hval *h = either(&q->token, &q->aws_token);

	if (!h)
		mmds_count(m, MMDS_RX_NO_TOKEN, 1);
	else if (h->too_long || !mmds_token_valid(m, h->s, h->len, now_ms))
		mmds_count(m, MMDS_RX_INVALID_TOKEN, 1);
}

/* GET PATH: the value there, as JSON or IMDS text. */
static int serve_get(struct mmds *m, struct request *q, uint64_t now_ms, struct mmds_reply *r)
{
	bool json = q->json && !mmds_imds_compat(m);
	size_t plen = strlen(q->target), len;
	bool slash = plen && q->target[plen - 1] == '/';
	enum mmds_render_result res;
	char *text;
	int rc;

	count_token(m, q, now_ms);
	if (mmds_get_version(m) == MMDS_V2 && (rc = check_token(m, q, now_ms, r)))
		return rc;
	/* "/a/b/" is the pointer "/a/b", and "/" is "" (the whole store);
	 * the message about it names the path as it came. */
	if (slash)
		q->target[plen - 1] = 0;
	res = mmds_render(m, q->target, json ? MMDS_FORMAT_JSON : MMDS_FORMAT_IMDS, &text, &len);
	if (slash)
		q->target[plen - 1] = '/';
	switch (res) {
	case MMDS_RENDER_OK:
		rc = answer(r, 200, json, text, len);
		free(text);
		return rc;
	case MMDS_RENDER_NOT_FOUND:
		return answer_msg(r, 404, "Resource not found: %s.", q->target);
	case MMDS_RENDER_UNSUPPORTED:
		return answer_msg(r, 501, "Cannot retrieve value. The value has an unsupported type.");
	case MMDS_RENDER_NOMEM:
		break;
	}
	return -1;
}

static int serve(struct mmds *m, struct request *q, uint64_t now_ms, struct mmds_reply *r)
{
	target_path(q->target);
	switch (q->method) {
	case METHOD_GET: return serve_get(m, q, now_ms, r);
	case METHOD_PUT: return serve_put(m, q, now_ms, r);
	case METHOD_OTHER: break;
	}
	return answer_msg(r, 405, "Not allowed HTTP method.");
}

int mmds_http_serve(struct mmds *m, const uint8_t *req, size_t len, uint64_t now_ms,
		    struct mmds_reply *r)
{
	struct request *q;
	size_t end = header_end(req, len);
	const char *bad;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!end)
		return len < MMDS_HTTP_MAX_REQUEST ? 0 : refuse(r, len, "Request headers too long.");
	/* On the heap: the target alone is MMDS_HTTP_MAX_REQUEST bytes. */
	q = calloc(1, sizeof(*q));
	if (!q)
		return -1;
	if ((bad = parse(req, end, q)))
		rc = refuse(r, len, bad);
	else if (q->body)
		rc = refuse(r, len, "MMDS requests take no body.");
	else {
		r->consumed = end;
		r->close = q->close || q->http10;
		rc = serve(m, q, now_ms, r);
	}
	free(q);
	return rc;
}
