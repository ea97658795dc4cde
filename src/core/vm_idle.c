/* How a VM's vCPUs idle, when asked (core/vm.h): KVM's halt polling for
 * this VM, HLT left to the guest, and the hint that lets a Linux guest
 * poll itself.  `warden run --halt-poll-ns/--hlt-passthrough/
 * --kvm-hint-realtime` and `warden lab idle` (docs/lab.md) use them. */
#include "core/vm.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "core/cpuid.h"
#include "core/kvm.h"
#include "util/error.h"

int vm_halt_poll(struct vm *vm, uint32_t ns)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL, .args = { ns } };

	if (!kvm_has_cap(vm->vm_fd, KVM_CAP_HALT_POLL))
		return fail(ERR_HOST, "this host's KVM cannot set a VM's halt polling (no KVM_CAP_HALT_POLL)");
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return fail_errno(ERR_HOST, "KVM_ENABLE_CAP KVM_CAP_HALT_POLL %u ns", ns);
	return 0;
}

/* KVM takes it only before the first vCPU is created. */
static int hlt_passthrough(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_DISABLE_EXITS, .args = { KVM_X86_DISABLE_EXITS_HLT } };
	int offered = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_DISABLE_EXITS);

	if (offered < 0 || !(offered & KVM_X86_DISABLE_EXITS_HLT))
		return fail(ERR_HOST, "this host's KVM does not let the guest keep HLT "
				      "(KVM_CAP_X86_DISABLE_EXITS without KVM_X86_DISABLE_EXITS_HLT)");
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return fail_errno(ERR_HOST, "KVM_ENABLE_CAP KVM_CAP_X86_DISABLE_EXITS HLT");
	return 0;
}

int vm_idle_setup(struct vm *vm)
{
	if (vm->cfg.halt_poll_set && vm_halt_poll(vm, vm->cfg.halt_poll_ns) < 0)
		return -1;
	if (vm->cfg.hlt_passthrough && hlt_passthrough(vm) < 0)
		return -1;
	if (vm->cfg.kvm_hint_realtime && !cpuid_set_kvm_hint_realtime(vm->cpuid))
		return fail(ERR_HOST, "this host's KVM lists no paravirtual features leaf (0x40000001) for the "
				      "realtime hint");
	return 0;
}
