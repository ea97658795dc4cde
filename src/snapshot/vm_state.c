#include "snapshot/vm_state.h"

#include <linux/kvm.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/vm.h"
#include "snapshot/state_file.h"
#include "util/error.h"

#define NCHIPS 3 /* KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE, _IOAPIC */

static int save_irqchip(struct vm *vm, struct snap_writer *w)
{
	struct kvm_pit_state2 pit;

	for (uint32_t id = 0; id < NCHIPS; id++) {
		struct kvm_irqchip chip = { .chip_id = id };

		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
			return fail_errno(ERR_HOST, "KVM_GET_IRQCHIP %u", id);
		snap_put(w, SNAP_VM_IRQCHIP, id, &chip, sizeof(chip));
	}
	memset(&pit, 0, sizeof(pit));
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &pit) < 0)
		return fail_errno(ERR_HOST, "KVM_GET_PIT2");
	snap_put(w, SNAP_VM_PIT, 0, &pit, sizeof(pit));
	return 0;
}

/* KVM's PIC, IOAPIC and PIT: with the in-kernel irqchip, not with
 * --irqchip split (its IOAPIC is a device of warden's, saved as one). */
static bool kernel_chips(const struct vm *vm)
{
	return vm->cfg.irqchip && !vm->ioapic;
}

int vm_state_save(struct vm *vm, struct snap_writer *w)
{
	struct kvm_clock_data clock = { 0 };

	if (kernel_chips(vm) && save_irqchip(vm, w) < 0)
		return -1;
	/* kvmclock: the guest's monotonic clock, in ns, at the pause. */
	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK) <= 0)
		return 0; /* nothing to carry: documented in docs/snapshot.md */
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &clock) < 0)
		return fail_errno(ERR_HOST, "KVM_GET_CLOCK");
	snap_put(w, SNAP_VM_CLOCK, 0, &clock, sizeof(clock));
	return 0;
}

static int restore_irqchip(struct vm *vm, const struct snap_reader *r)
{
	struct kvm_pit_state2 pit;

	if (snap_get(r, SNAP_VM_PIT, 0, &pit, sizeof(pit), "PIT state") < 0)
		return -1;
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &pit) < 0)
		return fail_errno(ERR_USAGE, "KVM refused the snapshot's PIT state");
	return 0;
}

static int restore_chips(struct vm *vm, const struct snap_reader *r)
{
	for (uint32_t id = 0; id < NCHIPS; id++) {
		struct kvm_irqchip chip;

		if (snap_get(r, SNAP_VM_IRQCHIP, id, &chip, sizeof(chip), "interrupt controller") < 0)
			return -1;
		if (chip.chip_id != id)
			return fail(ERR_USAGE, "snapshot %s: interrupt controller %u is malformed", r->path, id);
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
			return fail_errno(ERR_USAGE, "KVM refused the snapshot's interrupt controller %u", id);
	}
	return 0;
}

/* The guest's clock continues from the instant of the snapshot: the
 * time the snapshot spent on disk does not exist for the guest (its
 * monotonic clock never jumps, nothing times out at once).  Its wall
 * clock is then behind by that time, until the guest reads the RTC
 * (the host's time) or NTP corrects it.  KVM_CLOCK_REALTIME, which
 * would add the time elapsed, is deliberately not passed. */
static int restore_clock(struct vm *vm, const struct snap_reader *r)
{
	struct kvm_clock_data clock;
	size_t len;

	if (!snap_find(r, SNAP_VM_CLOCK, 0, &len))
		return 0;
	if (snap_get(r, SNAP_VM_CLOCK, 0, &clock, sizeof(clock), "kvmclock") < 0)
		return -1;
	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK) <= 0)
		return fail(ERR_USAGE, "this host cannot run the snapshot: its KVM cannot set the "
			    "guest's clock (no KVM_CAP_ADJUST_CLOCK)");
	clock.flags = 0;
	memset(clock.pad, 0, sizeof(clock.pad));
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock) < 0)
		return fail_errno(ERR_USAGE, "KVM refused the snapshot's clock");
	return 0;
}

int vm_state_restore(struct vm *vm, const struct snap_reader *r)
{
	size_t len;

	if (!kernel_chips(vm) != !snap_find(r, SNAP_VM_PIT, 0, &len))
		return fail(ERR_USAGE, "snapshot %s: the in-kernel irqchip state does not match the machine",
			    r->path);
	if (kernel_chips(vm) && restore_irqchip(vm, r) < 0)
		return -1;
	if (restore_clock(vm, r) < 0)
		return -1;
	return kernel_chips(vm) ? restore_chips(vm, r) : 0;
}
