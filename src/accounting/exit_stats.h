/* Exit accounting: every return from KVM_RUN is recorded here, once, from
 * the notes the vCPU loop hands its observer in batches (core/exit.h,
 * core/vm.h).  Each vCPU has one exit_stats with one writer at a time:
 * whoever holds that vCPU's notes lock, usually its own thread (no lock
 * on an exit's path); the reporters read views of them, summed when read. */
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

/* Who an exit is charged to besides its reason: a device slot, or
 * "unclaimed" (an access nobody owns). Exits of neither kind (a halt, a
 * signal) have no owner. */
#define STATS_OWNER_UNCLAIMED STATS_MAX_DEVICES
#define STATS_OWNERS (STATS_MAX_DEVICES + 1)
/* (reason, owner) pairs with a cell of their own, per vCPU: real exits
 * make at most 4 reasons x STATS_OWNERS of them (only port, MMIO and
 * MSR exits have an owner), usually a handful. */
#define STATS_PAIRS 64
/* The reasons whose exits have an owner (port, MMIO, RDMSR, WRMSR): the
 * rows of pair_of. */
#define STATS_OWNED_ROWS 4

/* An exit's figures, kept until the cells are updated (stats_flush). */
struct exit_sample {
	uint64_t run, decode, emulate;
	uint64_t ret;       /* the RETURN part of the exit before, if ret_cell */
	uint64_t addr;      /* port, MMIO address or MSR, if access */
	uint16_t cell, spill;         /* this exit's cells (STATS_NO_CELL: none) */
	uint16_t ret_cell, ret_spill; /* the exit before's, for RET */
	int16_t dev;
	uint8_t space;
	bool access;
};

/* Exits recorded before their cells are updated: a vCPU thread writes one
 * sample (one cache line) per exit and updates the cells STATS_PENDING
 * exits at a time, so each exit no longer touches the cells' pages. */
#define STATS_PENDING 32
#define STATS_NO_CELL 0xffff

/* Another reader of each exit's sample, handed the samples in order at
 * every flush (every STATS_PENDING exits, and when the vCPU's thread
 * ends), by the writer (usually the vCPU's thread), before they go into
 * the cells: for a measurement that must not add work of its own to
 * every exit (the lab's `bench exits`, src/lab/exits_run.c).  An exit's
 * RETURN part comes with the next exit's sample (ret, ret_cell !=
 * STATS_NO_CELL). */
typedef void stats_sample_sink(void *ctx, const struct exit_sample *x, unsigned n);

/* One vCPU's exits, as its notes are handed over (one writer at a time).
 * Each exit is charged to ONE exit_cost, the cell of its (reason, owner)
 * pair; the tables by reason, by device and "unclaimed" are sums of
 * cells, made when read (stats_view, stats_merge_all): histograms add up
 * exactly, so they hold what per-grouping updates held.  The hot fields
 * come first, so that an exit touches few pages: each vCPU's starts a page
 * (the type is page-aligned, so an array's every element does too; get
 * them from stats_alloc), and what an exit touches fits in it. */
struct __attribute__((aligned(4096))) exit_stats {
	uint64_t run_ticks; /* time spent inside KVM_RUN */
	/* Exit counts by reason, readable by the sampler while the vCPU runs
	 * (single writer, relaxed atomics: plain moves on x86). */
	_Atomic uint64_t live[STATS_NREASONS];
	/* The last exit's cells (1 + id; 0: none): where its RETURN part
	 * goes when the next exit brings it. */
	uint16_t last_cell, last_spill;
	/* Samples not yet in the cells; published (release) after the
	 * sample, so that a reader on another thread (GET /stats) can add
	 * them to its view: an idle vCPU's last exits are not left out. */
	_Atomic unsigned npending;
	stats_sample_sink *sink; /* NULL: none; set before the vCPU runs */
	void *sink_ctx;
	/* Pair cells: pair_of[row][owner] is 1 + the index in pair[], or 0
	 * before the pair's first exit, for the reasons that have an owner
	 * (STATS_OWNED_ROWS; others with one go to unowned[] and spill[]);
	 * pair_key[i] = reason * STATS_OWNERS + owner. npairs is published
	 * (release) after its key.  Everything an exit touches, from the
	 * start to the end of last.e[], fits in one page (util/hot.h). */
	_Atomic unsigned npairs;
	uint8_t pair_of[STATS_OWNED_ROWS][STATS_OWNERS];
	struct exit_sample pending[STATS_PENDING];
	struct last_exits last; /* for the crash report (not merged) */
	uint16_t pair_key[STATS_PAIRS];
	unsigned addr_hint; /* the last address's slot: a hot port is found first */
	struct exit_cost pair[STATS_PAIRS];
	/* Exits without an owner, by reason; and, should pair[] ever be
	 * full, owned exits too, with their owner's part in spill[]. */
	struct exit_cost unowned[STATS_NREASONS];
	struct exit_cost spill[STATS_OWNERS];
	struct addr_stat addr[STATS_ADDR_SLOTS];
	uint64_t addr_overflow; /* exits whose address did not fit the table */
};

/* What the reporters read: exits by reason, by device and unclaimed, and
 * by address; one vCPU's (stats_view) or all of them (stats_merge_all). */
struct exit_view {
	uint64_t run_ticks;
	struct exit_cost reason[STATS_NREASONS];
	struct exit_cost device[STATS_MAX_DEVICES];
	struct exit_cost unclaimed;
	struct addr_stat addr[STATS_ADDR_SLOTS];
	uint64_t addr_overflow;
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

/* N zeroed exit_stats, each on a page of its own, their pages allocated
 * when first touched; freed with stats_free.  NULL when out of memory. */
struct exit_stats *stats_alloc(unsigned n);
void stats_free(struct exit_stats *s);

const char *stats_reason_name(unsigned slot);

/* Record the exit E: its cell, its address, and the RETURN part of the
 * exit before it, which E carries (e->has_return).  The counts by reason
 * (live) and run_ticks follow at once; the cells and addresses at the
 * next stats_flush, which it makes every STATS_PENDING exits. */
void stats_record(struct exit_stats *s, const struct exit_note *e);
/* Bring the cells and addresses up to date; by the writer (the recorder
 * does it when the vCPU's thread ends), or once the thread has ended. */
void stats_flush(struct exit_stats *s);
/* The RETURN part of the exit E, when no exit follows to carry it. */
void stats_record_return(struct exit_stats *s, const struct exit_note *e, uint64_t ticks);
/* The same for the last exit recorded. */
void stats_record_last_return(struct exit_stats *s, uint64_t ticks);
/* Exits that reached warden, by reason, from the live counters. */
uint64_t stats_live_count(const struct exit_stats *s, unsigned slot);
/* Exits charged to device DEV so far, those pending included (by the
 * writer, after vm_sync_observer on a vCPU's thread). */
uint64_t stats_device_count(const struct exit_stats *s, int dev);

/* The used address slots of V in SPACE (-1: both), only unclaimed ones
 * if UNCLAIMED_ONLY, busiest first (ties by address), into OUT (room for
 * STATS_ADDR_SLOTS); returns how many. Shared by the table and JSON. */
unsigned stats_addrs_sorted(const struct exit_view *v, int space, bool unclaimed_only,
			    struct addr_stat *out);

/* Exits that reached warden: of one vCPU, and of a view. */
uint64_t stats_total(const struct exit_stats *s);
uint64_t stats_view_total(const struct exit_view *v);
/* One vCPU's exits as the reporters read them, into OUT. */
void stats_view(const struct exit_stats *s, struct exit_view *out);
/* Sum of all vCPUs into OUT. */
void stats_merge_all(const struct stats_report *r, struct exit_view *out);

void stats_print_table(FILE *f, const struct stats_report *r);
int stats_write_json(const char *path, const struct stats_report *r);

#endif
