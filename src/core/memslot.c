#include "core/memslot.h"

#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/vm.h"
#include "util/error.h"

#define PAGE 4096ULL

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int vm_add_memslot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, uint32_t flags)
{
	struct kvm_userspace_memory_region r;
	unsigned slot;

	if (!size || (gpa | size | (uintptr_t)hva) & (PAGE - 1) || gpa + size < gpa)
		return fail(ERR_HOST, "memory slot at 0x%llx: not whole pages",
			    (unsigned long long)gpa);
	if (vm->nextra_slots == VM_MAX_EXTRA_SLOTS)
		return fail(ERR_HOST, "memory slot at 0x%llx: at most %d extra slots",
			    (unsigned long long)gpa, VM_MAX_EXTRA_SLOTS);
	for (unsigned i = 0; i < vm->mem.nregions; i++)
		if (overlaps(gpa, size, vm->mem.regions[i].gpa, vm->mem.regions[i].size))
			return fail(ERR_HOST, "memory slot at 0x%llx overlaps guest RAM",
				    (unsigned long long)gpa);
	for (unsigned i = 0; i < vm->nextra_slots; i++)
		if (overlaps(gpa, size, vm->extra_slot[i].gpa, vm->extra_slot[i].size))
			return fail(ERR_HOST, "memory slot at 0x%llx overlaps slot %u",
				    (unsigned long long)gpa, vm->extra_slot[i].slot);
	slot = vm->mem.nregions + vm->nextra_slots;
	r = (struct kvm_userspace_memory_region){
		.slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return fail_errno(ERR_HOST, "KVM_SET_USER_MEMORY_REGION slot %u at 0x%llx", slot,
				  (unsigned long long)gpa);
	vm->extra_slot[vm->nextra_slots++] = (struct vm_memslot){ .slot = slot, .gpa = gpa, .size = size };
	return (int)slot;
}

int vm_dirty_log_manual(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 };
	int offered = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

	if (offered <= 0 || !(offered & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
		return 0;
	/* Not KVM_DIRTY_LOG_INITIALLY_SET: a new slot starts clean. */
	cap.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return fail_errno(ERR_HOST, "KVM_ENABLE_CAP MANUAL_DIRTY_LOG_PROTECT2");
	return 1;
}

int vm_dirty_log_get(struct vm *vm, unsigned slot, uint64_t *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return fail_errno(ERR_HOST, "KVM_GET_DIRTY_LOG slot %u", slot);
	return 0;
}

int vm_dirty_log_clear(struct vm *vm, unsigned slot, uint64_t first, uint32_t npages,
		       uint64_t *bitmap)
{
	struct kvm_clear_dirty_log log = {
		.slot = slot, .first_page = first, .num_pages = npages, .dirty_bitmap = bitmap,
	};

	if (ioctl(vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &log) < 0)
		return fail_errno(ERR_HOST, "KVM_CLEAR_DIRTY_LOG slot %u", slot);
	return 0;
}
