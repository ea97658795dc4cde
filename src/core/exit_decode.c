#include "core/exit.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "core/bus.h"
#include "util/hot.h"

static unsigned reason_slot(int ret, int errno_val, uint32_t reason)
{
	if (ret < 0 && errno_val == EINTR)
		return EXIT_SLOT_EINTR;
	if (ret < 0 && errno_val == EAGAIN)
		return EXIT_SLOT_EAGAIN;
	if (reason >= EXIT_SLOT_EAGAIN)
		return KVM_EXIT_UNKNOWN;
	return reason;
}

/* KVM fills these, but a bad size or offset would make us scribble past
 * the kvm_run page: check, once, here. */
static void decode_pio(const struct kvm_run *run, size_t run_size, struct exit_record *r)
{
	uint64_t size = run->io.size, off = run->io.data_offset;
	uint64_t bytes = (uint64_t)run->io.count * size;

	if ((size != 1 && size != 2 && size != 4) || run->io.count == 0 || off > run_size ||
	    bytes > run_size - off) {
		r->kind = EXIT_MALFORMED;
		return;
	}
	r->kind = EXIT_ACCESS;
	r->space = BUS_PIO;
	r->write = run->io.direction == KVM_EXIT_IO_OUT;
	r->size = (unsigned)size;
	r->count = run->io.count;
	r->addr = run->io.port;
	r->data = (uint8_t *)run + off;
}

static void decode_mmio(struct kvm_run *run, struct exit_record *r)
{
	unsigned len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data)) {
		r->kind = EXIT_MALFORMED;
		return;
	}
	r->kind = EXIT_ACCESS;
	r->space = BUS_MMIO;
	r->write = run->mmio.is_write;
	r->size = len;
	r->count = 1;
	r->addr = run->mmio.phys_addr;
	r->data = run->mmio.data;
}

/* An MSR access a filter sent to us: KVM has checked nothing else. */
static void decode_msr(struct kvm_run *run, struct exit_record *r)
{
	r->kind = EXIT_MSR;
	r->space = BUS_MSR;
	r->write = run->exit_reason == KVM_EXIT_X86_WRMSR;
	r->size = sizeof(run->msr.data);
	r->count = 1;
	r->addr = run->msr.index;
	r->data = (uint8_t *)&run->msr.data;
	r->status = &run->msr.error;
	r->detail = run->msr.reason; /* KVM_MSR_EXIT_REASON_* */
}

/* Hyper-V's exits (--hyperv): KVM has done its part already. */
static void decode_hyperv(struct kvm_run *run, struct exit_record *r)
{
	r->detail = run->hyperv.type;
	if (run->hyperv.type == KVM_EXIT_HYPERV_SYNIC) {
		r->kind = EXIT_HYPERV;
		r->addr = run->hyperv.u.synic.msr;
		r->hv[0] = run->hyperv.u.synic.control;
		r->hv[1] = run->hyperv.u.synic.evt_page;
		r->hv[2] = run->hyperv.u.synic.msg_page;
	} else if (run->hyperv.type == KVM_EXIT_HYPERV_HCALL) {
		r->kind = EXIT_HYPERV;
		r->addr = run->hyperv.u.hcall.input;
		r->hv[0] = run->hyperv.u.hcall.params[0];
		r->hv[1] = run->hyperv.u.hcall.params[1];
		r->hv_result = (uint64_t *)&run->hyperv.u.hcall.result;
	} else {
		r->kind = EXIT_UNHANDLED; /* SYNDBG: warden offers no debugger */
	}
}

static void decode_system_event(const struct kvm_run *run, struct exit_record *r)
{
	r->detail = run->system_event.type;
	if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
		r->kind = EXIT_POWEROFF;
	else if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
		r->kind = EXIT_RESET;
	else
		r->kind = EXIT_BAD_EVENT;
}

EXIT_PATH void exit_decode(struct kvm_run *run, size_t run_size, int ret, int errno_val,
			   struct exit_record *r)
{
	uint64_t t_enter = r->t_enter, t_exit = r->t_exit;

	/* Everything but the run loop's stamps starts afresh. */
	*r = (struct exit_record){ .t_enter = t_enter, .t_exit = t_exit, .dev = EXIT_DEV_NONE };
	r->slot = reason_slot(ret, errno_val, run->exit_reason);
	r->reason = ret == 0 ? run->exit_reason : 0;
	r->kind = EXIT_NONE;
	if (ret != 0)
		return;
	if (run->kvm_valid_regs & KVM_SYNC_X86_REGS) {
		r->has_rip = true;
		r->rip = run->s.regs.regs.rip;
	}
	/* The common exits first, by compare: a switch here compiles to a
	 * jump table in .rodata, one more page touched at every exit
	 * (util/hot.h). */
	if (run->exit_reason == KVM_EXIT_IO) {
		decode_pio(run, run_size, r);
		return;
	}
	if (run->exit_reason == KVM_EXIT_MMIO) {
		decode_mmio(run, r);
		return;
	}
	if (run->exit_reason == KVM_EXIT_X86_RDMSR || run->exit_reason == KVM_EXIT_X86_WRMSR) {
		decode_msr(run, r);
		return;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_HLT: r->kind = EXIT_HLT; break;
	case KVM_EXIT_SHUTDOWN: r->kind = EXIT_SHUTDOWN; break;
	case KVM_EXIT_SYSTEM_EVENT: decode_system_event(run, r); break;
	case KVM_EXIT_HYPERV: decode_hyperv(run, r); break;
	case KVM_EXIT_IOAPIC_EOI:
		r->kind = EXIT_EOI;
		r->detail = run->eoi.vector;
		break;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN: r->kind = EXIT_NONE; break;
	case KVM_EXIT_FAIL_ENTRY:
		r->kind = EXIT_FAIL_ENTRY;
		r->detail = run->fail_entry.hardware_entry_failure_reason;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		r->kind = EXIT_KVM_ERROR;
		r->detail = run->internal.suberror;
		break;
	default: r->kind = EXIT_UNHANDLED; break;
	}
}
