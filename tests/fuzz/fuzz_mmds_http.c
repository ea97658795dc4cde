/* The MMDS's HTTP server (src/mmds/http.c and the store's reads and
 * tokens, src/mmds/store.c) on one guest connection's bytes.  The input's
 * first byte picks the settings (bit 0: V2, bit 1: imds_compat), its
 * second how many seconds pass between requests (token lifetimes); the
 * rest is what the guest sent, with each "$TOK" replaced by a live
 * token, so that V2's answers past the token check are reached too.
 * Requests are served one after another as the stack would (advancing by
 * what each consumed, until one is incomplete or closes the connection);
 * each answer must be HTTP/1.1 with a Content-Length that is its body's
 * length, and consume at least one byte and at most what was there. */
#include <stdbool.h>

#include "fuzz.h"
#include "mmds/mmds.h"
#include "mmds/store_internal.h"

static const char store_json[] =
	"{\"latest\":{\"meta-data\":{\"ami-id\":\"ami-0\",\"tags\":[\"a\",\"b\"],"
	"\"network\":{\"interfaces\":{\"macs\":{\"06:01:23:45:67:01\":{\"local-ipv4s\":\"10.0.0.2\"}}}},"
	"\"n\":12,\"f\":1.5,\"t\":true,\"z\":null,\"e\":{},\"a/b\":{\"c~d\":\"x\"},\"\":\"empty\"},"
	"\"user-data\":\"#!/bin/sh\\necho hi\\u0000there\"}}";

/* The input with each "$TOK" made TOKEN; malloc'd, its length in *LEN. */
static uint8_t *with_tokens(const uint8_t *p, size_t n, const char *token, size_t *len)
{
	uint8_t *out = malloc(n / 4 * MMDS_TOKEN_LEN + n + 1);
	size_t o = 0;

	if (!out)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (n - i >= 4 && memcmp(p + i, "$TOK", 4) == 0) {
			memcpy(out + o, token, MMDS_TOKEN_LEN);
			o += MMDS_TOKEN_LEN;
			i += 3;
		} else
			out[o++] = p[i];
	}
	*len = o;
	return out;
}

/* R: "HTTP/1.1 ", headers, a blank line, and a body of Content-Length. */
static void check_reply(const struct mmds_reply *r, size_t had)
{
	const char *end, *cl;
	size_t head;

	if (r->len < 9 || memcmp(r->data, "HTTP/1.1 ", 9) != 0)
		abort();
	end = memmem(r->data, r->len, "\r\n\r\n", 4);
	if (!end)
		abort();
	head = (size_t)(end - r->data) + 4;
	cl = memmem(r->data, head, "\r\nContent-Length: ", 18);
	if (!cl || strtoull(cl + 18, NULL, 10) != r->len - head)
		abort();
	if (r->consumed == 0 || r->consumed > had)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t mode = fz_u8(&f), step = fz_u8(&f);
	static struct mmds *m;
	char token[MMDS_TOKEN_LEN + 1];
	uint64_t now = 1000;
	uint8_t *conn, *p;
	size_t left;

	/* One store for the whole run: its content never changes, and each
	 * input's version switch forgets the last input's tokens. */
	if (!m && (!(m = mmds_new(MMDS_DEFAULT_SIZE_LIMIT)) || mmds_put(m, store_json, strlen(store_json))))
		abort();
	mmds_set_version(m, MMDS_V1, false);
	mmds_set_version(m, mode & 1 ? MMDS_V2 : MMDS_V1, mode & 2);
	if (mmds_token_new(m, 60, now, token))
		abort();
	conn = with_tokens(f.p, f.n, token, &left);
	fz_debug("%zu bytes, V%d%s, %u s a request\n", left, mode & 1 ? 2 : 1, mode & 2 ? " imds_compat" : "", step);
	/* Copied to an exact-size buffer each time: a read past what is left
	 * is an ASan report. */
	for (p = conn; left;) {
		uint8_t *exact = malloc(left);
		struct mmds_reply r;
		int rc;

		if (!exact)
			abort();
		memcpy(exact, p, left);
		rc = mmds_http_serve(m, exact, left, now, &r);
		free(exact);
		if (rc == 0 && left >= MMDS_HTTP_MAX_REQUEST)
			abort(); /* a full buffer is never "wait for more" */
		if (rc != 1)
			break;
		fz_debug("%.*s\n", (int)r.len, r.data);
		check_reply(&r, left);
		free(r.data);
		p += r.consumed;
		left -= r.consumed;
		now += (uint64_t)step * 1000;
		if (r.close)
			break;
	}
	free(conn);
	return 0;
}
