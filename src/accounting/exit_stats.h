/* Exit accounting: every return from KVM_RUN is recorded here, once, from
 * the record the vCPU loop hands its observer (core/exit.h).  Each vCPU thread owns one exit_stats (no locking on the
 * hot path); they are merged when the VM ends. */
#ifndef WARDEN_ACCOUNTING_EXIT_STATS_H
#define WARDEN_ACCOUNTING_EXIT_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "accounting/histogram.h"
#include "accounting/last_exits.h"

struct advice_costs;
#include "core/device.h"
#include "core/exit.h"
#include "core/vm.h"

struct crash_info;
struct kvm_view;
struct exit_trace;

/* The reason slots of core/exit.h. */
#define STATS_NREASONS EXIT_NSLOTS
#define STATS_REASON_EINTR EXIT_SLOT_EINTR
#define STATS_REASON_EAGAIN EXIT_SLOT_EAGAIN
#define STATS_MAX_DEVICES VM_MAX_DEVICES
#define STATS_ADDR_SLOTS 256

/* Device slot meaning "no device claimed the address". */
#define STATS_DEV_NONE EXIT_DEV_NONE

/* The parts of one exit that reached warden, in the order they happen:
 * the guest ran inside KVM_RUN until the exit (RUN), warden decoded it and
 * found the owner (DECODE), the device emulated the access (EMULATE), and
 * warden accounted for it and went back into KVM_RUN (RETURN). */
enum stats_part { PART_RUN, PART_DECODE, PART_EMULATE, PART_RETURN, STATS_NPARTS };

struct exit_cost {
	struct histogram handle; /* decode + emulate: warden's handling time, ns */
	struct histogram part[STATS_NPARTS];
};

/* One port or MMIO address that exits reached warden for. */
struct addr_stat {
	uint64_t addr;
	uint64_t count;
	uint64_t ticks; /* handling time */
	int16_t dev;      /* device slot or STATS_DEV_NONE (unclaimed) */
	uint8_t space;    /* enum bus_space */
	uint8_t used;
};

/* All times in exit_stats are TSC cycles (see util/clock.h); reporters
 * convert them with stats_report.ns_per_tick. */
struct exit_stats {
	uint64_t run_ticks; /* time spent inside KVM_RUN */
	/* Exit counts by reason, readable by the sampler while the vCPU runs
	 * (single writer, relaxed atomics: plain moves on x86). */
	_Atomic uint64_t live[STATS_NREASONS];
	struct exit_cost reason[STATS_NREASONS];
	struct exit_cost device[STATS_MAX_DEVICES];
	struct exit_cost unclaimed;
	struct addr_stat addr[STATS_ADDR_SLOTS];
	uint64_t addr_overflow; /* exits whose address did not fit the table */
	struct last_exits last; /* for the crash report (not merged) */
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
	/* Writes of each device's that KVM queued in its coalesced ring
	 * instead of exiting (not exits: no cost in the tables). */
	uint64_t coalesced[STATS_MAX_DEVICES];
	char name_buf[STATS_MAX_DEVICES][32]; /* storage for device_name */
	uint64_t wall_ns; /* VM lifetime */
	double ns_per_tick; /* exit_stats times to ns; 0 means they are ns already */
	const char *end_reason;
	const char *cmdline; /* the guest's final command line (NULL: none) */
	/* The in-kernel half, where the host provides it (NULL otherwise). */
	const struct kvm_view *kvm;
	const struct exit_trace *trace;
	const struct advice_costs *costs; /* --advice-costs, or NULL */
	const char *kvm_missing;   /* why there are no KVM stats, if so */
	const char *trace_missing; /* why there is no exit trace, if asked and so */
	const struct crash_info *crash; /* a vCPU's bad end and the console tail, or NULL */
};

const char *stats_reason_name(unsigned slot);

void stats_record(struct exit_stats *s, const struct exit_record *e);
/* The RETURN part of the exit E, known when the loop re-enters KVM_RUN. */
void stats_record_return(struct exit_stats *s, const struct exit_record *e, uint64_t ticks);
/* Exits that reached warden, by reason, from the live counters. */
uint64_t stats_live_count(const struct exit_stats *s, unsigned slot);

/* The used address slots of S in SPACE (-1: both), only unclaimed ones
 * if UNCLAIMED_ONLY, busiest first (ties by address), into OUT (room for
 * STATS_ADDR_SLOTS); returns how many. Shared by the table and JSON. */
unsigned stats_addrs_sorted(const struct exit_stats *s, int space, bool unclaimed_only,
			    struct addr_stat *out);

uint64_t stats_total(const struct exit_stats *s);
/* Sum of all vCPUs into OUT. */
void stats_merge_all(const struct stats_report *r, struct exit_stats *out);

void stats_print_table(FILE *f, const struct stats_report *r);
int stats_write_json(const char *path, const struct stats_report *r);

#endif
