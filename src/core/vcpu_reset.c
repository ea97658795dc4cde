/* A vCPU back to its power-on state, for the resume from S3 (core/vm_sleep.h):
 * what a PC's firmware finds after the sleep state cut the CPUs' power.
 * warden has no firmware, so it does the firmware's part of the resume
 * too: the boot vCPU starts at the OS's waking vector, the others wait
 * for the OS's INIT-SIPI. */
#include "core/vcpu_reset.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/vm.h"
#include "util/error.h"

#define CR0_ET 0x10ULL
#define CR0_CD_NW 0x60000000ULL /* caches off, as at reset */
#define SEG_DATA_RW 3
#define SEG_CODE_RX 11
#define SEG_LDT 2
#define SEG_TSS16_BUSY 3

static struct kvm_segment real_seg(uint16_t sel, uint8_t type)
{
	return (struct kvm_segment){ .base = (uint64_t)sel << 4, .limit = 0xffff, .selector = sel,
				     .type = type, .present = 1, .s = 1 };
}

/* The system segments and tables as after RESET/INIT. */
static void reset_system(struct kvm_sregs *s)
{
	s->ldt = (struct kvm_segment){ .limit = 0xffff, .type = SEG_LDT, .present = 1 };
	s->tr = (struct kvm_segment){ .limit = 0xffff, .type = SEG_TSS16_BUSY, .present = 1 };
	s->gdt = (struct kvm_dtable){ .base = 0, .limit = 0xffff };
	s->idt = (struct kvm_dtable){ .base = 0, .limit = 0xffff };
	s->cr0 = CR0_ET | CR0_CD_NW;
	s->cr2 = s->cr3 = s->cr4 = s->cr8 = 0;
	s->efer = 0;
	/* No interrupt left pending from before the sleep. */
	memset(s->interrupt_bitmap, 0, sizeof(s->interrupt_bitmap));
}

int vcpu_complete_io(struct vcpu *v)
{
	/* KVM finishes an exit's instruction (the port write that slept)
	 * on the next KVM_RUN; with immediate_exit it does only that. */
	v->run->immediate_exit = 1;
	if (ioctl(v->fd, KVM_RUN, 0) < 0 && errno != EINTR)
		return fail_errno(ERR_HOST, "vCPU %u: KVM_RUN to complete I/O", v->id);
	v->run->immediate_exit = 0;
	return 0;
}

int vcpu_reset_real_mode(struct vcpu *v, uint16_t cs, uint16_t ip)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rflags = 2, .rip = ip };

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return fail_errno(ERR_HOST, "vCPU %u: KVM_GET_SREGS", v->id);
	s.cs = real_seg(cs, SEG_CODE_RX);
	s.ds = s.es = s.fs = s.gs = s.ss = real_seg(0, SEG_DATA_RW);
	reset_system(&s);
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return fail_errno(ERR_HOST, "vCPU %u: KVM_SET_SREGS", v->id);
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return fail_errno(ERR_HOST, "vCPU %u: KVM_SET_REGS", v->id);
	return 0;
}

int vcpu_set_mp_state(struct vcpu *v, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	/* Without the in-kernel irqchip KVM keeps no MP state: the vCPU runs. */
	if (!v->vm->cfg.irqchip)
		return 0;
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		return fail_errno(ERR_HOST, "vCPU %u: KVM_SET_MP_STATE %u", v->id, state);
	return 0;
}
