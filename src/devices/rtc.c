#include "devices/rtc.h"

#include <string.h>

/* The seconds and the microseconds (UIP) from one clock: glibc's time()
 * reads the coarse clock, which can still show the old second a tick
 * after CLOCK_REALTIME has passed it, so a guest that saw UIP fall would
 * read the second before and arm its alarm a second early. */
static time_t host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static unsigned host_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned)(ts.tv_nsec / 1000);
}

static unsigned no_usec(void)
{
	return 0;
}

void rtc_init(struct rtc *r, time_t (*now)(void))
{
	memset(r, 0, sizeof(*r));
	r->now = now ? now : host_now;
	r->usec = now ? no_usec : host_usec;
	r->cmos[RTC_REG_A] = 0x26; /* 32.768 kHz base, 1024 Hz rate */
	r->cmos[RTC_REG_B] = RTC_B_24H; /* BCD, 24-hour: what firmware sets */
	r->cmos[RTC_REG_D] = RTC_D_VRT; /* battery good */
}

static uint8_t encode(const struct rtc *r, unsigned v)
{
	if (r->cmos[RTC_REG_B] & RTC_B_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* Time register REG as it reads at second T. */
static uint8_t clock_reg_at(const struct rtc *r, unsigned reg, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (reg) {
	case RTC_SECONDS: return encode(r, (unsigned)tm.tm_sec);
	case RTC_MINUTES: return encode(r, (unsigned)tm.tm_min);
	case RTC_HOURS:
		if (!(r->cmos[RTC_REG_B] & RTC_B_24H)) {
			/* 12-hour mode: 1-12, bit 7 set for PM. */
			unsigned h12 = tm.tm_hour % 12 ? (unsigned)tm.tm_hour % 12 : 12;
			return (uint8_t)(encode(r, h12) | (tm.tm_hour >= 12 ? 0x80 : 0));
		}
		return encode(r, (unsigned)tm.tm_hour);
	case RTC_DAY_OF_WEEK: return encode(r, (unsigned)tm.tm_wday + 1);
	case RTC_DAY_OF_MONTH: return encode(r, (unsigned)tm.tm_mday);
	case RTC_MONTH: return encode(r, (unsigned)tm.tm_mon + 1);
	case RTC_YEAR: return encode(r, (unsigned)(tm.tm_year % 100));
	case RTC_CENTURY: return encode(r, (unsigned)(1900 + tm.tm_year) / 100);
	}
	return 0;
}

static uint8_t clock_reg(const struct rtc *r, unsigned reg)
{
	return clock_reg_at(r, reg, r->now());
}

static void update_irqf(struct rtc *r)
{
	uint8_t on = r->flags & r->cmos[RTC_REG_B] & (RTC_C_UF | RTC_C_AF);

	r->flags = (uint8_t)((r->flags & ~RTC_C_IRQF) | (on ? RTC_C_IRQF : 0));
}

/* An alarm register against the time register it watches, at second T. */
static bool alarm_matches(const struct rtc *r, unsigned alarm, unsigned reg, time_t t)
{
	uint8_t a = r->cmos[alarm];

	return a >= RTC_ALARM_ANY || a == clock_reg_at(r, reg, t);
}

bool rtc_tick(struct rtc *r)
{
	return rtc_tick_at(r, r->now());
}

bool rtc_tick_at(struct rtc *r, time_t t)
{
	bool alarm = alarm_matches(r, RTC_SECONDS_ALARM, RTC_SECONDS, t) &&
		     alarm_matches(r, RTC_MINUTES_ALARM, RTC_MINUTES, t) &&
		     alarm_matches(r, RTC_HOURS_ALARM, RTC_HOURS, t);

	r->flags |= RTC_C_UF;
	if (alarm)
		r->flags |= RTC_C_AF;
	update_irqf(r);
	return alarm;
}

/* UIP: the last RTC_UIP_US of the second, while the oscillator runs
 * (divider bits 010: the 32.768 kHz time base). */
static uint8_t reg_a(const struct rtc *r)
{
	uint8_t a = r->cmos[RTC_REG_A] & 0x7f;

	if ((a & 0x70) == 0x20 && r->usec() >= 1000000 - RTC_UIP_US)
		a |= RTC_A_UIP;
	return a;
}

bool rtc_irq(const struct rtc *r)
{
	return r->flags & RTC_C_IRQF;
}

bool rtc_needs_ticks(const struct rtc *r)
{
	return r->cmos[RTC_REG_B] & (RTC_B_UIE | RTC_B_AIE);
}

uint8_t rtc_read(struct rtc *r, unsigned port)
{
	unsigned reg = r->index & 0x7f;

	if (port == 0)
		return 0xff; /* the index port is write-only */
	switch (reg) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		return clock_reg(r, reg);
	case RTC_REG_A:
		return reg_a(r);
	case RTC_REG_C: {
		uint8_t c = r->flags;

		r->flags = 0; /* reading C acknowledges: the line goes low */
		return c;
	}
	default:
		return r->cmos[reg];
	}
}

void rtc_write(struct rtc *r, unsigned port, uint8_t val)
{
	unsigned reg;

	if (port == 0) {
		r->index = val; /* bit 7 is the NMI mask; kept, ignored */
		return;
	}
	reg = r->index & 0x7f;
	switch (reg) {
	case RTC_REG_C: case RTC_REG_D:
		return; /* read-only */
	case RTC_REG_B:
		/* Format bits and the update/alarm enables are honoured; an
		 * enable for a flag already set raises IRQF, as on the chip. */
		r->cmos[reg] = val;
		update_irqf(r);
		return;
	default:
		/* Clock writes (setting the time) are accepted and forgotten:
		 * the guest's RTC follows the host clock. */
		r->cmos[reg] = val;
	}
}
