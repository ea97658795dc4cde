/* The PM1a registers of --acpi-s3 (src/devices/acpi_pm1.c). */
#include "core/layout.h"
#include "devices/acpi_pm1.h"
#include "unit.h"

static uint16_t slp(unsigned typ)
{
	return (uint16_t)(typ << PM1_SLP_TYP_SHIFT | PM1_SLP_EN);
}

/* SLP_EN enters the state SLP_TYP names: \_S3 (1), \_S5 (5), else none
 * warden offers; SLP_EN reads back 0, SLP_TYP is kept, SCI_EN reads 1. */
static void test_sleep_types(void **state)
{
	struct pm1 p = { 0 };

	(void)state;
	assert_int_equal(pm1_read(&p, PM1_CNT), PM1_SCI_EN);
	assert_int_equal(pm1_write(&p, PM1_CNT, slp(ACPI_S3_TYPE), 0xffff), PM1_SLEEP_S3);
	assert_int_equal(pm1_read(&p, PM1_CNT), ACPI_S3_TYPE << PM1_SLP_TYP_SHIFT | PM1_SCI_EN);
	assert_int_equal(pm1_write(&p, PM1_CNT, slp(ACPI_S5_TYPE), 0xffff), PM1_SLEEP_S5);
	assert_int_equal(pm1_write(&p, PM1_CNT, slp(2), 0xffff), PM1_SLEEP_OTHER);
	assert_int_equal(pm1_write(&p, PM1_CNT, slp(0), 0xffff), PM1_SLEEP_OTHER);
	/* SLP_TYP alone does nothing yet. */
	assert_int_equal(pm1_write(&p, PM1_CNT, ACPI_S3_TYPE << PM1_SLP_TYP_SHIFT, 0xffff), PM1_NONE);
	/* The s3 test's write: outw 0x2400. */
	assert_int_equal(pm1_write(&p, PM1_CNT, 0x2400, 0xffff), PM1_SLEEP_S3);
}

/* A byte write to the high byte (Linux may split the register): SLP_EN
 * and SLP_TYP both live there. */
static void test_byte_access(void **state)
{
	struct pm1 p = { 0 };

	(void)state;
	assert_int_equal(pm1_write(&p, PM1_CNT, 0x00ff, 0x00ff), PM1_NONE);
	assert_int_equal(pm1_read(&p, PM1_CNT), PM1_SCI_EN);
	assert_int_equal(pm1_write(&p, PM1_CNT, slp(ACPI_S5_TYPE) & 0xff00, 0xff00), PM1_SLEEP_S5);
	assert_int_equal(pm1_write(&p, PM1_EN, PM1_RTC_EN, 0x00ff), PM1_NONE); /* low byte only */
	assert_int_equal(pm1_read(&p, PM1_EN), 0);
	assert_int_equal(pm1_write(&p, PM1_EN, PM1_RTC_EN, 0xff00), PM1_NONE);
	assert_int_equal(pm1_read(&p, PM1_EN), PM1_RTC_EN);
}

/* RTC_STS on every alarm; it wakes only with RTC_EN; WAK_STS at a wake;
 * both write-1-to-clear. */
static void test_rtc_wake(void **state)
{
	struct pm1 p = { 0 };

	(void)state;
	assert_false(pm1_rtc_alarm(&p));
	assert_int_equal(pm1_read(&p, PM1_STS), PM1_RTC_STS);
	assert_false(pm1_wake_pending(&p));
	pm1_write(&p, PM1_STS, PM1_RTC_STS, 0xffff);
	assert_int_equal(pm1_read(&p, PM1_STS), 0);
	pm1_write(&p, PM1_EN, 0xffff, 0xffff); /* only RTC_EN and GBL_EN are kept */
	assert_int_equal(pm1_read(&p, PM1_EN), PM1_RTC_EN | PM1_GBL_EN);
	assert_true(pm1_rtc_alarm(&p));
	assert_true(pm1_wake_pending(&p));
	pm1_woke(&p);
	assert_int_equal(pm1_read(&p, PM1_STS), PM1_RTC_STS | PM1_WAK_STS);
	pm1_write(&p, PM1_STS, PM1_WAK_STS, 0xffff); /* clears that bit only */
	assert_int_equal(pm1_read(&p, PM1_STS), PM1_RTC_STS);
	pm1_write(&p, PM1_STS, 0, 0xffff);           /* 0 bits clear nothing */
	assert_int_equal(pm1_read(&p, PM1_STS), PM1_RTC_STS);
	pm1_write(&p, PM1_EN, PM1_GBL_EN, 0xffff);
	assert_false(pm1_wake_pending(&p)); /* GBL_EN wakes nothing */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sleep_types),
		cmocka_unit_test(test_byte_access),
		cmocka_unit_test(test_rtc_wake),
	};

	return cmocka_run_group_tests_name("acpi_pm1", tests, NULL, NULL);
}
