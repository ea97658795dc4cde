/* The one clock warden's accounting uses: CLOCK_MONOTONIC in ns (vDSO,
 * no system call), the clock perf samples are also taken with. */
#ifndef WARDEN_UTIL_CLOCK_H
#define WARDEN_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif
