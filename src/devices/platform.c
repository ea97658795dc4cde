#include "devices/platform.h"

#include "core/layout.h"

/* Each constructor records why it failed (util/error.h). */
int platform_create(struct vm *vm, struct serial **com1, unsigned flags)
{
	*com1 = serial_create(vm, PORT_COM1, GSI_COM1);
	if (!*com1 || (!(flags & PLATFORM_NO_RTC) && !rtc_device_create(vm)) || !i8042_create(vm) ||
	    !acpi_pm_create(vm))
		return -1;
	return 0;
}
