/* `warden lab idle` (docs/lab.md): how a vCPU idles and what it costs.
 * One built-in guest (guest/lab/idle.c) idles N times, each woken by its
 * TSC-deadline timer D us later (or by an IPI from a second vCPU at that
 * time, --wake ipi), in five modes: HLT with KVM's default
 * halt polling, HLT with polling off, HLT with polling up to --poll-ns,
 * warden's paravirtual idle call, HLT passthrough.  Per mode: wake-up
 * latency, exits to warden and KVM's halt counters per idle entry, and
 * the vCPU thread's host CPU time per second of idle. */
#ifndef WARDEN_LAB_IDLE_LAB_H
#define WARDEN_LAB_IDLE_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lab/samples.h"

enum idle_mode { IM_HLT, IM_POLL_OFF, IM_POLL_ON, IM_CALL, IM_PASSTHROUGH, IM_N };

/* KVM's per-vCPU counters the lab reads around the measured window. */
enum { IK_EXITS, IK_HALT_EXITS, IK_HALT_WAKEUP, IK_POLL_OK, IK_POLL_TRIED, IK_POLL_INVALID, IK_POLL_OK_NS,
       IK_POLL_FAIL_NS, IK_HALT_WAIT_NS, IK_N };
extern const char *const idle_kvm_stat[IK_N];
extern const char *const idle_mode_name[IM_N];

struct idle_run {
	bool ran, ok;
	char why[200];         /* skipped or failed: why */
	uint64_t idles;        /* idle entries between the marks */
	uint64_t exits;        /* returns from KVM_RUN to warden between them */
	bool kvm_known[IK_N];
	uint64_t kvm[IK_N];    /* KVM's counters between them */
	uint64_t cpu_ns, wall_ns; /* the vCPU thread's CPU time; CLOCK_MONOTONIC */
	struct lab_summary lat_ns; /* wake-up latency, ns */
};

struct idle_result {
	/* options */
	const char *json, *svg, *kvm_device, *tier_opt;
	uint32_t iterations, warmup, delay_us, poll_ns;
	bool wake_ipi;         /* --wake ipi: vCPU 1 sends the wake-up, not the timer */
	/* the tier, as the host answers */
	char tier[16], kvm[64], kernel[65];
	long host_halt_poll_ns; /* /sys/module/kvm/parameters/halt_poll_ns, -1 unknown */
	int cap_halt_poll, cap_disable_exits, cap_tsc_deadline; /* KVM_CHECK_EXTENSION on /dev/kvm */
	uint64_t tsc_khz;
	struct idle_run run[IM_N];
};

/* idle_lab_out.c */
void idle_print_table(FILE *f, const struct idle_result *R);
int idle_write_json(const char *path, const struct idle_result *R);
int idle_write_svg(const char *path, const struct idle_result *R);
/* What the model says a mode's idle entry costs: exits to warden, and
 * halt exits KVM handles itself. */
double idle_model_warden(enum idle_mode m);
double idle_model_halt(enum idle_mode m);

int lab_idle_main(int argc, char **argv);

#endif
