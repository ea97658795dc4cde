/* The last-exits ring (src/accounting/last_exits.c): bounded, oldest
 * first, the newest LAST_EXITS kept across wraparound. */
#include "accounting/last_exits.h"
#include "core/bus.h"
#include "core/exit.h"
#include "unit.h"

static void add_port(struct last_exits *l, uint64_t port, uint64_t rip)
{
	struct exit_note r = { .kind = EXIT_ACCESS, .slot = 2, .space = BUS_PIO, .addr = port,
				 .write = true, .size = 1, .dev = EXIT_DEV_NONE, .has_rip = true,
				 .rip = rip };

	last_exits_add(l, &r);
}

static void test_empty_and_partial(void **state)
{
	struct last_exits *l = calloc(1, sizeof(*l));
	struct last_exit out[LAST_EXITS];

	(void)state;
	assert_int_equal(last_exits_get(l, out), 0);
	for (unsigned i = 0; i < 5; i++)
		add_port(l, 0x500 + i, 0x1000 + i);
	assert_int_equal(last_exits_get(l, out), 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(out[i].seq, i + 1);
		assert_int_equal(out[i].addr, 0x500 + i);
		assert_int_equal(out[i].rip, 0x1000 + i);
		assert_true(out[i].write && out[i].has_rip);
	}
	free(l);
}

/* Far past the ring: only the newest LAST_EXITS, in order. */
static void test_wraparound(void **state)
{
	struct last_exits *l = calloc(1, sizeof(*l));
	struct last_exit out[LAST_EXITS + 1];
	const unsigned total = 3 * LAST_EXITS + 5;

	(void)state;
	out[LAST_EXITS].seq = 0xdead; /* must stay untouched */
	for (unsigned i = 0; i < total; i++)
		add_port(l, i, 0);
	assert_int_equal(last_exits_get(l, out), LAST_EXITS);
	for (unsigned i = 0; i < LAST_EXITS; i++) {
		assert_int_equal(out[i].seq, total - LAST_EXITS + i + 1);
		assert_int_equal(out[i].addr, total - LAST_EXITS + i);
	}
	assert_int_equal(out[LAST_EXITS].seq, 0xdead);
	free(l);
}

/* A shutdown exit keeps no address: only accesses have one. */
static void test_non_access(void **state)
{
	struct last_exits *l = calloc(1, sizeof(*l));
	struct last_exit out[LAST_EXITS];
	struct exit_note r = { .kind = EXIT_SHUTDOWN, .slot = 8, .addr = 0x1234,
				 .dev = EXIT_DEV_NONE };

	(void)state;
	last_exits_add(l, &r);
	assert_int_equal(last_exits_get(l, out), 1);
	assert_int_equal(out[0].kind, EXIT_SHUTDOWN);
	assert_int_equal(out[0].slot, 8);
	assert_int_equal(out[0].addr, 0);
	assert_false(out[0].has_rip);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_partial),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_non_access),
	};

	return cmocka_run_group_tests_name("last_exits", tests, NULL, NULL);
}
