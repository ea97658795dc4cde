#include "boot/acpi.h"

#include <stdio.h>
#include <string.h>

#include "boot/acpi_ged.h"
#include "boot/aml.h"
#include "core/bus.h"
#include "core/device.h"
#include "core/layout.h"

/* Generic Address Structure, ACPI 6.x 5.2.3.2. */
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2

_Static_assert(LAYOUT_ACPI_FACS == LAYOUT_ACPI + ACPI_FACS_OFFSET, "the FACS where the PM device reads it");

struct table_writer {
	uint8_t *buf;
	size_t len;
	size_t used;
	uint64_t base;
};

uint8_t acpi_sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	while (len--)
		s += *p++;
	return s;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Reserve LEN bytes, ALIGN-byte aligned (a power of two); NULL when full. */
static uint8_t *reserve_aligned(struct table_writer *w, size_t len, size_t align, uint64_t *gpa)
{
	size_t at = (w->used + align - 1) & ~(align - 1);

	if (at > w->len || len > w->len - at)
		return NULL;
	w->used = at + len;
	*gpa = w->base + at;
	memset(w->buf + at, 0, len);
	return w->buf + at;
}

/* Reserve LEN bytes, 16-byte aligned; NULL when full. */
static uint8_t *reserve(struct table_writer *w, size_t len, uint64_t *gpa)
{
	return reserve_aligned(w, len, 16, gpa);
}

static void header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "WARDEN", 6);
	memcpy(t + 16, "WARDENVM", 8);
	put32(t + 24, 1);          /* OEM revision */
	memcpy(t + 28, "WRDN", 4); /* creator id */
	put32(t + 32, 1);          /* creator revision */
}

static void finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = (uint8_t)(0 - acpi_sum(t, len));
}

static void gas_io(uint8_t *g, uint16_t port, uint8_t bits, uint8_t access)
{
	g[0] = GAS_SYSTEM_IO;
	g[1] = bits; /* bit width */
	g[2] = 0;    /* bit offset */
	g[3] = access;
	put64(g + 4, port);
}

static void gas_io8(uint8_t *g, uint16_t port)
{
	gas_io(g, port, 8, GAS_ACCESS_BYTE);
}

/* How each hardware id is named in the DSDT: a prefix and a number per id
 * (COM1, RTC0, VR00...).  EISA ids ("PNP0501") are stored compressed. */
struct acpi_kind {
	const char *hid;
	const char *prefix;
	unsigned first; /* number of the first one */
	bool eisa;
};

static const struct acpi_kind kinds[] = {
	{ "PNP0501", "COM", 1, true },   /* 16550 UART */
	{ ACPI_HID_RTC, "RTC", 0, true }, /* CMOS RTC */
	{ "LNRO0005", "VR", 0, false },  /* virtio-mmio: the id Linux's driver matches */
	{ ACPI_HID_GED, "GED", 0, false }, /* the power button's event device (acpi_ged.h) */
	{ "PNP0A03", "PCI", 0, true },   /* PCI root bridge (devices/pci_host.c): bus 0 */
};

static const struct acpi_kind *kind_of(const char *hid)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].hid, hid) == 0)
			return &kinds[i];
	return NULL;
}

/* _CRS from the granted resources.  A line below 16 is an ISA IRQ:
 * a hardware-reduced platform has no legacy PIC, so Linux maps no ISA
 * IRQs by itself and COM1 only gets its interrupt through this. */
static void resources(struct aml *res, const struct device_resources *r)
{
	aml_init(res);
	for (unsigned i = 0; i < r->nranges; i++) {
		if (r->range[i].space == BUS_PIO)
			aml_res_io(res, (uint16_t)r->range[i].base, (uint8_t)r->range[i].len);
		else if (r->range[i].space == BUS_MMIO) /* MSRs are no ACPI resource */
			aml_res_mem32(res, (uint32_t)r->range[i].base, (uint32_t)r->range[i].len);
	}
	if (r->gsi >= 16)
		aml_res_ext_irq(res, (unsigned)r->gsi);
	else if (r->gsi >= 0)
		aml_res_irq(res, (unsigned)r->gsi);
	aml_res_end(res);
}

static void describe_devices(struct aml *sb, const struct device *const *devs, unsigned ndevs)
{
	unsigned count[sizeof(kinds) / sizeof(kinds[0])] = { 0 };

	for (unsigned i = 0; i < ndevs; i++) {
		const struct acpi_kind *k = devs[i]->acpi_hid ? kind_of(devs[i]->acpi_hid) : NULL;
		unsigned n;
		struct aml dev, res;
		char name[5];

		if (!k)
			continue;
		n = k->first + count[k - kinds]++;
		resources(&res, &devs[i]->res);
		aml_init(&dev);
		if (k->eisa)
			aml_name_eisaid(&dev, "_HID", k->hid);
		else
			aml_name_string(&dev, "_HID", k->hid);
		aml_name_int(&dev, "_UID", n);
		aml_name_buffer(&dev, "_CRS", res.b, res.n);
		if (strcmp(k->hid, ACPI_HID_GED) == 0 && devs[i]->res.gsi >= 0)
			acpi_ged_events(&dev, (unsigned)devs[i]->res.gsi);
		if (strlen(k->prefix) == 3)
			snprintf(name, sizeof(name), "%s%X", k->prefix, n & 0xf);
		else
			snprintf(name, sizeof(name), "%s%02X", k->prefix, n & 0xff);
		aml_device(sb, name, &dev);
		if (strcmp(k->hid, ACPI_HID_GED) == 0)
			acpi_ged_power_button(sb);
	}
}

/* DSDT: the devices above, and \_S5 (Name(_S5, Package(){5, 0})), which
 * Linux needs before it will power off through the sleep control register;
 * with S3, \_S3 the same way (its SLP_TYP for PM1a_CNT). */
static uint64_t build_dsdt(struct table_writer *w, const struct device *const *devs, unsigned ndevs,
			   bool s3)
{
	static const uint8_t s5[] = { ACPI_S5_TYPE, 0 };
	static const uint8_t s3_pkg[] = { ACPI_S3_TYPE, 0 };
	struct aml aml, sb;
	uint64_t gpa;
	uint8_t *t;

	aml_init(&aml);
	aml_init(&sb);
	describe_devices(&sb, devs, ndevs);
	aml_scope(&aml, "\\_SB_", &sb);
	if (s3)
		aml_name_package(&aml, "_S3_", s3_pkg, 2);
	aml_name_package(&aml, "_S5_", s5, 2);
	if (aml.overflow)
		return 0;
	t = reserve(w, ACPI_HDR_LEN + aml.n, &gpa);
	if (!t)
		return 0;
	header(t, "DSDT", (uint32_t)(ACPI_HDR_LEN + aml.n), 2);
	memcpy(t + ACPI_HDR_LEN, aml.b, aml.n);
	finish(t, (uint32_t)(ACPI_HDR_LEN + aml.n));
	return gpa;
}

/* The FACS (ACPI 6.5 5.2.10): where the OS leaves its waking vector for
 * the resume from S3.  No checksum; 64-byte aligned; version 2 (with the
 * 64-bit vector field, which warden never uses: flags say no 64-bit wake). */
static uint64_t build_facs(struct table_writer *w)
{
	uint64_t gpa;
	uint8_t *t = reserve_aligned(w, ACPI_FACS_LEN, 64, &gpa);

	if (!t)
		return 0;
	memcpy(t, "FACS", 4);
	put32(t + 4, ACPI_FACS_LEN);
	t[32] = 2; /* version */
	return gpa;
}

/* Hardware-reduced: the sleep registers and no fixed hardware. */
static void fadt_reduced(uint8_t *t, uint16_t pm)
{
	put32(t + 112, ACPI_FADT_FLAG_HW_REDUCED | ACPI_FADT_FLAG_RESET_REG_SUP |
			       (1u << 4) | (1u << 5)); /* no fixed power/sleep buttons */
	gas_io8(t + ACPI_FADT_SLEEP_CTL, pm + ACPI_PM_SLEEP_CTL);
	gas_io8(t + ACPI_FADT_SLEEP_STS, pm + ACPI_PM_SLEEP_STS);
}

/* Full (--acpi-s3): the FACS and the PM1a event and control blocks at
 * PM1 (the ACPI PM device's second range), no SMI_CMD (always in ACPI
 * mode), no PM timer and no GPE blocks. */
static void fadt_full(uint8_t *t, uint64_t facs, uint16_t pm1)
{
	put32(t + ACPI_FADT_FIRMWARE_CTRL, (uint32_t)facs);
	put32(t + ACPI_FADT_PM1A_EVT, pm1);
	put32(t + ACPI_FADT_PM1A_CNT, pm1 + ACPI_PM1_EVT_LEN);
	t[ACPI_FADT_PM1_EVT_LEN] = ACPI_PM1_EVT_LEN;
	t[ACPI_FADT_PM1_CNT_LEN] = ACPI_PM1_CNT_LEN;
	put32(t + 112, 1u | ACPI_FADT_FLAG_RESET_REG_SUP | /* WBINVD works */
			       (1u << 4) | (1u << 5)); /* power/sleep buttons: no fixed ones */
	gas_io(t + ACPI_FADT_X_PM1A_EVT, pm1, 8 * ACPI_PM1_EVT_LEN, GAS_ACCESS_WORD);
	gas_io(t + ACPI_FADT_X_PM1A_CNT, (uint16_t)(pm1 + ACPI_PM1_EVT_LEN), 8 * ACPI_PM1_CNT_LEN,
	       GAS_ACCESS_WORD);
}

/* IAPC_BOOT_ARCH: VGA not present; no 8042 to probe; and, on a machine
 * without the CMOS RTC, "CMOS RTC not present", so that Linux registers
 * no RTC and takes the wall clock from its paravirtual clock instead. */
#define IAPC_VGA_NOT_PRESENT (1u << 2)
#define IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

/* PM1: the PM1a blocks' port, 0 for a hardware-reduced FADT. */
static uint64_t build_fadt(struct table_writer *w, uint64_t dsdt, uint64_t facs, uint16_t pm,
			   uint16_t pm1, bool rtc)
{
	uint64_t gpa;
	uint8_t *t = reserve(w, ACPI_FADT_LEN, &gpa);

	if (!t)
		return 0;
	header(t, "FACP", ACPI_FADT_LEN, 6);
	put32(t + 40, (uint32_t)dsdt);  /* DSDT (32-bit copy) */
	put16(t + 46, ACPI_SCI_GSI);    /* SCI_INT: no SCI is ever raised */
	put16(t + 109, IAPC_VGA_NOT_PRESENT | (rtc ? 0 : IAPC_CMOS_RTC_NOT_PRESENT));
	if (pm1)
		fadt_full(t, facs, pm1);
	else
		fadt_reduced(t, pm);
	gas_io8(t + ACPI_FADT_RESET_REG, pm + ACPI_PM_RESET);
	t[ACPI_FADT_RESET_VALUE] = ACPI_RESET_VALUE;
	t[131] = 5;                     /* FADT minor version: ACPI 6.5 */
	put64(t + ACPI_FADT_X_DSDT, dsdt);
	memcpy(t + 268, "WARDENVM", 8); /* hypervisor vendor identity */
	finish(t, ACPI_FADT_LEN);
	return gpa;
}

static uint64_t build_madt(struct table_writer *w, unsigned ncpus)
{
	uint32_t len = ACPI_HDR_LEN + 8 + 8 * ncpus + 12;
	uint64_t gpa;
	uint8_t *t = reserve(w, len, &gpa), *e;

	if (!t)
		return 0;
	header(t, "APIC", len, 5);
	put32(t + 36, (uint32_t)LAYOUT_LAPIC);
	put32(t + 40, 0); /* flags: no dual 8259 (hardware-reduced platform) */
	e = t + 44;
	for (unsigned i = 0; i < ncpus; i++, e += 8) {
		e[0] = 0;              /* Processor Local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i;     /* ACPI processor UID */
		e[3] = (uint8_t)i;     /* APIC id == vCPU id */
		put32(e + 4, 1);       /* enabled */
	}
	e[0] = 1;                      /* I/O APIC */
	e[1] = 12;
	e[2] = 0;                      /* IOAPIC id (distinct from CPU ids is not required by Linux) */
	put32(e + 4, (uint32_t)LAYOUT_IOAPIC);
	put32(e + 8, 0);               /* GSI base */
	finish(t, len);
	return gpa;
}

/* Port range N of the ACPI PM registers the allocator granted, or -1:
 * range 0 the reduced registers, range 1 (with S3) the PM1a blocks. */
static int pm_port(const struct device *const *devs, unsigned ndevs, unsigned n)
{
	for (unsigned i = 0; i < ndevs; i++)
		if (devs[i]->acpi_hid && strcmp(devs[i]->acpi_hid, ACPI_HID_FADT_PM) == 0 &&
		    devs[i]->res.nranges > n && devs[i]->res.range[n].space == BUS_PIO)
			return (int)devs[i]->res.range[n].base;
	return -1;
}

static bool has_device(const struct device *const *devs, unsigned ndevs, const char *hid)
{
	for (unsigned i = 0; i < ndevs; i++)
		if (devs[i]->acpi_hid && strcmp(devs[i]->acpi_hid, hid) == 0)
			return true;
	return false;
}

static uint64_t build_xsdt(struct table_writer *w, const uint64_t *tables, unsigned n)
{
	uint32_t len = ACPI_HDR_LEN + 8 * n;
	uint64_t gpa;
	uint8_t *t = reserve(w, len, &gpa);

	if (!t)
		return 0;
	header(t, "XSDT", len, 1);
	for (unsigned i = 0; i < n; i++)
		put64(t + ACPI_HDR_LEN + 8 * i, tables[i]);
	finish(t, len);
	return gpa;
}

uint64_t acpi_build(uint8_t *buf, size_t len, uint64_t base, unsigned ncpus,
		    const struct device *const *devs, unsigned ndevs)
{
	struct table_writer w = { .buf = buf, .len = len, .base = base };
	uint64_t rsdp_gpa, dsdt, facs = 0, tables[2], xsdt;
	int pm = pm_port(devs, ndevs, 0), pm1 = pm_port(devs, ndevs, 1);
	uint8_t *rsdp;

	if (ncpus == 0 || ncpus > ACPI_MAX_CPUS || pm < 0)
		return 0;
	/* The RSDP comes first, at BASE, on the 16-byte boundary Linux scans;
	 * the FACS next, at BASE + ACPI_FACS_OFFSET (LAYOUT_ACPI_FACS), where
	 * the ACPI PM device reads the waking vector. */
	rsdp = reserve(&w, ACPI_RSDP_LEN, &rsdp_gpa);
	if (rsdp && pm1 > 0 && (facs = build_facs(&w)) != base + ACPI_FACS_OFFSET)
		return 0;
	if (!rsdp || !(dsdt = build_dsdt(&w, devs, ndevs, pm1 > 0)) ||
	    !(tables[0] = build_fadt(&w, dsdt, facs, (uint16_t)pm, pm1 > 0 ? (uint16_t)pm1 : 0,
				     has_device(devs, ndevs, ACPI_HID_RTC))) ||
	    !(tables[1] = build_madt(&w, ncpus)) || !(xsdt = build_xsdt(&w, tables, 2)))
		return 0;
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "WARDEN", 6);
	rsdp[15] = 2;                 /* revision: ACPI 2.0+, use the XSDT */
	put32(rsdp + 20, ACPI_RSDP_LEN);
	put64(rsdp + 24, xsdt);
	rsdp[8] = (uint8_t)(0 - acpi_sum(rsdp, 20));
	rsdp[32] = (uint8_t)(0 - acpi_sum(rsdp, ACPI_RSDP_LEN));
	return rsdp_gpa;
}
