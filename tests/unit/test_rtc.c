/* MC146818 CMOS RTC model (src/devices/rtc.c). */
#include "devices/rtc.h"
#include "unit.h"

static time_t fixed_now;
static time_t fake_now(void) { return fixed_now; }

#define T_2024_02_29_13_45_59 ((time_t)1709214359) /* a Thursday */
#define T_1999_12_31_23_59_59 ((time_t)946684799)  /* a Friday */

static uint8_t rd(struct rtc *r, uint8_t reg)
{
	rtc_write(r, 0, reg);
	return rtc_read(r, 1);
}

static void wr(struct rtc *r, uint8_t reg, uint8_t val)
{
	rtc_write(r, 0, reg);
	rtc_write(r, 1, val);
}

static void test_bcd_time(void **state)
{
	struct rtc r;

	(void)state;
	fixed_now = T_2024_02_29_13_45_59;
	rtc_init(&r, fake_now);
	assert_int_equal(rd(&r, RTC_SECONDS), 0x59);
	assert_int_equal(rd(&r, RTC_MINUTES), 0x45);
	assert_int_equal(rd(&r, RTC_HOURS), 0x13);
	assert_int_equal(rd(&r, RTC_DAY_OF_WEEK), 0x05); /* Sunday = 1 */
	assert_int_equal(rd(&r, RTC_DAY_OF_MONTH), 0x29);
	assert_int_equal(rd(&r, RTC_MONTH), 0x02);
	assert_int_equal(rd(&r, RTC_YEAR), 0x24);
	assert_int_equal(rd(&r, RTC_CENTURY), 0x20);
}

static void test_bcd_century_boundary(void **state)
{
	struct rtc r;

	(void)state;
	fixed_now = T_1999_12_31_23_59_59;
	rtc_init(&r, fake_now);
	assert_int_equal(rd(&r, RTC_YEAR), 0x99);
	assert_int_equal(rd(&r, RTC_CENTURY), 0x19);
	assert_int_equal(rd(&r, RTC_HOURS), 0x23);
	assert_int_equal(rd(&r, RTC_MONTH), 0x12);
	assert_int_equal(rd(&r, RTC_DAY_OF_WEEK), 0x06);
	fixed_now = T_1999_12_31_23_59_59 + 1; /* the clock follows now() */
	assert_int_equal(rd(&r, RTC_SECONDS), 0x00);
	assert_int_equal(rd(&r, RTC_YEAR), 0x00);
	assert_int_equal(rd(&r, RTC_CENTURY), 0x20);
	assert_int_equal(rd(&r, RTC_MONTH), 0x01);
	assert_int_equal(rd(&r, RTC_DAY_OF_MONTH), 0x01);
}

static void test_status_registers(void **state)
{
	struct rtc r;

	(void)state;
	fixed_now = T_2024_02_29_13_45_59;
	rtc_init(&r, fake_now);
	assert_int_equal(rd(&r, RTC_REG_A) & 0x80, 0); /* UIP clear */
	assert_int_equal(rd(&r, RTC_REG_A), 0x26);
	assert_int_equal(rd(&r, RTC_REG_B), RTC_B_24H);
	assert_int_equal(rd(&r, RTC_REG_C), 0);
	assert_true(rd(&r, RTC_REG_D) & RTC_D_VRT);
	/* A guest cannot make UIP appear, nor clear VRT. */
	wr(&r, RTC_REG_A, 0xa6);
	assert_int_equal(rd(&r, RTC_REG_A), 0x26);
	wr(&r, RTC_REG_D, 0);
	assert_true(rd(&r, RTC_REG_D) & RTC_D_VRT);
	wr(&r, RTC_REG_C, 0xff);
	assert_int_equal(rd(&r, RTC_REG_C), 0);
}

static void test_binary_mode(void **state)
{
	struct rtc r;

	(void)state;
	fixed_now = T_2024_02_29_13_45_59;
	rtc_init(&r, fake_now);
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_BINARY);
	assert_int_equal(rd(&r, RTC_REG_B), RTC_B_24H | RTC_B_BINARY);
	assert_int_equal(rd(&r, RTC_SECONDS), 59);
	assert_int_equal(rd(&r, RTC_MINUTES), 45);
	assert_int_equal(rd(&r, RTC_HOURS), 13);
	assert_int_equal(rd(&r, RTC_DAY_OF_WEEK), 5);
	assert_int_equal(rd(&r, RTC_DAY_OF_MONTH), 29);
	assert_int_equal(rd(&r, RTC_MONTH), 2);
	assert_int_equal(rd(&r, RTC_YEAR), 24);
	assert_int_equal(rd(&r, RTC_CENTURY), 20);
	/* And back to BCD. */
	wr(&r, RTC_REG_B, RTC_B_24H);
	assert_int_equal(rd(&r, RTC_SECONDS), 0x59);
}

static void test_index_port(void **state)
{
	struct rtc r;

	(void)state;
	fixed_now = T_2024_02_29_13_45_59;
	rtc_init(&r, fake_now);
	rtc_write(&r, 0, RTC_MINUTES);
	assert_int_equal(rtc_read(&r, 0), 0xff); /* write-only */
	assert_int_equal(rtc_read(&r, 1), 0x45); /* index unchanged by the read */
	/* Bit 7 of the index is the NMI mask, not part of the register. */
	rtc_write(&r, 0, 0x80 | RTC_HOURS);
	assert_int_equal(rtc_read(&r, 1), 0x13);
}

static void test_cmos_ram_and_clock_writes(void **state)
{
	struct rtc r;

	(void)state;
	fixed_now = T_2024_02_29_13_45_59;
	rtc_init(&r, fake_now);
	wr(&r, 0x40, 0x5a);
	wr(&r, 0x7f, 0xa5);
	assert_int_equal(rd(&r, 0x40), 0x5a);
	assert_int_equal(rd(&r, 0x7f), 0xa5);
	/* Setting the clock is accepted and ignored: it follows the host. */
	wr(&r, RTC_SECONDS, 0x00);
	wr(&r, RTC_YEAR, 0x99);
	assert_int_equal(rd(&r, RTC_SECONDS), 0x59);
	assert_int_equal(rd(&r, RTC_YEAR), 0x24);
}

static void test_default_clock_is_host_time(void **state)
{
	struct rtc r;
	time_t before = time(NULL), after;
	struct tm tm;
	unsigned sec;

	(void)state;
	rtc_init(&r, NULL);
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_BINARY);
	sec = rd(&r, RTC_SECONDS);
	after = time(NULL);
	assert_true(sec < 60);
	gmtime_r(&before, &tm);
	if (before == after) /* no second boundary crossed: must match exactly */
		assert_int_equal(sec, (unsigned)tm.tm_sec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bcd_time),
		cmocka_unit_test(test_bcd_century_boundary),
		cmocka_unit_test(test_status_registers),
		cmocka_unit_test(test_binary_mode),
		cmocka_unit_test(test_index_port),
		cmocka_unit_test(test_cmos_ram_and_clock_writes),
		cmocka_unit_test(test_default_clock_is_host_time),
	};

	return cmocka_run_group_tests_name("rtc", tests, NULL, NULL);
}
