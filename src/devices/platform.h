/* The legacy platform every guest gets: COM1 (console), CMOS RTC (unless
 * left out), i8042 (reset line) and the ACPI sleep/reset registers, at the
 * places core/layout.h gives them. */
#ifndef WARDEN_DEVICES_PLATFORM_H
#define WARDEN_DEVICES_PLATFORM_H

#include <stdint.h>

struct vm;
struct device;
struct serial;

/* Add the platform devices to VM (which owns them from then on); COM1 is
 * returned in *COM1 for console input.  PLATFORM_NO_RTC leaves the CMOS
 * RTC out (--no-rtc): a Linux guest then reads no CMOS register and takes
 * the wall clock from kvmclock; nothing can wake it from S3. */
#define PLATFORM_NO_RTC 1u
int platform_create(struct vm *vm, struct serial **com1, unsigned flags);

/* Each device's constructor adds it to VM with its resources. */
struct serial *serial_create(struct vm *vm, unsigned port, int gsi);
/* Host input for the guest (a console sink: SERIAL is a struct serial);
 * returns bytes taken (0 when the FIFO is full). */
unsigned serial_input(void *serial, const uint8_t *buf, unsigned n);
struct device *rtc_device_create(struct vm *vm);
struct device *i8042_create(struct vm *vm);
struct device *acpi_pm_create(struct vm *vm);
/* The ACPI power button (a Generic Event Device on GSI_POWER_BUTTON; needs
 * the in-kernel irqchip), and one press of it: an edge on its line. */
struct device *power_button_create(struct vm *vm);
void power_button_press(struct device *button);
/* Optional: the firmware interface multiboot kernels read, and the port a
 * test guest ends the VM with its own status through. */
struct device *fw_cfg_create(struct vm *vm);
struct device *test_exit_create(struct vm *vm, uint16_t port);
/* QEMU pc-testdev's ports for the kvm-unit-tests suite (--test-device). */
struct device *test_device_create(struct vm *vm);
/* QEMU hyperv-testdev's control port for the suite's hyperv_* tests
 * (--hyperv-testdev, needs cfg.hyperv): devices/hyperv_testdev.c. */
struct device *hyperv_testdev_create(struct vm *vm);
/* The same with interrupt lines set through SET_IRQ (unit tests). */
struct device *test_device_create_irq(struct vm *vm, void (*set_irq)(struct vm *, unsigned, int));

#endif
