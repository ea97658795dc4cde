/* The exit lab's pure parts (src/lab): the sample summaries, the row
 * table, and the rule that decides whether a row runs on a host from what
 * KVM answered; `warden lab batching`'s fit and crossover; `warden lab
 * interrupts`' model and its EOI exits; the lab's SVG series. */
#include <math.h>

#include <stdio.h>
#include <string.h>

#include "lab/batching_lab.h"
#include "lab/exits_rows.h"
#include "lab/interrupts_lab.h"
#include "lab/lab_svg.h"
#include "lab/samples.h"
#include "unit.h"

static void test_summary(void **state)
{
	uint64_t v[200];
	struct lab_summary s;
	double d[4] = { 3, 1, 4, 2 };

	(void)state;
	/* 1..200 shuffled: min 1, median 100.5, p99 the 198th, mean 100.5. */
	for (unsigned i = 0; i < 200; i++)
		v[i] = (i * 37) % 200 + 1;
	lab_summarize(v, 200, &s);
	assert_int_equal(s.n, 200);
	assert_true(s.min == 1 && s.max == 200);
	assert_true(s.median == 100.5);
	assert_true(s.p99 == 198);
	assert_true(s.mean == 100.5);
	/* Odd count: the middle one; p99 of 3 is the largest. */
	v[0] = 7, v[1] = 5, v[2] = 9;
	lab_summarize(v, 3, &s);
	assert_true(s.median == 7 && s.p99 == 9 && s.min == 5);
	/* One sample is every statistic. */
	v[0] = 42;
	lab_summarize(v, 1, &s);
	assert_true(s.min == 42 && s.median == 42 && s.p99 == 42 && s.mean == 42);
	/* None: all zero, nothing read. */
	lab_summarize(NULL, 0, &s);
	assert_int_equal(s.n, 0);
	assert_true(s.median == 0);
	/* p99 of 100 is the 99th, not the largest. */
	for (unsigned i = 0; i < 100; i++)
		v[i] = 100 - i;
	lab_summarize(v, 100, &s);
	assert_true(s.p99 == 99);
	assert_true(lab_median(d, 4) == 2.5);
	assert_true(lab_median(d, 3) == 2); /* sorted: 1 2 3 */
	assert_true(lab_median(d, 0) == 0);
}

static void test_rows(void **state)
{
	(void)state;
	assert_true(lab_nrows >= 17);
	for (unsigned i = 0; i < lab_nrows; i++) {
		assert_ptr_equal(lab_row_find(lab_rows[i].name), &lab_rows[i]);
		assert_true(lab_rows[i].op < LAB_NOPS);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(lab_rows[i].name, lab_rows[j].name);
	}
	assert_null(lab_row_find("nosuch"));
	assert_null(lab_row_find("hypercall-warden")->not_yet);
	assert_int_equal(lab_row_find("hypercall-warden")->expect, LAB_EXPECT_ONE);
	assert_int_equal(lab_row_find("hypercall-fast")->expect, LAB_EXPECT_NONE);
	assert_int_equal(lab_row_find("pio-warden")->expect, LAB_EXPECT_ONE);
	assert_int_equal(lab_row_find("pio-ioeventfd")->expect, LAB_EXPECT_NONE);
}

static void host_with_everything(struct lab_host *h)
{
	*h = (struct lab_host){ .ioeventfd = 1, .coalesced_mmio = 2, .coalesced_pio = 1, .user_space_msr = 1, .msr_filter = 1,
				.irqchip = 1, .max_vcpus = 8, .cpuid_read = true, .x2apic = true,
				.tsc_deadline = true, .checked_on_vm = true };
}

static bool runs(const char *row, const struct lab_host *h, char *why)
{
	return lab_row_runs(lab_row_find(row), h, why, 300);
}

static void test_row_runs(void **state)
{
	struct lab_host h;
	char why[300];

	(void)state;
	host_with_everything(&h);
	for (unsigned i = 0; i < lab_nrows; i++)
		assert_int_equal(lab_row_runs(&lab_rows[i], &h, why, sizeof(why)), !lab_rows[i].not_yet);
	assert_true(runs("hypercall-warden", &h, why));
	assert_true(runs("hypercall-fast", &h, why));

	h.ioeventfd = 0;
	assert_false(runs("pio-ioeventfd", &h, why));
	assert_string_equal(why, "skipped: KVM_CHECK_EXTENSION(KVM_CAP_IOEVENTFD) = 0 on this host");
	assert_false(runs("mmio-ioeventfd", &h, why));
	assert_false(runs("hypercall-fast", &h, why));
	assert_string_equal(why, "skipped: KVM_CHECK_EXTENSION(KVM_CAP_IOEVENTFD) = 0 on this host");
	assert_true(runs("hypercall-warden", &h, why));
	assert_true(runs("pio-warden", &h, why));
	assert_string_equal(why, "");
	host_with_everything(&h);
	h.coalesced_mmio = 0;
	assert_false(runs("mmio-coalesced", &h, why));
	assert_non_null(strstr(why, "KVM_CAP_COALESCED_MMIO"));
	assert_false(runs("pio-coalesced", &h, why)); /* its ring is coalesced MMIO's */
	host_with_everything(&h);
	h.coalesced_pio = 0;
	assert_false(runs("pio-coalesced", &h, why));
	assert_non_null(strstr(why, "KVM_CAP_COALESCED_PIO"));
	assert_true(runs("mmio-coalesced", &h, why));
	host_with_everything(&h);
	h.user_space_msr = 0;
	assert_false(runs("rdmsr-warden", &h, why));
	assert_non_null(strstr(why, "KVM_CAP_X86_USER_SPACE_MSR"));
	assert_true(runs("rdmsr-kvm", &h, why));
	host_with_everything(&h);
	h.msr_filter = -22; /* an error counts as missing, and is shown */
	assert_false(runs("wrmsr-warden", &h, why));
	assert_non_null(strstr(why, "KVM_CAP_X86_MSR_FILTER) = -22"));
	host_with_everything(&h);
	h.max_vcpus = 1;
	assert_false(runs("ipi", &h, why));
	assert_false(runs("hlt-ipi", &h, why));
	assert_true(runs("hlt-timer", &h, why));
	host_with_everything(&h);
	h.tsc_deadline = false; /* as on most hosts: the capability offers it */
	h.tsc_deadline_cap = 1;
	assert_true(runs("hlt-timer", &h, why));
	h.tsc_deadline_cap = 0;
	assert_false(runs("hlt-timer", &h, why));
	assert_non_null(strstr(why, "KVM_CAP_TSC_DEADLINE_TIMER) = 0"));
	host_with_everything(&h);
	h.x2apic = false;
	assert_false(runs("ipi", &h, why));
	assert_non_null(strstr(why, "x2APIC"));
	host_with_everything(&h);
	h.pvm = true;
	assert_false(runs("hypercall-kvm", &h, why));
	assert_non_null(strstr(why, "kvm_pvm"));
	assert_true(runs("cpuid", &h, why));
	host_with_everything(&h);
	h.irqchip = 0; /* every row's VM needs it */
	for (unsigned i = 0; i < lab_nrows; i++)
		assert_false(lab_row_runs(&lab_rows[i], &h, why, sizeof(why)));
}

static void test_batching_fit(void **state)
{
	double x[5] = { 1, 2, 4, 8, 16 }, y[5], s, b;

	(void)state;
	/* A line is found exactly; one wild point does not tilt it. */
	for (unsigned i = 0; i < 5; i++)
		y[i] = 1000 + 10 * x[i];
	assert_int_equal(bt_fit(x, y, 5, &s, &b), 0);
	assert_true(fabs(s - 10) < 1e-9 && fabs(b - 1000) < 1e-9);
	y[2] = 1e6;
	assert_int_equal(bt_fit(x, y, 5, &s, &b), 0);
	assert_true(fabs(s - 10) < 1e-9 && fabs(b - 1000) < 1e-9);
	/* Too few points, or no two distinct x: no line. */
	assert_int_equal(bt_fit(x, y, 1, &s, &b), -1);
	x[1] = x[0];
	assert_int_equal(bt_fit(x, y, 2, &s, &b), -1);
	assert_int_equal(bt_fit(x, y, BT_MAX_SIZES + 1, &s, &b), -1);
}

static void test_batching_crossover(void **state)
{
	const uint32_t n[4] = { 1, 2, 4, 8 };
	/* Trapped: 100 per op; batched: 250 + 10 per op.  Groups: trap 100,
	 * 200, 400, 800; batch 260, 270, 290, 330: the difference changes
	 * sign between 2 (+70) and 4 (-110): 2 + 2 * 70 / 180. */
	const double trap[4] = { 100, 200, 400, 800 }, batch[4] = { 260, 270, 290, 330 };
	const double cheap[4] = { 90, 100, 110, 120 }, dear[4] = { 1e3, 1e3, 1e3, 1e3 };

	(void)state;
	assert_true(fabs(bt_crossover(n, trap, batch, 4) - (2 + 2.0 * 70 / 180)) < 1e-9);
	assert_true(bt_crossover(n, trap, cheap, 4) == 1);  /* at or below the smallest */
	assert_true(isnan(bt_crossover(n, trap, dear, 4))); /* never */
}

static void test_interrupts_model(void **state)
{
	struct ir_accel off = { .active = false }, on = { .active = true };
	struct ir_run r = { .ok = true, .have_kvm = true, .injected = 50 };

	(void)state;
	assert_true(ir_model_kvm_exits(&off) == 2); /* HLT + EOI */
	assert_true(ir_model_kvm_exits(&on) == 1);  /* HLT */
	/* 50 interrupts: 50 HLT, 2 windows, 3 host interrupts, 50 EOI. */
	r.kvm[IR_K_EXITS] = 105, r.kvm[IR_K_HALT] = 50, r.kvm[IR_K_WINDOW] = 2, r.kvm[IR_K_IRQ] = 3;
	assert_true(ir_other_exits(&r) == 1);
	r.have_kvm = false; /* no binary stats: not known, not 0 */
	assert_true(isnan(ir_other_exits(&r)));
	r.have_kvm = true, r.ok = false;
	assert_true(isnan(ir_other_exits(&r)));
}

/* A series leaves out its points that are not finite, dots and line
 * alike. */
static void test_svg_series(void **state)
{
	double x[4] = { 1, 2, 3, 4 }, y[4] = { 10, NAN, 30, INFINITY };
	char buf[8192] = { 0 };
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	struct plot p;
	const struct lab_axes a = { .xk = SCALE_LINEAR, .yk = SCALE_LOG10, .xlo = 1, .xhi = 4, .ylo = 1, .yhi = 100,
				    .title = "t", .xlabel = "x", .ylabel = "y", .fx = lab_svg_no_label,
				    .fy = lab_svg_no_label };
	unsigned dots = 0;

	(void)state;
	assert_non_null(f);
	lab_svg_plot(&p, f, 50, 50, 200, 100, &a);
	lab_svg_series(&p, x, y, 4, "#000", "s<1>", LAB_SVG_LINE | LAB_SVG_DOTS);
	fclose(f);
	for (char *c = buf; (c = strstr(c, "class=\"point\"")); c++)
		dots++;
	assert_int_equal(dots, 2);
	assert_non_null(strstr(buf, "data-series=\"s&lt;1&gt;\"")); /* the name escaped */
	assert_null(strstr(buf, "nan"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_row_runs),
		cmocka_unit_test(test_batching_fit),
		cmocka_unit_test(test_batching_crossover),
		cmocka_unit_test(test_interrupts_model),
		cmocka_unit_test(test_svg_series),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
