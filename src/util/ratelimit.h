/* A rate limit for log lines a guest can cause: a burst of lines per
 * window, then silence, and when the next window opens one line saying how
 * many were left out.  Lock-free; any thread. */
#ifndef WARDEN_UTIL_RATELIMIT_H
#define WARDEN_UTIL_RATELIMIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_BURST 5
#define RATELIMIT_WINDOW_NS 10000000000ULL /* 10 s */

struct ratelimit {
	_Atomic uint64_t start;      /* window start, ns (0: none yet) */
	_Atomic uint64_t count;      /* lines asked for in this window */
	_Atomic uint64_t suppressed; /* left out since the last report */
};

/* May a line go out at NOW_NS?  *DROPPED gets the number of lines left out
 * in earlier windows when this call opens a new one (else 0). */
bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ns, uint64_t *dropped);

#endif
