/* The device lock (src/util/futex_mutex.h): mutual exclusion under
 * contention, and a waiter that sleeps instead of spinning. */
#include "util/futex_mutex.h"
#include "unit.h"

#include <pthread.h>
#include <time.h>

#define THREADS 4
#define ROUNDS 200000

static struct futex_mutex lock = FUTEX_MUTEX_INIT;
static uint64_t counter; /* only ever changed under LOCK */

static void *add_rounds(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		futex_mutex_lock(&lock);
		/* A read, a pause and a write: two holders at once lose updates. */
		uint64_t v = __atomic_load_n(&counter, __ATOMIC_RELAXED);

		if ((i & 1023) == 0)
			sched_yield();
		__atomic_store_n(&counter, v + 1, __ATOMIC_RELAXED);
		futex_mutex_unlock(&lock);
	}
	return NULL;
}

/* THREADS threads on 2 cores, with yields while holding the lock so that
 * the others contend and sleep: no update is lost, and the lock is free
 * at the end. */
static void test_exclusion(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	counter = 0;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, add_rounds, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(counter, (uint64_t)THREADS * ROUNDS);
	assert_int_equal(__atomic_load_n(&lock.state, __ATOMIC_RELAXED), 0);
}

static void test_trylock(void **state)
{
	struct futex_mutex m = FUTEX_MUTEX_INIT;

	(void)state;
	assert_true(futex_mutex_trylock(&m));
	assert_false(futex_mutex_trylock(&m));
	futex_mutex_unlock(&m);
	assert_true(futex_mutex_trylock(&m));
	futex_mutex_unlock(&m);
}

static int waiter_done;
static clockid_t waiter_clock;
static pthread_barrier_t started;

static void *wait_for_lock(void *arg)
{
	(void)arg;
	pthread_getcpuclockid(pthread_self(), &waiter_clock);
	pthread_barrier_wait(&started);
	futex_mutex_lock(&lock);
	__atomic_store_n(&waiter_done, 1, __ATOMIC_RELEASE);
	futex_mutex_unlock(&lock);
	return NULL;
}

static double cpu_seconds(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A thread waiting for a lock held 300 ms burns (almost) no CPU meanwhile
 * (a spinning waiter would burn most of it), gets the lock once it is
 * released, and leaves it free. */
static void test_waiter_sleeps(void **state)
{
	struct timespec hold = { .tv_nsec = 300 * 1000 * 1000 };
	pthread_t t;
	double cpu;

	(void)state;
	waiter_done = 0;
	pthread_barrier_init(&started, NULL, 2);
	futex_mutex_lock(&lock);
	assert_int_equal(pthread_create(&t, NULL, wait_for_lock, NULL), 0);
	pthread_barrier_wait(&started);
	nanosleep(&hold, NULL);
	cpu = cpu_seconds(waiter_clock);
	assert_int_equal(__atomic_load_n(&waiter_done, __ATOMIC_ACQUIRE), 0);
	assert_int_equal(__atomic_load_n(&lock.state, __ATOMIC_RELAXED), 2); /* a sleeper marked it */
	futex_mutex_unlock(&lock);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&started);
	assert_int_equal(waiter_done, 1);
	assert_true(cpu < 0.05);
	assert_int_equal(__atomic_load_n(&lock.state, __ATOMIC_RELAXED), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trylock),
		cmocka_unit_test(test_exclusion),
		cmocka_unit_test(test_waiter_sleeps),
	};

	return cmocka_run_group_tests_name("futex_mutex", tests, NULL, NULL);
}
