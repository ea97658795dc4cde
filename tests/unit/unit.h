/* Shared helpers for the cmocka unit tests (header-only). */
#ifndef WARDEN_TESTS_UNIT_H
#define WARDEN_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Before cmocka.h: cmocka defines a fail() macro that would mangle the
 * declaration of warden's fail(). */
#include "util/error.h"

/* cmocka needs the headers above first. */
#include <cmocka.h>

static inline uint16_t u_rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t u_rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t u_rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void u_wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void u_wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void u_wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* IMG (LEN bytes) as a new temporary file; its path, valid until the next
 * call. The caller unlinks it. */
static inline char *u_write_temp(const uint8_t *img, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/warden-test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, len), (ssize_t)len);
	close(fd);
	return path;
}

/* A call that must fail as a user error whose message contains SUBSTR. */
#define assert_user_error(call, substr)                                        \
	do {                                                                   \
		err_clear();                                                   \
		assert_int_equal((call), -1);                                  \
		assert_int_equal(err_class(), ERR_USAGE);                      \
		if (!strstr(err_msg(), (substr)))                              \
			fail_msg("error message \"%s\" lacks \"%s\"", err_msg(), (substr)); \
	} while (0)

#define assert_contains(hay, needle)                                           \
	do {                                                                   \
		const char *h_ = (hay);                                        \
		if (!h_ || !strstr(h_, (needle)))                              \
			fail_msg("\"%s\" lacks \"%s\"", h_ ? h_ : "(null)", (needle)); \
	} while (0)

/* Deterministic PRNG (xorshift64*) so failures reproduce. */
static inline uint64_t u_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Skip the current test, saying why: prints "skipped: <test>: <why>" (the
 * unit tier's runner, tests/unit/run.sh, counts a skip without that line
 * as a failure), then cmocka's skip(). */
static inline void u_skip_why(const char *test, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void u_skip_why(const char *test, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	print_message("skipped: %s: %s\n", test, why);
}
#define u_skip(...)                                                            \
	do {                                                                   \
		u_skip_why(__func__, __VA_ARGS__);                             \
		skip();                                                        \
	} while (0)

/* A number below N from state S (0 when N is 0). */
static inline uint64_t u_below(uint64_t *s, uint64_t n)
{
	return n ? u_rand(s) % n : 0;
}

#endif
