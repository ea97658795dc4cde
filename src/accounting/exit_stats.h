/* Exit accounting: every return from KVM_RUN is recorded here, once, by the
 * exit dispatcher.  Each vCPU thread owns one exit_stats (no locking on the
 * hot path); they are merged when the VM ends. */
#ifndef WARDEN_ACCOUNTING_EXIT_STATS_H
#define WARDEN_ACCOUNTING_EXIT_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "accounting/histogram.h"

/* KVM exit reasons are small integers; two extra slots for KVM_RUN
 * returns without a reason: interrupted by a signal (EINTR), and EAGAIN,
 * which KVM returns once when an AP leaves wait-for-SIPI. */
#define STATS_NREASONS 48
#define STATS_REASON_EINTR (STATS_NREASONS - 1)
#define STATS_REASON_EAGAIN (STATS_NREASONS - 2)
#define STATS_MAX_DEVICES 32
#define STATS_UNCLAIMED_SLOTS 64

/* Device slot meaning "no device claimed the address". */
#define STATS_DEV_NONE (-1)

struct unclaimed_addr {
	uint64_t addr;
	uint64_t count;
	uint8_t space; /* enum bus_space */
	uint8_t used;
};

struct exit_stats {
	uint64_t run_ns; /* time spent inside KVM_RUN */
	struct histogram reason[STATS_NREASONS];  /* handling time, ns */
	struct histogram device[STATS_MAX_DEVICES];
	struct histogram unclaimed_time;
	struct unclaimed_addr unclaimed[STATS_UNCLAIMED_SLOTS];
	uint64_t unclaimed_overflow; /* accesses not fitting the table */
};

/* What a device did besides causing exits (virtio devices): requests
 * served, payload bytes, queue notifications received (through ioeventfd
 * or an exit), interrupts sent, guest errors.  Each field has one writer
 * (the device's I/O thread) and is read with relaxed atomics. */
struct device_counters {
	uint64_t requests;
	uint64_t bytes;
	uint64_t notifies;
	uint64_t interrupts;
	uint64_t errors;
};

/* The VM-wide view handed to the reporters. */
struct stats_report {
	unsigned nvcpus;
	const struct exit_stats *vcpu; /* nvcpus entries */
	unsigned ndevices;
	const char *device_name[STATS_MAX_DEVICES];
	/* Work counters of devices that keep them (has_counters), summed over
	 * every boot of a --reboot loop. */
	bool has_counters[STATS_MAX_DEVICES];
	struct device_counters counters[STATS_MAX_DEVICES];
	char name_buf[STATS_MAX_DEVICES][32]; /* storage for device_name */
	uint64_t wall_ns; /* VM lifetime */
	const char *end_reason;
};

/* Map a KVM_RUN outcome to a reason slot. */
unsigned stats_reason_slot(int run_ret, int run_errno, uint32_t exit_reason);
const char *stats_reason_name(unsigned slot);

/* DEV is a device slot or STATS_DEV_NONE. */
void stats_record(struct exit_stats *s, unsigned slot, int dev,
		  uint64_t run_ns, uint64_t handle_ns);
void stats_record_unclaimed(struct exit_stats *s, uint8_t space, uint64_t addr,
			    uint64_t handle_ns);

uint64_t stats_total(const struct exit_stats *s);
/* Sum of all vCPUs into OUT. */
void stats_merge_all(const struct stats_report *r, struct exit_stats *out);

void stats_print_table(FILE *f, const struct stats_report *r);
int stats_write_json(const char *path, const struct stats_report *r);

#endif
