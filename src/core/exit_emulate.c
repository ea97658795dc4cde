#include "core/exit.h"

#include <linux/kvm.h>
#include <string.h>

#include "core/bus.h"
#include "core/device.h"
#include "core/ioapic.h"
#include "core/vm.h"
#include "util/hot.h"
#include "util/invariant.h"
#include "util/log.h"

/* SIZE (1-8) bytes of all ones: an unclaimed read's answer.  Fixed-size
 * copies, two of them overlapping for the odd sizes, which the compiler
 * turns into plain stores: memset() with a variable size is a call into
 * libc through its PLT, three more pages touched at every such exit. */
static inline void all_ones(uint8_t *data, unsigned size)
{
	const uint64_t ones = ~0ULL;

	if (size >= 4) {
		memcpy(data, &ones, 4);
		memcpy(data + size - 4, &ones, 4);
	} else if (size >= 2) {
		memcpy(data, &ones, 2);
		memcpy(data + size - 2, &ones, 2);
	} else if (size == 1) {
		data[0] = 0xff;
	}
}

static uint32_t drain_coalesced(struct vm *vm);

/* Whether KVM queued writes the devices have not had yet: checked inline,
 * so the common exit, with the ring empty, makes no call for it (a call
 * and its return are two jump-target lookups in the emulated tier, and
 * drain_coalesced's code one more page: util/hot.h). */
static inline bool coalesced_pending(const struct vm *vm)
{
	const struct kvm_coalesced_mmio_ring *ring = vm->coalesced;

	return ring && __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE) != ring->first;
}

/* One access of LEN bytes at ADDR, routed to its owner.  DRAIN: first
 * deliver what KVM queued in the coalesced ring, when the access has an
 * owner (drain_coalesced says why).  Inlined into its callers: a call and
 * its return are two jump-target lookups in the emulated tier (util/hot.h). */
EXIT_PATH static inline __attribute__((always_inline)) void route(struct vm *vm, struct exit_record *r, uint8_t *data, bool drain)
{
	/* An MSR access covers one index, whatever its 8 bytes of data. */
	unsigned len = r->space == BUS_MSR ? 1 : r->size;
	const struct bus_range *br = bus_find(&vm->bus[r->space], r->addr, len);
	struct device *d;
	uint32_t n;

	if (br && drain && coalesced_pending(vm) && (n = drain_coalesced(vm)) > 0) {
		/* What was delivered may have moved a device's range (a BAR):
		 * the owner is looked up again. */
		r->coalesced += n;
		br = bus_find(&vm->bus[r->space], r->addr, len);
	}
	if (!br) {
		/* Unclaimed: reads float high, writes vanish, as on a PC bus. */
		if (!r->write)
			all_ones(data, r->size);
		r->unclaimed = true;
		return;
	}
	d = br->dev;
	if (!invariant(br->index < d->res.nranges))
		return;
	r->dev = d->id;
	futex_mutex_lock(&d->lock);
	if (r->write)
		d->exit_write(d, br->index, r->addr - br->base, data, r->size);
	else
		d->exit_read(d, br->index, r->addr - br->base, data, r->size);
	futex_mutex_unlock(&d->lock);
}

static void access(struct vm *vm, struct exit_record *r)
{
	/* String I/O (rep ins/outs) arrives as COUNT accesses in one exit. */
	for (uint32_t i = 0; i < r->count; i++)
		route(vm, r, r->data + (size_t)i * r->size, true);
}

/* An MSR a filter sent us: its device answers; nobody's gets #GP, as
 * from KVM for an MSR it does not know. */
static void msr(struct vm *vm, unsigned vcpu, struct exit_record *r)
{
	route(vm, r, r->data, true);
	*r->status = r->unclaimed;
	if (r->unclaimed)
		log_guest("vCPU %u: %s of MSR 0x%llx, which no device handles: #GP", vcpu,
			  r->write ? "WRMSR" : "RDMSR", (unsigned long long)r->addr);
}

/* Writes KVM queued in the coalesced ring since the last exit go to their
 * devices first, in order, so that this exit sees their effect: before an
 * access that has an owner, and before any exit other than an access.  An
 * access nobody owns has no effect to see, so it leaves them queued for
 * the next exit (or the console thread's drain every 50 ms, or vm_stop's):
 * checking the ring is one more page touched at every exit (util/hot.h),
 * and an unclaimed port is what a guest's busy loop often reads.  The
 * ring is the VM's, shared by all vCPUs: one thread drains at a time.
 * Returns how many it delivered. */
EXIT_PATH static uint32_t drain_coalesced(struct vm *vm)
{
	struct kvm_coalesced_mmio_ring *ring = vm->coalesced;
	uint32_t max = vm->coalesced_max, first, last, n = 0;

	if (__atomic_load_n(&ring->last, __ATOMIC_ACQUIRE) == ring->first)
		return 0;
	pthread_mutex_lock(&vm->coalesced_lock);
	for (first = ring->first; first != (last = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE));
	     first = (first + 1) % max) {
		struct kvm_coalesced_mmio e;
		struct exit_record c = { .write = true, .count = 1, .dev = EXIT_DEV_NONE };

		/* Indexes and lengths come from KVM, but a bad one would read
		 * past the ring or the entry: check before use. */
		if (!invariant(first < max && last < max))
			break;
		memcpy(&e, &ring->coalesced_mmio[first], sizeof(e));
		c.space = e.pio ? BUS_PIO : BUS_MMIO;
		c.addr = e.phys_addr;
		c.size = e.len;
		if (e.len >= 1 && e.len <= sizeof(e.data))
			route(vm, &c, e.data, false);
		if (c.dev >= 0 && (unsigned)c.dev < vm->ndevices)
			__atomic_fetch_add(&vm->devices[c.dev]->coalesced, 1, __ATOMIC_RELAXED);
		n++;
		__atomic_store_n(&ring->first, (first + 1) % max, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->coalesced_lock);
	return n;
}

uint32_t vm_drain_coalesced(struct vm *vm)
{
	return vm->coalesced ? drain_coalesced(vm) : 0;
}

/* KVM_EXIT_HYPERV to whoever took it (vm_hyperv_handler). */
static void hyperv(struct vm *vm, unsigned vcpu, struct exit_record *r)
{
	const struct vm_hyperv_handler *h = &vm->hv;

	if (r->detail == KVM_EXIT_HYPERV_SYNIC) {
		if (h->synic)
			h->synic(h->ctx, vcpu, (uint32_t)r->addr, r->hv[0], r->hv[1], r->hv[2]);
		return;
	}
	*r->hv_result = h->hcall ? h->hcall(h->ctx, vcpu, r->addr, r->hv)
				 : HV_STATUS_INVALID_HYPERCALL_CODE;
}

EXIT_PATH void exit_emulate(struct vm *vm, unsigned vcpu, struct exit_record *r)
{
	/* The common exit first, by compare: the switch's jump table is one
	 * more page of .rodata at every exit (util/hot.h).  Accesses drain
	 * the coalesced ring in route(), once their owner is known. */
	if (r->kind == EXIT_ACCESS) {
		access(vm, r);
		return;
	}
	if (r->kind == EXIT_MSR) {
		msr(vm, vcpu, r);
		return;
	}
	if (coalesced_pending(vm))
		r->coalesced += drain_coalesced(vm);
	switch (r->kind) {
	case EXIT_NONE:
	case EXIT_ACCESS:
	case EXIT_MSR:
		break;
	case EXIT_HYPERV:
		hyperv(vm, vcpu, r);
		break;
	case EXIT_EOI:
		/* KVM sends only the vectors our IOAPIC's routes name. */
		if (vm->ioapic) {
			r->dev = vm->ioapic->dev.id;
			ioapic_eoi(vm->ioapic, (uint8_t)r->detail);
		}
		break;
	case EXIT_HLT:
		/* Only without an in-kernel irqchip: nothing can wake this vCPU. */
		r->end = VM_END_HALT;
		break;
	case EXIT_SHUTDOWN:
		log_warn("vCPU %u: triple fault", vcpu);
		r->dump_regs = log_verbose;
		r->end = VM_END_TRIPLE_FAULT;
		break;
	case EXIT_POWEROFF:
		r->end = VM_END_POWEROFF;
		break;
	case EXIT_RESET:
		r->end = VM_END_REBOOT;
		break;
	case EXIT_BAD_EVENT:
		log_warn("vCPU %u: system event %llu", vcpu, (unsigned long long)r->detail);
		r->end = VM_END_INTERNAL_ERROR;
		break;
	case EXIT_MALFORMED:
		log_warn("vCPU %u: malformed %s exit", vcpu,
			 r->reason == KVM_EXIT_IO ? "port I/O" : "MMIO");
		r->end = VM_END_INTERNAL_ERROR;
		break;
	case EXIT_FAIL_ENTRY:
		log_warn("vCPU %u: VM entry failed, hardware reason 0x%llx", vcpu,
			 (unsigned long long)r->detail);
		r->dump_regs = true;
		r->end = VM_END_INTERNAL_ERROR;
		break;
	case EXIT_KVM_ERROR:
		log_warn("vCPU %u: KVM internal error, suberror %llu%s", vcpu,
			 (unsigned long long)r->detail,
			 r->detail == KVM_INTERNAL_ERROR_EMULATION ? " (instruction emulation failed)" : "");
		r->dump_regs = true;
		r->end = VM_END_INTERNAL_ERROR;
		break;
	case EXIT_UNHANDLED:
		log_warn("vCPU %u: unhandled exit reason %u", vcpu, r->reason);
		r->dump_regs = true;
		r->end = VM_END_INTERNAL_ERROR;
		break;
	}
}
