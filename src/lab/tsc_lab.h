/* `warden lab tsc`: warden sets the guest's TSC offset (and its frequency
 * where KVM offers TSC scaling), the built-in guest (guest/lab/tsc.c)
 * reads its TSC in ring 0 and ring 3 at points where warden stamps the
 * host's TSC, and the lab checks T_guest = T_host * ratio + offset: the
 * offset each reading allows, bounded by the exit window around it, and
 * the guest TSC's rate against the host's CLOCK_MONOTONIC (issue 12,
 * section 5). */
#ifndef WARDEN_LAB_TSC_LAB_H
#define WARDEN_LAB_TSC_LAB_H

#include <stdbool.h>
#include <stdint.h>

#include "lab/tsc_abi.h"

struct ts_sample {
	bool seen;
	uint64_t g;               /* the guest's reading */
	uint64_t h_enter, h_exit; /* host TSC right before the KVM_RUN and after it */
	uint64_t h_hook, ns;      /* host TSC and CLOCK_MONOTONIC in warden's hook */
};

/* What one phase's readings say. */
struct ts_phase {
	bool ok;                 /* every reading arrived */
	bool consistent;         /* one offset fits every reading (lo <= hi) */
	long double lo, hi;      /* the offsets every reading allows */
	long double lo_req, hi_req; /* the same widened by how the offset was set */
	bool matches;            /* the requested offset lies in [lo_req, hi_req] */
	double window_max;       /* the widest exit window (host cycles) */
	double khz, khz_bound;   /* guest TSC rate over CLOCK_MONOTONIC, +- */
};

struct ts_result {
	char tier[16], kvm[64], kernel[65];
	uint32_t samples;
	uint64_t gap_us, gap_cycles; /* gap_cycles: gap_us at the host's TSC rate */
	bool khz_auto;        /* 3/4 of the host's rate where KVM can scale */
	bool cap_attr;        /* KVM_CAP_VCPU_ATTRIBUTES and KVM_HAS_DEVICE_ATTR TSC_CTRL/OFFSET */
	long cap_tsc_control; /* KVM_CHECK_EXTENSION KVM_CAP_TSC_CONTROL on the VM */
	int64_t offset_req;
	const char *method;   /* "KVM_VCPU_TSC_OFFSET" or "KVM_SET_MSRS IA32_TSC" */
	uint64_t set_window;  /* IA32_TSC: host cycles the write took (widens the check) */
	uint64_t host_khz;    /* KVM_GET_TSC_KHZ before any change */
	uint64_t khz_req;     /* 0: frequency left alone */
	char khz_status[160]; /* "set", "not asked" or "skipped: why" */
	uint64_t guest_khz;   /* KVM_GET_TSC_KHZ after */
	long double ratio;    /* guest_khz / host_khz when scaled, else 1 */
	bool kvm_attr_known;  /* KVM_GET_DEVICE_ATTR KVM_VCPU_TSC_OFFSET after the run */
	int64_t kvm_attr_offset;
	bool kvm_msr_known;   /* KVM_GET_MSRS IA32_TSC after the run, minus the host TSC */
	long double kvm_msr_lo, kvm_msr_hi;
	bool debugfs;         /* KVM's debugfs offset was readable */
	int64_t debugfs_offset;
	struct ts_sample s[TS_NPHASES][TS_SAMPLES_MAX];
	struct ts_phase ph[TS_NPHASES];
	bool ok;
	char why[200];
};

/* Run the experiment into R (samples, gap, offset_req, khz_req set by the
 * caller).  0 with R->ok saying whether the guest finished; -1 when the
 * host refused the set-up (error recorded). */
int ts_measure(struct ts_result *R, const char *kvm_device);
/* Derive R->ph from the samples. */
void ts_judge(struct ts_result *R);
void ts_print_table(const struct ts_result *R);
int ts_write_json(const char *path, const struct ts_result *R);
int ts_write_svg(const char *path, const struct ts_result *R);

/* ARGV[0] is "tsc".  The exit status (0 also when a reading did not fit
 * the model: that is a finding, in the table and the JSON; 1 host failure
 * or a run that did not finish; 2 bad input). */
int lab_tsc_main(int argc, char **argv);

#endif
