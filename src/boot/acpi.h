/* ACPI tables describing the machine to Linux: RSDP, XSDT, a
 * hardware-reduced FADT (reset and sleep registers in port I/O), a DSDT
 * with \_S5, and a MADT listing the CPUs and the IOAPIC.  When the ACPI
 * PM device has the PM1a blocks (--acpi-s3) the FADT is a full one
 * instead: PM1a event and control blocks, a FACS, and \_S3 in the DSDT.  The kernel we
 * boot has no MP-table parser, so this is how it finds its CPUs. */
#ifndef WARDEN_BOOT_ACPI_H
#define WARDEN_BOOT_ACPI_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_HDR_LEN 36
#define ACPI_RSDP_LEN 36
#define ACPI_FADT_LEN 276
#define ACPI_FADT_FLAG_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_FLAG_HW_REDUCED (1u << 20)
#define ACPI_FADT_RESET_REG 116
#define ACPI_FADT_RESET_VALUE 128
#define ACPI_FADT_X_DSDT 140
#define ACPI_FADT_FIRMWARE_CTRL 36 /* the FACS (32-bit) */
#define ACPI_FADT_PM1A_EVT 56
#define ACPI_FADT_PM1A_CNT 64
#define ACPI_FADT_PM1_EVT_LEN 88
#define ACPI_FADT_PM1_CNT_LEN 89
#define ACPI_FADT_FLAGS 112
#define ACPI_FADT_X_PM1A_EVT 148
#define ACPI_FADT_X_PM1A_CNT 172
#define ACPI_FADT_SLEEP_CTL 244
#define ACPI_FADT_SLEEP_STS 256
#define ACPI_FACS_LEN 64
#define ACPI_FACS_OFFSET 0x40 /* from the tables' base: right after the RSDP */
#define ACPI_FACS_WAKING_VECTOR 12
#define ACPI_MAX_CPUS 254 /* xAPIC ids in type-0 MADT entries */

struct device;

/* Build all tables into BUF, which is guest memory at guest-physical BASE
 * (LEN bytes).  Returns the RSDP's guest-physical address (== BASE), or 0
 * if the tables do not fit.  DEVS: the machine's devices; those with an
 * ACPI hardware id are described in the DSDT with the ranges and line the
 * allocator granted them, and the FADT's registers are the ACPI PM
 * device's ports (a second range of them: the PM1a blocks, a full FADT
 * and the FACS at BASE + ACPI_FACS_OFFSET). */
uint64_t acpi_build(uint8_t *buf, size_t len, uint64_t base, unsigned ncpus,
		    const struct device *const *devs, unsigned ndevs);

/* Byte sum, for checksums and their tests. */
uint8_t acpi_sum(const uint8_t *p, size_t len);

#endif
