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

/* Update-ended interrupt: each tick sets UF; IRQF (the line) only while
 * UIE is on; reading C returns the flags and clears them. */
static void test_update_interrupt(void **state)
{
	struct rtc r;

	(void)state;
	fixed_now = T_2024_02_29_13_45_59;
	rtc_init(&r, fake_now);
	assert_false(rtc_needs_ticks(&r));
	rtc_tick(&r);
	assert_false(rtc_irq(&r)); /* UF without UIE: no interrupt */
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_UF);
	assert_int_equal(rd(&r, RTC_REG_C), 0); /* read clears */
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	assert_true(rtc_needs_ticks(&r));
	assert_false(rtc_irq(&r));
	rtc_tick(&r);
	assert_true(rtc_irq(&r));
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
	assert_false(rtc_irq(&r));
	/* A flag set before its enable raises IRQF when it is enabled. */
	wr(&r, RTC_REG_B, RTC_B_24H);
	rtc_tick(&r);
	assert_false(rtc_irq(&r));
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	assert_true(rtc_irq(&r));
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
	/* The periodic interrupt is not offered: PIE alone needs no ticks. */
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	assert_false(rtc_needs_ticks(&r));
}

/* An RTC at 13:45:59 with its alarm set for 13:46:01 (BCD, as a guest
 * writes it), not yet enabled. */
static void alarm_at_13_46_01(struct rtc *r)
{
	fixed_now = T_2024_02_29_13_45_59;
	rtc_init(r, fake_now);
	wr(r, RTC_SECONDS_ALARM, 0x01);
	wr(r, RTC_MINUTES_ALARM, 0x46);
	wr(r, RTC_HOURS_ALARM, 0x13);
}

/* A tick that comes late (a loaded host: the clock thread woke in the
 * second after the alarm's) still matches the alarm: the ticker calls
 * rtc_tick_at() for every second it saw pass, not only for "now". */
static void test_late_tick_keeps_alarm(void **state)
{
	struct rtc r;

	(void)state;
	alarm_at_13_46_01(&r);
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	fixed_now = T_2024_02_29_13_45_59 + 3; /* 13:46:02: 13:46:01 went by */
	assert_false(rtc_tick(&r)); /* "now" alone misses it */
	assert_false(rtc_irq(&r));
	assert_false(rtc_tick_at(&r, T_2024_02_29_13_45_59 + 1)); /* 13:46:00 */
	assert_true(rtc_tick_at(&r, T_2024_02_29_13_45_59 + 2));  /* 13:46:01 */
	assert_true(rtc_irq(&r));
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
}

/* Alarm: AF when seconds, minutes and hours match (BCD, as the guest
 * wrote them), 0xC0-0xFF matching anything; IRQF with AIE. */
static void test_alarm_interrupt(void **state)
{
	struct rtc r;

	(void)state;
	alarm_at_13_46_01(&r);
	assert_int_equal(rd(&r, RTC_SECONDS_ALARM), 0x01);
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	assert_true(rtc_needs_ticks(&r));
	fixed_now = T_2024_02_29_13_45_59 + 1; /* 13:46:00 */
	rtc_tick(&r);
	assert_false(rtc_irq(&r));
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_UF); /* no AF yet */
	fixed_now = T_2024_02_29_13_45_59 + 2; /* 13:46:01 */
	rtc_tick(&r);
	assert_true(rtc_irq(&r));
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	assert_false(rtc_irq(&r));
	fixed_now = T_2024_02_29_13_45_59 + 3;
	rtc_tick(&r);
	assert_false(rtc_irq(&r)); /* one second only */
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_UF);
	/* "Any" minutes and hours: every minute at :01. */
	wr(&r, RTC_MINUTES_ALARM, 0xff);
	wr(&r, RTC_HOURS_ALARM, RTC_ALARM_ANY);
	fixed_now = T_2024_02_29_13_45_59 + 62; /* 13:47:01 */
	rtc_tick(&r);
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* Binary mode: the alarm is compared in binary. */
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_BINARY | RTC_B_AIE);
	wr(&r, RTC_SECONDS_ALARM, 2);
	fixed_now = T_2024_02_29_13_45_59 + 63; /* 13:47:02 */
	rtc_tick(&r);
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* Without AIE the flag is set, the line stays low. */
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_BINARY);
	fixed_now = T_2024_02_29_13_45_59 + 123; /* 13:48:02 */
	rtc_tick(&r);
	assert_false(rtc_irq(&r));
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_AF | RTC_C_UF);
}

/* rtc_tick says when the alarm fired (the platform's wake event for S3). */
static void test_tick_reports_alarm(void **state)
{
	struct rtc r;

	(void)state;
	fixed_now = T_2024_02_29_13_45_59;
	rtc_init(&r, fake_now);
	wr(&r, RTC_SECONDS_ALARM, 0x00);
	wr(&r, RTC_MINUTES_ALARM, RTC_ALARM_ANY);
	wr(&r, RTC_HOURS_ALARM, RTC_ALARM_ANY);
	assert_false(rtc_tick(&r)); /* 13:45:59 */
	fixed_now++;
	assert_true(rtc_tick(&r));  /* 13:46:00 */
	fixed_now++;
	assert_false(rtc_tick(&r));
}

static unsigned fake_usec_value;
static unsigned fake_usec(void) { return fake_usec_value; }

/* UIP: set in the last 244 us of a second, only while the time base
 * runs (divider 010); register A's other bits unchanged. */
static void test_update_in_progress(void **state)
{
	struct rtc r;

	(void)state;
	rtc_init(&r, fake_now);
	r.usec = fake_usec;
	fake_usec_value = 0;
	assert_int_equal(rd(&r, RTC_REG_A), 0x26);
	fake_usec_value = 1000000 - RTC_UIP_US - 1;
	assert_int_equal(rd(&r, RTC_REG_A), 0x26);
	fake_usec_value = 1000000 - RTC_UIP_US;
	assert_int_equal(rd(&r, RTC_REG_A), RTC_A_UIP | 0x26);
	fake_usec_value = 999999;
	assert_int_equal(rd(&r, RTC_REG_A), RTC_A_UIP | 0x26);
	wr(&r, RTC_REG_A, 0x66); /* divider 110: held in reset, no updates */
	assert_int_equal(rd(&r, RTC_REG_A), 0x66);
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
		cmocka_unit_test(test_update_interrupt),
		cmocka_unit_test(test_alarm_interrupt),
		cmocka_unit_test(test_late_tick_keeps_alarm),
		cmocka_unit_test(test_tick_reports_alarm),
		cmocka_unit_test(test_update_in_progress),
	};

	return cmocka_run_group_tests_name("rtc", tests, NULL, NULL);
}
