/* The MMDS's data store (mmds.h): one JSON object, its version and
 * format settings, and the V2 session tokens, all under one mutex.  The
 * API thread writes it (PUT and PATCH /mmds), the net devices' I/O thread
 * reads it for the guest (mmds/http.c through store_internal.h).
 *
 * A write is built aside and swapped in whole, so a refused one (not
 * JSON, not an object, over the size limit) leaves the store as it was. */
#include "mmds/mmds.h"
#include "mmds/store_internal.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util/error.h"

/* The merge and the pointer walk recurse once per level of nesting; the
 * tokener's depth bounds it for everything that got into the store. */
#define STORE_MAX_DEPTH JSON_TOKENER_DEFAULT_DEPTH
/* Compact, and '/' as itself: as Firecracker's serde_json writes it,
 * which its size limit counts. */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct token {
	char text[MMDS_TOKEN_LEN + 1]; /* "": a free slot */
	uint64_t expiry_ms;
	uint64_t seq; /* when it was made: the oldest goes first */
};

struct mmds {
	pthread_mutex_t lock;
	json_object *data; /* always an object */
	size_t size_limit;
	enum mmds_version version;
	bool imds_compat;
	struct token tokens[MMDS_MAX_TOKENS];
	uint64_t token_seq;
	uint64_t count[MMDS_NCOUNTERS]; /* atomics: no lock (mmds_count) */
};

const char *const mmds_counter_names[MMDS_NCOUNTERS] = {
	[MMDS_RX_ACCEPTED] = "rx_accepted", [MMDS_RX_ACCEPTED_ERR] = "rx_accepted_err",
	[MMDS_RX_COUNT] = "rx_count", [MMDS_RX_NO_TOKEN] = "rx_no_token",
	[MMDS_RX_INVALID_TOKEN] = "rx_invalid_token", [MMDS_TX_FRAMES] = "tx_frames",
	[MMDS_TX_BYTES] = "tx_bytes", [MMDS_CONNECTIONS_CREATED] = "connections_created",
	[MMDS_CONNECTIONS_DESTROYED] = "connections_destroyed",
};

void mmds_count(struct mmds *m, enum mmds_counter c, uint64_t n)
{
	if (m && c < MMDS_NCOUNTERS)
		__atomic_fetch_add(&m->count[c], n, __ATOMIC_RELAXED);
}

void mmds_metrics_take(struct mmds *m, uint64_t out[MMDS_NCOUNTERS])
{
	for (unsigned c = 0; c < MMDS_NCOUNTERS; c++)
		out[c] = m ? __atomic_exchange_n(&m->count[c], 0, __ATOMIC_RELAXED) : 0;
}

/* The getters take a const store (mmds.h) but still lock it: the store is
 * never a const object (mmds_new allocates it), so the cast is sound. */
static void lock(const struct mmds *m)
{
	pthread_mutex_lock((pthread_mutex_t *)&m->lock);
}

static void unlock(const struct mmds *m)
{
	pthread_mutex_unlock((pthread_mutex_t *)&m->lock);
}

struct mmds *mmds_new(size_t size_limit)
{
	struct mmds *m = calloc(1, sizeof(*m));

	if (!m || !(m->data = json_object_new_object())) {
		free(m);
		return fail(ERR_HOST, "mmds: out of memory"), NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	m->size_limit = size_limit;
	m->version = MMDS_V1;
	return m;
}

void mmds_free(struct mmds *m)
{
	if (!m)
		return;
	json_object_put(m->data);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void mmds_set_version(struct mmds *m, enum mmds_version v, bool imds_compat)
{
	lock(m);
	/* A token handed out under one version is no key under the other. */
	if ((v == MMDS_V1 || v == MMDS_V2) && v != m->version) {
		m->version = v;
		memset(m->tokens, 0, sizeof(m->tokens));
	}
	m->imds_compat = imds_compat;
	unlock(m);
}

enum mmds_version mmds_get_version(const struct mmds *m)
{
	enum mmds_version v;

	lock(m);
	v = m->version;
	unlock(m);
	return v;
}

bool mmds_imds_compat(const struct mmds *m)
{
	bool c;

	lock(m);
	c = m->imds_compat;
	unlock(m);
	return c;
}

/* --- writes --------------------------------------------------------------- */

/* Finish a parse that wants more (a number at the very end: "123" could
 * go on) by handing the tokener the end of the text, a NUL. */
static json_object *parse_finish(struct json_tokener *tok, json_object *o, enum json_tokener_error *e)
{
	if (*e != json_tokener_continue)
		return o;
	o = json_tokener_parse_ex(tok, "", 1);
	if (json_tokener_get_error(tok) == json_tokener_success)
		*e = json_tokener_success;
	return o;
}

/* JSON[0..LEN) (no NUL after it) as an object, or NULL (fail()). */
static json_object *parse_object(const char *json, size_t len)
{
	struct json_tokener *tok;
	json_object *o;
	enum json_tokener_error e;

	if (len > INT_MAX)
		return fail(ERR_USAGE, "/mmds: the body is too large"), NULL;
	tok = json_tokener_new_ex(STORE_MAX_DEPTH);
	if (!tok)
		return fail(ERR_HOST, "/mmds: out of memory"), NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, json, (int)len);
	e = json_tokener_get_error(tok);
	/* Only white space may follow the value. */
	for (size_t i = json_tokener_get_parse_end(tok); o && e == json_tokener_success && i < len; i++)
		if (!json[i] || !strchr(" \t\r\n", json[i]))
			e = json_tokener_error_parse_unexpected;
	o = parse_finish(tok, o, &e);
	json_tokener_free(tok);
	if (e != json_tokener_success) {
		json_object_put(o);
		return fail(ERR_USAGE, "/mmds: the body is not valid JSON: %s",
			    e == json_tokener_continue ? "it ends too early" : json_tokener_error_desc(e)), NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return fail(ERR_USAGE, "/mmds: the data store must be a JSON object"), NULL;
	}
	return o;
}

/* 0 if O's JSON text fits M's limit, else -1 (fail()). */
static int check_size(const struct mmds *m, json_object *o)
{
	size_t n;

	if (!json_object_to_json_string_length(o, JSON_FLAGS, &n))
		return fail(ERR_HOST, "/mmds: out of memory");
	if (n > m->size_limit)
		return fail(ERR_USAGE, "/mmds: the data store would be %zu bytes, above its limit of %zu",
			    n, m->size_limit);
	return 0;
}

int mmds_put(struct mmds *m, const char *json, size_t len)
{
	json_object *o = parse_object(json, len), *old;

	/* The limit never changes: the new store is checked outside the lock. */
	if (!o || check_size(m, o)) {
		json_object_put(o);
		return -1;
	}
	lock(m);
	old = m->data;
	m->data = o;
	unlock(m);
	json_object_put(old);
	return 0;
}

/* O[KEY] = V, V's reference handed over even on failure (-1: no memory). */
static int set_member(json_object *o, const char *key, json_object *v)
{
	if (json_object_object_add(o, key, v) == 0)
		return 0;
	json_object_put(v);
	return -1;
}

static int merge(json_object *target, json_object *patch);

/* PATCH[KEY] is an object: merged into TARGET[KEY], which becomes {} first
 * if it is not an object (RFC 7396). */
static int merge_member(json_object *target, const char *key, json_object *patch)
{
	json_object *cur = json_object_object_get(target, key);

	if (!json_object_is_type(cur, json_type_object)) {
		cur = json_object_new_object();
		if (!cur || set_member(target, key, cur))
			return -1;
	}
	return merge(cur, patch);
}

/* RFC 7396 on the object TARGET with the object PATCH: a null removes the
 * key, an object merges, anything else replaces.  -1: out of memory. */
static int merge(json_object *target, json_object *patch)
{
	json_object_object_foreach(patch, key, val) {
		if (!val)
			json_object_object_del(target, key);
		else if (json_object_is_type(val, json_type_object)) {
			if (merge_member(target, key, val))
				return -1;
		} else if (set_member(target, key, json_object_get(val)))
			return -1;
	}
	return 0;
}

int mmds_patch(struct mmds *m, const char *json, size_t len)
{
	json_object *patch = parse_object(json, len), *next = NULL, *old = NULL;
	int rc = -1;

	if (!patch)
		return -1;
	lock(m);
	/* Merged into a copy: the store changes whole or not at all. */
	if (json_object_deep_copy(m->data, &next, NULL) || merge(next, patch))
		fail(ERR_HOST, "/mmds: out of memory");
	else if (check_size(m, next) == 0) {
		old = m->data;
		m->data = next;
		next = NULL;
		rc = 0;
	}
	unlock(m);
	json_object_put(next);
	json_object_put(old);
	json_object_put(patch);
	return rc;
}

/* A copy of O's compact JSON text, its length in *LEN; NULL: no memory. */
static char *json_text(json_object *o, size_t *len)
{
	const char *s = json_object_to_json_string_length(o, JSON_FLAGS, len);
	char *copy = s ? malloc(*len + 1) : NULL;

	if (copy)
		memcpy(copy, s, *len + 1);
	return copy;
}

char *mmds_get(struct mmds *m)
{
	size_t len;
	char *s;

	lock(m);
	s = json_text(m->data, &len);
	unlock(m);
	return s;
}

/* --- reads for the guest ---------------------------------------------------- */

/* An array index as RFC 6901 spells it: digits, no leading zero. */
static bool array_index(const char *s, size_t n, size_t *idx)
{
	size_t v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(*s - '0');
	}
	*idx = v;
	return v < n;
}

/* V's member (or element) KEY: false if there is none.  *OUT is NULL for
 * a JSON null. */
static bool child(json_object *v, const char *key, json_object **out)
{
	size_t i;

	if (json_object_is_type(v, json_type_object))
		return json_object_object_get_ex(v, key, out);
	if (json_object_is_type(v, json_type_array) && array_index(key, json_object_array_length(v), &i)) {
		*out = json_object_array_get_idx(v, i);
		return true;
	}
	return false;
}

/* The next segment of a pointer from *P (just past its '/') into SEG,
 * unescaped (~1 is '/', ~0 is '~'); *P moves to the '/' after it or the
 * end. */
static void next_segment(const char **p, char *seg)
{
	const char *s = *p;

	for (; *s && *s != '/'; s++) {
		if (s[0] == '~' && (s[1] == '0' || s[1] == '1'))
			*seg++ = *++s == '1' ? '/' : '~';
		else
			*seg++ = *s;
	}
	*seg = 0;
	*p = s;
}

/* The value at PTR in ROOT: false if none (*OUT NULL for a JSON null).
 * SEG: scratch of strlen(PTR) + 1 bytes. */
static bool lookup(json_object *root, const char *ptr, char *seg, json_object **out)
{
	json_object *v = root;

	if (*ptr && *ptr != '/')
		return false;
	while (*ptr) {
		ptr++; /* the '/' */
		next_segment(&ptr, seg);
		if (!child(v, seg, &v))
			return false;
	}
	*out = v;
	return true;
}

struct imds_key {
	const char *key;
	bool object;
};

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(((const struct imds_key *)a)->key, ((const struct imds_key *)b)->key);
}

/* The object O's keys in byte order (as Firecracker's sorted map), one a
 * line, an object's with a '/' after it; no newline after the last. */
static char *imds_keys(json_object *o, size_t *len)
{
	size_t n = (size_t)json_object_object_length(o), i = 0, total = 0, at = 0;
	struct imds_key *k = malloc((n ? n : 1) * sizeof(*k));
	char *text;

	if (!k)
		return NULL;
	json_object_object_foreach(o, key, val) {
		k[i].key = key;
		k[i].object = json_object_is_type(val, json_type_object);
		total += strlen(key) + k[i].object + 1;
		i++;
	}
	qsort(k, n, sizeof(*k), cmp_keys);
	text = malloc(total + 1);
	for (i = 0; text && i < n; i++) {
		size_t kl = strlen(k[i].key);

		memcpy(text + at, k[i].key, kl);
		at += kl;
		if (k[i].object)
			text[at++] = '/';
		if (i + 1 < n)
			text[at++] = '\n';
	}
	if (text)
		text[at] = 0;
	free(k);
	*len = at;
	return text;
}

/* A string's value as IMDS text shows it: raw, whatever bytes it holds. */
static char *imds_string(json_object *s, size_t *len)
{
	char *text;

	*len = (size_t)json_object_get_string_len(s);
	text = malloc(*len + 1);
	if (text) {
		memcpy(text, json_object_get_string(s), *len);
		text[*len] = 0;
	}
	return text;
}

static enum mmds_render_result render(json_object *v, enum mmds_format format, char **out, size_t *len)
{
	if (format == MMDS_FORMAT_JSON)
		*out = json_text(v, len);
	else if (json_object_is_type(v, json_type_object))
		*out = imds_keys(v, len);
	else if (json_object_is_type(v, json_type_string))
		*out = imds_string(v, len);
	else
		return MMDS_RENDER_UNSUPPORTED;
	return *out ? MMDS_RENDER_OK : MMDS_RENDER_NOMEM;
}

enum mmds_render_result mmds_render(struct mmds *m, const char *ptr, enum mmds_format format,
				    char **out, size_t *len)
{
	char *seg = malloc(strlen(ptr) + 1);
	enum mmds_render_result res = MMDS_RENDER_NOMEM;
	json_object *v;

	*out = NULL;
	*len = 0;
	if (!seg)
		return res;
	lock(m);
	if (!lookup(m->data, ptr, seg, &v))
		res = MMDS_RENDER_NOT_FOUND;
	else
		res = render(v, format, out, len);
	unlock(m);
	free(seg);
	return res;
}

/* --- V2 session tokens ------------------------------------------------------- */

static void base64(const uint8_t *in, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*out++ = abc[v >> 18 & 63];
		*out++ = abc[v >> 12 & 63];
		*out++ = abc[v >> 6 & 63];
		*out++ = abc[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

		*out++ = abc[v >> 18 & 63];
		*out++ = abc[v >> 12 & 63];
		*out++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
		*out++ = '=';
	}
	*out = 0;
}

/* Where a new token goes: a free or expired slot, else the oldest's. */
static struct token *token_slot(struct mmds *m, uint64_t now_ms)
{
	struct token *oldest = &m->tokens[0];

	for (size_t i = 0; i < MMDS_MAX_TOKENS; i++) {
		struct token *t = &m->tokens[i];

		if (!t->text[0] || now_ms >= t->expiry_ms)
			return t;
		if (t->seq < oldest->seq)
			oldest = t;
	}
	return oldest;
}

int mmds_token_new(struct mmds *m, unsigned ttl_s, uint64_t now_ms, char *token)
{
	_Static_assert((MMDS_TOKEN_BYTES + 2) / 3 * 4 == MMDS_TOKEN_LEN, "a token's base64 length");
	uint8_t raw[MMDS_TOKEN_BYTES];
	uint64_t life = (uint64_t)ttl_s * 1000;
	struct token *t;
	ssize_t got;

	/* Random bytes before the lock: getrandom may wait for entropy. */
	do
		got = getrandom(raw, sizeof(raw), 0);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(raw))
		return -1;
	base64(raw, sizeof(raw), token);
	lock(m);
	t = token_slot(m, now_ms);
	memcpy(t->text, token, MMDS_TOKEN_LEN + 1);
	t->expiry_ms = now_ms > UINT64_MAX - life ? UINT64_MAX : now_ms + life;
	t->seq = ++m->token_seq;
	unlock(m);
	return 0;
}

/* Every byte compared: how long a wrong guess takes says nothing of how
 * close it came. */
static bool same_token(const char *a, const char *b)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < MMDS_TOKEN_LEN; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

bool mmds_token_valid(struct mmds *m, const char *token, size_t len, uint64_t now_ms)
{
	bool ok = false;

	if (len != MMDS_TOKEN_LEN)
		return false;
	lock(m);
	for (size_t i = 0; i < MMDS_MAX_TOKENS; i++) {
		const struct token *t = &m->tokens[i];

		if (t->text[0] && now_ms < t->expiry_ms && same_token(t->text, token))
			ok = true;
	}
	unlock(m);
	return ok;
}
