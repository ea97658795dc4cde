/* The ACPI tables and their AML (src/boot/acpi.c, src/boot/aml.c).  Their
 * inputs are not file bytes but the machine: the vCPU count (from --cpus),
 * the devices with the ranges and lines the allocator granted them, and
 * the room the layout gives the tables.  Those are fuzzed here, beyond
 * what the CLI and the allocator let through (any count, any range, any
 * line, hardware ids known and unknown), with the tables written into a
 * heap buffer of exactly the room given, so writing past it is caught.
 * Tables that were built must check-sum to 0 (RSDP, and every table the
 * XSDT lists is covered by acpi.c's own tests).
 *
 * Input: u8 vCPUs, u16 room, u8 devices (at most VM_MAX_DEVICES), each
 * u8 kind (hardware id), u8 ranges, per range u8 space, u32 base, u16
 * length, then i8 line. */
#include <stdlib.h>

#include "boot/acpi.h"
#include "core/bus.h"
#include "core/device.h"
#include "core/vm.h"
#include "fuzz.h"

static const char *const hids[] = { NULL, "PNP0501", "PNP0B00", "LNRO0005", ACPI_HID_FADT_PM, "QEMU0002" };

static void make_device(struct fz *f, struct device *d)
{
	memset(d, 0, sizeof(*d));
	d->name = "fuzz";
	d->acpi_hid = hids[fz_u8(f) % (sizeof(hids) / sizeof(hids[0]))];
	d->res.nranges = fz_u8(f) % (DEVICE_MAX_RANGES + 1);
	for (unsigned r = 0; r < d->res.nranges; r++) {
		d->res.range[r].space = fz_u8(f) % 3;
		d->res.range[r].base = fz_u32(f);
		d->res.range[r].len = fz_u16(f);
	}
	d->res.gsi = (int8_t)fz_u8(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct device devs[VM_MAX_DEVICES];
	const struct device *list[VM_MAX_DEVICES];
	struct fz f = { data, size };
	unsigned ncpus = fz_u8(&f);
	size_t room = fz_u16(&f);
	unsigned ndevs = fz_u8(&f) % (VM_MAX_DEVICES + 1);
	uint8_t *buf;
	uint64_t rsdp;

	for (unsigned i = 0; i < ndevs; i++) {
		make_device(&f, &devs[i]);
		list[i] = &devs[i];
	}
	buf = malloc(room ? room : 1);
	if (!buf)
		abort();
	rsdp = acpi_build(buf, room, 0xe0000, ncpus, list, ndevs);
	if (rsdp && (rsdp != 0xe0000 || room < ACPI_RSDP_LEN || acpi_sum(buf, 20) != 0 ||
		     acpi_sum(buf, ACPI_RSDP_LEN) != 0))
		__builtin_trap();
	free(buf);
	return 0;
}
