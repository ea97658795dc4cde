/* The registers our FADT declares.  Always: sleep control (the guest
 * writes SLP_TYP=5|SLP_EN to power off), sleep status, and the reset
 * register (the guest writes the reset value to reboot), of a
 * hardware-reduced FADT.  With --acpi-s3 (vm->cfg.s3) also the PM1a
 * event and control blocks of a full FADT (devices/acpi_pm1.h): S5 and
 * S3 through PM1_CNT, and the platform's wake logic: the RTC alarm, when
 * RTC_EN allows it, resumes a suspended VM at the waking vector the OS
 * left in the FACS (core/vm_sleep.h), which warden, having no firmware,
 * reads itself. */
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/guest_mem.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/acpi_pm1.h"
#include "devices/platform.h"
#include "util/error.h"
#include "util/log.h"

#define SLP_EN 0x20
#define SLP_TYP(v) (((v) >> 2) & 7)
#define FACS_WAKING_VECTOR 12 /* the real-mode one, 32 bits */
#define REAL_MODE_END 0x100000

/* The PM1a event and control blocks are one range: PM1_STS, PM1_EN, PM1_CNT. */
enum { RANGE_REDUCED, RANGE_PM1 };
_Static_assert(PORT_ACPI_PM1_CNT == PORT_ACPI_PM1_EVT + ACPI_PM1_EVT_LEN,
	       "the PM1a control block follows the event block");

struct acpi_pm {
	struct device dev;
	struct device_counters counters;
	struct vm *vm;
	struct pm1 pm1; /* under dev.lock */
};

static void sleep_error(struct acpi_pm *pm, unsigned typ)
{
	/* A guest error: the write does nothing, as on a machine without
	 * that sleep state. */
	device_count(&pm->counters.errors, 1);
	log_guest("guest asked for sleep type %u, which warden does not offer", typ);
}

/* The OS's real-mode waking vector from the FACS; 0 if it left none. */
static uint32_t waking_vector(struct acpi_pm *pm)
{
	const uint8_t *p = gmem_ptr(&pm->vm->mem, LAYOUT_ACPI_FACS + FACS_WAKING_VECTOR, 4);
	uint32_t v = 0;

	if (p)
		memcpy(&v, p, 4);
	return v < REAL_MODE_END ? v : 0;
}

/* Under dev.lock: the wake, as the firmware would do it. */
static void resume(struct acpi_pm *pm)
{
	uint32_t vector = waking_vector(pm);

	pm1_woke(&pm->pm1);
	if (!vector) {
		/* A PC's firmware boots afresh when the OS left no vector. */
		device_count(&pm->counters.errors, 1);
		log_guest("resume from S3: the FACS has no waking vector below 1 MiB; rebooting");
		vm_request_end(pm->vm, VM_END_REBOOT);
		return;
	}
	log_debug("acpi-pm: resume from S3 at %04x:%04x", vector >> 4, vector & 0xf);
	vm_sleep_resume(&pm->vm->sleep, vector);
}

/* Under dev.lock, on the vCPU that wrote SLP_EN. */
static void sleep_s3(struct acpi_pm *pm)
{
	if (!vm_suspend(pm->vm))
		return;
	log_debug("acpi-pm: suspended to S3");
	if (pm1_wake_pending(&pm->pm1))
		resume(pm); /* a wake event already waits: back at once */
}

static void pm1_act(struct acpi_pm *pm, enum pm1_action a, unsigned cnt)
{
	if (a == PM1_SLEEP_S5)
		vm_request_end(pm->vm, VM_END_POWEROFF);
	else if (a == PM1_SLEEP_S3)
		sleep_s3(pm);
	else if (a == PM1_SLEEP_OTHER)
		sleep_error(pm, (cnt & PM1_SLP_TYP_MASK) >> PM1_SLP_TYP_SHIFT);
}

/* Which PM1 register a byte of RANGE at OFF is in, and its byte. */
static enum pm1_reg pm1_reg_at(uint64_t off, unsigned *byte)
{
	*byte = (unsigned)off & 1;
	return off < 2 ? PM1_STS : off < ACPI_PM1_EVT_LEN ? PM1_EN : PM1_CNT;
}

static void pm_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct acpi_pm *pm = dev->priv;

	for (unsigned i = 0; i < len; i++) {
		unsigned byte;
		enum pm1_reg reg = pm1_reg_at(off + i, &byte);

		/* The reduced registers read 0 (sleep status: not waking). */
		data[i] = range == RANGE_REDUCED ? 0 : (uint8_t)(pm1_read(&pm->pm1, reg) >> (8 * byte));
	}
}

/* A byte or word access to one PM1 register (a word across two is split). */
static void pm1_access(struct acpi_pm *pm, uint64_t off, const uint8_t *data, unsigned len)
{
	for (unsigned i = 0; i < len;) {
		unsigned byte;
		enum pm1_reg reg = pm1_reg_at(off + i, &byte);
		bool word = byte == 0 && i + 1 < len;
		uint16_t v = word ? (uint16_t)(data[i] | data[i + 1] << 8) : (uint16_t)(data[i] << (8 * byte));
		uint16_t mask = word ? 0xffff : (uint16_t)(0xff << (8 * byte));
		/* The write first: the sleep type an error reports is the one
		 * written (C leaves the order of arguments' evaluation open). */
		enum pm1_action a = pm1_write(&pm->pm1, reg, v, mask);

		pm1_act(pm, a, pm->pm1.cnt);
		i += word ? 2 : 1;
	}
}

static void pm_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		     unsigned len)
{
	struct acpi_pm *pm = dev->priv;
	uint8_t v = data[0];

	if (range != RANGE_REDUCED) {
		pm1_access(pm, off, data, len);
	} else if (off == ACPI_PM_SLEEP_CTL && (v & SLP_EN)) {
		if (SLP_TYP(v) == ACPI_S5_TYPE)
			vm_request_end(pm->vm, VM_END_POWEROFF);
		else
			sleep_error(pm, SLP_TYP(v));
	} else if (off == ACPI_PM_RESET && v == ACPI_RESET_VALUE) {
		vm_request_end(pm->vm, VM_END_REBOOT);
	}
}

/* A wake event (core/vm_sleep.h), on the event device's thread. */
static void pm_wake(void *ctx, enum vm_wake_source src)
{
	struct acpi_pm *pm = ctx;

	futex_mutex_lock(&pm->dev.lock);
	if (src == VM_WAKE_RTC && pm1_rtc_alarm(&pm->pm1) && vm_sleep_is_suspended(&pm->vm->sleep))
		resume(pm);
	futex_mutex_unlock(&pm->dev.lock);
}

static void pm_destroy(struct device *dev)
{
	free(dev->priv);
}

/* The snapshot: the PM1 registers (all zero without --acpi-s3). */
static long pm_save(struct device *dev, void *buf, size_t cap)
{
	return device_save_plain(buf, cap, &((struct acpi_pm *)dev->priv)->pm1, sizeof(struct pm1));
}

static int pm_restore(struct device *dev, const void *buf, size_t len)
{
	return device_restore_plain(&((struct acpi_pm *)dev->priv)->pm1, sizeof(struct pm1), buf, len);
}

static const struct device_ops pm_ops = {
	.read = pm_read, .write = pm_write, .destroy = pm_destroy,
	.save = pm_save, .restore = pm_restore,
};

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
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_ACPI_PM, ACPI_PM_LEN) },
			 .gsi = DEVICE_NO_GSI },
	};
	/* The PM1a blocks (boot/acpi.c writes a full FADT when it sees them). */
	if (vm->cfg.s3) {
		pm->dev.res.range[RANGE_PM1] = (struct device_range){
			.space = BUS_PIO, .base = PORT_ACPI_PM1_EVT, .len = ACPI_PM1_EVT_LEN + ACPI_PM1_CNT_LEN };
		pm->dev.res.nranges = 2;
	}
	if (vm_add_device(vm, &pm->dev) < 0) {
		free(pm);
		return NULL;
	}
	if (vm->cfg.s3) {
		vm->sleep.wake_ctx = pm;
		vm->sleep.on_wake = pm_wake;
	}
	return &pm->dev;
}
