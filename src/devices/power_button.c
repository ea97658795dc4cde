/* The power button: a Generic Event Device with one interrupt line and no
 * registers.  A press is an edge on the line (raised, lowered at once):
 * Linux's evged runs the GED's _EVT method, which notifies the power
 * button device (boot/acpi_ged.h); the guest's button driver turns that
 * into KEY_POWER.  Edge rather than level with an acknowledge register:
 * nothing for the guest to clear, and a press the guest is not ready for
 * (no driver yet) is simply lost, which the grace period covers
 * (docs/shutdown.md). */
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "util/error.h"

struct power_button {
	struct device dev;
	struct device_counters counters; /* interrupts: presses */
	struct vm *vm;
};

/* It has no registers: the bus never calls these. */
static void pb_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev, (void)range, (void)off;
	memset(data, 0, len);
}

static void pb_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		     unsigned len)
{
	(void)dev, (void)range, (void)off, (void)data, (void)len;
}

static void pb_destroy(struct device *dev)
{
	free(dev->priv);
}

/* A press is an edge: nothing is left between two presses to save. */
static const struct device_ops pb_ops = {
	.read = pb_read, .write = pb_write, .destroy = pb_destroy,
	.save = device_save_none, .restore = device_restore_none,
};

struct device *power_button_create(struct vm *vm)
{
	struct power_button *b = calloc(1, sizeof(*b));

	if (!b)
		return fail(ERR_HOST, "out of memory"), NULL;
	b->vm = vm;
	b->dev = (struct device){
		.name = "power-button", .ops = &pb_ops, .priv = b, .acpi_hid = ACPI_HID_GED,
		.counters = &b->counters, .counters_if_nonzero = true,
		.res = { .nranges = 0, .gsi = GSI_POWER_BUTTON },
	};
	if (vm_add_device(vm, &b->dev) < 0) {
		free(b);
		return NULL;
	}
	return &b->dev;
}

void power_button_press(struct device *dev)
{
	struct power_button *b = dev->priv;

	vm_set_irq(b->vm, (unsigned)dev->res.gsi, 1);
	vm_set_irq(b->vm, (unsigned)dev->res.gsi, 0);
	device_count(&b->counters.interrupts, 1);
}
