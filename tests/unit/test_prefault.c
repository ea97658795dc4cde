/* Populating guest RAM on a helper thread (src/core/prefault.c): what each
 * mode covers, the option's values, and that the thread really populates
 * (mincore) and stops. */
#include <sys/mman.h>
#include <time.h>

#include "core/guest_mem.h"
#include "core/prefault.h"
#include "unit.h"

#define MIB (1ULL << 20)

static void test_plan(void **state)
{
	struct guest_mem m = { .map = (uint8_t *)(uintptr_t)0x10000000 };
	struct prefault_span s[2];

	(void)state;
	/* 256 MiB: boot covers [16, 144) MiB, all covers everything. */
	gmem_layout(&m, 256 * MIB);
	assert_int_equal(prefault_plan(&m, PREFAULT_OFF, s), 0);
	assert_int_equal(prefault_plan(&m, PREFAULT_BOOT, s), 1);
	assert_ptr_equal(s[0].hva, m.map + 16 * MIB);
	assert_int_equal(s[0].len, 128 * MIB);
	assert_int_equal(prefault_plan(&m, PREFAULT_ALL, s), 1);
	assert_ptr_equal(s[0].hva, m.map);
	assert_int_equal(s[0].len, 256 * MIB);

	/* 64 MiB: boot stops at the end of RAM. */
	gmem_layout(&m, 64 * MIB);
	assert_int_equal(prefault_plan(&m, PREFAULT_BOOT, s), 1);
	assert_int_equal(s[0].len, 48 * MIB);

	/* Up to 16 MiB: nothing for boot, the RAM for all. */
	gmem_layout(&m, 16 * MIB);
	assert_int_equal(prefault_plan(&m, PREFAULT_BOOT, s), 0);
	assert_int_equal(prefault_plan(&m, PREFAULT_ALL, s), 1);
	assert_int_equal(s[0].len, 16 * MIB);

	/* 5 GiB: all is RAM below the hole, then RAM above 4 GiB. */
	gmem_layout(&m, 5 * GMEM_GIB);
	assert_int_equal(prefault_plan(&m, PREFAULT_ALL, s), 2);
	assert_int_equal(s[0].len + s[1].len, 5 * GMEM_GIB);
	assert_ptr_equal(s[0].hva, m.map);
	assert_ptr_equal(s[1].hva, m.regions[1].hva);
	assert_int_equal(prefault_plan(&m, PREFAULT_BOOT, s), 1);
	assert_int_equal(s[0].len, 128 * MIB);
}

static void test_parse(void **state)
{
	enum prefault_mode mode = PREFAULT_ALL;

	(void)state;
	assert_int_equal(prefault_parse("off", &mode), 0);
	assert_int_equal(mode, PREFAULT_OFF);
	assert_int_equal(prefault_parse("boot", &mode), 0);
	assert_int_equal(mode, PREFAULT_BOOT);
	assert_int_equal(prefault_parse("all", &mode), 0);
	assert_int_equal(mode, PREFAULT_ALL);
	assert_user_error(prefault_parse("yes", &mode), "--prefault takes off, boot or all, not 'yes'");
	assert_user_error(prefault_parse("", &mode), "--prefault takes off, boot or all");
}

/* Pages of [P, P+LEN) resident in memory. */
static size_t resident(uint8_t *p, size_t len)
{
	size_t pages = len / 4096, n = 0;
	unsigned char *v = malloc(pages);

	assert_non_null(v);
	assert_int_equal(mincore(p, len, v), 0);
	for (size_t i = 0; i < pages; i++)
		n += v[i] & 1;
	free(v);
	return n;
}

static void test_populates(void **state)
{
	struct guest_mem m;
	struct prefault pf;
	struct timespec pause = { 0, 10 * 1000 * 1000 };

	(void)state;
	assert_int_equal(gmem_map(&m, 24 * MIB), 0);
	/* off: no thread, nothing touched. */
	prefault_start(&pf, &m, PREFAULT_OFF);
	assert_false(pf.running);
	prefault_stop(&pf);
	assert_int_equal(resident(m.map, 24 * MIB), 0);

	/* boot: [16, 24) MiB populated, the rest left alone. */
	prefault_start(&pf, &m, PREFAULT_BOOT);
	assert_true(pf.running);
	for (int i = 0; i < 500 && resident(m.map + 16 * MIB, 8 * MIB) < 8 * MIB / 4096; i++)
		nanosleep(&pause, NULL);
	prefault_stop(&pf);
	assert_false(pf.running);
	assert_int_equal(pf.err, 0);
	assert_int_equal(pf.done, 8 * MIB);
	assert_int_equal(resident(m.map + 16 * MIB, 8 * MIB), 8 * MIB / 4096);
	assert_int_equal(resident(m.map, 16 * MIB), 0);
	/* Populated means zeroed RAM, as a guest's first touch would see. */
	for (size_t off = 0; off < 8 * MIB; off += 4096)
		assert_int_equal(m.map[16 * MIB + off], 0);
	gmem_unmap(&m);
}

static void test_stops_early(void **state)
{
	struct guest_mem m;
	struct prefault pf;

	(void)state;
	/* 2 GiB to populate, stopped at once: the join does not wait for it. */
	assert_int_equal(gmem_map(&m, 2 * GMEM_GIB), 0);
	prefault_start(&pf, &m, PREFAULT_ALL);
	assert_true(pf.running);
	prefault_stop(&pf);
	assert_false(pf.running);
	assert_true(pf.done < 2 * GMEM_GIB);
	gmem_unmap(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_populates),
		cmocka_unit_test(test_stops_early),
	};

	return cmocka_run_group_tests_name("prefault", tests, NULL, NULL);
}
