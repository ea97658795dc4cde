/* The CMOS RTC on ports 0x70-0x71. */
#include <stdlib.h>

#include "core/layout.h"
#include "core/device.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "devices/rtc.h"
#include "util/error.h"
#include "util/log.h"

struct rtc_device {
	struct device dev;
	struct rtc rtc;
};

static void rtc_dev_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data,
			 unsigned len)
{
	struct rtc_device *r = dev->priv;

	(void)range;
	for (unsigned i = 0; i < len; i++)
		data[i] = i == 0 ? rtc_read(&r->rtc, (unsigned)off) : 0xff;
}

static void rtc_dev_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
			  unsigned len)
{
	struct rtc_device *r = dev->priv;

	(void)range;
	(void)len;
	rtc_write(&r->rtc, (unsigned)off, data[0]);
}

static void rtc_dev_destroy(struct device *dev)
{
	free(dev->priv);
}

static const struct device_ops rtc_ops = {
	.read = rtc_dev_read, .write = rtc_dev_write, .destroy = rtc_dev_destroy,
};

struct device *rtc_device_create(struct vm *vm)
{
	struct rtc_device *r = calloc(1, sizeof(*r));

	if (!r)
		return fail(ERR_HOST, "out of memory"), NULL;
	/* No interrupt line: warden raises no RTC interrupts. */
	r->dev = (struct device){
		.name = "rtc", .ops = &rtc_ops, .priv = r, .acpi_hid = "PNP0B00",
		.res = { .nranges = 1, .range = { { BUS_PIO, PORT_RTC, PORT_RTC_LEN } },
			 .gsi = DEVICE_NO_GSI },
	};
	rtc_init(&r->rtc, NULL);
	if (vm_add_device(vm, &r->dev) < 0) {
		free(r);
		return NULL;
	}
	/* The index port only picks the register the data port reads or
	 * writes, and that access exits and drains the ring first. */
	if (vm_coalesce_port_writes(vm, PORT_RTC, 1) < 0)
		log_warn("rtc: %s: its index writes exit", err_msg());
	return &r->dev;
}
