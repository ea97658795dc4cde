/* Clocks.  now_ns(): CLOCK_MONOTONIC in ns (vDSO), the clock perf samples
 * are taken with.  cycles(): the TSC, for the per-exit timestamps of the
 * vCPU loop: a quarter of the cost of clock_gettime, which matters at four
 * stamps per exit.  Cycles become ns with the ratio of both clocks over
 * the VM's life (struct clock_cal), measured, not assumed. */
#ifndef WARDEN_UTIL_CLOCK_H
#define WARDEN_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>
#include <x86intrin.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t cycles(void)
{
	return __rdtsc();
}

struct clock_cal {
	uint64_t cycles0, ns0;
};

static inline void clock_cal_start(struct clock_cal *c)
{
	c->ns0 = now_ns();
	c->cycles0 = cycles();
}

/* ns per TSC cycle since clock_cal_start; 1.0 if no time has passed. */
static inline double clock_cal_ns_per_cycle(const struct clock_cal *c)
{
	uint64_t dc = cycles() - c->cycles0, dn = now_ns() - c->ns0;

	return dc && dn ? (double)dn / (double)dc : 1.0;
}

#endif
