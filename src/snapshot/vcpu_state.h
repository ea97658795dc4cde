/* One vCPU's state in a snapshot: general, special, XSAVE, XCR and debug
 * registers, the LAPIC, the MSRs of KVM's index list, pending events, the
 * MP state, CPUID and the TSC frequency, each a section whose index is
 * the vCPU's id (snapshot/state_file.h). */
#ifndef WARDEN_SNAPSHOT_VCPU_STATE_H
#define WARDEN_SNAPSHOT_VCPU_STATE_H

struct vcpu;
struct vm;
struct snap_writer;
struct snap_reader;

/* V is parked (core/vm_pause.h).  -1 with the error recorded. */
int vcpu_state_save(struct vcpu *v, struct snap_writer *w);
/* Can this host run the saved vCPU ID: its CPUID features within what
 * KVM offers here, its XSAVE area no larger, its TSC frequency here or
 * settable.  A user error naming the first thing that does not fit. */
int vcpu_state_check(struct vm *vm, const struct snap_reader *r, unsigned id);
/* Put the saved state into the new, never-run vCPU V, in the order KVM
 * needs: CPUID, TSC frequency, MP state, registers, special registers
 * (the APIC base), XSAVE, XCRs, debug registers, LAPIC (before the MSRs:
 * the TSC deadline needs it), MSRs (the TSC before the TSC deadline),
 * events. */
int vcpu_state_restore(struct vcpu *v, const struct snap_reader *r);

#endif
