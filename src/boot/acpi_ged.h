/* The power button of a hardware-reduced machine: a Generic Event Device
 * (ACPI0013, Linux's built-in evged driver) whose one interrupt runs its
 * _EVT method, which notifies a control-method power button (PNP0C0C,
 * Linux's button driver: KEY_POWER on an input device).  A
 * hardware-reduced FADT has no fixed power button (its PWR_BUTTON flag is
 * ignored there), hence this.  docs/shutdown.md. */
#ifndef WARDEN_BOOT_ACPI_GED_H
#define WARDEN_BOOT_ACPI_GED_H

struct aml;

/* The power button device's path in the DSDT. */
#define ACPI_PWRB_PATH "\\_SB_.PWRB"
/* Notify value of a power button press (ACPI 6.5, 4.8.2.2.1.3). */
#define ACPI_NOTIFY_BUTTON_PRESSED 0x80

/* Method(_EVT, 1) { If (LEqual(Arg0, GSI)) { Notify(\_SB.PWRB, 0x80) } }
 * into the GED's body DEV: evged calls _EVT with the line that fired. */
void acpi_ged_events(struct aml *dev, unsigned gsi);
/* Device(PWRB) { Name(_HID, EISAID("PNP0C0C")) Name(_UID, 0) } into the
 * \_SB scope SB. */
void acpi_ged_power_button(struct aml *sb);

#endif
