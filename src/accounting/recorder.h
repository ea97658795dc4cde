/* The VM observer (core/vm.h) that feeds the exit accounting: each vCPU's
 * records go into its own exit_stats (no locking on the hot path), and the
 * observatory learns when a vCPU thread starts (to open its trace). */
#ifndef WARDEN_ACCOUNTING_RECORDER_H
#define WARDEN_ACCOUNTING_RECORDER_H

struct exit_stats;
struct observatory;
struct vm_observer;

struct recorder {
	struct exit_stats *stats; /* one per vCPU */
	unsigned nvcpus;
	struct observatory *obs;  /* or NULL */
	struct crash_info *crash; /* where a bad end is recorded, or NULL */
};

/* Hooks for VM->obs that record into R (which must outlive the VM run). */
void recorder_observer(struct recorder *r, struct vm_observer *out);

#endif
