/* The error classes' mechanisms (src/util/ratelimit.c, invariant.c,
 * error.c): guest-caused lines are rate-limited, a user error stays one
 * line, and a broken invariant names its place and asks the VM to end
 * instead of aborting. */
#include <errno.h>

#include "core/vm.h"
#include "util/error.h"
#include "util/invariant.h"
#include "util/ratelimit.h"
#include "unit.h"

#define SEC 1000000000ULL

static void test_ratelimit_burst_then_quiet(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t dropped, t = 5 * SEC;
	unsigned allowed = 0;

	(void)state;
	for (unsigned i = 0; i < 1000; i++) {
		allowed += ratelimit_allow(&rl, t + i, &dropped);
		assert_int_equal(dropped, 0);
	}
	assert_int_equal(allowed, RATELIMIT_BURST);
	/* Still inside the window: nothing. */
	assert_false(ratelimit_allow(&rl, t + RATELIMIT_WINDOW_NS - 1, &dropped));
	assert_int_equal(dropped, 0);
	/* The next window: allowed again, and told what was left out. */
	assert_true(ratelimit_allow(&rl, t + RATELIMIT_WINDOW_NS, &dropped));
	assert_int_equal(dropped, 1000 - RATELIMIT_BURST + 1);
	assert_true(ratelimit_allow(&rl, t + RATELIMIT_WINDOW_NS + 1, &dropped));
	assert_int_equal(dropped, 0);
}

static void test_ratelimit_first_call_at_zero(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t dropped;

	(void)state;
	for (unsigned i = 0; i < RATELIMIT_BURST; i++)
		assert_true(ratelimit_allow(&rl, 0, &dropped));
	assert_false(ratelimit_allow(&rl, 0, &dropped));
}

static void ended(void *ctx)
{
	vm_end_request(ctx, VM_END_BUG);
}

/* A message quoting user input stays one line (fuzz_cli found "\n" as an
 * argument printed across two; cmocka has a fail() macro, hence (fail)). */
static void test_error_is_one_line(void **state)
{
	(void)state;
	(fail)(ERR_USAGE, "unexpected argument '%s'", "a\nb\x1b[2J\tc");
	assert_string_equal(err_msg(), "unexpected argument 'a?b?[2J?c'");
	errno = ENOENT;
	fail_errno(ERR_USAGE, "cannot open %s", "x\r\n");
	assert_string_equal(err_msg(), "cannot open x??: No such file or directory");
	err_clear();
}

static void test_invariant_ends_vm(void **state)
{
	struct vm_end_signal end;
	unsigned before = invariant_broken_count();
	int three = 3;

	(void)state;
	assert_int_equal(vm_end_init(&end), 0);
	invariant_set_handler(ended, &end);
	assert_true(invariant(three == 3));
	assert_int_equal(vm_end_get(&end), VM_RUNNING);
	assert_false(invariant(three == 4));
	assert_int_equal(vm_end_get(&end), VM_END_BUG);
	assert_int_equal(invariant_broken_count(), before + 1);
	assert_int_equal(vm_end_exit_code(VM_END_BUG), 1);
	assert_string_equal(vm_end_name(VM_END_BUG), "warden-bug");
	/* A guest that could not boot has a status of its own. */
	assert_int_equal(vm_end_exit_code(VM_END_GUEST_FAILED), 8);
	assert_string_equal(vm_end_name(VM_END_GUEST_FAILED), "guest-boot-failure");
	invariant_set_handler(NULL, NULL);
	vm_end_close(&end);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_burst_then_quiet),
		cmocka_unit_test(test_ratelimit_first_call_at_zero),
		cmocka_unit_test(test_error_is_one_line),
		cmocka_unit_test(test_invariant_ends_vm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
