/* The legacy platform every guest gets: COM1 (console), CMOS RTC, i8042
 * (reset line) and the ACPI sleep/reset registers. */
#ifndef WARDEN_DEVICES_PLATFORM_H
#define WARDEN_DEVICES_PLATFORM_H

#include <stdbool.h>

struct vm;
struct platform;

struct platform *platform_create(struct vm *vm);
void platform_destroy(struct platform *p);
/* Feed console input (stdin) to COM1, or to the fd given to
 * platform_route_input(), until END_EFD becomes readable. */
void platform_serve_input(struct platform *p, int end_efd);
/* Send console input to FD (non-blocking: the virtio console's pipe)
 * instead of COM1; -1 goes back to COM1. Before platform_serve_input(). */
void platform_route_input(struct platform *p, int fd);
/* Is DEV (e.g. "hvc0") the guest's console on CMDLINE, that is the last
 * console= argument, as Linux makes /dev/console the last one named? */
bool platform_cmdline_console_is(const char *cmdline, const char *dev);

/* Each device's constructor registers it with VM and claims its ports. */
struct serial;
struct serial *serial_create(struct vm *vm, unsigned port, unsigned irq);
void serial_destroy(struct serial *s);
/* Host input for the guest; returns bytes taken (0 when the FIFO is full). */
unsigned serial_input(struct serial *s, const unsigned char *buf, unsigned n);
struct device *rtc_device_create(struct vm *vm);
struct device *i8042_create(struct vm *vm);
struct device *acpi_pm_create(struct vm *vm);

#endif
