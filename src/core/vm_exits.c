/* Exit-shaping KVM features a VM gets only when asked (core/vm.h): an MSR
 * filter that sends chosen MSRs to warden, and coalesced MMIO and port
 * zones. */
#include "core/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/kvm.h"
#include "util/error.h"

int vm_msr_filter(struct vm *vm, const uint32_t *msrs, unsigned n)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR,
				      .args = { KVM_MSR_EXIT_REASON_FILTER } };
	struct kvm_msr_filter f = { .flags = KVM_MSR_FILTER_DEFAULT_ALLOW };
	uint8_t deny[KVM_MSR_FILTER_MAX_RANGES] = { 0 }; /* a 0 bit denies */

	if (n == 0 || n > KVM_MSR_FILTER_MAX_RANGES)
		return fail(ERR_HOST, "an MSR filter takes 1 to %d MSRs, not %u",
			    KVM_MSR_FILTER_MAX_RANGES, n);
	if (!kvm_has_cap(vm->kvm_fd, KVM_CAP_X86_USER_SPACE_MSR) ||
	    !kvm_has_cap(vm->kvm_fd, KVM_CAP_X86_MSR_FILTER))
		return fail(ERR_HOST, "this host's KVM cannot send MSRs to user space "
				      "(no KVM_CAP_X86_USER_SPACE_MSR or KVM_CAP_X86_MSR_FILTER)");
	for (unsigned i = 0; i < n; i++)
		f.ranges[i] = (struct kvm_msr_filter_range){
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, .nmsrs = 1,
			.base = msrs[i], .bitmap = &deny[i],
		};
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return fail_errno(ERR_HOST, "KVM_ENABLE_CAP KVM_CAP_X86_USER_SPACE_MSR");
	if (ioctl(vm->vm_fd, KVM_X86_SET_MSR_FILTER, &f) < 0)
		return fail_errno(ERR_HOST, "KVM_X86_SET_MSR_FILTER");
	return 0;
}

/* Register ZONE with KVM and, the first time, find KVM's ring: a page of
 * the vCPU mapping (KVM_CHECK_EXTENSION's answer for coalesced MMIO is
 * its page offset), shared by the VM's vCPUs. */
static int register_zone(struct vm *vm, struct kvm_coalesced_mmio_zone *zone, uint64_t len)
{
	long page_size = sysconf(_SC_PAGESIZE);
	int page = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);

	if (page <= 0)
		return fail(ERR_HOST, "this host's KVM has no coalesced MMIO (KVM_CAP_COALESCED_MMIO)");
	if (len == 0 || len > UINT32_MAX)
		return fail(ERR_HOST, "a coalesced zone of %llu bytes", (unsigned long long)len);
	if (!vm->vcpus || !vm->vcpus[0].run || page_size <= 0 ||
	    (uint64_t)(page + 1) * (uint64_t)page_size > (uint64_t)vm->run_size)
		return fail(ERR_HOST, "the coalesced MMIO ring (page %d) is outside the vCPU mapping", page);
	if (ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, zone) < 0)
		return fail_errno(ERR_HOST, "KVM_REGISTER_COALESCED_MMIO");
	if (!vm->coalesced) {
		pthread_mutex_init(&vm->coalesced_lock, NULL);
		vm->coalesced_max = (uint32_t)(((size_t)page_size - sizeof(struct kvm_coalesced_mmio_ring)) /
					       sizeof(struct kvm_coalesced_mmio));
		vm->coalesced = (struct kvm_coalesced_mmio_ring *)((uint8_t *)vm->vcpus[0].run +
								     (size_t)page * (size_t)page_size);
	}
	return 0;
}

int vm_coalesced_mmio(struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct kvm_coalesced_mmio_zone zone = { .addr = gpa, .size = (uint32_t)len };

	return register_zone(vm, &zone, len);
}

int vm_coalesce_port_writes(struct vm *vm, uint16_t port, unsigned len)
{
	struct kvm_coalesced_mmio_zone zone = { .addr = port, .size = len, .pio = 1 };

	if (!vm->cfg.coalesced_pio || ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO) <= 0)
		return 0;
	if (register_zone(vm, &zone, len) < 0)
		return -1;
	vm->coalesced_ports += len;
	return 1;
}
