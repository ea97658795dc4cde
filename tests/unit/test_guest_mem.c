/* Guest memory layout and the gmem_ptr bounds check (src/core/guest_mem.c). */
#include "core/guest_mem.h"
#include "unit.h"

/* A made-up host address: layout and gmem_ptr only do arithmetic on it
 * (never dereferenced), and it leaves room for 64 GiB above it. */
#define FAKE_MAP ((uint8_t *)(uintptr_t)0x100000000000ULL)

static struct guest_mem fake(uint64_t size)
{
	struct guest_mem m = { .map = FAKE_MAP, .map_len = size };

	gmem_layout(&m, size);
	return m;
}

static void test_layout_256m(void **state)
{
	struct guest_mem m = fake(256 * GMEM_MIB);

	(void)state;
	assert_int_equal(m.size, 256 * GMEM_MIB);
	assert_int_equal(m.nregions, 1);
	assert_int_equal(m.regions[0].gpa, 0);
	assert_int_equal(m.regions[0].size, 256 * GMEM_MIB);
	assert_ptr_equal(m.regions[0].hva, FAKE_MAP);
	assert_int_equal(gmem_low_end(&m), 256 * GMEM_MIB);
}

static void test_layout_5g(void **state)
{
	struct guest_mem m = fake(5 * GMEM_GIB);

	(void)state;
	assert_int_equal(m.nregions, 2);
	assert_int_equal(m.regions[0].gpa, 0);
	assert_int_equal(m.regions[0].size, 3 * GMEM_GIB);
	assert_ptr_equal(m.regions[0].hva, FAKE_MAP);
	assert_int_equal(m.regions[1].gpa, 4 * GMEM_GIB);
	assert_int_equal(m.regions[1].size, 2 * GMEM_GIB);
	/* The host mapping is contiguous: the hole costs no host memory. */
	assert_ptr_equal(m.regions[1].hva, FAKE_MAP + 3 * GMEM_GIB);
	assert_int_equal(gmem_low_end(&m), 3 * GMEM_GIB);
}

static void test_layout_boundaries(void **state)
{
	struct guest_mem m = fake(3 * GMEM_GIB);
	struct guest_mem n = { 0 };

	(void)state;
	assert_int_equal(m.nregions, 1);
	assert_int_equal(m.regions[0].size, 3 * GMEM_GIB);
	m = fake(3 * GMEM_GIB + GMEM_MIB);
	assert_int_equal(m.nregions, 2);
	assert_int_equal(m.regions[1].gpa, 4 * GMEM_GIB);
	assert_int_equal(m.regions[1].size, GMEM_MIB);
	/* Without a mapping (layout only), no host pointers are invented. */
	gmem_layout(&n, 5 * GMEM_GIB);
	assert_null(n.regions[0].hva);
	assert_null(n.regions[1].hva);
}

static void test_ptr_small(void **state)
{
	const uint64_t size = 256 * GMEM_MIB;
	struct guest_mem m = fake(size);

	(void)state;
	assert_ptr_equal(gmem_ptr(&m, 0, 1), FAKE_MAP);
	assert_ptr_equal(gmem_ptr(&m, 0x7000, 4096), FAKE_MAP + 0x7000);
	assert_ptr_equal(gmem_ptr(&m, 0, size), FAKE_MAP);          /* all of it */
	assert_ptr_equal(gmem_ptr(&m, size - 1, 1), FAKE_MAP + size - 1); /* last byte */
	assert_ptr_equal(gmem_ptr(&m, size - 8, 8), FAKE_MAP + size - 8);
	assert_null(gmem_ptr(&m, size, 1));      /* one past the end */
	assert_null(gmem_ptr(&m, size - 1, 2));  /* straddles the end */
	assert_null(gmem_ptr(&m, 0, size + 1));
	assert_null(gmem_ptr(&m, 16, UINT64_MAX));  /* huge length */
	assert_null(gmem_ptr(&m, 0, UINT64_MAX));
	assert_null(gmem_ptr(&m, UINT64_MAX - 1, 4)); /* gpa + len wraps */
	assert_null(gmem_ptr(&m, UINT64_MAX, 1));
	assert_null(gmem_ptr(&m, 3 * GMEM_GIB, 1));
	assert_null(gmem_ptr(&m, 4 * GMEM_GIB, 1));
}

static void test_ptr_two_regions(void **state)
{
	struct guest_mem m = fake(5 * GMEM_GIB);
	const uint64_t hi_end = 4 * GMEM_GIB + 2 * GMEM_GIB;

	(void)state;
	assert_ptr_equal(gmem_ptr(&m, 3 * GMEM_GIB - 1, 1), FAKE_MAP + 3 * GMEM_GIB - 1);
	/* The MMIO hole [3 GiB, 4 GiB) is not RAM. */
	assert_null(gmem_ptr(&m, 3 * GMEM_GIB, 1));
	assert_null(gmem_ptr(&m, 3 * GMEM_GIB + GMEM_GIB / 2, 4));
	assert_null(gmem_ptr(&m, 0xfec00000, 4)); /* IOAPIC */
	assert_null(gmem_ptr(&m, 0xfee00000, 4)); /* LAPIC */
	assert_null(gmem_ptr(&m, 4 * GMEM_GIB - 1, 1));
	/* Nor does a range crossing into or across it. */
	assert_null(gmem_ptr(&m, 3 * GMEM_GIB - 2, 4));
	assert_null(gmem_ptr(&m, 3 * GMEM_GIB - 1, GMEM_GIB + 2));
	assert_null(gmem_ptr(&m, 0, 5 * GMEM_GIB));
	/* High RAM. */
	assert_ptr_equal(gmem_ptr(&m, 4 * GMEM_GIB, 1), FAKE_MAP + 3 * GMEM_GIB);
	assert_ptr_equal(gmem_ptr(&m, 4 * GMEM_GIB, 2 * GMEM_GIB), FAKE_MAP + 3 * GMEM_GIB);
	assert_ptr_equal(gmem_ptr(&m, hi_end - 1, 1), FAKE_MAP + 5 * GMEM_GIB - 1);
	assert_null(gmem_ptr(&m, hi_end, 1));
	assert_null(gmem_ptr(&m, hi_end - 1, 2));
	assert_null(gmem_ptr(&m, 4 * GMEM_GIB + 8, UINT64_MAX - 4));
	assert_null(gmem_ptr(&m, UINT64_MAX - 1, 4));
	assert_null(gmem_ptr(&m, UINT64_MAX, UINT64_MAX));
}

static void test_map_64m(void **state)
{
	struct guest_mem m;
	const uint64_t size = 64 * GMEM_MIB;
	uint8_t *p;

	(void)state;
	assert_int_equal(gmem_map(&m, size), 0);
	assert_non_null(m.map);
	assert_int_equal((uintptr_t)m.map % GMEM_ALIGN, 0);
	assert_int_equal(m.size, size);
	assert_true(m.map_len >= size);
	assert_int_equal(m.nregions, 1);
	assert_ptr_equal(m.regions[0].hva, m.map);
	/* Really mapped, readable and writable, zero-filled. */
	for (uint64_t off = 0; off < size; off += 1024 * 1024 - 4096) {
		p = gmem_ptr(&m, off, 1);
		assert_non_null(p);
		assert_int_equal(*p, 0);
		*p = (uint8_t)(off >> 12);
	}
	p = gmem_ptr(&m, size - 1, 1);
	assert_non_null(p);
	*p = 0x77;
	assert_int_equal(m.map[size - 1], 0x77);
	assert_int_equal(m.map[1024 * 1024 - 4096], (uint8_t)((1024 * 1024 - 4096) >> 12));
	gmem_unmap(&m);
	assert_null(m.map);
	assert_int_equal(m.nregions, 0);
}

static void test_map_impossible_size(void **state)
{
	struct guest_mem m;

	(void)state;
	/* More than any x86-64 address space: the mapping must fail cleanly. */
	assert_user_error(gmem_map(&m, 1ULL << 60), "cannot map");
	assert_null(m.map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_256m),
		cmocka_unit_test(test_layout_5g),
		cmocka_unit_test(test_layout_boundaries),
		cmocka_unit_test(test_ptr_small),
		cmocka_unit_test(test_ptr_two_regions),
		cmocka_unit_test(test_map_64m),
		cmocka_unit_test(test_map_impossible_size),
	};

	return cmocka_run_group_tests_name("guest_mem", tests, NULL, NULL);
}
