/* Log-linear latency histogram: exact below 16 ns, then 8 buckets per
 * power of two (at most 12.5% relative error), enough for p50/p99. */
#ifndef WARDEN_ACCOUNTING_HISTOGRAM_H
#define WARDEN_ACCOUNTING_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS 3
#define HIST_LINEAR 16 /* values below this get a bucket each */
#define HIST_BUCKETS (HIST_LINEAR + (64 - 4) * (1 << HIST_SUB_BITS))

struct histogram {
	uint64_t count;
	uint64_t sum;
	uint64_t max;
	uint32_t bucket[HIST_BUCKETS];
};

static inline unsigned hist_bucket_of(uint64_t v)
{
	unsigned msb, sub;

	if (v < HIST_LINEAR)
		return (unsigned)v;
	msb = 63 - (unsigned)__builtin_clzll(v);
	sub = (unsigned)(v >> (msb - HIST_SUB_BITS)) & ((1u << HIST_SUB_BITS) - 1);
	return HIST_LINEAR + (msb - 4) * (1u << HIST_SUB_BITS) + sub;
}
/* Smallest and largest value that falls in bucket I. */
uint64_t hist_bucket_low(unsigned i);
uint64_t hist_bucket_high(unsigned i);

/* Inline: the exit accounting adds five values per exit. */
static inline void hist_add(struct histogram *h, uint64_t v)
{
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
	h->bucket[hist_bucket_of(v)]++;
}
void hist_merge(struct histogram *dst, const struct histogram *src);
/* Upper bound of the bucket holding the P-th percentile (0 < P <= 100),
 * capped at the observed maximum; 0 when empty. */
uint64_t hist_percentile(const struct histogram *h, double p);
double hist_mean(const struct histogram *h);

#endif
