/* Log-linear latency histogram (src/accounting/histogram.c). */
#include "accounting/histogram.h"
#include "unit.h"

static void check_value(uint64_t v)
{
	unsigned b = hist_bucket_of(v);

	if (b >= HIST_BUCKETS)
		fail_msg("bucket_of(%llu) = %u out of range", (unsigned long long)v, b);
	if (hist_bucket_low(b) > v || v > hist_bucket_high(b))
		fail_msg("%llu not in bucket %u [%llu, %llu]", (unsigned long long)v, b,
			 (unsigned long long)hist_bucket_low(b),
			 (unsigned long long)hist_bucket_high(b));
}

static void test_bucket_bounds_small(void **state)
{
	unsigned prev = 0;

	(void)state;
	for (uint64_t v = 0; v <= 100000; v++) {
		unsigned b = hist_bucket_of(v);

		check_value(v);
		assert_true(b >= prev); /* monotonic */
		assert_true(b - prev <= 1); /* no bucket skipped */
		prev = b;
	}
}

static void test_bucket_bounds_large(void **state)
{
	(void)state;
	for (unsigned s = 4; s < 64; s++) {
		uint64_t p = 1ULL << s;

		check_value(p - 1);
		check_value(p);
		check_value(p + 1);
		check_value(p + p / 2);
		check_value(p | (p - 1));
	}
	check_value(UINT64_MAX);
	check_value(UINT64_MAX - 1);
	check_value(1000000007ULL);
	check_value(123456789012345ULL);
	assert_int_equal(hist_bucket_of(UINT64_MAX), HIST_BUCKETS - 1);
	assert_int_equal(hist_bucket_high(HIST_BUCKETS - 1), UINT64_MAX);
}

static void test_exact_below_linear(void **state)
{
	(void)state;
	for (unsigned v = 0; v < HIST_LINEAR; v++) {
		assert_int_equal(hist_bucket_of(v), v);
		assert_int_equal(hist_bucket_low(v), v);
		assert_int_equal(hist_bucket_high(v), v);
	}
	assert_int_equal(hist_bucket_of(HIST_LINEAR), HIST_LINEAR);
}

/* Buckets tile the whole range with no gap, each at most 12.5% wide. */
static void test_buckets_contiguous(void **state)
{
	(void)state;
	assert_int_equal(hist_bucket_low(0), 0);
	for (unsigned i = 1; i < HIST_BUCKETS; i++) {
		uint64_t lo = hist_bucket_low(i), hi = hist_bucket_high(i);

		assert_int_equal(lo, hist_bucket_high(i - 1) + 1);
		assert_true(hi >= lo);
		assert_int_equal(hist_bucket_of(lo), i);
		assert_int_equal(hist_bucket_of(hi), i);
		if (i >= HIST_LINEAR)
			assert_true(hi - lo + 1 <= lo / 8);
	}
}

static void test_add_count_sum_max(void **state)
{
	struct histogram h = { 0 };

	(void)state;
	hist_add(&h, 5);
	hist_add(&h, 1000);
	hist_add(&h, 7);
	assert_int_equal(h.count, 3);
	assert_int_equal(h.sum, 1012);
	assert_int_equal(h.max, 1000);
	assert_int_equal(h.bucket[5], 1);
	assert_int_equal(h.bucket[7], 1);
	assert_int_equal(h.bucket[hist_bucket_of(1000)], 1);
	assert_true(hist_mean(&h) > 337.33 && hist_mean(&h) < 337.34);
}

static void test_percentile_uniform(void **state)
{
	/* Samples 1..100000: the p-th percentile is p * 1000. */
	static const struct { double p; uint64_t truth; } cases[] = {
		{ 1, 1000 }, { 10, 10000 }, { 25, 25000 }, { 50, 50000 },
		{ 75, 75000 }, { 90, 90000 }, { 99, 99000 }, { 99.9, 99900 },
	};
	struct histogram *h = calloc(1, sizeof(*h));

	(void)state;
	for (uint64_t v = 1; v <= 100000; v++)
		hist_add(h, v);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t truth = cases[i].truth, got = hist_percentile(h, cases[i].p);

		/* An upper bound, at most 12.5% above the true value. */
		if (got < truth || (double)got > (double)truth * 1.125)
			fail_msg("p%g = %llu, true %llu", cases[i].p, (unsigned long long)got,
				 (unsigned long long)truth);
	}
	free(h);
}

static void test_percentile_max_and_empty(void **state)
{
	struct histogram h = { 0 };

	(void)state;
	assert_int_equal(hist_percentile(&h, 50), 0);
	assert_int_equal(hist_percentile(&h, 100), 0);
	assert_true(hist_mean(&h) == 0.0);
	for (uint64_t v = 100; v < 200; v++)
		hist_add(&h, v);
	hist_add(&h, 100003); /* not a bucket boundary */
	assert_int_equal(hist_percentile(&h, 100), 100003);
	/* A single sample is every percentile, exactly (capped by max). */
	{
		struct histogram one = { 0 };

		hist_add(&one, 12345);
		assert_int_equal(hist_percentile(&one, 0.1), 12345);
		assert_int_equal(hist_percentile(&one, 50), 12345);
		assert_int_equal(hist_percentile(&one, 100), 12345);
	}
}

static void test_percentile_skewed(void **state)
{
	struct histogram h = { 0 };

	(void)state;
	/* 99 fast exits and one slow one: p50 and p99 fast, p100 slow. */
	for (int i = 0; i < 99; i++)
		hist_add(&h, 3);
	hist_add(&h, 1000000);
	assert_int_equal(hist_percentile(&h, 50), 3);
	assert_int_equal(hist_percentile(&h, 99), 3);
	assert_int_equal(hist_percentile(&h, 99.5), 1000000);
	assert_int_equal(hist_percentile(&h, 100), 1000000);
}

static void test_merge(void **state)
{
	struct histogram *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	(void)state;
	for (uint64_t v = 0; v < 1000; v++)
		hist_add(a, v);
	for (uint64_t v = 500; v < 3000; v += 2)
		hist_add(b, v);
	hist_add(b, 5000000);
	{
		uint64_t ca = a->count, cb = b->count, sa = a->sum, sb = b->sum;
		uint32_t b500a = a->bucket[hist_bucket_of(500)], b500b = b->bucket[hist_bucket_of(500)];

		hist_merge(a, b);
		assert_int_equal(a->count, ca + cb);
		assert_int_equal(a->count, 1000 + 1250 + 1);
		assert_int_equal(a->sum, sa + sb);
		assert_int_equal(a->max, 5000000);
		assert_int_equal(a->bucket[hist_bucket_of(500)], b500a + b500b);
		assert_int_equal(a->bucket[hist_bucket_of(5000000)], 1);
	}
	/* Bucket counts still add up to the total. */
	{
		uint64_t total = 0;

		for (unsigned i = 0; i < HIST_BUCKETS; i++)
			total += a->bucket[i];
		assert_int_equal(total, a->count);
	}
	/* Merging into an empty histogram copies; max never decreases. */
	{
		struct histogram *c = calloc(1, sizeof(*c));

		hist_add(c, 9000000);
		hist_merge(c, b);
		assert_int_equal(c->max, 9000000);
		assert_int_equal(c->count, b->count + 1);
		free(c);
	}
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_bounds_small),
		cmocka_unit_test(test_bucket_bounds_large),
		cmocka_unit_test(test_exact_below_linear),
		cmocka_unit_test(test_buckets_contiguous),
		cmocka_unit_test(test_add_count_sum_max),
		cmocka_unit_test(test_percentile_uniform),
		cmocka_unit_test(test_percentile_max_and_empty),
		cmocka_unit_test(test_percentile_skewed),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
