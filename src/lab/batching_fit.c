/* `warden lab batching`: the pure part (lab/batching_lab.h): the line
 * through each way's costs and the measured crossover. */
#include <math.h>
#include <stdlib.h>

#include "lab/batching_lab.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_of(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bt_fit(const double *x, const double *y, unsigned n, double *slope, double *intercept)
{
	double s[BT_MAX_SIZES * BT_MAX_SIZES / 2], r[BT_MAX_SIZES];
	unsigned k = 0;

	if (n < 2 || n > BT_MAX_SIZES)
		return -1;
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			if (x[j] != x[i])
				s[k++] = (y[j] - y[i]) / (x[j] - x[i]);
	if (!k)
		return -1;
	*slope = median_of(s, k);
	for (unsigned i = 0; i < n; i++)
		r[i] = y[i] - *slope * x[i];
	*intercept = median_of(r, n);
	return 0;
}

double bt_crossover(const uint32_t *sizes, const double *trap, const double *batch, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		double d = batch[i] - trap[i], dp;

		if (d > 0)
			continue;
		if (i == 0)
			return sizes[0];
		dp = batch[i - 1] - trap[i - 1];
		return sizes[i - 1] + (double)(sizes[i] - sizes[i - 1]) * dp / (dp - d);
	}
	return NAN;
}

