/* A VM's sleep state (ACPI S3, --acpi-s3): suspended, its vCPUs parked off
 * KVM_RUN with guest memory kept, until a wake event resumes it.  Core
 * only keeps the state; the platform's wake logic (the ACPI PM device)
 * decides whether an event wakes and where vCPU 0 starts.
 *
 * A suspend bumps EPOCH.  Each vCPU thread compares it with the last one
 * it handled before every KVM_RUN: a new one parks it until the resume
 * (or the VM's end), then resets it as a power cycle would: vCPU 0 into
 * real mode at the waking vector, the others into wait-for-SIPI.  The
 * epoch, not the flag, is what a vCPU acts on, so one that leaves KVM_RUN
 * only after a quick resume still resets. */
#ifndef WARDEN_CORE_VM_SLEEP_H
#define WARDEN_CORE_VM_SLEEP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* What woke (or would wake) a suspended VM. */
enum vm_wake_source {
	VM_WAKE_RTC, /* the CMOS RTC's alarm */
};

struct vm_sleep {
	pthread_mutex_t lock;
	pthread_cond_t cond;   /* a resume, or the VM's end */
	bool suspended;        /* under lock */
	_Atomic unsigned epoch; /* suspends so far */
	uint32_t wake_vector;  /* vCPU 0's real-mode entry, set at resume */
	/* The platform's wake logic, set once before the vCPUs start; called
	 * on the thread of the event's device, with no lock of core held. */
	void (*on_wake)(void *ctx, enum vm_wake_source src);
	void *wake_ctx;
};

void vm_sleep_init(struct vm_sleep *s);
void vm_sleep_destroy(struct vm_sleep *s);
/* Mark the VM suspended (a new epoch); the caller then makes every vCPU
 * leave KVM_RUN (vm_suspend does both).  False if it already was. */
bool vm_sleep_enter(struct vm_sleep *s);
bool vm_sleep_is_suspended(struct vm_sleep *s);
/* Resume: parked vCPUs reset and run, vCPU 0 at real-mode VECTOR (CS =
 * VECTOR >> 4, IP = VECTOR & 0xf).  False if the VM was not suspended. */
bool vm_sleep_resume(struct vm_sleep *s, uint32_t vector);
/* A device's wake event: handed to on_wake (nothing without one). */
void vm_sleep_wake_event(struct vm_sleep *s, enum vm_wake_source src);
/* The VM is ending: parked vCPUs stop waiting (vm_stop). */
void vm_sleep_release(struct vm_sleep *s);
/* On a vCPU thread that saw a new epoch: wait while suspended in it and
 * RUNNING() says the VM runs.  True, with *VECTOR, when it resumed. */
bool vm_sleep_wait(struct vm_sleep *s, unsigned epoch, bool (*running)(void *), void *ctx,
		   uint32_t *vector);

#endif
