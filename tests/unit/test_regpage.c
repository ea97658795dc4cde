/* The register page's pure parts (src/devices/regpage_model.c): the dirty
 * bitmap scan, the device model, the batch ring; and the lab's model and
 * headline figures (src/lab/regpage_lab_out.c). */
#include <math.h>

#include "devices/regpage_model.h"
#include "lab/regpage_lab.h"
#include "unit.h"

static void test_dirty_pages_basic(void **state)
{
	uint64_t bm[2] = { 0, 0 };
	unsigned idx[8];

	(void)state;
	assert_int_equal(dirty_pages(bm, 128, idx, 8), 0);
	bm[0] = 1ULL | (1ULL << 5) | (1ULL << 63);
	bm[1] = 1ULL << 2;
	assert_int_equal(dirty_pages(bm, 128, idx, 8), 4);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 5);
	assert_int_equal(idx[2], 63);
	assert_int_equal(idx[3], 66);
	assert_true(dirty_page_is_set(bm, 66));
	assert_false(dirty_page_is_set(bm, 65));
}

/* Bits past the slot's pages are not pages: KVM may leave anything there. */
static void test_dirty_pages_ignores_tail(void **state)
{
	uint64_t bm[1] = { ~0ULL };
	unsigned idx[64];

	(void)state;
	assert_int_equal(dirty_pages(bm, 2, idx, 64), 2);
	assert_int_equal(idx[1], 1);
	assert_int_equal(dirty_pages(bm, 64, idx, 64), 64);
	assert_int_equal(dirty_bitmap_words(2), 1);
	assert_int_equal(dirty_bitmap_words(64), 1);
	assert_int_equal(dirty_bitmap_words(65), 2);
}

/* More dirty pages than room: all counted, only CAP written. */
static void test_dirty_pages_cap(void **state)
{
	uint64_t bm[1] = { 0xffULL };
	unsigned idx[4] = { 99, 99, 99, 99 };

	(void)state;
	assert_int_equal(dirty_pages(bm, 64, idx, 3), 8);
	assert_int_equal(idx[2], 2);
	assert_int_equal(idx[3], 99);
}

static void test_model_ctrl_and_read(void **state)
{
	struct regpage_model m = { 0 };

	(void)state;
	regpage_model_ctrl(&m, 7, 1);
	regpage_model_ctrl(&m, 9, 3);
	regpage_model_ctrl(&m, 11, 0); /* nothing happened */
	assert_int_equal(m.count, 4);
	assert_int_equal(regpage_model_read(&m, REGPAGE_REG_ECHO), 9);
	assert_int_equal(regpage_model_read(&m, REGPAGE_REG_COUNT), 4);
	assert_int_equal(m.errors, 0);
	assert_int_equal(regpage_model_read(&m, REGPAGE_REG_CTRL), 0xffffffffu);
	assert_int_equal(m.errors, 1);
}

static void test_seq_delta_wraps(void **state)
{
	(void)state;
	assert_int_equal(regpage_seq_delta(5, 5), 0);
	assert_int_equal(regpage_seq_delta(5, 8), 3);
	assert_int_equal(regpage_seq_delta(0xfffffffeu, 1), 3);
}

static void test_model_batch(void **state)
{
	struct regpage_model m = { 0 };
	struct regpage_ring_entry e[5] = {
		{ REGPAGE_OP_CTRL, 5 }, { REGPAGE_OP_READ_ECHO, 0 }, { 77, 1 },
		{ REGPAGE_OP_CTRL, 6 }, { REGPAGE_OP_READ_COUNT, 0 },
	};

	(void)state;
	assert_int_equal(regpage_model_batch(&m, e, 5), 1);
	assert_int_equal(e[1].value, 5);
	assert_int_equal(e[2].value, REGPAGE_RING_BAD);
	assert_int_equal(e[4].value, 2);
	assert_int_equal(m.count, 2);
	assert_int_equal(m.errors, 1);
}

static void test_lab_model(void **state)
{
	(void)state;
	assert_true(ev_model_exits(EV_PIO, 1200000, 30000, 1000, 0, 64) == 1230000);
	assert_true(ev_model_exits(EV_MMIO, 1200000, 30000, 1000, 0, 64) == 1230000);
	/* One write fault per written page per scan, or per write if fewer. */
	assert_true(ev_model_exits(EV_PAGE, 1200000, 30000, 1000, 0, 64) == 1000);
	assert_true(ev_model_exits(EV_PAGE, 12000, 300, 1000, 0, 64) == 300);
	assert_true(ev_model_exits(EV_PAGE, 1200000, 30000, 2000, 0, 64) == 500);
	/* (c) ignores the hold; (c') has none while a write comes within
	 * every HOLD scans (300 writes a second, 1 ms scans: one every 3.3
	 * scans), else as (c). */
	assert_true(ev_model_exits(EV_PAGE, 1200000, 30000, 1000, 8, 64) == 1000);
	assert_true(ev_model_exits(EV_PAGE_HELD, 1200000, 30000, 1000, 1, 64) == 0);
	assert_true(ev_model_exits(EV_PAGE_HELD, 12000, 300, 1000, 4, 64) == 0);
	assert_true(ev_model_exits(EV_PAGE_HELD, 12000, 300, 1000, 3, 64) == 300);
	assert_true(fabs(ev_model_exits(EV_RING, 1200000, 30000, 1000, 0, 64) - 1230000.0 / 64) < 1e-6);
}

/* The headline: exits per operation of (c) against (a), at the last rate. */
static void test_lab_reduction(void **state)
{
	static struct ev_result res;
	struct ev_run *a = &res.run[EV_PIO - 1][1], *c = &res.run[EV_PAGE - 1][1];

	(void)state;
	res.opt.nrates = 2;
	res.opt.rates[0] = 0.1;
	res.opt.rates[1] = 1;
	assert_true(isnan(ev_reduction(&res))); /* nothing measured */
	*a = (struct ev_run){ .mode = EV_PIO, .ok = true, .window_s = 1, .reads = 9000, .writes = 1000,
			      .exits_warden = 10000 };
	*c = (struct ev_run){ .mode = EV_PAGE, .ok = true, .window_s = 1, .reads = 1200000, .writes = 30000,
			      .exits_warden = 0, .have_kvm = true, .kvm = { 1230 } };
	/* (a) 1 exit/op, (c) 1230 / 1230000 = 0.001 exit/op: 99.9%. */
	assert_true(fabs(ev_reduction(&res) - 0.999) < 1e-9);
	assert_true(fabs(ev_reduction_per_s(&res) - (1 - 1230.0 / 10000)) < 1e-9);
	/* KVM's count is preferred to warden's when it was read. */
	assert_true(fabs(ev_exits_per_s(c) - 1230) < 1e-9);
	/* (c') from its own row: 123 / 1230000 = 0.0001 exit/op. */
	assert_true(isnan(ev_reduction_held(&res)));
	res.run[EV_PAGE_HELD - 1][1] = (struct ev_run){ .mode = EV_PAGE_HELD, .ok = true, .window_s = 1,
							.reads = 1200000, .writes = 30000, .have_kvm = true,
							.kvm = { 123 } };
	assert_true(fabs(ev_reduction_held(&res) - 0.9999) < 1e-9);
	c->ok = false;
	assert_true(isnan(ev_reduction(&res)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dirty_pages_basic),
		cmocka_unit_test(test_dirty_pages_ignores_tail),
		cmocka_unit_test(test_dirty_pages_cap),
		cmocka_unit_test(test_model_ctrl_and_read),
		cmocka_unit_test(test_seq_delta_wraps),
		cmocka_unit_test(test_model_batch),
		cmocka_unit_test(test_lab_model),
		cmocka_unit_test(test_lab_reduction),
	};

	return cmocka_run_group_tests_name("regpage", tests, NULL, NULL);
}
