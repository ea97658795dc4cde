/* The register page (devices/regpage_abi.h): one device model reached
 * three ways: trapped registers (port I/O and MMIO, an exit per access),
 * two pages of guest RAM in a dirty-logged memory slot that a timer thread
 * scans (the guest reads and writes at native speed), and a batch ring
 * with one doorbell write per batch. */
#ifndef WARDEN_DEVICES_REGPAGE_H
#define WARDEN_DEVICES_REGPAGE_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct device;

#define REGPAGE_SCAN_US_DEFAULT 1000
#define REGPAGE_SCAN_US_MIN 100     /* the scanner never spins */
#define REGPAGE_SCAN_US_MAX 1000000

struct regpage_config {
	unsigned scan_us;  /* scan interval */
	uint64_t ring_gpa; /* where the batch ring is in guest RAM */
};

/* What the device saw (read at any time, under the device lock). */
struct regpage_counts {
	uint64_t trapped_reads, trapped_writes; /* register accesses (exits) */
	uint64_t ring_batches, ring_ops;        /* doorbells, entries served */
	uint64_t scans;                         /* dirty-log scans */
	uint64_t dirty[2];                      /* scans that found page 0 / page 1 dirty */
	uint64_t page_ctrl;                     /* control writes learnt from page 0 */
	uint64_t count;                         /* the model's control writes */
	uint64_t errors;                        /* guest errors */
	uint64_t host_errors;                   /* dirty-log ioctls the host refused */
	bool manual;                            /* KVM_CLEAR_DIRTY_LOG with manual protection */
};

/* Add the device to VM (its windows from core/layout.h, its memory slot)
 * and start its scanner; NULL on failure (error recorded). */
struct device *regpage_create(struct vm *vm, const struct regpage_config *cfg);
void regpage_counts(struct device *dev, struct regpage_counts *out);

#endif
