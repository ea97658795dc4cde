/* The sleep state (src/core/vm_sleep.c): suspend epochs, resume, the wait
 * a vCPU thread does, the wake hook. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "core/vm_sleep.h"
#include "unit.h"

static bool yes(void *ctx) { (void)ctx; return true; }
static bool no(void *ctx) { (void)ctx; return false; }

static void test_enter_resume(void **state)
{
	struct vm_sleep s;

	(void)state;
	vm_sleep_init(&s);
	assert_false(vm_sleep_resume(&s, 0x1000)); /* not suspended */
	assert_true(vm_sleep_enter(&s));
	assert_int_equal(atomic_load(&s.epoch), 1);
	assert_false(vm_sleep_enter(&s)); /* already: no new epoch */
	assert_int_equal(atomic_load(&s.epoch), 1);
	assert_true(vm_sleep_is_suspended(&s));
	assert_true(vm_sleep_resume(&s, 0x1234));
	assert_false(vm_sleep_is_suspended(&s));
	assert_true(vm_sleep_enter(&s));
	assert_int_equal(atomic_load(&s.epoch), 2);
	vm_sleep_destroy(&s);
}

/* A vCPU that reaches the wait after the resume does not wait, and gets
 * the vector; one for an older epoch does not wait either; the VM's end
 * says "not resumed". */
static void test_wait_without_blocking(void **state)
{
	struct vm_sleep s;
	uint32_t v = 0;

	(void)state;
	vm_sleep_init(&s);
	vm_sleep_enter(&s);
	vm_sleep_resume(&s, 0x1000);
	assert_true(vm_sleep_wait(&s, 1, yes, NULL, &v));
	assert_int_equal(v, 0x1000);
	assert_false(vm_sleep_wait(&s, 2, no, NULL, &v)); /* the VM ends */
	vm_sleep_destroy(&s);
}

static uint32_t waited_vector;
static bool waited_result;

static void *waiter(void *arg)
{
	waited_result = vm_sleep_wait(arg, 1, yes, NULL, &waited_vector);
	return NULL;
}

/* Suspended again (epoch 2) before a vCPU got to wait for epoch 1: that
 * wait is over at once (the caller then waits for epoch 2). */
static void test_older_epoch_does_not_wait(void **state)
{
	struct vm_sleep s;
	struct timespec deadline;
	pthread_t t;
	int joined;

	(void)state;
	vm_sleep_init(&s);
	vm_sleep_enter(&s);
	vm_sleep_resume(&s, 0x1000);
	vm_sleep_enter(&s); /* epoch 2, suspended */
	waited_result = false;
	assert_int_equal(pthread_create(&t, NULL, waiter, &s), 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	joined = pthread_timedjoin_np(t, NULL, &deadline);
	if (joined != 0) {
		vm_sleep_resume(&s, 0); /* let it go before failing */
		pthread_join(t, NULL);
	}
	assert_int_equal(joined, 0);
	assert_true(waited_result);
	vm_sleep_destroy(&s);
}

/* A parked vCPU waits until the resume. */
static void test_wait_until_resume(void **state)
{
	struct vm_sleep s;
	pthread_t t;

	(void)state;
	vm_sleep_init(&s);
	vm_sleep_enter(&s);
	waited_result = false;
	waited_vector = 0;
	assert_int_equal(pthread_create(&t, NULL, waiter, &s), 0);
	usleep(50000);
	assert_false(waited_result); /* still parked */
	vm_sleep_resume(&s, 0x9f00);
	pthread_join(t, NULL);
	assert_true(waited_result);
	assert_int_equal(waited_vector, 0x9f00);
	vm_sleep_destroy(&s);
}

static enum vm_wake_source woke_by;
static int wakes;
static void on_wake(void *ctx, enum vm_wake_source src) { (void)ctx; woke_by = src; wakes++; }

static void test_wake_event(void **state)
{
	struct vm_sleep s;

	(void)state;
	vm_sleep_init(&s);
	wakes = 0;
	vm_sleep_wake_event(&s, VM_WAKE_RTC); /* no hook: nothing */
	assert_int_equal(wakes, 0);
	s.on_wake = on_wake;
	vm_sleep_wake_event(&s, VM_WAKE_RTC);
	assert_int_equal(wakes, 1);
	assert_int_equal(woke_by, VM_WAKE_RTC);
	vm_sleep_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enter_resume),
		cmocka_unit_test(test_wait_without_blocking),
		cmocka_unit_test(test_wait_until_resume),
		cmocka_unit_test(test_older_epoch_does_not_wait),
		cmocka_unit_test(test_wake_event),
	};

	return cmocka_run_group_tests_name("vm_sleep", tests, NULL, NULL);
}
