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
#define REGPAGE_HOLD_MAX 1000

/* Holding (hold_scans > 0): a scan that finds page 0 dirty leaves it
 * writable, and the next scans read its counter without asking KVM
 * anything (neither the dirty log nor a protection), until HOLD_SCANS
 * scans in a row saw no new control write; then it is protected again.
 * While the guest keeps writing, no write fault and no kick (a host that
 * flushes the vCPU's TLB after a re-protection kicks it, and some kick
 * every running vCPU for each KVM_GET_DIRTY_LOG): notification
 * suppression for dirty logging.
 * Needs manual dirty-log protection (without it KVM_GET_DIRTY_LOG itself
 * protects the page again); ignored without. */
struct regpage_config {
	unsigned scan_us;    /* scan interval */
	unsigned hold_scans; /* 0: protect again at every dirty scan */
	uint64_t ring_gpa;   /* where the batch ring is in guest RAM */
	/* No scanner thread: the guest reaches the registers trapped or by
	 * the ring only.  Its timer would otherwise still wake every scan_us
	 * and, where it fires on the vCPU's CPU, cost the guest an exit each
	 * time (measured: about 800 a second in the emulated tier). */
	bool no_scanner;
};

/* What the device saw (read at any time, under the device lock). */
struct regpage_counts {
	uint64_t trapped_reads, trapped_writes; /* register accesses (exits) */
	uint64_t ring_batches, ring_ops;        /* doorbells, entries served */
	uint64_t scans;                         /* dirty-log scans */
	uint64_t log_gets;                      /* of those, the ones that asked KVM (not holding) */
	uint64_t dirty[2];                      /* scans that found page 0 / page 1 dirty */
	uint64_t held;                          /* of page 0's, those that left it writable */
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
