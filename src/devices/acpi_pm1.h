/* The PM1a fixed-hardware registers of a full ACPI platform (--acpi-s3),
 * ACPI 6.5 4.8.3.1-4.8.3.3, as a model without I/O (unit-tested):
 *
 *   PM1_STS  write 1 to clear.  RTC_STS: the RTC alarm fired; WAK_STS:
 *            the platform woke from a sleep state (set with the wake).
 *   PM1_EN   RTC_EN: the RTC alarm wakes the platform.  GBL_EN is kept
 *            too (ACPICA enables the global lock's event whenever there is
 *            a FACS, reads it back, and logs an error if it does not
 *            stick; no firmware ever holds the lock).  Other enables read
 *            0: warden has no SCI to raise.
 *   PM1_CNT  SCI_EN reads 1 (no SMI_CMD: always in ACPI mode); SLP_TYP
 *            is kept; writing SLP_EN (reads 0) enters the sleep state
 *            SLP_TYP names: ACPI_S3_TYPE or ACPI_S5_TYPE (core/layout.h). */
#ifndef WARDEN_DEVICES_ACPI_PM1_H
#define WARDEN_DEVICES_ACPI_PM1_H

#include <stdbool.h>
#include <stdint.h>

#define PM1_RTC_STS 0x0400
#define PM1_WAK_STS 0x8000
#define PM1_RTC_EN 0x0400
#define PM1_GBL_EN 0x0020
#define PM1_EN_KEPT (PM1_RTC_EN | PM1_GBL_EN)
#define PM1_SCI_EN 0x0001
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK 0x1c00
#define PM1_SLP_EN 0x2000

enum pm1_reg { PM1_STS, PM1_EN, PM1_CNT };

enum pm1_action {
	PM1_NONE,
	PM1_SLEEP_S3,
	PM1_SLEEP_S5,
	PM1_SLEEP_OTHER, /* SLP_EN with a sleep type warden does not offer */
};

struct pm1 {
	uint16_t sts, en, cnt;
};

/* The 16-bit register REG. */
uint16_t pm1_read(const struct pm1 *p, enum pm1_reg reg);
/* Write the bytes of V that MASK selects (0x00ff, 0xff00 or 0xffff: a
 * byte or word access) to REG; what the write asks the platform to do. */
enum pm1_action pm1_write(struct pm1 *p, enum pm1_reg reg, uint16_t v, uint16_t mask);
/* The RTC alarm fired: RTC_STS; true when RTC_EN lets it wake. */
bool pm1_rtc_alarm(struct pm1 *p);
/* The platform woke from a sleep state: WAK_STS. */
void pm1_woke(struct pm1 *p);
/* A wake event is already pending (status and its enable both set): a
 * sleep entered now ends at once, as on hardware. */
bool pm1_wake_pending(const struct pm1 *p);

#endif
