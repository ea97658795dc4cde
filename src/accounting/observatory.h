/* The exit observatory around a running VM: KVM's binary statistics for
 * the exits handled in the kernel, the optional precise exit trace, and the
 * sampler thread that prints the live table (--stats-interval) and writes
 * one JSON line per interval (--stats-trace).  The vCPU threads' own
 * accounting (exit_stats) needs none of this and stays lock-free. */
#ifndef WARDEN_ACCOUNTING_OBSERVATORY_H
#define WARDEN_ACCOUNTING_OBSERVATORY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "accounting/exit_stats.h"
#include "accounting/exit_trace.h"
#include "accounting/kvm_stats.h"

struct obs_config {
	double interval_s;      /* 0: no sampling */
	bool live;              /* print the per-interval table to stderr */
	const char *trace_path; /* --stats-trace FILE.jsonl, or NULL */
	bool exit_trace;        /* --exit-trace */
};

/* KVM's counters summed over the VM's lifetime (all boots). */
struct kvm_view {
	struct kvm_stat_values vm;
	unsigned nvcpus;
	struct kvm_stat_values *vcpu; /* nvcpus entries */
};

struct vm;

struct observatory {
	struct obs_config cfg;
	unsigned nvcpus;
	const struct exit_stats *stats; /* the vCPUs' own accounting, nvcpus entries */
	bool attached; /* to a VM, between obs_attach and obs_detach */
	/* That VM: before each sample its vCPUs' exit notes are handed to
	 * the accounting (vm_sync_observer), so a line misses none. */
	struct vm *vm;
	/* KVM binary stats of the attached VM */
	bool kvm_ok;
	char kvm_missing[160];
	struct kvm_stats vm_stats;
	struct kvm_stats *vcpu_stats;
	struct kvm_stat_values vm_start;
	struct kvm_stat_values *vcpu_start, *vcpu_prev;
	struct kvm_view view;
	/* precise mode */
	struct exit_trace *trace;
	char trace_missing[200];
	/* sampler */
	pthread_t thread;
	bool thread_on;
	int stop_efd;
	FILE *jsonl;
	uint64_t t_start, t_last;
	uint64_t prev_live[STATS_NREASONS];
	uint64_t prev_trace[TRACE_MAX_CODES];
	unsigned lines;
};

/* Before the first boot. -1 with err_msg on a user error (unwritable
 * --stats-trace). A missing host source is not an error: it is reported. */
int obs_init(struct observatory *o, const struct obs_config *cfg, unsigned nvcpus,
	     const struct exit_stats *stats);
/* Each boot: after VM and its vCPUs (nvcpus of them) exist, before they
 * run. */
void obs_attach(struct observatory *o, struct vm *vm);
/* From each vCPU thread before its first KVM_RUN. */
void obs_vcpu_thread_start(struct observatory *o, unsigned id);
/* Each boot: after the vCPU threads ended, before the VM is destroyed. */
void obs_detach(struct observatory *o);
/* Point the report at the in-kernel half. */
void obs_fill_report(struct observatory *o, struct stats_report *r);
/* After the VM: the final JSON line; closes the trace file. */
int obs_finish(struct observatory *o, const struct stats_report *r);
void obs_destroy(struct observatory *o);

#endif
