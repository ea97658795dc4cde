/* `warden lab emulated-vs-virtio`: one device (devices/regpage.c) driven
 * by the model workload through five mechanisms: (a) trapped port I/O,
 * (b) trapped MMIO, (c) the dirty-logged register page, (d) a batch ring
 * with one doorbell per batch, (c') the register page held while busy.  regpage_lab.c runs the VMs and measures;
 * regpage_lab_out.c has the model and writes the table, JSON and SVG. */
#ifndef WARDEN_LAB_REGPAGE_LAB_H
#define WARDEN_LAB_REGPAGE_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lab/regpage_lab_abi.h"

#define EV_NMODES 5
#define EV_HOLD_DEFAULT 8 /* (c')'s hold, in scans */
#define EV_MAX_RATES 8
/* The model workload (issue 12): status reads and control writes a second. */
#define EV_MODEL_READS 1200000.0
#define EV_MODEL_WRITES 30000.0
#define EV_BATCH_DEFAULT 64

struct ev_options {
	double seconds;        /* each run's measured window */
	unsigned scan_us;      /* the register page's scan interval */
	unsigned hold_scans;   /* (c')'s hold (devices/regpage.h), at least 1 */
	unsigned batch;        /* ring entries per doorbell */
	double rates[EV_MAX_RATES]; /* fractions of the model workload, the last is 1 */
	unsigned nrates;
	const char *json, *svg, *kvm_device, *tier;
};

/* KVM's counters over a window (binary stats), those the lab shows. */
#define EV_NKVM 7
extern const char *const ev_kvm_names[EV_NKVM]; /* "exits", "pf_taken", ... */

struct ev_run {
	enum ev_mode mode;
	double fraction;      /* of the model workload */
	double offered_reads, offered_writes; /* per second */
	bool ok;              /* the run finished and the device counted every write */
	char why[160];        /* if not */
	/* Measured over the window (between the guest's marks). */
	double window_s;
	double window_guest_s;  /* the same window by the guest's TSC */
	uint64_t clock_reads;   /* the guest's looks at its TSC in the window */
	uint64_t reads, writes, doorbells;
	uint64_t exits_warden;  /* every exit that reached warden (exit_stats) */
	uint64_t exits_device;  /* of which the register page's */
	bool have_kvm;          /* KVM's binary stats were read */
	uint64_t kvm[EV_NKVM];  /* their deltas */
	uint64_t scans, dirty0; /* scans, and those that found page 0 dirty */
	uint64_t held;          /* of those, the ones that left it writable */
	uint64_t log_gets;      /* scans that asked KVM for the dirty log */
	uint32_t device_count;  /* control writes the device counted in the window */
	double settle_ms;       /* how long the guest waited for the device after it */
	bool manual;            /* manual dirty-log protection was used */
};

struct ev_result {
	struct ev_options opt;
	char tier[16], kvm[64], kernel[65], kvm_why[160];
	uint64_t tsc_hz;
	struct ev_run run[EV_NMODES][EV_MAX_RATES];
};

const char *ev_mode_name(enum ev_mode m);   /* "pio", "mmio", "page", "ring", "page-held" */
const char *ev_mode_label(enum ev_mode m);  /* "(a) trapped, port I/O", ... */

/* Run every mode at every rate; 0, or -1 (error recorded) if a VM could
 * not be set up at all.  Runs that fail say why in run->why. */
int ev_measure(struct ev_result *res);

/* The model (issue 12): exits a second for MODE at the offered rates
 * (HOLD: (c')'s hold in scans). */
double ev_model_exits(enum ev_mode m, double reads, double writes, unsigned scan_us, unsigned hold,
		      unsigned batch);
/* The headline figures (JSON `measured` and `reduction`). */
double ev_exits_per_s(const struct ev_run *r);   /* KVM's count where read, else warden's */
double ev_ops_per_s(const struct ev_run *r);
/* (a) to (c) at the model workload: 1 - exits per operation of (c) over (a);
 * and the same from exits a second.  NAN when a run is missing. */
double ev_reduction(const struct ev_result *res);
double ev_reduction_per_s(const struct ev_result *res);
/* The same from (a) to (c'), per operation. */
double ev_reduction_held(const struct ev_result *res);

void ev_print_table(FILE *f, const struct ev_result *res);
int ev_write_json(const char *path, const struct ev_result *res);
int ev_write_svg(const char *path, const struct ev_result *res);

#endif
