#include "core/crash_state.h"

#include <string.h>
#include <sys/ioctl.h>

#include "core/vcpu.h"
#include "core/vm.h"
#include "util/log.h"

void vm_crash_setup(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_TRIPLE_FAULT_EVENT, .args = { 1 } };

	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_TRIPLE_FAULT_EVENT) <= 0)
		return;
	/* A refusal only costs the report one field: not worth failing for. */
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		log_debug("KVM_CAP_X86_TRIPLE_FAULT_EVENT offered but not enabled");
	else
		vm->triple_fault_event = true;
}

void vcpu_exit_rip_setup(struct vcpu *v)
{
	int sync = ioctl(v->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);

	/* Measured before turning it on (docs/observatory.md, "The crash
	 * report"): KVM's copy did not move `warden bench exits`. */
	if (sync > 0 && (sync & KVM_SYNC_X86_REGS))
		v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
}

void vcpu_crash_capture(struct vcpu *v, struct vcpu_crash *c)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	memset(c, 0, sizeof(*c));
	c->events_ok = ioctl(v->fd, KVM_GET_VCPU_EVENTS, &c->events) == 0;
	c->triple_fault_event = c->events_ok && v->vm->triple_fault_event &&
				(c->events.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT);
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	c->regs_ok = true;
	c->rip = r.rip;
	c->rsp = r.rsp;
	c->cr0 = s.cr0;
	c->cr2 = s.cr2;
	c->cr3 = s.cr3;
	c->cr4 = s.cr4;
	c->efer = s.efer;
}
