/* ACPI tables (src/boot/acpi.c). */
#include <string.h>

#include "boot/acpi.h"
#include "boot/acpi_ged.h"
#include "boot/aml.h"
#include "core/bus.h"
#include "core/device.h"
#include "core/layout.h"
#include "unit.h"

#define BUF_LEN (128 * 1024)
#define BASE 0xe0000ULL

struct tables {
	const uint8_t *rsdp, *xsdt, *fadt, *dsdt, *madt;
};

/* Table at guest-physical GPA inside BUF; it must lie wholly inside. */
static const uint8_t *at(const uint8_t *buf, size_t len, uint64_t base, uint64_t gpa, size_t need)
{
	assert_true(gpa >= base);
	assert_true(gpa - base <= len && need <= len - (gpa - base));
	return buf + (gpa - base);
}

/* A table with a valid header: signature, length and checksum. */
static const uint8_t *table(const uint8_t *buf, size_t len, uint64_t base, uint64_t gpa,
			    const char *sig)
{
	const uint8_t *t = at(buf, len, base, gpa, ACPI_HDR_LEN);
	uint32_t tlen = u_rd32(t + 4);

	assert_memory_equal(t, sig, 4);
	assert_true(tlen >= ACPI_HDR_LEN);
	at(buf, len, base, gpa, tlen);
	assert_int_equal(acpi_sum(t, tlen), 0);
	assert_memory_equal(t + 10, "WARDEN", 6);
	return t;
}

static struct tables walk(const uint8_t *buf, size_t len, uint64_t base, uint64_t rsdp)
{
	struct tables t;

	assert_int_equal(rsdp, base);
	t.rsdp = at(buf, len, base, rsdp, ACPI_RSDP_LEN);
	assert_memory_equal(t.rsdp, "RSD PTR ", 8);
	assert_int_equal(acpi_sum(t.rsdp, 20), 0);
	assert_int_equal(acpi_sum(t.rsdp, ACPI_RSDP_LEN), 0);
	assert_int_equal(t.rsdp[15], 2); /* ACPI 2.0+ */
	assert_int_equal(u_rd32(t.rsdp + 20), ACPI_RSDP_LEN);

	t.xsdt = table(buf, len, base, u_rd64(t.rsdp + 24), "XSDT");
	assert_int_equal(u_rd32(t.xsdt + 4), ACPI_HDR_LEN + 2 * 8);
	t.fadt = table(buf, len, base, u_rd64(t.xsdt + ACPI_HDR_LEN), "FACP");
	t.madt = table(buf, len, base, u_rd64(t.xsdt + ACPI_HDR_LEN + 8), "APIC");
	t.dsdt = table(buf, len, base, u_rd64(t.fadt + ACPI_FADT_X_DSDT), "DSDT");
	return t;
}

/* The platform devices as the allocator grants them (core/layout.h). */
static const struct device com1 = {
	.name = "serial", .acpi_hid = "PNP0501",
	.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_COM1, PORT_COM_LEN) }, .gsi = GSI_COM1 },
};
static const struct device rtc = {
	.name = "rtc", .acpi_hid = "PNP0B00",
	.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_RTC, PORT_RTC_LEN) }, .gsi = GSI_RTC },
};
static const struct device pm = {
	.name = "acpi-pm", .acpi_hid = ACPI_HID_FADT_PM,
	.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_ACPI_PM, ACPI_PM_LEN) }, .gsi = DEVICE_NO_GSI },
};
static const struct device *const platform[] = { &com1, &rtc, &pm };
#define PLATFORM platform, 3

/* GAS: system I/O, 8 bits wide at offset 0, byte access, at PORT. */
static void expect_gas_io8(const uint8_t *g, uint64_t port)
{
	assert_int_equal(g[0], 1);
	assert_int_equal(g[1], 8);
	assert_int_equal(g[2], 0);
	assert_int_equal(g[3], 1);
	assert_int_equal(u_rd64(g + 4), port);
}

static void check_fadt_dsdt(const struct tables *t)
{
	static const uint8_t s5[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x05, 0x0a, 0x00,
	};
	uint32_t flags = u_rd32(t->fadt + 112);
	uint32_t dlen = u_rd32(t->dsdt + 4);

	assert_int_equal(u_rd32(t->fadt + 4), 276);
	assert_int_equal(t->fadt[8], 6); /* FADT revision */
	assert_true(flags & ACPI_FADT_FLAG_HW_REDUCED);
	assert_true(flags & (1u << 20));
	assert_true(flags & ACPI_FADT_FLAG_RESET_REG_SUP);
	expect_gas_io8(t->fadt + 116, 0x602);
	assert_int_equal(t->fadt[128], 1); /* reset value */
	expect_gas_io8(t->fadt + 244, 0x600); /* sleep control */
	expect_gas_io8(t->fadt + 256, 0x601); /* sleep status */
	/* The 32-bit DSDT pointer agrees with X_DSDT. */
	assert_int_equal(u_rd32(t->fadt + 40), (uint32_t)u_rd64(t->fadt + ACPI_FADT_X_DSDT));
	/* \_S5 = Package(){5, 0} somewhere in the AML. */
	assert_true(dlen >= ACPI_HDR_LEN + sizeof(s5));
	assert_non_null(memmem(t->dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, s5, sizeof(s5)));
}

static void check_madt(const struct tables *t, unsigned ncpus)
{
	uint32_t len = u_rd32(t->madt + 4);
	unsigned lapics = 0, ioapics = 0;
	uint32_t off;

	assert_int_equal(len, 44 + 8 * ncpus + 12);
	assert_int_equal(u_rd32(t->madt + 36), 0xfee00000);
	for (off = 44; off < len;) {
		const uint8_t *e = t->madt + off;

		assert_true(e[1] >= 2 && off + e[1] <= len);
		if (e[0] == 0) {
			assert_int_equal(e[1], 8);
			assert_int_equal(e[3], lapics); /* APIC id == vCPU index */
			assert_int_equal(e[2], lapics); /* processor UID */
			assert_true(u_rd32(e + 4) & 1); /* enabled */
			lapics++;
		} else if (e[0] == 1) {
			assert_int_equal(e[1], 12);
			assert_int_equal(u_rd32(e + 4), 0xfec00000);
			assert_int_equal(u_rd32(e + 8), 0); /* GSI base */
			ioapics++;
		} else {
			fail_msg("unexpected MADT entry type %u at %u", e[0], off);
		}
		off += e[1];
	}
	assert_int_equal(off, len);
	assert_int_equal(lapics, ncpus);
	assert_int_equal(ioapics, 1);
}

/* Each test gets a zeroed BUF_LEN buffer (freed even when it fails). */
static int setup(void **state)
{
	*state = calloc(1, BUF_LEN);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void check_ncpus(uint8_t *buf, unsigned ncpus)
{
	struct tables t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, ncpus, PLATFORM));

	check_fadt_dsdt(&t);
	check_madt(&t, ncpus);
}

static void test_1_cpu(void **state) { check_ncpus(*state, 1); }
static void test_4_cpus(void **state) { check_ncpus(*state, 4); }
static void test_254_cpus(void **state) { check_ncpus(*state, ACPI_MAX_CPUS); }

static void test_other_base(void **state)
{
	uint8_t *buf = *state;
	uint64_t base = 0x7ff0000;
	struct tables t = walk(buf, BUF_LEN, base, acpi_build(buf, BUF_LEN, base, 2, PLATFORM));

	check_fadt_dsdt(&t);
	check_madt(&t, 2);
}

static void test_bad_cpu_counts(void **state)
{
	uint8_t *buf = *state;

	assert_int_equal(acpi_build(buf, BUF_LEN, BASE, 0, PLATFORM), 0);
	assert_int_equal(acpi_build(buf, BUF_LEN, BASE, ACPI_MAX_CPUS + 1, PLATFORM), 0);
	assert_int_equal(acpi_build(buf, BUF_LEN, BASE, 1000, PLATFORM), 0);
}

/* Every buffer shorter than the tables need is refused, and nothing is
 * written past its end (each buffer is exactly LEN bytes, under ASan). */
static void test_too_small_buffer(void **state)
{
	uint8_t *big = *state, *buf;
	size_t need = 0;
	struct tables t = walk(big, BUF_LEN, BASE, acpi_build(big, BUF_LEN, BASE, 8, PLATFORM));
	const uint8_t *all[] = { t.rsdp, t.xsdt, t.fadt, t.dsdt, t.madt };

	/* The tables end at the end of the furthest one. */
	for (unsigned i = 0; i < 5; i++) {
		size_t end = (size_t)(all[i] - big) + (i == 0 ? ACPI_RSDP_LEN : u_rd32(all[i] + 4));

		if (end > need)
			need = end;
	}
	assert_true(need > 300 && need < 16384);
	/* Exactly-sized heap buffers: ASan catches any write past the end. */
	for (size_t len = 0; len < need; len++) {
		uint64_t got;

		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		got = acpi_build(buf, len, BASE, 8, PLATFORM);
		free(buf);
		if (got != 0)
			fail_msg("acpi_build succeeded in %zu bytes (needs %zu)", len, need);
	}
	buf = malloc(need);
	assert_int_equal(acpi_build(buf, need, BASE, 8, PLATFORM), BASE);
	free(buf);
}

static void test_acpi_sum(void **state)
{
	static const uint8_t b[] = { 0x80, 0x80, 0x01, 0xff };

	(void)state;
	assert_int_equal(acpi_sum(b, 0), 0);
	assert_int_equal(acpi_sum(b, 2), 0);    /* wraps mod 256 */
	assert_int_equal(acpi_sum(b, 3), 1);
	assert_int_equal(acpi_sum(b, 4), 0);
}

/* virtio-mmio devices appear in the DSDT as LNRO0005 with a 32-bit fixed
 * memory window and an extended interrupt (GSI >= 16 needs one). */
static struct device virtio_dev(uint64_t base, int gsi)
{
	return (struct device){
		.name = "virtio", .acpi_hid = "LNRO0005",
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_MMIO, base, 0x1000) }, .gsi = gsi },
	};
}

static void test_virtio_devices(void **state)
{
	struct device v0 = virtio_dev(0xc0000000, 16), v1 = virtio_dev(0xc0001000, 17);
	const struct device *const devs[] = { &com1, &v0, &rtc, &pm, &v1 };
	uint8_t *buf = *state;
	struct tables t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, devs, 5));
	uint32_t dlen = u_rd32(t.dsdt + 4);
	const uint8_t *body = t.dsdt + ACPI_HDR_LEN, *p;
	size_t blen = dlen - ACPI_HDR_LEN;
	/* Memory32Fixed(ReadWrite, 0xc0001000, 0x1000) */
	static const uint8_t mem1[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x10, 0x00, 0xc0, 0x00, 0x10, 0x00, 0x00 };
	/* Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive) { 17 } */
	static const uint8_t irq17[] = { 0x89, 0x06, 0x00, 0x03, 0x01, 17, 0, 0, 0 };

	(void)state;
	check_fadt_dsdt(&t);
	p = memmem(body, blen, "LNRO0005", 8);
	assert_non_null(p);
	assert_non_null(memmem(p + 8, blen - (size_t)(p + 8 - body), "LNRO0005", 8)); /* twice */
	assert_non_null(memmem(body, blen, "VR00", 4));
	assert_non_null(memmem(body, blen, "VR01", 4));
	assert_non_null(memmem(body, blen, mem1, sizeof(mem1)));
	assert_non_null(memmem(body, blen, irq17, sizeof(irq17)));
	/* Without devices there is no virtio description. */
	t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, PLATFORM));
	assert_null(memmem(t.dsdt + ACPI_HDR_LEN, u_rd32(t.dsdt + 4) - ACPI_HDR_LEN, "LNRO0005", 8));
}

/* The DSDT and FADT say what the allocator granted: COM1's ports and line
 * as ISA resources, the PM registers wherever they were put; no PM
 * registers, no tables. */
static void test_from_grants(void **state)
{
	/* IO(Decode16, 0x3f8, 0x3f8, 1, 8) and IRQNoFlags() {4} */
	static const uint8_t io_com1[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08 };
	static const uint8_t irq4[] = { 0x22, 0x10, 0x00 };
	/* The RTC: IO(Decode16, 0x70, 0x70, 1, 2) and IRQNoFlags() {8}, which
	 * Linux's rtc_cmos needs for its alarms. */
	static const uint8_t rtc_crs[] = { 0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02, 0x22, 0x00, 0x01 };
	struct device moved = pm;
	const struct device *const devs[] = { &com1, &rtc, &moved };
	uint8_t *buf = *state;
	struct tables t;
	uint32_t dlen;

	t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, PLATFORM));
	dlen = u_rd32(t.dsdt + 4);
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, io_com1, sizeof(io_com1)));
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, irq4, sizeof(irq4)));
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, rtc_crs, sizeof(rtc_crs)));
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, "COM1", 4));
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, "RTC0", 4));
	moved.res.range[0].base = 0x700;
	t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, devs, 3));
	expect_gas_io8(t.fadt + 116, 0x702);
	expect_gas_io8(t.fadt + 244, 0x700);
	expect_gas_io8(t.fadt + 256, 0x701);
	assert_int_equal(acpi_build(buf, BUF_LEN, BASE, 1, devs, 2), 0); /* no PM device */
}

/* --acpi-s3: the ACPI PM device with its PM1a blocks (devices/acpi_pm.c). */
static const struct device pm_s3 = {
	.name = "acpi-pm", .acpi_hid = ACPI_HID_FADT_PM,
	.res = { .nranges = 2, .range = { DEVICE_RANGE(BUS_PIO, PORT_ACPI_PM, ACPI_PM_LEN),
					  DEVICE_RANGE(BUS_PIO, PORT_ACPI_PM1_EVT, ACPI_PM1_EVT_LEN + ACPI_PM1_CNT_LEN) },
		 .gsi = DEVICE_NO_GSI },
};

/* GAS: system I/O, BITS wide at offset 0, word access, at PORT. */
static void expect_gas_io16(const uint8_t *g, uint64_t port, unsigned bits)
{
	assert_int_equal(g[0], 1);
	assert_int_equal(g[1], bits);
	assert_int_equal(g[2], 0);
	assert_int_equal(g[3], 2);
	assert_int_equal(u_rd64(g + 4), port);
}

/* The FACS: 64 bytes, 64-byte aligned, where the PM device reads it
 * (LAYOUT_ACPI_FACS for tables at LAYOUT_ACPI), version 2, no vector yet;
 * it has no checksum. */
static void check_facs(const uint8_t *buf, uint64_t base, uint32_t gpa)
{
	const uint8_t *f;

	assert_int_equal(gpa, base + ACPI_FACS_OFFSET);
	assert_int_equal(gpa % 64, 0);
	assert_int_equal(LAYOUT_ACPI + ACPI_FACS_OFFSET, LAYOUT_ACPI_FACS);
	f = at(buf, BUF_LEN, base, gpa, ACPI_FACS_LEN);
	assert_memory_equal(f, "FACS", 4);
	assert_int_equal(u_rd32(f + 4), 64);
	assert_int_equal(u_rd32(f + ACPI_FACS_WAKING_VECTOR), 0);
	assert_int_equal(u_rd32(f + 20), 0); /* flags: no S4BIOS, no 64-bit wake */
	assert_int_equal(u_rd64(f + 24), 0); /* X waking vector */
	assert_int_equal(f[32], 2);          /* version */
}

/* With the PM1a blocks: a full FADT (not hardware-reduced) pointing at
 * them and at the FACS, and \_S3 = Package(){1, 0} next to \_S5. */
static void test_s3_tables(void **state)
{
	static const uint8_t s3[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x02, 0x0a, 0x01, 0x0a, 0x00 };
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x05, 0x0a, 0x00 };
	const struct device *const devs[] = { &com1, &rtc, &pm_s3 };
	uint8_t *buf = *state;
	struct tables t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 2, devs, 3));
	uint32_t flags = u_rd32(t.fadt + ACPI_FADT_FLAGS), dlen = u_rd32(t.dsdt + 4);

	assert_false(flags & ACPI_FADT_FLAG_HW_REDUCED);
	assert_true(flags & ACPI_FADT_FLAG_RESET_REG_SUP);
	check_facs(buf, BASE, u_rd32(t.fadt + ACPI_FADT_FIRMWARE_CTRL));
	assert_int_equal(u_rd32(t.fadt + 48), 0); /* SMI_CMD: none, always ACPI mode */
	assert_int_equal(u_rd32(t.fadt + ACPI_FADT_PM1A_EVT), 0x604);
	assert_int_equal(u_rd32(t.fadt + ACPI_FADT_PM1A_CNT), 0x608);
	assert_int_equal(u_rd32(t.fadt + 60), 0);  /* no PM1b blocks */
	assert_int_equal(u_rd32(t.fadt + 68), 0);
	assert_int_equal(u_rd32(t.fadt + 76), 0);  /* no PM timer */
	assert_int_equal(t.fadt[ACPI_FADT_PM1_EVT_LEN], 4);
	assert_int_equal(t.fadt[ACPI_FADT_PM1_CNT_LEN], 2);
	expect_gas_io16(t.fadt + ACPI_FADT_X_PM1A_EVT, 0x604, 32);
	expect_gas_io16(t.fadt + ACPI_FADT_X_PM1A_CNT, 0x608, 16);
	expect_gas_io8(t.fadt + 116, 0x602); /* the reset register stays */
	assert_int_equal(u_rd64(t.fadt + ACPI_FADT_SLEEP_CTL + 4), 0); /* reduced-only registers */
	assert_int_equal(u_rd64(t.fadt + ACPI_FADT_SLEEP_STS + 4), 0);
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, s3, sizeof(s3)));
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, s5, sizeof(s5)));
	check_madt(&t, 2);
}

/* Without them (every other guest): no FACS, no PM1a blocks, no \_S3. */
static void test_reduced_has_no_s3(void **state)
{
	static const uint8_t s3_name[] = { 0x08, '_', 'S', '3', '_' };
	uint8_t *buf = *state;
	struct tables t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, PLATFORM));
	uint32_t dlen = u_rd32(t.dsdt + 4);

	assert_int_equal(u_rd32(t.fadt + ACPI_FADT_FIRMWARE_CTRL), 0);
	assert_int_equal(u_rd32(t.fadt + ACPI_FADT_PM1A_EVT), 0);
	assert_int_equal(u_rd32(t.fadt + ACPI_FADT_PM1A_CNT), 0);
	assert_int_equal(t.fadt[ACPI_FADT_PM1_EVT_LEN], 0);
	assert_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, s3_name, sizeof(s3_name)));
	assert_null(memmem(buf, BUF_LEN, "FACS", 4));
}

/* AML of ONE term built by FN, against the bytes WANT. */
static void expect_aml(const struct aml *a, const uint8_t *want, size_t len)
{
	assert_false(a->overflow);
	assert_int_equal(a->n, len);
	assert_memory_equal(a->b, want, len);
}

/* The control-method terms (ACPI 6.5, 20.2.5): Method, If, LEqual, ArgN,
 * integers, Notify on a path. */
static void test_aml_terms(void **state)
{
	static const uint8_t arg0[] = { 0x68 }, arg6[] = { 0x6e };
	static const uint8_t lequal[] = { 0x93, 0x68, 0x0a, 0x05 };
	/* Notify(\_SB_.PWRB, 0x80): root, DualNamePrefix, two segments. */
	static const uint8_t notify[] = { 0x86, '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B', 0x0a, 0x80 };
	/* Notify(\_SB_.PCI0.PWRB, 1): MultiNamePrefix with a count of 3. */
	static const uint8_t notify3[] = { 0x86, '\\', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
					   'P', 'W', 'R', 'B', 0x01 };
	/* If (LEqual(Arg0, 5)) { Notify(...) }: PkgLength 1 + 4 + 13 */
	static const uint8_t if_hdr[] = { 0xa0, 18 };
	/* Method(_EVT, 1) { Zero }: PkgLength 1 + 4 + 1 + 1 */
	static const uint8_t method[] = { 0x14, 7, '_', 'E', 'V', 'T', 0x01, 0x00 };
	static const uint8_t ints[] = { 0x00, 0x01, 0x0a, 0xff, 0x0b, 0x00, 0x01 };
	struct aml a, x, y, b;

	(void)state;
	aml_init(&a);
	aml_arg(&a, 0);
	expect_aml(&a, arg0, 1);
	aml_init(&a);
	aml_arg(&a, 6);
	expect_aml(&a, arg6, 1);
	aml_init(&a);
	aml_arg(&a, 7); /* there is no Arg7 */
	assert_true(a.overflow);
	aml_init(&a);
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 0xff);
	aml_integer(&a, 0x100);
	expect_aml(&a, ints, sizeof(ints));
	aml_init(&x);
	aml_arg(&x, 0);
	aml_init(&y);
	aml_integer(&y, 5);
	aml_init(&a);
	aml_lequal(&a, &x, &y);
	expect_aml(&a, lequal, sizeof(lequal));
	aml_init(&b);
	aml_notify(&b, "\\_SB_.PWRB", 0x80);
	expect_aml(&b, notify, sizeof(notify));
	aml_init(&y);
	aml_notify(&y, "\\_SB_.PCI0.PWRB", 1);
	expect_aml(&y, notify3, sizeof(notify3));
	aml_init(&x);
	aml_if(&x, &a, &b);
	assert_false(x.overflow);
	assert_int_equal(x.n, 2 + sizeof(lequal) + sizeof(notify));
	assert_memory_equal(x.b, if_hdr, 2);
	assert_memory_equal(x.b + 2, lequal, sizeof(lequal));
	assert_memory_equal(x.b + 2 + sizeof(lequal), notify, sizeof(notify));
	aml_init(&b);
	aml_integer(&b, 0);
	aml_init(&a);
	aml_method(&a, "_EVT", 1, &b);
	expect_aml(&a, method, sizeof(method));
}

/* Names that are not 4-character segments make the AML unusable. */
static void test_aml_bad_names(void **state)
{
	static const char *const bad[] = { "PWR", "\\_SB_.", "\\_SB_PWRB", "\\_SB_.PWR", "_SB_..PWRB", "" };
	struct aml a, body;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a);
		aml_notify(&a, bad[i], 0x80);
		if (!a.overflow)
			fail_msg("name '%s' accepted", bad[i]);
	}
	aml_init(&body);
	aml_init(&a);
	aml_method(&a, "_EVT", 8, &body); /* at most 7 arguments */
	assert_true(a.overflow);
	aml_init(&body);
	body.overflow = true;
	aml_init(&a);
	aml_if(&a, &body, &body);
	assert_true(a.overflow);
}

/* The power button: a GED (ACPI0013) with its granted line in _CRS and an
 * _EVT that notifies \_SB.PWRB (PNP0C0C) with 0x80 when Arg0 is that
 * line; no GED, no power button. */
static void test_power_button(void **state)
{
	static const struct device ged = {
		.name = "power-button", .acpi_hid = ACPI_HID_GED,
		.res = { .nranges = 0, .gsi = GSI_POWER_BUTTON },
	};
	static const struct device ged17 = {
		.name = "power-button", .acpi_hid = ACPI_HID_GED, .res = { .nranges = 0, .gsi = 17 },
	};
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0d, 'A', 'C', 'P', 'I', '0', '0', '1', '3', 0 };
	static const uint8_t irq5[] = { 0x22, 0x20, 0x00, 0x79, 0x00 }; /* IRQNoFlags() {5}, end */
	static const uint8_t evt5[] = { 0x14, 25, '_', 'E', 'V', 'T', 0x01, 0xa0, 18, 0x93, 0x68, 0x0a, 5,
					0x86, '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B', 0x0a, 0x80 };
	static const uint8_t evt17[] = { 0xa0, 18, 0x93, 0x68, 0x0a, 17 };
	/* Device(PWRB) { Name(_HID, EISAID("PNP0C0C")) Name(_UID, 0) } */
	static const uint8_t pwrb[] = { 0x5b, 0x82, 21, 'P', 'W', 'R', 'B', 0x08, '_', 'H', 'I', 'D', 0x0c,
					0x41, 0xd0, 0x0c, 0x0c, 0x08, '_', 'U', 'I', 'D', 0x00 };
	const struct device *const devs[] = { &com1, &rtc, &pm, &ged };
	const struct device *const devs17[] = { &com1, &rtc, &pm, &ged17 };
	uint8_t *buf = *state;
	struct tables t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, devs, 4));
	const uint8_t *body = t.dsdt + ACPI_HDR_LEN;
	size_t blen = u_rd32(t.dsdt + 4) - ACPI_HDR_LEN;

	check_fadt_dsdt(&t);
	assert_non_null(memmem(body, blen, hid, sizeof(hid)));
	assert_non_null(memmem(body, blen, "GED0", 4));
	assert_non_null(memmem(body, blen, irq5, sizeof(irq5)));
	assert_non_null(memmem(body, blen, evt5, sizeof(evt5)));
	assert_non_null(memmem(body, blen, pwrb, sizeof(pwrb)));
	t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, devs17, 4));
	body = t.dsdt + ACPI_HDR_LEN;
	blen = u_rd32(t.dsdt + 4) - ACPI_HDR_LEN;
	assert_non_null(memmem(body, blen, evt17, sizeof(evt17))); /* the line it was granted */
	t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, PLATFORM));
	body = t.dsdt + ACPI_HDR_LEN;
	blen = u_rd32(t.dsdt + 4) - ACPI_HDR_LEN;
	assert_null(memmem(body, blen, "ACPI0013", 8));
	assert_null(memmem(body, blen, "PWRB", 4));
}

/* Without the CMOS RTC (--no-rtc) the DSDT has no RTC0 and the FADT's
 * IAPC_BOOT_ARCH says "CMOS RTC not present" (bit 5), which is what makes
 * Linux register none; with it, the bit is clear. */
static void test_no_rtc(void **state)
{
	const struct device *const devs[] = { &com1, &pm };
	uint8_t *buf = *state;
	struct tables t;

	t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, PLATFORM));
	assert_int_equal(u_rd16(t.fadt + 109), 1u << 2);
	t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, devs, 2));
	assert_int_equal(u_rd16(t.fadt + 109), (1u << 2) | (1u << 5));
	assert_null(memmem(t.dsdt + ACPI_HDR_LEN, u_rd32(t.dsdt + 4) - ACPI_HDR_LEN, "RTC0", 4));
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, u_rd32(t.dsdt + 4) - ACPI_HDR_LEN, "COM1", 4));
	check_fadt_dsdt(&t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acpi_sum),
		T(test_1_cpu),
		T(test_4_cpus),
		T(test_254_cpus),
		T(test_other_base),
		T(test_bad_cpu_counts),
		T(test_too_small_buffer),
		T(test_virtio_devices),
		T(test_from_grants),
		cmocka_unit_test(test_aml_terms),
		cmocka_unit_test(test_aml_bad_names),
		T(test_power_button),
		T(test_s3_tables),
		T(test_reduced_has_no_s3),
		T(test_no_rtc),
	};

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
