/* The e820 map handed to Linux (src/boot/e820.c). */
#include "boot/e820.h"
#include "core/layout.h"
#include "core/guest_mem.h"
#include "unit.h"

/* A made-up host address: gmem_layout and gmem_ptr only do arithmetic. */
#define FAKE_MAP ((uint8_t *)(uintptr_t)0x100000000000ULL)

static unsigned build(uint64_t size, struct e820_entry *out)
{
	struct guest_mem m = { .map = FAKE_MAP };

	gmem_layout(&m, size);
	memset(out, 0xcc, E820_MAX * sizeof(*out));
	return e820_build(&m, out);
}

static void expect_entry(const struct e820_entry *e, uint64_t addr, uint64_t size, uint32_t type)
{
	assert_int_equal(e->addr, addr);
	assert_int_equal(e->size, size);
	assert_int_equal(e->type, type);
}

/* Sorted, non-empty, non-overlapping; RAM entries inside guest RAM. */
static void check_well_formed(uint64_t size, const struct e820_entry *e, unsigned n)
{
	struct guest_mem m = { .map = FAKE_MAP };
	uint64_t ram = 0;

	gmem_layout(&m, size);
	assert_true(n >= 1 && n <= E820_MAX);
	for (unsigned i = 0; i < n; i++) {
		assert_true(e[i].size > 0);
		assert_true(e[i].addr + e[i].size > e[i].addr); /* no wrap */
		assert_true(e[i].type == E820_RAM || e[i].type == E820_RESERVED);
		if (i > 0)
			assert_true(e[i - 1].addr + e[i - 1].size <= e[i].addr);
		if (e[i].type == E820_RAM) {
			assert_non_null(gmem_ptr(&m, e[i].addr, e[i].size));
			ram += e[i].size;
		}
	}
	/* All RAM is reported except the legacy area below 1 MiB. */
	assert_int_equal(ram, size - (LAYOUT_HIGH_MEM_START - LAYOUT_EBDA_START));
}

static void test_256m(void **state)
{
	struct e820_entry e[E820_MAX];
	unsigned n = build(256 * GMEM_MIB, e);

	(void)state;
	assert_int_equal(n, 3);
	expect_entry(&e[0], 0, 0x9fc00, E820_RAM);
	expect_entry(&e[1], 0x9fc00, 0x100000 - 0x9fc00, E820_RESERVED);
	expect_entry(&e[2], 0x100000, 256 * GMEM_MIB - 0x100000, E820_RAM);
	check_well_formed(256 * GMEM_MIB, e, n);
}

static void test_4g(void **state)
{
	struct e820_entry e[E820_MAX];
	unsigned n = build(4 * GMEM_GIB, e);

	(void)state;
	assert_int_equal(n, 4);
	expect_entry(&e[0], 0, 0x9fc00, E820_RAM);
	expect_entry(&e[1], 0x9fc00, 0x60400, E820_RESERVED);
	expect_entry(&e[2], 0x100000, 3 * GMEM_GIB - 0x100000, E820_RAM);
	expect_entry(&e[3], 4 * GMEM_GIB, GMEM_GIB, E820_RAM);
	check_well_formed(4 * GMEM_GIB, e, n);
	/* The MMIO hole [3 GiB, 4 GiB) is not RAM. */
	assert_true(e[2].addr + e[2].size <= GMEM_HOLE_START);
}

static void test_exactly_3g(void **state)
{
	struct e820_entry e[E820_MAX];
	unsigned n = build(3 * GMEM_GIB, e);

	(void)state;
	assert_int_equal(n, 3);
	expect_entry(&e[2], 0x100000, 3 * GMEM_GIB - 0x100000, E820_RAM);
	check_well_formed(3 * GMEM_GIB, e, n);
}

static void test_many_sizes_well_formed(void **state)
{
	static const uint64_t sizes[] = {
		2 * GMEM_MIB, 16 * GMEM_MIB, 3 * GMEM_GIB - GMEM_MIB, 3 * GMEM_GIB + 2 * GMEM_MIB,
		8 * GMEM_GIB, 64 * GMEM_GIB,
	};
	struct e820_entry e[E820_MAX];

	(void)state;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned n = build(sizes[i], e);

		assert_int_equal(n, sizes[i] > GMEM_HOLE_START ? 4 : 3);
		check_well_formed(sizes[i], e, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_256m),
		cmocka_unit_test(test_4g),
		cmocka_unit_test(test_exactly_3g),
		cmocka_unit_test(test_many_sizes_well_formed),
	};

	return cmocka_run_group_tests_name("e820", tests, NULL, NULL);
}
