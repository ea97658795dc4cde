/* Summaries of the guest's per-iteration samples and of per-round
 * figures: pure arithmetic, no I/O. */
#ifndef WARDEN_LAB_SAMPLES_H
#define WARDEN_LAB_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

struct lab_summary {
	uint64_t n;
	double min, median, p99, max, mean;
};

/* Summary of the N samples in V, which it sorts.  Percentiles are
 * nearest-rank (the smallest sample with at least P% of them at or below
 * it); the median of an even count is the mean of the middle two. */
void lab_summarize(uint64_t *v, size_t n, struct lab_summary *out);
/* Median of the N values in V (sorted in place); 0 for none. */
double lab_median(double *v, size_t n);

#endif
