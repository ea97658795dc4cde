/* The run loop's ring of exit notes (src/core/exit_notes.h): one producer
 * without a lock, consumers under a lock on any thread.  Every note is
 * handed over exactly once, in order, whoever hands it over. */
#include "core/exit_notes.h"
#include "util/futex_mutex.h"
#include "unit.h"

#include <pthread.h>
#include <time.h>
#include <sched.h>

#define NOTES 200000

struct seen {
	uint64_t next;   /* the t_enter the next note must carry */
	uint64_t bad;    /* notes out of order, repeated or lost */
	uint64_t calls;  /* hand-over calls */
	uint64_t reader_calls; /* of them, by the readers */
	unsigned max_batch;
};

static struct exit_notes ring;
static struct futex_mutex lock = FUTEX_MUTEX_INIT;
static struct seen seen; /* only changed under LOCK, by the handing over */
static _Atomic int producing, readers_started;
static __thread bool is_reader;

static void take(void *vctx, unsigned vcpu, const struct exit_note *n, unsigned count)
{
	struct seen *s = vctx;

	(void)vcpu;
	s->calls++;
	if (is_reader) /* atomic: the producer reads it without the lock */
		__atomic_fetch_add(&s->reader_calls, 1, __ATOMIC_RELAXED);
	if (count > s->max_batch)
		s->max_batch = count;
	for (unsigned i = 0; i < count; i++) {
		/* Slow now and then, as an observer may be: a producer that
		 * wrote over notes still being read would do it here. */
		if (i == 0 && (s->calls & 7) == 0)
			sched_yield();
		if (n[i].t_enter != s->next || n[i].addr != ~s->next)
			s->bad++;
		s->next = n[i].t_enter + 1;
	}
}

static void hand_over(void)
{
	futex_mutex_lock(&lock);
	exit_notes_hand_over(&ring, take, 0);
	futex_mutex_unlock(&lock);
}

/* Another thread's live views: hand over whatever is there, again and
 * again, while the producer runs. */
static void *reader(void *arg)
{
	(void)arg;
	is_reader = true;
	atomic_fetch_add(&readers_started, 1);
	while (atomic_load(&producing)) {
		hand_over();
		sched_yield();
	}
	return NULL;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Still waiting for the readers: fewer than READER_CALLS hand-overs so
 * far, and DEADLINE not passed (looked at every 1024 notes). */
static bool readers_behind(uint64_t i, uint64_t reader_calls, uint64_t deadline)
{
	if (__atomic_load_n(&seen.reader_calls, __ATOMIC_RELAXED) >= reader_calls)
		return false;
	return (i & 1023) || mono_ns() < deadline;
}

/* N notes, and more (to MAX, or for at most 20 s) until the readers have
 * handed over at least READER_CALLS times: on a busy machine (the
 * emulated tier's TCG on both cores) they may get little CPU while the
 * first N go.  Returns how many were produced. */
static uint64_t produce_until(uint64_t n, uint64_t reader_calls, uint64_t max)
{
	uint64_t i, deadline = mono_ns() + 20000000000ULL;

	for (i = 0; i < max && (i < n || readers_behind(i, reader_calls, deadline)); i++) {
		struct exit_record r = { .t_enter = i, .addr = ~i };

		if (exit_notes_put(&ring, &r))
			hand_over();
	}
	hand_over(); /* the thread's end */
	return i;
}

static void produce(uint64_t n)
{
	produce_until(n, 0, n);
}

static void reset(void)
{
	ring = (struct exit_notes){ .vctx = &seen };
	seen = (struct seen){ 0 };
}

/* Alone, the producer hands over full rings: batches of EXIT_NOTES. */
static void test_alone(void **state)
{
	(void)state;
	reset();
	produce(EXIT_NOTES * 10 + 3);
	assert_int_equal(seen.next, EXIT_NOTES * 10 + 3);
	assert_int_equal(seen.bad, 0);
	assert_int_equal(seen.max_batch, EXIT_NOTES);
	assert_int_equal(seen.calls, 11);
}

/* With two readers handing over at the same time (the machine's other
 * core): still every note once, in order. */
static void test_with_readers(void **state)
{
	pthread_t t[2];

	uint64_t n;

	(void)state;
	reset();
	atomic_store(&producing, 1);
	atomic_store(&readers_started, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, NULL), 0);
	while (atomic_load(&readers_started) < 2)
		sched_yield();
	n = produce_until(NOTES, 100, UINT64_MAX);
	atomic_store(&producing, 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(seen.next, n);
	assert_int_equal(seen.bad, 0);
	/* The readers took part, handing over while the producer wrote. */
	assert_true(seen.reader_calls >= 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alone),
		cmocka_unit_test(test_with_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
