/* Address-range bus (src/core/bus.c). */
#include "core/bus.h"
#include "core/device.h"
#include "unit.h"

static struct device dev_a, dev_b, dev_c;

static void expect_rejected(struct bus *b, uint64_t base, uint64_t len)
{
	unsigned n = b->n;

	err_clear();
	if (bus_register(b, base, len, &dev_c, 0) != -1)
		fail_msg("range 0x%llx+0x%llx accepted", (unsigned long long)base,
			 (unsigned long long)len);
	assert_int_equal(b->n, n);
	assert_string_not_equal(err_msg(), "unknown error");
}

static void test_register_rejects_overlaps(void **state)
{
	struct bus *b = calloc(1, sizeof(*b));

	(void)state;
	assert_int_equal(bus_register(b, 0x100, 0x10, &dev_a, 0), 0); /* [0x100, 0x110) */
	assert_int_equal(bus_register(b, 0x200, 0x10, &dev_b, 0), 0); /* [0x200, 0x210) */
	expect_rejected(b, 0x100, 0x10);  /* exact */
	expect_rejected(b, 0xf8, 0x10);   /* covers the start */
	expect_rejected(b, 0x108, 0x10);  /* covers the end */
	expect_rejected(b, 0x104, 0x4);   /* contained */
	expect_rejected(b, 0xf0, 0x100);  /* contains */
	expect_rejected(b, 0x10f, 0x1);   /* last byte */
	expect_rejected(b, 0xff, 0x2);    /* first byte */
	expect_rejected(b, 0x150, 0xb1);  /* reaches into the second */
	expect_rejected(b, 0x0, 0x1000);  /* covers both */
	expect_rejected(b, 0x100, 0x1);   /* same base, shorter */
	/* Touching is not overlapping. */
	assert_int_equal(bus_register(b, 0xf0, 0x10, &dev_c, 0), 0);
	assert_int_equal(bus_register(b, 0x110, 0xf0, &dev_c, 0), 0);
	assert_int_equal(b->n, 4);
	free(b);
}

static void test_register_rejects_bad_ranges(void **state)
{
	struct bus *b = calloc(1, sizeof(*b));

	(void)state;
	expect_rejected(b, 0x100, 0);            /* empty */
	expect_rejected(b, UINT64_MAX, 2);       /* wraps */
	expect_rejected(b, UINT64_MAX - 4, 100); /* wraps */
	assert_int_equal(b->n, 0);
	free(b);
}

static void test_register_full(void **state)
{
	struct bus *b = calloc(1, sizeof(*b));

	(void)state;
	for (unsigned i = 0; i < BUS_MAX_RANGES; i++)
		assert_int_equal(bus_register(b, 0x1000 + 16ULL * i, 16, &dev_a, 0), 0);
	expect_rejected(b, 0x100000, 1);
	assert_int_equal(b->n, BUS_MAX_RANGES);
	free(b);
}

static void test_find(void **state)
{
	struct bus *b = calloc(1, sizeof(*b));
	const struct bus_range *r;

	(void)state;
	assert_null(bus_find(b, 0, 1)); /* empty bus */
	assert_int_equal(bus_register(b, 0x3f8, 8, &dev_a, 0), 0);
	assert_int_equal(bus_register(b, 0x60, 1, &dev_b, 0), 0);
	assert_int_equal(bus_register(b, 0x64, 1, &dev_c, 0), 0);

	r = bus_find(b, 0x3f8, 1); /* first byte */
	assert_non_null(r);
	assert_ptr_equal(r->dev, &dev_a);
	assert_int_equal(r->base, 0x3f8);
	assert_int_equal(r->len, 8);
	r = bus_find(b, 0x3ff, 1); /* last byte */
	assert_non_null(r);
	assert_ptr_equal(r->dev, &dev_a);
	assert_non_null(bus_find(b, 0x3f8, 8)); /* all of it */
	assert_non_null(bus_find(b, 0x3fc, 4)); /* ending on the last byte */
	assert_ptr_equal(bus_find(b, 0x60, 1)->dev, &dev_b);
	assert_ptr_equal(bus_find(b, 0x64, 1)->dev, &dev_c);

	/* Gaps and outside. */
	assert_null(bus_find(b, 0x61, 1));
	assert_null(bus_find(b, 0x63, 1));
	assert_null(bus_find(b, 0x3f7, 1));
	assert_null(bus_find(b, 0x400, 1));
	assert_null(bus_find(b, 0, 1));
	assert_null(bus_find(b, UINT64_MAX, 1));

	/* Straddling the end of a range. */
	assert_null(bus_find(b, 0x3ff, 2));
	assert_null(bus_find(b, 0x3fe, 4));
	assert_null(bus_find(b, 0x3f8, 9));
	assert_null(bus_find(b, 0x60, 2));
	/* Starting before a range is not inside it either. */
	assert_null(bus_find(b, 0x3f6, 4));
	free(b);
}

static void test_random_order_stays_sorted(void **state)
{
	struct bus *b = calloc(1, sizeof(*b));
	struct device devs[BUS_MAX_RANGES];
	unsigned order[BUS_MAX_RANGES];
	uint64_t seed = 0xfeedface;

	(void)state;
	for (unsigned i = 0; i < BUS_MAX_RANGES; i++)
		order[i] = i;
	for (unsigned i = BUS_MAX_RANGES - 1; i > 0; i--) {
		unsigned j = (unsigned)(u_rand(&seed) % (i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* Range k: [0x10000 * k + k, +0x100 + k), with gaps between. */
	for (unsigned i = 0; i < BUS_MAX_RANGES; i++) {
		unsigned k = order[i];

		assert_int_equal(bus_register(b, 0x10000ULL * k + k, 0x100 + k, &devs[k], 0), 0);
	}
	assert_int_equal(b->n, BUS_MAX_RANGES);
	for (unsigned i = 0; i < BUS_MAX_RANGES; i++) {
		uint64_t base = 0x10000ULL * i + i, len = 0x100 + i;
		const struct bus_range *r;

		assert_int_equal(b->r[i].base, base);
		assert_int_equal(b->r[i].len, len);
		assert_ptr_equal(b->r[i].dev, &devs[i]);
		if (i > 0)
			assert_true(b->r[i - 1].base + b->r[i - 1].len <= b->r[i].base);
		r = bus_find(b, base, 1);
		assert_non_null(r);
		assert_ptr_equal(r->dev, &devs[i]);
		assert_ptr_equal(bus_find(b, base + len - 1, 1), r);
		assert_ptr_equal(bus_find(b, base + len - 4, 4), r);
		assert_null(bus_find(b, base + len, 1));
		assert_null(bus_find(b, base + len - 1, 2));
		if (i > 0)
			assert_null(bus_find(b, base - 1, 1));
	}
	free(b);
}

static void test_space_name(void **state)
{
	(void)state;
	assert_string_equal(bus_space_name(BUS_PIO), "pio");
	assert_string_equal(bus_space_name(BUS_MMIO), "mmio");
	assert_string_equal(bus_space_name(BUS_MSR), "msr");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_rejects_overlaps),
		cmocka_unit_test(test_register_rejects_bad_ranges),
		cmocka_unit_test(test_register_full),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_random_order_stays_sorted),
		cmocka_unit_test(test_space_name),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
