/* One VM exit, from KVM_RUN's return to the next entry: decoded from
 * struct kvm_run into one record (exit_decode, pure), emulated from that
 * record (exit_emulate: port and MMIO accesses routed to the device that
 * owns the address, and whether the VM ends), timed by the run loop, and
 * handed to the observers.  Devices never see KVM structures. */
#ifndef WARDEN_CORE_EXIT_H
#define WARDEN_CORE_EXIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_run;
struct vm;

/* Reason slots: KVM's exit reasons are small integers; two extra slots for
 * KVM_RUN returns without a reason: interrupted by a signal (EINTR), and
 * EAGAIN, which KVM returns once when an AP leaves wait-for-SIPI. */
#define EXIT_NSLOTS 48
#define EXIT_SLOT_EINTR (EXIT_NSLOTS - 1)
#define EXIT_SLOT_EAGAIN (EXIT_NSLOTS - 2)

/* Device slot meaning "no device claimed the address". */
#define EXIT_DEV_NONE (-1)

enum exit_kind {
	EXIT_NONE,        /* no exit to handle: EINTR, EAGAIN, an interrupt window */
	EXIT_ACCESS,      /* a port or MMIO access to route */
	EXIT_MSR,         /* RDMSR/WRMSR an MSR filter sent to warden (vm_msr_filter) */
	EXIT_HLT,         /* only without an in-kernel irqchip */
	EXIT_SHUTDOWN,    /* triple fault */
	EXIT_POWEROFF,    /* system event: shutdown */
	EXIT_RESET,       /* system event: reset */
	EXIT_BAD_EVENT,   /* a system event warden does not know */
	EXIT_MALFORMED,   /* an access whose size or data offset cannot be trusted */
	EXIT_FAIL_ENTRY,  /* VM entry failed */
	EXIT_KVM_ERROR,   /* KVM internal error */
	EXIT_HYPERV,      /* --hyperv: SynIC change or hypercall (core/hyperv.h) */
	EXIT_EOI,         /* --irqchip split: the guest's EOI of a level vector
			   * of warden's IOAPIC (detail: the vector) */
	EXIT_UNHANDLED,   /* an exit reason warden does not handle */
};

struct exit_record {
	/* Decoded (exit_decode). */
	unsigned slot;      /* reason slot */
	uint32_t reason;    /* KVM exit reason, when there is one */
	enum exit_kind kind;
	uint64_t detail;    /* system event type, entry failure reason, suberror */
	/* The access (EXIT_ACCESS, and EXIT_MSR: space BUS_MSR, size 8). */
	uint8_t space;      /* enum bus_space */
	bool write;
	unsigned size;      /* bytes per access: 1, 2, 4 (port) or 1-8 (MMIO) */
	uint64_t addr;      /* port, guest-physical address or MSR index */
	/* Not next to size: the compiler would merge an MSR's constant size
	 * and count into one 8-byte constant in .rodata, one more page
	 * touched at every MSR exit (util/hot.h). */
	uint32_t count;     /* accesses in this exit (string port I/O), >= 1 */
	uint8_t *data;      /* COUNT * SIZE bytes inside kvm_run */
	uint8_t *status;    /* EXIT_MSR: kvm_run's msr.error (1: KVM injects #GP) */
	/* EXIT_HYPERV: detail is KVM_EXIT_HYPERV_SYNIC (addr the MSR, hv[] its
	 * control, event page, message page) or _HCALL (addr the control
	 * word, hv[0..1] the parameters; the status goes to *hv_result). */
	uint64_t hv[3];
	uint64_t *hv_result;
	/* Emulated (exit_emulate). */
	int dev;            /* accounting slot of the owner, or EXIT_DEV_NONE */
	bool unclaimed;     /* nobody owns the address */
	int end;            /* enum vm_end: VM_RUNNING to go on */
	bool dump_regs;     /* the run loop should print the registers */
	uint32_t coalesced; /* coalesced MMIO writes delivered before this exit */
	bool has_rip;       /* KVM copied the registers (vm_config.exit_rip) */
	uint64_t rip;       /* the guest RIP then: at, or for port I/O just
			     * after, the exiting instruction */
	/* Stamped by the run loop (TSC cycles). */
	uint64_t t_enter, t_exit, t_decoded, t_done;
	/* The way back into KVM_RUN of this vCPU's exit before this one
	 * (from its t_done to this t_enter), known only now: the run loop
	 * hands it with this exit, so an exit costs one observer call.
	 * False after a start, a sleep or a pause (no exit's way back). */
	bool has_return;
	uint64_t return_ticks;
};

/* An exit as observers get it in batches (vm_observer.exits, core/vm.h):
 * what its record says that outlives the exit, with no pointer into
 * kvm_run.  The fields mean what the record's of the same names mean. */
struct exit_note {
	uint64_t t_enter, t_exit, t_decoded, t_done;
	uint64_t return_ticks;
	uint64_t addr;
	uint64_t rip;
	uint64_t detail;
	uint32_t count, coalesced;
	uint16_t slot;
	uint16_t size;
	int16_t dev;
	uint8_t kind;  /* enum exit_kind */
	uint8_t space; /* enum bus_space */
	uint8_t end;   /* enum vm_end */
	bool write, unclaimed, has_rip, has_return;
};

static inline void exit_note_of(const struct exit_record *r, struct exit_note *n)
{
	*n = (struct exit_note){
		.t_enter = r->t_enter, .t_exit = r->t_exit, .t_decoded = r->t_decoded,
		.t_done = r->t_done, .return_ticks = r->return_ticks, .addr = r->addr,
		.rip = r->rip, .detail = r->detail, .count = r->count, .coalesced = r->coalesced,
		.slot = (uint16_t)r->slot, .size = (uint16_t)r->size, .dev = (int16_t)r->dev,
		.kind = (uint8_t)r->kind, .space = r->space, .end = (uint8_t)r->end,
		.write = r->write, .unclaimed = r->unclaimed, .has_rip = r->has_rip,
		.has_return = r->has_return,
	};
}

/* Fill R (its decoded part) from RUN, the kvm_run page of RUN_SIZE bytes,
 * after KVM_RUN returned RET with ERRNO_VAL. Pure: reads RUN only. */
void exit_decode(struct kvm_run *run, size_t run_size, int ret, int errno_val,
		 struct exit_record *r);
/* Act on R for vCPU VCPU of VM: route its access, decide whether the VM
 * ends (R->end), log what the user must know. */
void exit_emulate(struct vm *vm, unsigned vcpu, struct exit_record *r);

#endif
