/* What KVM can still tell about a vCPU whose exit ends the VM badly (a
 * triple fault, an entry failure, an internal error): its pending and
 * injected events (KVM_GET_VCPU_EVENTS, with KVM's triple-fault event
 * where KVM_CAP_X86_TRIPLE_FAULT_EVENT is on) and its registers, read on
 * the vCPU's thread right at that exit, before anything else runs it.
 * Also the per-exit guest RIP (KVM_CAP_SYNC_REGS), which the exit record
 * carries when the VM asks for it (vm_config.exit_rip). */
#ifndef WARDEN_CORE_CRASH_STATE_H
#define WARDEN_CORE_CRASH_STATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct vm;

struct vcpu_crash {
	bool events_ok;             /* KVM_GET_VCPU_EVENTS answered */
	struct kvm_vcpu_events events;
	bool triple_fault_event;    /* events.triple_fault is KVM's (the cap is on) */
	bool regs_ok;               /* KVM_GET_REGS/SREGS answered */
	uint64_t rip, rsp, cr0, cr2, cr3, cr4, efer;
};

/* At vm_create: turn on KVM_CAP_X86_TRIPLE_FAULT_EVENT where KVM offers
 * it (it only adds to what KVM_GET_VCPU_EVENTS reports; no cost).  Sets
 * vm->triple_fault_event. */
void vm_crash_setup(struct vm *vm);
/* At vcpu_create, when vm->cfg.exit_rip: have KVM copy the general
 * registers into kvm_run at every exit (KVM_SYNC_X86_REGS) where it
 * offers that; exit_decode then fills the record's rip. */
void vcpu_exit_rip_setup(struct vcpu *v);
/* On V's own thread, at the exit that ends the VM. */
void vcpu_crash_capture(struct vcpu *v, struct vcpu_crash *c);

#endif
