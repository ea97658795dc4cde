/* What `warden lab tsc` tells its built-in guest (guest/lab/tsc.c) and
 * what the guest answers: a block at LAYOUT_LAB_PARAMS in guest RAM, and
 * marks written to PORT_LAB_CTL.  Each reading is framed by two marks:
 * TS_MARK_PRE, then RDTSC, then a mark carrying the reading's index;
 * warden's run loop stamps its own TSC right before the KVM_RUN that the
 * second mark ends and right after, so the reading lies between the two
 * stamps in host time, and the window is one round trip.  Fixed-width fields
 * only: the freestanding guest includes this header too. */
#ifndef WARDEN_LAB_TSC_ABI_H
#define WARDEN_LAB_TSC_ABI_H

#include <stdint.h>

#define TS_MAGIC 0x43535442u /* "BTSC" */
#define TS_SAMPLES_MAX 64
#define TS_NPHASES 2 /* 0: RDTSC in guest ring 0; 1: in guest ring 3 */

/* Marks (32-bit writes to PORT_LAB_CTL). */
#define TS_MARK_SAMPLE(phase, i) (0x10000u | ((uint32_t)(phase) << 8) | (uint32_t)(i))
#define TS_MARK_DONE 1u
#define TS_MARK_BAD 2u
#define TS_MARK_PRE 3u /* right before a reading: the KVM_RUN after it holds
			* the reading and nothing else */

enum ts_status { TS_ST_NONE = 0, TS_ST_DONE = 1, TS_ST_BAD_PARAMS = 2 };

struct ts_params {
	/* IN */
	uint32_t magic;
	uint32_t samples;     /* readings per phase, 2..TS_SAMPLES_MAX */
	uint64_t gap_cycles;  /* guest TSC cycles between readings (busy wait) */
	/* OUT */
	uint32_t status;      /* enum ts_status */
	uint32_t pad;
	uint64_t tsc[TS_NPHASES][TS_SAMPLES_MAX]; /* the readings */
};

_Static_assert(sizeof(struct ts_params) == 24 + 8 * TS_NPHASES * TS_SAMPLES_MAX, "ts_params layout");

#endif
