/* A vCPU: its KVM fd, the shared kvm_run page, and a thread running the
 * one exit loop: KVM_RUN, decode, emulate, hand the record to the
 * observer, repeat. */
#ifndef WARDEN_CORE_VCPU_H
#define WARDEN_CORE_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "util/futex_mutex.h"
#include "util/hot.h"

struct vm;
struct exit_notes;

/* The registers the boot vCPU starts with, as the loader decided them (it
 * has already written any GDT and page tables they point at into guest
 * memory).  The other registers keep KVM's reset values. */
struct vcpu_boot_regs {
	struct kvm_regs regs;
	struct kvm_segment cs, ds, es, fs, gs, ss;
	struct kvm_dtable gdt;
	uint64_t cr0, cr3, cr4, efer;
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	/* Test hook (WARDEN_TEST_STUCK_VCPU, docs/shutdown.md): once the VM
	 * ends, this vCPU's thread ignores the kick and never returns, as a
	 * thread stuck in KVM_RUN would. */
	bool test_stuck;
	/* The last suspend (core/vm_sleep.h) this vCPU handled. */
	unsigned sleep_epoch;
	/* The exits noted for the observer's batches (vm_observer.exits,
	 * core/exit_notes.h): a ring in the run loop's frame while the thread
	 * runs, NULL otherwise.  NOTES_LOCK guards the pointer and the
	 * handing over, which any thread may do (vcpu_sync_notes); the
	 * vCPU's thread adds a note without it. */
	struct futex_mutex notes_lock;
	struct exit_notes *notes;
};

int vcpu_create(struct vcpu *v, struct vm *vm, unsigned id);
void vcpu_destroy(struct vcpu *v);
int vcpu_set_boot_regs(struct vcpu *v, const struct vcpu_boot_regs *b);
int vcpu_start(struct vcpu *v);
/* Make the vCPU leave KVM_RUN soon (after the VM's end was requested). */
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
/* The same, giving up at DEADLINE (CLOCK_REALTIME): -1 if the thread is
 * still running then (it stays started, and is not detached). */
int vcpu_join_until(struct vcpu *v, const struct timespec *deadline);
/* Hand V's observer the exits V noted and has not handed over yet
 * (vm_sync_observer, for one vCPU). */
void vcpu_sync_notes(struct vcpu *v);
/* Registers to stderr, for internal errors. */
COLD_PATH void vcpu_dump(struct vcpu *v);
/* For a device handler on a vCPU thread (a paravirtual idle call): once
 * this exit is handled, the vCPU waits inside KVM until an interrupt can
 * be delivered to it, as after a HLT (KVM_MP_STATE_HALTED), using no host
 * CPU meanwhile; the VM's end still stops it.  False, and nothing changes,
 * off a vCPU thread, without the in-kernel irqchip (nothing in KVM would
 * wake it) or when KVM refuses. */
bool vcpu_halt_after_exit(void);

#endif
