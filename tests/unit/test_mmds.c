/* The MMDS's store and HTTP server (src/mmds/store.c, src/mmds/http.c):
 * PUT, PATCH (RFC 7396) and GET of the store, its refusals and size
 * limit; the guest's requests: JSON pointers, IMDS text and JSON, the
 * statuses, framing (incomplete, too long, pipelined, bodies,
 * keep-alive), and V2's session tokens. */
#include "mmds/mmds.h"
#include "mmds/store_internal.h"
#include "unit.h"

#define T0 1000000 /* a clock far from 0, in ms */
/* A literal and its length. */
#define S(text) text, strlen(text)

static struct mmds *store_with(const char *json)
{
	struct mmds *m = mmds_new(MMDS_DEFAULT_SIZE_LIMIT);

	assert_non_null(m);
	assert_int_equal(mmds_put(m, json, strlen(json)), 0);
	return m;
}

static void assert_store(struct mmds *m, const char *want)
{
	char *s = mmds_get(m);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

/* REQ served from a buffer of exactly its length (ASan sees a read past
 * it); the return code. */
static int serve_at(struct mmds *m, const char *req, uint64_t now, struct mmds_reply *r)
{
	size_t n = strlen(req);
	uint8_t *buf = malloc(n ? n : 1);
	int rc;

	assert_non_null(buf);
	memcpy(buf, req, n);
	rc = mmds_http_serve(m, buf, n, now, r);
	free(buf);
	return rc;
}

/* R is exactly this answer. */
static void assert_reply(const struct mmds_reply *r, const char *status, const char *ctype,
			 const char *body, bool close)
{
	char want[4096];
	int n = snprintf(want, sizeof(want),
			 "HTTP/1.1 %s\r\nServer: warden MMDS\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: %s\r\n\r\n%s",
			 status, ctype, strlen(body), close ? "close" : "keep-alive", body);

	assert_non_null(r->data);
	if (r->len != (size_t)n || memcmp(r->data, want, (size_t)n) != 0)
		fail_msg("answer\n%.*s\nwanted\n%s", (int)r->len, r->data, want);
	assert_int_equal(r->close, close);
}

/* REQ (one whole request) gets exactly this answer, all of it consumed. */
static void expect(struct mmds *m, const char *req, uint64_t now, const char *status, const char *ctype,
		   const char *body, bool close)
{
	struct mmds_reply r;

	assert_int_equal(serve_at(m, req, now, &r), 1);
	assert_reply(&r, status, ctype, body, close);
	assert_int_equal(r.consumed, strlen(req));
	free(r.data);
}

#define TEXT "text/plain"
#define JSON "application/json"
#define NOT_FOUND "404 Not Found"
#define BAD "400 Bad Request"
#define UNAUTH "401 Unauthorized"
#define NO_TOKEN "No MMDS token provided. Use `X-metadata-token` header to specify the session token."
#define TTL_RANGE "Please provide a value between 1 and 21600."

/* --- the store ------------------------------------------------------------------ */

static void test_put_get(void **state)
{
	struct mmds *m = mmds_new(MMDS_DEFAULT_SIZE_LIMIT);

	(void)state;
	assert_non_null(m);
	assert_int_equal(mmds_get_version(m), MMDS_V1);
	assert_false(mmds_imds_compat(m));
	assert_store(m, "{}");
	assert_int_equal(mmds_put(m, S("{\"a\":{\"b\":\"c/d\"},\"n\":1.50} \n")), 0);
	assert_store(m, "{\"a\":{\"b\":\"c/d\"},\"n\":1.50}");
	/* PUT replaces all of it. */
	assert_int_equal(mmds_put(m, S("{\"x\":[true,null]}")), 0);
	assert_store(m, "{\"x\":[true,null]}");
	mmds_free(m);
}

static void test_patch_merge(void **state)
{
	struct mmds *m = store_with("{\"a\":{\"x\":1,\"y\":2},\"k\":\"v\",\"arr\":[1,2],\"s\":\"t\",\"o\":{\"p\":1}}");
	const char *patch = "{\"a\":{\"y\":null,\"z\":{\"deep\":null,\"w\":3}},\"k\":null,\"arr\":[3],"
			    "\"s\":{\"now\":\"obj\"},\"o\":\"str\",\"gone\":null,\"new\":{\"q\":null,\"r\":\"s\"}}";

	(void)state;
	assert_int_equal(mmds_patch(m, patch, strlen(patch)), 0);
	/* y and k removed, z merged as a new object (its null dropped), the
	 * array replaced whole, a string made an object and back. */
	assert_store(m, "{\"a\":{\"x\":1,\"z\":{\"w\":3}},\"arr\":[3],\"s\":{\"now\":\"obj\"},\"o\":\"str\","
			"\"new\":{\"r\":\"s\"}}");
	assert_int_equal(mmds_patch(m, "{}", 2), 0);
	assert_store(m, "{\"a\":{\"x\":1,\"z\":{\"w\":3}},\"arr\":[3],\"s\":{\"now\":\"obj\"},\"o\":\"str\","
			"\"new\":{\"r\":\"s\"}}");
	assert_int_equal(mmds_patch(m, S("{\"a\":null,\"arr\":null,\"s\":null,\"o\":null,\"new\":null}")), 0);
	assert_store(m, "{}");
	mmds_free(m);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		const char *why;
	} bad[] = {
		{ "{", 1, "not valid JSON: it ends too early" },
		{ "", 0, "not valid JSON" },
		{ "nul", 3, "not valid JSON" },
		{ "{\"a\":1,}", 8, "not valid JSON" },
		{ "{} x", 4, "not valid JSON" },
		{ "{}}", 3, "not valid JSON" },
		{ "{}\0", 3, "not valid JSON" }, /* a NUL after it, inside LEN */
		{ "{\"a\":1}", 6, "not valid JSON" }, /* LEN cuts it short: no NUL read */
		{ "[1]", 3, "must be a JSON object" },
		{ "123", 3, "must be a JSON object" },
		{ "\"s\"", 3, "must be a JSON object" },
		{ "null", 4, "must be a JSON object" },
	};
	struct mmds *m = store_with("{\"keep\":\"me\"}");

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *exact = malloc(bad[i].len + 1);

		memcpy(exact, bad[i].text, bad[i].len); /* no NUL after it */
		assert_user_error(mmds_put(m, exact, bad[i].len), bad[i].why);
		assert_user_error(mmds_patch(m, exact, bad[i].len), bad[i].why);
		assert_store(m, "{\"keep\":\"me\"}");
		free(exact);
	}
	mmds_free(m);
}

static void test_size_limit(void **state)
{
	struct mmds *m = mmds_new(20);

	(void)state;
	assert_int_equal(mmds_put(m, S("{\"a\":\"01234567890\"}")), 0);  /* 19 bytes */
	assert_int_equal(mmds_put(m, S("{\"a\":\"012345678901\"}")), 0); /* exactly the limit */
	assert_user_error(mmds_put(m, S("{\"a\":\"0123456789012\"}")),
			  "/mmds: the data store would be 21 bytes, above its limit of 20");
	assert_store(m, "{\"a\":\"012345678901\"}");
	/* The store's compact text counts, not the white space sent. */
	assert_int_equal(mmds_put(m, S("{ \"a\" : \"012345\" , \"b\":1 }")), 0);
	assert_store(m, "{\"a\":\"012345\",\"b\":1}");
	assert_user_error(mmds_patch(m, S("{\"c\":2}")), "would be 26 bytes, above its limit of 20");
	assert_store(m, "{\"a\":\"012345\",\"b\":1}");
	assert_int_equal(mmds_patch(m, S("{\"b\":null,\"c\":2}")), 0);
	assert_store(m, "{\"a\":\"012345\",\"c\":2}");
	mmds_free(m);
}

/* --- GET ------------------------------------------------------------------------ */

static void test_imds_text(void **state)
{
	struct mmds *m = store_with("{\"b\":{\"x\":\"1\"},\"a\":\"s\",\"c\":{},\"n\":7,\"l\":[\"p\"],\"z\":null,"
				    "\"t\":true}");

	(void)state;
	/* Keys sorted, objects with a '/', no newline after the last. */
	expect(m, "GET / HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "a\nb/\nc/\nl\nn\nt\nz", false);
	expect(m, "GET /b HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "x", false);
	expect(m, "GET /b/ HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "x", false);
	expect(m, "GET /b/x HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "1", false);
	expect(m, "GET /a HTTP/1.1\r\nAccept: text/plain\r\n\r\n", T0, "200 OK", TEXT, "s", false);
	expect(m, "GET /c HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "", false);
	expect(m, "GET /l/0 HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "p", false);
	for (const char *p = "nltz"; *p; p++) {
		char req[64];

		snprintf(req, sizeof(req), "GET /%c HTTP/1.1\r\n\r\n", *p);
		expect(m, req, T0, "501 Not Implemented", TEXT,
		       "Cannot retrieve value. The value has an unsupported type.", false);
	}
	expect(m, "GET /latest/foo HTTP/1.1\r\n\r\n", T0, NOT_FOUND, TEXT, "Resource not found: /latest/foo.", false);
	expect(m, "GET /a/x HTTP/1.1\r\n\r\n", T0, NOT_FOUND, TEXT, "Resource not found: /a/x.", false);
	expect(m, "GET /latest/foo/ HTTP/1.1\r\n\r\n", T0, NOT_FOUND, TEXT, "Resource not found: /latest/foo/.", false);
	mmds_free(m);
}

static void test_json(void **state)
{
	struct mmds *m = store_with("{\"b\":{\"x\":\"1\"},\"a\":\"s\",\"n\":7}");

	(void)state;
	expect(m, "GET / HTTP/1.1\r\nAccept: application/json\r\n\r\n", T0, "200 OK", JSON,
	       "{\"b\":{\"x\":\"1\"},\"a\":\"s\",\"n\":7}", false);
	/* Names in any case, white space around the value. */
	expect(m, "GET /a HTTP/1.1\r\naCCEPT: \t application/json \t\r\n\r\n", T0, "200 OK", JSON, "\"s\"", false);
	expect(m, "GET /n HTTP/1.1\r\nAccept: text/html, application/json;q=0.9\r\n\r\n", T0, "200 OK", JSON, "7",
	       false);
	expect(m, "GET /b/ HTTP/1.1\r\nAccept: application/json\r\n\r\n", T0, "200 OK", JSON, "{\"x\":\"1\"}", false);
	expect(m, "GET /q HTTP/1.1\r\nAccept: application/json\r\n\r\n", T0, NOT_FOUND, TEXT,
	       "Resource not found: /q.", false);
	/* imds_compat: IMDS text whatever the guest accepts. */
	mmds_set_version(m, MMDS_V1, true);
	assert_true(mmds_imds_compat(m));
	expect(m, "GET / HTTP/1.1\r\nAccept: application/json\r\n\r\n", T0, "200 OK", TEXT, "a\nb/\nn", false);
	expect(m, "GET /n HTTP/1.1\r\nAccept: application/json\r\n\r\n", T0, "501 Not Implemented", TEXT,
	       "Cannot retrieve value. The value has an unsupported type.", false);
	mmds_free(m);
}

static void test_json_pointer(void **state)
{
	struct mmds *m = store_with("{\"a/b\":{\"c~d\":\"x\",\"~1\":\"y\"},\"l\":[\"p\",\"q\"],\"e\":{\"\":\"empty\"}}");

	(void)state;
	expect(m, "GET /a~1b/c~0d HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "x", false);
	expect(m, "GET /a~1b/~01 HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "y", false);
	expect(m, "GET /a/b HTTP/1.1\r\n\r\n", T0, NOT_FOUND, TEXT, "Resource not found: /a/b.", false);
	expect(m, "GET /l/1 HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "q", false);
	expect(m, "GET /l/01 HTTP/1.1\r\n\r\n", T0, NOT_FOUND, TEXT, "Resource not found: /l/01.", false);
	expect(m, "GET /l/2 HTTP/1.1\r\n\r\n", T0, NOT_FOUND, TEXT, "Resource not found: /l/2.", false);
	expect(m, "GET /l/-1 HTTP/1.1\r\n\r\n", T0, NOT_FOUND, TEXT, "Resource not found: /l/-1.", false);
	/* The query goes; so does a run of '/' (Firecracker's sanitize_uri),
	 * and an absolute URI's scheme and host. */
	expect(m, "GET /l/0?x=/1 HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "p", false);
	expect(m, "GET //l///1 HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "q", false);
	expect(m, "GET http://169.254.169.254/l/1 HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "q", false);
	expect(m, "GET * HTTP/1.1\r\n\r\n", T0, NOT_FOUND, TEXT, "Resource not found: *.", false);
	expect(m, "GET /? HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "a/b/\ne/\nl", false);
	mmds_free(m);
}

/* --- framing ----------------------------------------------------------------------- */

static void test_method(void **state)
{
	static const char want[] = "HTTP/1.1 405 Method Not Allowed\r\nServer: warden MMDS\r\nAllow: GET, PUT\r\n"
				   "Content-Type: text/plain\r\nContent-Length: 24\r\nConnection: keep-alive\r\n\r\n"
				   "Not allowed HTTP method.";
	static const char *const reqs[] = { "POST / HTTP/1.1\r\n\r\n", "get / HTTP/1.1\r\n\r\n",
					    "PATCH /latest/api/token HTTP/1.1\r\n\r\n" };
	struct mmds *m = store_with("{}");
	struct mmds_reply r;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(serve_at(m, reqs[i], T0, &r), 1);
		assert_int_equal(r.len, sizeof(want) - 1);
		assert_memory_equal(r.data, want, sizeof(want) - 1);
		assert_int_equal(r.consumed, strlen(reqs[i]));
		free(r.data);
	}
	mmds_free(m);
}

/* BIG: "GET /aaa...", LEN bytes in all, ending in TAIL. */
static void fill(char *big, size_t len, const char *tail)
{
	memset(big, 'a', len);
	memcpy(big, "GET /", 5);
	memcpy(big + len - strlen(tail), tail, strlen(tail));
	big[len] = 0;
}

static void test_incomplete_and_too_long(void **state)
{
	struct mmds *m = store_with("{}");
	struct mmds_reply r;
	char *big = malloc(MMDS_HTTP_MAX_REQUEST + 8);

	(void)state;
	assert_int_equal(serve_at(m, "", T0, &r), 0);
	assert_int_equal(serve_at(m, "GET / HTTP/1.1\r\nHost: x\r\n", T0, &r), 0);
	assert_int_equal(serve_at(m, "GET / HTTP/1.1\r\n\r", T0, &r), 0);
	/* One byte short of the limit: still waiting. */
	fill(big, MMDS_HTTP_MAX_REQUEST - 1, "a");
	assert_int_equal(serve_at(m, big, T0, &r), 0);
	/* At the limit: refused, the connection closed. */
	fill(big, MMDS_HTTP_MAX_REQUEST, "a");
	expect(m, big, T0, BAD, TEXT, "Request headers too long.", true);
	/* A blank line that ends a byte past the limit comes too late... */
	fill(big, MMDS_HTTP_MAX_REQUEST + 1, " HTTP/1.1\r\n\r\n");
	expect(m, big, T0, BAD, TEXT, "Request headers too long.", true);
	/* ... one that ends at it is in time. */
	fill(big, MMDS_HTTP_MAX_REQUEST, " HTTP/1.1\r\n\r\n");
	assert_int_equal(serve_at(m, big, T0, &r), 1);
	assert_int_equal(r.consumed, MMDS_HTTP_MAX_REQUEST);
	assert_false(r.close);
	assert_memory_equal(r.data, "HTTP/1.1 404 Not Found\r\n", 24);
	free(r.data);
	free(big);
	mmds_free(m);
}

static void test_malformed(void **state)
{
	static const char *const reqs[] = {
		"GET /\r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1 \r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / http/1.1\r\n\r\n",
		"\r\n\r\n",
		" GET / HTTP/1.1\r\n\r\n",
		"G(T / HTTP/1.1\r\n\r\n",
		"GET /\x01 HTTP/1.1\r\n\r\n",
		"GET /\n HTTP/1.1\r\n\r\n",
	};
	static const char *const headers[] = {
		"GET / HTTP/1.1\r\nNo colon\r\n\r\n",
		"GET / HTTP/1.1\r\n: empty name\r\n\r\n",
		"GET / HTTP/1.1\r\nBad name: x\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\nc\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
		"GET / HTTP/1.1\r\nA: x\r\n folded\r\n\r\n",
	};
	struct mmds *m = store_with("{}");

	(void)state;
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		expect(m, reqs[i], T0, BAD, TEXT, "Invalid HTTP request line.", true);
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		expect(m, headers[i], T0, BAD, TEXT, "Invalid HTTP header line.", true);
	mmds_free(m);
}

static void test_pipelined(void **state)
{
#define FIRST "GET /a HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n"
#define SECOND "GET /b HTTP/1.1\r\nAccept: application/json\r\n\r\n"
	static const char two[] = FIRST SECOND "GET /";
	const size_t first = strlen(FIRST), second = strlen(SECOND);
	struct mmds *m = store_with("{\"a\":\"1\",\"b\":\"2\"}");
	struct mmds_reply r;

	(void)state;
	assert_int_equal(serve_at(m, two, T0, &r), 1);
	assert_int_equal(r.consumed, first);
	assert_reply(&r, "200 OK", TEXT, "1", false);
	free(r.data);
	assert_int_equal(serve_at(m, two + first, T0, &r), 1);
	assert_int_equal(r.consumed, second);
	assert_reply(&r, "200 OK", JSON, "\"2\"", false);
	free(r.data);
	assert_int_equal(serve_at(m, two + first + second, T0, &r), 0);
	mmds_free(m);
}

static void test_close_and_body(void **state)
{
	struct mmds *m = store_with("{\"a\":\"1\"}");

	(void)state;
	expect(m, "GET /a HTTP/1.1\r\nConnection: close\r\n\r\n", T0, "200 OK", TEXT, "1", true);
	expect(m, "GET /a HTTP/1.1\r\nconnection: Keep-Alive, CLOSE\r\n\r\n", T0, "200 OK", TEXT, "1", true);
	expect(m, "GET /a HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", T0, "200 OK", TEXT, "1", false);
	expect(m, "GET /a HTTP/1.0\r\n\r\n", T0, "200 OK", TEXT, "1", true);
	expect(m, "GET /b HTTP/1.0\r\n\r\n", T0, NOT_FOUND, TEXT, "Resource not found: /b.", true);
	/* No bodies: the whole buffer goes, with the connection. */
	expect(m, "GET /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", T0, BAD, TEXT, "MMDS requests take no body.",
	       true);
	expect(m, "PUT /latest/api/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", T0, BAD, TEXT,
	       "MMDS requests take no body.", true);
	expect(m, "GET /a HTTP/1.1\r\nContent-Length: x\r\n\r\n", T0, BAD, TEXT, "MMDS requests take no body.", true);
	expect(m, "GET /a HTTP/1.1\r\nContent-Length: 00\r\n\r\n", T0, "200 OK", TEXT, "1", false);
	mmds_free(m);
}

/* --- V2 ------------------------------------------------------------------------------ */

/* A token living TTL seconds from NOW, through the guest's PUT. */
static void put_token(struct mmds *m, const char *hdr, unsigned ttl, uint64_t now, char *tok)
{
	char req[256];
	struct mmds_reply r;
	const char *body;

	snprintf(req, sizeof(req), "PUT /latest/api/token HTTP/1.1\r\n%s: %u\r\n\r\n", hdr, ttl);
	assert_int_equal(serve_at(m, req, now, &r), 1);
	assert_int_equal(r.consumed, strlen(req));
	assert_memory_equal(r.data, "HTTP/1.1 200 OK\r\n", 17);
	assert_non_null(strstr(r.data, "Content-Type: text/plain\r\nContent-Length: 44\r\n"));
	body = r.data + r.len - MMDS_TOKEN_LEN;
	assert_memory_equal(body - 4, "\r\n\r\n", 4);
	for (size_t i = 0; i < MMDS_TOKEN_LEN; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", body[i]));
	memcpy(tok, body, MMDS_TOKEN_LEN);
	tok[MMDS_TOKEN_LEN] = 0;
	free(r.data);
}

/* GET /a with TOKEN in header HDR at NOW: 200 "1", or 401 saying WHY. */
static void get_with(struct mmds *m, const char *hdr, const char *tok, uint64_t now, const char *why)
{
	char req[256];

	snprintf(req, sizeof(req), "GET /a HTTP/1.1\r\n%s: %s\r\n\r\n", hdr, tok);
	if (why)
		expect(m, req, now, UNAUTH, TEXT, why, false);
	else
		expect(m, req, now, "200 OK", TEXT, "1", false);
}

static void test_v2_token_put(void **state)
{
	struct mmds *m = store_with("{\"a\":\"1\"}");

	(void)state;
	mmds_set_version(m, MMDS_V2, false);
	assert_int_equal(mmds_get_version(m), MMDS_V2);
	expect(m, "GET /a HTTP/1.1\r\n\r\n", T0, UNAUTH, TEXT, NO_TOKEN, false);
	expect(m, "GET /nope HTTP/1.1\r\n\r\n", T0, UNAUTH, TEXT, NO_TOKEN, false);
	expect(m, "PUT /latest/api/token HTTP/1.1\r\nX-metadata-token-ttl-seconds: 0\r\n\r\n", T0, BAD, TEXT,
	       "Invalid time to live value provided for token: 0. " TTL_RANGE, false);
	expect(m, "PUT /latest/api/token HTTP/1.1\r\nX-metadata-token-ttl-seconds: 21601\r\n\r\n", T0, BAD, TEXT,
	       "Invalid time to live value provided for token: 21601. " TTL_RANGE, false);
	expect(m, "PUT /latest/api/token HTTP/1.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 1e3\r\n\r\n", T0, BAD,
	       TEXT, "Invalid time to live value provided for token: 1e3. " TTL_RANGE, false);
	expect(m, "PUT /latest/api/token HTTP/1.1\r\nX-metadata-token-ttl-seconds: -5\r\n\r\n", T0, BAD, TEXT,
	       "Invalid time to live value provided for token: -5. " TTL_RANGE, false);
	expect(m, "PUT /latest/api/token HTTP/1.1\r\nX-metadata-token-ttl-seconds:\r\n\r\n", T0, BAD, TEXT,
	       "Invalid time to live value provided for token: . " TTL_RANGE, false);
	expect(m, "PUT /latest/api/token HTTP/1.1\r\n\r\n", T0, BAD, TEXT,
	       "Token time to live value not found. Use `X-metadata-token-ttl-seconds` header to specify "
	       "the token's lifetime.", false);
	expect(m, "PUT /latest/api/token HTTP/1.1\r\nX-metadata-token-ttl-seconds: 60\r\n"
		  "X-Forwarded-For: 10.0.0.1\r\n\r\n", T0, BAD, TEXT,
	       "Invalid header: X-Forwarded-For is not allowed in a token request.", false);
	expect(m, "PUT /latest/api/tokens HTTP/1.1\r\nX-metadata-token-ttl-seconds: 60\r\n\r\n", T0, NOT_FOUND,
	       TEXT, "Resource not found: /latest/api/tokens.", false);
	expect(m, "PUT /a HTTP/1.1\r\n\r\n", T0, NOT_FOUND, TEXT, "Resource not found: /a.", false);
	mmds_free(m);
}

static void test_v2_token_use(void **state)
{
	struct mmds *m = store_with("{\"a\":\"1\"}");
	char tok[MMDS_TOKEN_LEN + 1], aws[MMDS_TOKEN_LEN + 1], req[256];

	(void)state;
	mmds_set_version(m, MMDS_V2, false);
	put_token(m, "X-metadata-token-ttl-seconds", 60, T0, tok);
	put_token(m, "x-aws-ec2-metadata-token-ttl-seconds", MMDS_TOKEN_TTL_MAX, T0, aws);
	assert_string_not_equal(tok, aws);
	get_with(m, "X-metadata-token", tok, T0, NULL);
	get_with(m, "x-aws-ec2-METADATA-token", tok, T0, NULL);
	get_with(m, "X-aws-ec2-metadata-token", aws, T0 + 60000, NULL);
	/* Alive until its 60 s are up. */
	get_with(m, "X-metadata-token", tok, T0 + 59999, NULL);
	get_with(m, "X-metadata-token", tok, T0 + 60000, "MMDS token not valid.");
	get_with(m, "X-aws-ec2-metadata-token", aws, T0 + MMDS_TOKEN_TTL_MAX * 1000ULL, "MMDS token not valid.");
	get_with(m, "X-metadata-token", "", T0, "MMDS token not valid.");
	tok[0] = tok[0] == 'A' ? 'B' : 'A';
	get_with(m, "X-metadata-token", aws + 1, T0, "MMDS token not valid.");
	get_with(m, "X-metadata-token", tok, T0, "MMDS token not valid.");
	/* Both headers: X-metadata-token is the one read. */
	snprintf(req, sizeof(req), "GET /a HTTP/1.1\r\nX-metadata-token: %s\r\nX-aws-ec2-metadata-token: %s\r\n\r\n",
		 tok, aws);
	expect(m, req, T0, UNAUTH, TEXT, "MMDS token not valid.", false);
	/* V1 answers with or without one, good or bad; the metrics count
	 * the GETs V2 would refuse. */
	mmds_set_version(m, MMDS_V1, false);
	{
		uint64_t v[MMDS_NCOUNTERS];

		mmds_metrics_take(m, v); /* what came before */
		get_with(m, "X-metadata-token", tok, T0, NULL);
		expect(m, "GET /a HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "1", false);
		expect(m, "GET /a HTTP/1.1\r\n\r\n", T0, "200 OK", TEXT, "1", false);
		mmds_metrics_take(m, v);
		assert_int_equal(v[MMDS_RX_INVALID_TOKEN], 1);
		assert_int_equal(v[MMDS_RX_NO_TOKEN], 2);
	}
	/* ... and the way back to V2 forgot every token. */
	mmds_set_version(m, MMDS_V2, false);
	get_with(m, "X-aws-ec2-metadata-token", aws, T0, "MMDS token not valid.");
	/* Setting the same version again keeps them. */
	put_token(m, "X-metadata-token-ttl-seconds", 1, T0, tok);
	mmds_set_version(m, MMDS_V2, true);
	get_with(m, "X-metadata-token", tok, T0 + 999, NULL);
	mmds_free(m);
}

static void test_v2_token_table(void **state)
{
	struct mmds *m = store_with("{\"a\":\"1\"}");
	char (*tok)[MMDS_TOKEN_LEN + 1] = calloc(MMDS_MAX_TOKENS + 2, sizeof(*tok));
	const char *hdr = "X-metadata-token-ttl-seconds";

	(void)state;
	mmds_set_version(m, MMDS_V2, false);
	for (unsigned i = 0; i <= MMDS_MAX_TOKENS; i++)
		put_token(m, hdr, 100, T0 + i, tok[i]);
	/* One past the table: the first one made is the one forgotten. */
	get_with(m, "X-metadata-token", tok[0], T0 + 100, "MMDS token not valid.");
	for (unsigned i = 1; i <= MMDS_MAX_TOKENS; i++)
		get_with(m, "X-metadata-token", tok[i], T0 + 100, NULL);

	/* A full table again, tok[5] living 1 s: when it has expired, a new
	 * token takes its place, not the oldest's. */
	mmds_set_version(m, MMDS_V1, false);
	mmds_set_version(m, MMDS_V2, false);
	get_with(m, "X-metadata-token", tok[1], T0, "MMDS token not valid.");
	for (unsigned i = 0; i < MMDS_MAX_TOKENS; i++)
		put_token(m, hdr, i == 5 ? 1 : 100, T0, tok[i]);
	put_token(m, hdr, 100, T0 + 1000, tok[MMDS_MAX_TOKENS]);
	get_with(m, "X-metadata-token", tok[0], T0 + 1000, NULL);
	get_with(m, "X-metadata-token", tok[5], T0 + 1000, "MMDS token not valid.");
	get_with(m, "X-metadata-token", tok[MMDS_MAX_TOKENS], T0 + 1000, NULL);
	/* No expired one left: the oldest goes. */
	put_token(m, hdr, 100, T0 + 1000, tok[MMDS_MAX_TOKENS + 1]);
	get_with(m, "X-metadata-token", tok[0], T0 + 1000, "MMDS token not valid.");
	get_with(m, "X-metadata-token", tok[1], T0 + 1000, NULL);
	get_with(m, "X-metadata-token", tok[MMDS_MAX_TOKENS + 1], T0 + 1000, NULL);
	free(tok);
	mmds_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_patch_merge),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_imds_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_pointer),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_incomplete_and_too_long),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_close_and_body),
		cmocka_unit_test(test_v2_token_put),
		cmocka_unit_test(test_v2_token_use),
		cmocka_unit_test(test_v2_token_table),
	};

	return cmocka_run_group_tests_name("mmds", tests, NULL, NULL);
}
