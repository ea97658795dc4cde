/* The registers our hardware-reduced FADT declares: sleep control (the
 * guest writes SLP_TYP=5|SLP_EN to power off), sleep status, and the
 * reset register (the guest writes the reset value to reboot). */
#include <stdlib.h>

#include "core/device.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "util/error.h"
#include "util/log.h"

#define SLP_EN 0x20
#define SLP_TYP(v) (((v) >> 2) & 7)

struct acpi_pm {
	struct device dev;
	struct device_counters counters;
	struct vm *vm;
};

static void pm_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev;
	(void)range;
	(void)off;
	for (unsigned i = 0; i < len; i++)
		data[i] = 0; /* sleep status: not waking; other registers read 0 */
}

static void pm_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		     unsigned len)
{
	struct acpi_pm *pm = dev->priv;
	uint8_t v = data[0];

	(void)range;
	(void)len;
	if (off == ACPI_PM_SLEEP_CTL && (v & SLP_EN)) {
		if (SLP_TYP(v) == ACPI_S5_TYPE) {
			vm_request_end(pm->vm, VM_END_POWEROFF);
		} else {
			/* A guest error: the write does nothing, as on a machine
			 * without that sleep state. */
			device_count(&pm->counters.errors, 1);
			log_guest("guest asked for sleep type %u, which warden does not offer", SLP_TYP(v));
		}
	} else if (off == ACPI_PM_RESET && v == ACPI_RESET_VALUE) {
		vm_request_end(pm->vm, VM_END_REBOOT);
	}
}

static void pm_destroy(struct device *dev)
{
	free(dev->priv);
}

static const struct device_ops pm_ops = { .read = pm_read, .write = pm_write, .destroy = pm_destroy };

struct device *acpi_pm_create(struct vm *vm)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return fail(ERR_HOST, "out of memory"), NULL;
	pm->vm = vm;
	pm->dev = (struct device){
		.name = "acpi-pm", .ops = &pm_ops, .priv = pm, .acpi_hid = ACPI_HID_FADT_PM,
		/* Its only counter is guest errors: reported when there are some. */
		.counters = &pm->counters, .counters_if_nonzero = true,
		.res = { .nranges = 1, .range = { { BUS_PIO, PORT_ACPI_PM, ACPI_PM_LEN } },
			 .gsi = DEVICE_NO_GSI },
	};
	if (vm_add_device(vm, &pm->dev) < 0) {
		free(pm);
		return NULL;
	}
	return &pm->dev;
}
