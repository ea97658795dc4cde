/* Diagnostics on stderr, prefixed "warden: " (stdout is the guest console). */
#ifndef WARDEN_UTIL_LOG_H
#define WARDEN_UTIL_LOG_H

#include <stdbool.h>

#include "util/ratelimit.h"

extern bool log_verbose;

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cold: the compiler moves the paths that warn out of the functions they
 * are in (to .text.unlikely), so a hot path such as the exit loop stays
 * compact, in fewer pages (util/hot.h). */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2), cold));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line a guest caused (the third error class: the guest also gets an
 * error status back, and a counter goes up).  Rate-limited per call site,
 * so no guest can flood stderr: see util/ratelimit.h. */
void log_guest_limited(struct ratelimit *rl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), cold));
#define log_guest(...)                                                         \
	do {                                                                   \
		static struct ratelimit rl_;                                   \
		log_guest_limited(&rl_, __VA_ARGS__);                          \
	} while (0)

#endif
