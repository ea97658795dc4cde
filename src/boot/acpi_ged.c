#include "boot/acpi_ged.h"

#include "boot/aml.h"

void acpi_ged_events(struct aml *dev, unsigned gsi)
{
	struct aml arg, line, pred, notify, body;

	aml_init(&arg);
	aml_init(&line);
	aml_init(&pred);
	aml_init(&notify);
	aml_init(&body);
	aml_arg(&arg, 0);
	aml_integer(&line, gsi);
	aml_lequal(&pred, &arg, &line);
	aml_notify(&notify, ACPI_PWRB_PATH, ACPI_NOTIFY_BUTTON_PRESSED);
	aml_if(&body, &pred, &notify);
	aml_method(dev, "_EVT", 1, &body);
}

void acpi_ged_power_button(struct aml *sb)
{
	struct aml dev;

	aml_init(&dev);
	aml_name_eisaid(&dev, "_HID", "PNP0C0C");
	aml_name_int(&dev, "_UID", 0);
	aml_device(sb, "PWRB", &dev);
}
