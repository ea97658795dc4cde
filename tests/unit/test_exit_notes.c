/* The run loop's ring of exit notes (src/core/exit_notes.h): one producer
 * without a lock, consumers under a lock on any thread.  Every note is
 * handed over exactly once, in order, whoever hands it over. */
#include "core/exit_notes.h"
#include "util/futex_mutex.h"
#include "unit.h"

#include <pthread.h>
#include <sched.h>

#define NOTES 200000

struct seen {
	uint64_t next;   /* the t_enter the next note must carry */
	uint64_t bad;    /* notes out of order, repeated or lost */
	uint64_t calls;  /* hand-over calls */
	unsigned max_batch;
};

static struct exit_notes ring;
static struct futex_mutex lock = FUTEX_MUTEX_INIT;
static struct seen seen; /* only changed under LOCK, by the handing over */
static _Atomic int producing;

static void take(void *vctx, unsigned vcpu, const struct exit_note *n, unsigned count)
{
	struct seen *s = vctx;

	(void)vcpu;
	s->calls++;
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
	while (atomic_load(&producing)) {
		hand_over();
		sched_yield();
	}
	return NULL;
}

static void produce(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		struct exit_record r = { .t_enter = i, .addr = ~i };

		if (exit_notes_put(&ring, &r))
			hand_over();
	}
	hand_over(); /* the thread's end */
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

	(void)state;
	reset();
	atomic_store(&producing, 1);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, NULL), 0);
	produce(NOTES);
	atomic_store(&producing, 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(seen.next, NOTES);
	assert_int_equal(seen.bad, 0);
	/* The readers took part: more calls than full rings. */
	assert_true(seen.calls > NOTES / EXIT_NOTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alone),
		cmocka_unit_test(test_with_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
