/* A device as the machine sees it: the address ranges and interrupt line
 * it owns, read/write handlers for its ranges, a lock that serialises
 * guest accesses (from any vCPU thread) with the device's own threads, and
 * a narrow lifecycle.
 *
 * Lifecycle: the device's constructor fills a struct device (name, ops,
 * the resources it asks for) and calls vm_add_device(), which grants every
 * resource or none.  reset() takes it back to its power-on state and stops
 * its threads (the VM calls it when the guest is gone); destroy() frees
 * it.  save()/restore() are the slot snapshot support fills: a device that
 * leaves them NULL cannot be snapshotted. */
#ifndef WARDEN_CORE_DEVICE_H
#define WARDEN_CORE_DEVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/futex_mutex.h"

struct device;

/* The pseudo hardware id of the ACPI PM registers: not a DSDT device, the
 * registers the FADT points at (sleep control/status, reset). */
#define ACPI_HID_FADT_PM "FADT-PM"
/* A Generic Event Device (the power button, devices/power_button.c): its
 * line's _EVT notifies the DSDT's power button device (boot/acpi_ged.h). */
#define ACPI_HID_GED "ACPI0013"
/* The CMOS RTC: without one on the machine the FADT says so (boot/acpi.c). */
#define ACPI_HID_RTC "PNP0B00"

/* Ask the allocator for a range anywhere in its pool (MMIO only). */
#define DEVICE_ANY_BASE UINT64_MAX
/* Interrupt line requests: none, or any line from the pool. */
#define DEVICE_NO_GSI (-1)
#define DEVICE_ANY_GSI (-2)
#define DEVICE_MAX_RANGES 2

/* Which layout pool a DEVICE_ANY_BASE range comes from. */
#define DEVICE_POOL_MMIO 0 /* device windows, 4 KiB aligned */
#define DEVICE_POOL_PCI 1  /* the PCI MMIO window, aligned to the size (a BAR) */

struct device_range {
	uint8_t space; /* enum bus_space */
	uint64_t base; /* or DEVICE_ANY_BASE before the grant */
	uint64_t len;
	uint8_t pool;  /* DEVICE_POOL_*, for DEVICE_ANY_BASE */
};
/* A range with every field named (every compiler's -Wextra is content). */
#define DEVICE_RANGE(sp, b, l) { .space = (sp), .base = (b), .len = (l), .pool = DEVICE_POOL_MMIO }
#define DEVICE_RANGE_POOL(sp, b, l, p) { .space = (sp), .base = (b), .len = (l), .pool = (p) }

/* Asked for before vm_add_device(), granted (pool requests resolved)
 * after it. */
struct device_resources {
	unsigned nranges;
	struct device_range range[DEVICE_MAX_RANGES];
	int gsi; /* a line, DEVICE_NO_GSI or DEVICE_ANY_GSI */
};

struct device_ops {
	/* Guest accesses; OFF is relative to the start of range I of the
	 * device's resources.  Called under dev->lock. */
	void (*read)(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len);
	void (*write)(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		      unsigned len);
	/* Back to the power-on state; the device's threads are stopped when
	 * it returns.  Optional. */
	void (*reset)(struct device *dev);
	/* Free the device (after reset).  Required. */
	void (*destroy)(struct device *dev);
	/* Snapshot slot: bytes of state written to BUF (at most CAP), or -1;
	 * restore takes what save wrote, or returns -1 (having recorded why
	 * with fail(), or not).  NULL: not snapshottable yet. */
	long (*save)(struct device *dev, void *buf, size_t cap);
	int (*restore)(struct device *dev, const void *buf, size_t len);
	/* vm_pause (core/vm_pause.h), after every vCPU parked: stop the
	 * device's own threads from changing its state or guest memory;
	 * resume lets them go on.  Called without dev->lock.  Optional (a
	 * device without threads needs neither). */
	void (*pause)(struct device *dev);
	void (*resume)(struct device *dev);
	/* --verbose, as the VM ends (vCPUs stopped, before the reset): log
	 * the state the guest left the device in, for a guest that hung
	 * waiting on it.  May stop the device's threads first, so that what
	 * it logs holds still.  Optional. */
	void (*describe)(struct device *dev);
};

/* The save/restore of a device whose state is one plain struct: copy it
 * out, or take exactly that many bytes back (any other length is a
 * snapshot from another layout).  The device validates what it took. */
static inline long device_save_plain(void *buf, size_t cap, const void *state, size_t len)
{
	if (len > cap)
		return -1;
	memcpy(buf, state, len);
	return (long)len;
}
/* A device with no state of its own (its registers only act). */
static inline long device_save_none(struct device *dev, void *buf, size_t cap)
{
	(void)dev, (void)buf, (void)cap;
	return 0;
}
static inline int device_restore_none(struct device *dev, const void *buf, size_t len)
{
	(void)dev, (void)buf;
	return len == 0 ? 0 : -1;
}
static inline int device_restore_plain(void *state, size_t len, const void *buf, size_t blen)
{
	if (blen != len)
		return -1;
	memcpy(state, buf, len);
	return 0;
}

/* What a device did besides causing exits (virtio devices): requests
 * served, payload bytes, queue notifications received (through ioeventfd
 * or an exit), interrupts sent, guest errors; and what the exits it
 * avoided cost instead: notifications the guest did not send because the
 * device had them switched off (it found the work itself: batches taken
 * while it was busy or polling), interrupts the driver asked not to get
 * (used buffers published without one), wall time its threads spent
 * polling, and their CPU time; and requests its rate limiter made wait
 * (virtio/rate_limit.h); and the polling window now (virtio/worker.h).
 * Each field has one writer and is read with relaxed atomics. */
struct device_counters { /* only uint64_t fields: device_counters_add() */
	uint64_t requests;
	uint64_t bytes;
	uint64_t notifies;
	uint64_t interrupts;
	uint64_t errors;
	uint64_t notifies_suppressed;
	uint64_t interrupts_suppressed;
	uint64_t poll_ns;
	uint64_t cpu_ns;
	uint64_t throttled;
	uint64_t poll_window_ns; /* a level, not a count: the polling window now */
};
_Static_assert(sizeof(struct device_counters) % sizeof(uint64_t) == 0, "device_counters: uint64_t only");

struct device {
	const char *name;
	const struct device_ops *ops;
	void *priv;
	/* ACPI hardware id the guest finds the device by (described in the
	 * DSDT with its granted resources), or NULL. */
	const char *acpi_hid;
	struct device_resources res;
	/* Held while the device runs a guest access or changes state the
	 * accesses see (I/O threads take it too).  A futex_mutex, not a
	 * pthread mutex: every exit to the device takes it (util/futex_mutex.h). */
	struct futex_mutex lock;
	int id; /* accounting slot, set when added to the VM */
	/* ops->read and ops->write, copied by vm_add_device (a device's ops
	 * do not change once it is added): an exit calls them from here, next
	 * to the lock it takes anyway, instead of reading one more page, the
	 * ops table's (util/hot.h). */
	void (*exit_read)(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len);
	void (*exit_write)(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
			   unsigned len);
	struct device_counters *counters; /* work done, or NULL */
	bool counters_if_nonzero; /* reported only once something was counted */
	/* Guest writes KVM queued in the coalesced ring instead of exiting,
	 * delivered since (core/exit_emulate.c; atomic: any vCPU drains). */
	uint64_t coalesced;
};

/* Single-writer counters, readable at any time. */
static inline void device_count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* Add a live device's counters to a report's totals (TO += FROM). */
static inline void device_counters_add(struct device_counters *to, const struct device_counters *from)
{
	const uint64_t *f = (const uint64_t *)from;
	uint64_t *t = (uint64_t *)to;

	for (size_t i = 0; i < sizeof(*to) / sizeof(uint64_t); i++)
		t[i] += __atomic_load_n(&f[i], __ATOMIC_RELAXED);
	/* A level, not a count: the latest. */
	to->poll_window_ns = __atomic_load_n(&from->poll_window_ns, __ATOMIC_RELAXED);
}

/* Nothing counted yet? */
static inline bool device_counters_zero(const struct device_counters *c)
{
	const uint64_t *f = (const uint64_t *)c;

	for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		if (__atomic_load_n(&f[i], __ATOMIC_RELAXED))
			return false;
	return true;
}

#endif
