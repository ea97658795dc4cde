/* Not a unit test of warden: a binary for tests/unit/run.sh --selftest,
 * which must count it as "1 passed, 2 failed, 1 skipped" (the skip without
 * a reason is a failure). Not named test_*.c, so the tier does not run it
 * as a test. */
#include "unit.h"

static void passes(void **state)
{
	(void)state;
	assert_int_equal(1, 1);
}

static void fails(void **state)
{
	(void)state;
	assert_int_equal(1, 2);
}

static void skips_saying_why(void **state)
{
	(void)state;
	u_skip("the self-test says why");
}

static void skips_silently(void **state)
{
	(void)state;
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passes),
		cmocka_unit_test(fails),
		cmocka_unit_test(skips_saying_why),
		cmocka_unit_test(skips_silently),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
