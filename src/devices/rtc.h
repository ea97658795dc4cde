/* MC146818 CMOS RTC on ports 0x70/0x71.  Without it Linux polls the CMOS
 * ports tens of thousands of times at boot waiting for a clock that never
 * ticks.  Time is read from the host's real-time clock on every access;
 * the update-in-progress bit is never set, so the guest never waits.
 *
 * Interrupts (IRQ 8): the update-ended and alarm interrupts.  The device
 * calls rtc_tick() once a second (when the host clock's second changes):
 * it sets UF, and AF when the alarm registers (seconds, minutes, hours;
 * 0xC0-0xFF in one is "any") match the time; IRQF, and the interrupt
 * line, follow "a flag set whose enable bit in register B is set".
 * Reading register C returns the flags and clears them.  Periodic
 * interrupts (PIE) are not offered: PF is never set. */
#ifndef WARDEN_DEVICES_RTC_H
#define WARDEN_DEVICES_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
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
#define RTC_B_UIE 0x10 /* update-ended interrupt enable */
#define RTC_B_AIE 0x20 /* alarm interrupt enable */
#define RTC_B_PIE 0x40 /* periodic interrupt enable (not offered) */
#define RTC_C_UF 0x10
#define RTC_C_AF 0x20
#define RTC_C_IRQF 0x80
#define RTC_D_VRT 0x80
#define RTC_ALARM_ANY 0xc0 /* an alarm register at or above: any value */
#define RTC_A_UIP 0x80
#define RTC_UIP_US 244 /* UIP is set this long before each update */

struct rtc {
	uint8_t index;
	uint8_t cmos[128];
	uint8_t flags; /* register C */
	time_t (*now)(void); /* host clock; replaceable for tests */
	/* Microseconds into the current second (UIP); the host clock's, or
	 * with a test's NOW always 0 unless the test sets its own. */
	unsigned (*usec)(void);
};

void rtc_init(struct rtc *r, time_t (*now)(void));
/* PORT is 0 (index) or 1 (data). */
uint8_t rtc_read(struct rtc *r, unsigned port);
void rtc_write(struct rtc *r, unsigned port, uint8_t val);
/* One second has passed (the clock was updated): UF, AF on an alarm match.
 * True when this tick raised AF (the alarm fired: a wake event). */
bool rtc_tick(struct rtc *r);
/* The update that ended second T (the ticker's, one per second it saw
 * pass: a tick that comes late still matches the alarm against each
 * second it covers, so an alarm for an exact second is never skipped). */
bool rtc_tick_at(struct rtc *r, time_t t);
/* The interrupt line's level: IRQF. */
bool rtc_irq(const struct rtc *r);
/* The guest enabled an interrupt that needs rtc_tick() (UIE or AIE). */
bool rtc_needs_ticks(const struct rtc *r);

#endif
