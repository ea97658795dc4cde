#include "lab/samples.h"

#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank of percentile P (1-100) among N > 0 sorted values,
 * 0-based: ceil(P * N / 100) - 1, in integers. */
static size_t rank(size_t n, unsigned p)
{
	size_t k = (n * p + 99) / 100;

	return k == 0 ? 0 : k - 1;
}

void lab_summarize(uint64_t *v, size_t n, struct lab_summary *out)
{
	double sum = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	qsort(v, n, sizeof(v[0]), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	out->n = n;
	out->min = (double)v[0];
	out->max = (double)v[n - 1];
	out->median = n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
	out->p99 = (double)v[rank(n, 99)];
	out->mean = sum / (double)n;
}

double lab_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
