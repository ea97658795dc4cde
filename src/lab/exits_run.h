/* One run of one row of `warden bench exits`: a VM set up by warden's own
 * code (vm_create, the platform devices, the bench devices, the ELF
 * loader with the built-in guest), run either by warden (vm_start: the
 * one exit path, the accounting recorder, and a watcher on the observer
 * hooks that sums warden's share of the exits between the guest's marks)
 * or by the floor: a bare KVM_RUN loop per vCPU that only looks at the
 * exit reason (and does the least each exit needs: an MSR's error field,
 * emptying the coalesced ring, noticing the marks and the poweroff). */
#ifndef WARDEN_LAB_EXITS_RUN_H
#define WARDEN_LAB_EXITS_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "lab/exits_rows.h"

struct lab_run_config {
	const char *kvm_device;
	uint32_t iterations;
	uint32_t warmup;
	uint64_t timer_delay_ns; /* HLT woken by a timer: arming to deadline */
	double timeout_s;        /* per run; a guest taking longer has failed */
	bool no_accounting;      /* warden without its exit accounting (the
				  * recorder): its dispatch alone */
	uint32_t msr;            /* the MSR of the RDMSR/WRMSR ops and of the
				  * bench MSR device; 0: LAB_MSR */
};

/* What one run measured. */
struct lab_result {
	bool ok;             /* the guest finished; else ERROR says why */
	char error[256];
	uint32_t status;     /* the guest's enum lab_status */
	uint64_t *samples;   /* ITERATIONS cycles (malloc'd; lab_result_free) */
	uint32_t iterations;
	uint64_t loop_cycles, check, wakeups;
	bool amd;
	uint64_t tsc_khz;    /* the guest's TSC rate (KVM_GET_TSC_KHZ), 0 unknown */
	/* Between the guest's marks: returns from KVM_RUN (all vCPUs), and
	 * KVM's own exit counter (binary stats, all vCPUs) when it has one. */
	uint64_t exits;
	bool kvm_exits_known;
	uint64_t kvm_exits;
	/* warden only, summed over those exits, in host TSC cycles: decode,
	 * emulate (device and accounting inside the loop's stamps), and the
	 * return into KVM_RUN; coalesced writes delivered from the ring. */
	uint64_t decode, emulate, ret;
	uint64_t coalesced;
	/* Each of those exits' whole share (decode + emulate + return), for
	 * its median: the sums above are means, which one preempted exit
	 * moves (malloc'd; lab_result_free). */
	uint64_t *shares;
	uint32_t nshares;
};

/* Run ROW once, by warden (FLOOR false) or by the bare loop.  Returns 0
 * with OUT filled (OUT->ok false when the guest failed or timed out), or
 * -1 with the error recorded when the host refused the set-up. */
int lab_run_row(const struct lab_run_config *c, const struct lab_row *row, bool floor,
		struct lab_result *out);
void lab_result_free(struct lab_result *r);

#endif
