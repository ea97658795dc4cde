#include "devices/acpi_pm1.h"

#include "core/layout.h"

uint16_t pm1_read(const struct pm1 *p, enum pm1_reg reg)
{
	switch (reg) {
	case PM1_STS: return p->sts;
	case PM1_EN: return p->en;
	case PM1_CNT: return (uint16_t)(p->cnt | PM1_SCI_EN);
	}
	return 0;
}

static enum pm1_action sleep_action(uint16_t cnt)
{
	unsigned typ = (cnt & PM1_SLP_TYP_MASK) >> PM1_SLP_TYP_SHIFT;

	if (typ == ACPI_S3_TYPE)
		return PM1_SLEEP_S3;
	if (typ == ACPI_S5_TYPE)
		return PM1_SLEEP_S5;
	return PM1_SLEEP_OTHER;
}

enum pm1_action pm1_write(struct pm1 *p, enum pm1_reg reg, uint16_t v, uint16_t mask)
{
	v &= mask;
	switch (reg) {
	case PM1_STS:
		p->sts &= (uint16_t)~v; /* write 1 to clear */
		return PM1_NONE;
	case PM1_EN:
		p->en = (uint16_t)((p->en & ~mask) | (v & PM1_EN_KEPT));
		return PM1_NONE;
	case PM1_CNT:
		/* Only SLP_TYP is kept; SLP_EN acts and reads back 0. */
		p->cnt = (uint16_t)((p->cnt & ~(mask & PM1_SLP_TYP_MASK)) | (v & PM1_SLP_TYP_MASK));
		return (v & PM1_SLP_EN) ? sleep_action(p->cnt) : PM1_NONE;
	}
	return PM1_NONE;
}

bool pm1_rtc_alarm(struct pm1 *p)
{
	p->sts |= PM1_RTC_STS;
	return p->en & PM1_RTC_EN;
}

void pm1_woke(struct pm1 *p)
{
	p->sts |= PM1_WAK_STS;
}

bool pm1_wake_pending(const struct pm1 *p)
{
	return (p->sts & PM1_RTC_STS) && (p->en & PM1_RTC_EN);
}
