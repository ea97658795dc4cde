/* What a hardware exit interrupted (src/accounting/crash.c,
 * crash_delivery_name): the crash report's "while delivering ..." from
 * kvm_exit's intr_info, seen on a triple-faulting Linux guest in L1 as
 * 0x80000b0e with error code 0x10 (a #PF on an instruction fetch). */
#include "accounting/crash.h"
#include "unit.h"

static const char *name(uint32_t intr_info, uint32_t error_code, char *buf, size_t len)
{
	struct trace_event e = { .type = TEV_EXIT, .code = 0x7f, .intr_info = intr_info,
				 .error_code = error_code };

	return crash_delivery_name(&e, buf, len);
}

static void test_delivery_names(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(name(0x80000b0e, 0x10, b, sizeof(b)), "#PF (error code 0x10)");
	assert_string_equal(name(0x80000306, 0, b, sizeof(b)), "#UD");
	assert_string_equal(name(0x80000b08, 0, b, sizeof(b)), "#DF (error code 0x0)");
	assert_string_equal(name(0x800000ec, 0, b, sizeof(b)), "interrupt 236");
	assert_string_equal(name(0x80000202, 0, b, sizeof(b)), "NMI");
	assert_string_equal(name(0x80000480, 0, b, sizeof(b)), "software interrupt or exception 128");
}

static void test_nothing_in_delivery(void **state)
{
	struct trace_event exc = { .type = TEV_EXCEPTION, .code = 14, .intr_info = 0x80000b0e };
	char b[64];

	(void)state;
	assert_null(name(0, 0, b, sizeof(b)));          /* no delivery, or no field */
	assert_null(name(0x00000b0e, 0x10, b, sizeof(b))); /* valid bit clear */
	assert_null(crash_delivery_name(&exc, b, sizeof(b))); /* only exits carry it */
	/* A short buffer is cut, not overrun. */
	assert_string_equal(name(0x80000b0e, 0x10, b, 4), "#PF");
}

/* The chain says an exception KVM injected again after a cancelled entry
 * once (seen in L1: "#UD -> #UD" with no exit between), and keeps one the
 * guest raised again (an exit between) or a different one. */
static void test_reinjection(void **state)
{
	const struct trace_event ev[] = {
		{ .type = TEV_EXIT, .code = 0x46, .rip = 0x100093 },
		{ .type = TEV_EXCEPTION, .code = 6 },
		{ .type = TEV_EXCEPTION, .code = 6 },                       /* again: entry cancelled */
		{ .type = TEV_EXIT, .code = 0x46, .rip = 0x100093 },
		{ .type = TEV_EXCEPTION, .code = 6 },                       /* raised again */
		{ .type = TEV_EXCEPTION, .code = 13, .has_error = true },   /* another vector */
		{ .type = TEV_EXCEPTION, .code = 13, .has_error = true, .error_code = 8 }, /* another code */
	};

	(void)state;
	assert_false(crash_reinjection(ev, 1));
	assert_true(crash_reinjection(ev, 2));
	assert_false(crash_reinjection(ev, 4));
	assert_false(crash_reinjection(ev, 5));
	assert_false(crash_reinjection(ev, 6));
	assert_false(crash_reinjection(ev, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery_names),
		cmocka_unit_test(test_nothing_in_delivery),
		cmocka_unit_test(test_reinjection),
	};

	return cmocka_run_group_tests_name("crash_delivery", tests, NULL, NULL);
}
