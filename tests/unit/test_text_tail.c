/* The console tail (src/util/text_tail.c): bounded whatever is written,
 * the last lines whole and in order, control bytes made printable. */
#include "util/text_tail.h"
#include "unit.h"

static struct text_tail tail;

static int setup(void **state)
{
	(void)state;
	text_tail_init(&tail);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	text_tail_destroy(&tail);
	return 0;
}

static void put(const char *s)
{
	text_tail_write(&tail, s, strlen(s));
}

static void test_empty(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(text_tail_lines(&tail, TEXT_TAIL_LINES, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void test_last_lines(void **state)
{
	char out[256];

	(void)state;
	put("one\ntwo\r\nthree\nfour\n");
	text_tail_lines(&tail, 2, out, sizeof(out));
	assert_string_equal(out, "three\nfour");
	text_tail_lines(&tail, 10, out, sizeof(out));
	assert_string_equal(out, "one\ntwo\nthree\nfour");
	put("partial");
	text_tail_lines(&tail, 2, out, sizeof(out));
	assert_string_equal(out, "four\npartial");
	text_tail_lines(&tail, 0, out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_control_bytes(void **state)
{
	char out[64];

	(void)state;
	put("a\x1b[0m\x01\xff" "b\n");
	text_tail_lines(&tail, 1, out, sizeof(out));
	assert_string_equal(out, "a.[0m..b");
}

/* Wraparound: far more than the ring holds, one write and byte by byte;
 * the newest bytes survive, the output never exceeds its buffer. */
static void test_wraparound(void **state)
{
	char big[3 * TEXT_TAIL_BYTES + 7], out[TEXT_TAIL_BYTES + 1], small[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	text_tail_write(&tail, big, sizeof(big));
	n = text_tail_lines(&tail, TEXT_TAIL_LINES, out, sizeof(out));
	assert_int_equal(n, TEXT_TAIL_BYTES);
	assert_memory_equal(out, big + sizeof(big) - TEXT_TAIL_BYTES, TEXT_TAIL_BYTES);
	for (unsigned i = 0; i < 2 * TEXT_TAIL_BYTES; i++)
		put(i % 8 == 7 ? "\n" : "x");
	put("last line\n");
	n = text_tail_lines(&tail, 1, out, sizeof(out));
	assert_string_equal(out, "last line");
	n = text_tail_lines(&tail, TEXT_TAIL_LINES, out, sizeof(out));
	assert_int_equal(n, (TEXT_TAIL_LINES - 1) * 8 + 9);
	n = text_tail_lines(&tail, TEXT_TAIL_LINES, small, sizeof(small));
	assert_int_equal(n, sizeof(small) - 1);
	assert_int_equal(small[sizeof(small) - 1], '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
	};

	return cmocka_run_group_tests_name("text_tail", tests, NULL, NULL);
}
