/* Rate limits (src/util/token_bucket.c, src/virtio/rate_limit.c):
 * Firecracker's token bucket on an explicit clock, the limiter's
 * both-or-nothing take with its timer, live updates, and the command
 * line's words. */
#include "util/token_bucket.h"
#include "virtio/rate_limit.h"
#include "unit.h"

#include <poll.h>

#define MS 1000000ULL
#define SEC 1000000000ULL

static struct token_bucket bucket(uint64_t size, uint64_t refill_ms, uint64_t burst)
{
	struct token_bucket b;

	token_bucket_init(&b, &(struct bucket_spec){ .size = size, .refill_ms = refill_ms, .burst = burst }, 0);
	return b;
}

/* Starts full; once empty a token comes back every refill_ms / size. */
static void test_full_then_refill(void **state)
{
	struct token_bucket b = bucket(100, 1000, 0); /* 100 per second: 10 ms each */

	(void)state;
	assert_true(token_bucket_ready(&b, 100, 0));
	token_bucket_take(&b, 100);
	assert_false(token_bucket_ready(&b, 1, 0));
	assert_int_equal(token_bucket_wait_ns(&b, 1, 0), 10 * MS);
	assert_false(token_bucket_ready(&b, 1, 10 * MS - 1));
	assert_true(token_bucket_ready(&b, 1, 10 * MS));
	/* Half the refill time: half the bucket, never above it. */
	assert_true(token_bucket_ready(&b, 50, 500 * MS));
	assert_false(token_bucket_ready(&b, 51, 500 * MS));
	assert_true(token_bucket_ready(&b, 100, 5 * SEC));
	assert_true(token_bucket_ready(&b, 101, 5 * SEC)); /* more than it holds: goes when full */
	token_bucket_take(&b, 100);
	assert_false(token_bucket_ready(&b, 1, 5 * SEC + 1));
}

/* Refilled a nanosecond at a time, no token is lost to rounding. */
static void test_no_rounding_loss(void **state)
{
	struct token_bucket b = bucket(3, 1, 0); /* 3 per ms: 333333.33 ns each */
	uint64_t t;

	(void)state;
	token_bucket_take(&b, 3);
	for (t = 1; t < 1000; t++)
		assert_false(token_bucket_ready(&b, 3, t * 1000)); /* asked every us */
	assert_true(token_bucket_ready(&b, 3, 1 * MS));
}

/* The one-time burst goes first and never comes back. */
static void test_burst(void **state)
{
	struct token_bucket b = bucket(10, 1000, 50);

	(void)state;
	assert_true(token_bucket_ready(&b, 60, 0));
	token_bucket_take(&b, 60);
	assert_false(token_bucket_ready(&b, 1, 0));
	/* A whole refill later: the bucket's 10, not the burst's 50. */
	assert_true(token_bucket_ready(&b, 10, 2 * SEC));
	token_bucket_take(&b, 10);
	assert_false(token_bucket_ready(&b, 1, 2 * SEC));
}

/* A request larger than the bucket goes when it is full and leaves a
 * debt the next one waits out: the long-run rate holds. */
static void test_oversized_debt(void **state)
{
	struct token_bucket b = bucket(1000, 1000, 0); /* 1000 a second */

	(void)state;
	assert_true(token_bucket_ready(&b, 5000, 0));
	token_bucket_take(&b, 5000);
	/* 4000 owed, then 1 more: 4.001 s. */
	assert_int_equal(token_bucket_wait_ns(&b, 1, 0), 4001 * MS);
	assert_false(token_bucket_ready(&b, 1, 4 * SEC));
	assert_true(token_bucket_ready(&b, 1, 4001 * MS));
	/* Not full yet: another large one waits for the whole bucket. */
	assert_false(token_bucket_ready(&b, 5000, 4001 * MS));
	assert_int_equal(token_bucket_wait_ns(&b, 5000, 4001 * MS), 999 * MS);
}

/* A request that waits what wait_ns says and no longer gets through:
 * over many, tokens taken = the rate times the time, to a bucket. */
static void test_long_run_rate(void **state)
{
	struct token_bucket b = bucket(4096, 100, 0); /* 40960 a second */
	uint64_t t = 0, taken = 0;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		uint64_t want = 512 + (uint64_t)(i * 7919) % 3000;

		t += token_bucket_wait_ns(&b, want, t);
		assert_true(token_bucket_ready(&b, want, t));
		token_bucket_take(&b, want);
		taken += want;
	}
	/* At t the bucket is empty: taken = the first full bucket + refills. */
	assert_true(taken <= 4096 + t * 40960 / SEC + 1);
	assert_true(taken + 3512 >= 4096 + t * 40960 / SEC);
}

static void test_unlimited(void **state)
{
	struct token_bucket b = bucket(0, 1000, 0), c = bucket(1000, 0, 0);

	(void)state;
	assert_true(token_bucket_ready(&b, UINT64_MAX, 0));
	token_bucket_take(&b, UINT64_MAX);
	assert_true(token_bucket_ready(&b, 1, 0));
	assert_true(token_bucket_ready(&c, UINT64_MAX, 0));
	assert_int_equal(token_bucket_wait_ns(&c, UINT64_MAX, 0), 0);
}

/* Huge numbers: no overflow in the products. */
static void test_extremes(void **state)
{
	struct token_bucket b = bucket(BUCKET_MAX_TOKENS, BUCKET_MAX_REFILL_MS, 0);

	(void)state;
	token_bucket_take(&b, BUCKET_MAX_TOKENS);
	assert_false(token_bucket_ready(&b, BUCKET_MAX_TOKENS, 1));
	assert_true(token_bucket_wait_ns(&b, BUCKET_MAX_TOKENS, 0) >= BUCKET_MAX_REFILL_MS * MS - 1);
	assert_true(token_bucket_ready(&b, BUCKET_MAX_TOKENS, BUCKET_MAX_REFILL_MS * MS));
}

/* A level saved and put into a bucket of the same spec at another time:
 * the refill goes on from where it stood, the burst and the carry come
 * back; a level the spec cannot have is refused and changes nothing; a
 * debt stays bounded however much is charged. */
static void test_level(void **state)
{
	struct token_bucket a = bucket(10, 100, 4), b = bucket(10, 100, 4), c;
	struct bucket_level l;

	(void)state;
	token_bucket_take(&a, 13); /* the burst, then 9 of the 10 */
	assert_true(token_bucket_ready(&a, 1, 3 * MS));  /* refill 3 ms: 0.3 token carried */
	token_bucket_level(&a, 53 * MS, &l);
	assert_int_equal(l.budget, 1);
	assert_int_equal(l.burst, 0);
	assert_int_equal(l.elapsed_ns, 50 * MS);
	assert_int_equal(l.frac, 3 * MS * 10);
	/* Restored 1000 s later: 50.3 ms of refill stand, 5 tokens + 1. */
	assert_int_equal(token_bucket_set_level(&b, &l, 1000 * SEC), 0);
	assert_true(token_bucket_ready(&b, 6, 1000 * SEC));
	assert_false(token_bucket_ready(&b, 7, 1000 * SEC));
	/* The carry counts: 0.7 token more in 7 ms, not 10. */
	assert_true(token_bucket_ready(&b, 7, 1000 * SEC + 7 * MS));

	c = bucket(10, 100, 4);
	l = (struct bucket_level){ .budget = 11 };
	assert_int_equal(token_bucket_set_level(&c, &l, 0), -1);
	l = (struct bucket_level){ .budget = -(int64_t)BUCKET_MAX_TOKENS - 1 };
	assert_int_equal(token_bucket_set_level(&c, &l, 0), -1);
	l = (struct bucket_level){ .burst = 5 };
	assert_int_equal(token_bucket_set_level(&c, &l, 0), -1);
	l = (struct bucket_level){ .frac = 100 * MS };
	assert_int_equal(token_bucket_set_level(&c, &l, 0), -1);
	token_bucket_level(&c, 0, &l);
	assert_int_equal(l.budget, 10);
	assert_int_equal(l.burst, 4);

	c = bucket(BUCKET_MAX_TOKENS, 1000, 0);
	for (int i = 0; i < 4; i++)
		token_bucket_take(&c, BUCKET_MAX_TOKENS);
	token_bucket_level(&c, 0, &l);
	assert_true(l.budget == -(int64_t)BUCKET_MAX_TOKENS);
}

static bool timer_fires_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* The limiter: both buckets or nothing; when not, its timer fires when
 * the tokens are there; a PATCH-style update wakes a waiter at once. */
static void test_limiter(void **state)
{
	const struct rate_spec spec = { .bw = { .size = 1000, .refill_ms = 100000 },
					.ops = { .size = 3, .refill_ms = 100 } };
	struct rate_limit rl;
	uint64_t throttled = 0;

	(void)state;
	assert_int_equal(rate_limit_init(&rl, &spec, &throttled), 0);
	assert_true(rate_limit_take(&rl, 400));
	assert_true(rate_limit_take(&rl, 400));
	/* Bytes short (200 left), ops not: nothing taken. */
	assert_false(rate_limit_take(&rl, 300));
	assert_int_equal(throttled, 1);
	assert_true(rate_limit_take(&rl, 200)); /* the last op and the last bytes */
	assert_false(rate_limit_take(&rl, 0));  /* ops: a third of 100 ms away */
	assert_int_equal(throttled, 2);
	assert_true(timer_fires_within(rl.timer_fd, 2000));
	rate_limit_timer_read(&rl);
	assert_true(rate_limit_take(&rl, 0));
	/* The bandwidth bucket's next byte is 100 ms away; an update
	 * lifting its limit wakes the waiter at once. */
	assert_false(rate_limit_take(&rl, 1));
	assert_false(timer_fires_within(rl.timer_fd, 50));
	rate_limit_update(&rl, &(struct rate_update){ .set_bw = true });
	assert_true(timer_fires_within(rl.timer_fd, 1000));
	rate_limit_timer_read(&rl);
	assert_true(rate_limit_take(&rl, 1000000));
	assert_int_equal(rl.ops.spec.size, 3); /* ops untouched */
	assert_int_equal(rl.bw.spec.size, 0);
	rate_limit_update(&rl, &(struct rate_update){ .set_ops = true });
	for (int i = 0; i < 100; i++)
		assert_true(rate_limit_take(&rl, 1 << 20));
	rate_limit_destroy(&rl);
}

static void test_words(void **state)
{
	struct rate_spec s = { 0 }, back = { 0 };
	char buf[RATE_WORDS_MAX];

	(void)state;
	assert_int_equal(rate_parse_word("bw=1048576/1000", "--disk", "", &s), 0);
	assert_int_equal(rate_parse_word("ops=100/10/5", "--disk", "", &s), 0);
	assert_int_equal(s.bw.size, 1048576);
	assert_int_equal(s.bw.refill_ms, 1000);
	assert_int_equal(s.bw.burst, 0);
	assert_int_equal(s.ops.burst, 5);
	assert_int_equal(rate_parse_word("ro", "--disk", "", &s), 1);
	assert_int_equal(rate_parse_word("tx-bw=1/1", "--disk", "", &s), 1);
	rate_spec_words(buf, sizeof(buf), "tx-", &s);
	assert_string_equal(buf, ",tx-bw=1048576/1000,tx-ops=100/10/5");
	/* Read back, word by word, as --net's parser splits them. */
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
		assert_int_equal(rate_parse_word(w, "--net", "tx-", &back), 0);
	assert_memory_equal(&s, &back, sizeof(s));
	/* Refused, one line each. */
	assert_int_equal(rate_parse_word("bw=", "--disk", "", &s), -1);
	assert_int_equal(rate_parse_word("bw=10", "--disk", "", &s), -1);
	assert_int_equal(rate_parse_word("bw=10/", "--disk", "", &s), -1);
	assert_int_equal(rate_parse_word("bw=-1/10", "--disk", "", &s), -1);
	assert_int_equal(rate_parse_word("bw=1/10/2/3", "--disk", "", &s), -1);
	assert_int_equal(rate_parse_word("ops=9007199254740993/10", "--disk", "", &s), -1);
	assert_int_equal(rate_parse_word("ops=1/ 10", "--disk", "", &s), -1);
	assert_non_null(strstr(err_msg(), "--disk ops= takes SIZE/MS[/BURST]"));
	/* Nothing limited: no words. */
	rate_spec_words(buf, sizeof(buf), "", &(struct rate_spec){ .bw = { .size = 5 } });
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_then_refill), cmocka_unit_test(test_no_rounding_loss),
		cmocka_unit_test(test_burst),            cmocka_unit_test(test_oversized_debt),
		cmocka_unit_test(test_long_run_rate),    cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_extremes),         cmocka_unit_test(test_limiter),
		cmocka_unit_test(test_level),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
