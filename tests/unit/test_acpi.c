/* ACPI tables (src/boot/acpi.c). */
#include <string.h>

#include "boot/acpi.h"
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
	.res = { .nranges = 1, .range = { { BUS_PIO, PORT_COM1, PORT_COM_LEN } }, .gsi = GSI_COM1 },
};
static const struct device rtc = {
	.name = "rtc", .acpi_hid = "PNP0B00",
	.res = { .nranges = 1, .range = { { BUS_PIO, PORT_RTC, PORT_RTC_LEN } }, .gsi = DEVICE_NO_GSI },
};
static const struct device pm = {
	.name = "acpi-pm", .acpi_hid = ACPI_HID_FADT_PM,
	.res = { .nranges = 1, .range = { { BUS_PIO, PORT_ACPI_PM, ACPI_PM_LEN } }, .gsi = DEVICE_NO_GSI },
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
		.res = { .nranges = 1, .range = { { BUS_MMIO, base, 0x1000 } }, .gsi = gsi },
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
	struct device moved = pm;
	const struct device *const devs[] = { &com1, &rtc, &moved };
	uint8_t *buf = *state;
	struct tables t;
	uint32_t dlen;

	t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, PLATFORM));
	dlen = u_rd32(t.dsdt + 4);
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, io_com1, sizeof(io_com1)));
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, irq4, sizeof(irq4)));
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, "COM1", 4));
	assert_non_null(memmem(t.dsdt + ACPI_HDR_LEN, dlen - ACPI_HDR_LEN, "RTC0", 4));
	moved.res.range[0].base = 0x700;
	t = walk(buf, BUF_LEN, BASE, acpi_build(buf, BUF_LEN, BASE, 1, devs, 3));
	expect_gas_io8(t.fadt + 116, 0x702);
	expect_gas_io8(t.fadt + 244, 0x700);
	expect_gas_io8(t.fadt + 256, 0x701);
	assert_int_equal(acpi_build(buf, BUF_LEN, BASE, 1, devs, 2), 0); /* no PM device */
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
	};

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
