/* `warden lab tsc`'s judgement of the readings (the offset each exit
 * window allows, the rate) and `warden lab paging`'s model. */
#include <math.h>
#include <string.h>

#include "lab/paging_lab.h"
#include "lab/tsc_lab.h"
#include "unit.h"

/* Four readings, host stamps 1,000,000 apart, windows of 100 cycles; the
 * guest read OFFSET + host + AT (AT in [0, 100]). */
static void readings(struct ts_result *R, int64_t offset, uint64_t at)
{
	memset(R, 0, sizeof(*R));
	R->samples = 4;
	R->ratio = 1;
	R->offset_req = offset;
	R->host_khz = 1000000; /* 1 cycle a ns */
	for (unsigned ph = 0; ph < TS_NPHASES; ph++)
		for (unsigned i = 0; i < 4; i++) {
			struct ts_sample *s = &R->s[ph][i];

			s->seen = true;
			s->h_enter = 5000000 + i * 1000000;
			s->h_exit = s->h_enter + 100;
			s->g = (uint64_t)((int64_t)(s->h_enter + at) + offset);
			s->h_hook = s->h_exit;
			s->ns = s->h_exit; /* CLOCK_MONOTONIC in step with the TSC */
		}
}

static void test_tsc_offset(void **state)
{
	struct ts_result R;

	(void)state;
	/* The requested offset fits; the interval is the windows' width. */
	readings(&R, 1LL << 40, 30);
	ts_judge(&R);
	assert_true(R.ph[0].consistent && R.ph[0].matches);
	assert_true(R.ph[0].lo == (long double)(1LL << 40) - 70 && R.ph[0].hi == (long double)(1LL << 40) + 30);
	/* A host that kept another offset (0): consistent, not the model's. */
	readings(&R, 0, 30);
	R.offset_req = 1LL << 40;
	ts_judge(&R);
	assert_true(R.ph[1].consistent && !R.ph[1].matches);
	/* Negative offsets work the same. */
	readings(&R, -5000000, 0);
	ts_judge(&R);
	assert_true(R.ph[0].matches);
	/* One reading off by more than a window: no offset fits them all. */
	readings(&R, 1000, 50);
	R.s[0][2].g += 1000;
	ts_judge(&R);
	assert_false(R.ph[0].consistent);
	assert_false(R.ph[0].matches);
	assert_true(R.ph[1].matches);
	/* A reading that never came: the phase failed. */
	readings(&R, 1000, 50);
	R.s[1][3].seen = false;
	ts_judge(&R);
	assert_false(R.ph[1].ok);
	/* Through IA32_TSC KVM's offset is up to the write's duration below
	 * the request: allowed, and no more. */
	readings(&R, 1000, 50);
	R.offset_req = 1000 + 30 + 50 + 500; /* hi is 1050 */
	ts_judge(&R);
	assert_false(R.ph[0].matches);
	R.set_window = 600;
	ts_judge(&R);
	assert_true(R.ph[0].matches);
}

static void test_tsc_rate(void **state)
{
	struct ts_result R;

	(void)state;
	/* Guest and host in step: the host's rate, within its bound. */
	readings(&R, 7, 0);
	ts_judge(&R);
	assert_true(fabs(R.ph[0].khz - 1000000) <= R.ph[0].khz_bound + 1e-6);
	/* A guest TSC at 3/4 the rate: the model's ratio, and the rate. */
	readings(&R, 0, 0);
	R.ratio = 0.75L;
	for (unsigned i = 0; i < 4; i++)
		R.s[0][i].g = (uint64_t)(0.75L * R.s[0][i].h_enter) + 100;
	R.offset_req = 100;
	ts_judge(&R);
	assert_true(R.ph[0].matches);
	assert_true(fabs(R.ph[0].khz - 750000) <= R.ph[0].khz_bound + 1);
}

static void paging_result(struct pg_result *R, bool nested)
{
	memset(R, 0, sizeof(*R));
	R->nested = nested;
	R->nsizes = 2;
	R->size[0] = 1 << 20;
	R->size[1] = 4 << 20;
	R->iterations = 100;
	for (unsigned r = 0; r < PG_NRUNS; r++) {
		R->run[r].ran = true;
		R->run[r].backing_2m = r & 2;
		R->run[r].map_2m = r & 1;
		R->run[r].ws_huge_kb = r & 2 ? 6144 : 0; /* 1 MiB rounds up to 2 */
	}
}

static void test_paging_model(void **state)
{
	struct pg_result R;
	const struct pg_run *r0, *r2, *r3;

	(void)state;
	paging_result(&R, true);
	pg_model(&R);
	r0 = &R.run[0], r2 = &R.run[2], r3 = &R.run[3];
	/* Nested: page-table changes free; a first touch a fault per host
	 * page: 4 KiB pages, or one per 2 MiB whatever the guest maps. */
	assert_true(r0->w[PG_W_REMAP].model_hi == 0 && r0->w[PG_W_CR3].model_hi == 0);
	assert_true(r0->w[PG_WIN_FIRST(1)].model_hi == 1024 && r0->w[PG_WIN_FIRST(1)].model_lo == 128);
	assert_true(r2->huge_fraction == 1);
	assert_true(r2->w[PG_WIN_FIRST(0)].model_hi == 1 && r2->w[PG_WIN_FIRST(1)].model_hi == 2);
	assert_true(r0->w[PG_WIN_RETOUCH(1)].model_hi == 0);
	/* Shadow on the same runs: 2-5 a remap, 1 a CR3 write; 2 MiB only
	 * where guest and host both map 2 MiB. */
	assert_true(r0->w[PG_W_REMAP].shadow_lo == 200 && r0->w[PG_W_REMAP].shadow_hi == 500);
	assert_true(r0->w[PG_W_CR3].shadow_hi == 100);
	assert_true(r2->w[PG_WIN_FIRST(1)].shadow_hi == 1024 && r3->w[PG_WIN_FIRST(1)].shadow_hi == 2);
	/* What nested removes: all of the page-table changes, none of a 4
	 * KiB-backed first touch; overall (256 + 1024) / (1280 + 600). */
	assert_true(r0->nested_kind[0] == 0 && r0->shadow_kind[0] == 600);
	assert_true(r0->nested_kind[1] == r0->shadow_kind[1]);
	assert_true(fabs(r0->nested_total / r0->shadow_hi_total - 1280.0 / 1880) < 1e-12);
	/* The host's MMU picks the model's column. */
	paging_result(&R, false);
	pg_model(&R);
	assert_true(R.run[0].w[PG_W_CR3].model_lo == 100 && R.run[2].w[PG_WIN_FIRST(1)].model_hi == 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsc_offset),
		cmocka_unit_test(test_tsc_rate),
		cmocka_unit_test(test_paging_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
