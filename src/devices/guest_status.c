#include "devices/guest_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/layout.h"
#include "core/vm.h"
#include "util/error.h"

struct guest_status {
	struct device dev;
	struct vm *vm;
};

static void gs_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev, (void)range, (void)off;
	memset(data, 0, len);
}

/* Any write ends the VM: the guest has nothing left to run. */
static void gs_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		     unsigned len)
{
	struct guest_status *g = dev->priv;

	(void)range, (void)off, (void)len;
	vm_end_request_failure(&g->vm->end, data[0]);
}

static void gs_destroy(struct device *dev)
{
	free(dev->priv);
}

/* Stateless: its one write ends the VM. */
static const struct device_ops gs_ops = {
	.read = gs_read, .write = gs_write, .destroy = gs_destroy,
	.save = device_save_none, .restore = device_restore_none,
};

struct device *guest_status_create(struct vm *vm)
{
	struct guest_status *g = calloc(1, sizeof(*g));

	if (!g)
		return fail(ERR_HOST, "out of memory"), NULL;
	g->vm = vm;
	g->dev = (struct device){
		.name = "guest-status", .ops = &gs_ops, .priv = g,
		.res = { .nranges = 1,
			 .range = { DEVICE_RANGE(BUS_PIO, PORT_GUEST_STATUS, PORT_GUEST_STATUS_LEN) },
			 .gsi = DEVICE_NO_GSI },
	};
	if (vm_add_device(vm, &g->dev) < 0) {
		free(g);
		return NULL;
	}
	return &g->dev;
}

const char *guest_failure_name(int code)
{
	static char other[32];

	switch (code) {
	case GUEST_FAIL_ROOT_MISSING: return "the root device is missing";
	case GUEST_FAIL_ROOT_MOUNT: return "the root device did not mount";
	case GUEST_FAIL_NO_INIT: return "the root file system has no init";
	default:
		snprintf(other, sizeof(other), "code %d", code);
		return other;
	}
}
