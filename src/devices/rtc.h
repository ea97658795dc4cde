/* MC146818 CMOS RTC on ports 0x70/0x71.  Without it Linux polls the CMOS
 * ports tens of thousands of times at boot waiting for a clock that never
 * ticks.  Time is read from the host's real-time clock on every access;
 * the update-in-progress bit is never set, so the guest never waits. */
#ifndef WARDEN_DEVICES_RTC_H
#define WARDEN_DEVICES_RTC_H

#include <stdint.h>
#include <time.h>

#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32

#define RTC_B_24H 0x02
#define RTC_B_BINARY 0x04
#define RTC_D_VRT 0x80

struct rtc {
	uint8_t index;
	uint8_t cmos[128];
	time_t (*now)(void); /* host clock; replaceable for tests */
};

void rtc_init(struct rtc *r, time_t (*now)(void));
/* PORT is 0 (index) or 1 (data). */
uint8_t rtc_read(struct rtc *r, unsigned port);
void rtc_write(struct rtc *r, unsigned port, uint8_t val);

#endif
