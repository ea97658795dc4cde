#include "accounting/histogram.h"

uint64_t hist_bucket_low(unsigned i)
{
	unsigned msb, sub;

	if (i < HIST_LINEAR)
		return i;
	msb = (i - HIST_LINEAR) / (1u << HIST_SUB_BITS) + 4;
	sub = (i - HIST_LINEAR) % (1u << HIST_SUB_BITS);
	return (1ULL << msb) + ((uint64_t)sub << (msb - HIST_SUB_BITS));
}

uint64_t hist_bucket_high(unsigned i)
{
	if (i + 1 >= HIST_BUCKETS)
		return UINT64_MAX;
	return hist_bucket_low(i + 1) - 1;
}

void hist_merge(struct histogram *dst, const struct histogram *src)
{
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

uint64_t hist_percentile(const struct histogram *h, double p)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	/* Rank of the sample at percentile p, 1-based, rounded up. */
	rank = (uint64_t)((p / 100.0) * (double)h->count);
	if ((double)rank < (p / 100.0) * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t hi = hist_bucket_high(i);
			return hi < h->max ? hi : h->max;
		}
	}
	return h->max;
}

double hist_mean(const struct histogram *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}
